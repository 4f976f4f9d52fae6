"""dtypes through losses and layers, as PyTorch 2.13 has them: which dtype a loss of mixed
operands gives, which mixtures a layer refuses (with PyTorch's exception type and a message that
names both dtypes), and that constants still take the tensor's dtype.

Each case runs the same call on torch and on neuralab with the same arrays: the result dtype,
the value and the input gradient's dtype must agree, or both must raise (neuralab's error
caught by torch's exception type).
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _tolerance import assert_close

import neuralab as nl
import neuralab.nn.functional as F

RNG = np.random.default_rng(7)
LOGITS = RNG.standard_normal((4, 3))
UNIT = RNG.uniform(0.05, 0.95, (4, 3))  # probabilities / targets in (0, 1)
PROBS = UNIT / UNIT.sum(axis=1, keepdims=True)  # rows summing to 1
INDICES = np.array([0, 2, 1, 2])
CLASS_WEIGHT = np.array([1.0, 2.0, 0.5])
FLOATS = ("float16", "float32", "float64")


def _dtype(t: Any) -> np.dtype:
    return np.dtype(str(t.dtype).removeprefix("torch."))


def _run_both(call: Callable[..., Any], args: list[tuple[np.ndarray, bool]]) -> None:
    """``call(lib, *tensors)`` with torch and neuralab on the same arrays (``(array,
    requires_grad)`` each): same dtype, value within the dtype's rounding, same gradient dtype;
    or both raise, neuralab's error an instance of torch's exception type."""
    results, errors, leaves = {}, {}, {}
    for lib in ("torch", "nl"):
        made = [torch.tensor(a, requires_grad=g) if lib == "torch" else
                nl.tensor(a, requires_grad=g) for a, g in args]
        leaves[lib] = [t for t, (_, g) in zip(made, args) if g]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                results[lib] = call(TF if lib == "torch" else F, *made)
        except Exception as error:  # noqa: BLE001 - torch's error is the reference
            errors[lib] = error
    where = f"{[f'{a.dtype}' for a, _ in args]}"
    if "torch" in errors:
        assert "nl" in errors, (f"{where}: torch raises {errors['torch']!r}, neuralab gives "
                                f"{results['nl']!r}")
        assert isinstance(errors["nl"], type(errors["torch"])), (
            f"{where}: torch raises {type(errors['torch']).__name__}, neuralab "
            f"{errors['nl']!r}")
        return
    assert "nl" not in errors, f"{where}: torch gives {results['torch']}, neuralab raises " \
                               f"{errors['nl']!r}"
    expected, actual = results["torch"], results["nl"]
    assert actual.dtype == _dtype(expected), f"{where}: {actual.dtype}, torch {expected.dtype}"
    want = expected.detach().numpy()
    # Every intermediate of these losses is of order 1 (logits, logs of probabilities in
    # (0.05, 1)), so each of the ~3·n roundings of a value over n elements is within eps of
    # 1 + |value|; the least precise operand's dtype sets eps (a float16 operand is rounded).
    floats = [d for d in (*(a.dtype for a, _ in args), actual.dtype) if d.kind == "f"]
    precision = min(floats, key=lambda d: d.itemsize, default=np.dtype(np.float64))
    assert_close(actual.detach().numpy(), want, scale=1 + np.abs(want.astype(np.float64)),
                 terms=3 * args[0][0].size, dtype=precision, err_msg=where)
    if leaves["torch"]:
        expected.sum().backward()
        actual.sum().backward()
        for t_leaf, n_leaf in zip(leaves["torch"], leaves["nl"]):
            assert n_leaf.grad is not None and n_leaf.grad.dtype == _dtype(t_leaf.grad), where


def _as(array: np.ndarray, dtype: str) -> np.ndarray:
    return array.astype(dtype)


# ------------------------------------------------------------------------------- losses

POINTWISE_TARGETS = (*FLOATS, "int64", "int32", "bool")


@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss", "binary_cross_entropy_with_logits",
                                  "binary_cross_entropy"])
def test_pointwise_loss_dtypes_match_torch(loss: str) -> None:
    """Every float input dtype against every target dtype (float, int, bool)."""
    for x_dtype, t_dtype in itertools.product(FLOATS, POINTWISE_TARGETS):
        x = UNIT if loss == "binary_cross_entropy" else LOGITS
        target = _as(UNIT.round() if t_dtype[0] in "ib" else UNIT, t_dtype)
        _run_both(lambda lib, a, b, fn=loss: getattr(lib, fn)(a, b),
                  [(_as(x, x_dtype), True), (target, False)])


@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss", "binary_cross_entropy"])
def test_integer_inputs_have_no_loss_kernel(loss: str) -> None:
    """PyTorch: NotImplementedError ('"mse_cpu" not implemented for 'Long'')."""
    _run_both(lambda lib, a, b: getattr(lib, loss)(a, b),
              [(INDICES[:, None].repeat(3, 1), False), (INDICES[:, None].repeat(3, 1), False)])
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        getattr(F, loss)(nl.tensor(INDICES), nl.tensor(INDICES))


def test_weights_of_pointwise_losses_keep_the_loss_dtype() -> None:
    """A weight multiplies in place in PyTorch: it never changes the loss's dtype."""
    for x_dtype, w_dtype in itertools.product(FLOATS, FLOATS):
        weight = _as(np.array([1.0, 2.0, 0.5]), w_dtype)
        _run_both(lambda lib, a, b, w: lib.binary_cross_entropy(a, b, weight=w),
                  [(_as(UNIT, x_dtype), True), (_as(UNIT.round(), x_dtype), False),
                   (weight, False)])
        _run_both(lambda lib, a, b, w: lib.binary_cross_entropy_with_logits(a, b, weight=w),
                  [(_as(LOGITS, x_dtype), True), (_as(UNIT, x_dtype), False), (weight, False)])
        _run_both(lambda lib, a, b, w: lib.binary_cross_entropy_with_logits(a, b, pos_weight=w),
                  [(_as(LOGITS, x_dtype), True), (_as(UNIT, x_dtype), False), (weight, False)])


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_class_index_targets_match_torch(loss: str) -> None:
    """int64 and uint8 targets work, other dtypes raise; a weight must have the input's
    dtype."""
    for x_dtype, t_dtype in itertools.product(FLOATS, ("int64", "uint8", "int32", "int16",
                                                       "float32", "bool")):
        _run_both(lambda lib, a, b: getattr(lib, loss)(a, b),
                  [(_as(LOGITS, x_dtype), True), (_as(INDICES, t_dtype), False)])
    for x_dtype, w_dtype in itertools.product(FLOATS, FLOATS):
        _run_both(lambda lib, a, b, w: getattr(lib, loss)(a, b, weight=w),
                  [(_as(LOGITS, x_dtype), True), (INDICES, False),
                   (_as(CLASS_WEIGHT, w_dtype), False)])


