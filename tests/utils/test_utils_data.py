"""``neuralab.utils.data`` side by side with ``torch.utils.data``: the same pipeline code runs
on both and must give the same batches (values, dtypes, containers), sizes and errors."""

from __future__ import annotations

import collections
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import neuralab as nl
import neuralab.utils.data as ndata
from neuralab.random import Generator
from neuralab.utils.data import (  # the import PyTorch users write, with neuralab
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)

RNG = np.random.default_rng(0)
X32 = RNG.standard_normal((10, 3)).astype(np.float32)
X64 = RNG.standard_normal((10, 2, 2))
LABELS = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3])  # int64
SMALL = np.arange(10, dtype=np.uint8)
MASK = LABELS > 3
INT32 = np.arange(10, dtype=np.int32) * 7

Point = collections.namedtuple("Point", "x y")


def both(fn):
    """``fn(lib, data)`` with (torch, torch.utils.data) and (neuralab, neuralab.utils.data)."""
    return fn(torch, tdata), fn(nl, ndata)


def plain(value):
    """A result as plain Python/NumPy: tensors become (dtype name, shape, values), containers
    keep their type's name, so that torch's and neuralab's results compare with ==."""
    if isinstance(value, (torch.Tensor, nl.Tensor)):
        array = value.detach().numpy()
        return ("tensor", str(value.dtype).split(".")[-1], array.shape, array.tolist())
    if isinstance(value, dict):
        return ("dict", {k: plain(v) for k, v in value.items()})
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return (type(value).__name__, [plain(v) for v in value])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [plain(v) for v in value])
    return value


def assert_same(fn):
    theirs, ours = both(fn)
    assert plain(ours) == plain(theirs)
    return ours


def error_of(call):
    try:
        call()
    except Exception as error:  # noqa: BLE001 - compared by the caller
        return type(error), str(error)
    return None


def assert_same_error(fn, message=True):
    """neuralab raises an instance of torch's exception type (and the same message)."""
    theirs = error_of(lambda: fn(torch, tdata))
    ours = error_of(lambda: fn(nl, ndata))
    assert theirs is not None and ours is not None, (theirs, ours)
    assert issubclass(ours[0], theirs[0]), (theirs, ours)
    if message:
        assert ours[1] == theirs[1], (theirs, ours)


def tensor_dataset(lib, data):
    return data.TensorDataset(lib.tensor(X32), lib.tensor(X64), lib.tensor(LABELS),
                              lib.tensor(SMALL), lib.tensor(MASK), lib.tensor(INT32))


# ----------------------------------------------------------------------------- imports
def test_the_pytorch_import_line_works_and_names_match():
    assert Dataset is ndata.Dataset and DataLoader is ndata.DataLoader
    for name in ("Dataset", "TensorDataset", "DataLoader", "random_split", "Subset",
                 "ConcatDataset", "IterableDataset", "ChainDataset", "default_collate",
                 "default_convert", "get_worker_info", "Sampler", "SequentialSampler",
                 "RandomSampler", "SubsetRandomSampler", "BatchSampler"):
        assert hasattr(tdata, name) and hasattr(ndata, name), name
    assert ndata.get_worker_info() is tdata.get_worker_info() is None


# ----------------------------------------------------------------------------- TensorDataset
def test_tensor_dataset_items_are_tuples_of_tensor_rows():
    def run(lib, data):
        ds = tensor_dataset(lib, data)
        return {"len": len(ds), "item": ds[2], "negative": ds[-1], "slice": ds[1:3],
                "is_tuple": isinstance(ds[0], tuple), "n": len(ds.tensors),
                "is_dataset": isinstance(ds, data.Dataset)}

    assert_same(run)


def test_tensor_dataset_keeps_the_given_tensors():
    x = nl.tensor(X32)
    ds = TensorDataset(x, nl.tensor(LABELS))
    assert ds.tensors[0] is x  # not copied, as in torch
    assert np.shares_memory(ds[0][0].numpy(), x.numpy())  # rows are views


def test_tensor_dataset_errors_are_torchs_types():
    assert_same_error(lambda lib, data: data.TensorDataset(lib.zeros(3), lib.zeros(4)),
                      message=False)  # AssertionError in torch
    assert_same_error(lambda lib, data: data.TensorDataset(np.zeros(3)), message=False)
    with pytest.raises(ValueError, match=r"sizes \[3, 4\]"):  # and a clear message
        TensorDataset(nl.zeros(3), nl.zeros(4))


