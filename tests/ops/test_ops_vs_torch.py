"""Every op, activation and loss against PyTorch: forward values and input gradients.

Table-driven: each ``Case`` names the registered ops it covers, a neuralab callable, the
equivalent torch callable and makers for its inputs, so adding an op means adding one row.
Float arrays from a maker become leaves that require grad in both libraries; ``Const`` wraps
an input (targets, masks, class weights) passed as a plain array / tensor without gradient.
Each case runs in float64 and float32, with a random upstream gradient, and once more with a
read-only upstream gradient, which no backward may modify.

Tolerances come from each op's terms (``_tolerance``, ``_scales``): every value and gradient
element is compared within SAFETY · terms · eps · scale, ``scale`` being the sum of the
magnitudes of the terms that element is computed from — the case's ``scale``: the op on
|inputs| (``multilinear``, with a subtraction's sign flipped), the function's own magnitude
elementwise (``pointwise``), the routing of |g| (``routing``), or a formula from the op's
derivation where its result cancels large terms (softmax gradients, losses).
"""

from __future__ import annotations

import importlib
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _scales import (
    Scale,
    batch_norm_scale,
    bce_with_logits_scale,
    binary_cross_entropy_scale,
    cross_entropy_scale,
    log_softmax_scale,
    multilinear,
    pointwise,
    routing,
    softmax_scale,
)
from _tolerance import assert_close

import neuralab as nl
import neuralab.nn.functional as F
from neuralab.autograd import engine
from neuralab.ops import OPS

# An overflow, a division by zero or an invalid value inside an op is a failure, not noise.
pytestmark = pytest.mark.filterwarnings("error")

# The row kit (makers, Case, case, scales) is shared with the area tables _cases_*.py.
from _case_kit import (  # noqa: E402
    SIGMOID,
    TANH,
    Case,
    Const,
    Maker,
    away,
    case,
    const,
    distinct,
    fixed,
    fixed_scale,
    index_along,
    labels,
    normal,
    one_hot,
    probabilities,
    softmax_rows,
    uniform,
    via,
)

# ------------------------------------------------------------------------------ the table

def _spread(x: torch.Tensor, dim: Any = None, keepdim: bool = False,
            correction: float = 1) -> torch.Tensor:
    """The terms of var's rounding on x >= 0: Σ (x + x̄)² / (N − c), the deviations x − x̄
    counted in magnitude (its gradient bounds var's gradient terms the same way)."""
    n = x.numel() if dim is None else x.numel() // x.mean(dim, keepdim=True).numel()
    mean = x.mean() if dim is None else x.mean(dim, keepdim=True)
    square = (x + mean) ** 2
    total = square.sum() if dim is None else square.sum(dim, keepdim=keepdim)
    return total / (n - correction)


def var_scale(**kwargs: Any) -> Callable[[Callable], Scale]:
    return via(lambda x: _spread(x, **kwargs))


def std_scale(**kwargs: Any) -> Callable[[Callable], Scale]:
    """std = √var: an absolute error δ of var is δ/(2·std) in std, about δ/√var's terms."""
    return via(lambda x: _spread(x, **kwargs).sqrt())



MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])
CE_TARGET_IGNORED = np.array([0, -100, 3, 1, -100, 2])
LOGITS_EXTREME = [[1e4, -1e4, 0.0], [-1e4, 1e4, -1e4], [0.0, 0.0, 1e4], [-1e4, -1e4, -1e4]]

ARITHMETIC = [
    case("add", "add", lambda a, b: a + b, lambda a, b: a + b, normal(3, 4), normal(3, 4)),
    case("add_broadcast", "add", nl.add, torch.add, normal(2, 3, 4), normal(3, 1)),
    case("add_0d", "add", nl.add, torch.add, normal(3), normal()),
    case("add_scalar", "add", lambda a: a + 1.5, lambda a: a + 1.5, normal(3, 2)),
    case("radd_int", "add", lambda a: 2 + a, lambda a: 2 + a, normal(3)),
    case("add_same_tensor", "add", lambda a: a + a, lambda a: a + a, normal(2, 3)),
    case("sub", "sub", lambda a, b: a - b, lambda a, b: a - b, normal(4, 1), normal(1, 5),
         scale=via(torch.add)),
    case("sub_fn", "sub", nl.sub, torch.sub, normal(2, 3), normal(3), scale=via(torch.add)),
    case("rsub", "sub", lambda a: 2.0 - a, lambda a: 2.0 - a, normal(3, 2),
         scale=via(lambda a: 2.0 + a)),
    case("mul", "mul", lambda a, b: a * b, lambda a, b: a * b, normal(4, 1), normal(1, 5)),
    case("mul_fn_3d", "mul", nl.mul, torch.mul, normal(2, 1, 3), normal(4, 1)),
    case("rmul", "mul", lambda a: 3.0 * a, lambda a: 3.0 * a, normal(3)),
    case("mul_const_array", "mul", lambda a, c: a * c, lambda a, c: a * c, normal(2, 3),
         const(normal(3))),
    case("div", "div", lambda a, b: a / b, lambda a, b: a / b, normal(3, 4), away(4),
         scale=pointwise),
    case("div_fn", "div", nl.div, torch.div, normal(2, 1, 3), away(4, 1, gap=0.5), scale=pointwise),
    case("rdiv", "div", lambda a: 1.0 / a, lambda a: 1.0 / a, away(3, 2, gap=0.5), scale=pointwise),
    case("pow_square", "pow", lambda a: a**2, lambda a: a**2, normal(3, 4), scale=pointwise),
    case("pow_cube_fn", "pow", lambda a: nl.pow(a, 3), lambda a: torch.pow(a, 3), normal(5),
         scale=pointwise),
    case("pow_half", "pow", lambda a: a**0.5, lambda a: a**0.5, uniform(4, 3, lo=0.5, hi=2.0),
         scale=pointwise),
    case("pow_negative", "pow", lambda a: a**-1.5, lambda a: a**-1.5,
         uniform(6, lo=0.5, hi=2.0), scale=pointwise),
    case("pow_zero_exponent", "pow", lambda a: a**0, lambda a: a**0, fixed([0.0, 1.0, -2.0]),
         scale=pointwise),
    case("pow_tensor", "pow", lambda a, b: a**b, lambda a, b: a**b,
         uniform(2, 3, lo=0.5, hi=2.0), normal(3), scale=pointwise),
    case("pow_tensor_broadcast", "pow", nl.pow, torch.pow,
         uniform(4, 1, lo=0.5, hi=2.0), normal(1, 3), scale=pointwise),
    case("rpow", "pow", lambda b: 2.0**b, lambda b: 2.0**b, normal(3, 2), scale=pointwise),
    # a − b·floor(a/b): exact but for one rounding of size |b| where the signs differ; the
    # gradient w.r.t. b is −g·floor(a/b) (a and b keep clear of the jumps at a/b ∈ ℤ)
    case("remainder", "remainder", nl.remainder, torch.remainder, normal(3, 4, scale=3.0),
         away(4, gap=0.5), scale=via(torch.add)),
    case("remainder_scalar", "remainder", lambda a: a % 1.5, lambda a: a % 1.5,
         normal(3, 2, scale=3.0), scale=via(lambda a: a + 1.5)),
    case("neg", "neg", lambda a: -a, lambda a: -a, normal(3, 4)),
    case("neg_fn", "neg", nl.neg, torch.neg, normal(2)),
]

LINALG = [
    case("matmul_2d", "matmul", lambda a, b: a @ b, lambda a, b: a @ b,
         normal(3, 4), normal(4, 5)),
    case("matmul_batched", "matmul", nl.matmul, torch.matmul, normal(2, 3, 4), normal(2, 4, 5)),
    case("matmul_batched_broadcast", "matmul", nl.matmul, torch.matmul,
         normal(2, 1, 3, 4), normal(3, 4, 2)),
    case("matmul_batched_2d", "matmul", nl.matmul, torch.matmul, normal(2, 3, 4), normal(4, 2)),
    case("matmul_1d_2d", "matmul", nl.matmul, torch.matmul, normal(4), normal(4, 3)),
    case("matmul_2d_1d", "matmul", nl.matmul, torch.matmul, normal(3, 4), normal(4)),
    case("matmul_1d_1d", "matmul", nl.matmul, torch.matmul, normal(5), normal(5)),
    case("matmul_1d_3d", "matmul", nl.matmul, torch.matmul, normal(4), normal(2, 4, 3)),
    case("matmul_3d_1d", "matmul", nl.matmul, torch.matmul, normal(2, 3, 4), normal(4)),
    case("mm", "mm", nl.mm, torch.mm, normal(3, 4), normal(4, 2)),
    case("mm_method", "mm", lambda a, b: a.mm(b), lambda a, b: a.mm(b), normal(2, 5),
         normal(5, 3)),
    case("matmul_const_right", "matmul", lambda a, b: a @ b, lambda a, b: a @ b,
         normal(3, 4), const(normal(4, 2))),
    case("linear", "linear", F.linear, TF.linear, normal(5, 4), normal(3, 4), normal(3)),
    case("linear_no_bias", "linear", F.linear, TF.linear, normal(5, 4), normal(3, 4)),
    case("linear_3d", "linear", F.linear, TF.linear, normal(2, 5, 4), normal(3, 4), normal(3)),
    case("linear_3d_no_bias", "linear", F.linear, TF.linear, normal(2, 3, 4), normal(2, 4)),
    case("linear_1d", "linear", F.linear, TF.linear, normal(4), normal(3, 4), normal(3)),
    case("linear_const_weight", "linear", F.linear, TF.linear, normal(5, 4), const(normal(3, 4)),
         normal(3)),
]


def _reduction_cases(name: str, nl_fn: Callable, torch_fn: Callable, maker: Maker,
                     scale: Callable[[Callable], Scale] = multilinear) -> list[Case]:
    rows = []
    for label, kwargs, torch_kwargs in [
        ("all", {}, {}),
        ("axis1", {"axis": 1}, {"dim": 1}),
        ("axis_neg", {"axis": -1}, {"dim": -1}),
        ("axis_tuple", {"axis": (0, 2)}, {"dim": (0, 2)}),
        ("axis_tuple_neg", {"axis": (0, -1)}, {"dim": (0, -1)}),
        ("keepdims_all", {"keepdims": True}, {"dim": (0, 1, 2), "keepdim": True}),
        ("keepdims_axis", {"axis": 1, "keepdims": True}, {"dim": 1, "keepdim": True}),
        ("dim_keepdim", {"dim": (1, 2), "keepdim": True}, {"dim": (1, 2), "keepdim": True}),
        ("axis_list", {"axis": [0, 1]}, {"dim": [0, 1]}),
        ("dim_empty", {"dim": ()}, {"dim": ()}),  # PyTorch: an empty dim list reduces all
        ("dim_list_unsorted", {"dim": [2, -3]}, {"dim": [2, -3]}),
    ]:
        rows.append(case(
            f"{name}_{label}", name,
            lambda x, k=kwargs: nl_fn(x, **k),
            lambda x, k=torch_kwargs: torch_fn(x, **k),
            maker, scale=scale,
        ))
    return rows


