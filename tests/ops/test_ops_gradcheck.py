"""Every op's gradient against central finite differences (``neuralab.gradcheck``, float64).

Hypothesis draws the shapes (broadcasting included), the axes and the options; the values come
from a NumPy generator seeded by Hypothesis. Inputs are kept away from kinks (ReLU and |x| at 0,
clip bounds, ties of a maximum), where finite differences are meaningless.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from _gradcheck_inputs import distinct, leaf
from _tolerance import assert_close
from hypothesis import given, settings
from hypothesis import strategies as st

import neuralab as nl
import neuralab.nn.functional as F
from neuralab.autograd.function import Function

pytestmark = pytest.mark.filterwarnings("error")

SETTINGS = settings(max_examples=20, deadline=None)
PER_OP = settings(max_examples=12, deadline=None)  # for tests parametrized over many ops
seeds = st.integers(0, 2**32 - 1)
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
nonempty_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4)
triples = hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3)


def away_from(rng: np.random.Generator, shape: tuple, kinks: tuple = (0.0,),
              gap: float = 0.05) -> np.ndarray:
    """Normal values moved at least ``gap`` away from every kink.

    A value is moved by less than ``gap + 0.25``, so it cannot land near another kink if the
    kinks are further apart than that.
    """
    x = rng.standard_normal(shape)
    for k in kinks:
        close = np.abs(x - k) < gap
        x = np.where(close, k + np.where(x >= k, 1, -1) * (gap + 0.25 * rng.random(shape)), x)
    return x


def check(fn: Callable[..., nl.Tensor], *inputs: nl.Tensor) -> None:
    assert nl.gradcheck(fn, *inputs)


# --------------------------------------------------------------------------- arithmetic

BINARY: dict[str, tuple[Callable, Callable, Callable]] = {
    # name: (op, maker of the first input, maker of the second)
    "add": (nl.add, away_from, away_from),
    "sub": (lambda a, b: a - b, away_from, away_from),
    "mul": (lambda a, b: a * b, away_from, away_from),
    "div": (nl.div, away_from, lambda rng, s: away_from(rng, s, gap=0.5)),
    "pow": (lambda a, b: a**b, lambda rng, s: rng.uniform(0.5, 2.0, s), away_from),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@SETTINGS
@given(shapes=pairs, seed=seeds)
def test_binary_ops_with_broadcasting(name: str, shapes: Any, seed: int) -> None:
    op, make_a, make_b = BINARY[name]
    rng = np.random.default_rng(seed)
    shape_a, shape_b = shapes.input_shapes
    check(op, leaf(make_a(rng, shape_a)), leaf(make_b(rng, shape_b)))


SCALAR: dict[str, Callable[[nl.Tensor], nl.Tensor]] = {
    "add_scalar": lambda x: x + 0.7,
    "radd_int": lambda x: 3 + x,
    "rsub": lambda x: 1.5 - x,
    "mul_scalar": lambda x: x * -2.5,
    "rdiv": lambda x: 2.0 / x,
    "square": lambda x: x**2,
    "cube": lambda x: nl.pow(x, 3),
    "pow_half_of_abs": lambda x: x.abs() ** 0.5,
    "pow_negative_of_abs": lambda x: x.abs() ** -1.5,
    "rpow": lambda x: 2.0**x,
    "neg": lambda x: -x,
    "neg_fn": nl.neg,
}


@pytest.mark.parametrize("name", sorted(SCALAR))
@PER_OP
@given(shape=shapes, seed=seeds)
def test_ops_with_a_python_number(name: str, shape: tuple, seed: int) -> None:
    x = away_from(np.random.default_rng(seed), shape, gap=0.3)
    check(SCALAR[name], leaf(x))


# ------------------------------------------------------------------ element-wise and activations

UNARY: dict[str, tuple[Callable[[nl.Tensor], nl.Tensor], Callable]] = {
    "exp": (nl.exp, away_from),
    "log": (nl.log, lambda rng, s: rng.uniform(0.2, 3.0, s)),
    "sqrt": (nl.sqrt, lambda rng, s: rng.uniform(0.2, 3.0, s)),
    "abs": (nl.abs, away_from),
    "clip": (lambda x: nl.clip(x, -0.5, 0.5), lambda rng, s: away_from(rng, s, (-0.5, 0.5))),
    "clamp_min": (lambda x: x.clamp(min=0.2), lambda rng, s: away_from(rng, s, (0.2,))),
    "clamp_max": (lambda x: nl.clamp(x, max=-0.1), lambda rng, s: away_from(rng, s, (-0.1,))),
    "step": (nl.step, away_from),
    "sigmoid": (nl.sigmoid, lambda rng, s: 3 * rng.standard_normal(s)),
    "tanh": (nl.tanh, lambda rng, s: 2 * rng.standard_normal(s)),
    "relu": (F.relu, away_from),
    "leaky_relu": (F.leaky_relu, away_from),
    "leaky_relu_0.2": (lambda x: F.leaky_relu(x, negative_slope=0.2), away_from),
    "clone": (lambda x: x.clone() * x, away_from),
    "to_float64": (lambda x: x.to(nl.float64) * 2, away_from),
    "double": (lambda x: x.double(), away_from),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@PER_OP
@given(shape=shapes, seed=seeds)
def test_unary_ops(name: str, shape: tuple, seed: int) -> None:
    op, make = UNARY[name]
    check(op, leaf(make(np.random.default_rng(seed), shape)))


def test_step_gradient_is_numerically_zero_too() -> None:
    x = leaf([-1.5, -0.3, 0.4, 2.0])
    check(nl.step, x)
    assert np.array_equal(x.grad, np.zeros(4))


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax], ids=["softmax", "log_softmax"])
@SETTINGS
@given(shape=nonempty_shapes, seed=seeds, data=st.data())
def test_softmax_and_log_softmax(fn: Callable, shape: tuple, seed: int,
                                 data: st.DataObject) -> None:
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    x = 2 * np.random.default_rng(seed).standard_normal(shape)
    check(lambda t: fn(t, axis=axis), leaf(x))


# ------------------------------------------------------------------------------- linalg


@SETTINGS
@given(batch=pairs, n=st.integers(1, 3), k=st.integers(1, 3), m=st.integers(1, 3),
       seed=seeds)
def test_matmul_batched_with_broadcasting(batch: Any, n: int, k: int, m: int,
                                          seed: int) -> None:
    rng = np.random.default_rng(seed)
    batch_a, batch_b = batch.input_shapes
    a = rng.standard_normal((*batch_a, n, k))
    b = rng.standard_normal((*batch_b, k, m))
    check(nl.matmul, leaf(a), leaf(b))


@SETTINGS
@given(batch=hnp.array_shapes(min_dims=0, max_dims=2, max_side=3), k=st.integers(1, 4),
       m=st.integers(1, 3), vector_first=st.booleans(), seed=seeds)
def test_matmul_with_a_vector(batch: tuple, k: int, m: int, vector_first: bool,
                              seed: int) -> None:
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(k)
    if vector_first:  # (k,) @ (*batch, k, m)
        check(lambda a, b: a @ b, leaf(v), leaf(rng.standard_normal((*batch, k, m))))
    else:  # (*batch, m, k) @ (k,)
        check(lambda a, b: a @ b, leaf(rng.standard_normal((*batch, m, k))), leaf(v))


@SETTINGS
@given(k=st.integers(1, 5), seed=seeds)
def test_matmul_vector_vector(k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    check(nl.matmul, leaf(rng.standard_normal(k)), leaf(rng.standard_normal(k)))


@SETTINGS
@given(batch=hnp.array_shapes(min_dims=0, max_dims=2, max_side=3), in_features=st.integers(1, 4),
       out_features=st.integers(1, 3), bias=st.booleans(), seed=seeds)
def test_linear(batch: tuple, in_features: int, out_features: int, bias: bool,
                seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = leaf(rng.standard_normal((*batch, in_features)))
    w = leaf(rng.standard_normal((out_features, in_features)))
    if bias:
        check(F.linear, x, w, leaf(rng.standard_normal(out_features)))
    else:
        check(F.linear, x, w)


# --------------------------------------------------------------------------- reductions


@st.composite
def axis_specs(draw: Any, ndim: int, several: bool = True) -> Any:
    """None, one (possibly negative) axis, or (``several``) a tuple of distinct axes."""
    if ndim == 0:  # PyTorch's convention: 0 and -1 name the only "axis" of a 0-d tensor
        return draw(st.sampled_from([None, 0, -1, (0,)] if several else [None, 0, -1]))
    kind = draw(st.sampled_from(["none", "int", "tuple"] if several else ["none", "int"]))
    if kind == "none":
        return None
    axis = st.integers(-ndim, ndim - 1)
    if kind == "int":
        return draw(axis)
    chosen = draw(st.lists(axis, min_size=1, max_size=ndim,
                           unique_by=lambda a: a % ndim))
    return tuple(chosen)


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin"])
@SETTINGS
@given(shape=shapes, seed=seeds, keepdims=st.booleans(), data=st.data())
def test_reductions(name: str, shape: tuple, seed: int, keepdims: bool,
                    data: st.DataObject) -> None:
    axis = data.draw(axis_specs(len(shape)), label="axis")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) if name in ("sum", "mean") else distinct(rng, shape)
    op = {"sum": nl.sum, "mean": nl.mean, "amax": nl.amax, "amin": nl.amin}[name]
    check(lambda t: op(t, axis=axis, keepdims=keepdims), leaf(x))


@pytest.mark.parametrize("name", ["max", "min"])
@SETTINGS
@given(shape=shapes, seed=seeds, keepdim=st.booleans(), data=st.data())
def test_max_and_min(name: str, shape: tuple, seed: int, keepdim: bool,
                     data: st.DataObject) -> None:
    """max()/min() of everything, and max(dim)/min(dim)'s values."""
    dim = data.draw(axis_specs(len(shape), several=False), label="dim")
    x = leaf(distinct(np.random.default_rng(seed), shape))
    op = getattr(nl, name)
    if dim is None:
        check(op, x)
    else:
        check(lambda t: op(t, dim, keepdim).values, x)


