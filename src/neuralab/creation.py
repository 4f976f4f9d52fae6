"""Creating tensors: zeros, ones, full, arange, rand, randn (PyTorch's names)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .random import default_generator
from .tensor import Tensor, get_default_dtype


def _shape(size: tuple) -> tuple[int, ...]:
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size


def _dtype(dtype: Any) -> np.dtype:
    return np.dtype(dtype) if dtype is not None else get_default_dtype()


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros(_shape(size), _dtype(dtype)), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones(_shape(size), _dtype(dtype)), requires_grad)


def full(size: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.full(size, fill_value, _dtype(dtype)), requires_grad)


def zeros_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros_like(t._data), requires_grad)


def ones_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones_like(t._data), requires_grad)


def arange(*args: Any, dtype: Any = None) -> Tensor:
    values = np.arange(*args)
    return Tensor(values if dtype is None else values.astype(dtype))


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False,
         generator: np.random.Generator | None = None) -> Tensor:
    """Uniform samples from [0, 1), from neuralab's seeded generator."""
    rng = default_generator() if generator is None else generator
    return Tensor(rng.random(_shape(size)).astype(_dtype(dtype)), requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False,
          generator: np.random.Generator | None = None) -> Tensor:
    """Standard-normal samples, from neuralab's seeded generator."""
    rng = default_generator() if generator is None else generator
    return Tensor(rng.standard_normal(_shape(size)).astype(_dtype(dtype)), requires_grad)
