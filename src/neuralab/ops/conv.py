"""2-D convolution (NCHW, PyTorch's cross-correlation) as im2col + matrix products.

Layout: the columns are ordered (n, oh, ow) × (i, j, c) — channels last — so the forward pass
and both weight-side gradients are large GEMMs on contiguous arrays, and the output
(N·OH·OW, O) is returned as an (N, O, OH, OW) *view* whose memory is NHWC. The next layer
(ReLU, pooling, another conv) then reads channels-last memory without any transpose copy.

Images are independent, so every pass runs on cache-sized chunks of the batch, shared by the
threads (``neuralab.parallel``). With many channels the columns of a chunk are built, used and
dropped while in cache, in the forward pass and again in the backward pass: keeping them would
cost kh·kw times the input's memory and stream it through memory twice. With few channels
(the first layer) they are kept: small, and slow to rebuild.

To read the idea without the layout and threading: ``neuralab.lab.textbook`` has ``im2col``,
``col2im`` and ``Convolution`` (one matrix product, forward and backward in a few lines),
tested to give the same values and gradients as this op.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import parallel
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..errors import ArgumentError, DTypeError, ShapeError
from ..parallel import over_batch
from ..tensor import Tensor, to_array
from .registry import register

# Below this many channels the per-(i, j) loops move too little data per call, so im2col copies
# one kernel offset at a time and col2im uses one GEMM; above it the 6-D strided copy (inner
# runs of C values) and one small GEMM per offset (contiguous accumulation) are faster.
_FEW_CHANNELS = 8
_BLOCK_ROWS = 2048  # rows per block of the weight gradient's reduction (see _sum_of_products)
COLUMN_CHUNK_BYTES = 4 << 20  # im2col columns per chunk (measured: 1–8 MB all within noise)


def _pair(value: Any, name: str, op: str, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints as a pair, each at least ``minimum`` (PyTorch raises
    RuntimeError for a wrong count or value, TypeError for a wrong type)."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in pair):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if len(pair) != 2:
        raise ArgumentError(f"{op}: {name} must be an int or a pair of ints, got {value!r} "
                            f"({len(pair)} values)")
    if min(pair) < minimum:
        raise ArgumentError(f"{op}: {name} must be >= {minimum}, got {value!r}")
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


def im2col_into(cols: np.ndarray, x_nhwc: np.ndarray, kernel: tuple[int, int],
                stride: tuple[int, int], dilation: tuple[int, int],
                out_hw: tuple[int, int]) -> None:
    """Fill cols (n·OH·OW, kh·kw·C [+ 1]): row (n, h, w) is window (h, w) of image n in
    (i, j, c) order; a last extra column, if cols has one, is set to 1 (so the bias rides along
    in the GEMM)."""
    n, _, _, c = x_nhwc.shape
    width = kernel[0] * kernel[1] * c
    size, row = cols.itemsize, cols.strides[0]
    body = as_strided(cols, (n, *out_hw, *kernel, c),  # the first `width` columns, 6-D
                      (row * out_hw[0] * out_hw[1], row * out_hw[1], row,
                       size * kernel[1] * c, size * c, size))
    if c >= _FEW_CHANNELS:
        body[...] = _windows(x_nhwc, kernel, stride, dilation, out_hw)
    else:  # few channels: copy one kernel offset at a time (longer inner loops)
        for i in range(kernel[0]):
            for j in range(kernel[1]):
                body[:, :, :, i, j, :] = x_nhwc[_offset_slice(i, j, stride, dilation, out_hw)]
    if cols.shape[1] > width:
        cols[:, width] = 1


class Conv2d(Function):
    """y[n,o,h,w] = b[o] + Σ_{c,i,j} W[o,c,i,j] · x_pad[n, c, h·sh + i·dh, w·sw + j·dw].

    With cols = im2col(x): Y = cols Wᵀ (one GEMM per chunk of images).  dL/dW = gᵀ cols,
    dL/db = Σ_{n,h,w} g,  dL/dx = col2im(g W): each input pixel sums the gradient of every
    window that read it.
    The bias is a last weight column against a column of ones in cols, so the same two GEMMs
    add it and give dL/db (a separate pass over the output each costs as much as the GEMM
    when C is small). Images are independent, so both passes run on chunks of the batch in
    parallel (``neuralab.parallel``); dL/dW sums the chunks' partial products.
    """

    def _setup(self, x_shape: tuple[int, ...], weight: np.ndarray, stride: tuple[int, int],
               padding: tuple[int, ...], dilation: tuple[int, int], groups: int,
               padding_mode: str) -> None:
        """Check the shapes and keep what both passes need (no input data: see _prepare)."""
        if len(x_shape) != 4:
            raise ShapeError(f"conv2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
                             f"shape {tuple(x_shape)}")
        if weight.ndim != 4:
            raise ShapeError(f"conv2d: expected a 4-D weight (out_channels, in_channels/groups, "
                             f"kH, kW), got shape {weight.shape}")
        n, c, h, w = x_shape
        out_c, in_c, kh, kw = weight.shape
        if out_c % groups:
            raise ShapeError(f"conv2d: the weight's {out_c} output channels (shape "
                             f"{weight.shape}) are not divisible by groups={groups}")
        if c != in_c * groups:
            raise ShapeError(f"conv2d: input of shape {tuple(x_shape)} has {c} channels but the "
                             f"weight of shape {weight.shape} expects {in_c * groups}"
                             + (f" (groups={groups})" if groups > 1 else ""))
        top, bottom, left, right = padding
        if padding_mode != "zeros":
            limit = (h, w) if padding_mode == "circular" else (h - 1, w - 1)
            if max(top, bottom) > limit[0] or max(left, right) > limit[1]:
                raise ShapeError(f"conv2d: {padding_mode} padding {padding} is too large for an "
                                 f"input of shape {tuple(x_shape)}")
        hp, wp = h + top + bottom, w + left + right
        span_h, span_w = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
        if hp < span_h or wp < span_w:
            raise ShapeError(f"conv2d: input of shape {tuple(x_shape)} (padded size {hp}×{wp}) "
                             f"is smaller than the kernel of weight {weight.shape} (size "
                             f"{span_h}×{span_w} with dilation {dilation})")
        self.weight, self.x_shape, self.padded_hw, self.padding = weight, tuple(x_shape), \
            (hp, wp), padding
        self.stride, self.dilation, self.groups = stride, dilation, groups
        self.padding_mode = padding_mode
        self.out_hw = ((hp - span_h) // stride[0] + 1, (wp - span_w) // stride[1] + 1)
        self.cols = None
        self.subs = None
        if groups > 1 and in_c > 1:  # one groups=1 convolution per group
            og = out_c // groups
            self.subs = []
            for g in range(groups):
                sub = Conv2d()
                sub.needs_input_grad = self.needs_input_grad
                sub._setup((n, in_c, h, w), weight[g * og:(g + 1) * og], stride, padding,
                           dilation, 1, padding_mode)
                self.subs.append(sub)

    def _prepare(self, x: np.ndarray, weight: np.ndarray, stride: tuple[int, int],
                 padding: tuple[int, ...], dilation: tuple[int, int], groups: int,
                 padding_mode: str) -> None:
        """_setup, and keep the input (channels last) for the weight gradient."""
        self._setup(x.shape, weight, stride, padding, dilation, groups, padding_mode)
        self.x_nhwc = x.transpose(0, 2, 3, 1)  # a view; contiguous when x came from a conv
        if self.subs is not None:
            in_c = weight.shape[1]
            for g, sub in enumerate(self.subs):
                sub.x_nhwc = self.x_nhwc[..., g * in_c:(g + 1) * in_c]

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None,
                stride: tuple[int, int] = (1, 1), padding: tuple[int, ...] = (0, 0, 0, 0),
                dilation: tuple[int, int] = (1, 1), groups: int = 1,
                padding_mode: str = "zeros") -> np.ndarray:
        if x.ndim != 4:
            raise ShapeError(f"conv2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
                             f"shape {x.shape}")
        self._prepare(x, weight, stride, padding, dilation, groups, padding_mode)
        n, c = x.shape[:2]
        out_c = weight.shape[0]
        if bias is not None and bias.shape != (out_c,):
            raise ShapeError(f"conv2d: bias must have shape ({out_c},) for a weight of shape "
                             f"{weight.shape}, got {bias.shape}")
        if groups > 1:
            return self._grouped_forward(x, bias) if self.subs is not None \
                else self._depthwise_forward(bias)
        out_hw = self.out_hw
        pixels = out_hw[0] * out_hw[1]
        w_mat = _weight_matrix(weight)
        if bias is not None:
            w_mat = np.concatenate([w_mat, bias[:, None].astype(w_mat.dtype)], axis=1)
        y = np.empty((n * pixels, out_c), dtype=np.result_type(x, weight))
        # Few channels: the columns are small to keep (kh·kw times a thin input) but slow to
        # rebuild (one strided copy per kernel offset), so they are kept for the backward pass.
        self.cols = np.empty((n * pixels, w_mat.shape[1]), dtype=y.dtype) \
            if c < _FEW_CHANNELS and is_grad_enabled() else None

        def chunk(lo: int, hi: int) -> None:  # images lo..hi: their rows of y
            rows = slice(lo * pixels, hi * pixels)
            cols = self._columns(lo, hi, ones=bias is not None,
                                 out=None if self.cols is None else self.cols[rows])
            np.matmul(cols, w_mat.T, out=y[rows])  # the GEMM

        over_batch(chunk, n, w_mat.shape[1] * pixels * y.itemsize, COLUMN_CHUNK_BYTES,
                   _min_parallel_bytes(y.itemsize, out_c))
        return y.reshape(n, *out_hw, out_c).transpose(0, 3, 1, 2)  # NCHW view of NHWC memory

    def _padded(self, lo: int, hi: int) -> np.ndarray:
        """Images lo..hi of the input, channels last, padded as padding_mode says."""
        h, w = self.x_shape[2:]
        top, bottom, left, right = self.padding
        part = self.x_nhwc[lo:hi]
        if not (top or bottom or left or right):
            return part
        if self.padding_mode == "zeros":
            padded = np.zeros((hi - lo, *self.padded_hw, part.shape[3]), dtype=part.dtype)
            padded[:, top:top + h, left:left + w] = part
            return padded
        # NumPy's names for PyTorch's modes (the same definitions; see _source_index)
        mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[self.padding_mode]
        return np.pad(part, ((0, 0), (top, bottom), (left, right), (0, 0)), mode=mode)

    def _unpad(self, grad: np.ndarray) -> np.ndarray:
        """The gradient w.r.t. the unpadded input from that w.r.t. the padded one (images, Hp,
        Wp, C): zero padding drops the border; the other modes add each border pixel's
        gradient onto the pixel it copied (a loop over the few border rows and columns)."""
        h, w = self.x_shape[2:]
        top, bottom, left, right = self.padding
        if self.padding_mode == "zeros":
            return grad[:, top:top + h, left:left + w]
        for axis, size, before, after in ((1, h, top, bottom), (2, w, left, right)):
            source = _source_index(size, before, after, self.padding_mode)
            core = grad[(slice(None),) * axis + (slice(before, before + size),)].copy()
            for q in [*range(before), *range(before + size, before + size + after)]:
                core[(slice(None),) * axis + (source[q],)] += \
                    grad[(slice(None),) * axis + (q,)]
            grad = core
        return grad

    def _grouped_forward(self, x: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
        """One groups=1 convolution per group, written into one channels-last output."""
        n, out_c = x.shape[0], self.weight.shape[0]
        og, in_c = out_c // self.groups, self.weight.shape[1]
        y = np.empty((n, *self.out_hw, out_c), dtype=np.result_type(x, self.weight))
        for g, sub in enumerate(self.subs):
            outs = slice(g * og, (g + 1) * og)
            y_g = sub.forward(x[:, g * in_c:(g + 1) * in_c], self.weight[outs],
                              None if bias is None else bias[outs], self.stride, self.padding,
                              self.dilation, 1, self.padding_mode)
            y[..., outs] = y_g.transpose(0, 2, 3, 1)
        return y.transpose(0, 3, 1, 2)

    def _grouped_backward(self, grad_out: np.ndarray) -> tuple:
        need_x, need_w, *need_b = self.needs_input_grad
        n, c, h, w = self.x_shape
        og = self.weight.shape[0] // self.groups
        in_c = c // self.groups
        grad_x = np.empty((n, h, w, c), dtype=np.result_type(grad_out, self.weight)) \
            if need_x else None
        grads_w, grads_b = [], []
        for g, sub in enumerate(self.subs):
            gx, gw, *gb = sub.backward(grad_out[:, g * og:(g + 1) * og])
            if need_x:
                grad_x[..., g * in_c:(g + 1) * in_c] = gx.transpose(0, 2, 3, 1)
            grads_w.append(gw)
            grads_b.append(gb[0] if gb else None)
        grad_w = np.concatenate(grads_w) if need_w else None
        grad_b = np.concatenate(grads_b) if need_b and need_b[0] else None
        return None if grad_x is None else grad_x.transpose(0, 3, 1, 2), grad_w, grad_b

    def _depthwise_forward(self, bias: np.ndarray | None) -> np.ndarray:
        """One input channel per group (depthwise): y[..., c, k] = Σ_ij x_pad[offset ij][..., c]
        · W[c·m + k, 0, i, j] — one broadcast multiply-add per kernel offset, on chunks of the
        batch (no columns: each output reads kh·kw values of one channel)."""
        n, c = self.x_shape[:2]
        out_c, _, kh, kw = self.weight.shape
        m = out_c // c
        w = self.weight.reshape(c, m, kh, kw)
        y = np.empty((n, *self.out_hw, c, m), dtype=np.result_type(self.x_nhwc, self.weight))
        b = None if bias is None else bias.reshape(c, m)

        def chunk(lo: int, hi: int) -> None:
            part, out = self._padded(lo, hi), y[lo:hi]
            out[...] = 0 if b is None else b
            if m == 1:  # no trailing axis of length 1 (NumPy's inner loops would be 1 long)
                out, weights = out[..., 0], w[:, 0]
            else:
                part, weights = part[..., None], w
            tmp = np.empty_like(out)
            for i in range(kh):
                for j in range(kw):
                    np.multiply(part[_offset_slice(i, j, self.stride, self.dilation,
                                                   self.out_hw)], weights[..., i, j], out=tmp)
                    out += tmp

        over_batch(chunk, n, (kh * kw + 2) * y[:1].nbytes, COLUMN_CHUNK_BYTES)
        return y.reshape(n, *self.out_hw, out_c).transpose(0, 3, 1, 2)

    def _depthwise_backward(self, grad_out: np.ndarray) -> tuple:
        """dL/dx_pad[offset ij] += Σ_k g[..., c, k] W[c·m + k, 0, i, j];
        dL/dW[c·m + k, 0, i, j] = Σ_{n,h,w} x_pad[offset ij][..., c] g[..., c, k]."""
        need_x, need_w, *need_b = self.needs_input_grad
        need_b = bool(need_b and need_b[0])
        n, c = self.x_shape[:2]
        out_c, _, kh, kw = self.weight.shape
        m = out_c // c
        w = self.weight.reshape(c, m, kh, kw)
        dtype = np.result_type(grad_out, self.weight)
        grad = np.empty((n, *self.padded_hw, c), dtype=dtype) if need_x else None
        offsets = [(i, j, _offset_slice(i, j, self.stride, self.dilation, self.out_hw))
                   for i in range(kh) for j in range(kw)]

        def chunk(lo: int, hi: int) -> tuple:
            # channels last and contiguous (a copy unless grad_out came from a channels-last op)
            g = np.ascontiguousarray(grad_out[lo:hi].transpose(0, 2, 3, 1)).reshape(
                hi - lo, *self.out_hw, c, m)
            flat = g[..., 0] if m == 1 else None  # (images, OH, OW, C): no axis of length 1
            gw = gb = None
            if need_w:
                part = self._padded(lo, hi)
                gw = np.empty((c, m, kh, kw), dtype)
                for i, j, where in offsets:
                    if m == 1:
                        gw[:, 0, i, j] = np.einsum("nhwc,nhwc->c", part[where], flat)
                    else:
                        gw[:, :, i, j] = np.einsum("nhwc,nhwcm->cm", part[where], g)
            if need_b:
                gb = g.sum(axis=(0, 1, 2))
            if need_x:
                grad[lo:hi] = 0
                target = grad[lo:hi]
                tmp = np.empty((hi - lo, *self.out_hw, c), dtype)
                for i, j, where in offsets:
                    if m == 1:
                        np.multiply(flat, w[:, 0, i, j], out=tmp)
                    else:
                        np.einsum("nhwcm,cm->nhwc", g, w[:, :, i, j], out=tmp)
                    target[where] += tmp
            return gw, gb

        parts = over_batch(chunk, n, (kh * kw + 2) * grad_out[:1].nbytes, COLUMN_CHUNK_BYTES)
        grad_w = grad_b = None
        if need_w:
            grad_w = sum(p[0] for p in parts[1:]) + parts[0][0] if parts else \
                np.zeros((c, m, kh, kw), dtype)
            grad_w = grad_w.reshape(out_c, 1, kh, kw)
        if need_b:
            grad_b = (sum(p[1] for p in parts[1:]) + parts[0][1] if parts else
                      np.zeros((c, m), dtype)).reshape(out_c)
        grad_x = self._unpad(grad).transpose(0, 3, 1, 2) if need_x else None
        return grad_x, grad_w, grad_b

    def _columns(self, lo: int, hi: int, ones: bool, out: np.ndarray | None = None) -> np.ndarray:
        """im2col of images lo..hi: (images·OH·OW, kh·kw·C [+ 1 column of ones]), into ``out``
        if given."""
        c = self.x_shape[1]
        kh, kw = self.weight.shape[2:]
        part = self._padded(lo, hi)
        if c >= _FEW_CHANNELS and not part.flags.c_contiguous:
            part = np.ascontiguousarray(part)  # a small copy makes im2col's runs contiguous
        cols = np.empty(((hi - lo) * self.out_hw[0] * self.out_hw[1], kh * kw * c + ones),
                        dtype=np.result_type(part, self.weight)) if out is None else out
        im2col_into(cols, part, (kh, kw), self.stride, self.dilation, self.out_hw)
        return cols

    def backward(self, grad_out: np.ndarray) -> tuple:
        if self.groups > 1:
            return self._grouped_backward(grad_out) if self.subs is not None \
                else self._depthwise_backward(grad_out)
        need_x, need_w, *need_b = self.needs_input_grad
        need_b = bool(need_b and need_b[0])
        n, c, h, w = self.x_shape
        out_c, _, kh, kw = self.weight.shape
        pixels = self.out_hw[0] * self.out_hw[1]
        dtype = np.result_type(grad_out, self.weight)
        # Zeroed chunk by chunk on the threads (a serial np.zeros of a whole activation costs
        # as much as a parallel op on it).
        grad = np.empty((n, *self.padded_hw, c), dtype=dtype) if need_x else None
        w_input = None
        if need_x:  # many channels: (kh, kw, O, C), one small GEMM per kernel offset;
            # few: (O, kh·kw·C), one GEMM, then a strided addition per offset
            w_input = np.ascontiguousarray(self.weight.transpose(2, 3, 0, 1)) \
                if c >= _FEW_CHANNELS else _weight_matrix(self.weight)

        def chunk(lo: int, hi: int) -> np.ndarray | None:  # images lo..hi
            # (images·OH·OW, O): a free view when grad_out is channels-last (ours are).
            g = grad_out[lo:hi].transpose(0, 2, 3, 1).reshape(-1, out_c)
            partial = None
            if need_w:  # (O, kh·kw·C [+ 1]); the ones column gives Σ g for the bias.
                # Many channels: the columns are rebuilt here rather than kept from the forward
                # pass: from a small input they stay in cache, where a stored copy (kh·kw times
                # the input) would stream through memory twice.
                cols = self._columns(lo, hi, ones=need_b) if self.cols is None \
                    else self.cols[lo * pixels:hi * pixels]
                partial = _sum_of_products(g, cols)
            elif need_b:
                partial = g.sum(axis=0)
            if need_x:
                grad[lo:hi] = 0
                self._grad_input(g, grad[lo:hi], w_input)
            return partial

        width = kh * kw * c
        partials = over_batch(chunk, n, (width + 1) * pixels * grad_out.itemsize,
                              COLUMN_CHUNK_BYTES, _min_parallel_bytes(grad_out.itemsize, out_c))
        grad_w = grad_b = None
        if need_w or need_b:  # add up the chunks' partial sums (zeros for an empty batch)
            total = partials[0] if partials else np.zeros(
                (out_c, width + 1) if need_w else out_c, dtype)
            for partial in partials[1:]:
                total += partial
            if need_w:
                grad_w = np.ascontiguousarray(
                    total[:, :width].reshape(out_c, kh, kw, c).transpose(0, 3, 1, 2))
            if need_b:
                grad_b = total[:, width].copy() if need_w else total
        grad_x = None
        if need_x:
            grad_x = self._unpad(grad).transpose(0, 3, 1, 2)
        return grad_x, grad_w, grad_b

    def _grad_input(self, g: np.ndarray, grad: np.ndarray, w: np.ndarray) -> None:
        """Add col2im(g W) into grad (images, Hp, Wp, C) without np.add.at: one strided slice
        addition per kernel offset."""
        kh, kw = self.weight.shape[2:]
        out_hw, stride, dilation = self.out_hw, self.stride, self.dilation
        images, c = grad.shape[0], grad.shape[3]
        if c < _FEW_CHANNELS:
            grad_cols = (g @ w).reshape(images, *out_hw, kh, kw, c)
            for i in range(kh):
                for j in range(kw):
                    grad[_offset_slice(i, j, stride, dilation, out_hw)] += grad_cols[:, :, :, i, j]
        else:  # one (rows, O) @ (O, C) product per offset, added while still in cache
            for i in range(kh):
                for j in range(kw):
                    grad[_offset_slice(i, j, stride, dilation, out_hw)] += (
                        g @ w[i, j]).reshape(images, *out_hw, c)


def _source_index(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """For each position of a padded axis, the input position it copies (PyTorch's reflect,
    replicate and circular padding)."""
    q = np.arange(-before, size + after)
    if mode == "reflect":
        q = np.abs(q)
        return np.where(q > size - 1, 2 * (size - 1) - q, q)
    if mode == "replicate":
        return np.clip(q, 0, size - 1)
    return q % size  # circular


def _weight_matrix(weight: np.ndarray) -> np.ndarray:
    """The (O, C, kh, kw) weight as (O, kh·kw·C): its rows in the columns' (i, j, c) order."""
    return weight.transpose(0, 2, 3, 1).reshape(weight.shape[0], -1)


