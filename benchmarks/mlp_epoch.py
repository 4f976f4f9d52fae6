"""One training epoch of a 784-256-128-10 ReLU MLP: neuralab vs hand-written NumPy vs PyTorch.

Batch 128, SGD momentum 0.9, cross-entropy, 60,000×784 float32 inputs (Fashion-MNIST when
Debian's dataset-fashion-mnist is installed, else random data of that shape). Each framework
runs the same shuffled batches; we print the median of several epochs and the ratios, plus the
import time of ``neuralab`` beside ``torch``. Run: ``python benchmarks/mlp_epoch.py``.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

FASHION = Path("/usr/share/datasets/fashion-mnist")
BATCH, LR, MOMENTUM = 128, 0.01, 0.9
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


def epoch_neuralab(x: np.ndarray, y: np.ndarray, order: np.ndarray, state: dict) -> float:
    import neuralab as nl
    from neuralab import nn

    if "model" not in state:
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                              nn.Linear(128, 10))
        model.load_state_dict(dict(zip(model.state_dict(), init_weights())))
        state["model"] = model
        state["opt"] = nl.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    model, opt = state["model"], state["opt"]
    start = time.perf_counter()
    for i in range(0, len(order), BATCH):
        idx = order[i:i + BATCH]
        loss = nn.functional.cross_entropy(model(nl.Tensor(x[idx])), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - start


def epoch_numpy(x: np.ndarray, y: np.ndarray, order: np.ndarray, state: dict) -> float:
    """The same math written out by hand: the floor a framework on NumPy can hope for."""
    if "params" not in state:
        state["params"] = init_weights()
        state["bufs"] = [None] * 6
    (w1, b1, w2, b2, w3, b3), bufs = state["params"], state["bufs"]
    start = time.perf_counter()
    for i in range(0, len(order), BATCH):
        idx = order[i:i + BATCH]
        xb, yb = x[idx], y[idx]
        n = len(idx)
        a1 = xb @ w1.T + b1
        h1 = np.maximum(a1, 0)
        a2 = h1 @ w2.T + b2
        h2 = np.maximum(a2, 0)
        logits = h2 @ w3.T + b3
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        _loss = -log_probs[np.arange(n), yb].mean()
        g3 = np.exp(log_probs)
        g3[np.arange(n), yb] -= 1
        g3 /= n
        grads = [None] * 6
        grads[4], grads[5] = g3.T @ h2, g3.sum(0)
        g2 = (g3 @ w3) * (a2 > 0)
        grads[2], grads[3] = g2.T @ h1, g2.sum(0)
        g1 = (g2 @ w2) * (a1 > 0)
        grads[0], grads[1] = g1.T @ xb, g1.sum(0)
        for k, (p, g) in enumerate(zip(state["params"], grads)):
            if bufs[k] is None:
                bufs[k] = g.copy()
            else:
                bufs[k] *= MOMENTUM
                bufs[k] += g
            p -= LR * bufs[k]
    return time.perf_counter() - start


def epoch_torch(x: np.ndarray, y: np.ndarray, order: np.ndarray, state: dict) -> float:
    import torch

    if "model" not in state:
        model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                    torch.nn.Linear(256, 128), torch.nn.ReLU(),
                                    torch.nn.Linear(128, 10))
        model.load_state_dict({k: torch.from_numpy(v)
                               for k, v in zip(model.state_dict(), init_weights())})
        state["model"] = model
        state["opt"] = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
        state["x"], state["y"] = torch.from_numpy(x), torch.from_numpy(y)
    model, opt, tx, ty = state["model"], state["opt"], state["x"], state["y"]
    torder = torch.from_numpy(order)
    start = time.perf_counter()
    for i in range(0, len(order), BATCH):
        idx = torder[i:i + BATCH]
        loss = torch.nn.functional.cross_entropy(model(tx[idx]), ty[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - start


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
    runners = {"neuralab": epoch_neuralab, "numpy": epoch_numpy, "torch": epoch_torch}
    states: dict[str, dict] = {name: {} for name in runners}
    times: dict[str, list[float]] = {name: [] for name in runners}
    rng = np.random.default_rng(0)
    warm = rng.permutation(len(x))[:BATCH * 20]
    for name, run in runners.items():  # build models and warm caches (not timed)
        run(x, y, warm, states[name])
    for epoch in range(args.epochs):  # interleave the frameworks so drift hits all alike
        order = rng.permutation(len(x))
        for name, run in runners.items():
            times[name].append(run(x, y, order, states[name]))
        print(f"epoch {epoch + 1}: " + ", ".join(f"{n} {t[-1]:.3f} s" for n, t in times.items()))
    median = {name: statistics.median(t) for name, t in times.items()}
    print("\nmedian epoch time: " + ", ".join(f"{n} {t:.3f} s" for n, t in median.items()))
    print(f"neuralab / numpy = {median['neuralab'] / median['numpy']:.2f}  (target <= 1.15)")
    print(f"neuralab / torch = {median['neuralab'] / median['torch']:.2f}  (target <= 0.90)")
    nl_import, torch_import = import_time("neuralab"), import_time("torch")
    print(f"\nimport time (median of 3): neuralab {nl_import * 1000:.0f} ms, "
          f"torch {torch_import * 1000:.0f} ms")


if __name__ == "__main__":
    main()
