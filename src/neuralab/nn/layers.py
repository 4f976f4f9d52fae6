"""Layers: Linear, Sequential, Flatten, Dropout, Identity."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import numpy as np

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
                 dtype: Any = None, generator: np.random.Generator | None = None) -> None:
        super().__init__()
        if in_features <= 0 or out_features <= 0:
            raise ValueError(f"Linear: in_features and out_features must be positive, got "
                             f"{in_features} and {out_features}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        dtype = np.dtype(dtype or get_default_dtype())
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

    def __getitem__(self, index: int | slice) -> Module:
        if isinstance(index, slice):  # keep the original names, as PyTorch does
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        return list(self._modules.values())[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self


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


def dropout(input: Tensor, p: float = 0.5, training: bool = True,  # noqa: A002
            generator: np.random.Generator | None = None) -> Tensor:
    """Inverted dropout: zero each element with probability p and scale the rest by 1/(1−p),
    so the expected activation is unchanged and evaluation needs no rescaling."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    rng = default_generator() if generator is None else generator
    keep = rng.random(input.shape, dtype=np.float64) >= p
    return input * (keep / (1.0 - p)).astype(input.dtype)


class Dropout(Module):
    """Inverted dropout, active only in training mode (``model.train()``)."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