NAN_ROWS = [[1.0, np.nan, 2.0, np.nan], [0.5, -1.0, 3.0, 2.0]]
TIES = [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [0.0, -1.0, 0.0]]

REDUCTIONS = [
    *_reduction_cases("sum", nl.sum, torch.sum, normal(2, 3, 4)),
    *_reduction_cases("mean", nl.mean, torch.mean, normal(2, 3, 4)),
    *_reduction_cases("amax", nl.amax, torch.amax, distinct(2, 3, 4), routing),
    *_reduction_cases("amin", nl.amin, torch.amin, distinct(2, 3, 4), routing),
    case("sum_method", "sum", lambda x: x.sum(axis=0), lambda x: x.sum(0), normal(3, 2)),
    case("sum_positional_keepdim", "sum", lambda x: nl.sum(x, 1, True),
         lambda x: torch.sum(x, 1, True), normal(3, 2)),
    case("sum_dtype_float64", "sum", lambda x: x.sum(1, dtype=nl.float64),
         lambda x: x.sum(1, dtype=torch.float64), normal(3, 2)),
    case("mean_method", "mean", lambda x: x.mean(dim=1), lambda x: x.mean(1), normal(3, 2)),
    case("mean_dtype_float64", "mean", lambda x: x.mean(dtype=nl.float64),
         lambda x: x.mean(dtype=torch.float64), normal(3, 2)),
    case("sum_0d", "sum", nl.sum, torch.sum, normal()),
    case("sum_0d_axis0", "sum", lambda x: x.sum(axis=0), lambda x: x.sum(0), normal()),
    case("mean_0d_axis_neg", "mean", lambda x: x.mean(axis=-1, keepdims=True),
         lambda x: x.mean(-1, keepdim=True), normal()),
    case("amax_method", "amax", lambda x: x.amax(0), lambda x: x.amax(0), distinct(3, 2),
         scale=routing),
    case("amax_0d_axis0", "amax", lambda x: x.amax(dim=0), lambda x: x.amax(0), normal(),
         scale=routing),
    case("amin_0d_keepdim", "amin", lambda x: nl.amin(x, -1, True),
         lambda x: torch.amin(x, -1, True), normal(), scale=routing),
    # amax/amin: tied extremes share the gradient; a NaN extreme gives NaN gradients
    case("amax_ties_axis", "amax", lambda x: nl.amax(x, axis=1), lambda x: x.amax(1),
         fixed(TIES), scale=routing),
    case("amax_ties_all", "amax", nl.amax, torch.amax, fixed([[3.0, 1.0], [3.0, 3.0]]),
         scale=routing),
    case("amax_ties_keepdims", "amax", lambda x: nl.amax(x, axis=0, keepdims=True),
         lambda x: x.amax(0, keepdim=True), fixed([[5.0, 1.0], [5.0, 2.0], [0.0, 2.0]]),
         scale=routing),
    case("amin_ties_tuple", "amin", lambda x: x.amin((0, 1)), lambda x: x.amin((0, 1)),
         fixed(TIES), scale=routing),
    case("amax_nan", "amax", lambda x: x.amax(1), lambda x: x.amax(1), fixed(NAN_ROWS),
         scale=routing),
    # max()/min() without a dim: a 0-d value; tied extremes share the gradient (MaxBackward1)
    case("max_all", "max", nl.max, torch.max, distinct(2, 3, 4), scale=routing),
    case("max_method_all", "max", lambda x: x.max(), lambda x: x.max(), distinct(3, 2),
         scale=routing),
    case("max_0d", "max", nl.max, torch.max, normal(), scale=routing),
    case("max_ties_all", "max", nl.max, torch.max, fixed([[3.0, 1.0], [3.0, 3.0]]),
         scale=routing),
    case("max_nan_all", "max", nl.max, torch.max, fixed(NAN_ROWS), scale=routing),
    case("min_all", "min", nl.min, torch.min, distinct(2, 3, 4), scale=routing),
    case("min_ties_all", "min", lambda x: x.min(), lambda x: x.min(), fixed(TIES),
         scale=routing),
    case("min_nan_all", "min", nl.min, torch.min, fixed(NAN_ROWS), scale=routing),
    # max(dim)/min(dim): (values, indices); the gradient goes to the indexed element only
    case("max_dim_values", "max", lambda x: nl.max(x, 1).values,
         lambda x: torch.max(x, 1).values, distinct(2, 3, 4), scale=routing),
    case("max_dim_neg_keepdim", "max", lambda x: x.max(dim=-1, keepdim=True).values,
         lambda x: x.max(dim=-1, keepdim=True).values, distinct(2, 3, 4), scale=routing),
    case("max_dim_axis_keyword", "max", lambda x: x.max(axis=0)[0], lambda x: x.max(0)[0],
         distinct(3, 2), scale=routing),
    case("max_dim_unpacked", "max", lambda x: nl.max(x, 0, True)[0],
         lambda x: torch.max(x, 0, True)[0], distinct(4, 3), scale=routing),
    case("max_dim_0d", "max", lambda x: x.max(dim=0).values, lambda x: x.max(0).values,
         normal(), scale=routing),
    case("max_dim_0d_keepdim", "max", lambda x: x.max(-1, keepdim=True).values,
         lambda x: x.max(-1, keepdim=True).values, normal(), scale=routing),
    case("max_dim_ties", "max", lambda x: x.max(1).values, lambda x: x.max(1).values,
         fixed(TIES), scale=routing),
    case("max_dim_ties_keepdim", "max", lambda x: nl.max(x, 0, keepdim=True).values,
         lambda x: torch.max(x, 0, keepdim=True).values,
         fixed([[5.0, 1.0], [5.0, 2.0], [0.0, 2.0]]), scale=routing),
    case("max_dim_nan", "max", lambda x: x.max(1).values, lambda x: x.max(1).values,
         fixed(NAN_ROWS), scale=routing),
    case("min_dim_values", "min", lambda x: nl.min(x, 2).values,
         lambda x: torch.min(x, 2).values, distinct(2, 3, 4), scale=routing),
    case("min_dim_keepdim", "min", lambda x: x.min(0, keepdim=True)[0],
         lambda x: x.min(0, keepdim=True)[0], distinct(3, 4), scale=routing),
    case("min_dim_ties", "min", lambda x: x.min(-1).values, lambda x: x.min(-1).values,
         fixed(TIES), scale=routing),
    case("min_dim_nan", "min", lambda x: x.min(1).values, lambda x: x.min(1).values,
         fixed(NAN_ROWS), scale=routing),
]

def _var_std_cases(name: str) -> list[Case]:
    """var/std over every dim, one dim, a tuple, with keepdim, the corrections and unbiased."""
    scale = var_scale if name == "var" else std_scale
    rows = []
    for label, kwargs, torch_kwargs, magnitude in [
        ("all", {}, {}, {}),
        ("dim", {"dim": 1}, {"dim": 1}, {"dim": 1}),
        ("dim_neg_keepdim", {"dim": -1, "keepdim": True}, {"dim": -1, "keepdim": True},
         {"dim": -1, "keepdim": True}),
        ("dim_tuple", {"dim": (0, 2)}, {"dim": (0, 2)}, {"dim": (0, 2)}),
        ("all_dims_given", {"dim": (0, 1, 2)}, {"dim": (0, 1, 2)}, {"dim": (0, 1, 2)}),
        ("unbiased_false", {"unbiased": False}, {"unbiased": False}, {"correction": 0}),
        ("positional_unbiased", {"dim": 1, "unbiased": False, "keepdim": True},
         {"dim": 1, "unbiased": False, "keepdim": True},
         {"dim": 1, "keepdim": True, "correction": 0}),
        ("correction_2", {"dim": 1, "correction": 2}, {"dim": 1, "correction": 2},
         {"dim": 1, "correction": 2}),
        ("correction_half", {"correction": 0.5}, {"correction": 0.5}, {"correction": 0.5}),
        ("axis_keepdims", {"axis": 2, "keepdims": True}, {"dim": 2, "keepdim": True},
         {"dim": 2, "keepdim": True}),
    ]:
        rows.append(case(
            f"{name}_{label}", name,
            lambda x, k=kwargs: getattr(nl, name)(x, **k),
            lambda x, k=torch_kwargs: getattr(torch, name)(x, **k),
            normal(2, 3, 4), scale=scale(**magnitude),
        ))
    return rows


ORDER_TIES = [[3.0, 1.0, 3.0, 2.0, 1.0, 0.5], [0.0, -1.0, 0.0, 5.0, 5.0, 5.0]]
ORDER_NAN = [[3.0, np.nan, 1.0, np.nan, 2.0], [0.5, -1.0, 4.0, 2.0, -3.0]]

ORDERINGS = [
    *_var_std_cases("var"),
    *_var_std_cases("std"),
    case("var_method_positional_bool", "var", lambda x: x.var(False),
         lambda x: x.var(False), normal(3, 4), scale=var_scale(correction=0)),
    case("std_method_dim", "std", lambda x: x.std(0), lambda x: x.std(0), normal(5, 2),
         scale=std_scale(dim=0)),
    case("var_0d_like_row", "var", lambda x: x.var(dim=-1), lambda x: x.var(dim=-1),
         normal(4, 2), scale=var_scale(dim=-1)),
    # sort/topk: copies of the input (the gradient scattered back by the indices); torch's CPU
    # sort is stable, so tied values route their gradients alike
    case("sort_values", "sort", lambda x: x.sort().values, lambda x: x.sort().values,
         normal(3, 5), scale=routing),
    case("sort_descending_dim0", "sort", lambda x: nl.sort(x, 0, True)[0],
         lambda x: torch.sort(x, 0, True)[0], normal(4, 3), scale=routing),
    case("sort_stable_3d", "sort", lambda x: x.sort(dim=1, stable=True).values,
         lambda x: x.sort(dim=1, stable=True).values, normal(2, 4, 3), scale=routing),
    case("sort_ties", "sort", lambda x: x.sort().values, lambda x: x.sort().values,
         fixed(ORDER_TIES), scale=routing),
    case("sort_ties_descending", "sort", lambda x: x.sort(descending=True).values,
         lambda x: x.sort(descending=True).values, fixed(ORDER_TIES), scale=routing),
    case("sort_nan", "sort", lambda x: x.sort(-1).values, lambda x: x.sort(-1).values,
         fixed(ORDER_NAN), scale=routing),
    case("sort_nan_descending", "sort", lambda x: x.sort(-1, True).values,
         lambda x: x.sort(-1, True).values, fixed(ORDER_NAN), scale=routing),
    case("sort_0d", "sort", lambda x: x.sort(0).values, lambda x: x.sort(0).values, normal(),
         scale=routing),
    case("topk", "topk", lambda x: x.topk(2).values, lambda x: x.topk(2).values,
         distinct(3, 5), scale=routing),
    case("topk_smallest_dim0", "topk", lambda x: nl.topk(x, 3, 0, False)[0],
         lambda x: torch.topk(x, 3, 0, False)[0], distinct(4, 3), scale=routing),
    case("topk_unsorted_keyword", "topk", lambda x: x.topk(k=1, dim=1, sorted=False).values,
         lambda x: x.topk(k=1, dim=1, sorted=False).values, distinct(2, 4, 3), scale=routing),
    case("topk_all", "topk", lambda x: x.topk(5).values, lambda x: x.topk(5).values,
         distinct(2, 5), scale=routing),
    case("topk_nan", "topk", lambda x: x.topk(2).values, lambda x: x.topk(2).values,
         fixed([[3.0, np.nan, 1.0, 2.0], [0.5, -1.0, 4.0, 2.0]]), scale=routing),
]

