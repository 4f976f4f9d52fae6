"""Area table "norm": layer_norm, group_norm, embedding, dropout2d and the losses of issue 12
(smooth L1, Huber, KL divergence, N-d NLL, cosine similarity and embedding loss), each against
torch (``test_ops_vs_torch.py`` runs every row) and finite differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch.nn.functional as TF
from _case_kit import case, const, fixed_scale, labels, normal
from _scales import Scale, largest_size

import neuralab.nn.functional as F


def standardize_scale(rows_of: Callable[[np.ndarray], np.ndarray],
                      param_shape: Callable[[np.ndarray], tuple], eps: float = 1e-5) -> Scale:
    """y = γ·x̂ + β, x̂ = (x − μ)/σ per row (``rows_of`` gives x as (rows, K)); γ, β broadcast
    to x as ``param_shape(x)``. With X = (|x| + |μ|)/σ bounding |x̂| and its error: value ~
    |γ|·X + |β|; input gradient (1/σ)·(g̃ − mean g̃ − x̂·mean(g̃ x̂)), g̃ = g·γ, whose result is
    far smaller than its terms ~ (1/σ)·(|g̃| + mean|g̃| + X·mean(|g̃|·X)); weight gradient
    Σ g·x̂ ~ Σ|g|·X; bias Σ|g|. terms: the longest reduction (the largest operand)."""
    def scale(inputs: list[np.ndarray], g: np.ndarray, leaves: Sequence[bool]) -> tuple:
        x, *affine = inputs
        rows = rows_of(x)
        mu = rows.mean(axis=1, keepdims=True)
        sigma = np.sqrt(rows.var(axis=1, keepdims=True) + eps)
        big_x = ((np.abs(rows) + np.abs(mu)) / sigma).reshape(x.shape)
        shape = param_shape(x)
        gamma = np.abs(affine[0]).reshape(shape) if affine else np.ones(shape)
        beta = np.abs(affine[1]).reshape(shape) if len(affine) > 1 else np.zeros(shape)
        g = np.abs(g)
        gt = rows_of(g * gamma)
        xr = rows_of(big_x)
        dx = (gt + gt.mean(axis=1, keepdims=True)
              + xr * (gt * xr).mean(axis=1, keepdims=True)) / sigma
        grads = [dx.reshape(x.shape)]
        for term in (g * big_x, g)[:len(affine)]:
            folded = np.broadcast_to(term, x.shape)
            axes = tuple(i for i in range(x.ndim)
                         if i < x.ndim - len(shape) or shape[i - x.ndim + len(shape)] == 1)
            grads.append(folded.sum(axis=axes).reshape(np.shape(affine[0])))
        grads = [gr for gr, leaf in zip(grads, leaves, strict=True) if leaf]
        return gamma * big_x + beta, grads, largest_size(inputs, g)
    return scale


def layer_norm_scale(k: int) -> Callable[[Callable], Scale]:
    return fixed_scale(standardize_scale(
        lambda x: x.reshape(-1, int(np.prod(x.shape[x.ndim - k:]))),
        lambda x: x.shape[x.ndim - k:]))


def group_norm_scale(groups: int) -> Callable[[Callable], Scale]:
    return fixed_scale(standardize_scale(
        lambda x: x.reshape(x.shape[0] * groups, -1),
        lambda x: (x.shape[1], *[1] * (x.ndim - 2))))


NORMALIZATION = [
    case("layer_norm", "layer_norm", lambda x, w, b: F.layer_norm(x, (4,), w, b),
         lambda x, w, b: TF.layer_norm(x, (4,), w, b), normal(3, 4), normal(4), normal(4),
         scale=layer_norm_scale(1)),
    case("layer_norm_2d_shape", "layer_norm", lambda x, w, b: F.layer_norm(x, [3, 4], w, b),
         lambda x, w, b: TF.layer_norm(x, [3, 4], w, b), normal(2, 3, 4, scale=3.0),
         normal(3, 4), normal(3, 4), scale=layer_norm_scale(2)),
    case("layer_norm_no_affine", "layer_norm", lambda x: F.layer_norm(x, (5,), eps=1e-3),
         lambda x: TF.layer_norm(x, (5,), eps=1e-3), normal(2, 3, 5),
         scale=fixed_scale(standardize_scale(lambda x: x.reshape(-1, 5),
                                             lambda x: (5,), eps=1e-3))),
    case("layer_norm_weight_only", "layer_norm", lambda x, w: F.layer_norm(x, (6,), w),
         lambda x, w: TF.layer_norm(x, (6,), w), normal(4, 6), normal(6),
         scale=layer_norm_scale(1)),
    case("group_norm", "group_norm", lambda x, w, b: F.group_norm(x, 2, w, b),
         lambda x, w, b: TF.group_norm(x, 2, w, b), normal(3, 4, 5), normal(4), normal(4),
         scale=group_norm_scale(2)),
    case("group_norm_4d", "group_norm", lambda x, w, b: F.group_norm(x, 3, w, b),
         lambda x, w, b: TF.group_norm(x, 3, w, b), normal(2, 6, 3, 2, scale=2.0), normal(6),
         normal(6), scale=group_norm_scale(3)),
    case("group_norm_no_affine_2d", "group_norm", lambda x: F.group_norm(x, 1),
         lambda x: TF.group_norm(x, 1), normal(4, 6), scale=group_norm_scale(1)),
    case("group_norm_instance", "group_norm", lambda x, w, b: F.group_norm(x, 4, w, b),
         lambda x, w, b: TF.group_norm(x, 4, w, b), normal(2, 4, 6), normal(4), normal(4),
         scale=group_norm_scale(4)),
]

# The padding row's zero gradient is a convention, not a derivative, so finite differences
# would disagree where the padding index is looked up: these rows look up other rows only (the
# padding row's zero gradient against torch is in tests/nn/test_norm_pytorch.py).
PAD_INDICES = np.array([[0, 4, 4], [2, 0, 1]])

LOOKUP = [
    case("embedding", "embedding", lambda w, i: F.embedding(i, w),
         lambda w, i: TF.embedding(i, w), normal(6, 3), labels(4, 5, classes=6)),
    case("embedding_1d_repeats", "embedding", lambda w, i: F.embedding(i, w),
         lambda w, i: TF.embedding(i, w), normal(4, 2), const(np.array([1, 1, 3, 1]))),
    case("embedding_padding_idx", "embedding", lambda w, i: F.embedding(i, w, padding_idx=3),
         lambda w, i: TF.embedding(i, w, padding_idx=3), normal(5, 4), const(PAD_INDICES)),
    case("embedding_padding_idx_negative", "embedding",
         lambda w, i: F.embedding(i, w, padding_idx=-2),
         lambda w, i: TF.embedding(i, w, padding_idx=-2), normal(5, 4), const(PAD_INDICES)),
    case("embedding_0d_index", "embedding", lambda w, i: F.embedding(i, w),
         lambda w, i: TF.embedding(i, w), normal(3, 4), const(np.array(2))),
    # Channel dropout's mask is random: the deterministic settings against torch here, the
    # random masks in tests/nn/test_norm_pytorch.py.
    case("dropout2d_eval", "dropout2d", lambda x: F.dropout2d(x, 0.5, training=False),
         lambda x: TF.dropout2d(x, 0.5, training=False), normal(2, 3, 2, 2)),
    case("dropout2d_p0", "dropout2d", lambda x: F.dropout2d(x, 0.0),
         lambda x: TF.dropout2d(x, 0.0), normal(2, 3, 2, 2)),
    case("dropout2d_p1", "dropout2d", lambda x: F.dropout2d(x, 1.0),
         lambda x: TF.dropout2d(x, 1.0), normal(2, 3, 2, 2)),
]

CASES = [*NORMALIZATION, *LOOKUP]
