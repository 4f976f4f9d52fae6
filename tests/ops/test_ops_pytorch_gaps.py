"""The ops PyTorch code reaches for beyond the basics, side by side with torch 2.13: maximum /
minimum, var / std, sort / argsort / topk, gather / scatter / scatter_add (and scatter_), view_as
/ reshape_as / expand / expand_as / flip, remainder's missing derivative, ``out=`` named tuples.

Gradients are checked twice: against torch on the same float64 inputs (exact copies, or a few
roundings: 1e-12 relative), and against central finite differences (``nl.gradcheck``) at points
away from ties and jumps. Edge cases follow torch exactly: degrees of freedom <= 0 (inf/NaN with
torch's warning), empty tensors, 0-d tensors, node names.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import neuralab as nl

pytestmark = pytest.mark.filterwarnings("error")

RTOL = 1e-12  # float64: a few roundings of values of order 1


def _both(call: Callable[[Any, Any], Any], *arrays: Any, grad: bool = True,
          seed: int = 0) -> tuple[Any, Any, list, list]:
    """``call(lib, *tensors)`` in torch and neuralab on the same float64 arrays (leaves that
    require grad when ``grad``), with the gradients of a random upstream gradient."""
    outs, grads = [], []
    for lib in (torch, nl):
        leaves = [lib.tensor(np.array(a), requires_grad=grad and np.asarray(a).dtype.kind == "f")
                  for a in arrays]
        y = call(lib, *leaves)
        value = y.values if isinstance(y, tuple) else y
        if value.requires_grad:
            g = np.random.default_rng(seed).standard_normal(tuple(value.shape))
            value.backward(lib.tensor(g))
        outs.append(y)
        grads.append([None if t.grad is None else t.grad.numpy() for t in leaves])
    return outs[0], outs[1], grads[0], grads[1]


def _same(ours: Any, theirs: Any, rtol: float = RTOL) -> None:
    """Same shape, dtype and values (NaN and infinities where torch has them)."""
    expected = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else theirs
    actual = ours.detach().numpy() if isinstance(ours, nl.Tensor) else ours
    assert actual.shape == expected.shape
    assert actual.dtype == expected.dtype
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=0, equal_nan=True)


def _check(call: Callable[[Any, Any], Any], *arrays: Any, rtol: float = RTOL) -> None:
    theirs, ours, torch_grads, nl_grads = _both(call, *arrays)
    if isinstance(theirs, tuple):
        _same(ours.values, theirs.values, rtol)
        _same(ours.indices, theirs.indices)
    else:
        _same(ours, theirs, rtol)
    for got, want in zip(nl_grads, torch_grads, strict=True):
        if want is None:
            assert got is None
        else:
            _same(got, want, rtol)


def _leaf(array: Any) -> nl.Tensor:
    return nl.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


RNG = np.random.default_rng(11)
X = RNG.standard_normal((3, 4, 5))
Y = RNG.standard_normal((3, 4, 5))
DISTINCT = (RNG.permutation(60) * 0.5 + RNG.uniform(0, 0.1, 60)).reshape(3, 4, 5)

# ------------------------------------------------------------------------ maximum, minimum


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_ties_and_nan_as_torch(name: str) -> None:
    """Ties give each operand half the gradient; a NaN gives both the whole gradient."""
    a = [1.0, 2.0, np.nan, 3.0, -1.0, np.nan, 0.0]
    b = [1.0, 3.0, 1.0, np.nan, -2.0, np.nan, -0.0]
    _check(lambda L, p, q: getattr(L, name)(p, q), a, b)
    _check(lambda L, p, q: getattr(p, name[:3])(q), a, b)  # x.max(other), x.min(other)


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_gradcheck(name: str) -> None:
    # distinct values: no tie, where the derivative jumps
    a, b = _leaf(DISTINCT), _leaf(DISTINCT[::-1, :, ::-1][:, :1])
    assert nl.gradcheck(getattr(nl, name), a, b)


def test_maximum_dtypes_and_refusals_as_torch() -> None:
    for left, right in [(np.array([1, 2]), np.array(1.5)),
                        (np.array([True, False]), np.array([False, False])),
                        (np.array([1, 2], dtype=np.uint8), np.array([1, 2], dtype=np.int8)),
                        (np.array([1.0, 2.0], dtype=np.float16), np.array([3], dtype=np.int64))]:
        expected = torch.maximum(torch.from_numpy(left), torch.from_numpy(right))
        _same(nl.maximum(nl.tensor(left), nl.tensor(right)), expected)
    for bad in (2, 2.5, [1.0, 2.0]):
        with pytest.raises(TypeError, match="must be Tensor"):
            torch.maximum(torch.ones(2), bad)
        with pytest.raises(TypeError, match="must be Tensor"):
            nl.maximum(nl.ones(2), bad)


def test_in_place_twins_exist_where_torch_has_them() -> None:
    for name in ("scatter_", "scatter_add_", "maximum_", "minimum_", "gather_", "sort_",
                 "flip_", "expand_"):
        assert hasattr(nl.Tensor, name) == hasattr(torch.Tensor, name), name


@pytest.mark.parametrize("call", [
    lambda x, i: x.gather(0, i), lambda x, i: x.scatter(0, i, 2.0),
    lambda x, i: x.scatter(0, i, x[:2] * 2), lambda x, i: x.scatter_add(0, i, x[1:] * 2)])
def test_an_index_changed_before_backward_raises_as_torch(call: Callable) -> None:
    """The index is saved for backward: changing it in place is caught by its version."""
    for lib in (torch, nl):
        index, x = lib.tensor([0, 1]), lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = call(x, index)
        index[0] = 2
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_max_and_min_of_two_tensors_are_elementwise() -> None:
    a, b = nl.tensor([1.0, 5.0]), nl.tensor([3.0, 2.0])
    assert nl.max(a, b).tolist() == [3.0, 5.0] and a.min(b).tolist() == [1.0, 2.0]
    x = nl.tensor([1.0, 2.0], requires_grad=True)
    assert nl.max(x, b).grad_fn.name() == "MaximumBackward0"
    assert x.min(b).grad_fn.name() == "MinimumBackward0"


# --------------------------------------------------------------------------------- var, std

VAR_CALLS = [
    {}, {"dim": 1}, {"dim": -1, "keepdim": True}, {"dim": (0, 2)}, {"dim": (0, 1, 2)},
    {"unbiased": False}, {"dim": 1, "unbiased": False}, {"correction": 0}, {"correction": 2.5},
    {"dim": 2, "correction": 3}, {"dim": [0, -1], "keepdim": True, "correction": 0},
]


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("kwargs", VAR_CALLS, ids=str)
def test_var_std_values_and_gradients_match_torch(name: str, kwargs: dict) -> None:
    _check(lambda L, x: getattr(x, name)(**kwargs), X)


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("kwargs", VAR_CALLS[:6], ids=str)
def test_var_std_gradcheck(name: str, kwargs: dict) -> None:
    assert nl.gradcheck(lambda x: getattr(x, name)(**kwargs), _leaf(X))


def test_var_positional_forms_as_torch() -> None:
    """var(unbiased), var(dim, unbiased, keepdim): torch's overloads, positionally."""
    for call in (lambda L, x: x.var(False), lambda L, x: x.std(True),
                 lambda L, x: x.var(1, False, True), lambda L, x: L.std(x, 2, True, True),
                 lambda L, x: L.var(x, dim=0, unbiased=False)):
        _check(call, X)


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("values, kwargs", [
    ([5.0], {}),  # one element: 0/0
    ([5.0, 6.0], {"correction": 2}),  # N − c = 0
    ([5.0, 6.0], {"correction": 3}),  # N − c < 0: torch divides by max(0, N − c)
    ([5.0, 5.0], {"correction": 2}),  # zero deviation and no degree of freedom
    ([[5.0, 6.0], [1.0, 1.0]], {"dim": 1, "correction": 2}),
    ([[5.0, 6.0], [1.0, 3.0]], {"dim": 1, "correction": 3}),
    (7.0, {}),  # 0-d
    (7.0, {"dim": 0}),
], ids=str)
def test_no_degrees_of_freedom_as_torch(name: str, values: Any, kwargs: dict) -> None:
    """inf or NaN values and gradients exactly where torch has them, with torch's warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        _check(lambda L, x: getattr(x, name)(**kwargs), values)
    messages = []
    for lib in (torch, nl):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            getattr(lib.tensor(values), name)(**kwargs)
        messages.append([(w.category, str(w.message).split(" (Triggered")[0]) for w in caught])
    assert messages[1] == messages[0] == [(UserWarning, (
        f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
        f"reduction factor (input numel divided by output numel)."))]


def test_var_std_of_a_constant_as_torch() -> None:
    """std's gradient is 0 where the deviation is 0 (torch masks the division by 0)."""
    _check(lambda L, x: x.std(1), [[2.0, 2.0], [1.0, 3.0]])
    _check(lambda L, x: x.var(), [4.0, 4.0, 4.0])


