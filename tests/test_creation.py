"""Tensor creation (``neuralab.creation``) and the generator (``neuralab.random``) vs PyTorch.

Deterministic results (constant fills, ``eye``, ``arange``, ``linspace``, ``logspace``, dtype
inference) are compared with torch on identical arguments: exactly where the values are exact
(integers, binary fractions, both ``linspace`` endpoints), else within the rounding the
computation allows (PyTorch's vectorized kernels round some elements differently from its
scalar formula, by one unit in the last place, depending on the CPU). Random results cannot
equal torch's (another generator), so their shapes, dtypes, ranges and distributions are
checked, and that a seed reproduces them.
"""

from __future__ import annotations

import copy
import math
import pickle
import warnings

import numpy as np
import pytest
import torch
from _sample_stats import KURTOSIS_NORMAL, KURTOSIS_UNIFORM, assert_mean, assert_std

import neuralab as nl
from neuralab import creation as C
from neuralab import dtypes
from neuralab import random as R
from neuralab.device import DeviceError
from neuralab.errors import ShapeError

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
NL_DTYPES = {name: getattr(dtypes, "bool_" if name == "bool" else name) for name in NAMES}
TORCH_DTYPES = {name: getattr(torch, name) for name in NAMES}


class Namespace:
    """One of the two libraries under one set of names, so one lambda runs on both: ``M`` is
    the module (``M.zeros``, ``M.tensor``) and ``D`` its dtypes (``D.int32``)."""

    def __init__(self, **items: object) -> None:
        self.__dict__.update(items)


NL = Namespace(**{name: getattr(C, name) for name in dir(C) if not name.startswith("_")},
               tensor=nl.tensor)
TORCH_D = Namespace(**TORCH_DTYPES)
NL_D = Namespace(**NL_DTYPES)


def dtype_name(t: object) -> str:
    return str(t.dtype).replace("torch.", "")


def both(make):
    """``make(M, D)`` run on torch and on neuralab."""
    return make(torch, TORCH_D), make(NL, NL_D)


def assert_same(ours: nl.Tensor, theirs: torch.Tensor) -> None:
    """Same dtype, shape, requires_grad and exactly the same values (NaNs included)."""
    assert isinstance(ours, nl.Tensor)
    assert dtype_name(ours) == dtype_name(theirs)
    assert ours.shape == tuple(theirs.shape)
    assert ours.requires_grad == theirs.requires_grad
    assert ours.is_leaf
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


def assert_within_ulps(ours: nl.Tensor, theirs: torch.Tensor, ulps: float = 1) -> None:
    """Same dtype and shape; values within ``ulps`` units in the last place of the largest
    magnitude (a sum ``start + i * step`` is rounded relative to the range it spans)."""
    assert dtype_name(ours) == dtype_name(theirs)
    assert ours.shape == tuple(theirs.shape)
    expected = theirs.numpy()
    if expected.size:
        unit = float(np.spacing(np.abs(expected).max()))
        np.testing.assert_allclose(ours.numpy().astype(np.float64),
                                   expected.astype(np.float64), rtol=0, atol=ulps * unit)


@pytest.fixture
def float64_default():
    dtypes.set_default_dtype(dtypes.float64)
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        dtypes.set_default_dtype(dtypes.float32)
        torch.set_default_dtype(torch.float32)


# ------------------------------------------------------------------- constant-filled tensors
SIZES = [(2, 3), ((2, 3),), ([2, 3],), ((),), ([],), (0,), (2, 0), (np.int64(2), 3)]


@pytest.mark.parametrize("name", ["zeros", "ones"])
@pytest.mark.parametrize("size", SIZES, ids=repr)
def test_zeros_and_ones_sizes_match_torch(name, size):
    ours, theirs = getattr(C, name)(*size), getattr(torch, name)(*size)
    assert_same(ours, theirs)


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
@pytest.mark.parametrize("dtype", NAMES)
def test_constant_fills_take_dtype_and_size_keyword(name, dtype):
    ours = getattr(C, name)(size=(2, 1), dtype=NL_DTYPES[dtype])
    theirs = getattr(torch, name)(size=(2, 1), dtype=TORCH_DTYPES[dtype])
    if name == "empty":  # uninitialized: only shape and dtype are defined
        assert (ours.shape, dtype_name(ours)) == (tuple(theirs.shape), dtype_name(theirs))
    else:
        assert_same(ours, theirs)


@pytest.mark.parametrize("make", [
    lambda M, D: M.zeros(2, 3, requires_grad=True),
    lambda M, D: M.ones((2,), dtype=D.float64, requires_grad=True),
    lambda M, D: M.full((2,), 1.5, requires_grad=True),
    lambda M, D: M.eye(2, requires_grad=True),
    lambda M, D: M.arange(3.0, requires_grad=True),
    lambda M, D: M.linspace(0, 1, 5, requires_grad=True),
    lambda M, D: M.logspace(0, 1, 3, requires_grad=True),
    lambda M, D: M.zeros(2, dtype=float),
    lambda M, D: M.ones(2, dtype=int),
    lambda M, D: M.ones(2, dtype=bool),
])
def test_dtype_and_requires_grad_match_torch(make):
    theirs, ours = both(make)
    assert_same(ours, theirs)


@pytest.mark.parametrize("fill, dtype", [
    (1, None), (1.0, None), (True, None), (False, None), (np.float64(1.5), None),
    (np.int32(3), None), (np.bool_(True), None), (-7, None), (float("inf"), None),
    (float("nan"), None), (1.5, "int64"), (-1.7, "int64"), (2.9, "int32"), (-1, "uint8"),
    (-255, "uint8"), (255, "uint8"), (-128, "int8"), (2, "bool"), (0.5, "bool"), (0, "bool"),
    (3, "float16"), (65504.0, "float16"), (1e38, "float32"), (True, "float32"),
    (2**63 - 1, "int64"), (1.0e300, "float64"),
], ids=repr)
def test_full_infers_and_converts_as_torch(fill, dtype):
    ours = C.full((2, 3), fill, dtype=None if dtype is None else NL_DTYPES[dtype])
    theirs = torch.full((2, 3), fill, dtype=None if dtype is None else TORCH_DTYPES[dtype])
    assert_same(ours, theirs)


def test_full_takes_a_zero_dim_tensor_as_a_number_of_its_category():
    """torch uses a 0-d tensor's value as a Python number: a float64 one gives float32."""
    for value in (3, 3.0, True):
        for dtype in (None, "float64", "int32"):
            ours = C.full((2,), nl.tensor(value, dtype=dtype and NL_DTYPES[dtype]))
            theirs = torch.full((2,), torch.tensor(value, dtype=dtype and TORCH_DTYPES[dtype]))
            assert_same(ours, theirs)


