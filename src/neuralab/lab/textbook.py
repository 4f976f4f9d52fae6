"""Backpropagation written the textbook way: layer objects with hand-derived ``backward``.

No autodiff here. Each layer keeps what its forward pass saw and turns the upstream gradient
``dout`` = ∂L/∂(its output) into ∂L/∂(its input), storing its parameter gradients on the way —
the chain rule (claim S16), one local derivative per layer. ``TwoLayerNet`` chains
Affine → ReLU (or Sigmoid) → Affine → SoftmaxWithLoss and walks the list backwards.

The CNN layers (S19, S20) read the same way: ``im2col`` unrolls every window of an image into a
row, so ``Convolution`` is one matrix product (an ``Affine`` on the windows) and ``Pooling`` a
row-wise max; ``col2im`` sends gradients back to the pixels. ``BatchNormalization`` normalises
each channel over the batch. They are slow and memory-hungry on purpose: the fast ops
(``neuralab.ops.conv``, ``.pooling``, ``.normalization``) compute the same numbers.

Shapes follow the note (S8): ``Affine`` computes x @ W + b with W of shape (in, out), so
``W`` here is ``nn.Linear.weight.T``. Every ``backward`` returns a new array and never writes
into ``dout`` (the caller may hold it, or pass a read-only view).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

__all__ = [
    "Affine", "BatchNormalization", "Convolution", "MeanSquaredLoss", "Pooling", "ReLU",
    "Sigmoid", "SoftmaxWithLoss", "TwoLayerNet", "col2im", "im2col", "log_softmax",
    "numerical_gradient", "sigmoid", "softmax",
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


# ---------------------------------------------------------------------------------------------
# Convolutional layers (S19, S20): im2col turns windows into rows, so the layers are matrices.


def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    """An int means the same value along H and W; a pair is (along H, along W)."""
    return (value, value) if np.isscalar(value) else (value[0], value[1])


def _out_size(size: int, k: int, stride: int, pad: int) -> int:
    """⌊(size + 2·pad − k)/stride⌋ + 1 windows fit along one axis."""
    out = (size + 2 * pad - k) // stride + 1
    if out < 1 or stride < 1 or pad < 0:
        raise ValueError(f"a {k}-wide window (stride {stride}, pad {pad}) does not fit "
                         f"an axis of size {size}")
    return out


def _out_hw(x_shape: tuple[int, ...], kh: int, kw: int, stride: int | tuple[int, int],
            pad: int | tuple[int, int]) -> tuple[int, int]:
    """(OH, OW): how many windows fit down and across an (N, C, H, W) input."""
    (sh, sw), (ph, pw) = _pair(stride), _pair(pad)
    return _out_size(x_shape[2], kh, sh, ph), _out_size(x_shape[3], kw, sw, pw)


def im2col(x: np.ndarray, kh: int, kw: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """Every kh×kw window of x (N, C, H, W), zero-padded by ``pad``, as one row.

    col[(n, oh, ow), (c, i, j)] = x_pad[n, c, oh·s + i, ow·s + j], so ``col`` has shape
    (N·OH·OW, C·kh·kw) with OH = ⌊(H + 2·pad − kh)/s⌋ + 1 (OW likewise); s = ``stride``.
    ``stride`` and ``pad`` may also be pairs (along H, along W). One loop over the kh·kw
    offsets of a window; each step copies that offset of every window at once.
    """
    n, c = x.shape[:2]
    (sh, sw), (ph, pw) = _pair(stride), _pair(pad)
    oh, ow = _out_hw(x.shape, kh, kw, stride, pad)
    img = np.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)])
    col = np.zeros((n, c, kh, kw, oh, ow), dtype=img.dtype)
    for i in range(kh):
        for j in range(kw):
            col[:, :, i, j] = img[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(n * oh * ow, c * kh * kw)


def col2im(col: np.ndarray, x_shape: tuple[int, ...], kh: int, kw: int, stride: int = 1,
           pad: int = 0) -> np.ndarray:
    """The adjoint of ``im2col``: each row's values go back to the pixels they came from.

    A pixel inside several windows receives the sum of their values (overlaps add up), and
    the padding is cut off — so ⟨im2col(x), col⟩ = ⟨x, col2im(col)⟩. This is exactly the
    backward pass of ``im2col``: ∂L/∂x = col2im(∂L/∂col).
    """
    n, c, h, w = x_shape
    (sh, sw), (ph, pw) = _pair(stride), _pair(pad)
    oh, ow = _out_hw(x_shape, kh, kw, stride, pad)
    col = col.reshape(n, oh, ow, c, kh, kw).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=col.dtype)
    for i in range(kh):
        for j in range(kw):
            img[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw] += col[:, :, i, j]
    return img[:, :, ph:ph + h, pw:pw + w]


class Convolution:
    """out[n, f] = Σ_c Σ_i Σ_j W[f, c, i, j]·x_pad[n, c, oh·s + i, ow·s + j] + b[f].

    W (FN, C, kh, kw) is ``nn.Conv2d.weight`` (a cross-correlation, as PyTorch), b (FN,);
    ``stride`` and ``pad`` are ints or pairs (along H, along W), as for ``im2col``.
    With col = im2col(x) and W_col = W.reshape(FN, C·kh·kw)ᵀ it is an ``Affine`` layer on the
    windows: out = col @ W_col + b, shape (N·OH·OW, FN), then reshaped to (N, FN, OH, OW).
    So the backward pass is Affine's, plus col2im:
    ∂L/∂W_col = colᵀ @ dout,  ∂L/∂b = Σ_rows dout,  ∂L/∂x = col2im(dout @ W_colᵀ).
    """

    def __init__(self, W: np.ndarray, b: np.ndarray, stride: int = 1, pad: int = 0) -> None:
        self.W, self.b, self.stride, self.pad = W, b, stride, pad
        self.x_shape: tuple[int, ...] | None = None
        self.col: np.ndarray | None = None
        self.col_W: np.ndarray | None = None
        self.dW: np.ndarray | None = None
        self.db: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        fn, _, kh, kw = self.W.shape
        self.x_shape = x.shape
        self.col = im2col(x, kh, kw, self.stride, self.pad)
        self.col_W = self.W.reshape(fn, -1).T
        out = self.col @ self.col_W + self.b  # (N·OH·OW, FN): one matrix product
        oh, ow = _out_hw(x.shape, kh, kw, self.stride, self.pad)
        return out.reshape(x.shape[0], oh, ow, fn).transpose(0, 3, 1, 2)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        fn, _, kh, kw = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, fn)  # rows as in forward's product
        self.db = dout.sum(axis=0)
        self.dW = (self.col.T @ dout).T.reshape(self.W.shape)
        dcol = dout @ self.col_W.T
        return col2im(dcol, self.x_shape, kh, kw, self.stride, self.pad)


class Pooling:
    """Max pooling: out[n, c, oh, ow] = max over the pool_h×pool_w window at (oh·s, ow·s).

    ``stride`` (int or pair) defaults to the pool size (windows side by side, as
    ``nn.MaxPool2d``). Forward: im2col, one window of one channel per row, the row's max —
    and remember *which* element (arg max). Backward: the max passes its input straight through (∂max/∂x_k = 1 for the
    winner k, 0 for the rest), so each window's gradient is scattered to its winner and
    col2im adds them up where windows overlap.

    Ties: ``argmax`` takes the first maximum in row-major order within the window, the same
    element as ``nn.MaxPool2d`` in neuralab and PyTorch (an all-zero window after ReLU sends
    its gradient to its top-left element).
    """

    def __init__(self, pool_h: int, pool_w: int,
                 stride: int | tuple[int, int] | None = None) -> None:
        self.pool_h, self.pool_w = pool_h, pool_w
        self.stride = stride if stride is not None else (pool_h, pool_w)
        self.x_shape: tuple[int, ...] | None = None
        self.arg_max: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        col = im2col(x, self.pool_h, self.pool_w, self.stride)
        col = col.reshape(-1, self.pool_h * self.pool_w)  # rows: (n, oh, ow, c); a window each
        self.x_shape, self.arg_max = x.shape, col.argmax(axis=1)
        out = col[np.arange(col.shape[0]), self.arg_max]
        n, c = x.shape[:2]
        oh, ow = _out_hw(x.shape, self.pool_h, self.pool_w, self.stride, 0)
        return out.reshape(n, oh, ow, c).transpose(0, 3, 1, 2)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        size = self.pool_h * self.pool_w
        dout = dout.transpose(0, 2, 3, 1).reshape(-1)  # the same row order as forward's col
        dmax = np.zeros((dout.size, size), dtype=dout.dtype)
        dmax[np.arange(dout.size), self.arg_max] = dout  # the winner takes the gradient
        dcol = dmax.reshape(-1, self.x_shape[1] * size)
        return col2im(dcol, self.x_shape, self.pool_h, self.pool_w, self.stride)


class BatchNormalization:
    """Batch norm per channel: x̂ = (x − μ)/σ with σ = √(var + eps), then out = γ·x̂ + β.

    x is (N, D) — D channels — or (N, C, ...) — C channels, statistics over N and the pixels,
    as ``nn.BatchNorm1d`` / ``nn.BatchNorm2d``. Below, the m values of one channel are x_k,
    μ = (1/m) Σ x_k and var = (1/m) Σ (x_k − μ)² (the biased variance normalises).

    Backward (training), with dx̂ = γ·dout — the book's compact formula:
    ∂L/∂x = (1/m)·(1/σ)·(m·dx̂ − Σ dx̂ − x̂·Σ(dx̂·x̂)),
    ∂L/∂γ = Σ dout·x̂,  ∂L/∂β = Σ dout  (sums over the m values of the channel).
    The two subtracted sums are the gradient flowing through μ and through var. In evaluation
    (``train=False``) μ and σ are constants from the running statistics: ∂L/∂x = dx̂/σ.

    Running statistics, as torch's BatchNorm (initial mean 0, var 1):
    r ← momentum·r + (1 − momentum)·(batch statistic), the variance *unbiased* (·m/(m − 1)).
    Our ``momentum`` weighs the OLD value, torch's the NEW one: momentum = 0.9 here is
    ``nn.BatchNorm2d(momentum=0.1)`` in torch and neuralab (torch = 1 − ours). The book keeps
    the biased variance and starts it at 0; we follow torch so the numbers match
    ``running_var``.
    """

    def __init__(self, gamma: np.ndarray, beta: np.ndarray, momentum: float = 0.9,
                 eps: float = 1e-5) -> None:
        self.gamma, self.beta, self.momentum, self.eps = gamma, beta, momentum, eps
        self.running_mean = np.zeros(np.shape(gamma))
        self.running_var = np.ones(np.shape(gamma))
        self.x_shape: tuple[int, ...] | None = None
        self.train = True
        self.xhat: np.ndarray | None = None
        self.std: np.ndarray | None = None
        self.dgamma: np.ndarray | None = None
        self.dbeta: np.ndarray | None = None

    def _rows(self, x: np.ndarray) -> np.ndarray:
        """(N, C, ...) → (m, C): one column per channel, m = N·(pixels)."""
        return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])

    def _unrows(self, rows: np.ndarray) -> np.ndarray:
        moved = (self.x_shape[0], *self.x_shape[2:], self.x_shape[1])
        return np.moveaxis(rows.reshape(moved), -1, 1)

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        self.x_shape, self.train = x.shape, train
        x = self._rows(x)
        m = x.shape[0]
        if train:
            if m < 2:
                raise ValueError("BatchNormalization: training needs more than one value per "
                                 "channel")
            mu = x.mean(axis=0)
            var = ((x - mu) ** 2).mean(axis=0)
            r = self.momentum
            self.running_mean = r * self.running_mean + (1 - r) * mu
            self.running_var = r * self.running_var + (1 - r) * var * m / (m - 1)
        else:
            mu, var = self.running_mean, self.running_var
        self.std = np.sqrt(var + self.eps)
        self.xhat = (x - mu) / self.std
        return self._unrows(self.gamma * self.xhat + self.beta)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dout = self._rows(dout)
        m = dout.shape[0]
        self.dbeta = dout.sum(axis=0)
        self.dgamma = (dout * self.xhat).sum(axis=0)
        dxhat = dout * self.gamma
        if not self.train:
            return self._unrows(dxhat / self.std)
        dx = (m * dxhat - dxhat.sum(axis=0) - self.xhat * (dxhat * self.xhat).sum(axis=0))
        return self._unrows(dx / (m * self.std))
