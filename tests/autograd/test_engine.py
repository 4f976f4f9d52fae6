"""The backward engine: long chains, graph release, fan-out, broadcasting, errors, aliasing."""

import gc
import weakref

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from _tolerance import assert_close
from hypothesis import given, settings

import neuralab as nl
from neuralab.autograd import Function


def leaf(values, dtype=np.float64):
    return nl.Tensor(np.array(values, dtype=dtype), requires_grad=True)


def sum_to(array, shape):
    """``array`` summed over the axes broadcasting added or stretched to reach it from ``shape``
    (the reduction each broadcast input's gradient goes through)."""
    array = np.asarray(array)
    lead = array.ndim - len(shape)
    array = array.sum(axis=tuple(range(lead)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and array.shape[i] != 1)
    return array.sum(axis=stretched, keepdims=True).reshape(shape)


def broadcast_terms(shape, out_shape):
    """How many elements of a broadcast result add up into one element of the input's gradient."""
    return int(np.prod(out_shape)) // max(int(np.prod(shape)), 1) if np.prod(out_shape) else 1


@pytest.fixture
def gc_disabled():
    """Reference cycles would only be found by the cycle collector; switch it off."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    yield
    if was_enabled:
        gc.enable()


# ----------------------------------------------------------------------- long chains
def test_ten_thousand_op_multiply_chain():
    x = leaf([1.0, 2.0, -3.0])
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()  # a recursive topological sort would hit RecursionError here
    expected = 1.0
    for _ in range(10_000):
        expected *= 1.0001
    # 10,000 products each way, each off by at most u
    assert_close(x.grad, np.full(3, expected), scale=expected, terms=10_000)
    assert abs(expected - np.e) < 1e-3  # (1 + 1e-4)^1e4 ≈ e: the chain really was 10,000 long


def test_ten_thousand_op_add_chain_and_release():
    x = leaf(0.5)
    y = x
    for _ in range(10_000):
        y = y + 0
    y.backward()
    assert x.grad == 1.0
    del y  # freeing a 10,000-deep graph must not overflow the C stack either


def test_long_chain_with_fan_out_to_the_same_leaf():
    x = leaf([1.0, 2.0])
    y = x
    for _ in range(5_000):
        y = y + x  # x feeds every one of the 5,000 additions
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [5001.0, 5001.0])


# ----------------------------------------------------------------------- graph release
def _saved_arrays(root, *leaves):
    """Weak references to every array the ops of ``root``'s graph saved for backward, except
    the ``leaves``' own arrays (alive as long as the leaves are)."""
    refs, stack, seen = [], [root.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen or not hasattr(node, "_edges"):
            continue
        seen.add(id(node))
        refs += [weakref.ref(v) for v in vars(node).values() if isinstance(v, np.ndarray)
                 and not any(v is leaf.detach().numpy() for leaf in leaves)]
        stack += [edge for edge, _ in node.next_functions]
    return refs


def test_graph_is_freed_after_backward(gc_disabled):
    x = leaf([0.1, 0.2, 0.3])
    hidden = x * 2.0
    loss = hidden.tanh().sum()
    hidden_ref, saved = weakref.ref(hidden), _saved_arrays(loss, x)
    del hidden
    # The graph links op nodes, not tensors: an intermediate tensor dies with its last name,
    # and only the arrays its ops saved for backward stay.
    assert hidden_ref() is None
    assert saved and all(ref() is not None for ref in saved)
    loss.backward()
    assert all(ref() is None for ref in saved), "saved arrays kept alive after backward()"
    th = np.tanh(2 * x.detach().numpy())
    # a few roundings (tanh, square, subtract, scale) relative to the terms 2·(1 + tanh²)
    assert_close(x.grad, 2 * (1 - th ** 2), scale=2 * (1 + th ** 2), terms=4)
    assert_close(loss.item(), th.sum(), scale=np.abs(th).sum(), terms=4)  # loss still usable


def test_graph_without_backward_dies_with_the_loss(gc_disabled):
    x = leaf([1.0, 2.0])
    hidden = x.exp()
    loss = (hidden * hidden).sum()
    node_ref, saved = weakref.ref(hidden.grad_fn), _saved_arrays(loss, x)
    del hidden
    assert node_ref() is not None and all(ref() is not None for ref in saved)
    del loss  # no reference cycles: plain reference counting frees the whole graph
    assert node_ref() is None
    assert all(ref() is None for ref in saved)


def test_retain_graph_keeps_graph_and_allows_second_backward(gc_disabled):
    x = leaf([0.5, -1.0])
    hidden = x * x
    loss = (hidden * 3.0).sum()
    saved = _saved_arrays(loss, x)
    del hidden
    loss.backward(retain_graph=True)
    assert saved and all(ref() is not None for ref in saved)
    xs = x.detach().numpy()
    assert_close(x.grad, 6 * xs, scale=6 * xs, terms=3)  # 3·(x·1 + 1·x)
    loss.backward()  # allowed: the graph was retained; gradients accumulate
    assert_close(x.grad, 12 * xs, scale=12 * xs, terms=4)
    assert all(ref() is None for ref in saved)  # the second call did not retain it
    with pytest.raises(RuntimeError, match="retain_graph"):
        loss.backward()


def test_second_backward_without_retain_graph_raises():
    x = leaf([1.0, 2.0])
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"second time.*retain_graph=True"):
        loss.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])  # the failed call added nothing (exact:
    # small integers)


