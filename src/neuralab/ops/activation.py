"""Activation functions, each with its derivative beside it (the derivatives are the lesson)."""

from __future__ import annotations

import math
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


# ----------------------------------------------------------------- more activations (issue 12)
_SQRT1_2 = 0.7071067811865476  # 1/√2
_INV_SQRT_2PI = 0.3989422804014327  # 1/√(2π)
_GELU_BETA = 0.7978845608028654  # √(2/π)
_GELU_KAPPA = 0.044715
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_erfc_kernel = np.frompyfunc(math.erfc, 1, 1)


def _erfc(x: np.ndarray) -> np.ndarray:
    """erfc elementwise in float64 (``math.erfc``: accurate to a few ulps, relative, over the
    whole line, so erfc's tail keeps full precision where 1 + erf(x) would cancel)."""
    x64 = np.asarray(x, dtype=np.float64)
    return _erfc_kernel(x64).astype(np.float64) if x64.ndim else np.float64(math.erfc(x64))


def _stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1/(1+e^(−x)) without overflow: z = e^(−|x|) ∈ (0, 1]."""
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1, z) / (1 + z)


def _stable_softplus(x: np.ndarray) -> np.ndarray:
    """ln(1 + eˣ) = max(x, 0) + ln(1 + e^(−|x|)): no overflow for any x."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


class GELU(Function):
    """Exact: y = x·Φ(x), Φ(x) = ½·erfc(−x/√2) (the normal CDF).   dy/dx = Φ(x) + x·φ(x),
    φ(x) = e^(−x²/2)/√(2π).

    Tanh approximation: y = ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³).
    dy/dx = ½(1 + tanh u) + ½x(1 − tanh² u)·√(2/π)(1 + 3·0.044715x²).
    """

    def forward(self, x: np.ndarray, approximate: str = "none") -> np.ndarray:
        self.x, self.approximate = x, approximate
        if approximate == "tanh":
            self.t = np.tanh(_GELU_BETA * (x + _GELU_KAPPA * (x * x * x)))
            return 0.5 * x * (1 + self.t)
        self.cdf = (0.5 * _erfc(-x * _SQRT1_2)).astype(x.dtype)
        return x * self.cdf

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x = self.x
        if self.approximate == "tanh":
            t = self.t
            inner = _GELU_BETA * (1 + 3 * _GELU_KAPPA * (x * x))
            return grad_out * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner)
        pdf = np.exp(-0.5 * (x * x)) * _INV_SQRT_2PI
        return grad_out * (self.cdf + x * pdf)


class SiLU(Function):
    """y = x·σ(x) (swish).   dy/dx = σ(x)(1 + x(1 − σ(x)))."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x, self.s = x, _stable_sigmoid(x)
        return x * self.s

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        s = self.s
        return grad_out * (s * (1 + self.x * (1 - s)))


class ELU(Function):
    """y = scale·x for x > 0, else alpha·scale·(e^(input_scale·x) − 1) (ELU, SELU, CELU).

    dy/dx = scale for x > 0, else alpha·scale·input_scale·e^(input_scale·x) (at 0 too, as
    PyTorch). e^(·) − 1 is computed with expm1, exact near 0.
    """

    def forward(self, x: np.ndarray, alpha: float = 1.0, scale: float = 1.0,
                input_scale: float = 1.0) -> np.ndarray:
        self.positive = x > 0
        self.coefs = alpha, scale, input_scale
        self.negative_x = np.minimum(x, 0) * input_scale  # e^(·) never overflows
        return np.where(self.positive, x * scale, np.expm1(self.negative_x) * (alpha * scale))

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        alpha, scale, input_scale = self.coefs
        slope = np.exp(self.negative_x) * (alpha * scale * input_scale)
        return grad_out * np.where(self.positive, scale, slope)


class Softplus(Function):
    """y = ln(1 + e^(βx))/β where βx ≤ threshold, else x (linear, as PyTorch).

    dy/dx = σ(βx) where βx ≤ threshold, else 1.
    """

    def forward(self, x: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
        z = x * beta
        self.linear, self.z = z > threshold, z
        return np.where(self.linear, x, _stable_softplus(z) / beta)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out * np.where(self.linear, 1, _stable_sigmoid(self.z))


class Softsign(Function):
    """y = x/(1 + |x|).   dy/dx = 1/(1 + |x|)²."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.denominator = 1 + np.abs(x)
        return x / self.denominator

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out / (self.denominator * self.denominator)


