"""Bilinear upsampling, forward + backward: neuralab's F.interpolate against PyTorch's.

    python benchmarks/interpolate.py [--repeats 30]

For each shape, one float32 (N, C, H, W) image batch is upsampled 2× with mode='bilinear'
(align_corners False, as a U-Net / FPN decoder does) and the sum-weighted output is
back-propagated to the input; the two libraries run alternately, the same number of
threads each (torch.set_num_threads = neuralab.set_num_threads), and the median of the
repeats is reported with the ratio neuralab / torch.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as TF

import neuralab as nl
import neuralab.nn.functional as F

SHAPES = [(8, 16, 32, 32), (16, 64, 32, 32), (4, 32, 64, 64), (32, 8, 56, 56)]


def step_neuralab(x: np.ndarray, g: np.ndarray) -> None:
    a = nl.Tensor(x, requires_grad=True)
    F.interpolate(a, scale_factor=2, mode="bilinear").backward(g)


def step_torch(x: torch.Tensor, g: torch.Tensor) -> None:
    a = x.detach().requires_grad_()
    TF.interpolate(a, scale_factor=2, mode="bilinear").backward(g)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(nl.get_num_threads())
    print(f"threads: {nl.get_num_threads()} (both libraries); float32; scale_factor=2")
    print(f"{'shape':>20} {'neuralab ms':>12} {'torch ms':>10} {'ratio':>7}")
    for shape in SHAPES:
        rng = np.random.default_rng(0)
        x = rng.standard_normal(shape).astype(np.float32)
        g = rng.standard_normal((*shape[:2], shape[2] * 2, shape[3] * 2)).astype(np.float32)
        xt, gt = torch.from_numpy(x), torch.from_numpy(g)
        times: dict[str, list[float]] = {"neuralab": [], "torch": []}
        for _ in range(3):  # warm-up
            step_neuralab(x, g)
            step_torch(xt, gt)
        for _ in range(args.repeats):
            for name, run, inputs in (("neuralab", step_neuralab, (x, g)),
                                      ("torch", step_torch, (xt, gt))):
                start = time.perf_counter()
                run(*inputs)  # type: ignore[operator]
                times[name].append(time.perf_counter() - start)
        ours, theirs = (statistics.median(times[k]) * 1e3 for k in ("neuralab", "torch"))
        print(f"{str(shape):>20} {ours:12.2f} {theirs:10.2f} {ours / theirs:7.2f}")


if __name__ == "__main__":
    main()
