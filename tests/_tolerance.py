"""Float comparisons with tolerances derived from the computation, not tuned on one machine.

Imported as a plain module (``from _tolerance import ...``): tests/ has no ``__init__.py``, so
pytest's default ``prepend`` import mode puts this folder (the root conftest's) on ``sys.path``.

The model is the standard rounding-error bound: a sum of ``k`` terms computed in floating
point is off by at most about ``k · u · Σ|terms|`` (u = eps/2, the unit roundoff), whatever the
order or blocking of the sum (so whichever BLAS kernel a CPU picks). Two such computations of
the same value (ours and NumPy's or PyTorch's) then differ by at most ``k · eps · Σ|terms|``.
``SAFETY`` covers the few extra roundings around a reduction (a bias add, a scale, an
exp/log). A genuine bug (a wrong index, a missing term) is off by the size of a term, many
orders of magnitude above these bounds for the sizes the tests use.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

SAFETY = 4


def precision(*dtypes: Any) -> np.dtype:
    """The least precise float dtype among ``dtypes`` (arrays or dtypes; float64 if none)."""
    # a scalar type (np.float32) has a ``dtype`` attribute too, but not a dtype's value
    found = [np.dtype(d if isinstance(d, (type, str, np.dtype)) else getattr(d, "dtype", d))
             for d in dtypes]
    floats = [d for d in found if np.issubdtype(d, np.floating)] or [np.dtype(np.float64)]
    return max(floats, key=lambda d: float(np.finfo(d).eps))


def eps(*dtypes: Any) -> float:
    """Machine epsilon of the least precise float dtype among ``dtypes`` (arrays or dtypes)."""
    return float(np.finfo(precision(*dtypes)).eps)


def assert_close(actual: Any, expected: Any, *, scale: Any, terms: int = 1,
                 dtype: Any = None, err_msg: str = "") -> None:
    """Elementwise ``|actual − expected| ≤ SAFETY · terms · eps · scale``.

    ``scale`` is the magnitude the rounding errors are relative to (broadcastable: ``|a| @ |b|``
    for a product, ``|expected|`` for a pointwise function, a norm for a whole network);
    ``terms`` is the number of roundings each element accumulates (the reduction length);
    ``dtype`` is the precision of the computation (default: the least precise operand's).
    Results below the smallest normal number may differ by about that number (underflow)."""
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    if actual.shape != expected.shape:
        raise AssertionError(f"{err_msg} shapes differ: {actual.shape} vs {expected.shape}")
    info = np.finfo(precision(dtype) if dtype is not None else precision(actual, expected))
    # The model's underflow term: fl(x op y) = (x op y)(1 + δ) + η, |η| up to the smallest
    # normal number where a library flushes subnormal results to zero (torch's float32 kernels
    # may); nothing for any result of normal size.
    bound = SAFETY * max(terms, 1) * (float(info.eps) * np.abs(np.asarray(scale, np.float64))
                                      + float(info.tiny))
    error = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
    bad = ~(error <= bound)  # NaN counts as a failure
    if bad.any():
        bound = np.broadcast_to(bound, bad.shape)
        where = np.unravel_index(np.argmax(np.where(bad, error - bound, -np.inf)), bad.shape) \
            if bad.ndim else ()
        raise AssertionError(
            f"{err_msg} {int(bad.sum())} of {bad.size} elements differ beyond the bound "
            f"{SAFETY}·{terms}·eps·scale; worst at {where}: actual {actual[where]!r}, expected "
            f"{expected[where]!r}, error {error[where]:.3g} > bound {bound[where]:.3g}")


def pairwise_terms(n: int) -> int:
    """The ``terms`` of a NumPy sum of ``n`` values along a contiguous axis: NumPy sums blocks
    of up to 128 values with 8 accumulators (16 roundings each, 8 to combine them) and adds
    the blocks pairwise (log2 of their count), so its error is at most about
    (16 + 8 + log2(n/128)) · u · Σ|x|, not n · u · Σ|x|. For reductions built that way
    (batch_norm's statistics: contiguous rows, chunks combined in float64)."""
    return 24 + max(0, math.ceil(math.log2(max(n, 1) / 128)))


def product_scale(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``|a| @ |b|`` in float64: the magnitude of the terms each element of ``a @ b`` sums."""
    return np.abs(np.asarray(a, dtype=np.float64)) @ np.abs(np.asarray(b, dtype=np.float64))


def assert_product_close(actual: Any, a: np.ndarray, b: np.ndarray, *, dtype: Any = None,
                         err_msg: str = "") -> None:
    """``actual`` equals ``a @ b`` up to the rounding of a length-k reduction: elementwise
    ``|actual − a@b| ≤ SAFETY · k · eps · (|a| @ |b|)``, the exact product taken in float64
    (or float64 itself: both errors fit the same bound)."""
    a, b = np.asarray(a), np.asarray(b)
    exact = np.asarray(a, dtype=np.float64) @ np.asarray(b, dtype=np.float64)
    assert_close(actual, exact, scale=product_scale(a, b), terms=a.shape[-1],
                 dtype=dtype if dtype is not None else np.result_type(a, b), err_msg=err_msg)


def assert_normwise_close(actual: Any, expected: Any, *, terms: int, dtype: Any = None,
                          err_msg: str = "") -> None:
    """For results of a long chain (a network's output or gradients), where an elementwise
    bound would need every intermediate: ``|actual − expected| ≤ SAFETY · terms · eps ·
    max|expected|``, ``terms`` being the total reduction length along the chain (Σ of the
    layers' fan-ins)."""
    expected = np.asarray(expected)
    assert_close(actual, expected, scale=np.abs(expected).max(initial=0.0), terms=terms,
                 dtype=dtype, err_msg=err_msg)
