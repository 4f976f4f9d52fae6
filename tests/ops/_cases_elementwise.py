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
