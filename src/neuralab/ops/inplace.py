"""In-place operations: ``x.add_(y)``, ``x += y``, ``x[idx] = v``, ``zero_``, ``fill_``, ``copy_``.

PyTorch's rules, which neuralab follows:

* Under ``no_grad`` (or when nothing involved requires grad) they overwrite the tensor's memory:
  ``with no_grad(): p -= lr * p.grad`` updates the parameter itself.
* With grad enabled, a leaf that requires grad (a parameter) may not be changed in place: it
  raises, because its old value may be needed to compute gradients.
* Any other tensor is *rebased*: the in-place op becomes its new ``grad_fn``, computed from a
  copy of the old value, so the gradient through it is exact.
* Every change bumps the tensor's version counter (shared with its views). An op that saved
  the old memory for its backward notices and raises instead of giving a wrong gradient.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import dtypes
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled, no_grad
from ..errors import ShapeError
from ..tensor import Tensor, to_array
from . import shape as _shape
from .registry import OPS


class InplaceError(RuntimeError):
    """An in-place change that PyTorch refuses too (or that neuralab cannot record)."""


class Fill(Function):
    """y = c everywhere (``zero_``, ``fill_``, ``uniform_``...).   dy/dx = 0."""

    def forward(self, x: np.ndarray, values: Any = None) -> np.ndarray:
        return np.broadcast_to(np.asarray(values, dtype=x.dtype), x.shape).copy()

    def backward(self, grad_out: np.ndarray) -> None:
        return None


class Copy(Function):
    """y = src broadcast to x's shape, in x's dtype (``copy_``).   dy/dx = 0,  dy/dsrc = 1."""

    def forward(self, x: np.ndarray, src: np.ndarray) -> np.ndarray:
        try:
            return np.broadcast_to(src, x.shape).astype(x.dtype)
        except ValueError:
            raise ShapeError(f"copy_: the source of shape {src.shape} cannot be "
                                    f"broadcast to the tensor's shape {x.shape}") from None

    def backward(self, grad_out: np.ndarray) -> tuple:
        return None, grad_out


class IndexPut(Function):
    """y = x with y[index] = v (``x[index] = v``).   dy/dx = 1 outside index, dy/dv = 1 inside."""

    def forward(self, x: np.ndarray, v: np.ndarray, index: Any = None) -> np.ndarray:
        self.index, self.v_ndim = index, v.ndim
        y = x.copy()
        y[index] = v
        return y

    def backward(self, grad_out: np.ndarray) -> tuple:
        need_x, need_v = self.needs_input_grad
        grad_x = None
        if need_x:
            grad_x = grad_out.copy()
            grad_x[self.index] = 0
        grad_v = None
        if need_v:
            grad_v = grad_out[self.index]
            if grad_v.ndim < self.v_ndim:  # v had leading 1s that the assignment dropped
                grad_v = grad_v.reshape((1,) * (self.v_ndim - grad_v.ndim) + grad_v.shape)
        return grad_x, grad_v


def _recording(self: Tensor, others: tuple) -> bool:
    """Whether this in-place change must join the graph; raises where PyTorch refuses."""
    if not is_grad_enabled():
        return False
    if not (self.requires_grad or any(isinstance(o, Tensor) and o.requires_grad
                                      for o in others)):
        return False
    base = self._base
    if base is None and self._ctx is None and self.requires_grad:
        raise InplaceError(
            "a leaf Variable that requires grad is being used in an in-place operation. "
            "Change parameters under `with neuralab.no_grad():` (as optimizers do)")
    if base is not None:
        if base._ctx is None and base.requires_grad:
            raise InplaceError(
                "a view of a leaf Variable that requires grad is being used in an in-place "
                "operation. Change it under `with neuralab.no_grad():`")
        raise InplaceError(
            "neuralab cannot record an in-place change of a view (a slice, reshape or "
            "transpose) of another tensor while gradients are recorded; change the tensor "
            "itself, compute the result out of place, or do it under no_grad()")
    return True


def _check_writable(self: Tensor) -> None:
    if not self._data.flags.writeable:
        if any(stride == 0 and n > 1 for stride, n in zip(self._data.strides, self.shape)):
            raise InplaceError("unsupported operation: more than one element of the written-to "
                               "tensor refers to a single memory location. Please clone() the "
                               "tensor before performing the operation.")
        raise InplaceError(f"cannot change a tensor of shape {self.shape} in place: its memory "
                           f"is a read-only NumPy array (make it with neuralab.tensor(), "
                           f"which copies)")


def _check_castable(name: str, result: Tensor, target: Tensor) -> None:
    if not dtypes.can_cast(result.dtype, target.dtype):
        raise InplaceError(
            f"{name}: result type {dtypes.torch_name(result.dtype)} can't be cast to the "
            f"desired output type {dtypes.torch_name(target.dtype)}")


def _write(self: Tensor, values: np.ndarray) -> None:
    _check_writable(self)
    np.copyto(self._data, values, casting="unsafe")
    self._bump_version()


def _old_value(self: Tensor) -> Tensor:
    """A copy of ``self``'s value that stands in the graph where ``self`` stood, so the op
    about to overwrite ``self`` is differentiated from the value it read."""
    old = Tensor._from_op(self._data.copy(), self.requires_grad)
    old._ctx = self._ctx
    return old


def _rebase(self: Tensor, result: Tensor) -> Tensor:
    """Write ``result`` into ``self`` and make its op ``self``'s ``grad_fn``."""
    retained = self.retains_grad
    _write(self, result._data)
    self._ctx, self.requires_grad = result._ctx, result.requires_grad
    if retained and self._ctx is not None:
        self._ctx._retain(self)
    return self


