"""Normalisation layers over features: ``LayerNorm`` and ``GroupNorm`` (torch's names,
parameters, initialisation and state-dict keys)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes
from ..device import check_device
from ..ops.normalization import group_norm, layer_norm
from ..tensor import Tensor, get_default_dtype
from . import init
from .module import Module
from .parameter import Parameter


def _dtype(dtype: Any) -> Any:
    return get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)


class LayerNorm(Module):
    """y = x̂·γ + β, x̂ standardised over the last ``len(normalized_shape)`` axes; ``weight``
    (ones) and ``bias`` (zeros) of shape ``normalized_shape`` when ``elementwise_affine``."""

    def __init__(self, normalized_shape: Any, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        check_device(device)
        shape = (int(normalized_shape),) if np.ndim(normalized_shape) == 0 \
            else tuple(int(s) for s in normalized_shape)
        self.normalized_shape, self.eps = shape, float(eps)
        self.elementwise_affine = bool(elementwise_affine)
        _affine_parameters(self, self.elementwise_affine, shape, bias, _dtype(dtype))

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        try:
            return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)
        except ValueError as error:
            raise self.input_error(error) from None

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
                if self.elementwise_affine else
                f"{self.normalized_shape}, eps={self.eps}, elementwise_affine=False, bias=False")


class GroupNorm(Module):
    """Group normalisation of (N, C, *): ``num_channels`` in ``num_groups`` groups; ``weight``
    (ones) and ``bias`` (zeros) of shape (C,) when ``affine``."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        check_device(device)
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups, self.num_channels = int(num_groups), int(num_channels)
        self.eps, self.affine = float(eps), bool(affine)
        _affine_parameters(self, self.affine, (num_channels,), bias, _dtype(dtype))

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        try:
            return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)
        except ValueError as error:
            raise self.input_error(error) from None

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


def _affine_parameters(module: Module, affine: bool, shape: tuple, bias: bool,
                       dtype: Any) -> None:
    """``weight`` (ones) and ``bias`` (zeros) of ``shape`` when ``affine``, else None (torch's
    registration, so the state-dict keys match)."""
    module.register_parameter("weight", Parameter(np.ones(shape, dtype=dtype)) if affine else None)
    module.register_parameter(
        "bias", Parameter(np.zeros(shape, dtype=dtype)) if affine and bias else None)


def _reset_affine(module: Module) -> None:
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)