def _min_parallel_bytes(itemsize: int, out_channels: int) -> int:
    """Columns (bytes) worth sharing among the threads: each column element costs
    2·out_channels flops of GEMM, and a product is shared from MIN_PARALLEL_FLOPS on."""
    return parallel.MIN_PARALLEL_FLOPS * itemsize // (2 * out_channels)


def _sum_of_products(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """aᵀ b for tall a (rows, p) and b (rows, q), as a sum over blocks of _BLOCK_ROWS rows.

    One GEMM with a reduction over tens of thousands of rows runs ~3× slower in OpenBLAS than
    the same work as a stack of ~2,000-row products (one ``matmul`` call on 3-D views, so the
    loop over blocks is in C, without the GIL) whose results are then summed."""
    rows = len(a)
    full = rows - rows % _BLOCK_ROWS
    if full == 0:
        return a.T @ b
    total = np.matmul(a[:full].reshape(-1, _BLOCK_ROWS, a.shape[1]).transpose(0, 2, 1),
                      b[:full].reshape(-1, _BLOCK_ROWS, b.shape[1])).sum(axis=0)
    if full < rows:
        total += a[full:].T @ b[full:]
    return total


def _conv_padding(padding: Any, kernel: tuple[int, int], stride: tuple[int, int],
                  dilation: tuple[int, int], op: str = "conv2d") -> tuple[int, int, int, int]:
    """(top, bottom, left, right) from an int, a pair, 'valid' or 'same' (as PyTorch)."""
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0, 0, 0
        if padding != "same":
            raise ArgumentError(f"{op}: padding must be an int, a pair, 'valid' or 'same', got "
                                f"{padding!r}")
        if stride != (1, 1):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
        # PyTorch puts the odd extra pixel of padding at the bottom / right.
        total_h, total_w = dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)
        return total_h // 2, total_h - total_h // 2, total_w // 2, total_w - total_w // 2
    ph, pw = _pair(padding, "padding", op, 0)
    return ph, ph, pw, pw


