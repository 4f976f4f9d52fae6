"""The activation modules of issue 12 against torch.nn: constructor settings, reprs, outputs
and gradients, in-place forms, PReLU's parameter and state dict both ways, and the errors.

The functions themselves are compared element by element in the op table
(tests/ops/_cases_activations.py); here each module must equal its functional form exactly
and torch's module within the rounding of a few steps per element (float32, normwise)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _tolerance import assert_normwise_close

import neuralab as nl
import neuralab.nn.functional as F
from neuralab import nn

TERMS = 8  # a few correctly rounded steps per element, value or derivative

MODULES = [
    ("GELU()", lambda x: F.gelu(x)),
    ("GELU('tanh')", lambda x: F.gelu(x, approximate="tanh")),
    ("GELU(approximate='none')", lambda x: F.gelu(x)),
    ("SiLU()", F.silu), ("SiLU(inplace=True)", F.silu),
    ("ELU()", F.elu), ("ELU(0.5, True)", lambda x: F.elu(x, 0.5)),
    ("ELU(alpha=2.0)", lambda x: F.elu(x, 2.0)),
    ("SELU()", F.selu), ("SELU(True)", F.selu),
    ("CELU(2.0)", lambda x: F.celu(x, 2.0)), ("CELU(alpha=0.5, inplace=True)",
                                              lambda x: F.celu(x, 0.5)),
    ("Softplus()", F.softplus), ("Softplus(2, 1.5)", lambda x: F.softplus(x, 2, 1.5)),
    ("Softplus(beta=0.5, threshold=1.0)", lambda x: F.softplus(x, 0.5, 1.0)),
    ("Softsign()", F.softsign),
    ("Mish()", F.mish), ("Mish(inplace=True)", F.mish),
    ("ReLU6()", F.relu6), ("ReLU6(True)", F.relu6),
    ("Hardtanh()", F.hardtanh), ("Hardtanh(-2, 3, True)", lambda x: F.hardtanh(x, -2, 3)),
    ("Hardtanh(min_val=-0.5, max_val=2.5)", lambda x: F.hardtanh(x, -0.5, 2.5)),
    ("Hardsigmoid()", F.hardsigmoid), ("Hardsigmoid(inplace=True)", F.hardsigmoid),
    ("Hardswish()", F.hardswish), ("Hardswish(True)", F.hardswish),
    ("LogSigmoid()", F.logsigmoid),
    ("Softmin(1)", lambda x: F.softmin(x, 1)), ("Softmin(dim=-1)", lambda x: F.softmin(x, -1)),
    ("GLU()", F.glu), ("GLU(dim=1)", lambda x: F.glu(x, 1)), ("GLU(0)", lambda x: F.glu(x, 0)),
]


def _inputs(shape: tuple[int, ...] = (4, 6)) -> np.ndarray:
    """Values in (−8, 8), none within 0.05 of a kink (0, ±1, ±3, 6, −2, 2.5, βx = threshold)."""
    x = np.random.default_rng(3).uniform(-8, 8, shape)
    for kink in (0.0, 1.0, -1.0, 3.0, -3.0, 6.0, -2.0, 2.5, -0.5, 0.75, 2.0):
        x = np.where(np.abs(x - kink) < 0.05, kink + 0.1, x)
    return x


@pytest.mark.parametrize(("spec", "functional"), MODULES, ids=[m[0] for m in MODULES])
def test_module_matches_torch(spec: str, functional) -> None:
    ours, theirs = eval(f"nn.{spec}"), eval(f"torch.nn.{spec}")  # noqa: S307 - fixed specs
    assert repr(ours) == repr(theirs)
    x = _inputs().astype(np.float32)
    g = np.random.default_rng(4).standard_normal(F.glu(nl.tensor(x), ours.dim).shape
                                                 if "GLU" in spec else x.shape)
    g = g.astype(np.float32)
    a = nl.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    # an in-place module may not overwrite a leaf: give both a copy
    y, expected = ours(a * 1), theirs(b * 1)
    assert y.dtype == nl.float32
    assert_normwise_close(y.detach().numpy(), expected.detach().numpy(), terms=TERMS)
    np.testing.assert_array_equal(y.detach().numpy(), functional(nl.tensor(x)).numpy())
    y.backward(g)
    expected.backward(torch.from_numpy(g))
    assert_normwise_close(a.grad.numpy(), b.grad.numpy(), terms=TERMS)


@pytest.mark.parametrize("spec", ["SiLU(True)", "ELU(inplace=True)", "SELU(True)",
                                  "CELU(1.5, True)", "Mish(True)", "ReLU6(True)",
                                  "Hardtanh(inplace=True)", "Hardsigmoid(True)",
                                  "Hardswish(True)"])
def test_inplace_modules_overwrite_their_input(spec: str) -> None:
    ours, theirs = eval(f"nn.{spec}"), eval(f"torch.nn.{spec}")  # noqa: S307 - fixed specs
    x = _inputs().astype(np.float32)
    a, b = nl.tensor(x), torch.tensor(x)
    assert ours(a) is a and theirs(b) is b
    assert_normwise_close(a.numpy(), b.numpy(), terms=TERMS)
    leaf = nl.tensor(x, requires_grad=True)
    with pytest.raises(RuntimeError):  # a leaf that requires grad: refused, as torch
        ours(leaf)


@pytest.mark.parametrize("name", ["elu_", "selu_", "celu_", "hardtanh_"])
def test_functional_inplace_twins(name: str) -> None:
    x = _inputs().astype(np.float32)
    a, b = nl.tensor(x), torch.tensor(x)
    assert getattr(F, name)(a) is a
    getattr(torch.nn.functional, name)(b)
    assert_normwise_close(a.numpy(), b.numpy(), terms=TERMS)


def test_module_defaults_and_attributes_as_torch() -> None:
    for ours, theirs in [(nn.ELU(), torch.nn.ELU()), (nn.CELU(), torch.nn.CELU()),
                         (nn.Softplus(), torch.nn.Softplus()),
                         (nn.Hardtanh(), torch.nn.Hardtanh()), (nn.ReLU6(), torch.nn.ReLU6()),
                         (nn.GELU(), torch.nn.GELU()), (nn.GLU(), torch.nn.GLU()),
                         (nn.Softmin(), torch.nn.Softmin()), (nn.SiLU(), torch.nn.SiLU())]:
        for attr in ("alpha", "beta", "threshold", "min_val", "max_val", "inplace",
                     "approximate", "dim"):
            assert getattr(ours, attr, None) == getattr(theirs, attr, None), (ours, attr)
    assert isinstance(nn.ReLU6(), nn.Hardtanh)
    assert list(nn.GELU().parameters()) == []


# ------------------------------------------------------------------------------ PReLU
def test_prelu_parameter_as_torch() -> None:
    for args in [(), (3,), (4, 0.1)]:
        ours, theirs = nn.PReLU(*args), torch.nn.PReLU(*args)
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
        np.testing.assert_array_equal(ours.weight.detach().numpy(),
                                      theirs.weight.detach().numpy())
        assert ours.weight.dtype == nl.float32 and ours.weight.requires_grad
    assert nn.PReLU(2, dtype=nl.float64).weight.dtype == nl.float64
    assert nn.PReLU(init=-0.5).init == -0.5


@pytest.mark.parametrize("channels", [1, 3])
def test_prelu_state_dict_both_ways(channels: int) -> None:
    x = _inputs((2, 3, 5)).astype(np.float32)
    g = np.random.default_rng(5).standard_normal(x.shape).astype(np.float32)
    theirs = torch.nn.PReLU(channels)
    with torch.no_grad():
        theirs.weight.copy_(torch.linspace(-0.3, 0.6, channels))
    ours = nn.PReLU(channels)
    ours.load_state_dict({k: nl.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    back = torch.nn.PReLU(channels)
    back.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                          for k, v in ours.state_dict().items()})
    np.testing.assert_array_equal(back.weight.detach().numpy(), theirs.weight.detach().numpy())
    a, b = nl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, expected = ours(a), theirs(b)
    np.testing.assert_allclose(y.detach().numpy(), expected.detach().numpy(), rtol=0,
                               atol=0)  # x or w·x: one rounding, the same in both
    y.backward(g)
    expected.backward(torch.from_numpy(g))
    np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
    # the weight's gradient sums 10 (or 30) products: within that reduction's rounding
    assert_normwise_close(ours.weight.grad.numpy(), theirs.weight.grad.numpy(),
                          terms=x.size // channels)


def test_prelu_errors_as_torch() -> None:
    for x_shape, w_shape in [((3, 4), (3,)), ((), (3,)), ((3,), (3,)), ((3, 4), (1, 4))]:
        with pytest.raises(RuntimeError) as ours:
            F.prelu(nl.zeros(x_shape), nl.ones(w_shape))
        with pytest.raises(RuntimeError) as theirs:
            torch.nn.functional.prelu(torch.zeros(x_shape), torch.ones(w_shape))
        assert str(theirs.value).split(".")[0] in str(ours.value)


# ------------------------------------------------------------------------- other checks
def test_hardtanh_bounds_and_deprecated_names() -> None:
    with pytest.raises(AssertionError, match=r"max_val \(1\) must be greater than min_val"):
        nn.Hardtanh(1, 1)
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh(nl.zeros(3), 2.0, 1.0)
    with pytest.warns(FutureWarning, match="min_value"):
        m = nn.Hardtanh(min_value=-2.0)
    assert (m.min_val, m.max_val) == (-2.0, 1.0)
    with pytest.warns(FutureWarning, match="max_value"):
        assert nn.Hardtanh(max_value=4.0).max_val == 4.0


def test_softmin_implicit_dim_warns_as_softmax() -> None:
    x = _inputs((2, 3, 4))
    for module_ours, module_theirs in [(nn.Softmin(), torch.nn.Softmin())]:
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
            y = module_ours(nl.tensor(x))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = module_theirs(torch.tensor(x)).numpy()
        assert_normwise_close(y.numpy(), expected, terms=x.shape[0] + TERMS)
    with pytest.warns(UserWarning, match="softmin"):
        F.softmin(nl.tensor(x[0]))
    np.testing.assert_allclose(F.softmin(nl.tensor(x), 2).numpy().sum(2), 1, rtol=1e-12)


@pytest.mark.parametrize(("call", "torch_call"), [
    (lambda: F.glu(nl.zeros(3, 3), 1), lambda: torch.nn.functional.glu(torch.zeros(3, 3), 1)),
    (lambda: F.glu(nl.tensor(1.0)), lambda: torch.nn.functional.glu(torch.tensor(1.0))),
    (lambda: F.glu(nl.zeros(2, 2), 2), lambda: torch.nn.functional.glu(torch.zeros(2, 2), 2)),
    (lambda: F.gelu(nl.zeros(2), approximate="fast"),
     lambda: torch.nn.functional.gelu(torch.zeros(2), approximate="fast")),
    (lambda: F.celu(nl.zeros(2), 0.0), lambda: torch.nn.functional.celu(torch.zeros(2), 0.0)),
    (lambda: F.gelu(nl.tensor([1, 2])), lambda: torch.nn.functional.gelu(torch.tensor([1, 2]))),
    (lambda: F.elu(nl.tensor([1, 2])), lambda: torch.nn.functional.elu(torch.tensor([1, 2]))),
    (lambda: F.hardtanh(nl.tensor([True])),
     lambda: torch.nn.functional.hardtanh(torch.tensor([True]))),
])
def test_errors_have_torch_types(call, torch_call) -> None:
    with pytest.raises(Exception) as theirs:
        torch_call()
    with pytest.raises(type(theirs.value)):
        call()


def test_integer_inputs_as_torch() -> None:
    ints = np.array([-7, -1, 0, 2, 9])
    for name in ("relu6", "hardtanh", "softsign"):
        ours = getattr(F, name)(nl.tensor(ints))
        theirs = getattr(torch.nn.functional, name)(torch.tensor(ints))
        assert ours.dtype == theirs.numpy().dtype, name
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-7)


def test_prelu_is_a_tensor_method_and_the_rest_functional_only() -> None:
    assert hasattr(nl.Tensor, "prelu")
    for name in ("gelu", "silu", "elu", "softplus", "mish", "glu", "softmin"):
        assert hasattr(F, name) and not hasattr(torch.Tensor, name)
