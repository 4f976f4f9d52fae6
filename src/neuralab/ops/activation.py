"""Activation functions, each with its derivative beside it (the derivatives are the lesson)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import dtypes, parallel
from ..autograd.function import Function
from ..errors import DTypeError, UnsupportedDTypeError
from ..tensor import Tensor, as_tensor_like
from .registry import register


def _dtype_of(x: Any) -> np.dtype:
    return x.dtype if isinstance(x, Tensor) else as_tensor_like(x, None).dtype


def _as_floating(x: Any) -> Any:
    """An integer or bool input as the default float dtype: PyTorch's sigmoid and tanh of
    integers are float32 (NumPy would give float64, or float16 for uint8)."""
    if _dtype_of(x).kind == "f":
        return x
    x = x if isinstance(x, Tensor) else as_tensor_like(x, None)
    return Tensor._from_op(x._data.astype(dtypes.get_default_dtype()), False)


def _check_floating(op: str, kernel: str, x: Any, dtype: np.dtype | None = None) -> None:
    """softmax, log_softmax and leaky_relu have float kernels only (PyTorch); ``dtype``: the
    one the input is cast to first (softmax's ``dtype=``)."""
    got = f"dtype={dtype}" if dtype is not None else f"an input of dtype {_dtype_of(x)}"
    dtype = _dtype_of(x) if dtype is None else dtype
    if dtype.kind != "f":
        raise UnsupportedDTypeError(
            f"{op}: \"{kernel}\" not implemented for '{dtypes.torch_name(dtype)}': got {got}; "
            f"convert it with .float()")


class Step(Function):
    """y = 1 if x > 0 else 0 (the perceptron's activation).

    dy/dx = 0 everywhere it exists (undefined at 0; we use 0): no gradient flows through a step,
    which is why backpropagation needed smooth activations.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.shape, self.dtype = x.shape, x.dtype
        return (x > 0).astype(x.dtype)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return np.zeros(self.shape, dtype=self.dtype)


class Sigmoid(Function):
    """y = σ(x) = 1/(1+e^(−x)).   dy/dx = y(1−y) ≤ 0.25.

    Computed with z = e^(−|x|) ∈ (0, 1]: σ(x) = 1/(1+z) for x ≥ 0, z/(1+z) for x < 0, so no
    exponential can overflow and tiny values keep full relative precision.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        z = np.exp(-np.abs(x))
        self.y = np.where(x >= 0, 1, z) / (1 + z)
        return self.y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out * self.y * (1 - self.y)


class Tanh(Function):
    """y = tanh x.   dy/dx = 1 − y²."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.tanh(x)
        return self.y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out * (1 - self.y * self.y)


class ReLU(Function):
    """y = max(0, x).   dy/dx = 1 for x > 0, else 0; ReLU′(0) := 0 (PyTorch's convention)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.ndim == 0 or x.nbytes < parallel.MIN_PARALLEL_BYTES:
            self.positive = x > 0
            return np.maximum(x, 0)
        # Large activations: both passes per cache-sized slice of the batch, on the threads.
        self.positive, y = np.empty_like(x, dtype=np.bool_), np.empty_like(x)

        def chunk(lo: int, hi: int) -> None:
            np.greater(x[lo:hi], 0, out=self.positive[lo:hi])
            np.maximum(x[lo:hi], 0, out=y[lo:hi])

        parallel.over_batch(chunk, x.shape[0], x[:1].nbytes)
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        out = np.empty_like(self.positive, dtype=np.result_type(grad_out, self.positive))
        return parallel.elementwise(np.multiply, grad_out, self.positive, out=out)


class LeakyReLU(Function):
    """y = x for x > 0, else negative_slope·x (a small *negative* output for x < 0).

    dy/dx = 1 for x > 0, else negative_slope (at 0: negative_slope, as PyTorch).
    """

    def forward(self, x: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
        self.positive, self.slope = x > 0, negative_slope
        return np.where(self.positive, x, x * negative_slope)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return np.where(self.positive, grad_out, grad_out * self.slope)


class Softmax(Function):
    """y_i = e^(x_i − max x) / Σ_j e^(x_j − max x)   (subtracting the max prevents overflow).

    dL/dx_i = y_i (g_i − Σ_j g_j y_j)  — the softmax Jacobian diag(y) − y yᵀ applied to g.
    """

    def forward(self, x: np.ndarray, axis: int = -1) -> np.ndarray:
        self.axis = axis
        # initial=-inf: an empty axis gives an empty result (as torch), not a reduction error
        e = np.exp(x - np.max(x, axis=axis, keepdims=True, initial=-np.inf))
        self.y = e / np.sum(e, axis=axis, keepdims=True)
        return self.y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        dot = np.sum(grad_out * self.y, axis=self.axis, keepdims=True)
        return self.y * (grad_out - dot)


class LogSoftmax(Function):
    """y_i = x_i − m − ln Σ_j e^(x_j − m), m = max x  (log-sum-exp: stable for any |x|).

    dL/dx_i = g_i − softmax(x)_i Σ_j g_j.
    """

    def forward(self, x: np.ndarray, axis: int = -1) -> np.ndarray:
        self.axis = axis
        shifted = x - np.max(x, axis=axis, keepdims=True, initial=-np.inf)
        with np.errstate(divide="ignore"):  # Σ ≥ 1 but over an empty axis, where nothing uses it
            self.y = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
        return self.y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out - np.exp(self.y) * np.sum(grad_out, axis=self.axis, keepdims=True)


@register()
def step(x: Any) -> Tensor:
    return Step.apply(x)


@register()
def sigmoid(x: Any) -> Tensor:
    """σ(x); integer and bool inputs give the default float dtype (PyTorch)."""
    return Sigmoid.apply(_as_floating(x))


@register()
def tanh(x: Any) -> Tensor:
    """tanh x; integer and bool inputs give the default float dtype (PyTorch)."""
    return Tanh.apply(_as_floating(x))


@register()
def relu(x: Any) -> Tensor:
    """max(0, x), in the input's dtype (integers too; bool raises, as in PyTorch)."""
    if _dtype_of(x).kind == "b":
        raise DTypeError("relu: Boolean inputs not supported for relu: got a bool tensor; "
                         "convert it with .float() or .long()")
    return ReLU.apply(x)


@register()
def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    _check_floating("leaky_relu", "leaky_relu", x)
    return LeakyReLU.apply(x, negative_slope=negative_slope)


# ------------------------------------------------------------------------------ softmax
_REQUIRED: Any = object()  # Tensor.softmax's dim has no default (as in torch)


def implicit_softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    """PyTorch's implicit dim for ``dim=None`` (deprecated there, hence its warning):
    0 for 0-, 1- and 3-D input, else 1. ``stacklevel`` as torch's ``_get_softmax_dim``: 1 is
    this function."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  f"to include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax(name: str, function: type[Function], input: Any, dim: Any, axis: Any,  # noqa: A002
             dtype: Any, stacklevel: int | None) -> Tensor:
    """The checks and casts softmax and log_softmax share, in torch's order: arguments, dim,
    then the kernel's dtype (after the cast to ``dtype``). ``stacklevel`` None: no implicit
    dim (Tensor.softmax, which requires one); else torch's ``_stacklevel`` of F.softmax."""
    x = input if isinstance(input, Tensor) else as_tensor_like(input, None)
    if stacklevel is not None and (isinstance(stacklevel, bool)
                                   or not isinstance(stacklevel, (int, np.integer))):
        # One function is both torch.softmax(input, dim, dtype) (neuralab.softmax) and
        # F.softmax(input, dim, _stacklevel, dtype): a third positional that is no int is the
        # former's dtype (F.softmax in torch would ignore it when dim is given).
        if dtype is not None:
            raise TypeError(f"{name}(): got a dtype both as the third argument "
                            f"({stacklevel!r}) and as dtype= ({dtype!r})")
        dtype, stacklevel = stacklevel, 3
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    if axis is not None:  # NumPy's name for dim
        if dim is not None:
            raise TypeError(f"{name}(): give either axis= or dim=, not both")
        dim = axis
    if dim is None and stacklevel is not None:
        dim = implicit_softmax_dim(name, x.ndim, stacklevel + 1)  # + this frame
    if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    rank = max(x.ndim, 1)  # a 0-d tensor has the one dim 0 (or -1)
    if not -rank <= dim < rank:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-rank}, "
                         f"{rank - 1}], but got {dim})")
    axis = int(dim) % rank if x.ndim else None
    lastdim = "_lastdim" if x.ndim == 0 or axis == x.ndim - 1 else ""
    _check_floating(name, f"{name}{lastdim}_kernel_impl", x, dtype)
    if dtype is not None:  # cast first, as torch: the op runs (and its gradient flows) in dtype
        from .elementwise import _cast

        x = _cast(x, dtype)
    return function.apply(x, axis=axis)


@register(method=False)
def softmax(input: Any, dim: int | None = None, _stacklevel: int = 3,  # noqa: A002
            dtype: Any = None, *, axis: int | None = None) -> Tensor:
    """y_i = e^(x_i − max x) / Σ_j e^(x_j − max x) along ``dim`` (``axis``: NumPy's name),
    computed in ``dtype`` if given (the input is cast first).

    Without a dim, PyTorch's implicit (deprecated) choice with its ``UserWarning``: dim 0 for
    0-, 1- and 3-D input, else 1. ``_stacklevel`` is torch's: where the warning points; a
    dtype in its place is ``dtype`` (``neuralab.softmax`` is also ``torch.softmax(input, dim,
    dtype)``).
    """
    return _softmax("softmax", Softmax, input, dim, axis, dtype, _stacklevel)


@register(method=False)
def log_softmax(input: Any, dim: int | None = None, _stacklevel: int = 3,  # noqa: A002
                dtype: Any = None, *, axis: int | None = None) -> Tensor:
    """y_i = x_i − max x − ln Σ_j e^(x_j − max x) along ``dim`` (stable for any |x|); the
    arguments and the implicit dim as in ``softmax``."""
    return _softmax("log_softmax", LogSoftmax, input, dim, axis, dtype, _stacklevel)


def _method(name: str, function: type[Function]) -> Any:
    def method(self: Tensor, dim: Any = _REQUIRED, dtype: Any = None, *,
               axis: int | None = None) -> Tensor:
        if dim is _REQUIRED:
            if axis is None:
                raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
            dim = None
        elif dim is None and axis is None:
            raise TypeError(f"{name}(): argument 'dim' must be int, not NoneType")
        return _softmax(name, function, self, dim, axis, dtype, None)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = (f"``Tensor.{name}(dim, dtype=None)``: ``dim`` (or NumPy's ``axis``) is "
                      f"required, as in torch; ``F.{name}`` has the implicit one.")
    return method


Tensor.softmax = _method("softmax", Softmax)
Tensor.log_softmax = _method("log_softmax", LogSoftmax)
