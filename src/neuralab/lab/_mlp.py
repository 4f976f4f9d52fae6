"""Shared pieces of the seed-lab MLP experiments: digits as arrays, an MLP builder, one epoch.

Kept tiny and explicit (no ``fit``) so an experiment controls every random draw: weights from
a ``np.random.Generator`` passed in, batch order from another.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import nn
from ..autograd.grad_mode import no_grad
from ..optim.optimizer import Optimizer
from ..tensor import Tensor

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU,
}
LEAK = 0.01  # Leaky ReLU's negative slope everywhere in the lab


def digits_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits flattened to (N, 64) float32 in [0, 1]: x_train, y_train,
    x_test, y_test (the library's fixed 80/20 split, seed 0)."""
    from ..data import digits

    out = []
    for part in (digits(train=True), digits(train=False)):
        x, y = (np.asarray(t) for t in part.tensors)
        out += [x.reshape(len(x), -1).astype(np.float32), y.astype(np.int64)]
    return out[0], out[1], out[2], out[3]


def build_mlp(n_in: int, hidden: Sequence[int], n_out: int, activation: str,
              generator: np.random.Generator, init: str = "default") -> nn.Sequential:
    """Linear → act → … → Linear(n_out), the logits left raw for ``CrossEntropyLoss``.

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


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows whose largest logit is the true class."""
    with no_grad():
        return float(np.mean(model(Tensor(x)).numpy().argmax(axis=1) == y))
