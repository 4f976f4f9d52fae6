"""Reductions: sum, mean, max/min, argmax/argmin over ``dim`` (PyTorch's name) or ``axis``.

``x.max(dim)`` returns ``(values, indices)`` as a named tuple, as in PyTorch; ``x.max()`` and
``x.amax(dim)`` return values only.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from ..autograd.function import Function
from ..errors import DTypeError
from ..tensor import Tensor, to_array
from .registry import OPS, normalize_axis, register


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
        keepdim: bool | None = None, dtype: Any = None) -> Tensor:
    """Sum over ``axis`` (all axes when ``None``); bool and integer tensors sum to int64."""
    if dtype is not None:
        x = x.to(dtype)
    elif isinstance(x, Tensor) and x.dtype.kind in "biu" and x.dtype != np.int64:
        x = x.long()
    return Sum.apply(x, axis=_axis(x, axis, dim), keepdims=keepdim or keepdims)


@register()
def mean(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
         keepdim: bool | None = None, dtype: Any = None) -> Tensor:
    """Mean over ``axis`` (all axes when ``None``); floating tensors only, as in PyTorch."""
    if dtype is not None:
        x = x.to(dtype)
    if isinstance(x, Tensor) and x.dtype.kind != "f":
        raise DTypeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                         f"floating point or complex dtype. Got: {x.dtype} (use x.float())")
    return Mean.apply(x, axis=_axis(x, axis, dim), keepdims=keepdim or keepdims)


class MaxAlongDim(Function):
    """values = x at ``indices`` along ``axis`` (max/min with a dim).   The gradient goes to
    the selected element only (the first one on ties, as the index says)."""

    def forward(self, x: np.ndarray, axis: int = 0, keepdims: bool = False,
                indices: Any = None) -> np.ndarray:
        self.shape, self.axis, self.indices = x.shape, axis, indices
        values = np.take_along_axis(x, indices, axis)
        return values if keepdims else np.squeeze(values, axis)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad = np.zeros(self.shape, dtype=grad_out.dtype)
        if grad_out.ndim < grad.ndim:
            grad_out = np.expand_dims(grad_out, self.axis)
        np.put_along_axis(grad, self.indices, grad_out, self.axis)
        return grad


# PyTorch's torch.return_types.max / .min: a tuple whose fields are named.
max_result = namedtuple("max", ["values", "indices"])
min_result = namedtuple("min", ["values", "indices"])


def _one_dim(x: Tensor, dim: Any, name: str) -> int:
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{name}(dim) takes one dim; use amax/amin for several")
    ndim = max_builtin(x.ndim, 1)
    if not -ndim <= dim < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, "
                         f"{ndim - 1}], but got {dim})")
    return dim % ndim


max_builtin = max


def _extreme(x: Any, dim: Any, keepdim: bool, largest: bool, name: str) -> Any:
    x = x if isinstance(x, Tensor) else Tensor(x)
    if isinstance(dim, Tensor):  # x.max(other): the element-wise maximum, as in PyTorch
        from .registry import OPS

        other = "maximum" if largest else "minimum"
        if other not in OPS:
            raise NotImplementedError(f"{name}(tensor) needs neuralab.{other}")
        return OPS[other](x, dim)
    if dim is None:
        if x.numel() == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                               f"input.numel() == 0.")
        return (amax if largest else amin)(x)
    if x.numel() == 0:
        raise IndexError(f"{name}(): cannot compute over an empty dimension")
    axis = _one_dim(x, dim, name)
    data = x._data if x.ndim else x._data.reshape(1)
    pick = np.argmax if largest else np.argmin
    indices = pick(data, axis=axis, keepdims=True)
    values = MaxAlongDim.apply(x if x.ndim else x.reshape(1), axis=axis,
                               keepdims=keepdim, indices=indices)
    index = indices if keepdim else np.squeeze(indices, axis)
    if x.ndim == 0:
        values, index = values.reshape(()), index.reshape(())
    result = max_result if largest else min_result
    return result(values, Tensor._from_op(index.astype(np.int64), False))


@register()
def max(x: Any, dim: Any = None, keepdim: bool = False, *,  # noqa: A001
        axis: Any = None, keepdims: bool = False) -> Any:
    """Without ``dim``: the largest value (0-d). With ``dim``: ``(values, indices)``, a named
    tuple, as ``torch.max``. With a tensor: the element-wise maximum."""
    return _extreme(x, normalize_axis(axis, dim), keepdim or keepdims, True, "max")


@register()
def min(x: Any, dim: Any = None, keepdim: bool = False, *,  # noqa: A001
        axis: Any = None, keepdims: bool = False) -> Any:
    """Without ``dim``: the smallest value (0-d). With ``dim``: ``(values, indices)``."""
    return _extreme(x, normalize_axis(axis, dim), keepdim or keepdims, False, "min")


@register()
def amax(x: Any, dim: Any = None, keepdim: bool = False, *,
         axis: Any = None, keepdims: bool = False) -> Tensor:
    """Maximum over ``dim`` (all when ``None``, a tuple allowed); values only, ties share
    the gradient."""
    return Max.apply(x, axis=_axis(x, axis, dim), keepdims=keepdim or keepdims)


@register()
def amin(x: Any, dim: Any = None, keepdim: bool = False, *,
         axis: Any = None, keepdims: bool = False) -> Tensor:
    """Minimum over ``dim``; values only, ties share the gradient: amin(x) = −amax(−x)."""
    return -amax(-x if isinstance(x, Tensor) else -Tensor(x), dim, keepdim, axis=axis,
                 keepdims=keepdims)


def _arg(x: Any, dim: Any, keepdim: bool, pick: Any) -> Tensor:
    data = to_array(x)
    if dim is None:
        index = pick(data.reshape(-1))
        return Tensor._from_op(np.asarray(index, dtype=np.int64).reshape(
            (1,) * data.ndim if keepdim else ()), False)
    axis = _one_dim(x if isinstance(x, Tensor) else Tensor(x), dim, pick.__name__)
    if data.ndim == 0:
        return Tensor._from_op(np.zeros((), np.int64), False)
    return Tensor._from_op(pick(data, axis=axis, keepdims=keepdim).astype(np.int64), False)


@register()
def argmax(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
           keepdims: bool = False) -> Tensor:
    """Index of the largest value (over the flattened tensor when ``dim`` is None)."""
    return _arg(x, normalize_axis(axis, dim), keepdim or keepdims, np.argmax)


@register()
def argmin(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
           keepdims: bool = False) -> Tensor:
    """Index of the smallest value (over the flattened tensor when ``dim`` is None)."""
    return _arg(x, normalize_axis(axis, dim), keepdim or keepdims, np.argmin)


def all_(x: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    """True where every element (over ``dim``) is non-zero."""
    return Tensor._from_op(np.asarray(np.all(to_array(x), axis=dim, keepdims=keepdim)), False)


def any_(x: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    """True where some element (over ``dim``) is non-zero."""
    return Tensor._from_op(np.asarray(np.any(to_array(x), axis=dim, keepdims=keepdim)), False)


# Registered by hand: ``all``/``any`` would shadow the builtins this module uses.
for _name, _fn in (("all", all_), ("any", any_)):
    OPS[_name] = _fn
    setattr(Tensor, _name, _fn)
