"""Shape ops: reshape/view, transpose/permute, expand, flip, indexing, gather/scatter,
concatenate, stack, where.

They move values without changing them, so each backward moves the gradient back. Dims are
checked as PyTorch checks them: out of range is an ``IndexError`` naming the valid range, a
bad permutation or shape a ``ShapeError`` (a RuntimeError, as torch raises).
"""

from __future__ import annotations

import builtins
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import parallel
from ..autograd.function import Function
from ..errors import DTypeError, ShapeError
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


class Expand(Function):
    """y = x broadcast to a larger shape (a read-only view, as torch's expanded memory).
    dy/dx: the gradient summed over the stretched dims (the engine's unbroadcast)."""

    def forward(self, x: np.ndarray, shape: tuple = ()) -> np.ndarray:
        return np.broadcast_to(x, shape)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out


class Flip(Function):
    """y = x reversed along ``axes`` (a copy, as in PyTorch).   dy/dx: flip the gradient back."""

    def forward(self, x: np.ndarray, axes: tuple = ()) -> np.ndarray:
        self.axes = axes
        return np.flip(x, axes).copy()

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return np.flip(grad_out, self.axes)


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


def _along(index: np.ndarray, axis: int) -> tuple:
    """The NumPy index of ``gather``/``scatter``: element ``i`` of ``index`` names position
    ``index[i]`` along ``axis`` and its own position along every other dim (``index`` and the
    tensors are at least 1-d here)."""
    parts = []
    for d, n in enumerate(index.shape):
        if d == axis:
            parts.append(index)
        else:
            shape = [1] * index.ndim
            shape[d] = n
            parts.append(np.arange(n).reshape(shape))
    return tuple(parts)


def _flat(array: np.ndarray) -> np.ndarray:
    """A 0-d array as 1-d (gather/scatter treat a 0-d tensor or index as one element)."""
    return array.reshape(array.shape or (1,))


class Gather(Function):
    """y[i] = x[i with i[axis] replaced by index[i]].   dy/dx: the gradient added back at the
    gathered positions (repeated indices add up). The index is an input without gradient, so
    changing it in place before backward raises, as in PyTorch."""

    def forward(self, x: np.ndarray, index: np.ndarray, axis: int = 0) -> np.ndarray:
        self.shape, self.index, self.axis = x.shape, index, axis
        return _flat(x)[_along(_flat(index), axis)].reshape(index.shape)

    def backward(self, grad_out: np.ndarray) -> tuple:
        index = _flat(self.index)
        grad = np.zeros(self.shape or (1,), dtype=grad_out.dtype)
        np.add.at(grad, _along(index, self.axis), grad_out.reshape(index.shape))
        return grad.reshape(self.shape), None


class Scatter(Function):
    """y = x with y[i with i[axis] replaced by index[i]] = src[i] (``scatter``; with
    ``add``, ``scatter_add``: the values are added, repeated indices accumulating).
    dy/dx: 1 where nothing was written (everywhere for ``scatter_add``);
    dy/dsrc: the gradient gathered at the written positions (0 for src elements beyond
    index's shape), as torch's ``grad.gather(dim, index)``."""

    def forward(self, x: np.ndarray, src: np.ndarray, index: np.ndarray, axis: int = 0,
                add: bool = False) -> np.ndarray:
        self.add, self.src_shape, self.index, self.axis = add, src.shape, index, axis
        where = _along(_flat(index), axis)
        values = _flat(src)[_written(index)]
        y = x.copy()
        if add:
            np.add.at(_flat(y), where, values)
        else:
            _flat(y)[where] = values
        return y

    def backward(self, grad_out: np.ndarray) -> tuple:
        need_x, need_src, _ = self.needs_input_grad
        where = _along(_flat(self.index), self.axis)
        grad_x = None
        if need_x:
            if self.add:
                grad_x = grad_out
            else:
                grad_x = grad_out.copy()
                _flat(grad_x)[where] = 0
        grad_src = None
        if need_src:
            grad_src = np.zeros(self.src_shape or (1,), dtype=grad_out.dtype)
            grad_src[_written(self.index)] = _flat(grad_out)[where]
            grad_src = grad_src.reshape(self.src_shape)
        return grad_x, grad_src, None

    def name(self) -> str:
        return "ScatterAddBackward0" if self.__dict__.get("add") else "ScatterBackward0"


def _written(index: np.ndarray) -> tuple:
    """The part of src that scatter writes: its leading block of index's shape."""
    return tuple(slice(0, n) for n in _flat(index).shape)


class ScatterValue(Function):
    """y = x with ``value`` written at the positions ``index`` names.   dy/dx: 1 elsewhere."""

    def forward(self, x: np.ndarray, index: np.ndarray, value: Any = None,
                axis: int = 0) -> np.ndarray:
        self.index, self.axis = index, axis
        y = x.copy()
        _flat(y)[_along(_flat(index), axis)] = value
        return y

    def backward(self, grad_out: np.ndarray) -> tuple:
        grad = grad_out.copy()
        _flat(grad)[_along(_flat(self.index), self.axis)] = 0
        return grad, None

    def name(self) -> str:
        return "ScatterBackward1"


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


