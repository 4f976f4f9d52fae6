"""Tensor basics: dtype defaults, conversions, detach, shape queries, requires_grad, repr."""

import numpy as np
import pytest

import neuralab as nl


def test_python_floats_become_float32_and_ints_int64():
    assert nl.Tensor(1.5).dtype == np.float32
    assert nl.Tensor([1.0, 2.5]).dtype == np.float32
    assert nl.Tensor([1, 2.5]).dtype == np.float32  # mixed list: floating
    assert nl.Tensor(3).dtype == np.int64
    assert nl.Tensor([[1, 2], [3, 4]]).dtype == np.int64
    assert nl.Tensor([True, False]).dtype == np.bool_
    assert nl.tensor([1.0]).dtype == np.float32


def test_numpy_arrays_keep_their_dtype_and_memory():
    a64 = np.arange(3, dtype=np.float64)
    t = nl.Tensor(a64)
    assert t.dtype == np.float64
    assert t.numpy() is a64  # shared, like torch.from_numpy
    assert nl.Tensor(np.arange(3, dtype=np.int32)).dtype == np.int32
    assert nl.Tensor(np.float64(2.0)).dtype == np.float64
    # nl.tensor copies, like torch.tensor. Regression: it used to read ndarray.data (a raw
    # buffer) as if it were Tensor.data, and so turned float64 arrays into float32.
    copied = nl.tensor(a64)
    assert copied.dtype == np.float64 and not np.shares_memory(copied.data, a64)


def test_explicit_dtype_and_default_dtype():
    assert nl.Tensor([1, 2], dtype=nl.float64).dtype == np.float64
    nl.set_default_dtype(nl.float64)
    assert nl.Tensor(1.0).dtype == np.float64
    assert nl.get_default_dtype() == np.float64
    with pytest.raises(TypeError, match="floating"):
        nl.set_default_dtype(np.int64)
    nl.set_default_dtype(nl.float32)
    assert nl.Tensor(1.0).dtype == np.float32


def test_constants_adopt_the_tensor_dtype():
    x = nl.Tensor([1.0, 2.0])
    assert (x * 2.0).dtype == np.float32
    assert (2 * x + np.float64(1.0)).dtype == np.float32
    assert (x + np.ones(2)).dtype == np.float32


def test_item_numpy_tolist():
    assert nl.Tensor(2.5).item() == 2.5
    assert isinstance(nl.Tensor(3).item(), int)
    assert nl.Tensor([[7.0]]).item() == 7.0
    with pytest.raises(ValueError, match=r"one element.*\(2,\)"):
        nl.Tensor([1.0, 2.0]).item()
    t = nl.Tensor(np.arange(4.0).reshape(2, 2))
    assert isinstance(t.numpy(), np.ndarray)
    np.testing.assert_array_equal(t.numpy(), [[0.0, 1.0], [2.0, 3.0]])
    assert t.tolist() == [[0.0, 1.0], [2.0, 3.0]]
    assert float(nl.Tensor(1.5)) == 1.5 and int(nl.Tensor(4)) == 4


def test_shape_ndim_size_numel_len():
    t = nl.Tensor(np.zeros((2, 3, 4)))
    assert t.shape == (2, 3, 4)
    assert t.ndim == 3 and t.dim() == 3
    assert t.size() == (2, 3, 4) and t.size(1) == 3
    assert t.numel() == 24
    assert len(t) == 2
    assert nl.Tensor(1.0).shape == ()


def test_detach_shares_data_and_cuts_the_graph():
    x = nl.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * 2.0
    d = y.detach()
    assert not d.requires_grad and d.is_leaf
    assert np.shares_memory(d.data, y.data)
    np.testing.assert_array_equal(d.data, [2.0, 4.0])
    assert y.requires_grad and not y.is_leaf


def test_requires_grad_only_for_floating_tensors():
    with pytest.raises(TypeError, match="floating"):
        nl.Tensor([1, 2], requires_grad=True)
    t = nl.Tensor([1, 2])
    with pytest.raises(TypeError, match="int64"):
        t.requires_grad_()
    assert not t.requires_grad
    f = nl.Tensor([1.0]).requires_grad_()
    assert f.requires_grad and f.is_leaf
    assert not f.requires_grad_(False).requires_grad


def test_comparisons_give_boolean_tensors_without_grad():
    x = nl.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    mask = x > 1.5
    assert mask.dtype == np.bool_ and not mask.requires_grad
    np.testing.assert_array_equal(mask.data, [False, True, True])
    np.testing.assert_array_equal((x == 2.0).data, [False, True, False])


def test_repr():
    assert repr(nl.Tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(nl.Tensor([1, 2])) == "tensor([1, 2], dtype=int64)"
    assert repr(nl.Tensor(np.array([0.5]))) == "tensor([0.5], dtype=float64)"
    x = nl.Tensor([1.0], requires_grad=True)
    assert repr(x) == "tensor([1.], requires_grad=True)"
    assert repr(x * 2.0) == "tensor([2.], grad_fn=<Mul>)"
    assert "Parameter containing" in repr(nl.nn.Parameter(np.zeros(2)))


def test_tensor_is_hashable_by_identity():
    a, b = nl.Tensor([1.0]), nl.Tensor([1.0])
    assert len({a, b}) == 2