@pytest.mark.parametrize("fill, dtype", [
    (300, "uint8"), (-256, "uint8"), (128, "int8"), (-129, "int8"), (2**15, "int16"),
    (2**40, "int32"), (2**63, None), (float("nan"), "int64"), (float("inf"), "int32"),
    (1e40, None), (70000.0, "float16"), (-1e39, "float32"),
], ids=repr)
def test_full_refuses_a_value_the_dtype_cannot_hold(fill, dtype):
    with pytest.raises(RuntimeError, match="without overflow"):
        torch.full((2,), fill, dtype=None if dtype is None else TORCH_DTYPES[dtype])
    with pytest.raises(RuntimeError, match="cannot be converted to type .* without overflow"):
        C.full((2,), fill, dtype=None if dtype is None else NL_DTYPES[dtype])


def test_default_dtype_applies_to_floating_results(float64_default):
    for make in (lambda M, D: M.zeros(2), lambda M, D: M.full((2,), 1.5),
                 lambda M, D: M.arange(0.5, 3), lambda M, D: M.linspace(0, 1, 4),
                 lambda M, D: M.logspace(0, 1, 4), lambda M, D: M.eye(2),
                 lambda M, D: M.full((2,), M.tensor(1.0, dtype=D.float32))):
        theirs, ours = both(make)
        assert_same(ours, theirs)
    assert C.rand(2).dtype == C.randn(2).dtype == dtypes.float64
    assert C.full((2,), 1).dtype == C.arange(3).dtype == dtypes.int64


@pytest.mark.parametrize("dtype", NAMES)
@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like"])
def test_like_functions_keep_the_input_dtype_and_shape(name, dtype):
    source_nl = C.ones(2, 3, dtype=NL_DTYPES[dtype])
    source_torch = torch.ones(2, 3, dtype=TORCH_DTYPES[dtype])
    ours, theirs = getattr(C, name)(source_nl), getattr(torch, name)(source_torch)
    assert (ours.shape, dtype_name(ours)) == (tuple(theirs.shape), dtype_name(theirs))
    if name != "empty_like":
        assert_same(ours, theirs)
    ours = getattr(C, name)(source_nl, dtype=dtypes.float16)
    assert (ours.shape, ours.dtype) == ((2, 3), dtypes.float16)


@pytest.mark.parametrize("make", [
    lambda M, D: M.full_like(M.ones(2, dtype=D.int32), 2.7),
    lambda M, D: M.full_like(M.ones(2, dtype=D.int32), 2.7, dtype=D.float32),
    lambda M, D: M.full_like(M.ones(2, dtype=D.float64), 3),
    lambda M, D: M.full_like(M.ones(2, dtype=D.bool), 0),
    lambda M, D: M.full_like(M.ones(2, dtype=D.uint8), -1),
    lambda M, D: M.zeros_like(M.ones(2, requires_grad=True)),
    lambda M, D: M.ones_like(M.ones(2, dtype=D.float64), requires_grad=True),
    lambda M, D: M.full_like(M.ones(3), 0.5, requires_grad=True),
])
def test_like_functions_match_torch(make):
    theirs, ours = both(make)
    assert_same(ours, theirs)


# ---------------------------------------------------------------------------------- eye
@pytest.mark.parametrize("args, kwargs", [
    ((3,), {}), ((2, 3), {}), ((3, 2), {}), ((0,), {}), ((2, 0), {}), ((1,), {}),
    ((), {"n": 2, "m": 3}), ((np.int64(2),), {}),
])
@pytest.mark.parametrize("dtype", [None, "int64", "bool", "float64", "uint8"])
def test_eye_matches_torch(args, kwargs, dtype):
    d = {} if dtype is None else {"dtype": dtype}
    ours = C.eye(*args, **kwargs, **{k: NL_DTYPES[v] for k, v in d.items()})
    theirs = torch.eye(*args, **kwargs, **{k: TORCH_DTYPES[v] for k, v in d.items()})
    assert_same(ours, theirs)


def test_eye_takes_m_none_as_square():
    assert_same(C.eye(3, None), torch.eye(3))


# ------------------------------------------------------------------------------- arange
EXACT_ARANGES = [
    ((5,), {}), ((5.0,), {}), ((1, 5), {}), ((0, 1, 0.25), {}), ((0, 5, 2), {}),
    ((5, 0, -1), {}), ((1, 2.5, 0.5), {}), ((-2.5, 2.5), {}), ((0, 10, 3.0), {}),
    ((0, -10, -3), {}), ((5, 5), {}), ((5.0, 5.0), {}), ((True,), {}), ((np.int32(5),), {}),
    ((np.float64(5),), {}), ((), {"end": 4}), ((), {"start": 1, "end": 4}),
    ((1, 4), {"step": 2}), ((7,), {"dtype": "float64"}), ((0.5, 3), {"dtype": "int64"}),
    ((0, 5, 1.5), {"dtype": "int64"}), ((0.5, 3.7), {"dtype": "int64"}),
    ((0.5, 3.7), {"dtype": "int32"}), ((0, 5, 1.5), {"dtype": "int32"}),
    ((-3.5, 2), {"dtype": "int64"}), ((0, 5, 0.5), {"dtype": "int32"}),
    ((0, 10, 3.0), {"dtype": "int64"}), ((300,), {"dtype": "uint8"}),
    ((0, 2.5, 0.5), {"dtype": "float16"}), ((1, 4, 0.5), {"dtype": "float64"}),
    ((-1000, 1000, 7), {"dtype": "int16"}), ((0, 1, 0.125), {"dtype": "float32"}),
]


@pytest.mark.parametrize("args, kwargs", EXACT_ARANGES, ids=repr)
def test_arange_matches_torch_exactly(args, kwargs):
    def make(M, D):
        options = dict(kwargs)
        if "dtype" in options:
            options["dtype"] = getattr(D, options["dtype"])
        return M.arange(*args, **options)

    theirs, ours = both(make)
    assert_same(ours, theirs)


@pytest.mark.parametrize("args", [(0, 1, 0.1), (0, 100, 0.7), (-3, 7, 0.3), (2.5, -7.1, -0.37),
                                  (-5, 5, 1 / 3), (0, 1000, 0.77)], ids=repr)
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_arange_with_inexact_steps_is_within_an_ulp_of_torch(args, dtype):
    """``start + i * step`` rounded once; torch's vector kernel rounds some elements on
    another path, one unit in the last place (of the largest value) away at most."""
    ours = C.arange(*args, dtype=NL_DTYPES[dtype])
    theirs = torch.arange(*args, dtype=TORCH_DTYPES[dtype])
    assert_within_ulps(ours, theirs, ulps=1)
    assert ours.numpy()[0] == theirs.numpy()[0]