def test_backward_through_a_shared_part_freed_by_another_loss_raises():
    x = leaf([1.0, 2.0])
    hidden = x.exp()
    first, second = hidden.sum(), (hidden * 2.0).sum()
    first.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        second.backward()


def test_shared_part_with_retain_graph_serves_two_losses():
    x = leaf([1.0, 2.0])
    hidden = x.exp()
    first, second = hidden.sum(), (hidden * 2.0).sum()
    first.backward(retain_graph=True)
    second.backward()
    assert_close(x.grad, 3 * np.exp(x.data), scale=3 * np.exp(x.data), terms=3)  # e^x·1 + e^x·2


# ----------------------------------------------------------------------- incoming gradient
def test_read_only_incoming_gradient_is_accepted_and_untouched():
    a, b = leaf(np.arange(6.0).reshape(2, 3)), leaf(np.ones((2, 3)) * 0.5)
    grad = np.linspace(-1, 1, 6).reshape(2, 3)
    grad.setflags(write=False)
    before = grad.copy()
    (a * b + a.relu() - b.exp()).backward(grad)
    np.testing.assert_array_equal(grad, before)
    assert not grad.flags.writeable
    # pointwise: two or three roundings relative to the terms' magnitudes
    assert_close(a.grad, grad * (b.data + (a.data > 0)), terms=3,
                 scale=np.abs(grad) * (np.abs(b.data) + 1))
    assert_close(b.grad, grad * (a.data - np.exp(b.data)), terms=3,
                 scale=np.abs(grad) * (np.abs(a.data) + np.exp(b.data)))


def test_leaf_grads_never_alias_each_other_or_the_callers_gradient():
    a, b = leaf(np.zeros((2, 3))), leaf(np.zeros((2, 3)))
    grad = np.ones((2, 3))
    (a + b).backward(grad)  # Add hands the same array to both inputs
    for g in (a.grad, b.grad):
        assert g.numpy().flags.writeable
        assert not np.shares_memory(g, grad)
    assert not np.shares_memory(a.grad, b.grad)
    a.grad *= 10.0  # e.g. gradient clipping in place (a.grad is a Tensor, changed in place)
    np.testing.assert_array_equal(b.grad, np.ones((2, 3)))
    np.testing.assert_array_equal(grad, np.ones((2, 3)))


def test_leaf_grads_do_not_alias_when_the_seed_is_implicit():
    a, b = leaf(1.5), leaf(2.5)
    loss = a + b
    loss.backward()
    a.grad += 1.0
    assert b.grad == 1.0
    a.backward()  # a leaf can be its own root; the seed array must not leak either
    assert not np.shares_memory(a.grad, b.grad)


