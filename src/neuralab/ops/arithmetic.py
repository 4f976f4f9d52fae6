"""Arithmetic: + - * / ** and negation, with NumPy broadcasting.

Each backward returns gradients in the broadcast shape; the engine sums them back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes
from ..autograd.function import Function
from ..errors import DTypeError, IntegerDivisionByZeroError, UnsupportedDTypeError
from ..tensor import Tensor
from .registry import register


class Add(Function):
    """y = a + b.   dy/da = 1,  dy/db = 1."""

    promotes = True

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a + b

    def backward(self, grad_out: np.ndarray) -> tuple:
        return grad_out, grad_out


class Sub(Function):
    """y = a - b.   dy/da = 1,  dy/db = -1."""

    promotes = True

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a - b

    def backward(self, grad_out: np.ndarray) -> tuple:
        return grad_out, -grad_out


class Mul(Function):
    """y = a * b.   dy/da = b,  dy/db = a."""

    promotes = True

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        need_a, need_b = self.needs_input_grad
        self.a, self.b = (a if need_b else None), (b if need_a else None)  # each other's
        return a * b

    def backward(self, grad_out: np.ndarray) -> tuple:
        need_a, need_b = self.needs_input_grad
        return (grad_out * self.b if need_a else None, grad_out * self.a if need_b else None)


class Div(Function):
    """y = a / b.   dy/da = 1/b,  dy/db = -a/b² = -y/b."""

    promotes = True

    @staticmethod
    def compute_dtype(common: np.dtype) -> np.dtype:
        return common if common.kind == "f" else dtypes.get_default_dtype()  # 1 / 2 = 0.5

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.b = b
        self.y = a / b
        return self.y

    def backward(self, grad_out: np.ndarray) -> tuple:
        grad_a = grad_out / self.b
        need_a, need_b = self.needs_input_grad
        return (grad_a if need_a else None, -grad_a * self.y if need_b else None)


class DivRounded(Function):
    """y = trunc(a / b) or ⌊a / b⌋ (``div(rounding_mode=...)``); integers stay integers.
    dy/da = dy/db = 0: PyTorch defines the gradient of a rounded division as zeros (its
    ``DivBackward2`` returns them), a step function being flat between its jumps."""

    promotes = True

    def forward(self, a: np.ndarray, b: np.ndarray, rounding_mode: str = "trunc") -> np.ndarray:
        if a.dtype.kind in "iu":
            if np.any(b == 0):
                raise RuntimeError("ZeroDivisionError: integer division by zero in div("
                                   f"rounding_mode={rounding_mode!r})")
            floor = np.floor_divide(a, b)
            if rounding_mode == "floor":
                return floor
            # toward zero: one more than the floor where the division is inexact and negative
            return floor + ((np.remainder(a, b) != 0) & ((a < 0) != (b < 0)))
        with np.errstate(divide="ignore", invalid="ignore"):
            # the floor of float operands as Python's // (and torch) compute it: exact, from
            # fmod, not the rounded quotient
            return np.floor_divide(a, b) if rounding_mode == "floor" else np.trunc(a / b)

    def backward(self, grad_out: np.ndarray) -> tuple:
        need_a, need_b = self.needs_input_grad
        return (np.zeros_like(grad_out) if need_a else None,
                np.zeros_like(grad_out) if need_b else None)

    def name(self) -> str:
        return "DivBackward2"


class Fmod(Function):
    """y = a − b·trunc(a / b) (C's fmod: the sign of a, exact).   dy/da = 1,
    dy/db = −trunc(a / b) (PyTorch's formula; a and b away from the jumps at a/b ∈ ℤ)."""

    promotes = True

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.dtype.kind in "iub" and np.any(b == 0):
            raise RuntimeError("ZeroDivisionError: integer division by zero in fmod")
        if self.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                self.quotient = np.trunc(a / b)
        with np.errstate(invalid="ignore"):  # fmod(x, 0) and fmod(inf, y) are NaN
            return np.fmod(a, b)

    def backward(self, grad_out: np.ndarray) -> tuple:
        need_a, need_b = self.needs_input_grad
        return (grad_out if need_a else None, -grad_out * self.quotient if need_b else None)


class Pow(Function):
    """y = a ** b.   dy/da = b·a^(b-1) (0 where b == 0),  dy/db = y·ln(a) (only if b needs it).

    Integer powers are C's: a negative exponent (from a tensor; ``pow`` refuses a negative
    number) gives 1 for a base of 1, ±1 for −1 and 0 for any other base, as in PyTorch. Bool
    to a bool power is bool: ``a ** b`` is ``a or not b``.
    """

    promotes = True

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        if a.dtype == np.bool_:  # both operands are bool: NumPy would give int8
            self.y = a | ~b
        elif a.dtype.kind in "iu" and b.dtype.kind == "i" and np.any(b < 0):
            self.y = _integer_power(a, b)
        else:
            self.y = a**b
        return self.y

    def backward(self, grad_out: np.ndarray) -> tuple:
        need_a, need_b = self.needs_input_grad
        grad_a = None
        if need_a:
            with np.errstate(divide="ignore", invalid="ignore"):
                # a ** 0 is constant 1, so its derivative is 0 even at a == 0, where
                # b·a^(b−1) would give 0·inf = nan (PyTorch masks b == 0 the same way).
                local = np.where(self.b == 0, 0, self.b * self.a ** (self.b - 1))
            grad_a = grad_out * local
        grad_b = None
        if need_b:
            with np.errstate(divide="ignore", invalid="ignore"):
                # PyTorch's convention: where a == 0 and b >= 0 the gradient w.r.t. b is 0.
                log_a = np.where((self.a == 0) & (self.b >= 0), 0.0, np.log(self.a))
            grad_b = grad_out * self.y * log_a
        return grad_a, grad_b


def _integer_power(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a ** b for integers with some b < 0, as C (and PyTorch) compute it: 1 / a^|b| truncated
    to an integer is 1 for a == 1, ±1 for a == −1 (the sign of an odd power) and 0 otherwise."""
    negative = b < 0
    y = a ** np.where(negative, 0, b)
    odd = (b % 2).astype(bool)
    inverse = np.where(a == 1, 1, np.where(a == -1, np.where(odd, -1, 1), 0))
    return np.where(negative, inverse, y).astype(y.dtype, copy=False)


class FloorDivide(Function):
    """y = ⌊a / b⌋.   A step function; PyTorch defines no derivative, so neither do we."""

    promotes = True

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.dtype.kind in "iub" and np.any(b == 0):
            raise IntegerDivisionByZeroError("ZeroDivisionError: integer division by zero in "
                                        "floor_divide")
        return np.floor_divide(a, b)

    def backward(self, grad_out: np.ndarray) -> tuple:
        raise RuntimeError("the derivative for 'floor_divide' is not implemented (as in "
                           "PyTorch); detach() the operands or use div() and floor()")


class Remainder(Function):
    """y = a − b·⌊a / b⌋ (the sign of b, as Python's %).   dy/da = 1,  dy/db = −⌊a / b⌋.

    As in PyTorch, ``number % tensor`` has no derivative (its node is ``NotImplemented``):
    backward through it raises.
    """

    promotes = True

    def forward(self, a: np.ndarray, b: np.ndarray, number_first: bool = False,
                number_second: bool = False) -> np.ndarray:
        if a.dtype.kind in "iub" and np.any(b == 0):
            raise IntegerDivisionByZeroError(
                "ZeroDivisionError: integer modulo by zero in remainder")
        self.number_first, self.number_second = number_first, number_second
        self.quotient = np.floor_divide(a, b) if self.needs_input_grad[1] else None
        return np.remainder(a, b)

    def backward(self, grad_out: np.ndarray) -> tuple:
        if self.number_first:
            raise RuntimeError("derivative for aten::remainder is not implemented (PyTorch "
                               "defines none for number % tensor either); write "
                               "number - tensor * floor(number / tensor) to differentiate")
        need_a, need_b = self.needs_input_grad
        return (grad_out if need_a else None, -grad_out * self.quotient if need_b else None)

    def name(self) -> str:
        # PyTorch's nodes: tensor % number, tensor % tensor, and number % tensor (no formula)
        if self.__dict__.get("number_first"):
            return "torch::autograd::NotImplemented"
        return "RemainderBackward0" if self.__dict__.get("number_second") else \
            "RemainderBackward1"


class Neg(Function):
    """y = -x.   dy/dx = -1."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return -x

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return -grad_out


def _is_bool(x: Any) -> bool:
    """A bool tensor or array, or a Python bool (PyTorch takes np.bool_ for a float)."""
    if isinstance(x, (Tensor, np.ndarray)):
        return x.dtype == np.bool_
    return isinstance(x, bool)


def _is_number(x: Any) -> bool:
    return isinstance(x, (bool, int, float, np.bool_, np.integer, np.floating))


def _check_alpha(a: Any, b: Any, alpha: Any) -> None:
    """PyTorch's rules for ``alpha``: a bool only for bool results, no float for integers."""
    if isinstance(alpha, (bool, np.bool_)):
        if dtypes.result_type(a, b) != np.bool_:
            raise DTypeError("Boolean alpha only supported for Boolean results.")
    elif isinstance(alpha, (float, np.floating)) and dtypes.result_type(a, b).kind in "biu":
        raise DTypeError("For integral input tensors, argument alpha must not be a floating "
                         "point number.")


@register()
def add(a: Any, b: Any, *, alpha: Any = 1) -> Tensor:
    """a + alpha·b."""
    if type(alpha) is int and alpha == 1:
        return Add.apply(a, b)
    _check_alpha(a, b, alpha)
    return Add.apply(a, mul(b, alpha))


@register()
def sub(a: Any, b: Any, *, alpha: Any = 1) -> Tensor:
    """a − alpha·b. Bool operands are refused, as in PyTorch (``~mask`` inverts a mask)."""
    if _is_bool(a) or _is_bool(b):
        if _is_bool(a) and _is_bool(b):
            raise DTypeError("Subtraction, the `-` operator, with two bool tensors is not "
                             "supported. Use the `^` or `logical_xor()` operator instead.")
        raise DTypeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                         "If you are trying to invert a mask, use the `~` or `logical_not()` "
                         "operator instead.")
    if type(alpha) is int and alpha == 1:
        return Sub.apply(a, b)
    _check_alpha(a, b, alpha)
    return Sub.apply(a, mul(b, alpha))


@register()
def mul(a: Any, b: Any) -> Tensor:
    return Mul.apply(a, b)


@register()
def div(a: Any, b: Any, *, rounding_mode: str | None = None) -> Tensor:
    """a / b: true division (integers give the default float dtype), or with
    ``rounding_mode`` 'trunc' (toward zero) or 'floor' the rounded quotient, in the operands'
    promoted dtype (integers stay integers), with a zero gradient as in PyTorch."""
    if rounding_mode is None:
        return Div.apply(a, b)
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    if dtypes.result_type(a, b) == np.bool_:
        raise UnsupportedDTypeError(f"\"div_{rounding_mode}_cpu\" not implemented for 'Bool'")
    return DivRounded.apply(a, b, rounding_mode=rounding_mode)


@register()
def addcmul(x: Any, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
    """x + value · tensor1 · tensor2."""
    return add(x, mul(tensor1, tensor2), alpha=value)


@register()
def addcdiv(x: Any, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
    """x + value · tensor1 / tensor2."""
    return add(x, div(tensor1, tensor2), alpha=value)


@register()
def pow(a: Any, exponent: Any) -> Tensor:  # noqa: A001 - PyTorch's name
    """a ** exponent. As in PyTorch, an integer (or bool) tensor to a negative *number* power
    raises, while a tensor of exponents gives C's integer powers; bool ** bool needs a Python
    bool exponent."""
    if _is_number(exponent):
        if isinstance(exponent, (int, np.integer)) and not isinstance(exponent, bool) and \
                exponent < 0 and dtypes.result_type(a, exponent).kind in "biu":
            raise DTypeError("Integers to negative integer powers are not allowed.")
    elif _is_bool(exponent) and dtypes.result_type(a, exponent) == np.bool_:
        raise UnsupportedDTypeError("\"pow\" not implemented for 'Bool' (a bool tensor "
                                    "exponent of a bool base; use a Python bool, or cast with "
                                    ".long())")
    return Pow.apply(a, exponent)


@register()
def floor_divide(a: Any, b: Any) -> Tensor:
    """⌊a / b⌋ element-wise (``a // b``)."""
    return FloorDivide.apply(a, b)


@register()
def remainder(a: Any, b: Any) -> Tensor:
    """a mod b with the sign of b (``a % b``, Python's convention, as torch.remainder)."""
    return Remainder.apply(a, b, number_first=_is_number(a), number_second=_is_number(b))


@register()
def fmod(a: Any, b: Any) -> Tensor:
    """a − b·trunc(a / b): the remainder with the sign of a (C's fmod, ``torch.fmod``)."""
    return Fmod.apply(a, b)


@register()
def neg(x: Any) -> Tensor:
    return Neg.apply(x)


Tensor.__add__ = add
Tensor.__radd__ = lambda self, other: add(other, self)
Tensor.__sub__ = sub
Tensor.__rsub__ = lambda self, other: sub(other, self)
Tensor.__mul__ = mul
Tensor.__rmul__ = lambda self, other: mul(other, self)
Tensor.__truediv__ = div
Tensor.__rtruediv__ = lambda self, other: div(other, self)
Tensor.__pow__ = pow
Tensor.__rpow__ = lambda self, other: pow(other, self)
Tensor.__neg__ = neg
Tensor.__floordiv__ = floor_divide
Tensor.__rfloordiv__ = lambda self, other: floor_divide(other, self)
Tensor.__mod__ = remainder
Tensor.__rmod__ = lambda self, other: remainder(other, self)
