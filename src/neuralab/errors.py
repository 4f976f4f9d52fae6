"""Errors that PyTorch code can catch by PyTorch's exception types.

Where PyTorch raises ``RuntimeError`` (wrong shapes, wrong dtypes), neuralab raises an error
that is *both* the Python type its message suits and ``RuntimeError``, so ``except
RuntimeError`` written for PyTorch catches it, and so does ``except ValueError``.
"""

from __future__ import annotations


class ShapeError(ValueError, RuntimeError):
    """Operands whose shapes do not fit (PyTorch raises RuntimeError)."""


class DTypeError(TypeError, RuntimeError):
    """Operands whose dtypes do not fit (PyTorch raises RuntimeError)."""
