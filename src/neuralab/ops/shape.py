"""Shape ops: reshape, transpose/permute, indexing, concatenate, stack, where.

They move values without changing them, so each backward moves the gradient back.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import parallel
from ..autograd.function import Function
from ..errors import ShapeError
from ..tensor import Tensor, to_array
from .registry import normalize_axis, register


class Reshape(Function):
    """y = x viewed with a new shape.   dy/dx: reshape the gradient back."""

    def forward(self, x: np.ndarray, shape: tuple = ()) -> np.ndarray:
        self.shape = x.shape
        if not x.flags.c_contiguous and x.nbytes >= parallel.MIN_PARALLEL_BYTES:
            # A large strided input (a channels-last activation flattened for a Linear, say)
            # is copied on the threads; reshape may return a copy, as in PyTorch.
            x = parallel.contiguous(x)
        try:
            return x.reshape(shape)
        except ValueError:
            raise ShapeError(
                f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                f"into {shape}"
            ) from None

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out.reshape(self.shape)


class Permute(Function):
    """y = x with its axes reordered by ``axes``.   dy/dx: apply the inverse permutation."""

    def forward(self, x: np.ndarray, axes: tuple = ()) -> np.ndarray:
        self.axes = axes
        return np.transpose(x, axes)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return np.transpose(grad_out, np.argsort(self.axes))


class GetItem(Function):
    """y = x[index].   dy/dx scatters the gradient back; repeated indices add up."""

    def forward(self, x: np.ndarray, index: Any = None) -> np.ndarray:
        self.shape, self.dtype, self.index = x.shape, x.dtype, index
        return x[index]

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad = np.zeros(self.shape, dtype=self.dtype)
        if _is_basic(self.index):
            grad[self.index] = grad_out  # basic slicing never repeats an element
        else:
            np.add.at(grad, self.index, grad_out)  # x[[0, 0]] must count element 0 twice
        return grad


class Concatenate(Function):
    """y = [x1, x2, ...] joined along ``axis``.   dy/dxi: the slice of the gradient xi filled."""

    def forward(self, *arrays: np.ndarray, axis: int = 0) -> np.ndarray:
        self.axis = axis
        try:
            joined = np.concatenate(arrays, axis=axis)
        except ValueError:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ShapeError(f"cat: tensors of shapes {shapes} cannot be joined along dim "
                             f"{axis}: every other dim must match") from None
        except np.exceptions.AxisError:
            raise IndexError(f"cat: dim {axis} is out of range for tensors of "
                             f"{arrays[0].ndim} dims") from None
        self.splits = np.cumsum([a.shape[axis] for a in arrays])[:-1]
        return joined

    def backward(self, grad_out: np.ndarray) -> tuple:
        return tuple(np.split(grad_out, self.splits, axis=self.axis))


class Stack(Function):
    """y = x1, x2, ... stacked along a new ``axis``.   dy/dxi: the i-th slice along it."""

    def forward(self, *arrays: np.ndarray, axis: int = 0) -> np.ndarray:
        self.axis = axis
        try:
            return np.stack(arrays, axis=axis)
        except ValueError:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ShapeError(f"stack expects each tensor to be equal size, but got {shapes}")\
                from None
        except np.exceptions.AxisError:
            raise IndexError(f"stack: dim {axis} is out of range") from None

    def backward(self, grad_out: np.ndarray) -> tuple:
        return tuple(np.moveaxis(grad_out, self.axis, 0))


class Where(Function):
    """y = a where condition else b.   dy/da = condition,  dy/db = not condition."""

    promotes = True

    def forward(self, a: np.ndarray, b: np.ndarray, condition: Any = None) -> np.ndarray:
        self.condition = condition
        return np.where(condition, a, b)

    def backward(self, grad_out: np.ndarray) -> tuple:
        return np.where(self.condition, grad_out, 0), np.where(self.condition, 0, grad_out)


def _is_basic(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice))
               and not isinstance(p, bool) for p in parts)


def unwrap_index(index: Any) -> Any:
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, tuple):
        return tuple(unwrap_index(i) for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


@register()
def reshape(x: Tensor, *shape: Any) -> Tensor:
    """The same values in ``shape`` (one entry may be -1)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return Reshape.apply(x, shape=shape)


