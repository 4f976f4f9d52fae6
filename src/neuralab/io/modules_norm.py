"""Model-file entries of the "norm" area: LayerNorm, GroupNorm, Embedding and Dropout2d.

Each records its constructor settings (and the dtype of its parameters); each field read back
is validated by ``ModuleConfig``'s getters, and the values a layer holds are reserved before it
is built, so a file cannot ask for more than its tensors hold."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..nn.layers import Dropout2d
from ..nn.normalization import GroupNorm, LayerNorm
from ..nn.sparse import Embedding
from ..tensor import get_default_dtype
from .model_file import MAX_SPATIAL, ModuleConfig, _get_inplace, _inplace, register_module

_MAX_SIZE = 2**40  # a bound on a dimension; the real limit is the file's tensors (reserve)


def _dtype_of(m: Any) -> str:
    weight = getattr(m, "weight", None)
    return (get_default_dtype() if weight is None else weight.dtype).name


def _layer_norm_config(m: LayerNorm) -> dict[str, Any]:
    return {"normalized_shape": list(m.normalized_shape), "eps": float(m.eps),
            "elementwise_affine": m.elementwise_affine, "bias": m.bias is not None,
            "dtype": _dtype_of(m)}


def _layer_norm_from_config(cfg: ModuleConfig) -> LayerNorm:
    shape = cfg._get("normalized_shape", None, f"a non-empty list of at most {MAX_SPATIAL} "
                     f"integers from 1 to {_MAX_SIZE}",
                     lambda v: isinstance(v, list) and 0 < len(v) <= MAX_SPATIAL
                     and all(type(i) is int and 1 <= i <= _MAX_SIZE for i in v))
    eps = cfg.get_float("eps", minimum=0.0)
    affine, bias = cfg.get_bool("elementwise_affine"), cfg.get_bool("bias", True)
    dtype = cfg.get_dtype("dtype")
    cfg.reserve(int(np.prod(shape, dtype=object)) * affine * (1 + bias))
    return LayerNorm(shape, eps=eps, elementwise_affine=affine, bias=bias, dtype=dtype)


def _group_norm_config(m: GroupNorm) -> dict[str, Any]:
    return {"num_groups": int(m.num_groups), "num_channels": int(m.num_channels),
            "eps": float(m.eps), "affine": m.affine, "bias": m.bias is not None,
            "dtype": _dtype_of(m)}


def _group_norm_from_config(cfg: ModuleConfig) -> GroupNorm:
    groups = cfg.get_int("num_groups", minimum=1, maximum=_MAX_SIZE)
    channels = cfg.get_int("num_channels", minimum=1, maximum=_MAX_SIZE)
    if channels % groups:
        raise cfg.error(f"num_channels ({channels}) must be divisible by num_groups ({groups})")
    eps = cfg.get_float("eps", minimum=0.0)
    affine, bias = cfg.get_bool("affine"), cfg.get_bool("bias", True)
    dtype = cfg.get_dtype("dtype")
    cfg.reserve(channels * affine * (1 + bias))
    return GroupNorm(groups, channels, eps=eps, affine=affine, dtype=dtype, bias=bias)


def _embedding_config(m: Embedding) -> dict[str, Any]:
    return {"num_embeddings": int(m.num_embeddings), "embedding_dim": int(m.embedding_dim),
            "padding_idx": None if m.padding_idx is None else int(m.padding_idx),
            "dtype": _dtype_of(m)}


def _embedding_from_config(cfg: ModuleConfig) -> Embedding:
    rows = cfg.get_int("num_embeddings", minimum=1, maximum=_MAX_SIZE)
    dim = cfg.get_int("embedding_dim", minimum=1, maximum=_MAX_SIZE)
    padding = cfg._get("padding_idx", None, f"null or an integer from 0 to {rows - 1}",
                       lambda v: v is None or type(v) is int and 0 <= v < rows)
    dtype = cfg.get_dtype("dtype")
    cfg.reserve(rows * dim)
    return Embedding(rows, dim, padding_idx=padding, dtype=dtype)


register_module(LayerNorm, _layer_norm_config, _layer_norm_from_config)
register_module(GroupNorm, _group_norm_config, _group_norm_from_config)
register_module(Embedding, _embedding_config, _embedding_from_config)
register_module(Dropout2d, lambda m: {"p": float(m.p), **_inplace(m)},
                lambda cfg: Dropout2d(cfg.get_float("p", minimum=0.0, maximum=1.0),
                                      inplace=_get_inplace(cfg)))
