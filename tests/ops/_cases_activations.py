"""Op-table rows of the activations added for issue 12 (gelu ... glu), collected by
``test_ops_vs_torch.py``: values and gradients against torch in float64 and float32, and the
float64 gradient against finite differences. Every row keeps clear of the kinks (x exactly at
a branch point): those rows are absent, not excluded.

Scales: each function's value and derivative written as the sum of the magnitudes of the terms
they are computed from (in torch's formula and in ours), so that a subtraction that cancels
(1 − tanh², 1 + erf, x + 3) is held to the rounding of its terms, not of its small result.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as TF
from _case_kit import away, case, fixed, fixed_scale, normal, uniform
from _scales import Scale, pointwise, softmax_scale
from _tolerance import SAFETY, eps

import neuralab as nl
import neuralab.nn.functional as F

# Points near 0 and far out, none on a kink (0 is one for elu/celu with alpha ≠ 1 and prelu).
# ±1e-5: near 0, yet 10 finite-difference steps (1e-6) from it.
EXTREME = [-1e4, -700.0, -50.0, -20.5, -3.5, -1e-3, -1e-5, 1e-5, 1e-3, 2.5, 19.5, 20.5, 50.0,
           700.0, 1e4]
TERMS = 4  # each value and derivative: a few correctly rounded steps per element


def terms_scale(value: Callable[[torch.Tensor], torch.Tensor],
                derivative: Callable[[torch.Tensor], torch.Tensor],
                terms: int = TERMS) -> Callable[[Callable], Scale]:
    """A unary op's scale from the magnitudes of its value's and derivative's terms (torch
    float64 callables of x); the gradient's is |g|·derivative(x)."""
    def scale(inputs: list[np.ndarray], g: np.ndarray, leaves: list[bool]) -> tuple:
        x = torch.from_numpy(np.asarray(inputs[0], dtype=np.float64))
        return (np.abs(value(x).numpy()), [np.abs(g) * np.abs(derivative(x).numpy())], terms)
    return fixed_scale(scale)


def _phi(x: torch.Tensor) -> torch.Tensor:
    return torch.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _erf_abs(x: torch.Tensor) -> torch.Tensor:
    return torch.erf(x.abs() / math.sqrt(2))


# gelu: torch computes ½x(1 + erf(x/√2)) (1 + erf cancels for x ≪ 0), ours x·½erfc(−x/√2):
# value terms ½|x|(1 + |erf|), plus erf's argument rounding x²φ(x); derivative Φ + xφ with
# terms ½(1 + |erf|) + |x|φ(x)(1 + x²) (x² for the exponent's rounding in φ).
GELU = terms_scale(lambda x: 0.5 * x.abs() * (1 + _erf_abs(x)) + x * x * _phi(x),
                   lambda x: 0.5 * (1 + _erf_abs(x)) + x.abs() * _phi(x) * (1 + x * x))

_BETA, _KAPPA = math.sqrt(2 / math.pi), 0.044715


