"""Reductions as in PyTorch: sum, mean, var/std, max/min, amax/amin, argmax/argmin, all/any;
and the orderings sort/argsort/topk.

Every reduction takes PyTorch's ``dim``/``keepdim`` (NumPy's ``axis``/``keepdims`` too). A dim
out of range raises ``IndexError``, a repeated one ``RuntimeError``; the one dim of a 0-d tensor
is 0 (or -1), as in PyTorch. ``x.max(dim)`` returns ``(values, indices)`` as a named tuple
(``torch.return_types.max``); ``x.max()`` and ``x.amax(dim)`` return values only.

Gradients follow PyTorch's rules: ``amax``/``amin`` and ``max()``/``min()`` without a dim share
the gradient evenly among tied extremes; ``max(dim)``/``min(dim)`` send it to the element its
index names.
"""

from __future__ import annotations

import builtins
import warnings
from collections import namedtuple
from typing import Any

import numpy as np

from .. import dtypes
from ..autograd.function import Function
from ..errors import ArgumentError, DTypeError, ShapeError
from ..tensor import Tensor, as_tensor_like
from .registry import OPS, normalize_axis, register
from .shape import wrap_dim

Dims = tuple[int, ...] | None  # reduced axes, sorted and non-negative; None: every axis

# ------------------------------------------------------------------------------- dims


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else as_tensor_like(x, None)


_wrap = wrap_dim  # dim as a non-negative axis; IndexError out of range, as in PyTorch


def _dims(x: Tensor, dim: Any, name: str, empty_means_all: bool = True) -> Dims:
    """The axes ``dim`` (an int, a tuple/list of ints or None) names, for NumPy's ``axis``.

    An empty tuple reduces every axis (sum, mean, amax...) or none (all/any), as in PyTorch.
    """
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        axes = [_wrap(d, x.ndim, name) for d in dim]
        if not axes:
            return None if empty_means_all else ()
        for i, axis in enumerate(axes):
            if axis in axes[:i]:
                raise ShapeError(f"dim {axis} appears multiple times in the list of dims")
    else:
        axes = [_wrap(dim, x.ndim, name)]
    return None if x.ndim == 0 else tuple(sorted(axes))


def _one_dim(x: Tensor, dim: Any, name: str) -> int:
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__} "
                        f"(amax/amin reduce several dims)")
    return _wrap(dim, x.ndim, name)


def _check_nonempty(x: Tensor, dims: Any, name: str) -> None:
    """PyTorch's errors for a max/min/arg-reduction with nothing to choose from; ``dims`` as
    the message shows them (amax/amin: as given; max/argmax: as non-negative axes, as torch)."""
    if dims is None or dims == () or dims == []:
        if x.numel() == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                               f"input.numel() == 0. Specify the reduction dim with the 'dim' "
                               f"argument.")
        return
    for dim in dims if isinstance(dims, (tuple, list)) else (dims,):
        if x.ndim and x.shape[dim] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size.")


def _expand(grad_out: np.ndarray, shape: tuple, axes: Dims, keepdims: bool) -> np.ndarray:
    """Re-insert the reduced axes (size 1) so ``grad_out`` broadcasts against the input."""
    if keepdims:
        return grad_out
    if axes is None:
        return grad_out.reshape((1,) * len(shape))
    return np.expand_dims(grad_out, axes)


def _squeeze(y: np.ndarray, axes: Dims) -> np.ndarray:
    """Drop the reduced axes that a ``keepdims=True`` NumPy reduction kept."""
    return y.reshape(()) if axes is None else np.squeeze(y, axes)


def _accumulator(dtype: np.dtype) -> Any:
    """The dtype a sum accumulates in: float32 for float16 (as PyTorch on the CPU)."""
    return np.float32 if dtype == np.float16 else None


# -------------------------------------------------------------------------- sum, mean


class Sum(Function):
    """y = Σ x over ``axis``.   dy/dx = 1: the gradient is copied to every summed element."""

    def forward(self, x: np.ndarray, axis: Dims = None, keepdims: bool = False) -> np.ndarray:
        self.shape, self.axis, self.keepdims = x.shape, axis, keepdims
        y = np.sum(x, axis=axis, keepdims=keepdims, dtype=_accumulator(x.dtype))
        return y.astype(x.dtype, copy=False)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return np.broadcast_to(_expand(grad_out, self.shape, self.axis, self.keepdims), self.shape)


class SumDim(Sum):
    def name(self) -> str:
        return "SumBackward1"  # PyTorch's node of sum(dim, keepdim), even over every dim