def test_var_std_of_empty_tensors_as_torch() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for call in (lambda L: L.zeros(0).var(), lambda L: L.zeros(0, 3).var(0),
                     lambda L: L.zeros(0, 3).std(1), lambda L: L.zeros(2, 0).std(0)):
            _same(call(nl), call(torch))


def test_var_std_dtypes_as_torch() -> None:
    """float16 computed in float32 and rounded once; float32 gradients stay float32."""
    values = np.array([[1.0, 2.0, 4.0], [0.5, 0.25, 8.0]])
    for dtype in (np.float16, np.float32):
        for call in (lambda t: t.var(), lambda t: t.std(1)):
            _same(call(nl.tensor(values.astype(dtype))),
                  call(torch.from_numpy(values.astype(dtype))), rtol=float(np.finfo(dtype).eps))
    x = nl.tensor(values.astype(np.float32), requires_grad=True)
    x.std(0).sum().backward()
    assert x.grad.dtype == np.float32


def test_var_std_refusals_as_torch() -> None:
    for call, error in [(lambda L: L.tensor([1, 2]).var(), RuntimeError),
                        (lambda L: L.tensor([True]).std(), RuntimeError),
                        (lambda L: L.ones(2, 3).var(dim=2), IndexError),
                        (lambda L: L.ones(2, 3).var(1, 0), TypeError),
                        (lambda L: L.ones(2, 3).std(1, unbiased=True, correction=1), TypeError)]:
        with pytest.raises(error):
            call(torch)
        with pytest.raises(error):
            call(nl)


