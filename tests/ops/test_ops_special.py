"""Pinned conventions and edge cases of the ops: derivatives at kinks, ties, repeated indices,
numerical stability, dtype preservation and the messages of shape errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _scales import log_softmax_scale, softmax_scale
from _tolerance import assert_close

import neuralab as nl
import neuralab.nn.functional as F

pytestmark = pytest.mark.filterwarnings("error")


def f32(array: np.ndarray) -> nl.Tensor:
    return nl.tensor(array, dtype=nl.float32)


def grad_of(fn: Callable[[nl.Tensor], nl.Tensor], values: Any,
            dtype: type = np.float64) -> np.ndarray:
    """d(Σ fn(x))/dx at ``values``."""
    x = nl.Tensor(np.array(values, dtype=dtype), requires_grad=True)
    fn(x).sum().backward()
    return x.grad.numpy()


# ----------------------------------------------------------------- derivatives at kinks


def test_relu_derivative_at_zero_is_zero_like_torch() -> None:
    values = [-2.0, -0.0, 0.0, 1e-300, 3.0]
    np.testing.assert_array_equal(grad_of(F.relu, values), [0.0, 0.0, 0.0, 1.0, 1.0])
    t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    TF.relu(t).sum().backward()
    np.testing.assert_array_equal(grad_of(F.relu, values), t.grad.numpy())


@pytest.mark.parametrize("slope", [None, 0.2])
def test_leaky_relu_derivative_at_zero_is_the_negative_slope(slope: float | None) -> None:
    fn = F.leaky_relu if slope is None else (lambda x: F.leaky_relu(x, negative_slope=slope))
    expected_slope = 0.01 if slope is None else slope
    values = [-2.0, 0.0, 3.0]
    np.testing.assert_array_equal(grad_of(fn, values), [expected_slope, expected_slope, 1.0])
    t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    TF.leaky_relu(t, expected_slope).sum().backward()
    np.testing.assert_array_equal(grad_of(fn, values), t.grad.numpy())


def test_leaky_relu_output_is_negative_slope_times_x_below_zero() -> None:
    y = F.leaky_relu(nl.Tensor(np.array([-3.0, 0.0, 2.0])), 0.1)
    # x·0.1 is one correctly rounded product (−0.30000000000000004, not the literal −0.3)
    np.testing.assert_array_equal(y.data, [-3.0 * 0.1, 0.0, 2.0])


def test_step_passes_no_gradient_anywhere() -> None:
    values = [-1e4, -1.0, -1e-12, 0.0, 1e-12, 1.0, 1e4]
    y = nl.step(nl.Tensor(np.array(values)))
    np.testing.assert_array_equal(y.data, [0, 0, 0, 0, 1, 1, 1])
    grad = grad_of(nl.step, values)
    np.testing.assert_array_equal(grad, np.zeros(len(values)))
    # through a chain too: a step in the middle blocks everything before it
    np.testing.assert_array_equal(grad_of(lambda x: nl.step(x * 3.0).exp() * x, [1.0, -1.0]),
                                  [np.e, 1.0])


def test_abs_derivative_at_zero_is_zero() -> None:
    np.testing.assert_array_equal(grad_of(nl.abs, [-2.0, 0.0, 5.0]), [-1.0, 0.0, 1.0])


def test_clip_passes_gradient_at_exactly_the_bounds() -> None:
    values = [-1.0, -0.5, 0.0, 0.5, 1.0]
    np.testing.assert_array_equal(grad_of(lambda x: x.clip(-0.5, 0.5), values),
                                  [0.0, 1.0, 1.0, 1.0, 0.0])
    np.testing.assert_array_equal(grad_of(lambda x: x.clamp(min=0.0), [-1.0, 0.0, 2.0]),
                                  [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(grad_of(lambda x: x.clamp(max=0.0), [-1.0, 0.0, 2.0]),
                                  [1.0, 1.0, 0.0])


def test_clip_needs_a_bound() -> None:
    with pytest.raises(ValueError, match="at least one of min and max"):
        nl.clip(nl.Tensor(np.zeros(2)))


def test_max_ties_share_the_gradient_equally() -> None:
    """amax/amin and max()/min() without a dim share a tied gradient (PyTorch's AmaxBackward0
    and MaxBackward1); max(dim) gives it to the element its index names (MaxBackward0)."""
    x = [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]
    # g/count: one rounding of the exact share
    expected = np.array([[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    assert_close(grad_of(lambda t: t.amax(axis=1), x), expected, scale=expected)
    expected = np.array([[1 / 3, 0], [1 / 3, 1 / 3]])
    assert_close(grad_of(nl.max, [[3.0, 1.0], [3.0, 3.0]]), expected, scale=expected)
    assert_close(grad_of(nl.amin, [[3.0, 1.0], [1.0, 3.0]]), [[0, 0.5], [0.5, 0]],
                 scale=0.5)
    np.testing.assert_array_equal(grad_of(lambda t: t.amax(axis=0, keepdims=True), x),
                                  [[0, 1, 1], [1, 0, 0]])
    # max(dim): the first of the tied maxima takes the whole gradient, as its index says
    np.testing.assert_array_equal(grad_of(lambda t: t.max(1).values, x), [[0, 1, 0], [1, 0, 0]])
    for fn in (lambda t: t.max(), lambda t: t.amax(1), lambda t: t.max(1).values):
        expected_torch = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        fn(expected_torch).sum().backward()
        np.testing.assert_array_equal(grad_of(fn, x), expected_torch.grad.numpy())


def test_pow_with_zero_exponent_has_zero_gradient_even_at_zero() -> None:
    np.testing.assert_array_equal(grad_of(lambda x: x**0, [0.0, 2.0]), [0.0, 0.0])
    a = nl.Tensor(np.array([0.0, 0.0, 2.0]), requires_grad=True)
    b = nl.Tensor(np.array([0.0, 2.0, 1.0]), requires_grad=True)
    (a**b).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.0, 0.0, 1.0])  # 1·2⁰: exact
    expected = np.array([0.0, 0.0, 2 * np.log(2.0)])  # 2¹·ln 2: a product and a log
    assert_close(b.grad, expected, scale=expected, terms=2)


# --------------------------------------------------------------------------- indexing


def test_repeated_indices_count_their_gradient_every_time() -> None:
    np.testing.assert_array_equal(grad_of(lambda x: x[[0, 0, 2]], [10.0, 20.0, 30.0]),
                                  [2.0, 0.0, 1.0])
    np.testing.assert_array_equal(grad_of(lambda x: x[np.array([1, 1, 1, 0])], [5.0, 6.0]),
                                  [1.0, 3.0])
    grad = grad_of(lambda x: x[[0, 1, 0], [2, 2, 2]], np.zeros((2, 3)))
    np.testing.assert_array_equal(grad, [[0, 0, 2], [0, 0, 1]])


def test_upstream_gradient_of_repeated_index_is_summed() -> None:
    x = nl.Tensor(np.arange(3.0), requires_grad=True)
    x[[2, 0, 2]].backward(np.array([1.0, 10.0, 100.0]))
    np.testing.assert_array_equal(x.grad, [10.0, 0.0, 101.0])


def test_boolean_mask_gradient_lands_on_selected_elements() -> None:
    mask = np.array([[True, False], [False, True], [True, True]])
    x = nl.Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    y = x[mask]
    np.testing.assert_array_equal(y.data, [0.0, 3.0, 4.0, 5.0])
    y.backward(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [[1, 0], [0, 2], [3, 4]])


def test_basic_slice_gradient_is_placed_in_the_slice() -> None:
    x = nl.Tensor(np.zeros((3, 4)), requires_grad=True)
    x[1:, ::2].backward(np.ones((2, 2)))
    np.testing.assert_array_equal(x.grad, [[0, 0, 0, 0], [1, 0, 1, 0], [1, 0, 1, 0]])


# ---------------------------------------------------------------- numerical stability


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_is_stable_for_huge_inputs(dtype: type) -> None:
    values = np.array([-1e4, -1000.0, -100.0, -30.0, 0.0, 30.0, 100.0, 1000.0, 1e4], dtype=dtype)
    x = nl.Tensor(values, requires_grad=True)
    y = nl.sigmoid(x)  # the module's filterwarnings("error") turns any overflow into a failure
    out = y.detach().numpy()
    assert np.all(np.isfinite(out)) and np.all((out >= 0) & (out <= 1))
    assert out[0] == 0.0 and out[-1] == 1.0 and out[4] == 0.5
    expected = torch.sigmoid(torch.from_numpy(values)).numpy()
    # e^(−|x|), 1 + z and a division: relative to the result itself. float32 torch flushes
    # σ(−100) ≈ 4e-44 (a subnormal) to 0, neuralab keeps it: the bound's underflow term.
    assert_close(y.data, expected, scale=np.abs(expected), terms=3)
    y.backward(np.ones_like(values))
    assert np.all(np.isfinite(x.grad))
    assert x.grad[0] == 0.0 and x.grad[-1] == 0.0 and x.grad[4] == 0.25


def test_sigmoid_keeps_relative_precision_of_tiny_outputs() -> None:
    y = nl.sigmoid(nl.Tensor(np.array([-30.0, -700.0])))
    expected = np.array([np.exp(-30.0) / (1 + np.exp(-30.0)), np.exp(-700.0)])
    # a few roundings relative to the tiny result itself (1 − σ(30) would lose every digit)
    assert_close(y.data, expected, scale=expected, terms=3)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_log_softmax_and_softmax_are_stable_for_huge_logits(dtype: type) -> None:
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]], dtype=dtype)
    x = nl.Tensor(logits, requires_grad=True)
    y = F.log_softmax(x, axis=1)
    g = np.arange(9, dtype=dtype).reshape(3, 3)
    # relative to the terms |x − m| and |ln s| of each element (``log_softmax_scale``)
    value_scale, (grad_scale,), terms = log_softmax_scale(1)([logits.astype(np.float64)], g,
                                                             [True])
    assert_close(
        y.data,
        [[0.0, -2e4, -1e4], [-np.log(3)] * 3, [-np.log(2), -np.log(2), -2e4 - np.log(2)]],
        scale=value_scale, terms=terms)
    y.backward(g)
    assert np.all(np.isfinite(x.grad))
    expected = torch.from_numpy(logits).requires_grad_()
    TF.log_softmax(expected, 1).backward(torch.from_numpy(g))
    assert_close(x.grad, expected.grad.numpy(), scale=grad_scale, terms=terms)

    p = F.softmax(nl.Tensor(logits), axis=1)
    assert np.all(np.isfinite(p.data))
    # a sum of 3 probabilities, each within its own bound (``softmax_scale``)
    p_scale, _, terms = softmax_scale(1)([logits.astype(np.float64)], g, [True])
    assert_close(p.data.numpy().sum(axis=1), np.ones(3), scale=p_scale.sum(axis=1), terms=terms + 3)
    # e^0 / (e^0 + e^−2e4 + e^−1e4) = 1/(1 + 0 + 0): exact
    np.testing.assert_array_equal(p.data[0], [1.0, 0.0, 0.0])


# -------------------------------------------------------------------- float32 stays float32


@pytest.mark.parametrize("expression", [
    lambda x: x * 2.0,
    lambda x: 2.0 * x,
    lambda x: x + 1,
    lambda x: 1 - x,
    lambda x: x / 3,
    lambda x: x**2,
    lambda x: 2**x,
    lambda x: nl.sigmoid(x),
    lambda x: x.tanh(),
    lambda x: F.softmax(x, axis=1),
    lambda x: F.log_softmax(x, axis=1),
    lambda x: x.max(axis=1).values,
    lambda x: x.amax(1),
    lambda x: x.max(),
    lambda x: x.mean(),
    lambda x: x.clip(-0.5, 0.5),
    lambda x: nl.where(x.data > 0, x, 0.0),
    lambda x: x @ f32(np.ones((3, 2))),
    lambda x: F.linear(x, f32(np.ones((2, 3))), f32(np.zeros(2))),
    lambda x: F.cross_entropy(x, np.array([0, 2])),
    lambda x: F.cross_entropy(x, np.array([0, 2]), weight=f32(np.ones(3)), label_smoothing=0.1),
    lambda x: F.cross_entropy(x, f32(np.full((2, 3), 1 / 3))),
    lambda x: F.mse_loss(x, f32(np.zeros((2, 3)))),
    lambda x: F.binary_cross_entropy_with_logits(x, f32(np.ones((2, 3))),
                                                 pos_weight=f32(np.ones(3))),
    lambda x: F.binary_cross_entropy(nl.sigmoid(x), f32(np.ones((2, 3))),
                                     weight=f32(np.ones(3))),
], ids=["mul_float", "rmul_float", "add_int", "rsub_int", "div_int", "pow_int", "rpow_int",
        "sigmoid", "tanh", "softmax", "log_softmax", "max_dim", "amax", "max", "mean", "clip",
        "where", "matmul", "linear", "cross_entropy", "cross_entropy_options",
        "cross_entropy_probs", "mse", "bce_logits", "bce"])
def test_float32_stays_float32(expression: Callable[[nl.Tensor], nl.Tensor]) -> None:
    """A float32 graph (float32 tensors, Python numbers, float32 constants) stays float32 in
    its values and gradients. Constants are float32 tensors, as in PyTorch, where a float64
    target promotes an mse_loss to float64 and a float64 bce weight is refused."""
    x = nl.Tensor(np.array([[0.5, -1.0, 2.0], [0.1, 0.2, -0.3]], dtype=np.float32),
                  requires_grad=True)
    y = expression(x)
    assert y.dtype == np.float32
    y.backward(np.ones(y.shape, dtype=np.float32))
    assert x.grad is not None and x.grad.dtype == np.float32


def test_cast_to_an_integer_dtype_leaves_the_graph() -> None:
    x = nl.Tensor(np.array([1.7, -2.2]), requires_grad=True)
    y = x.to(nl.int64)
    assert y.dtype == np.int64 and not y.requires_grad
    np.testing.assert_array_equal(y.data, [1, -2])
    assert not torch.tensor([1.7], requires_grad=True).to(torch.int64).requires_grad
    z = x.to(nl.float32)
    assert z.dtype == np.float32 and z.requires_grad
    z.backward(np.ones(2, dtype=np.float32))
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def test_reducing_a_0d_tensor_over_axis_0_or_minus_1_like_torch() -> None:
    x = nl.Tensor(np.array(3.0), requires_grad=True)
    for y in (x.sum(axis=0), x.mean(axis=-1), x.max(dim=0, keepdim=True).values,
              x.amax(-1, keepdim=True)):
        assert y.shape == () and y.item() == 3.0
    for bad in (1, -2):
        message = rf"Dimension out of range \(expected to be in range of \[-1, 0\], but got {bad}\)"
        with pytest.raises(IndexError, match=message):
            x.sum(axis=bad)
        with pytest.raises(IndexError, match=message):
            torch.tensor(3.0).sum(bad)


# ------------------------------------------------------------------------ shape errors


@pytest.mark.parametrize(("a_shape", "b_shape", "message"), [
    ((2, 3), (4, 5), r"shapes \(2, 3\) and \(4, 5\) do not fit.*\(3\).*second-to-last.*\(4\)"),
    ((3,), (4,), r"shapes \(3,\) and \(4,\) do not fit.*\(3\).*only axis.*\(4\)"),
    ((2, 2, 3), (2, 4, 1), r"shapes \(2, 2, 3\) and \(2, 4, 1\) do not fit"),
])
def test_matmul_shape_mismatch_is_explained(a_shape: tuple, b_shape: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        nl.matmul(nl.Tensor(np.zeros(a_shape)), nl.Tensor(np.zeros(b_shape)))


def test_matmul_rejects_scalars() -> None:
    with pytest.raises(ValueError, match="at least one dimension"):
        nl.Tensor(np.zeros(())) @ nl.Tensor(np.zeros(3))


def test_linear_shape_mismatch_is_explained() -> None:
    with pytest.raises(ValueError, match=r"input of shape \(5, 3\) has 3 features.*"
                                         r"weight of shape \(2, 4\) expects 4"):
        F.linear(nl.Tensor(np.zeros((5, 3))), nl.Tensor(np.zeros((2, 4))))
