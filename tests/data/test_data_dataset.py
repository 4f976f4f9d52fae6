"""TensorDataset, Dataset and seeded splits."""

import numpy as np
import pytest
import torch

import neuralab as nl
from neuralab.data import Dataset, TensorDataset, random_split, train_val_split
from neuralab.data.dataset import Subset


def _data(n=10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64) % 3
    return TensorDataset(x, y, classes=["a", "b", "c"])


def test_tensor_dataset_indexing_and_storage():
    x = nl.Tensor(np.arange(8, dtype=np.float32).reshape(4, 2))
    y = [0, 1, 1, 0]
    data = TensorDataset(x, y)
    assert len(data) == 4
    assert all(isinstance(a, np.ndarray) for a in data.tensors)
    assert data.tensors[0] is x.numpy()  # unwrapped, not copied
    xi, yi = data[2]
    np.testing.assert_array_equal(xi, [4.0, 5.0])
    assert yi == 1
    assert data.classes is None
    assert _data().classes == ["a", "b", "c"]


def test_tensor_dataset_size_mismatch_names_the_sizes():
    with pytest.raises(ValueError, match=r"same first dimension, got sizes \[3, 4\]"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(ValueError, match="scalar"):
        TensorDataset(np.float32(1.0))


def test_dataset_base_class_is_torchs():
    # As torch.utils.data.Dataset: instantiable, but indexing needs a subclass.
    for base in (Dataset, torch.utils.data.Dataset):
        with pytest.raises(NotImplementedError, match="__getitem__"):
            base()[0]


def _rows(data):
    if isinstance(data, TensorDataset):
        return sorted(map(tuple, data.tensors[0].tolist()))
    return sorted(tuple(data[i][0].tolist()) for i in range(len(data)))


def test_random_split_counts_and_fractions_partition_the_data():
    data = _data(10)
    parts = random_split(data, [6, 3, 1], seed=0)
    assert [len(p) for p in parts] == [6, 3, 1]
    assert all(isinstance(p, Subset) and p.dataset is data for p in parts)  # as torch
    assert sorted(i for p in parts for i in p.indices) == list(range(10))
    assert sorted(sum((_rows(p) for p in parts), [])) == _rows(data)
    for part in parts:  # labels travel with their rows
        for i in range(len(part)):
            x, y = part[i]
            assert y == (x[0] // 3) % 3
    assert [len(p) for p in random_split(data, [0.5, 0.25, 0.25], seed=0)] == [6, 2, 2]  # torch
    assert [len(p) for p in random_split(_data(7), [0.3, 0.3, 0.4], seed=0)] == [3, 2, 2]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(data, [6, 3], seed=0)
    with pytest.raises(ValueError, match="non-negative counts"):
        random_split(data, [-1, 11], seed=0)  # torch would slice nonsense; refused here


def test_random_split_is_seeded():
    data = _data(20)
    a = random_split(data, [15, 5], seed=3)
    b = random_split(data, [15, 5], seed=3)
    c = random_split(data, [15, 5], seed=4)
    assert a[1].indices == b[1].indices
    assert a[1].indices != c[1].indices
    nl.manual_seed(7)
    d = random_split(data, [15, 5])
    nl.manual_seed(7)
    e = random_split(data, [15, 5])
    assert d[1].indices == e[1].indices
    f = random_split(data, [15, 5], generator=np.random.default_rng(3))
    g = random_split(data, [15, 5], generator=np.random.default_rng(3))
    assert f[0].indices == g[0].indices
    with pytest.raises(ValueError, match="not both"):
        random_split(data, [15, 5], generator=np.random.default_rng(3), seed=3)
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        random_split(data, [15, 5], generator=3)


def test_train_val_split():
    data = _data(10)
    train, val = train_val_split(data, 0.3, seed=1)
    assert (len(train), len(val)) == (7, 3)
    assert isinstance(train, TensorDataset) and isinstance(val, TensorDataset)
    assert sorted(_rows(train) + _rows(val)) == _rows(data)
    again = train_val_split(data, 0.3, seed=1)[1]
    np.testing.assert_array_equal(val.tensors[0], again.tensors[0])
    with pytest.raises(ValueError, match=r"val_fraction must be in \(0, 1\)"):
        train_val_split(data, 1.0)


class Squares(Dataset):
    classes = ["even", "odd"]

    def __getitem__(self, i):
        return np.array([i, i * i], dtype=np.float32), i % 2

    def __len__(self):
        return 6


def test_split_of_a_generic_dataset_collates_it():
    train, val = train_val_split(Squares(), 0.5, seed=0)
    assert len(train) == len(val) == 3
    x = np.concatenate([train.tensors[0], val.tensors[0]])
    np.testing.assert_array_equal(np.sort(x[:, 0]), np.arange(6))
    np.testing.assert_array_equal(x[:, 1], x[:, 0] ** 2)
    assert train.classes == ["even", "odd"]