def _check_same_dtype(op: str, input: Any, weight: Any, bias: Any) -> None:  # noqa: A002
    """PyTorch's convolutions do not promote: tensor input, weight and bias share one dtype
    (float32 weights with a float64 input raise). Constants take the tensors' dtype."""
    if not isinstance(input, Tensor):
        return
    for name, other in (("weight", weight), ("bias", bias)):
        if isinstance(other, Tensor) and other.dtype != input.dtype:
            raise DTypeError(
                f"{op}: Input type ({input.dtype}) and {name} type ({other.dtype}) should be the "
                f"same: expected the {name} to have the input's dtype {input.dtype}; convert the "
                f"input with .to(neuralab.{other.dtype}) or the layer with "
                f".to(neuralab.{input.dtype})")


PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _groups(groups: Any, op: str) -> int:
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool):
        raise TypeError(f"{op}: groups must be an int, got {groups!r}")
    if groups < 1:
        raise ArgumentError(f"{op}: non-positive groups is not supported (got {groups})")
    return int(groups)


def _conv2d(input: Any, weight: Any, bias: Any, stride: Any, padding: Any,  # noqa: A002
            dilation: Any, groups: Any, padding_mode: str = "zeros",
            op: str = "conv2d") -> Tensor:
    """conv2d with a padding mode (the layers' ``padding_mode``; F.conv2d pads with zeros)."""
    groups = _groups(groups, op)
    _check_same_dtype(op, input, weight, bias)
    if np.ndim(to_array(input)) == 3:  # one unbatched image (C, H, W), as PyTorch accepts
        input = input.reshape(1, *input.shape) if isinstance(input, Tensor) \
            else to_array(input)[None]
        out = _conv2d(input, weight, bias, stride, padding, dilation, groups, padding_mode, op)
        return out.reshape(out.shape[1:])
    stride = _pair(stride, "stride", op, 1)
    dilation = _pair(dilation, "dilation", op, 1)
    kernel = tuple(np.shape(to_array(weight))[2:4])
    pads = _conv_padding(padding, kernel if len(kernel) == 2 else (1, 1), stride, dilation, op)
    options = {"stride": stride, "padding": pads, "dilation": dilation, "groups": groups,
               "padding_mode": padding_mode}
    if bias is None:
        return Conv2d.apply(input, weight, **options)
    return Conv2d.apply(input, weight, bias, **options)


