"""Layers: Linear, Sequential, Flatten, Dropout, Dropout2d, Identity."""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import dtypes
from ..device import check_device
from ..errors import ShapeError
from ..ops.linalg import linear
from ..random import default_generator
from ..tensor import Tensor, get_default_dtype
from . import init
from .module import Module, shape_of
from .parameter import Parameter


class Linear(Module):
    """y = x Wᵀ + b, with ``weight`` (out_features, in_features) and ``bias`` (out_features,).

    Initialised as PyTorch does: W, b ~ U(−1/√in, 1/√in) (Kaiming-uniform with a = √5).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None, *,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        if in_features <= 0 or out_features <= 0:
            raise ValueError(f"Linear: in_features and out_features must be positive, got "
                             f"{in_features} and {out_features}")
        check_device(device)
        self.in_features, self.out_features = int(in_features), int(out_features)
        dtype = get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        init.default_layer_init_(self.weight, self.bias, generator)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        shape = shape_of(input)
        if len(shape) == 0 or shape[-1] != self.in_features:
            raise self.input_error(f"expected input of shape (*, {self.in_features}), got {shape}")
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Sequential(Module):
    """Modules applied one after another: ``Sequential(Linear(2, 4), Tanh(), Linear(4, 1))``."""

    def __init__(self, *modules: Module | OrderedDict) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                if not isinstance(module, Module):
                    raise TypeError(f"Sequential: argument {index} is a {type(module).__name__}, "
                                    f"not a Module")
                self.add_module(str(index), module)

    def forward(self, input: Any) -> Any:  # noqa: A002
        for name, module in self._modules.items():
            try:
                input = module(input)
            except (ValueError, TypeError) as error:
                if getattr(error, "_neuralab_located", False):
                    raise
                try:
                    located = type(error)(f"layer ({name}) of Sequential: {error}")
                except Exception:  # an exception type with an unusual constructor
                    raise error from None
                located._neuralab_located = True  # type: ignore[attr-defined]
                raise located from error
        return input

    def _key(self, index: int) -> str:
        """The name of the module at position ``index`` (negative counts from the end)."""
        size = len(self._modules)
        index = operator.index(index)
        if not -size <= index < size:
            raise IndexError(f"index {index} is out of range")
        return list(self._modules)[index % size]

    def __getitem__(self, index: int | slice) -> Module:
        if isinstance(index, slice):  # keep the original names, as PyTorch does
            return type(self)(OrderedDict(list(self._modules.items())[index]))
        return self._modules[self._key(index)]

    def __setitem__(self, index: int, module: Module) -> None:
        setattr(self, self._key(index), module)

    def __delitem__(self, index: int | slice) -> None:
        """Remove module(s); the rest are renumbered 0, 1, ... as in PyTorch."""
        if isinstance(index, slice):
            for key in list(self._modules)[index]:
                delattr(self, key)
        else:
            delattr(self, self._key(index))
        items = list(self._modules.values())
        self._modules.clear()
        for i, module in enumerate(items):
            self._modules[str(i)] = module

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Any) -> Sequential:
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        """Put ``module`` before position ``index`` (PyTorch's rules for the index)."""
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        n = len(self._modules)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index}")
        index = index + n if index < 0 else index
        items = list(self._modules.values())
        items.insert(index, module)
        self._modules.clear()
        for i, item in enumerate(items):
            self._modules[str(i)] = item
        return self

    def pop(self, key: int | slice) -> Module:
        module = self[key]
        del self[key]
        return module


class Flatten(Module):
    """Merge axes ``start_dim..end_dim`` (by default all but the batch axis)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Identity(Module):
    """y = x."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:  # noqa: A002
        return input


def _check_p(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input: Tensor, p: float = 0.5, training: bool = True,  # noqa: A002
            inplace: bool = False, *, generator: np.random.Generator | None = None) -> Tensor:
    """Inverted dropout: zero each element with probability p and scale the rest by 1/(1−p),
    so the expected activation is unchanged and evaluation needs no rescaling.
    ``inplace=True`` multiplies ``input`` itself by the mask (``mul_``) and returns it."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        mask = np.zeros(input.shape, dtype=input.dtype)
    else:
        rng = default_generator() if generator is None else generator
        keep = rng.random(input.shape, dtype=np.float64) >= p
        mask = (keep / (1.0 - p)).astype(input.dtype)
    return input.mul_(mask) if inplace else input * mask


class Dropout(Module):
    """Inverted dropout, active only in training mode (``model.train()``)."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        _check_p(p)
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,  # noqa: A002
              inplace: bool = False, *, generator: np.random.Generator | None = None) -> Tensor:
    """Channel dropout of (N, C, H, W) (or (N, C, L), as torch reads a 3-D input): each whole
    channel of each example is zeroed with probability p, the rest scaled by 1/(1−p); the mask
    is drawn from neuralab's generator (``generator=`` or the default)."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    shape = tuple(input.shape)
    if len(shape) < 2:
        raise ShapeError(f"dropout2d: expected an input of shape (N, C, H, W) or (N, C, L), got "
                         f"{shape}")
    mask_shape = shape[:2] + (1,) * (len(shape) - 2)
    if p == 1.0:
        mask = np.zeros(mask_shape, dtype=input.dtype)
    else:
        rng = default_generator() if generator is None else generator
        keep = rng.random(mask_shape, dtype=np.float64) >= p
        mask = (keep / (1.0 - p)).astype(input.dtype)
    return input.mul_(mask) if inplace else input * mask


class Dropout2d(Dropout):
    """Channel dropout (whole feature maps), active only in training mode."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return dropout2d(input, self.p, self.training, self.inplace)
