"""Reductions side by side with PyTorch: every dim of every shape, keepdim, negative dims, 0-d
and empty tensors, ties and NaNs, dtypes, ``max(dim)``'s named tuple, graph node names, the
accuracy idioms of PyTorch code, and the errors PyTorch raises; var/std and the orderings
sort/argsort/topk along every dim.

Inputs are small integers in float64, so most reductions are exact and ties are common: sums
of a few integers, maxima and indices compare exactly; a mean is one division of an exact sum
and a gradient share g/k one division, both correctly rounded — within a few ulps (1e-15
relative) of torch's, whatever the order torch sums in.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import neuralab as nl

pytestmark = pytest.mark.filterwarnings("error")

SHAPES = [(), (5,), (3, 4), (2, 3, 4)]
RTOL = 1e-15  # a few correctly rounded operations in float64 (see the module docstring)


def _ints(shape: tuple, seed: int = 0, lo: int = -2, hi: int = 3) -> np.ndarray:
    """Small integers as float64: exact sums, many ties."""
    return np.random.default_rng(seed).integers(lo, hi, shape).astype(np.float64)


def _dims(ndim: int) -> list[Any]:
    """None, every single dim (positive and negative) and every tuple of distinct dims."""
    rank = max(ndim, 1)
    singles = list(range(-rank, rank))
    tuples = [c for r in range(1, ndim + 1) for c in itertools.combinations(range(ndim), r)]
    mixed = [tuple(d - ndim if i % 2 else d for i, d in enumerate(c)) for c in tuples]
    return [None, *singles, *tuples, *mixed, ()]


def _run(lib: Any, array: np.ndarray, fn: Callable, g_seed: int = 1) -> tuple:
    """fn(x) in ``lib`` (neuralab or torch) and dL/dx for a random upstream gradient."""
    x = lib.tensor(array.copy(), requires_grad=True)
    y = fn(x)
    g = np.random.default_rng(g_seed).standard_normal(tuple(y.shape))
    y.backward(lib.tensor(g))
    grad = x.grad.numpy() if x.grad is not None else np.zeros(array.shape)
    return y, grad


def _node_name(t: Any) -> str:
    return t.grad_fn.name() if isinstance(t, nl.Tensor) else type(t.grad_fn).__name__


def _assert_same(ours: nl.Tensor, theirs: torch.Tensor, rtol: float = 0.0) -> None:
    """Same shape, dtype and values (NaN where torch has NaN)."""
    assert isinstance(ours, nl.Tensor)
    expected = theirs.detach().numpy()
    assert ours.shape == expected.shape
    assert ours.dtype == expected.dtype
    np.testing.assert_allclose(ours.detach().numpy(), expected, rtol=rtol, atol=0)


# --------------------------------------------------------- sum, mean, amax, amin: every dim


CASES = [(shape, dim, keepdim) for shape in SHAPES for dim in _dims(len(shape))
         for keepdim in (False, True)]


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin"])
@pytest.mark.parametrize(("shape", "dim", "keepdim"), CASES, ids=str)
def test_dim_reductions_match_torch(name: str, shape: tuple, dim: Any, keepdim: bool) -> None:
    """Values, shapes, dtypes, gradients (ties share them in amax/amin) and node names."""
    if dim is None:  # x.sum(), x.amax(keepdim=True)... (torch's sum and mean need a dim there)
        kwargs: dict = {"keepdim": True} if keepdim and name in ("amax", "amin") else {}
    else:
        kwargs = {"dim": dim, "keepdim": keepdim}
    array = _ints(shape, seed=len(shape))
    y, grad = _run(nl, array, lambda x: getattr(x, name)(**kwargs))
    expected, expected_grad = _run(torch, array, lambda x: getattr(x, name)(**kwargs))
    _assert_same(y, expected, RTOL)
    np.testing.assert_allclose(grad, expected_grad, rtol=RTOL, atol=0)
    assert _node_name(y) == _node_name(expected)


@pytest.mark.parametrize(("shape", "dim", "keepdim"), CASES[::3], ids=str)
def test_axis_and_keepdims_are_aliases_of_dim_and_keepdim(shape: tuple, dim: Any,
                                                          keepdim: bool) -> None:
    x = nl.tensor(_ints(shape))
    for name in ("sum", "mean", "amax", "amin"):
        np.testing.assert_array_equal(getattr(x, name)(axis=dim, keepdims=keepdim).numpy(),
                                      getattr(x, name)(dim=dim, keepdim=keepdim).numpy())
    with pytest.raises(TypeError, match="either axis= or dim="):
        x.sum(axis=0, dim=0)


def test_positional_dim_and_keepdim_as_torch() -> None:
    array = _ints((3, 4))
    x, t = nl.tensor(array), torch.tensor(array)
    _assert_same(nl.sum(x, 1, True), torch.sum(t, 1, True))
    _assert_same(x.mean(0, True), t.mean(0, True), RTOL)
    _assert_same(x.amax((0, 1), True), t.amax((0, 1), True))
    _assert_same(nl.amin(x, -1), torch.amin(t, -1))


# -------------------------------------------------------------------- max(dim), min(dim)


DIM_CASES = [(shape, dim, keepdim) for shape in SHAPES
             for dim in range(-max(len(shape), 1), max(len(shape), 1))
             for keepdim in (False, True)]


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize(("shape", "dim", "keepdim"), DIM_CASES, ids=str)
def test_max_and_min_along_a_dim_match_torch(name: str, shape: tuple, dim: int,
                                             keepdim: bool) -> None:
    """(values, indices): the first of tied extremes, which alone receives the gradient."""
    array = _ints(shape, seed=7)
    results = {}
    for lib in (nl, torch):
        x = lib.tensor(array.copy(), requires_grad=True)
        result = getattr(x, name)(dim, keepdim)
        g = np.random.default_rng(2).standard_normal(tuple(result.values.shape))
        result.values.backward(lib.tensor(g))
        results[lib.__name__] = (result, x.grad.numpy())
    (ours, grad), (theirs, expected_grad) = results["neuralab"], results["torch"]
    assert type(ours).__name__ == type(theirs).__name__ == name
    _assert_same(ours.values, theirs.values)
    _assert_same(ours.indices, theirs.indices)
    assert ours.indices.dtype == nl.int64 and not ours.indices.requires_grad
    np.testing.assert_array_equal(grad, expected_grad)
    assert _node_name(ours.values) == _node_name(theirs.values)  # MaxBackward0


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_max_and_min_of_everything_share_tied_gradients_as_torch(name: str,
                                                                 shape: tuple) -> None:
    """x.max(): a 0-d value; PyTorch (MaxBackward1) splits the gradient evenly among ties."""
    for seed in range(4):
        array = _ints(shape, seed=seed, lo=0, hi=2)  # 0s and 1s: ties almost surely
        y, grad = _run(nl, array, lambda x: getattr(x, name)())
        expected, expected_grad = _run(torch, array, lambda x: getattr(x, name)())
        _assert_same(y, expected)
        np.testing.assert_allclose(grad, expected_grad, rtol=RTOL, atol=0)
        assert _node_name(y) == _node_name(expected)


def test_max_of_everything_with_nan_sends_the_gradient_to_the_nans() -> None:
    array = np.array([[1.0, np.nan, 3.0], [np.nan, 0.0, 3.0]])
    for name in ("max", "min"):
        y, grad = _run(nl, array, lambda x, name=name: getattr(x, name)())
        expected, expected_grad = _run(torch, array, lambda x, name=name: getattr(x, name)())
        _assert_same(y, expected)
        np.testing.assert_array_equal(grad, expected_grad)  # 1/2 at each NaN
    # amax: a NaN maximum equals no element, so its slice's gradient is NaN, as torch's
    y, grad = _run(nl, array, lambda x: x.amax(1))
    expected, expected_grad = _run(torch, array, lambda x: x.amax(1))
    _assert_same(y, expected)
    np.testing.assert_array_equal(grad, expected_grad)


def test_max_returns_a_named_tuple_like_torch_return_types() -> None:
    x = nl.tensor([[1.0, 5.0, 5.0], [7.0, 2.0, 7.0]], requires_grad=True)
    result = x.max(1)
    assert isinstance(result, tuple) and len(result) == 2
    assert result._fields == ("values", "indices")
    values, indices = result
    assert values is result.values is result[0] and indices is result.indices is result[1]
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert repr(result) == ("neuralab.return_types.max(\nvalues=tensor([5., 7.], "
                            "grad_fn=<MaxBackward0>),\nindices=tensor([1, 0]))")
    assert type(x.min(0)).__name__ == "min" and x.min(0).indices.tolist() == [0, 1, 0]
    # max() of everything and amax are plain tensors
    assert isinstance(x.max(), nl.Tensor) and isinstance(x.amax(1), nl.Tensor)


# --------------------------------------------------------------------- argmax, argmin


ARG_CASES = [(shape, dim, keepdim) for shape in SHAPES
             for dim in [None, *range(-max(len(shape), 1), max(len(shape), 1))]
             for keepdim in (False, True)]


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize(("shape", "dim", "keepdim"), ARG_CASES, ids=str)
def test_argmax_and_argmin_match_torch(name: str, shape: tuple, dim: Any,
                                       keepdim: bool) -> None:
    for seed in range(3):
        array = _ints(shape, seed=seed)
        ours = getattr(nl.tensor(array, requires_grad=True), name)(dim, keepdim)
        _assert_same(ours, getattr(torch.tensor(array), name)(dim, keepdim))
        assert not ours.requires_grad and ours.grad_fn is None


def test_argmax_of_integers_and_nan_as_torch() -> None:
    ints = np.array([[3, -1, 3], [0, 2, 2]])
    _assert_same(nl.tensor(ints).argmax(1), torch.tensor(ints).argmax(1))
    _assert_same(nl.tensor(ints).argmin(), torch.tensor(ints).argmin())
    nans = np.array([2.0, np.nan, 5.0, np.nan])
    _assert_same(nl.tensor(nans).argmax(), torch.tensor(nans).argmax())
    _assert_same(nl.tensor(nans).argmin(), torch.tensor(nans).argmin())


# -------------------------------------------------------------------------- all, any


@pytest.mark.parametrize("name", ["all", "any"])
@pytest.mark.parametrize(("shape", "dim", "keepdim"), CASES, ids=str)
def test_all_and_any_match_torch(name: str, shape: tuple, dim: Any, keepdim: bool) -> None:
    """Over every dim or tuple of dims (an empty tuple reduces nothing here, as in torch)."""
    array = _ints(shape, seed=3, lo=0, hi=4)  # about a quarter zeros
    for dtype in (np.float64, np.bool_, np.uint8, np.int32):
        data = array.astype(dtype)
        if dim is None:
            ours = getattr(nl.tensor(data), name)()
            expected = getattr(torch.tensor(data), name)()
            if keepdim:
                continue
        else:
            ours = getattr(nl.tensor(data), name)(dim, keepdim)
            expected = getattr(torch.tensor(data), name)(dim, keepdim)
        _assert_same(ours, expected)  # bool; uint8 for uint8 input


# ------------------------------------------------------------------------ var, std


# dim=() reduces every dim, but torch 2.13's var/std backward then divides by N − c with N = 1
# (a product over no dims): test_ops_pytorch_gaps.py checks neuralab's true gradient instead.
VAR_CASES = [(shape, dim, keepdim) for shape, dim, keepdim in CASES
             if len(shape) >= 1 and not (dim is None and keepdim) and dim != ()]


def _reduced(shape: tuple, dim: Any) -> int:
    if dim is None or dim == ():
        return int(np.prod(shape))
    dims = dim if isinstance(dim, tuple) else (dim,)
    return int(np.prod([shape[d] for d in dims]))


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize(("shape", "dim", "keepdim"), VAR_CASES, ids=str)
def test_var_and_std_along_every_dim_match_torch(name: str, shape: tuple, dim: Any,
                                                 keepdim: bool) -> None:
    """Bessel's correction (and none): values, gradients and node names; a reduction over
    one element has no degree of freedom (NaN and torch's warning, checked elsewhere)."""
    kwargs: dict = {} if dim is None else {"dim": dim, "keepdim": keepdim}
    corrections = [1, 0] if _reduced(shape, dim) > 1 else [0]
    array = _ints(shape, seed=len(shape) + 3)
    for correction in corrections:
        fn = lambda x, c=correction: getattr(x, name)(correction=c, **kwargs)  # noqa: E731
        y, grad = _run(nl, array, fn)
        expected, expected_grad = _run(torch, array, fn)
        # a mean, deviations, their squares' sum, one division (and a root): a few roundings
        _assert_same(y, expected, 1e-13)
        nonzero = expected.detach().numpy() != 0
        if name == "var" or nonzero.all():
            np.testing.assert_allclose(grad, expected_grad, rtol=1e-13, atol=1e-15)
        assert _node_name(y) == _node_name(expected)


# ------------------------------------------------------------------- sort, argsort, topk


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize(("shape", "dim", "keepdim"), DIM_CASES[::2], ids=str)
def test_sort_and_argsort_along_every_dim_match_torch(shape: tuple, dim: int, keepdim: bool,
                                                      descending: bool) -> None:
    """Small integers: many ties, which torch's stable CPU sort keeps in order; the gradient
    goes back to the positions the indices name."""
    array = _ints(shape, seed=9)
    results = {}
    for lib in (nl, torch):
        x = lib.tensor(array.copy(), requires_grad=True)
        result = x.sort(dim, descending)
        result.values.backward(lib.tensor(np.random.default_rng(4).standard_normal(
            tuple(result.values.shape))))
        results[lib.__name__] = (result, x.grad.numpy(), x.detach().argsort(dim, descending))
    (ours, grad, order), (theirs, expected_grad, expected_order) = (results["neuralab"],
                                                                    results["torch"])
    assert type(ours).__name__ == type(theirs).__name__ == "sort"
    _assert_same(ours.values, theirs.values)
    _assert_same(ours.indices, theirs.indices)
    _assert_same(order, expected_order)
    np.testing.assert_array_equal(grad, expected_grad)


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize(("shape", "dim", "keepdim"), DIM_CASES[::2], ids=str)
def test_topk_along_every_dim_matches_torch(shape: tuple, dim: int, keepdim: bool,
                                            largest: bool) -> None:
    """Distinct values (torch's choice among tied values is its own): every k."""
    size = int(np.prod(shape))
    array = (np.random.default_rng(3).permutation(size) * 1.0).reshape(shape)
    n = shape[dim] if shape else 1
    for k in range(n + 1):
        results = {}
        for lib in (nl, torch):
            x = lib.tensor(array.copy(), requires_grad=True)
            result = x.topk(k, dim, largest)
            result.values.backward(lib.tensor(np.random.default_rng(k).standard_normal(
                tuple(result.values.shape))))
            results[lib.__name__] = (result, x.grad.numpy())
        (ours, grad), (theirs, expected_grad) = results["neuralab"], results["torch"]
        _assert_same(ours.values, theirs.values)
        _assert_same(ours.indices, theirs.indices)
        np.testing.assert_array_equal(grad, expected_grad)


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int16", "int32", "int64",
                                   "float16", "float32", "float64"])
