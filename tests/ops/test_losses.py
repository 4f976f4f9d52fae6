"""Losses: hand-computed values, stability for extreme logits, PyTorch's conventions for
ignored targets, and the errors for bad targets and shapes.

Values are compared within bounds from their terms (``_scales``' loss scales: the magnitudes
of the terms each loss and gradient element sums, and how many), exactly where every step is
exact."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _scales import bce_with_logits_scale, binary_cross_entropy_scale, cross_entropy_scale
from _tolerance import assert_close

import neuralab as nl
import neuralab.nn.functional as F

pytestmark = pytest.mark.filterwarnings("error")

LOGITS = np.array([[2.0, -1.0, 0.5, 0.0], [0.1, 0.2, 0.3, 0.4], [-3.0, 1.0, 1.0, 2.0]])


def leaf(values: Any, dtype: type = np.float64) -> nl.Tensor:
    return nl.Tensor(np.array(values, dtype=dtype), requires_grad=True)


# ------------------------------------------------------------------ cross_entropy_error


def _cee_by_hand(y: np.ndarray, t: np.ndarray) -> float:
    return -np.sum(t * np.log(y + 1e-7)) / y.shape[0]


def _ce_scales(logits: np.ndarray, target: np.ndarray, reduction: str = "mean",
               upstream: Any = 1.0, weight: np.ndarray | None = None,
               **options: Any) -> tuple[np.ndarray, np.ndarray, int]:
    """cross_entropy's value scale, gradient scale and terms (``cross_entropy_scale``)."""
    inputs = [np.asarray(logits, np.float64), target]
    if weight is not None:
        inputs.append(weight)
    value, (grad,), terms = cross_entropy_scale(reduction, weighted=weight is not None,
                                                **options)(
        inputs, np.asarray(upstream, np.float64), [True] + [False] * (len(inputs) - 1))
    return value, grad, terms


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cross_entropy_error_is_the_textbook_formula(dtype: type) -> None:
    y = np.array([[0.1, 0.05, 0.6, 0.0, 0.25], [0.8, 0.1, 0.0, 0.05, 0.05]], dtype=dtype)
    labels = np.array([2, 3])
    one_hot = np.eye(5, dtype=dtype)[labels]
    expected = _cee_by_hand(y.astype(np.float64), one_hot.astype(np.float64))
    # d/dy of −Σ t·ln(y + 1e-7)/N is −t / ((y + 1e-7)·N)
    expected_grad = -one_hot / ((y.astype(np.float64) + 1e-7) * 2)
    # Terms t·(|ln(y + 1e-7)| + 1) (1: the rounding of y + 1e-7 is an absolute error of its log)
    # summed over all 10 elements; the gradient is a product and a quotient per element.
    y64 = y.astype(np.float64)
    scale = np.sum(one_hot * (np.abs(np.log(y64 + 1e-7)) + 1)) / 2
    for target in (one_hot, labels):
        p = leaf(y, dtype)
        loss = F.cross_entropy_error(p, target)
        assert loss.shape == () and loss.dtype == dtype
        assert_close(loss.item(), expected, scale=scale, terms=y.size + 2, dtype=dtype)
        loss.backward()
        assert_close(p.grad, expected_grad, scale=np.abs(expected_grad), terms=3)


def test_cross_entropy_error_of_a_zero_probability_is_finite() -> None:
    # the correct class has probability 0: the 1e-7 keeps the loss at −ln(1e-7) ≈ 16.1
    loss = F.cross_entropy_error(leaf([[0.0, 1.0]]), np.array([0]))
    # 0 + 1e-7, a log and a sign: a few roundings of the result itself
    assert_close(loss.item(), -np.log(1e-7), scale=-np.log(1e-7), terms=3)


def test_cross_entropy_error_of_one_unbatched_example() -> None:
    y = np.array([0.2, 0.7, 0.1])
    for target in (np.array(1), np.array([0.0, 1.0, 0.0])):
        loss = F.cross_entropy_error(leaf(y), target)
        # 3 terms (two of them 0·log) and the rounding of 0.7 + 1e-7 (an absolute error of log)
        assert_close(loss.item(), -np.log(0.7 + 1e-7), scale=-np.log(0.7 + 1e-7) + 1, terms=3)


def test_cross_entropy_error_rejects_a_bad_class_index() -> None:
    with pytest.raises(IndexError, match=r"target 7 at position 1 .*\[0, 3\)"):
        F.cross_entropy_error(leaf(np.full((2, 3), 1 / 3)), np.array([0, 7]))


# -------------------------------------------------------------------------- cross_entropy