class Mean(Function):
    """y = (1/n) Σ x over ``axis``.   dy/dx = 1/n for each of the n averaged elements.
    Over no elements (an empty dim) the mean is NaN, as in PyTorch."""

    def forward(self, x: np.ndarray, axis: Dims = None, keepdims: bool = False) -> np.ndarray:
        self.shape, self.axis, self.keepdims = x.shape, axis, keepdims
        axes = range(x.ndim) if axis is None else axis
        self.count = int(np.prod([x.shape[a] for a in axes]))
        if self.count == 0:
            shape = np.sum(x, axis=axis, keepdims=keepdims).shape
            return np.full(shape, np.nan, dtype=x.dtype)
        y = np.mean(x, axis=axis, keepdims=keepdims, dtype=_accumulator(x.dtype))
        return y.astype(x.dtype, copy=False)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        if self.count == 0:  # no element was averaged (the input is empty)
            return np.zeros(self.shape, dtype=grad_out.dtype)
        grad = _expand(grad_out, self.shape, self.axis, self.keepdims) / self.count
        return np.broadcast_to(grad, self.shape)


class MeanDim(Mean):
    def name(self) -> str:
        return "MeanBackward1"


def _keep(keepdim: Any, keepdims: Any) -> bool:
    return bool(keepdim) or bool(keepdims)


@register()
def sum(x: Any, dim: Any = None, keepdim: bool = False, *,  # noqa: A001 - PyTorch's name
        dtype: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Σ x over ``dim`` (every dim when None). Bool and integer tensors sum to int64, as in
    PyTorch; ``dtype`` casts the input first."""
    x, dim, keep = _tensor(x), normalize_axis(axis, dim), _keep(keepdim, keepdims)
    axes = _dims(x, dim, "sum")
    if dtype is not None:
        x = x.to(dtype)
    elif x.dtype.kind in "biu" and x.dtype != np.int64:
        x = x.to(dtypes.int64)
    op = Sum if dim is None and not keep else SumDim
    return op.apply(x, axis=axes, keepdims=keep)


@register()
def mean(x: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
         axis: Any = None, keepdims: bool = False) -> Tensor:
    """(1/n) Σ x over ``dim`` (every dim when None). Floating tensors only, as in PyTorch:
    an integer tensor needs ``dtype=`` or ``.float()``."""
    x, dim, keep = _tensor(x), normalize_axis(axis, dim), _keep(keepdim, keepdims)
    axes = _dims(x, dim, "mean")
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
        if dtype.kind != "f":
            raise DTypeError(f"mean(): could not infer output dtype. Optional dtype must be "
                             f"either a floating point or complex dtype. Got: "
                             f"{dtypes.TORCH_NAMES[dtype]}")
        x = x.to(dtype)
    if x.dtype.kind != "f":
        raise DTypeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                         f"floating point or complex dtype. Got: {dtypes.TORCH_NAMES[x.dtype]} "
                         f"(use x.float().mean() or mean(dtype=...))")
    op = Mean if dim is None and not keep else MeanDim
    return op.apply(x, axis=axes, keepdims=keep)


# --------------------------------------------------------------------------- var, std


class Var(Function):
    """y = Σ (x − x̄)² / max(0, N − c) over ``axis`` (N elements, c the correction).
    dy/dx = 2 (x − x̄) / (N − c), PyTorch's formula (for N − c <= 0 over every element:
    ∞·g, NaN where x == x̄, as torch). float16 is computed in float32."""

    take_root = False

    def forward(self, x: np.ndarray, axis: Dims = None, keepdims: bool = False,
                correction: float = 1, every_element: bool = False) -> np.ndarray:
        work = x.astype(np.float32) if x.dtype == np.float16 else x
        axes = range(x.ndim) if axis is None else axis
        n = int(np.prod([x.shape[a] for a in axes]))
        with np.errstate(divide="ignore", invalid="ignore"):
            self.dev = work - np.sum(work, axis=axis, keepdims=True) / work.dtype.type(n)
            square_sum = np.sum(self.dev * self.dev, axis=axis, keepdims=True)
            y = square_sum / work.dtype.type(builtins.max(0, n - correction))
            if self.take_root:
                y = np.sqrt(y)
        self.y, self.n, self.correction = y, n, correction
        self.axis, self.keepdims, self.every_element = axis, keepdims, every_element
        self.dtype = x.dtype
        out = y if keepdims else _squeeze(y, axis)
        return out.astype(x.dtype, copy=False)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad = _expand(grad_out, self.dev.shape, self.axis, self.keepdims).astype(
            self.dev.dtype, copy=False)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.take_root:  # d√v = dv / (2√v), 0 where the deviation is 0 (torch)
                grad = np.where(self.y == 0, 0, grad / (2 * self.y))
            dof = self.n - self.correction
            if self.every_element and dof <= 0:
                local = np.where(self.dev == 0, np.nan, np.inf).astype(self.dev.dtype)
                result = grad * local
            else:
                factor = self.dev.dtype.type(np.divide(2.0, dof))
                result = factor * grad * self.dev
        return result.astype(self.dtype, copy=False)


class Std(Var):
    """y = √var(x).   dy/dx = (x − x̄) / ((N − c) y), 0 where y == 0, as in PyTorch."""

    take_root = True


def _var_std(x: Any, dim: Any, unbiased: Any, keepdim: Any, correction: Any, axis: Any,
             keepdims: Any, op: type[Var], name: str) -> Tensor:
    x = _tensor(x)
    if isinstance(dim, (bool, np.bool_)) and unbiased is None:  # x.var(False): unbiased
        dim, unbiased = None, dim
    if unbiased is not None:
        if correction is not None:
            raise TypeError(f"{name}(): give either unbiased or correction, not both "
                            f"(got unbiased={unbiased!r}, correction={correction!r})")
        if not isinstance(unbiased, (bool, np.bool_)):
            raise TypeError(f"{name}(): argument 'unbiased' must be bool, not "
                            f"{type(unbiased).__name__}")
        correction = 1 if unbiased else 0
    elif correction is None:
        correction = 1
    elif isinstance(correction, (bool, np.bool_)) or \
            not isinstance(correction, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}(): argument 'correction' must be a number, not "
                        f"{type(correction).__name__}")
    dim = normalize_axis(axis, dim)
    axes = _dims(x, dim, name)
    if x.dtype.kind != "f":
        raise DTypeError(f"std and var only support floating point and complex dtypes (got "
                         f"{dtypes.torch_name(x.dtype)}; use x.float().{name}())")
    reduced = x.numel() if axes is None else int(np.prod([x.shape[a] for a in axes]))
    if reduced - correction <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly "
                      f"less than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=3)
    return op.apply(x, axis=axes, keepdims=_keep(keepdim, keepdims), correction=correction,
                    every_element=dim is None or x.ndim == 0)


@register()
def var(x: Any, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Σ (x − x̄)² / (N − correction) over ``dim`` (every dim when None). ``correction`` is 1
    (Bessel's) by default; ``unbiased=False`` means 0. Floating tensors only, as in PyTorch."""
    return _var_std(x, dim, unbiased, keepdim, correction, axis, keepdims, Var, "var")