class Mish(Function):
    """y = x·tanh(softplus x).   dy/dx = t + x·σ(x)(1 − t²), t = tanh(softplus x)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x, self.t = x, np.tanh(_stable_softplus(x))
        return x * self.t

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        t = self.t
        return grad_out * (t + self.x * _stable_sigmoid(self.x) * (1 - t * t))


class Hardtanh(Function):
    """y = min(max(x, min_val), max_val) (relu6: min_val 0, max_val 6).

    dy/dx = 1 for min_val < x < max_val, else 0 (0 at both bounds, as PyTorch).
    """

    def forward(self, x: np.ndarray, min_val: float = -1.0, max_val: float = 1.0) -> np.ndarray:
        self.inside = (x > min_val) & (x < max_val)
        return np.minimum(np.maximum(x, np.asarray(min_val, x.dtype)),
                          np.asarray(max_val, x.dtype))

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out * self.inside


class Hardsigmoid(Function):
    """y = min(max(x + 3, 0), 6)/6.   dy/dx = 1/6 for −3 < x < 3, else 0."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.inside = (x > -3) & (x < 3)
        return np.minimum(np.maximum(x + 3, 0), 6) / 6

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out * self.inside / 6


class Hardswish(Function):
    """y = x·min(max(x + 3, 0), 6)/6.

    dy/dx = 0 for x < −3, x/3 + ½ for −3 ≤ x ≤ 3, 1 for x > 3 (PyTorch's choice at ±3).
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return x * np.minimum(np.maximum(x + 3, 0), 6) / 6

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x = self.x
        return np.where(x < -3, 0, np.where(x <= 3, grad_out * (x / 3 + 0.5), grad_out))


class LogSigmoid(Function):
    """y = ln σ(x) = min(x, 0) − ln(1 + e^(−|x|)) (stable for any x).   dy/dx = σ(−x)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out * _stable_sigmoid(-self.x)


class PReLU(Function):
    """y = x for x > 0, else w_c·x, w_c the weight of x's channel (dim 1; one shared weight
    when w has one element).   dy/dx = 1 for x > 0, else w_c;   dy/dw_c = Σ x·[x ≤ 0] over the
    channel's elements."""

    def forward(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        self.w_shape = w.shape
        if w.size == 1:
            self.w = w.reshape(())
        else:
            self.w = w.reshape((1, -1) + (1,) * (x.ndim - 2))
        self.positive = x > 0
        self.x = x if self.needs_input_grad[1] else None
        return np.where(self.positive, x, x * self.w)

    def backward(self, grad_out: np.ndarray) -> tuple:
        need_x, need_w = self.needs_input_grad
        grad_x = np.where(self.positive, grad_out, grad_out * self.w) if need_x else None
        grad_w = None
        if need_w:
            terms = np.where(self.positive, 0, self.x * grad_out)
            axes = tuple(i for i in range(terms.ndim) if i != 1 or self.w.ndim == 0)
            grad_w = terms.sum(axis=axes).reshape(self.w_shape)
        return grad_x, grad_w


class Softmin(Softmax):
    """y = softmax(−x) along an axis.   dL/dx = −softmax′(−x)ᵀg = −y(g − Σ_j g_j y_j)."""

    def forward(self, x: np.ndarray, axis: int = -1) -> np.ndarray:
        return super().forward(-x, axis=axis)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return -super().backward(grad_out)


class GLU(Function):
    """y = a·σ(b), (a, b) the two halves of x along an axis.

    dL/da = g·σ(b),   dL/db = g·a·σ(b)(1 − σ(b)).
    """

    def forward(self, x: np.ndarray, axis: int = -1) -> np.ndarray:
        self.axis = axis
        self.a, b = np.split(x, 2, axis=axis)
        self.s = _stable_sigmoid(b)
        return self.a * self.s

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        s = self.s
        return np.concatenate([grad_out * s, grad_out * self.a * s * (1 - s)], axis=self.axis)


def _inplace_or(name: str, op: Any, input: Any, inplace: bool, **options: Any) -> Tensor:  # noqa: A002
    """``op(input, **options)``, or with ``inplace`` the same written into ``input``'s memory
    (PyTorch's in-place rules)."""
    if inplace:
        from .inplace import apply_inplace  # imported late: inplace.py is imported after us

        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): an in-place op needs a Tensor, got "
                            f"{type(input).__name__}")
        return apply_inplace(input, name + "_", lambda x: op(x, **options))
    return op(input, **options)