ELEMENTWISE = [
    case("exp", "exp", nl.exp, torch.exp, normal(3, 4), scale=pointwise),
    case("exp_method", "exp", lambda x: x.exp(), torch.exp, normal(5), scale=pointwise),
    case("log", "log", nl.log, torch.log, uniform(3, 4, lo=0.1, hi=3.0), scale=pointwise),
    case("sqrt", "sqrt", nl.sqrt, torch.sqrt, uniform(3, 4, lo=0.1, hi=3.0), scale=pointwise),
    case("abs", "abs", nl.abs, torch.abs, away(3, 4), scale=pointwise),
    case("abs_at_zero", "abs", nl.abs, torch.abs, fixed([-1.0, 0.0, 2.0]), scale=pointwise),
    case("clip", "clip", lambda x: nl.clip(x, -0.5, 0.5), lambda x: x.clamp(-0.5, 0.5),
         normal(4, 5), scale=pointwise),
    case("clip_at_bounds", "clip", lambda x: x.clip(-0.5, 0.5), lambda x: x.clamp(-0.5, 0.5),
         fixed([-1.0, -0.5, -0.25, 0.0, 0.5, 0.75]), scale=pointwise),
    case("clamp_min", "clamp", lambda x: x.clamp(min=0.0), lambda x: x.clamp(min=0.0),
         fixed([-1.0, 0.0, 0.25, 2.0]), scale=pointwise),
    case("clamp_max", "clamp", lambda x: nl.clamp(x, max=1.0), lambda x: x.clamp(max=1.0),
         fixed([-1.0, 0.5, 1.0, 2.0]), scale=pointwise),
    case("to_float64", "to", lambda x: x.to(nl.float64), lambda x: x.to(torch.float64),
         normal(3, 2)),
    case("to_float32", "to", lambda x: nl.to(x, nl.float32), lambda x: x.to(torch.float32),
         normal(3, 2)),
    case("double", "to", lambda x: x.double(), lambda x: x.double(), normal(3)),
    case("float", "to", lambda x: x.float(), lambda x: x.float(), normal(3)),
    case("sin", "sin", nl.sin, torch.sin, normal(3, 4, scale=2.0), scale=pointwise),
    case("sin_method", "sin", lambda x: x.sin(), torch.sin, fixed([0.0, np.pi / 2, -3.0]),
         scale=pointwise),
    case("cos", "cos", nl.cos, torch.cos, normal(3, 4, scale=2.0), scale=pointwise),
    case("cos_method", "cos", lambda x: x.cos(), torch.cos, fixed([0.0, np.pi, -3.0]),
         scale=pointwise),
    # x + v·a·b and x + v·a/b; a negative v is a subtraction, counted in magnitude (via)
    case("addcmul", "addcmul", lambda x, a, b: nl.addcmul(x, a, b, value=0.5),
         lambda x, a, b: torch.addcmul(x, a, b, value=0.5), normal(3, 4), normal(3, 1),
         normal(4)),
    case("addcmul_negative_value", "addcmul", lambda x, a, b: x.addcmul(a, b, value=-2),
         lambda x, a, b: x.addcmul(a, b, value=-2), normal(3, 4), normal(3, 4), normal(3, 4),
         scale=via(lambda x, a, b: torch.addcmul(x, a, b, value=2))),
    case("addcmul_default_value", "addcmul", nl.addcmul, torch.addcmul, normal(2, 3),
         normal(2, 3), const(normal(3))),
    case("addcdiv", "addcdiv", lambda x, a, b: nl.addcdiv(x, a, b, value=0.5),
         lambda x, a, b: torch.addcdiv(x, a, b, value=0.5), normal(3, 4), normal(3, 1),
         away(4, gap=0.5)),
    case("addcdiv_negative_value", "addcdiv", lambda x, a, b: x.addcdiv(a, b, value=-1.5),
         lambda x, a, b: x.addcdiv(a, b, value=-1.5), normal(3, 4), normal(3, 4),
         away(3, 4, gap=0.5), scale=via(lambda x, a, b: torch.addcdiv(x, a, b, value=1.5))),
    case("addcdiv_default_value", "addcdiv", nl.addcdiv, torch.addcdiv, normal(2, 3),
         normal(2, 3), away(2, 3, gap=0.5)),
    # masked_fill: the value where the mask holds, x (and its gradient) elsewhere
    case("masked_fill", "masked_fill", lambda x, m: nl.masked_fill(x, m, -1.5),
         lambda x, m: torch.masked_fill(x, m, -1.5), normal(3, 4), const(MASK)),
    case("masked_fill_broadcast_mask", "masked_fill", lambda x, m: x.masked_fill(m, 0.0),
         lambda x, m: x.masked_fill(m, 0.0), normal(2, 3, 4),
         const(np.array([True, False, False, True]))),
    case("masked_fill_tensor_condition", "masked_fill",
         lambda x: x.masked_fill(x < 0, float("-inf")).exp(),
         lambda x: x.masked_fill(x < 0, float("-inf")).exp(), away(3, 4), scale=pointwise),
    case("masked_fill_0d_tensor_value", "masked_fill",
         lambda x, m: x.masked_fill(m, nl.tensor(2.0)),
         lambda x, m: x.masked_fill(m, torch.tensor(2.0)), normal(3, 4), const(MASK)),
    # the 2-norm √(Σ x²): all terms positive, so relative to the norm itself (multilinear)
    case("norm", "norm", nl.norm, torch.norm, normal(3, 4)),
    case("norm_dim_keepdim", "norm", lambda x: x.norm(2, 1, True),
         lambda x: x.norm(2, 1, True), normal(3, 4)),
    case("norm_dim_tuple", "norm", lambda x: x.norm(dim=(0, -1)),
         lambda x: x.norm(dim=(0, -1)), normal(2, 3, 4)),
    # maximum/minimum: a copy of the larger (smaller); ties share the gradient, a NaN gives it
    # to both operands
    case("maximum", "maximum", nl.maximum, torch.maximum, normal(3, 4), normal(3, 4),
         scale=routing),
    case("maximum_broadcast", "maximum", lambda a, b: a.maximum(b), lambda a, b: a.maximum(b),
         normal(2, 3, 1), normal(4), scale=routing),
    case("maximum_ties_nan", "maximum", nl.maximum, torch.maximum,
         fixed([1.0, 2.0, np.nan, 3.0, -1.0, np.nan]), fixed([1.0, 3.0, 1.0, np.nan, -1.0, np.nan]),
         scale=routing),
    case("max_of_two_tensors", "maximum", lambda a, b: nl.max(a, b), lambda a, b: torch.max(a, b),
         normal(3, 4), normal(4), scale=routing),
    case("max_method_tensor_ties", "maximum", lambda a, b: a.max(b), lambda a, b: a.max(b),
         fixed([[0.0, 1.0], [2.0, 2.0]]), fixed([0.0, 2.0]), scale=routing),
    case("minimum", "minimum", nl.minimum, torch.minimum, normal(3, 4), normal(1, 4),
         scale=routing),
    case("minimum_ties_nan", "minimum", lambda a, b: a.minimum(b), lambda a, b: a.minimum(b),
         fixed([1.0, 2.0, np.nan, 3.0]), fixed([1.0, 3.0, 1.0, np.nan]), scale=routing),
    case("min_of_two_tensors", "minimum", lambda a, b: a.min(b), lambda a, b: a.min(b),
         normal(2, 3), normal(2, 3), scale=routing),
    case("clone", "clone", lambda x: x.clone(), lambda x: x.clone(), normal(2, 3)),
    case("clone_then_mul", "clone", lambda x: x.clone() * x, lambda x: x.clone() * x,
         normal(2, 3)),
]

