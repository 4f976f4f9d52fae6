"""Intra-op parallelism: the heavy ops split their batch into chunks and run them on threads.

NumPy runs an element-wise op on one core, and OpenBLAS parallelises each matrix product on
its own; for the tall, thin products of a convolution (15,488 × 289 @ 289 × 64: 6.9 ms on two
OpenBLAS threads, 7.9 ms on one, 4.1 ms as two halves on two threads of ours) that is a poor
split. So conv, max pooling, BatchNorm, ReLU and matrix products do what PyTorch does on a CPU:
split the work along the batch axis into independent chunks, run the chunks on
``get_num_threads()`` threads (NumPy and BLAS release the GIL), and keep BLAS at one thread
inside a chunk so the cores are not oversubscribed. Measured on 2 cores, one training step of
the CNN benchmark went from 31.7 ms to about 25 ms (see ``benchmarks/cnn_epoch.py``).

Chunks are also cache-sized (at most ``CHUNK_BYTES`` of input each): a multi-step op (copy,
compare, maximum, ...) then finds its intermediates still in cache, instead of streaming a
whole 11 MB activation through memory once per step.

With more than one thread, neuralab holds NumPy's BLAS at one thread from its first op on —
also for NumPy products of your own code meanwhile, as PyTorch's intra-op threads replace its
BLAS's: BLAS's idle threads would busy-wait on the cores our next op needs, and the BLAS kernel
(hence the rounding) may depend on its thread count. The hold is set once rather than around
each op (switching costs ~7 µs a time). ``set_num_threads(1)`` makes every op serial (the
chunks still run, one after another) and gives BLAS back its own thread count.

Determinism: every choice of code path (serial or threaded, how a batch or a product is cut,
how many BLAS threads) is a function of the shapes, the dtypes and ``get_num_threads()`` only,
never of timing, and chunk results are combined in a fixed order. So for a given
``set_num_threads`` on a given machine (CPU, BLAS library and its thread count) the same inputs
give bitwise-identical results, whatever ran before. Across thread counts, results are equal
up to rounding: a product or a reduction may be cut or summed in another order.
"""

from __future__ import annotations

import itertools
import os
import queue
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

CHUNK_BYTES = 3 << 20  # at most this much input per chunk: stays in L2/L3 with its temporaries
# Below this much data, handing work to a thread costs more than it saves: starting and
# joining a parallel section costs ~0.1 ms on the 2-core VM we measured on (a thread's wake-up
# and GIL hand-offs); there a 0.8 MB copy ran in 0.15 ms serially and 0.28 ms shared, while a
# 4 MB max-pooling pass was faster shared (forward 0.71 vs 0.90 ms, backward 1.04 vs 1.31).
MIN_PARALLEL_BYTES = 2 << 20
MIN_PARALLEL_FLOPS = 4_000_000  # the same for a convolution's GEMMs (2·m·k·n)
# A lone matrix product is split over the threads from this size on. Measured on the 2-core VM
# (float32, BLAS at one thread): 128×256 @ 256×128 (8.4 MFLOP) takes 87 µs whole and 144 µs
# split in two (a parallel section costs ~60 µs here); 128×784 @ 784×256 (51 MFLOP) 550 µs
# whole, 351 µs split.
MIN_SPLIT_FLOPS = 16_000_000


def _default_threads() -> int:
    env = os.environ.get("NEURALAB_NUM_THREADS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            warnings.warn(f"NEURALAB_NUM_THREADS={env!r} is not an integer; using the number "
                          f"of cores", stacklevel=2)
    try:
        return max(1, len(os.sched_getaffinity(0)))  # the cores this process may use
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


_num_threads = _default_threads()
_workers: _Workers | None = None
_workers_lock = threading.Lock()
_local = threading.local()  # .busy: this thread is already running a chunk (no nesting)


class _Workers:
    """``count`` daemon threads that run the jobs put on one queue (``queue.SimpleQueue`` is
    implemented in C: a put and a wake-up cost a few microseconds, a fraction of what
    ``concurrent.futures`` costs per task)."""

    def __init__(self, count: int) -> None:
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.threads = [threading.Thread(target=self._loop, name=f"neuralab-{i}", daemon=True)
                        for i in range(count)]
        for thread in self.threads:
            thread.start()

    def _loop(self) -> None:
        while (job := self.jobs.get()) is not None:
            job()

    def stop(self) -> None:
        for _ in self.threads:
            self.jobs.put(None)
        for thread in self.threads:
            thread.join()


def get_num_threads() -> int:
    """The number of threads the heavy ops use (``torch.get_num_threads``)."""
    return _num_threads


def set_num_threads(num_threads: int) -> None:
    """Use ``num_threads`` threads in the heavy ops (``torch.set_num_threads``); 1 = serial.

    The default is the number of cores this process may run on, or ``$NEURALAB_NUM_THREADS``.
    """
    global _num_threads, _workers
    if isinstance(num_threads, bool) or not isinstance(num_threads, (int, np.integer)) \
            or num_threads < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {num_threads!r}")
    if getattr(_local, "busy", False):  # it would wait for the very threads running this task
        raise RuntimeError("set_num_threads: cannot be called from inside a parallel task")
    with _workers_lock:
        if _workers is not None and int(num_threads) != _num_threads:
            _workers.stop()
            _workers = None
        _num_threads = int(num_threads)
    if _num_threads == 1:
        _release_blas()  # BLAS may thread its products again, as before neuralab held it


