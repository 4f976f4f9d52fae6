"""Element-wise math: exp, log, sqrt, abs, clip, and dtype casts."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import dtypes
from ..autograd.function import Function
from ..errors import DTypeError, UnsupportedDTypeError
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


class Sin(Function):
    """y = sin x.   dy/dx = cos x."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.sin(x)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out * np.cos(self.x)


class Cos(Function):
    """y = cos x.   dy/dx = −sin x."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.cos(x)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out * -np.sin(self.x)


class Norm(Function):
    """y = ‖x‖₂ = √(Σ x²) over ``axis``.   dy/dx = x / y (0 where y = 0, as PyTorch)."""

    def forward(self, x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        self.x, self.axis, self.keepdims = x, axis, keepdims
        self.y = np.sqrt(np.sum(x * x, axis=axis, keepdims=True))
        if keepdims:
            return self.y
        return self.y.reshape(()) if axis is None else np.squeeze(self.y, axis)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        if not self.keepdims:
            grad_out = grad_out.reshape(self.y.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.y == 0, 0, grad_out * self.x / self.y)


class Maximum(Function):
    """y = max(a, b) element-wise (NaN where either is NaN).   dy/da = 1 where a > b, 1/2
    where a == b (ties split the gradient), 0 where a < b; dy/db the mirror image. Where a
    NaN is involved neither comparison holds and both get the whole gradient, as in PyTorch."""

    promotes = True
    largest = True

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if any(self.needs_input_grad):
            self.a, self.b = a, b
        return (np.maximum if self.largest else np.minimum)(a, b)

    def backward(self, grad_out: np.ndarray) -> tuple:
        need_a, need_b = self.needs_input_grad
        a, b = self.a, self.b
        shared = np.where(a == b, grad_out / 2, grad_out)
        a_loses, b_loses = (a < b, a > b) if self.largest else (a > b, a < b)
        return (np.where(a_loses, 0, shared) if need_a else None,
                np.where(b_loses, 0, shared) if need_b else None)


class Minimum(Maximum):
    """y = min(a, b) element-wise; the gradient as ``Maximum``'s, to the smaller operand."""

    largest = False


class Cast(Function):
    """y = x converted to another dtype.   dy/dx = 1 (the gradient is cast back)."""

    def forward(self, x: np.ndarray, dtype: Any = None) -> np.ndarray:
        self.source = x.dtype
        return x.astype(dtype)  # always a copy, also for clone()

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out.astype(self.source)


@register()
def exp(x: Any) -> Tensor:
    return Exp.apply(_floating(x))


@register()
def log(x: Any) -> Tensor:
    return Log.apply(_floating(x))


@register()
def sqrt(x: Any) -> Tensor:
    return Sqrt.apply(_floating(x))


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
def sin(x: Any) -> Tensor:
    return Sin.apply(_floating(x))


@register()
def cos(x: Any) -> Tensor:
    return Cos.apply(_floating(x))


@register()
def norm(x: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False,
         dtype: Any = None) -> Tensor:
    """The 2-norm √(Σ x²) over ``dim`` (all elements when ``None``), as ``torch.norm``."""
    if p not in ("fro", 2, 2.0):
        raise NotImplementedError(f"norm(p={p!r}): only the 2-norm ('fro') is supported yet")
    x = x if isinstance(x, Tensor) else Tensor(x)
    if dtype is not None:
        x = _cast(x, dtype)
    if x.dtype.kind != "f":
        raise DTypeError(f"norm(): input dtype should be floating point, but got {x.dtype}")
    axis = tuple(dim) if isinstance(dim, (list, tuple)) else dim
    return Norm.apply(x, axis=axis, keepdims=keepdim)


@register()
def maximum(a: Tensor, b: Tensor) -> Tensor:
    """The element-wise maximum of two tensors (``torch.maximum``; ``torch.max(a, b)``)."""
    return Maximum.apply(*_two_tensors(a, b, "maximum"))


@register()
def minimum(a: Tensor, b: Tensor) -> Tensor:
    """The element-wise minimum of two tensors (``torch.minimum``; ``torch.min(a, b)``)."""
    return Minimum.apply(*_two_tensors(a, b, "minimum"))