@pytest.mark.parametrize("make, error, match", [
    (lambda M, D: M.arange(5, 0), RuntimeError, "inconsistent with step sign"),
    (lambda M, D: M.arange(0, 5, -1), RuntimeError, "inconsistent with step sign"),
    (lambda M, D: M.arange(0, 5, 0), RuntimeError, "step must be nonzero"),
    (lambda M, D: M.arange(0, 5, 0.5, dtype=D.int64), ValueError, "step must be nonzero"),
    (lambda M, D: M.arange(float("inf")), RuntimeError, "unsupported range: 0 -> inf"),
    (lambda M, D: M.arange(float("nan")), RuntimeError, "unsupported range"),
    (lambda M, D: M.arange(0, 1e20), RuntimeError, "invalid size, possible overflow"),
    (lambda M, D: M.arange(0, 1e20, dtype=D.int64), RuntimeError, "without overflow"),
    (lambda M, D: M.arange(5, dtype=D.bool), NotImplementedError, "'Bool'"),
    (lambda M, D: M.arange(5, requires_grad=True), RuntimeError, "floating point"),
    (lambda M, D: M.arange("a"), TypeError, "must be Number, not str"),
    (lambda M, D: M.arange(None), TypeError, None),
    (lambda M, D: M.arange(0, None), TypeError, None),
    (lambda M, D: M.arange(), TypeError, None),
    (lambda M, D: M.arange(1, 2, 3, 4), TypeError, None),
])
def test_arange_errors_match_torch(make, error, match):
    with pytest.raises(error, match=match):
        make(torch, TORCH_D)
    with pytest.raises(error, match=match):
        make(NL, NL_D)


def test_arange_takes_zero_dim_tensors():
    assert_same(C.arange(nl.tensor(5)), torch.arange(torch.tensor(5)))
    assert_same(C.arange(nl.tensor(5.0, dtype=dtypes.float64)),
                torch.arange(torch.tensor(5.0, dtype=torch.float64)))


# ----------------------------------------------------------------------------- linspace
EXACT_LINSPACES = [
    (0, 10, 5, None), (0, 1, 5, None), (-1, 1, 5, None), (0, 10, 1, None), (0, 10, 0, None),
    (3, 10, 1, "int64"), (0, 10, 4, "int64"), (10, 0, 4, "int64"), (0, -10, 4, "int64"),
    (0.5, 2.5, 3, "int64"), (-1, 1, 5, "uint8"), (-50, 77, 13, "int32"), (0, 7, 9, "int8"),
    (0, 1, 3, "float64"), (2, 2, 4, None), (0, float("inf"), 3, None),
    (0, float("nan"), 3, None), (1, 0, 2, "float16"),
]


@pytest.mark.parametrize("start, end, steps, dtype", EXACT_LINSPACES, ids=repr)
def test_linspace_matches_torch_exactly(start, end, steps, dtype):
    ours = C.linspace(start, end, steps, dtype=None if dtype is None else NL_DTYPES[dtype])
    theirs = torch.linspace(start, end, steps,
                            dtype=None if dtype is None else TORCH_DTYPES[dtype])
    assert_same(ours, theirs)


@pytest.mark.parametrize("start, end, steps", [
    (0, 1, 7), (0, 1, 50), (-3.7, 11.2, 100), (-3.7, 11.2, 1000), (1e-3, 1e3, 33),
    (5.5, -2.25, 257), (-1e4, 1e4, 999), (0.1, 0.2, 17),
], ids=repr)
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_linspace_is_within_an_ulp_of_torch_with_exact_endpoints(start, end, steps, dtype):
    """PyTorch's float32 linspace keeps both endpoints exact (the second half counts back
    from ``end``); its interior is a fused ``start + i * step`` in double, rounded once, which
    ours reproduces (torch's vector path may differ by an ulp on other CPUs)."""
    ours = C.linspace(start, end, steps, dtype=NL_DTYPES[dtype])
    theirs = torch.linspace(start, end, steps, dtype=TORCH_DTYPES[dtype])
    assert_within_ulps(ours, theirs, ulps=1)
    values, d = ours.numpy(), NL_DTYPES[dtype]
    assert values[0] == d.type(start) and values[-1] == d.type(end)
    assert values[0] == theirs.numpy()[0] and values[-1] == theirs.numpy()[-1]


def test_linspace_float64_is_within_1e_12_of_torch_and_of_exact_arithmetic():
    for start, end, steps in [(-3.7, 11.2, 1000), (0, 1, 50), (1e-3, 1e3, 33)]:
        ours = C.linspace(start, end, steps, dtype=dtypes.float64).numpy()
        theirs = torch.linspace(start, end, steps, dtype=torch.float64).numpy()
        scale = max(abs(start), abs(end))
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12 * scale)
        exact = start + (end - start) * np.arange(steps) / (steps - 1)
        np.testing.assert_allclose(ours, exact, rtol=0, atol=1e-12 * scale)


@pytest.mark.parametrize("make, error, match", [
    (lambda M, D: M.linspace(0, 10, -1), RuntimeError, "number of steps must be non-negative"),
    (lambda M, D: M.linspace(0, 10), TypeError, None),
    (lambda M, D: M.linspace(0, 10, 5.0), TypeError, None),
    (lambda M, D: M.linspace(0, 10, True), TypeError, None),
    (lambda M, D: M.linspace(0, 1, 3, D.float64), TypeError, None),
    (lambda M, D: M.linspace(0, 1, 3, dtype=D.bool), NotImplementedError, "'Bool'"),
    (lambda M, D: M.linspace(0, 300, 3, dtype=D.uint8), RuntimeError, "without overflow"),
    (lambda M, D: M.linspace(0, 1, 5, dtype=D.int64, requires_grad=True), RuntimeError,
     "floating point"),
    (lambda M, D: M.linspace(M.tensor([0.0, 1.0]), M.tensor(1.0), 3), RuntimeError,
     "0-dimensional"),
])
def test_linspace_errors_match_torch(make, error, match):
    with pytest.raises(error, match=match):
        make(torch, TORCH_D)
    with pytest.raises(error, match=match):
        make(NL, NL_D)


def test_linspace_takes_keywords_and_zero_dim_tensors():
    assert_same(C.linspace(start=0, end=1, steps=3), torch.linspace(start=0, end=1, steps=3))
    assert_same(C.linspace(nl.tensor(0.0), nl.tensor(1.0), 3),
                torch.linspace(torch.tensor(0.0), torch.tensor(1.0), 3))


