"""One training epoch of a small CNN on 60,000 28×28 images: neuralab vs NumPy vs PyTorch.

Model: Conv(1→32, 3) ReLU MaxPool(2) → Conv(32→64, 3) ReLU MaxPool(2) → Flatten →
Linear(1600→128) ReLU → Linear(128→10); batch 128, SGD lr 0.01 momentum 0.9, cross-entropy.
Data: Fashion-MNIST when installed (``neuralab.data.fashion_mnist``), else random images.

Baseline: the same model and training step written by hand in plain NumPy (``_numpy_cnn.py``:
im2col + one GEMM per convolution, col2im by a loop over kernel offsets, argmax max pooling).

Timing: all three start from the same weights (neuralab's init, copied into torch and the NumPy
baseline) and run the same shuffled batches; epochs are interleaved (neuralab, numpy, torch,
neuralab, ...) so drift on a noisy machine hits all alike. We print per-epoch times, medians
and the ratios neuralab / torch, neuralab / numpy and numpy / torch.

Memory: each framework, and the NumPy baseline, also runs one epoch in a fresh subprocess,
which records its resident set (VmRSS) once the library and the data are loaded (neuralab is
imported in every child: it loads the data and makes the initial weights), resets the kernel's
high-water mark (writing "5" to /proc/self/clear_refs), builds the model and trains one epoch,
then reads VmHWM: the peak RSS of the epoch, and that peak minus the baseline — the training
working set (weights, optimizer state, activations and gradients of a batch, allocator caches).
Run: ``python benchmarks/cnn_epoch.py [--epochs 3] [--no-memory] [--no-numpy]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from functools import partial
from typing import Any

import numpy as np
from _common import BATCH, epoch_neuralab, epoch_torch, time_interleaved
from _numpy_cnn import epoch_numpy


def load_data() -> tuple[np.ndarray, np.ndarray, str]:
    from neuralab.data import DatasetNotFoundError, fashion_mnist

    try:
        x, y = fashion_mnist(download=False).tensors
        return x, y, "Fashion-MNIST"
    except DatasetNotFoundError:
        rng = np.random.default_rng(0)
        return (rng.random((60000, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 60000),
                "random data (install dataset-fashion-mnist for the real set)")


def gemm_gflop() -> float:
    """Multiply-add work of one epoch in the convolutions and linear layers (forward and the
    weight and input gradients; the first conv needs no input gradient)."""
    n = 60000
    conv1 = 2 * n * 26 * 26 * 9 * 32 * 2
    conv2 = 2 * n * 11 * 11 * 288 * 64 * 3
    linear = 2 * n * (1600 * 128 + 128 * 10) * 3
    return (conv1 + conv2 + linear) / 1e9


def initial_state(seed: int = 0) -> dict[str, np.ndarray]:
    """PyTorch-style initial weights (neuralab's init), shared by all three runners."""
    import neuralab as nl

    nl.manual_seed(seed)
    return {k: v.numpy().copy() for k, v in neuralab_model().state_dict().items()}


def neuralab_model() -> Any:
    from neuralab import nn

    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))


def torch_model() -> Any:
    from torch import nn

    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))


def build_neuralab(state: dict) -> Any:
    model = neuralab_model()
    model.load_state_dict(state["init"])
    return model


def build_torch(state: dict) -> Any:
    import torch

    model = torch_model()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state["init"].items()})
    return model


RUNNERS = {"neuralab": partial(epoch_neuralab, build=build_neuralab), "numpy": epoch_numpy,
           "torch": partial(epoch_torch, build=build_torch)}


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def child(framework: str) -> None:
    """Run one epoch in this fresh process and print its memory use as JSON."""
    if framework == "torch":
        import torch  # noqa: F401  (imported before the baseline, like neuralab below)
    import neuralab  # noqa: F401

    x, y, _ = load_data()
    state = {"init": initial_state()}
    order = np.random.default_rng(1).permutation(len(x))
    baseline = _status_kb("VmRSS")  # libraries and data loaded; no model or batch yet
    try:
        with open("/proc/self/clear_refs", "w") as f:  # reset VmHWM to the current RSS
            f.write("5")
        method = "VmHWM reset before the epoch"
    except OSError:
        method = "VmHWM of the whole process (clear_refs unavailable)"
    seconds = RUNNERS[framework](x, y, order, state)  # builds model + optimizer, then trains
    print(json.dumps({"baseline_kb": baseline, "peak_kb": _status_kb("VmHWM"),
                      "seconds": seconds, "method": method}))


def measure_memory(framework: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", framework], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per framework")
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the peak-memory epochs (one per framework, in subprocesses)")
    parser.add_argument("--no-numpy", action="store_true",
                        help="skip the hand-written NumPy baseline (about 1 minute per epoch)")
    parser.add_argument("--child", choices=sorted(RUNNERS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return

    x, y, source = load_data()
    import torch

    print(f"data: {source}, {'×'.join(map(str, x.shape))} float32; batch {BATCH}; "
          f"torch {torch.__version__} with {torch.get_num_threads()} threads; "
          f"numpy {np.__version__}")
    print(f"GEMM work per epoch: {gemm_gflop():.0f} GFLOP")
    init = initial_state()
    runners = {n: r for n, r in RUNNERS.items() if not (args.no_numpy and n == "numpy")}
    states: dict[str, dict] = {name: {"init": init} for name in runners}
    median = time_interleaved(
        runners, states, x, y, args.epochs, 10,
        lambda name, seconds, state: f"{name} {seconds:.2f} s (loss {state['loss']:.3f})")
    print("\nmedian epoch time: " + ", ".join(f"{n} {t:.2f} s" for n, t in median.items()))
    print(f"neuralab / torch = {median['neuralab'] / median['torch']:.2f}  (target <= 1.0)")
    if "numpy" in median:
        print(f"neuralab / numpy = {median['neuralab'] / median['numpy']:.2f}")
        print(f"numpy / torch    = {median['numpy'] / median['torch']:.2f}")
    print(f"neuralab's effective rate (GEMM work / epoch time): "
          f"{gemm_gflop() / median['neuralab']:.0f} GFLOP/s")

    if args.no_memory:
        return
    print("\npeak memory (RSS) of one epoch, each framework in a fresh subprocess: baseline = "
          "RSS with the\nlibrary and the data loaded; the kernel's high-water mark is reset "
          "there and read after the epoch")
    for name in runners:
        m = measure_memory(name)
        print(f"  {name:8s} baseline {m['baseline_kb'] / 1024:7.1f} MiB, peak during epoch "
              f"{m['peak_kb'] / 1024:7.1f} MiB, working set of training "
              f"{(m['peak_kb'] - m['baseline_kb']) / 1024:6.1f} MiB  "
              f"[{m['method']}; that epoch took {m['seconds']:.2f} s]")


if __name__ == "__main__":
    main()
