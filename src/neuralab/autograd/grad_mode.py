"""Switching graph recording on and off (``no_grad``, ``enable_grad``)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

_state = threading.local()


def is_grad_enabled() -> bool:
    """True when new operations record the graph needed for ``backward``."""
    return getattr(_state, "enabled", True)


def _set_enabled(mode: bool) -> None:
    _state.enabled = bool(mode)


class _GradMode:
    """Base of ``no_grad``/``enable_grad``: a context manager that is also a decorator.

    Each entry saves the previous mode on a fresh object, so a decorated function that calls
    itself (or runs in two threads) restores the right mode on every exit.
    """

    mode = True

    def __new__(cls, func: Callable[..., Any] | None = None) -> Any:
        self = super().__new__(cls)
        # ``@no_grad`` without parentheses: decorate right away (PyTorch accepts both forms).
        return self if func is None else self(func)

    def __enter__(self) -> None:
        self._previous = is_grad_enabled()
        _set_enabled(self.mode)

    def __exit__(self, *exc: object) -> None:
        _set_enabled(self._previous)

    def __call__(self, func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)():  # a new context per call, never this shared instance
                return func(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Context manager / decorator: operations inside record no graph (inference, updates)."""

    mode = False


class enable_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Context manager / decorator: re-enables graph recording inside ``no_grad``."""

    mode = True


class set_grad_enabled:  # noqa: N801 - PyTorch's name
    """``set_grad_enabled(False)`` switches recording off now; as ``with set_grad_enabled(m):``
    it also restores the previous mode on exit (as in PyTorch)."""

    def __init__(self, mode: bool) -> None:
        self._previous = is_grad_enabled()
        _set_enabled(mode)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        _set_enabled(self._previous)
