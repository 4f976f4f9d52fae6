"""Rows of the op tables for the shape area (issue 12): logsumexp, prod, cumsum, normalize, bmm,
repeat, repeat_interleave, index_select, split/chunk, roll, unflatten, tril/triu, diagonal,
pad, one_hot and einsum. Collected by ``test_ops_vs_torch.py`` (torch comparison in float64 and
float32, and finite differences)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as TF
from _case_kit import case, const, fixed, fixed_scale, normal
from _scales import Scale

import neuralab as nl
import neuralab.nn.functional as F

# ------------------------------------------------------------------------------ scales


def _axes(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, (tuple, list)) else axis


def logsumexp_scale(axis: Any, keepdim: bool = False) -> Scale:
    """y = m + ln s (m = max x, s = Σ e^(x−m)): terms |m|, |ln s| and s's relative error
    (C additions, and Σ_j e^(x_j−y)·|x_j − m| from rounding x − m, as softmax's); the gradient
    g·e^(x−y) is off relatively by the absolute errors of x − m and y. terms: C + 2."""
    def scale(inputs: list[np.ndarray], g: np.ndarray, leaves: Sequence[bool]) -> tuple:
        x, axes = inputs[0], _axes(axis)
        m = x.max(axis=axes, keepdims=True)
        shifted = x - m
        log_s = np.log(np.exp(shifted).sum(axis=axes, keepdims=True))
        soft = np.exp(shifted - log_s)
        value = np.abs(m) + np.abs(log_s) + 1 + (soft * np.abs(shifted)).sum(axes, keepdims=True)
        count = x.size // value.size
        g_wide = np.abs(g).reshape(value.shape)
        grad = g_wide * soft * (1 + np.abs(shifted) + value)
        return (value if keepdim else value.reshape(g.shape)), [grad], count + 2
    return scale


def normalize_scale(p: float, axis: int) -> Scale:
    """y = x/d (d = max(‖x‖ₚ, eps), rounded relatively by about C steps): value terms |x|/d;
    dL/dx = g/d − x·(Σ g·x)/d³·(d‖x‖/dx·d) cancels terms |g|/d + |x|·Σ|g·x|/d² · |∂n/∂x|
    (|∂n/∂x| <= 1 elementwise for p >= 1). terms: C + 4."""
    def scale(inputs: list[np.ndarray], g: np.ndarray, leaves: Sequence[bool]) -> tuple:
        x = inputs[0]
        a = np.abs(x)
        n = a.max(axis=axis, keepdims=True) if p == np.inf else \
            (a ** p).sum(axis=axis, keepdims=True) ** (1 / p)
        d = np.maximum(n, 1e-12)
        inner = (np.abs(g) * a).sum(axis=axis, keepdims=True)
        return a / d, [np.abs(g) / d + inner / (d * d)], x.shape[axis] + 4
    return scale


# ------------------------------------------------------------------------------ rows

WITH_ZEROS = [[0.5, 0.0, -1.5, 2.0], [0.0, 1.2, 0.0, -0.7], [1.1, -0.9, 1.3, 0.8]]

REDUCTIONS = [
    case("logsumexp_dim", "logsumexp", lambda x: nl.logsumexp(x, 1),
         lambda x: torch.logsumexp(x, 1), normal(3, 5, 2, scale=3.0),
         scale=fixed_scale(logsumexp_scale(1))),
    case("logsumexp_neg_keepdim", "logsumexp", lambda x: x.logsumexp(-1, keepdim=True),
         lambda x: x.logsumexp(-1, keepdim=True), normal(4, 6, scale=3.0),
         scale=fixed_scale(logsumexp_scale(-1, keepdim=True))),
    case("logsumexp_dims_tuple", "logsumexp", lambda x: nl.logsumexp(x, (0, 2)),
         lambda x: torch.logsumexp(x, (0, 2)), normal(2, 3, 4),
         scale=fixed_scale(logsumexp_scale((0, 2)))),
    # large values: exp would overflow without the maximum taken out
    case("logsumexp_large", "logsumexp", lambda x: nl.logsumexp(x, 0),
         lambda x: torch.logsumexp(x, 0), fixed([[800.0, -800.0], [799.0, -801.5]]),
         scale=fixed_scale(logsumexp_scale(0))),
    case("prod_all", "prod", lambda x: x.prod(), lambda x: x.prod(), normal(2, 3)),
    case("prod_dim", "prod", lambda x: nl.prod(x, 1), lambda x: torch.prod(x, 1), normal(3, 4, 2)),
    case("prod_neg_keepdim", "prod", lambda x: x.prod(-2, keepdim=True),
         lambda x: x.prod(-2, keepdim=True), normal(2, 3, 4)),
    # one zero in a row: only it gets a gradient; two zeros: none (as torch)
    case("prod_zeros_dim", "prod", lambda x: x.prod(1), lambda x: x.prod(1), fixed(WITH_ZEROS)),
    case("prod_zeros_dim0", "prod", lambda x: x.prod(0), lambda x: x.prod(0), fixed(WITH_ZEROS)),
    case("prod_zero_all", "prod", lambda x: x.prod(), lambda x: x.prod(),
         fixed([[0.5, 0.0, -1.5], [2.0, 1.2, 0.9]])),
    case("prod_two_zeros_all", "prod", lambda x: x.prod(), lambda x: x.prod(),
         fixed([0.0, 2.0, 0.0, -1.0])),
    case("prod_float64_dtype", "prod", lambda x: x.prod(0, dtype=nl.float64),
         lambda x: x.prod(0, dtype=torch.float64), normal(3, 2)),
    case("cumsum", "cumsum", lambda x: nl.cumsum(x, 1), lambda x: torch.cumsum(x, 1),
         normal(3, 5)),
    case("cumsum_neg", "cumsum", lambda x: x.cumsum(-3), lambda x: x.cumsum(-3), normal(4, 2, 3)),
    case("cumsum_0d", "cumsum", lambda x: x.cumsum(0), lambda x: x.cumsum(0), normal()),
    case("normalize", "normalize", F.normalize, TF.normalize, normal(4, 5),
         scale=fixed_scale(normalize_scale(2, 1))),
    case("normalize_dim_neg", "normalize", lambda x: F.normalize(x, dim=-1),
         lambda x: TF.normalize(x, dim=-1), normal(2, 3, 4),
         scale=fixed_scale(normalize_scale(2, -1))),
    case("normalize_p1_dim0", "normalize", lambda x: F.normalize(x, p=1, dim=0),
         lambda x: TF.normalize(x, p=1, dim=0), normal(5, 3),
         scale=fixed_scale(normalize_scale(1, 0))),
    case("normalize_p3", "normalize", lambda x: F.normalize(x, p=3),
         lambda x: TF.normalize(x, p=3), normal(3, 4),
         scale=fixed_scale(normalize_scale(3, 1))),
    # a row of norm below eps: divided by eps, the norm's gradient blocked (clamp_min)
    case("normalize_tiny_row", "normalize", lambda x: F.normalize(x, eps=1e-3),
         lambda x: TF.normalize(x, eps=1e-3), fixed([[1e-4, -2e-4, 3e-4], [0.5, -1.0, 2.0]]),
         scale=fixed_scale(normalize_scale(2, 1))),
    case("bmm", "bmm", nl.bmm, torch.bmm, normal(3, 2, 4), normal(3, 4, 5)),
    case("bmm_method", "bmm", lambda a, b: a.bmm(b), lambda a, b: a.bmm(b),
         normal(2, 1, 3), normal(2, 3, 2)),
]



def _weighted_cat(pieces: tuple, dim: int, cat: Any) -> Any:
    """The pieces of a split joined back in reverse order, piece i times i + 1: each piece's
    own gradient is distinguishable from the others'."""
    return cat([p * (i + 1) for i, p in enumerate(pieces)][::-1], dim)


def _index(values: Any) -> Any:
    return const(np.array(values, dtype=np.int64))


MOVES = [
    case("repeat", "repeat", lambda x: x.repeat(2, 3), lambda x: x.repeat(2, 3), normal(2, 3)),
    case("repeat_new_dims", "repeat", lambda x: x.repeat((2, 1, 1, 2)),
         lambda x: x.repeat((2, 1, 1, 2)), normal(3, 1, 2)),
    case("repeat_0d", "repeat", lambda x: x.repeat(3), lambda x: x.repeat(3), normal()),
    case("repeat_interleave_flat", "repeat_interleave", lambda x: x.repeat_interleave(2),
         lambda x: x.repeat_interleave(2), normal(2, 3)),
    case("repeat_interleave_dim", "repeat_interleave",
         lambda x: nl.repeat_interleave(x, 3, dim=-1),
         lambda x: torch.repeat_interleave(x, 3, dim=-1), normal(2, 2, 3)),
    case("repeat_interleave_tensor", "repeat_interleave",
         lambda x, r: x.repeat_interleave(nl.tensor(r), dim=0),
         lambda x, r: x.repeat_interleave(r, dim=0), normal(3, 2), _index([2, 0, 3])),
    case("index_select", "index_select", lambda x, i: x.index_select(1, nl.tensor(i)),
         lambda x, i: x.index_select(1, i), normal(3, 4), _index([3, 0, 3, 1, 3])),
    case("index_select_neg_dim", "index_select",
         lambda x, i: nl.index_select(x, -3, nl.tensor(i)),
         lambda x, i: torch.index_select(x, -3, i), normal(4, 2, 3), _index([2, 2, 0])),
    case("index_select_int32_0d", "index_select",
         lambda x, i: x.index_select(0, nl.tensor(i)), lambda x, i: x.index_select(0, i),
         normal(4, 2), const(np.array(1, dtype=np.int32))),
    case("split_size", "split", lambda x: _weighted_cat(x.split(2, 1), 1, nl.cat),
         lambda x: _weighted_cat(x.split(2, 1), 1, torch.cat), normal(3, 5)),
    case("split_sections", "split",
         lambda x: _weighted_cat(nl.split(x, [1, 0, 3], dim=-1), -1, nl.cat),
         lambda x: _weighted_cat(torch.split(x, [1, 0, 3], dim=-1), -1, torch.cat),
         normal(2, 3, 4)),
    case("split_one_piece", "split", lambda x: x.split(2, 0)[1], lambda x: x.split(2, 0)[1],
         normal(5, 2)),
    case("chunk", "chunk", lambda x: _weighted_cat(x.chunk(3, 0), 0, nl.cat),
         lambda x: _weighted_cat(x.chunk(3, 0), 0, torch.cat), normal(7, 2)),
    case("chunk_fewer", "chunk", lambda x: _weighted_cat(nl.chunk(x, 4, -1), -1, nl.cat),
         lambda x: _weighted_cat(torch.chunk(x, 4, -1), -1, torch.cat), normal(2, 6)),
    case("roll_flat", "roll", lambda x: x.roll(4), lambda x: x.roll(4), normal(2, 3)),
    case("roll_dims", "roll", lambda x: nl.roll(x, (1, -5), (0, -1)),
         lambda x: torch.roll(x, (1, -5), (0, -1)), normal(3, 2, 4)),
    case("roll_one_dim", "roll", lambda x: x.roll(shifts=2, dims=1),
         lambda x: x.roll(shifts=2, dims=1), normal(2, 3)),
    case("unflatten", "unflatten", lambda x: x.unflatten(1, (2, -1)),
         lambda x: x.unflatten(1, (2, -1)), normal(3, 6)),
    case("unflatten_neg", "unflatten", lambda x: nl.unflatten(x, -1, [2, 1, 2]),
         lambda x: torch.unflatten(x, -1, [2, 1, 2]), normal(2, 4)),
    case("tril", "tril", lambda x: x.tril(), lambda x: x.tril(), normal(4, 3)),
    case("tril_batched_neg", "tril", lambda x: nl.tril(x, -1), lambda x: torch.tril(x, -1),
         normal(2, 3, 4)),
    case("triu", "triu", lambda x: x.triu(), lambda x: x.triu(), normal(3, 4)),
    case("triu_batched_k", "triu", lambda x: nl.triu(x, diagonal=2),
         lambda x: torch.triu(x, diagonal=2), normal(2, 4, 5)),
    case("diagonal", "diagonal", lambda x: x.diagonal(), lambda x: x.diagonal(), normal(3, 4)),
    case("diagonal_offset", "diagonal", lambda x: x.diagonal(1), lambda x: x.diagonal(1),
         normal(4, 3)),
    case("diagonal_dims", "diagonal", lambda x: nl.diagonal(x, -1, 2, 0),
         lambda x: torch.diagonal(x, -1, 2, 0), normal(3, 2, 4)),
    case("diagonal_neg_dims", "diagonal", lambda x: x.diagonal(0, -1, -2),
         lambda x: x.diagonal(0, -1, -2), normal(2, 3, 3)),
]

PADS = [
    case("pad_constant", "pad", lambda x: F.pad(x, (1, 2)), lambda x: TF.pad(x, (1, 2)),
         normal(2, 3)),
    case("pad_constant_value_2d", "pad", lambda x: F.pad(x, [2, 0, 1, 3], value=-1.5),
         lambda x: TF.pad(x, [2, 0, 1, 3], value=-1.5), normal(2, 3, 4)),
    case("pad_constant_negative", "pad", lambda x: F.pad(x, (-1, 2, 1, -2, 0, 1)),
         lambda x: TF.pad(x, (-1, 2, 1, -2, 0, 1)), normal(2, 4, 3)),
    case("pad_reflect", "pad", lambda x: F.pad(x, (2, 1), mode="reflect"),
         lambda x: TF.pad(x, (2, 1), mode="reflect"), normal(2, 3, 4)),
    case("pad_reflect_2d", "pad", lambda x: F.pad(x, (1, 2, 2, 1), "reflect"),
         lambda x: TF.pad(x, (1, 2, 2, 1), "reflect"), normal(2, 2, 3, 4)),
    case("pad_reflect_3d_unbatched", "pad", lambda x: F.pad(x, (1, 0, 0, 1, 1, 1), "reflect"),
         lambda x: TF.pad(x, (1, 0, 0, 1, 1, 1), "reflect"), normal(2, 2, 3, 3)),
    case("pad_replicate", "pad", lambda x: F.pad(x, (4, 1), mode="replicate"),
         lambda x: TF.pad(x, (4, 1), mode="replicate"), normal(3, 2)),
    case("pad_replicate_3d", "pad", lambda x: F.pad(x, (1, 2, 0, 1, 2, 0), "replicate"),
         lambda x: TF.pad(x, (1, 2, 0, 1, 2, 0), "replicate"), normal(1, 2, 2, 3, 2)),
    case("pad_circular", "pad", lambda x: F.pad(x, (3, 2), mode="circular"),
         lambda x: TF.pad(x, (3, 2), mode="circular"), normal(2, 2, 3)),
    case("pad_circular_2d_negative", "pad", lambda x: F.pad(x, (2, -1, -1, 2), "circular"),
         lambda x: TF.pad(x, (2, -1, -1, 2), "circular"), normal(1, 2, 3, 4)),
]

EINSUMS = [
    case("einsum_matmul", "einsum", lambda a, b: nl.einsum("ij,jk->ik", a, b),
         lambda a, b: torch.einsum("ij,jk->ik", a, b), normal(2, 3), normal(3, 4)),
    case("einsum_implicit_transpose", "einsum", lambda a: nl.einsum("ba", a),
         lambda a: torch.einsum("ba", a), normal(2, 3)),
    case("einsum_dot_implicit", "einsum", lambda a, b: nl.einsum("i,i", a, b),
         lambda a, b: torch.einsum("i,i", a, b), normal(5), normal(5)),
    case("einsum_outer_list", "einsum", lambda a, b: nl.einsum("i,j->ij", [a, b]),
         lambda a, b: torch.einsum("i,j->ij", [a, b]), normal(3), normal(2)),
    case("einsum_sum_only_label", "einsum", lambda a: nl.einsum("ijk->j", a),
         lambda a: torch.einsum("ijk->j", a), normal(2, 3, 4)),
    case("einsum_batch_ellipsis_broadcast", "einsum",
         lambda a, b: nl.einsum("...ij,...jk->...ik", a, b),
         lambda a, b: torch.einsum("...ij,...jk->...ik", a, b), normal(2, 1, 2, 3),
         normal(3, 3, 4)),
    case("einsum_three_operands", "einsum",
         lambda a, b, c: nl.einsum("bij, bjk, bkl -> bli", a, b, c),
         lambda a, b, c: torch.einsum("bij, bjk, bkl -> bli", a, b, c), normal(2, 2, 3),
         normal(2, 3, 4), normal(2, 4, 2)),
    case("einsum_size1_broadcast", "einsum", lambda a, b: nl.einsum("ij,ij->j", a, b),
         lambda a, b: torch.einsum("ij,ij->j", a, b), normal(1, 3), normal(4, 3)),
    # a diagonal of an operand without gradient (a constant) is fine
    case("einsum_const_diagonal", "einsum", lambda a, m: nl.einsum("ii,i->i", nl.tensor(m), a),
         lambda a, m: torch.einsum("ii,i->i", m, a), normal(3), const(normal(3, 3))),
]

CASES = [*REDUCTIONS, *MOVES, *PADS, *EINSUMS]

EXACT_CASES = [
    case("prod_int32", "prod", lambda x: x.prod(), lambda x: x.prod(),
         const(np.array([[1, -2], [3, 2]], dtype=np.int32))),
    case("prod_bool_dim", "prod", lambda x: x.prod(1), lambda x: x.prod(1),
         const(np.array([[True, False], [True, True]]))),
    case("cumsum_bool", "cumsum", lambda x: x.cumsum(0), lambda x: x.cumsum(0),
         const(np.array([True, False, True]))),
    case("repeat_interleave_counts", "repeat_interleave", nl.repeat_interleave,
         torch.repeat_interleave, const(np.array([2, 0, 1]))),
    case("index_select_long", "index_select", lambda x, i: x.index_select(0, i),
         lambda x, i: x.index_select(0, i), const(np.array([5, 6, 7])), _index([2, 0])),
    case("tril_int", "tril", lambda x: x.tril(1), lambda x: x.tril(1),
         const(np.arange(12).reshape(3, 4))),
    case("pad_int_value", "pad", lambda x: F.pad(x, (1, 1), value=2.5),
         lambda x: TF.pad(x, (1, 1), value=2.5), const(np.array([[1, 2], [3, 4]]))),
    case("one_hot", "one_hot", F.one_hot, TF.one_hot, const(np.array([[0, 3], [2, 2]]))),
    case("one_hot_classes", "one_hot", lambda x: F.one_hot(x, 5),
         lambda x: TF.one_hot(x, 5), const(np.array([1, 0, 4]))),
    case("one_hot_0d", "one_hot", lambda x: F.one_hot(x, 3), lambda x: TF.one_hot(x, 3),
         const(np.array(1))),
    case("cumsum_int_dtype", "cumsum", lambda x: x.cumsum(1, dtype=nl.int32),
         lambda x: x.cumsum(1, dtype=torch.int32), const(np.array([[1, 2, 3], [4, 5, 6]]))),
]
