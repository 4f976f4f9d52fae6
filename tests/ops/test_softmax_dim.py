"""softmax / log_softmax side by side with torch: the implicit dim of ``F.softmax(x)`` and its
warning, explicit dims of 0-d to 4-D inputs, the required dim of ``Tensor.softmax``, ``dtype=``
and the errors torch raises.

Tolerances: in float64 both libraries compute e^(x − max) and one normalising sum of at most 5
terms (or x − max − ln Σ), each step correctly rounded or within an ulp, so values and
gradients agree to a few ulps of the terms: 1e-13 relative, 1e-14 absolute (log-softmax values
and gradients near 0 are differences of terms of size ≤ 10). A float32 computation (after a cast
with ``dtype=``) is held to a few float32 ulps (2⁻²³ ≈ 1.2e-7): 1e-6 relative, 1e-7 absolute.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import neuralab as nl
from neuralab.nn import functional as F

TF = torch.nn.functional
pytestmark = pytest.mark.filterwarnings("error")  # every expected warning is caught explicitly

SHAPES = [(), (5,), (3, 4), (2, 3, 4), (2, 3, 4, 5)]
NAMES = ["softmax", "log_softmax"]
F64 = dict(rtol=1e-13, atol=1e-14)
F32 = dict(rtol=1e-6, atol=1e-7)
TORCH_DTYPES = {nl.float16: torch.float16, nl.float32: torch.float32, nl.float64: torch.float64,
                nl.int64: torch.int64, nl.int32: torch.int32, nl.bool_: torch.bool}


def _data(shape: tuple, seed: int = 0) -> np.ndarray:
    return 3 * np.random.default_rng(seed).standard_normal(shape)


def _run(call: Callable[[Any, Any], Any], x: np.ndarray, grad: bool = True) -> dict:
    """``call(lib, tensor)`` for both libraries: values, input gradients for a fixed upstream
    gradient, warnings (category, message, file) or the exception."""
    results = {}
    for name, lib in (("torch", torch), ("nl", nl)):
        t = (torch.tensor(x, requires_grad=grad and x.dtype.kind == "f") if lib is torch
             else nl.tensor(x, requires_grad=grad and x.dtype.kind == "f"))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                out = call(lib, t)
            except Exception as error:  # noqa: BLE001 - compared with torch's below
                results[name] = error
                continue
        record: dict[str, Any] = {
            "warnings": [(w.category, str(w.message), w.filename) for w in caught]}
        record["value"] = out.detach().numpy()
        if t.requires_grad:
            g = np.random.default_rng(7).standard_normal(record["value"].shape)
            out.backward(torch.tensor(g, dtype=out.dtype) if lib is torch
                         else nl.tensor(g, dtype=out.dtype))
            record["grad"] = t.grad.detach().numpy()
        results[name] = record
    return results


def _same(results: dict, tolerance: dict = F64) -> dict:
    theirs, ours = results["torch"], results["nl"]
    assert not isinstance(theirs, Exception), theirs
    assert not isinstance(ours, Exception), ours
    assert ours["warnings"] == theirs["warnings"]
    assert ours["value"].shape == theirs["value"].shape
    assert ours["value"].dtype == theirs["value"].dtype
    np.testing.assert_allclose(ours["value"], theirs["value"], **tolerance)
    assert ("grad" in ours) == ("grad" in theirs)
    if "grad" in ours:
        assert ours["grad"].dtype == theirs["grad"].dtype
        np.testing.assert_allclose(ours["grad"], theirs["grad"], **tolerance)
    return ours


def _same_error(results: dict) -> Exception:
    theirs, ours = results["torch"], results["nl"]
    assert isinstance(theirs, Exception), f"torch gives {theirs}"
    assert isinstance(ours, type(theirs)), f"torch raises {theirs!r}, neuralab gives {ours!r}"
    return ours


# ------------------------------------------------------------------------------ implicit dim
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", NAMES)
def test_functional_without_dim_uses_torchs_implicit_dim_and_warns(shape, name):
    ours = _same(_run(lambda lib, t: getattr(TF if lib is torch else F, name)(t), _data(shape)))
    # the same warning, pointing (as torch's) at the line that called F.softmax: this file
    assert ours["warnings"] == [(UserWarning, f"Implicit dimension choice for {name} has been "
                                 f"deprecated. Change the call to include dim=X as an "
                                 f"argument.", __file__)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", NAMES)
def test_implicit_dim_is_dim_0_for_0_1_3_d_input_else_1(shape, name):
    x = _data(shape, seed=1)
    with pytest.warns(UserWarning, match=f"Implicit dimension choice for {name}"):
        implicit = getattr(F, name)(nl.tensor(x)).numpy()
    explicit = getattr(F, name)(nl.tensor(x), 0 if len(shape) in (0, 1, 3) else 1).numpy()
    np.testing.assert_array_equal(implicit, explicit)


def test_explicit_none_is_the_implicit_dim_too():
    x = _data((2, 3, 4))
    for call in (lambda lib, t: (TF if lib is torch else F).softmax(t, None),
                 lambda lib, t: (TF if lib is torch else F).log_softmax(t, dim=None)):
        _same(_run(call, x))


def test_stacklevel_moves_the_warning_as_torchs():
    def helper(lib, t):  # a wrapper of F.softmax that blames its own caller, as torch allows
        return (TF if lib is torch else F).softmax(t, _stacklevel=4)

    with pytest.warns(UserWarning) as ours:
        helper(nl, nl.ones(2, 3))
    with pytest.warns(UserWarning) as theirs:
        helper(torch, torch.ones(2, 3))
    assert ours[0].filename == theirs[0].filename == __file__
    assert ours[0].lineno == theirs[0].lineno - 2


@pytest.mark.parametrize("name", NAMES)
def test_modules_without_dim_warn_at_the_callers_line(name):
    layer = getattr(nl.nn, name.title().replace("_", ""))()
    with pytest.warns(UserWarning, match=f"Implicit dimension choice for {name}") as caught:
        layer(nl.ones(2, 3))
    assert caught[0].filename == __file__


# ------------------------------------------------------------------------------ explicit dim
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", NAMES)
def test_every_dim_of_every_shape_matches_torch_without_warning(shape, name):
    x = _data(shape, seed=2)
    rank = max(len(shape), 1)
    for dim in range(-rank, rank):
        for call in (lambda lib, t, d=dim: getattr(TF if lib is torch else F, name)(t, d),
                     lambda lib, t, d=dim: getattr(TF if lib is torch else F, name)(t, dim=d),
                     lambda lib, t, d=dim: getattr(t, name)(d)):
            assert _same(_run(call, x))["warnings"] == []
    np.testing.assert_array_equal(getattr(F, name)(nl.tensor(x), axis=-1).numpy(),
                                  getattr(F, name)(nl.tensor(x), -1).numpy())  # NumPy's name


@pytest.mark.parametrize("name", NAMES)
def test_graph_node_names(name):
    for lib in (torch, nl):
        t = lib.ones(2, 3, requires_grad=True)
        node = getattr(TF if lib is torch else F, name)(t, 1).grad_fn
        assert node.name() == {"softmax": "SoftmaxBackward0",
                               "log_softmax": "LogSoftmaxBackward0"}[name]


@pytest.mark.parametrize("shape, dim", [((2, 3), 2), ((2, 3), -3), ((), 1), ((), -2),
                                        ((4,), 1), ((2, 3, 4, 5), 4)])
@pytest.mark.parametrize("name", NAMES)
def test_dim_out_of_range(shape, dim, name):
    error = _same_error(_run(lambda lib, t: getattr(TF if lib is torch else F, name)(t, dim),
                             _data(shape)))
    rank = max(len(shape), 1)
    assert str(error) == (f"Dimension out of range (expected to be in range of [{-rank}, "
                          f"{rank - 1}], but got {dim})")


@pytest.mark.parametrize("dim", [1.0, True, (1,), "1"], ids=repr)
@pytest.mark.parametrize("name", NAMES)
def test_dim_must_be_an_int(dim, name):
    for call in (lambda lib, t: getattr(TF if lib is torch else F, name)(t, dim),
                 lambda lib, t: getattr(t, name)(dim)):
        error = _same_error(_run(call, _data((2, 3))))
        assert isinstance(error, TypeError)
        assert f"{name}(): argument 'dim'" in str(error) and "must be int" in str(error)


def test_empty_tensors():
    for shape, dim in (((0, 3), 0), ((0, 3), 1), ((0,), 0), ((2, 0, 3), 1)):
        for name in NAMES:
            _same(_run(lambda lib, t, d=dim, n=name: getattr(TF if lib is torch else F, n)(t, d),
                       np.zeros(shape)))


def test_all_minus_infinity_is_nan_as_in_torch():
    x = np.array([[-np.inf, -np.inf], [0.0, -np.inf]])
    for name in NAMES:
        results = _run(lambda lib, t, n=name: getattr(TF if lib is torch else F, n)(t, 1), x,
                       grad=False)
        np.testing.assert_array_equal(results["nl"]["value"], results["torch"]["value"])


# ------------------------------------------------------------------------------ Tensor methods
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", NAMES)
def test_tensor_method_requires_dim(shape, name):
    error = _same_error(_run(lambda lib, t: getattr(t, name)(), _data(shape)))
    assert isinstance(error, TypeError)
    assert str(error) == f'{name}() missing 1 required positional arguments: "dim"'
    error = _same_error(_run(lambda lib, t: getattr(t, name)(dim=None), _data(shape)))
    assert isinstance(error, TypeError) and "must be int, not NoneType" in str(error)


def test_tensor_method_takes_numpys_axis():
    x = nl.tensor(_data((3, 4)))
    np.testing.assert_array_equal(x.softmax(axis=0).numpy(), F.softmax(x, 0).numpy())
    np.testing.assert_array_equal(x.log_softmax(axis=-1).numpy(), F.log_softmax(x, 1).numpy())
    with pytest.raises(TypeError, match="either axis= or dim="):
        x.softmax(0, axis=0)


# ------------------------------------------------------------------------------ dtype=
def _with_dtype(name: str, dtype: Any, how: str) -> Callable[[Any, Any], Any]:
    def call(lib: Any, t: Any) -> Any:
        d = TORCH_DTYPES[dtype] if lib is torch else dtype
        if how == "method":
            return getattr(t, name)(1, d)  # dtype is Tensor.softmax's second positional
        return getattr(TF if lib is torch else F, name)(t, 1, dtype=d)
    return call


@pytest.mark.parametrize("how", ["functional", "method"])
@pytest.mark.parametrize("name", NAMES)
def test_dtype_casts_first_and_the_gradient_returns_in_the_input_dtype(name, how):
    x32 = _data((3, 4), seed=3).astype(np.float32)
    ours = _same(_run(_with_dtype(name, nl.float64, how), x32))  # an exact cast: float64 math
    assert ours["value"].dtype == np.float64 and ours["grad"].dtype == np.float32
    ours = _same(_run(_with_dtype(name, nl.float32, how), x32.astype(np.float64)), F32)
    assert ours["value"].dtype == np.float32 and ours["grad"].dtype == np.float64
    _same(_run(_with_dtype(name, nl.float32, how), x32), F32)  # the same dtype: no cast


@pytest.mark.parametrize("name", NAMES)
def test_dtype_as_the_third_positional_as_torch_softmax(name):
    """``neuralab.softmax`` is also ``torch.softmax(input, dim, dtype)``; F.softmax's third
    positional is torch's _stacklevel, so a dtype there is taken as the dtype, not ignored."""
    x32 = _data((3, 4), seed=5).astype(np.float32)
    ours = _same(_run(lambda lib, t: getattr(lib, name)(
        t, 1, torch.float64 if lib is torch else nl.float64), x32))
    assert ours["value"].dtype == np.float64
    y = getattr(F, name)(nl.tensor(x32), 1, nl.float64)
    np.testing.assert_array_equal(y.numpy(), ours["value"])
    with pytest.raises(TypeError, match="both as the third argument"):
        getattr(F, name)(nl.tensor(x32), 1, nl.float64, dtype=nl.float32)


