"""2-D pooling over NCHW inputs: max, average and adaptive average.

Each window offset (i, j) of a k×k pool is one strided view of the input, so a pool is a
k·k-step loop of whole-array operations, never a loop over pixels. Outputs keep the memory
layout of their input, so channels-last activations from a conv stay channels-last.

The textbook version, ``neuralab.lab.textbook.Pooling`` (im2col, arg max, and a scatter of the
gradient to each window's winner), computes the same max pooling and gradients in a few lines.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes
from ..autograd.function import Function
from ..errors import ArgumentError, DTypeError, ShapeError, UnsupportedDTypeError
from ..parallel import matmul, over_batch
from ..tensor import Tensor, to_array
from .conv import _pair
from .registry import register


def _pool_geometry(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
                   padding: tuple[int, int], op: str, dilation: tuple[int, int] = (1, 1),
                   ceil_mode: bool = False) -> tuple[int, int]:
    """Check the arguments as PyTorch does and return the output size (OH, OW):
    ⌊ or ⌈(size + 2p − d·(k − 1) − 1)/s⌉ + 1, a ceil_mode window that would start in the right
    padding dropped."""
    if x.ndim != 4:
        raise ShapeError(f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape "
                         f"{x.shape}")
    if padding[0] * 2 > kernel[0] or padding[1] * 2 > kernel[1]:
        raise ArgumentError(f"{op}: padding {padding} must be at most half of kernel_size "
                            f"{kernel}")
    out = []
    for size, k, s, p, d in zip(x.shape[2:], kernel, stride, padding, dilation):
        span = size + 2 * p - d * (k - 1) - 1
        o = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (o - 1) * s >= size + p:
            o -= 1
        out.append(o)
    if min(out) < 1:
        raise ShapeError(f"{op}: input of shape {x.shape} (padding {padding}) is smaller than "
                         f"kernel_size {kernel}")
    return out[0], out[1]


def _extent(x_shape: tuple[int, ...], kernel: tuple[int, int], stride: tuple[int, int],
            padding: tuple[int, int], dilation: tuple[int, int],
            out_hw: tuple[int, int]) -> tuple[int, int]:
    """The extra rows and columns past the right padding that ceil_mode windows reach."""
    return tuple(max(0, (o - 1) * s + d * (k - 1) + 1 - (size + 2 * p))  # type: ignore
                 for o, s, d, k, p, size in zip(out_hw, stride, dilation, kernel, padding,
                                                x_shape[2:]))


def _pad(x: np.ndarray, padding: tuple[int, int], value: float,
         extra: tuple[int, int] = (0, 0)) -> np.ndarray:
    """x padded by ``padding`` on each side, and ``extra`` more at the bottom and right."""
    if padding == (0, 0) and extra == (0, 0):
        return x
    n, c, h, w = x.shape
    ph, pw = padding
    padded = np.full((n, c, h + 2 * ph + extra[0], w + 2 * pw + extra[1]), value, dtype=x.dtype)
    padded[:, :, ph:ph + h, pw:pw + w] = x
    return padded


def _unpad(grad: np.ndarray, padding: tuple[int, int], size: tuple[int, ...]) -> np.ndarray:
    """The gradient of the unpadded input: the (H, W) = ``size`` interior of ``grad``."""
    ph, pw = padding
    if grad.shape[2:] == tuple(size):
        return grad
    return grad[:, :, ph:ph + size[0], pw:pw + size[1]]


def _nchw(shape: tuple[int, ...], channels_last: bool, dtype: Any, make: Any = np.empty,
          count: int | None = None) -> np.ndarray:
    """A new array of NCHW ``shape`` (behind a leading axis of ``count`` blocks if given) from
    ``make`` (np.empty or np.zeros), laid out channels-last in memory when asked (to match x)."""
    lead = () if count is None else (count,)
    if channels_last:
        n, c, h, w = shape
        k = len(lead)
        return make((*lead, n, h, w, c), dtype=dtype).transpose(*range(k), k, k + 3, k + 1,
                                                                 k + 2)
    return make((*lead, *shape), dtype=dtype)


def _window_slice(i: int, j: int, stride: tuple[int, int],
                  out_hw: tuple[int, int]) -> tuple[slice, ...]:
    """Index of the (N, C, OH, OW) view of the elements at offset (i, j) of every window."""
    return (slice(None), slice(None), slice(i, i + stride[0] * (out_hw[0] - 1) + 1, stride[0]),
            slice(j, j + stride[1] * (out_hw[1] - 1) + 1, stride[1]))


def _offsets(kernel: tuple[int, int], dilation: tuple[int, int] = (1, 1)) -> list[tuple[int, int]]:
    """The row-major window offsets (i·dh, j·dw)."""
    return [(i * dilation[0], j * dilation[1]) for i in range(kernel[0]) for j in range(kernel[1])]


def _tiles(x: np.ndarray, kernel: tuple[int, int], out_hw: tuple[int, int]) -> np.ndarray:
    """The view (N, C, OH, kh, OW, kw) of the non-overlapping windows (splitting axes never
    copies, so writing into it writes into ``x``)."""
    n, c = x.shape[:2]
    return x[:, :, :out_hw[0] * kernel[0], :out_hw[1] * kernel[1]].reshape(
        n, c, out_hw[0], kernel[0], out_hw[1], kernel[1])


class MaxPool2d(Function):
    """y[n,c,h,w] = max_{i,j<k} x_pad[n, c, h·sh + i·dh, w·sw + j·dw]  (padding is −∞).

    dL/dx: each window's gradient goes to ONE element — its first maximum in row-major order,
    PyTorch's rule, so ties (common after ReLU: all-zero windows) route as in torch; the other
    elements of the window get 0 (as g·0, so a non-finite g gives NaN there, as ReLU′ does).
    Overlapping windows add their contributions.
    """

    def forward(self, x: np.ndarray, kernel: tuple[int, int] = (2, 2),
                stride: tuple[int, int] = (2, 2), padding: tuple[int, int] = (0, 0),
                dilation: tuple[int, int] = (1, 1), ceil_mode: bool = False,
                indices: dict[str, Any] | None = None) -> np.ndarray:
        out_hw = _pool_geometry(x, kernel, stride, padding, "max_pool2d", dilation, ceil_mode)
        low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        xp = _pad(x, padding, low, _extent(x.shape, kernel, stride, padding, dilation, out_hw))
        self.x_shape, self.padded_shape, self.padding = x.shape, xp.shape, padding
        self.kernel, self.stride, self.out_hw = kernel, stride, out_hw
        self.dilation = dilation
        self.channels_last = channels_last = xp.transpose(0, 2, 3, 1).flags.c_contiguous
        count = kernel[0] * kernel[1]
        # Non-overlapping windows are copied into one contiguous block per window offset, so
        # every later step is a contiguous operation (strided views of channels-last memory
        # run ~6× slower in NumPy: their inner loops hold only C values).
        self.blocked = blocked = stride == kernel and dilation == (1, 1)
        out_shape = (*x.shape[:2], *out_hw)
        y = _nchw(out_shape, channels_last, x.dtype)
        # Which element of its window each output came from: for 2×2 windows three booleans
        # (right in top row, right in bottom row, bottom row) — fewer passes than an index.
        self.pairwise = pairwise = blocked and kernel == (2, 2)
        if pairwise:
            self.choice = _nchw(out_shape, channels_last, np.bool_, count=3)
        else:
            self.choice = _nchw(out_shape, channels_last, np.uint8 if count < 256 else np.int32)

        def chunk(lo: int, hi: int) -> None:  # images lo..hi
            part, best = xp[lo:hi], y[lo:hi]
            choice = self.choice[:, lo:hi] if pairwise else self.choice[lo:hi]
            if blocked:
                views = _nchw(best.shape, channels_last, x.dtype, count=count)
                views.reshape(*kernel, *views.shape[1:])[...] = (
                    _tiles(part, kernel, out_hw).transpose(3, 5, 0, 1, 2, 4))
            else:
                views = [part[_window_slice(i, j, stride, out_hw)]
                         for i, j in _offsets(kernel, dilation)]
            if pairwise:  # a tournament; strict ">" keeps the earlier element on a tie
                top, bottom = np.maximum(views[0], views[1]), np.maximum(views[2], views[3])
                np.greater(views[1], views[0], out=choice[0])
                np.greater(views[3], views[2], out=choice[1])
                np.greater(bottom, top, out=choice[2])
                np.maximum(top, bottom, out=best)
                return
            # A running maximum and the row-major number t of the offset that set it. Strict
            # ">" keeps the earlier offset on a tie; t only grows, so maximum() records it.
            best[...] = views[0]
            choice[...] = 0
            for t in range(1, count):
                greater = views[t] > best
                np.maximum(best, views[t], out=best)
                np.maximum(choice, np.multiply(greater, choice.dtype.type(t)), out=choice)

        over_batch(chunk, x.shape[0], xp[:1].nbytes)
        if indices is not None:
            indices["indices"] = self._indices()
        return y

    def _indices(self) -> np.ndarray:
        """Each output's source as a flat index h·W + w into its (unpadded) input plane."""
        if self.pairwise:
            right_top, right_bottom, bottom = self.choice
            t = np.where(bottom, 2 + right_bottom.astype(np.int64), right_top.astype(np.int64))
        else:
            t = self.choice.astype(np.int64)
        kw = self.kernel[1]
        rows = (np.arange(self.out_hw[0]) * self.stride[0] - self.padding[0])[:, None]
        cols = np.arange(self.out_hw[1]) * self.stride[1] - self.padding[1]
        return ((rows + t // kw * self.dilation[0]) * self.x_shape[3]
                + cols + t % kw * self.dilation[1])

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        kernel, stride, out_hw = self.kernel, self.stride, self.out_hw
        count, channels_last = kernel[0] * kernel[1], self.channels_last
        # Match the saved choices' layout (e.g. after Flatten): mixed layouts are slow.
        relayout = channels_last and not grad_out.transpose(0, 2, 3, 1).flags.c_contiguous
        covered = self.padded_shape[2:] == tuple(o * k for o, k in zip(out_hw, kernel))
        grad = _nchw(self.padded_shape, channels_last, grad_out.dtype)

        def chunk(lo: int, hi: int) -> None:  # images lo..hi
            g, target = grad_out[lo:hi], grad[lo:hi]
            if relayout:  # per chunk, on the threads, like the zeroing below
                g = np.ascontiguousarray(g.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
            if not self.blocked:  # overlapping or gapped windows: the offsets accumulate
                target[...] = 0
            elif not covered:  # the rows and columns no window reaches get no gradient
                target[:, :, out_hw[0] * kernel[0]:] = 0
                target[:, :, :, out_hw[1] * kernel[1]:] = 0
            if self.pairwise:
                right_top, right_bottom, bottom = self.choice[:, lo:hi]
                top = ~bottom
                masks: Any = (top > right_top, top & right_top, bottom > right_bottom,
                              bottom & right_bottom)
            else:
                where = self.choice[lo:hi]
                masks = (where == t for t in range(count))
            if self.blocked:  # write each offset's share into a block, then scatter once
                blocks = _nchw(g.shape, channels_last, g.dtype, count=count)
                for t, mask in enumerate(masks):
                    np.multiply(g, mask, out=blocks[t])
                _tiles(target, kernel, out_hw)[...] = (
                    blocks.reshape(*kernel, *blocks.shape[1:]).transpose(2, 3, 4, 0, 5, 1))
            else:
                for (i, j), mask in zip(_offsets(kernel, self.dilation), masks):
                    target[_window_slice(i, j, stride, out_hw)] += g * mask

        over_batch(chunk, grad.shape[0], grad[:1].nbytes)
        return _unpad(grad, self.padding, self.x_shape[2:])


class AvgPool2d(Function):
    """y[n,c,h,w] = (1/D) Σ_{i,j<k} x_pad[n, c, h·sh + i, w·sw + j],  dL/dx_pad += g/D per window.

    D = the window's size clipped to the padded input (``count_include_pad=True``; k·k except
    where a ceil_mode window runs past the padding), the number of real pixels in the window
    (``count_include_pad=False``), or ``divisor_override``.
    """

    def forward(self, x: np.ndarray, kernel: tuple[int, int] = (2, 2),
                stride: tuple[int, int] = (2, 2), padding: tuple[int, int] = (0, 0),
                count_include_pad: bool = True, ceil_mode: bool = False,
                divisor_override: int | None = None) -> np.ndarray:
        out_hw = _pool_geometry(x, kernel, stride, padding, "avg_pool2d", ceil_mode=ceil_mode)
        extra = _extent(x.shape, kernel, stride, padding, (1, 1), out_hw)
        xp = _pad(x, padding, 0, extra)
        self.padded_shape = xp.shape
        self.x_shape, self.padding, self.kernel, self.stride, self.out_hw = (
            x.shape, padding, kernel, stride, out_hw)
        self.channels_last = xp.transpose(0, 2, 3, 1).flags.c_contiguous
        views = [xp[_window_slice(i, j, stride, out_hw)] for i, j in _offsets(kernel)]
        total = views[0].astype(np.result_type(x, np.float32), order="K", copy=True)
        for view in views[1:]:
            total += view
        if divisor_override is not None:
            self.divisor: Any = total.dtype.type(divisor_override)
        elif extra == (0, 0) and (count_include_pad or padding == (0, 0)):
            self.divisor = total.dtype.type(kernel[0] * kernel[1])
        else:
            # Pixels per window: (rows counted) × (columns counted) — inside the padded input
            # with count_include_pad, else inside the image.
            counts = []
            for o, s, p, k, size in zip(out_hw, stride, padding, kernel, x.shape[2:]):
                start = np.arange(o) * s - p
                end = np.minimum(start + k, size + p)
                counts.append(end - start if count_include_pad
                              else np.minimum(end, size) - np.maximum(start, 0))
            self.divisor = np.outer(*counts).astype(total.dtype)
        total /= self.divisor
        if x.dtype.kind in "iu":  # int64: PyTorch's integer division, truncated toward zero
            return np.trunc(total).astype(x.dtype)
        return total.astype(x.dtype, copy=False)  # float16 summed in float32, as torch

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        share = grad_out / self.divisor
        grad = _nchw(self.padded_shape, self.channels_last, share.dtype, np.zeros)
        for i, j in _offsets(self.kernel):
            grad[_window_slice(i, j, self.stride, self.out_hw)] += share
        return _unpad(grad, self.padding, self.x_shape[2:])


def _adaptive_matrix(size_in: int, size_out: int, dtype: np.dtype) -> np.ndarray:
    """A (size_out, size_in) averaging matrix: row i is 1/len on PyTorch's window
    [floor(i·in/out), ceil((i+1)·in/out)) and 0 elsewhere."""
    matrix = np.zeros((size_out, size_in), dtype=dtype)
    for i in range(size_out):  # size_out is small (a few to tens of cells)
        start, end = (i * size_in) // size_out, -(-((i + 1) * size_in) // size_out)
        matrix[i, start:end] = 1 / (end - start)
    return matrix


class AdaptiveAvgPool2d(Function):
    """y = A_h x A_wᵀ per (n, c): A averages PyTorch's adaptive windows (possibly overlapping).

    The average over a window is separable, so both directions are matrix products:
    dL/dx = A_hᵀ g A_w.
    """

    def forward(self, x: np.ndarray, output_size: tuple[Any, Any] = (1, 1)) -> np.ndarray:
        if x.ndim != 4:
            raise ShapeError(f"adaptive_avg_pool2d: expected a 3-D (C, H, W) or 4-D (N, C, H, "
                             f"W) input, got shape {x.shape}")
        h, w = x.shape[2:]
        oh, ow = (h if output_size[0] is None else output_size[0],
                  w if output_size[1] is None else output_size[1])
        if min(h, w) < 1:
            raise ShapeError(f"adaptive_avg_pool2d: input of shape {x.shape} is empty")
        dtype = np.result_type(x, np.float32)  # float16 is averaged in float32, as torch
        self.rows, self.cols = _adaptive_matrix(h, oh, dtype), _adaptive_matrix(w, ow, dtype)
        return matmul(matmul(self.rows, x), self.cols.T).astype(x.dtype, copy=False)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return matmul(matmul(self.rows.T, grad_out), self.cols)


def _batched(input: Any, op: Any) -> Tensor:  # noqa: A002
    """``op(input)`` on a 4-D input; a 3-D (C, H, W) input is one unbatched image, as in
    PyTorch."""
    if np.ndim(to_array(input)) != 3:
        return op(input)
    x = input.reshape(1, *input.shape) if isinstance(input, Tensor) else to_array(input)[None]
    out = op(x)
    return out.reshape(out.shape[1:])


def _check_dtype(op: str, input: Any, allowed: tuple[np.dtype, ...]) -> None:  # noqa: A002
    """Refuse a dtype PyTorch has no kernel for: any float dtype passes, and ``allowed``."""
    dtype = np.asarray(to_array(input)).dtype
    if dtype.kind == "f" or dtype in allowed:
        return
    raise UnsupportedDTypeError(
        f"{op}: \"{op}\" not implemented for '{dtypes.torch_name(dtype)}': got an input of "
        f"dtype {dtype}; convert it with .float()")


def _returning_indices(fn: Any, x: Any, return_indices: bool, **options: Any) -> Any:
    """``fn.apply(x, **options)``, with the int64 indices tensor beside it if asked."""
    if not return_indices:
        return fn.apply(x, **options)
    holder: dict[str, Any] = {}
    y = fn.apply(x, indices=holder, **options)
    return y, Tensor(holder["indices"])


def _batched_pair(input: Any, op: Any) -> Any:  # noqa: A002
    """``_batched`` for an op that may return (output, indices)."""
    if np.ndim(to_array(input)) != 3:
        return op(input)
    x = input.reshape(1, *input.shape) if isinstance(input, Tensor) else to_array(input)[None]
    out = op(x)
    if isinstance(out, tuple):
        return tuple(o.reshape(o.shape[1:]) for o in out)
    return out.reshape(out.shape[1:])


@register(method=False)
def max_pool2d(input: Any, kernel_size: Any, stride: Any = None,  # noqa: A002
               padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """Max over k×k windows (``torch.nn.functional.max_pool2d``); stride defaults to kernel.
    Float and integer inputs (not bool, as PyTorch). With ``return_indices`` also the int64
    flat index (h·W + w) of each maximum in its input plane, as ``max_unpool2d`` takes."""
    kernel = _pair(kernel_size, "kernel_size", "max_pool2d", 1)
    stride = kernel if stride is None or stride == [] else _pair(stride, "stride",
                                                                  "max_pool2d", 1)
    padding = _pair(padding, "padding", "max_pool2d", 0)
    dilation = _pair(dilation, "dilation", "max_pool2d", 1)
    _check_dtype("max_pool2d", input, (dtypes.uint8, dtypes.int8, dtypes.int16, dtypes.int32,
                                       dtypes.int64))
    return _batched_pair(input, lambda x: _returning_indices(
        MaxPool2d, x, return_indices, kernel=kernel, stride=stride, padding=padding,
        dilation=dilation, ceil_mode=bool(ceil_mode)))


@register(method=False)
def avg_pool2d(input: Any, kernel_size: Any, stride: Any = None,  # noqa: A002
               padding: Any = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean over k×k windows (``torch.nn.functional.avg_pool2d``, its argument order); stride
    defaults to kernel. The output keeps the input's dtype: float, or int64 with the mean
    truncated (PyTorch)."""
    kernel = _pair(kernel_size, "kernel_size", "avg_pool2d", 1)
    stride = kernel if stride is None or stride == [] else _pair(stride, "stride",
                                                                  "avg_pool2d", 1)
    padding = _pair(padding, "padding", "avg_pool2d", 0)
    if divisor_override is not None:
        if isinstance(divisor_override, bool) or not isinstance(divisor_override,
                                                                (int, np.integer)):
            raise TypeError(f"avg_pool2d: divisor_override must be an int, got "
                            f"{divisor_override!r}")
        if divisor_override == 0:
            raise ArgumentError("avg_pool2d: divisor must be not zero")
    _check_dtype("avg_pool2d", input, (dtypes.int64,))
    return _batched(input, lambda x: AvgPool2d.apply(
        x, kernel=kernel, stride=stride, padding=padding,
        count_include_pad=bool(count_include_pad), ceil_mode=bool(ceil_mode),
        divisor_override=None if divisor_override is None else int(divisor_override)))


def _output_size(output_size: Any, op: str = "adaptive_avg_pool2d") -> tuple[Any, Any]:
    pair = (output_size, output_size) if not isinstance(output_size, (tuple, list)) else tuple(
        output_size)
    if len(pair) != 2 or not all(v is None or isinstance(v, (int, np.integer))
                                 and not isinstance(v, bool) and v >= 1 for v in pair):
        raise ArgumentError(f"{op}: output_size must be a positive int or a pair "
                            f"of positive ints (or None), got {output_size!r}")
    return pair[0], pair[1]


@register(method=False)
def adaptive_avg_pool2d(input: Any, output_size: Any) -> Tensor:  # noqa: A002
    """Average into an output of ``output_size`` (``torch.nn.functional.adaptive_avg_pool2d``);
    floating inputs only, as in PyTorch."""
    size = _output_size(output_size)
    dtype = np.asarray(to_array(input)).dtype
    if dtype.kind != "f":
        raise DTypeError(f"adaptive_avg_pool2d: mean(): could not infer output dtype: the input "
                         f"must be floating, got {dtype}; convert it with .float()")
    return _batched(input, lambda x: AdaptiveAvgPool2d.apply(x, output_size=size))


# ------------------------------------------------------------------------ max unpooling


class MaxUnpool2d(Function):
    """y[n, c].flat[idx[n,c,h,w]] = x[n,c,h,w], 0 elsewhere (the inverse of max_pool2d's
    routing).   dL/dx[n,c,h,w] = g[n, c].flat[idx[n,c,h,w]]."""

    def forward(self, x: np.ndarray, indices: np.ndarray | None = None,
                size: tuple[int, int] = (1, 1)) -> np.ndarray:
        assert indices is not None
        n, c = x.shape[:2]
        plane = size[0] * size[1]
        flat = indices.reshape(n, c, -1).astype(np.intp, copy=False)
        if flat.size and (flat.min() < 0 or flat.max() >= plane):
            bad = flat.max() if flat.max() >= plane else flat.min()
            raise ArgumentError(f"max_unpool2d: Found an invalid max index: {bad} (output "
                                f"volumes are of size {size[0]}x{size[1]})")
        self.flat, self.x_shape = flat, x.shape
        y = np.zeros((n, c, plane), dtype=x.dtype)
        np.put_along_axis(y, flat, x.reshape(n, c, -1), axis=2)
        return y.reshape(n, c, *size)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        n, c = self.x_shape[:2]
        grad = np.take_along_axis(grad_out.reshape(n, c, -1), self.flat, axis=2)
        return grad.reshape(self.x_shape)


@register(method=False)
def max_unpool2d(input: Any, indices: Any, kernel_size: Any, stride: Any = None,  # noqa: A002
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """Place each value at its ``indices`` (from ``max_pool2d(..., return_indices=True)``) in a
    zero plane of (H−1)·s − 2p + k (or ``output_size``) — ``torch.nn.functional.max_unpool2d``.
    """
    kernel = _pair(kernel_size, "kernel_size", "max_unpool2d", 1)
    stride = kernel if stride is None or stride == [] else _pair(stride, "stride",
                                                                  "max_unpool2d", 1)
    padding = _pair(padding, "padding", "max_unpool2d", 0)
    x = to_array(input)
    index = to_array(indices)
    if np.ndim(x) not in (3, 4):
        raise ShapeError(f"max_unpool2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, "
                         f"got shape {np.shape(x)}")
    if np.shape(index) != np.shape(x):
        raise ShapeError(f"max_unpool2d: Expected shape of indices to be same as that of the "
                         f"input tensor ({np.shape(x)}) but got indices tensor with shape: "
                         f"{np.shape(index)}")
    if np.asarray(index).dtype != np.int64:
        raise DTypeError(f"max_unpool2d: elements in indices should be type int64 but got: "
                         f"{np.asarray(index).dtype}")
    default = tuple((size - 1) * s - 2 * p + k
                    for size, s, p, k in zip(np.shape(x)[-2:], stride, padding, kernel))
    if output_size is None:
        size = default
    else:
        given = tuple(int(v) for v in output_size)
        if len(given) == np.ndim(x):
            given = given[2:] if np.ndim(x) == 4 else given[1:]
        elif len(given) != 2:
            raise ArgumentError(f"max_unpool2d: output_size should be a sequence containing 2 "
                                f"or {np.ndim(x)} elements, but it has a length of {len(given)}")
        for v, d, s in zip(given, default, stride):
            if not d - s < v < d + s:
                raise ArgumentError(f"max_unpool2d: invalid output_size {given} (dim must be "
                                    f"between {tuple(a - b for a, b in zip(default, stride))} "
                                    f"and {tuple(a + b for a, b in zip(default, stride))})")
        size = given
    if np.ndim(x) == 3:
        x4 = input.reshape(1, *input.shape) if isinstance(input, Tensor) else np.asarray(x)[None]
        out = MaxUnpool2d.apply(x4, indices=np.asarray(index)[None], size=size)
        return out.reshape(out.shape[1:])
    return MaxUnpool2d.apply(input, indices=np.asarray(index), size=size)


# ----------------------------------------------------------------------- adaptive max pooling


def _adaptive_windows(size_in: int, size_out: int) -> np.ndarray:
    """(size_out, K) positions of PyTorch's adaptive windows [⌊i·in/out⌋, ⌈(i+1)·in/out⌉),
    K the longest window's length; a shorter window repeats its last position (which never
    changes a maximum nor which element is its first)."""
    i = np.arange(size_out)
    start, end = (i * size_in) // size_out, -(-((i + 1) * size_in) // size_out)
    k = int((end - start).max())
    return np.minimum(start[:, None] + np.arange(k), end[:, None] - 1)


class AdaptiveMaxPool2d(Function):
    """y[n,c,i,j] = max over PyTorch's adaptive window (i, j); dL/dx: each g goes to its
    window's first maximum in row-major order (overlapping windows add)."""

    def forward(self, x: np.ndarray, output_size: tuple[Any, Any] = (1, 1),
                indices: dict[str, Any] | None = None) -> np.ndarray:
        if x.ndim != 4:
            raise ShapeError(f"adaptive_max_pool2d: expected a 3-D (C, H, W) or 4-D (N, C, H, "
                             f"W) input, got shape {x.shape}")
        n, c, h, w = x.shape
        if min(h, w) < 1:
            raise ShapeError(f"adaptive_max_pool2d: input of shape {x.shape} is empty")
        oh, ow = (h if output_size[0] is None else output_size[0],
                  w if output_size[1] is None else output_size[1])
        rows, cols = _adaptive_windows(h, oh), _adaptive_windows(w, ow)
        kh, kw = rows.shape[1], cols.shape[1]
        # (N, C, OH, KH, OW, KW) -> (N, C, OH, OW, KH·KW): every window's elements in a row.
        windows = x[:, :, rows[:, :, None, None], cols[None, None]].reshape(n, c, oh, kh, ow, kw)
        windows = windows.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, oh, ow, kh * kw)
        t = windows.argmax(axis=-1)[..., None]
        y = np.take_along_axis(windows, t, axis=-1)[..., 0]
        t = t[..., 0]
        flat = (rows[np.arange(oh)[:, None], t // kw] * w
                + cols[np.arange(ow), t % kw])
        self.flat, self.x_shape = flat, x.shape
        if indices is not None:
            indices["indices"] = flat.astype(np.int64, copy=False)
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        n, c, h, w = self.x_shape
        plane = h * w
        where = (self.flat.reshape(n * c, -1) + np.arange(n * c)[:, None] * plane).ravel()
        grad = np.bincount(where, weights=grad_out.reshape(-1).astype(np.float64, copy=False),
                           minlength=n * c * plane)
        return grad.astype(grad_out.dtype, copy=False).reshape(self.x_shape)


@register(method=False)
def adaptive_max_pool2d(input: Any, output_size: Any,  # noqa: A002
                        return_indices: bool = False) -> Any:
    """Max into an output of ``output_size`` (``torch.nn.functional.adaptive_max_pool2d``);
    floating inputs only, as in PyTorch; with ``return_indices`` also each maximum's flat
    int64 index in its input plane."""
    size = _output_size(output_size, "adaptive_max_pool2d")
    dtype = np.asarray(to_array(input)).dtype
    if dtype.kind != "f":
        raise UnsupportedDTypeError(f"adaptive_max_pool2d: \"adaptive_max_pool2d\" not "
                                    f"implemented for '{dtypes.torch_name(dtype)}'; convert it "
                                    f"with .float()")
    return _batched_pair(input, lambda x: _returning_indices(
        AdaptiveMaxPool2d, x, return_indices, output_size=size))


# Resizing (F.interpolate) lives in ops/resize.py; importing it here registers it whenever the
# ops package loads (ops/__init__.py imports this module).
from . import resize  # noqa: E402, F401
