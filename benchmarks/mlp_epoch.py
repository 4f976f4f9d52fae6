"""One training epoch of a 784-256-128-10 ReLU MLP: neuralab vs hand-written NumPy vs PyTorch.

Batch 128, SGD momentum 0.9, cross-entropy, 60,000×784 float32 inputs (Fashion-MNIST when
Debian's dataset-fashion-mnist is installed, else random data of that shape). Each framework
runs the same shuffled batches; we print the median of several epochs and the ratios, plus the
import time of ``neuralab`` beside ``torch``. ``neuralab-1t`` is neuralab after
``set_num_threads(1)``, the faster setting for an MLP of this size (see README, Speed).
Run: ``python benchmarks/mlp_epoch.py``.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from _common import (
    BATCH,
    epoch_neuralab,
    epoch_torch,
    sgd_step,
    softmax_cross_entropy,
    time_interleaved,
)

FASHION = Path("/usr/share/datasets/fashion-mnist")
SIZES = (784, 256, 128, 10)


def load_data() -> tuple[np.ndarray, np.ndarray, str]:
    images, labels = FASHION / "train-images-idx3-ubyte.gz", FASHION / "train-labels-idx1-ubyte.gz"
    if images.exists() and labels.exists():
        with gzip.open(images) as f:
            x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
        with gzip.open(labels) as f:
            y = np.frombuffer(f.read(), np.uint8, offset=8)
        return (x / np.float32(255)).astype(np.float32), y.astype(np.int64), "Fashion-MNIST"
    rng = np.random.default_rng(0)
    return (rng.random((60000, 784), dtype=np.float32), rng.integers(0, 10, 60000),
            "random data (install dataset-fashion-mnist for the real set)")


def init_weights(seed: int = 0) -> list[np.ndarray]:
    """PyTorch-style U(−1/√in, 1/√in) weights (out, in) and biases, shared by all three."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(fan_in)
        params += [rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32),
                   rng.uniform(-bound, bound, fan_out).astype(np.float32)]
    return params


def build_neuralab(state: dict) -> Any:
    from neuralab import nn

    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                          nn.Linear(128, 10))
    model.load_state_dict(dict(zip(model.state_dict(), init_weights())))
    return model


def build_torch(state: dict) -> Any:
    import torch

    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, 128), torch.nn.ReLU(),
                                torch.nn.Linear(128, 10))
    model.load_state_dict({k: torch.from_numpy(v)
                           for k, v in zip(model.state_dict(), init_weights())})
    return model


def epoch_numpy(x: np.ndarray, y: np.ndarray, order: np.ndarray, state: dict) -> float:
    """The same math written out by hand: the floor a framework on NumPy can hope for."""
    if "params" not in state:
        state["params"] = init_weights()
        state["bufs"] = {}
    (w1, b1, w2, b2, w3, b3), bufs = state["params"], state["bufs"]
    start = time.perf_counter()
    for i in range(0, len(order), BATCH):
        idx = order[i:i + BATCH]
        xb, yb = x[idx], y[idx]
        a1 = xb @ w1.T + b1
        h1 = np.maximum(a1, 0)
        a2 = h1 @ w2.T + b2
        h2 = np.maximum(a2, 0)
        logits = h2 @ w3.T + b3
        _loss, g3 = softmax_cross_entropy(logits, yb)
        grads = {}  # keyed by position in state["params"]
        grads[4], grads[5] = g3.T @ h2, g3.sum(0)
        g2 = (g3 @ w3) * (a2 > 0)
        grads[2], grads[3] = g2.T @ h1, g2.sum(0)
        g1 = (g2 @ w2) * (a1 > 0)
        grads[0], grads[1] = g1.T @ xb, g1.sum(0)
        sgd_step(state["params"], grads, bufs)
    return time.perf_counter() - start


def epoch_neuralab_one_thread(x: np.ndarray, y: np.ndarray, order: np.ndarray,
                              state: dict) -> float:
    """neuralab with ``set_num_threads(1)``: no activation of this MLP is large enough for
    neuralab's threads, and with one of them the products are threaded by BLAS itself (with
    more, BLAS is held at one thread and neuralab splits the products, which costs a thread
    wake-up per product on this VM)."""
    import neuralab as nl

    before = nl.get_num_threads()
    nl.set_num_threads(1)
    try:
        return epoch_neuralab(x, y, order, state, build=build_neuralab)
    finally:
        nl.set_num_threads(before)


def import_time(module: str, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", f"import time; t = time.perf_counter(); "
                              f"import {module}; print(time.perf_counter() - t)"],
                             capture_output=True, text=True, check=True)
        times.append(float(out.stdout))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per framework")
    args = parser.parse_args()
    x, y, source = load_data()
    import torch

    print(f"data: {source}, {x.shape[0]}×{x.shape[1]} float32; batch {BATCH}; "
          f"torch {torch.__version__} with {torch.get_num_threads()} threads; "
          f"numpy {np.__version__}")
    runners = {"neuralab": partial(epoch_neuralab, build=build_neuralab),
               "neuralab-1t": epoch_neuralab_one_thread, "numpy": epoch_numpy,
               "torch": partial(epoch_torch, build=build_torch)}
    median = time_interleaved(runners, {name: {} for name in runners}, x, y, args.epochs, 20,
                              lambda name, seconds, state: f"{name} {seconds:.3f} s")
    print("\nmedian epoch time: " + ", ".join(f"{n} {t:.3f} s" for n, t in median.items()))
    for name in ("neuralab", "neuralab-1t"):
        print(f"{name} / numpy = {median[name] / median['numpy']:.2f}  (target <= 1.15);  "
              f"{name} / torch = {median[name] / median['torch']:.2f}  (target <= 0.90)")
    nl_import, torch_import = import_time("neuralab"), import_time("torch")
    print(f"\nimport time (median of 3): neuralab {nl_import * 1000:.0f} ms, "
          f"torch {torch_import * 1000:.0f} ms")


if __name__ == "__main__":
    main()
