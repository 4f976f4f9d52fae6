"""``neuralab.utils.data``: PyTorch's ``torch.utils.data``, as PyTorch code imports it.

``from neuralab.utils.data import Dataset, TensorDataset, DataLoader, random_split, Subset``.
Everything but ``TensorDataset`` is ``neuralab.data``'s; this ``TensorDataset`` holds
Tensors as PyTorch's does (``dataset.tensors`` are the Tensors given, ``dataset[i]`` a tuple
of Tensor rows), where ``neuralab.data.TensorDataset`` holds NumPy arrays.
"""

from __future__ import annotations

from typing import Any

from ..data import dataset as _dataset
from ..data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    random_split,
)
from ..data.loader import (
    BatchSampler,
    DataLoader,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    default_collate,
    default_convert,
    get_worker_info,
)
from ..tensor import Tensor

__all__ = [
    "BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset",
    "RandomSampler", "Sampler", "SequentialSampler", "Subset", "SubsetRandomSampler",
    "TensorDataset", "default_collate", "default_convert", "get_worker_info", "random_split",
]


class TensorDataset(_dataset.TensorDataset):
    """Tensors that share their first dimension: ``dataset[i]`` is ``tuple(t[i] for t in
    tensors)`` (PyTorch's ``TensorDataset``; the Tensors are kept, not copied)."""

    def __init__(self, *tensors: Tensor) -> None:
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset: argument {i} is a {type(t).__name__}, not a "
                                f"Tensor (wrap arrays with neuralab.tensor or "
                                f"neuralab.from_numpy, as torch.utils.data needs)")
        super().__init__(*tensors)  # checks the sizes
        self.tensors: tuple[Tensor, ...] = tensors

    def _columns(self) -> tuple[Any, ...]:
        return tuple(t._data for t in self.tensors)

    @property
    def _rows_need_grad(self) -> bool:
        """Rows of a tensor that requires grad must be stacked in the graph, one by one."""
        return any(t.requires_grad for t in self.tensors)

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)
