"""The op registry: registering a function makes it a ``Tensor`` method and an ``F.*`` function.

So adding an op touches one ops module (its ``Function`` subclass and a registered wrapper)
plus its test case.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ..tensor import Tensor

FnT = TypeVar("FnT", bound=Callable[..., Any])

OPS: dict[str, Callable[..., Any]] = {}


def register(*aliases: str, method: bool = True) -> Callable[[FnT], FnT]:
    """Record ``fn`` under its name (and ``aliases``); with ``method`` also bind it on Tensor."""

    def decorate(fn: FnT) -> FnT:
        for name in (fn.__name__, *aliases):
            OPS[name] = fn
            if method:
                setattr(Tensor, name, fn)
        return fn

    return decorate


def normalize_axis(axis: Any, dim: Any = None) -> Any:
    """Accept NumPy's ``axis`` or PyTorch's ``dim``; lists become tuples."""
    if dim is not None:
        if axis is not None:
            raise TypeError("give either axis= or dim=, not both")
        axis = dim
    return tuple(axis) if isinstance(axis, list) else axis