def _two_tensors(a: Any, b: Any, name: str) -> tuple[Tensor, Tensor]:
    for position, (label, x) in enumerate((("input", a), ("other", b)), 1):
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}(): argument '{label}' (position {position}) must be "
                            f"Tensor, not {type(x).__name__}")
    return a, b


def _logical(name: str, ufunc: np.ufunc) -> Any:
    """An element-wise bitwise op on bool and integer tensors (no gradient), as in PyTorch."""

    def op(a: Any, b: Any) -> Tensor:
        common = dtypes.result_type(a, b)
        if common.kind == "f":
            raise DTypeError(f"\"{name}_cpu\" not implemented for 'Float': {name} needs bool "
                             f"or integer tensors")
        from ..tensor import to_array

        return Tensor._from_op(ufunc(to_array(a).astype(common, copy=False),
                                     to_array(b).astype(common, copy=False)), False)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Element-wise {name} of bool or integer tensors."
    return op


bitwise_and = register()(_logical("bitwise_and", np.bitwise_and))
bitwise_or = register()(_logical("bitwise_or", np.bitwise_or))
bitwise_xor = register()(_logical("bitwise_xor", np.bitwise_xor))


@register()
def bitwise_not(x: Any) -> Tensor:
    """~x: logical not of a bool tensor, bitwise not of an integer one."""
    x = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    if x.dtype.kind == "f":
        raise DTypeError("\"bitwise_not_cpu\" not implemented for 'Float': ~ needs bool or "
                         "integer tensors")
    return Tensor._from_op(np.invert(x._data), False)


@register()
def logical_not(x: Any) -> Tensor:
    """True where x is zero (any dtype); a bool tensor."""
    x = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    return Tensor._from_op(np.logical_not(x._data), False)


@register()
def logical_and(a: Any, b: Any) -> Tensor:
    from ..tensor import to_array

    return Tensor._from_op(np.logical_and(to_array(a), to_array(b)), False)


@register()
def logical_or(a: Any, b: Any) -> Tensor:
    from ..tensor import to_array

    return Tensor._from_op(np.logical_or(to_array(a), to_array(b)), False)


@register()
def equal(a: Any, b: Any) -> bool:
    """True when a and b have the same shape and the same elements (``torch.equal``)."""
    from ..tensor import to_array

    x, y = to_array(a), to_array(b)
    return x.shape == y.shape and bool(np.all(x == y))


Tensor.__and__ = bitwise_and
Tensor.__rand__ = lambda self, other: bitwise_and(other, self)
Tensor.__or__ = bitwise_or
Tensor.__ror__ = lambda self, other: bitwise_or(other, self)
Tensor.__xor__ = bitwise_xor
Tensor.__rxor__ = lambda self, other: bitwise_xor(other, self)
Tensor.__invert__ = bitwise_not


def _cast(x: Tensor, dtype: Any, copy: bool = False) -> Tensor:
    """The tensor in ``dtype``: itself if it already has it (unless ``copy``).

    Differentiable between floating dtypes; a cast to an integer or bool dtype is cut from the
    graph (as in PyTorch), since only floating tensors can carry a gradient.
    """
    dtype = dtypes.as_dtype(dtype)
    if x.dtype == dtype and not copy:
        return x
    if dtype.kind != "f" or x.dtype.kind != "f":
        return Tensor._from_op(x._data.astype(dtype), False)
    return Cast.apply(x, dtype=dtype)


@register()
def to(x: Tensor, *args: Any, dtype: Any = None, device: Any = None, non_blocking: bool = False,
       copy: bool = False) -> Tensor:
    """``x.to(dtype)``, ``x.to(device)``, ``x.to(device, dtype)``, ``x.to(other_tensor)``:
    the same tensor when nothing changes (unless ``copy=True``), else a converted copy."""
    from ..device import check_device
    from ..device import device as device_type

    if len(args) > 2:
        raise TypeError(f"to() takes at most 2 positional arguments, got {len(args)}")
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype if dtype is None else dtype
        elif isinstance(arg, (str, device_type, int)) and not isinstance(arg, bool) and \
                not (isinstance(arg, str) and _is_dtype_name(arg)):
            device = arg
        else:
            dtype = arg
    check_device(device)
    return _cast(x, x.dtype if dtype is None else dtype, copy)


