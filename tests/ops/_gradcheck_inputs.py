"""Inputs shared by the gradient checks (test_ops_gradcheck.py, test_conv_gradcheck.py).

Imported as a plain module (``from _gradcheck_inputs import ...``): tests/ops has no
``__init__.py``, so pytest's default ``prepend`` import mode puts this folder on ``sys.path``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import neuralab as nl


def leaf(array: Any) -> nl.Tensor:
    """A float64 tensor that requires grad (gradcheck works in float64)."""
    return nl.Tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


def distinct(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Values at least 0.5 apart: no ties, so a maximum is differentiable."""
    size = int(np.prod(shape, dtype=int))
    return (rng.permutation(size) * 0.5 + rng.uniform(0, 0.1, size)).reshape(shape)
