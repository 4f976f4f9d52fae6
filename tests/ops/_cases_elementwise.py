"""Element-wise functions against PyTorch: trigonometric, hyperbolic, exponential and
logarithmic functions, rounding, classification (isnan...), erf and the binary ones (fmod,
div with a rounding mode, lerp, logaddexp, clamp_min/clamp_max, atan2).

Every function here is computed element by element in a few correctly or faithfully rounded
steps, so its tolerance scale is ``pointwise`` (relative to |f(x)| and |g·f′(x)|).
"""

from __future__ import annotations

import numpy as np
import torch
from _case_kit import Const, case, fixed, normal, uniform
from _scales import pointwise

import neuralab as nl


def ints(*shape: int, lo: int = -5, hi: int = 6, dtype: type = np.int64):  # noqa: ANN201
    return lambda rng: Const(rng.integers(lo, hi, shape).astype(dtype))


def unary(name: str, op: str, maker, torch_fn=None):  # noqa: ANN001, ANN201
    """Two rows: ``nl.<op>`` and the method ``x.<op>()``."""
    torch_fn = torch_fn or getattr(torch, op)
    return [case(name, op, getattr(nl, op), torch_fn, maker, scale=pointwise),
            case(f"{name}_method", op, lambda x: getattr(x, op)(),
                 lambda x: getattr(x, op)(), maker, scale=pointwise)]


CASES = [
    *unary("tan", "tan", uniform(3, 4, lo=-1.4, hi=1.4)),
    *unary("asin", "asin", uniform(3, 4, lo=-0.9, hi=0.9)),
    *unary("acos", "acos", uniform(3, 4, lo=-0.9, hi=0.9)),
    *unary("atan", "atan", normal(3, 4, scale=3.0)),
    *unary("sinh", "sinh", normal(3, 4, scale=2.0)),
    *unary("cosh", "cosh", normal(3, 4, scale=2.0)),
    *unary("exp2", "exp2", normal(3, 4, scale=3.0)),
    *unary("log2", "log2", uniform(3, 4, lo=0.05, hi=10.0)),
    *unary("log10", "log10", uniform(3, 4, lo=0.05, hi=10.0)),
    *unary("log1p", "log1p", uniform(3, 4, lo=-0.9, hi=3.0)),
    case("log1p_tiny", "log1p", nl.log1p, torch.log1p, fixed([1e-12, -3e-10, 2e-17, 0.0]),
         scale=pointwise),
    *unary("expm1", "expm1", normal(3, 4, scale=2.0)),
    case("expm1_tiny", "expm1", nl.expm1, torch.expm1, fixed([1e-12, -3e-10, 2e-17, 0.0]),
         scale=pointwise),
    *unary("rsqrt", "rsqrt", uniform(3, 4, lo=0.05, hi=5.0)),
    *unary("reciprocal", "reciprocal", uniform(3, 4, lo=0.2, hi=3.0)),
    case("reciprocal_negative", "reciprocal", nl.reciprocal, torch.reciprocal,
         uniform(5, lo=-3.0, hi=-0.2), scale=pointwise),
    *unary("square", "square", normal(3, 4, scale=2.0)),
]

# integer results, compared exactly (integer inputs of the floating functions are checked for
# their dtype in test_elementwise_pytorch.py: their values are not exact)
EXACT_CASES = [
    case("square_int", "square", nl.square, torch.square, ints(2, 3)),
    case("square_int32", "square", nl.square, torch.square, ints(4, dtype=np.int32)),
    case("square_bool", "square", nl.square, torch.square,
         lambda rng: Const(np.array([True, False]))),
]

# Rounding: zero gradients (torch's convention, also at the jumps); inputs clear of the jumps
# so that finite differences see the flat steps.
STEP_VALUES = [-2.7, -1.5 + 0.3, -0.4, 0.2, 0.7, 1.2, 2.6, 3.9]
HALVES = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5]  # round: halves to even, as torch

CASES += [
    *unary("floor", "floor", normal(3, 4, scale=3.0)),
    *unary("ceil", "ceil", normal(3, 4, scale=3.0)),
    *unary("trunc", "trunc", normal(3, 4, scale=3.0)),
    *unary("round", "round", normal(3, 4, scale=3.0)),
    case("round_halves_ties", "round", nl.round, torch.round, fixed(HALVES), scale=pointwise),
    case("round_decimals", "round", lambda x: nl.round(x, decimals=2),
         lambda x: torch.round(x, decimals=2), fixed([0.1234, -5.6789, 12.345678, 0.0049]),
         scale=pointwise),
    case("round_decimals_negative", "round", lambda x: x.round(decimals=-1),
         lambda x: x.round(decimals=-1), fixed([14.0, -26.0, 123.0, 0.3]), scale=pointwise),
    case("floor_fixed", "floor", nl.floor, torch.floor, fixed(STEP_VALUES), scale=pointwise),
    case("ceil_fixed", "ceil", nl.ceil, torch.ceil, fixed(STEP_VALUES), scale=pointwise),
    *unary("sign", "sign", normal(3, 4)),
    case("sign_at_zero_ties", "sign", nl.sign, torch.sign, fixed([0.0, -0.0, 2.0, -3.0]),
         scale=pointwise),
    *unary("frac", "frac", normal(3, 4, scale=3.0)),
    case("frac_negative", "frac", nl.frac, torch.frac, fixed([-2.75, -0.5, 0.25, 3.5]),
         scale=pointwise),
]

SPECIAL = [0.0, -1.5, np.inf, -np.inf, np.nan, 1e38, -0.0]

EXACT_CASES += [
    *[case(f"{op}_int", op, getattr(nl, op), getattr(torch, op), ints(2, 3))
      for op in ("floor", "ceil", "trunc", "round", "sign")],
    case("sign_bool", "sign", nl.sign, torch.sign, lambda rng: Const(np.array([True, False]))),
    case("floor_uint8", "floor", nl.floor, torch.floor, ints(4, lo=0, hi=9, dtype=np.uint8)),
    *[case(op, op, getattr(nl, op), getattr(torch, op), fixed(SPECIAL))
      for op in ("isnan", "isinf", "isfinite")],
    *[case(f"{op}_method", op, lambda x, op=op: getattr(x, op)(),
           lambda x, op=op: getattr(x, op)(), fixed([[1.0, np.nan], [-np.inf, 2.0]]))
      for op in ("isnan", "isinf", "isfinite")],
    *[case(f"{op}_int", op, getattr(nl, op), getattr(torch, op), ints(3))
      for op in ("isnan", "isinf", "isfinite")],
    case("isfinite_bool", "isfinite", nl.isfinite, torch.isfinite,
         lambda rng: Const(np.array([True, False]))),
]

CASES += [
    *unary("erf", "erf", normal(3, 4, scale=2.0)),
    case("erf_edges", "erf", nl.erf, torch.erf,
         fixed([0.0, 1e-20, -0.49, 0.5, -0.53, 3.0, 5.9, -6.0, 7.5]), scale=pointwise),
]