@register()
def std(x: Any, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None, axis: Any = None, keepdims: bool = False) -> Tensor:
    """√var: the standard deviation over ``dim``, with ``var``'s arguments."""
    return _var_std(x, dim, unbiased, keepdim, correction, axis, keepdims, Std, "std")


# ----------------------------------------------------------------------- amax, amin


class Amax(Function):
    """y = max x over ``axis``.   dy/dx = 1/k at each of the k elements equal to the maximum
    (ties share the gradient), 0 elsewhere; a NaN maximum equals nothing and gives NaN, as in
    PyTorch."""

    largest = True

    def forward(self, x: np.ndarray, axis: Dims = None, keepdims: bool = False) -> np.ndarray:
        self.axis, self.keepdims = axis, keepdims
        y = (np.max if self.largest else np.min)(x, axis=axis, keepdims=True)
        self.is_extreme = x == y
        return y if keepdims else _squeeze(y, axis)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad = _expand(grad_out, self.is_extreme.shape, self.axis, self.keepdims)
        # Cast so the count does not promote a float32 gradient to float64.
        count = np.sum(self.is_extreme, axis=self.axis, keepdims=True).astype(grad.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):  # k = 0 where the result is NaN
            return self.is_extreme * (grad / count)


class Amin(Amax):
    """y = min x over ``axis``; the gradient as ``Amax``'s, at the minima."""

    largest = False


@register()
def amax(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
         keepdims: bool = False) -> Tensor:
    """Maximum over ``dim`` (an int or a tuple; every dim when empty or None); values only,
    tied maxima share the gradient."""
    return _amax(x, dim, keepdim, axis, keepdims, Amax, "amax")