def test_leaf_grad_reached_through_a_view_is_copied():
    a, c = leaf(np.zeros((2, 3))), leaf(np.zeros(6))
    grad = np.arange(6.0)
    (a.reshape(6) + c).backward(grad)  # a.grad is a reshaped view of c's gradient
    assert not np.shares_memory(a.grad, c.grad)
    assert not np.shares_memory(a.grad, grad)
    a.grad[...] = 0
    np.testing.assert_array_equal(c.grad, np.arange(6.0))


OPS_ON_ONE_INPUT = {
    "relu": lambda x: x.relu(),
    "sigmoid": lambda x: x.sigmoid(),
    "tanh": lambda x: x.tanh(),
    "exp": lambda x: x.exp(),
    "log": lambda x: (x * x + 1.0).log(),
    "sqrt": lambda x: (x * x + 1.0).sqrt(),
    "abs": lambda x: x.abs(),
    "neg": lambda x: -x,
    "pow": lambda x: x**3,
    "div": lambda x: 1.0 / (x * x + 1.0),
    "softmax": lambda x: x.softmax(axis=1),
    "log_softmax": lambda x: x.log_softmax(axis=1),
    "leaky_relu": lambda x: x.leaky_relu(0.1),
    "sum_keepdims": lambda x: x.sum(axis=1, keepdims=True) * x,
    "mean": lambda x: x.mean(axis=0) * x,
    "max": lambda x: x.max(axis=1, keepdims=True) + x,
    "transpose": lambda x: x.T.reshape(3, 2).T,
    "getitem": lambda x: x[:, ::-1] * x,
    "matmul": lambda x: x @ x.T @ x,
    "clip": lambda x: x.clip(-0.5, 0.5),
}


@pytest.mark.parametrize("name", sorted(OPS_ON_ONE_INPUT))
def test_no_op_writes_into_a_read_only_gradient(name):
    fn = OPS_ON_ONE_INPUT[name]
    data = np.array([[0.3, -1.2, 0.7], [1.1, 0.2, -0.4]])
    reference = leaf(data)
    out = fn(reference)
    out.backward(np.ones(out.shape))
    x = leaf(data)
    grad = np.ones(out.shape)
    grad.setflags(write=False)
    fn(x).backward(grad)  # an op writing into grad_out would raise "read-only" here
    np.testing.assert_array_equal(x.grad, reference.grad)  # the same computation: bitwise


# ----------------------------------------------------------------------- conventions
def test_relu_derivative_at_zero_is_zero():
    x = leaf([-2.0, 0.0, 3.0])
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])
    t = torch.tensor([-2.0, 0.0, 3.0], dtype=torch.float64, requires_grad=True)
    torch.relu(t).sum().backward()
    np.testing.assert_array_equal(x.grad, t.grad.numpy())  # PyTorch's convention


def test_relu_module_derivative_at_zero_is_zero():
    x = leaf(np.zeros((2, 2)))
    nl.nn.ReLU()(x).sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros((2, 2)))


# ----------------------------------------------------------------------- fan-out and sums
def test_value_used_twice_in_one_op():
    x = leaf([1.0, -2.0, 3.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, 2 * x.data)  # small integers: exact
    y = leaf([1.0, -2.0, 3.0])
    (y + y).sum().backward()
    np.testing.assert_array_equal(y.grad, [2.0, 2.0, 2.0])


def test_diamond_graph_sums_both_branches():
    values = np.array([0.3, -0.7, 1.2])
    x = leaf(values)
    h = x.exp()
    out = (h.tanh() + h * h).sum()
    out.backward()
    t = torch.tensor(values, requires_grad=True)
    th = t.exp()
    (th.tanh() + th * th).sum().backward()
    hv = np.exp(values)
    # Σ of the two branches' terms e^x·(1 − tanh²) and e^x·2e^x, a few roundings each
    terms_scale = hv * ((1 + np.tanh(hv) ** 2) + 2 * hv)
    assert_close(x.grad, t.grad.numpy(), scale=terms_scale, terms=6)
    assert_close(x.grad, hv * ((1 - np.tanh(hv) ** 2) + 2 * hv), scale=terms_scale, terms=6)


def test_matmul_with_itself_matches_torch():
    values = np.array([[1.0, 2.0], [-0.5, 0.3]])
    x = leaf(values)
    (x @ x).sum().backward()
    t = torch.tensor(values, requires_grad=True)
    (t @ t).sum().backward()
    # x.grad = 1·xᵀ + xᵀ·1: products of length 2, then the sum of the two
    ones = np.ones_like(values)
    scale = np.abs(ones @ np.abs(values).T) + np.abs(np.abs(values).T @ ones)
    assert_close(x.grad, t.grad.numpy(), scale=scale, terms=3)


def test_gradients_accumulate_across_backward_calls_until_zeroed():
    x = leaf([1.0, 2.0])
    (x * 3.0).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0 + 2.0, 3.0 + 4.0])  # small integers: exact
    x.zero_grad()
    assert x.grad is None
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_intermediate_tensors_get_no_grad_and_constants_get_none():
    x = leaf([1.0, 2.0])
    c = nl.Tensor(np.array([5.0, 6.0]))
    h = x * c
    h.sum().backward()
    assert h.grad is None
    assert c.grad is None
    np.testing.assert_array_equal(x.grad, [5.0, 6.0])  # exact: 1·c


