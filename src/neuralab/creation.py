"""Creating tensors as PyTorch does: ``zeros``, ``full``, ``arange``, ``linspace``, ``rand``...

Names, argument orders, keyword-only arguments, dtype inference and errors follow PyTorch:

* a size is given as varargs or as one sequence (``zeros(2, 3)``, ``zeros((2, 3))``,
  ``zeros(size=(2, 3))``); ``full`` and ``randint`` take it as a sequence only;
* with no ``dtype=``, floating results get the default dtype (``get_default_dtype()``);
  ``full`` infers bool/int64/default-float from its fill value, ``arange`` int64 unless an
  argument is a float, ``randint`` and ``randperm`` int64, and the ``*_like`` functions and
  the ``Tensor.new_*`` methods keep the input's dtype;
* a value that does not fit the dtype (``full((2,), 300, dtype=uint8)``) is refused as in
  PyTorch, and floats become integers by truncation toward zero;
* ``arange``, ``linspace`` and ``logspace`` compute their values with PyTorch's formulas (the
  second half of ``linspace`` counted back from ``end``, so both endpoints are exact);
* the random functions draw from neuralab's generator (``neuralab.random``): a seed gives the
  same values every time, though not torch's values.

Every function takes ``device=``: only the CPU is accepted (``device.check_device``).
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import dtypes
from .device import check_device
from .errors import ShapeError
from .random import generator_or_default
from .tensor import Tensor
from .tensor import tensor as _copy_tensor


class ValueRangeError(ValueError, RuntimeError):
    """An argument value outside what the function allows (a bound, a step, a value too large
    for the dtype). PyTorch raises RuntimeError (for some, ValueError); this is both."""


_MISSING: Any = object()

# The C++ type names PyTorch's messages use.
_C_NAMES = {dtypes.bool_: "bool", dtypes.uint8: "uint8_t", dtypes.int8: "int8_t",
            dtypes.int16: "int16_t", dtypes.int32: "int", dtypes.int64: "int64_t",
            dtypes.float16: "c10::Half", dtypes.float32: "float", dtypes.float64: "double"}
_C_TYPEID_NAMES = {dtypes.bool_: "bool", dtypes.uint8: "unsigned char",
                   dtypes.int8: "signed char", dtypes.int16: "short", dtypes.int32: "int",
                   dtypes.int64: "long", dtypes.float16: "c10::Half", dtypes.float32: "float",
                   dtypes.float64: "double"}
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


# ------------------------------------------------------------------------ argument parsing
def _type_name(value: Any) -> str:
    kind = type(value)
    if kind.__module__ == "numpy":
        return f"numpy.{kind.__name__}"
    return kind.__name__


def _is_sequence(value: Any) -> bool:
    return isinstance(value, (tuple, list))


def _int_or_none(value: Any) -> int | None:
    """``value`` as an int if it is one (Python/NumPy integer, one-element integer tensor)."""
    if isinstance(value, (bool, np.bool_, float, np.floating, complex)):
        return None
    if isinstance(value, Tensor) and value.dtype.kind == "b":
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


def _int_arg(value: Any, fn: str, arg: str, position: int) -> int:
    result = _int_or_none(value)
    if result is None:
        raise TypeError(f"{fn}(): argument '{arg}' (position {position}) must be int, "
                        f"not {_type_name(value)}")
    return result


def _dims(items: Sequence[Any], fn: str) -> tuple[int, ...]:
    shape = []
    for i, item in enumerate(items):
        dim = _int_or_none(item)
        if dim is None:
            raise TypeError(f"{fn}(): argument 'size' failed to unpack the object at pos {i + 1} "
                            f"with error \"type must be tuple of ints,but got "
                            f"{_type_name(item)}\"")
        shape.append(dim)
    negative = [d for d in shape if d < 0]
    if negative:
        raise ShapeError(f"Trying to create tensor with negative dimension {negative[0]}: "
                         f"{list(shape)}")
    if math.prod(shape) > _INT64_MAX:
        raise ShapeError(f"Storage size calculation overflowed with sizes={list(shape)}")
    return tuple(shape)


def _size(fn: str, args: tuple, size: Any) -> tuple[int, ...]:
    """The shape from varargs ``args`` or from ``size=`` (``zeros(2, 3)``, ``zeros((2, 3))``,
    ``zeros(size=(2, 3))``)."""
    if size is not None:
        if args:
            raise TypeError(f"{fn}() got multiple values for argument 'size'")
        return _sequence_size(fn, size)
    if not args:
        raise TypeError(f"{fn}() missing 1 required positional arguments: \"size\"")
    if len(args) == 1 and _is_sequence(args[0]):
        return _dims(args[0], fn)
    if _is_sequence(args[0]):
        raise TypeError(f"{fn}() takes 1 positional argument but {len(args)} were given")
    if len(args) == 1 and _int_or_none(args[0]) is None:
        raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, "
                        f"not {_type_name(args[0])}")
    return _dims(args, fn)


def _sequence_size(fn: str, size: Any, position: int = 1) -> tuple[int, ...]:
    """A size that must be a sequence (``full``, ``randint``, ``new_full``)."""
    if not _is_sequence(size):
        raise TypeError(f"{fn}(): argument 'size' (position {position}) must be tuple of ints, "
                        f"not {_type_name(size)}")
    return _dims(size, fn)


def _number(value: Any, fn: str, arg: str, position: int) -> bool | int | float:
    """A Python number from a number, a NumPy scalar or a one-element (0-d) tensor."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise TypeError(f"{fn}(): argument '{arg}' (position {position}) must be Number, "
                            f"not Tensor (a {value.ndim}-d one)")
        value = value.item()
    if isinstance(value, (complex, np.complexfloating)):
        raise TypeError(f"{fn}(): neuralab does not support complex numbers (got {value!r} "
                        f"for '{arg}')")
    if isinstance(value, bool):
        return value
    if isinstance(value, np.bool_):  # PyTorch reads a NumPy bool as a float (full gives 1.0)
        return float(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    raise TypeError(f"{fn}(): argument '{arg}' (position {position}) must be Number, "
                    f"not {_type_name(value)}")


def _number_dtype(value: bool | int | float) -> np.dtype:
    """The dtype PyTorch gives a tensor made from a Python number."""
    if isinstance(value, bool):
        return dtypes.bool_
    if isinstance(value, int):
        return dtypes.int64
    return dtypes.get_default_dtype()


def _overflow(dtype: np.dtype) -> ValueRangeError:
    return ValueRangeError(f"value cannot be converted to type {_C_NAMES[dtype]} without "
                           f"overflow")


def _convert(value: bool | int | float, dtype: np.dtype) -> Any:
    """``value`` as a ``dtype`` scalar, refused where PyTorch's checked conversion refuses it:
    out of an integer dtype's range (an unsigned one also takes -max..-1, wrapping as in C),
    or finite but beyond a float dtype's largest value. Floats truncate toward zero."""
    if dtype.kind == "b":
        return np.bool_(value != 0)
    if dtype.kind == "f":
        try:
            as_float = float(value)
        except OverflowError:
            raise _overflow(dtype) from None
        if math.isfinite(as_float) and abs(as_float) > float(np.finfo(dtype).max):
            raise _overflow(dtype)
        return dtype.type(as_float)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _overflow(dtype)
        value = int(value)  # truncation toward zero, as C's float-to-int conversion
    info = np.iinfo(dtype)
    if dtype.kind == "u":
        if value > info.max or (value < 0 and -value > info.max):
            raise _overflow(dtype)
        return dtype.type(value % (int(info.max) + 1))
    if not info.min <= value <= info.max:
        raise _overflow(dtype)
    return dtype.type(value)


def _dtype(dtype: Any, default: np.dtype) -> np.dtype:
    return default if dtype is None else dtypes.as_dtype(dtype)


def _check_grad(dtype: np.dtype, requires_grad: bool) -> None:
    if requires_grad and dtype.kind != "f":
        raise RuntimeError(
            f"only Tensors of floating point dtype can require gradients, got {dtype}")


def _check_float(fn: str, kernel: str, dtype: np.dtype) -> None:
    if dtype.kind != "f":
        raise NotImplementedError(
            f"{fn}: not implemented for dtype {dtype} (PyTorch: \"{kernel}\" not implemented "
            f"for '{dtypes.torch_name(dtype)}'); pass a floating dtype")


def _not_bool(fn: str, dtype: np.dtype) -> None:
    if dtype.kind == "b":
        raise NotImplementedError(f"\"{fn}_cpu\" not implemented for 'Bool' "
                                  f"({fn} cannot make a bool tensor)")


def _leaf(array: Any, requires_grad: bool) -> Tensor:
    """A new leaf tensor over ``array`` (checked beforehand by ``_check_grad``); a NumPy
    scalar (what a sampler returns for the shape ``()``) becomes a 0-d array."""
    return Tensor._from_op(np.asarray(array), bool(requires_grad))


def _input(value: Any, fn: str) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, "
                        f"not {_type_name(value)}")
    return value