def apply_inplace(self: Tensor, name: str, op: Callable[..., Tensor], *args: Any,
                  cast_check: bool = True, **kwargs: Any) -> Tensor:
    """``self = op(self, *args)`` in ``self``'s memory, by PyTorch's in-place rules."""
    if _recording(self, args):
        result = op(_old_value(self), *args, **kwargs)
    else:
        with no_grad():
            result = op(self, *args, **kwargs)
    if cast_check:
        _check_castable(name, result, self)
    if result.shape != self.shape:
        raise ShapeError(
            f"{name}: output with shape {list(self.shape)} doesn't match the broadcast shape "
            f"{list(result.shape)}")
    if result.requires_grad and result._ctx is not None:
        return _rebase(self, result)
    _write(self, result._data)
    return self


def _fill(self: Tensor, name: str, values: Any) -> Tensor:
    return apply_inplace(self, name, lambda x: Fill.apply(x, values=values), cast_check=False)


def zero_(self: Tensor) -> Tensor:
    """Set every element to 0."""
    return _fill(self, "zero_", 0)


def fill_(self: Tensor, value: Any) -> Tensor:
    """Set every element to ``value`` (a number, or a 0-d tensor that may carry a gradient)."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise InplaceError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value.ndim} dimensions.")
        return apply_inplace(self, "fill_", lambda x, v: Copy.apply(x, v), value,
                             cast_check=False)
    return _fill(self, "fill_", to_array(value))


def copy_(self: Tensor, src: Any) -> Tensor:
    """Copy ``src`` (broadcast, cast to this dtype) into this tensor."""
    return apply_inplace(self, "copy_", lambda x, s: Copy.apply(x, s), src, cast_check=False)


def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with samples from U(a, b), from neuralab's seeded generator."""
    from ..random import default_generator

    rng = default_generator() if generator is None else generator
    return _fill(self, "uniform_", rng.uniform(a, b, self.shape))


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with samples from N(mean, std²), from neuralab's seeded generator."""
    from ..random import default_generator

    rng = default_generator() if generator is None else generator
    return _fill(self, "normal_", rng.normal(mean, std, self.shape))