def test_probability_targets_promote_like_torch() -> None:
    """Probabilities (and a weight tensor with them) promote with the input."""
    for x_dtype, t_dtype in itertools.product(FLOATS, FLOATS):
        args = [(_as(LOGITS, x_dtype), True), (_as(PROBS, t_dtype), True)]
        _run_both(lambda lib, a, b: lib.cross_entropy(a, b), args)
        _run_both(lambda lib, a, b: lib.cross_entropy(a, b, label_smoothing=0.1), args)
        _run_both(lambda lib, a, b, w: lib.cross_entropy(a, b, weight=w),
                  [(_as(LOGITS, x_dtype), True), (_as(PROBS, x_dtype), False),
                   (_as(CLASS_WEIGHT, t_dtype), False)])


def test_the_dtypes_the_issue_names() -> None:
    x32 = nl.tensor(LOGITS, dtype=nl.float32)
    t64 = nl.tensor(UNIT, dtype=nl.float64)
    assert F.mse_loss(x32, t64).dtype == nl.float64
    assert F.l1_loss(x32, t64).dtype == nl.float64
    assert F.binary_cross_entropy_with_logits(x32, t64).dtype == nl.float64
    assert F.cross_entropy(x32, nl.tensor(PROBS, dtype=nl.float64)).dtype == nl.float64
    assert F.cross_entropy(x32, nl.tensor(INDICES)).dtype == nl.float32
    assert F.mse_loss(x32, nl.tensor(INDICES[:, None].repeat(3, 1))).dtype == nl.float32
    p32 = nl.tensor(UNIT, dtype=nl.float32)
    with pytest.raises(RuntimeError, match="Found dtype Double but expected Float"):
        F.binary_cross_entropy(p32, t64)
    # the reverse order of BCE with logits keeps the target's dtype, as torch computes the
    # loss in place in (1 − target)
    assert F.binary_cross_entropy_with_logits(x32.double(), t64.float()).dtype == nl.float32


