"""Loss functions. Reductions follow PyTorch: ``'mean'`` (default), ``'sum'`` or ``'none'``.

``mse_loss`` averages over every element; ``cross_entropy``/``nll_loss`` average over the batch
(weighted by class weights when given); ``cross_entropy_error`` is the textbook CEE on
probabilities, ``-Σ t·log(y + 1e-7) / N``.

dtypes follow PyTorch 2.13: ``mse_loss``/``l1_loss`` and probability-target ``cross_entropy``
promote (float32 input, float64 target → float64); ``binary_cross_entropy`` wants the target in
the input's dtype; ``binary_cross_entropy_with_logits`` gives the target's dtype (PyTorch
computes it in place in ``1 − target``); class-index targets are int64 (or uint8) and a class
weight tensor must have the input's dtype. A target given as an array counts as a tensor of its
dtype (``torch.from_numpy``), Python numbers and lists as ``neuralab.tensor`` makes them; a
weight that is not a Tensor is a constant, converted to the dtype it is used in.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import dtypes
from ..autograd.function import Function
from ..errors import ArgumentError, DTypeError, ShapeError, UnsupportedDTypeError
from ..tensor import Tensor, tensor, to_array
from .activation import LogSoftmax, log_softmax
from .registry import register

_REDUCTIONS = ("mean", "sum", "none")


class NLLLoss(Function):
    """loss_n = −w[t_n]·x[n, t_n] (0 where t_n == ignore_index); 'mean' divides by Σ w[t_n].

    dloss/dx[n, t_n] = −w[t_n] (÷ Σ w for 'mean'); every other entry has derivative 0.
    """

    def forward(self, log_probs: np.ndarray, target: Any = None, weight: Any = None,
                ignore_index: int = -100, reduction: str = "mean") -> np.ndarray:
        n = log_probs.shape[0]
        self.shape, self.dtype, self.reduction = log_probs.shape, log_probs.dtype, reduction
        rows = np.arange(n)
        if weight is None and not np.any(target == ignore_index):
            # The common case (every row counts, weight 1) without the masking below.
            self.rows, self.cols, self.w, self.total_weight = rows, target, None, n
            losses = -log_probs[rows, target]
        else:
            valid = target != ignore_index
            cols = np.where(valid, target, 0)
            w = (weight[cols] if weight is not None else np.ones(n, log_probs.dtype)) * valid
            self.valid, self.rows, self.cols, self.w = valid, rows[valid], cols[valid], w
            self.total_weight = w.sum()
            losses = -w * log_probs[rows, cols]
        if reduction == "none":
            return losses
        if reduction == "sum":
            return losses.sum()
        with np.errstate(invalid="ignore", divide="ignore"):  # all ignored: 0/0 = nan, as torch
            return losses.sum() / np.asarray(self.total_weight, dtype=log_probs.dtype)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad = np.zeros(self.shape, dtype=self.dtype)
        if self.w is None:
            scale = self.total_weight if self.reduction == "mean" else 1
            grad[self.rows, self.cols] = -grad_out / np.asarray(scale, dtype=self.dtype)
            return grad
        coef = -self.w * grad_out
        if self.reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                coef = coef / self.total_weight
        # Ignored rows get no gradient at all (not 0·(1/0) = nan when every row is ignored).
        grad[self.rows, self.cols] = coef[self.valid]
        return grad


class CrossEntropy(Function):
    """loss = NLL(log_softmax(x), t): cross-entropy of logits and class indices, one node.

    With p = softmax(x), every row counted with weight 1 and 'mean' over N rows:
    dloss/dx = (p − onehot(t)) / N — softmax minus one-hot. With class weights or ignored
    rows, the chain rule through the two parts: LogSoftmax.backward(NLLLoss.backward(g)).
    """

    def forward(self, logits: np.ndarray, target: Any = None, weight: Any = None,
                ignore_index: int = -100, reduction: str = "mean") -> np.ndarray:
        self.log_softmax, self.nll = LogSoftmax(), NLLLoss()
        log_probs = self.log_softmax.forward(logits, axis=1)
        return self.nll.forward(log_probs, target, weight, ignore_index, reduction)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        nll = self.nll
        if nll.w is not None:
            return self.log_softmax.backward(nll.backward(grad_out))
        scale = np.asarray(grad_out, dtype=nll.dtype)
        if nll.reduction == "mean":
            scale = scale / np.asarray(nll.total_weight, dtype=nll.dtype)
        elif nll.reduction == "none":
            scale = scale[:, None]  # one upstream gradient per row
        grad = np.exp(self.log_softmax.y)  # p = softmax(x)
        grad[nll.rows, nll.cols] -= 1
        grad *= scale
        return grad


class BinaryCrossEntropy(Function):
    """loss = −[t·ln p + (1−t)·ln(1−p)], each log clamped at −100 (as PyTorch).

    dloss/dp = (p − t) / max(p(1−p), 1e-12).
    """

    def forward(self, p: np.ndarray, t: np.ndarray) -> np.ndarray:
        if np.any((p < 0) | (p > 1)):
            raise ArgumentError("binary_cross_entropy: input must be probabilities in [0, 1] (all "
                                "elements of input should be between 0 and 1); for raw scores "
                                "use binary_cross_entropy_with_logits")
        self.p, self.t = p, t
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), -100)
            log_1mp = np.maximum(np.log1p(-p), -100)
        return -(t * log_p + (1 - t) * log_1mp)

    def backward(self, grad_out: np.ndarray) -> tuple:
        p, t = self.p, self.t
        grad_p = grad_out * (p - t) / np.maximum(p * (1 - p), 1e-12)
        grad_t = grad_out * (np.log1p(-p) - np.log(p)) if self.needs_input_grad[1] else None
        return grad_p, grad_t


class BinaryCrossEntropyWithLogits(Function):
    """loss = −[pw·t·ln σ(x) + (1−t)·ln(1−σ(x))], pw = pos_weight, computed as
    (1−t)·x + (1 + (pw−1)·t)·softplus(−x) with softplus(−x) = ln(1+e^(−|x|)) + max(−x, 0).

    dloss/dx = σ(x)·(1 + (pw−1)·t) − pw·t.
    """

    def forward(self, x: np.ndarray, t: np.ndarray, pos_weight: Any = None) -> np.ndarray:
        pw = 1 if pos_weight is None else pos_weight
        self.x, self.t, self.pw = x, t, pw
        softplus_neg = np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0)
        # Computed in the operands' common dtype, given in the target's: PyTorch computes the
        # loss in place in (1 − target), so float64 logits with a float32 target give float32.
        return ((1 - t) * x + (1 + (pw - 1) * t) * softplus_neg).astype(t.dtype, copy=False)

    def backward(self, grad_out: np.ndarray) -> tuple:
        x, t, pw = self.x, self.t, self.pw
        z = np.exp(-np.abs(x))
        sig = np.where(x >= 0, 1, z) / (1 + z)
        grad_x = grad_out * (sig * (1 + (pw - 1) * t) - pw * t)
        grad_t = None
        if self.needs_input_grad[1]:  # dloss/dt = −x·... only needed if the target is learned
            grad_t = grad_out * (-x + (pw - 1) * (np.log1p(z) + np.maximum(-x, 0)))
        return grad_x, grad_t


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def _check_reduction(name: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _as_target(target: Any) -> Tensor:
    """The target as a Tensor: a Tensor as it is, an array as a tensor of its dtype (as
    ``torch.from_numpy``), Python numbers and lists as ``neuralab.tensor`` makes them."""
    if isinstance(target, Tensor):
        return target
    if isinstance(target, (np.ndarray, np.generic)) or hasattr(target, "detach"):
        array = np.asarray(to_array(target))
        if array.dtype not in dtypes.SUPPORTED:
            raise DTypeError(f"the target has dtype {array.dtype}, which neuralab does not "
                             f"support")
        return Tensor._from_op(array, False)
    return tensor(target)


def _check_floating(name: str, kernel: str, *operands: Tensor) -> None:
    """Losses have float kernels only: PyTorch raises NotImplementedError for integers."""
    for t in operands:
        if t.dtype.kind != "f":
            raise UnsupportedDTypeError(
                f"{name}: \"{kernel}\" not implemented for '{dtypes.torch_name(t.dtype)}': got "
                f"a tensor of dtype {t.dtype} where a floating one (float16/32/64) is "
                f"expected; convert it with .float()")


def _check_same_shape(name: str, input: Tensor, target: Tensor) -> None:  # noqa: A002
    if tuple(input.shape) != tuple(target.shape):
        raise ShapeError(
            f"{name}: input has shape {tuple(input.shape)} but target has shape "
            f"{tuple(target.shape)}; they must match (reshape one, e.g. target.reshape"
            f"{tuple(input.shape)})"
        )


def _elementwise_weight(name: str, what: str, weight: Any, shape: tuple,
                        dtype: np.dtype) -> Tensor:
    """A per-element ``weight`` in ``dtype``, checked to broadcast to ``shape`` (PyTorch
    multiplies it in place into the losses, so it never changes their dtype)."""
    w = weight.to(dtype) if isinstance(weight, Tensor) else Tensor._from_op(
        np.asarray(to_array(weight), dtype=dtype), False)
    try:
        fits = np.broadcast_shapes(w.shape, shape) == tuple(shape)
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(f"{name}: {what} of shape {tuple(w.shape)} does not broadcast to the "
                         f"input's shape {tuple(shape)}")
    return w


def _pointwise_loss(name: str, kernel: str, input: Tensor, target: Any,  # noqa: A002
                    reduction: str) -> tuple[Tensor, Tensor]:
    """Checks shared by mse_loss and l1_loss; returns input − target (PyTorch's promotion:
    float32 with a float64 target gives float64, with an int64 target float32)."""
    _check_reduction(name, reduction)
    target = _as_target(target)
    _check_same_shape(name, input, target)
    if name == "l1_loss" and dtypes.bool_ in (input.dtype, target.dtype):  # torch subtracts
        raise DTypeError("l1_loss: Subtraction, the `-` operator, with a bool tensor is not "
                         "supported: got a bool input or target; convert it with .float()")
    common = dtypes.result_type(input, target)
    if common.kind != "f":
        _check_floating(name, kernel, input, target)
    if dtypes.bool_ in (input.dtype, target.dtype):  # mse_loss: torch's kernel takes bools
        input, target = input.to(common), target.to(common)
    return input - target


@register(method=False)
def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Mean squared error: mean over all elements of (input − target)²."""
    diff = _pointwise_loss("mse_loss", "mse", input, target, reduction)
    return _reduce(diff * diff, reduction)


