"""What the benchmark scripts share: the training step, one timed epoch per framework, the
interleaved timing loop, and the plain-NumPy loss and SGD step of the hand-written baselines.
The scripts run as ``python benchmarks/X.py``, so this sibling module is importable from them
(``sys.path[0]`` is the script's folder)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from typing import Any

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

BATCH, LR, MOMENTUM = 128, 0.01, 0.9
# NumPy's BLAS thread count as the process started. While neuralab runs more than one thread
# of its own it holds BLAS at one thread (neuralab.parallel); the plain-NumPy baselines run
# with BLAS's own threads, as a NumPy user's code would.
NATIVE_BLAS_THREADS = max([lib["num_threads"] for lib in threadpool_info()
                           if lib["user_api"] == "blas"] or [1])

Runner = Callable[[np.ndarray, np.ndarray, np.ndarray, dict], float]


def softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Plain NumPy: the loss −mean_n log softmax(logits_n)[y_n] of a batch, and its gradient
    with respect to the logits, (softmax − onehot(y)) / N."""
    n = len(logits)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), y].mean()
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), y] -= 1
    dlogits /= n
    return float(loss), dlogits


def sgd_step(params: dict[Any, np.ndarray] | list[np.ndarray], grads: dict[Any, np.ndarray],
             bufs: dict[Any, np.ndarray], lr: float = LR, momentum: float = MOMENTUM) -> None:
    """Plain NumPy, in place: PyTorch's momentum SGD, buf = momentum·buf + grad (buf = grad on
    the first step); p −= lr·buf. ``params`` is indexed by the keys of ``grads`` (names, or
    list positions); ``bufs`` starts empty and is keyed alike."""
    for key, grad in grads.items():
        if key not in bufs:
            bufs[key] = grad.copy()
        else:
            bufs[key] *= momentum
            bufs[key] += grad
        params[key] -= lr * bufs[key]


def train_batches(model: Any, opt: Any, cross_entropy: Callable, batches: Iterable) -> Any:
    """One SGD step per (inputs, labels) batch; the same code drives neuralab and torch.
    Returns the last batch's loss."""
    loss = None
    for xb, yb in batches:
        loss = cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss


def epoch_neuralab(x: np.ndarray, y: np.ndarray, order: np.ndarray, state: dict,
                   build: Callable[[dict], Any]) -> float:
    """Train ``build(state)``'s model (made on the first call) on the batches of ``order``;
    returns the seconds taken and leaves the last loss in ``state["loss"]``."""
    import neuralab as nl

    if "model" not in state:
        state["model"] = build(state)
        state["opt"] = nl.optim.SGD(state["model"].parameters(), lr=LR, momentum=MOMENTUM)
    start = time.perf_counter()
    loss = train_batches(state["model"], state["opt"], nl.nn.functional.cross_entropy,
                         ((nl.Tensor(x[idx]), y[idx])
                          for idx in (order[i:i + BATCH] for i in range(0, len(order), BATCH))))
    seconds = time.perf_counter() - start
    state["loss"] = float(loss.item())
    return seconds


def epoch_torch(x: np.ndarray, y: np.ndarray, order: np.ndarray, state: dict,
                build: Callable[[dict], Any]) -> float:
    """As ``epoch_neuralab``, for a torch model (the data wrapped once, without a copy)."""
    import torch

    if "model" not in state:
        state["model"] = build(state)
        state["opt"] = torch.optim.SGD(state["model"].parameters(), lr=LR, momentum=MOMENTUM)
        state["x"], state["y"] = torch.from_numpy(x), torch.from_numpy(y)
    tx, ty, torder = state["x"], state["y"], torch.from_numpy(order)
    start = time.perf_counter()
    loss = train_batches(state["model"], state["opt"], torch.nn.functional.cross_entropy,
                         ((tx[idx], ty[idx])
                          for idx in (torder[i:i + BATCH] for i in range(0, len(order), BATCH))))
    seconds = time.perf_counter() - start
    state["loss"] = float(loss.item())
    return seconds


def _blas_for(runner: str) -> Any:
    """BLAS's own thread count for the plain-NumPy baseline; as it is for the others."""
    if runner == "numpy":
        return threadpool_limits(NATIVE_BLAS_THREADS, user_api="blas")
    return nullcontext()


def time_interleaved(runners: dict[str, Runner], states: dict[str, dict], x: np.ndarray,
                     y: np.ndarray, epochs: int, warm_batches: int,
                     describe: Callable[[str, float, dict], str]) -> dict[str, float]:
    """Warm every runner up (untimed), then time ``epochs`` epochs, the frameworks interleaved
    on the same shuffled order so drift on a noisy machine hits all alike. Prints one line per
    epoch (``describe(name, seconds, state)`` per framework); returns the median times."""
    rng = np.random.default_rng(0)
    warm = rng.permutation(len(x))[:BATCH * warm_batches]
    for name, run in runners.items():  # build models and warm caches (not timed)
        with _blas_for(name):
            run(x, y, warm, states[name])
    times: dict[str, list[float]] = {name: [] for name in runners}
    for epoch in range(epochs):
        order = rng.permutation(len(x))
        for name, run in runners.items():
            with _blas_for(name):
                times[name].append(run(x, y, order, states[name]))
        print(f"epoch {epoch + 1}: " + ", ".join(describe(n, t[-1], states[n])
                                                 for n, t in times.items()))
    return {name: statistics.median(t) for name, t in times.items()}