# ----------------------------------------------------------------------------- logspace
@pytest.mark.parametrize("args, dtype", [
    ((0, 2, 3), None), ((0, 2, 3, 2), None), ((0, 3, 4), "int64"), ((0, 3, 4, 2), "int64"),
    ((0, 1, 3), "int64"), ((0.5, 2.5, 3), "int64"), ((0, 3, 4), "uint8"), ((0, 1, 1), None),
    ((2, 1, 1), None), ((0, 1, 0), None), ((0, 1, 3, -2), None), ((0, 2, 3, 0), None),
    ((-2, 1, 4, 0), None), ((0, 50, 3), None), ((0, 50, 3), "float64"),
    ((-1.3, 2.1, 37, 3.3), "int32"), ((0.5, 0.5, 1), "int64"), ((1, 1, 1, -2.0), None),
    ((300, 400, 3), "float64"), ((-3, 3, 7, -2.0), "float64"), ((0, 1, 3, True), None),
], ids=repr)
def test_logspace_matches_torch_exactly(args, dtype):
    ours = C.logspace(*args, dtype=None if dtype is None else NL_DTYPES[dtype])
    theirs = torch.logspace(*args, dtype=None if dtype is None else TORCH_DTYPES[dtype])
    assert_same(ours, theirs)


@pytest.mark.parametrize("start, end, steps, base", [
    (-3.3, 4.1, 101, 10.0), (0, 1, 50, 2.0), (-2, 2, 33, math.e), (1.5, -1.5, 20, 7.0),
], ids=repr)
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_logspace_matches_torch(start, end, steps, base, dtype):
    """Exponents in double (PyTorch's formula) and C's pow: float64 to 1e-12 relative
    (equal on glibc), the narrower dtypes to an ulp of each value."""
    ours = C.logspace(start, end, steps, base, dtype=NL_DTYPES[dtype]).numpy()
    theirs = torch.logspace(start, end, steps, base, dtype=TORCH_DTYPES[dtype]).numpy()
    assert ours.dtype == theirs.dtype
    if dtype == "float64":
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)
    else:
        np.testing.assert_array_less(np.abs(ours.astype(float) - theirs.astype(float)),
                                     np.spacing(np.abs(theirs)).astype(float) * 1.01)


@pytest.mark.parametrize("make, error", [
    (lambda M, D: M.logspace(0, 1, -1), RuntimeError),
    (lambda M, D: M.logspace(0, 1, 3, dtype=D.bool), NotImplementedError),
    (lambda M, D: M.logspace(0, 2, 3, "a"), TypeError),
    (lambda M, D: M.logspace(0, 1, 3, 10.0, D.float64), TypeError),
    (lambda M, D: M.logspace(0, 1, 3, dtype=D.int32, requires_grad=True), RuntimeError),
])
def test_logspace_errors_match_torch(make, error):
    with pytest.raises(error):
        make(torch, TORCH_D)
    with pytest.raises(error):
        make(NL, NL_D)


# ---------------------------------------------------------------------- argument errors
@pytest.mark.parametrize("make, error", [
    (lambda M, D: M.zeros(-1), RuntimeError),
    (lambda M, D: M.ones((2, -3)), RuntimeError),
    (lambda M, D: M.empty(-1), RuntimeError),
    (lambda M, D: M.full((-1,), 1.0), RuntimeError),
    (lambda M, D: M.rand(-1), RuntimeError),
    (lambda M, D: M.randn(2, -1), RuntimeError),
    (lambda M, D: M.randint(5, (-1,)), RuntimeError),
    (lambda M, D: M.randperm(-1), RuntimeError),
    (lambda M, D: M.eye(-1), RuntimeError),
    (lambda M, D: M.eye(2, -1), RuntimeError),
    (lambda M, D: M.zeros(), TypeError),
    (lambda M, D: M.zeros(2.0), TypeError),
    (lambda M, D: M.zeros(True), TypeError),
    (lambda M, D: M.zeros(None), TypeError),
    (lambda M, D: M.zeros(2, None), TypeError),
    (lambda M, D: M.zeros(2, (3,)), TypeError),
    (lambda M, D: M.zeros((2,), 3), TypeError),
    (lambda M, D: M.zeros([2, 3.0]), TypeError),
    (lambda M, D: M.zeros(np.array([2, 3])), TypeError),
    (lambda M, D: M.full(2, 1), TypeError),
    (lambda M, D: M.full((2,), None), TypeError),
    (lambda M, D: M.full((2,), "a"), TypeError),
    (lambda M, D: M.full((2,), [1]), TypeError),
    (lambda M, D: M.full((2,), M.tensor([1.0])), TypeError),
    (lambda M, D: M.full((2,), 1, D.float64), TypeError),
    (lambda M, D: M.full((2,), 1, requires_grad=True), RuntimeError),
    (lambda M, D: M.zeros(2, dtype=D.int32, requires_grad=True), RuntimeError),
    (lambda M, D: M.eye(2.0), TypeError),
    (lambda M, D: M.eye((2, 3)), TypeError),
    (lambda M, D: M.zeros_like(np.ones(2)), TypeError),
    (lambda M, D: M.ones_like([1, 2]), TypeError),
    (lambda M, D: M.zeros_like(M.ones(2, dtype=D.int32), requires_grad=True), RuntimeError),
    (lambda M, D: M.full_like(M.ones(2, dtype=D.int32), 300, dtype=D.uint8), RuntimeError),
    (lambda M, D: M.zeros(2, dtype=D.int64, device="cuda"), (RuntimeError, AssertionError)),
])
def test_bad_arguments_raise_as_in_torch(make, error):
    with pytest.raises(error):
        make(torch, TORCH_D)
    with pytest.raises(error):
        make(NL, NL_D)


def test_negative_sizes_are_shape_errors():
    for make in (lambda: C.zeros(-1), lambda: C.full((2, -1), 0), lambda: C.randperm(-2),
                 lambda: C.eye(-1), lambda: C.linspace(0, 1, -1)):
        with pytest.raises(ShapeError):
            make()


def test_unsupported_dtypes_are_refused():
    for make in (lambda: C.zeros(2, dtype=np.complex64), lambda: C.ones(2, dtype="uint16"),
                 lambda: C.full((2,), 1, dtype=object), lambda: C.arange(3, dtype=np.uint32),
                 lambda: C.rand(2, dtype="complex128")):
        with pytest.raises(TypeError, match="does not support dtype|must be a neuralab"):
            make()
    with pytest.raises(TypeError, match="complex"):
        C.full((2,), 1 + 2j)
    with pytest.raises(TypeError, match="complex"):
        C.linspace(1 + 1j, 2, 3)


