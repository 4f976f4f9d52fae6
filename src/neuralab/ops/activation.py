"""Activation functions, each with its derivative beside it (the derivatives are the lesson)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes, parallel
from ..autograd.function import Function
from ..errors import DTypeError, UnsupportedDTypeError
from ..tensor import Tensor, as_tensor_like
from .registry import normalize_axis, register


def _dtype_of(x: Any) -> np.dtype:
    return x.dtype if isinstance(x, Tensor) else as_tensor_like(x, None).dtype


def _as_floating(x: Any) -> Any:
    """An integer or bool input as the default float dtype: PyTorch's sigmoid and tanh of
    integers are float32 (NumPy would give float64, or float16 for uint8)."""
    if _dtype_of(x).kind == "f":
        return x
    x = x if isinstance(x, Tensor) else as_tensor_like(x, None)
    return Tensor._from_op(x._data.astype(dtypes.get_default_dtype()), False)


def _check_floating(op: str, kernel: str, x: Any) -> None:
    """softmax, log_softmax and leaky_relu have float kernels only (PyTorch)."""
    dtype = _dtype_of(x)
    if dtype.kind != "f":
        raise UnsupportedDTypeError(
            f"{op}: \"{kernel}\" not implemented for '{dtypes.torch_name(dtype)}': got an input "
            f"of dtype {dtype}; convert it with .float()")


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
        e = np.exp(x - np.max(x, axis=axis, keepdims=True))
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
        shifted = x - np.max(x, axis=axis, keepdims=True)
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


@register()
def softmax(x: Any, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """Softmax along ``axis`` (default: the last)."""
    axis = normalize_axis(axis, dim)
    _check_floating("softmax", "softmax", x)
    return Softmax.apply(x, axis=-1 if axis is None else axis)


@register()
def log_softmax(x: Any, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """log(softmax(x)) computed stably along ``axis`` (default: the last)."""
    axis = normalize_axis(axis, dim)
    _check_floating("log_softmax", "log_softmax", x)
    return LogSoftmax.apply(x, axis=-1 if axis is None else axis)
