"""All differentiable ops. Importing this package registers them on ``Tensor``."""

from . import activation, arithmetic, elementwise, linalg, loss, reduction, shape  # noqa: F401
from .registry import OPS

__all__ = ["OPS"]
