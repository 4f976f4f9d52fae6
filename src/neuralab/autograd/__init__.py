"""Automatic differentiation: the engine (chain rule), the Function base, grad mode, gradcheck."""

from .function import Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = ["Function", "enable_grad", "is_grad_enabled", "no_grad", "set_grad_enabled"]
