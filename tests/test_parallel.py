"""neuralab.parallel: the thread pool, batch chunking, one-threaded BLAS inside chunks, and
the ops' threaded paths against their serial results."""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest
import torch
from _tolerance import assert_normwise_close, assert_product_close

import neuralab as nl
import neuralab.nn.functional as F
from neuralab import parallel


def blas_threads() -> list[int]:
    """The thread counts of the BLAS libraries neuralab holds (NumPy's, found on first use; a
    library loaded later, such as SciPy's own OpenBLAS, is not NumPy's and is left alone)."""
    return [lib.get_num_threads() for lib in parallel._Blas.controllers()]


@pytest.fixture
def two_threads() -> Iterator[None]:
    before = parallel.get_num_threads()
    parallel.set_num_threads(2)
    yield
    parallel.set_num_threads(before)


def test_num_threads_round_trip_and_top_level_names() -> None:
    before = nl.get_num_threads()
    try:
        nl.set_num_threads(3)
        assert nl.get_num_threads() == parallel.get_num_threads() == 3
        nl.set_num_threads(1)
        assert nl.get_num_threads() == 1
    finally:
        nl.set_num_threads(before)


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", True, None])
def test_set_num_threads_rejects_bad_values(bad: object) -> None:
    with pytest.raises(ValueError, match=r"set_num_threads: expected a positive int, got"):
        parallel.set_num_threads(bad)  # type: ignore[arg-type]


def test_default_thread_count_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEURALAB_NUM_THREADS", "5")
    assert parallel._default_threads() == 5
    monkeypatch.delenv("NEURALAB_NUM_THREADS")
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert parallel._default_threads() == expected


def test_tasks_run_concurrently_and_results_keep_their_order(two_threads: None) -> None:
    # Each task waits at a two-party barrier: this only completes if two threads run at once.
    barrier = threading.Barrier(2, timeout=10)
    names: list[str] = []

    def task(value: int) -> int:
        names.append(threading.current_thread().name)
        barrier.wait()
        return value * value

    assert parallel.run_parallel(task, [(3,), (4,)]) == [9, 16]
    assert len(set(names)) == 2 and threading.current_thread().name in names  # caller works too


def test_one_thread_runs_everything_in_the_caller() -> None:
    before = parallel.get_num_threads()
    parallel.set_num_threads(1)
    try:
        names = parallel.run_parallel(lambda: threading.current_thread().name, [()] * 4)
    finally:
        parallel.set_num_threads(before)
    assert names == [threading.current_thread().name] * 4


def test_an_exception_in_a_task_reaches_the_caller_and_the_pool_survives(
        two_threads: None) -> None:
    def task(i: int) -> int:
        if i == 3:
            raise ValueError("chunk 3 failed")
        return i

    with pytest.raises(ValueError, match="chunk 3 failed"):
        parallel.run_parallel(task, [(i,) for i in range(6)])
    assert parallel.run_parallel(task, [(0,), (1,)]) == [0, 1]


def test_nested_calls_run_serially_inside_a_task(two_threads: None) -> None:
    def outer(i: int) -> list[int]:
        return parallel.run_parallel(lambda j: i * 10 + j, [(0,), (1,), (2,)])

    assert parallel.run_parallel(outer, [(1,), (2,)]) == [[10, 11, 12], [20, 21, 22]]


@pytest.mark.skipif(not blas_threads(), reason="no BLAS library found by threadpoolctl")
def test_blas_is_held_at_one_thread_while_several_threads_and_given_back_at_one() -> None:
    before = parallel.get_num_threads()
    try:
        parallel.set_num_threads(1)  # gives back whatever an earlier test held
        native = blas_threads()
        parallel.set_num_threads(2)
        assert blas_threads() == native  # nothing is held before neuralab's first op
        inside = parallel.run_parallel(lambda: blas_threads(), [(), ()])
        assert inside == [[1] * len(native)] * 2
        assert blas_threads() == [1] * len(native)  # held between ops: no switching per op
        parallel.matmul(np.ones((2, 2)), np.ones((2, 2)))
        assert blas_threads() == [1] * len(native)
        parallel.set_num_threads(1)
        assert blas_threads() == native  # BLAS threads its products as before
    finally:
        parallel.set_num_threads(before)


