"""Shared plumbing for the loss and softmax experiments: flat digits, a small MLP, and a
training loop whose batch loss is any callable (so a lab can swap in max, sum or a buggy loss).

Every run draws its initial weights from ``manual_seed(seed)`` and its batch order from its own
``default_rng(seed)``, so two runs with the same seed differ only in what the lab changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import nn, optim
from ..autograd.grad_mode import no_grad
from ..random import manual_seed
from ..tensor import Tensor

BatchLoss = Callable[[nn.Module, np.ndarray], Tensor]  # (model, batch row indices) -> loss


@dataclass
class Curves:
    """One run: the mean batch loss and a score (e.g. test accuracy) per epoch, every batch loss."""

    loss: list[float] = field(default_factory=list)
    score: list[float] = field(default_factory=list)
    batch_losses: list[float] = field(default_factory=list)


def flat_digits(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The 8×8 digits as (N, 64) float32 rows in [0, 1]: x_train, y_train, x_test, y_test."""
    from ..data import digits

    train, test = digits(train=True, seed=seed), digits(train=False, seed=seed)
    (x_train, y_train), (x_test, y_test) = train.tensors, test.tensors
    return (x_train.reshape(len(x_train), -1), np.asarray(y_train),
            x_test.reshape(len(x_test), -1), np.asarray(y_test))


def mlp(sizes: tuple[int, ...], seed: int) -> nn.Sequential:
    """Linear → ReLU → … → Linear with the given layer widths; weights from ``seed``."""
    manual_seed(seed)
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(fan_in, fan_out))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def predict(model: nn.Module, x: np.ndarray) -> np.ndarray:
    """The model's raw outputs for ``x`` (no graph)."""
    with no_grad():
        return model(Tensor(x)).numpy()


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows whose arg-max output is the label."""
    return float(np.mean(predict(model, x).argmax(axis=1) == y))


def train(model: nn.Module, batch_loss: BatchLoss, n: int, *, epochs: int, batch_size: int,
          lr: float, momentum: float = 0.9, seed: int = 0, drop_last: bool = False,
          score: Callable[[nn.Module], float] | None = None, adam: bool = False) -> Curves:
    """Mini-batch SGD (momentum) on ``batch_loss(model, idx)`` over ``n`` examples.

    ``batch_loss`` gets the model and the batch's row indices, so it picks its own inputs and
    targets and can see which rows it was given; ``score(model)`` is recorded after each epoch.
    ``drop_last`` skips the final short batch so every step sees exactly ``batch_size`` rows.
    ``adam=True`` uses Adam(lr) instead of SGD(lr, momentum).
    """
    opt = (optim.Adam(model.parameters(), lr=lr) if adam
           else optim.SGD(model.parameters(), lr=lr, momentum=momentum))
    order_rng = np.random.default_rng(seed)
    curves = Curves()
    stop = n - n % batch_size if drop_last else n
    for _ in range(epochs):
        order = order_rng.permutation(n)
        epoch_losses = []
        for start in range(0, stop, batch_size):
            loss = batch_loss(model, order[start:start + batch_size])
            opt.zero_grad()
            loss.backward()
            opt.step()
            epoch_losses.append(loss.item())
        curves.batch_losses.extend(epoch_losses)
        curves.loss.append(float(np.mean(epoch_losses)))
        if score is not None:
            curves.score.append(float(score(model)))
    return curves


def log_softmax_np(z: np.ndarray) -> np.ndarray:
    """ln softmax(z) row-wise in NumPy: z − max − ln Σ exp(z − max) (stable)."""
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def grad_norm(model: nn.Module) -> float:
    """‖∇θ‖₂ over every parameter (after a backward)."""
    return float(np.sqrt(sum(float(np.sum(p.grad.astype(np.float64) ** 2))
                             for p in model.parameters() if p.grad is not None)))


def r(value: float, digits: int = 4) -> float:
    """Round for the JSON and the prose (numbers a reader can compare at a glance)."""
    return float(round(float(value), digits))