def test_targets_given_as_arrays_and_lists() -> None:
    """An array is a tensor of its dtype (torch.from_numpy); a list is what nl.tensor makes."""
    x32 = nl.tensor(LOGITS, dtype=nl.float32)
    assert F.mse_loss(x32, UNIT).dtype == nl.float64  # a float64 array promotes
    assert F.mse_loss(x32, UNIT.tolist()).dtype == nl.float32  # floats: the default dtype
    assert F.cross_entropy(x32, INDICES.tolist()).dtype == nl.float32
    with pytest.raises(RuntimeError, match="Found dtype Double but expected Float"):
        F.binary_cross_entropy(nl.tensor(UNIT, dtype=nl.float32), UNIT)
    # class weights that are not tensors are constants: converted to the input's dtype
    assert F.cross_entropy(x32, INDICES, weight=CLASS_WEIGHT).dtype == nl.float32
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        F.cross_entropy(x32, INDICES, weight=nl.tensor(CLASS_WEIGHT))


def test_loss_modules_follow_the_same_rules() -> None:
    x32 = nl.tensor(LOGITS, dtype=nl.float32)
    assert nl.nn.MSELoss()(x32, nl.tensor(UNIT)).dtype == nl.float64
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        nl.nn.CrossEntropyLoss(weight=nl.tensor(CLASS_WEIGHT))(x32, INDICES)
    loss = nl.nn.CrossEntropyLoss(weight=nl.tensor(CLASS_WEIGHT, dtype=nl.float32))
    assert loss(x32, INDICES).dtype == nl.float32


# ------------------------------------------------------------------------------- layers

ALL = ("float16", "float32", "float64", "int64", "int32", "uint8", "bool")


def test_matmul_dtypes_match_torch() -> None:
    """No promotion: every mixed pair raises; same-dtype integer products work."""
    a, b = RNG.integers(-3, 4, (2, 3)), RNG.integers(-3, 4, (3, 2))
    for a_dtype, b_dtype in itertools.product(ALL, ALL):
        for shapes in ((slice(None), slice(None)), (0, slice(None)), (0, (slice(None), 0))):
            _run_both(lambda lib, x, y: x @ y,
                      [(_as(a[shapes[0]], a_dtype), False), (_as(b[shapes[1]], b_dtype), False)])


def test_linear_dtypes_match_torch() -> None:
    x, w, bias = RNG.integers(-3, 4, (2, 3)), RNG.integers(-3, 4, (4, 3)), np.arange(4)
    for x_dtype, w_dtype in itertools.product(("float16", "float32", "float64", "int64"),
                                              repeat=2):
        _run_both(lambda lib, a, b: lib.linear(a, b), [(_as(x, x_dtype), False),
                                                       (_as(w, w_dtype), False)])
        _run_both(lambda lib, a, b, c: lib.linear(a, b, c),
                  [(_as(x, x_dtype), False), (_as(w, x_dtype), False),
                   (_as(bias, w_dtype), False)])


def test_linear_layer_refuses_a_float64_input() -> None:
    """The classic mistake: float64 data (NumPy's default) into a float32 model."""
    layer = nl.nn.Linear(3, 4)
    x64 = nl.tensor(LOGITS)  # an array keeps its float64
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 must have the same dtype, but got "
                                           r"Double and Float.*input is float64.*weight is "
                                           r"float32"):
        layer(x64)
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype"):
        torch.nn.Linear(3, 4)(torch.from_numpy(LOGITS))
    assert layer(x64.float()).dtype == nl.float32
    assert layer.double()(x64).dtype == nl.float64