@register(method=False)
def gelu(input: Any, approximate: str = "none") -> Tensor:  # noqa: A002
    """x·Φ(x) (exact, through erfc) or, with ``approximate='tanh'``, ½x(1 + tanh(√(2/π)(x +
    0.044715x³)))."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _check_floating("gelu", "GeluKernelImpl", input)
    return GELU.apply(input, approximate=approximate)


@register(method=False)
def silu(input: Any, inplace: bool = False) -> Tensor:  # noqa: A002
    """x·σ(x)."""
    _check_floating("silu", "silu", input)
    return _inplace_or("silu", SiLU.apply, input, inplace)


def _elu(name: str, input: Any, alpha: float, scale: float, input_scale: float,  # noqa: A002
         inplace: bool) -> Tensor:
    _check_floating(name, "elu", input)
    return _inplace_or(name, ELU.apply, input, inplace, alpha=alpha, scale=scale,
                       input_scale=input_scale)


@register(method=False)
def elu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """x for x > 0, else alpha·(eˣ − 1)."""
    return _elu("elu", input, alpha, 1.0, 1.0, inplace)


@register(method=False)
def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """``elu`` in place."""
    return elu(input, alpha, inplace=True)


@register(method=False)
def selu(input: Any, inplace: bool = False) -> Tensor:  # noqa: A002
    """scale·(x for x > 0, else alpha·(eˣ − 1)), alpha ≈ 1.6733, scale ≈ 1.0507 (self-
    normalising)."""
    return _elu("selu", input, _SELU_ALPHA, _SELU_SCALE, 1.0, inplace)


@register(method=False)
def selu_(input: Tensor) -> Tensor:  # noqa: A002
    """``selu`` in place."""
    return selu(input, inplace=True)


@register(method=False)
def celu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """max(0, x) + min(0, alpha·(e^(x/alpha) − 1))."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _elu("celu", input, alpha, 1.0, 1.0 / alpha, inplace)


@register(method=False)
def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """``celu`` in place."""
    return celu(input, alpha, inplace=True)


@register(method=False)
def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """ln(1 + e^(βx))/β, or x where βx > threshold."""
    _check_floating("softplus", "softplus", input)
    return Softplus.apply(input, beta=beta, threshold=threshold)


@register(method=False)
def softsign(input: Any) -> Tensor:  # noqa: A002
    """x/(1 + |x|); integer inputs give the default float dtype (PyTorch)."""
    return Softsign.apply(_as_floating(input))


@register(method=False)
def mish(input: Any, inplace: bool = False) -> Tensor:  # noqa: A002
    """x·tanh(ln(1 + eˣ))."""
    _check_floating("mish", "mish", input)
    return _inplace_or("mish", Mish.apply, input, inplace)