# ---------------------------------------------------------------------------- shape ops


@SETTINGS
@given(shape=nonempty_shapes, seed=seeds, data=st.data())
def test_reshape_permute_transpose(shape: tuple, seed: int, data: st.DataObject) -> None:
    ndim = len(shape)
    perm = data.draw(st.permutations(range(ndim)), label="perm")
    dim0, dim1 = data.draw(st.tuples(st.integers(-ndim, ndim - 1), st.integers(-ndim, ndim - 1)),
                           label="dims")
    x = leaf(np.random.default_rng(seed).standard_normal(shape))
    check(lambda t: t.reshape(-1) * 1.5, x)
    check(lambda t: t.reshape(tuple(reversed(shape))), x)
    check(lambda t: t.permute(*perm), x)
    check(lambda t: t.transpose(dim0, dim1), x)
    check(lambda t: t.T, x)
    check(lambda t: t.unsqueeze(0).flatten(), x)
    check(lambda t: t.view(1, -1).squeeze(0), x)


@SETTINGS
@given(shape=nonempty_shapes, seed=seeds, data=st.data())
def test_indexing(shape: tuple, seed: int, data: st.DataObject) -> None:
    rng = np.random.default_rng(seed)
    x = leaf(rng.standard_normal(shape))
    n = shape[0]
    start = data.draw(st.integers(-n, n - 1), label="start")
    step = data.draw(st.sampled_from([1, 2, -1]), label="step")
    repeated = rng.integers(0, n, size=data.draw(st.integers(1, 5), label="k"))
    mask = rng.random(shape) < 0.5
    check(lambda t: t[start::step], x)
    check(lambda t: t[start], x)
    check(lambda t: t[repeated], x)  # repeated rows must accumulate
    check(lambda t: t[list(repeated)], x)
    check(lambda t: t[mask], x)
    if len(shape) >= 2:
        cols = rng.integers(0, shape[1], size=repeated.size)
        check(lambda t: t[repeated, cols], x)
        check(lambda t: t[..., ::2, None], x)


