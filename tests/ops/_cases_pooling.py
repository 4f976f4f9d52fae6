"""Pooling, unpooling and resizing rows for the PyTorch comparison (test_ops_vs_torch.py):
max pooling with dilation / ceil_mode / indices, max unpooling, average pooling with ceil_mode
and divisor_override, adaptive max pooling, and F.interpolate (nearest, bilinear)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as TF
from _case_kit import case, const, distinct, normal
from _scales import routing

import neuralab.nn.functional as F


def _pool_indices(shape: tuple[int, ...], *args: object) -> object:
    """A maker of max_pool2d's int64 indices for a random (tie-free) input of ``shape``."""
    def make(rng: np.random.Generator) -> object:
        x = torch.from_numpy(distinct(*shape)(rng))
        return const(TF.max_pool2d(x, *args, return_indices=True)[1].numpy())(rng)
    return make


def _first(fn: object) -> object:
    return lambda *a: fn(*a)[0]  # type: ignore[operator]


def _second(fn: object) -> object:
    """The int64 indices of a (values, indices) op."""
    return lambda *a: fn(*a)[1]  # type: ignore[operator]


CASES = [
    case("max_pool2d_dilation", "max_pool2d", lambda x: F.max_pool2d(x, 3, 1, 1, 2),
         lambda x: TF.max_pool2d(x, 3, 1, 1, 2), distinct(2, 3, 9, 8), scale=routing),
    case("max_pool2d_ceil_mode", "max_pool2d",
         lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
         lambda x: TF.max_pool2d(x, 3, 2, 1, ceil_mode=True), distinct(2, 3, 8, 7),
         scale=routing),
    case("max_pool2d_ceil_mode_blocks", "max_pool2d",
         lambda x: F.max_pool2d(x, 2, ceil_mode=True),
         lambda x: TF.max_pool2d(x, 2, ceil_mode=True), distinct(2, 3, 7, 5), scale=routing),
    case("max_pool2d_indices_values", "max_pool2d",
         _first(lambda x: F.max_pool2d(x, (2, 3), (2, 1), (1, 1), (2, 1), True, True)),
         _first(lambda x: TF.max_pool2d(x, (2, 3), (2, 1), (1, 1), (2, 1), True, True)),
         distinct(2, 3, 9, 8), scale=routing),
    case("max_unpool2d", "max_unpool2d",
         lambda x, i: F.max_unpool2d(x, i, 2), lambda x, i: TF.max_unpool2d(x, i, 2),
         normal(2, 3, 3, 4), _pool_indices((2, 3, 6, 8), 2), scale=routing),
    # padded windows and an output_size (no two windows share a maximum: with repeated indices
    # only the last value is kept, yet each receives the gradient, as in torch)
    case("max_unpool2d_padding_output_size", "max_unpool2d",
         lambda x, i: F.max_unpool2d(x, i, 3, 3, 1, (7, 8)),
         lambda x, i: TF.max_unpool2d(x, i, 3, 3, 1, (7, 8)),
         normal(2, 3, 3, 3), _pool_indices((2, 3, 7, 8), 3, 3, 1), scale=routing),
    case("avg_pool2d_ceil_mode", "avg_pool2d",
         lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True),
         lambda x: TF.avg_pool2d(x, 3, 2, 1, ceil_mode=True), normal(2, 3, 8, 7)),
    case("avg_pool2d_ceil_mode_exclude_pad", "avg_pool2d",
         lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False, ceil_mode=True),
         lambda x: TF.avg_pool2d(x, 3, 2, 1, True, False), normal(2, 3, 8, 7)),
    case("avg_pool2d_divisor_override", "avg_pool2d",
         lambda x: F.avg_pool2d(x, (2, 3), 1, (1, 1), ceil_mode=True, divisor_override=4),
         lambda x: TF.avg_pool2d(x, (2, 3), 1, (1, 1), True, True, 4), normal(2, 3, 5, 6)),
    case("adaptive_max_pool2d", "adaptive_max_pool2d",
         lambda x: F.adaptive_max_pool2d(x, (3, 4)), lambda x: TF.adaptive_max_pool2d(x, (3, 4)),
         distinct(2, 3, 7, 6), scale=routing),
    case("adaptive_max_pool2d_upsampling", "adaptive_max_pool2d",
         _first(lambda x: F.adaptive_max_pool2d(x, (8, None), True)),
         _first(lambda x: TF.adaptive_max_pool2d(x, (8, None), True)),
         distinct(2, 3, 5, 6), scale=routing),
    case("adaptive_max_pool2d_unbatched", "adaptive_max_pool2d",
         lambda x: F.adaptive_max_pool2d(x, 2), lambda x: TF.adaptive_max_pool2d(x, 2),
         distinct(3, 5, 7), scale=routing),
    # interpolate: every output is a copy (nearest) or λ0·a + λ1·b with λ ≥ 0 (bilinear)
    case("interpolate_nearest_size", "interpolate",
         lambda x: F.interpolate(x, size=(7, 11)), lambda x: TF.interpolate(x, size=(7, 11)),
         normal(2, 3, 4, 5)),
    case("interpolate_nearest_scale_factor", "interpolate",
         lambda x: F.interpolate(x, scale_factor=(2, 0.6)),
         lambda x: TF.interpolate(x, scale_factor=(2, 0.6)), normal(2, 3, 4, 5)),
    case("interpolate_bilinear_up", "interpolate",
         lambda x: F.interpolate(x, scale_factor=2.5, mode="bilinear"),
         lambda x: TF.interpolate(x, scale_factor=2.5, mode="bilinear"), normal(2, 3, 4, 5)),
    case("interpolate_bilinear_down", "interpolate",
         lambda x: F.interpolate(x, size=(3, 2), mode="bilinear"),
         lambda x: TF.interpolate(x, size=(3, 2), mode="bilinear"), normal(2, 3, 7, 6)),
    case("interpolate_bilinear_align_corners", "interpolate",
         lambda x: F.interpolate(x, size=(9, 4), mode="bilinear", align_corners=True),
         lambda x: TF.interpolate(x, size=(9, 4), mode="bilinear", align_corners=True),
         normal(2, 3, 4, 7)),
    case("interpolate_bilinear_recompute_scale", "interpolate",
         lambda x: F.interpolate(x, scale_factor=1.7, mode="bilinear",
                                 recompute_scale_factor=True),
         lambda x: TF.interpolate(x, scale_factor=1.7, mode="bilinear",
                                  recompute_scale_factor=True), normal(2, 3, 5, 6)),
]

EXACT_CASES = [
    case("max_pool2d_indices", "max_pool2d",
         _second(lambda x: F.max_pool2d(x, 3, 2, 1, 2, True, True)),
         _second(lambda x: TF.max_pool2d(x, 3, 2, 1, 2, True, True)),
         distinct(2, 3, 9, 8)),
    case("max_pool2d_indices_blocks", "max_pool2d",
         _second(lambda x: F.max_pool2d(x, 2, return_indices=True)),
         _second(lambda x: TF.max_pool2d(x, 2, return_indices=True)),
         distinct(2, 3, 6, 8)),
    case("adaptive_max_pool2d_indices", "adaptive_max_pool2d",
         _second(lambda x: F.adaptive_max_pool2d(x, (3, 5), True)),
         _second(lambda x: TF.adaptive_max_pool2d(x, (3, 5), True)),
         distinct(2, 3, 7, 6)),
]
