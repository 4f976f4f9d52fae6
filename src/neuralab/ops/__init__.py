"""All differentiable ops. Importing this package registers them on ``Tensor``."""

from . import (  # noqa: F401
    activation,
    arithmetic,
    conv,
    elementwise,
    linalg,
    loss,
    normalization,
    pooling,
    reduction,
    shape,
)
from .registry import OPS

__all__ = ["OPS"]