def test_var_over_an_empty_dim_tuple_has_the_true_gradient() -> None:
    """dim=() reduces every dim (torch's value agrees), but torch 2.13's backward takes N = 1
    there (2/(1 − c)·(x − x̄): inf for c = 1); neuralab's gradient is the finite-difference
    one, as for dim=None."""
    values = [1.0, 2.0, 2.0, 0.0, 2.0]
    t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    t.var(dim=()).backward()
    assert torch.isinf(t.grad).all()
    for name in ("var", "std"):
        x = _leaf(values)
        _same(getattr(x, name)(dim=()), getattr(torch.tensor(values).double(), name)(dim=()))
        assert nl.gradcheck(lambda a, n=name: getattr(a, n)(dim=()), x)
        x = _leaf(values)
        getattr(x, name)(dim=()).backward()
        y = _leaf(values)
        getattr(y, name)().backward()
        _same(x.grad, y.grad.numpy())


def test_var_std_node_names() -> None:
    x = nl.ones(2, 3, requires_grad=True)
    assert x.var().grad_fn.name() == "VarBackward0"
    assert x.std(1).grad_fn.name() == "StdBackward0"


# ------------------------------------------------------------------ sort, argsort, topk

TIES = np.array([[3.0, 1.0, 3.0, np.nan, 2.0, 1.0], [0.0, -1.0, 0.0, 5.0, 5.0, 5.0]])


@pytest.mark.parametrize("kwargs", [
    {}, {"descending": True}, {"stable": True}, {"stable": True, "descending": True},
    {"dim": 0}, {"dim": 0, "descending": True}], ids=str)
def test_sort_with_ties_and_nan_as_torch(kwargs: dict) -> None:
    """torch's CPU sort is stable: tied values keep their order; NaN is the largest value."""
    _check(lambda L, x: x.sort(**kwargs), TIES)
    _same(nl.tensor(TIES).argsort(**kwargs), torch.from_numpy(TIES).argsort(**kwargs))


def test_sort_positional_and_3d_as_torch() -> None:
    _check(lambda L, x: L.sort(x, 1, True), X)
    _check(lambda L, x: x.sort(dim=-1), X)
    _check(lambda L, x: x.sort(0), 2.5)  # 0-d: the value and index 0


def test_sort_and_topk_gradcheck() -> None:
    x = _leaf(DISTINCT)
    assert nl.gradcheck(lambda t: t.sort(1).values, x)
    assert nl.gradcheck(lambda t: t.sort(-1, descending=True).values, x)
    assert nl.gradcheck(lambda t: t.topk(2, dim=0).values, x)
    assert nl.gradcheck(lambda t: t.topk(3, largest=False).values, x)


