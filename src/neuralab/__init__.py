"""neuralab: a neural-network library and learning lab, from scratch on NumPy.

``import neuralab as nl``: ``nl.Tensor``, ``nl.nn``, ``nl.optim``, ``nl.no_grad()``,
``nl.gradcheck``, ``nl.manual_seed``; every op is also a function here (``nl.exp``, ``nl.stack``).
"""

from . import ops as _ops  # registers every op on Tensor
from .autograd import Function  # noqa: F401  (also neuralab.autograd.Function)
from .autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.gradcheck import GradcheckError, gradcheck
from .creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    zeros,
    zeros_like,
)
from .device import cuda, device
from .dtypes import (
    can_cast,
    double,
    dtype,
    half,
    int8,
    int16,
    long,
    promote_types,
    result_type,
    short,
    uint8,
)
from .parallel import get_num_threads, set_num_threads
from .random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .tensor import (
    Tensor,
    bool_,
    float16,
    float32,
    float64,
    get_default_dtype,
    int32,
    int64,
    set_default_dtype,
    tensor,
)

# PyTorch's dtype aliases are dtypes, not the cast functions (those are Tensor methods).
float = float32  # noqa: A001
int = int32  # noqa: A001
bool = bool_  # noqa: A001


def softmax(input: Tensor, dim: int, dtype: dtype | None = None) -> Tensor:  # noqa: A002
    """``torch.softmax``: ``dim`` is required here (``F.softmax`` alone has an implicit one)."""
    return _ops.activation.softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int, dtype: dtype | None = None) -> Tensor:  # noqa: A002
    """``torch.log_softmax``: ``dim`` is required here, as in PyTorch."""
    return _ops.activation.log_softmax(input, dim, dtype=dtype)


# nl.add(a, b, out=c) as in PyTorch (Tensor methods and F.* stay as registered).
globals().update({name: _ops.inplace.with_out(fn) for name, fn in _ops.OPS.items()
                  if name not in globals()})

from . import nn, optim, utils  # noqa: E402  (they need the ops registered above)
from .io import ModelFileError, load, save  # noqa: E402  (safetensors is imported lazily)

__version__ = "0.1.0"
__all__ = [
    "Function", "GradcheckError", "ModelFileError", "load", "save", "bool", "can_cast", "cuda",
    "device", "double", "dtype", "float", "half", "int", "int8", "int16", "long",
    "promote_types", "result_type", "short", "uint8", "utils", "Generator", "as_tensor",
    "empty", "empty_like", "eye", "from_numpy", "full_like", "initial_seed", "linspace",
    "logspace", "rand_like", "randint", "randint_like", "randn_like", "randperm", "seed",
    "Tensor", "arange", "bool_", "enable_grad", "float16", "float32", "float64", "full",
    "get_default_dtype", "get_num_threads", "get_rng_state", "gradcheck", "int32", "int64",
    "is_grad_enabled", "manual_seed", "nn", "no_grad", "ones", "ones_like", "optim", "rand",
    "randn", "set_default_dtype", "set_grad_enabled", "set_num_threads", "set_rng_state",
    "tensor", "zeros", "zeros_like", *sorted(_ops.OPS),
]
__all__ += ["from_torch", "to_torch"]


def __getattr__(name: str) -> object:
    # Loaded on first use, so that ``import neuralab`` stays light: ``nl.onnx`` (as
    # ``torch.onnx``; it needs the onnx package only to export) and ``nl.from_torch`` /
    # ``nl.to_torch`` (their module reads the model-file registry; torch only when called).
    import importlib

    if name == "onnx":
        return importlib.import_module(f"{__name__}.onnx")
    if name in ("from_torch", "to_torch"):
        return getattr(importlib.import_module(f"{__name__}.interop_torch"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