# ----------------------------------------------------------------------------- DataLoader
@pytest.mark.parametrize("kwargs", [
    {}, {"batch_size": 4}, {"batch_size": 4, "drop_last": True}, {"batch_size": 3},
    {"batch_size": 10}, {"batch_size": 11}, {"batch_size": 11, "drop_last": True},
    {"batch_size": None}, {"batch_size": 4, "shuffle": False},
])
def test_batches_in_order_with_torchs_dtypes_and_containers(kwargs):
    def run(lib, data):
        loader = data.DataLoader(tensor_dataset(lib, data), **kwargs)
        return {"batches": list(loader), "len": len(loader), "again": list(loader)[-1:],
                "batch_size": loader.batch_size, "drop_last": loader.drop_last,
                "dataset_len": len(loader.dataset)}

    ours = assert_same(run)
    if kwargs.get("batch_size", 1) is not None and ours["batches"]:  # dtypes kept, as torch
        assert [str(t.dtype) for t in ours["batches"][0][3:]] == ["uint8", "bool", "int32"]


def test_subset_of_a_tensor_dataset_loads_the_same_as_torch():
    def run(lib, data):
        sub = data.Subset(tensor_dataset(lib, data), [7, 0, 3, 3, 9])
        return (list(data.DataLoader(sub, batch_size=2)), sub[1], sub[[0, 2]],
                sub.__getitems__([0, 2]), len(sub))

    assert_same(run)


def test_a_tensor_that_requires_grad_is_stacked_in_the_graph():
    def run(lib, data):
        x = lib.tensor(X32[:4], requires_grad=True)
        xb, yb = next(iter(data.DataLoader(data.TensorDataset(x, lib.tensor(LABELS[:4])),
                                           batch_size=3)))
        xb.sum().backward()
        return xb.requires_grad, xb.grad_fn.name(), x.grad

    assert_same(run)


def test_shuffling_permutes_each_epoch_and_is_seeded():
    ds = tensor_dataset(nl, ndata)

    def epoch(loader):
        return [int(v) for _, _, y, *_ in loader for v in y]

    a = DataLoader(ds, batch_size=3, shuffle=True, generator=Generator().manual_seed(1))
    b = DataLoader(ds, batch_size=3, shuffle=True, generator=Generator().manual_seed(1))
    first, second = epoch(a), epoch(a)
    assert first == epoch(b) and second == epoch(b)
    assert sorted(first) == sorted(second) == sorted(LABELS.tolist()) and first != second
    nl.manual_seed(3)
    c = epoch(DataLoader(ds, batch_size=4, shuffle=True))
    nl.manual_seed(3)
    assert epoch(DataLoader(ds, batch_size=4, shuffle=True)) == c
    # rows stay together: the x of each shuffled row is the x of its label's row
    for xb, _, _, small, *_ in DataLoader(ds, batch_size=4, shuffle=True):
        np.testing.assert_array_equal(xb.numpy(), X32[small.numpy()])


def test_shuffled_loaders_have_torchs_sizes():
    def run(lib, data):
        loader = data.DataLoader(tensor_dataset(lib, data), batch_size=4, shuffle=True,
                                 drop_last=True)
        return [len(x) for x, *_ in loader], len(loader)

    assert_same(run)


def test_sampler_and_batch_sampler_arguments():
    def run(lib, data):
        ds = tensor_dataset(lib, data)
        out = {}
        out["list_sampler"] = [y for _, _, y, *_ in data.DataLoader(ds, batch_size=2,
                                                                  sampler=[9, 0, 4, 4, 1])]
        out["sequential"] = [y for _, _, y, *_ in data.DataLoader(
            ds, batch_size=3, sampler=data.SequentialSampler(ds))]
        out["batch_sampler"] = [y for _, _, y, *_ in data.DataLoader(
            ds, batch_sampler=[[0, 1], [5, 2, 2]])]
        out["BatchSampler"] = [y for _, _, y, *_ in data.DataLoader(
            ds, batch_sampler=data.BatchSampler(range(5), 2, drop_last=True))]
        out["unbatched_sampler"] = list(data.DataLoader(ds, batch_size=None, sampler=[3]))
        out["lens"] = [len(data.DataLoader(ds, batch_size=2, sampler=[9, 0, 4])),
                       len(data.BatchSampler(range(7), 3, False)),
                       len(data.BatchSampler(range(7), 3, True))]
        out["sampler_type"] = type(data.DataLoader(ds).sampler).__name__
        out["batch_sampler_type"] = type(data.DataLoader(ds).batch_sampler).__name__
        out["shuffled_sampler"] = type(data.DataLoader(ds, shuffle=True).sampler).__name__
        return out

    assert_same(run)


