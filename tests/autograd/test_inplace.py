"""In-place operations follow PyTorch's rules: they change memory, bump the version counter,
refuse leaves that require grad, and never let backward use an overwritten value."""

import numpy as np
import pytest
import torch

import neuralab as nl
from tests._tolerance import assert_close

LIBS = [nl, torch]


def _values(t) -> np.ndarray:
    return np.array(t.detach().numpy())


# ------------------------------------------------------------------ under no_grad: memory
@pytest.mark.parametrize("lib", LIBS, ids=["neuralab", "torch"])
def test_minus_equals_under_no_grad_updates_the_parameter_itself(lib):
    p = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
    (p * p).sum().backward()
    same_object = p
    with lib.no_grad():
        p -= 0.1 * p.grad  # the learners' loop: must change p, not rebind a name
    assert p is same_object and p.requires_grad and p.is_leaf
    np.testing.assert_allclose(_values(p), [0.8, 1.6, 2.4], rtol=1e-15)
    assert p._version == 1


@pytest.mark.parametrize("lib", LIBS, ids=["neuralab", "torch"])
def test_each_inplace_method_changes_the_memory(lib):
    t = lib.tensor([1.0, -2.0, 3.0], dtype=lib.float64)
    alias = t[:]  # a view: sees every change
    t.add_(1).mul_(2).sub_(1).div_(2)  # ((x + 1)·2 − 1)/2
    np.testing.assert_allclose(_values(alias), [1.5, -1.5, 3.5], rtol=1e-15)
    t.clamp_(min=-1.0, max=2.0)
    np.testing.assert_allclose(_values(alias), [1.5, -1.0, 2.0], rtol=1e-15)
    t.add_(lib.tensor([1.0, 1.0, 1.0], dtype=lib.float64), alpha=-2)
    np.testing.assert_allclose(_values(t), [-0.5, -3.0, 0.0], rtol=1e-15)
    t.fill_(7)
    assert _values(t).tolist() == [7.0, 7.0, 7.0]
    t.zero_()
    assert _values(alias).tolist() == [0.0, 0.0, 0.0]
    t.copy_(lib.tensor([4.0]))  # broadcast and cast
    assert _values(t).tolist() == [4.0, 4.0, 4.0] and t.dtype == lib.float64
    assert t._version == alias._version == 9


@pytest.mark.parametrize("lib", LIBS, ids=["neuralab", "torch"])
def test_item_slice_and_mask_assignment(lib):
    t = lib.zeros(3, 4)
    t[:, 1] = 1
    t[0] = lib.tensor([5.0, 6.0, 7.0, 8.0])
    t[t > 6] = -1
    t[2, 3] = 2.5
    t[lib.tensor([1, 2]), lib.tensor([0, 0])] = 9
    assert _values(t).tolist() == [[5, 6, -1, -1], [9, 1, 0, 0], [9, 1, 0, 2.5]]
    assert t._version == 5


@pytest.mark.parametrize("lib", LIBS, ids=["neuralab", "torch"])
def test_inplace_results_that_cannot_be_cast_raise(lib):
    t = lib.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="can't be cast"):
        t /= 2  # float result into an int64 tensor
    with pytest.raises(RuntimeError, match="can't be cast"):
        t += 1.5
    assert _values(t).tolist() == [1, 2, 3] and t._version == 0  # nothing changed
    t[0] = 1.7  # assignment casts, as torch
    assert _values(t).tolist() == [1, 2, 3]


# ------------------------------------------------------------------ with grad enabled
@pytest.mark.parametrize("lib", LIBS, ids=["neuralab", "torch"])
def test_a_leaf_that_requires_grad_refuses_inplace_changes(lib):
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    for change in (lambda: w.add_(1), lambda: w.zero_(), lambda: w.__setitem__(0, 5.0),
                   lambda: w.mul_(2), lambda: w.uniform_()):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            change()
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        w[0:1].add_(1)
    assert _values(w).tolist() == [1.0, 2.0] and w._version == 0


@pytest.mark.parametrize("lib", LIBS, ids=["neuralab", "torch"])
def test_modifying_a_saved_value_then_backward_raises(lib):
    x = lib.tensor([0.5, 1.0], dtype=lib.float64, requires_grad=True)
    for make, change in ((lambda: x.exp(), lambda y: y.add_(1)),      # exp saves its output
                         (lambda: x * 1.0, lambda y: None),           # (control: no change)
                         (lambda: x.sigmoid(), lambda y: y.mul_(2)),
                         (lambda: x.tanh(), lambda y: y.__setitem__(0, 0.0))):
        y = make()
        z = y * y  # Mul saves y
        change(y)
        if y._version == 0:
            z.sum().backward()
            continue
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()


@pytest.mark.parametrize("lib", LIBS, ids=["neuralab", "torch"])
def test_a_change_through_a_view_or_detach_is_seen_too(lib):
    x = lib.tensor([0.5, 1.0, 2.0], dtype=lib.float64, requires_grad=True)
    y = x * 2
    z = (y * y).sum()  # saves y
    y.detach()[0] = 100.0  # same memory, same version counter
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


