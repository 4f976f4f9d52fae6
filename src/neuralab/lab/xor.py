"""Hidden layers solve XOR (claim S15): a 2-H-1 MLP trained by backpropagation (S16)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import nn, optim
from ..autograd.grad_mode import no_grad
from ..random import manual_seed
from ..tensor import Tensor

XOR_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_TARGETS = np.array([[0], [1], [1], [0]], dtype=np.float32)

_ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU,
                "leaky_relu": nn.LeakyReLU}


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
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
    return nn.Sequential(nn.Linear(2, hidden), _ACTIVATIONS[activation](), nn.Linear(hidden, 1))


def train_xor(hidden: int = 4, activation: str = "tanh", seed: int = 0, epochs: int = 2000,
              lr: float = 0.1) -> XorResult:
    """Train a 2-H-1 MLP on the four XOR points with full-batch SGD (momentum 0.9) and BCE."""
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
    return XorResult(hidden, activation, seed, epochs, probabilities.round(6).tolist(),
                     predictions.tolist(), accuracy, losses)