def test_cross_entropy_matches_a_hand_computed_value() -> None:
    target = np.array([0, 3, 1])
    log_p = LOGITS - np.log(np.exp(LOGITS).sum(axis=1, keepdims=True))
    expected = -log_p[np.arange(3), target].mean()
    x = leaf(LOGITS)
    loss = F.cross_entropy(x, target)
    value_scale, grad_scale, terms = _ce_scales(LOGITS, target)
    assert_close(loss.item(), expected, scale=value_scale, terms=terms)
    loss.backward()
    softmax = np.exp(log_p)
    assert_close(x.grad, (softmax - np.eye(4)[target]) / 3, scale=grad_scale, terms=terms)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_is_one_node_whose_gradient_is_softmax_minus_one_hot(
        reduction: str) -> None:
    target = np.array([0, 3, 1])
    x = leaf(LOGITS, np.float32)
    loss = F.cross_entropy(x, target, reduction=reduction)
    # one fused node (torch's graph has LogSoftmax and NllLoss nodes; the gradient is the same)
    assert loss.grad_fn.name() == "CrossEntropyBackward0" and loss.dtype == np.float32
    assert [type(fn).__name__ for fn, _ in loss.grad_fn.next_functions] == ["AccumulateGrad"]
    upstream = np.array([1.0, 2.0, -0.5], np.float32) if reduction == "none" else None
    loss.backward(upstream)
    logits = LOGITS.astype(np.float32).astype(np.float64)  # the values the op saw
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    scale = {"mean": np.full(3, 1 / 3), "sum": np.ones(3), "none": upstream}[reduction]
    assert x.grad.dtype == np.float32
    _, grad_scale, terms = _ce_scales(logits, target, reduction,
                                      1.0 if upstream is None else upstream)
    assert_close(x.grad, (softmax - np.eye(4)[target]) * scale[:, None], scale=grad_scale,
                 terms=terms, dtype=np.float32)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("probabilities", [False, True])
def test_cross_entropy_is_finite_for_logits_of_1e4(dtype: type, probabilities: bool) -> None:
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, -1e4], [0.0, 0.0, 0.0]], dtype=dtype)
    labels = np.array([0, 0, 2])
    target = np.eye(3, dtype=dtype)[labels] if probabilities else labels
    x = leaf(logits, dtype)
    loss = F.cross_entropy(x, target, reduction="none")
    # relative to the terms |x − m| + |m| + |ln s| ≈ 2e4 of a row, not to its loss of 0
    value_scale, grad_scale, terms = _ce_scales(logits, target, "none", np.ones(3))
    assert_close(loss.data, [0.0, 2e4, np.log(3)], scale=value_scale, terms=terms)
    loss.sum().backward()
    assert np.all(np.isfinite(x.grad))
    assert_close(x.grad, [[0, 0, 0], [-1, 1, 0], [1 / 3, 1 / 3, -2 / 3]], scale=grad_scale,
                 terms=terms)


def test_cross_entropy_ignore_index_and_weight_follow_torch_normalization() -> None:
    # 'mean' divides by the summed weight of the non-ignored targets, not by N
    target = np.array([0, -100, 2])
    weight = np.array([2.0, 1.0, 0.5, 1.0])
    log_p = LOGITS - np.log(np.exp(LOGITS).sum(axis=1, keepdims=True))
    expected = -(2.0 * log_p[0, 0] + 0.5 * log_p[2, 2]) / 2.5
    loss = F.cross_entropy(leaf(LOGITS), target, weight=weight)
    value_scale, _, terms = _ce_scales(LOGITS, target, weight=weight)
    assert_close(loss.item(), expected, scale=value_scale, terms=terms)
    per_example = F.cross_entropy(leaf(LOGITS), target, weight=weight, reduction="none")
    value_scale, _, terms = _ce_scales(LOGITS, target, "none", np.ones(3), weight=weight)
    assert_close(per_example.data, [-2.0 * log_p[0, 0], 0.0, -0.5 * log_p[2, 2]],
                 scale=value_scale, terms=terms)


@pytest.mark.parametrize("loss_fn", [F.cross_entropy, F.nll_loss],
                         ids=["cross_entropy", "nll_loss"])
def test_every_target_ignored_gives_nan_mean_and_zero_gradient(loss_fn: Callable) -> None:
    x = leaf(LOGITS)
    loss = loss_fn(x, np.array([-100, -100, -100]))
    assert np.isnan(loss.item())
    loss.backward()
    np.testing.assert_array_equal(x.grad, np.zeros_like(LOGITS))
    t = torch.tensor(LOGITS, requires_grad=True)
    torch_fn = TF.cross_entropy if loss_fn is F.cross_entropy else TF.nll_loss
    torch_fn(t, torch.tensor([-100, -100, -100])).backward()
    np.testing.assert_array_equal(x.grad, t.grad.numpy())


