"""Reductions: sum, mean, max over ``axis`` (NumPy's name) or ``dim`` (PyTorch's)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor, to_array
from .registry import normalize_axis, register


def _expand(grad_out: np.ndarray, shape: tuple, axis: Any, keepdims: bool) -> np.ndarray:
    """Re-insert reduced axes (size 1) so ``grad_out`` broadcasts against the input."""
    if axis is None or keepdims:
        return grad_out if keepdims else grad_out.reshape((1,) * len(shape))
    return np.expand_dims(grad_out, axis)


def _axis(x: Any, axis: Any, dim: Any) -> Any:
    """The reduction axes; for a 0-d tensor, axis 0 or -1 means the whole (one-element) tensor,
    as in PyTorch (NumPy accepts it for ``sum`` but not for ``mean``)."""
    axis = normalize_axis(axis, dim)
    if axis is None or np.ndim(to_array(x)) != 0:
        return axis
    if any(a not in (0, -1) for a in (axis if isinstance(axis, tuple) else (axis,))):
        raise ValueError(f"axis {axis} is out of range for a 0-d tensor (expected 0 or -1)")
    return None


class Sum(Function):
    """y = Σ x over ``axis``.   dy/dx = 1: the gradient is copied to every summed element."""

    def forward(self, x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        self.shape, self.axis, self.keepdims = x.shape, axis, keepdims
        return np.sum(x, axis=axis, keepdims=keepdims)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return np.broadcast_to(_expand(grad_out, self.shape, self.axis, self.keepdims), self.shape)


class Mean(Function):
    """y = (1/n) Σ x over ``axis``.   dy/dx = 1/n for each of the n averaged elements."""

    def forward(self, x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        self.shape, self.axis, self.keepdims = x.shape, axis, keepdims
        y = np.mean(x, axis=axis, keepdims=keepdims)
        self.count = x.size // np.size(y) if np.size(y) else 0
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad = _expand(grad_out, self.shape, self.axis, self.keepdims) / self.count
        return np.broadcast_to(grad, self.shape)


class Max(Function):
    """y = max x over ``axis``.   dy/dx = 1 at the maximum; ties share it equally (as amax)."""

    def forward(self, x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        self.axis, self.keepdims = axis, keepdims
        y = np.max(x, axis=axis, keepdims=True)
        self.is_max = x == y
        return y if keepdims else (np.squeeze(y, axis=axis) if axis is not None else y.reshape(()))

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad = _expand(grad_out, self.is_max.shape, self.axis, self.keepdims)
        # The count is cast so an integer array does not promote a float32 gradient to float64.
        count = np.sum(self.is_max, axis=self.axis, keepdims=True).astype(grad.dtype)
        return self.is_max * (grad / count)


@register()
def sum(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,  # noqa: A001
        keepdim: bool | None = None) -> Tensor:
    """Sum over ``axis`` (all axes when ``None``)."""
    return Sum.apply(x, axis=_axis(x, axis, dim), keepdims=keepdim or keepdims)


@register()
def mean(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
         keepdim: bool | None = None) -> Tensor:
    """Mean over ``axis`` (all axes when ``None``)."""
    return Mean.apply(x, axis=_axis(x, axis, dim), keepdims=keepdim or keepdims)


@register("amax")
def max(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,  # noqa: A001
        keepdim: bool | None = None) -> Tensor:
    """Maximum over ``axis``; returns values only (like ``torch.amax``), ties share gradient."""
    return Max.apply(x, axis=_axis(x, axis, dim), keepdims=keepdim or keepdims)