SHAPE = [
    case("reshape", "reshape", lambda x: x.reshape(4, 3), lambda x: x.reshape(4, 3),
         normal(2, 6)),
    case("reshape_tuple_infer", "reshape", lambda x: nl.reshape(x, (-1,)),
         lambda x: x.reshape(-1), normal(2, 3, 2)),
    case("view", "view", lambda x: x.view(3, -1), lambda x: x.view(3, -1), normal(6, 2)),
    case("flatten", "flatten", lambda x: x.flatten(1), lambda x: x.flatten(1), normal(2, 3, 4)),
    case("unsqueeze", "unsqueeze", lambda x: x.unsqueeze(-1), lambda x: x.unsqueeze(-1),
         normal(2, 3)),
    case("squeeze", "squeeze", lambda x: x.squeeze(), lambda x: x.squeeze(), normal(2, 1, 3, 1)),
    case("squeeze_dim", "squeeze", lambda x: x.squeeze(-2), lambda x: x.squeeze(-2),
         normal(2, 1, 3)),
    case("transpose", "transpose", lambda x: x.transpose(0, 2), lambda x: x.transpose(0, 2),
         normal(2, 3, 4)),
    case("transpose_default", "transpose", lambda x: nl.transpose(x),
         lambda x: x.transpose(-2, -1), normal(2, 3, 4)),
    case("permute", "permute", lambda x: x.permute(2, 0, 1), lambda x: x.permute(2, 0, 1),
         normal(2, 3, 4)),
    case("permute_tuple_neg", "permute", lambda x: x.permute((-1, 0, 1)),
         lambda x: x.permute(-1, 0, 1), normal(2, 3, 4)),
    case("view_as", "view_as", lambda x, o: x.view_as(nl.tensor(o)),
         lambda x, o: x.view_as(o), normal(2, 6), const(normal(3, 4))),
    case("reshape_as", "reshape_as", lambda x, o: x.reshape_as(nl.tensor(o)),
         lambda x, o: x.reshape_as(o), normal(2, 3, 2), const(normal(4, 3))),
    case("expand", "expand", lambda x: x.expand(2, 3, 4), lambda x: x.expand(2, 3, 4),
         normal(3, 1)),
    case("expand_keep_minus_one", "expand", lambda x: x.expand((4, -1, -1, 5)),
         lambda x: x.expand((4, -1, -1, 5)), normal(2, 3, 1)),
    case("expand_0d", "expand", lambda x: x.expand(3, 2), lambda x: x.expand(3, 2), normal()),
    case("expand_then_mul", "expand", lambda x, y: x.expand(3, 4) * y,
         lambda x, y: x.expand(3, 4) * y, normal(1, 4), normal(3, 4)),
    case("expand_as", "expand_as", lambda x, o: x.expand_as(nl.tensor(o)),
         lambda x, o: x.expand_as(o), normal(3, 1), const(normal(2, 3, 4))),
    case("flip", "flip", lambda x: x.flip(0), lambda x: x.flip(0), normal(3, 4)),
    case("flip_dims", "flip", lambda x: nl.flip(x, (0, -1)), lambda x: torch.flip(x, (0, -1)),
         normal(2, 3, 4)),
    case("flip_varargs", "flip", lambda x: x.flip(1, 2), lambda x: x.flip(1, 2),
         normal(2, 3, 4)),
    case("t", "t", lambda x: x.t(), lambda x: x.t(), normal(3, 4)),
    case("t_1d", "t", nl.t, torch.t, normal(4)),
    case("T_2d", (), lambda x: x.T, lambda x: x.T, normal(3, 4)),
    case("T_3d", (), lambda x: x.T, lambda x: x.permute(2, 1, 0), normal(2, 3, 4)),
    case("mT", (), lambda x: x.mT, lambda x: x.mT, normal(2, 3, 4)),
    case("index_slices", (), lambda x: x[1:, ::2], lambda x: x[1:, ::2], normal(4, 5)),
    case("index_int_ellipsis", (), lambda x: x[..., 1], lambda x: x[..., 1], normal(2, 3, 4)),
    case("index_none_neg", (), lambda x: x[None, -1], lambda x: x[None, -1], normal(3, 4)),
    case("index_negative_step", (), lambda x: x[::-1], lambda x: x.flip(0), normal(4, 2)),
    case("index_int_array", (), lambda x: x[np.array([2, 0, 3])],
         lambda x: x[torch.tensor([2, 0, 3])], normal(4, 3)),
    case("index_repeated_list", (), lambda x: x[[0, 0, 2]], lambda x: x[[0, 0, 2]],
         normal(3, 2)),
    case("index_repeated_pairs", (), lambda x: x[[0, 2, 0], [1, 1, 1]],
         lambda x: x[[0, 2, 0], [1, 1, 1]], normal(3, 2)),
    case("index_slice_and_array", (), lambda x: x[1:, [0, 0, 3]],
         lambda x: x[1:, [0, 0, 3]], normal(3, 4)),
    case("index_tensor", (), lambda x: x[nl.Tensor(np.array([1, 1, 0]))],
         lambda x: x[torch.tensor([1, 1, 0])], normal(2, 3)),
    case("index_bool_mask", (), lambda x: x[MASK], lambda x: x[torch.from_numpy(MASK)],
         normal(3, 4)),
    case("index_bool_rows", (), lambda x: x[np.array([True, False, True])],
         lambda x: x[torch.tensor([True, False, True])], normal(3, 2)),
    case("concatenate", "concatenate", lambda a, b: nl.concatenate([a, b]),
         lambda a, b: torch.cat([a, b]), normal(2, 3), normal(4, 3)),
    case("cat_dim_neg", "cat", lambda a, b, c: nl.cat([a, b, c], dim=-1),
         lambda a, b, c: torch.cat([a, b, c], dim=-1), normal(2, 1), normal(2, 3), normal(2, 2)),
    case("cat_axis1", "concatenate", lambda a, b: nl.concatenate((a, b), axis=1),
         lambda a, b: torch.cat((a, b), 1), normal(2, 1, 3), normal(2, 2, 3)),
    case("stack", "stack", lambda a, b: nl.stack([a, b]), lambda a, b: torch.stack([a, b]),
         normal(2, 3), normal(2, 3)),
    case("stack_axis_neg", "stack", lambda a, b, c: nl.stack([a, b, c], dim=-1),
         lambda a, b, c: torch.stack([a, b, c], -1), normal(2, 3), normal(2, 3), normal(2, 3)),
    case("stack_axis1", "stack", lambda a, b: nl.stack([a, b], axis=1),
         lambda a, b: torch.stack([a, b], 1), normal(4), normal(4)),
    # gather/scatter: copies by an index (the index itself is data, not differentiated)
    case("gather", "gather", lambda x, i: x.gather(1, nl.tensor(i)),
         lambda x, i: x.gather(1, i), normal(3, 4), index_along((3, 5), 4, 1, repeats=True),
         scale=routing),
    case("gather_dim0_smaller", "gather", lambda x, i: nl.gather(x, 0, nl.tensor(i)),
         lambda x, i: torch.gather(x, 0, i), normal(4, 3), index_along((2, 2), 4, 0, True),
         scale=routing),
    case("gather_3d_neg", "gather", lambda x, i: x.gather(-1, nl.tensor(i)),
         lambda x, i: x.gather(-1, i), normal(2, 3, 4), index_along((2, 3, 6), 4, 2, True),
         scale=routing),
    case("gather_int32_index", "gather", lambda x, i: x.gather(0, nl.tensor(i)),
         lambda x, i: x.gather(0, i), normal(5), const(np.array([4, 0, 0], dtype=np.int32)),
         scale=routing),
    case("scatter_src", "scatter", lambda x, i, s: x.scatter(0, nl.tensor(i), s),
         lambda x, i, s: x.scatter(0, i, s), normal(3, 5), index_along((2, 4), 3, 0),
         normal(2, 4), scale=routing),
    case("scatter_fn_dim1", "scatter", lambda x, i, s: nl.scatter(x, 1, nl.tensor(i), s),
         lambda x, i, s: torch.scatter(x, 1, i, s), normal(2, 4), index_along((2, 3), 4, 1),
         normal(2, 3), scale=routing),
    case("scatter_value", "scatter", lambda x, i: x.scatter(1, nl.tensor(i), 2.5),
         lambda x, i: x.scatter(1, i, 2.5), normal(3, 4), index_along((3, 2), 4, 1),
         scale=routing),
    case("scatter_value_keyword", "scatter", lambda x, i: x.scatter(0, nl.tensor(i), value=-1),
         lambda x, i: x.scatter(0, i, value=-1), normal(4), const(np.array([3, 1])),
         scale=routing),
    case("scatter_0d_index", "scatter", lambda x: x.scatter(0, nl.tensor(2), 1.0),
         lambda x: x.scatter(0, torch.tensor(2), 1.0), normal(4), scale=routing),
    case("scatter_add", "scatter_add", lambda x, i, s: x.scatter_add(0, nl.tensor(i), s),
         lambda x, i, s: x.scatter_add(0, i, s), normal(3, 4),
         index_along((5, 4), 3, 0, repeats=True), normal(5, 4)),
    case("scatter_add_fn_dim1", "scatter_add",
         lambda x, i, s: nl.scatter_add(x, 1, nl.tensor(i), s),
         lambda x, i, s: torch.scatter_add(x, 1, i, s), normal(2, 3),
         index_along((2, 4), 3, 1, repeats=True), normal(2, 4)),
    case("where", "where", lambda c, a, b: nl.where(c, a, b),
         lambda c, a, b: torch.where(c, a, b),
         const(np.array([[True], [False], [True]])), normal(3, 4), normal(4)),
    case("where_scalar", "where", lambda c, a: nl.where(c, a, 0.0),
         lambda c, a: torch.where(c, a, 0.0), const(MASK), normal(3, 4)),
    case("where_tensor_condition", "where", lambda a: nl.where(a > 0, a, a * 0.1),
         lambda a: torch.where(a > 0, a, a * 0.1), away(3, 4)),
]

ACTIVATIONS = [
    case("step", "step", nl.step, lambda x: (x > 0).to(x.dtype) + 0 * x,
         fixed([-2.0, -0.5, 0.0, 0.5, 3.0]), scale=pointwise),
    case("step_method", "step", lambda x: x.step(), lambda x: (x > 0).to(x.dtype) + 0 * x,
         normal(3, 4), scale=pointwise),
    case("sigmoid", "sigmoid", nl.sigmoid, torch.sigmoid, normal(3, 4, scale=3.0), scale=SIGMOID),
    case("sigmoid_extreme", "sigmoid", lambda x: x.sigmoid(), torch.sigmoid,
         fixed([-1e4, -700.0, -50.0, -1.0, 0.0, 1.0, 50.0, 700.0, 1e4]), scale=SIGMOID),
    case("tanh", "tanh", nl.tanh, torch.tanh, normal(3, 4, scale=2.0), scale=TANH),
    case("relu", "relu", F.relu, TF.relu, away(3, 4), scale=pointwise),
    case("relu_at_zero", "relu", lambda x: x.relu(), TF.relu, fixed([-1.0, 0.0, 2.0]),
         scale=pointwise),
    case("leaky_relu", "leaky_relu", F.leaky_relu, TF.leaky_relu, away(3, 4), scale=pointwise),
    case("leaky_relu_slope", "leaky_relu", lambda x: F.leaky_relu(x, 0.2),
         lambda x: TF.leaky_relu(x, 0.2), away(3, 4), scale=pointwise),
    case("leaky_relu_at_zero", "leaky_relu", lambda x: x.leaky_relu(negative_slope=0.3),
         lambda x: TF.leaky_relu(x, 0.3), fixed([-1.0, 0.0, 2.0]), scale=pointwise),
    case("softmax", "softmax", lambda x: F.softmax(x, -1), lambda x: TF.softmax(x, -1),
         normal(3, 4),
         scale=fixed_scale(softmax_scale(-1))),
    case("softmax_axis0", "softmax", lambda x: F.softmax(x, axis=0),
         lambda x: TF.softmax(x, 0), normal(3, 4),
         scale=fixed_scale(softmax_scale(0))),
    case("softmax_dim1_3d", "softmax", lambda x: x.softmax(dim=1),
         lambda x: TF.softmax(x, 1), normal(2, 3, 4),
         scale=fixed_scale(softmax_scale(1))),
    case("softmax_extreme", "softmax", lambda x: F.softmax(x, dim=-1),
         lambda x: TF.softmax(x, -1),
         fixed(LOGITS_EXTREME), scale=fixed_scale(softmax_scale(-1))),
    case("log_softmax", "log_softmax", lambda x: F.log_softmax(x, -1),
         lambda x: TF.log_softmax(x, -1),
         normal(3, 4), scale=fixed_scale(log_softmax_scale(-1))),
    case("log_softmax_axis0_3d", "log_softmax", lambda x: x.log_softmax(axis=0),
         lambda x: TF.log_softmax(x, 0), normal(2, 3, 4),
         scale=fixed_scale(log_softmax_scale(0))),
    case("log_softmax_extreme", "log_softmax", lambda x: F.log_softmax(x, dim=1),
         lambda x: TF.log_softmax(x, 1), fixed(LOGITS_EXTREME),
         scale=fixed_scale(log_softmax_scale(1))),
]


