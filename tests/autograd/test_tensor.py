"""Tensor basics: dtype defaults, conversions, detach, shape queries, requires_grad, repr."""

import numpy as np
import pytest
import torch

import neuralab as nl


def _name(dtype) -> str:
    return str(dtype).split(".")[-1]


@pytest.mark.parametrize("data", [1.5, [1.0, 2.5], [1, 2.5], 3, [[1, 2], [3, 4]], [True, False],
                                  True, [[True, 2]], []])
def test_tensor_infers_dtypes_as_torch_tensor(data):
    assert _name(nl.tensor(data).dtype) == _name(torch.tensor(data).dtype)
    np.testing.assert_array_equal(nl.tensor(data), torch.tensor(data).numpy())


@pytest.mark.parametrize("data", [[1.0, 2.5], [1, 2], [[1, 2], [3, 4]], [True, False]])
def test_the_tensor_class_gives_the_default_float_dtype_as_torch_Tensor(data):
    assert _name(nl.Tensor(data).dtype) == _name(torch.Tensor(data).dtype) == "float32"
    np.testing.assert_array_equal(nl.Tensor(data), torch.Tensor(data).numpy())


def test_tensor_of_an_int_is_refused_since_torch_reads_it_as_a_size():
    # torch.Tensor(3) is an uninitialized tensor of 3 elements: a silent difference otherwise
    with pytest.raises(TypeError, match=r"empty\(3\)"):
        nl.Tensor(3)


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
    with pytest.raises(TypeError, match="floating"):
        nl.set_default_dtype(nl.float16)
    nl.set_default_dtype(nl.float32)
    assert nl.Tensor(1.0).dtype == np.float32


def test_constants_follow_torchs_promotion():
    x, tx = nl.Tensor([1.0, 2.0]), torch.Tensor([1.0, 2.0])
    assert (x * 2.0).dtype == np.float32
    assert (2 * x + np.float64(1.0)).dtype == np.float32  # NumPy scalars count as numbers
    # an array counts as a tensor with dimensions, as in torch: float32 + float64 → float64
    assert _name((x + np.ones(2)).dtype) == _name((tx + np.ones(2)).dtype) == "float64"
    assert (x + np.ones(2)).numpy().tolist() == [2.0, 3.0]


def test_item_numpy_tolist():
    assert nl.Tensor(2.5).item() == 2.5
    assert isinstance(nl.tensor(3).item(), int)
    assert nl.Tensor([[7.0]]).item() == 7.0
    with pytest.raises(RuntimeError, match=r"2 elements.*one element.*\(2,\)"):
        nl.Tensor([1.0, 2.0]).item()
    t = nl.Tensor(np.arange(4.0).reshape(2, 2))
    assert isinstance(t.numpy(), np.ndarray)
    np.testing.assert_array_equal(t.numpy(), [[0.0, 1.0], [2.0, 3.0]])
    assert t.tolist() == [[0.0, 1.0], [2.0, 3.0]]
    assert float(nl.Tensor(1.5)) == 1.5 and int(nl.tensor(4)) == 4


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
    with pytest.raises(RuntimeError, match="floating"):  # torch raises RuntimeError
        nl.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="floating"):  # and TypeError still catches it
        nl.tensor([1, 2], requires_grad=True)
    t = nl.tensor([1, 2])
    with pytest.raises(RuntimeError, match="int64"):
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
    # as torch prints them, with neuralab. for torch.
    assert repr(nl.Tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(nl.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(nl.tensor([1, 2], dtype=nl.int32)) == "tensor([1, 2], dtype=neuralab.int32)"
    assert repr(nl.Tensor(np.array([0.5]))) == "tensor([0.5], dtype=neuralab.float64)"
    x = nl.Tensor([1.0], requires_grad=True)
    assert repr(x) == "tensor([1.], requires_grad=True)"
    assert repr(x * 2.0) == "tensor([2.], grad_fn=<MulBackward0>)"
    assert repr(torch.tensor([1.0], requires_grad=True) * 2.0) == \
        "tensor([2.], grad_fn=<MulBackward0>)"
    assert "Parameter containing" in repr(nl.nn.Parameter(np.zeros(2)))


def test_tensor_is_hashable_by_identity():
    a, b = nl.Tensor([1.0]), nl.Tensor([1.0])
    assert len({a, b}) == 2


def test_numpy_conversions_copy_when_asked():
    t = nl.tensor([1.0, 2.0])
    copied = np.array(t)  # NumPy 2: copy=True by default
    copied[0] = 9.0
    assert t.tolist() == [1.0, 2.0]
    assert not np.shares_memory(np.array(t, copy=True), t.numpy())
    shared = np.asarray(t)  # no copy asked for: the same memory, as with torch
    assert np.shares_memory(shared, t.numpy())
    assert np.array(t, dtype=np.float64).dtype == np.float64
    assert np.array(torch.tensor([1.0, 2.0])).tolist() == np.array(t).tolist()