def test_matmul_and_linear_convert_constants_to_the_tensor_dtype() -> None:
    x32 = nl.tensor(LOGITS, dtype=nl.float32)
    assert (x32 @ np.ones((3, 2))).dtype == nl.float32
    assert (np.ones((2, 4)) @ x32).dtype == nl.float32
    assert F.linear(x32, np.ones((2, 3)), np.ones(2)).dtype == nl.float32
    with pytest.raises(RuntimeError, match=r"expected m1 and m2 to have the same dtype, but "
                                           r"got: Float != Double"):
        x32 @ nl.tensor(np.ones((3, 2)))


def test_conv2d_dtypes_match_torch() -> None:
    x, w, b = (RNG.standard_normal((1, 2, 5, 5)), RNG.standard_normal((3, 2, 3, 3)),
               RNG.standard_normal(3))
    for x_dtype, w_dtype in itertools.product(("float32", "float64", "int64", "float16"),
                                              repeat=2):
        _run_both(lambda lib, a, c: lib.conv2d(a, c),
                  [(_as(x, x_dtype), False), (_as(w, w_dtype), False)])
        _run_both(lambda lib, a, c, d: lib.conv2d(a, c, d),
                  [(_as(x, x_dtype), False), (_as(w, x_dtype), False), (_as(b, w_dtype), False)])


def test_conv_layer_refuses_a_float64_input() -> None:
    layer = nl.nn.Conv2d(2, 3, 3)
    x64 = nl.tensor(RNG.standard_normal((1, 2, 5, 5)))
    with pytest.raises(RuntimeError, match=r"Input type \(float64\) and weight type \(float32\) "
                                           r"should be the same"):
        layer(x64)
    with pytest.raises(RuntimeError, match=r"Input type \(float32\) and bias type \(float64\)"):
        F.conv2d(x64.float(), layer.weight, layer.bias.double())
    assert layer(x64.float()).dtype == nl.float32


def test_batch_norm_dtypes_match_torch() -> None:
    """Parameters and running statistics share the input's dtype, or are all float32 for a
    float16 input; the output has the input's dtype; integer inputs have no kernel."""
    x = RNG.standard_normal((4, 3, 2, 2))
    stats = (np.zeros(3), np.ones(3))
    for x_dtype, p_dtype in itertools.product((*FLOATS, "int64"), FLOATS):
        for training in (True, False):
            _run_both(lambda lib, a, m, v, t=training: lib.batch_norm(a, m, v, training=t),
                      [(_as(x, x_dtype), False), (_as(stats[0], p_dtype), False),
                       (_as(stats[1], p_dtype), False)])
            _run_both(lambda lib, a, m, v, g, t=training: lib.batch_norm(a, m, v, g, training=t),
                      [(_as(x, x_dtype), False), (_as(stats[0], x_dtype), False),
                       (_as(stats[1], x_dtype), False), (_as(stats[1], p_dtype), False)])


def test_batch_norm_layer_refuses_a_float64_input() -> None:
    layer = nl.nn.BatchNorm2d(3)
    with pytest.raises(RuntimeError, match=r"batch_norm: mixed dtype: expected .* to have the "
                                           r"input's dtype float64.*got float32"):
        layer(nl.tensor(RNG.standard_normal((4, 3, 2, 2))))


@pytest.mark.parametrize("op", ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "relu",
                                "sigmoid", "tanh", "softmax", "log_softmax", "leaky_relu"])
def test_pooling_and_activation_dtypes_match_torch(op: str) -> None:
    """Float kernels keep the dtype (float16 too), integer sigmoid/tanh give float32, int64
    average pooling truncates, and inputs PyTorch has no kernel for raise."""
    x = RNG.standard_normal((2, 3, 4, 4)) * 3
    call = {"max_pool2d": lambda lib, a: lib.max_pool2d(a, 2),
            "avg_pool2d": lambda lib, a: lib.avg_pool2d(a, 2),
            "adaptive_avg_pool2d": lambda lib, a: lib.adaptive_avg_pool2d(a, 1),
            "softmax": lambda lib, a: lib.softmax(a, dim=1),
            "log_softmax": lambda lib, a: lib.log_softmax(a, dim=1)}.get(
        op, lambda lib, a: getattr(lib, op)(a))
    for dtype in ALL:
        _run_both(call, [(_as(x, dtype), dtype in FLOATS)])