@register(method=False)
def conv2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1,  # noqa: A002
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation of an (N, C, H, W) input with an (O, C/groups, kH, kW) weight
    (``torch.nn.functional.conv2d``); ``stride``, ``padding``, ``dilation``: int or pair;
    ``padding`` also 'same' or 'valid'; ``groups`` splits the channels into independent
    convolutions (groups == C: depthwise)."""
    return _conv2d(input, weight, bias, stride, padding, dilation, groups)


def _single(value: Any, name: str, op: str, minimum: int) -> tuple[int, int]:
    """A 1-D convolution's int or 1-tuple setting as the (1, value) pair of its 2-D form."""
    if not isinstance(value, (int, np.integer)):
        value = tuple(value)
        if len(value) != 1:
            raise ArgumentError(f"{op}: {name} must be an int or a 1-tuple, got {value!r}")
        value = value[0]
    return 1, _pair(value, name, op, minimum)[1]


def _reshape(value: Any, shape: tuple[int, ...]) -> Any:
    return value.reshape(shape) if isinstance(value, Tensor) else to_array(value).reshape(shape)


def _conv1d(input: Any, weight: Any, bias: Any, stride: Any, padding: Any,  # noqa: A002
            dilation: Any, groups: Any, padding_mode: str = "zeros") -> Tensor:
    """conv1d as the 2-D convolution of a height-1 image (length as width)."""
    x_shape, w_shape = np.shape(to_array(input)), np.shape(to_array(weight))
    if len(x_shape) not in (2, 3):
        raise ShapeError(f"conv1d: expected a 2-D (C, L) or 3-D (N, C, L) input, got shape "
                         f"{tuple(x_shape)}")
    if len(w_shape) != 3:
        raise ShapeError(f"conv1d: expected a 3-D weight (out_channels, in_channels/groups, kL), "
                         f"got shape {tuple(w_shape)}")
    if not isinstance(padding, str):
        padding = _single(padding, "padding", "conv1d", 0)[1]
        padding = (0, padding)
    out = _conv2d(_reshape(input, (*x_shape[:-1], 1, x_shape[-1])),
                  _reshape(weight, (*w_shape[:2], 1, w_shape[2])), bias,
                  _single(stride, "stride", "conv1d", 1), padding,
                  _single(dilation, "dilation", "conv1d", 1), groups, padding_mode, "conv1d")
    return out.reshape((*out.shape[:-2], out.shape[-1]))