def test_ordering_and_spread_dtypes_as_torch(dtype: str) -> None:
    """sort/topk keep the dtype (topk refuses bool); var/std want floating tensors."""
    array = np.random.default_rng(6).integers(0, 3, (3, 4)).astype(dtype)
    x, t = nl.tensor(array), torch.tensor(array)
    _assert_same(x.sort(1).values, t.sort(1).values)
    _assert_same(x.sort(0, True).indices, t.sort(0, True).indices)
    _assert_same(x.argsort(), t.argsort())
    if dtype == "bool":
        for lib_x in (x, t):
            with pytest.raises(RuntimeError, match="topk does not support bool"):
                lib_x.topk(1)
    else:
        _assert_same(x.topk(1).values, t.topk(1).values)
    if array.dtype.kind == "f":
        _assert_same(x.var(1), t.var(1), 1e-3 if dtype == "float16" else 1e-6)
        _assert_same(x.std(), t.std(), 1e-3 if dtype == "float16" else 1e-6)
    else:
        for lib_x in (x, t):
            with pytest.raises(RuntimeError, match="std and var only support floating point"):
                lib_x.var()
            with pytest.raises(RuntimeError, match="std and var only support floating point"):
                lib_x.std(0)


# --------------------------------------------------------------------------- dtypes


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int16", "int32", "int64",
                                   "float16", "float32", "float64"])
