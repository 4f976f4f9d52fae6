"""one_hot: the one-hot view of integer labels, checked against torch."""

import numpy as np
import pytest
import torch

import neuralab as nl
from neuralab.data import one_hot


def test_values():
    np.testing.assert_array_equal(one_hot([0, 2, 1]), [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    out = one_hot(np.array([3, 0]), num_classes=5)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, [[0, 0, 0, 1, 0], [1, 0, 0, 0, 0]])
    np.testing.assert_array_equal(one_hot(np.array([1], dtype=np.uint8), 2, np.float32), [[0, 1]])
    assert one_hot([1], 2, np.float32).dtype == np.float32


def test_matches_torch_for_any_shape():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 7, size=(4, 5, 3))
    expected = torch.nn.functional.one_hot(torch.from_numpy(labels), 9).numpy()
    got = one_hot(labels, 9)
    assert got.shape == (4, 5, 3, 9)
    np.testing.assert_array_equal(got, expected)
    inferred = torch.nn.functional.one_hot(torch.from_numpy(labels)).numpy()
    np.testing.assert_array_equal(one_hot(labels), inferred)
    np.testing.assert_array_equal(got.argmax(-1), labels)


def test_tensor_in_tensor_out():
    out = one_hot(nl.Tensor(np.array([1, 0])), 3)
    assert isinstance(out, nl.Tensor) and out.dtype == np.int64
    np.testing.assert_array_equal(out.data, [[0, 1, 0], [1, 0, 0]])


def test_errors():
    with pytest.raises(ValueError, match=r"label 3 is out of range for num_classes=3 .*\[0, 2\]"):
        one_hot([0, 3], 3)
    with pytest.raises(ValueError, match="label -1 is out of range"):
        one_hot([0, -1])
    with pytest.raises(TypeError, match="integer class labels"):
        one_hot([0.0, 1.0])
    with pytest.raises(ValueError, match="cannot infer num_classes"):
        one_hot([])
    assert one_hot([], 4).shape == (0, 4)
    with pytest.raises(ValueError, match="num_classes must be positive"):
        one_hot([0], 0)