@pytest.mark.parametrize(("n", "bytes_per_item", "threads", "expected"), [
    (128, 10_000, 2, 1),            # 1.28 MB: too little to be worth a second thread
    (128, 20_000, 2, 2),            # 2.56 MB: shared by two threads
    (128, 140_000, 2, 6),           # 18 MB: six 3 MB chunks (already a multiple of 2)
    (128, 100_000, 2, 6),           # 12.8 MB: five chunks rounded up to six
    (128, 100_000, 1, 5),           # one thread: cache-sized chunks only
    (3, 10 << 20, 2, 3),            # never more chunks than items
    (1, 10, 2, 1),
])
def test_batch_ranges_cover_the_batch_in_equal_chunks(n: int, bytes_per_item: int,
                                                      threads: int, expected: int) -> None:
    before = parallel.get_num_threads()
    parallel.set_num_threads(threads)
    try:
        ranges = parallel.batch_ranges(n, bytes_per_item)
    finally:
        parallel.set_num_threads(before)
    assert len(ranges) == expected
    assert ranges[0][0] == 0 and ranges[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    sizes = [hi - lo for lo, hi in ranges]
    assert len(set(sizes[:-1])) <= 1 and 0 < sizes[-1] <= sizes[0]  # equal, a shorter last
    assert parallel.batch_ranges(0, 100) == []


@pytest.mark.parametrize(("a_shape", "b_shape", "transpose_a"), [
    ((300, 200), (200, 50), False), ((7, 3), (3, 5), False), ((200, 300), (200, 64), True)])
def test_matmul_splits_rows_and_matches_numpy(force_parallel: None, a_shape: tuple,
                                              b_shape: tuple, transpose_a: bool) -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal(a_shape)
    b = rng.standard_normal(b_shape)
    a = a.T if transpose_a else a
    assert_product_close(parallel.matmul(a, b), a, b)


def test_over_batch_runs_small_work_on_the_calling_thread() -> None:
    """Below min_parallel_bytes the chunks stay cache-sized but run one after another on the
    caller; above it the helper thread takes some of them."""
    before = parallel.get_num_threads()
    parallel.set_num_threads(2)
    try:
        def who(lo: int, hi: int) -> int:
            time.sleep(0.01)  # long enough that the helper always claims a chunk
            return threading.get_ident()

        small = parallel.over_batch(who, 8, 1000, chunk_bytes=1000, min_parallel_bytes=10_000)
        large = parallel.over_batch(who, 8, 1000, chunk_bytes=1000, min_parallel_bytes=8000)
    finally:
        parallel.set_num_threads(before)
    assert len(small) == 8 and set(small) == {threading.get_ident()}
    assert len(large) == 8 and len(set(large)) == 2


def test_elementwise_writes_every_slice(force_parallel: None) -> None:
    x = np.arange(60.0).reshape(5, 3, 4)
    out = np.empty_like(x)
    parallel.elementwise(np.multiply, x, x, out=out)
    np.testing.assert_array_equal(out, x * x)


def test_ops_take_their_threaded_path(force_parallel: None,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The force_parallel fixture really sends conv, pooling, ReLU and linear to the threads."""
    calls: list[int] = []
    run = parallel._run
    monkeypatch.setattr(parallel, "_run",
                        lambda fn, tasks, share=True:
                        calls.append(len(tasks) if share else 0) or run(fn, tasks, share))
    x = nl.randn(4, 3, 8, 8, requires_grad=True)
    conv = nl.nn.Conv2d(3, 5, 3)
    out = F.max_pool2d(F.relu(conv(x)), 2).flatten(1)
    F.linear(out, nl.randn(2, out.shape[1])).sum().backward()
    assert len(calls) >= 7 and all(count >= 2 for count in calls)


def test_cnn_step_is_the_same_on_one_and_two_threads() -> None:
    """A training step of a small CNN on one thread and on two (large enough that the ops
    really split the batch) gives the same loss and gradients, and matches PyTorch."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3, 20, 20))
    target = rng.integers(0, 10, 64)
    nl.manual_seed(0)
    model = nl.nn.Sequential(nl.nn.Conv2d(3, 16, 3, padding=1), nl.nn.ReLU(), nl.nn.MaxPool2d(2),
                             nl.nn.Conv2d(16, 16, 3), nl.nn.ReLU(), nl.nn.Flatten(),
                             nl.nn.Linear(16 * 8 * 8, 10)).double()
    results = {}
    before = parallel.get_num_threads()
    try:
        for threads in (1, 2):
            parallel.set_num_threads(threads)
            model.zero_grad()
            loss = F.cross_entropy(model(nl.Tensor(x)), target)
            loss.backward()
            results[threads] = (loss.item(), [p.grad.numpy().copy() for p in model.parameters()])
    finally:
        parallel.set_num_threads(before)

    tmodel = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.ReLU(),
                                 torch.nn.MaxPool2d(2), torch.nn.Conv2d(16, 16, 3),
                                 torch.nn.ReLU(), torch.nn.Flatten(),
                                 torch.nn.Linear(16 * 8 * 8, 10)).double()
    tmodel.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in
                            model.state_dict().items()})
    tloss = torch.nn.functional.cross_entropy(tmodel(torch.from_numpy(x)),
                                              torch.from_numpy(target))
    tloss.backward()
    # Reductions along the chain: conv fan-ins 27 and 144, the linear's 1024, and the batch
    # (64 images × up to 400 pixels) summed into each weight gradient.
    terms = 27 + 144 + 1024 + 64 * 400
    for threads in (1, 2):
        loss, grads = results[threads]
        assert_normwise_close(loss, tloss.item(), terms=terms, err_msg="loss:")
        for grad, (name, tparam) in zip(grads, tmodel.named_parameters()):
            assert_normwise_close(grad, tparam.grad.numpy(), terms=terms, err_msg=name)


