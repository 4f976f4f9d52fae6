"""Hidden layers solve XOR (claim S15): a 2-H-1 MLP trained by backpropagation (S16)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .. import nn, optim
from ..autograd.grad_mode import no_grad
from ..models import ACTIVATIONS
from ..random import manual_seed
from ..tensor import Tensor

XOR_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_TARGETS = np.array([[0], [1], [1], [0]], dtype=np.float32)

@dataclass
class XorResult:
    """What training a 2-H-1 network on XOR produced."""

    hidden: int
    activation: str
    seed: int
    epochs: int
    probabilities: list[float]  # P(output = 1) for each of the four inputs
    predictions: list[int]
    accuracy: float  # fraction of the four inputs classified correctly
    losses: list[float] = field(repr=False)  # BCE after each epoch

    def truth_table(self) -> str:
        """The four XOR cases with the network's output, as aligned text."""
        lines = [" x1  x2 | XOR | P(1)   prediction", "--------+-----+-------------------"]
        targets = XOR_TARGETS[:, 0].astype(int)
        for (x1, x2), target, prob, pred in zip(XOR_INPUTS.astype(int), targets,
                                                self.probabilities, self.predictions):
            mark = "ok" if pred == target else "WRONG"
            lines.append(f"  {x1}   {x2} |  {target}  | {prob:.3f}  {pred}  {mark}")
        return "\n".join(lines)


def build_xor_mlp(hidden: int = 4, activation: str = "tanh") -> nn.Sequential:
    """Linear(2, H) → activation → Linear(H, 1); the sigmoid sits inside the loss."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    return nn.Sequential(nn.Linear(2, hidden), ACTIVATIONS[activation](), nn.Linear(hidden, 1))


def fit_xor_mlp(hidden: int = 4, activation: str = "tanh", seed: int = 0, epochs: int = 2000,
                lr: float = 0.1) -> tuple[nn.Sequential, XorResult]:
    """Train a 2-H-1 MLP on XOR; return the trained model with its ``XorResult``.

    Full-batch SGD (momentum 0.9) on BCE-with-logits; the weights are drawn after
    ``manual_seed(seed)``, so a seed always gives the same network.
    """
    manual_seed(seed)
    model = build_xor_mlp(hidden, activation)
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_fn = nn.BCEWithLogitsLoss()
    x, y = Tensor(XOR_INPUTS), XOR_TARGETS
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with no_grad():
        probabilities = model(x).sigmoid().numpy()[:, 0]
    predictions = (probabilities > 0.5).astype(int)
    accuracy = float(np.mean(predictions == XOR_TARGETS[:, 0]))
    result = XorResult(hidden, activation, seed, epochs, probabilities.round(6).tolist(),
                       predictions.tolist(), accuracy, losses)
    return model, result


def train_xor(hidden: int = 4, activation: str = "tanh", seed: int = 0, epochs: int = 2000,
              lr: float = 0.1) -> XorResult:
    """Train a 2-H-1 MLP on the four XOR points with full-batch SGD (momentum 0.9) and BCE."""
    return fit_xor_mlp(hidden, activation, seed, epochs, lr)[1]


@dataclass
class XorSweep:
    """``train_xor_seeds``: one row per seed, trained side by side as a stack of networks."""

    hidden: int
    activation: str
    seeds: list[int]
    epochs: int
    accuracies: list[float]  # fraction of the four inputs right, per seed
    final_losses: list[float]
    # Hidden units whose pre-activation is <= 0 on all four inputs, per seed: for ReLU such a
    # unit outputs 0 and passes no gradient anywhere on the data set (a dead neuron).
    dead_units: list[int] = field(default_factory=list)

    @property
    def successes(self) -> int:
        """How many seeds classify all four XOR inputs correctly."""
        return int(sum(a == 1.0 for a in self.accuracies))


def train_xor_seeds(hidden: int = 4, activation: str = "tanh",
                    seeds: Sequence[int] = tuple(range(20)), epochs: int = 2000,
                    lr: float = 0.1) -> XorSweep:
    """``train_xor`` for many seeds at once, with the same initial weights and the same updates.

    The S networks are stacked along a leading axis: W1 (S, H, 2), b1 (S, 1, H), W2 (S, 1, H),
    b2 (S, 1, 1), so the forward pass is one batched matmul, x Wᵀ + b per network. The loss is
    the *sum over networks* of each network's mean BCE, so each slice receives exactly its own
    network's gradient, and SGD's element-wise update keeps the networks independent. Running
    them together is only faster (one NumPy call instead of S); the numbers match ``train_xor``
    up to float32 rounding.
    """
    seeds = list(seeds)
    layers: list[list[np.ndarray]] = [[], [], [], []]
    for seed in seeds:  # draw each network's initial weights exactly as train_xor does
        manual_seed(seed)
        model = build_xor_mlp(hidden, activation)
        for store, param in zip(layers, model.parameters()):
            store.append(param.detach().numpy().copy())
    w1 = nn.Parameter(np.stack(layers[0]))
    b1 = nn.Parameter(np.stack(layers[1])[:, None, :])
    w2 = nn.Parameter(np.stack(layers[2]))
    b2 = nn.Parameter(np.stack(layers[3])[:, None, :])
    act = ACTIVATIONS[activation]()
    optimizer = optim.SGD([w1, b1, w2, b2], lr=lr, momentum=0.9)
    x = Tensor(XOR_INPUTS)
    y = np.broadcast_to(XOR_TARGETS, (len(seeds), 4, 1))

    def logits() -> Tensor:
        return act(x @ w1.mT + b1) @ w2.mT + b2  # (S, 4, 1)

    for _ in range(epochs):
        optimizer.zero_grad()
        per_net = nn.functional.binary_cross_entropy_with_logits(logits(), y, reduction="none")
        per_net.mean(axis=(1, 2)).sum().backward()
        optimizer.step()
    with no_grad():
        z = logits()
        pre = (x @ w1.mT + b1).numpy()  # (S, 4, H)
        final = nn.functional.binary_cross_entropy_with_logits(z, y, reduction="none")
    predictions = (z.numpy()[:, :, 0] > 0).astype(int)  # P > 0.5  ⇔  logit > 0
    accuracies = (predictions == XOR_TARGETS[:, 0]).mean(axis=1)
    return XorSweep(hidden, activation, seeds, epochs, accuracies.tolist(),
                    final.numpy().mean(axis=(1, 2)).tolist(),
                    (pre <= 0).all(axis=1).sum(axis=1).tolist())
