"""Shared plumbing for the lab's digits experiments: flat digits, MLP builders, training loops.

Kept small and explicit (no ``fit``) so an experiment controls every random draw.

* ``mlp`` + ``train``: the loss and softmax labs. Initial weights from ``manual_seed(seed)``,
  batch order from its own ``default_rng(seed)``, and the batch loss is any callable (so a lab
  can swap in max, sum or a buggy loss); two runs with one seed differ only in what it changes.
* ``build_mlp`` + ``train_epoch``: the activation labs (dead ReLU, vanishing gradients). Weights
  from a ``np.random.Generator`` passed in, a choice of activation and initialisation, and one
  cross-entropy epoch at a time with the caller's optimizer, so the lab can probe in between.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .. import nn, optim
from ..autograd.grad_mode import no_grad
from ..models import ACTIVATIONS
from ..optim.optimizer import Optimizer
from ..random import manual_seed
from ..tensor import Tensor
from ..train.metrics import accuracy as _accuracy
from .textbook import log_softmax as log_softmax_np  # noqa: F401  (re-exported for the labs)

LEAK = 0.01  # Leaky ReLU's negative slope everywhere in the lab
DIGITS_SIZES = (64, 64, 10)  # digits MLP: 64 pixels → 64 ReLU units → 10 logits

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
    return build_mlp(sizes[0], sizes[1:-1], sizes[-1], "relu", generator=None)


def build_mlp(n_in: int, hidden: Sequence[int], n_out: int, activation: str,
              generator: np.random.Generator | None, init: str = "default") -> nn.Sequential:
    """Linear → act → … → Linear(n_out), the logits left raw for ``CrossEntropyLoss``.

    ``generator=None`` draws from neuralab's default generator (see ``manual_seed``).
    ``init="default"``: PyTorch's ``Linear`` init, U(±1/√fan_in) for W and b.
    ``init="usual"``: Xavier-uniform (gain 1 for sigmoid, 5/3 for tanh) or He/Kaiming-uniform
    (ReLU gain √2, Leaky ReLU √(2/(1+0.01²))) for hidden weights, zero biases, Xavier for the
    output layer — the initialisation each activation is normally paired with.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    if init not in ("default", "usual"):
        raise ValueError(f"init must be 'default' or 'usual', got {init!r}")
    layers: list[nn.Module] = []
    fan = n_in
    for width in hidden:
        linear = nn.Linear(fan, width, generator=generator)
        if init == "usual":
            if activation in ("sigmoid", "tanh"):
                nn.init.xavier_uniform_(linear.weight, gain=nn.init.calculate_gain(activation),
                                        generator=generator)
            else:
                slope = LEAK if activation == "leaky_relu" else 0.0
                nn.init.kaiming_uniform_(linear.weight, a=slope, nonlinearity=activation,
                                         generator=generator)
            nn.init.zeros_(linear.bias)
        act = nn.LeakyReLU(LEAK) if activation == "leaky_relu" else ACTIVATIONS[activation]()
        layers += [linear, act]
        fan = width
    head = nn.Linear(fan, n_out, generator=generator)
    if init == "usual":
        nn.init.xavier_uniform_(head.weight, generator=generator)
        nn.init.zeros_(head.bias)
    layers.append(head)
    return nn.Sequential(*layers)


def predict(model: nn.Module, x: np.ndarray) -> np.ndarray:
    """The model's raw outputs for ``x`` (no graph)."""
    with no_grad():
        return model(Tensor(x)).numpy()


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows whose arg-max output is the label."""
    return _accuracy(predict(model, x), y)


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


def train_epoch(model: nn.Module, optimizer: Optimizer, x: np.ndarray, y: np.ndarray,
                batch_size: int, rng: np.random.Generator) -> float:
    """One pass over (x, y) in shuffled mini-batches; returns the mean cross-entropy."""
    loss_fn = nn.CrossEntropyLoss()
    order = rng.permutation(len(y))
    total = 0.0
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        optimizer.zero_grad()
        loss = loss_fn(model(Tensor(x[batch])), Tensor(y[batch]))
        loss.backward()
        optimizer.step()
        total += loss.item() * len(batch)
    return total / len(y)


def logits_giving(p: np.ndarray, classes: int) -> np.ndarray:
    """Logits whose softmax gives the right class (column 0) p and the others (1 − p)/(C − 1)."""
    return np.log(np.stack([p] + [(1 - p) / (classes - 1)] * (classes - 1), axis=1))


def grad_norm(model: nn.Module) -> float:
    """‖∇θ‖₂ over every parameter (after a backward)."""
    return float(np.sqrt(sum(float(np.sum(p.grad.numpy().astype(np.float64) ** 2))
                             for p in model.parameters() if p.grad is not None)))


def r(value: float, digits: int = 4) -> float:
    """Round for the JSON and the prose (numbers a reader can compare at a glance)."""
    return float(round(float(value), digits))
