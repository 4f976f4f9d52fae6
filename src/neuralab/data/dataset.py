"""Datasets: indexable collections of examples, and seeded splits of them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..random import default_generator
from ..tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "collate", "random_split", "train_val_split"]


class Dataset(ABC):
    """An indexable collection of examples: ``dataset[i]`` and ``len(dataset)``."""

    @abstractmethod
    def __getitem__(self, index: int) -> Any: ...

    @abstractmethod
    def __len__(self) -> int: ...


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
            raise ValueError(
                f"TensorDataset: all arrays must have the same first dimension, got sizes {sizes}"
            )
        self.tensors: tuple[np.ndarray, ...] = arrays
        self.classes: list[str] | None = list(classes) if classes is not None else None

    def __getitem__(self, index: Any) -> tuple[np.ndarray, ...]:
        return tuple(array[index] for array in self.tensors)

    def __len__(self) -> int:
        return len(self.tensors[0])

    def __repr__(self) -> str:
        shapes = ", ".join(f"{a.dtype}{list(a.shape)}" for a in self.tensors)
        return f"TensorDataset({shapes})"


def _as_array(value: Any) -> np.ndarray:
    return np.asarray(value._data if isinstance(value, Tensor) else value)


def collate(items: Sequence[Any]) -> Any:
    """Stack examples into batch arrays: a tuple of arrays for tuple examples."""
    first = items[0]
    if isinstance(first, (tuple, list)):
        return tuple(
            np.stack([_as_array(item[i]) for item in items]) for i in range(len(first))
        )
    return np.stack([_as_array(item) for item in items])


def _to_tensor_dataset(dataset: Dataset) -> TensorDataset:
    if isinstance(dataset, TensorDataset):
        return dataset
    if len(dataset) == 0:
        raise ValueError("cannot split an empty dataset")
    columns = collate([dataset[i] for i in range(len(dataset))])
    columns = columns if isinstance(columns, tuple) else (columns,)
    return TensorDataset(*columns, classes=getattr(dataset, "classes", None))


def _subset(data: TensorDataset, indices: np.ndarray) -> TensorDataset:
    return TensorDataset(*(a[indices] for a in data.tensors), classes=data.classes)


def _generator(seed: int | None) -> np.random.Generator:
    if seed is None:
        return np.random.default_rng(default_generator().integers(2**63))
    return np.random.default_rng(seed)


def random_split(
    dataset: Dataset, lengths: Sequence[int | float], seed: int | None = None
) -> list[TensorDataset]:
    """Shuffle, then cut into parts of the given sizes (counts, or fractions summing to 1).

    ``seed=None`` draws from neuralab's default generator (see ``neuralab.manual_seed``).
    """
    data = _to_tensor_dataset(dataset)
    n = len(data)
    if all(isinstance(x, float) for x in lengths) and abs(sum(lengths) - 1) < 1e-6:
        if any(x < 0 for x in lengths):
            raise ValueError(f"random_split: fractions must be >= 0, got {list(lengths)}")
        counts = [int(np.floor(n * x)) for x in lengths]
        for i in range(n - sum(counts)):  # hand out the remainder round-robin, like torch
            counts[i % len(counts)] += 1
    else:
        counts = [int(x) for x in lengths]
        if any(c < 0 or c != x for c, x in zip(counts, lengths, strict=True)) or sum(counts) != n:
            raise ValueError(
                f"random_split: lengths {list(lengths)} must be non-negative counts summing to "
                f"the dataset size {n}, or fractions summing to 1"
            )
    order = _generator(seed).permutation(n)
    bounds = np.cumsum([0, *counts])
    return [_subset(data, order[lo:hi]) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]


def train_val_split(
    dataset: Dataset, val_fraction: float = 0.2, seed: int | None = None
) -> tuple[TensorDataset, TensorDataset]:
    """Split into (train, validation) with ``round(val_fraction * len)`` validation examples.

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
    train, val = random_split(dataset, [n - n_val, n_val], seed)
    return train, val
