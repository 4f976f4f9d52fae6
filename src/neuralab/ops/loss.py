"""Loss functions. Reductions follow PyTorch: ``'mean'`` (default), ``'sum'`` or ``'none'``.

``mse_loss`` averages over every element; ``cross_entropy``/``nll_loss`` average over the batch
(weighted by class weights when given); ``cross_entropy_error`` is the textbook CEE on
probabilities, ``-Σ t·log(y + 1e-7) / N``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor, to_array
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
            raise ValueError("binary_cross_entropy: input must be probabilities in [0, 1]; "
                             "for raw scores use binary_cross_entropy_with_logits")
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
        return (1 - t) * x + (1 + (pw - 1) * t) * softplus_neg

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


def _check_same_shape(name: str, input: Tensor, target: Any) -> None:
    if tuple(input.shape) != tuple(np.shape(to_array(target))):
        raise ValueError(
            f"{name}: input has shape {tuple(input.shape)} but target has shape "
            f"{np.shape(to_array(target))}; they must match (reshape one, e.g. target.reshape"
            f"{tuple(input.shape)})"
        )


@register(method=False)
def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Mean squared error: mean over all elements of (input − target)²."""
    _check_reduction("mse_loss", reduction)
    _check_same_shape("mse_loss", input, target)
    diff = input - target
    return _reduce(diff * diff, reduction)


