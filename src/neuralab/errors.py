"""Errors that PyTorch code can catch by PyTorch's exception types.

Where PyTorch raises ``RuntimeError`` (wrong shapes, wrong dtypes, bad argument values),
neuralab raises an error that is *both* the Python type its message suits and
``RuntimeError``, so ``except RuntimeError`` written for PyTorch catches it, and so does
``except ValueError`` (or ``TypeError``).
"""

from __future__ import annotations


class ShapeError(ValueError, RuntimeError):
    """Operands whose shapes do not fit (PyTorch raises RuntimeError)."""


class DTypeError(TypeError, RuntimeError):
    """Operands whose dtypes do not fit (PyTorch raises RuntimeError)."""


class UnsupportedDTypeError(DTypeError, NotImplementedError):
    """An op that has no kernel for a dtype, such as a loss of integer tensors: PyTorch raises
    ``NotImplementedError`` ('"mse_cpu" not implemented for 'Long''), a RuntimeError."""


class ArgumentError(ValueError, RuntimeError):
    """An argument value PyTorch rejects with RuntimeError (a probability outside [0, 1], an
    option that does not apply)."""


class IntegerDivisionByZeroError(ZeroDivisionError, RuntimeError):
    """Integer division or modulo by zero (PyTorch raises RuntimeError "ZeroDivisionError")."""