DEVICE_CALLS = [
    lambda device: C.zeros(2, device=device), lambda device: C.ones(2, device=device),
    lambda device: C.empty(2, device=device), lambda device: C.full((2,), 1, device=device),
    lambda device: C.eye(2, device=device), lambda device: C.arange(3, device=device),
    lambda device: C.linspace(0, 1, 3, device=device),
    lambda device: C.logspace(0, 1, 3, device=device),
    lambda device: C.rand(2, device=device), lambda device: C.randn(2, device=device),
    lambda device: C.randint(3, (2,), device=device),
    lambda device: C.randperm(3, device=device),
    lambda device: C.zeros_like(C.ones(2), device=device),
    lambda device: C.ones_like(C.ones(2), device=device),
    lambda device: C.empty_like(C.ones(2), device=device),
    lambda device: C.full_like(C.ones(2), 3, device=device),
    lambda device: C.rand_like(C.ones(2), device=device),
    lambda device: C.randn_like(C.ones(2), device=device),
    lambda device: C.randint_like(C.ones(2), 3, device=device),
    lambda device: C.as_tensor([1, 2], device=device),
    lambda device: C.ones(2).new_zeros(2, device=device),
    lambda device: C.ones(2).new_ones(2, device=device),
    lambda device: C.ones(2).new_empty(2, device=device),
    lambda device: C.ones(2).new_full((2,), 1, device=device),
    lambda device: C.ones(2).new_tensor([1], device=device),
]


@pytest.mark.parametrize("call", DEVICE_CALLS)
def test_every_function_takes_the_cpu_and_refuses_cuda(call):
    for device in ("cpu", nl.device("cpu"), "cpu:0", None):
        call(device)
    with pytest.raises(DeviceError, match="not available"):
        call("cuda")
    with pytest.raises(RuntimeError):
        call(0)


# ------------------------------------------------------------------------ random values
@pytest.mark.parametrize("name", ["rand", "randn"])
def test_random_shapes_dtypes_and_flags(name):
    fn = getattr(C, name)
    for size in [(2, 3), ((2, 3),), ([4],), ((),), (0,)]:
        t = fn(*size)
        assert t.shape == tuple(getattr(torch, name)(*size).shape)
        assert t.dtype == dtypes.float32 and isinstance(t.numpy(), np.ndarray)
    for dtype in ("float16", "float32", "float64"):
        t = fn(3, dtype=NL_DTYPES[dtype], requires_grad=True)
        assert (t.dtype, t.requires_grad, t.is_leaf) == (NL_DTYPES[dtype], True, True)
    assert fn(size=(1, 2)).shape == (1, 2)


@pytest.mark.parametrize("make, error", [
    (lambda M, D: M.rand(2, dtype=D.int64), NotImplementedError),
    (lambda M, D: M.rand(2, dtype=D.bool), NotImplementedError),
    (lambda M, D: M.randn(2, dtype=D.int32), NotImplementedError),
    (lambda M, D: M.rand_like(M.ones(2, dtype=D.int32)), NotImplementedError),
    (lambda M, D: M.randn_like(M.ones(2, dtype=D.int64)), NotImplementedError),
])
def test_random_floats_refuse_integer_dtypes(make, error):
    with pytest.raises(error):
        make(torch, TORCH_D)
    before = R.get_rng_state()
    with pytest.raises(error, match="floating dtype"):
        make(NL, NL_D)
    assert R.get_rng_state() == before  # refused before drawing anything


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_rand_is_uniform_on_zero_one(dtype):
    R.manual_seed(0)
    values = C.rand(200_000, dtype=NL_DTYPES[dtype]).numpy()
    assert values.dtype == NL_DTYPES[dtype]
    assert values.min() >= 0 and values.max() < 1  # never rounded up to 1
    digits = np.finfo(values.dtype).nmant + 1  # each value is k / 2**digits
    scaled = values.astype(np.float64) * 2.0**digits
    np.testing.assert_array_equal(scaled, np.round(scaled))
    assert_mean(values, 0.5, math.sqrt(1 / 12), what="rand")
    assert_std(values, math.sqrt(1 / 12), kurtosis=KURTOSIS_UNIFORM, what="rand")
    counts = np.histogram(values.astype(np.float64), bins=10, range=(0, 1))[0]
    expected = values.size / 10  # binomial counts: within 5 standard deviations
    assert np.all(np.abs(counts - expected) <= 5 * math.sqrt(expected * 0.9))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_randn_is_standard_normal(dtype):
    R.manual_seed(1)
    values = C.randn(200_000, dtype=NL_DTYPES[dtype]).numpy()
    assert values.dtype == NL_DTYPES[dtype]
    assert_mean(values, 0.0, 1.0, what="randn")
    assert_std(values, 1.0, kurtosis=KURTOSIS_NORMAL, what="randn")
    within_one = np.mean(np.abs(values.astype(np.float64)) < 1)  # P(|z| < 1) = 0.6827
    assert abs(within_one - 0.682689) <= 5 * math.sqrt(0.6827 * 0.3173 / values.size)


def test_like_random_functions_keep_shape_and_dtype():
    x = C.ones(3, 2, dtype=dtypes.float64)
    for fn in (C.rand_like, C.randn_like):
        assert (fn(x).shape, fn(x).dtype) == ((3, 2), dtypes.float64)
        assert fn(C.ones(2, dtype=dtypes.int32), dtype=dtypes.float16).dtype == dtypes.float16
        assert fn(x, requires_grad=True).requires_grad
    assert C.rand_like(x).numpy().max() < 1
    t = C.randint_like(C.ones(500, dtype=dtypes.int32), 3, 7)
    assert t.dtype == dtypes.int32 and set(np.unique(t.numpy())) == {3, 4, 5, 6}
    t = C.randint_like(x, 5)
    assert t.dtype == dtypes.float64 and set(np.unique(t.numpy())) <= {0.0, 1, 2, 3, 4}
    assert C.randint_like(x, high=5, requires_grad=True).requires_grad
    assert C.randint_like(C.zeros(8, dtype=dtypes.bool_), 2).dtype == dtypes.bool_
    assert set(np.unique(C.randint_like(x, low=-2, high=0).numpy())) <= {-2.0, -1.0}