def test_label_smoothing_mixes_in_a_uniform_target() -> None:
    target = np.array([1, 0, 3])
    eps = 0.2
    log_p = LOGITS - np.log(np.exp(LOGITS).sum(axis=1, keepdims=True))
    smoothed = np.eye(4)[target] * (1 - eps) + eps / 4
    expected = -(smoothed * log_p).sum(axis=1).mean()
    loss = F.cross_entropy(leaf(LOGITS), target, label_smoothing=eps)
    value_scale, _, terms = _ce_scales(LOGITS, target, label_smoothing=eps)
    assert_close(loss.item(), expected, scale=value_scale, terms=terms)
    # the same with the smoothed distribution given as probabilities (the same terms)
    assert_close(F.cross_entropy(leaf(LOGITS), smoothed).item(), expected,
                 scale=_ce_scales(LOGITS, smoothed)[0], terms=terms)


def test_cross_entropy_unbatched_and_spatial_shapes() -> None:
    one = F.cross_entropy(leaf(LOGITS[2]), np.array(3), reduction="none")
    assert one.shape == ()
    batched = F.cross_entropy(leaf(LOGITS), np.array([0, 0, 3]), reduction="none")
    value_scale, _, terms = _ce_scales(LOGITS, np.array([0, 0, 3]), "none", np.ones(3))
    assert_close(one.item(), batched.data[2], scale=value_scale[2], terms=terms)
    spatial = np.stack([LOGITS.T, LOGITS.T[:, ::-1]])  # (N=2, C=4, d1=3)
    target = np.array([[0, 1, 2], [3, 3, 0]])
    loss = F.cross_entropy(leaf(spatial), target, reduction="none")
    assert loss.shape == (2, 3)
    expected = TF.cross_entropy(torch.from_numpy(spatial), torch.from_numpy(target),
                                reduction="none").numpy()
    value_scale, _, terms = _ce_scales(spatial, target, "none", np.ones((2, 3)))
    assert_close(loss.data, expected, scale=value_scale, terms=terms)


@pytest.mark.parametrize(("target", "message"), [
    (np.array([0, 4, 1]), r"target 4 at position 1 is not a class index in \[0, 4\)"),
    (np.array([0, 1, -1]), r"target -1 at position 2 is not a class index in \[0, 4\)"),
    (np.array([9, 1, 2]), r"target 9 at position 0"),
])
def test_cross_entropy_rejects_a_class_outside_the_range(target: np.ndarray,
                                                         message: str) -> None:
    with pytest.raises(IndexError, match=message):
        F.cross_entropy(leaf(LOGITS), target)
    with pytest.raises(IndexError, match=message.replace("cross_entropy", "nll_loss")):
        F.nll_loss(leaf(LOGITS), target)


def test_cross_entropy_rejects_float_class_indices() -> None:
    with pytest.raises(TypeError, match=r"class-index targets must be integers of shape \(3,\)"):
        F.cross_entropy(leaf(LOGITS), np.array([0.0, 1.0, 2.0]))
    with pytest.raises(TypeError, match=r"class-index targets must be integers \(int64\)"):
        F.nll_loss(leaf(LOGITS), np.array([0.0, 1.0, 2.0]))


def test_cross_entropy_rejects_mismatched_batch_sizes() -> None:
    with pytest.raises(ValueError, match=r"batch sizes differ: input has 3 examples.*shape \(2,\)"):
        F.cross_entropy(leaf(LOGITS), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"expected a target of shape \(3,\).*got shape \(4,\)"):
        F.nll_loss(leaf(LOGITS), np.array([0, 1, 2, 3]))


def test_cross_entropy_rejects_ignore_index_with_probability_targets() -> None:
    with pytest.raises(ValueError, match="ignore_index applies to class-index targets only"):
        F.cross_entropy(leaf(LOGITS), np.full((3, 4), 0.25), ignore_index=0)
    with pytest.raises(RuntimeError, match="ignore_index is not supported"):
        TF.cross_entropy(torch.tensor(LOGITS), torch.full((3, 4), 0.25), ignore_index=0)


