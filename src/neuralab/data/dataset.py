"""Datasets (PyTorch's ``torch.utils.data`` classes) and seeded splits of them.

``Dataset`` (indexable), ``IterableDataset`` (a stream), ``Subset``, ``ConcatDataset``,
``ChainDataset`` and ``random_split`` behave as in PyTorch. ``TensorDataset`` here stores NumPy
arrays (``dataset.tensors`` are arrays, ``dataset[i]`` a tuple of array rows) and can name its
classes; ``neuralab.utils.data.TensorDataset`` is the Tensor version PyTorch code expects.
"""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from ..random import default_generator
from ..tensor import Tensor

__all__ = ["ChainDataset", "ConcatDataset", "Dataset", "IterableDataset", "Subset",
           "TensorDataset", "collate", "random_split", "train_val_split"]


class Dataset:
    """An indexable collection of examples: subclasses define ``__getitem__`` (and usually
    ``__len__``, which ``DataLoader`` needs). ``a + b`` concatenates two datasets."""

    def __getitem__(self, index: Any) -> Any:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset, Iterable):
    """A stream of examples: subclasses define ``__iter__`` (abstract, as in PyTorch).
    ``a + b`` chains two streams."""

    def __add__(self, other: Dataset) -> ChainDataset:  # type: ignore[override]
        return ChainDataset([self, other])


class SizeMismatchError(ValueError, AssertionError):
    """Tensors of different lengths for one dataset (PyTorch raises AssertionError)."""


class TensorDataset(Dataset):
    """Arrays (or Tensors) that share their first dimension; ``dataset[i]`` is a tuple.

    The data is stored as NumPy arrays in ``.tensors`` (Tensors are unwrapped, not copied).
    ``classes`` optionally names the label values.
    """

    def __init__(self, *tensors: Any, classes: Sequence[str] | None = None) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one array")
        arrays = tuple(np.asarray(t._data if isinstance(t, Tensor) else t) for t in tensors)
        for i, array in enumerate(arrays):
            if array.ndim == 0:
                raise ValueError(f"TensorDataset: array {i} is a scalar, it has no first dimension")
        sizes = [len(a) for a in arrays]
        if len(set(sizes)) != 1:
            raise SizeMismatchError(f"Size mismatch between tensors: TensorDataset: all arrays "
                                    f"must have the same first dimension, got sizes {sizes}")
        self.tensors: tuple[Any, ...] = arrays
        self.classes: list[str] | None = list(classes) if classes is not None else None

    def _columns(self) -> tuple[np.ndarray, ...]:
        """The stored arrays, for the DataLoader's one-copy-per-batch fast path."""
        return self.tensors

    def __getitem__(self, index: Any) -> tuple[Any, ...]:
        return tuple(array[index] for array in self.tensors)

    def __len__(self) -> int:
        return len(self.tensors[0])

    def __repr__(self) -> str:
        shapes = ", ".join(f"{a.dtype}{list(a.shape)}" for a in self._columns())
        return f"{type(self).__name__}({shapes})"


class Subset(Dataset):
    """The examples of ``dataset`` at ``indices``: ``subset[i]`` is ``dataset[indices[i]]``."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset, self.indices = dataset, indices

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list[int]) -> list[Any]:
        """A batch of examples (the DataLoader asks for a list of indices at once)."""
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Datasets one after another: index ``i`` is looked up in the dataset that holds it."""

    @staticmethod
    def cumsum(sequence: Iterable[Any]) -> list[int]:
        sizes, total = [], 0
        for dataset in sequence:
            total += len(dataset)
            sizes.append(total)
        return sizes

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        for dataset in self.datasets:
            if isinstance(dataset, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> Any:
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][idx - start]


class ChainDataset(IterableDataset):
    """Iterable datasets one after another."""

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator[Any]:
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from dataset

    def __len__(self) -> int:
        total = 0
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            total += len(dataset)
        return total


def _as_array(value: Any) -> np.ndarray:
    return np.asarray(value._data if isinstance(value, Tensor) else value)


def collate(items: Sequence[Any]) -> Any:
    """Stack examples into batch arrays: a tuple of arrays for tuple examples (NumPy; the
    DataLoader uses ``default_collate``, which makes Tensors as PyTorch does)."""
    first = items[0]
    if isinstance(first, (tuple, list)):
        return tuple(
            np.stack([_as_array(item[i]) for item in items]) for i in range(len(first))
        )
    return np.stack([_as_array(item) for item in items])


