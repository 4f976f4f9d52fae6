"""``DataLoader`` (PyTorch's): mini-batches collated into Tensors, samplers, ``default_collate``.

Batches are what PyTorch's ``DataLoader`` gives: ``default_collate`` stacks Tensors and NumPy
arrays (keeping their dtypes), makes Python floats float64, ints int64 and bools bool, keeps
strings as lists, and collates tuples into *lists*, dicts into dicts. Shuffling draws from the
loader's own seeded ``numpy.random.Generator`` (``generator=``, or ``seed=``, or one seeded at
construction from neuralab's default generator), whose state ``state_dict()`` saves so that a
resumed run sees the same epochs.
"""

from __future__ import annotations

import collections.abc
import copy
import math
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from ..random import check_generator_state, default_generator
from ..tensor import Tensor, tensor
from .dataset import IterableDataset, Subset

__all__ = ["BatchSampler", "DataLoader", "RandomSampler", "Sampler", "SequentialSampler",
           "SubsetRandomSampler", "default_collate", "default_convert", "get_worker_info"]

# default_collate refuses arrays of strings and objects (PyTorch's pattern on dtype.str).
_STR_OBJ_ARRAY = re.compile(r"[SaUO]")
_COLLATE_ERROR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                  "or lists; found {}")


def _stack(tensors: Sequence[Tensor]) -> Tensor:
    from ..ops.shape import stack

    return stack(list(tensors), 0)


def default_collate(batch: Sequence[Any]) -> Any:
    """Merge a list of examples into a batch, exactly as PyTorch's ``default_collate``.

    Tensors are stacked (a new leading batch dimension); NumPy arrays and NumPy scalars become
    Tensors of their own dtype; Python floats a float64 Tensor, ints an int64 one (bools
    bool); strings and bytes stay a list; mappings, named tuples and sequences are collated
    field by field (a tuple example gives a *list* of batches, as in PyTorch).
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack(batch)
    if isinstance(elem, np.ndarray):
        if _STR_OBJ_ARRAY.search(elem.dtype.str) is not None:
            raise TypeError(_COLLATE_ERROR.format(elem.dtype))
        return default_collate([Tensor(b) for b in batch])
    if isinstance(elem, (np.bool_, np.number, np.object_)):
        return Tensor(np.array(batch))  # torch.as_tensor: the scalars' own dtype
    if isinstance(elem, float):
        return tensor(batch, dtype=np.float64)
    if isinstance(elem, int):  # bools too: torch.tensor infers bool, int64 or float
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)  # keeps the mapping's type and extra attributes
                clone.update(collated)
                return clone
            return type(elem)(collated)
        except TypeError:
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a named tuple
        return type(elem)(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if not all(len(e) == size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [default_collate(samples) for samples in transposed]
        return _same_sequence_type(elem, [default_collate(samples) for samples in transposed])
    raise TypeError(_COLLATE_ERROR.format(type(elem)))


def default_convert(data: Any) -> Any:
    """One example as PyTorch's ``default_convert`` leaves it (``batch_size=None``): NumPy
    arrays and scalars become Tensors, containers are converted inside, the rest is kept."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if _STR_OBJ_ARRAY.search(data.dtype.str) else Tensor(data)
    if isinstance(data, (np.bool_, np.number)):
        return Tensor(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(value) for key, value in data.items()}
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update(converted)
                return clone
            return type(data)(converted)
        except TypeError:
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _same_sequence_type(data, [default_convert(d) for d in data])
    return data


def _same_sequence_type(like: Any, items: list) -> Any:
    """``items`` in a sequence of ``like``'s type (a list where that type cannot be built from
    a list), as torch's collate does."""
    try:
        if isinstance(like, collections.abc.MutableSequence):
            clone = copy.copy(like)
            for i, value in enumerate(items):
                clone[i] = value
            return clone
        return type(like)(items)
    except TypeError:
        return items


def get_worker_info() -> None:
    """Always None: neuralab loads every batch in the calling process."""
    return None


# ---------------------------------------------------------------------------- samplers
def _check_generator(generator: Any, where: str) -> None:
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"{where}: generator must be a numpy.random.Generator (neuralab's "
                        f"generators are NumPy's), got {type(generator).__name__}")


