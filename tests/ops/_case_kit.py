"""The row kit of the op tables (``test_ops_vs_torch.py`` and the ``_cases_*.py`` modules it
collects): input makers, ``Case``/``case`` and the tolerance-scale helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from _scales import Scale, multilinear, pointwise

import neuralab as nl

# ----------------------------------------------------------------------------- input makers

Maker = Callable[[np.random.Generator], Any]


@dataclass(frozen=True)
class Const:
    """An input that is not differentiated (float arrays still follow the dtype under test)."""

    array: np.ndarray


def normal(*shape: int, scale: float = 1.0) -> Maker:
    return lambda rng: scale * rng.standard_normal(shape)


def uniform(*shape: int, lo: float, hi: float) -> Maker:
    return lambda rng: rng.uniform(lo, hi, shape)


def away(*shape: int, gap: float = 0.2) -> Maker:
    """Random values with |x| >= gap: no input sits on a kink at 0."""
    return lambda rng: np.where(rng.random(shape) < 0.5, -1, 1) * (gap + rng.random(shape))


def distinct(*shape: int) -> Maker:
    """Values at least 0.5 apart, so a maximum is never a tie."""
    size = int(np.prod(shape))
    return lambda rng: (rng.permutation(size) * 0.5 + rng.uniform(0, 0.1, size)).reshape(shape)


def fixed(values: Any) -> Maker:
    return lambda rng: np.array(values, dtype=np.float64)


def const(maker_or_values: Any) -> Maker:
    if callable(maker_or_values):
        return lambda rng: Const(np.asarray(maker_or_values(rng)))
    return lambda rng: Const(np.asarray(maker_or_values))


def labels(*shape: int, classes: int) -> Maker:
    return lambda rng: Const(rng.integers(0, classes, shape))


def probabilities(*shape: int, axis: int = 1) -> Maker:
    def make(rng: np.random.Generator) -> Const:
        e = np.exp(rng.standard_normal(shape))
        return Const(e / e.sum(axis=axis, keepdims=True))

    return make


def one_hot(*shape: int) -> Maker:
    n, c = shape
    return lambda rng: Const(np.eye(c)[rng.integers(0, c, n)])


def softmax_rows(*shape: int) -> Maker:
    """Differentiable probabilities, as a network's softmax output would be."""

    def make(rng: np.random.Generator) -> np.ndarray:
        e = np.exp(rng.standard_normal(shape))
        return e / e.sum(axis=-1, keepdims=True)

    return make


def index_along(shape: tuple[int, ...], size: int, axis: int, repeats: bool = False) -> Maker:
    """An int64 index of ``shape`` for gather/scatter into a dim of ``size`` along ``axis``:
    distinct positions along ``axis`` (scatter writes each once, so torch's result does not
    depend on its order), or any positions with ``repeats``."""

    def make(rng: np.random.Generator) -> Const:
        if repeats:
            return Const(rng.integers(0, size, shape))
        moved = (shape[axis], *shape[:axis], *shape[axis + 1:])
        rows = [rng.permutation(size)[:shape[axis]] for _ in range(int(np.prod(moved[1:])))]
        index = np.array(rows).T.reshape(moved)
        return Const(np.moveaxis(index, 0, axis).astype(np.int64))

    return make


@dataclass(frozen=True)
class Case:
    name: str
    ops: tuple[str, ...]  # names in neuralab.ops.OPS this case exercises (for the coverage test)
    nl_fn: Callable[..., nl.Tensor]
    torch_fn: Callable[..., torch.Tensor]
    makers: tuple[Maker, ...]
    scale: Callable[[Callable], Scale]  # the case's torch callable -> its tolerance scale


def case(name: str, ops: str | tuple[str, ...], nl_fn: Callable, torch_fn: Callable,
         *makers: Maker, scale: Callable[[Callable], Scale] = multilinear) -> Case:
    """A row; ``scale`` defaults to ``multilinear`` (the op on |inputs|), right for every op
    that only adds, multiplies by non-negative coefficients or copies."""
    return Case(name, (ops,) if isinstance(ops, str) else ops, nl_fn, torch_fn, makers, scale)


def via(magnitude_fn: Callable[..., torch.Tensor]) -> Callable[[Callable], Scale]:
    """``multilinear`` through another torch callable: the op with its subtractions turned into
    additions (a + b for a − b), so that on |inputs| every term counts with its magnitude."""
    return lambda _torch_fn: multilinear(magnitude_fn)


def fixed_scale(scale: Scale) -> Callable[[Callable], Scale]:
    """A scale derived by hand for the case (a formula, not a torch callable)."""
    return lambda _torch_fn: scale


def _sigmoid_derivative_terms(x: torch.Tensor) -> torch.Tensor:
    y = torch.sigmoid(x)
    return y * (1 + y)  # σ′ = y·(1 − y): its terms y and y²


SIGMOID = lambda fn: pointwise(fn, derivative=_sigmoid_derivative_terms)  # noqa: E731
TANH = lambda fn: pointwise(fn, derivative=lambda x: 1 + torch.tanh(x) ** 2)  # noqa: E731


