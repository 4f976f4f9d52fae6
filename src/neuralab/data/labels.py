"""Label encodings."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor

__all__ = ["one_hot"]


def one_hot(labels: Any, num_classes: int = -1, dtype: Any = np.int64) -> np.ndarray | Tensor:
    """One-hot rows for integer class labels: shape ``labels.shape + (num_classes,)``.

    ``num_classes=-1`` uses ``labels.max() + 1``. A Tensor in gives a Tensor out; anything
    else gives an ndarray. ``out[..., k] == 1`` exactly where ``labels == k``.
    """
    as_tensor = isinstance(labels, Tensor)
    array = np.asarray(labels._data if as_tensor else labels)
    if array.dtype.kind not in "iu":
        if array.size:
            raise TypeError(f"one_hot expects integer class labels, got dtype {array.dtype}")
        array = array.astype(np.int64)  # np.asarray([]) is float64
    if num_classes == -1:
        if array.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from empty labels; pass it")
        num_classes = int(array.max()) + 1
    if num_classes < 1:
        raise ValueError(f"one_hot: num_classes must be positive or -1, got {num_classes}")
    if array.size:
        low, high = int(array.min()), int(array.max())
        if low < 0 or high >= num_classes:
            bad = low if low < 0 else high
            raise ValueError(
                f"one_hot: label {bad} is out of range for num_classes={num_classes} "
                f"(labels must be in [0, {num_classes - 1}])"
            )
    out = np.zeros((*array.shape, num_classes), dtype=dtype)
    flat = out.reshape(-1, num_classes)
    flat[np.arange(flat.shape[0]), array.reshape(-1)] = 1
    return Tensor(out) if as_tensor else out
