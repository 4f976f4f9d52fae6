"""2-D convolution (NCHW, PyTorch's cross-correlation) as im2col + one matrix product.

Layout: the columns are ordered (n, oh, ow) × (i, j, c) — channels last — so the forward pass
and both weight-side gradients are single large GEMMs on contiguous arrays, and the output
(N·OH·OW, O) is returned as an (N, O, OH, OW) *view* whose memory is NHWC. The next layer
(ReLU, pooling, another conv) then reads channels-last memory without any transpose copy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..autograd.function import Function
from ..tensor import Tensor
from ._chunks import over_batch
from .registry import register

# Below this many channels the per-(i, j) loops move too little data per call, so im2col copies
# one kernel offset at a time and col2im uses one GEMM; above it the 6-D strided copy (inner
# runs of C values) and one small GEMM per offset (contiguous accumulation) are faster.
_FEW_CHANNELS = 8


def _pair(value: Any, name: str, op: str, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints as a pair, each at least ``minimum``."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                 for v in pair):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return int(pair[0]), int(pair[1])


def _windows(x_nhwc: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
             dilation: tuple[int, int], out_hw: tuple[int, int]) -> np.ndarray:
    """The read-only view (N, OH, OW, kh, kw, C): element [n, h, w, i, j, c] is
    x[n, h·sh + i·dh, w·sw + j·dw, c] — every window, with no copy."""
    sn, sh_, sw_, sc = x_nhwc.strides
    n, _, _, c = x_nhwc.shape
    return as_strided(x_nhwc, (n, *out_hw, *kernel, c),
                      (sn, sh_ * stride[0], sw_ * stride[1], sh_ * dilation[0],
                       sw_ * dilation[1], sc), writeable=False)


def _offset_slice(i: int, j: int, stride: tuple[int, int], dilation: tuple[int, int],
                  out_hw: tuple[int, int]) -> tuple[slice, slice, slice]:
    """Index of the (N, OH, OW, C) block of NHWC pixels that kernel offset (i, j) reads."""
    top, left = i * dilation[0], j * dilation[1]
    return (slice(None), slice(top, top + stride[0] * (out_hw[0] - 1) + 1, stride[0]),
            slice(left, left + stride[1] * (out_hw[1] - 1) + 1, stride[1]))


def im2col(x_nhwc: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
           dilation: tuple[int, int], out_hw: tuple[int, int], ones: bool = False) -> np.ndarray:
    """cols (N·OH·OW, kh·kw·C [+ 1]): row (n, h, w) is window (h, w) of image n in (i, j, c)
    order, followed by a column of ones when ``ones`` (so the bias rides along in the GEMM)."""
    n, _, _, c = x_nhwc.shape
    width = kernel[0] * kernel[1] * c
    cols = np.empty((n * out_hw[0] * out_hw[1], width + ones), dtype=x_nhwc.dtype)
    size = cols.itemsize
    row = cols.strides[0]  # (width + ones) values
    body = as_strided(cols, (n, *out_hw, *kernel, c),  # the first `width` columns, 6-D
                      (row * out_hw[0] * out_hw[1], row * out_hw[1], row,
                       size * kernel[1] * c, size * c, size))

    def chunk(lo: int, hi: int) -> None:  # images lo..hi: independent rows of cols
        part = x_nhwc[lo:hi]
        if c >= _FEW_CHANNELS:
            body[lo:hi] = _windows(part, kernel, stride, dilation, out_hw)
        else:  # few channels: copy one kernel offset at a time (longer inner loops)
            for i in range(kernel[0]):
                for j in range(kernel[1]):
                    body[lo:hi, :, :, i, j, :] = part[_offset_slice(i, j, stride, dilation,
                                                                     out_hw)]
        if ones:
            cols[lo * out_hw[0] * out_hw[1]:hi * out_hw[0] * out_hw[1], width] = 1

    over_batch(chunk, n, cols[:1].nbytes * out_hw[0] * out_hw[1])
    return cols


class Conv2d(Function):
    """y[n,o,h,w] = b[o] + Σ_{c,i,j} W[o,c,i,j] · x_pad[n, c, h·sh + i·dh, w·sw + j·dw].

    With cols = im2col(x): Y = cols Wᵀ (one GEMM).  dL/dW = gᵀ cols,  dL/db = Σ_{n,h,w} g,
    dL/dx = col2im(g W): each input pixel sums the gradient of every window that read it.
    The bias is a last weight column against a column of ones in cols, so the same two GEMMs
    add it and give dL/db (a separate pass over the output each costs as much as the GEMM
    when C is small).
    """

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None,
                stride: tuple[int, int] = (1, 1), padding: tuple[int, ...] = (0, 0, 0, 0),
                dilation: tuple[int, int] = (1, 1)) -> np.ndarray:
        if x.ndim != 4:
            raise ValueError(f"conv2d: expected a 4-D input (N, C, H, W), got shape {x.shape}")
        if weight.ndim != 4:
            raise ValueError(f"conv2d: expected a 4-D weight (out_channels, in_channels, kH, "
                             f"kW), got shape {weight.shape}")
        n, c, h, w = x.shape
        out_c, in_c, kh, kw = weight.shape
        if c != in_c:
            raise ValueError(f"conv2d: input of shape {x.shape} has {c} channels but the weight "
                             f"of shape {weight.shape} expects {in_c}")
        if bias is not None and bias.shape != (out_c,):
            raise ValueError(f"conv2d: bias must have shape ({out_c},) for a weight of shape "
                             f"{weight.shape}, got {bias.shape}")
        top, bottom, left, right = padding
        hp, wp = h + top + bottom, w + left + right
        span_h, span_w = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
        if hp < span_h or wp < span_w:
            raise ValueError(f"conv2d: input of shape {x.shape} (padded size {hp}×{wp}) is "
                             f"smaller than the kernel of weight {weight.shape} (size "
                             f"{span_h}×{span_w} with dilation {dilation})")
        out_hw = ((hp - span_h) // stride[0] + 1, (wp - span_w) // stride[1] + 1)

        x_nhwc = x.transpose(0, 2, 3, 1)  # a view; contiguous when x came from another conv
        if top or bottom or left or right:
            padded = np.zeros((n, hp, wp, c), dtype=x.dtype)
            padded[:, top:top + h, left:left + w] = x_nhwc
            x_nhwc = padded
        elif c >= _FEW_CHANNELS and not x_nhwc.flags.c_contiguous:
            x_nhwc = np.ascontiguousarray(x_nhwc)  # one small copy makes im2col's runs contiguous
        cols = im2col(x_nhwc, (kh, kw), stride, dilation, out_hw, ones=bias is not None)
        w_mat = weight.transpose(0, 2, 3, 1).reshape(out_c, -1)  # (O, kh·kw·C), cols' order
        if bias is not None:
            w_mat = np.concatenate([w_mat, bias[:, None].astype(w_mat.dtype)], axis=1)
        y = cols @ w_mat.T  # (N·OH·OW, O): the one GEMM
        self.cols, self.weight = cols, weight
        self.x_shape, self.padded_hw, self.padding = x.shape, (hp, wp), padding
        self.stride, self.dilation, self.out_hw = stride, dilation, out_hw
        return y.reshape(n, *out_hw, out_c).transpose(0, 3, 1, 2)  # NCHW view of NHWC memory

    def backward(self, grad_out: np.ndarray) -> tuple:
        need_x, need_w, *need_b = self.needs_input_grad
        c = self.x_shape[1]
        out_c, _, kh, kw = self.weight.shape
        # (N·OH·OW, O): a free view when grad_out is channels-last (as our ops produce it).
        g = grad_out.transpose(0, 2, 3, 1).reshape(-1, out_c)
        need_b = bool(need_b and need_b[0])
        grad_w = grad_b = None
        if need_w:
            grad_wb = g.T @ self.cols  # (O, kh·kw·C [+ 1]); the ones column gives Σ g
            width = kh * kw * c
            grad_w = np.ascontiguousarray(
                grad_wb[:, :width].reshape(out_c, kh, kw, c).transpose(0, 3, 1, 2))
            grad_b = grad_wb[:, width].copy() if need_b else None
        elif need_b:
            grad_b = g.sum(axis=0)
        grad_x = self._grad_input(g) if need_x else None
        return grad_x, grad_w, grad_b

    def _grad_input(self, g: np.ndarray) -> np.ndarray:
        """col2im(g W) without np.add.at: one strided slice addition per kernel offset."""
        n, c, h, w = self.x_shape
        kh, kw = self.weight.shape[2:]
        top, _, left, _ = self.padding
        out_hw, stride, dilation = self.out_hw, self.stride, self.dilation
        grad = np.zeros((n, *self.padded_hw, c), dtype=np.result_type(g, self.weight))
        if c < _FEW_CHANNELS:
            w_mat = self.weight.transpose(0, 2, 3, 1).reshape(self.weight.shape[0], -1)
            grad_cols = (g @ w_mat).reshape(n, *out_hw, kh, kw, c)
            for i in range(kh):
                for j in range(kw):
                    grad[_offset_slice(i, j, stride, dilation, out_hw)] += grad_cols[:, :, :, i, j]
        else:
            # One (N·OH·OW, O) @ (O, C) product per offset, added while still in cache.
            w_offsets = np.ascontiguousarray(self.weight.transpose(2, 3, 0, 1))  # (kh, kw, O, C)
            for i in range(kh):
                for j in range(kw):
                    grad[_offset_slice(i, j, stride, dilation, out_hw)] += (
                        g @ w_offsets[i, j]).reshape(n, *out_hw, c)
        return grad[:, top:top + h, left:left + w].transpose(0, 3, 1, 2)


def _conv_padding(padding: Any, kernel: tuple[int, int], stride: tuple[int, int],
                  dilation: tuple[int, int], op: str = "conv2d") -> tuple[int, int, int, int]:
    """(top, bottom, left, right) from an int, a pair, 'valid' or 'same' (as PyTorch)."""
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0, 0, 0
        if padding != "same":
            raise ValueError(f"{op}: padding must be an int, a pair, 'valid' or 'same', got "
                             f"{padding!r}")
        if stride != (1, 1):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
        # PyTorch puts the odd extra pixel of padding at the bottom / right.
        total_h, total_w = dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)
        return total_h // 2, total_h - total_h // 2, total_w // 2, total_w - total_w // 2
    ph, pw = _pair(padding, "padding", op, 0)
    return ph, ph, pw, pw


@register(method=False)
def conv2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1,  # noqa: A002
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation of an (N, C, H, W) input with an (O, C, kH, kW) weight
    (``torch.nn.functional.conv2d``); ``stride``, ``padding``, ``dilation``: int or pair."""
    if groups != 1:
        raise NotImplementedError(f"conv2d: groups={groups} is not supported (only groups=1)")
    stride = _pair(stride, "stride", "conv2d", 1)
    dilation = _pair(dilation, "dilation", "conv2d", 1)
    kernel = tuple(np.shape(getattr(weight, "data", weight))[2:4])
    pads = _conv_padding(padding, kernel if len(kernel) == 2 else (1, 1), stride, dilation)
    options = {"stride": stride, "padding": pads, "dilation": dilation}
    if bias is None:
        return Conv2d.apply(input, weight, **options)
    return Conv2d.apply(input, weight, bias, **options)