def test_pool_before_flatten_matches_torch_on_the_threads(force_parallel: None) -> None:
    """conv → max-pool over an odd size (a row and a column no window reaches) → flatten →
    linear: the pool's gradient arrives in NCHW order from Flatten while its input is
    channels-last (regrouped per chunk), and the flatten copy is made on the threads."""
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((4, 3, 11, 11)), rng.standard_normal((5, 3, 3, 3))
    lin = rng.standard_normal((2, 5 * 5 * 5))
    leaves = [nl.Tensor(a, requires_grad=True) for a in (x, w, lin)]
    tleaves = [torch.tensor(a, requires_grad=True) for a in (x, w, lin)]
    out = F.linear(F.max_pool2d(F.conv2d(leaves[0], leaves[1], padding=1), 2).flatten(1),
                   leaves[2])
    tout = torch.nn.functional.linear(torch.nn.functional.max_pool2d(
        torch.nn.functional.conv2d(tleaves[0], tleaves[1], padding=1), 2).flatten(1), tleaves[2])
    terms = 27 + 125 + 4 * 121  # conv and linear fan-ins; the batch's pixels per weight
    assert_normwise_close(out.detach().numpy(), tout.detach().numpy(), terms=terms)
    (out * out).sum().backward()
    (tout * tout).sum().backward()
    for leaf, tleaf in zip(leaves, tleaves):
        assert_normwise_close(leaf.grad, tleaf.grad.numpy(), terms=terms)


def test_contiguous_copies_on_the_threads(force_parallel: None) -> None:
    x = np.arange(2 * 3 * 4 * 5.0).reshape(2, 4, 5, 3).transpose(0, 3, 1, 2)
    copy = parallel.contiguous(x)
    assert copy.flags.c_contiguous
    np.testing.assert_array_equal(copy, x)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_builds_its_own_pool(two_threads: None) -> None:
    x = nl.randn(64, 8, 16, 16)
    conv = nl.nn.Conv2d(8, 8, 3)
    with nl.no_grad():
        expected = conv(x).numpy()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the parent's pool threads do not exist here
        try:
            with nl.no_grad():  # same thread count and shapes: the same bits (deterministic)
                ok = conv(x).numpy().tobytes() == expected.tobytes()
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write)
    ready, _, _ = select.select([read], [], [], 60)  # a deadlocked child must not hang us
    answer = os.read(read, 1) if ready else b""
    if not ready:
        os.kill(pid, 9)
    os.waitpid(pid, 0)
    assert answer == b"1"