def _reductions(name: str, ops: str, nl_fn: Callable, torch_fn: Callable,
                *makers: Maker, scale: Callable[[str, Callable], Scale],
                **kwargs: Any) -> list[Case]:
    """One case per reduction ('mean', 'sum', 'none') with the same extra keyword arguments;
    ``scale(reduction, torch_fn)`` gives each its tolerance scale."""
    return [
        case(f"{name}_{r}", ops,
             lambda *a, r=r: nl_fn(*a, reduction=r, **kwargs),
             lambda *a, r=r: torch_fn(*a, reduction=r, **kwargs), *makers,
             scale=lambda fn, r=r: scale(r, fn))
        for r in ("mean", "sum", "none")
    ]


def ce(**options: Any) -> Callable[[str, Callable], Scale]:
    """cross_entropy's scale (``_scales.cross_entropy_scale``) for the given options."""
    return lambda r, _fn: cross_entropy_scale(r, **options)


def bce(**options: Any) -> Callable[[str, Callable], Scale]:
    return lambda r, _fn: binary_cross_entropy_scale(r, **options)


def bcel(**options: Any) -> Callable[[str, Callable], Scale]:
    return lambda r, _fn: bce_with_logits_scale(r, **options)


# (x − t)² on |x| and −|t|: (|x| + |t|)², the terms of the difference counted in magnitude
MSE = lambda r, fn: multilinear(lambda x, t: fn(x, -t))  # noqa: E731
# −w·x[t] on |x|: w·|x[t]| (÷ Σw for 'mean'), its gradient w·|g| (÷ Σw)
NLL_SCALE = lambda r, fn: multilinear(lambda x, *a: fn(-x, *a))  # noqa: E731


def _with_weight(nl_fn: Callable, torch_fn: Callable, **kwargs: Any) -> tuple[Callable, Callable]:
    """Callables whose last input is a class-weight array (Const) passed as ``weight=``."""
    return (lambda *a, **k: nl_fn(*a[:-1], weight=a[-1], **kwargs, **k),
            lambda *a, **k: torch_fn(*a[:-1], weight=a[-1], **kwargs, **k))


