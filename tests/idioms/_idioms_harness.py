"""Registry of PyTorch idiom snippets and the comparison of their results across libraries.

A snippet is ``def name(torch) -> dict``: PyTorch code written against the module it is given
(``torch`` or ``neuralab``), returning what a learner would look at (tensors, numbers, dtypes,
shapes, booleans, the name of a caught exception). ``@idiom(...)`` registers it with the
precision model of its floats:

- ``terms``: the roundings each float result accumulates (a reduction's length, the sum of the
  fan-ins along a chain, times the steps of a loop where errors add up). The bound is
  ``SAFETY · terms · eps · max|expected|`` per result (norm-wise: a chain's error is relative to
  its largest value, not to each element). float64 results also get at least 1e-10 relative:
  "deterministic float64 math agrees to 1e-10".
- ``floats``: the dtype whose eps bounds the Python floats a snippet returns (``.item()`` of a
  float32 loss is a float32 value in a Python float); tensors use their own dtype.

Imported as a plain module (tests/ has no ``__init__.py``; pytest prepends this folder).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from _tolerance import SAFETY

# Deterministic float64 math (same formula, possibly a different summation order) agrees to
# this relative precision however long the (short) computations below are.
REL64 = 1e-10


@dataclass(frozen=True)
class Idiom:
    name: str
    fn: Callable[[Any], dict]
    terms: int
    floats: str


SNIPPETS: list[Idiom] = []


def idiom(terms: int = 1, floats: str = "float64") -> Callable:
    """Register a snippet; see the module docstring for ``terms`` and ``floats``."""
    def register(fn: Callable[[Any], dict]) -> Callable[[Any], dict]:
        module = fn.__module__.removeprefix("_idioms_")
        SNIPPETS.append(Idiom(f"{module}.{fn.__name__}", fn, terms, floats))
        return fn
    return register


def dtype_name(dtype: Any) -> str:
    """``torch.float32`` and ``dtype('float32')`` both give 'float32'."""
    return str(dtype).split(".")[-1]


def _is_tensor(value: Any) -> bool:
    return type(value).__name__ in ("Tensor", "Parameter") and hasattr(value, "detach")


def _is_dtype(value: Any) -> bool:
    return type(value).__name__ == "dtype" or isinstance(value, np.dtype)


def _is_device(value: Any) -> bool:
    return type(value).__name__ == "device"


def _bound(expected: np.ndarray, dtype: str, terms: int) -> float:
    info = np.finfo(dtype)
    rel = SAFETY * max(terms, 1) * float(info.eps)
    if dtype == "float64":
        rel = max(rel, REL64)
    return rel * float(np.abs(expected).max(initial=0.0)) + SAFETY * float(info.tiny)


def _assert_floats(actual: np.ndarray, expected: np.ndarray, dtype: str, terms: int,
                   where: str) -> None:
    bound = _bound(expected, dtype, terms)
    error = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
    same_nan = np.isnan(actual) & np.isnan(expected)
    same_inf = np.isinf(expected) & (actual == expected)
    bad = ~((error <= bound) | same_nan | same_inf)
    if bad.any():
        worst = np.unravel_index(int(np.argmax(np.where(bad, error, -1.0))), bad.shape) \
            if bad.ndim else ()
        raise AssertionError(
            f"{where}: {int(bad.sum())} of {bad.size} values differ beyond {bound:.3g} "
            f"({SAFETY}·{terms}·eps({dtype})·max|expected|); worst at {worst}: neuralab "
            f"{actual[worst]!r}, torch {expected[worst]!r}")


def _assert_arrays(actual: np.ndarray, expected: np.ndarray, terms: int, where: str) -> None:
    if actual.shape != expected.shape:
        raise AssertionError(f"{where}: shape {actual.shape} != torch's {expected.shape}")
    if actual.dtype.name != expected.dtype.name:
        raise AssertionError(f"{where}: dtype {actual.dtype.name} != torch's "
                             f"{expected.dtype.name}")
    if np.issubdtype(expected.dtype, np.floating):
        _assert_floats(actual, expected, expected.dtype.name, terms, where)
    elif not np.array_equal(actual, expected):
        raise AssertionError(f"{where}: {actual!r} != torch's {expected!r}")


def assert_same(actual: Any, expected: Any, idiom: Idiom, where: str = "") -> None:
    """neuralab's result ``actual`` matches torch's ``expected`` (see the module docstring)."""
    if _is_tensor(expected):
        if not _is_tensor(actual):
            raise AssertionError(f"{where}: a {type(actual).__name__}, torch gives a Tensor")
        if dtype_name(actual.dtype) != dtype_name(expected.dtype):
            raise AssertionError(f"{where}: dtype {dtype_name(actual.dtype)} != torch's "
                                 f"{dtype_name(expected.dtype)}")
        _assert_arrays(np.asarray(actual.detach().numpy()),
                       expected.detach().cpu().numpy(), idiom.terms, where)
    elif isinstance(expected, np.ndarray):
        if not isinstance(actual, np.ndarray):
            raise AssertionError(f"{where}: a {type(actual).__name__}, torch gives an ndarray")
        _assert_arrays(actual, expected, idiom.terms, where)
    elif _is_dtype(expected):
        if not _is_dtype(actual) or dtype_name(actual) != dtype_name(expected):
            raise AssertionError(f"{where}: dtype {actual!r} != torch's {expected!r}")
    elif _is_device(expected):
        if not _is_device(actual) or str(actual) != str(expected):
            raise AssertionError(f"{where}: device {actual!r} != torch's {expected!r}")
    elif isinstance(expected, dict):
        if not isinstance(actual, dict):
            raise AssertionError(f"{where}: a {type(actual).__name__}, torch gives a dict")
        if list(actual) != list(expected):
            raise AssertionError(f"{where}: keys {list(actual)} != torch's {list(expected)}")
        for key in expected:
            assert_same(actual[key], expected[key], idiom, f"{where}[{key!r}]")
    elif isinstance(expected, (tuple, list)):
        # torch.Size is a tuple: a shape compares equal to neuralab's plain tuple
        kind = tuple if isinstance(expected, tuple) else list
        if not isinstance(actual, kind) or len(actual) != len(expected):
            raise AssertionError(f"{where}: {actual!r} != torch's {expected!r}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same(a, e, idiom, f"{where}[{i}]")
    else:
        if type(actual) is not type(expected):
            raise AssertionError(f"{where}: {actual!r} ({type(actual).__name__}) != torch's "
                                 f"{expected!r} ({type(expected).__name__})")
        if isinstance(expected, float):
            _assert_floats(np.asarray(actual), np.asarray(expected), idiom.floats,
                           idiom.terms, where)
        elif actual != expected:
            raise AssertionError(f"{where}: {actual!r} != torch's {expected!r}")