# ------------------------------------------------------------------ constant-filled tensors
def zeros(*sizes: Any, size: Any = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    shape, dt = _size("zeros", sizes, size), _dtype(dtype, dtypes.get_default_dtype())
    check_device(device)
    _check_grad(dt, requires_grad)
    return _leaf(np.zeros(shape, dt), requires_grad)


def ones(*sizes: Any, size: Any = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``."""
    shape, dt = _size("ones", sizes, size), _dtype(dtype, dtypes.get_default_dtype())
    check_device(device)
    _check_grad(dt, requires_grad)
    return _leaf(np.ones(shape, dt), requires_grad)


def empty(*sizes: Any, size: Any = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """An uninitialized tensor (its values are whatever the memory held)."""
    shape, dt = _size("empty", sizes, size), _dtype(dtype, dtypes.get_default_dtype())
    check_device(device)
    _check_grad(dt, requires_grad)
    return _leaf(np.empty(shape, dt), requires_grad)


def full(size: Sequence[int], fill_value: Any, *, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``; without ``dtype`` a bool gives bool, an int
    int64 and a float the default dtype."""
    shape = _sequence_size("full", size)
    value = _number(fill_value, "full", "fill_value", 2)
    dt = _dtype(dtype, _number_dtype(value))
    check_device(device)
    _check_grad(dt, requires_grad)
    return _leaf(np.full(shape, _convert(value, dt), dt), requires_grad)


def zeros_like(input: Tensor, *, dtype: Any = None, device: Any = None,  # noqa: A002
               requires_grad: bool = False) -> Tensor:
    """Zeros of ``input``'s shape (and dtype, unless ``dtype=``)."""
    x = _input(input, "zeros_like")
    return zeros(x.shape, dtype=_dtype(dtype, x.dtype), device=device,
                 requires_grad=requires_grad)


def ones_like(input: Tensor, *, dtype: Any = None, device: Any = None,  # noqa: A002
              requires_grad: bool = False) -> Tensor:
    """Ones of ``input``'s shape (and dtype, unless ``dtype=``)."""
    x = _input(input, "ones_like")
    return ones(x.shape, dtype=_dtype(dtype, x.dtype), device=device,
                requires_grad=requires_grad)


def empty_like(input: Tensor, *, dtype: Any = None, device: Any = None,  # noqa: A002
               requires_grad: bool = False) -> Tensor:
    """An uninitialized tensor of ``input``'s shape (and dtype, unless ``dtype=``)."""
    x = _input(input, "empty_like")
    return empty(x.shape, dtype=_dtype(dtype, x.dtype), device=device,
                 requires_grad=requires_grad)


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None,  # noqa: A002
              device: Any = None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` in ``input``'s shape and dtype (unless ``dtype=``): the value is
    converted to that dtype, not inferred from."""
    x = _input(input, "full_like")
    value = _number(fill_value, "full_like", "fill_value", 2)
    return full(x.shape, value, dtype=_dtype(dtype, x.dtype), device=device,
                requires_grad=requires_grad)


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The ``n`` x ``m`` identity (``m`` defaults to ``n``): ones on the diagonal."""
    rows = _int_arg(n, "eye", "n", 1)
    cols = rows if m is None else _int_arg(m, "eye", "m", 2)
    if rows < 0:
        raise ShapeError(f"n must be greater or equal to 0, got {rows}")
    if cols < 0:
        raise ShapeError(f"m must be greater or equal to 0, got {cols}")
    dt = _dtype(dtype, dtypes.get_default_dtype())
    check_device(device)
    _check_grad(dt, requires_grad)
    return _leaf(np.eye(rows, cols, dtype=dt), requires_grad)


# -------------------------------------------------------------------------------- ranges
def _fused(start: float, step: float, index: np.ndarray, sign: float = 1.0) -> np.ndarray:
    """``start + sign * step * index`` in float64 with one rounding, as the fused multiply-add
    PyTorch's kernels compile to (emulated in long double, where it is wider than float64)."""
    with np.errstate(invalid="ignore", over="ignore"):  # an infinite range gives NaN, as torch
        if np.finfo(np.longdouble).nmant > np.finfo(np.float64).nmant:
            wide = np.longdouble(start) + np.longdouble(sign * step) * \
                index.astype(np.longdouble)
            return wide.astype(np.float64)
        return start + (sign * step) * index.astype(np.float64)


def arange(start: Any = _MISSING, end: Any = _MISSING, step: Any = 1, *, dtype: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """``[start, start + step, ...]`` up to, not including, ``end``: ``arange(end)``,
    ``arange(start, end)``, ``arange(start, end, step)``. int64 when every argument is an
    integer, else the default float dtype; ``ceil((end - start) / step)`` elements."""
    end_position = 2
    if end is _MISSING:
        if start is _MISSING:
            raise TypeError("arange() missing required argument 'end' (pos 1)")
        start, end, end_position = 0, start, 1
    elif start is _MISSING:
        start = 0
    values = (_number(start, "arange", "start", 1),
              _number(end, "arange", "end", end_position),
              _number(step, "arange", "step", 3))
    default = dtypes.get_default_dtype() if any(isinstance(v, float) for v in values) \
        else dtypes.int64
    dt = _dtype(dtype, default)
    check_device(device)
    _check_grad(dt, requires_grad)
    _not_bool("arange", dt)
    # The bounds are checked in double precision, as in PyTorch.
    d_start, d_end, d_step = (float(v) for v in values)
    if not (d_step > 0 or d_step < 0):
        raise ValueRangeError("step must be nonzero")
    if not (math.isfinite(d_start) and math.isfinite(d_end)):
        raise ValueRangeError(f"unsupported range: {d_start:g} -> {d_end:g}")
    if not ((d_step > 0 and d_end >= d_start) or (d_step < 0 and d_end <= d_start)):
        raise ValueRangeError("upper bound and lower bound inconsistent with step sign")
    if dt.kind == "f":
        count = math.ceil((d_end - d_start) / d_step)
        _check_count(count)
        index = np.arange(count)
        if dt == dtypes.float16:  # accumulates in float32, as PyTorch's CPU kernel
            f_start, f_step = float(np.float32(d_start)), float(np.float32(d_step))
            array = (f_start + f_step * index).astype(np.float32)
        else:
            array = _fused(d_start, d_step, index)
        with np.errstate(over="ignore"):  # beyond the dtype's range is ±inf, as in torch
            return _leaf(array.astype(dt), requires_grad)
    # Integer dtypes accumulate in int64 from the truncated arguments.
    i_start, i_end, i_step = (int(_convert(v, dtypes.int64)) for v in values)
    if dt == dtypes.int64:
        if i_step == 0:
            raise ValueRangeError("step must be nonzero")
        sign = 1 if i_step > 0 else -1
        count = (i_end - i_start + i_step - sign) // i_step
    else:  # PyTorch counts the other integer dtypes' elements from the untruncated values
        count = math.ceil((d_end - d_start) / d_step)
    _check_count(count)
    array = i_start + i_step * np.arange(count, dtype=np.int64)
    return _leaf(array.astype(dt), requires_grad)


def _check_count(count: float) -> None:
    if not 0 <= count <= _INT64_MAX:
        raise ValueRangeError("invalid size, possible overflow?")


def _steps(steps: Any, fn: str) -> int:
    count = _int_arg(steps, fn, "steps", 3)
    if count < 0:
        raise ShapeError("number of steps must be non-negative")
    return count


def _endpoint(value: Any, fn: str, arg: str, position: int) -> bool | int | float:
    if isinstance(value, Tensor) and value.ndim != 0:
        raise ShapeError(f"{fn} only supports 0-dimensional start and end tensors, but got "
                         f"{arg} with {value.ndim} dimension(s)")
    return _number(value, fn, arg, position)


def linspace(start: Any, end: Any, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included:
    ``start + i * step`` for the first half and ``end - (steps - 1 - i) * step`` for the
    second, with ``step = (end - start) / (steps - 1)``, so both endpoints are exact."""
    first = _endpoint(start, "linspace", "start", 1)
    last = _endpoint(end, "linspace", "end", 2)
    count = _steps(steps, "linspace")
    dt = _dtype(dtype, dtypes.get_default_dtype())
    check_device(device)
    _check_grad(dt, requires_grad)
    _not_bool("linspace", dt)
    s, e = _convert(first, dt), _convert(last, dt)
    if count <= 1:
        return _leaf(np.full(count, s, dt), requires_grad)
    index = np.arange(count)
    head = index < count // 2
    back = count - 1 - index
    if dt.kind in "iu":  # a double step; each value truncated toward zero
        step = (float(e) - float(s)) / (count - 1)
        values = np.where(head, int(s) + step * index, int(e) - step * back)
        return _leaf(values.astype(np.int64).astype(dt), requires_grad)
    if dt == dtypes.float16:  # PyTorch computes in half precision throughout
        with np.errstate(over="ignore"):
            step16 = (e - s) / np.float16(count - 1)
            values = np.where(head, s + step16 * index.astype(dt), e - step16 * back.astype(dt))
        return _leaf(values.astype(dt), requires_grad)
    # float32 and float64: a step in the dtype, then fused multiply-adds rounded to the dtype
    step = float((e - s) / dt.type(count - 1))
    values = np.where(head, _fused(float(s), step, index), _fused(float(e), step, back, -1.0))
    return _leaf(values.astype(dt), requires_grad)


def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """``base ** linspace(start, end, steps)``, with the exponents computed in double
    precision (and the base in single precision for integer dtypes), as in PyTorch."""
    first = _endpoint(start, "logspace", "start", 1)
    last = _endpoint(end, "logspace", "end", 2)
    count = _steps(steps, "logspace")
    radix = float(_number(base, "logspace", "base", 4))
    dt = _dtype(dtype, dtypes.get_default_dtype())
    check_device(device)
    _check_grad(dt, requires_grad)
    _not_bool("logspace", dt)
    s, e = _convert(first, dt), _convert(last, dt)
    if count <= 1:  # PyTorch fills with base ** start, start taken in double precision
        value = _pow(radix, float(first)) if count else 0
        return _leaf(np.full(count, _convert(value, dt), dt), requires_grad)
    index = np.arange(count)
    head = index < count // 2
    back = count - 1 - index
    if dt.kind in "iu":
        radix = float(np.float32(radix))
        step = float(int(e) - int(s)) / (count - 1)
        exponents = np.where(head, int(s) + step * index, int(e) - step * back)
    else:
        step = float(e - s) / (count - 1)  # the difference rounds in the dtype, as in PyTorch
        exponents = np.where(head, float(s) + step * index, float(e) - step * back)
    values = np.array([_pow(radix, x) for x in exponents.tolist()], dtype=np.float64)
    with np.errstate(all="ignore"):
        if dt.kind in "iu":  # C's conversion: truncation, wrapping past the dtype's range
            values = values.astype(np.int64)
        values = values.astype(dt)
    return _leaf(values, requires_grad)


def _pow(base: float, exponent: float) -> float:
    """C's ``pow`` (libm, as PyTorch calls it; NumPy's vectorized power may differ in the
    last bit): NaN for a negative base with a fractional exponent, ±inf on overflow."""
    odd = exponent.is_integer() and math.fmod(exponent, 2.0) != 0.0
    try:
        return math.pow(base, exponent)
    except ValueError:  # 0 ** negative is ±inf in C; a negative ** fractional is NaN
        if base == 0.0:
            return math.copysign(math.inf, base) if odd else math.inf
        return math.nan
    except OverflowError:
        return -math.inf if base < 0 and odd else math.inf


# ------------------------------------------------------------------------- random tensors
def _uniform(rng: np.random.Generator, shape: tuple[int, ...], dt: np.dtype) -> np.ndarray:
    """Uniform samples in [0, 1): random mantissa bits scaled by 2**-digits, so a value never
    rounds up to 1 (float16: 11 bits, float32: 24, float64: 53)."""
    if dt == dtypes.float16:
        return (rng.integers(0, 2**11, shape, dtype=np.int64) * 2.0**-11).astype(dt)
    if dt == dtypes.float32:
        return rng.random(shape, dtype=np.float32)
    return rng.random(shape)


def rand(*sizes: Any, size: Any = None, generator: Any = None, dtype: Any = None,
         device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples from [0, 1): ``rand(2, 3)`` or ``rand((2, 3))``."""
    shape, dt = _size("rand", sizes, size), _dtype(dtype, dtypes.get_default_dtype())
    check_device(device)
    _check_grad(dt, requires_grad)
    _check_float("rand", "check_uniform_bounds", dt)
    return _leaf(_uniform(generator_or_default(generator), shape, dt), requires_grad)


def randn(*sizes: Any, size: Any = None, generator: Any = None, dtype: Any = None,
          device: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard-normal samples (mean 0, variance 1): ``randn(2, 3)`` or ``randn((2, 3))``."""
    shape, dt = _size("randn", sizes, size), _dtype(dtype, dtypes.get_default_dtype())
    check_device(device)
    _check_grad(dt, requires_grad)
    _check_float("randn", "normal_kernel_cpu", dt)
    rng = generator_or_default(generator)
    return _leaf(rng.standard_normal(shape).astype(dt), requires_grad)


def rand_like(input: Tensor, *, generator: Any = None, dtype: Any = None,  # noqa: A002
              device: Any = None, requires_grad: bool = False) -> Tensor:
    """``rand`` in ``input``'s shape and dtype (unless ``dtype=``)."""
    x = _input(input, "rand_like")
    return rand(x.shape, generator=generator, dtype=_dtype(dtype, x.dtype), device=device,
                requires_grad=requires_grad)


def randn_like(input: Tensor, *, generator: Any = None, dtype: Any = None,  # noqa: A002
               device: Any = None, requires_grad: bool = False) -> Tensor:
    """``randn`` in ``input``'s shape and dtype (unless ``dtype=``)."""
    x = _input(input, "randn_like")
    return randn(x.shape, generator=generator, dtype=_dtype(dtype, x.dtype), device=device,
                 requires_grad=requires_grad)


def _bounds(fn: str, args: tuple, low: Any, high: Any, first: int) -> tuple[int, int]:
    """``(low, high)`` from ``(high,)`` or ``(low, high)`` positionally and/or by keyword;
    ``first`` is the position of the first bound in PyTorch's messages."""
    if len(args) > 2:
        raise TypeError(f"{fn}() takes at most {first + 1} positional arguments for the "
                        f"bounds and size, got {first - 1 + len(args)}")
    if len(args) == 2:
        if low is not None or high is not None:
            raise TypeError(f"{fn}() got multiple values for argument 'low' or 'high'")
        low, high = args
    elif len(args) == 1:
        if high is not None:
            if low is not None:
                raise TypeError(f"{fn}() got multiple values for argument 'low'")
            low = args[0]
        elif low is not None:
            raise TypeError(f"{fn}() got multiple values for argument 'high'")
        else:
            high = args[0]
    if high is None:
        raise TypeError(f"{fn}() missing required argument 'high'")
    position_high = first + 1 if low is not None else first
    low_value = 0 if low is None else _int_arg(low, fn, "low", first)
    high_value = _int_arg(high, fn, "high", position_high)
    for value in (low_value, high_value):
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise ValueRangeError(f"{fn}(): Overflow when unpacking long ({value})")
    return low_value, high_value


def _check_bounds(low: int, high: int, dt: np.dtype) -> None:
    """PyTorch's random_(from, to) checks: ``from < to``, and both ends in the dtype's range
    (a float dtype only warns beyond the integers it represents exactly)."""
    if low >= high:
        raise ValueRangeError(f"random_ expects 'from' to be less than 'to', but got "
                              f"from={low} >= to={high}")
    if dt.kind == "f":
        digits = np.finfo(dt).nmant + 1
        for name, value in (("from", low), ("to - 1", high - 1)):
            if not -(2**digits) <= value <= 2**digits:
                warnings.warn(
                    f"{name} is out of bounds [-(2^{digits}), 2^{digits}]. Due to precision "
                    f"limitations {_C_TYPEID_NAMES[dt]} can support discrete uniform "
                    f"distribution only within this range.", UserWarning, stacklevel=4)
        return
    info = (0, 1) if dt.kind == "b" else (int(np.iinfo(dt).min), int(np.iinfo(dt).max))
    if not info[0] <= low <= info[1]:
        raise ValueRangeError(f"from is out of bounds for {_C_TYPEID_NAMES[dt]}")
    if not info[0] <= high - 1 <= info[1]:
        raise ValueRangeError(f"to - 1 is out of bounds for {_C_TYPEID_NAMES[dt]}")


def _randint(low: int, high: int, shape: tuple[int, ...], generator: Any, dt: np.dtype,
             device: Any, requires_grad: bool) -> Tensor:
    check_device(device)
    _check_grad(dt, requires_grad)
    _check_bounds(low, high, dt)
    rng = generator_or_default(generator)
    return _leaf(rng.integers(low, high, shape, dtype=np.int64).astype(dt), requires_grad)


def randint(*args: Any, low: Any = None, high: Any = None, size: Any = None,
            generator: Any = None, dtype: Any = None, device: Any = None,
            requires_grad: bool = False) -> Tensor:
    """Integers drawn uniformly from [low, high) (low defaults to 0), int64 unless
    ``dtype=``: ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:
        if not args:
            raise TypeError("randint() missing required argument 'size'")
        *rest, size = args
        args = tuple(rest)
        if not args and high is None:
            raise TypeError("randint() missing required arguments 'high' and 'size' (got "
                            "only one positional argument)")
    shape = _sequence_size("randint", size, len(args) + 1)
    bounds = _bounds("randint", args, low, high, 1)
    return _randint(*bounds, shape, generator, _dtype(dtype, dtypes.int64), device,
                    requires_grad)


def randint_like(input: Tensor, *args: Any, low: Any = None, high: Any = None,  # noqa: A002
                 generator: Any = None, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
    """``randint`` in ``input``'s shape and dtype (unless ``dtype=``):
    ``randint_like(x, high)`` or ``randint_like(x, low, high)``."""
    x = _input(input, "randint_like")
    bounds = _bounds("randint_like", args, low, high, 2)
    return _randint(*bounds, x.shape, generator, _dtype(dtype, x.dtype), device,
                    requires_grad)


def randperm(n: int, *, generator: Any = None, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of ``0, 1, ..., n - 1`` (int64 unless ``dtype=``)."""
    count = _int_arg(n, "randperm", "n", 1)
    if count < 0:
        raise ShapeError(f"Trying to create tensor with negative dimension {count}: [{count}]")
    dt = _dtype(dtype, dtypes.int64)
    check_device(device)
    _check_grad(dt, requires_grad)
    if dt.kind == "b":
        raise NotImplementedError("\"randperm\" not implemented for 'Bool'")
    if dt.kind == "f":
        digits = np.finfo(dt).nmant + 1
        if count > 2**digits + 1:
            limit = str(2**digits + 1) if dt == dtypes.float16 else f"2^{digits}+1"
            raise ValueRangeError(f"n cannot be greater than {limit} for "
                                  f"{dtypes.torch_name(dt)} type.")
    elif count > 0:
        _convert(count - 1, dt)  # the largest value must fit the dtype
    rng = generator_or_default(generator)
    return _leaf(rng.permutation(count).astype(dt), requires_grad)


# -------------------------------------------------------------------- NumPy interchange
def _check_array_dtype(array: np.ndarray) -> None:
    if array.dtype.kind in "biuf" and not array.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte "
                         "order. Conversion between byte orders is currently not supported.")
    if array.dtype not in dtypes.SUPPORTED:
        raise TypeError(f"can't convert np.ndarray of type numpy.{array.dtype.type.__name__}. "
                        f"neuralab supports only "
                        f"{', '.join(str(d) for d in dtypes.SUPPORTED)}; convert it first "
                        f"(for example array.astype(numpy.float32))")


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor over ``ndarray``'s memory (no copy: a change to one shows in the other),
    with its dtype and shape."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {_type_name(ndarray)})")
    return _share(ndarray)


def _share(array: np.ndarray) -> Tensor:
    """A tensor over ``array``'s memory (``from_numpy`` and ``as_tensor``)."""
    _check_array_dtype(array)
    if not array.flags.writeable:
        warnings.warn("The given NumPy array is not writable; the tensor shares its memory, "
                      "so an in-place change to the tensor will fail. Copy the array "
                      "(array.copy()) to get a writable tensor.", UserWarning, stacklevel=3)
    return _leaf(array, False)


def as_tensor(data: Any, *, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, sharing memory where it can: a tensor of the asked dtype is
    returned itself (another dtype gives a cast, which stays in the graph); an ndarray of the
    asked dtype is wrapped without a copy; anything else is copied as ``tensor`` does."""
    check_device(device)
    dt = None if dtype is None else dtypes.as_dtype(dtype)
    if isinstance(data, Tensor):
        return data if dt is None or dt == data.dtype else data.to(dt)
    if isinstance(data, np.ndarray):
        if dt is None or dt == data.dtype:
            return _share(data)
        if data.dtype.kind not in "biuf":
            _check_array_dtype(data)
        return _leaf(data.astype(dt), False)
    if isinstance(data, np.generic):  # a NumPy scalar keeps its dtype
        array = np.array(data)
        if dt is None:
            _check_array_dtype(array)
        return _leaf(array if dt is None else array.astype(dt), False)
    return _copy_tensor(data, dtype=dt)


# -------------------------------------------------------------- Tensor.new_* methods
def _new_zeros(self: Tensor, *sizes: Any, size: Any = None, dtype: Any = None,
               device: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of the given size, in this tensor's dtype unless ``dtype=``."""
    return zeros(_size("new_zeros", sizes, size), dtype=_dtype(dtype, self.dtype),
                 device=device, requires_grad=requires_grad)


def _new_ones(self: Tensor, *sizes: Any, size: Any = None, dtype: Any = None,
              device: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of the given size, in this tensor's dtype unless ``dtype=``."""
    return ones(_size("new_ones", sizes, size), dtype=_dtype(dtype, self.dtype),
                device=device, requires_grad=requires_grad)


def _new_empty(self: Tensor, *sizes: Any, size: Any = None, dtype: Any = None,
               device: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialized tensor of the given size, in this tensor's dtype unless ``dtype=``."""
    return empty(_size("new_empty", sizes, size), dtype=_dtype(dtype, self.dtype),
                 device=device, requires_grad=requires_grad)


def _new_full(self: Tensor, size: Sequence[int], fill_value: Any, *, dtype: Any = None,
              device: Any = None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` in the given size and this tensor's dtype (unless ``dtype=``)."""
    shape = _sequence_size("new_full", size)
    value = _number(fill_value, "new_full", "fill_value", 2)
    return full(shape, value, dtype=_dtype(dtype, self.dtype), device=device,
                requires_grad=requires_grad)


def _new_tensor(self: Tensor, data: Any, *, dtype: Any = None, device: Any = None,
                requires_grad: bool = False) -> Tensor:
    """A copy of ``data`` (cut from any graph) in this tensor's dtype unless ``dtype=``."""
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or "
                      "sourceTensor.detach().clone().requires_grad_(True), rather than "
                      "tensor.new_tensor(sourceTensor).", UserWarning, stacklevel=2)
    return _copy_tensor(data, dtype=_dtype(dtype, self.dtype), device=device,
                        requires_grad=requires_grad)


for _name, _method in (("new_zeros", _new_zeros), ("new_ones", _new_ones),
                       ("new_empty", _new_empty), ("new_full", _new_full),
                       ("new_tensor", _new_tensor)):
    _method.__name__ = _method.__qualname__ = _name
    setattr(Tensor, _name, _method)
