"""Element-wise functions beyond the op table (``_cases_elementwise.py``): dtype rules for
integer and bool inputs, edge values, errors and in-place forms, each against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neuralab as nl

FLOATING = ["tan", "asin", "acos", "atan", "sinh", "cosh", "exp2", "log2", "log10", "log1p",
            "expm1", "rsqrt", "reciprocal", "erf"]


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
