"""Same input, same output: results depend on the inputs, the shapes and ``set_num_threads``
only, never on what ran a moment earlier (``neuralab.parallel``'s module docstring); across
thread counts they agree up to the rounding of the computation."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from _tolerance import assert_normwise_close, assert_product_close
from hypothesis import given, settings
from hypothesis import strategies as st

import neuralab as nl
import neuralab.nn.functional as F
from neuralab import nn, parallel

# Long enough that OpenBLAS's idle threads have gone to sleep (they busy-wait ~0.1 s) and that
# an older rule, which picked the product's code path by how recently our threads ran, took
# its "idle" path.
PAUSE = 0.15


@pytest.fixture(params=[1, 2], ids=["1-thread", "2-threads"])
def threads(request: pytest.FixtureRequest) -> Iterator[int]:
    before = parallel.get_num_threads()
    parallel.set_num_threads(request.param)
    yield request.param
    parallel.set_num_threads(before)


def threaded_op() -> None:
    """A 4 MB ReLU: split over the threads when there are two."""
    with nl.no_grad():
        F.relu(nl.Tensor(np.ones((128, 32, 16, 16), np.float32)))


def twice(fn: Callable[[], list[np.ndarray]]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``fn()`` after a pause, then again right after a threaded op."""
    time.sleep(PAUSE)
    first = fn()
    threaded_op()
    return first, fn()


def assert_bitwise(first: list[np.ndarray], second: list[np.ndarray]) -> None:
    assert len(first) == len(second)
    for i, (a, b) in enumerate(zip(first, second)):
        assert a.dtype == b.dtype and a.shape == b.shape
        # Bitwise, not close: the same code path on the same input must round the same way.
        assert a.tobytes() == b.tobytes(), f"result {i} differs: max |Δ| {np.abs(a - b).max()}"


def test_a_product_does_not_depend_on_what_ran_before(threads: int) -> None:
    """The MLP's first layer (128×784 @ 784×256, float32, above MIN_SPLIT_FLOPS): once
    BLAS's own threads ran it and once our row split did, and the float32 results differed."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((128, 784)).astype(np.float32)
    b = rng.standard_normal((784, 256)).astype(np.float32)
    first, second = twice(lambda: [parallel.matmul(a, b), parallel.matmul(a, b.T.copy().T)])
    assert_bitwise(first, second)


def mlp_step(model: nn.Module, x: np.ndarray, target: np.ndarray) -> list[np.ndarray]:
    model.zero_grad()
    loss = F.cross_entropy(model(nl.Tensor(x)), target)
    loss.backward()
    return [loss.detach().numpy().copy()] + [p.grad.numpy().copy() for p in model.parameters()]


def test_mlp_forward_and_backward_repeat_bitwise(threads: int) -> None:
    nl.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                          nn.Linear(128, 10))
    rng = np.random.default_rng(1)
    x = rng.random((128, 784), dtype=np.float32)
    target = rng.integers(0, 10, 128)
    assert_bitwise(*twice(lambda: mlp_step(model, x, target)))


def test_cnn_forward_and_backward_repeat_bitwise(threads: int) -> None:
    """Large enough (2.4 MB activations, float32) that conv, BatchNorm, ReLU, pooling and the
    linear layer take their threaded paths on two threads."""
    nl.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Conv2d(16, 32, 3), nn.ReLU(), nn.Flatten(),
                          nn.Linear(32 * 10 * 10, 10))
    rng = np.random.default_rng(2)
    x = rng.standard_normal((64, 8, 24, 24)).astype(np.float32)
    target = rng.integers(0, 10, 64)
    assert_bitwise(*twice(lambda: mlp_step(model, x, target)))


def on_threads(count: int, fn: Callable[[], list[np.ndarray]]) -> list[np.ndarray]:
    before = parallel.get_num_threads()
    parallel.set_num_threads(count)
    try:
        return fn()
    finally:
        parallel.set_num_threads(before)


@settings(max_examples=12, deadline=None)
@given(m=st.integers(2, 300), k=st.integers(1, 400), n=st.integers(1, 300),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**32 - 1))
def test_one_and_two_threads_agree_up_to_rounding(m: int, k: int, n: int, dtype: type,
                                                  seed: int) -> None:
    """1 vs 2 threads may cut a product differently (a row split, another BLAS kernel), so
    the two results each lie within the rounding bound k·eps·(|a|@|b|) of the exact product;
    and each thread count repeats itself bitwise."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    for count in (1, 2):
        first = on_threads(count, lambda: [parallel.matmul(a, b)])
        threaded_op()
        assert_bitwise(first, on_threads(count, lambda: [parallel.matmul(a, b)]))
        assert_product_close(first[0], a, b, err_msg=f"{count} thread(s), {m}×{k}@{k}×{n}:")


def test_mlp_gradients_on_one_and_two_threads_agree_up_to_rounding() -> None:
    nl.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.Tanh(), nn.Linear(256, 10))  # no kink to flip
    rng = np.random.default_rng(3)
    x = rng.random((128, 784), dtype=np.float32)
    target = rng.integers(0, 10, 128)
    one = on_threads(1, lambda: mlp_step(model, x, target))
    two = on_threads(2, lambda: mlp_step(model, x, target))
    # Reductions along the chain: 784 and 256 forward, the batch (128) and 256 backward.
    for i, (a, b) in enumerate(zip(one, two)):
        assert_normwise_close(b, a, terms=784 + 256 + 128 + 256, err_msg=f"result {i}:")