def _is_dtype_name(name: str) -> bool:
    try:
        dtypes.as_dtype(name)
    except TypeError:
        return False
    return True


def _cast_method(dtype: Any, name: str) -> Any:
    def method(self: Tensor, memory_format: Any = None) -> Tensor:
        return _cast(self, dtype)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"``self.to({dtype})``."
    return method


for _name, _dtype in (("float", dtypes.float32), ("double", dtypes.float64),
                      ("half", dtypes.float16), ("long", dtypes.int64), ("int", dtypes.int32),
                      ("short", dtypes.int16), ("char", dtypes.int8), ("byte", dtypes.uint8),
                      ("bool", dtypes.bool_)):
    setattr(Tensor, _name, _cast_method(_dtype, _name))

_TYPE_NAMES = {dtypes.float32: "FloatTensor", dtypes.float64: "DoubleTensor",
               dtypes.float16: "HalfTensor", dtypes.int64: "LongTensor",
               dtypes.int32: "IntTensor", dtypes.int16: "ShortTensor", dtypes.int8: "CharTensor",
               dtypes.uint8: "ByteTensor", dtypes.bool_: "BoolTensor"}


def _type(self: Tensor, dtype: Any = None, non_blocking: bool = False) -> Any:
    """Without an argument the type's name (``'neuralab.FloatTensor'``); with a dtype (or a
    name such as ``'torch.DoubleTensor'``), the tensor cast to it."""
    if dtype is None:
        return f"neuralab.{_TYPE_NAMES[self.dtype]}"
    if isinstance(dtype, str):
        short = dtype.rsplit(".", 1)[-1]
        for d, name in _TYPE_NAMES.items():
            if name == short:
                return _cast(self, d)
    return _cast(self, dtype)


def _type_as(self: Tensor, other: Tensor) -> Tensor:
    return _cast(self, other.dtype)


def _cpu(self: Tensor, memory_format: Any = None) -> Tensor:
    return self


def _cuda(self: Tensor, device: Any = None, non_blocking: bool = False) -> Tensor:
    from ..device import DeviceError

    raise DeviceError("cuda(): neuralab runs on the CPU with NumPy "
                      "(neuralab.cuda.is_available() is False)")


Tensor.type = _type
Tensor.type_as = _type_as
Tensor.cpu = _cpu
Tensor.cuda = _cuda
Tensor.contiguous = _cpu


@register()
def clone(x: Tensor, *, memory_format: Any = None) -> Tensor:
    """A copy that stays in the graph (gradient flows through unchanged)."""
    if x.dtype.kind != "f":
        return Tensor._from_op(x._data.copy(), False)
    return Cast.apply(x, dtype=x.dtype)


# ------------------------------------------------------------- more element-wise functions
_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _floating(x: Any) -> Tensor:
    """The input as a tensor; integer and bool tensors become the default float dtype, as the
    input of PyTorch's floating functions (``torch.sin(int_tensor)`` is float32)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.dtype.kind != "f":
        return Tensor._from_op(x._data.astype(dtypes.get_default_dtype()), False)
    return x


def _only_floating(x: Any, name: str) -> Tensor:
    """The input as a tensor; PyTorch's error for a function without integer kernels."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.dtype.kind != "f":
        raise UnsupportedDTypeError(f"\"{name}_cpu\" not implemented for "
                                    f"'{_TORCH_NAMES.get(x.dtype, str(x.dtype))}'")
    return x


_TORCH_NAMES = {np.dtype(np.int64): "Long", np.dtype(np.int32): "Int",
                np.dtype(np.int16): "Short", np.dtype(np.int8): "Char",
                np.dtype(np.uint8): "Byte", np.dtype(np.bool_): "Bool"}


class Tan(Function):
    """y = tan x.   dy/dx = 1 + y²."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.tan(x)
        return self.y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out * (1 + self.y * self.y)


class Asin(Function):
    """y = arcsin x.   dy/dx = 1/√(1 − x²)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.arcsin(x)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out / np.sqrt(1 - self.x * self.x)