def test_detach_stops_the_gradient():
    x = leaf([1.0, 2.0])
    (x * x.detach()).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2.0])  # not 2x: the detached factor is constant


# ----------------------------------------------------------------------- broadcasting
@pytest.mark.parametrize(
    ("x_shape", "b_shape"),
    [((4, 3), (3,)), ((4, 3), (1, 3)), ((4, 3), (4, 1)), ((2, 4, 3), (4, 1)), ((4, 3), ()),
     ((2, 1, 3), (4, 1))],
)
def test_broadcast_gradients_are_summed_back_to_input_shape(x_shape, b_shape):
    rng = np.random.default_rng(0)
    xv, bv = rng.standard_normal(x_shape), rng.standard_normal(b_shape)
    x, b = leaf(xv), leaf(bv)
    ((x + b) * (x * b)).sum().backward()
    tx, tb = (torch.tensor(v, requires_grad=True) for v in (xv, bv))
    ((tx + tb) * (tx * tb)).sum().backward()
    assert x.grad.shape == x_shape and b.grad.shape == b_shape
    # d/dx = x·b + (x + b)·b, d/db = x·b + (x + b)·x, summed back over the broadcast axes
    xs, bs = np.broadcast_arrays(xv, bv)
    out = xs.shape
    assert_close(x.grad, tx.grad.numpy(), terms=broadcast_terms(x_shape, out) + 4,
                 scale=sum_to(np.abs(xs * bs) + np.abs(xs + bs) * np.abs(bs), x_shape))
    assert_close(b.grad, tb.grad.numpy(), terms=broadcast_terms(b_shape, out) + 4,
                 scale=sum_to(np.abs(xs * bs) + np.abs(xs + bs) * np.abs(xs), b_shape))


def test_bias_gradient_is_sum_over_batch():
    x = nl.Tensor(np.ones((5, 3)))
    bias = leaf([0.0, 0.0, 0.0])
    grad = np.arange(15.0).reshape(5, 3)
    (x + bias).backward(grad)
    np.testing.assert_array_equal(bias.grad, grad.sum(axis=0))  # integers: exact


def test_keepdim_reduction_gradient_broadcasts_back():
    x = leaf(np.arange(6.0).reshape(2, 3))
    m = x.sum(axis=1, keepdims=True)  # (2, 1)
    assert m.shape == (2, 1)
    (x / m).sum().backward()
    t = torch.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    (t / t.sum(dim=1, keepdim=True)).sum().backward()
    # d/dx_ij Σ_k x_ik/m_i = 1/m_i − Σ_k x_ik/m_i²: row sums of 3 terms of magnitude ≤ 1/m_i
    m = np.arange(6.0).reshape(2, 3).sum(axis=1, keepdims=True)
    assert_close(x.grad, t.grad.numpy(), scale=np.broadcast_to(2 / m, (2, 3)), terms=3 + 3)


