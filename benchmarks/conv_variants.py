"""Grouped, depthwise and transposed convolutions (and Conv1d), forward + backward, neuralab
against torch on CPU at realistic sizes (float32, batch 32).

Each configuration builds the same layer in both frameworks (torch's weights loaded into
neuralab's), then times one forward pass and one backward pass (upstream gradient fixed, input
and parameter gradients computed), interleaving the two frameworks; the median of the runs is
printed with the ratio neuralab / torch.

    python benchmarks/conv_variants.py [--runs 7] [--batch 32]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

import neuralab as nl
from neuralab.nn.conv import Conv1d, Conv2d, ConvTranspose2d

CONFIGS = [  # (label, neuralab class, torch class, kwargs, input shape without the batch)
    ("grouped 3x3, 128->128, groups=4, 28x28", Conv2d, torch.nn.Conv2d,
     dict(in_channels=128, out_channels=128, kernel_size=3, padding=1, groups=4), (128, 28, 28)),
    ("depthwise 3x3, 64 ch, 56x56 (MobileNet)", Conv2d, torch.nn.Conv2d,
     dict(in_channels=64, out_channels=64, kernel_size=3, padding=1, groups=64), (64, 56, 56)),
    ("depthwise 3x3 s2, 128 ch, 28x28", Conv2d, torch.nn.Conv2d,
     dict(in_channels=128, out_channels=128, kernel_size=3, stride=2, padding=1, groups=128),
     (128, 28, 28)),
    ("reflect-padded 3x3, 32->32, 64x64", Conv2d, torch.nn.Conv2d,
     dict(in_channels=32, out_channels=32, kernel_size=3, padding=1, padding_mode="reflect"),
     (32, 64, 64)),
    ("transposed 4x4 s2, 128->64, 16x16 (DCGAN)", ConvTranspose2d, torch.nn.ConvTranspose2d,
     dict(in_channels=128, out_channels=64, kernel_size=4, stride=2, padding=1), (128, 16, 16)),
    ("transposed 3x3 s2 groups=4, 64->64, 16x16", ConvTranspose2d, torch.nn.ConvTranspose2d,
     dict(in_channels=64, out_channels=64, kernel_size=3, stride=2, padding=1, output_padding=1,
          groups=4), (64, 16, 16)),
    ("conv1d k=5, 64->64, length 512", Conv1d, torch.nn.Conv1d,
     dict(in_channels=64, out_channels=64, kernel_size=5, padding=2), (64, 512)),
]


def _step(layer, x, g):
    """Seconds of one forward + backward; the same code drives neuralab and torch."""
    start = time.perf_counter()
    y = layer(x)
    y.backward(g)
    elapsed = time.perf_counter() - start
    x.grad = None
    layer.zero_grad()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} torch threads; batch "
          f"{args.batch}, float32, median of {args.runs} forward+backward runs")
    print(f"{'layer':44s} {'neuralab ms':>12s} {'torch ms':>10s} {'ratio':>7s}")
    for label, ours_cls, torch_cls, kwargs, shape in CONFIGS:
        theirs = torch_cls(**kwargs)
        ours = ours_cls(**kwargs)
        ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
        x = rng.standard_normal((args.batch, *shape)).astype(np.float32)
        xn, xt = nl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out_shape = tuple(theirs(xt).shape)
        g = rng.standard_normal(out_shape).astype(np.float32)
        gn, gt = nl.tensor(g), torch.tensor(g)
        _step(ours, xn, gn), _step(theirs, xt, gt)  # warm up
        times_nl, times_torch = [], []
        for _ in range(args.runs):
            times_nl.append(_step(ours, xn, gn))
            times_torch.append(_step(theirs, xt, gt))
        t_nl, t_torch = statistics.median(times_nl), statistics.median(times_torch)
        print(f"{label:44s} {1e3 * t_nl:12.1f} {1e3 * t_torch:10.1f} {t_nl / t_torch:7.2f}")


if __name__ == "__main__":
    main()