# ------------------------------------------------------------------------------ randint
def test_randint_signatures_and_dtypes():
    R.manual_seed(2)
    for make, low, high in [
        (lambda M: M.randint(5, (3, 100)), 0, 5),
        (lambda M: M.randint(2, 5, (3, 100)), 2, 5),
        (lambda M: M.randint(5, size=(3, 100)), 0, 5),
        (lambda M: M.randint(-4, high=-1, size=[3, 100]), -4, -1),
        (lambda M: M.randint(low=2, high=5, size=(3, 100)), 2, 5),
        (lambda M: M.randint(high=5, size=(3, 100)), 0, 5),
    ]:
        ours, theirs = make(NL), make(torch)
        assert ours.shape == tuple(theirs.shape) and dtype_name(ours) == dtype_name(theirs)
        assert set(np.unique(ours.numpy())) == set(range(low, high))  # 300 draws hit each
    assert C.randint(5, ()).shape == () and C.randint(5, (0, 2)).shape == (0, 2)
    for dtype in ("float32", "float64", "float16", "int8", "uint8", "int16", "int32"):
        ours = C.randint(3, (10,), dtype=NL_DTYPES[dtype])
        assert dtype_name(ours) == dtype_name(torch.randint(3, (10,), dtype=TORCH_DTYPES[dtype]))
    assert C.randint(2, (10,), dtype=dtypes.bool_).dtype == dtypes.bool_
    assert C.randint(5, (3,), dtype=dtypes.float32, requires_grad=True).requires_grad
    big = C.randint(-(2**63), 2**63 - 1, (1000,)).numpy()
    assert big.dtype == np.int64 and big.min() < -(2**60) and big.max() > 2**60


def test_randint_is_uniform():
    R.manual_seed(3)
    values = C.randint(10, 20, (100_000,)).numpy()
    counts = np.bincount(values - 10, minlength=10)
    assert counts.size == 10
    expected = values.size / 10
    assert np.all(np.abs(counts - expected) <= 5 * math.sqrt(expected * 0.9))


@pytest.mark.parametrize("make, error, match", [
    (lambda M, D: M.randint(5, 2, (3,)), RuntimeError, "from=5 >= to=2"),
    (lambda M, D: M.randint(5, 5, (3,)), RuntimeError, "from=5 >= to=5"),
    (lambda M, D: M.randint(0, (3,)), RuntimeError, "from=0 >= to=0"),
    (lambda M, D: M.randint(-3, (3,)), RuntimeError, "from=0 >= to=-3"),
    (lambda M, D: M.randint(5, (3,), dtype=D.bool), RuntimeError, "to - 1 is out of bounds"),
    (lambda M, D: M.randint(300, (3,), dtype=D.uint8), RuntimeError, "to - 1 is out of bounds"),
    (lambda M, D: M.randint(-5, 0, (3,), dtype=D.uint8), RuntimeError, "from is out of bounds"),
    (lambda M, D: M.randint(2**31 + 1, (2,), dtype=D.int32), RuntimeError, "out of bounds"),
    (lambda M, D: M.randint(5, (3,), requires_grad=True), RuntimeError, "floating point"),
    (lambda M, D: M.randint(5, 3), TypeError, "must be tuple of ints, not int"),
    (lambda M, D: M.randint(5.5, (3,)), TypeError, None),
    (lambda M, D: M.randint(1.5, 5.5, (3,)), TypeError, None),
    (lambda M, D: M.randint(5), TypeError, None),
    (lambda M, D: M.randint(5, 2, 2), TypeError, None),
    (lambda M, D: M.randint_like(M.ones(2, dtype=D.int32), 5, 2), RuntimeError, "from=5"),
    (lambda M, D: M.randint_like(M.ones(2, dtype=D.int32), 0), RuntimeError, "from=0 >= to=0"),
    (lambda M, D: M.randint_like(M.ones(2, dtype=D.int32), 5.5), TypeError, None),
    (lambda M, D: M.randint_like(M.ones(2, dtype=D.int32), 2**40), RuntimeError, "out of bounds"),
    (lambda M, D: M.randint_like(M.zeros(2, dtype=D.bool), 3), RuntimeError, "out of bounds"),
    (lambda M, D: M.randint_like(M.ones(2, dtype=D.int32), 5, requires_grad=True),
     RuntimeError, "floating point"),
])
def test_randint_errors_match_torch(make, error, match):
    with pytest.raises(error, match=match):
        make(torch, TORCH_D)
    before = R.get_rng_state()
    with pytest.raises(error, match=match):
        make(NL, NL_D)
    assert R.get_rng_state() == before


@pytest.mark.parametrize("make", [
    lambda M, D: M.randint(2**24 + 2, (2,), dtype=D.float32),
    lambda M, D: M.randint(-(2**24) - 1, 0, (2,), dtype=D.float32),
    lambda M, D: M.randint(2050, (2,), dtype=D.float16),
    lambda M, D: M.randint(2**53 + 2, (2,), dtype=D.float64),
])
def test_randint_warns_beyond_the_integers_a_float_dtype_holds(make):
    with pytest.warns(UserWarning, match="out of bounds"):
        make(torch, TORCH_D)
    with pytest.warns(UserWarning, match="out of bounds"):
        make(NL, NL_D)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        C.randint(2**24 + 1, (2,), dtype=dtypes.float32)  # the last one that fits


# ----------------------------------------------------------------------------- randperm
def test_randperm_is_a_permutation():
    R.manual_seed(4)
    for n in (0, 1, 2, 10, 1000):
        t = C.randperm(n)
        assert (t.dtype, t.shape) == (dtypes.int64, (n,))
        np.testing.assert_array_equal(np.sort(t.numpy()), np.arange(n))
    assert not np.array_equal(C.randperm(1000).numpy(), np.arange(1000))
    for dtype in ("float32", "float16", "int8", "uint8", "int32"):
        t = C.randperm(100, dtype=NL_DTYPES[dtype])
        assert t.dtype == NL_DTYPES[dtype]
        np.testing.assert_array_equal(np.sort(t.numpy()), np.arange(100))
    assert C.randperm(5, dtype=dtypes.float64, requires_grad=True).requires_grad
    assert C.randperm(256, dtype=dtypes.uint8).shape == (256,)
    assert C.randperm(2049, dtype=dtypes.float16).shape == (2049,)
    # each value lands in each position equally often
    R.manual_seed(5)
    positions = np.stack([C.randperm(4).numpy() for _ in range(4000)])
    counts = np.stack([(positions == v).sum(axis=0) for v in range(4)])
    assert np.all(np.abs(counts - 1000) <= 5 * math.sqrt(1000 * 0.75))


