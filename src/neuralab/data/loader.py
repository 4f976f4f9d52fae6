"""``DataLoader``: mini-batches of Tensors, shuffled by its own seeded generator."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..random import check_generator_state, default_generator
from ..tensor import Tensor, get_default_dtype
from .dataset import Dataset, TensorDataset, collate

__all__ = ["DataLoader"]


def _to_tensor(array: np.ndarray, from_python: bool = False) -> Tensor:
    if array.dtype.kind in "iu":
        array = array.astype(np.int64, copy=False)  # labels as int64, like torch
    elif from_python and array.dtype.kind == "f":
        array = array.astype(get_default_dtype(), copy=False)
    return Tensor(array)


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` examples.

    Each ``iter()`` is one epoch; with ``shuffle=True`` each epoch draws a new permutation
    from the loader's own ``np.random.Generator``: ``default_rng(seed)``, or, when ``seed``
    is None, one seeded at construction from neuralab's default generator (so
    ``neuralab.manual_seed`` makes shuffling reproducible). Batches are tuples of Tensors:
    floating data keeps its stored dtype, integer data (labels) becomes int64.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
    ) -> None:
        if int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        if seed is None and shuffle:
            seed = int(default_generator().integers(2**63))
        # An unshuffled loader never draws, so it leaves the global generator untouched.
        self.generator = np.random.default_rng(seed if seed is not None else 0)

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        # The permutation is drawn here, not lazily, so iter() alone advances the epoch.
        n = len(self.dataset)
        order = self.generator.permutation(n) if self.shuffle else None
        return self._batches(n, order)

    def _batches(self, n: int, order: np.ndarray | None) -> Iterator[Any]:
        stop = len(self) * self.batch_size
        for start in range(0, min(stop, n), self.batch_size):
            end = min(start + self.batch_size, n)
            if order is None:
                indices: Any = slice(start, end)
            else:
                indices = order[start:end]
            yield self._fetch(indices)

    def _fetch(self, indices: Any) -> Any:
        if isinstance(self.dataset, TensorDataset):
            # Fast path: one fancy-index (or slice) copy per array per batch.
            if isinstance(indices, slice):
                return tuple(_to_tensor(a[indices].copy()) for a in self.dataset.tensors)
            return tuple(_to_tensor(a[indices]) for a in self.dataset.tensors)
        if isinstance(indices, slice):
            indices = range(indices.start, indices.stop)
        items = [self.dataset[int(i)] for i in indices]
        first, batch = items[0], collate(items)
        if isinstance(batch, tuple):
            return tuple(_to_tensor(b, _is_python(f)) for b, f in zip(batch, first, strict=True))
        return _to_tensor(batch, _is_python(first))

    def state_dict(self) -> dict:
        """The shuffling generator's state (JSON-serialisable); restore with load_state_dict.

        Taken between epochs, it makes the next ``iter()`` give the same order as it would
        have in the original run.
        """
        return {"generator": copy.deepcopy(self.generator.bit_generator.state)}

    def check_state_dict(self, state: Any,
                         what: str = "DataLoader.load_state_dict: the generator state") -> None:
        """Raise ValueError (naming ``what``) unless ``state`` is one ``state_dict()`` gives."""
        if not isinstance(state, dict) or set(state) != {"generator"}:
            raise ValueError(f"{what}: expected {{'generator': ...}} as returned by "
                             f"state_dict(), got {state!r:.80}")
        check_generator_state(state["generator"], self.generator, what)

    def load_state_dict(self, state: dict) -> None:
        """Restore a ``state_dict()``; a bad state raises ValueError and changes nothing."""
        self.check_state_dict(state)
        self.generator.bit_generator.state = copy.deepcopy(state["generator"])

    def __repr__(self) -> str:
        return (
            f"DataLoader(batch_size={self.batch_size}, shuffle={self.shuffle}, "
            f"drop_last={self.drop_last}, batches={len(self)})"
        )


def _is_python(value: Any) -> bool:
    """Python numbers get neuralab's default float dtype, as ``Tensor(3.0)`` would."""
    return not isinstance(value, (np.ndarray, np.generic, Tensor))