@register(method=False)
def conv1d(input: Any, weight: Any, bias: Any = None, stride: Any = 1,  # noqa: A002
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D cross-correlation of an (N, C, L) input with an (O, C/groups, kL) weight
    (``torch.nn.functional.conv1d``), computed as conv2d of height-1 images."""
    return _conv1d(input, weight, bias, stride, padding, dilation, groups)


class ConvTranspose2d(Function):
    """The transposed convolution: the gradient of conv2d w.r.t. its input, as a layer.

    With the (C_in, C_out/groups, kH, kW) weight W read as a conv2d weight that maps C_out
    channels to C_in: y = ∂conv2d(·, W)ᵀ x + b (col2im of x W, the conv's input gradient),
    dL/dx = conv2d(g, W), dL/dW = the conv's weight gradient with input g and output
    gradient x, dL/db = Σ_{n,h,w} g.
    """

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None,
                stride: tuple[int, int] = (1, 1), padding: tuple[int, int] = (0, 0),
                output_padding: tuple[int, int] = (0, 0), dilation: tuple[int, int] = (1, 1),
                groups: int = 1) -> np.ndarray:
        if x.ndim != 4:
            raise ShapeError(f"conv_transpose2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) "
                             f"input, got shape {x.shape}")
        if weight.ndim != 4:
            raise ShapeError(f"conv_transpose2d: expected a 4-D weight (in_channels, "
                             f"out_channels/groups, kH, kW), got shape {weight.shape}")
        n, c, h, w = x.shape
        if c != weight.shape[0] or c % groups:
            raise ShapeError(f"conv_transpose2d: input of shape {x.shape} has {c} channels but "
                             f"the weight of shape {weight.shape} expects {weight.shape[0]} "
                             f"(divisible by groups={groups})")
        out_c = weight.shape[1] * groups
        if bias is not None and bias.shape != (out_c,):
            raise ShapeError(f"conv_transpose2d: bias must have shape ({out_c},), got "
                             f"{bias.shape}")
        out_hw = tuple((size - 1) * s - 2 * p + d * (k - 1) + op + 1 for size, s, p, d, k, op in
                       zip((h, w), stride, padding, dilation, weight.shape[2:], output_padding))
        if min(out_hw) < 1:
            raise ShapeError(f"conv_transpose2d: input of shape {x.shape} gives an output of "
                             f"size {out_hw[0]}×{out_hw[1]}, which is not positive")
        self.weight, self.options = weight, (stride, (padding[0], padding[0], padding[1],
                                                      padding[1]), dilation, groups, "zeros")
        self.out_shape = (n, out_c, *out_hw)
        self.x = x if self.needs_input_grad[1] else None
        conv = Conv2d()
        conv.needs_input_grad = (True, False)
        conv._setup(self.out_shape, weight, *self.options)
        y = conv.backward(x)[0]
        if bias is not None:
            y += bias.astype(y.dtype)[:, None, None]
        return y

    def backward(self, grad_out: np.ndarray) -> tuple:
        need_x, need_w, *need_b = self.needs_input_grad
        conv = Conv2d()
        conv.needs_input_grad = (False, need_w)
        grad_x = grad_w = grad_b = None
        if need_x:
            grad_x = conv.forward(grad_out, self.weight, None, *self.options)
        else:
            conv._prepare(grad_out, self.weight, *self.options)
        if need_w:
            grad_w = conv.backward(self.x)[1]
        if need_b and need_b[0]:
            grad_b = grad_out.sum(axis=(0, 2, 3))
        return grad_x, grad_w, grad_b


@register(method=False)
def conv_transpose2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1,  # noqa: A002
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """2-D transposed convolution of an (N, C_in, H, W) input with a (C_in, C_out/groups, kH,
    kW) weight (``torch.nn.functional.conv_transpose2d``): the gradient of conv2d w.r.t. its
    input. Output size (H − 1)·s − 2p + d·(k − 1) + output_padding + 1."""
    op = "conv_transpose2d"
    groups = _groups(groups, op)
    _check_same_dtype(op, input, weight, bias)
    if np.ndim(to_array(input)) == 3:
        input = input.reshape(1, *input.shape) if isinstance(input, Tensor) \
            else to_array(input)[None]
        out = conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups,
                               dilation)
        return out.reshape(out.shape[1:])
    if isinstance(padding, str):
        raise TypeError(f"{op}: padding must be an int or a pair of ints, got {padding!r}")
    stride = _pair(stride, "stride", op, 1)
    dilation = _pair(dilation, "dilation", op, 1)
    padding = _pair(padding, "padding", op, 0)
    output_padding = _pair(output_padding, "output_padding", op, 0)
    if any(o >= s and o >= d for o, s, d in zip(output_padding, stride, dilation)):
        raise ArgumentError(f"{op}: output padding must be smaller than either stride or "
                            f"dilation, got output_padding={output_padding}, stride={stride}, "
                            f"dilation={dilation}")
    options = {"stride": stride, "padding": padding, "output_padding": output_padding,
               "dilation": dilation, "groups": groups}
    if bias is None:
        return ConvTranspose2d.apply(input, weight, **options)
    return ConvTranspose2d.apply(input, weight, bias, **options)


def _blocks(size: tuple[int, int], kernel: tuple[int, int], dilation: tuple[int, int],
            padding: tuple[int, int], stride: tuple[int, int]) -> tuple[int, int]:
    """How many sliding blocks fit along each spatial dim."""
    return tuple((s + 2 * p - d * (k - 1) - 1) // st + 1
                 for s, k, d, p, st in zip(size, kernel, dilation, padding, stride))


def _block_view(x: np.ndarray, kernel: tuple[int, int], dilation: tuple[int, int],
                stride: tuple[int, int], blocks: tuple[int, int]) -> np.ndarray:
    """The (N, C, kh, kw, BH, BW) view of a padded NCHW array: [n, c, i, j, h, w] is
    x[n, c, h·sh + i·dh, w·sw + j·dw]."""
    sn, sc, sh, sw = x.strides
    return as_strided(x, (*x.shape[:2], *kernel, *blocks),
                      (sn, sc, sh * dilation[0], sw * dilation[1], sh * stride[0],
                       sw * stride[1]), writeable=False)


def _fold_into(out: np.ndarray, cols: np.ndarray, kernel: tuple[int, int],
               dilation: tuple[int, int], stride: tuple[int, int],
               blocks: tuple[int, int]) -> None:
    """out (N, C, Hp, Wp) += every block of cols (N, C, kh, kw, BH, BW) at its place: one
    strided addition per kernel offset."""
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            top, left = i * dilation[0], j * dilation[1]
            out[:, :, top:top + stride[0] * (blocks[0] - 1) + 1:stride[0],
                left:left + stride[1] * (blocks[1] - 1) + 1:stride[1]] += cols[:, :, i, j]


class Unfold(Function):
    """im2col, PyTorch's layout: y[n, (c·kh + i)·kw + j, h·BW + w] =
    x_pad[n, c, h·sh + i·dh, w·sw + j·dw].   dL/dx = fold(g): each pixel sums the gradient of
    every block element that copied it."""

    def forward(self, x: np.ndarray, kernel: tuple[int, int] = (1, 1),
                dilation: tuple[int, int] = (1, 1), padding: tuple[int, int] = (0, 0),
                stride: tuple[int, int] = (1, 1)) -> np.ndarray:
        if x.ndim != 4:
            raise ShapeError(f"unfold: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
                             f"shape {x.shape}")
        n, c, h, w = x.shape
        blocks = _blocks((h, w), kernel, dilation, padding, stride)
        if min(blocks) < 1:
            raise ShapeError(f"unfold: input of spatial size ({h}, {w}) with kernel_size="
                             f"{kernel}, dilation={dilation}, padding={padding} has no sliding "
                             f"block (calculated {blocks})")
        self.settings, self.x_shape = (kernel, dilation, padding, stride, blocks), x.shape
        ph, pw = padding
        if ph or pw:
            padded = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
            padded[:, :, ph:ph + h, pw:pw + w] = x
            x = padded
        view = _block_view(x, kernel, dilation, stride, blocks)
        out = view.reshape(n, c * kernel[0] * kernel[1], blocks[0] * blocks[1])
        return out if out.flags.writeable else out.copy()  # a new array, never a view of x

    def backward(self, grad_out: np.ndarray) -> tuple:
        kernel, dilation, padding, stride, blocks = self.settings
        n, c, h, w = self.x_shape
        grad = np.zeros((n, c, h + 2 * padding[0], w + 2 * padding[1]), dtype=grad_out.dtype)
        _fold_into(grad, grad_out.reshape(n, c, *kernel, *blocks), kernel, dilation, stride,
                   blocks)
        return (grad[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + w],)


class Fold(Function):
    """col2im, the adjoint of unfold: y = Σ over blocks and kernel offsets of x[n, (c·kh + i)·kw
    + j, l] placed at x_pad position (h·sh + i·dh, w·sw + j·dw) of block l = h·BW + w, then
    cropped by the padding.   dL/dx = unfold(g)."""

    def forward(self, x: np.ndarray, output_size: tuple[int, int] = (1, 1),
                kernel: tuple[int, int] = (1, 1), dilation: tuple[int, int] = (1, 1),
                padding: tuple[int, int] = (0, 0), stride: tuple[int, int] = (1, 1)
                ) -> np.ndarray:
        if x.ndim != 3:
            raise ShapeError(f"fold: expected a 2-D (C·kH·kW, L) or 3-D (N, C·kH·kW, L) input, "
                             f"got shape {x.shape}")
        n, rows, length = x.shape
        per = kernel[0] * kernel[1]
        if rows % per:
            raise ShapeError(f"fold: expected size of input's dimension 1 to be divisible by the "
                             f"product of kernel_size, but got input.size(1)={rows} and "
                             f"kernel_size={kernel}")
        blocks = _blocks(output_size, kernel, dilation, padding, stride)
        if min(blocks) < 1 or blocks[0] * blocks[1] != length:
            raise ShapeError(f"fold: given output_size={output_size}, kernel_size={kernel}, "
                             f"dilation={dilation}, padding={padding}, stride={stride}, expected "
                             f"size of input's dimension 2 to match the calculated number of "
                             f"sliding blocks {blocks[0]} * {blocks[1]} = "
                             f"{blocks[0] * blocks[1]}, but got input.size(2)={length}")
        c = rows // per
        self.settings = (kernel, dilation, padding, stride, blocks)
        h, w = output_size
        out = np.zeros((n, c, h + 2 * padding[0], w + 2 * padding[1]), dtype=x.dtype)
        _fold_into(out, x.reshape(n, c, *kernel, *blocks), kernel, dilation, stride, blocks)
        return out[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + w]

    def backward(self, grad_out: np.ndarray) -> tuple:
        kernel, dilation, padding, stride, blocks = self.settings
        n, c, h, w = grad_out.shape
        ph, pw = padding
        padded = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=grad_out.dtype)
        padded[:, :, ph:ph + h, pw:pw + w] = grad_out
        view = _block_view(padded, kernel, dilation, stride, blocks)
        return (view.reshape(n, c * kernel[0] * kernel[1], blocks[0] * blocks[1]),)


def _unbatched(input: Any, dims: int) -> tuple[Any, bool]:  # noqa: A002
    """(input with a batch axis, whether one was added): unbatched inputs have ``dims`` axes."""
    if np.ndim(to_array(input)) != dims:
        return input, False
    if isinstance(input, Tensor):
        return input.reshape(1, *input.shape), True
    return to_array(input)[None], True


@register(method=False)
def unfold(input: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,  # noqa: A002
           stride: Any = 1) -> Tensor:
    """Sliding blocks of an (N, C, H, W) input as columns (N, C·kH·kW, L)
    (``torch.nn.functional.unfold``, im2col)."""
    input, added = _unbatched(input, 3)
    out = Unfold.apply(input, kernel=_pair(kernel_size, "kernel_size", "unfold", 1),
                       dilation=_pair(dilation, "dilation", "unfold", 1),
                       padding=_pair(padding, "padding", "unfold", 0),
                       stride=_pair(stride, "stride", "unfold", 1))
    return out.reshape(out.shape[1:]) if added else out


@register(method=False)
def fold(input: Any, output_size: Any, kernel_size: Any, dilation: Any = 1,  # noqa: A002
         padding: Any = 0, stride: Any = 1) -> Tensor:
    """Columns (N, C·kH·kW, L) summed back into an (N, C, H, W) image
    (``torch.nn.functional.fold``, col2im; overlapping blocks add up)."""
    input, added = _unbatched(input, 2)
    out = Fold.apply(input, output_size=_pair(output_size, "output_size", "fold", 1),
                     kernel=_pair(kernel_size, "kernel_size", "fold", 1),
                     dilation=_pair(dilation, "dilation", "fold", 1),
                     padding=_pair(padding, "padding", "fold", 0),
                     stride=_pair(stride, "stride", "fold", 1))
    return out.reshape(out.shape[1:]) if added else out
