"""Rosenblatt's perceptron, logic gates and perceptron networks — plain NumPy, no autodiff.

A perceptron weighs its inputs, adds a bias b (= −θ, the threshold) and fires (claim S1):

    ŷ = 0  if  w·x + b ≤ 0,   else 1          (the step function; ŷ = 0 exactly at the boundary)

Its decision boundary is the line w1·x1 + w2·x2 + b = 0, i.e. x2 = −(w1/w2)·x1 − b/w2 (S13).
Rosenblatt's learning rule, applied one example at a time:

    w ← w + lr·(y − ŷ)·x,      b ← b + lr·(y − ŷ)

changes nothing on a correct example and moves the line toward a wrong one. It reaches zero
mistakes on any linearly separable data set (the perceptron convergence theorem) and never on
XOR (S14). Perceptrons feeding perceptrons (S2) do compute XOR: ``xor_network()`` wires
NAND and OR into AND.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "GATE_INPUTS", "GATE_WEIGHTS", "TRUTH_TABLES", "FitResult", "Perceptron",
    "PerceptronNetwork", "gate", "learn_gate", "xor_network",
]

# The four input pairs of a two-input gate, in truth-table order.
GATE_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)

TRUTH_TABLES: dict[str, np.ndarray] = {
    "AND": np.array([0, 0, 0, 1]),
    "OR": np.array([0, 1, 1, 1]),
    "NAND": np.array([1, 1, 1, 0]),
    "NOR": np.array([1, 0, 0, 0]),
    "XOR": np.array([0, 1, 1, 0]),
}

# Hand-set (w1, w2, b) for the linearly separable gates. Each line w·x + b = 0 passes between
# the 0-points and the 1-points; many other choices work just as well. XOR has none (S14).
GATE_WEIGHTS: dict[str, tuple[float, float, float]] = {
    "AND": (0.5, 0.5, -0.7),
    "OR": (0.5, 0.5, -0.2),
    "NAND": (-0.5, -0.5, 0.7),
    "NOR": (-0.5, -0.5, 0.2),
}


@dataclass
class FitResult:
    """What ``Perceptron.fit`` did, epoch by epoch.

    ``errors[e]``: mistakes (= updates) made during epoch e+1. ``misclassified[e]`` and
    ``weights[e]``/``biases[e]``: the training-set errors of, and the parameters after, that epoch.
    ``converged`` is True once an epoch made no mistake; ``epochs`` counts the epochs run,
    that clean epoch included.
    """

    converged: bool
    epochs: int
    errors: list[int] = field(default_factory=list)
    misclassified: list[int] = field(default_factory=list)
    weights: list[list[float]] = field(default_factory=list, repr=False)
    biases: list[float] = field(default_factory=list, repr=False)

    def best_epoch(self) -> int:
        """Index of the first epoch whose parameters misclassify the fewest examples."""
        return int(np.argmin(self.misclassified))


class Perceptron:
    """A single perceptron: ``predict(X) = step(X @ w + b)`` with step(s) = 0 for s ≤ 0, else 1.

    ``Perceptron(2)`` starts at w = 0, b = 0 (Rosenblatt's usual start);
    ``Perceptron.from_weights([0.5, 0.5], -0.7)`` is a hand-set AND gate.
    """

    def __init__(self, n_inputs: int, weights: Sequence[float] | np.ndarray | None = None,
                 bias: float = 0.0) -> None:
        if n_inputs <= 0:
            raise ValueError(f"Perceptron: n_inputs must be positive, got {n_inputs}")
        w = np.zeros(n_inputs) if weights is None else np.asarray(weights, dtype=np.float64)
        if w.shape != (n_inputs,):
            raise ValueError(f"Perceptron: expected {n_inputs} weights, got shape {w.shape}")
        self.weights: np.ndarray = w.astype(np.float64).copy()
        self.bias: float = float(bias)
        self.history: FitResult | None = None

    @classmethod
    def from_weights(cls, weights: Sequence[float] | np.ndarray, bias: float) -> Perceptron:
        """A perceptron with hand-set weights and bias."""
        w = np.asarray(weights, dtype=np.float64).reshape(-1)
        return cls(w.size, w, bias)

    @classmethod
    def random(cls, n_inputs: int, scale: float = 0.05,
               seed: int | Sequence[int] | None = None) -> Perceptron:
        """w, b ~ N(0, scale²), drawn from ``np.random.default_rng(seed)``."""
        start = np.random.default_rng(seed).normal(0.0, scale, n_inputs + 1)
        return cls(n_inputs, start[:-1], start[-1])

    @property
    def threshold(self) -> float:
        """θ = −b: the weighted sum must exceed θ for the perceptron to fire."""
        return -self.bias

    def net_input(self, X: np.ndarray | Sequence) -> np.ndarray:
        """The weighted sum s = X @ w + b, one value per row of X."""
        return np.atleast_2d(np.asarray(X, dtype=np.float64)) @ self.weights + self.bias

    def predict(self, X: np.ndarray | Sequence) -> np.ndarray:
        """step(X @ w + b): 0 where the sum is ≤ 0 (the boundary included, as in S1), else 1."""
        return (self.net_input(X) > 0).astype(np.int64)

    def line(self) -> tuple[float, float] | None:
        """The boundary w1·x1 + w2·x2 + b = 0 as x2 = a·x1 + c; None if vertical (w2 = 0)."""
        if self.weights.size != 2:
            raise ValueError("line() needs a perceptron with exactly two inputs")
        w1, w2 = self.weights
        if w2 == 0:
            return None
        return float(-w1 / w2), float(-self.bias / w2)

    def update(self, x: np.ndarray | Sequence, y: int, lr: float = 1.0) -> int:
        """One step of Rosenblatt's rule on one example; returns the error y − ŷ (−1, 0 or 1).

        w ← w + lr·(y − ŷ)·x,  b ← b + lr·(y − ŷ).
        """
        x = np.asarray(x, dtype=np.float64).reshape(-1)
        error = int(y) - int(self.predict(x)[0])
        if error:
            self.weights = self.weights + lr * error * x
            self.bias = self.bias + lr * error
        return error

    def fit(self, X: np.ndarray | Sequence, y: np.ndarray | Sequence, lr: float = 0.1,
            max_epochs: int = 100, shuffle: bool = True, seed: int | None = 0) -> FitResult:
        """Apply the learning rule example by example until an epoch makes no mistake.

        Starts from the current weights. With ``shuffle`` each epoch visits the examples in a
        new order drawn from ``np.random.default_rng(seed)``. Returns (and keeps in
        ``self.history``) the mistakes per epoch and whether it converged within ``max_epochs``.
        """
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        y = np.asarray(y).reshape(-1).astype(np.int64)
        if X.shape != (len(y), self.weights.size):
            raise ValueError(f"fit: X must have shape ({len(y)}, {self.weights.size}), "
                             f"got {X.shape}")
        if not np.isin(y, (0, 1)).all():
            raise ValueError("fit: targets must be 0 or 1")
        rng = np.random.default_rng(seed)
        result = FitResult(converged=False, epochs=0)
        for _ in range(max_epochs):
            order = rng.permutation(len(y)) if shuffle else np.arange(len(y))
            mistakes = sum(self.update(X[i], y[i], lr) != 0 for i in order)
            result.epochs += 1
            result.errors.append(int(mistakes))
            result.misclassified.append(int(np.sum(self.predict(X) != y)))
            result.weights.append(self.weights.tolist())
            result.biases.append(self.bias)
            if mistakes == 0:
                result.converged = True
                break
        self.history = result
        return result

    def __repr__(self) -> str:
        return f"Perceptron(weights={self.weights.tolist()}, bias={self.bias})"


class PerceptronNetwork:
    """Perceptrons feeding perceptrons (S2): a layer's 0/1 outputs are the next layer's inputs."""

    def __init__(self, layers: Sequence[Sequence[Perceptron]]) -> None:
        if not layers or any(not layer for layer in layers):
            raise ValueError("PerceptronNetwork needs at least one non-empty layer")
        self.layers = [list(layer) for layer in layers]

    def forward(self, X: np.ndarray | Sequence) -> list[np.ndarray]:
        """Every layer's 0/1 outputs, shape (N, units), the input first."""
        outputs = [np.atleast_2d(np.asarray(X, dtype=np.float64))]
        for layer in self.layers:
            outputs.append(np.stack([p.predict(outputs[-1]) for p in layer], axis=1))
        return outputs

    def predict(self, X: np.ndarray | Sequence) -> np.ndarray:
        """The last layer's outputs; a single output unit gives shape (N,)."""
        out = self.forward(X)[-1]
        return out[:, 0] if out.shape[1] == 1 else out


def gate(name: str) -> Perceptron:
    """A hand-set perceptron computing AND, OR, NAND or NOR."""
    key = name.upper()
    if key not in GATE_WEIGHTS:
        raise ValueError(f"no single-perceptron gate {name!r}; choose from {sorted(GATE_WEIGHTS)}"
                         + (" (XOR needs two layers: xor_network())" if key == "XOR" else ""))
    w1, w2, b = GATE_WEIGHTS[key]
    return Perceptron.from_weights([w1, w2], b)


def learn_gate(name: str, lr: float = 0.1, max_epochs: int = 100, shuffle: bool = True,
               seed: int | None = 0, init_scale: float = 0.0) -> tuple[Perceptron, FitResult]:
    """Train a fresh perceptron on a gate's truth table.

    It starts at w = 0, b = 0, or with ``init_scale`` > 0 at w, b ~ N(0, init_scale²) drawn
    from ``seed`` (zero starts keep w and b on multiples of lr, so the line often ends exactly
    on an input point; a random start gives a generic line).
    """
    perceptron = Perceptron(2)
    if init_scale > 0:  # its own stream, so the start and the shuffling orders are unrelated
        perceptron = Perceptron.random(2, init_scale, None if seed is None else [seed, 1])
    history = perceptron.fit(GATE_INPUTS, TRUTH_TABLES[name.upper()], lr=lr,
                             max_epochs=max_epochs, shuffle=shuffle, seed=seed)
    return perceptron, history


def xor_network() -> PerceptronNetwork:
    """XOR(x1, x2) = AND(NAND(x1, x2), OR(x1, x2)): a two-layer perceptron network."""
    return PerceptronNetwork([[gate("NAND"), gate("OR")], [gate("AND")]])