@SETTINGS
@given(shape=nonempty_shapes, count=st.integers(1, 3), seed=seeds, data=st.data())
def test_concatenate_and_stack(shape: tuple, count: int, seed: int, data: st.DataObject) -> None:
    rng = np.random.default_rng(seed)
    ndim = len(shape)
    axis = data.draw(st.integers(-ndim, ndim - 1), label="axis")
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=count, max_size=count), label="sizes")
    parts = []
    for size in sizes:
        part_shape = list(shape)
        part_shape[axis] = size
        parts.append(leaf(rng.standard_normal(part_shape)))
    check(lambda *ts: nl.concatenate(list(ts), axis=axis), *parts)
    same = [leaf(rng.standard_normal(shape)) for _ in range(count)]
    new_axis = data.draw(st.integers(-ndim - 1, ndim), label="new_axis")
    check(lambda *ts: nl.stack(list(ts), axis=new_axis), *same)


@SETTINGS
@given(shapes=triples, seed=seeds)
def test_where_with_broadcasting(shapes: Any, seed: int) -> None:
    rng = np.random.default_rng(seed)
    cond_shape, a_shape, b_shape = shapes.input_shapes
    condition = rng.random(cond_shape) < 0.5
    check(lambda a, b: nl.where(condition, a, b), leaf(rng.standard_normal(a_shape)),
          leaf(rng.standard_normal(b_shape)))


