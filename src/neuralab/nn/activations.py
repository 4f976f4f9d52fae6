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
    """max(0, x), with ReLU′(0) := 0. ``inplace=True`` overwrites the input (``relu_``)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return input.relu_() if self.inplace else A.relu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x for x > 0, else negative_slope·x. ``inplace=True`` overwrites the input."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if self.inplace:
            return input.leaky_relu_(self.negative_slope)
        return A.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace
                                                          else "")


class Softmax(Module):
    """y = e^x / Σ e^x along ``dim``. Without ``dim``, PyTorch's implicit (deprecated) choice:
    dim 0 for 0-, 1- and 3-D input, else dim 1, with its ``UserWarning``."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        # _stacklevel 5 (as torch's module): the warning points at the line calling the module
        return A.softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """y = log softmax(x) along ``dim`` (computed stably); ``dim=None`` as in ``Softmax``."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.log_softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