@pytest.mark.parametrize("kwargs", [
    {"k": 2}, {"k": 3, "dim": 0}, {"k": 1, "largest": False}, {"k": 5},
    {"k": 0}, {"k": 2, "dim": 1, "sorted": False}], ids=str)
def test_topk_of_distinct_values_as_torch(kwargs: dict) -> None:
    _check(lambda L, x: x.topk(**kwargs), DISTINCT)


def test_topk_of_ties_takes_the_same_values() -> None:
    """Among tied values neuralab takes the first positions; torch's choice is its own (its
    order is unspecified), so the values agree and each index names its value."""
    values = np.array([1.0, 3.0, 3.0, 3.0, 2.0, 3.0])
    ours, theirs = nl.tensor(values).topk(2), torch.from_numpy(values).topk(2)
    _same(ours.values, theirs.values)
    assert ours.indices.tolist() == [1, 2]
    np.testing.assert_array_equal(values[ours.indices.numpy()], ours.values.numpy())


def test_topk_edge_cases_as_torch() -> None:
    _check(lambda L, x: x.topk(1), 4.0)  # 0-d
    _check(lambda L, x: x.topk(0), 4.0)  # torch gives the value for k=0 too
    _same(nl.tensor([1, 5, 2]).topk(2).values, torch.tensor([1, 5, 2]).topk(2).values)
    for call, error in [(lambda L: L.ones(2, 3).topk(4), RuntimeError),
                        (lambda L: L.ones(2, 3).topk(-1), RuntimeError),
                        (lambda L: L.tensor([True, False]).topk(1), RuntimeError),
                        (lambda L: L.ones(2, 3).sort(dim=2), IndexError),
                        (lambda L: L.ones(2, 3).argsort(-3), IndexError)]:
        with pytest.raises(error):
            call(torch)
        with pytest.raises(error):
            call(nl)


def test_sort_and_topk_return_named_tuples_like_torch() -> None:
    x = nl.tensor([3.0, 1.0, 2.0], requires_grad=True)
    result = x.sort()
    values, indices = result
    assert type(result).__name__ == "sort" and result.values is values
    assert indices.dtype == np.int64 and not indices.requires_grad
    assert repr(result).startswith("neuralab.return_types.sort(\nvalues=tensor([1., 2., 3.]")
    assert type(x.topk(2)).__name__ == "topk"
    assert x.sort().values.grad_fn.name() == "SortBackward0"
    assert x.sort(stable=False).values.grad_fn.name() == "SortBackward1"  # the stable overload
    assert x.topk(1).values.grad_fn.name() == "TopkBackward0"


@pytest.mark.parametrize("name", ["max", "min", "sort"])
def test_out_returns_the_out_named_tuple(name: str) -> None:
    """``torch.max(x, 1, out=(v, i))`` returns ``torch.return_types.max_out`` over v and i."""
    array = DISTINCT[0]
    args = () if name == "sort" else (1,)
    results = []
    for lib in (torch, nl):
        v, i = lib.empty(0, dtype=lib.float64), lib.empty(0, dtype=lib.long)
        result = getattr(lib, name)(lib.tensor(array), *args, out=(v, i))
        assert result.values is v and result.indices is i
        results.append(result)
    assert type(results[1]).__name__ == type(results[0]).__name__ == f"{name}_out"
    _same(results[1].values, results[0].values)
    _same(results[1].indices, results[0].indices)
    assert repr(results[1]).startswith(f"neuralab.return_types.{name}_out(")


# ------------------------------------------------------------------ gather, scatter


def test_one_hot_target_transform_of_the_tutorial() -> None:
    """PyTorch's transforms tutorial: ``zeros(10).scatter_(0, tensor(y), value=1)``."""
    for y in (0, 3, 9):
        expected = torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(y), value=1)
        actual = nl.zeros(10, dtype=nl.float).scatter_(0, nl.tensor(y), value=1)
        _same(actual, expected)


