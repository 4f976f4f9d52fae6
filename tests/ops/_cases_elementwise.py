"""Element-wise functions against PyTorch: trigonometric, hyperbolic, exponential and
logarithmic functions, rounding, classification (isnan...), erf and the binary ones (fmod,
div with a rounding mode, lerp, logaddexp, clamp_min/clamp_max, atan2).

Every function here is computed element by element in a few correctly or faithfully rounded
steps, so its tolerance scale is ``pointwise`` (relative to |f(x)| and |g·f′(x)|).
"""

from __future__ import annotations

import numpy as np
import torch
from _case_kit import Const, away, case, const, fixed, normal, uniform, via
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

# ------------------------------------------------------------------------- binary functions


def _lerp_terms(s, e, w):  # noqa: ANN001, ANN202
    """The magnitudes of lerp's terms on |inputs|: both of torch's formulas, s + w·(e − s) and
    e − (e − s)·(1 − w), are bounded by (|e| + |s|)·(2 + |w|) for |w| <= 1, and so are their
    derivatives 1 − w, w and e − s by this bound's."""
    return (e + s) * (2 + w)


CASES += [
    # fmod: exact but for one rounding of size |b|; dy/db = −trunc(a/b), a and b clear of the
    # jumps at a/b ∈ ℤ (as remainder's rows)
    case("fmod", "fmod", nl.fmod, torch.fmod, normal(3, 4, scale=3.0), away(4, gap=0.5),
         scale=via(torch.add)),
    case("fmod_scalar", "fmod", lambda a: a.fmod(1.5), lambda a: a.fmod(1.5),
         normal(3, 2, scale=3.0), scale=via(lambda a: a + 1.5)),
    case("fmod_negative_divisor", "fmod", nl.fmod, torch.fmod, normal(5, scale=3.0),
         uniform(5, lo=-2.0, hi=-0.5), scale=via(torch.add)),
    # div with a rounding mode: the quotient's steps, a zero gradient (torch's)
    case("div_trunc", "div", lambda a, b: nl.div(a, b, rounding_mode="trunc"),
         lambda a, b: torch.div(a, b, rounding_mode="trunc"), normal(3, 4, scale=4.0),
         away(4, gap=0.5), scale=pointwise),
    case("div_floor", "div", lambda a, b: a.div(b, rounding_mode="floor"),
         lambda a, b: a.div(b, rounding_mode="floor"), normal(3, 4, scale=4.0),
         away(3, 1, gap=0.5), scale=pointwise),
    case("div_floor_scalar", "div", lambda a: nl.div(a, -0.75, rounding_mode="floor"),
         lambda a: torch.div(a, -0.75, rounding_mode="floor"), normal(6, scale=3.0),
         scale=pointwise),
    # lerp
    case("lerp_scalar", "lerp", lambda s, e: nl.lerp(s, e, 0.3),
         lambda s, e: torch.lerp(s, e, 0.3), normal(3, 4), normal(3, 4),
         scale=via(lambda s, e: _lerp_terms(s, e, 0.3))),
    case("lerp_scalar_large_weight", "lerp", lambda s, e: s.lerp(e, 0.8),
         lambda s, e: s.lerp(e, 0.8), normal(3, 4), normal(4),
         scale=via(lambda s, e: _lerp_terms(s, e, 0.8))),
    case("lerp_tensor_weight", "lerp", nl.lerp, torch.lerp, normal(3, 4), normal(3, 4),
         uniform(3, 4, lo=-0.5, hi=1.0), scale=via(_lerp_terms)),
    case("lerp_tensor_weight_broadcast", "lerp", nl.lerp, torch.lerp, normal(2, 1, 4),
         normal(3, 1), uniform(4, lo=0.0, hi=1.0), scale=via(_lerp_terms)),
    case("lerp_const_weight", "lerp", nl.lerp, torch.lerp, normal(3, 4), normal(3, 4),
         const(uniform(3, 4, lo=0.0, hi=1.0)), scale=via(_lerp_terms)),
    # logaddexp = max + ln(1 + e^(−|a − b|)): terms |a| + |b| + 1 (its result may be near 0)
    case("logaddexp", "logaddexp", nl.logaddexp, torch.logaddexp, normal(3, 4, scale=2.0),
         normal(3, 4, scale=2.0), scale=via(lambda a, b: a + b + 1)),
    case("logaddexp_broadcast", "logaddexp", lambda a, b: a.logaddexp(b),
         lambda a, b: a.logaddexp(b), normal(2, 3, 1), normal(4),
         scale=via(lambda a, b: a + b + 1)),
    case("logaddexp_far_apart", "logaddexp", nl.logaddexp, torch.logaddexp,
         fixed([-800.0, 30.0, 1e3, -5.0]), fixed([5.0, -30.0, 1e3 + 1, -700.0]),
         scale=via(lambda a, b: a + b + 1)),
    # clamp_min/clamp_max: a copy of x or of the bound (no input on a bound here)
    case("clamp_min_scalar", "clamp_min", lambda x: nl.clamp_min(x, 0.3),
         lambda x: torch.clamp_min(x, 0.3), normal(3, 4), scale=pointwise),
    case("clamp_max_method", "clamp_max", lambda x: x.clamp_max(-0.2),
         lambda x: x.clamp_max(-0.2), normal(3, 4), scale=pointwise),
    case("clamp_min_tensor", "clamp_min", nl.clamp_min, torch.clamp_min, normal(3, 4),
         normal(4), scale=pointwise),
    case("clamp_max_tensor", "clamp_max", nl.clamp_max, torch.clamp_max, normal(3, 4),
         normal(3, 1), scale=pointwise),
    case("clamp_min_at_bound_ties", "clamp_min", nl.clamp_min, torch.clamp_min,
         fixed([-1.0, 0.5, 2.0]), fixed([0.0, 0.5, 1.0]), scale=pointwise),
    case("clamp_max_nan", "clamp_max", nl.clamp_max, torch.clamp_max,
         fixed([np.nan, 0.5, 2.0]), fixed([0.0, np.nan, 1.0]), scale=pointwise),
    # atan2: the angle of (b, a); a clear of the branch cut at a = 0 (b < 0)
    case("atan2", "atan2", nl.atan2, torch.atan2, away(3, 4), normal(3, 4), scale=pointwise),
    case("atan2_broadcast", "atan2", lambda a, b: a.atan2(b), lambda a, b: a.atan2(b),
         away(2, 3, 1), away(4), scale=pointwise),
    case("atan2_const", "atan2", nl.atan2, torch.atan2, const(away(5)), normal(5),
         scale=pointwise),
]