@register()
def amin(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
         keepdims: bool = False) -> Tensor:
    """Minimum over ``dim`` (an int or a tuple; every dim when empty or None); values only,
    tied minima share the gradient."""
    return _amax(x, dim, keepdim, axis, keepdims, Amin, "amin")


def _amax(x: Any, dim: Any, keepdim: Any, axis: Any, keepdims: Any, op: type[Amax],
          name: str) -> Tensor:
    x, dim = _tensor(x), normalize_axis(axis, dim)
    axes = _dims(x, dim, name)
    _check_nonempty(x, dim, name)
    return op.apply(x, axis=axes, keepdims=_keep(keepdim, keepdims))


# -------------------------------------------------------------------------- max, min


class MaxAll(Function):
    """y = max of every element (``x.max()``).   dy/dx = 1/k at each of the k elements equal
    to y — at the k NaNs when y is NaN — as PyTorch's ``MaxBackward1``."""

    largest = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = np.asarray((np.max if self.largest else np.min)(x))
        self.mask = np.isnan(x) if x.dtype.kind == "f" and np.isnan(y) else x == y
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        count = np.asarray(np.count_nonzero(self.mask), dtype=grad_out.dtype)
        return self.mask * (grad_out / count)

    def name(self) -> str:
        return f"{'Max' if self.largest else 'Min'}Backward1"


class MinAll(MaxAll):
    """y = min of every element (``x.min()``); the gradient as ``MaxAll``'s."""

    largest = False


class MaxDim(Function):
    """values = x at ``indices`` along ``axis`` (``max(dim)``).   The gradient goes to the
    element the index names only (the first of tied maxima), as PyTorch's ``MaxBackward0``."""

    def forward(self, x: np.ndarray, axis: int = 0, keepdims: bool = False,
                indices: Any = None) -> np.ndarray:
        self.shape, self.axis, self.indices = x.shape, axis, indices
        if x.ndim == 0:
            return x.copy()
        values = np.take_along_axis(x, indices, axis)
        return values if keepdims else np.squeeze(values, axis)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        if not self.shape:
            return grad_out
        grad = np.zeros(self.shape, dtype=grad_out.dtype)
        np.put_along_axis(grad, self.indices, grad_out.reshape(self.indices.shape), self.axis)
        return grad

    def name(self) -> str:
        return "MaxBackward0"


class MinDim(MaxDim):
    """values = x at ``indices`` along ``axis`` (``min(dim)``)."""

    def name(self) -> str:
        return "MinBackward0"


class _ReturnType(tuple):
    """Base of ``max_result``/``min_result``: PyTorch's repr of ``torch.return_types``."""

    __slots__ = ()

    def __repr__(self) -> str:
        fields = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
        return f"neuralab.return_types.{type(self).__name__}(\n{fields})"


def _return_type(name: str, doc: str) -> type:
    """A ``(values, indices)`` named tuple whose type is called ``name``, as PyTorch's."""
    return type(name, (_ReturnType, namedtuple(name, ["values", "indices"])),
                {"__slots__": (), "__doc__": doc})


max_result = _return_type("max", "``max(dim)``'s result, as ``torch.return_types.max``: "
                                 "``values, indices = x.max(1)``.")
min_result = _return_type("min", "``min(dim)``'s result, as ``torch.return_types.min``.")


_OUT_TYPES: dict[str, type] = {}


def out_result(result: tuple, outs: tuple) -> tuple:
    """``out=``'s named tuple (``torch.return_types.max_out``...) over the given tensors."""
    name = f"{type(result).__name__}_out"
    if name not in _OUT_TYPES:
        _OUT_TYPES[name] = _return_type(name, f"``{name[:-4]}(..., out=(values, indices))``'s "
                                              f"result, as ``torch.return_types.{name}``.")
    return _OUT_TYPES[name](*outs)


