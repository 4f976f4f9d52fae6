"""Backpropagation written the textbook way: layer objects with hand-derived ``backward``.

No autodiff here. Each layer keeps what its forward pass saw and turns the upstream gradient
``dout`` = ∂L/∂(its output) into ∂L/∂(its input), storing its parameter gradients on the way —
the chain rule (claim S16), one local derivative per layer. ``TwoLayerNet`` chains
Affine → ReLU (or Sigmoid) → Affine → SoftmaxWithLoss and walks the list backwards.

Shapes follow the note (S8): ``Affine`` computes x @ W + b with W of shape (in, out), so
``W`` here is ``nn.Linear.weight.T``. Every ``backward`` returns a new array and never writes
into ``dout`` (the caller may hold it, or pass a read-only view).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

__all__ = [
    "Affine", "MeanSquaredLoss", "ReLU", "Sigmoid", "SoftmaxWithLoss", "TwoLayerNet",
    "log_softmax", "numerical_gradient", "sigmoid", "softmax",
]


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1/(1+e^−x), via e^−|x| so no exponential overflows."""
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, z) / (1.0 + z)


def softmax(x: np.ndarray) -> np.ndarray:
    """softmax(x)_k = e^(x_k − max x) / Σ_j e^(x_j − max x), row by row (shifted: no overflow)."""
    shifted = x - x.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(x: np.ndarray) -> np.ndarray:
    """ln softmax(x) row-wise: x − max − ln Σ exp(x − max) (stable, exact where ln(y + ε) is not)."""
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


class Affine:
    """out = x @ W + b, W (in, out).

    ∂L/∂x = dout @ Wᵀ,  ∂L/∂W = xᵀ @ dout,  ∂L/∂b = Σ_rows dout.
    """

    def __init__(self, W: np.ndarray, b: np.ndarray) -> None:
        self.W, self.b = W, b
        self.x: np.ndarray | None = None
        self.dW: np.ndarray | None = None
        self.db: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class ReLU:
    """out = max(0, x).  ∂out/∂x = 1 where x > 0, else 0 (ReLU′(0) := 0, as PyTorch)."""

    def __init__(self) -> None:
        self.positive: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.positive = x > 0
        return np.where(self.positive, x, 0.0)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        # A new array: zeroing dout in place (dout[mask] = 0) would corrupt the caller's gradient.
        return np.where(self.positive, dout, 0.0)


class Sigmoid:
    """out = σ(x).  ∂out/∂x = out·(1 − out) ≤ 0.25."""

    def __init__(self) -> None:
        self.out: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self.out * (1.0 - self.out)


def _one_hot(t: np.ndarray, classes: int) -> np.ndarray:
    t = np.asarray(t)
    if t.ndim == 2:
        return t.astype(np.float64)
    onehot = np.zeros((t.size, classes))
    onehot[np.arange(t.size), t.reshape(-1)] = 1.0
    return onehot


class SoftmaxWithLoss:
    """L = −(1/N) Σ_n Σ_k t_nk·ln y_nk with y = softmax(scores): the mean over the batch (S9).

    ∂L/∂scores = (y − t)/N — softmax and cross-entropy together have this simple derivative,
    which is why the textbook fuses them. Targets: class indices (N,) or one-hot (N, K).
    """

    def __init__(self) -> None:
        self.y: np.ndarray | None = None
        self.t: np.ndarray | None = None
        self.loss: float | None = None

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        self.y = softmax(x)
        self.t = _one_hot(t, x.shape[-1])
        n = x.shape[0]
        # log-softmax straight from the scores: exact, where ln(y + 1e-7) would be biased.
        log_y = log_softmax(x)
        self.loss = float(-(self.t * log_y).sum() / n)
        return self.loss

    def backward(self, dout: float = 1.0) -> np.ndarray:
        return dout * (self.y - self.t) / self.y.shape[0]