def wrap_dim(dim: Any, ndim: int, name: str = "") -> int:
    """``dim`` as a non-negative axis of a tensor with ``ndim`` dims; a 0-d tensor has the one
    dim 0 (or -1), as in PyTorch. Out of range: PyTorch's ``IndexError``."""
    if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)):
        where = f"{name}(): " if name else ""
        raise TypeError(f"{where}argument 'dim' must be an int or a tuple of ints, not "
                        f"{type(dim).__name__}")
    rank = builtins.max(ndim, 1)
    if not -rank <= dim < rank:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-rank}, "
                         f"{rank - 1}], but got {dim})")
    return int(dim) % rank


def _dim_list(dims: tuple, ndim: int, name: str) -> tuple[int, ...]:
    """Several dims (varargs or one tuple/list), wrapped; a repeated dim is refused."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    axes = tuple(wrap_dim(d, ndim, name) for d in dims)
    for i, axis in enumerate(axes):
        if axis in axes[:i]:
            raise ShapeError(f"dim {axis} appears multiple times in the list of dims")
    return axes


def _sizes(shape: tuple, name: str) -> tuple:
    """``shape`` given as ints or as one tuple/list/Size, each entry an integer."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    sizes = []
    for n in shape:
        if isinstance(n, (bool, np.bool_)) or not hasattr(n, "__index__"):
            raise TypeError(f"{name}(): argument 'size' must be a tuple of ints, but found "
                            f"element of type {type(n).__name__}")
        sizes.append(operator.index(n))
    return tuple(sizes)


def _check_shape(x: Tensor, shape: tuple) -> None:
    """PyTorch's checks of a target shape: one -1 at most, no other negative size, the same
    number of elements."""
    listed = list(shape)
    if listed.count(-1) > 1:
        raise ShapeError("only one dimension can be inferred")
    for i, n in enumerate(shape):
        if n < -1:
            raise ShapeError(f"invalid shape dimension {n} at index {i} of shape {listed}")
    known = int(np.prod([n for n in shape if n != -1]))
    if -1 in shape:
        if known == 0:
            if x.numel() == 0:
                raise ShapeError(f"cannot reshape tensor of 0 elements into shape {listed} "
                                 f"because the unspecified dimension size -1 can be any value "
                                 f"and is ambiguous")
            ok = False
        else:
            ok = x.numel() % known == 0
    else:
        ok = known == x.numel()
    if not ok:
        raise ShapeError(f"shape '{listed}' is invalid for input of size {x.numel()}: cannot "
                         f"reshape a tensor of shape {x.shape} into {shape}")


@register()
def reshape(x: Tensor, *shape: Any) -> Tensor:
    """The same values in ``shape`` (one entry may be -1)."""
    shape = _sizes(shape, "reshape")
    _check_shape(x, shape)
    return Reshape.apply(x, shape=shape)


@register()
def view(x: Tensor, *shape: Any) -> Tensor:
    """``reshape``: a view where the memory allows it, else a copy. (PyTorch's view refuses
    memory it cannot view; neuralab's tensors are laid out differently from torch's — a conv's
    output is a view of channels-last memory — so refusing would reject code torch runs.)"""
    return reshape(x, *shape)


@register()
def view_as(x: Tensor, other: Tensor) -> Tensor:
    """``x.view(other.shape)``."""
    return view(x, _other(other, "view_as").shape)


@register()
def reshape_as(x: Tensor, other: Tensor) -> Tensor:
    """``x.reshape(other.shape)``."""
    return reshape(x, _other(other, "reshape_as").shape)


def _other(other: Any, name: str) -> Tensor:
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(other).__name__}")
    return other


@register()
def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes ``start_dim..end_dim`` into one (a 0-d tensor becomes 1-d)."""
    start, end = wrap_dim(start_dim, x.ndim, "flatten"), wrap_dim(end_dim, x.ndim, "flatten")
    if start > end:
        raise ShapeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if x.ndim == 0:
        return reshape(x, (1,))
    merged = int(np.prod(x.shape[start:end + 1]))
    return reshape(x, x.shape[:start] + (merged,) + x.shape[end + 1:])


@register()
def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """A new axis of size 1 at ``dim`` (in ``[-ndim - 1, ndim]``)."""
    dim = wrap_dim(dim, x.ndim + 1, "unsqueeze")
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


@register()
def squeeze(x: Tensor, dim: Any = None) -> Tensor:
    """Drop axes of size 1: all of them, or those among ``dim`` (an int or a tuple)."""
    if dim is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    axes = _dim_list((dim,), x.ndim, "squeeze")
    if x.ndim == 0:
        return reshape(x, ())
    return reshape(x, tuple(n for d, n in enumerate(x.shape) if not (d in axes and n == 1)))


@register()
def permute(x: Tensor, *dims: Any) -> Tensor:
    """Reorder axes: ``y.shape[i] == x.shape[dims[i]]``."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    if len(dims) != x.ndim:
        raise ShapeError(f"permute(): number of dimensions in the tensor input does not match "
                         f"the length of the desired ordering of dimensions i.e. input.dim() = "
                         f"{x.ndim} is not equal to len(dims) = {len(dims)}")
    axes = tuple(wrap_dim(d, x.ndim, "permute") for d in dims)
    if len(set(axes)) != len(axes):
        raise ShapeError(f"permute(): duplicate dims are not allowed (got {dims})")
    return Permute.apply(x, axes=axes)