def _to_tensor_dataset(dataset: Any) -> TensorDataset:
    """``dataset`` as a TensorDataset of arrays (its examples collated, its classes kept)."""
    if isinstance(dataset, TensorDataset):
        return TensorDataset(*dataset._columns(), classes=dataset.classes)
    if len(dataset) == 0:
        raise ValueError("cannot split an empty dataset")
    columns = collate([dataset[i] for i in range(len(dataset))])
    columns = columns if isinstance(columns, tuple) else (columns,)
    return TensorDataset(*columns, classes=getattr(dataset, "classes", None))


def _seeded(seed: int | None) -> np.random.Generator:
    """A fresh generator: from ``seed``, or seeded by a draw from neuralab's default one."""
    if seed is None:
        return np.random.default_rng(default_generator().integers(2**63))
    return np.random.default_rng(seed)


def _split_lengths(n: int, lengths: Sequence[Any]) -> list[int]:
    """PyTorch's rule: fractions summing to 1 become floor(n·f) each, the remainder handed
    out one at a time from the first split on; otherwise counts summing to ``n``."""
    lengths = list(lengths)
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        counts = []
        for i, fraction in enumerate(lengths):
            if fraction < 0 or fraction > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            counts.append(math.floor(n * fraction))
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an "
                              f"empty dataset.", UserWarning, stacklevel=3)
        return counts
    if total != n:
        raise ValueError(f"Sum of input lengths does not equal the length of the input "
                         f"dataset! (lengths {lengths} sum to {total}, the dataset has {n} "
                         f"examples; fractions must sum to 1)")
    if any(isinstance(x, bool) or int(x) != x or x < 0 for x in lengths):
        raise ValueError(f"random_split: lengths {lengths} must be non-negative counts "
                         f"summing to the dataset size {n}, or fractions summing to 1")
    return [int(x) for x in lengths]


def random_split(dataset: Any, lengths: Sequence[int | float],
                 generator: np.random.Generator | None = None, *,
                 seed: int | None = None) -> list[Subset]:
    """Shuffle the indices, then cut them into ``Subset``s of the given sizes (counts, or
    fractions summing to 1, as PyTorch computes them).

    The permutation comes from ``generator`` (a ``numpy.random.Generator``) if given, else
    from a generator seeded by ``seed``, else from one seeded by a draw from neuralab's
    default generator (so ``neuralab.manual_seed`` makes the split reproducible).
    """
    if generator is not None and seed is not None:
        raise ValueError("random_split: give generator= or seed=, not both")
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"random_split: generator must be a numpy.random.Generator, got "
                        f"{type(generator).__name__}")
    counts = _split_lengths(len(dataset), lengths)
    rng = generator if generator is not None else _seeded(seed)
    order = rng.permutation(sum(counts)).tolist()
    bounds = np.cumsum([0, *counts]).tolist()
    return [Subset(dataset, order[lo:hi]) for lo, hi in zip(bounds[:-1], bounds[1:],
                                                            strict=True)]


def train_val_split(
    dataset: Any, val_fraction: float = 0.2, seed: int | None = None
) -> tuple[TensorDataset, TensorDataset]:
    """Split into (train, validation) TensorDatasets of arrays (keeping ``classes``) with
    ``round(val_fraction * len)`` validation examples.

    Refuses a split that would leave either part empty (an empty validation set has no loss).
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"train_val_split: val_fraction must be in (0, 1), got {val_fraction}")
    n = len(dataset)
    if n < 2:
        raise ValueError(f"train_val_split: {n} example(s) cannot be split into training and "
                         "validation; need at least 2")
    n_val = int(round(n * val_fraction))
    if not 0 < n_val < n:
        raise ValueError(f"train_val_split: val_fraction {val_fraction} of {n} examples leaves "
                         f"{n - n_val} for training and {n_val} for validation; each needs at "
                         "least one")
    data = _to_tensor_dataset(dataset)
    train, val = random_split(data, [n - n_val, n_val], seed=seed)
    return _materialise(train), _materialise(val)


def _materialise(subset: Subset) -> TensorDataset:
    data = subset.dataset
    indices = np.asarray(subset.indices, dtype=np.intp)
    return TensorDataset(*(a[indices] for a in data._columns()), classes=data.classes)