def test_gather_and_scatter_values_and_gradients_as_torch() -> None:
    index = np.array([[0, 1, 2, 0], [2, 0, 1, 1]])
    src = RNG.standard_normal((2, 4))
    _check(lambda L, x, s: x.scatter(0, L.tensor(index), s), np.zeros((3, 5)), src)
    _check(lambda L, x: x.scatter(1, L.tensor([[0], [2]]), 5.0), np.ones((2, 3)))
    _check(lambda L, x, s: x.scatter_add(0, L.tensor(index), s), np.ones((3, 5)), src)
    _check(lambda L, x: x.gather(1, L.tensor([[0, 0], [1, 0]])), [[1.0, 2.0], [3.0, 4.0]])
    _check(lambda L, x: L.gather(x, 2, L.tensor(np.zeros((2, 3, 7), dtype=np.int64))), X)
    _check(lambda L, x: x.gather(0, L.tensor(1)), [3.0, 4.0])  # 0-d index of a 1-d tensor
    _check(lambda L, x: x.scatter(0, L.tensor(0), 3.0), 1.0)  # 0-d tensor and index


def test_repeated_scatter_positions_route_gradients_as_torch() -> None:
    """src's gradient is grad.gather(index): every src element written to a position gets its
    gradient, even those overwritten; scatter_add adds them."""
    _check(lambda L, x, s: x.scatter(0, L.tensor([1, 1]), s), np.zeros(3), np.ones(2))
    _check(lambda L, x, s: x.scatter_add(0, L.tensor([1, 1, 0]), s), np.zeros(3), [1.0, 2, 3])


def test_gather_scatter_gradcheck() -> None:
    index = nl.tensor(np.array([[0, 1, 2, 0], [2, 0, 1, 1]]))
    x, src = _leaf(RNG.standard_normal((3, 5))), _leaf(RNG.standard_normal((2, 4)))
    assert nl.gradcheck(lambda a, s: a.scatter(0, index, s), x, src)
    assert nl.gradcheck(lambda a, s: a.scatter_add(0, index, s), x, src)
    assert nl.gradcheck(lambda a: a.scatter(1, index[:, :2], -1.0), x)
    assert nl.gradcheck(lambda a: a.gather(0, index), x)
    assert nl.gradcheck(lambda a: a.gather(1, nl.tensor([[4, 4, 0]] * 3)), x)


def test_scatter_src_larger_than_index_gets_zero_gradient_beyond_it() -> None:
    """torch's backward fails here ('ScatterBackward0 returned an invalid gradient ... got
    [1, 4] but expected shape compatible with [2, 5]'); neuralab gives the true gradient: 0
    for the src elements the index never reads."""
    index = nl.tensor([[0, 1, 2, 0]])
    x, src = _leaf(np.zeros((3, 5))), _leaf(np.arange(1.0, 11.0).reshape(2, 5))
    assert nl.gradcheck(lambda a, s: a.scatter(0, index, s), x, src)
    x, src = _leaf(np.zeros((3, 5))), _leaf(np.arange(1.0, 11.0).reshape(2, 5))
    y = x.scatter(0, index, src)
    y.backward(nl.ones(3, 5, dtype=nl.float64))
    np.testing.assert_array_equal(src.grad.numpy(), [[1, 1, 1, 1, 0], [0, 0, 0, 0, 0]])
    with pytest.raises(RuntimeError, match="invalid gradient"):
        t_src = torch.arange(1.0, 11.0, dtype=torch.float64).reshape(2, 5).requires_grad_()
        torch.zeros(3, 5).double().scatter(0, torch.tensor([[0, 1, 2, 0]]), t_src).sum() \
            .backward()


def test_scatter_in_place_follows_torch_rules() -> None:
    leaf = nl.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        leaf.scatter_(0, nl.tensor([1]), 1.0)
    for lib in (torch, nl):  # a non-leaf is rebased: the in-place op becomes its grad_fn
        x = lib.zeros(3, requires_grad=True) * 1
        x.scatter_(0, lib.tensor([1]), 1.0)
        assert x.grad_fn.name() == "ScatterBackward1"
        src = lib.ones(1, requires_grad=True)
        y = lib.zeros(3)
        y.scatter_(0, lib.tensor([2]), src)
        assert y.requires_grad and y.grad_fn.name() == "ScatterBackward0"
        (y * 3).sum().backward()
        assert src.grad.tolist() == [3.0]
    x = nl.zeros(2, 2, dtype=nl.long)
    assert x.scatter_add_(1, nl.tensor([[1, 1]]), nl.tensor([[2, 3]])) is x
    assert x.tolist() == [[0, 5], [0, 0]]