def _check_index_target(name: str, target: np.ndarray, n: int, classes: int,
                        ignore_index: int) -> None:
    if target.dtype.kind not in "iu":
        raise TypeError(
            f"{name}: class-index targets must be integers (int64), got dtype {target.dtype}; "
            f"convert with target.astype(int) (or pass probabilities with the input's shape)"
        )
    if target.shape != (n,):
        raise ValueError(f"{name}: expected a target of shape ({n},) for a batch of {n}, "
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


def _weight_array(weight: Any, classes: int, dtype: np.dtype, name: str) -> np.ndarray | None:
    if weight is None:
        return None
    w = np.asarray(to_array(weight), dtype=dtype)
    if w.shape != (classes,):
        raise ValueError(f"{name}: weight must have shape ({classes},), got {w.shape}")
    return w


@register(method=False)
def nll_loss(input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,  # noqa: A002
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices, given log-probabilities of shape (N, C)."""
    _check_reduction("nll_loss", reduction)
    if input.ndim != 2:
        raise ValueError(f"nll_loss: expected log-probabilities of shape (N, C), got {input.shape}")
    n, classes = input.shape
    target = to_array(target)
    _check_index_target("nll_loss", target, n, classes, ignore_index)
    w = _weight_array(weight, classes, input.dtype, "nll_loss")
    return NLLLoss.apply(input, target=target, weight=w, ignore_index=ignore_index,
                         reduction=reduction)


@register(method=False)
def cross_entropy(input: Tensor, target: Any, weight: Any = None,  # noqa: A002
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of raw scores (logits), with log-softmax inside (``nn.CrossEntropyLoss``).

    ``input``: (N, C), (C,) or (N, C, d1, ...). ``target``: class indices (int, shape (N,) or
    (N, d1, ...)) or class probabilities (float, the input's shape). Stable for any logits.
    """
    _check_reduction("cross_entropy", reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    target_array = to_array(target)
    probabilities = target_array.dtype.kind == "f"
    if probabilities and ignore_index != -100:  # silently ignoring it would hide a mistake
        raise ValueError("cross_entropy: ignore_index applies to class-index targets only, "
                         "not to probability targets (as in PyTorch)")
    if input.ndim == 0:
        raise ValueError("cross_entropy: input must have a class axis, got a scalar")
    if input.ndim == 1:  # one unbatched example
        loss = cross_entropy(input.reshape(1, -1), target_array.reshape(1, *target_array.shape),
                             weight, ignore_index, reduction, label_smoothing)
        return loss.reshape(()) if reduction == "none" else loss
    classes = input.shape[1]
    if probabilities and target_array.shape != input.shape:
        raise TypeError(
            f"cross_entropy: target has float dtype {target_array.dtype} and shape "
            f"{target_array.shape}; class-index targets must be integers of shape "
            f"({input.shape[0]},), probability targets must have the input's shape {input.shape}"
        )
    if not probabilities and target_array.shape[:1] != input.shape[:1]:
        raise ValueError(
            f"cross_entropy: batch sizes differ: input has {input.shape[0]} examples "
            f"(shape {input.shape}) but target has shape {target_array.shape}"
        )
    spatial = input.shape[2:]
    if spatial:  # (N, C, d1, ...) -> (N·d1·..., C): classes on the last axis
        moved = input.permute(0, *range(2, input.ndim), 1).reshape(-1, classes)
        flat_target = (np.moveaxis(target_array, 1, -1).reshape(-1, classes) if probabilities
                       else target_array.reshape(-1))
        loss = cross_entropy(moved, flat_target, weight, ignore_index, reduction, label_smoothing)
        return loss.reshape(input.shape[0], *spatial) if reduction == "none" else loss

    w = _weight_array(weight, classes, input.dtype, "cross_entropy")
    if not probabilities and label_smoothing == 0:  # the common case: one fused node
        _check_index_target("cross_entropy", target_array, input.shape[0], classes, ignore_index)
        return CrossEntropy.apply(input, target=target_array, weight=w,
                                  ignore_index=ignore_index, reduction=reduction)
    log_probs = log_softmax(input, axis=1)
    if probabilities:
        t = target_array.astype(input.dtype, copy=False)
        if label_smoothing > 0:
            t = t * (1 - label_smoothing) + label_smoothing / classes
        weighted = log_probs * t if w is None else log_probs * (t * w)
        per_example = -weighted.sum(axis=1)
        return per_example.mean() if reduction == "mean" else _reduce(per_example, reduction)

    nll = nll_loss(log_probs, target_array, w, ignore_index, reduction)
    if label_smoothing == 0:
        return nll
    # Smoothing mixes in a uniform target: (1−ε)·NLL + ε/C · Σ_c −w_c·log p_c (PyTorch's form).
    valid = target_array != ignore_index
    smooth = -(log_probs if w is None else log_probs * w).sum(axis=1) * valid
    if reduction == "mean":
        denom = w[target_array[valid]].sum() if w is not None else valid.sum()
        smooth = smooth.sum() / denom
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / classes)


@register(method=False)
def cross_entropy_error(input: Tensor, target: Any) -> Tensor:  # noqa: A002
    """Textbook CEE on *probabilities*: −Σ t·ln(y + 1e-7) / N (targets one-hot or indices).

    The 1e-7 keeps ln(0) finite; prefer ``cross_entropy`` on logits, which needs no such hack.
    """
    y = input.reshape(1, -1) if input.ndim == 1 else input
    t = to_array(target)
    if t.size == y.shape[0] and t.dtype.kind in "iu":  # class indices
        t = t.reshape(-1)
        _check_index_target("cross_entropy_error", t, y.shape[0], y.shape[1], -100)
        picked = y[np.arange(y.shape[0]), t]
        return -(picked + 1e-7).log().sum() / y.shape[0]
    t = t.reshape(y.shape) if t.size == y._data.size else t
    _check_same_shape("cross_entropy_error", y, t)
    return -((y + 1e-7).log() * t).sum() / y.shape[0]


@register(method=False)
def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None,  # noqa: A002
                         reduction: str = "mean") -> Tensor:
    """BCE on probabilities: −[t·ln p + (1−t)·ln(1−p)], logs clamped at −100."""
    _check_reduction("binary_cross_entropy", reduction)
    _check_same_shape("binary_cross_entropy", input, target)
    losses = BinaryCrossEntropy.apply(input, target)
    return _reduce(losses if weight is None else losses * weight, reduction)


@register(method=False)
def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Any = None,  # noqa: A002
                                     reduction: str = "mean", pos_weight: Any = None) -> Tensor:
    """BCE on raw scores with the sigmoid inside, stable for any logit."""
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    _check_same_shape("binary_cross_entropy_with_logits", input, target)
    pw = None if pos_weight is None else np.asarray(to_array(pos_weight), dtype=input.dtype)
    losses = BinaryCrossEntropyWithLogits.apply(input, target, pos_weight=pw)
    return _reduce(losses if weight is None else losses * weight, reduction)
