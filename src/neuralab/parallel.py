"""Intra-op parallelism: the heavy ops split their batch into chunks and run them on threads.

NumPy runs an element-wise op on one core, and OpenBLAS parallelises each matrix product on
its own; for the tall, thin products of a convolution (15,488 × 289 @ 289 × 64) two OpenBLAS
threads are barely faster than one. So conv, pooling, ReLU and linear do what PyTorch does on
a CPU: split the work along the batch axis into independent chunks, run the chunks on a pool
of ``get_num_threads()`` threads (NumPy and BLAS release the GIL), and keep BLAS at one thread
inside a chunk so the cores are not oversubscribed. Measured on 2 cores, one step of the CNN
benchmark: 31.7 ms → see ``benchmarks/cnn_epoch.py`` and the README for the current figure.

Chunks are also cache-sized (at most ``CHUNK_BYTES`` of input each): a multi-step op (copy,
compare, maximum, ...) then finds its intermediates still in cache, instead of streaming a
whole 11 MB activation through memory once per step.

``set_num_threads(1)`` makes every op serial (the chunks still run, one after another).
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

CHUNK_BYTES = 3 << 20  # at most this much input per chunk: stays in L2/L3 with its temporaries
MIN_PARALLEL_BYTES = 256 << 10  # below this, handing work to a thread costs more than it saves
MIN_PARALLEL_FLOPS = 4_000_000  # the same for a matrix product (2·m·k·n)


def _default_threads() -> int:
    env = os.environ.get("NEURALAB_NUM_THREADS")
    if env:
        return max(1, int(env))
    try:
        return max(1, len(os.sched_getaffinity(0)))  # the cores this process may use
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


_num_threads = _default_threads()
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_local = threading.local()  # .busy: this thread is already running a chunk (no nesting)


def get_num_threads() -> int:
    """The number of threads the heavy ops use (``torch.get_num_threads``)."""
    return _num_threads


def set_num_threads(num_threads: int) -> None:
    """Use ``num_threads`` threads in the heavy ops (``torch.set_num_threads``); 1 = serial.

    The default is the number of cores this process may run on, or ``$NEURALAB_NUM_THREADS``.
    """
    global _num_threads, _pool
    if isinstance(num_threads, bool) or not isinstance(num_threads, (int, np.integer)) \
            or num_threads < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {num_threads!r}")
    with _pool_lock:
        if _pool is not None and int(num_threads) != _num_threads:
            _pool.shutdown(wait=True)
            _pool = None
        _num_threads = int(num_threads)


def _get_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max(1, _num_threads - 1),  # the caller is one more
                                       thread_name_prefix="neuralab")
        return _pool


def _forget_pool_after_fork() -> None:
    # A forked child has the pool object but not its threads: make it build a new one.
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


class _Blas:
    """The BLAS libraries NumPy loaded (via threadpoolctl), to hold them at one thread while
    our own threads run; found on first use. Without threadpoolctl nothing is changed."""

    libraries: list | None = None

    @classmethod
    def controllers(cls) -> list:
        if cls.libraries is None:
            try:
                from threadpoolctl import ThreadpoolController
            except ImportError:  # pragma: no cover - threadpoolctl is a dependency
                cls.libraries = []
            else:
                cls.libraries = list(ThreadpoolController().select(user_api="blas")
                                     .lib_controllers)
        return cls.libraries


@contextmanager
def _single_threaded_blas() -> Any:
    controllers = _Blas.controllers()
    before = [lib.get_num_threads() for lib in controllers]
    for lib, count in zip(controllers, before):
        if count != 1:
            lib.set_num_threads(1)
    try:
        yield
    finally:
        for lib, count in zip(controllers, before):
            if count != 1:
                lib.set_num_threads(count)


def run_parallel(fn: Callable[..., T], tasks: Sequence[tuple]) -> list[T]:
    """``[fn(*args) for args in tasks]``, the tasks shared by the calling thread and the pool.

    Each thread takes the next task until none is left, so uneven tasks balance themselves and
    the caller works instead of waiting. Serial with one thread or one task, or when called
    from inside a task."""
    if _num_threads == 1 or len(tasks) < 2 or getattr(_local, "busy", False):
        return [fn(*args) for args in tasks]
    results: list[Any] = [None] * len(tasks)
    claim = itertools.count().__next__  # atomic under the GIL: each index is taken once

    def work() -> None:
        _local.busy = True
        try:
            while (index := claim()) < len(tasks):
                results[index] = fn(*tasks[index])
        finally:
            _local.busy = False

    with _single_threaded_blas():
        helpers = [_get_pool().submit(work) for _ in range(min(_num_threads, len(tasks)) - 1)]
        try:
            work()
        finally:  # never leave while a helper may still be writing
            wait(helpers)
        for helper in helpers:
            helper.result()  # re-raises a helper's exception here
    return results


def batch_ranges(n: int, bytes_per_item: int) -> list[tuple[int, int]]:
    """Consecutive (start, stop) slices covering ``range(n)``: cache-sized (at most
    CHUNK_BYTES of input each), equal, and a multiple of the thread count when the work is
    large enough to share."""
    total = n * max(1, bytes_per_item)
    chunks = -(-total // CHUNK_BYTES)
    if _num_threads > 1 and total >= MIN_PARALLEL_BYTES:
        chunks = -(-chunks // _num_threads) * _num_threads
    chunks = max(1, min(chunks, n))
    step = -(-n // chunks)  # equal-sized chunks: no small remainder
    return [(start, min(start + step, n)) for start in range(0, n, step)]


def over_batch(fn: Callable[[int, int], T], n: int, bytes_per_item: int) -> list[T]:
    """Call ``fn(start, stop)`` on the ``batch_ranges`` of ``range(n)`` (in parallel) and return
    the results in order; ``fn`` writes its own slice of preallocated outputs."""
    return run_parallel(fn, batch_ranges(n, bytes_per_item))


def elementwise(fn: Callable[..., Any], *arrays: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``fn(*arrays, out=out)`` run on slices of the first axis (arrays of out's shape)."""
    if out.ndim == 0 or out.nbytes < MIN_PARALLEL_BYTES or _num_threads == 1:
        fn(*arrays, out=out)
        return out

    def chunk(lo: int, hi: int) -> None:
        fn(*(a[lo:hi] for a in arrays), out=out[lo:hi])

    over_batch(chunk, out.shape[0], out[:1].nbytes)
    return out


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for 2-D ``a``, ``b``, with the rows of ``a`` split over the threads (each thread
    a one-threaded BLAS call into its slice of the result)."""
    m, k = a.shape
    n = b.shape[1]
    threads = min(_num_threads, m)
    if threads < 2 or 2 * m * k * n < MIN_PARALLEL_FLOPS or getattr(_local, "busy", False):
        return a @ b
    out = np.empty((m, n), dtype=np.result_type(a, b))
    step = -(-m // threads)

    def rows(lo: int, hi: int) -> None:
        np.matmul(a[lo:hi], b, out=out[lo:hi])

    run_parallel(rows, [(lo, min(lo + step, m)) for lo in range(0, m, step)])
    return out
