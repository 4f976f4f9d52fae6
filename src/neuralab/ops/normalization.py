"""Batch normalisation, fused: one op for the forward pass and one closed-form backward.

The same formulas without the memory-layout work: ``neuralab.lab.textbook.BatchNormalization``
(per-channel statistics and the book's backward, tested against this op).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import numpy as np

from .. import dtypes
from ..autograd.function import Function
from ..errors import ArgumentError, DTypeError, ShapeError, UnsupportedDTypeError
from ..parallel import over_batch
from ..tensor import Tensor, to_array
from .registry import register

T = TypeVar("T")
_WIDE = 1024  # channels-last rows are regrouped to about this many values per row


class _ChannelView:
    """x (N, C, *) as a 3-D view whose rows are long and contiguous, plus how per-channel
    values line up with it. Contiguous NCHW: (N, C, L), a channel per row. Channels-last memory
    (as our conv outputs are): (N, L/k, k·C), k pixels per row, so per-channel values are
    repeated k times (short rows of only C values make every NumPy pass several times slower).
    Statistics reduce axes 0 and 2 (resp. 0 and 1 then fold k); chunks split axis 0."""

    def __init__(self, x: np.ndarray) -> None:
        n, c = x.shape[:2]
        pixels = int(np.prod(x.shape[2:], dtype=np.int64))
        last = x.transpose(0, *range(2, x.ndim), 1)
        self.shape, self.channels = x.shape, c
        if x.ndim == 2 or last.flags.c_contiguous:
            # The most pixels per row that divide the image and keep rows near _WIDE values.
            self.k = next((k for k in range(min(pixels, max(1, _WIDE // max(c, 1))), 0, -1)
                           if pixels % k == 0), 1)
            self.view = np.ascontiguousarray(last).reshape(n, pixels // self.k, self.k * c)
            self.channels_last = True
        else:
            self.k, self.channels_last = 1, False
            self.view = x.reshape(n, c, pixels)  # free when x is contiguous NCHW

    def of(self, array: np.ndarray) -> np.ndarray:
        """Another (N, C, *) array (a gradient) in this view's layout (copied if needed)."""
        if self.channels_last:
            array = array.transpose(0, *range(2, array.ndim), 1)
        return np.ascontiguousarray(array).reshape(self.view.shape)

    def wide(self, values: np.ndarray, dtype: Any) -> np.ndarray:
        """Per-channel values, shaped to broadcast against a chunk of the view."""
        values = np.asarray(values, dtype=dtype)
        return np.tile(values, self.k) if self.channels_last else values.reshape(-1, 1)

    def fold(self, wide_sums: np.ndarray) -> np.ndarray:
        """Sums over the view's rows (k·C values when channels-last) as C per-channel sums."""
        return wide_sums.reshape(self.k, self.channels).sum(axis=0) if self.channels_last \
            else wide_sums

    def sum(self, array: np.ndarray) -> np.ndarray:
        """Per-channel sums of a chunk of the view, accumulated in at least float32 (float16
        sums overflow), returned in float64."""
        return self.fold(array.sum(axis=(0, 1) if self.channels_last else (0, 2),
                                   dtype=np.result_type(array.dtype, np.float32))
                         .astype(np.float64))

    def per_chunk(self, fn: Callable[[int, int], T]) -> list[T]:
        """``fn(lo, hi)`` on chunks of the batch, on the threads."""
        return over_batch(fn, len(self.view), self.view[:1].nbytes)

    def total(self, per_chunk_sums: Iterable[np.ndarray]) -> np.ndarray:
        """The sum of per-chunk per-channel sums (C zeros for an empty batch)."""
        return sum(per_chunk_sums, np.zeros(self.channels))

    def statistics(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-channel mean and biased variance in one pass over x: each chunk's own mean and
        sum of squared deviations (computed while the chunk is in cache), combined exactly
        (Chan et al.): M2 = Σ_k [M2_k + n_k (μ_k − μ)²]. No Σx² − m μ² cancellation."""
        view = self.view
        per_row = view[0].size // self.channels  # values per channel in one image

        def chunk(lo: int, hi: int) -> tuple[float, np.ndarray, np.ndarray]:
            part = view[lo:hi]
            count = (hi - lo) * per_row
            mean = self.sum(part) / count
            work = np.result_type(part.dtype, np.float32)  # float16 squares overflow
            deviation = np.subtract(part, self.wide(mean, work), dtype=work)
            return count, mean, self.sum(np.multiply(deviation, deviation, out=deviation))

        chunks = self.per_chunk(chunk)
        counts = np.array([c[0] for c in chunks], dtype=np.float64)[:, None]
        means, m2s = np.array([c[1] for c in chunks]), np.array([c[2] for c in chunks])
        total = counts.sum()
        mean = (counts * means).sum(axis=0) / total
        m2 = m2s.sum(axis=0) + (counts * (means - mean) ** 2).sum(axis=0)
        return mean, m2 / total

    def affine(self, scale: np.ndarray, shift: np.ndarray, dtype: Any,
               source: np.ndarray | None = None, other: np.ndarray | None = None,
               other_scale: np.ndarray | None = None) -> np.ndarray:
        """source·scale + shift (+ other·other_scale), per channel (source defaults to the
        view), as a new (N, C, *) array in x's memory layout."""
        source = self.view if source is None else source
        # float16 is computed in float32 (x·scale + shift cancels: at x ≈ 100 a float16
        # product is off by 0.06) and rounded once at the end, as torch does.
        work = np.result_type(dtype, np.float32)
        scale, shift = self.wide(scale, work), self.wide(shift, work)
        if other is not None:
            other_scale = self.wide(other_scale, work)
        out = np.empty(self.view.shape, dtype=dtype)

        def chunk(lo: int, hi: int) -> None:
            part = out[lo:hi] if work == dtype else np.empty(out[lo:hi].shape, work)
            np.multiply(source[lo:hi], scale, out=part)
            part += shift
            if other is not None:
                part += other[lo:hi] * other_scale
            if work != dtype:
                out[lo:hi] = part

        self.per_chunk(chunk)
        if not self.channels_last:
            return out.reshape(self.shape)
        n, channels, *spatial = self.shape
        return out.reshape(n, *spatial, channels).transpose(0, len(self.shape) - 1,
                                                            *range(1, len(self.shape) - 1))


class BatchNorm(Function):
    """y = γ x̂ + β,  x̂ = (x − μ)/√(σ² + ε), per channel (axis 1), statistics over all other axes.

    Training: μ, σ² are the batch mean and *biased* variance (m values per channel) and
    dL/dx = γ/√(σ²+ε) · (g − mean(g) − x̂ · mean(g x̂))  (μ and σ² depend on x too).
    Evaluation: μ, σ² are the running estimates (constants), so dL/dx = γ g/√(σ²+ε).
    Both: dL/dγ = Σ g x̂,  dL/dβ = Σ g.

    Every pass is per channel, so y = x·a + b and dL/dx = g·a' + x·b' + c' with per-channel
    a, b, ...: x̂ is never stored (it is recomputed in cache), and each pass runs on chunks of
    the batch on the threads, in the input's memory layout.
    """

    def forward(self, x: np.ndarray, *params: np.ndarray, affine: tuple[bool, bool] = (False,
                False), running_mean: np.ndarray | None = None,
                running_var: np.ndarray | None = None, training: bool = False,
                momentum: float = 0.1, eps: float = 1e-5) -> np.ndarray:
        weight = params[0] if affine[0] else None
        bias = params[-1] if affine[1] else None
        layout = _ChannelView(x)
        count = x.size // x.shape[1]
        dtype = x.dtype  # also with float32 parameters for a float16 input, as in torch
        if training:
            mean, var = layout.statistics()  # biased variance: divides by m, as torch
            inv_std = 1 / np.sqrt(var + eps)
            # Running estimates use the *unbiased* variance σ²·m/(m−1), as torch does.
            if running_mean is not None:
                running_mean *= 1 - momentum
                running_mean += (momentum * mean).astype(running_mean.dtype)
            if running_var is not None:
                running_var *= 1 - momentum
                running_var += (momentum * count / (count - 1) * var).astype(running_var.dtype)
        else:
            mean = np.array(running_mean, dtype=np.float64)  # a copy: the buffer may change
            inv_std = 1 / np.sqrt(np.asarray(running_var, dtype=np.float64) + eps)
        scale = inv_std * (1.0 if weight is None else weight.astype(np.float64))
        shift = (0.0 if bias is None else bias.astype(np.float64)) - mean * scale
        self.layout, self.mean, self.inv_std, self.scale = layout, mean, inv_std, scale
        self.training, self.affine, self.count = training, affine, count
        return layout.affine(scale, shift, dtype)

    def backward(self, grad_out: np.ndarray) -> tuple:
        need_x, *need_params = self.needs_input_grad
        layout, inv_std = self.layout, self.inv_std
        view, g = layout.view, layout.of(grad_out)
        need_weight = self.affine[0] and need_params[0]
        sum_g = sum_g_xhat = None
        if self.training or need_weight or (self.affine[1] and need_params[-1]):
            work = np.result_type(view.dtype, np.float32)  # float16 products overflow
            centre = layout.wide(self.mean, work)

            def sums(lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:  # Σg, Σg(x − μ)
                deviation = np.subtract(view[lo:hi], centre, dtype=work)
                return layout.sum(g[lo:hi]), layout.sum(np.multiply(deviation, g[lo:hi],
                                                                    out=deviation))

            chunks = layout.per_chunk(sums)
            sum_g = layout.total(c[0] for c in chunks)
            sum_g_xhat = inv_std * layout.total(c[1] for c in chunks)
        grads: list[Any] = []
        dtype = np.result_type(grad_out, view)
        if self.affine[0]:
            grads.append(sum_g_xhat.astype(dtype) if need_params[0] else None)
        if self.affine[1]:
            grads.append(sum_g.astype(dtype) if need_params[-1] else None)
        grad_x = None
        if need_x:
            scale = self.scale  # γ/√(σ²+ε), as in the forward pass
            if self.training:
                # scale·(g − Σg/m − x̂·Σgx̂/m) with x̂ = (x − μ)·inv_std, as g·a + x·b + c.
                slope = scale * inv_std * sum_g_xhat / self.count
                grad_x = layout.affine(scale, slope * self.mean - scale * sum_g / self.count,
                                       dtype, source=g, other=view,
                                       other_scale=-slope)
            else:
                grad_x = layout.affine(scale, np.zeros_like(scale), dtype, source=g)
        return (grad_x, *grads)


def _check_dtypes(input: Any, named: tuple) -> None:  # noqa: A002
    """PyTorch's rule: a floating input, and tensor parameters and running statistics of one
    dtype, the input's (or float32 with a float16 input: "mixed dtype"). The output has the
    input's dtype. Parameters that are not Tensors are constants, converted."""
    dtype = np.asarray(to_array(input)).dtype
    if dtype.kind != "f":
        raise UnsupportedDTypeError(
            f"batch_norm: \"batch_norm\" not implemented for '{dtypes.torch_name(dtype)}': got "
            f"an input of dtype {dtype}; convert it with .float()")
    tensors = [(name, v) for name, v in named if isinstance(v, Tensor)]
    if not tensors:
        return
    first = tensors[0][1].dtype
    allowed = (dtype, dtypes.float32) if dtype == dtypes.float16 else (dtype,)
    for name, value in tensors:
        if value.dtype != first or value.dtype not in allowed:
            raise DTypeError(
                f"batch_norm: mixed dtype: expected {name} to have the input's dtype {dtype}"
                f"{' (or float32, for all parameters)' if dtype == dtypes.float16 else ''}, got "
                f"{value.dtype}; convert the input with .to(neuralab.{value.dtype}) or the "
                f"layer with .to(neuralab.{dtype})")


@register(method=False)
def batch_norm(input: Any, running_mean: Any, running_var: Any, weight: Any = None,  # noqa: A002
               bias: Any = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Batch normalisation (``torch.nn.functional.batch_norm``) over axis 1 of (N, C, *).

    In training, ``running_mean`` / ``running_var`` (if given) are updated in place:
    r ← (1 − momentum)·r + momentum·batch statistic (the variance unbiased).
    """
    shape = np.shape(to_array(input))
    if len(shape) < 2:
        raise ShapeError(f"batch_norm: expected an input of shape (N, C) or (N, C, *), got "
                         f"{tuple(shape)}")
    channels = shape[1]
    stats = [None if r is None else to_array(r) for r in (running_mean, running_var)]
    named = (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
             ("bias", bias))
    for name, value in named:
        got = None if value is None else np.shape(to_array(value))
        if got is not None and got != (channels,):
            raise ShapeError(f"batch_norm: {name} must have shape ({channels},) for an input of "
                             f"shape {tuple(shape)} ({channels} channels), got {got}")
    _check_dtypes(input, named)
    if not training and (stats[0] is None or stats[1] is None):
        raise ArgumentError("batch_norm: running_mean and running_var are needed in evaluation "
                            "mode (training=False)")
    if training and int(np.prod(shape)) // channels <= 1:
        raise ArgumentError(f"batch_norm: expected more than 1 value per channel when training, "
                            f"got input of shape {tuple(shape)}")
    params = [p for p in (weight, bias) if p is not None]
    return BatchNorm.apply(input, *params, affine=(weight is not None, bias is not None),
                           running_mean=stats[0], running_var=stats[1], training=bool(training),
                           momentum=float(momentum), eps=float(eps))


class Standardize(Function):
    """x̂ = (x − μ)/√(σ² + ε) per row of a 2-D (M, K) array: μ, σ² the row's mean and biased
    variance (the core of layer_norm and group_norm; the affine part is applied after it).

    dL/dx = 1/√(σ²+ε) · (g − mean(g) − x̂ · mean(g x̂)), means over the row (μ and σ² depend
    on every x of the row). float16 is computed in float32 and rounded once, as torch does.
    """

    def forward(self, x: np.ndarray, eps: float = 1e-5) -> np.ndarray:
        work = np.result_type(x.dtype, np.float32)
        xw = x.astype(work, copy=False)
        mean = xw.mean(axis=1, keepdims=True)
        centred = xw - mean
        var = np.mean(centred * centred, axis=1, keepdims=True)
        inv_std = 1 / np.sqrt(var + np.asarray(eps, dtype=work))
        xhat = centred * inv_std
        self.xhat, self.inv_std, self.dtype = xhat, inv_std, x.dtype
        return xhat.astype(x.dtype, copy=False)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        xhat = self.xhat
        g = grad_out.astype(xhat.dtype, copy=False)
        grad = self.inv_std * (g - g.mean(axis=1, keepdims=True)
                               - xhat * (g * xhat).mean(axis=1, keepdims=True))
        return grad.astype(np.result_type(grad_out, self.dtype), copy=False)


def _check_floating_norm(name: str, input: Tensor, *params: Any) -> None:  # noqa: A002
    if input.dtype.kind != "f":
        raise UnsupportedDTypeError(
            f"{name}: \"{name}\" not implemented for '{dtypes.torch_name(input.dtype)}': got an "
            f"input of dtype {input.dtype}; convert it with .float()")
    for p in params:
        if isinstance(p, Tensor) and p.dtype != input.dtype:
            raise DTypeError(
                f"{name}: expected scalar type {dtypes.torch_name(input.dtype)} but found "
                f"{dtypes.torch_name(p.dtype)}: the weight and bias must have the input's dtype "
                f"({input.dtype}); convert them with .to({input.dtype})")


def _as_param(value: Any, dtype: Any) -> Any:
    if value is None or isinstance(value, Tensor):
        return value
    return Tensor._from_op(np.asarray(to_array(value), dtype=dtype), False)


@register(method=False)
def layer_norm(input: Any, normalized_shape: Any, weight: Any = None,  # noqa: A002
               bias: Any = None, eps: float = 1e-5) -> Tensor:
    """Layer normalisation (``torch.nn.functional.layer_norm``): y = x̂·γ + β, x̂ the input
    standardised over its last ``len(normalized_shape)`` axes (biased variance)."""
    input = input if isinstance(input, Tensor) else Tensor._from_op(np.asarray(input), False)
    shape = (int(normalized_shape),) if np.ndim(normalized_shape) == 0 \
        else tuple(int(s) for s in normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise ShapeError(f"layer_norm: Given normalized_shape={list(shape)}, expected input with "
                         f"shape [*, {', '.join(map(str, shape))}], but got input of size"
                         f"{list(input.shape)}")
    _check_floating_norm("layer_norm", input, weight, bias)
    weight, bias = _as_param(weight, input.dtype), _as_param(bias, input.dtype)
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != shape:
            raise ShapeError(f"layer_norm: Expected {name} to be of same shape as "
                             f"normalized_shape, but got {name} of shape {list(p.shape)} and "
                             f"normalized_shape = {list(shape)}")
    size = int(np.prod(shape))
    rows = input.reshape(-1, size) if size else input.reshape(-1, 0)
    y = Standardize.apply(rows, eps=float(eps)).reshape(*input.shape)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


@register(method=False)
def group_norm(input: Any, num_groups: int, weight: Any = None, bias: Any = None,  # noqa: A002
               eps: float = 1e-5) -> Tensor:
    """Group normalisation (``torch.nn.functional.group_norm``) of (N, C, *): each example's
    C channels in ``num_groups`` groups, each group standardised over its channels and all
    other axes, then y = x̂·γ_c + β_c per channel."""
    input = input if isinstance(input, Tensor) else Tensor._from_op(np.asarray(input), False)
    if input.ndim < 2:
        raise ShapeError(f"group_norm: Expected at least 2 dimensions for input tensor but "
                         f"received {input.ndim}")
    n, channels = input.shape[:2]
    groups = int(num_groups)
    if groups <= 0 or channels % groups:
        raise ShapeError(f"group_norm: Expected number of channels in input to be divisible by "
                         f"num_groups, but got input of shape {list(input.shape)} and "
                         f"num_groups={groups}")
    _check_floating_norm("group_norm", input, weight, bias)
    weight, bias = _as_param(weight, input.dtype), _as_param(bias, input.dtype)
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and (p.ndim != 1 or p.shape[0] != channels):
            raise ShapeError(f"group_norm: Expected {name} to be a vector of size equal to the "
                             f"number of channels in input, but got {name} of shape "
                             f"{list(p.shape)} and input of shape {list(input.shape)}")
    y = Standardize.apply(input.reshape(n * groups, -1), eps=float(eps)).reshape(*input.shape)
    per_channel = (channels, *[1] * (input.ndim - 2))
    if weight is not None:
        y = y * weight.reshape(*per_channel)
    if bias is not None:
        y = y + bias.reshape(*per_channel)
    return y


class EmbeddingLookup(Function):
    """y[..., :] = W[i[...], :] (rows of the table picked by integer indices).

    dL/dW[r] = Σ_{positions with i = r} g[position] (scatter-added), except the
    ``padding_idx`` row, which gets no gradient (0), as in torch."""

    def forward(self, weight: np.ndarray, indices: Any = None,
                padding_idx: int | None = None) -> np.ndarray:
        self.indices, self.padding_idx, self.shape = indices, padding_idx, weight.shape
        return weight[indices]

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad = np.zeros(self.shape, dtype=grad_out.dtype)
        np.add.at(grad, self.indices.reshape(-1), grad_out.reshape(-1, self.shape[1]))
        if self.padding_idx is not None:
            grad[self.padding_idx] = 0
        return grad


@register(method=False)
def embedding(input: Any, weight: Tensor, padding_idx: int | None = None,  # noqa: A002
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by the int64/int32 indices
    ``input`` of any shape: output shape ``input.shape + (embedding_dim,)``. The
    ``padding_idx`` row gets no gradient. ``max_norm``, ``scale_grad_by_freq`` and ``sparse``
    are not supported (ArgumentError)."""
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise ArgumentError("embedding: max_norm, scale_grad_by_freq and sparse are not "
                            "supported by neuralab")
    indices = np.asarray(to_array(input))
    if indices.dtype not in (np.int64, np.int32):
        raise DTypeError(
            f"embedding: Expected tensor for argument #1 'indices' to have one of the following "
            f"scalar types: Long, Int; but got {dtypes.torch_name(indices.dtype)} instead; "
            f"convert the indices with .long()")
    if not isinstance(weight, Tensor):
        weight = Tensor._from_op(np.asarray(to_array(weight)), False)
    if weight.ndim != 2:
        raise ShapeError(f"embedding: 'weight' must be 2-D, got shape {list(weight.shape)}")
    rows = weight.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= rows):
        bad = int(indices[(indices < 0) | (indices >= rows)].reshape(-1)[0])
        raise IndexError(f"embedding: index out of range in self: index {bad} is not a row "
                         f"of a table of {rows} embeddings")
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise AssertionError(f"Padding_idx must be within num_embeddings: got {padding_idx} "
                                 f"for {rows} embeddings")
        padding_idx = int(padding_idx) % rows
    return EmbeddingLookup.apply(weight, indices=indices.astype(np.int64, copy=False),
                                 padding_idx=padding_idx)