def _cee_torch(y: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    y2 = y.reshape(1, -1) if y.ndim == 1 else y
    if t.dtype == torch.int64:
        t2 = t.reshape(-1)
        return -torch.log(y2[torch.arange(y2.shape[0]), t2] + 1e-7).sum() / y2.shape[0]
    return -(t.reshape(y2.shape) * torch.log(y2 + 1e-7)).sum() / y2.shape[0]


def _cee_terms(y: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """The magnitudes of −Σ t·ln(y + 1e-7)/N's terms: t·(|ln(y + 1e-7)| + 1), 1 for the
    rounding of y + 1e-7 (a relative error of y + 1e-7 is an absolute error of its log); its
    gradient's magnitude t/(y + 1e-7)/N is the real one's."""
    y2 = y.reshape(1, -1) if y.ndim == 1 else y
    t2 = (TF.one_hot(t.reshape(-1), y2.shape[1]).to(y.dtype) if t.dtype == torch.int64
          else t.reshape(y2.shape))
    return (t2 * (torch.log(y2 + 1e-7).abs() + 1)).sum() / y2.shape[0]


CEE = via(_cee_terms)


CE = (F.cross_entropy, TF.cross_entropy)
NLL = (F.nll_loss, TF.nll_loss)
BCE = (F.binary_cross_entropy, TF.binary_cross_entropy)
BCEL = (F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits)

LOSSES = [
    *_reductions("mse", "mse_loss", F.mse_loss, TF.mse_loss, normal(4, 3), normal(4, 3),
                 scale=MSE),
    case("mse_const_target", "mse_loss", F.mse_loss, TF.mse_loss, normal(5), const(normal(5)),
         scale=lambda fn: MSE("mean", fn)),
    # |x − t| on |x| and −|t|, as MSE's: |x| + |t| (x and t never equal: no kink)
    *_reductions("l1", "l1_loss", F.l1_loss, TF.l1_loss, normal(4, 3), normal(4, 3), scale=MSE),
    case("l1_const_target", "l1_loss", F.l1_loss, TF.l1_loss, normal(2, 3),
         const(normal(2, 3)), scale=lambda fn: MSE("mean", fn)),
    # cross_entropy, class-index targets
    *_reductions("ce_index", "cross_entropy", *CE, normal(6, 4), labels(6, classes=4),
                 scale=ce()),
    *_reductions("ce_weight", "cross_entropy", *_with_weight(*CE), normal(6, 4),
                 labels(6, classes=4), const(uniform(4, lo=0.2, hi=2.0)),
                 scale=ce(weighted=True)),
    *_reductions("ce_ignore", "cross_entropy", *CE, normal(6, 4), const(CE_TARGET_IGNORED),
                 scale=ce()),
    *_reductions("ce_ignore_custom", "cross_entropy", *CE, normal(6, 4),
                 const([0, 1, 3, 1, 2, 2]), ignore_index=1, scale=ce(ignore_index=1)),
    *_reductions("ce_weight_ignore", "cross_entropy", *_with_weight(*CE), normal(6, 4),
                 const(CE_TARGET_IGNORED), const(uniform(4, lo=0.2, hi=2.0)),
                 scale=ce(weighted=True)),
    *_reductions("ce_smoothing", "cross_entropy", *CE, normal(6, 4), labels(6, classes=4),
                 label_smoothing=0.1, scale=ce(label_smoothing=0.1)),
    *_reductions("ce_smoothing_weight_ignore", "cross_entropy",
                 *_with_weight(*CE, label_smoothing=0.3, ignore_index=1), normal(6, 4),
                 const([0, 1, 3, 1, 2, 2]), const(uniform(4, lo=0.2, hi=2.0)),
                 scale=ce(weighted=True, label_smoothing=0.3, ignore_index=1)),
    case("ce_smoothing_full", "cross_entropy", lambda x, t: F.cross_entropy(
        x, t, label_smoothing=1.0), lambda x, t: TF.cross_entropy(x, t, label_smoothing=1.0),
        normal(5, 3), labels(5, classes=3),
        scale=fixed_scale(cross_entropy_scale("mean", label_smoothing=1.0))),
    case("ce_target_as_tensor", "cross_entropy",
         lambda x, t: F.cross_entropy(x, nl.Tensor(t)), TF.cross_entropy, normal(3, 5),
         labels(3, classes=5), scale=fixed_scale(cross_entropy_scale("mean"))),
    # cross_entropy, probability targets
    *_reductions("ce_probs", "cross_entropy", *CE, normal(5, 4), probabilities(5, 4),
                 scale=ce()),
    *_reductions("ce_probs_weight", "cross_entropy", *_with_weight(*CE), normal(5, 4),
                 probabilities(5, 4), const(uniform(4, lo=0.2, hi=2.0)),
                 scale=ce(weighted=True)),
    *_reductions("ce_probs_smoothing", "cross_entropy", *_with_weight(*CE, label_smoothing=0.2),
                 normal(5, 4), probabilities(5, 4), const(uniform(4, lo=0.2, hi=2.0)),
                 scale=ce(weighted=True, label_smoothing=0.2)),
    # cross_entropy, unbatched and spatial inputs
    *_reductions("ce_1d", "cross_entropy", *CE, normal(5), const(np.array(3)), scale=ce()),
    *_reductions("ce_1d_probs", "cross_entropy", *CE, normal(5), probabilities(5, axis=0),
                 scale=ce()),
    case("ce_1d_smoothing_weight", "cross_entropy",
         *_with_weight(*CE, label_smoothing=0.1), normal(4), const(np.array(2)),
         const(uniform(4, lo=0.2, hi=2.0)),
         scale=fixed_scale(cross_entropy_scale("mean", weighted=True, label_smoothing=0.1))),
    *_reductions("ce_spatial", "cross_entropy", *CE, normal(2, 4, 3), labels(2, 3, classes=4),
                 scale=ce()),
    *_reductions("ce_spatial_weight_ignore_smooth", "cross_entropy",
                 *_with_weight(*CE, ignore_index=0, label_smoothing=0.2), normal(2, 4, 3),
                 labels(2, 3, classes=4), const(uniform(4, lo=0.2, hi=2.0)),
                 scale=ce(weighted=True, ignore_index=0, label_smoothing=0.2)),
    *_reductions("ce_spatial_2d", "cross_entropy", *CE, normal(2, 3, 2, 2),
                 labels(2, 2, 2, classes=3), scale=ce()),
    *_reductions("ce_spatial_probs", "cross_entropy", *CE, normal(2, 4, 3),
                 probabilities(2, 4, 3, axis=1), scale=ce()),
    *_reductions("ce_extreme_logits", "cross_entropy", *CE, fixed(LOGITS_EXTREME),
                 const([0, 1, 0, 2]), scale=ce()),
    case("ce_extreme_logits_probs", "cross_entropy", *CE, fixed(LOGITS_EXTREME),
         probabilities(4, 3), scale=fixed_scale(cross_entropy_scale("mean"))),
    # nll_loss
    *_reductions("nll", "nll_loss", *NLL, normal(6, 4), labels(6, classes=4), scale=NLL_SCALE),
    *_reductions("nll_weight", "nll_loss", *_with_weight(*NLL), normal(6, 4),
                 labels(6, classes=4), const(uniform(4, lo=0.2, hi=2.0)), scale=NLL_SCALE),
    *_reductions("nll_ignore", "nll_loss", *NLL, normal(6, 4), const(CE_TARGET_IGNORED),
                 scale=NLL_SCALE),
    *_reductions("nll_weight_ignore_custom", "nll_loss",
                 *_with_weight(*NLL, ignore_index=3), normal(6, 4), const([0, 3, 3, 1, 2, 0]),
                 const(uniform(4, lo=0.2, hi=2.0)), scale=NLL_SCALE),
    *_reductions("nll_all_ignored", "nll_loss", *NLL, normal(3, 4), const([-100, -100, -100]),
                 scale=NLL_SCALE),
    # cross_entropy_error: the textbook formula on probabilities
    case("cee_one_hot", "cross_entropy_error", F.cross_entropy_error, _cee_torch,
         softmax_rows(5, 4), one_hot(5, 4), scale=CEE),
    case("cee_index", "cross_entropy_error", F.cross_entropy_error, _cee_torch,
         softmax_rows(5, 4), labels(5, classes=4), scale=CEE),
    case("cee_1d_index", "cross_entropy_error", F.cross_entropy_error, _cee_torch,
         softmax_rows(4), const(np.array(1)), scale=CEE),
    case("cee_1d_one_hot", "cross_entropy_error", F.cross_entropy_error, _cee_torch,
         softmax_rows(4), const(np.eye(4)[2]), scale=CEE),
    case("cee_zero_probability", "cross_entropy_error", F.cross_entropy_error, _cee_torch,
         fixed([[0.0, 1.0], [0.5, 0.5]]), const(np.array([0, 1])), scale=CEE),
    # binary_cross_entropy
    *_reductions("bce", "binary_cross_entropy", *BCE, uniform(4, 3, lo=0.05, hi=0.95),
                 const(uniform(4, 3, lo=0.0, hi=1.0)), scale=bce()),
    *_reductions("bce_weight", "binary_cross_entropy", *_with_weight(*BCE),
                 uniform(4, 3, lo=0.05, hi=0.95), const(uniform(4, 3, lo=0, hi=1)),
                 const(uniform(3, lo=0.2, hi=2.0)), scale=bce(weighted=True)),
    case("bce_target_grad", "binary_cross_entropy", *BCE, uniform(5, lo=0.05, hi=0.95),
         uniform(5, lo=0.0, hi=1.0), scale=fixed_scale(binary_cross_entropy_scale("mean"))),
    case("bce_saturated", "binary_cross_entropy", lambda p, t: F.binary_cross_entropy(
        p, t, reduction="none"), lambda p, t: TF.binary_cross_entropy(p, t, reduction="none"),
         fixed([0.0, 1.0, 0.0, 1.0, 0.5]), const(np.array([1.0, 0.0, 0.0, 1.0, 0.5])),
         scale=fixed_scale(binary_cross_entropy_scale("none"))),
    # binary_cross_entropy_with_logits
    *_reductions("bcel", "binary_cross_entropy_with_logits", *BCEL, normal(4, 3, scale=3.0),
                 const(uniform(4, 3, lo=0, hi=1)), scale=bcel()),
    *_reductions("bcel_weight", "binary_cross_entropy_with_logits", *_with_weight(*BCEL),
                 normal(4, 3, scale=3.0), const(uniform(4, 3, lo=0, hi=1)),
                 const(uniform(3, lo=0.2, hi=2.0)), scale=bcel(weighted=True)),
    *_reductions("bcel_pos_weight", "binary_cross_entropy_with_logits",
                 lambda x, t, pw, **k: F.binary_cross_entropy_with_logits(x, t, pos_weight=pw, **k),
                 lambda x, t, pw, **k: TF.binary_cross_entropy_with_logits(x, t, pos_weight=pw,
                                                                           **k),
                 normal(4, 3, scale=3.0), const(uniform(4, 3, lo=0, hi=1)),
                 const(uniform(3, lo=0.2, hi=3.0)), scale=bcel(pos_weighted=True)),
    case("bcel_weight_and_pos_weight", "binary_cross_entropy_with_logits",
         lambda x, t, w, pw: F.binary_cross_entropy_with_logits(x, t, w, pos_weight=pw),
         lambda x, t, w, pw: TF.binary_cross_entropy_with_logits(x, t, w, pos_weight=pw),
         normal(4, 3), const(uniform(4, 3, lo=0, hi=1)), const(uniform(4, 1, lo=0.2, hi=2.0)),
         const(uniform(3, lo=0.2, hi=3.0)),
         scale=fixed_scale(bce_with_logits_scale("mean", weighted=True, pos_weighted=True))),
    case("bcel_target_grad", "binary_cross_entropy_with_logits",
         lambda x, t, pw: F.binary_cross_entropy_with_logits(x, t, pos_weight=pw),
         lambda x, t, pw: TF.binary_cross_entropy_with_logits(x, t, pos_weight=pw),
         normal(6, scale=2.0), uniform(6, lo=0.0, hi=1.0), const(uniform(6, lo=0.5, hi=2.0)),
         scale=fixed_scale(bce_with_logits_scale("mean", pos_weighted=True))),
    *_reductions("bcel_large_logits", "binary_cross_entropy_with_logits",
                 lambda x, t, pw, **k: F.binary_cross_entropy_with_logits(x, t, pos_weight=pw, **k),
                 lambda x, t, pw, **k: TF.binary_cross_entropy_with_logits(x, t, pos_weight=pw,
                                                                           **k),
                 fixed([-1e4, -100.0, -30.0, 0.0, 30.0, 100.0, 1e4]),
                 const(np.array([0.0, 1.0, 0.3, 0.5, 0.0, 1.0, 0.7])),
                 const(np.full(7, 2.0)), scale=bcel(pos_weighted=True)),
]

# CNN ops: one row each here (so every registered op is covered); the sweep over strides,
# paddings, dilations and layouts is in test_conv_vs_torch.py.
CNN = [
    case("conv2d", "conv2d", lambda x, w, b: F.conv2d(x, w, b, 2, 1, (1, 2)),
         lambda x, w, b: TF.conv2d(x, w, b, 2, 1, (1, 2)), normal(2, 3, 7, 8), normal(4, 3, 3, 2),
         normal(4)),
    case("max_pool2d", "max_pool2d", lambda x: F.max_pool2d(x, 3, 2, 1),
         lambda x: TF.max_pool2d(x, 3, 2, 1), distinct(2, 3, 7, 6), scale=routing),
    case("avg_pool2d", "avg_pool2d", lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
         lambda x: TF.avg_pool2d(x, 3, 2, 1, count_include_pad=False), normal(2, 3, 7, 6)),
    case("adaptive_avg_pool2d", "adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, (3, 4)),
         lambda x: TF.adaptive_avg_pool2d(x, (3, 4)), normal(2, 3, 7, 6)),
    case("batch_norm", "batch_norm",
         lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
         lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True),
         normal(4, 3, 2, 5), normal(3), normal(3),
         scale=fixed_scale(batch_norm_scale(None, None, training=True))),
]

# Area tables: each tests/ops/_cases_<area>.py holds CASES (and optionally EXACT_CASES) rows
# built with _case_kit; every one of them runs through all the tests of this file.
AREA_TABLES = [importlib.import_module(path.stem)
               for path in sorted(Path(__file__).parent.glob("_cases_*.py"))]

CASES = [*ARITHMETIC, *LINALG, *REDUCTIONS, *ORDERINGS, *ELEMENTWISE, *SHAPE, *ACTIVATIONS,
         *LOSSES, *CNN, *(row for table in AREA_TABLES for row in table.CASES)]
DTYPES = {"float64": np.float64, "float32": np.float32}

# ------------------------------------------------------- ops with exact, non-differentiable results

# Indices, truth values and integer results: compared exactly (values, dtype, shape) and
# checked to leave the graph, as in PyTorch. Float inputs require grad in both libraries;
# integer and boolean inputs are passed as they are.


def ints(*shape: int, lo: int = -3, hi: int = 4, dtype: type = np.int64) -> Maker:
    return lambda rng: Const(rng.integers(lo, hi, shape).astype(dtype))


def bools(*shape: int) -> Maker:
    return lambda rng: Const(rng.random(shape) < 0.5)


def nonzero_ints(*shape: int) -> Maker:
    """Integers in ±[1, 3]: divisors."""
    return lambda rng: Const(rng.integers(1, 4, shape) * rng.choice([-1, 1], shape))


def sparse(*shape: int) -> Maker:
    """Floats with about half of them exactly 0 (for all/any)."""
    return lambda rng: np.where(rng.random(shape) < 0.5, 0.0, rng.standard_normal(shape))


WITH_ZERO_ROW = [[0.0, 1.0, -2.0], [0.0, 0.0, 0.0], [3.0, -1.0, 0.5]]

EXACT_CASES = [
    # argmax/argmin: int64 indices; the first of ties; a NaN counts as the extreme
    case("argmax", "argmax", nl.argmax, torch.argmax, distinct(3, 4)),
    case("argmax_dim", "argmax", lambda x: x.argmax(1), lambda x: x.argmax(1), normal(3, 4, 2)),
    case("argmax_dim_neg_keepdim", "argmax", lambda x: nl.argmax(x, dim=-1, keepdim=True),
         lambda x: torch.argmax(x, dim=-1, keepdim=True), normal(3, 4)),
    case("argmax_axis_keyword", "argmax", lambda x: x.argmax(axis=0),
         lambda x: x.argmax(dim=0), normal(3, 4)),
    case("argmax_keepdim_no_dim", "argmax", lambda x: x.argmax(keepdim=True),
         lambda x: x.argmax(keepdim=True), distinct(2, 3, 2)),
    case("argmax_0d", "argmax", nl.argmax, torch.argmax, normal()),
    case("argmax_0d_dim", "argmax", lambda x: x.argmax(0, keepdim=True),
         lambda x: x.argmax(0, keepdim=True), normal()),
    case("argmax_ties", "argmax", lambda x: x.argmax(1), lambda x: x.argmax(1), fixed(TIES)),
    case("argmax_ties_flat", "argmax", nl.argmax, torch.argmax, fixed([[1.0, 3.0], [3.0, 0.0]])),
    case("argmax_nan", "argmax", lambda x: x.argmax(1), lambda x: x.argmax(1), fixed(NAN_ROWS)),
    case("argmax_int", "argmax", lambda x: x.argmax(0), lambda x: x.argmax(0), ints(4, 3)),
    case("argmin", "argmin", nl.argmin, torch.argmin, distinct(3, 4)),
    case("argmin_dim_keepdim", "argmin", lambda x: x.argmin(0, True),
         lambda x: x.argmin(0, True), normal(3, 4, 2)),
    case("argmin_ties", "argmin", lambda x: x.argmin(-1), lambda x: x.argmin(-1), fixed(TIES)),
    case("argmin_nan", "argmin", lambda x: x.argmin(1), lambda x: x.argmin(1), fixed(NAN_ROWS)),
    case("argmin_int32", "argmin", nl.argmin, torch.argmin, ints(5, dtype=np.int32)),
    # max(dim)/min(dim)'s indices (and values of integer tensors, which carry no gradient)
    case("max_indices", "max", lambda x: nl.max(x, 1).indices, lambda x: torch.max(x, 1).indices,
         normal(3, 4, 2)),
    case("max_indices_keepdim_neg", "max", lambda x: x.max(-1, keepdim=True)[1],
         lambda x: x.max(-1, keepdim=True)[1], normal(3, 4)),
    case("max_indices_ties", "max", lambda x: x.max(1).indices, lambda x: x.max(1).indices,
         fixed(TIES)),
    case("max_indices_nan", "max", lambda x: x.max(1).indices, lambda x: x.max(1).indices,
         fixed(NAN_ROWS)),
    case("max_indices_0d", "max", lambda x: x.max(0).indices, lambda x: x.max(0).indices,
         normal()),
    case("max_int_values", "max", lambda x: x.max(0).values, lambda x: x.max(0).values,
         ints(4, 3)),
    case("max_int_all", "max", nl.max, torch.max, ints(4, 3, dtype=np.int32)),
    case("max_bool_indices", "max", lambda x: x.max(0).indices, lambda x: x.max(0).indices,
         bools(4, 3)),
    case("min_indices", "min", lambda x: nl.min(x, 0).indices, lambda x: torch.min(x, 0).indices,
         normal(3, 4)),
    case("min_indices_ties", "min", lambda x: x.min(1)[1], lambda x: x.min(1)[1], fixed(TIES)),
    case("min_int_values", "min", lambda x: x.min(-1, True).values,
         lambda x: x.min(-1, True).values, ints(4, 3)),
    case("amax_int", "amax", lambda x: x.amax((0, 1)), lambda x: x.amax((0, 1)), ints(2, 3, 2)),
    case("amin_bool", "amin", lambda x: x.amin(1), lambda x: x.amin(1), bools(3, 4)),
    # sums of integers and booleans are int64; mean needs a float dtype
    case("sum_bool", "sum", nl.sum, torch.sum, bools(3, 4)),
    case("sum_bool_dim", "sum", lambda x: x.sum(1), lambda x: x.sum(1), bools(3, 4)),
    case("sum_int32", "sum", lambda x: x.sum(0, keepdim=True), lambda x: x.sum(0, keepdim=True),
         ints(3, 4, dtype=np.int32)),
    case("sum_uint8", "sum", nl.sum, torch.sum, ints(5, lo=0, hi=200, dtype=np.uint8)),
    case("sum_int_dtype_int32", "sum", lambda x: x.sum(dtype=nl.int32),
         lambda x: x.sum(dtype=torch.int32), ints(3, 4)),
    case("mean_int_dtype", "mean", lambda x: x.mean(1, dtype=nl.float64),
         lambda x: x.mean(1, dtype=torch.float64), ints(3, 4)),
    # all/any: bool results (uint8 for uint8 input, as PyTorch); () reduces nothing here
    case("all", "all", nl.all, torch.all, sparse(3, 4)),
    case("all_dim", "all", lambda x: x.all(1), lambda x: x.all(1), fixed(WITH_ZERO_ROW)),
    case("all_dim_tuple_keepdim", "all", lambda x: x.all(dim=(0, 2), keepdim=True),
         lambda x: x.all(dim=(0, 2), keepdim=True), sparse(2, 3, 2)),
    case("all_dim_empty", "all", lambda x: x.all(dim=()), lambda x: x.all(dim=()), sparse(2, 3)),
    case("all_bool", "all", lambda x: x.all(-1), lambda x: x.all(-1), bools(4, 2)),
    case("all_int", "all", lambda x: x.all(0), lambda x: x.all(0), ints(3, 4, lo=0, hi=3)),
    case("all_uint8", "all", lambda x: x.all(1), lambda x: x.all(1),
         ints(3, 4, lo=0, hi=2, dtype=np.uint8)),
    case("all_0d", "all", lambda x: x.all(0), lambda x: x.all(0), fixed(0.0)),
    case("all_empty", "all", nl.all, torch.all, fixed(np.zeros((0, 3)))),
    case("any", "any", nl.any, torch.any, sparse(3, 4)),
    case("any_dim", "any", lambda x: x.any(1), lambda x: x.any(1), fixed(WITH_ZERO_ROW)),
    case("any_dim_neg_keepdim", "any", lambda x: nl.any(x, -1, True),
         lambda x: torch.any(x, -1, True), sparse(3, 4)),
    case("any_bool_tuple", "any", lambda x: x.any((0, 1)), lambda x: x.any((0, 1)), bools(2, 3)),
    case("any_uint8", "any", nl.any, torch.any, ints(4, lo=0, hi=2, dtype=np.uint8)),
    case("any_0d_keepdim", "any", lambda x: x.any(-1, keepdim=True),
         lambda x: x.any(-1, keepdim=True), fixed(2.0)),
    case("any_empty_dim", "any", lambda x: x.any(0), lambda x: x.any(0), fixed(np.zeros((0, 3)))),
    case("all_nan", "all", lambda x: x.all(1), lambda x: x.all(1), fixed(NAN_ROWS)),
    # floor division (no derivative in torch: compared on constants), bitwise and logical ops
    case("floor_divide_int", "floor_divide", nl.floor_divide, torch.floor_divide, ints(3, 4),
         nonzero_ints(4)),
    case("floordiv_operator_int", "floor_divide", lambda a: a // 2, lambda a: a // 2,
         ints(3, 4, lo=-7, hi=8)),
    case("floor_divide_float", "floor_divide", lambda a, b: a // b, lambda a, b: a // b,
         const(normal(3, 4, scale=4.0)), const(away(4, gap=0.5))),
    case("bitwise_and", "bitwise_and", nl.bitwise_and, torch.bitwise_and, ints(3, 4, hi=16),
         ints(4, hi=16)),
    case("and_operator_bool", "bitwise_and", lambda a, b: a & b, lambda a, b: a & b,
         bools(3, 4), bools(3, 4)),
    case("bitwise_or", "bitwise_or", lambda a, b: a.bitwise_or(b), lambda a, b: a.bitwise_or(b),
         ints(2, 3, hi=16, dtype=np.int32), ints(2, 3, hi=16, dtype=np.int32)),
    case("or_operator_bool", "bitwise_or", lambda a, b: a | b, lambda a, b: a | b,
         bools(3, 4), bools(4)),
    case("bitwise_xor", "bitwise_xor", nl.bitwise_xor, torch.bitwise_xor, ints(5, hi=16),
         ints(5, hi=16)),
    case("xor_operator_bool", "bitwise_xor", lambda a, b: a ^ b, lambda a, b: a ^ b,
         bools(3, 4), bools(3, 4)),
    case("bitwise_not", "bitwise_not", nl.bitwise_not, torch.bitwise_not, ints(3, 4)),
    case("invert_operator_bool", "bitwise_not", lambda a: ~a, lambda a: ~a, bools(3, 4)),
    case("invert_operator_uint8", "bitwise_not", lambda a: ~a, lambda a: ~a,
         ints(4, lo=0, hi=256, dtype=np.uint8)),
    case("logical_and", "logical_and", nl.logical_and, torch.logical_and, sparse(3, 4),
         sparse(3, 4)),
    case("logical_and_int_bool", "logical_and", lambda a, b: a.logical_and(b),
         lambda a, b: a.logical_and(b), ints(3, 4, lo=0, hi=2), bools(4)),
    case("logical_or", "logical_or", nl.logical_or, torch.logical_or, sparse(3, 4),
         ints(3, 4, lo=0, hi=2)),
    case("logical_not", "logical_not", nl.logical_not, torch.logical_not, sparse(3, 4)),
    case("logical_not_int", "logical_not", lambda a: a.logical_not(),
         lambda a: a.logical_not(), ints(5, lo=0, hi=3)),
    # sort/argsort/topk indices (int64), and orderings of integer and bool tensors
    case("sort_indices", "sort", lambda x: x.sort(1).indices, lambda x: x.sort(1).indices,
         fixed(ORDER_TIES)),
    case("sort_indices_descending_nan", "sort", lambda x: x.sort(descending=True)[1],
         lambda x: x.sort(descending=True)[1], fixed(ORDER_NAN)),
    case("sort_int_values", "sort", lambda x: x.sort(0).values, lambda x: x.sort(0).values,
         ints(4, 3)),
    case("sort_bool_indices", "sort", lambda x: x.sort(stable=True).indices,
         lambda x: x.sort(stable=True).indices, bools(3, 5)),
    case("sort_uint8_descending", "sort", lambda x: nl.sort(x, descending=True).values,
         lambda x: torch.sort(x, descending=True).values, ints(6, lo=0, hi=9, dtype=np.uint8)),
    case("argsort", "argsort", nl.argsort, torch.argsort, fixed(ORDER_TIES)),
    case("argsort_descending_dim0", "argsort", lambda x: x.argsort(0, True),
         lambda x: x.argsort(0, True), fixed(ORDER_TIES)),
    case("argsort_stable_int", "argsort", lambda x: x.argsort(stable=True),
         lambda x: x.argsort(stable=True), ints(3, 6)),
    case("argsort_nan", "argsort", lambda x: x.argsort(dim=-1), lambda x: x.argsort(dim=-1),
         fixed(ORDER_NAN)),
    case("argsort_bool", "argsort", nl.argsort, torch.argsort, bools(7)),
    case("topk_indices", "topk", lambda x: x.topk(3).indices, lambda x: x.topk(3).indices,
         distinct(3, 5)),
    case("topk_indices_smallest", "topk", lambda x: x.topk(2, 0, largest=False)[1],
         lambda x: x.topk(2, 0, largest=False)[1], distinct(4, 3)),
    case("topk_int_values", "topk", lambda x: x.topk(2).values, lambda x: x.topk(2).values,
         ints(3, 5)),
    case("topk_zero", "topk", lambda x: x.topk(0).indices, lambda x: x.topk(0).indices,
         normal(2, 3)),
    # gather/scatter of integer and bool tensors
    case("gather_int", "gather", lambda x, i: x.gather(1, nl.tensor(i)),
         lambda x, i: x.gather(1, i), ints(3, 4), index_along((3, 2), 4, 1, repeats=True)),
    case("scatter_int_src", "scatter", lambda x, i, s: x.scatter(0, nl.tensor(i), nl.tensor(s)),
         lambda x, i, s: x.scatter(0, i, s), ints(3, 4), index_along((2, 4), 3, 0), ints(2, 4)),
    case("scatter_float_value_into_int", "scatter", lambda x, i: x.scatter(1, nl.tensor(i), 2.7),
         lambda x, i: x.scatter(1, i, 2.7), ints(2, 3), index_along((2, 1), 3, 1)),
    case("scatter_bool_value", "scatter", lambda x, i: x.scatter(0, nl.tensor(i), True),
         lambda x, i: x.scatter(0, i, True), bools(4), const(np.array([0, 2]))),
    case("scatter_negative_into_uint8", "scatter",
         lambda x, i: x.scatter(0, nl.tensor(i), -1), lambda x, i: x.scatter(0, i, -1),
         ints(4, lo=0, hi=9, dtype=np.uint8), const(np.array([1]))),
    case("scatter_add_int", "scatter_add", lambda x, i, s: x.scatter_add(1, nl.tensor(i),
                                                                         nl.tensor(s)),
         lambda x, i, s: x.scatter_add(1, i, s), ints(2, 3),
         index_along((2, 5), 3, 1, repeats=True), ints(2, 5)),
    case("maximum_int_float", "maximum", nl.maximum, torch.maximum, ints(3, 4),
         const(np.array(1.5))),
    case("maximum_bool", "maximum", nl.maximum, torch.maximum, bools(3, 4), bools(4)),
    case("minimum_uint8_int8", "minimum", nl.minimum, torch.minimum,
         ints(5, lo=0, hi=9, dtype=np.uint8), ints(5, dtype=np.int8)),
    case("flip_int", "flip", lambda x: x.flip(0), lambda x: x.flip(0), ints(3, 2)),
    case("expand_bool", "expand", lambda x: x.expand(3, -1), lambda x: x.expand(3, -1),
         bools(1, 4)),
    # equal(a, b) is a Python bool: True only for the same shape and values
    case("equal_same", "equal", lambda a: nl.tensor(nl.equal(a, a.clone())),
         lambda a: torch.tensor(torch.equal(a, a.clone())), normal(3, 4)),
    case("equal_different", "equal", lambda a, b: nl.tensor(nl.equal(a, b)),
         lambda a, b: torch.tensor(torch.equal(a, b)), ints(3, 4), ints(3, 4)),
    case("equal_shapes_differ", "equal", lambda a, b: nl.tensor(a.equal(b)),
         lambda a, b: torch.tensor(a.equal(b)), ints(3, 1, lo=0, hi=1), ints(3, lo=0, hi=1)),
]
EXACT_CASES += [row for table in AREA_TABLES for row in getattr(table, "EXACT_CASES", [])]

# ------------------------------------------------------------------------------- helpers


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(name.encode()))


