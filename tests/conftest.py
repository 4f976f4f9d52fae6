"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _system import unavailable

from neuralab import parallel
from neuralab.ops import conv


@pytest.fixture
def force_parallel(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make every op take its threaded path even on tiny inputs: two threads, one image per
    chunk, no size thresholds, matrix products always split over our threads (so small test
    tensors exercise the chunked code)."""
    before = parallel.get_num_threads()
    parallel.set_num_threads(2)
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 1)
    monkeypatch.setattr(conv, "COLUMN_CHUNK_BYTES", 1)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_FLOPS", 0)
    monkeypatch.setattr(parallel, "_BLAS_ONE_THREAD_WORK", 0)
    monkeypatch.setattr(parallel, "BLAS_SPIN_SECONDS", float("inf"), raising=False)
    yield
    parallel.set_num_threads(before)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "needs_system(available, reason): skip without it, fail under CI=true")


def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers("needs_system"):
        if not mark.kwargs["available"]:
            unavailable(mark.kwargs["reason"])