def test_result_dtypes_as_torch(dtype: str) -> None:
    """Bool and integer sums are int64, floats keep their dtype; max/amax keep the input's;
    mean refuses non-floating input; sum(dtype=) and mean(dtype=) cast first."""
    array = np.random.default_rng(5).integers(0, 3, (3, 4)).astype(dtype)
    x, t = nl.tensor(array), torch.tensor(array)
    float16 = dtype == "float16"
    for fn in (lambda a: a.sum(), lambda a: a.sum(1), lambda a: a.sum(dtype=_lib(a).float64),
               lambda a: a.sum(0, dtype=_lib(a).int32), lambda a: a.amax(0),
               lambda a: a.max(1).values, lambda a: a.amin(), lambda a: a.max()):
        _assert_same(fn(x), fn(t), 1e-3 if float16 else 0.0)
    if array.dtype.kind == "f":
        _assert_same(x.mean(1), t.mean(1), 1e-3 if float16 else RTOL)
    else:
        message = r"mean\(\): could not infer output dtype. Input dtype must be either a floating"
        with pytest.raises(RuntimeError, match=message):
            t.mean()
        with pytest.raises(RuntimeError, match=message):
            x.mean()
        _assert_same(x.mean(dtype=nl.float64), t.mean(dtype=torch.float64), RTOL)


