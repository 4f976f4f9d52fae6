"""scikit-learn's bundled 8x8 handwritten digits: a small data set that needs no download."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .dataset import TensorDataset

__all__ = ["digits"]


@lru_cache(maxsize=1)
def _load() -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits  # lazy: scikit-learn is optional
    except ImportError as err:
        raise ImportError(
            'neuralab.data.digits() needs scikit-learn: pip install "neuralab[data]"'
        ) from err
    bunch = load_digits()
    x = (bunch.images.astype(np.float32) / 16.0).reshape(-1, 1, 8, 8)
    y = bunch.target.astype(np.int64)
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


def digits(train: bool = True, test_fraction: float = 0.2, seed: int = 0) -> TensorDataset:
    """The 1,797 8x8 digits: x float32 (N, 1, 8, 8) in [0, 1] (pixel/16), y int64 (N,).

    The split is a seeded permutation: the same ``seed`` and ``test_fraction`` always give
    the same disjoint train and test parts, together covering every example.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"digits: test_fraction must be in (0, 1), got {test_fraction}")
    x, y = _load()
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = int(round(len(y) * test_fraction))
    indices = order[n_test:] if train else order[:n_test]
    return TensorDataset(x[indices], y[indices], classes=[str(d) for d in range(10)])