class Acos(Function):
    """y = arccos x.   dy/dx = −1/√(1 − x²)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.arccos(x)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return -grad_out / np.sqrt(1 - self.x * self.x)


class Atan(Function):
    """y = arctan x.   dy/dx = 1/(1 + x²)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.arctan(x)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out / (1 + self.x * self.x)


class Sinh(Function):
    """y = sinh x.   dy/dx = cosh x."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.sinh(x)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out * np.cosh(self.x)


class Cosh(Function):
    """y = cosh x.   dy/dx = sinh x."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.cosh(x)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out * np.sinh(self.x)


class Exp2(Function):
    """y = 2ˣ.   dy/dx = y · ln 2."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.exp2(x)
        return self.y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out * self.y * _LN2


class Log2(Function):
    """y = log₂ x.   dy/dx = 1/(x · ln 2)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.log2(x)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out / (self.x * _LN2)


class Log10(Function):
    """y = log₁₀ x.   dy/dx = 1/(x · ln 10)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.log10(x)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out / (self.x * _LN10)


class Log1p(Function):
    """y = ln(1 + x).   dy/dx = 1/(1 + x)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.log1p(x)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out / (1 + self.x)


class Expm1(Function):
    """y = eˣ − 1.   dy/dx = eˣ = y + 1."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.expm1(x)
        return self.y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out * (self.y + 1)


class Rsqrt(Function):
    """y = 1/√x.   dy/dx = −½ x^(−3/2) = −½ y³."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            self.y = 1 / np.sqrt(x)
        return self.y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out * (-0.5 * self.y * self.y * self.y)


class Reciprocal(Function):
    """y = 1/x.   dy/dx = −1/x² = −y²."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            self.y = 1 / x
        return self.y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out * -(self.y * self.y)


class Square(Function):
    """y = x².   dy/dx = 2x."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return x * x

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out * (2 * self.x)


def _unary(name: str, fn: type[Function], doc: str) -> Any:
    def op(x: Any) -> Tensor:
        return fn.apply(_floating(x))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return register()(op)


tan = _unary("tan", Tan, "tan x, element-wise.")
asin = _unary("asin", Asin, "arcsin x, element-wise (NaN outside [−1, 1]).")
acos = _unary("acos", Acos, "arccos x, element-wise (NaN outside [−1, 1]).")
atan = _unary("atan", Atan, "arctan x, element-wise.")
sinh = _unary("sinh", Sinh, "sinh x, element-wise.")
cosh = _unary("cosh", Cosh, "cosh x, element-wise.")
exp2 = _unary("exp2", Exp2, "2 ** x, element-wise.")
log2 = _unary("log2", Log2, "log₂ x, element-wise.")
log10 = _unary("log10", Log10, "log₁₀ x, element-wise.")
log1p = _unary("log1p", Log1p, "ln(1 + x), accurate for small x.")
expm1 = _unary("expm1", Expm1, "eˣ − 1, accurate for small x.")
rsqrt = _unary("rsqrt", Rsqrt, "1/√x, element-wise (inf at 0).")
reciprocal = _unary("reciprocal", Reciprocal, "1/x, element-wise (integers give floats).")


@register()
def square(x: Any) -> Tensor:
    """x², in x's dtype (an integer stays an integer; bool becomes int64, as ``torch.square``)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.dtype == np.bool_:
        x = Tensor._from_op(x._data.astype(np.int64), False)
    return Square.apply(x)


class Step(Function):
    """y = floor x, ceil x, round x, trunc x or sign x (``how``).   dy/dx = 0: a step
    function is flat between its jumps, and PyTorch gives 0 at them too."""

    def forward(self, x: np.ndarray, how: Any = None, label: str = "Step",
                decimals: int = 0) -> np.ndarray:
        self.label = label
        if how == "round":
            return np.round(x, decimals)
        if how == "sign":  # NaN and ±0 give 0, as torch.sign
            return ((x > 0).astype(x.dtype) - (x < 0).astype(x.dtype))
        return how(x)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return np.zeros_like(grad_out)

    def name(self) -> str:
        return f"{self.__dict__.get('label', 'Step')}Backward0"


class Frac(Function):
    """y = x − trunc x (the sign of x).   dy/dx = 1."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x - np.trunc(x)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out


