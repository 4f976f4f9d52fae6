"""DataLoader: batching, seeded shuffling, resumable generator state, no whole-data copies."""

import json
import tracemalloc

import numpy as np
import pytest

import neuralab as nl
from neuralab.data import DataLoader, Dataset, TensorDataset


def _data(n=10):
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = (np.arange(n) % 4).astype(np.uint8)
    return TensorDataset(x, y)


def _order(batches):
    return [int(v) for x, _ in batches for v in x.numpy()[:, 0] // 2]


def test_batch_sizes_len_and_drop_last():
    data = _data(10)
    loader = DataLoader(data, batch_size=4)
    assert [len(x) for x, _ in loader] == [4, 4, 2] and len(loader) == 3
    loader = DataLoader(data, batch_size=4, drop_last=True)
    assert [len(x) for x, _ in loader] == [4, 4] and len(loader) == 2
    assert len(DataLoader(data, batch_size=5, drop_last=True)) == 2
    assert len(DataLoader(data)) == 10
    assert [len(x) for x, _ in DataLoader(data, batch_size=3, shuffle=True, drop_last=True)] == [
        3, 3, 3,
    ]
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(data, batch_size=0)


def test_unshuffled_batches_hold_the_data_in_order_as_tensors():
    data = _data(10)
    batches = list(DataLoader(data, batch_size=4))
    x, y = batches[0]
    assert isinstance(x, nl.Tensor) and isinstance(y, nl.Tensor)
    assert isinstance(batches[0], list)  # as torch's default_collate makes of tuples
    assert x.dtype == np.float32 and y.dtype == np.uint8  # the stored dtypes, as in torch
    np.testing.assert_array_equal(x.numpy(), [[0, 1], [2, 3], [4, 5], [6, 7]])
    np.testing.assert_array_equal(y.numpy(), [0, 1, 2, 3])
    assert _order(batches) == list(range(10))


def test_same_seed_same_batches_and_each_epoch_a_new_permutation():
    data = _data(50)
    a = DataLoader(data, batch_size=8, shuffle=True, seed=123)
    b = DataLoader(data, batch_size=8, shuffle=True, seed=123)
    epochs_a = [_order(list(a)) for _ in range(3)]
    epochs_b = [_order(list(b)) for _ in range(3)]
    assert epochs_a == epochs_b
    for order in epochs_a:
        assert sorted(order) == list(range(50))
    assert epochs_a[0] != epochs_a[1] != epochs_a[2]
    assert _order(list(DataLoader(data, batch_size=8, shuffle=True, seed=124))) != epochs_a[0]
    # and the batch contents match the order (x row i belongs with label i % 4)
    for x, y in DataLoader(data, batch_size=8, shuffle=True, seed=5):
        np.testing.assert_array_equal(y.numpy(), (x.numpy()[:, 0] // 2) % 4)


def test_manual_seed_makes_unseeded_shuffling_reproducible():
    data = _data(30)
    nl.manual_seed(42)
    first = _order(list(DataLoader(data, batch_size=7, shuffle=True)))
    nl.manual_seed(42)
    second = _order(list(DataLoader(data, batch_size=7, shuffle=True)))
    assert first == second
    assert first != list(range(30))


def test_unshuffled_loader_leaves_the_global_generator_alone():
    nl.manual_seed(0)
    expected = nl.random.default_generator().integers(1000, size=3)
    nl.manual_seed(0)
    DataLoader(_data(), batch_size=2)
    np.testing.assert_array_equal(nl.random.default_generator().integers(1000, size=3), expected)


def test_iter_draws_the_epoch_permutation_immediately():
    loader = DataLoader(_data(20), batch_size=5, shuffle=True, seed=0)
    before = loader.state_dict()
    iter(loader)  # an epoch started (even if not consumed) advances the generator
    assert loader.state_dict() != before


def test_state_dict_round_trip_resumes_the_same_order():
    data = _data(40)
    loader = DataLoader(data, batch_size=6, shuffle=True, seed=9)
    _order(list(loader))  # epoch 1
    saved = json.loads(json.dumps(loader.state_dict()))  # as a checkpoint would store it
    epoch2, epoch3 = _order(list(loader)), _order(list(loader))
    resumed = DataLoader(data, batch_size=6, shuffle=True, seed=999)
    resumed.load_state_dict(saved)
    assert _order(list(resumed)) == epoch2
    assert _order(list(resumed)) == epoch3


def test_batches_are_per_batch_copies_and_no_epoch_copies_the_dataset():
    n = 20_000
    x = np.ones((n, 50), dtype=np.float32)  # 4 MB
    data = TensorDataset(x, np.zeros(n, dtype=np.int64))
    loader = DataLoader(data, batch_size=32, shuffle=True, seed=0)
    tracemalloc.start()
    try:
        for xb, _ in loader:
            assert not np.shares_memory(xb.numpy(), x)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # a permutation (160 kB) plus a few batches (6.4 kB each); a copy of x would be 4 MB
    assert peak < 1_000_000
    assert data.tensors[0] is x
    xb, _ = next(iter(DataLoader(data, batch_size=4)))
    xb.numpy()[:] = -1  # mutating a batch must not touch the data set
    assert x[:4].min() == 1.0


class Pairs(Dataset):
    def __getitem__(self, i):
        return np.full((2, 2), i, dtype=np.float64), i * 10, float(i) / 2

    def __len__(self):
        return 5


def test_generic_dataset_is_collated_with_stack():
    batches = list(DataLoader(Pairs(), batch_size=2))
    assert len(batches) == 3
    images, labels, halves = batches[1]
    assert images.shape == (2, 2, 2) and images.dtype == np.float64  # stored dtype kept
    np.testing.assert_array_equal(images.numpy()[:, 0, 0], [2, 3])
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(labels.numpy(), [20, 30])
    assert halves.dtype == np.float64  # Python floats: float64, as torch's default_collate
    np.testing.assert_array_equal(halves.numpy(), [1.0, 1.5])
    orders = [
        [int(v) for _, lab, _ in DataLoader(Pairs(), 2, shuffle=True, seed=s) for v in lab]
        for s in (1, 1)
    ]
    assert orders[0] == orders[1] and sorted(orders[0]) == [0, 10, 20, 30, 40]
