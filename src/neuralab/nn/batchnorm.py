"""Batch normalisation layers: ``BatchNorm1d`` (N, C) / (N, C, L) and ``BatchNorm2d``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ops.normalization import batch_norm
from ..tensor import Tensor, get_default_dtype
from . import init
from .module import Module, shape_of
from .parameter import Parameter


class _BatchNorm(Module):
    """Normalise each channel with batch statistics in training, running estimates in eval.

    Buffers as torch: ``running_mean`` (zeros), ``running_var`` (ones), ``num_batches_tracked``
    (int64 scalar), so state dicts move between the libraries. ``momentum=None`` gives the
    cumulative average (factor 1/num_batches_tracked), as in torch.
    """

    _dims: tuple[int, ...] = ()  # accepted input ranks
    _expected = ""  # the accepted shapes, for error messages

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 dtype: Any = None) -> None:
        super().__init__()
        if num_features <= 0:
            raise ValueError(f"{type(self).__name__}: num_features must be positive, got "
                             f"{num_features}")
        self.num_features, self.eps, self.momentum = int(num_features), float(eps), momentum
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        dtype = np.dtype(dtype or get_default_dtype())
        if self.affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
            self.bias = Parameter(np.zeros(num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        shape = shape_of(input)
        if len(shape) not in self._dims or shape[1] != self.num_features:
            wanted = self._expected.format(c=self.num_features)
            raise self.input_error(f"expected input of shape {wanted}, got {shape}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked._data += 1
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / int(self.num_batches_tracked._data)
        stats = ((self.running_mean, self.running_var) if self.track_running_stats
                 else (None, None))
        # Without running estimates, evaluation also normalises with the batch statistics.
        use_batch = self.training or not self.track_running_stats
        try:
            return batch_norm(input, *stats, self.weight, self.bias, use_batch, factor, self.eps)
        except ValueError as error:
            raise self.input_error(error) from None

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L): statistics per channel over N (and L)."""

    _dims, _expected = (2, 3), "(N, {c}) or (N, {c}, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W): statistics per channel over N, H and W."""

    _dims, _expected = (4,), "(N, {c}, H, W)"
