"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _system import unavailable
from _threads import every_op_threaded


@pytest.fixture
def force_parallel() -> Iterator[None]:
    """Make every op take its threaded path even on tiny inputs (see ``_threads``)."""
    with every_op_threaded():
        yield


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "needs_system(available, reason): skip without it, fail under CI=true")


def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers("needs_system"):
        if not mark.kwargs["available"]:
            unavailable(mark.kwargs["reason"])