EXACT_CASES += [
    case("fmod_int", "fmod", nl.fmod, torch.fmod, ints(3, 4, lo=-9, hi=10),
         lambda rng: Const(rng.integers(1, 4, 4) * rng.choice([-1, 1], 4))),
    case("fmod_int_float_scalar", "fmod", lambda a: nl.fmod(a, 1.5),
         lambda a: torch.fmod(a, 1.5), ints(5)),
    case("div_trunc_int", "div", lambda a, b: nl.div(a, b, rounding_mode="trunc"),
         lambda a, b: torch.div(a, b, rounding_mode="trunc"), ints(3, 4, lo=-9, hi=10),
         lambda rng: Const(rng.integers(1, 4, 4) * rng.choice([-1, 1], 4))),
    case("div_floor_int", "div", lambda a, b: a.div(b, rounding_mode="floor"),
         lambda a, b: a.div(b, rounding_mode="floor"), ints(3, 4, lo=-9, hi=10),
         lambda rng: Const(rng.integers(1, 4, 4) * rng.choice([-1, 1], 4))),
    case("div_floor_uint8_scalar", "div", lambda a: nl.div(a, 3, rounding_mode="floor"),
         lambda a: torch.div(a, 3, rounding_mode="floor"), ints(6, lo=0, hi=255, dtype=np.uint8)),
    case("clamp_min_int", "clamp_min", lambda a: a.clamp_min(0), lambda a: a.clamp_min(0),
         ints(6)),
    case("clamp_max_int_float_bound", "clamp_max", lambda a: nl.clamp_max(a, 1.5),
         lambda a: torch.clamp_max(a, 1.5), ints(6)),
]