def test_float32_gradients_stay_float32() -> None:
    for fn in (lambda a: a.sum(1), lambda a: a.mean(), lambda a: a.amax(0),
               lambda a: a.max(), lambda a: a.min(1).values, lambda a: a.sum(dtype=nl.float64)):
        x = nl.tensor(np.ones((3, 4), np.float32), requires_grad=True)
        fn(x).sum().backward()
        assert x.grad.dtype == np.float32


# ---------------------------------------------------------------------------- 0-d and empty


def test_a_0d_tensor_has_the_one_dim_0_or_minus_1() -> None:
    array = np.array(2.5)
    for dim in (0, -1, (0,), (-1,), ()):
        for name in ("sum", "mean", "amax", "amin"):
            _assert_same(getattr(nl.tensor(array), name)(dim, True),
                         getattr(torch.tensor(array), name)(dim, True))
    for dim in (0, -1):
        ours, theirs = nl.tensor(array).max(dim, keepdim=True), torch.tensor(array).max(dim, True)
        _assert_same(ours.values, theirs.values)
        _assert_same(ours.indices, theirs.indices)
        _assert_same(nl.tensor(array).argmin(dim, True), torch.tensor(array).argmin(dim, True))
        _assert_same(nl.tensor(array).any(dim, True), torch.tensor(array).any(dim, True))


