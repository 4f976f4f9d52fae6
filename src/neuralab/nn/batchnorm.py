"""Batch normalisation layers: ``BatchNorm1d`` (N, C) / (N, C, L) and ``BatchNorm2d``."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes
from ..device import check_device
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
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        if num_features <= 0:
            raise ValueError(f"{type(self).__name__}: num_features must be positive, got "
                             f"{num_features}")
        check_device(device)
        self.num_features, self.eps, self.momentum = int(num_features), float(eps), momentum
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        dtype = get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
        if self.affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
            if bias:
                self.bias = Parameter(np.zeros(num_features, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if self.track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            for buffer, value in ((self.running_mean, 0), (self.running_var, 1),
                                  (self.num_batches_tracked, 0)):
                buffer._data[...] = value
                buffer._bump_version()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        shape = shape_of(input)
        if len(shape) not in self._dims or shape[1] != self.num_features:
            wanted = self._expected.format(c=self.num_features)
            raise self.input_error(f"expected input of shape {wanted}, got {shape}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked._data += 1
            self.num_batches_tracked._bump_version()
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / int(self.num_batches_tracked._data)
        # PyTorch's rule: batch statistics in training, and in evaluation when there are no
        # running estimates; the estimates are updated only in training when tracked.
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        update = not self.training or self.track_running_stats
        stats = (self.running_mean, self.running_var) if update else (None, None)
        try:
            return batch_norm(input, *stats, self.weight, self.bias, use_batch, factor, self.eps)
        except ValueError as error:
            raise self.input_error(error) from None

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L): statistics per channel over N (and L)."""

    _dims, _expected = (2, 3), "(N, {c}) or (N, {c}, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W): statistics per channel over N, H and W."""

    _dims, _expected = (4,), "(N, {c}, H, W)"