class Sampler:
    """Base class of index samplers: an iterable of dataset indices."""

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise TypeError(f"object of type '{type(self).__name__}' has no len()")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) − 1."""

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation of the indices (or ``num_samples`` draws with replacement).

    The permutation is drawn when ``iter()`` is called, from ``generator`` (a NumPy
    generator) or, without one, from one seeded by a draw from neuralab's default generator.
    """

    def __init__(self, data_source: Any, replacement: bool = False,
                 num_samples: int | None = None,
                 generator: np.random.Generator | None = None) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got "
                            f"replacement={replacement}")
        _check_generator(generator, "RandomSampler")
        self.data_source, self.replacement = data_source, replacement
        self._num_samples, self.generator = num_samples, generator
        if num_samples is not None and (isinstance(num_samples, bool)
                                        or not isinstance(num_samples, int) or num_samples <= 0):
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        rng = self.generator
        if rng is None:
            rng = np.random.default_rng(default_generator().integers(2**63))
        if self.replacement:
            return iter(rng.integers(0, n, self.num_samples).tolist())
        count = self.num_samples
        order: list[int] = []
        for _ in range(count // n):
            order.extend(rng.permutation(n).tolist())
        order.extend(rng.permutation(n).tolist()[: count % n])
        return iter(order)  # drawn now, not lazily: iter() starts the epoch

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order (drawn at each ``iter()``)."""

    def __init__(self, indices: Sequence[int],
                 generator: np.random.Generator | None = None) -> None:
        _check_generator(generator, "SubsetRandomSampler")
        self.indices, self.generator = indices, generator

    def __iter__(self) -> Iterator[int]:
        rng = self.generator
        if rng is None:
            rng = np.random.default_rng(default_generator().integers(2**63))
        return iter([self.indices[i] for i in rng.permutation(len(self.indices)).tolist()])

    def __len__(self) -> int:
        return len(self.indices)


def _check_batch_size(batch_size: Any) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size <= 0:
        raise ValueError(f"batch_size should be a positive integer value, but got "
                         f"batch_size={batch_size}")


class BatchSampler(Sampler):
    """Lists of ``batch_size`` indices from ``sampler`` (the last one shorter unless
    ``drop_last``)."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        _check_batch_size(batch_size)
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got "
                             f"drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, int(batch_size), drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


# ---------------------------------------------------------------------------- the loader
class DataLoader:
    """Iterate over ``dataset`` in batches (PyTorch's signature and batches).

    Each ``iter()`` is one epoch. With ``shuffle=True`` each epoch draws a new permutation
    from the loader's own ``numpy.random.Generator``: ``generator`` if given, else
    ``default_rng(seed)``, else one seeded at construction from neuralab's default generator
    (so ``neuralab.manual_seed`` makes shuffling reproducible); ``state_dict()`` saves it.
    ``sampler`` / ``batch_sampler`` give the indices instead, as in PyTorch. Batches are
    ``collate_fn(list of examples)``, by default ``default_collate``: a TensorDataset gives a
    list of Tensors with the stored dtypes. ``num_workers > 0`` is accepted and loads in this
    process (the same batches, in the same order); ``pin_memory`` has nothing to pin.
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Iterable[Any] | None = None,
        batch_sampler: Iterable[list[Any]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        generator: np.random.Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
        seed: int | None = None,
    ) -> None:
        # PyTorch's checks, in PyTorch's order; nothing is drawn before they pass.
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in "
                             "multiprocessing.let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if multiprocessing_context is not None:
            if num_workers == 0:
                raise ValueError(f"multiprocessing_context can only be used with multi-process "
                                 f"loading (num_workers > 0), but got num_workers={num_workers}")
            raise NotImplementedError("DataLoader: neuralab loads batches in this process; "
                                      "multiprocessing_context is not supported")
        if worker_init_fn is not None and num_workers > 0:
            raise NotImplementedError("DataLoader: neuralab loads batches in this process "
                                      "(no worker processes), so worker_init_fn would never "
                                      "be called; leave it out")
        _check_generator(generator, "DataLoader")
        if generator is not None and seed is not None:
            raise ValueError("DataLoader: give generator= or seed=, not both")
        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"shuffle option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"sampler option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None:
            if drop_last:
                raise ValueError("batch_size=None option disables auto-batching and is "
                                 "mutually exclusive with drop_last")
        else:
            _check_batch_size(batch_size)
            batch_size = int(batch_size)

        self.dataset = dataset
        self.batch_size, self.drop_last = batch_size, bool(drop_last)
        self.shuffle = shuffle
        # A user's sampler or batch sampler decides the indices; otherwise the loader's own
        # order is used (the default samplers below describe it, as in PyTorch).
        self._custom_indices = sampler is not None or batch_sampler is not None
        self.num_workers, self.pin_memory, self.timeout = num_workers, pin_memory, timeout
        self.worker_init_fn, self.multiprocessing_context = worker_init_fn, None
        self.prefetch_factor, self.persistent_workers = prefetch_factor, persistent_workers
        self.pin_memory_device, self.in_order = pin_memory_device, in_order
        self._auto_collation = batch_sampler is not None or batch_size is not None
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if self._auto_collation else default_convert)
        self._iterable = iterable
        if generator is None:
            if seed is None and shuffle and sampler is None:
                seed = int(default_generator().integers(2**63))
            # An unshuffled loader never draws, so it leaves the global generator untouched.
            generator = np.random.default_rng(seed if seed is not None else 0)
        self.generator = generator
        if sampler is None and not iterable:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_sampler is None and batch_size is not None and sampler is not None:
            batch_sampler = BatchSampler(sampler, batch_size, self.drop_last)
        self.sampler, self.batch_sampler = sampler, batch_sampler

    # ------------------------------------------------------------------ sizes
    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)  # type: ignore[arg-type]
        return len(self.sampler)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ iteration
    def __iter__(self) -> Iterator[Any]:
        if self.pin_memory:  # PyTorch warns when an epoch starts, as here
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, "
                          "then device pinned memory won't be used.", UserWarning, stacklevel=2)
        if self._iterable:
            return self._stream()
        # The indices are drawn here, not lazily, so iter() alone advances the epoch.
        return self._batches(self._index_batches())

    def _index_batches(self) -> Iterator[Any]:
        """The epoch's batches of indices: slices or index arrays for the built-in order,
        lists for a user's sampler or batch sampler."""
        if self._custom_indices:
            if self.batch_sampler is not None:
                return iter(self.batch_sampler)
            return ([i] for i in iter(self.sampler))  # batch_size=None: one index at a time
        # The default samplers' order (a permutation from self.generator when shuffling), as
        # slices or index arrays: one fancy-index copy per column per batch.
        n = len(self.dataset)
        order = self.generator.permutation(n) if self.shuffle else None
        size = 1 if self.batch_size is None else self.batch_size
        stop = n - n % size if self.drop_last else n
        starts = range(0, stop, size)
        if order is None:
            return (slice(s, min(s + size, n)) for s in starts)
        return (order[s:s + size] for s in starts)

    def _batches(self, index_batches: Iterator[Any]) -> Iterator[Any]:
        for indices in index_batches:
            if self.batch_size is None and not (self._custom_indices and
                                                self.batch_sampler is not None):
                index = indices.start if isinstance(indices, slice) else int(indices[0])
                yield self.collate_fn(self.dataset[index])
            else:
                yield self._fetch(indices)

    def _stream(self) -> Iterator[Any]:
        if self.batch_size is None:
            for item in self.dataset:
                yield self.collate_fn(item)
            return
        batch: list[Any] = []
        for item in self.dataset:
            batch.append(item)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def _fetch(self, indices: Any) -> Any:
        columns = self._fast_columns(indices) if self.collate_fn is default_collate else None
        if columns is not None:
            return columns
        if isinstance(indices, slice):
            indices = range(indices.start, indices.stop)
        indices = [int(i) for i in indices]
        getitems = getattr(self.dataset, "__getitems__", None)
        items = getitems(indices) if callable(getitems) else [self.dataset[i] for i in indices]
        return self.collate_fn(items)

    def _fast_columns(self, indices: Any) -> list[Tensor] | None:
        """``default_collate`` of a TensorDataset's rows (or a Subset of one) with one copy per
        column: what stacking the rows would give (same values, dtypes, a list), or None when
        that shortcut does not apply."""
        dataset = self.dataset
        if isinstance(dataset, Subset) and hasattr(dataset.dataset, "_columns"):
            if isinstance(indices, slice):
                indices = np.arange(indices.start, indices.stop)
            indices = np.asarray(dataset.indices, dtype=np.intp)[np.asarray(indices)]
            dataset = dataset.dataset
        columns = getattr(dataset, "_columns", None)
        if columns is None or getattr(dataset, "_rows_need_grad", False):
            return None
        arrays = columns()
        if isinstance(indices, slice):
            return [Tensor(a[indices].copy()) for a in arrays]
        indices = np.asarray(indices, dtype=np.intp)
        return [Tensor(a[indices]) for a in arrays]

    # ------------------------------------------------------------------ resumable state
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
        batches = len(self) if not self._iterable or hasattr(self.dataset, "__len__") else "?"
        return (
            f"DataLoader(batch_size={self.batch_size}, shuffle={self.shuffle}, "
            f"drop_last={self.drop_last}, batches={batches})"
        )