def setitem(self: Tensor, index: Any, value: Any) -> None:
    """``self[index] = value``: item, slice, mask and integer-array assignment."""
    index = _shape.unwrap_index(index)
    if _recording(self, (value,)):
        _rebase(self, IndexPut.apply(_old_value(self), value, index=index))
        return
    _check_writable(self)
    self._data[index] = to_array(value)
    self._bump_version()


Tensor.__setitem__ = setitem
for _fn in (zero_, fill_, copy_, uniform_, normal_):
    setattr(Tensor, _fn.__name__, _fn)


def with_out(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` that also takes PyTorch's ``out=``: the result is written into ``out`` (or into
    the tensors of an ``out=(values, indices)`` tuple), which is returned (a tuple as the
    named ``max_out``/``sort_out``... type, as torch's ``return_types``)."""

    @functools.wraps(fn)
    def call(*args: Any, out: Any = None, **kwargs: Any) -> Any:
        if out is None:
            return fn(*args, **kwargs)
        result = fn(*args, **kwargs)
        results = result if isinstance(result, tuple) else (result,)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        if len(outs) != len(results) or not all(isinstance(o, Tensor) for o in outs):
            raise TypeError(f"{fn.__name__}(): out= expects {len(results)} tensor(s)")
        for target, value in zip(outs, results):
            _check_out(fn.__name__, target, value)
        for target, value in zip(outs, results):
            if target.shape != value.shape:
                if target.numel():
                    warnings.warn(
                        f"An output with one or more elements was resized since it had shape "
                        f"{list(target.shape)}, which does not match the required output shape "
                        f"{list(value.shape)}.", UserWarning, stacklevel=2)
                target._data = np.empty(value.shape, target.dtype)
            _write(target, value._data)
        if hasattr(result, "_fields"):  # max(dim), sort, topk: torch.return_types.max_out...
            from .reduction import out_result

            return out_result(result, tuple(outs))
        return out

    return call


def _check_out(name: str, target: Tensor, value: Tensor) -> None:
    if is_grad_enabled() and (value.requires_grad or target.requires_grad):
        raise InplaceError(f"{name}(): functions with out=... arguments don't support automatic "
                           f"differentiation, but one of the arguments requires grad.")
    _check_castable(name, value, target)
    _check_writable(target)


def _make_inplace(name: str) -> Callable[..., Tensor]:
    op = OPS[name]

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return apply_inplace(self, name + "_", op, *args, **kwargs)

    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"In-place ``{name}``: ``x.{name}_(...)`` is ``x = x.{name}(...)`` in " \
                     f"x's memory (PyTorch's in-place rules)."
    return method


# The in-place twin of every element-wise op that has one in PyTorch (those that exist).
INPLACE_OF = ("add", "sub", "mul", "div", "pow", "neg", "exp", "log", "sqrt", "abs", "clamp",
              "clip", "relu", "leaky_relu", "sigmoid", "tanh", "masked_fill", "addcmul", "addcdiv",
              "lerp", "sin", "cos", "floor", "ceil", "round", "sign", "reciprocal", "square",
              "clamp_min", "clamp_max", "fmod", "remainder", "exp2", "log2", "log10", "log1p",
              "expm1", "rsqrt", "trunc", "frac", "true_divide", "multiply", "subtract", "divide",
              "erf", "tan", "asin", "acos", "atan", "sinh", "cosh", "atan2", "logit",
              "nan_to_num", "float_power", "floor_divide", "scatter", "scatter_add")


def install() -> None:
    """(Re)attach ``name_`` for every op of INPLACE_OF registered so far."""
    for name in INPLACE_OF:
        if name in OPS and not hasattr(Tensor, name + "_"):
            setattr(Tensor, name + "_", _make_inplace(name))
    Tensor.__iadd__ = lambda self, other: self.add_(other)
    Tensor.__isub__ = lambda self, other: self.sub_(other)
    Tensor.__imul__ = lambda self, other: self.mul_(other)
    Tensor.__itruediv__ = lambda self, other: self.div_(other)
    Tensor.__ipow__ = lambda self, other: self.pow_(other)


install()