@register()
def transpose(x: Tensor, dim0: int = -2, dim1: int = -1) -> Tensor:
    """Swap two axes (PyTorch's ``transpose(dim0, dim1)``; the last two by default)."""
    a, b = wrap_dim(dim0, x.ndim, "transpose"), wrap_dim(dim1, x.ndim, "transpose")
    axes = list(range(x.ndim))
    if x.ndim:
        axes[a], axes[b] = axes[b], axes[a]
    return Permute.apply(x, axes=tuple(axes))


@register()
def t(x: Tensor) -> Tensor:
    """The transpose of a matrix (a 0-d or 1-d tensor is returned as is), as ``torch.t``."""
    if x.ndim > 2:
        raise ShapeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return transpose(x, 0, 1) if x.ndim == 2 else x


@register()
def expand(x: Tensor, *sizes: Any) -> Tensor:
    """A view of ``x`` with its size-1 dims repeated (and new leading dims) to ``sizes``;
    -1 keeps a dim. Read-only, as torch's (its elements share memory)."""
    sizes = _sizes(sizes, "expand")
    listed = list(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ShapeError(f"expand(neuralab.{_type_name(x)}{{{list(x.shape)}}}, size={listed}): "
                         f"the number of sizes provided ({len(sizes)}) must be greater or "
                         f"equal to the number of dimensions in the tensor ({x.ndim})")
    shape = []
    for i, n in enumerate(sizes):
        if i < lead:
            if n < 0:
                raise ShapeError(f"The expanded size of the tensor ({n}) isn't allowed in a "
                                 f"leading, non-existing dimension {i}")
            shape.append(n)
            continue
        have = x.shape[i - lead]
        if n == -1:
            n = have
        elif n < 0:
            raise ShapeError(f"expand: invalid size {n} at dim {i} of {listed}")
        if have != n and have != 1:
            raise ShapeError(f"The expanded size of the tensor ({n}) must match the existing "
                             f"size ({have}) at non-singleton dimension {i}.  Target sizes: "
                             f"{listed}.  Tensor sizes: {list(x.shape)}")
        shape.append(n)
    return Expand.apply(x, shape=tuple(shape))


@register()
def expand_as(x: Tensor, other: Tensor) -> Tensor:
    """``x.expand(other.shape)``."""
    return expand(x, _other(other, "expand_as").shape)


@register()
def flip(x: Tensor, *dims: Any) -> Tensor:
    """``x`` reversed along ``dims`` (a copy, as ``torch.flip``)."""
    if not dims:
        raise TypeError("flip() missing 1 required positional arguments: \"dims\"")
    axes = _dim_list(dims, x.ndim, "flip")
    return Flip.apply(x, axes=() if x.ndim == 0 else axes)


def _type_name(x: Tensor) -> str:
    from ..dtypes import torch_name

    return f"{torch_name(x.dtype)}Tensor"


# ------------------------------------------------------------------------ gather, scatter


def _index(index: Any, name: str) -> Tensor:
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' (position 2) must be Tensor, not "
                        f"{type(index).__name__}")
    if index.dtype not in (np.int32, np.int64):
        raise DTypeError(f"{name}(): Expected dtype int32/int64 for index (got "
                         f"{index.dtype})")
    return index


class IndexBoundsError(IndexError, RuntimeError):
    """An index entry outside its dim: PyTorch raises RuntimeError for gather/scatter."""


