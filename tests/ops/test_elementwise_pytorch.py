"""Element-wise functions beyond the op table (``_cases_elementwise.py``): dtype rules for
integer and bool inputs, edge values, errors and in-place forms, each against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neuralab as nl

FLOATING = ["exp", "log", "sqrt", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh",
            "exp2", "log2", "log10", "log1p", "expm1", "rsqrt", "reciprocal", "erf"]


def _close(actual: nl.Tensor, expected: torch.Tensor, rtol: float = 1e-6) -> None:
    expected = expected.detach().numpy()
    assert actual.dtype == expected.dtype
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual.detach().numpy(), expected, rtol=rtol, atol=0)


@pytest.mark.parametrize("name", FLOATING)
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
def test_integer_and_bool_inputs_give_the_default_float_dtype(name: str, dtype: type) -> None:
    values = np.array([0, 1, 1, 0], dtype=dtype) if dtype is np.bool_ or name in (
        "asin", "acos") else np.array([1, 2, 3, 7], dtype=dtype)
    with np.errstate(divide="ignore"):
        y = getattr(nl, name)(nl.tensor(values))
    _close(y, getattr(torch, name)(torch.from_numpy(values)))
    assert not y.requires_grad


@pytest.mark.parametrize("name", FLOATING)
def test_default_dtype_float64_is_followed(name: str) -> None:
    old = nl.get_default_dtype()
    nl.set_default_dtype(nl.float64)
    try:
        assert getattr(nl, name)(nl.tensor([1, 1])).dtype == nl.float64
    finally:
        nl.set_default_dtype(old)


EDGES = [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-300, 50.0, -50.0, 800.0]


@pytest.mark.parametrize("name", FLOATING + ["square"])
def test_edge_values_match_torch(name: str) -> None:
    x = np.array(EDGES)
    with np.errstate(all="ignore"):
        y = getattr(nl, name)(nl.tensor(x))
    expected = getattr(torch, name)(torch.tensor(x)).numpy()
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-15, atol=0)


@pytest.mark.parametrize("name", FLOATING + ["square"])
def test_inplace_form(name: str) -> None:
    x = nl.tensor([0.25, 0.5])
    t = torch.tensor([0.25, 0.5])
    assert getattr(x, name + "_")() is x
    getattr(t, name + "_")()
    _close(x, t)


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "round", "sign", "frac"])
def test_rounding_edge_values_and_inplace(name: str) -> None:
    x = np.array([0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, np.inf, -np.inf, np.nan, 1e300, 4e15 + 1])
    with np.errstate(invalid="ignore"):
        y = getattr(nl, name)(nl.tensor(x))
        t = nl.tensor(x.copy())
        getattr(t, name + "_")()
    expected = getattr(torch, name)(torch.tensor(x)).numpy()
    np.testing.assert_array_equal(y.numpy(), expected)
    np.testing.assert_array_equal(t.numpy(), expected)


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "round", "sign"])
def test_rounding_gradient_is_zero_with_torch_node_name(name: str) -> None:
    x = nl.tensor([0.0, 1.0, 1.5, -2.3], requires_grad=True)
    t = torch.tensor([0.0, 1.0, 1.5, -2.3], requires_grad=True)
    y, u = getattr(x, name)(), getattr(t, name)()
    assert y.grad_fn.name() == u.grad_fn.name()
    y.sum().backward()
    u.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_integer_rounding_is_unchanged_and_decimals_refused() -> None:
    x = nl.tensor([3, -2, 0])
    for name in ("floor", "ceil", "trunc", "round"):
        y = getattr(nl, name)(x)
        assert y.dtype == nl.int64 and y.tolist() == [3, -2, 0]
    with pytest.raises(NotImplementedError):
        nl.round(x, decimals=1)
    with pytest.raises(NotImplementedError):
        nl.frac(x)
    with pytest.raises(NotImplementedError):
        nl.floor(nl.tensor([True]))
    assert nl.sign(x).tolist() == [1, -1, 0]


def test_round_decimals_matches_torch_in_both_dtypes() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(200) * 1000
    for dtype, torch_dtype in ((nl.float64, torch.float64), (nl.float32, torch.float32)):
        for decimals in (-2, -1, 1, 3):
            y = nl.round(nl.tensor(x, dtype=dtype), decimals=decimals)
            expected = torch.round(torch.tensor(x, dtype=torch_dtype), decimals=decimals)
            np.testing.assert_array_equal(y.numpy(), expected.numpy())


def test_classification_gives_bool_outside_the_graph() -> None:
    x = nl.tensor([1.0, np.nan, np.inf], requires_grad=True)
    for name in ("isnan", "isinf", "isfinite"):
        y = getattr(x, name)()
        assert y.dtype == nl.bool and not y.requires_grad


def test_erf_is_within_an_ulp_or_two_of_torch_and_the_c_library() -> None:
    import math

    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(-7, 7, 20000), rng.standard_normal(5000) * 1e-3,
                        rng.uniform(0.45, 0.55, 5000), [0.0, -0.0, 5e-324, 1e-310, 6.0]])
    y = nl.erf(nl.tensor(x)).numpy()
    reference = np.array([math.erf(v) for v in x])
    ulps = np.abs(y - reference) / np.spacing(np.abs(reference))
    assert ulps.max() <= 2
    expected = torch.erf(torch.tensor(x)).numpy()
    np.testing.assert_allclose(y, expected, rtol=5e-16, atol=0)
    assert np.array_equal(np.signbit(y), np.signbit(expected))


def test_erf_special_values_and_float32() -> None:
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 30.0])
    np.testing.assert_array_equal(nl.erf(nl.tensor(x)).numpy(), torch.erf(torch.tensor(x)).numpy())
    x32 = np.random.default_rng(2).standard_normal(1000).astype(np.float32)
    y32 = nl.erf(nl.tensor(x32))
    assert y32.dtype == nl.float32
    np.testing.assert_allclose(y32.numpy(), torch.erf(torch.tensor(x32)).numpy(), rtol=2.5e-7)


# ------------------------------------------------------------------------- binary functions
def _raises_like_torch(nl_call, torch_call) -> None:  # noqa: ANN001
    with pytest.raises(Exception) as torch_error:
        torch_call()
    with pytest.raises(type(torch_error.value)):
        nl_call()


def test_div_rounding_mode_errors_match_torch() -> None:
    a, b = nl.tensor([1.0, 2.0]), nl.tensor([1, 0])
    ta, tb = torch.tensor([1.0, 2.0]), torch.tensor([1, 0])
    _raises_like_torch(lambda: nl.div(a, 2, rounding_mode="round"),
                       lambda: torch.div(ta, 2, rounding_mode="round"))
    with pytest.raises(RuntimeError, match="rounding_mode"):
        nl.div(a, 2, rounding_mode="round")
    _raises_like_torch(lambda: nl.div(b, b, rounding_mode="floor"),
                       lambda: torch.div(tb, tb, rounding_mode="floor"))
    _raises_like_torch(lambda: nl.fmod(b, b), lambda: torch.fmod(tb, tb))
    bools = nl.tensor([True, False])
    _raises_like_torch(lambda: nl.div(bools, bools, rounding_mode="trunc"),
                       lambda: torch.div(torch.tensor([True, False]), torch.tensor([True, False]),
                                         rounding_mode="trunc"))


def test_div_rounding_gradient_is_zero_as_torch() -> None:
    for mode in ("trunc", "floor"):
        a = nl.tensor([1.5, -2.5, 3.0], requires_grad=True)
        b = nl.tensor([0.7, 0.3, -2.0], requires_grad=True)
        y = nl.div(a, b, rounding_mode=mode)
        assert y.grad_fn.name() == "DivBackward2"
        y.sum().backward()
        assert a.grad.tolist() == [0.0, 0.0, 0.0] and b.grad.tolist() == [0.0, 0.0, 0.0]


def test_float_division_by_zero_and_inplace_forms() -> None:
    x = np.array([5.0, -5.0, 0.0, 7.5])
    for mode in ("trunc", "floor"):
        y = nl.div(nl.tensor(x), 0.0, rounding_mode=mode)
        np.testing.assert_array_equal(
            y.numpy(), torch.div(torch.tensor(x), 0.0, rounding_mode=mode).numpy())
        t = nl.tensor(x.copy())
        t.div_(2.0, rounding_mode=mode)
        np.testing.assert_array_equal(
            t.numpy(), torch.tensor(x).div_(2.0, rounding_mode=mode).numpy())
    y = nl.fmod(nl.tensor(x), 0.0)
    np.testing.assert_array_equal(y.numpy(), torch.fmod(torch.tensor(x), 0.0).numpy())
    for name, arg in (("fmod", 2.0), ("clamp_min", 0.5), ("clamp_max", 0.5), ("atan2", 2.0)):
        t = nl.tensor(x.copy())
        getattr(t, name + "_")(nl.tensor(arg) if name == "atan2" else arg)
        expected = getattr(torch.tensor(x), name + "_")(
            torch.tensor(arg) if name == "atan2" else arg)
        np.testing.assert_allclose(t.numpy(), expected.numpy(), rtol=1e-15, atol=0)
    t = nl.tensor(x.copy())
    t.lerp_(nl.tensor(np.ones(4)), 0.25)
    np.testing.assert_array_equal(
        t.numpy(), torch.tensor(x).lerp_(torch.ones(4, dtype=torch.float64), 0.25).numpy())


def test_dtype_rules_and_errors_of_binary_functions() -> None:
    ints = nl.tensor([1, 2, 3])
    t_ints = torch.tensor([1, 2, 3])
    assert nl.atan2(ints, ints).dtype == nl.float32
    assert str(torch.atan2(t_ints, t_ints).dtype) == "torch.float32"
    _raises_like_torch(lambda: nl.logaddexp(ints, ints), lambda: torch.logaddexp(t_ints, t_ints))
    _raises_like_torch(lambda: nl.lerp(nl.tensor([1.0]), nl.tensor([1.0], dtype=nl.float64), 0.5),
                       lambda: torch.lerp(torch.tensor([1.0]), torch.tensor([1.0],
                                          dtype=torch.float64), 0.5))
    with pytest.raises(TypeError, match="expected dtype float for `end`"):
        nl.lerp(nl.tensor([1.0]), nl.tensor([1.0], dtype=nl.float64), 0.5)
    _raises_like_torch(lambda: nl.lerp(ints, ints, 0.5), lambda: torch.lerp(t_ints, t_ints, 0.5))
    assert nl.clamp_min(ints, 1.5).dtype == nl.float32
    assert nl.fmod(ints, 2).dtype == nl.int64


def test_logaddexp_infinities_match_torch() -> None:
    a = np.array([-np.inf, np.inf, -np.inf, 1.0, np.nan])
    b = np.array([-np.inf, np.inf, 2.0, np.inf, 1.0])
    with np.errstate(invalid="ignore"):
        y = nl.logaddexp(nl.tensor(a), nl.tensor(b))
    np.testing.assert_array_equal(y.numpy(), torch.logaddexp(torch.tensor(a),
                                                             torch.tensor(b)).numpy())