def test_gather_scatter_node_names_as_torch() -> None:
    for lib in (torch, nl):
        x = lib.zeros(2, 3, requires_grad=True)
        src = lib.ones(1, 2, requires_grad=True)
        index = lib.tensor([[1, 0]])
        assert x.scatter(0, index, src).grad_fn.name() == "ScatterBackward0"
        assert x.scatter(0, index, 1.0).grad_fn.name() == "ScatterBackward1"
        assert x.scatter_add(0, index, src).grad_fn.name() == "ScatterAddBackward0"
        assert x.gather(0, index).grad_fn.name() == "GatherBackward0"


def test_scatter_value_takes_the_tensor_dtype_as_torch() -> None:
    for dtype, value in [("int64", 2.7), ("int64", True), ("bool", 2), ("uint8", -1),
                         ("float32", 1)]:
        expected = torch.zeros(3, dtype=getattr(torch, dtype)).scatter(0, torch.tensor([1]),
                                                                       value)
        _same(nl.zeros(3, dtype=getattr(nl, dtype if dtype != "bool" else "bool_"))
              .scatter(0, nl.tensor([1]), value), expected)
    with pytest.raises(NotImplementedError, match="reduce"):
        nl.zeros(3).scatter(0, nl.tensor([1]), 2.0, reduce="add")
    with pytest.raises(TypeError):
        nl.zeros(3).scatter(0, nl.tensor([1]))
    with pytest.raises(TypeError):
        nl.zeros(3).scatter(0, nl.tensor([1]), nl.ones(1), value=1.0)


# ------------------------------------------------------- view_as, expand, flip


def test_view_as_reshape_as_expand_as_torch() -> None:
    _check(lambda L, x: x.view_as(L.ones(2, 10)), X[0])
    _check(lambda L, x: x.reshape_as(L.ones(60)), X)
    _check(lambda L, x: x.expand(2, 3, 4, 5), X)
    _check(lambda L, x: x.expand(4, -1, 3), RNG.standard_normal((2, 1)))
    _check(lambda L, x: x.expand_as(L.ones(3, 4, 5)), RNG.standard_normal((4, 1)))
    _check(lambda L, x: x.flip(0, 2), X)
    _check(lambda L, x: L.flip(x, [1]), X)
    _check(lambda L, x: x.flip([]), X)


def test_shape_gradcheck() -> None:
    x = _leaf(RNG.standard_normal((2, 1, 3)))
    assert nl.gradcheck(lambda t: t.expand(4, 2, 5, 3) * nl.tensor(np.arange(120.0).reshape(
        4, 2, 5, 3)), x)
    assert nl.gradcheck(lambda t: t.flip(0, -1) * nl.tensor([1.0, 2.0, 3.0]), x)
    assert nl.gradcheck(lambda t: t.view_as(nl.ones(3, 2)) ** 2, x)


def test_expand_is_a_read_only_view_as_torch() -> None:
    x = nl.ones(2, 1)
    e = x.expand(2, 3)
    with nl.no_grad():
        x.add_(1)
    assert e.tolist() == [[2.0] * 3] * 2 and e._version == x._version == 1
    for lib in (torch, nl):
        with pytest.raises(RuntimeError, match="Please clone\\(\\) the tensor"):
            lib.ones(1).expand(3).add_(1)
    node = nl.ones(2, 1, requires_grad=True)
    assert node.expand(2, 3).grad_fn.name() == "ExpandBackward0"
    assert node.flip(0).grad_fn.name() == "FlipBackward0"


def test_flip_copies_as_torch() -> None:
    x = nl.tensor([1.0, 2.0, 3.0])
    y = x.flip(0)
    y[0] = 10.0
    assert x.tolist() == [1.0, 2.0, 3.0] and y._base is None


# ---------------------------------------------------------------------------- remainder


def test_remainder_node_names_and_derivative_as_torch() -> None:
    for lib in (torch, nl):
        a = lib.tensor([5.0, -3.0], requires_grad=True)
        b = lib.tensor([2.0, 2.5], requires_grad=True)
        assert (a % 2).grad_fn.name() == "RemainderBackward0"
        assert (a % b).grad_fn.name() == "RemainderBackward1"
        y = 7 % b
        assert y.grad_fn.name() == "torch::autograd::NotImplemented"
        with pytest.raises(RuntimeError, match="derivative for aten::remainder is not "
                                               "implemented"):
            y.sum().backward()
    _check(lambda L, p, q: p % q, [5.0, -3.0, 7.5], [2.0, 2.5, -2.0])
    _check(lambda L, p, q: L.remainder(L.tensor(7.0), q), 0.0, [2.0, 2.5])  # 0-d first: fine