@dataclass
class Built:
    """Both libraries' arguments from the same raw inputs, their differentiable leaves, and the
    inputs as given (floats in float64, for the tolerance scale) with which are leaves."""

    nl_args: list
    torch_args: list
    nl_leaves: list[nl.Tensor]
    torch_leaves: list[torch.Tensor]
    inputs: list[np.ndarray]
    is_leaf: list[bool]


def _build(c: Case, dtype: type) -> Built:
    rng = _rng(c.name)
    built = Built([], [], [], [], [], [])
    nl_args, torch_args = built.nl_args, built.torch_args
    nl_leaves, torch_leaves = built.nl_leaves, built.torch_leaves
    for maker in c.makers:
        raw = maker(rng)
        if isinstance(raw, Const):
            array = raw.array.astype(dtype) if raw.array.dtype.kind == "f" else raw.array
            nl_args.append(array.copy())
            torch_args.append(torch.from_numpy(array.copy()))
            built.is_leaf.append(False)
        else:
            array = np.asarray(raw, dtype=dtype)
            built.is_leaf.append(True)
            leaf = nl.Tensor(array.copy(), requires_grad=True)
            torch_leaf = torch.tensor(array.copy(), requires_grad=True)
            nl_args.append(leaf)
            torch_args.append(torch_leaf)
            nl_leaves.append(leaf)
            torch_leaves.append(torch_leaf)
        built.inputs.append(array.astype(np.float64) if array.dtype.kind == "f" else array)
    return built