def _check_index(x: Tensor, axis: int, index: np.ndarray, src: Tensor | None,
                 name: str) -> None:
    """PyTorch's checks of ``gather``/``scatter``'s index (a 0-d tensor counts as 1-d): as many
    dims as ``x`` (and ``src``), no larger than ``x`` apart from ``axis`` (and than ``src``),
    every entry in ``[0, size)``."""
    rank = builtins.max(x.ndim, 1)
    what = "input" if name == "gather" else "self"
    if builtins.max(index.ndim, 1) != rank:
        raise ShapeError(f"Index tensor must have the same number of dimensions as {what} "
                         f"tensor")
    if src is not None and builtins.max(src.ndim, 1) != rank:
        raise ShapeError("Index tensor must have the same number of dimensions as src tensor")
    x_shape, i_shape = x.shape or (1,), index.shape or (1,)
    s_shape = None if src is None else src.shape or (1,)
    for d in range(rank):
        too_big = d != axis and i_shape[d] > x_shape[d]
        if src is not None and (too_big or i_shape[d] > s_shape[d]):
            raise ShapeError(f"Expected index {list(i_shape)} to be no larger than self "
                             f"{list(x_shape)} apart from dimension {axis} and to be no larger "
                             f"size than src {list(s_shape)}")
        if too_big and name == "gather":
            raise ShapeError(f"Size does not match at dimension {d} expected index "
                             f"{list(i_shape)} to be no larger than input {list(x_shape)} apart "
                             f"from dimension {axis}")
        if too_big:
            raise ShapeError(f"Expected index {list(i_shape)} to be no larger than self "
                             f"{list(x_shape)} apart from dimension {axis}")
    if index.size:
        bad = (index < 0) | (index >= x_shape[axis])
        if bad.any():
            raise IndexBoundsError(f"index {index[bad].flat[0]} is out of bounds for dimension "
                             f"{axis} with size {x_shape[axis]}")