def test_empty_tensors_as_torch() -> None:
    array = np.zeros((0, 3))
    x, t = nl.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)
    for fn in (lambda a: a.sum(), lambda a: a.sum(0), lambda a: a.mean(0), lambda a: a.mean(1),
               lambda a: a.mean(), lambda a: a.amax(1), lambda a: a.max(1).values,
               lambda a: a.min(1, keepdim=True).indices, lambda a: a.argmax(1),
               lambda a: a.all(), lambda a: a.any(), lambda a: a.all(0), lambda a: a.any(1)):
        _assert_same(fn(x), fn(t))  # mean over no element: NaN, without a warning
    x.sum(0).sum().backward()
    x.mean(0).sum().backward()
    assert x.grad.shape == (0, 3)


# ----------------------------------------------------------------------------- idioms


def _accuracy_idioms(lib: Any) -> dict[str, Any]:
    """How PyTorch training loops count correct predictions."""
    outputs = lib.tensor([[0.1, 2.0, -1.0], [3.0, 0.5, 0.2], [0.0, 0.1, 0.4], [1.0, 1.0, 0.0]])
    labels = lib.tensor([1, 0, 1, 1])
    _, predicted = lib.max(outputs.data, 1)
    correct_max = (predicted == labels).sum().item()
    pred_index = outputs.max(1)[1]
    correct_index = pred_index.eq(labels).sum().item()
    pred_keep = outputs.argmax(dim=1, keepdim=True)
    correct_keep = pred_keep.eq(labels.reshape(pred_keep.shape)).sum().item()
    accuracy = (outputs.argmax(1) == labels).float().mean().item()
    return {"predicted": predicted.tolist(), "correct_max": correct_max,
            "correct_index": correct_index, "correct_keep": correct_keep, "accuracy": accuracy,
            "count_type": type(correct_max).__name__}


