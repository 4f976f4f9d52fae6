"""Resizing 4-D NCHW images: ``F.interpolate`` with modes 'nearest' and 'bilinear'.

Both modes are separable: each output row (column) is a weighted sum of one ('nearest') or
two ('bilinear') input rows (columns). So a resize is two gathers with per-position weights,
one along W then one along H — whole-array operations, never a loop over pixels or images.
The adjoint (the gradient) is again a gather along each axis: every input position collects
the few outputs that read it, with their weights (padded with weight-0 slots).

Coordinates follow PyTorch's CPU kernels: computed in float32 for float32 (and float16)
images, in float64 for float64 images; 'nearest' always in float32 (as torch's nearest_idx).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd.function import Function
from ..errors import ShapeError
from ..parallel import over_batch
from ..tensor import Tensor, to_array
from .registry import register

MODES = ("nearest", "bilinear")


def _nearest_taps(size_in: int, size_out: int, scale: float | None) -> list[tuple[Any, Any]]:
    """PyTorch's nearest_idx: src = min(⌊dst · s⌋, in − 1) in float32, s = 1/scale_factor if
    given else in/out (identity and exact 2× use integer paths in torch: same result)."""
    if size_out == size_in:
        return [(np.arange(size_out), None)]
    if size_out == 2 * size_in:
        return [(np.arange(size_out) // 2, None)]
    s = np.float32(1.0 / scale) if scale is not None and scale > 0 else (
        np.float32(size_in) / np.float32(size_out))
    src = np.floor(np.arange(size_out, dtype=np.float32) * s).astype(np.intp)
    return [(np.minimum(src, size_in - 1), None)]


def _linear_taps(size_in: int, size_out: int, scale: float | None, align_corners: bool,
                 dtype: np.dtype) -> list[tuple[Any, Any]]:
    """PyTorch's area_pixel_compute_source_index for linear modes: src = s·dst (align_corners)
    or max(s·(dst + ½) − ½, 0); x0 = ⌊src⌋, x1 = min(x0 + 1, in − 1), λ1 = src − x0 (at most 1),
    λ0 = 1 − λ1. s = (in − 1)/(out − 1) with align_corners (0 for out = 1), else
    1/scale_factor if given, else in/out."""
    if align_corners:
        s = dtype.type(size_in - 1) / dtype.type(size_out - 1) if size_out > 1 else dtype.type(0)
    elif scale is not None and scale > 0:
        s = dtype.type(1.0 / scale)
    else:
        s = dtype.type(size_in) / dtype.type(size_out)
    dst = np.arange(size_out, dtype=dtype)
    src = s * dst if align_corners else np.maximum(s * (dst + dtype.type(0.5)) - dtype.type(0.5),
                                                  dtype.type(0))
    x0 = np.minimum(np.floor(src).astype(np.intp), size_in - 1)
    x1 = np.minimum(x0 + 1, size_in - 1)
    lam1 = np.minimum(src - x0.astype(dtype), dtype.type(1))
    lam0 = dtype.type(1) - lam1
    return [(x0, lam0), (x1, lam1)]


def _gather(x: np.ndarray, taps: list[tuple[Any, Any]], axis: int) -> np.ndarray:
    """Σ_t w_t[o] · x.take(i_t[o]) along ``axis`` (w_t None: weight 1)."""
    shape = [1] * x.ndim
    shape[axis] = -1
    out = None
    for index, weight in taps:
        part = x.take(index, axis=axis)
        if weight is not None:
            part *= weight.reshape(shape)
        if out is None:
            out = part
        else:
            out += part
    assert out is not None
    return out


def _adjoint(taps: list[tuple[Any, Any]], size: int, dtype: np.dtype) -> list[tuple[Any, Any]]:
    """The taps of the transposed resampling: for input position i, slot j, the j-th of the
    (output o, weight w_t[o]) pairs that read i (at most r of them: r = the longest run of a
    source, plus one per extra tap), padded with weight 0 — so the gradient is a gather of r
    taps too, linear in the image size (a segment sum with reduceat ran ~10× slower)."""
    pairs_o = np.concatenate([np.arange(len(index)) for index, _ in taps])
    pairs_i = np.concatenate([index for index, _ in taps])
    pairs_w = np.concatenate([np.ones(len(index), dtype) if w is None else w.astype(dtype)
                              for index, w in taps])
    order = np.argsort(pairs_i, kind="stable")
    pairs_o, pairs_i, pairs_w = pairs_o[order], pairs_i[order], pairs_w[order]
    counts = np.bincount(pairs_i, minlength=size)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    slot = np.arange(len(pairs_i)) - first[pairs_i]
    r = int(counts.max())
    index = np.zeros((r, size), dtype=np.intp)
    weight = np.zeros((r, size), dtype=dtype)
    index[slot, pairs_i] = pairs_o
    weight[slot, pairs_i] = pairs_w
    return [(index[j], weight[j]) for j in range(r)]


class Interpolate(Function):
    """y = R_h x R_wᵀ per (n, c): R holds each output position's one ('nearest') or two
    ('bilinear', weights λ0, λ1) input positions.   dL/dx = R_hᵀ g R_w."""

    def forward(self, x: np.ndarray, size: tuple[int, int] = (1, 1),
                scales: tuple[Any, Any] = (None, None), mode: str = "nearest",
                align_corners: bool = False) -> np.ndarray:
        h, w = x.shape[2:]
        if mode == "nearest":
            rows = _nearest_taps(h, size[0], scales[0])
            cols = _nearest_taps(w, size[1], scales[1])
        else:
            dtype = np.dtype(np.float64 if x.dtype == np.float64 else np.float32)
            rows = _linear_taps(h, size[0], scales[0], align_corners, dtype)
            cols = _linear_taps(w, size[1], scales[1], align_corners, dtype)
            rows = [(i, lam.astype(x.dtype)) for i, lam in rows]
            cols = [(i, lam.astype(x.dtype)) for i, lam in cols]
        self.rows, self.cols, self.x_shape = rows, cols, x.shape
        y = np.empty((*x.shape[:2], *size), dtype=x.dtype)

        def chunk(lo: int, hi: int) -> None:
            y[lo:hi] = _gather(_gather(x[lo:hi], cols, 3), rows, 2)

        over_batch(chunk, x.shape[0], max(x[:1].nbytes, y[:1].nbytes))
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        h, w = self.x_shape[2:]
        grad = np.empty(self.x_shape, dtype=grad_out.dtype)
        rows = _adjoint(self.rows, h, grad_out.dtype)
        cols = _adjoint(self.cols, w, grad_out.dtype)

        def chunk(lo: int, hi: int) -> None:
            grad[lo:hi] = _gather(_gather(grad_out[lo:hi], rows, 2), cols, 3)

        over_batch(chunk, grad.shape[0], max(grad[:1].nbytes, grad_out[:1].nbytes))
        return grad


def _two(value: Any, name: str) -> tuple[Any, Any]:
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(
                f"Input and output must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of 2 and {name} of {tuple(value)}. Please "
                f"provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                f"(o1, o2, ...,oK) format.")
        return value[0], value[1]
    return value, value


@register(method=False)
def interpolate(input: Any, size: Any = None, scale_factor: Any = None,  # noqa: A002
                mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Tensor:
    """Resize a 4-D (N, C, H, W) image to ``size`` or by ``scale_factor``
    (``torch.nn.functional.interpolate``); modes 'nearest' and 'bilinear'. With
    ``scale_factor`` the output is ⌊H · scale⌋ × ⌊W · scale⌋ and the coordinates use
    1/scale_factor, unless ``recompute_scale_factor`` (then in/out, as with ``size``)."""
    if mode not in MODES:
        raise NotImplementedError(
            f"interpolate: mode {mode!r} is not supported (supported: 'nearest', 'bilinear')")
    if align_corners is not None and mode == "nearest":
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    x = to_array(input)
    ndim = np.ndim(x)
    if ndim != 4:
        if mode == "bilinear":
            raise NotImplementedError(f"Got {ndim}D input, but bilinear mode needs 4D input")
        raise NotImplementedError(f"interpolate: only 4-D (N, C, H, W) input is supported "
                                  f"here, got {ndim}-D")
    if np.asarray(x).dtype.kind != "f":
        raise NotImplementedError(f"interpolate: \"upsample_{mode}2d\" not implemented for "
                                  f"'{np.asarray(x).dtype}'")
    h, w = np.shape(x)[2:]
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        out = _two(size, "output size")
        if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in out):
            raise TypeError(f"interpolate: size must be an int or a pair of ints, got {size!r}")
        scales: tuple[Any, Any] = (None, None)
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    elif scale_factor is not None:
        factors = tuple(float(f) for f in _two(scale_factor, "scale_factor"))
        out = tuple(math.floor(float(n) * f) for n, f in zip((h, w), factors))
        scales = (None, None) if recompute_scale_factor else factors  # type: ignore[assignment]
    else:
        raise ValueError("either size or scale_factor should be defined")
    out = (int(out[0]), int(out[1]))
    if min(out) <= 0 or min(h, w) <= 0:
        raise ShapeError(f"interpolate: input and output sizes should be greater than 0, but got "
                         f"input (H: {h}, W: {w}) output (H: {out[0]}, W: {out[1]})")
    return Interpolate.apply(input, size=out, scales=scales, mode=mode,
                             align_corners=bool(align_corners))