@pytest.fixture
def sections(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The task count of every parallel section run while the test runs."""
    counts: list[int] = []
    run = parallel._run
    monkeypatch.setattr(parallel, "_run",
                        lambda fn, tasks, share=True: counts.append(len(tasks))
                        or run(fn, tasks, share))
    return counts


@pytest.mark.parametrize("threads", [1, 2])
def test_products_are_split_by_shape_and_thread_count_only(sections: list[int],
                                                           threads: int) -> None:
    """With two threads a 2-D product above MIN_SPLIT_FLOPS has its rows split over them
    (right after a threaded op or not: no timing), a stacked or small one is not; with one
    thread nothing is split. Either way the values are the product's."""
    splits = sections
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((256, 300)), rng.standard_normal((300, 200))
    stack = rng.standard_normal((4, 100, 100))
    small = rng.standard_normal((10, 10))
    before = parallel.get_num_threads()
    parallel.set_num_threads(threads)
    try:
        assert_product_close(parallel.matmul(a, b), a, b)
        with nl.no_grad():
            F.relu(nl.randn(128, 32, 16, 16))  # 4 MB: threaded when there are two threads
        splits.clear()
        assert_product_close(parallel.matmul(a, b), a, b)
        for i in range(4):
            assert_product_close(parallel.matmul(stack, stack)[i], stack[i], stack[i])
        assert_product_close(parallel.matmul(small, small), small, small)
    finally:
        parallel.set_num_threads(before)
    assert splits == ([2] if threads == 2 else [])  # only the large 2-D product is split


@pytest.mark.skipif(not blas_threads(), reason="no BLAS library found by threadpoolctl")
def test_serial_chunks_hold_blas_at_one_thread_with_several_threads(
        two_threads: None) -> None:
    """Work too small to share still runs its chunks on one-threaded BLAS (conv chunks do
    GEMMs there): the kernel, hence the rounding, must not depend on what ran before."""
    inside = parallel.over_batch(lambda lo, hi: blas_threads(), 2, 10, chunk_bytes=10,
                                 min_parallel_bytes=1 << 30)
    assert inside == [[1] * len(blas_threads())] * 2


def test_set_num_threads_inside_a_task_is_refused(two_threads: None) -> None:
    def task() -> None:
        parallel.set_num_threads(3)

    with pytest.raises(RuntimeError, match="cannot be called from inside a parallel task"):
        parallel.run_parallel(task, [(), ()])
    assert parallel.get_num_threads() == 2


def test_a_bad_thread_count_in_the_environment_warns_and_falls_back(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEURALAB_NUM_THREADS", "abc")
    with pytest.warns(UserWarning, match="NEURALAB_NUM_THREADS='abc' is not an integer"):
        assert parallel._default_threads() >= 1


def test_independent_products_run_side_by_side_each_whole(sections: list[int],
                                                            two_threads: None) -> None:
    """A layer's two gradients are one parallel section of two whole products (their bits
    those of one-threaded BLAS, whichever thread ran them); a dominated, small or lone
    product goes through ``matmul``."""
    rng = np.random.default_rng(1)
    g, w, x = (rng.standard_normal(s, dtype=np.float32) for s in
               ((128, 256), (256, 784), (128, 784)))
    grad_x, grad_w = parallel.matmuls((g, w), (g.T, x))
    assert sections == [2]
    parallel._hold_blas_at_one_thread()
    assert np.array_equal(grad_x, g @ w) and np.array_equal(grad_w, g.T @ x)  # bitwise
    sections.clear()
    small = rng.standard_normal((8, 8))
    none, alone = parallel.matmuls(None, (g, w))
    assert none is None and sections == [2]  # alone: split in rows by matmul
    sections.clear()
    parallel.matmuls((small, small), (g, w))  # dominated by one product: each on its own
    assert sections == [2]
    sections.clear()
    parallel.matmuls((small, small), (small, small))
    assert sections == []


@pytest.mark.parametrize(("model", "env", "expected"), [
    ("mlp", None, 1), ("mlp", "2", 2), ("lenet", None, 2)])
def test_the_training_job_runs_an_mlp_on_one_neuralab_thread(
        monkeypatch: pytest.MonkeyPatch, tmp_path, two_threads: None, model: str,
        env: str | None, expected: int) -> None:
    """An MLP's products are threaded by BLAS (one neuralab thread), unless
    $NEURALAB_NUM_THREADS says otherwise; the count is restored afterwards."""
    import importlib

    from neuralab.train.job import TrainConfig, run_training

    fit_module = importlib.import_module("neuralab.train.fit")  # neuralab.train.fit is fit()

    seen: list[int] = []

    def fit(*args, **kwargs):
        seen.append(parallel.get_num_threads())
        raise ValueError("stop here")

    monkeypatch.setattr(fit_module, "fit", fit)
    if env is None:
        monkeypatch.delenv("NEURALAB_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("NEURALAB_NUM_THREADS", env)
    data = tmp_path / "t.npz"
    np.savez(data, x=np.random.default_rng(0).random((40, 1, 28, 28)), y=np.arange(40) % 2)
    with pytest.raises(ValueError, match="stop here"):
        run_training(TrainConfig(data=str(data), model=model, out=str(tmp_path / "r"),
                                 epochs=1, verbose=0, plots=False))
    assert seen == [expected] and parallel.get_num_threads() == 2