def _assert_close(actual: np.ndarray, expected: np.ndarray, scale: np.ndarray, terms: int,
                  err_msg: str) -> None:
    """``assert_close``, with NaN allowed exactly where torch gives NaN (every target ignored:
    0/0, as torch)."""
    nan = np.isnan(expected)
    np.testing.assert_array_equal(np.isnan(actual), nan, err_msg=f"{err_msg}: NaN positions")
    assert_close(np.where(nan, 0, actual), np.where(nan, 0, expected),
                 scale=np.where(nan, 0, scale), terms=terms, err_msg=err_msg)


def _upstream(c: Case, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    return _rng("grad:" + c.name).standard_normal(shape).astype(dtype)


# --------------------------------------------------------------------------------- tests


def test_every_registered_op_has_a_case() -> None:
    covered = {OPS[name] for c in [*CASES, *EXACT_CASES] for name in c.ops}
    missing = sorted(name for name, fn in OPS.items() if fn not in covered)
    assert missing == [], f"ops without a PyTorch comparison case: {missing}"


def test_case_names_are_unique() -> None:
    names = [c.name for c in [*CASES, *EXACT_CASES]]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("dtype_name", DTYPES)
@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_value_and_grad_match_torch(c: Case, dtype_name: str,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    dtype = DTYPES[dtype_name]
    # Every gradient an op hands back passes through engine.unbroadcast: record its dtype, so
    # that an op promoting a float32 gradient to float64 mid-graph is caught, not hidden by
    # the cast at the leaf.
    seen: list[tuple[str, np.dtype]] = []
    original_unbroadcast = engine.unbroadcast

    def recording_unbroadcast(grad: np.ndarray, shape: tuple, op_name: str) -> np.ndarray:
        seen.append((op_name, grad.dtype))
        return original_unbroadcast(grad, shape, op_name)

    monkeypatch.setattr(engine, "unbroadcast", recording_unbroadcast)
    built = _build(c, dtype)
    nl_leaves, torch_leaves = built.nl_leaves, built.torch_leaves
    y = c.nl_fn(*built.nl_args)
    expected = c.torch_fn(*built.torch_args)

    assert isinstance(y, nl.Tensor)
    assert y.shape == tuple(expected.shape)
    assert y.dtype == expected.detach().numpy().dtype
    g = _upstream(c, y.shape, y.dtype)
    # Every element within SAFETY · terms · eps · scale, from the magnitudes of its terms.
    value_scale, grad_scales, terms = c.scale(c.torch_fn)(built.inputs, g, built.is_leaf)
    _assert_close(y.data, expected.detach().numpy(), value_scale, terms, "value")
    y.backward(g)
    expected.backward(torch.from_numpy(g.copy()))
    for i, (leaf, torch_leaf, grad_scale) in enumerate(zip(nl_leaves, torch_leaves, grad_scales,
                                                           strict=True)):
        torch_grad = (np.zeros(leaf.shape, dtype) if torch_leaf.grad is None
                      else torch_leaf.grad.numpy())
        assert leaf.grad is not None, f"input {i} received no gradient"
        assert leaf.grad.shape == leaf.shape
        assert leaf.grad.dtype == leaf.dtype, f"input {i}: grad dtype {leaf.grad.dtype}"
        _assert_close(leaf.grad, torch_grad, grad_scale, terms, f"gradient of input {i}")
    if dtype == np.float32 and "float64" not in c.name and "double" not in c.name:
        promoted = [(op, str(d)) for op, d in seen if d != np.float32]
        assert promoted == [], f"float32 graph produced other gradient dtypes: {promoted}"


# Rows finite differences cannot check, with the reason (their torch comparison above stands):
# rows placed on purpose where the derivative is a convention, not a limit.
NO_FINITE_DIFFERENCES: dict[str, str] = {
    **{c.name: "tied values: the gradient split is a convention (one-sided differences "
               "disagree)" for c in CASES if "ties" in c.name},
    **{c.name: "NaN inputs: no finite differences" for c in CASES if "nan" in c.name},
    "clip_at_bounds": "inputs exactly at the bounds: a kink",
    "clamp_min": "inputs exactly at the bound: a kink", "clamp_max": "inputs at the bound: a kink",
    "relu_at_zero": "x = 0: a kink (ReLU′(0) := 0)",
    "leaky_relu_at_zero": "x = 0: a kink (LeakyReLU′(0) := slope)",
    "step": "a step: 0 by convention, infinite at the jump",
    "to_float32": "the output is float32: differences at float64's eps are rounded away",
    "float": "the output is float32: differences at float64's eps are rounded away",
    "nll_all_ignored_mean": "every target ignored: 0/0, NaN by definition",
    "cee_zero_probability": "a probability of exactly 0: log is −inf",
    "bce_saturated": "probabilities of exactly 0 and 1: the log is clamped at −100",
}


def test_finite_difference_exclusions_name_existing_rows() -> None:
    assert set(NO_FINITE_DIFFERENCES) <= {c.name for c in CASES}


@pytest.mark.parametrize("c", [c for c in CASES if c.name not in NO_FINITE_DIFFERENCES],
                         ids=lambda c: c.name)
def test_gradient_matches_finite_differences(c: Case) -> None:
    """Every row's float64 gradient against central differences (``nl.gradcheck``): the
    derivative beside each forward is right on its own, not only in agreement with torch."""
    built = _build(c, np.float64)
    slots = [i for i, a in enumerate(built.nl_args) if any(a is leaf for leaf in built.nl_leaves)]
    if not slots:
        return  # a row without differentiable inputs (its torch comparison checks the values)

    def fn(*leaves: nl.Tensor) -> nl.Tensor:
        args = list(built.nl_args)
        for i, leaf in zip(slots, leaves):
            args[i] = leaf
        return c.nl_fn(*args)

    with np.errstate(all="ignore"):  # perturbed points may leave a domain; gradcheck says so
        assert nl.gradcheck(fn, *built.nl_leaves, eps=1e-6, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("dtype_name", DTYPES)
@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_backward_leaves_upstream_gradient_untouched(c: Case, dtype_name: str) -> None:
    built = _build(c, DTYPES[dtype_name])
    nl_leaves = built.nl_leaves
    y = c.nl_fn(*built.nl_args)
    g = _upstream(c, y.shape, y.dtype)
    g.flags.writeable = False
    before = g.copy()
    y.backward(g)  # a backward writing into grad_out raises "assignment destination is read-only"
    np.testing.assert_array_equal(g, before)
    assert not g.flags.writeable
    for leaf in nl_leaves:
        assert leaf.grad is not None and leaf.grad.shape == leaf.shape
        # the leaf owns its gradient (optimizers update it)
        assert leaf.grad.numpy().flags.writeable
        assert not np.shares_memory(leaf.grad, g)


@pytest.mark.parametrize("dtype_name", DTYPES)
@pytest.mark.parametrize("c", EXACT_CASES, ids=lambda c: c.name)
def test_exact_results_match_torch(c: Case, dtype_name: str) -> None:
    built = _build(c, DTYPES[dtype_name])
    # integer and boolean inputs as tensors too: methods are called on them
    args = [nl.tensor(a) if isinstance(a, np.ndarray) else a for a in built.nl_args]
    y = c.nl_fn(*args)
    expected = c.torch_fn(*built.torch_args)
    assert isinstance(y, nl.Tensor)
    assert y.shape == tuple(expected.shape)
    assert y.dtype == expected.numpy().dtype
    np.testing.assert_array_equal(y.numpy(), expected.numpy())
    assert not y.requires_grad and y.grad_fn is None