@pytest.mark.parametrize("lib", LIBS, ids=["neuralab", "torch"])
def test_inplace_on_a_non_leaf_is_recorded_and_differentiated(lib):
    x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
    y = x * 3
    before = y.grad_fn
    y += x          # y = 4x
    y.mul_(x)       # y = 4x²
    y[1] = 7.0      # y = [4x0², 7, 4x2²]
    assert y.grad_fn is not before and not y.is_leaf
    y.sum().backward()
    np.testing.assert_allclose(_values(x.grad), [4.0, 0.0, 16.0], rtol=1e-15)
    np.testing.assert_allclose(_values(y), [1.0, 7.0, 16.0], rtol=1e-15)


@pytest.mark.parametrize("lib", LIBS, ids=["neuralab", "torch"])
def test_an_earlier_consumer_keeps_the_old_value_gradient(lib):
    x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    y = x + 0            # AddBackward, saves nothing
    early = y * 5        # uses the old y (Mul saves the constant, not y)
    y.mul_(2)            # y = 2x from now on: the earlier use must still count 5 per x
    (early.sum() + y.sum()).backward()
    np.testing.assert_allclose(_values(x.grad), [7.0, 7.0], rtol=1e-15)


@pytest.mark.parametrize("lib", LIBS, ids=["neuralab", "torch"])
def test_assigning_a_value_that_requires_grad_into_a_plain_tensor(lib):
    w = lib.tensor([2.0, 3.0], dtype=lib.float64, requires_grad=True)
    buf = lib.zeros(4, dtype=lib.float64)
    buf[1:3] = w * w
    assert buf.requires_grad and not buf.is_leaf
    (buf * lib.tensor([1.0, 10.0, 100.0, 1000.0], dtype=lib.float64)).sum().backward()
    np.testing.assert_allclose(_values(w.grad), [40.0, 600.0], rtol=1e-15)


def test_an_inplace_change_of_a_view_of_a_graph_tensor_raises_clearly():
    # torch rebases the base (CopySlices); neuralab cannot, so it says so instead of
    # giving a wrong gradient
    x = nl.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="view"):
        y[0:1].mul_(3)


def test_data_is_a_detached_tensor_over_the_same_memory():
    p = nl.tensor([1.0, 2.0], requires_grad=True)
    d = p.data
    assert isinstance(d, nl.Tensor) and not d.requires_grad and d.is_leaf
    assert np.shares_memory(d.numpy(), p.detach().numpy())
    p.data -= 0.5 * nl.ones(2)  # allowed with grad enabled (torch's escape hatch)
    assert p.tolist() == [0.5, 1.5]
    p.data = nl.tensor([9.0, 9.0, 9.0])  # rebinding the data, as torch allows
    assert p.shape == (3,) and p.requires_grad


def test_read_only_memory_gives_a_clear_error_and_stays():
    array = np.arange(3.0)
    array.flags.writeable = False
    t = nl.Tensor(array)
    with pytest.raises(RuntimeError, match="read-only"):
        t.add_(1)
    with pytest.raises(RuntimeError, match="read-only"):
        t[0] = 5
    assert array.tolist() == [0.0, 1.0, 2.0]


def test_grad_is_a_tensor_without_a_grad_of_its_own():
    p = nl.tensor([1.0, -2.0], requires_grad=True)
    (p * p).sum().backward()
    g = p.grad
    assert isinstance(g, nl.Tensor) and not g.requires_grad and g.grad is None
    # two squares, a sum and a square root in float32
    assert_close(g.norm().item(), np.sqrt(20.0), scale=np.sqrt(20.0), terms=4,
                 dtype=np.float32)
    clone = g.clone()
    g.zero_()
    assert p.grad.tolist() == [0.0, 0.0] and clone.tolist() == [2.0, -4.0]
    (p * p).sum().backward()  # accumulates into the same tensor, in place, as torch
    assert p.grad is g and g.tolist() == [2.0, -4.0]
    with pytest.raises(TypeError, match="Tensor or None"):
        p.grad = np.zeros(2)
    with pytest.raises(RuntimeError, match="different size"):
        p.grad = nl.zeros(3)


@pytest.mark.parametrize("lib", LIBS, ids=["neuralab", "torch"])
def test_out_writes_into_the_given_tensor(lib):
    c = lib.zeros(2, dtype=lib.float64)
    assert lib.add(lib.ones(2, dtype=lib.float64), 1, out=c) is c
    assert _values(c).tolist() == [2.0, 2.0] and c._version == 1
    values, indices = lib.zeros(0), lib.zeros(0, dtype=lib.long)
    lib.max(lib.tensor([[1.0, 5.0], [7.0, 2.0]]), 1, out=(values, indices))
    assert _values(values).tolist() == [5.0, 7.0] and _values(indices).tolist() == [1, 0]
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        lib.exp(lib.ones(2, requires_grad=True), out=lib.zeros(2))
    with pytest.raises(RuntimeError, match="can't be cast"):
        lib.div(lib.ones(2), 2, out=lib.zeros(2, dtype=lib.long))
    small = lib.zeros(2)  # (torch cannot resize storage already shared with NumPy)
    with pytest.warns(UserWarning, match="resized"):
        lib.mul(lib.ones(3), 2, out=small)
    assert _values(small).tolist() == [2.0, 2.0, 2.0]