@register(method=False)
def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Mean absolute error: mean over all elements of |input − target|."""
    diff = _pointwise_loss("l1_loss", "l1", input, target, reduction)
    return _reduce(diff.abs(), reduction)


def _check_index_target(name: str, target: np.ndarray, n: int, classes: int,
                        ignore_index: int) -> None:
    if target.dtype not in (dtypes.int64, dtypes.uint8):
        kind = "integers" if target.dtype.kind in "iu" else "integers (int64)"
        raise DTypeError(
            f"{name}: expected target dtype to be Long or Byte, but got "
            f"{dtypes.torch_name(target.dtype)}: class-index targets must be {kind}, got "
            f"dtype {target.dtype}; convert with target.long() (or pass probabilities with the "
            f"input's shape)"
        )
    if target.shape != (n,):
        raise ShapeError(f"{name}: expected a target of shape ({n},) for a batch of {n}, "
                         f"got shape {target.shape}")
    if n == 0 or (target.min() >= 0 and target.max() < classes):
        return  # all in range: no per-element mask needed on the hot path
    bad = (target != ignore_index) & ((target < 0) | (target >= classes))
    if bad.any():
        position = int(np.argmax(bad))
        raise IndexError(
            f"{name}: target {int(target[position])} at position {position} is not a class "
            f"index in [0, {classes})"
        )


def _class_weight(weight: Any, classes: int, dtype: np.dtype, name: str) -> np.ndarray | None:
    """The class weights of an index-target loss as an array of the input's ``dtype``: a Tensor
    must have that dtype already (PyTorch: 'expected scalar type Float but found Double'),
    anything else is a constant and is converted."""
    if weight is None:
        return None
    if isinstance(weight, Tensor) and weight.dtype != dtype:
        raise DTypeError(
            f"{name}: expected scalar type {dtypes.torch_name(dtype)} but found "
            f"{dtypes.torch_name(weight.dtype)}: the weight ({weight.dtype}) must have the "
            f"input's dtype ({dtype}); convert it with weight.to({dtype})")
    w = np.asarray(to_array(weight), dtype=dtype)
    if w.shape != (classes,):
        raise ShapeError(f"{name}: weight must have shape ({classes},), got {w.shape} (a weight "
                         f"for each of the {classes} classes)")
    return w


@register(method=False)
def nll_loss(input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,  # noqa: A002
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices, given log-probabilities of shape (N, C), (C,)
    (one example, a 0-d target) or (N, C, d1, ...) (a target of shape (N, d1, ...), one class
    per position; 'none' gives losses of the target's shape)."""
    _check_reduction("nll_loss", reduction)
    if input.ndim == 0:
        raise ShapeError("nll_loss: input must have a class axis, got a scalar")
    _check_floating("nll_loss", "nll_loss", input)
    if input.ndim != 2:
        target = _as_target(target)
        expected = () if input.ndim == 1 else input.shape[:1] + input.shape[2:]
        if tuple(target.shape) != expected:
            raise ShapeError(f"nll_loss: Expected target size {list(expected)}, got "
                             f"{list(target.shape)} (input of shape {list(input.shape)})")
        classes = input.shape[0] if input.ndim == 1 else input.shape[1]
        rows = (input.reshape(1, -1) if input.ndim == 1 else
                input.permute(0, *range(2, input.ndim), 1).reshape(-1, classes))
        loss = nll_loss(rows, target.reshape(-1), weight, ignore_index, reduction)
        return loss.reshape(*expected) if reduction == "none" else loss
    n, classes = input.shape
    target = _as_target(target)._data
    _check_index_target("nll_loss", target, n, classes, ignore_index)
    w = _class_weight(weight, classes, input.dtype, "nll_loss")
    return NLLLoss.apply(input, target=target, weight=w, ignore_index=ignore_index,
                         reduction=reduction)


