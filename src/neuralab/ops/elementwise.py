"""Element-wise math: exp, log, sqrt, abs, clip, and dtype casts."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor
from .registry import register


class Exp(Function):
    """y = eˣ.   dy/dx = eˣ = y."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.exp(x)
        return self.y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out * self.y


class Log(Function):
    """y = ln x.   dy/dx = 1/x."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.log(x)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out / self.x


class Sqrt(Function):
    """y = √x.   dy/dx = 1/(2√x) = 1/(2y)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.sqrt(x)
        return self.y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out / (2 * self.y)


class Abs(Function):
    """y = |x|.   dy/dx = sign(x), with |·|′(0) := 0 (PyTorch's convention)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.abs(x)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out * np.sign(self.x)


class Clip(Function):
    """y = min(max(x, lo), hi).   dy/dx = 1 where lo <= x <= hi (bounds included), else 0."""

    def forward(self, x: np.ndarray, min: Any = None, max: Any = None) -> np.ndarray:  # noqa: A002
        self.inside = np.ones(x.shape, dtype=bool)
        if min is not None:
            self.inside &= x >= min
        if max is not None:
            self.inside &= x <= max
        return np.clip(x, min, max)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return np.where(self.inside, grad_out, 0)


class Cast(Function):
    """y = x converted to another dtype.   dy/dx = 1 (the gradient is cast back)."""

    def forward(self, x: np.ndarray, dtype: Any = None) -> np.ndarray:
        self.source = x.dtype
        return x.astype(dtype)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out.astype(self.source)


@register()
def exp(x: Any) -> Tensor:
    return Exp.apply(x)


@register()
def log(x: Any) -> Tensor:
    return Log.apply(x)


@register()
def sqrt(x: Any) -> Tensor:
    return Sqrt.apply(x)


@register()
def abs(x: Any) -> Tensor:  # noqa: A001 - PyTorch's name
    return Abs.apply(x)


@register("clamp")
def clip(x: Any, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """Limit values to ``[min, max]`` (either bound may be ``None``)."""
    if min is None and max is None:
        raise ValueError("clip needs at least one of min and max")
    return Clip.apply(x, min=min, max=max)


@register()
def to(x: Tensor, dtype: Any) -> Tensor:
    """The tensor in ``dtype`` (the same tensor if it already has it).

    Differentiable between floating dtypes; a cast to an integer or bool dtype is cut from the
    graph (as in PyTorch), since only floating tensors can carry a gradient.
    """
    dtype = np.dtype(dtype)
    if x.dtype == dtype:
        return x
    if dtype.kind != "f":
        return Tensor._from_op(x.data.astype(dtype), False)
    return Cast.apply(x, dtype=dtype)


@register()
def float(x: Tensor) -> Tensor:  # noqa: A001 - PyTorch's name
    return to(x, np.float32)


@register()
def double(x: Tensor) -> Tensor:
    return to(x, np.float64)


@register()
def clone(x: Tensor) -> Tensor:
    """A copy that stays in the graph (gradient flows through unchanged)."""
    return Cast.apply(x, dtype=x.dtype)