def test_random_samplers_cover_their_indices():
    ds = tensor_dataset(nl, ndata)
    order = list(ndata.RandomSampler(ds, generator=Generator().manual_seed(0)))
    assert sorted(order) == list(range(10))
    assert len(list(ndata.RandomSampler(ds, num_samples=25))) == 25
    assert sorted(set(ndata.RandomSampler(ds, num_samples=25))) == list(range(10))
    assert all(0 <= i < 10 for i in ndata.RandomSampler(ds, replacement=True, num_samples=40))
    picked = list(ndata.SubsetRandomSampler([2, 4, 6]))
    assert sorted(picked) == [2, 4, 6]
    loader = DataLoader(ds, batch_size=2, sampler=ndata.SubsetRandomSampler([1, 3, 5]))
    assert sorted(int(v) for _, _, y, *_ in loader for v in y) == sorted(LABELS[[1, 3, 5]])


@pytest.mark.parametrize("make", [
    lambda lib, data, ds: data.DataLoader(ds, num_workers=-1),
    lambda lib, data, ds: data.DataLoader(ds, timeout=-1),
    lambda lib, data, ds: data.DataLoader(ds, prefetch_factor=2),
    lambda lib, data, ds: data.DataLoader(ds, persistent_workers=True),
    lambda lib, data, ds: data.DataLoader(ds, sampler=[0, 1], shuffle=True),
    lambda lib, data, ds: data.DataLoader(ds, batch_sampler=[[0]], batch_size=2),
    lambda lib, data, ds: data.DataLoader(ds, batch_sampler=[[0]], drop_last=True),
    lambda lib, data, ds: data.DataLoader(ds, batch_size=None, drop_last=True),
    lambda lib, data, ds: data.DataLoader(ds, batch_size=0),
    lambda lib, data, ds: data.DataLoader(ds, batch_size=-3),
    lambda lib, data, ds: data.DataLoader(ds, multiprocessing_context="spawn"),
    lambda lib, data, ds: data.BatchSampler(range(3), 2, drop_last="no"),
    lambda lib, data, ds: data.RandomSampler(ds, replacement=1),
    lambda lib, data, ds: data.RandomSampler(ds, num_samples=0),
], ids=["workers", "timeout", "prefetch", "persistent", "sampler-shuffle",
        "batch_sampler-size", "batch_sampler-drop", "none-drop", "zero", "negative",
        "context", "drop-not-bool", "replacement", "num_samples"])
def test_invalid_loader_arguments_raise_torchs_errors(make):
    assert_same_error(lambda lib, data: make(lib, data, tensor_dataset(lib, data)))


def test_worker_processes_are_refused_where_they_would_matter():
    ds = tensor_dataset(nl, ndata)
    # Loading in this process gives the same batches, so num_workers alone is accepted.
    np.testing.assert_array_equal(next(iter(DataLoader(ds, batch_size=4, num_workers=2)))[2],
                                  LABELS[:4])
    with pytest.raises(NotImplementedError, match="worker_init_fn"):
        DataLoader(ds, num_workers=2, worker_init_fn=print)
    with pytest.raises(NotImplementedError, match="multiprocessing_context"):
        DataLoader(ds, num_workers=2, multiprocessing_context="spawn")
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        DataLoader(ds, shuffle=True, generator=torch.Generator())


