"""Activation functions as modules (the math and derivatives live in ``ops/activation.py``)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import dtypes
from ..device import check_device
from ..ops import activation as A
from ..tensor import Tensor, get_default_dtype
from . import init as nn_init
from .module import Module
from .parameter import Parameter


class Step(Module):
    """1 where x > 0, else 0; its derivative is 0 (no gradient flows)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.step(input)


class Sigmoid(Module):
    """σ(x) = 1/(1+e^(−x)), computed stably."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.sigmoid(input)


class Tanh(Module):
    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.tanh(input)


class ReLU(Module):
    """max(0, x), with ReLU′(0) := 0. ``inplace=True`` overwrites the input (``relu_``)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return input.relu_() if self.inplace else A.relu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x for x > 0, else negative_slope·x. ``inplace=True`` overwrites the input."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if self.inplace:
            return input.leaky_relu_(self.negative_slope)
        return A.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace
                                                          else "")


class Softmax(Module):
    """y = e^x / Σ e^x along ``dim``. Without ``dim``, PyTorch's implicit (deprecated) choice:
    dim 0 for 0-, 1- and 3-D input, else dim 1, with its ``UserWarning``."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        # _stacklevel 5 (as torch's module): the warning points at the line calling the module
        return A.softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """y = log softmax(x) along ``dim`` (computed stably); ``dim=None`` as in ``Softmax``."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.log_softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


def _inplace_repr(inplace: bool, first: bool = False) -> str:
    return ("inplace=True" if first else ", inplace=True") if inplace else ""


class GELU(Module):
    """x·Φ(x) (Φ the normal CDF), or its tanh approximation with ``approximate='tanh'``."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class _InplaceActivation(Module):
    """An activation whose only setting is ``inplace`` (overwrite the input)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, first=True)


class SiLU(_InplaceActivation):
    """x·σ(x) (swish)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.silu(input, inplace=self.inplace)


class Mish(_InplaceActivation):
    """x·tanh(softplus x)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.mish(input, inplace=self.inplace)


class SELU(_InplaceActivation):
    """scale·ELU(x, alpha) with the self-normalising constants (≈1.0507, ≈1.6733)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.selu(input, inplace=self.inplace)


class Hardsigmoid(_InplaceActivation):
    """min(max(x + 3, 0), 6)/6 (torch's repr shows no settings)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.hardsigmoid(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return ""


class Hardswish(_InplaceActivation):
    """x·min(max(x + 3, 0), 6)/6 (torch's repr shows no settings)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.hardswish(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return ""


class ELU(Module):
    """x for x > 0, else alpha·(eˣ − 1)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace_repr(self.inplace)}"


class CELU(ELU):
    """max(0, x) + min(0, alpha·(e^(x/alpha) − 1))."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.celu(input, self.alpha, self.inplace)


class Softplus(Module):
    """ln(1 + e^(βx))/β, linear (x) where βx > threshold."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softsign(Module):
    """x/(1 + |x|)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.softsign(input)


class LogSigmoid(Module):
    """ln σ(x), computed stably."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.logsigmoid(input)


class Hardtanh(Module):
    """min(max(x, min_val), max_val). ``min_value``/``max_value``: PyTorch's deprecated names
    (with its FutureWarning)."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value: float | None = None, max_value: float | None = None) -> None:
        super().__init__()
        if min_value is not None:
            warnings.warn("keyword argument `min_value` is deprecated and renamed to `min_val`",
                          FutureWarning, stacklevel=2)
            min_val = min_value
        if max_value is not None:
            warnings.warn("keyword argument `max_value` is deprecated and renamed to `max_val`",
                          FutureWarning, stacklevel=2)
            max_val = max_value
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace
        if self.max_val <= self.min_val:
            raise AssertionError(f"max_val ({self.max_val}) must be greater than min_val "
                                 f"({self.min_val})")

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace_repr(self.inplace)}"


class ReLU6(Hardtanh):
    """min(max(x, 0), 6): Hardtanh(0, 6), as in PyTorch."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, first=True)


class PReLU(Module):
    """x for x > 0, else a·x with a learnable ``weight`` a: one shared (``num_parameters=1``)
    or one per channel (dim 1 of the input), each initialised to ``init``."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        check_device(device)
        self.num_parameters, self.init = num_parameters, init
        dtype = get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
        self.weight = Parameter(np.empty(num_parameters, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn_init.constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class Softmin(Module):
    """softmax(−x) along ``dim``; ``dim=None`` as in ``Softmax``."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.softmin(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class GLU(Module):
    """a·σ(b), a and b the halves of the input along ``dim``."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return A.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