@pytest.mark.parametrize("source", [nl.int64, nl.int32, nl.bool_])
@pytest.mark.parametrize("name", NAMES)
def test_dtype_makes_integer_and_bool_inputs_work(name, source):
    x = np.random.default_rng(4).integers(-2, 3, (3, 4)).astype(source)
    ours = _same(_run(_with_dtype(name, nl.float32, "functional"), x), F32)
    assert ours["value"].dtype == np.float32
    error = _same_error(_run(lambda lib, t: getattr(TF if lib is torch else F, name)(t, 1), x))
    assert isinstance(error, NotImplementedError)


@pytest.mark.parametrize("dim, kernel", [(1, "_lastdim_kernel_impl"), (0, "_kernel_impl")])
@pytest.mark.parametrize("name", NAMES)
def test_an_integer_dtype_is_refused_as_torch(name, dim, kernel):
    for target in (nl.int64, nl.int32):
        error = _same_error(_run(
            lambda lib, t, d=target: getattr(TF if lib is torch else F, name)(
                t, dim, dtype=TORCH_DTYPES[d] if lib is torch else d), _data((2, 3))))
        torch_name = {nl.int64: "Long", nl.int32: "Int"}[target]
        assert f'"{name}{kernel}" not implemented for \'{torch_name}\'' in str(error)


def test_a_refused_call_changes_nothing():
    x = nl.tensor(_data((2, 3)), requires_grad=True)
    for bad in (lambda: F.softmax(x, 2), lambda: F.softmax(x, 1, dtype=nl.int64),
                lambda: x.softmax()):
        with pytest.raises((IndexError, NotImplementedError, TypeError)):
            bad()
    assert x.grad is None and x._version == 0 and x.dtype == np.float64