@contextmanager
def threads(num_threads: int) -> Iterator[None]:
    """``set_num_threads(num_threads)`` for the block, the previous count restored after."""
    before = get_num_threads()
    set_num_threads(num_threads)
    try:
        yield
    finally:
        set_num_threads(before)


def _get_workers() -> _Workers:
    global _workers
    with _workers_lock:
        if _workers is None:
            _workers = _Workers(_num_threads - 1)  # the calling thread is the last one
        return _workers


def _forget_workers_after_fork() -> None:
    # A forked child has the pool object but not its threads: make it start new ones.
    global _workers, _workers_lock
    _workers, _workers_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_workers_after_fork)


class _Blas:
    """The BLAS libraries NumPy loaded (via threadpoolctl), found on first use, and the thread
    counts they had before neuralab held them at one thread. Without threadpoolctl nothing is
    changed."""

    libraries: list | None = None
    counts_before: list[int] | None = None  # set while neuralab holds BLAS at one thread
    lock = threading.Lock()

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


def _hold_blas_at_one_thread() -> None:
    """With more than one neuralab thread, BLAS stays at one thread from the first op on.

    Set once, not around every op: switching it costs ~7 µs a time through threadpoolctl (8
    switches in a small MLP's step, ~13% of it), and two Python threads switching it could
    interleave. ``set_num_threads(1)`` gives BLAS its thread count back."""
    if _Blas.counts_before is None:
        with _Blas.lock:
            if _Blas.counts_before is None:
                controllers = _Blas.controllers()
                counts = [lib.get_num_threads() for lib in controllers]
                for lib, count in zip(controllers, counts):
                    if count != 1:
                        lib.set_num_threads(1)
                _Blas.counts_before = counts


def _release_blas() -> None:
    with _Blas.lock:
        if _Blas.counts_before is not None:
            for lib, count in zip(_Blas.controllers(), _Blas.counts_before):
                if count != 1:
                    lib.set_num_threads(count)
            _Blas.counts_before = None


def run_parallel(fn: Callable[..., T], tasks: Sequence[tuple]) -> list[T]:
    """``[fn(*args) for args in tasks]``, the tasks shared by the calling thread and the pool.

    Each thread takes the next task until none is left, so uneven tasks balance themselves and
    the caller works instead of waiting; it waits only for tasks that a helper has started.
    Serial with one thread or one task, or when called from inside a task. With more than one
    thread, BLAS is held at one thread while the tasks run, even serially (see the module
    docstring)."""
    return _run(fn, tasks)


def _run(fn: Callable[..., T], tasks: Sequence[tuple], share: bool = True) -> list[T]:
    count = len(tasks)
    if _num_threads == 1 or getattr(_local, "busy", False):
        return [fn(*args) for args in tasks]  # BLAS as the user set it / already one-threaded
    _hold_blas_at_one_thread()
    if count < 2 or not share:
        return [fn(*args) for args in tasks]
    results: list[Any] = [None] * count
    errors: list[BaseException] = []
    claim = itertools.count().__next__  # atomic under the GIL: each index is taken once
    finished = itertools.count(1).__next__
    # Released by whichever thread finishes the last task; a Lock waits in C, where an Event
    # runs a Condition in Python (measured: ~30 µs less per parallel section).
    all_done = threading.Lock()
    all_done.acquire()

    def work() -> None:
        _local.busy = True
        try:
            while (index := claim()) < count:
                try:
                    results[index] = fn(*tasks[index])
                except BaseException as error:  # re-raised in the caller
                    errors.append(error)
                if finished() == count:
                    all_done.release()
        finally:
            _local.busy = False

    workers = _get_workers()
    for _ in range(min(_num_threads, count) - 1):
        workers.jobs.put(work)
    work()
    all_done.acquire()  # a helper may still be finishing the task it took
    if errors:
        raise errors[0]
    return results