def _step(x: Any, name: str, how: Any, **options: Any) -> Tensor:
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.dtype == np.bool_ and name != "sign":
        raise UnsupportedDTypeError(f"\"{name}_vml_cpu\" not implemented for 'Bool'")
    if x.dtype.kind != "f":  # integers are already whole (sign of a bool is itself)
        data = x._data.copy() if name != "sign" or x.dtype == np.bool_ else np.sign(x._data)
        return Tensor._from_op(data, False)
    return Step.apply(x, how=how, label=name.capitalize(), **options)


@register()
def floor(x: Any) -> Tensor:
    """The largest integer <= x, element-wise (integer tensors are returned as they are)."""
    return _step(x, "floor", np.floor)


@register()
def ceil(x: Any) -> Tensor:
    """The smallest integer >= x, element-wise (integer tensors are returned as they are)."""
    return _step(x, "ceil", np.ceil)


@register()
def trunc(x: Any) -> Tensor:
    """x rounded toward zero, element-wise (integer tensors are returned as they are)."""
    return _step(x, "trunc", np.trunc)


@register()
def round(x: Any, *, decimals: int = 0) -> Tensor:  # noqa: A001 - PyTorch's name
    """x rounded to ``decimals`` decimal places, halves to even (``torch.round``)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    if decimals != 0 and x.dtype.kind != "f":
        raise UnsupportedDTypeError(f"\"round_cpu\" not implemented for "
                                    f"'{_TORCH_NAMES.get(x.dtype, str(x.dtype))}'")
    return _step(x, "round", "round", decimals=int(decimals))


@register()
def sign(x: Any) -> Tensor:
    """−1, 0 or 1 by the sign of x (0 for NaN, as ``torch.sign``); bool stays bool."""
    return _step(x, "sign", "sign")


@register()
def frac(x: Any) -> Tensor:
    """x − trunc(x): the fractional part, with the sign of x."""
    return Frac.apply(_only_floating(x, "frac"))


def _classify(name: str, ufunc: np.ufunc, integers: bool) -> Any:
    def op(x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(x)
        if x.dtype.kind != "f":
            return Tensor._from_op(np.full(x.shape, integers), False)
        return Tensor._from_op(ufunc(x._data), False)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"A bool tensor: where x is {name[2:]} (integer tensors: all {integers})."
    return register()(op)


isnan = _classify("isnan", np.isnan, False)
isinf = _classify("isinf", np.isinf, False)
isfinite = _classify("isfinite", np.isfinite, True)


# ------------------------------------------------------------------------------------ erf
# erf x = 2/√π ∫₀ˣ e^(−t²) dt, vectorised in float64 to within 2 ulp of the correctly rounded
# value (NumPy has no erf). Two series, both with only a small, well-conditioned correction:
# * |x| < 1/2: erf x = 2/√π · x · (1 + T), T = Σₙ≥₁ (−1)ⁿ x²ⁿ/(n!(2n+1)), |T| < 0.08; 2/√π is
#   carried as a double plus its rounding error, so only the last two roundings count.
# * 1/2 <= |x| < 6: Taylor series about the nearest multiple x₀ of 1/16 (|h| = |x − x₀| <=
#   1/32), using dⁿ⁺¹/dxⁿ⁺¹ erf x = 2/√π (−1)ⁿ Hₙ(x) e^(−x²) (Hₙ: Hermite polynomials,
#   Hₙ₊₁ = 2x Hₙ − 2n Hₙ₋₁): erf x = erf x₀ + 2/√π e^(−x₀²) Σₙ (−1)ⁿ Hₙ(x₀) hⁿ⁺¹/(n+1)!.
#   erf x₀ comes from a table of the C library's erf (math.erf, correctly rounded on these
#   points in practice); the correction is at most 1/16 of the value, so its own rounding
#   hardly shows.
# * |x| >= 6: ±1 (1 − erf 6 ≈ 2·10⁻¹⁷ is below half an ulp of 1).
_ERF_STEP = 1 / 16
_ERF_GRID = np.arange(0, 6 + _ERF_STEP / 2, _ERF_STEP)
_ERF_AT = np.array([math.erf(v) for v in _ERF_GRID])
_ERF_SLOPE_AT = np.array([_TWO_OVER_SQRT_PI * math.exp(-v * v) for v in _ERF_GRID])
# 2/√π = 1.12837916709551257389615890312154517...: its rounding error as a double
_TWO_OVER_SQRT_PI_LOW = 1.533545961316588e-17


def _erf_near_zero(a: np.ndarray) -> np.ndarray:
    a2 = a * a
    power, tail = np.ones_like(a), np.zeros_like(a)
    for n in range(1, 16):  # x²ⁿ/n! < 10⁻¹⁹ beyond n = 15 for x < 1/2
        power = power * -a2 / n
        tail = tail + power / (2 * n + 1)
    return a * (_TWO_OVER_SQRT_PI + (_TWO_OVER_SQRT_PI_LOW + _TWO_OVER_SQRT_PI * tail))


def _erf_from_table(a: np.ndarray) -> np.ndarray:
    k = np.rint(a * 16).astype(np.intp)
    x0 = k * _ERF_STEP
    h = a - x0
    hermite, previous = np.ones_like(a), np.zeros_like(a)
    term = h.copy()
    total = h.copy()
    for n in range(1, 18):  # |Hₙ(x₀)| hⁿ⁺¹/(n+1)! < 10⁻²⁰ beyond n = 17 for x₀ <= 6
        hermite, previous = 2 * x0 * hermite - 2 * (n - 1) * previous, hermite
        term = term * h / (n + 1)
        total = total + (hermite * term if n % 2 == 0 else -(hermite * term))
    return _ERF_AT[k] + _ERF_SLOPE_AT[k] * total


def erf_array(x: np.ndarray) -> np.ndarray:
    """erf of a float array, computed in float64 and returned in x's dtype."""
    wide = np.asarray(x, dtype=np.float64)
    a = np.abs(wide)
    y = np.ones_like(a)  # |x| >= 6 and ±inf
    y[np.isnan(a)] = np.nan
    near = a < 0.5
    y[near] = _erf_near_zero(a[near])
    middle = (a >= 0.5) & (a < 6)
    y[middle] = _erf_from_table(a[middle])
    return np.copysign(y, wide).astype(x.dtype, copy=False)


