"""``DistributedSampler``: each rank's shard of one epoch's order (PyTorch's rules).

One order for the whole job, the same on every rank: ``0 … n−1``, or with ``shuffle`` a
permutation drawn from ``numpy.random.default_rng(seed + epoch)``. It is made a multiple of the
number of ranks R — padded by repeating its first indices (as often as needed), or with
``drop_last`` cut to the largest multiple — and rank r takes every R-th index from r on:
``order[r::R]``. Every rank then has the same number of examples, hence the same number of
batches, so no rank waits in an Allreduce for a batch another never takes.

The index sets are PyTorch's exactly without shuffling; shuffled, the permutation comes from
NumPy's generator rather than torch's, so the order differs from PyTorch's for the same seed
(the padding and sharding rules are the same).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..data.loader import Sampler
from . import core


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"DistributedSampler: {name} must be an integer >= {minimum}, "
                         f"got {value!r}")
    return int(value)


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"DistributedSampler: {name} must be True or False, got {value!r}")
    return bool(value)


class DistributedSampler(Sampler):
    """Rank ``rank``'s indices of ``dataset`` among ``num_replicas`` ranks (default: this
    process's rank and the job's size), with PyTorch's signature and padding rules.

    ``len()`` is n_r = ⌈n / R⌉, or with ``drop_last`` (when R does not divide n)
    ⌈(n − R) / R⌉ = ⌊n / R⌋. Call ``set_epoch(epoch)`` before each epoch for a new order.
    """

    def __init__(self, dataset: Any, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        num_replicas = core.world_size() if num_replicas is None else num_replicas
        num_replicas = _check_int("num_replicas", num_replicas, 1)
        rank = core.rank() if rank is None else rank
        if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) \
                or not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank!r}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        try:
            n = len(dataset)
        except TypeError:
            raise TypeError(f"DistributedSampler: dataset must have a len(), got "
                            f"{type(dataset).__name__}") from None
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, int(rank)
        self.shuffle = _check_bool("shuffle", shuffle)
        self.drop_last = _check_bool("drop_last", drop_last)
        self.seed = _check_int("seed", seed, 0)
        self.epoch = 0
        if self.drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def set_epoch(self, epoch: int) -> None:
        """Use the order of ``epoch`` (drawn from seed + epoch) from the next ``iter()`` on."""
        self.epoch = _check_int("epoch", epoch, 0)

    def order(self) -> np.ndarray:
        """The whole job's order for this epoch, padded or cut to ``total_size``."""
        n = len(self.dataset)
        if self.shuffle:
            indices = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            indices = np.arange(n)
        if self.drop_last:
            return indices[:self.total_size]
        padding = self.total_size - n
        if padding and n:
            indices = np.concatenate([indices, np.resize(indices, padding)])
        return indices

    def __iter__(self) -> Iterator[int]:
        return iter(self.order()[self.rank:self.total_size:self.num_replicas].tolist())

    def __len__(self) -> int:
        return self.num_samples