def test_accuracy_idioms_count_as_in_torch() -> None:
    ours, theirs = _accuracy_idioms(nl), _accuracy_idioms(torch)
    assert ours == theirs
    assert ours["predicted"] == [1, 0, 2, 0] and ours["correct_max"] == 2  # the first of a tie
    assert ours["count_type"] == "int"


def test_loss_tracking_idioms() -> None:
    """running_loss += loss.item(); a batch mean of per-sample losses; the best epoch."""
    losses = np.array([0.7, 0.4, 0.9, 0.2])
    for lib in (nl, torch):
        t = lib.tensor(losses)
        assert t.mean().item() == pytest.approx(0.55, rel=RTOL)
        assert t.argmin().item() == 3 and t.min().item() == 0.2
        assert t.max(0).indices.item() == 2
        assert isinstance(t.sum().item(), float)


# ----------------------------------------------------------------------------- errors


ERRORS = [
    # (call on a (2, 3) float tensor, exception type, a regex both messages match)
    (lambda x: x.sum(2), IndexError,
     r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
    (lambda x: x.mean(-3), IndexError, r"Dimension out of range .* but got -3\)"),
    (lambda x: x.amax((0, 5)), IndexError, r"Dimension out of range .* but got 5\)"),
    (lambda x: x.amin(2), IndexError, r"Dimension out of range"),
    (lambda x: x.max(2), IndexError, r"Dimension out of range .* but got 2\)"),
    (lambda x: x.min(-3), IndexError, r"Dimension out of range"),
    (lambda x: x.argmax(2), IndexError, r"Dimension out of range"),
    (lambda x: x.argmin(-3), IndexError, r"Dimension out of range"),
    (lambda x: x.all(2), IndexError, r"Dimension out of range"),
    (lambda x: x.any((0, -3)), IndexError, r"Dimension out of range"),
    (lambda x: x.sum((0, 0)), RuntimeError, r"dim 0 appears multiple times in the list of dims"),
    (lambda x: x.mean((1, -1)), RuntimeError, r"dim 1 appears multiple times"),
    (lambda x: x.amax((0, -2)), RuntimeError, r"dim 0 appears multiple times"),
    (lambda x: x.all((1, 1)), RuntimeError, r"dim 1 appears multiple times"),
    (lambda x: x.max((0, 1)), TypeError, r"max\(\)"),
    (lambda x: x.argmax((0, 1)), TypeError, r"argmax\(\)"),
    (lambda x: x.max(keepdim=True), TypeError, r"max\(\)"),
    (lambda x: x.sum(1.0), TypeError, r"sum\(\)"),
    (lambda x: x.amax(True), TypeError, r"amax\(\)"),
    (lambda x: x.long().mean(), RuntimeError,
     r"mean\(\): could not infer output dtype. Input dtype must be either a floating point "
     r"or complex dtype. Got: Long"),
    (lambda x: x.bool().mean(1), RuntimeError, r"Got: Bool"),
    (lambda x: x.mean(dtype=_lib(x).long), RuntimeError,
     r"mean\(\): could not infer output dtype. Optional dtype must be either a floating point "
     r"or complex dtype. Got: Long"),
    (lambda x: x.bool().argmax(), RuntimeError, r"argmax\(\): does not support bool input"),
    (lambda x: x[:0].max(), RuntimeError,
     r"max\(\): Expected reduction dim to be specified for input.numel\(\) == 0"),
    (lambda x: x[:0].amin(), RuntimeError,
     r"amin\(\): Expected reduction dim to be specified for input.numel\(\) == 0"),
    (lambda x: x[:0].max(0), IndexError, r"max\(\): Expected reduction dim 0 to have non-zero "
                                         r"size"),
    (lambda x: x[:0].amax(-2), IndexError, r"amax\(\): Expected reduction dim -2 to have "
                                           r"non-zero size"),  # amax shows the dim as given
    (lambda x: x[:0].amin((1, -2)), IndexError, r"amin\(\): Expected reduction dim -2"),
    (lambda x: x[:0].max(-2), IndexError, r"max\(\): Expected reduction dim 0 to have"),
    (lambda x: x[:0].argmax(), IndexError, r"argmax\(\): Expected reduction dim to be "
                                           r"specified for input.numel\(\) == 0"),
    (lambda x: x[:0].argmin(0), IndexError, r"argmin\(\): Expected reduction dim 0 to have "
                                            r"non-zero size"),
    (lambda x: x[0, 0].sum(1), IndexError,
     r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)"),
    (lambda x: x[0, 0].max(-2), IndexError, r"Dimension out of range"),
    (lambda x: x[0, 0].amax((0, -1)), RuntimeError, r"dim 0 appears multiple times"),
    (lambda x: x.var(2), IndexError, r"Dimension out of range .* but got 2\)"),
    (lambda x: x.std((0, 0)), RuntimeError, r"dim 0 appears multiple times"),
    (lambda x: x.long().var(), RuntimeError,
     r"std and var only support floating point and complex dtypes"),
    (lambda x: x.var(1, 0), TypeError, r"var\(\)"),
    (lambda x: x.std(unbiased=False, correction=0), TypeError, r"std\(\)"),
    (lambda x: x.sort(2), IndexError, r"Dimension out of range .* but got 2\)"),
    (lambda x: x.argsort(-3), IndexError, r"Dimension out of range .* but got -3\)"),
    (lambda x: x.topk(4), RuntimeError, r"selected index k out of range"),
    (lambda x: x.topk(-1), RuntimeError, r"selected index k out of range"),
    (lambda x: x.topk(1, dim=2), IndexError, r"Dimension out of range"),
    (lambda x: x.bool().topk(1), RuntimeError, r"topk does not support bool dtypes on CPU"),
]


def _lib(t: Any) -> Any:
    return nl if isinstance(t, nl.Tensor) else torch


@pytest.mark.parametrize(("call", "error", "message"), ERRORS,
                         ids=[str(i) for i in range(len(ERRORS))])
def test_errors_as_torch(call: Callable, error: type, message: str) -> None:
    """The same exception type as torch (neuralab's may subclass it) and message."""
    array = np.arange(6.0).reshape(2, 3)
    with pytest.raises(error, match=message if error is not TypeError else None):
        call(torch.tensor(array))
    x = nl.tensor(array, requires_grad=True)
    with pytest.raises(error, match=message):
        call(x)


def test_a_failed_reduction_changes_nothing() -> None:
    x = nl.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    with pytest.raises(IndexError):
        x.max(5)
    assert x.grad is None and x._version == 0
    np.testing.assert_array_equal(x.detach().numpy(), np.arange(6.0).reshape(2, 3))