@register(method=False)
def cross_entropy(input: Tensor, target: Any, weight: Any = None,  # noqa: A002
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of raw scores (logits), with log-softmax inside (``nn.CrossEntropyLoss``).

    ``input``: (N, C), (C,) or (N, C, d1, ...). ``target``: class indices (int64, shape (N,) or
    (N, d1, ...)) or class probabilities (float, the input's shape). Stable for any logits.
    """
    _check_reduction("cross_entropy", reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ArgumentError(f"cross_entropy: label_smoothing must be in [0, 1], got "
                            f"{label_smoothing}")
    target = _as_target(target)
    probabilities = target.dtype.kind == "f"
    if probabilities and ignore_index != -100:  # silently ignoring it would hide a mistake
        raise ArgumentError("cross_entropy: ignore_index applies to class-index targets only, "
                            "not to probability targets (as in PyTorch)")
    if input.ndim == 0:
        raise ShapeError("cross_entropy: input must have a class axis, got a scalar")
    _check_floating("cross_entropy", "log_softmax", input)
    if input.ndim == 1:  # one unbatched example
        loss = cross_entropy(input.reshape(1, -1), target.reshape(1, *target.shape),
                             weight, ignore_index, reduction, label_smoothing)
        return loss.reshape(()) if reduction == "none" else loss
    classes = input.shape[1]
    if probabilities and target.shape != input.shape:
        raise DTypeError(
            f"cross_entropy: target has float dtype {target.dtype} and shape "
            f"{tuple(target.shape)}; class-index targets must be integers of shape "
            f"({input.shape[0]},), probability targets must have the input's shape "
            f"{tuple(input.shape)}"
        )
    if not probabilities and target.shape[:1] != input.shape[:1]:
        raise ShapeError(
            f"cross_entropy: batch sizes differ: input has {input.shape[0]} examples "
            f"(shape {input.shape}) but target has shape {tuple(target.shape)}"
        )
    spatial = input.shape[2:]
    if spatial:  # (N, C, d1, ...) -> (N·d1·..., C): classes on the last axis
        moved = input.permute(0, *range(2, input.ndim), 1).reshape(-1, classes)
        flat_target = (target.permute(0, *range(2, target.ndim), 1).reshape(-1, classes)
                       if probabilities else target.reshape(-1))
        loss = cross_entropy(moved, flat_target, weight, ignore_index, reduction, label_smoothing)
        return loss.reshape(input.shape[0], *spatial) if reduction == "none" else loss

    if probabilities:
        return _cross_entropy_of_probabilities(input, target, weight, reduction, label_smoothing)
    target_array = target._data
    w = _class_weight(weight, classes, input.dtype, "cross_entropy")
    if label_smoothing == 0:  # the common case: one fused node
        _check_index_target("cross_entropy", target_array, input.shape[0], classes, ignore_index)
        return CrossEntropy.apply(input, target=target_array, weight=w,
                                  ignore_index=ignore_index, reduction=reduction)
    log_probs = log_softmax(input, axis=1)
    nll = nll_loss(log_probs, target_array, w, ignore_index, reduction)
    # Smoothing mixes in a uniform target: (1−ε)·NLL + ε/C · Σ_c −w_c·log p_c (PyTorch's form).
    valid = target_array != ignore_index
    smooth = -(log_probs if w is None else log_probs * w).sum(axis=1) * valid
    if reduction == "mean":
        denom = w[target_array[valid]].sum() if w is not None else valid.sum()
        smooth = smooth.sum() / denom
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / classes)


def _cross_entropy_of_probabilities(input: Tensor, target: Tensor, weight: Any,  # noqa: A002
                                    reduction: str, label_smoothing: float) -> Tensor:
    """−Σ_c w_c·t_c·log softmax(x)_c per example, in the promoted dtype of the input, the
    target and a weight tensor (PyTorch's: float32 logits with float64 targets give float64)."""
    classes = input.shape[1]
    if weight is not None:
        weight = weight if isinstance(weight, Tensor) else Tensor._from_op(
            np.asarray(to_array(weight), dtype=input.dtype), False)
        if tuple(weight.shape) != (classes,):
            raise ShapeError(f"cross_entropy: weight must have shape ({classes},), got "
                             f"{tuple(weight.shape)} (a weight for each of the {classes} "
                             f"classes)")
    t = target
    if label_smoothing > 0:
        t = t * (1 - label_smoothing) + label_smoothing / classes
    log_probs = log_softmax(input, axis=1)
    weighted = log_probs * t if weight is None else log_probs * (t * weight)
    per_example = -weighted.sum(axis=1)
    return per_example.mean() if reduction == "mean" else _reduce(per_example, reduction)


@register(method=False)
def cross_entropy_error(input: Tensor, target: Any) -> Tensor:  # noqa: A002
    """Textbook CEE on *probabilities*: −Σ t·ln(y + 1e-7) / N (targets one-hot or indices).

    The 1e-7 keeps ln(0) finite; prefer ``cross_entropy`` on logits, which needs no such hack.
    """
    y = input.reshape(1, -1) if input.ndim == 1 else input
    t = to_array(target)
    if t.size == y.shape[0] and t.dtype.kind in "iu":  # class indices
        t = t.reshape(-1).astype(np.int64, copy=False)
        _check_index_target("cross_entropy_error", t, y.shape[0], y.shape[1], -100)
        picked = y[np.arange(y.shape[0]), t]
        return -(picked + 1e-7).log().sum() / y.shape[0]
    t = t.reshape(y.shape) if t.size == y._data.size else t
    _check_same_shape("cross_entropy_error", y, Tensor._from_op(t, False))
    return -((y + 1e-7).log() * t.astype(y.dtype, copy=False)).sum() / y.shape[0]


@register(method=False)
def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None,  # noqa: A002
                         reduction: str = "mean") -> Tensor:
    """BCE on probabilities: −[t·ln p + (1−t)·ln(1−p)], logs clamped at −100.

    The target must have the input's dtype, as in PyTorch ('Found dtype Double but expected
    Float'); the losses keep it (a weight is converted to it)."""
    _check_reduction("binary_cross_entropy", reduction)
    target = _as_target(target)
    _check_same_shape("binary_cross_entropy", input, target)
    _check_floating("binary_cross_entropy", "binary_cross_entropy", input)
    if target.dtype != input.dtype:
        raise DTypeError(
            f"binary_cross_entropy: Found dtype {dtypes.torch_name(target.dtype)} but expected "
            f"{dtypes.torch_name(input.dtype)}: the target ({target.dtype}) must have the "
            f"input's dtype ({input.dtype}); convert it with target.to(input.dtype)")
    losses = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        losses = losses * _elementwise_weight("binary_cross_entropy", "weight", weight,
                                              input.shape, input.dtype)
    return _reduce(losses, reduction)


@register(method=False)
def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Any = None,  # noqa: A002
                                     reduction: str = "mean", pos_weight: Any = None) -> Tensor:
    """BCE on raw scores with the sigmoid inside, stable for any logit.

    The losses have the target's dtype, which must be floating (PyTorch computes them in place
    in 1 − target: float32 logits with a float64 target give float64, and the reverse
    float32)."""
    name = "binary_cross_entropy_with_logits"
    _check_reduction(name, reduction)
    target = _as_target(target)
    _check_same_shape(name, input, target)
    _check_floating(name, "log_sigmoid", input)
    if target.dtype.kind != "f":
        raise DTypeError(
            f"{name}: result type {dtypes.torch_name(input.dtype)} can't be cast to the desired "
            f"output type {dtypes.torch_name(target.dtype)}: the target must be floating (the "
            f"loss is computed in its dtype), got {target.dtype}; convert it with "
            f"target.to(input.dtype)")
    pw = None if pos_weight is None else _elementwise_weight(
        name, "pos_weight", pos_weight, input.shape, input.dtype)._data
    losses = BinaryCrossEntropyWithLogits.apply(input, target, pos_weight=pw)
    if weight is not None:
        losses = losses * _elementwise_weight(name, "weight", weight, input.shape, target.dtype)
    return _reduce(losses, reduction)


@register(method=False)
def smooth_l1_loss(input: Tensor, target: Any, size_average: Any = None,  # noqa: A002
                   reduce: Any = None, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Smooth L1: with d = input − target, 0.5·d²/β where |d| < β, else |d| − 0.5·β (β = 0:
    the L1 loss). d/dd = d/β inside, sign(d) outside (continuous at |d| = β)."""
    reduction = _legacy_reduction("smooth_l1_loss", size_average, reduce, reduction)
    if beta < 0:
        raise ArgumentError(f"smooth_l1_loss: smooth_l1_loss does not support negative values "
                            f"for beta, got {beta}")
    diff = _pointwise_loss("smooth_l1_loss", "smooth_l1", input, target, reduction)
    size = diff.abs()
    if beta == 0:
        return _reduce(size, reduction)
    return _reduce(_where(size < beta, diff * diff * (0.5 / beta), size - 0.5 * beta),
                   reduction)


@register(method=False)
def huber_loss(input: Tensor, target: Any, reduction: str = "mean",  # noqa: A002
               delta: float = 1.0, weight: Any = None) -> Tensor:
    """Huber: with d = input − target, 0.5·d² where |d| ≤ δ, else δ·(|d| − 0.5·δ).
    d/dd = d inside, δ·sign(d) outside. ``weight`` (the input's shape) multiplies each
    element's loss before the reduction ('mean' still divides by the number of elements)."""
    if delta <= 0:
        raise ArgumentError(f"huber_loss: huber_loss does not support non-positive values for "
                            f"delta, got {delta}")
    diff = _pointwise_loss("huber_loss", "huber", input, target, reduction)
    size = diff.abs()
    losses = _where(size <= delta, diff * diff * 0.5, (size - 0.5 * delta) * delta)
    if weight is not None:
        if np.shape(to_array(weight)) != tuple(input.shape):
            raise ValueError(f"huber_loss: Weights and input must have the same size: weight "
                             f"of shape {list(np.shape(to_array(weight)))}, input of shape "
                             f"{list(input.shape)}")
        losses = losses * _elementwise_weight("huber_loss", "weight", weight, input.shape,
                                              losses.dtype)
    return _reduce(losses, reduction)


@register(method=False)
def kl_div(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,  # noqa: A002
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence, ``input`` being log-probabilities: t·(ln t − x) per element
    (0 where t = 0), or e^t·(t − x) with ``log_target``. Reductions: 'mean' (over every
    element), 'batchmean' (the sum ÷ the batch size: the KL divergence proper), 'sum', 'none'.
    d/dx = −t (resp. −e^t); d/dt = ln t + 1 − x (resp. e^t·(t − x + 1))."""
    reduction = _legacy_reduction("kl_div", size_average, reduce, reduction)
    if reduction not in (*_REDUCTIONS, "batchmean"):
        raise ValueError(f"kl_div: {reduction} is not a valid value for reduction")
    target = _as_target(target)
    _check_floating("kl_div", "kl_div", input)
    if log_target:
        losses = target.exp() * (target - input)
    else:
        positive = target > 0
        safe = _where(positive, target, target * 0 + 1)  # ln 1 = 0 where t = 0: xlogy's rule
        losses = target * safe.log() - target * input
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.", UserWarning, stacklevel=2)
    if reduction == "batchmean":
        return losses.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(losses, reduction)


def _where(condition: Any, a: Tensor, b: Tensor) -> Tensor:
    from .shape import where
    return where(condition, a, b)


def _legacy_reduction(name: str, size_average: Any, reduce: Any, reduction: str) -> str:
    """torch's deprecated ``size_average``/``reduce`` (either given): a reduction of 'mean'
    (both true or unset), 'sum' (reduce only) or 'none' (reduce=False), with torch's
    warning; otherwise ``reduction`` as given."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{reduction}' instead.", UserWarning, stacklevel=3)
    return reduction


@register(method=False)
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """cos = Σ (x1/‖x1‖)·(x2/‖x2‖) along ``dim`` (the inputs broadcast), each norm clamped below
    at ``eps``, as torch computes it."""
    _check_floating("cosine_similarity", "cosine_similarity", x1, x2)
    n1 = (x1 * x1).sum(axis=dim, keepdims=True).sqrt().clamp(min=eps)
    n2 = (x2 * x2).sum(axis=dim, keepdims=True).sqrt().clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(axis=dim)


@register(method=False)
def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Any,
                          margin: float = 0.0, size_average: Any = None, reduce: Any = None,
                          reduction: str = "mean") -> Tensor:
    """1 − cos(x1, x2) where the target is 1, max(0, cos(x1, x2) − margin) where it is −1,
    cos = x1·x2 / √((‖x1‖² + 1e-12)(‖x2‖² + 1e-12)) along the last axis of (N, D) or (D,)
    (torch's formula)."""
    reduction = _legacy_reduction("cosine_embedding_loss", size_average, reduce, reduction)
    _check_reduction("cosine_embedding_loss", reduction)
    target = _as_target(target)
    if input1.ndim not in (1, 2) or tuple(input1.shape) != tuple(input2.shape) \
            or tuple(target.shape) != tuple(input1.shape[:-1]):
        raise ShapeError(f"cosine_embedding_loss: expected inputs of one shape (N, D) or (D,) and "
                         f"a target of shape (N,) or (), got {list(input1.shape)}, "
                         f"{list(input2.shape)} and {list(target.shape)}")
    axis = input1.ndim - 1
    product = (input1 * input2).sum(axis=axis)
    squares1 = (input1 * input1).sum(axis=axis) + 1e-12
    squares2 = (input2 * input2).sum(axis=axis) + 1e-12
    cos = product / (squares1 * squares2).sqrt()
    zeros = cos * 0
    t = target._data
    losses = _where(t == 1, 1 - cos, zeros) + _where(t == -1, (cos - margin).clamp(min=0), zeros)
    return _reduce(losses, reduction)