# ----------------------------------------------------------------------- errors
def test_backward_on_non_scalar_without_grad_says_what_to_do():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"single-element.*\(2,\).*sum\(\)\.backward\(\)"):
        (x * 2.0).backward()


def test_backward_on_tensor_not_requiring_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        nl.Tensor([1.0]).sum().backward()
    x = leaf([1.0])
    with nl.no_grad():
        y = x * 2.0
    with pytest.raises(RuntimeError, match="no_grad"):
        y.backward()


def test_backward_with_wrong_shaped_grad_raises():
    x = leaf([1.0, 2.0, 3.0])
    y = x * 2.0
    with pytest.raises(RuntimeError, match=r"\(2,\).*\(3,\)"):
        y.backward(np.ones(2))
    assert x.grad is None


def test_backward_accepts_a_tensor_grad_and_single_element_non_scalar():
    x = leaf([[1.0, 2.0]])
    (x * 3.0).backward(nl.Tensor(np.array([[1.0, -1.0]])))
    np.testing.assert_array_equal(x.grad, [[3.0, -3.0]])  # small integers: exact
    y = leaf([2.0])
    (y * y).backward()  # shape (1,) has one element, so the seed 1 is implied
    np.testing.assert_array_equal(y.grad, [4.0])


class _WrongShape(Function):
    def forward(self, x):
        return x * 2

    def backward(self, grad_out):
        return np.ones(7)


class _TooFewGrads(Function):
    def forward(self, a, b):
        return a * b

    def backward(self, grad_out):
        return grad_out  # one gradient for two inputs


def test_op_returning_wrong_shape_gradient_is_named():
    x = leaf([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match=r"_WrongShape.*\(7,\).*\(3,\)"):
        _WrongShape.apply(x).sum().backward()


def test_op_returning_too_few_gradients_is_an_error():
    # Regression: zip() used to drop b's gradient silently.
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    with pytest.raises(RuntimeError, match=r"_TooFewGrads.*1 gradient.*2 input"):
        _TooFewGrads.apply(a, b).sum().backward()


# ----------------------------------------------------------------------- dtypes
def test_float32_leaf_grad_stays_float32_when_accumulating_float64_contributions():
    # Regression: the second accumulation used to promote x.grad to float64.
    x = nl.Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = nl.Tensor(np.full(3, 2.0))  # float64
    (x * y).sum().backward()
    assert x.grad.dtype == np.float32
    (x * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [4.0, 4.0, 4.0])


def test_float32_graph_gives_float32_grads():
    x = nl.Tensor([1.0, 2.0], requires_grad=True)
    (x * 2.0 + 1.0).tanh().sum().backward()
    assert x.dtype == np.float32 and x.grad.dtype == np.float32


@settings(max_examples=60, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4,
                                                max_side=3))
def test_broadcast_gradients_match_torch_for_any_compatible_shapes(shapes):
    a_shape, b_shape = shapes.input_shapes
    rng = np.random.default_rng(len(a_shape) * 10 + len(b_shape))
    av, bv = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    a, b = leaf(av), leaf(bv)
    out = a * b - b / (a * a + 1.0)
    assert out.shape == shapes.result_shape
    out.backward(np.ones(out.shape))
    ta, tb = torch.tensor(av, requires_grad=True), torch.tensor(bv, requires_grad=True)
    (ta * tb - tb / (ta * ta + 1.0)).backward(torch.ones(shapes.result_shape, dtype=torch.float64))
    assert a.grad.shape == a_shape and b.grad.shape == b_shape
    # d/da = b + 2ab/(a² + 1)², d/db = a − 1/(a² + 1), summed back over the broadcast axes
    a_s, b_s = np.broadcast_arrays(av, bv)
    out = shapes.result_shape
    assert_close(a.grad, ta.grad.numpy(), terms=broadcast_terms(a_shape, out) + 6,
                 scale=sum_to(np.abs(b_s) + 2 * np.abs(a_s * b_s) / (a_s * a_s + 1) ** 2, a_shape))
    assert_close(b.grad, tb.grad.numpy(), terms=broadcast_terms(b_shape, out) + 6,
                 scale=sum_to(np.abs(a_s) + 1 / (a_s * a_s + 1), b_shape))
