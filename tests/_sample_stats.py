"""Statistical checks of random samples with bounds derived from the sample size.

Imported as a plain module (``from _sample_stats import ...``), like ``_tolerance`` (not
``_statistics``: that name is taken by a CPython extension module).

A sample statistic of ``n`` independent draws is off from its expectation by about one
standard error (σ/√n for the mean, σ·√((κ−1)/(4n)) for the standard deviation, κ being the
distribution's kurtosis). The checks allow ``K`` standard errors: a correct sampler fails one
with probability below 1e-6 (a normal tail; the sample sizes here make the statistics close to
normal), while a wrong formula (a gain of √2 for √3, fan_in for fan_out, a dropped 1/(1−p))
is off by tens of standard errors for the sizes the tests use. The tests are seeded, so a
pass is reproducible; the bound is what keeps it meaningful on any machine.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

K = 5.0  # standard errors allowed

KURTOSIS_NORMAL = 3.0
KURTOSIS_UNIFORM = 9 / 5


def _sample(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).ravel()


def std_error_of_std(std: float, n: int, kurtosis: float) -> float:
    """Standard error of a sample standard deviation of ``n`` draws (delta method)."""
    return std * math.sqrt((kurtosis - 1) / (4 * n))


def assert_mean(values: Any, mean: float, std: float, *, k: float = K, what: str = "") -> None:
    """The sample mean is within ``k`` standard errors ``std/√n`` of ``mean``."""
    x = _sample(values)
    bound = k * std / math.sqrt(x.size)
    got = float(x.mean())
    if not abs(got - mean) <= bound:
        raise AssertionError(f"{what} sample mean {got:.6g} of {x.size} draws is not within "
                             f"{k} standard errors ({bound:.3g}) of {mean:.6g}")


def assert_std(values: Any, std: float, *, kurtosis: float, k: float = K,
               what: str = "") -> None:
    """The sample standard deviation is within ``k`` of its standard errors of ``std``."""
    x = _sample(values)
    bound = k * std_error_of_std(std, x.size, kurtosis)
    got = float(x.std())
    if not abs(got - std) <= bound:
        raise AssertionError(f"{what} sample std {got:.6g} of {x.size} draws is not within "
                             f"{k} standard errors ({bound:.3g}) of {std:.6g}")


def assert_same_std(a: Any, b: Any, *, kurtosis: float, k: float = K, what: str = "") -> None:
    """Two independent samples of one distribution: their standard deviations differ by at
    most ``k`` standard errors of the difference (√(SE_a² + SE_b²), each SE from the pooled
    std)."""
    a, b = _sample(a), _sample(b)
    pooled = math.sqrt((a.var() * a.size + b.var() * b.size) / (a.size + b.size))
    bound = k * math.hypot(std_error_of_std(pooled, a.size, kurtosis),
                           std_error_of_std(pooled, b.size, kurtosis))
    if not abs(a.std() - b.std()) <= bound:
        raise AssertionError(f"{what} sample stds {a.std():.6g} ({a.size} draws) and "
                             f"{b.std():.6g} ({b.size} draws) differ by more than {k} standard "
                             f"errors ({bound:.3g})")


def assert_proportion(hits: Any, p: float, *, k: float = K, what: str = "") -> None:
    """The fraction of true values in ``hits`` is within ``k`` standard errors √(p(1−p)/n)
    of ``p``."""
    h = np.asarray(hits, dtype=bool).ravel()
    bound = k * math.sqrt(p * (1 - p) / h.size)
    got = float(h.mean())
    if not abs(got - p) <= bound:
        raise AssertionError(f"{what} fraction {got:.6g} of {h.size} draws is not within "
                             f"{k} standard errors ({bound:.3g}) of {p:.6g}")


def assert_uniform_histogram(values: Any, low: float, high: float, *, bins: int,
                             k: float = K, what: str = "") -> None:
    """Every one of ``bins`` equal bins over [low, high] holds n/bins values up to ``k``
    binomial standard errors √(n·q(1−q)), q = 1/bins: flat, not bell-shaped."""
    x = _sample(values)
    counts, _ = np.histogram(x, bins=bins, range=(low, high))
    q = 1 / bins
    expected, bound = x.size * q, k * math.sqrt(x.size * q * (1 - q))
    worst = int(np.argmax(np.abs(counts - expected)))
    if not abs(counts[worst] - expected) <= bound:
        raise AssertionError(f"{what} bin {worst} of {bins} holds {counts[worst]} of {x.size} "
                             f"values, expected {expected:.0f} ± {bound:.0f} ({k} standard "
                             f"errors)")
