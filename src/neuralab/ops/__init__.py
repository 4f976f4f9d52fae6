"""All differentiable ops. Importing this package registers them on ``Tensor``."""

from . import (  # noqa: F401
    activation,
    arithmetic,
    conv,
    elementwise,
    inplace,  # noqa: F401  (last: the in-place twins of the ops above)
    linalg,
    loss,
    normalization,
    pooling,
    reduction,
    shape,
)
from .registry import OPS

__all__ = ["OPS"]