# -------------------------------------------------------------------------------- losses

reductions = st.sampled_from(["mean", "sum", "none"])


@SETTINGS
@given(shape=shapes, reduction=reductions, seed=seeds)
def test_mse_loss(shape: tuple, reduction: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    check(lambda a, b: F.mse_loss(a, b, reduction=reduction),
          leaf(rng.standard_normal(shape)), leaf(rng.standard_normal(shape)))


@SETTINGS
@given(n=st.integers(1, 4), classes=st.integers(2, 4), spatial=st.sampled_from([(), (2,), (2, 1)]),
       reduction=reductions, weighted=st.booleans(), ignore=st.booleans(),
       smoothing=st.sampled_from([0.0, 0.1, 0.5]), seed=seeds)
def test_cross_entropy_class_indices(n: int, classes: int, spatial: tuple, reduction: str,
                                     weighted: bool, ignore: bool, smoothing: float,
                                     seed: int) -> None:
    rng = np.random.default_rng(seed)
    logits = leaf(2 * rng.standard_normal((n, classes, *spatial)))
    target = rng.integers(0, classes, (n, *spatial))
    if ignore and target.size > 1:
        target.reshape(-1)[0] = -100  # one ignored position; the rest still count
    weight = rng.uniform(0.2, 2.0, classes) if weighted else None
    check(lambda x: F.cross_entropy(x, target, weight=weight, reduction=reduction,
                                    label_smoothing=smoothing), logits)


@SETTINGS
@given(n=st.integers(1, 4), classes=st.integers(2, 4), spatial=st.sampled_from([(), (3,)]),
       reduction=reductions, weighted=st.booleans(), smoothing=st.sampled_from([0.0, 0.2]),
       seed=seeds)
def test_cross_entropy_probability_targets(n: int, classes: int, spatial: tuple,
                                           reduction: str, weighted: bool, smoothing: float,
                                           seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = (n, classes, *spatial)
    e = np.exp(rng.standard_normal(shape))
    target = e / e.sum(axis=1, keepdims=True)
    weight = rng.uniform(0.2, 2.0, classes) if weighted else None
    check(lambda x: F.cross_entropy(x, target, weight=weight, reduction=reduction,
                                    label_smoothing=smoothing),
          leaf(2 * rng.standard_normal(shape)))


@SETTINGS
@given(classes=st.integers(2, 5), probabilities=st.booleans(), reduction=reductions,
       seed=seeds)
def test_cross_entropy_unbatched(classes: int, probabilities: bool, reduction: str,
                                 seed: int) -> None:
    rng = np.random.default_rng(seed)
    if probabilities:
        e = np.exp(rng.standard_normal(classes))
        target: Any = e / e.sum()
    else:
        target = np.array(rng.integers(0, classes))
    check(lambda x: F.cross_entropy(x, target, reduction=reduction),
          leaf(rng.standard_normal(classes)))


@SETTINGS
@given(n=st.integers(1, 5), classes=st.integers(2, 4), reduction=reductions,
       weighted=st.booleans(), ignore_index=st.sampled_from([-100, 0]), seed=seeds)
def test_nll_loss(n: int, classes: int, reduction: str, weighted: bool, ignore_index: int,
                  seed: int) -> None:
    rng = np.random.default_rng(seed)
    target = rng.integers(0, classes, n)
    target[0] = 1  # never ignored, so a 'mean' has a nonzero total weight
    weight = rng.uniform(0.2, 2.0, classes) if weighted else None
    check(lambda x: F.nll_loss(x, target, weight=weight, ignore_index=ignore_index,
                               reduction=reduction), leaf(rng.standard_normal((n, classes))))


@SETTINGS
@given(n=st.integers(1, 4), classes=st.integers(2, 4), one_hot=st.booleans(), seed=seeds)
def test_cross_entropy_error(n: int, classes: int, one_hot: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    e = np.exp(rng.standard_normal((n, classes)))
    labels = rng.integers(0, classes, n)
    target = np.eye(classes)[labels] if one_hot else labels
    check(lambda y: F.cross_entropy_error(y, target), leaf(e / e.sum(axis=1, keepdims=True)))


@SETTINGS
@given(shape=shapes, reduction=reductions, weighted=st.booleans(), target_grad=st.booleans(),
       seed=seeds)
def test_binary_cross_entropy(shape: tuple, reduction: str, weighted: bool, target_grad: bool,
                              seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = leaf(rng.uniform(0.05, 0.95, shape))
    t = rng.uniform(0.0, 1.0, shape)
    weight = rng.uniform(0.2, 2.0, shape[-1:]) if weighted else None
    def fn(p_: nl.Tensor, t_: Any) -> nl.Tensor:
        return F.binary_cross_entropy(p_, t_, weight=weight, reduction=reduction)

    check(fn, p, leaf(t) if target_grad else t)


@SETTINGS
@given(shape=shapes, reduction=reductions, weighted=st.booleans(), pos_weighted=st.booleans(),
       target_grad=st.booleans(), seed=seeds)
def test_binary_cross_entropy_with_logits(shape: tuple, reduction: str, weighted: bool,
                                          pos_weighted: bool, target_grad: bool,
                                          seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = leaf(4 * rng.standard_normal(shape))
    t = rng.uniform(0.0, 1.0, shape)
    weight = rng.uniform(0.2, 2.0, shape[-1:]) if weighted else None
    pos_weight = rng.uniform(0.2, 3.0, shape[-1:]) if pos_weighted else None
    def fn(x_: nl.Tensor, t_: Any) -> nl.Tensor:
        return F.binary_cross_entropy_with_logits(x_, t_, weight=weight, reduction=reduction,
                                                  pos_weight=pos_weight)

    check(fn, x, leaf(t) if target_grad else t)


# ----------------------------------------------------- gradcheck itself is not vacuous


class _WrongSquare(Function):
    """y = x², with the derivative deliberately off by a factor 2 (x instead of 2x)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return x * x

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out * self.x


def test_gradcheck_leaves_a_read_only_non_contiguous_input_untouched() -> None:
    base = np.arange(12.0).reshape(3, 4) / 7
    x = nl.Tensor(base.T, requires_grad=True)  # a transposed view: not C-contiguous
    base.flags.writeable = False
    before = x.detach().numpy()
    check(lambda t: (t * t).sum(axis=0), x)
    assert x.detach().numpy() is before
    np.testing.assert_array_equal(x.detach().numpy(), np.arange(12.0).reshape(3, 4).T / 7)
    projection = np.random.default_rng(0).standard_normal(3)  # gradcheck's default seed=0
    # the analytical gradient for that projection: x·g from each use of t, added — a product and
    # a sum of two, relative to the result
    expected = 2 * x.detach().numpy() * projection
    assert_close(x.grad, expected, scale=expected, terms=2)


def test_gradcheck_rejects_a_wrong_backward() -> None:
    x = leaf([0.5, -1.0, 2.0])
    with pytest.raises(nl.GradcheckError, match="differs from finite differences"):
        nl.gradcheck(_WrongSquare.apply, x)
    assert nl.gradcheck(_WrongSquare.apply, leaf([0.5, -1.0, 2.0]), raise_exception=False) is False
