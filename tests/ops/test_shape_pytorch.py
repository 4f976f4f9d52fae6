"""Behaviour and errors of the shape-area ops of issue 12, against torch 2.13: argument forms,
dtypes, exception types, views and gradients beyond the op tables (``_cases_shape.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import neuralab as nl
import neuralab.nn.functional as F


def _same_error(nl_call: Any, torch_call: Any) -> type:
    """Both calls raise; neuralab's exception is an instance of torch's type."""
    with pytest.raises(Exception) as expected:
        torch_call()
    with pytest.raises(expected.type):
        nl_call()
    return expected.type


X = np.arange(6.0).reshape(2, 3) - 2.5


def _pair(array: Any = X, grad: bool = False) -> tuple[nl.Tensor, torch.Tensor]:
    array = np.asarray(array)
    return nl.tensor(array.copy(), requires_grad=grad), \
        torch.tensor(array.copy(), requires_grad=grad)


# ------------------------------------------------------------ logsumexp, prod, cumsum, ...


@pytest.mark.parametrize("call", [
    lambda m, x: m.logsumexp(x, 2), lambda m, x: m.logsumexp(x, -3),
    lambda m, x: m.prod(x, 2), lambda m, x: m.cumsum(x, -3), lambda m, x: m.logsumexp(x, ()),
    lambda m, x: m.logsumexp(x), lambda m, x: m.cumsum(x), lambda m, x: m.prod(x, (0, 1)),
])
def test_reduction_dim_errors(call: Any) -> None:
    a, b = _pair()
    _same_error(lambda: call(nl, a), lambda: call(torch, b))


def test_logsumexp_integers_and_infinities() -> None:
    a, b = _pair(np.array([[1, 2], [3, 0]]))
    y, expected = nl.logsumexp(a, 0), torch.logsumexp(b, 0)
    assert y.dtype == nl.float32 and expected.dtype == torch.float32
    np.testing.assert_allclose(y.numpy(), expected.numpy(), rtol=1e-6)
    inf = np.array([[-np.inf, -np.inf], [1.0, np.inf]])
    a, b = _pair(inf, grad=True)
    y, expected = nl.logsumexp(a, 1), torch.logsumexp(b, 1)
    np.testing.assert_array_equal(y.detach().numpy(), expected.detach().numpy())
    y.backward(np.ones(2))
    expected.backward(torch.ones(2, dtype=torch.float64))
    np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
    assert y.grad_fn.name() == expected.grad_fn.name()


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.bool_, np.uint8])
def test_prod_and_cumsum_integers_give_int64(dtype: type) -> None:
    a, b = _pair((X > 0).astype(dtype) + (dtype is not np.bool_))
    for fn in (lambda m, x: x.prod(), lambda m, x: x.prod(1, keepdim=True),
               lambda m, x: x.cumsum(0), lambda m, x: x.cumsum(1, dtype=m.float64)):
        y, expected = fn(nl, a), fn(torch, b)
        assert y.dtype == expected.numpy().dtype
        np.testing.assert_array_equal(y.numpy(), expected.numpy())


def test_prod_gradient_with_zeros_matches_torch() -> None:
    values = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 4.0], [1.0, 2.0, 3.0]])
    for dim in (None, 0, 1, -1):
        a, b = _pair(values, grad=True)
        y = a.prod() if dim is None else a.prod(dim)
        expected = b.prod() if dim is None else b.prod(dim)
        y.sum().backward()
        expected.sum().backward()
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
        assert y.grad_fn.name() == expected.grad_fn.name()


def test_normalize_forms_and_errors() -> None:
    a, b = _pair(grad=True)
    for kwargs in ({}, {"p": 1}, {"p": float("inf"), "dim": 0}, {"p": 0}, {"p": -1.5},
                   {"dim": -1, "eps": 10.0}):
        y, expected = F.normalize(a, **kwargs), TF.normalize(b, **kwargs)
        np.testing.assert_allclose(y.detach().numpy(), expected.detach().numpy(), rtol=1e-12)
    zero_a, zero_b = _pair(np.zeros((2, 3)), grad=True)
    F.normalize(zero_a).sum().backward()
    TF.normalize(zero_b).sum().backward()
    np.testing.assert_array_equal(zero_a.grad.numpy(), zero_b.grad.numpy())
    assert F.normalize(nl.tensor(3.0), dim=0).item() == TF.normalize(torch.tensor(3.0), dim=0)
    assert not hasattr(nl.Tensor, "normalize")  # functional only, as torch
    _same_error(lambda: F.normalize(nl.ones(3)), lambda: TF.normalize(torch.ones(3)))
    _same_error(lambda: F.normalize(nl.tensor([1, 2]), dim=0),
                lambda: TF.normalize(torch.tensor([1, 2]), dim=0))


def test_bmm_errors() -> None:
    for shapes in (((2, 3), (3, 2)), ((2, 3, 4), (3, 4, 5)), ((2, 3, 4), (2, 5, 5))):
        a, b = (np.ones(s) for s in shapes)
        _same_error(lambda a=a, b=b: nl.bmm(nl.tensor(a), nl.tensor(b)),
                    lambda a=a, b=b: torch.bmm(torch.tensor(a), torch.tensor(b)))
    a, b = np.ones((2, 3, 4)), np.ones((2, 4, 5))
    _same_error(lambda: nl.bmm(nl.tensor(a), nl.tensor(b, dtype=nl.float32)),
                lambda: torch.bmm(torch.tensor(a), torch.tensor(b, dtype=torch.float32)))


# ------------------------------------------------- repeat, index_select, split, roll, ...

@pytest.mark.parametrize("call", [
    lambda m, x: x.repeat(2), lambda m, x: x.repeat(-1, 1), lambda m, x: x.repeat(),
    lambda m, x: x.repeat_interleave(-1), lambda m, x: x.repeat_interleave(2, 5),
    lambda m, x: x.repeat_interleave(m.tensor([1, 2]), dim=1),
    lambda m, x: x.repeat_interleave(m.tensor([1, -2]), 0),
    lambda m, x: x.repeat_interleave(m.tensor([[2]]), 0),
    lambda m, x: x.repeat_interleave(m.tensor([2.0]), 0),
    lambda m, x: m.repeat_interleave(m.tensor([[1, 2]])),
    lambda m, x: x.index_select(1, m.tensor([3])), lambda m, x: x.index_select(1, m.tensor([-1])),
    lambda m, x: x.index_select(1, m.tensor([[0]])), lambda m, x: x.index_select(1, [1]),
    lambda m, x: x.index_select(1, m.tensor([0.0])), lambda m, x: x.index_select(2, m.tensor([0])),
    lambda m, x: m.tensor(1.0).index_select(0, m.tensor([0, 0])),
    lambda m, x: x.split([1, 1], 1), lambda m, x: x.split([-1, 4], 1),
    lambda m, x: x.split(0, 1), lambda m, x: x.split(-1, 1), lambda m, x: x.split(2.0),
    lambda m, x: m.tensor(1.0).split(1), lambda m, x: x.split(1, 2),
    lambda m, x: x.chunk(0), lambda m, x: x.chunk(2.5), lambda m, x: m.tensor(1.0).chunk(1),
    lambda m, x: x.roll((1, 2), (0,)), lambda m, x: m.roll(x, (1, 2)),
    lambda m, x: m.roll(x, 1, (0, 1)), lambda m, x: x.roll(1, 3), lambda m, x: x.roll((), ()),
    lambda m, x: m.tensor(1.0).roll(1, 0),
    lambda m, x: x.unflatten(1, (2, 2)), lambda m, x: x.unflatten(1, ()),
    lambda m, x: x.unflatten(-1, (-1, -1)), lambda m, x: x.unflatten(1, 3),
    lambda m, x: x.unflatten(1, (0, -1)), lambda m, x: x.unflatten(2, (3,)),
    lambda m, x: m.ones(3).tril(), lambda m, x: m.ones(3).triu(1),
    lambda m, x: x.diagonal(0, 0, 0), lambda m, x: x.diagonal(0, 0, 2),
    lambda m, x: m.ones(3).diagonal(),
])
def test_move_errors(call: Any) -> None:
    a, b = _pair()
    _same_error(lambda: call(nl, a), lambda: call(torch, b))


@pytest.mark.parametrize("call", [
    lambda x: x.split(2, 1), lambda x: x.split([0, 3], 1), lambda x: x.split(5, 1),
    lambda x: x.split([1, 1, 0, 0], 0), lambda x: x.chunk(2, 1), lambda x: x.chunk(5, 0),
    lambda x: x[:, :0].chunk(3, 1), lambda x: x[:, :0].split(2, 1),
    lambda x: x[:, :0].split(0, 1),
])
def test_split_and_chunk_give_tuples_of_views(call: Any) -> None:
    a, b = _pair(grad=True)
    pieces, expected = call(a), call(b)
    assert type(pieces) is tuple and len(pieces) == len(expected)
    for piece, want in zip(pieces, expected):
        assert piece.shape == tuple(want.shape)
        np.testing.assert_array_equal(piece.detach().numpy(), want.detach().numpy())
        if piece.numel():
            assert np.shares_memory(piece.detach().numpy(), a.detach().numpy())


def test_split_gradients_from_several_pieces_add_up() -> None:
    a, b = _pair(grad=True)
    for x in (a, b):
        first, second = x.split([1, 2], 1)
        (first.sum() * 3 + (second * second).sum() + x.chunk(2, 0)[1].sum()).backward()
    np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


def test_repeat_interleave_forms_match_torch() -> None:
    a, b = _pair()
    for fn in (lambda m, x: x.repeat_interleave(2, 0, output_size=4),
               lambda m, x: x.repeat_interleave(m.tensor([2]), 0),
               lambda m, x: x.repeat_interleave(m.tensor(2), 1),
               lambda m, x: x.repeat_interleave(m.tensor([1, 2], dtype=m.int32), 0),
               lambda m, x: m.tensor(1.0).repeat_interleave(3),
               lambda m, x: m.repeat_interleave(m.tensor([1, 0, 2]))):
        y, expected = fn(nl, a), fn(torch, b)
        assert y.dtype == expected.numpy().dtype
        np.testing.assert_array_equal(y.numpy(), expected.numpy())


def test_index_select_forms_match_torch() -> None:
    a, b = _pair()
    for fn in (lambda m, x: m.tensor(1.0).index_select(0, m.tensor([0])),
               lambda m, x: x.index_select(0, m.tensor([], dtype=m.long)),
               lambda m, x: x.index_select(-1, m.tensor([2, 2], dtype=m.int32))):
        y, expected = fn(nl, a), fn(torch, b)
        assert y.shape == tuple(expected.shape)
        np.testing.assert_array_equal(y.numpy(), expected.numpy())


def test_roll_unflatten_triangles_diagonal_forms() -> None:
    a, b = _pair(np.arange(24.0).reshape(2, 3, 4))
    for fn in (lambda m, x: x.roll(-7, 0), lambda m, x: m.tensor(1.0).roll(1),
               lambda m, x: x.roll((1, 1), (1, 1)), lambda m, x: x.unflatten(0, [1, 2]),
               lambda m, x: x.unflatten(1, (3,)), lambda m, x: x.tril(5), lambda m, x: x.triu(-9),
               lambda m, x: x.diagonal(-5), lambda m, x: x.diagonal(2, 2, 1),
               lambda m, x: m.tril(x[0], diagonal=-1)):
        y, expected = fn(nl, a), fn(torch, b)
        assert y.shape == tuple(expected.shape)
        np.testing.assert_array_equal(y.numpy(), expected.numpy())
    assert np.shares_memory(a.diagonal().numpy(), a.numpy())


def test_node_names_match_torch() -> None:
    a, b = _pair(grad=True)
    for fn in (lambda m, x: x.repeat(2, 1), lambda m, x: x.index_select(1, m.tensor([0])),
               lambda m, x: x.repeat_interleave(m.tensor([1, 2]), 0), lambda m, x: x.roll(1, 0),
               lambda m, x: x.tril(), lambda m, x: x.triu(), lambda m, x: x.diagonal(),
               lambda m, x: m.logsumexp(x, 1), lambda m, x: x.cumsum(0),
               lambda m, x: x.prod(), lambda m, x: x.prod(0)):
        assert fn(nl, a).grad_fn.name() == fn(torch, b).grad_fn.name()


# ---------------------------------------------------------------------- pad, one_hot


@pytest.mark.parametrize("call", [
    lambda m, f: f.pad(m.ones(2, 3), (1,)), lambda m, f: f.pad(m.ones(2, 3), (1, 2, 3, 4, 5, 6)),
    lambda m, f: f.pad(m.ones(2, 3), (-2, -2)), lambda m, f: f.pad(m.ones(2, 3), (1.5, 1)),
    lambda m, f: f.pad(m.ones(2, 3), (3, 1), mode="reflect"),
    lambda m, f: f.pad(m.ones(2, 3), (2, 2, 1, 1), mode="reflect"),
    lambda m, f: f.pad(m.ones(1, 2, 3), (1, 1), mode="reflect", value=1.0),
    lambda m, f: f.pad(m.ones(1, 2, 3), (4, 1), mode="circular"),
    lambda m, f: f.pad(m.ones(1, 2, 3), (1, 1), mode="foo"),
    lambda m, f: f.pad(m.ones(3), (1, 1), mode="reflect"),
    lambda m, f: f.pad(m.ones(1, 1, 2, 3, 4), (1, 1), mode="circular"),
    lambda m, f: f.pad(m.ones(1, 2, 3, 4), (1, 1), mode="replicate"),
    lambda m, f: f.pad(m.zeros(1, 0, 2), (1, 1), mode="reflect"),
    lambda m, f: f.pad(m.zeros(1, 2, 0), (1, 1), mode="replicate"),
    lambda m, f: f.one_hot(m.tensor([0, 2]), 2), lambda m, f: f.one_hot(m.tensor([-1])),
    lambda m, f: f.one_hot(m.tensor([1.0])),
    lambda m, f: f.one_hot(m.tensor([1], dtype=m.int32)),
    lambda m, f: f.one_hot(m.tensor([], dtype=m.long)),
    lambda m, f: f.one_hot(m.tensor([1]), -2), lambda m, f: f.one_hot(m.tensor([1]), 0),
])
def test_pad_and_one_hot_errors(call: Any) -> None:
    _same_error(lambda: call(nl, F), lambda: call(torch, TF))


def test_pad_forms_match_torch() -> None:
    a, b = _pair(np.arange(24.0).reshape(1, 2, 3, 4))
    for fn in (lambda f, x: f.pad(x[0], (1, 1), mode="reflect", value=0.0),
               lambda f, x: f.pad(x, (-1, -1, 1, 1), mode="replicate"),
               lambda f, x: f.pad(x, [0, 0, 0, 0, 1, 0, 0, 2]),
               lambda f, x: f.pad(x, (-4, 0)), lambda f, x: f.pad(x[0, 0, :0], (2, 1))):
        y, expected = fn(F, a), fn(TF, b)
        assert y.shape == tuple(expected.shape)
        np.testing.assert_array_equal(y.numpy(), expected.numpy())
    assert not hasattr(nl.Tensor, "pad") and not hasattr(nl.Tensor, "one_hot")


def test_one_hot_has_no_gradient_and_int64() -> None:
    y = F.one_hot(nl.tensor([], dtype=nl.long), 3)
    assert y.shape == (0, 3) and y.dtype == nl.int64
    assert not y.requires_grad and y.grad_fn is None


# ------------------------------------------------------------------------------ einsum


@pytest.mark.parametrize("call", [
    lambda m, a, b: m.einsum("ij,jk->ik", a, a), lambda m, a, b: m.einsum("ij->ik", a),
    lambda m, a, b: m.einsum("ij", b), lambda m, a, b: m.einsum("ij,jk->ik", a),
    lambda m, a, b: m.einsum("ij->ii", a), lambda m, a, b: m.einsum("ij,jk->ik", a, b.double()),
    lambda m, a, b: m.einsum("i1", a), lambda m, a, b: m.einsum("i->i", a, b),
])
def test_einsum_errors(call: Any) -> None:
    a, b = np.ones((2, 3), np.float32), np.ones(2, np.float32)
    _same_error(lambda: call(nl, nl.tensor(a), nl.tensor(b)),
                lambda: call(torch, torch.tensor(a), torch.tensor(b)))


def test_einsum_integer_and_diagonal_values() -> None:
    a, b = _pair(np.arange(9).reshape(3, 3))
    for equation in ("ij,jk->ik", "ii->i", "ii", "ij->"):
        count = equation.count(",") + 1
        y, expected = nl.einsum(equation, *[a] * count), torch.einsum(equation, *[b] * count)
        assert y.dtype == expected.numpy().dtype
        np.testing.assert_array_equal(y.numpy(), expected.numpy())


def test_einsum_refuses_the_gradient_of_a_diagonal_clearly() -> None:
    x = nl.ones(3, 3, requires_grad=True)
    with pytest.raises(NotImplementedError, match="repeated subscript"):
        nl.einsum("ii->i", x)
    with nl.no_grad():
        assert nl.einsum("ii", x).item() == 3.0
    assert not hasattr(nl.Tensor, "einsum")


def test_diagonal_is_a_writable_view_as_torch() -> None:
    a, b = nl.zeros(2, 3, 4), torch.zeros(2, 3, 4)
    for x in (a, b):
        x.diagonal(1, 2, 1).fill_(1.0)
        x.diagonal(0, 0, -1).fill_(2.0)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