@pytest.mark.parametrize("make, error", [
    (lambda M, D: M.randperm(5, dtype=D.bool), NotImplementedError),
    (lambda M, D: M.randperm(129, dtype=D.int8), RuntimeError),
    (lambda M, D: M.randperm(257, dtype=D.uint8), RuntimeError),
    (lambda M, D: M.randperm(2050, dtype=D.float16), RuntimeError),
    (lambda M, D: M.randperm(2**24 + 2, dtype=D.float32), RuntimeError),
    (lambda M, D: M.randperm(5.0), TypeError),
    (lambda M, D: M.randperm(5, requires_grad=True), RuntimeError),
])
def test_randperm_errors_match_torch(make, error):
    with pytest.raises(error):
        make(torch, TORCH_D)
    with pytest.raises(error):
        make(NL, NL_D)


# ------------------------------------------------------------------------- reproducibility
RANDOM_CALLS = {
    "rand": lambda g: C.rand(3, 4, generator=g),
    "rand16": lambda g: C.rand(7, dtype=dtypes.float16, generator=g),
    "randn": lambda g: C.randn(3, 4, generator=g),
    "randint": lambda g: C.randint(2, 9, (5,), generator=g),
    "randperm": lambda g: C.randperm(9, generator=g),
    "rand_like": lambda g: C.rand_like(C.ones(4), generator=g),
    "randn_like": lambda g: C.randn_like(C.ones(4), generator=g),
    "randint_like": lambda g: C.randint_like(C.ones(4), 9, generator=g),
}


@pytest.mark.parametrize("name", sorted(RANDOM_CALLS))
def test_manual_seed_and_generators_reproduce_values(name):
    draw = RANDOM_CALLS[name]
    R.manual_seed(7)
    first = draw(None).numpy()
    R.manual_seed(7)
    np.testing.assert_array_equal(draw(None).numpy(), first)
    R.manual_seed(8)
    assert not np.array_equal(draw(None).numpy(), first)
    generator = R.Generator().manual_seed(7)
    from_generator = draw(generator).numpy()
    np.testing.assert_array_equal(from_generator, first)  # one seed, one stream
    # a generator's draws leave the default stream alone
    R.manual_seed(7)
    draw(R.Generator().manual_seed(1))
    np.testing.assert_array_equal(draw(None).numpy(), first)


def test_generator_argument_must_be_a_neuralab_or_numpy_generator():
    with pytest.raises(TypeError, match="neuralab.Generator"):
        C.rand(2, generator=torch.Generator())
    with pytest.raises(TypeError, match="neuralab.Generator"):
        C.randperm(2, generator=0)
    C.randn(2, generator=np.random.default_rng(0))


def test_generator_api_as_torch():
    g = R.Generator()
    assert g.initial_seed() == torch.Generator().initial_seed() == R.DEFAULT_SEED
    assert g.device == nl.device("cpu")
    assert g.manual_seed(3) is g and g.initial_seed() == 3
    state = g.get_state()
    a = C.rand(4, generator=g).numpy()
    assert g.set_state(state) is g
    np.testing.assert_array_equal(C.rand(4, generator=g).numpy(), a)
    with pytest.raises(ValueError, match="not a valid"):
        g.set_state({"bit_generator": "MT19937"})
    np.testing.assert_array_equal(C.rand(4, generator=g.set_state(state)).numpy(), a)
    seed = g.seed()
    assert g.initial_seed() == seed and 0 <= seed < 2**64
    # unseeded generators all start at the same place, as torch's do
    np.testing.assert_array_equal(C.rand(3, generator=R.Generator()).numpy(),
                                  C.rand(3, generator=R.Generator()).numpy())
    with pytest.raises(DeviceError):
        R.Generator("cuda")


def test_generator_copies_keep_class_position_and_seed():
    g = R.Generator().manual_seed(11)
    C.rand(3, generator=g)
    for clone in (copy.deepcopy(g), pickle.loads(pickle.dumps(g))):
        assert isinstance(clone, R.Generator) and clone.initial_seed() == 11
        np.testing.assert_array_equal(C.rand(5, generator=clone).numpy(),
                                      C.rand(5, generator=copy.deepcopy(g)).numpy())


def test_manual_seed_reseeds_the_default_generator_in_place():
    default = R.default_generator()
    assert R.manual_seed(5) is default and R.initial_seed() == 5
    assert isinstance(default, R.Generator) and isinstance(default, np.random.Generator)
    assert R.manual_seed(-1).initial_seed() == torch.manual_seed(-1).initial_seed() == 2**64 - 1
    with pytest.raises(ValueError):
        torch.manual_seed(2**64)
    with pytest.raises(ValueError, match="Overflow"):
        R.manual_seed(2**64)
    with pytest.raises(TypeError):
        R.manual_seed(1.5)
    seed = R.seed()
    assert R.initial_seed() == seed
    R.manual_seed(0)


# ---------------------------------------------------------------------- NumPy interchange
@pytest.mark.parametrize("dtype", NAMES)
def test_from_numpy_shares_memory_and_keeps_dtype(dtype):
    array = np.arange(6).reshape(2, 3).astype(NL_DTYPES[dtype])
    ours, theirs = C.from_numpy(array), torch.from_numpy(array.copy())
    assert_same(ours, theirs)
    assert ours.numpy() is array or np.shares_memory(ours.numpy(), array)
    array[0, 0] = 1
    assert ours.numpy()[0, 0] == 1
    ours.numpy()[1, 2] = 0
    assert array[1, 2] == 0


def test_from_numpy_views_and_zero_dim():
    base = np.arange(8.0)
    t = C.from_numpy(base[::2])
    assert t.shape == (4,) and np.shares_memory(t.numpy(), base)
    assert_same(C.from_numpy(np.array(2.0)), torch.from_numpy(np.array(2.0)))
    assert_same(C.from_numpy(np.zeros((2, 0))), torch.from_numpy(np.zeros((2, 0))))


@pytest.mark.parametrize("array", [
    np.array([1 + 1j]), np.array([1], dtype=np.uint16), np.array([1], dtype=np.uint64),
    np.array(["a"]), np.array([1], dtype=object), np.array(["2020"], dtype="datetime64[D]"),
], ids=lambda a: str(a.dtype))
def test_from_numpy_refuses_unsupported_dtypes(array):
    with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.*supports"):
        C.from_numpy(array)
    with pytest.raises(TypeError, match="can't convert"):
        C.as_tensor(array)


def test_from_numpy_refuses_other_inputs_and_byte_orders():
    for value in ([1, 2], np.float64(2), 3.0, C.ones(2)):
        with pytest.raises(TypeError, match="expected np.ndarray"):
            C.from_numpy(value)
        with pytest.raises(TypeError, match="expected np.ndarray"):
            torch.from_numpy(value if not isinstance(value, nl.Tensor) else torch.ones(2))
    swapped = np.array([1.0, 2.0], dtype=">f8" if np.little_endian else "<f8")
    with pytest.raises(ValueError, match="byte order"):
        torch.from_numpy(swapped)
    with pytest.raises(ValueError, match="byte order"):
        C.from_numpy(swapped)