def test_cross_entropy_rejects_bad_options() -> None:
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.cross_entropy(leaf(LOGITS), np.array([0, 1, 2]), reduction="avg")
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\], got 1.5"):
        F.cross_entropy(leaf(LOGITS), np.array([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"weight must have shape \(4,\), got \(3,\)"):
        F.cross_entropy(leaf(LOGITS), np.array([0, 1, 2]), weight=np.ones(3))


# ----------------------------------------------------------------------- mse and binary


def test_mse_loss_value_and_gradient() -> None:
    x = leaf([[1.0, 2.0], [3.0, 5.0]])
    loss = F.mse_loss(x, np.array([[1.0, 0.0], [0.0, 1.0]]))
    # small integers, their squares and quarters: every step is exact
    assert loss.item() == (0 + 4 + 9 + 16) / 4
    loss.backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 1.0], [1.5, 2.0]])


def test_mse_loss_rejects_a_shape_mismatch() -> None:
    with pytest.raises(ValueError, match=r"input has shape \(3, 2\) but target has shape "
                                         r"\(2, 3\)"):
        F.mse_loss(leaf(np.zeros((3, 2))), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"input has shape \(4,\) but target has shape \(4, 1\)"):
        F.mse_loss(leaf(np.zeros(4)), np.zeros((4, 1)))


def test_binary_cross_entropy_value_weight_and_clamp() -> None:
    p = leaf([0.9, 0.2, 0.0])
    t = np.array([1.0, 0.0, 1.0])
    weight = np.array([1.0, 2.0, 0.5])
    loss = F.binary_cross_entropy(p, t, weight=weight, reduction="none")
    value_scale, (grad_scale,), terms = binary_cross_entropy_scale("none", weighted=True)(
        [p.detach().numpy(), t, weight], np.ones(3), [True, False, False])
    # log(0) is clamped at −100, as in PyTorch
    assert_close(loss.data, [-np.log(0.9), -2 * np.log(0.8), 50.0], scale=value_scale,
                 terms=terms)
    loss.backward(np.ones(3))
    assert_close(p.grad, [-1 / 0.9, 2 / 0.8, -0.5e12], scale=grad_scale, terms=terms)


def test_binary_cross_entropy_rejects_values_outside_0_1() -> None:
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\].*with_logits"):
        F.binary_cross_entropy(leaf([0.5, 1.5]), np.array([0.0, 1.0]))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_binary_cross_entropy_with_logits_is_stable_for_large_logits(dtype: type) -> None:
    x = leaf([-1e4, -100.0, 0.0, 100.0, 1e4], dtype)
    t = np.array([1.0, 0.0, 0.5, 1.0, 0.0], dtype=dtype)
    pos_weight = np.full(5, 3.0)
    loss = F.binary_cross_entropy_with_logits(x, t, pos_weight=pos_weight, reduction="none")
    assert loss.dtype == dtype
    tail = np.log1p(np.exp(-100.0))  # ln(1 + e^-100) ≈ 3.7e-44, not 0
    expected = [3e4, tail, 0.5 * np.log(2) + 0.5 * 3 * np.log(2), 3 * tail, 1e4]
    value_scale, (grad_scale,), terms = bce_with_logits_scale("none", pos_weighted=True)(
        [x.detach().numpy().astype(np.float64), t.astype(np.float64), pos_weight],
        np.ones(5, dtype), [True, False, False])
    # σ(−100)-sized terms (e^-100 ≈ 4e-44) are below float32's normal range: the bound's
    # underflow term covers them
    assert_close(loss.data, expected, scale=value_scale, terms=terms)
    loss.backward(np.ones(5, dtype=dtype))
    assert np.all(np.isfinite(x.grad))
    # dloss/dx = σ(x)·(1 + (pw − 1)·t) − pw·t
    sig = np.exp(-100.0) / (1 + np.exp(-100.0))  # σ(−100) ≈ 3.7e-44, not 0
    assert_close(x.grad, [-3.0, sig, 0.5 * 2 - 1.5, -3 * sig, 1.0], scale=grad_scale,
                 terms=terms)


def test_binary_cross_entropy_with_logits_weight_scales_each_element() -> None:
    x, t = leaf([[0.3, -0.2], [1.0, 2.0]]), np.array([[1.0, 0.0], [0.0, 1.0]])
    weight = np.array([2.0, 0.5])
    plain = F.binary_cross_entropy_with_logits(x, t, reduction="none").data
    weighted = F.binary_cross_entropy_with_logits(x, t, weight=weight, reduction="none")
    # the same losses times the weight: one correctly rounded product each, so exact
    np.testing.assert_array_equal(weighted.data, plain * weight)
    # their mean: a sum of 4 non-negative terms (any order) and a division
    assert_close(F.binary_cross_entropy_with_logits(x, t, weight=weight).item(),
                 (plain * weight).mean(), scale=(plain * weight).mean(), terms=4 + 1)