def _check_not_bool(name: str, x: Any) -> None:
    """hardtanh and relu6 take integers (a clamp), not bools (PyTorch)."""
    if _dtype_of(x).kind == "b":
        raise DTypeError(f"{name}: Bool inputs not supported for hardtanh: got a bool tensor; "
                         f"convert it with .float() or .long()")


@register(method=False)
def hardtanh(input: Any, min_val: float = -1.0, max_val: float = 1.0,  # noqa: A002
             inplace: bool = False) -> Tensor:
    """min(max(x, min_val), max_val); integer inputs stay integers (a clamp)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    _check_not_bool("hardtanh", input)
    return _inplace_or("hardtanh", Hardtanh.apply, input, inplace, min_val=min_val,
                       max_val=max_val)


@register(method=False)
def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:  # noqa: A002
    """``hardtanh`` in place."""
    return hardtanh(input, min_val, max_val, inplace=True)


@register(method=False)
def relu6(input: Any, inplace: bool = False) -> Tensor:  # noqa: A002
    """min(max(x, 0), 6)."""
    _check_not_bool("relu6", input)
    return _inplace_or("relu6", Hardtanh.apply, input, inplace, min_val=0.0, max_val=6.0)


@register(method=False)
def hardsigmoid(input: Any, inplace: bool = False) -> Tensor:  # noqa: A002
    """min(max(x + 3, 0), 6)/6."""
    _check_floating("hardsigmoid", "hardsigmoid", input)
    return _inplace_or("hardsigmoid", Hardsigmoid.apply, input, inplace)


@register(method=False)
def hardswish(input: Any, inplace: bool = False) -> Tensor:  # noqa: A002
    """x·min(max(x + 3, 0), 6)/6."""
    _check_floating("hardswish", "hardswish", input)
    return _inplace_or("hardswish", Hardswish.apply, input, inplace)


@register(method=False)
def logsigmoid(input: Any) -> Tensor:  # noqa: A002
    """ln σ(x), computed stably for any x."""
    _check_floating("logsigmoid", "log_sigmoid_forward", input)
    return LogSigmoid.apply(input)


@register()
def prelu(input: Any, weight: Any) -> Tensor:  # noqa: A002
    """x for x > 0, else weight·x, with one weight per channel (dim 1) or one shared."""
    x = input if isinstance(input, Tensor) else as_tensor_like(input, None)
    w = weight if isinstance(weight, Tensor) else as_tensor_like(weight, None)
    _check_floating("prelu", "prelu_cpu", x)
    if w.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {w.ndim}")
    count = int(np.prod(w.shape))
    if x.ndim == 0 and count != 1:
        raise RuntimeError("Not allow zero-dim input tensor.")
    channels = x.shape[1] if x.ndim >= 2 else 1
    if count != 1 and count != channels:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                           f"parameter numbers = {count} and channel size = {channels}.")
    return PReLU.apply(x, w)


@register(method=False)
def softmin(input: Any, dim: int | None = None, _stacklevel: int = 3,  # noqa: A002
            dtype: Any = None, *, axis: int | None = None) -> Tensor:
    """softmax(−x) along ``dim``; the arguments and the implicit dim as in ``softmax``."""
    return _softmax("softmin", Softmin, input, dim, axis, dtype, _stacklevel)


@register(method=False)
def glu(input: Any, dim: int = -1) -> Tensor:  # noqa: A002
    """a·σ(b), a and b the halves of ``input`` along ``dim`` (whose size must be even)."""
    x = input if isinstance(input, Tensor) else as_tensor_like(input, None)
    if x.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"glu(): argument 'dim' must be int, not {type(dim).__name__}")
    if not -x.ndim <= dim < x.ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-x.ndim}, "
                         f"{x.ndim - 1}], but got {dim})")
    axis = int(dim) % x.ndim
    if x.shape[axis] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {axis} is size "
                           f"{x.shape[axis]}")
    _check_floating("glu", "glu", x)
    return GLU.apply(x, axis=axis)