class MeanSquaredLoss:
    """L = (1/M) Σ (y − t)² over all M elements (PyTorch's MSELoss).  ∂L/∂y = 2(y − t)/M."""

    def __init__(self) -> None:
        self.diff: np.ndarray | None = None

    def forward(self, y: np.ndarray, t: np.ndarray) -> float:
        self.diff = y - np.asarray(t, dtype=np.float64).reshape(y.shape)
        return float(np.mean(self.diff ** 2))

    def backward(self, dout: float = 1.0) -> np.ndarray:
        return dout * 2.0 * self.diff / self.diff.size


class TwoLayerNet:
    """Affine(W1, b1) → ReLU|Sigmoid → Affine(W2, b2) → SoftmaxWithLoss, in float64.

    Weights ~ N(0, scale²) with scale = ``weight_scale`` or 1/√fan_in; biases ~ N(0, 0.1²).

    ``params`` is a dict of the four arrays; the layers hold references to them, so editing
    ``params`` edits the network (training "edits the numbers in the matrices", S8).
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int,
                 activation: str = "relu", weight_scale: float | None = None,
                 generator: np.random.Generator | None = None) -> None:
        rng = generator if generator is not None else np.random.default_rng(0)
        if activation not in ("relu", "sigmoid"):
            raise ValueError(f"activation must be 'relu' or 'sigmoid', got {activation!r}")
        # Default scale 1/√fan_in keeps the scores O(1) whatever the layer widths.
        s1 = weight_scale if weight_scale is not None else 1 / np.sqrt(input_size)
        s2 = weight_scale if weight_scale is not None else 1 / np.sqrt(hidden_size)
        self.params: dict[str, np.ndarray] = {
            "W1": s1 * rng.standard_normal((input_size, hidden_size)),
            "b1": 0.1 * rng.standard_normal(hidden_size),
            "W2": s2 * rng.standard_normal((hidden_size, output_size)),
            "b2": 0.1 * rng.standard_normal(output_size),
        }
        self.layers: OrderedDict[str, Any] = OrderedDict()
        self.layers["Affine1"] = Affine(self.params["W1"], self.params["b1"])
        self.layers["Activation1"] = ReLU() if activation == "relu" else Sigmoid()
        self.layers["Affine2"] = Affine(self.params["W2"], self.params["b2"])
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The class scores (logits), shape (N, output_size)."""
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x: np.ndarray, t: np.ndarray) -> float:
        """Mean cross-entropy of softmax(scores) over the batch."""
        return self.last_layer.forward(self.predict(x), t)

    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float:
        t = np.asarray(t)
        labels = t.argmax(axis=1) if t.ndim == 2 else t
        return float(np.mean(self.predict(x).argmax(axis=1) == labels))

    def gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        """∂L/∂(each parameter) by backpropagation: forward once, then every layer's backward,
        last layer first, each passing ∂L/∂(its input) to the layer before it."""
        self.loss(x, t)
        dout = self.last_layer.backward(1.0)  # dL/dL = 1 enters at the loss
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        first, second = self.layers["Affine1"], self.layers["Affine2"]
        return {"W1": first.dW, "b1": first.db, "W2": second.dW, "b2": second.db}

    def numerical_gradient(self, x: np.ndarray, t: np.ndarray,
                           eps: float = 1e-5) -> dict[str, np.ndarray]:
        """∂L/∂(each parameter) by central differences: (L(θ+ε) − L(θ−ε)) / 2ε, one by one."""
        return {name: numerical_gradient(lambda: self.loss(x, t), value, eps)
                for name, value in self.params.items()}


def numerical_gradient(f: Any, param: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Central differences of the scalar ``f()`` with respect to every element of ``param``.

    ``param`` is perturbed in place (that is how ``f`` sees the change) and restored exactly.
    Error O(ε²) from truncation plus O(machine-ε/ε) from rounding: ε = 1e-5 balances them
    in float64 (about 1e-10).
    """
    grad = np.zeros_like(param, dtype=np.float64)
    for index in np.ndindex(param.shape):
        original = param[index]
        param[index] = original + eps
        plus = f()
        param[index] = original - eps
        minus = f()
        param[index] = original
        grad[index] = (plus - minus) / (2 * eps)
    return grad