def test_pin_memory_warns_like_torch_without_an_accelerator():
    def run(lib, data):
        loader = data.DataLoader(tensor_dataset(lib, data), pin_memory=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            next(iter(loader))
        return [(w.category.__name__, str(w.message)) for w in caught]

    theirs, ours = both(run)
    assert ours == theirs and len(ours) == 1


# ----------------------------------------------------------------------------- collation
class Rows(Dataset):
    """A user Dataset whose items mix tensors, Python numbers, NumPy values and strings."""

    def __init__(self, lib, kind):
        self.lib, self.kind = lib, kind

    def __len__(self):
        return 5

    def __getitem__(self, i):
        lib = self.lib
        return {
            "tuple": (lib.tensor(X32[i]), int(LABELS[i]), float(i) / 2, X64[i], bool(i % 2),
                      np.float32(i), SMALL[i], f"name{i}", b"raw"),
            "list": [lib.tensor(X32[i]), i, 0.5 * i],
            "dict": {"image": lib.full((2,), float(i)), "landmarks": i, "tag": "x"},
            "named": Point(lib.tensor([i, i]), 1.5),
            "nested": (i, {"a": [i, (float(i), np.int32(i))]}),
            "int": i,
            "float": 0.25 * i,
            "bool": i % 2 == 0,
            "mixed_int_first": [1, 2.5, 3, 4.5, 5][i],
            "mixed_float_first": [1.5, 2, 3, 4, 5][i],
            "numpy_scalar": np.int32(i),
            "numpy_bool": np.bool_(i % 2),
            "numpy_f16": np.float16(i) / 4,
            "array_0d": np.array(float(i)),
            "tensor_0d": lib.tensor(float(i)),
            "str": str(i),
        }[self.kind]


KINDS = ["tuple", "list", "dict", "named", "nested", "int", "float", "bool",
         "mixed_int_first", "mixed_float_first", "numpy_scalar", "numpy_bool", "numpy_f16",
         "array_0d", "tensor_0d", "str"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_user_dataset_is_collated_like_torchs_default_collate(kind):
    def run(lib, data):
        class Custom(data.Dataset):  # a subclass of the library's Dataset, as users write
            def __init__(self):
                self.rows = Rows(lib, kind)

            def __len__(self):
                return len(self.rows)

            def __getitem__(self, i):
                return self.rows[i]

        return list(data.DataLoader(Custom(), batch_size=2))

    assert_same(run)


@pytest.mark.parametrize("kind", KINDS)
def test_default_collate_and_default_convert_directly(kind):
    def run(lib, data):
        items = [Rows(lib, kind)[i] for i in range(3)]
        return data.default_collate(items), data.default_convert(items[1])

    assert_same(run)


@pytest.mark.parametrize("batch", [
    lambda lib: [None, None],
    lambda lib: [object()],
    lambda lib: [np.array(["a", "b"])],
    lambda lib: [np.array([object()])],
    lambda lib: [(1, 2), (1,)],
    lambda lib: [[1.0], [2.0, 3.0]],
], ids=["none", "object", "str-array", "object-array", "uneven-tuples", "uneven-lists"])
def test_default_collate_errors_are_torchs(batch):
    assert_same_error(lambda lib, data: data.default_collate(batch(lib)))


def test_no_batching_converts_each_item():
    def run(lib, data):
        class Items(data.Dataset):
            def __len__(self):
                return 3

            def __getitem__(self, i):
                return (np.arange(2) + i, i, "s", np.array(["keep"]))

        return list(data.DataLoader(Items(), batch_size=None))

    assert_same(run)


def test_a_custom_collate_fn_gets_the_list_of_items():
    def run(lib, data):
        def collate(items):
            return len(items), items[0][2]

        return list(data.DataLoader(tensor_dataset(lib, data), batch_size=4, collate_fn=collate))

    assert_same(run)


def test_a_plain_list_is_a_dataset_too():
    assert_same(lambda lib, data: (list(data.DataLoader([1, 2, 3], batch_size=2)),
                                   list(data.DataLoader([(1, "a"), (2, "b")], batch_size=2))))


# ----------------------------------------------------------------------------- IterableDataset
def stream(lib, data, n=7):
    class Stream(data.IterableDataset):
        def __iter__(self):
            return iter((lib.tensor([float(i)]), i) for i in range(n))

        def __len__(self):
            return n

    return Stream()


@pytest.mark.parametrize("kwargs", [{"batch_size": 3}, {"batch_size": 3, "drop_last": True},
                                    {"batch_size": None}, {}])
def test_iterable_datasets_are_batched_in_order(kwargs):
    def run(lib, data):
        loader = data.DataLoader(stream(lib, data), **kwargs)
        return list(loader), len(loader)

    assert_same(run)


def test_iterable_dataset_errors_and_chaining():
    assert_same_error(lambda lib, data: data.DataLoader(stream(lib, data), shuffle=True))
    assert_same_error(lambda lib, data: data.DataLoader(stream(lib, data), sampler=[0]),
                      message=False)
    assert_same_error(lambda lib, data: data.ConcatDataset([stream(lib, data)]))
    assert_same(lambda lib, data: (list(stream(lib, data, 2) + stream(lib, data, 3)),
                                   len(stream(lib, data, 2) + stream(lib, data, 3))))


# ----------------------------------------------------------------------------- splits, subsets
@pytest.mark.parametrize(("n", "lengths"), [
    (10, [8, 2]), (10, [0.7, 0.3]), (10, [0.5, 0.25, 0.25]), (7, [0.3, 0.3, 0.4]),
    (11, [0.1, 0.1, 0.8]), (3, [0.5, 0.5]), (2, [0.2, 0.8]), (5, [1.0]), (1, [1]),
    (4, [0.0, 1.0]), (10, [1 / 3, 1 / 3, 1 / 3]), (0, [0, 0]),
])
def test_random_split_sizes_are_torchs(n, lengths):
    def run(lib, data):
        ds = data.TensorDataset(lib.arange(n))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            parts = data.random_split(ds, lengths)
        covered = sorted(i for p in parts for i in p.indices)
        return ([len(p) for p in parts], covered == list(range(n)),
                [type(p).__name__ for p in parts], all(p.dataset is ds for p in parts),
                [str(w.message) for w in caught], type(parts[0].indices).__name__)

    assert_same(run)


@pytest.mark.parametrize("lengths", [[5, 3], [0.5, 0.6], [1.5, -0.5], [0.3, 0.3]])
def test_random_split_errors_are_torchs(lengths):
    assert_same_error(lambda lib, data: data.random_split(data.TensorDataset(lib.arange(10)),
                                                          lengths), message=False)
    theirs = error_of(lambda: tdata.random_split(tdata.TensorDataset(torch.arange(10)), lengths))
    ours = error_of(lambda: random_split(TensorDataset(nl.arange(10)), lengths))
    assert ours[1].startswith(theirs[1])  # torch's message, then the numbers


def test_random_split_is_reproducible_with_a_generator_or_manual_seed():
    ds = TensorDataset(nl.arange(20))
    a = random_split(ds, [0.75, 0.25], generator=Generator().manual_seed(42))
    b = random_split(ds, [0.75, 0.25], generator=Generator().manual_seed(42))
    assert [p.indices for p in a] == [p.indices for p in b]
    nl.manual_seed(5)
    c = random_split(ds, [15, 5])
    nl.manual_seed(5)
    assert [p.indices for p in random_split(ds, [15, 5])] == [p.indices for p in c]
    train, _ = a
    assert [int(train[i][0]) for i in range(3)] == train.indices[:3]


def test_subset_indexing():
    def run(lib, data):
        ds = tensor_dataset(lib, data)
        sub = data.Subset(ds, [4, 0, 8])
        subsub = data.Subset(sub, [2, 0])
        return {"len": len(sub), "item": sub[1], "neg": sub[-1], "nested": subsub[0],
                "getitems": sub.__getitems__([0, 2]), "nested_items": subsub.__getitems__([1]),
                "indices": sub.indices, "loader": list(data.DataLoader(subsub, batch_size=2))}

    assert_same(run)


def test_concat_dataset():
    def run(lib, data):
        a = data.TensorDataset(lib.arange(3), lib.arange(3) * 10)
        b = data.TensorDataset(lib.arange(4) + 100, lib.arange(4) * 0)
        both_ = data.ConcatDataset([a, b])
        added = a + b
        return {"len": len(both_), "sizes": both_.cumulative_sizes, "items":
                [both_[i] for i in (0, 2, 3, 6, -1, -7)], "added": type(added).__name__,
                "added_len": len(added), "loader": list(data.DataLoader(both_, batch_size=3)),
                "errors": [error_of(lambda: both_[-8])[0].__name__,
                           error_of(lambda: data.ConcatDataset([]))[0].__name__]}

    assert_same(run)


def test_base_dataset_is_torchs():
    assert_same_error(lambda lib, data: data.Dataset()[0])
    assert_same_error(lambda lib, data: next(iter(data.IterableDataset())), message=False)
    assert issubclass(IterableDataset, Dataset) and issubclass(Subset, Dataset)
    assert issubclass(ConcatDataset, Dataset)
