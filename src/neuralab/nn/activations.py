"""Activation functions as modules (the math and derivatives live in ``ops/activation.py``)."""

from __future__ import annotations

from ..ops import activation as A
from ..tensor import Tensor
from .module import Module


class Step(Module):
    """1 where x > 0, else 0; its derivative is 0 (no gradient flows)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.step(input)


class Sigmoid(Module):
    """σ(x) = 1/(1+e^(−x)), computed stably."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.sigmoid(input)


class Tanh(Module):
    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.tanh(input)


class ReLU(Module):
    """max(0, x), with ReLU′(0) := 0."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.relu(input)


class LeakyReLU(Module):
    """x for x > 0, else negative_slope·x."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Softmax(Module):
    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.log_softmax(input, self.dim)