@register()
def gather(x: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """``y[i][j] = x[index[i][j]][j]`` for ``dim=0`` (the index picks along ``dim``, every
    other position stays); ``y`` has ``index``'s shape."""
    if sparse_grad:
        raise NotImplementedError("gather(sparse_grad=True): neuralab has no sparse gradients")
    axis = wrap_dim(dim, x.ndim, "gather")
    index = _index(index, "gather")
    _check_index(x, axis, index._data, None, "gather")
    return Gather.apply(x, index, axis=axis)


_NO_VALUE = object()


@register()
def scatter(x: Tensor, dim: int, index: Tensor, src: Any = _NO_VALUE, *,
            value: Any = _NO_VALUE, reduce: str | None = None) -> Tensor:
    """A copy of ``x`` with ``src[i][j]`` written at ``[index[i][j]][j]`` (``dim=0``), or the
    number ``value`` at every position ``index`` names (``x.scatter(0, i, 1.0)`` or
    ``value=1``). Repeated positions keep one of the values, as in PyTorch."""
    if reduce is not None:
        raise NotImplementedError("scatter(reduce=...) is not supported (torch deprecates it); "
                                  "use scatter_add, or scatter into a copy and combine")
    if (src is _NO_VALUE) == (value is _NO_VALUE):
        raise TypeError("scatter() expects either src (a Tensor) or value (a number), as "
                        "scatter(dim, index, src) or scatter(dim, index, value)")
    if src is _NO_VALUE:
        src = value
    axis = wrap_dim(dim, x.ndim, "scatter")
    index = _index(index, "scatter")
    if isinstance(src, Tensor):
        _check_src(x, src, "scatter")
        _check_index(x, axis, index._data, src, "scatter")
        return Scatter.apply(x, src, index, axis=axis)
    if not isinstance(src, (bool, int, float, np.bool_, np.integer, np.floating)):
        raise TypeError(f"scatter(): argument 'src' must be Tensor or 'value' a number, not "
                        f"{type(src).__name__}")
    _check_index(x, axis, index._data, None, "scatter")
    return ScatterValue.apply(x, index, value=np.asarray(src).astype(x.dtype), axis=axis)


@register()
def scatter_add(x: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of ``x`` with ``src[i][j]`` added at ``[index[i][j]][j]`` (``dim=0``); repeated
    positions add up."""
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' (position 3) must be Tensor, not "
                        f"{type(src).__name__}")
    axis = wrap_dim(dim, x.ndim, "scatter_add")
    index = _index(index, "scatter_add")
    _check_src(x, src, "scatter")
    _check_index(x, axis, index._data, src, "scatter_add")
    return Scatter.apply(x, src, index, axis=axis, add=True)


def _check_src(x: Tensor, src: Tensor, name: str) -> None:
    if src.dtype != x.dtype:
        raise DTypeError(f"{name}(): Expected self.dtype to be equal to src.dtype (self is "
                         f"{x.dtype}, src {src.dtype})")


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


# ---------------------------------------------- repeat, index_select, split, roll, triangles


def _int_arg(value: Any, name: str, arg: str, position: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not hasattr(value, "__index__"):
        raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be int, not "
                        f"{type(value).__name__}")
    return operator.index(value)


class Repeat(Function):
    """y = x tiled ``sizes[i]`` times along each dim (extra sizes add leading dims), as
    ``np.tile``.   dy/dx: the gradient summed over the copies."""

    def forward(self, x: np.ndarray, sizes: tuple = ()) -> np.ndarray:
        self.shape, self.sizes = x.shape, sizes
        return np.tile(x.reshape((1,) * (len(sizes) - x.ndim) + x.shape), sizes)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        full = (1,) * (len(self.sizes) - len(self.shape)) + self.shape
        split = [n for pair in zip(self.sizes, full) for n in pair]
        copies = tuple(range(0, 2 * len(full), 2))
        return grad_out.reshape(split).sum(axis=copies).reshape(self.shape)


@register()
def repeat(x: Tensor, *sizes: Any) -> Tensor:
    """``x`` tiled ``sizes[i]`` times along dim i (``torch.Tensor.repeat``; a copy). There
    must be at least as many sizes as dims; extra ones add leading dims."""
    if not sizes:
        raise TypeError("repeat() missing 1 required positional arguments: \"repeats\"")
    sizes = _sizes(sizes, "repeat")
    if len(sizes) < x.ndim:
        raise ShapeError("Number of dimensions of repeat dims can not be smaller than number "
                         "of dimensions of tensor")
    shape = tuple(r * n for r, n in zip(sizes, (1,) * (len(sizes) - x.ndim) + x.shape))
    for n in shape:
        if n < 0:
            raise ShapeError(f"Trying to create tensor with negative dimension {n}: "
                             f"{list(shape)}")
    return Repeat.apply(x, sizes=sizes)


class IndexSelect(Function):
    """y = x at positions ``index`` along ``axis`` (``index_select``, ``repeat_interleave``).
    dy/dx: the gradient added back at those positions (repeated positions add up)."""

    def forward(self, x: np.ndarray, index: Any = None, axis: int = 0) -> np.ndarray:
        self.shape, self.index, self.axis = x.shape, index, axis
        return np.take(x, index, axis=axis)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad = np.zeros(self.shape, dtype=grad_out.dtype)
        np.add.at(np.moveaxis(grad, self.axis, 0), self.index,
                  np.moveaxis(grad_out, self.axis, 0))
        return grad


@register()
def index_select(x: Tensor, dim: int, index: Tensor) -> Tensor:
    """The entries of ``x`` at ``index`` (a 1-D or 0-d int64/int32 tensor) along ``dim``;
    repeats are allowed and their gradients add up."""
    axis = wrap_dim(dim, x.ndim, "index_select")
    if not isinstance(index, Tensor):
        raise TypeError(f"index_select(): argument 'index' (position 2) must be Tensor, not "
                        f"{type(index).__name__}")
    if index.dtype not in (np.int32, np.int64):
        raise DTypeError("index_select(): Expected dtype int32 or int64 for index")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    positions = index._data.reshape(-1).astype(np.int64)
    size = x.shape[axis] if x.ndim else 1
    bad = (positions < 0) | (positions >= size)
    if bad.any():
        raise IndexBoundsError(f"index_select(): index {positions[bad][0]} is out of range "
                               f"for dimension {axis} with size {size}")
    if x.ndim == 0:
        if positions.size != 1:
            raise ShapeError(f"index_select(): Index to scalar can have only 1 value, got "
                             f"{positions.size} value(s)")
        return IndexSelect.apply(x.reshape(1), index=positions, axis=0).reshape(())
    return IndexSelect.apply(x, index=positions, axis=axis)


@register()
def repeat_interleave(x: Tensor, repeats: Any = None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Each element repeated ``repeats`` times along ``dim`` (the flattened tensor when None);
    ``repeats`` is an int or a 0-d/1-d integer tensor (one count per element, or one count for
    all). ``repeat_interleave(counts)`` alone gives ``arange(len(counts))`` repeated."""
    if repeats is None:  # torch.repeat_interleave(repeats): the indices
        counts = x
        if counts.ndim != 1:
            raise ShapeError("repeat_interleave only accept 1D vector as repeat")
        return repeat_interleave(Tensor(np.arange(counts.shape[0], dtype=np.int64)), counts, 0,
                                 output_size=output_size)
    if dim is None:
        x, axis = x.reshape(-1), 0
    else:
        axis = wrap_dim(dim, x.ndim, "repeat_interleave")
        if x.ndim == 0:
            x = x.reshape(1)
    size = x.shape[axis]
    if isinstance(repeats, Tensor):
        if repeats.dtype not in (np.int32, np.int64):
            raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for "
                                      f"'{_type_name(repeats)[:-6]}'")
        if repeats.ndim > 1:
            raise ShapeError("repeats must be 0-dim or 1-dim tensor")
        counts = repeats._data.reshape(-1).astype(np.int64)
        if counts.size not in (1, size):
            raise ShapeError(f"repeats must have the same size as input along dim, but got "
                             f"repeats.size(0) = {counts.size} and input.size({axis}) = {size}")
        if (counts < 0).any():
            raise ShapeError("repeats can not be negative")
    else:
        counts = np.array([_int_arg(repeats, "repeat_interleave", "repeats", 1)])
        if counts[0] < 0:
            raise ShapeError("Repeats must be non-negative")
    positions = np.repeat(np.arange(size), np.broadcast_to(counts, (size,)))
    if output_size is not None and output_size != positions.size:
        raise ShapeError(f"repeat_interleave: output_size {output_size} does not match the "
                         f"total number of repeats {positions.size}")
    return IndexSelect.apply(x, index=positions, axis=axis)


def _piece(x: Tensor, axis: int, start: int, stop: int) -> Tensor:
    return GetItem.apply(x, index=(slice(None),) * axis + (slice(start, stop),))


@register()
def split(x: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple:
    """Views of ``x`` along ``dim``: pieces of ``split_size_or_sections`` entries (the last
    one shorter), or of the listed sizes, which must add up to the dim's size. Gradients flow
    back from every piece."""
    if x.ndim == 0:
        raise ShapeError("split expects at least a 1-dimensional tensor")
    axis = wrap_dim(dim, x.ndim, "split")
    n = x.shape[axis]
    if isinstance(split_size_or_sections, (tuple, list)):
        sections = _sizes((split_size_or_sections,), "split_with_sizes")
        if builtins.any(s < 0 for s in sections):
            raise ShapeError(f"split_with_sizes expects split_sizes have only non-negative "
                             f"entries, but got split_sizes={list(sections)}")
        if builtins.sum(sections) != n:
            raise ShapeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                             f"(input tensor's size at dimension {axis}), but got "
                             f"split_sizes={list(sections)}")
    else:
        if isinstance(split_size_or_sections, (bool, np.bool_)) or \
                not hasattr(split_size_or_sections, "__index__"):
            raise TypeError(f"split_with_sizes(): argument 'split_sizes' (position 2) must be "
                            f"tuple of ints, not {type(split_size_or_sections).__name__}")
        size = operator.index(split_size_or_sections)
        if size < 0:
            raise ShapeError(f"split expects split_size be non-negative, but got "
                             f"split_size={size}")
        if size == 0 and n != 0:
            raise ShapeError(f"split_size can only be 0 if dimension size is 0, but got "
                             f"dimension size of {n}")
        count = builtins.max(-(-n // size), 1) if size else 1
        sections = tuple(builtins.min(size, n - i * size) for i in range(count))
    starts = np.concatenate([[0], np.cumsum(sections)]).astype(int)
    return tuple(_piece(x, axis, int(a), int(b)) for a, b in zip(starts[:-1], starts[1:]))


@register()
def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple:
    """``x`` split into ``chunks`` views of ``ceil(size / chunks)`` entries along ``dim``
    (fewer when the size does not allow as many), as ``torch.chunk``."""
    chunks = _int_arg(chunks, "chunk", "chunks", 1)
    if x.ndim == 0:
        raise ShapeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise ShapeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    axis = wrap_dim(dim, x.ndim, "chunk")
    n = x.shape[axis]
    if n == 0:
        return tuple(_piece(x, axis, 0, 0) for _ in range(chunks))
    return split(x, -(-n // chunks), axis)


class Roll(Function):
    """y = x shifted cyclically by ``shifts`` along ``axes``.   dy/dx: rolled back."""

    def forward(self, x: np.ndarray, shifts: tuple = (), axes: tuple = ()) -> np.ndarray:
        self.shifts, self.axes = shifts, axes
        return np.roll(x, shifts, axes)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return np.roll(grad_out, tuple(-s for s in self.shifts), self.axes)


@register()
def roll(x: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """``x`` shifted cyclically: by ``shifts[i]`` along ``dims[i]``, or the flattened tensor
    by ``shifts`` when ``dims`` is None (then restored to its shape)."""
    shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
    shifts = tuple(_int_arg(s, "roll", "shifts", 2) for s in shifts)
    dim_list = () if dims is None else tuple(dims) if isinstance(dims, (tuple, list)) \
        else (dims,)
    if not shifts:
        raise ShapeError("`shifts` required")
    if dims is None and len(shifts) == 1:
        return Roll.apply(x.reshape(-1), shifts=shifts, axes=(0,)).reshape(x.shape)
    if len(shifts) != len(dim_list):
        raise ShapeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:"
                         f"{len(dim_list)}")
    if x.ndim == 0:
        raise IndexError(f"Dimension specified as {dim_list[0]} but tensor has no dimensions")
    axes = tuple(wrap_dim(d, x.ndim, "roll") for d in dim_list)
    return Roll.apply(x, shifts=shifts, axes=axes)


@register()
def unflatten(x: Tensor, dim: int, sizes: Any) -> Tensor:
    """Dim ``dim`` split into several of ``sizes`` (one may be -1), as ``torch.unflatten``."""
    if not isinstance(sizes, (tuple, list)):
        raise TypeError(f"unflatten(): argument 'sizes' (position 2) must be tuple of ints, "
                        f"not {type(sizes).__name__}")
    sizes = _sizes((tuple(sizes),), "unflatten")
    if x.ndim == 0:
        raise ShapeError(f"unflatten got an unexpected error: Dimension specified as {dim} but "
                         f"tensor has no dimensions")
    axis = wrap_dim(dim, x.ndim, "unflatten")
    if not sizes:
        raise ShapeError("unflatten: sizes must be non-empty")
    if list(sizes).count(-1) > 1:
        raise ShapeError("unflatten got an unexpected error: only one dimension can be "
                         "inferred")
    n = x.shape[axis]
    known = int(np.prod([s for s in sizes if s != -1]))
    fits = (n % known == 0 if known else False) if -1 in sizes else known == n
    if not fits:
        raise ShapeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                         f"size of dim {axis} ({n}) in the input tensor")
    if -1 in sizes:
        sizes = tuple(n // known if s == -1 else s for s in sizes)
    return reshape(x, x.shape[:axis] + sizes + x.shape[axis + 1:])


class Triangle(Function):
    """y = x with the entries above (``tril``) or below (``triu``) diagonal ``k`` of the last
    two dims set to 0.   dy/dx: the same mask applied to the gradient."""

    def forward(self, x: np.ndarray, k: int = 0, lower: bool = True) -> np.ndarray:
        self.k, self.lower = k, lower
        return (np.tril if lower else np.triu)(x, k)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return (np.tril if self.lower else np.triu)(grad_out, self.k)

    def name(self) -> str:
        return "TrilBackward0" if self.__dict__.get("lower", True) else "TriuBackward0"


def _triangle(x: Tensor, diagonal: Any, lower: bool) -> Tensor:
    name = "tril" if lower else "triu"
    k = _int_arg(diagonal, name, "diagonal", 1)
    if x.ndim < 2:
        raise ShapeError(f"{name}: input tensor must have at least 2 dimensions")
    return Triangle.apply(x, k=k, lower=lower)


@register()
def tril(x: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of (each matrix of) ``x``: entries with column − row <= diagonal."""
    return _triangle(x, diagonal, True)


@register()
def triu(x: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of (each matrix of) ``x``: entries with column − row >= diagonal."""
    return _triangle(x, diagonal, False)


class Diagonal(Function):
    """y = the entries x[..., i, i + offset] of dims ``axis1``, ``axis2`` (removed; the
    diagonal becomes the last dim), a read-only view.   dy/dx: the gradient written on that
    diagonal of zeros."""

    def forward(self, x: np.ndarray, offset: int = 0, axis1: int = 0,
                axis2: int = 1) -> np.ndarray:
        self.shape, self.offset, self.axis1, self.axis2 = x.shape, offset, axis1, axis2
        diagonal = np.diagonal(x, offset, axis1, axis2)
        # a writable view, as torch's (x.diagonal().fill_(0) writes into x): NumPy's is
        # read-only, so the same elements are viewed again through strides
        moved = np.moveaxis(x, (axis1, axis2), (-2, -1))
        corner = moved[..., builtins.max(-offset, 0):, builtins.max(offset, 0):]
        if diagonal.size == 0 or not x.flags.writeable:
            return diagonal
        return np.lib.stride_tricks.as_strided(
            corner, diagonal.shape, corner.strides[:-2] + (sum(corner.strides[-2:]),))

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad = np.zeros(self.shape, dtype=grad_out.dtype)
        moved = np.moveaxis(grad, (self.axis1, self.axis2), (-2, -1))
        i = np.arange(grad_out.shape[-1])
        moved[..., i + builtins.max(-self.offset, 0), i + builtins.max(self.offset, 0)] = grad_out
        return grad


@register()
def diagonal(x: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal ``offset`` (above the main one when > 0) of the matrices on dims ``dim1``
    and ``dim2``, appended as the last dim (a view, as ``torch.diagonal``)."""
    offset = _int_arg(offset, "diagonal", "offset", 1)
    a, b = wrap_dim(dim1, x.ndim, "diagonal"), wrap_dim(dim2, x.ndim, "diagonal")
    if a == b:
        raise ShapeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(x, offset=offset, axis1=a, axis2=b)


# ------------------------------------------------------------------------ pad, one_hot


class Pad(Function):
    """y = x padded dim by dim: along each padded dim, output position j holds input position
    ``index[j]``, or ``value`` where ``index[j]`` is −1 (constant mode; reflect, replicate
    and circular name input positions everywhere; negative pads crop).
    dy/dx: the gradient added back at the positions each output position came from."""

    def forward(self, x: np.ndarray, plan: tuple = (), value: Any = 0) -> np.ndarray:
        self.plan, self.shapes = plan, []
        y = x
        for axis, index in plan:
            self.shapes.append(y.shape)
            shape = list(y.shape)
            shape[axis] = index.size
            out = np.empty(shape, dtype=x.dtype)
            moved, source = np.moveaxis(out, axis, 0), np.moveaxis(y, axis, 0)
            kept = index >= 0
            moved[~kept] = value
            moved[kept] = source[index[kept]]
            y = out
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad = grad_out
        for (axis, index), shape in zip(reversed(self.plan), reversed(self.shapes)):
            back = np.zeros(shape, dtype=grad_out.dtype)
            kept = index >= 0
            np.add.at(np.moveaxis(back, axis, 0), index[kept],
                      np.moveaxis(grad, axis, 0)[kept])
            grad = back
        return grad

    def name(self) -> str:
        return "PadBackward0"


_NP_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _pad_index(n: int, before: int, after: int, mode: str) -> np.ndarray:
    """For one dim of size ``n``: the input position of each output position (−1: the
    constant value); positive pads extend, negative pads crop, as torch."""
    positions = np.arange(builtins.max(-before, 0), n - builtins.max(-after, 0))  # cropped
    grow = (builtins.max(before, 0), builtins.max(after, 0))
    if mode == "constant":
        return np.concatenate([np.full(grow[0], -1), positions, np.full(grow[1], -1)])
    return np.pad(positions, grow, mode=_NP_PAD_MODES[mode])  # from the cropped dim, as torch


def _check_non_constant_pad(x: Tensor, pads: list, mode: str) -> None:
    """torch's rules for reflect/replicate/circular: 1, 2 or 3 padded dims on an input with
    one or two more dims (channels, and optionally the batch), none of them empty but the
    batch; reflect pads below the size, circular pads at most the size."""
    k = len(pads)
    if k not in (1, 2, 3) or x.ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {2 * k} is not supported for {x.ndim}D input tensor.\nSupported "
            f"combinations for non-constant padding:\n  - 2D or 3D input: padding size = 2 "
            f"(pads last dimension)\n  - 3D or 4D input: padding size = 4 (pads last 2 "
            f"dimensions)\n  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    first = 1 if x.ndim == k + 2 else 0
    if builtins.any(n == 0 for n in x.shape[first:]):
        raise ShapeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 "
                         f"batch size and other non-zero dimensions for input, but got: "
                         f"{list(x.shape)}")
    for i, (before, after) in enumerate(pads):
        axis = x.ndim - 1 - i
        n = x.shape[axis]
        if mode == "reflect" and (before >= n or after >= n):
            raise ShapeError(f"Argument #4: Padding size should be less than the corresponding "
                             f"input dimension, but got: padding ({before}, {after}) at "
                             f"dimension {axis} of input {list(x.shape)}")
        if mode == "circular" and (before > n or after > n):
            raise ShapeError("Padding value causes wrapping around more than once.")


@register(method=False)
def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",  # noqa: A002
        value: float | None = None) -> Tensor:
    """``F.pad``: ``pad`` lists (before, after) pairs from the last dim backwards —
    ``(left, right, top, bottom, ...)``; negative values crop. ``mode``: 'constant' (with
    ``value``, 0 by default), 'reflect', 'replicate' or 'circular' (on the last 1–3 dims of a
    batched or unbatched input, as torch)."""
    x = input
    if not isinstance(pad, (tuple, list)):
        raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, not "
                        f"{type(pad).__name__}")
    for i, p in enumerate(pad):
        if isinstance(p, (bool, np.bool_)) or not hasattr(p, "__index__"):
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but "
                            f"found element of type {type(p).__name__} at pos {i}")
    flat = [operator.index(p) for p in pad]
    if len(flat) % 2:
        raise ShapeError("Padding length must be divisible by 2")
    if len(flat) // 2 > x.ndim:
        raise ShapeError(f"Padding length should be less than or equal to two times the input "
                         f"dimension but got padding length {len(flat)} and input of dimension "
                         f"{x.ndim}")
    pairs = [(flat[2 * i], flat[2 * i + 1]) for i in range(len(flat) // 2)]
    if mode not in ("constant", *_NP_PAD_MODES):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode != "constant":
        if value is not None and value != 0:
            raise ShapeError(f"Padding mode \"{mode}\" doesn't take in value argument")
        _check_non_constant_pad(x, pairs, mode)
    plan = []
    for i, (before, after) in enumerate(pairs):
        axis = x.ndim - 1 - i
        n = x.shape[axis]
        if n + before + after < 0:
            raise ShapeError(f"The input size {n}, plus negative padding {before} and {after} "
                             f"resulted in a negative output size, which is invalid. Check "
                             f"dimension {axis} of your input. (narrow(): length must be "
                             f"non-negative.)")
        if before or after:
            plan.append((axis, _pad_index(n, before, after, mode)))
    fill = np.asarray(0 if value is None else value).astype(x.dtype)
    return Pad.apply(x, plan=tuple(plan), value=fill)


@register(method=False)
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """``F.one_hot``: int64 indicators of shape ``tensor.shape + (num_classes,)``
    (``num_classes = max + 1`` when −1); no gradient."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"one_hot(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(tensor).__name__}")
    if tensor.dtype != np.int64:
        raise DTypeError("one_hot is only applicable to index tensor of type LongTensor.")
    classes = tensor._data
    num_classes = _int_arg(num_classes, "one_hot", "num_classes", 2)
    if num_classes == -1:
        if classes.size == 0:
            raise ShapeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(classes.max()) + 1
    if classes.size and classes.min() < 0:
        raise ShapeError("Class values must be non-negative.")
    if classes.size and classes.max() >= num_classes or num_classes < 0:
        raise ShapeError("Class values must be smaller than num_classes.")
    out = (classes[..., None] == np.arange(num_classes)).astype(np.int64)
    return Tensor._from_op(out, False)