def batch_ranges(n: int, bytes_per_item: int, chunk_bytes: int | None = None,
                 min_parallel_bytes: int | None = None) -> list[tuple[int, int]]:
    """Consecutive (start, stop) slices covering ``range(n)``: cache-sized (at most
    ``chunk_bytes``, default CHUNK_BYTES, of input each), equal, and a multiple of the thread
    count when the work is large enough to share (``min_parallel_bytes``, default
    MIN_PARALLEL_BYTES, in all)."""
    if n <= 0:
        return []
    total = n * max(1, bytes_per_item)
    chunks = -(-total // (chunk_bytes or CHUNK_BYTES))
    if _num_threads > 1 and total >= _min_bytes(min_parallel_bytes):
        chunks = -(-chunks // _num_threads) * _num_threads
    chunks = max(1, min(chunks, n))
    step = -(-n // chunks)  # equal-sized chunks: no small remainder
    return [(start, min(start + step, n)) for start in range(0, n, step)]


def _min_bytes(min_parallel_bytes: int | None) -> int:
    return MIN_PARALLEL_BYTES if min_parallel_bytes is None else min_parallel_bytes


def over_batch(fn: Callable[[int, int], T], n: int, bytes_per_item: int,
               chunk_bytes: int | None = None, min_parallel_bytes: int | None = None) -> list[T]:
    """Call ``fn(start, stop)`` on the ``batch_ranges`` of ``range(n)`` and return the results
    in order; ``fn`` writes its own slice of preallocated outputs. The chunks run on the
    threads when there are at least ``min_parallel_bytes`` (default MIN_PARALLEL_BYTES) in
    all, else one after another on the calling thread (still cache-sized)."""
    share = n * max(1, bytes_per_item) >= _min_bytes(min_parallel_bytes)
    return _run(fn, batch_ranges(n, bytes_per_item, chunk_bytes, min_parallel_bytes), share)


def elementwise(fn: Callable[..., Any], *arrays: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``fn(*arrays, out=out)`` run on slices of the first axis (arrays of out's shape)."""
    if out.ndim == 0 or out.nbytes < MIN_PARALLEL_BYTES or _num_threads == 1:
        fn(*arrays, out=out)
        return out

    def chunk(lo: int, hi: int) -> None:
        fn(*(a[lo:hi] for a in arrays), out=out[lo:hi])

    over_batch(chunk, out.shape[0], out[:1].nbytes)
    return out


def contiguous(x: np.ndarray) -> np.ndarray:
    """``np.ascontiguousarray(x)``, copied chunk by chunk (on the threads when large)."""
    if x.flags.c_contiguous or x.ndim == 0:
        return np.ascontiguousarray(x)
    out = np.empty(x.shape, dtype=x.dtype)

    def chunk(lo: int, hi: int) -> None:
        out[lo:hi] = x[lo:hi]

    over_batch(chunk, len(x), x[:1].nbytes)
    return out


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` (NumPy's semantics), threaded by BLAS or by neuralab but never both at once.

    With one thread (or inside a task) this is NumPy's ``a @ b``, BLAS threaded as the user
    set it. With more, BLAS is held at one thread: a product with a 2-D ``b`` and at least
    MIN_SPLIT_FLOPS has the rows of ``a`` split over our threads, each a one-threaded BLAS
    call into its slice of the result; any other product is one one-threaded BLAS call. The
    path depends on the shapes and the thread count only, so results are reproducible (an
    earlier rule that let BLAS thread a product while our threads were idle gave float32
    results that depended on what had run in the last 0.1 s)."""
    if _num_threads == 1 or getattr(_local, "busy", False):
        return a @ b
    _hold_blas_at_one_thread()
    flops = _flops(a, b)
    if b.ndim != 2 or a.ndim < 2 or flops == 0 or flops < MIN_SPLIT_FLOPS:
        return a @ b
    a2 = a.reshape(-1, a.shape[-1])  # a view unless a is a non-contiguous stack
    m, n = len(a2), b.shape[1]
    out = np.empty((m, n), dtype=np.result_type(a, b))
    step = -(-m // min(_num_threads, m))

    def rows(lo: int, hi: int) -> None:
        np.matmul(a2[lo:hi], b, out=out[lo:hi])

    _run(rows, [(lo, min(lo + step, m)) for lo in range(0, m, step)])
    return out.reshape(*a.shape[:-1], n)


def _flops(a: np.ndarray, b: np.ndarray) -> int:
    """2·m·k·n of ``a @ b`` (with broadcast batch axes counted in)."""
    rows_a = a.shape[-2] if a.ndim > 1 else 1
    cols_b = b.shape[-1] if b.ndim > 1 else 1
    return 2 * max(a.size * cols_b, b.size * rows_a)


def matmuls(*pairs: tuple[np.ndarray, np.ndarray] | None) -> list[np.ndarray | None]:
    """``[a @ b for a, b in pairs]`` for independent products (a None pair gives None), e.g. a
    layer's two gradients.

    With more than one thread, two or more products of similar size and MIN_SPLIT_FLOPS in all
    run side by side, each whole on one-threaded BLAS (so its bits do not depend on which
    thread ran it): one parallel section instead of a split per product (measured on 2 cores:
    the two 51 MFLOP gradients of a 784→256 layer take ~610 µs as a pair, ~700 µs split one
    after the other). Otherwise each goes through ``matmul``. The choice depends on the shapes
    and the thread count only."""
    todo = [i for i, pair in enumerate(pairs) if pair is not None]
    results: list[np.ndarray | None] = [None] * len(pairs)
    flops = [_flops(*pairs[i]) for i in todo]
    if len(todo) < 2 or _num_threads == 1 or getattr(_local, "busy", False) \
            or sum(flops) < MIN_SPLIT_FLOPS or 3 * max(flops) > 2 * sum(flops):
        for i in todo:  # one product, small ones, or one that dominates: each on its own
            results[i] = matmul(*pairs[i])
        return results
    _hold_blas_at_one_thread()
    for i, product in zip(todo, _run(np.matmul, [pairs[i] for i in todo])):
        results[i] = product
    return results