def _gelu_tanh_terms(x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """t = tanh u, u = β(x + κx³); D = (1 − t²)(1 + |u|): the absolute error of t in eps (u
    rounded relative to its terms β(|x| + κ|x|³), through tanh′ = 1 − t²)."""
    u_terms = _BETA * (x.abs() + _KAPPA * x.abs() ** 3)
    t = torch.tanh(_BETA * (x + _KAPPA * x ** 3))
    return t, (1 - t * t) * (1 + u_terms)


def _gelu_tanh_value(x: torch.Tensor) -> torch.Tensor:
    t, d = _gelu_tanh_terms(x)
    return 0.5 * x.abs() * (1 + t.abs() + d)


def _gelu_tanh_derivative(x: torch.Tensor) -> torch.Tensor:
    """½(1 + t) + ½x(1 − t²)·β(1 + 3κx²): terms ½(1 + |t| + D) + ½|x|(1 + t² + 2D)·β(1+3κx²)."""
    t, d = _gelu_tanh_terms(x)
    return 0.5 * (1 + t.abs() + d) + 0.5 * x.abs() * (1 + t * t + 2 * d) * _BETA * (
        1 + 3 * _KAPPA * x * x)


GELU_TANH = terms_scale(_gelu_tanh_value, _gelu_tanh_derivative)

# silu: x·σ; derivative σ(1 + x(1 − σ)) cancels near x ≈ −1.28: terms σ(1 + |x|(1 + σ)).
SILU = terms_scale(lambda x: TF.silu(x),
                   lambda x: torch.sigmoid(x) * (1 + x.abs() * (1 + torch.sigmoid(x))))


def _mish_derivative(x: torch.Tensor) -> torch.Tensor:
    """t + x·σ(x)(1 − t²), t = tanh(softplus x): terms |t| + |x|σ(1 + t²), plus t's error
    (relative, through softplus's rounding: t′·softplus ≤ 1) counted in both."""
    t = torch.tanh(TF.softplus(x))
    return t.abs() + 1 + x.abs() * torch.sigmoid(x) * (1 + t * t + 2)


MISH = terms_scale(lambda x: x.abs() * torch.tanh(TF.softplus(x)), _mish_derivative)

# softsign: torch differentiates x/(|x| + 1) by the quotient rule, 1/(|x|+1) − |x|/(|x|+1)²,
# which cancels for large |x|: terms 1/(1+|x|) + |x|/(1+|x|)².
SOFTSIGN = terms_scale(lambda x: TF.softsign(x),
                       lambda x: 1 / (1 + x.abs()) + x.abs() / (1 + x.abs()) ** 2)

# hardswish: x·(x + 3)/6 (x + 3 cancels near −3: its terms |x| + 3) and x/3 + ½ (cancels near
# −1.5: terms |x|/3 + ½).
HARDSWISH = terms_scale(
    lambda x: torch.where(x.abs() < 3, x.abs() * (x.abs() + 3) / 6, x.abs()),
    lambda x: torch.where(x < -3, 0.0, torch.where(x <= 3, x.abs() / 3 + 0.5, 1.0)))


def _hardsigmoid_scale(_torch_fn: Callable) -> Scale:
    """(x + 3)/6 (terms (|x| + 3)/6); the derivative 1/6 inside (−3, 3). torch's backward
    multiplies by float32(1/6) in every dtype: that constant's rounding is part of its error
    (relative 1.5e−8), counted as extra terms of |g|/6, as for binary_cross_entropy's clamp."""
    def scale(inputs: list[np.ndarray], g: np.ndarray, leaves: list[bool]) -> tuple:
        x = np.asarray(inputs[0], dtype=np.float64)
        inside = (x > -3) & (x < 3)
        value = np.where(inside, (np.abs(x) + 3) / 6, 1.0)
        constant = abs(float(np.float32(1 / 6)) - 1 / 6) * 6  # relative
        grad = np.abs(g) / 6 * inside * (1 + constant / (SAFETY * TERMS * eps(g)))
        return value, [grad], TERMS
    return scale


def _prelu_scale(_torch_fn: Callable) -> Scale:
    """y = x or w·x (one rounding); dL/dx = g or g·w; dL/dw = Σ x·g over a channel's elements
    with x ≤ 0: its terms Σ|x·g|. terms: the channel's element count + 2."""
    def scale(inputs: list[np.ndarray], g: np.ndarray, leaves: list[bool]) -> tuple:
        x, w = inputs
        wb = w.reshape(()) if w.size == 1 else w.reshape((1, -1) + (1,) * (x.ndim - 2))
        negative = x <= 0
        value = np.abs(np.where(negative, x * wb, x))
        g = np.abs(g)
        grad_x = np.where(negative, g * np.abs(wb), g)
        axes = tuple(i for i in range(x.ndim) if i != 1 or w.size == 1)
        grad_w = (np.abs(x) * g * negative).sum(axis=axes).reshape(w.shape)
        grads = [grad for grad, leaf in zip([grad_x, grad_w], leaves, strict=True) if leaf]
        return value, grads, x.size // max(w.size, 1) + 2
    return scale


def _softmin_scale(axis: int) -> Callable[[Callable], Scale]:
    """softmin(x) = softmax(−x): softmax's scale at −x."""
    inner = softmax_scale(axis)
    return fixed_scale(lambda inputs, g, leaves: inner([-inputs[0]], g, leaves))


def _glu_scale(axis: int) -> Callable[[Callable], Scale]:
    """y = a·σ(b): value |a|σ(b); dL/da = g·σ(b); dL/db = g·a·σ(1 − σ), 1 − σ cancelling
    where σ ≈ 1: terms |g·a|·σ(1 + σ)."""
    def scale(inputs: list[np.ndarray], g: np.ndarray, leaves: list[bool]) -> tuple:
        a, b = np.split(np.asarray(inputs[0], dtype=np.float64), 2, axis=axis)
        s = torch.sigmoid(torch.from_numpy(b)).numpy()
        g = np.abs(g)
        grad = np.concatenate([g * s, g * np.abs(a) * s * (1 + s)], axis=axis)
        return np.abs(a) * s, [grad], TERMS
    return fixed_scale(scale)


def _clone(fn: Callable) -> Callable:
    """An in-place op on a copy: a leaf that requires grad may not be changed in place."""
    return lambda x, *args: fn(x.clone(), *args)


def _avoid(*points: float, gap: float = 0.05, lo: float = -8.0, hi: float = 8.0,
           shape: tuple[int, ...] = (4, 5)) -> Callable:
    """Uniform values in [lo, hi] at least ``gap`` from every point (the kinks)."""
    def make(rng: np.random.Generator) -> np.ndarray:
        x = rng.uniform(lo, hi, shape)
        for p in points:
            near = np.abs(x - p) < gap
            x = np.where(near, p + np.where(x >= p, gap, -gap), x)
        return x
    return make


CASES = [
    # gelu
    case("gelu", "gelu", F.gelu, TF.gelu, normal(3, 4, scale=3.0), scale=GELU),
    case("gelu_extreme", "gelu", F.gelu, TF.gelu, fixed(EXTREME), scale=GELU),
    case("gelu_tanh", "gelu", lambda x: F.gelu(x, approximate="tanh"),
         lambda x: TF.gelu(x, approximate="tanh"), normal(3, 4, scale=3.0), scale=GELU_TANH),
    case("gelu_tanh_extreme", "gelu", lambda x: F.gelu(x, approximate="tanh"),
         lambda x: TF.gelu(x, approximate="tanh"), fixed([-50.0, -20.5, -3.5, -1e-3, -1e-9,
                                                          1e-9, 1e-3, 2.5, 20.5, 50.0]),
         scale=GELU_TANH),
    # silu
    case("silu", "silu", F.silu, TF.silu, normal(3, 4, scale=3.0), scale=SILU),
    case("silu_extreme", "silu", F.silu, TF.silu, fixed(EXTREME), scale=SILU),
    # elu, selu, celu (0 is a kink where alpha·scale·input_scale ≠ scale)
    case("elu", "elu", F.elu, TF.elu, away(3, 4), scale=pointwise),
    case("elu_alpha", "elu", lambda x: F.elu(x, 0.5), lambda x: TF.elu(x, 0.5),
         normal(3, 4, scale=3.0), scale=pointwise),
    case("elu_extreme", "elu", lambda x: F.elu(x, alpha=2.0), lambda x: TF.elu(x, alpha=2.0),
         fixed(EXTREME), scale=pointwise),
    case("elu_inplace", "elu", _clone(lambda x: F.elu(x, 1.5, True)),
         _clone(lambda x: TF.elu(x, 1.5, True)), away(3, 4), scale=pointwise),
    case("elu_", "elu_", _clone(F.elu_), _clone(TF.elu_), away(3, 4), scale=pointwise),
    case("selu", "selu", F.selu, TF.selu, away(3, 4), scale=pointwise),
    case("selu_extreme", "selu", F.selu, torch.selu, fixed(EXTREME), scale=pointwise),
    case("selu_", "selu_", _clone(F.selu_), _clone(TF.selu_), away(2, 5), scale=pointwise),
    case("celu", "celu", F.celu, TF.celu, normal(3, 4, scale=3.0), scale=pointwise),
    case("celu_alpha", "celu", lambda x: F.celu(x, alpha=0.5), lambda x: TF.celu(x, 0.5),
         away(3, 4), scale=pointwise),
    case("celu_extreme", "celu", lambda x: F.celu(x, 2.0), lambda x: torch.celu(x, 2.0),
         fixed(EXTREME), scale=pointwise),
    case("celu_", "celu_", _clone(lambda x: F.celu_(x, 3.0)), _clone(lambda x: TF.celu_(x, 3.0)),
         away(2, 5), scale=pointwise),
    # softplus (βx = threshold is a jump: kept 0.5 away)
    case("softplus", "softplus", F.softplus, TF.softplus, normal(3, 4, scale=3.0),
         scale=pointwise),
    case("softplus_beta_threshold", "softplus", lambda x: F.softplus(x, beta=2.0, threshold=3.0),
         lambda x: TF.softplus(x, beta=2.0, threshold=3.0), _avoid(1.5, gap=0.1), scale=pointwise),
    case("softplus_extreme", "softplus", F.softplus, TF.softplus, fixed(EXTREME),
         scale=pointwise),
    case("softplus_small_beta", "softplus", lambda x: F.softplus(x, 0.5, 10.0),
         lambda x: TF.softplus(x, 0.5, 10.0), fixed(EXTREME), scale=pointwise),
    # softsign, mish
    case("softsign", "softsign", F.softsign, TF.softsign, normal(3, 4, scale=3.0),
         scale=SOFTSIGN),
    case("softsign_extreme", "softsign", F.softsign, TF.softsign, fixed(EXTREME),
         scale=SOFTSIGN),
    case("mish", "mish", F.mish, TF.mish, normal(3, 4, scale=3.0), scale=MISH),
    case("mish_extreme", "mish", F.mish, TF.mish, fixed(EXTREME), scale=MISH),
    case("mish_inplace", "mish", _clone(lambda x: F.mish(x, inplace=True)),
         _clone(lambda x: TF.mish(x, inplace=True)), normal(2, 3), scale=MISH),
    # relu6, hardtanh, hardsigmoid, hardswish (kinks at their bounds)
    case("relu6", "relu6", F.relu6, TF.relu6, _avoid(0.0, 6.0), scale=pointwise),
    case("relu6_extreme", "relu6", F.relu6, TF.relu6, fixed(EXTREME), scale=pointwise),
    case("relu6_inplace", "relu6", _clone(lambda x: F.relu6(x, True)),
         _clone(lambda x: TF.relu6(x, True)), _avoid(0.0, 6.0), scale=pointwise),
    case("hardtanh", "hardtanh", F.hardtanh, TF.hardtanh, _avoid(-1.0, 1.0, lo=-3, hi=3),
         scale=pointwise),
    case("hardtanh_bounds", "hardtanh", lambda x: F.hardtanh(x, -2.0, 0.5),
         lambda x: TF.hardtanh(x, -2.0, 0.5), _avoid(-2.0, 0.5, lo=-4, hi=3), scale=pointwise),
    case("hardtanh_extreme", "hardtanh", F.hardtanh, TF.hardtanh,
         fixed([-1e4, -1.001, -0.999, -1e-9, 0.0, 1e-9, 0.999, 1.001, 1e4]), scale=pointwise),
    case("hardtanh_", "hardtanh_", _clone(lambda x: F.hardtanh_(x, -0.5, 0.5)),
         _clone(lambda x: TF.hardtanh_(x, -0.5, 0.5)), _avoid(-0.5, 0.5, lo=-2, hi=2),
         scale=pointwise),
    case("hardsigmoid", "hardsigmoid", F.hardsigmoid, TF.hardsigmoid, _avoid(-3.0, 3.0),
         scale=_hardsigmoid_scale),
    case("hardsigmoid_extreme", "hardsigmoid", F.hardsigmoid, TF.hardsigmoid,
         fixed([-1e4, -3.001, -2.999, -1e-9, 0.0, 1e-9, 2.999, 3.001, 1e4]),
         scale=_hardsigmoid_scale),
    case("hardsigmoid_inplace", "hardsigmoid", _clone(lambda x: F.hardsigmoid(x, True)),
         _clone(lambda x: TF.hardsigmoid(x, True)), _avoid(-3.0, 3.0), scale=_hardsigmoid_scale),
    case("hardswish", "hardswish", F.hardswish, TF.hardswish, _avoid(-3.0, 3.0),
         scale=HARDSWISH),
    case("hardswish_extreme", "hardswish", F.hardswish, TF.hardswish,
         fixed([-1e4, -3.001, -2.999, -1.5, -1e-9, 0.0, 1e-9, 2.999, 3.001, 1e4]),
         scale=HARDSWISH),
    case("hardswish_inplace", "hardswish", _clone(lambda x: F.hardswish(x, inplace=True)),
         _clone(lambda x: TF.hardswish(x, inplace=True)), _avoid(-3.0, 3.0), scale=HARDSWISH),
    # logsigmoid
    case("logsigmoid", "logsigmoid", F.logsigmoid, TF.logsigmoid, normal(3, 4, scale=3.0),
         scale=pointwise),
    case("logsigmoid_extreme", "logsigmoid", F.logsigmoid, TF.logsigmoid, fixed(EXTREME),
         scale=pointwise),
    # prelu: one weight per channel, or one shared (0 is a kink)
    case("prelu", "prelu", F.prelu, TF.prelu, away(2, 3, 4), normal(3), scale=_prelu_scale),
    case("prelu_shared", "prelu", lambda x, w: x.prelu(w), lambda x, w: x.prelu(w),
         away(2, 3, 2, 2), uniform(1, lo=0.1, hi=0.5), scale=_prelu_scale),
    case("prelu_1d", "prelu", nl.prelu, torch.prelu, away(5), normal(1), scale=_prelu_scale),
    case("prelu_2d", "prelu", F.prelu, TF.prelu, away(4, 3), normal(3), scale=_prelu_scale),
    # softmin
    case("softmin", "softmin", lambda x: F.softmin(x, 1), lambda x: TF.softmin(x, 1),
         normal(3, 4), scale=_softmin_scale(1)),
    case("softmin_dim0_3d", "softmin", lambda x: F.softmin(x, dim=0),
         lambda x: TF.softmin(x, dim=0), normal(3, 2, 4), scale=_softmin_scale(0)),
    case("softmin_extreme", "softmin", lambda x: F.softmin(x, -1), lambda x: TF.softmin(x, -1),
         fixed([[1e4, -1e4, 0.0], [-1e4, 1e4, -1e4], [0.0, 0.0, 1e4], [-1e4, -1e4, -1e4]]),
         scale=_softmin_scale(-1)),
    # glu
    case("glu", "glu", F.glu, TF.glu, normal(3, 4, scale=3.0), scale=_glu_scale(-1)),
    case("glu_dim0_3d", "glu", lambda x: F.glu(x, 0), lambda x: TF.glu(x, 0),
         normal(4, 3, 2, scale=3.0), scale=_glu_scale(0)),
    case("glu_extreme", "glu", lambda x: F.glu(x, dim=1), lambda x: TF.glu(x, dim=1),
         fixed([[1.0, -2.0, 50.0, -50.0], [-1e4, 3.0, -700.0, 700.0]]), scale=_glu_scale(1)),
]