@register()
def view(x: Tensor, *shape: Any) -> Tensor:
    return reshape(x, *shape)


@register()
def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes ``start_dim..end_dim`` into one."""
    start, end = start_dim % builtins.max(x.ndim, 1), end_dim % builtins.max(x.ndim, 1)
    merged = int(np.prod(x.shape[start:end + 1]))
    return reshape(x, x.shape[:start] + (merged,) + x.shape[end + 1:])


@register()
def unsqueeze(x: Tensor, dim: int) -> Tensor:
    dim = dim if dim >= 0 else dim + x.ndim + 1
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


@register()
def squeeze(x: Tensor, dim: int | None = None) -> Tensor:
    if dim is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    if x.shape[dim] != 1:
        return x
    return reshape(x, x.shape[:dim] + x.shape[dim % x.ndim + 1:])


@register()
def permute(x: Tensor, *dims: Any) -> Tensor:
    """Reorder axes: ``y.shape[i] == x.shape[dims[i]]``."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    if sorted(d % builtins.max(x.ndim, 1) for d in dims) != list(range(x.ndim)):
        raise ValueError(f"permute: {dims} is not a permutation of the {x.ndim} axes")
    return Permute.apply(x, axes=tuple(d % x.ndim for d in dims))


@register()
def transpose(x: Tensor, dim0: int = -2, dim1: int = -1) -> Tensor:
    """Swap two axes (PyTorch's ``transpose(dim0, dim1)``; the last two by default)."""
    axes = list(range(x.ndim))
    axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
    return Permute.apply(x, axes=tuple(axes))


@register()
def t(x: Tensor) -> Tensor:
    """The transpose of a matrix (a 0-d or 1-d tensor is returned as is), as ``torch.t``."""
    if x.ndim > 2:
        raise ShapeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return transpose(x, 0, 1) if x.ndim == 2 else x


Tensor.T = property(lambda self: Permute.apply(self, axes=tuple(reversed(range(self.ndim)))))
Tensor.mT = property(lambda self: transpose(self, -2, -1))
Tensor.__getitem__ = lambda self, index: GetItem.apply(self, index=unwrap_index(index))


@register("cat", method=False)
def concatenate(tensors: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join tensors along an existing axis."""
    if not tensors:
        raise ValueError("concatenate needs at least one tensor")
    return Concatenate.apply(*tensors, axis=normalize_axis(axis if dim is None else None, dim))


@register(method=False)
def stack(tensors: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join same-shaped tensors along a new axis."""
    if not tensors:
        raise ValueError("stack needs at least one tensor")
    return Stack.apply(*tensors, axis=normalize_axis(axis if dim is None else None, dim))


@register(method=False)
def where(condition: Any, a: Any, b: Any) -> Tensor:
    """``a`` where ``condition`` holds, else ``b`` (condition is not differentiated)."""
    condition = to_array(condition).astype(bool, copy=False)
    return Where.apply(a, b, condition=condition)


@register()
def masked_fill(x: Any, mask: Any, value: Any) -> Tensor:
    """``value`` where ``mask`` is True, else ``x`` (the dtype stays ``x``'s)."""
    mask = to_array(mask)
    if mask.dtype != np.bool_:
        raise TypeError(f"masked_fill only supports boolean masks, but got mask with dtype "
                        f"{mask.dtype}")
    if isinstance(value, Tensor) and value.ndim != 0:
        raise ShapeError(f"masked_fill only supports a 0-dimensional value tensor, but got "
                         f"tensor with {value.ndim} dimension(s)")
    x_tensor = x if isinstance(x, Tensor) else Tensor(x)
    fill = value.to(x_tensor.dtype) if isinstance(value, Tensor) else \
        np.asarray(value).astype(x_tensor.dtype)
    return Where.apply(fill, x_tensor, condition=mask)
