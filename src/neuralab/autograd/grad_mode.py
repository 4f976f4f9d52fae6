"""Switching graph recording on and off (``no_grad``, ``enable_grad``)."""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator
from typing import Any

_state = threading.local()


def is_grad_enabled() -> bool:
    """True when new operations record the graph needed for ``backward``."""
    return getattr(_state, "enabled", True)


def set_grad_enabled(mode: bool) -> None:
    _state.enabled = bool(mode)


class _GradMode(contextlib.ContextDecorator):
    mode = True

    def __enter__(self) -> None:
        self._previous = is_grad_enabled()
        set_grad_enabled(self.mode)

    def __exit__(self, *exc: object) -> None:
        set_grad_enabled(self._previous)


class no_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Context manager / decorator: operations inside record no graph (inference, updates)."""

    mode = False


class enable_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Context manager / decorator: re-enables graph recording inside ``no_grad``."""

    mode = True


@contextlib.contextmanager
def _grad_mode(mode: bool) -> Iterator[None]:
    previous = is_grad_enabled()
    set_grad_enabled(mode)
    try:
        yield
    finally:
        set_grad_enabled(previous)


def without_grad(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator form used by optimizers: run ``fn`` with recording off."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _grad_mode(False):
            return fn(*args, **kwargs)

    return wrapper