def _extreme(x: Any, dim: Any, keepdim: bool, largest: bool) -> Any:
    name = "max" if largest else "min"
    x = _tensor(x)
    if isinstance(dim, Tensor):  # x.max(other): the element-wise maximum, as in PyTorch
        other = "maximum" if largest else "minimum"
        if other not in OPS:
            raise NotImplementedError(f"{name}(tensor), the element-wise {other}, is not "
                                      f"supported yet; use where(a > b, a, b)")
        return OPS[other](x, dim)
    if dim is None:
        if keepdim:
            raise TypeError(f"{name}(): keepdim needs a dim, as in PyTorch "
                            f"(use amax(keepdim=True) to keep every dim)")
        _check_nonempty(x, None, name)
        return (MaxAll if largest else MinAll).apply(x)
    axis = _one_dim(x, dim, name)
    _check_nonempty(x, (axis,), name)
    if x.ndim == 0:
        indices = np.zeros((), np.int64)
    else:
        pick = np.argmax if largest else np.argmin
        indices = pick(x._data, axis=axis, keepdims=True).astype(np.int64, copy=False)
    values = (MaxDim if largest else MinDim).apply(x, axis=axis, keepdims=keepdim,
                                                   indices=indices)
    index = indices.copy() if keepdim or x.ndim == 0 else np.squeeze(indices, axis).copy()
    result = max_result if largest else min_result
    return result(values, Tensor._from_op(index, False))


@register()
def max(x: Any, dim: Any = None, keepdim: bool = False, *,  # noqa: A001 - PyTorch's name
        axis: Any = None, keepdims: bool = False) -> Any:
    """Without ``dim``: the largest value (0-d; tied maxima share the gradient). With ``dim``:
    ``(values, indices)``, a named tuple, as ``torch.max``. With a tensor: element-wise."""
    return _extreme(x, normalize_axis(axis, dim), _keep(keepdim, keepdims), True)


@register()
def min(x: Any, dim: Any = None, keepdim: bool = False, *,  # noqa: A001 - PyTorch's name
        axis: Any = None, keepdims: bool = False) -> Any:
    """Without ``dim``: the smallest value (0-d). With ``dim``: ``(values, indices)``."""
    return _extreme(x, normalize_axis(axis, dim), _keep(keepdim, keepdims), False)


# ----------------------------------------------------------------- sort, argsort, topk


class TakeAlong(Function):
    """values = x at ``indices`` along ``axis`` (``sort``, ``topk``).   dy/dx: the gradient
    scattered back to the positions the indices name."""

    def forward(self, x: np.ndarray, indices: Any = None, axis: int = 0,
                node: str = "SortBackward0") -> np.ndarray:
        self.shape, self.indices, self.axis, self.node = x.shape, indices, axis, node
        return np.take_along_axis(x.reshape(x.shape or (1,)), indices, axis).reshape(
            indices.shape if x.ndim else ())

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad = np.zeros(self.shape or (1,), dtype=grad_out.dtype)
        np.put_along_axis(grad, self.indices, grad_out.reshape(self.indices.shape), self.axis)
        return grad.reshape(self.shape)

    def name(self) -> str:
        return self.__dict__.get("node", "SortBackward0")


sort_result = _return_type("sort", "``sort``'s result, as ``torch.return_types.sort``: "
                                   "``values, indices = x.sort()``.")
topk_result = _return_type("topk", "``topk``'s result, as ``torch.return_types.topk``.")


