"""``Embedding``: a lookup table of learned vectors (torch's constructor, ``weight`` and init)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes
from ..device import check_device
from ..errors import ArgumentError
from ..ops.normalization import embedding
from ..random import default_generator
from ..tensor import Tensor, get_default_dtype, to_array
from .module import Module
from .parameter import Parameter


class Embedding(Module):
    """``weight`` (num_embeddings, embedding_dim) ~ N(0, 1), the ``padding_idx`` row zero (and
    never updated: it gets no gradient). Input: int64/int32 indices of any shape; output:
    ``input.shape + (embedding_dim,)``. ``max_norm``, ``scale_grad_by_freq`` and ``sparse`` are
    not supported."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False,
                 _weight: Any = None, _freeze: bool = False, device: Any = None,
                 dtype: Any = None, *, generator: np.random.Generator | None = None) -> None:
        super().__init__()
        check_device(device)
        if max_norm is not None or scale_grad_by_freq or sparse:
            raise ArgumentError("Embedding: max_norm, scale_grad_by_freq and sparse are not "
                                "supported by neuralab")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        if padding_idx is not None:
            if padding_idx > 0:
                assert padding_idx < num_embeddings, "Padding_idx must be within num_embeddings"
            elif padding_idx < 0:
                assert padding_idx >= -num_embeddings, "Padding_idx must be within num_embeddings"
                padding_idx = num_embeddings + padding_idx
        self.padding_idx = padding_idx
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        dtype = get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
        if _weight is None:
            self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=dtype),
                                    requires_grad=not _freeze)
            self.reset_parameters(generator)
        else:
            array = np.array(to_array(_weight))
            if array.shape != (num_embeddings, embedding_dim):
                raise AssertionError("Shape of weight does not match num_embeddings and "
                                     "embedding_dim")
            self.weight = Parameter(array, requires_grad=not _freeze)

    def reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        rng = default_generator() if generator is None else generator
        w = self.weight
        w._data[...] = rng.standard_normal(w.shape).astype(w.dtype)
        if self.padding_idx is not None:
            w._data[self.padding_idx] = 0
        w._bump_version()

    def forward(self, input: Any) -> Tensor:  # noqa: A002
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True,
                        padding_idx: int | None = None, **kwargs: Any) -> Embedding:
        """A table holding ``embeddings`` (2-D), frozen unless ``freeze=False``."""
        array = np.asarray(to_array(embeddings))
        if array.ndim != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = array.shape
        return cls(rows, cols, padding_idx, _weight=array, _freeze=freeze, **kwargs)