class Erf(Function):
    """y = erf x = 2/√π ∫₀ˣ e^(−t²) dt.   dy/dx = 2/√π · e^(−x²)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return erf_array(x)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out * (_TWO_OVER_SQRT_PI * np.exp(-self.x * self.x))


erf = _unary("erf", Erf, "The error function 2/√π ∫₀ˣ e^(−t²) dt, element-wise.")


# ------------------------------------------------------------------------ binary functions
class Atan2(Function):
    """y = atan2(a, b), the angle of the point (b, a).   dy/da = b/(a² + b²),
    dy/db = −a/(a² + b²)."""

    promotes = True

    @staticmethod
    def compute_dtype(common: np.dtype) -> np.dtype:
        return common if common.kind == "f" else dtypes.get_default_dtype()

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return np.arctan2(a, b)

    def backward(self, grad_out: np.ndarray) -> tuple:
        need_a, need_b = self.needs_input_grad
        scaled = grad_out / (self.a * self.a + self.b * self.b)
        return (scaled * self.b if need_a else None, scaled * -self.a if need_b else None)


class LogAddExp(Function):
    """y = ln(eᵃ + eᵇ), computed as max + ln(1 + e^(−|a − b|)).   dy/da = 1/(1 + e^(b − a)),
    dy/db = 1/(1 + e^(a − b)) (PyTorch's formulas)."""

    promotes = True

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return np.logaddexp(a, b)

    def backward(self, grad_out: np.ndarray) -> tuple:
        need_a, need_b = self.needs_input_grad
        with np.errstate(over="ignore"):  # e^(large) = inf gives the limit 0
            return (grad_out / (1 + np.exp(self.b - self.a)) if need_a else None,
                    grad_out / (1 + np.exp(self.a - self.b)) if need_b else None)


class ClampBound(Function):
    """y = max(x, m) (``clamp_min``) or min(x, m) (``clamp_max``), NaN if either is.
    dy/dx = 1 where x >= m (x <= m for clamp_max), the bound included, else 0;
    dy/dm = 1 where x < m (x > m), else 0 (PyTorch's formulas)."""

    promotes = True

    def forward(self, x: np.ndarray, bound: np.ndarray, upper: bool = False) -> np.ndarray:
        if any(self.needs_input_grad):
            self.x_wins = x <= bound if upper else x >= bound
            self.bound_wins = x > bound if upper else x < bound
        return np.minimum(x, bound) if upper else np.maximum(x, bound)

    def backward(self, grad_out: np.ndarray) -> tuple:
        need_x, need_bound = self.needs_input_grad
        return (np.where(self.x_wins, grad_out, 0) if need_x else None,
                np.where(self.bound_wins, grad_out, 0) if need_bound else None)


class Lerp(Function):
    """y = s + w·(e − s), as PyTorch computes it: e − (e − s)·(1 − w) where |w| >= ½.
    dy/ds = 1 − w,  dy/de = w,  dy/dw = e − s."""

    def forward(self, start: np.ndarray, end: np.ndarray, *weight: np.ndarray,
                scalar: Any = None) -> np.ndarray:
        w = weight[0] if weight else scalar
        self.w = w
        if weight and self.needs_input_grad[2]:
            self.start, self.end = start, end
        diff = end - start
        return np.where(np.abs(w) < 0.5, start + w * diff, end - diff * (1 - w))

    def backward(self, grad_out: np.ndarray) -> tuple:
        need = self.needs_input_grad
        w = self.w
        grads = (grad_out * (1 - w) if need[0] else None, grad_out * w if need[1] else None)
        if len(need) == 3:
            grads += ((grad_out * (self.end - self.start) if need[2] else None),)
        return grads


@register()
def atan2(input: Any, other: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """The angle of (other, input) in (−π, π], element-wise (``torch.atan2``)."""
    return Atan2.apply(input, other)


@register()
def logaddexp(input: Any, other: Any) -> Tensor:  # noqa: A002
    """ln(eᵃ + eᵇ) without overflow, element-wise (floating tensors only)."""
    if dtypes.result_type(input, other).kind != "f":
        raise UnsupportedDTypeError(
            f"\"logaddexp_cpu\" not implemented for "
            f"'{_TORCH_NAMES.get(dtypes.result_type(input, other), 'Long')}'")
    return LogAddExp.apply(input, other)


@register()
def clamp_min(input: Any, min: Any) -> Tensor:  # noqa: A002
    """max(input, min) element-wise; ``min`` a number or a tensor (``torch.clamp_min``)."""
    return ClampBound.apply(input, min, upper=False)


@register()
def clamp_max(input: Any, max: Any) -> Tensor:  # noqa: A002
    """min(input, max) element-wise; ``max`` a number or a tensor (``torch.clamp_max``)."""
    return ClampBound.apply(input, max, upper=True)


@register()
def lerp(input: Any, end: Any, weight: Any) -> Tensor:  # noqa: A002
    """input + weight·(end − input) (``torch.lerp``): ``weight`` a number or a tensor; the
    tensors must share one floating dtype, as in PyTorch (it does not promote here)."""
    input = input if isinstance(input, Tensor) else Tensor(input)  # noqa: A001
    if input.dtype.kind != "f":
        raise UnsupportedDTypeError(f"\"lerp_kernel_scalar\" not implemented for "
                                    f"'{_TORCH_NAMES.get(input.dtype, str(input.dtype))}'")
    for label, t in (("end", end), ("weight", weight)):
        if isinstance(t, Tensor) and t.dtype != input.dtype:
            raise DTypeError(f"expected dtype {dtypes.torch_name(input.dtype).lower()} for "
                             f"`{label}` but got dtype {dtypes.torch_name(t.dtype).lower()}")
    if isinstance(weight, Tensor):
        return Lerp.apply(input, end, weight)
    return Lerp.apply(input, end, scalar=weight)