def test_from_numpy_and_as_tensor_warn_for_read_only_arrays():
    array = np.arange(3.0)
    array.flags.writeable = False
    for fn in (C.from_numpy, C.as_tensor):
        with pytest.warns(UserWarning, match="not writable"):
            t = fn(array)
        assert np.shares_memory(t.numpy(), array)


def test_as_tensor_shares_an_array_of_the_asked_dtype_and_copies_otherwise():
    array = np.arange(4.0)
    shared = C.as_tensor(array)
    assert shared.dtype == dtypes.float64 and np.shares_memory(shared.numpy(), array)
    assert np.shares_memory(C.as_tensor(array, dtype=dtypes.float64).numpy(), array)
    assert np.shares_memory(C.as_tensor(array, dtype=float).numpy(), array)
    cast = C.as_tensor(array, dtype=dtypes.float32)
    assert_same(cast, torch.as_tensor(array, dtype=torch.float32))
    assert not np.shares_memory(cast.numpy(), array)
    assert_same(C.as_tensor(np.array([1], dtype=np.uint16), dtype=dtypes.float32),
                torch.as_tensor(np.array([1], dtype=np.uint16), dtype=torch.float32))


def test_as_tensor_returns_a_tensor_itself_or_a_cast_in_the_graph():
    x = C.ones(3, requires_grad=True)
    assert C.as_tensor(x) is x and C.as_tensor(x, dtype=dtypes.float32) is x
    y = C.as_tensor(x, dtype=dtypes.float64)
    theirs = torch.as_tensor(torch.ones(3, requires_grad=True), dtype=torch.float64)
    assert (y.dtype, y.requires_grad, y.is_leaf) == (dtypes.float64, True, False)
    assert (theirs.requires_grad, theirs.is_leaf) == (True, False)
    (y * 2).sum().backward()
    assert x.grad.dtype == dtypes.float32
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])


@pytest.mark.parametrize("data", [
    [1, 2], [1.0, 2], (1, 2.5), 3, 3.0, True, [[1, 2], [3, 4]], [True, False], range(3),
    np.float64(3), np.int32(3), np.float32(2.5), np.bool_(True), [],
], ids=repr)
def test_as_tensor_infers_dtypes_as_torch(data):
    assert_same(C.as_tensor(data), torch.as_tensor(data))
    assert_same(C.as_tensor(data, dtype=dtypes.float64),
                torch.as_tensor(data, dtype=torch.float64))


def test_as_tensor_takes_dtype_and_device_by_keyword_only():
    with pytest.raises(TypeError):
        torch.as_tensor([1, 2], torch.float64)
    with pytest.raises(TypeError):
        C.as_tensor([1, 2], dtypes.float64)


# ----------------------------------------------------------------- Tensor.new_* methods
@pytest.mark.parametrize("make", [
    lambda M, D: M.ones(2, dtype=D.float64).new_zeros(3),
    lambda M, D: M.ones(2, dtype=D.float64).new_zeros(2, 3),
    lambda M, D: M.ones(2, dtype=D.float64).new_zeros((2, 3)),
    lambda M, D: M.ones(2, dtype=D.float64).new_zeros(size=(2, 3)),
    lambda M, D: M.ones(2, dtype=D.float64).new_zeros([2, 3], dtype=D.int32),
    lambda M, D: M.ones(2, dtype=D.float64).new_zeros(2, requires_grad=True),
    lambda M, D: M.ones(2, requires_grad=True).new_zeros(2),
    lambda M, D: M.ones(2, dtype=D.int32).new_ones(2),
    lambda M, D: M.ones(2, dtype=D.uint8).new_ones((1, 2), dtype=D.float16),
    lambda M, D: M.ones(2, dtype=D.float64).new_full((2,), 3),
    lambda M, D: M.ones(2, dtype=D.int32).new_full((2,), 3.7),
    lambda M, D: M.ones(2, dtype=D.bool).new_full([2, 2], 5),
    lambda M, D: M.ones(2, dtype=D.int32).new_full((2,), 3.7, dtype=D.float32),
    lambda M, D: M.ones(2, dtype=D.float64).new_tensor([1, 2]),
    lambda M, D: M.ones(2, dtype=D.int32).new_tensor([1.5, 2]),
    lambda M, D: M.ones(2, dtype=D.float64).new_tensor([1, 2], dtype=D.int64),
    lambda M, D: M.ones(2, dtype=D.float64).new_tensor(np.array([1, 2], dtype=np.int32)),
    lambda M, D: M.ones(2, dtype=D.float64).new_tensor([1, 2], requires_grad=True),
    lambda M, D: M.ones(2, dtype=D.float16).new_tensor(3),
])
def test_new_methods_inherit_dtype_as_torch(make):
    theirs, ours = both(make)
    assert_same(ours, theirs)


def test_new_empty_and_new_tensor_copies():
    x = C.ones(2, dtype=dtypes.int16)
    empty = x.new_empty(2, 3)
    assert (empty.shape, empty.dtype) == ((2, 3), dtypes.int16)
    assert x.new_empty((4,)).shape == (4,)
    source = np.arange(3.0)
    copied = C.ones(1, dtype=dtypes.float64).new_tensor(source)
    source[0] = 9
    assert copied.numpy()[0] == 0
    grad_source = C.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="detach"):
        copied = C.ones(1).new_tensor(grad_source)
    assert (copied.requires_grad, copied.is_leaf) == (False, True)
    assert not np.shares_memory(copied.numpy(), grad_source.detach().numpy())


@pytest.mark.parametrize("make, error", [
    (lambda M, D: M.ones(2, dtype=D.int32).new_zeros(2, requires_grad=True), RuntimeError),
    (lambda M, D: M.ones(2).new_full(2, 3), TypeError),
    (lambda M, D: M.ones(2).new_full(2, 3, 4), TypeError),
    (lambda M, D: M.ones(2, dtype=D.int32).new_full((2,), 2**40), RuntimeError),
    (lambda M, D: M.ones(2).new_zeros(), TypeError),
    (lambda M, D: M.ones(2).new_ones(-1), RuntimeError),
    (lambda M, D: M.ones(2).new_full((2,), None), TypeError),
])
def test_new_methods_errors_match_torch(make, error):
    with pytest.raises(error):
        make(torch, TORCH_D)
    with pytest.raises(error):
        make(NL, NL_D)