def _order(a: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable sorting indices along ``axis``: tied values keep their order, NaN counts as the
    largest value (last ascending, first descending), as PyTorch sorts on the CPU."""
    if not descending:
        return np.argsort(a, axis=axis, kind="stable")
    # a stable ascending sort of the reversed array, reversed: descending with ties in order
    backwards = np.argsort(np.flip(a, axis), axis=axis, kind="stable")
    return a.shape[axis] - 1 - np.flip(backwards, axis)


def _sorted(x: Tensor, dim: Any, descending: bool, name: str) -> tuple[int, np.ndarray]:
    axis = _wrap(dim, x.ndim, name)
    array = x._data.reshape(x.shape or (1,))
    return axis, _order(array, axis, bool(descending)).astype(np.int64, copy=False)


@register()
def sort(x: Any, dim: int = -1, descending: bool = False, *, stable: bool | None = None) -> Any:
    """``(values, indices)`` sorted along ``dim``, a named tuple as ``torch.sort``. The sort is
    stable (PyTorch's CPU sort is, whatever ``stable`` says); NaN sorts as the largest value.
    The gradient of ``values`` goes back to the positions ``indices`` name."""
    x = _tensor(x)
    axis, order = _sorted(x, dim, descending, "sort")
    node = "SortBackward0" if stable is None else "SortBackward1"
    values = TakeAlong.apply(x, indices=order, axis=axis, node=node)
    return sort_result(values, Tensor._from_op(order.reshape(x.shape), False))


@register()
def argsort(x: Any, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    """The indices (int64) that sort ``x`` along ``dim`` (``sort(...).indices``)."""
    x = _tensor(x)
    _, order = _sorted(x, dim, descending, "argsort")
    return Tensor._from_op(order.reshape(x.shape), False)


@register()
def topk(x: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    """``(values, indices)`` of the ``k`` largest (``largest=False``: smallest) elements along
    ``dim``, a named tuple as ``torch.topk``, always in sorted order. Among tied values the
    first ones are taken; PyTorch may pick other positions of the same value."""
    x = _tensor(x)
    axis = _wrap(dim, x.ndim, "topk")
    if x.dtype == np.bool_:
        raise DTypeError("topk does not support bool dtypes on CPU (use x.long())")
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"topk(): argument 'k' must be int, not {type(k).__name__}")
    size = x.shape[axis] if x.ndim else 1
    if not 0 <= k <= size:
        raise ArgumentError(f"selected index k out of range (k={k}, but dim {axis} has "
                            f"{size} elements)")
    array = x._data.reshape(x.shape or (1,))
    order = _order(array, axis, bool(largest))
    if x.ndim:  # a 0-d tensor gives its value for any valid k, as torch
        order = np.take(order, np.arange(k), axis=axis)
    order = order.astype(np.int64, copy=False)
    values = TakeAlong.apply(x, indices=order, axis=axis, node="TopkBackward0")
    return topk_result(values, Tensor._from_op(order.reshape(values.shape), False))


# ------------------------------------------------------------------- argmax, argmin


def _arg(x: Any, dim: Any, keepdim: bool, largest: bool) -> Tensor:
    name = "argmax" if largest else "argmin"
    x = _tensor(x)
    if x.dtype == np.bool_:
        raise DTypeError(f"{name}(): does not support bool input (use x.long())")
    pick = np.argmax if largest else np.argmin
    if dim is None:
        if x.numel() == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                             f"input.numel() == 0.")
        index = np.asarray(pick(x._data.reshape(-1)), dtype=np.int64)
        return Tensor._from_op(index.reshape((1,) * x.ndim) if keepdim else index, False)
    axis = _one_dim(x, dim, name)
    _check_nonempty(x, (axis,), name)
    if x.ndim == 0:
        return Tensor._from_op(np.zeros((), np.int64), False)
    index = pick(x._data, axis=axis, keepdims=keepdim)
    return Tensor._from_op(np.asarray(index, dtype=np.int64), False)


@register()
def argmax(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
           keepdims: bool = False) -> Tensor:
    """Index (int64) of the largest value along ``dim``, or in the flattened tensor when
    ``dim`` is None; the first of tied maxima, and a NaN counts as the largest."""
    return _arg(x, normalize_axis(axis, dim), _keep(keepdim, keepdims), True)


@register()
def argmin(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
           keepdims: bool = False) -> Tensor:
    """Index (int64) of the smallest value along ``dim`` (flattened when None); the first of
    tied minima, and a NaN counts as the smallest."""
    return _arg(x, normalize_axis(axis, dim), _keep(keepdim, keepdims), False)


# --------------------------------------------------------------------------- all, any


def _logical(x: Any, dim: Any, keepdim: Any, axis: Any, keepdims: Any, every: bool) -> Tensor:
    x = _tensor(x)
    axes = _dims(x, normalize_axis(axis, dim), "all" if every else "any", empty_means_all=False)
    result = (np.all if every else np.any)(x._data, axis=axes, keepdims=_keep(keepdim, keepdims))
    # PyTorch keeps uint8 for uint8 input (a legacy of its old bool masks); bool otherwise.
    return Tensor._from_op(np.asarray(result, dtype=np.uint8 if x.dtype == np.uint8 else bool),
                           False)


def all_(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
         keepdims: bool = False) -> Tensor:
    """True where every element along ``dim`` (an int or a tuple; all when None) is non-zero."""
    return _logical(x, dim, keepdim, axis, keepdims, True)


def any_(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
         keepdims: bool = False) -> Tensor:
    """True where some element along ``dim`` (an int or a tuple; all when None) is non-zero."""
    return _logical(x, dim, keepdim, axis, keepdims, False)


# Registered by hand: functions named ``all``/``any`` would shadow the builtins.
all_.__name__, any_.__name__ = "all", "any"
for _fn in (all_, any_):
    OPS[_fn.__name__] = _fn
    setattr(Tensor, _fn.__name__, _fn)


# ------------------------------------------------------- logsumexp, prod, cumsum, normalize


def _floating(x: Tensor) -> Tensor:
    """Integer and bool tensors as the default floating dtype (logsumexp's promotion)."""
    return x if x.dtype.kind == "f" else x.to(dtypes.get_default_dtype())


class LogSumExp(Function):
    """y = m + log Σ exp(x − m) over ``axis``, m the maximum (stable; m = 0 where the maximum
    is ±∞, so that an all −∞ slice gives −∞ and a +∞ gives +∞, as torch).
    dy/dx = exp(x − y), the softmax of x along the reduced dims."""

    def forward(self, x: np.ndarray, axis: Dims = None, keepdims: bool = False) -> np.ndarray:
        self.axis, self.keepdims = axis, keepdims
        if x.size == 0:
            m = np.zeros(np.sum(x, axis=axis, keepdims=True).shape, x.dtype)
        else:
            m = np.max(x, axis=axis, keepdims=True)
            m = np.where(np.isinf(m), 0, m).astype(x.dtype, copy=False)
        with np.errstate(divide="ignore"):
            y = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
        if True in self.needs_input_grad:
            self.x, self.y = x, y
        return y if keepdims else _squeeze(y, axis)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad = _expand(grad_out, self.x.shape, self.axis, self.keepdims)
        with np.errstate(invalid="ignore"):
            return grad * np.exp(self.x - self.y)

    def name(self) -> str:
        return "LogsumexpBackward0"


@register()
def logsumexp(x: Any, dim: Any, keepdim: bool = False) -> Tensor:
    """log Σ exp(x) over ``dim`` (an int or a tuple; required, as in torch), computed stably:
    the maximum is taken out first. Integer tensors give the default floating dtype."""
    x = _tensor(x)
    if isinstance(dim, (tuple, list)) and not dim:
        raise ShapeError("logsumexp(): dim=() names no dim (torch rejects it: output with shape "
                         "[] doesn't match the broadcast shape)")
    axes = _dims(x, dim, "logsumexp")
    return LogSumExp.apply(_floating(x), axis=axes, keepdims=bool(keepdim))


def _others_product(x: np.ndarray, axis: int) -> np.ndarray:
    """∏ of x along ``axis`` leaving out each element in turn (exclusive prefix and suffix
    products): exact with zeros, where y / x is not."""
    moved = np.moveaxis(x, axis, -1)
    ones = np.ones(moved.shape[:-1] + (1,), x.dtype)
    before = np.cumprod(np.concatenate([ones, moved[..., :-1]], -1), -1)
    after = np.flip(np.cumprod(np.flip(np.concatenate([moved[..., 1:], ones], -1), -1), -1), -1)
    return np.moveaxis(before * after, -1, axis)


class Prod(Function):
    """y = ∏ x over ``axis`` (every element when None).
    dy/dxᵢ = ∏_{j≠i} xⱼ: the product of the others, exact where x has zeros (one zero: the
    gradient reaches only it; two or more: none), as torch."""

    def forward(self, x: np.ndarray, axis: int | None = None,
                keepdims: bool = False) -> np.ndarray:
        self.axis, self.keepdims = axis, keepdims
        if True in self.needs_input_grad:
            self.x = x
        y = np.prod(x, axis=axis, keepdims=keepdims, dtype=_accumulator(x.dtype))
        return np.asarray(y).astype(x.dtype, copy=False)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x = self.x
        if self.axis is None:
            others = _others_product(x.reshape(-1), 0).reshape(x.shape)
            return grad_out * others
        grad = _expand(grad_out, x.shape, (self.axis,), self.keepdims)
        return grad * _others_product(x, self.axis)

    def name(self) -> str:
        return "ProdBackward0"


class ProdDim(Prod):
    def name(self) -> str:
        return "ProdBackward1"  # torch's node of prod(dim, keepdim)


def _integral_to_long(x: Tensor, dtype: Any) -> Tensor:
    """``dtype`` casts first; otherwise bool and integer tensors accumulate in int64 (torch's
    sum, prod and cumsum)."""
    if dtype is not None:
        return x.to(dtype)
    if x.dtype.kind in "biu" and x.dtype != np.int64:
        return x.to(dtypes.int64)
    return x


@register()
def prod(x: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """∏ x over one ``dim`` (every element when None). Bool and integer tensors give int64, as
    in torch; ``dtype`` casts the input first."""
    x = _tensor(x)
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__} "
                        f"(prod reduces one dim or every dim)")
    axis = None if dim is None else _wrap(dim, x.ndim, "prod")
    if x.ndim == 0:
        axis = None
    x = _integral_to_long(x, dtype)
    if dim is None and keepdim:
        raise TypeError("prod(): keepdim needs a dim, as in torch")
    op = Prod if dim is None else ProdDim
    return op.apply(x, axis=axis, keepdims=bool(keepdim) and axis is not None)


class CumSum(Function):
    """yᵢ = Σ_{j≤i} xⱼ along ``axis``.   dy/dx: the gradient summed from the end
    (a reversed cumulative sum)."""

    def forward(self, x: np.ndarray, axis: int = 0) -> np.ndarray:
        self.axis = axis
        if x.ndim == 0:
            return x.copy()
        return np.cumsum(x, axis=axis, dtype=_accumulator(x.dtype)).astype(x.dtype, copy=False)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        if grad_out.ndim == 0:
            return grad_out
        return np.flip(np.cumsum(np.flip(grad_out, self.axis), axis=self.axis), self.axis)

    def name(self) -> str:
        return "CumsumBackward0"


@register()
def cumsum(x: Any, dim: int, *, dtype: Any = None) -> Tensor:
    """Running sums along ``dim`` (required, as in torch). Bool and integer tensors give int64;
    ``dtype`` casts the input first."""
    x = _tensor(x)
    axis = _wrap(dim, x.ndim, "cumsum")
    return CumSum.apply(_integral_to_long(x, dtype), axis=axis)


class Normalize(Function):
    """y = x / max(‖x‖ₚ, eps), the p-norm over ``axis`` (kept for broadcasting).
    With n = ‖x‖ₚ and d = max(n, eps):  dL/dx = g/d − [n > eps]·(Σ g·x / d²)·∂n/∂x, where
    ∂n/∂x = sign(x)|x|^(p−1)/n^(p−1) (p = ∞: sign(x) shared among the maxima of |x|)."""

    def forward(self, x: np.ndarray, p: float = 2.0, axis: int = 1,
                eps: float = 1e-12) -> np.ndarray:
        a = np.abs(x)
        if p == np.inf:
            n = np.max(a, axis=axis, keepdims=True) if x.size else \
                np.zeros(np.sum(a, axis=axis, keepdims=True).shape, x.dtype)
        elif p == 2:
            n = np.sqrt(np.sum(a * a, axis=axis, keepdims=True))
        elif p == 1:
            n = np.sum(a, axis=axis, keepdims=True)
        elif p == 0:
            n = np.sum(a != 0, axis=axis, keepdims=True)
        else:
            with np.errstate(divide="ignore"):  # p < 0 with a zero: the norm is 0, as torch
                n = np.sum(a ** p, axis=axis, keepdims=True) ** (1.0 / p)
        n = n.astype(x.dtype, copy=False)
        d = np.maximum(n, x.dtype.type(eps))
        self.x, self.n, self.d, self.p, self.axis, self.eps = x, n, d, p, axis, eps
        return x / d

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x, n, d, p, axis = self.x, self.n, self.d, self.p, self.axis
        grad = grad_out / d
        through = n >= x.dtype.type(self.eps)  # clamp_min passes the gradient at the bound
        inner = np.sum(grad_out * x, axis=axis, keepdims=True) / (d * d)
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == np.inf:
                peak = np.abs(x) == n
                count = np.sum(peak, axis=axis, keepdims=True).astype(x.dtype)
                dn = np.sign(x) * peak / count
            elif p == 2:
                dn = np.where(n == 0, 0, x / n)
            elif p == 1:
                dn = np.sign(x)
            elif p == 0:
                dn = np.zeros_like(x)  # the count of non-zeros is flat
            else:
                dn = np.where(n == 0, 0, np.sign(x) * np.abs(x) ** (p - 1) / n ** (p - 1))
        return (grad - np.where(through, inner, 0) * dn).astype(x.dtype, copy=False)


@register(method=False)
def normalize(input: Any, p: float = 2.0, dim: int = 1, eps: float = 1e-12,  # noqa: A002
              out: Any = None) -> Tensor:
    """``input / max(‖input‖ₚ, eps)`` over ``dim`` (``F.normalize``): unit vectors along dim."""
    if out is not None:
        raise NotImplementedError("normalize(out=...) is not supported; assign the result")
    x = _tensor(input)
    axis = _wrap(dim, x.ndim, "normalize")
    if x.dtype.kind != "f":
        raise DTypeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                         f"input. Got {dtypes.torch_name(x.dtype)}")
    p = float(p)
    if x.ndim == 0:
        x = x.reshape(1)
        return Normalize.apply(x, p=p, axis=0, eps=eps).reshape(())
    return Normalize.apply(x, p=p, axis=axis, eps=eps)
