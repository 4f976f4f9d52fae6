"""The magnitudes an op's rounding errors are relative to, for the PyTorch comparisons
(test_ops_vs_torch.py, test_conv_vs_torch.py), in the model of ``_tolerance``.

A ``Scale`` maps an op's float64 inputs and upstream gradient to the scale of its value, the
scale of each differentiable input's gradient and the number of terms of its longest
reduction; ``compare`` then checks every element within ``SAFETY · terms · eps · scale``. The
scale is the sum of the magnitudes of the terms an element is computed from, so an op whose
result cancels large terms (a softmax gradient, a batch-norm input gradient, a loss near 0) is
held to the rounding of those terms, not of its small result.

Imported as a plain module (``from _scales import ...``): tests/ops has no ``__init__.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from _tolerance import SAFETY, eps

# (inputs in float64 — integer and boolean inputs as they are —, upstream gradient in the
# computation's dtype, which inputs are differentiable) -> (scale of the value, scale of each
# differentiable input's gradient, number of terms of the longest reduction involved).
Scale = Callable[[list[np.ndarray], np.ndarray, Sequence[bool]],
                 tuple[np.ndarray, list[np.ndarray], int]]


def torch_run(torch_fn: Callable[..., torch.Tensor], inputs: Sequence[Any], g: np.ndarray,
              leaves: Sequence[bool] | None = None, *, absolute: bool = False
              ) -> tuple[np.ndarray, list[np.ndarray]]:
    """``torch_fn``'s value and the gradients of its ``leaves`` (default: every input) in
    float64 for the upstream gradient |g|; with ``absolute``, on the magnitudes of the float
    inputs (integer targets and boolean masks are passed unchanged)."""
    leaves = [True] * len(inputs) if leaves is None else leaves
    tensors = []
    for array, leaf in zip(inputs, leaves, strict=True):
        array = np.asarray(array)
        if array.dtype.kind == "f":
            array = np.abs(array) if absolute else array
            tensors.append(torch.tensor(array, dtype=torch.float64, requires_grad=leaf))
        else:
            tensors.append(torch.from_numpy(array.copy()))
    y = torch_fn(*tensors)
    y.backward(torch.tensor(np.abs(np.asarray(g, dtype=np.float64))))
    grads = [np.zeros(t.shape) if t.grad is None else t.grad.numpy()
             for t, leaf in zip(tensors, leaves, strict=True) if leaf]
    return y.detach().numpy(), grads


def largest_size(inputs: Sequence[Any], g: np.ndarray) -> int:
    """An upper bound on the length of any reduction inside an op: no value or gradient element
    can sum more terms than its largest operand (or the upstream gradient) has elements."""
    return max([np.size(a) for a in inputs] + [g.size, 1])


def multilinear(torch_fn: Callable[..., torch.Tensor], terms: int | None = None) -> Scale:
    """Ops whose every value and gradient element is a sum of products of input elements with
    non-negative coefficients (sums, products, matmul, conv2d, average pooling, copies): the
    same op on |inputs| with |g| gives exactly the sums of |products| the rounding errors are
    relative to. For an op with a negative coefficient (a subtraction), pass the op with that
    sign flipped (a + b for a − b): the running-error bound of the computation.
    ``terms``: default ``largest_size``."""
    def scale(inputs: list[np.ndarray], g: np.ndarray, leaves: Sequence[bool]) -> tuple:
        return (*torch_run(torch_fn, inputs, g, leaves, absolute=True),
                terms or largest_size(inputs, g))
    return scale


def routing(torch_fn: Callable[..., torch.Tensor], terms: int | None = None) -> Scale:
    """Max and max pooling: the value is a copy of one input element; the gradient sums (or,
    for ties, shares) the upstream gradients routed to an element, so the same routing (the
    same input) with |g| gives the sums of |terms|. ``terms``: default ``largest_size``."""
    def scale(inputs: list[np.ndarray], g: np.ndarray, leaves: Sequence[bool]) -> tuple:
        return (*torch_run(torch_fn, inputs, g, leaves), terms or largest_size(inputs, g))
    return scale


def _sum_to(array: np.ndarray, shape: tuple) -> np.ndarray:
    """``array`` summed over the axes that broadcasting added to or widened in ``shape``."""
    array = array.sum(axis=tuple(range(array.ndim - len(shape))))
    return array.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1 and array.shape[i] != 1),
                     keepdims=True).reshape(shape)


def pointwise(torch_fn: Callable[..., torch.Tensor],
              derivative: Callable[[torch.Tensor], torch.Tensor] | None = None) -> Scale:
    """Elementwise functions (a few correctly or faithfully rounded steps per element): the
    value's error is relative to |f(x)|, each gradient element's to |g·∂f/∂x| — summed in
    magnitude over the elements that broadcasting folds into it (the differentiable inputs are
    widened to the output's shape to get each partial derivative separately).
    ``derivative`` (unary ops): the magnitude of the derivative formula's terms where it
    cancels (tanh′ = 1 − y² → 1 + y²). terms: the broadcast fold + 2 roundings per element."""
    def scale(inputs: list[np.ndarray], g: np.ndarray, leaves: Sequence[bool]) -> tuple:
        if derivative is not None:
            x = torch.from_numpy(np.asarray(inputs[0], dtype=np.float64))
            value = torch_fn(x).numpy()
            return value, [np.abs(g) * np.abs(derivative(x).numpy())], 2
        wide = [np.broadcast_to(a, g.shape).copy() if leaf else a
                for a, leaf in zip(inputs, leaves, strict=True)]
        value, grads = torch_run(torch_fn, wide, g, leaves)
        shapes = [np.shape(a) for a, leaf in zip(inputs, leaves, strict=True) if leaf]
        folded = max([g.size // max(int(np.prod(s)), 1) for s in shapes] + [1])
        return value, [_sum_to(np.abs(d), s) for d, s in zip(grads, shapes, strict=True)], \
            folded + 2
    return scale


def batch_norm_scale(running_mean: np.ndarray | None, running_var: np.ndarray | None,
                     training: bool, eps: float = 1e-5) -> Scale:
    """y = γ·(x − μ)/σ + β with the batch's (training) or the running (evaluation) μ and σ².
    With X = (|x| + |μ|)/σ bounding |x̂| and its error: value ~ |γ|·X + |β|; in training the
    input gradient γ/σ·(g − mean g − x̂·mean(g·x̂)) ~ |γ|/σ·(|g| + mean|g| + X·mean(|g|·X)),
    whose result is far smaller than its terms; weight gradient Σ g·x̂ ~ Σ|g|·X; bias Σ|g|.
    The statistics are reductions over the m values of a channel: terms = m."""
    def scale(inputs: list[np.ndarray], g: np.ndarray, leaves: Sequence[bool]) -> tuple:
        x, *affine = inputs
        axes = (0, *range(2, x.ndim))
        shape = [1, -1] + [1] * (x.ndim - 2)
        m = x.size // x.shape[1]
        if training:
            mu, var = x.mean(axis=axes), x.var(axis=axes)
        else:
            mu, var = running_mean, running_var
        sigma = np.sqrt(var + eps).reshape(shape)
        mu = mu.reshape(shape)
        gamma = np.abs(affine[0]).reshape(shape) if affine else np.ones_like(sigma)
        beta = np.abs(affine[1]).reshape(shape) if affine else np.zeros_like(sigma)
        big_x = (np.abs(x) + np.abs(mu)) / sigma
        g = np.abs(g)
        value = gamma * big_x + beta
        dx = gamma / sigma * (g + g.mean(axis=axes, keepdims=True)
                              + big_x * (g * big_x).mean(axis=axes, keepdims=True)) \
            if training else gamma / sigma * g
        grads = [dx, (g * big_x).sum(axis=axes), g.sum(axis=axes)][:len(inputs)]
        return value, grads, m
    return scale


# ------------------------------------------------------------------ softmax and the losses
def _shifted(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x − m (m = max x), ln s (s = Σ e^(x − m)) along ``axis``, and the relative error of s in
    units of eps beyond its C additions: Σ_j y_j·|x_j − m| (y = softmax x), since x − m is
    rounded relative to itself and exp turns that absolute error into a relative one."""
    shifted = x - x.max(axis=axis, keepdims=True)
    log_s = np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    y = np.exp(shifted - log_s)
    return shifted, log_s, (y * np.abs(shifted)).sum(axis=axis, keepdims=True)


def softmax_scale(axis: int) -> Scale:
    """y = e^(x−m)/s: y_i is off relatively by about (1 + |x_i − m| + Σ_j y_j·|x_j − m| + C)·eps
    (``_shifted``); dL/dx = y·(g − Σ g·y) cancels terms of size y·(|g| + Σ|g|·y), each carrying
    that relative error. terms: C + 2."""
    def scale(inputs: list[np.ndarray], g: np.ndarray, leaves: Sequence[bool]) -> tuple:
        x = inputs[0]
        shifted, log_s, s_error = _shifted(x, axis)
        y = np.exp(shifted - log_s)
        relative = 1 + np.abs(shifted) + s_error
        g = np.abs(g)
        grad = y * relative * (g + (g * y * relative).sum(axis=axis, keepdims=True))
        return y * relative, [grad], x.shape[axis] + 2
    return scale


def log_softmax_scale(axis: int) -> Scale:
    """y = (x − m) − ln s: terms |x − m| and |ln s|, ln s off by (C + Σ_j y_j·|x_j − m|)·eps;
    dL/dx = g − e^y·Σg, e^y off relatively by the error of y. terms: C + 2."""
    def scale(inputs: list[np.ndarray], g: np.ndarray, leaves: Sequence[bool]) -> tuple:
        x = inputs[0]
        shifted, log_s, s_error = _shifted(x, axis)
        value = np.abs(shifted) + np.abs(log_s) + 1 + s_error
        g = np.abs(g)
        grad = g + np.exp(shifted - log_s) * g.sum(axis=axis, keepdims=True) * value
        return value, [grad], x.shape[axis] + 2
    return scale


def _reduce(elements: np.ndarray, reduction: str, norm: float) -> np.ndarray:
    if reduction == "none":
        return elements
    return elements.sum() / (norm if reduction == "mean" else 1)


def _upstream(g: np.ndarray, shape: tuple, reduction: str, norm: float) -> np.ndarray:
    """|dL/d(element)| for each loss element: g itself ('none') or g, ÷ norm for 'mean'."""
    g = np.abs(g)
    return np.broadcast_to(g if reduction == "none" else g / (norm if reduction == "mean" else 1),
                           shape)


def cross_entropy_scale(reduction: str, *, weighted: bool = False, ignore_index: int = -100,
                        label_smoothing: float = 0.0) -> Scale:
    """Every form of cross_entropy is loss_n = Σ_c a_nc·(ln s_n − (x_nc − m_n)), with a_nc the
    (smoothed, class-weighted, ignore-masked) target weight; 'mean' divides by Σ w[t_n] (class
    indices) or N (probabilities). Value terms: Σ_c a_nc·T_nc with T = |x − m| + |m| + |ln s|,
    which bounds the terms of x − m − ln s and of an unshifted x − ln Σe^x alike; gradient
    dL/dx_nc = g_n·(p_nc·Σ_k a_nk − a_nc), p carrying the relative error of its exponent.
    Inputs: logits, target, then the class weight when ``weighted``. terms: C + N."""
    def scale(inputs: list[np.ndarray], g: np.ndarray, leaves: Sequence[bool]) -> tuple:
        x, target = inputs[0], inputs[1]
        unbatched = x.ndim == 1
        if unbatched:
            x, target = x[None], target[None]
        classes = x.shape[1]
        rows = np.moveaxis(x, 1, -1).reshape(-1, classes)
        w = inputs[2] if weighted else np.ones(classes)
        smooth = label_smoothing / classes
        if target.dtype.kind == "f":  # probabilities
            q = np.moveaxis(target, 1, -1).reshape(-1, classes)
            a = ((1 - label_smoothing) * q + smooth) * w
            norm = float(len(rows))
        else:
            t = target.reshape(-1)
            valid = t != ignore_index
            cols = np.where(valid, t, 0)
            a = ((1 - label_smoothing) * np.eye(classes)[cols] + smooth) * w * valid[:, None]
            norm = float((w[cols] * valid).sum())
        shifted, log_s, _ = _shifted(rows, 1)
        size = np.abs(shifted) + np.abs(rows.max(axis=1, keepdims=True)) + np.abs(log_s)
        loss_shape = x.shape[:1] + x.shape[2:]
        elements = (a * size).sum(axis=1).reshape(loss_shape)
        with np.errstate(invalid="ignore", divide="ignore"):  # every target ignored: nan
            value = _reduce(elements[0] if unbatched else elements, reduction, norm)
            up = _upstream(g, elements.shape[1:] if unbatched else loss_shape, reduction, norm)
        p = np.exp(shifted - log_s)
        grad = up.reshape(-1, 1) * (p * (1 + size) * a.sum(axis=1, keepdims=True) + a)
        grad = np.moveaxis(grad.reshape(*loss_shape, classes), -1, 1)
        return value, [grad[0] if unbatched else grad], classes + len(rows)
    return scale


def binary_cross_entropy_scale(reduction: str, *, weighted: bool = False) -> Scale:
    """loss = −w·[t·ln p + (1−t)·ln(1−p)] (logs clamped at −100): terms w·t·(|ln p| + 1) and
    w·(1−t)·(|ln(1−p)| + 1) (1 for the rounding of 1 − p); dL/dp = w·(p − t)/max(p(1−p),
    1e-12) ~ w·(p + t)/max(p(1−p), 1e-12); dL/dt = w·(ln(1−p) − ln p). Inputs: p, t, then the
    weight when ``weighted``. terms: the number of elements + 2.

    Where the clamp acts, torch's vectorised kernel divides by the float32 rounding of 1e-12
    (1e-12·(1 − 4e-9)) even in float64: a gradient there may differ by up to half a float32
    ulp, relatively."""
    def scale(inputs: list[np.ndarray], g: np.ndarray, leaves: Sequence[bool]) -> tuple:
        p, t = inputs[0], inputs[1]
        w = inputs[2] if weighted else 1.0
        with np.errstate(divide="ignore"):
            log_p, log_q = np.maximum(np.log(p), -100), np.maximum(np.log1p(-p), -100)
        elements = w * (t * (np.abs(log_p) + 1) + (1 - t) * (np.abs(log_q) + 1))
        up = _upstream(g, elements.shape, reduction, elements.size)
        grad_p = up * w * (p + t) / np.maximum(p * (1 - p), 1e-12)
        terms = elements.size + 2
        constant = eps(np.float32) / 2  # a float32 rounding of the clamp (4e-9 for 1e-12)
        grad_p = grad_p * np.where(p * (1 - p) < 1e-12,
                                   1 + constant / (SAFETY * terms * eps(g)), 1)
        grads = [grad_p, up * w * (np.abs(log_p) + np.abs(log_q) + 2)]
        return (_reduce(elements, reduction, elements.size),
                [grad for grad, leaf in zip(grads, leaves[:2], strict=True) if leaf], terms)
    return scale


def bce_with_logits_scale(reduction: str, *, weighted: bool = False,
                          pos_weighted: bool = False) -> Scale:
    """loss = w·[(1−t)·x + (1 + (pw−1)·t)·softplus(−x)], softplus(−x) = ln(1+e^(−|x|)) +
    max(−x, 0): terms w·(|1−t|·|x| + (1 + (pw+1)·t)·softplus(−x)); dL/dx = w·(σ(x)·(1 +
    (pw−1)·t) − pw·t) ~ w·(σ(x)·(1 + (pw+1)·t) + pw·t); dL/dt = w·(−x + (pw−1)·softplus(−x))
    ~ w·(|x| + (pw+1)·softplus(−x)). Inputs: x, t, then weight and pos_weight as given.
    terms: the number of elements + 2."""
    def scale(inputs: list[np.ndarray], g: np.ndarray, leaves: Sequence[bool]) -> tuple:
        x, t, *rest = inputs
        w = rest.pop(0) if weighted else 1.0
        pw = rest.pop(0) if pos_weighted else 1.0
        softplus = np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0)
        coef = 1 + (pw + 1) * t
        elements = w * (np.abs(1 - t) * np.abs(x) + coef * softplus)
        up = _upstream(g, elements.shape, reduction, elements.size)
        sig = 1 / (1 + np.exp(-np.clip(x, -700, 700)))
        grads = [up * w * (sig * coef + pw * t), up * w * (np.abs(x) + (pw + 1) * softplus)]
        grads = [_sum_to(grad, np.shape(a)) for grad, a in zip(grads, inputs[:2], strict=True)]
        return (_reduce(elements, reduction, elements.size),
                [grad for grad, leaf in zip(grads, leaves[:2], strict=True) if leaf],
                elements.size + 2)
    return scale
