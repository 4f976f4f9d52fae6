"""One converter per layer type: ``CONVERTERS[cls](g, module, x, step) -> output name``.

A converter appends the ONNX nodes that compute the layer in evaluation mode from the value
named ``x``; ``step`` gives the layer's path and its input and output shapes as traced on the
example (axis 0 is the batch, dynamic in the graph; every other size is fixed). Layers that
cannot be exported are in ``UNSUPPORTED`` with the reason; a converter that meets a setting
it cannot express raises ``UnsupportedLayerError``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import nn
from ._graph import GraphBuilder


class UnsupportedLayerError(ValueError):
    """A layer (or a setting of it) that the ONNX exporter cannot express."""


@dataclass(frozen=True)
class Step:
    """Where a layer sits (``path``) and the shapes it maps, as traced on the example."""

    path: str
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]

    @property
    def hint(self) -> str:
        return self.path or "model"


Converter = Callable[[GraphBuilder, Any, str, Step], str]
CONVERTERS: dict[type, Converter] = {}

# Registered layer types that are not exported, and why.
UNSUPPORTED: dict[type, str] = {
    nn.MaxUnpool2d: "it takes two inputs (values and the indices of MaxPool2d(return_indices="
                    "True)); the exporter handles chains of one-input layers",
}


# Layers that pass integer values through unchanged (Embedding turns indices into float rows).
INTEGER_LAYERS: frozenset[type] = frozenset({nn.Embedding, nn.Identity, nn.Dropout,
                                             nn.Dropout2d, nn.Flatten})


def refusal_before_tracing(module: Any) -> str | None:
    """Why ``module`` cannot be exported, for settings whose layer may fail on the example
    before its converter could say so (BatchNorm without running statistics needs more than
    one value per channel even in evaluation mode); None if none."""
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)) and (
            module.running_mean is None or module.running_var is None):
        return _NO_RUNNING_STATS
    return None


_NO_RUNNING_STATS = ("track_running_stats=False normalises with each batch's own statistics "
                     "even in evaluation mode; export needs running statistics")


def converter(*classes: type) -> Callable[[Converter], Converter]:
    def register(fn: Converter) -> Converter:
        for cls in classes:
            CONVERTERS[cls] = fn
        return fn
    return register


def _refuse(step: Step, module: Any, reason: str) -> UnsupportedLayerError:
    return UnsupportedLayerError(f"{step.hint} ({type(module).__name__}): cannot be exported "
                                 f"to ONNX: {reason}")


def _param(g: GraphBuilder, step: Step, name: str, value: Any) -> str:
    """A parameter or buffer as an initialiser named like its state-dict key."""
    return g.const(f"{step.path}.{name}" if step.path else name,
                   _array(value))


def _array(tensor: Any) -> np.ndarray:
    return tensor.detach().numpy()


# ------------------------------------------------------------------------------ plain layers
@converter(nn.Identity, nn.Dropout, nn.Dropout2d)
def _identity(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    """Identity (Dropout and Dropout2d are the identity in evaluation mode)."""
    return g.node("Identity", [x], step.hint)


@converter(nn.Linear)
def _linear(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    """y = x Wᵀ + b: Gemm(transB) for (N, in), MatMul + Add for (N, *, in)."""
    if len(step.in_shape) == 2:
        inputs = [x, _param(g, step, "weight", m.weight)]
        if m.bias is not None:
            inputs.append(_param(g, step, "bias", m.bias))
        return g.node("Gemm", inputs, step.hint, transB=1)
    y = g.node("MatMul", [x, g.const(f"{step.path}.weight_T", _array(m.weight).T)], step.hint)
    if m.bias is not None:
        y = g.node("Add", [y, _param(g, step, "bias", m.bias)], step.hint)
    return y


@converter(nn.Flatten)
def _flatten(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    """Flatten(1, -1) is ONNX Flatten(axis=1); any other range a Reshape to the traced shape
    (0 keeps the dynamic batch)."""
    rank = len(step.in_shape)
    start, end = m.start_dim % max(rank, 1), m.end_dim % max(rank, 1)
    if start == 1 and end == rank - 1 and rank >= 2:
        return g.node("Flatten", [x], step.hint, axis=1)
    shape = g.ints(f"{step.hint}/shape", [0, *step.out_shape[1:]])
    return g.node("Reshape", [x, shape], step.hint)


@converter(nn.Embedding)
def _embedding(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    """y = W[x]: Gather rows of the table (padding_idx matters only for training)."""
    return g.node("Gather", [_param(g, step, "weight", m.weight), x], step.hint, axis=0)


# ------------------------------------------------------------------------------ activations
def _unary(op: str, **attrs: Any) -> Converter:
    def convert(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
        return g.node(op, [x], step.hint, **attrs)
    convert.__doc__ = f"ONNX {op}."
    return convert


CONVERTERS[nn.ReLU] = _unary("Relu")
CONVERTERS[nn.Sigmoid] = _unary("Sigmoid")
CONVERTERS[nn.Tanh] = _unary("Tanh")
CONVERTERS[nn.Softsign] = _unary("Softsign")
CONVERTERS[nn.Hardswish] = _unary("HardSwish")
# min(max(x + 3, 0), 6)/6 = max(0, min(1, x/6 + 1/2))
CONVERTERS[nn.Hardsigmoid] = _unary("HardSigmoid", alpha=1.0 / 6.0, beta=0.5)
# torch's constants (ONNX's defaults are these rounded to float32)
CONVERTERS[nn.SELU] = _unary("Selu", alpha=1.6732632423543772, gamma=1.0507009873554805)


@converter(nn.LeakyReLU)
def _leaky_relu(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    return g.node("LeakyRelu", [x], step.hint, alpha=float(m.negative_slope))


@converter(nn.ELU)
def _elu(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    return g.node("Elu", [x], step.hint, alpha=float(m.alpha))


@converter(nn.CELU)
def _celu(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    return g.node("Celu", [x], step.hint, alpha=float(m.alpha))


@converter(nn.Hardtanh, nn.ReLU6)
def _hardtanh(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    """min(max(x, min_val), max_val): Clip with scalar bounds."""
    low = g.const(f"{step.hint}/min", np.float32(m.min_val))
    high = g.const(f"{step.hint}/max", np.float32(m.max_val))
    return g.node("Clip", [x, low, high], step.hint)


@converter(nn.Step)
def _step(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    """1 where x > 0 else 0."""
    positive = g.node("Greater", [x, g.const(f"{step.hint}/zero", np.float32(0))], step.hint)
    return g.node("Cast", [positive], step.hint, to=1)  # 1 = FLOAT


@converter(nn.SiLU)
def _silu(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    """x·σ(x)."""
    return g.node("Mul", [x, g.node("Sigmoid", [x], step.hint)], step.hint)


@converter(nn.Mish)
def _mish(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    """x·tanh(softplus x) (ONNX Mish needs opset 18)."""
    soft = g.node("Softplus", [x], step.hint)
    return g.node("Mul", [x, g.node("Tanh", [soft], step.hint)], step.hint)


@converter(nn.LogSigmoid)
def _log_sigmoid(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    """ln σ(x) = −softplus(−x)."""
    soft = g.node("Softplus", [g.node("Neg", [x], step.hint)], step.hint)
    return g.node("Neg", [soft], step.hint)


@converter(nn.Softplus)
def _softplus(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    """ln(1 + e^(βx))/β, and x where βx > threshold (as torch)."""
    beta = float(m.beta)
    bx = x if beta == 1 else g.node("Mul", [x, g.const(f"{step.hint}/beta", np.float32(beta))],
                                    step.hint)
    soft = g.node("Softplus", [bx], step.hint)
    if beta != 1:
        soft = g.node("Div", [soft, g.const(f"{step.hint}/beta_", np.float32(beta))], step.hint)
    linear = g.node("Greater", [bx, g.const(f"{step.hint}/threshold", np.float32(m.threshold))],
                    step.hint)
    return g.node("Where", [linear, x, soft], step.hint)


@converter(nn.GELU)
def _gelu(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    """x·Φ(x) = ½x(1 + erf(x/√2)); 'tanh': ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (ONNX Gelu
    needs opset 20)."""
    c = lambda name, v: g.const(f"{step.hint}/{name}", np.float32(v))  # noqa: E731
    if m.approximate == "tanh":
        cube = g.node("Mul", [g.node("Mul", [x, x], step.hint), x], step.hint)
        inner = g.node("Add", [x, g.node("Mul", [cube, c("k", 0.044715)], step.hint)], step.hint)
        inner = g.node("Mul", [inner, c("sqrt_2_over_pi", math.sqrt(2 / math.pi))], step.hint)
        t = g.node("Tanh", [inner], step.hint)
    else:
        t = g.node("Erf", [g.node("Mul", [x, c("inv_sqrt2", 1 / math.sqrt(2))], step.hint)],
                   step.hint)
    half_x = g.node("Mul", [x, c("half", 0.5)], step.hint)
    return g.node("Mul", [half_x, g.node("Add", [t, c("one", 1.0)], step.hint)], step.hint)


@converter(nn.PReLU)
def _prelu(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    """x for x > 0 else a·x; per-channel slopes broadcast along dim 1."""
    slope = _array(m.weight)
    if slope.size > 1:
        slope = slope.reshape((-1,) + (1,) * max(len(step.in_shape) - 2, 0))
    return g.node("PRelu", [x, g.const(f"{step.path}.weight", slope)], step.hint)


def _implicit_dim(m: Any, step: Step) -> int:
    """torch's implicit softmax dim: 0 for 0-, 1- and 3-D input, else 1."""
    if m.dim is not None:
        return int(m.dim)
    return 0 if len(step.in_shape) in (0, 1, 3) else 1


@converter(nn.Softmax)
def _softmax(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    return g.node("Softmax", [x], step.hint, axis=_implicit_dim(m, step))


@converter(nn.LogSoftmax)
def _log_softmax(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    return g.node("LogSoftmax", [x], step.hint, axis=_implicit_dim(m, step))


@converter(nn.Softmin)
def _softmin(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    """softmax(−x)."""
    return g.node("Softmax", [g.node("Neg", [x], step.hint)], step.hint,
                  axis=_implicit_dim(m, step))


@converter(nn.GLU)
def _glu(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    """a·σ(b), a and b the halves along ``dim``."""
    half = step.in_shape[m.dim] // 2
    a, b = g.node("Split", [x, g.ints(f"{step.hint}/split", [half, half])], step.hint,
                  outputs=2, axis=int(m.dim))
    return g.node("Mul", [a, g.node("Sigmoid", [b], step.hint)], step.hint)


# ------------------------------------------------------------------------------ normalisation
def _ones_zeros(m: Any, count: Any) -> tuple[np.ndarray, np.ndarray]:
    """(γ, β), ones and zeros where the layer has none."""
    weight = np.ones(count, np.float32) if m.weight is None else _array(m.weight)
    bias = np.zeros(count, np.float32) if m.bias is None else _array(m.bias)
    return weight, bias


@converter(nn.BatchNorm1d, nn.BatchNorm2d)
def _batch_norm(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    """γ(x − running_mean)/√(running_var + ε) + β (evaluation mode)."""
    if m.running_mean is None or m.running_var is None:
        raise _refuse(step, m, _NO_RUNNING_STATS)
    weight, bias = _ones_zeros(m, m.num_features)
    p = step.path + "." if step.path else ""
    inputs = [g.const(f"{p}weight", weight), g.const(f"{p}bias", bias),
              _param(g, step, "running_mean", m.running_mean),
              _param(g, step, "running_var", m.running_var)]
    return g.node("BatchNormalization", [x, *inputs], step.hint, epsilon=float(m.eps))


@converter(nn.LayerNorm)
def _layer_norm(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    """LayerNormalization over the last len(normalized_shape) axes."""
    weight, bias = _ones_zeros(m, m.normalized_shape)
    p = step.path + "." if step.path else ""
    return g.node("LayerNormalization", [x, g.const(f"{p}weight", weight),
                                         g.const(f"{p}bias", bias)],
                  step.hint, axis=-len(m.normalized_shape), epsilon=float(m.eps))


@converter(nn.GroupNorm)
def _group_norm(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    """Standardise each of G channel groups (InstanceNormalization of (N, G, rest)), then the
    per-channel affine γ·x̂ + β. (ONNX GroupNormalization changed meaning at opset 21.)"""
    groups, rank = m.num_groups, len(step.in_shape)
    grouped = g.node("Reshape", [x, g.ints(f"{step.hint}/grouped", [0, groups, -1])], step.hint)
    normed = g.node("InstanceNormalization",
                    [grouped, g.const(f"{step.hint}/ones", np.ones(groups, np.float32)),
                     g.const(f"{step.hint}/zeros", np.zeros(groups, np.float32))],
                    step.hint, epsilon=float(m.eps))
    y = g.node("Reshape", [normed, g.ints(f"{step.hint}/shape", [0, *step.in_shape[1:]])],
               step.hint)
    per_channel = (-1,) + (1,) * (rank - 2)
    if m.weight is not None:
        y = g.node("Mul", [y, g.const(f"{step.path}.weight",
                                      _array(m.weight).reshape(per_channel))], step.hint)
    if m.bias is not None:
        y = g.node("Add", [y, g.const(f"{step.path}.bias",
                                      _array(m.bias).reshape(per_channel))], step.hint)
    return y


# ------------------------------------------------------------------------------ convolution
def _same_or_given(m: Any) -> tuple[list[int], list[int]]:
    """(begin, end) padding per spatial axis; 'same' puts the odd pixel at the end (torch)."""
    dims = len(m.kernel_size)
    if m.padding == "valid":
        return [0] * dims, [0] * dims
    if m.padding == "same":
        total = [d * (k - 1) for d, k in zip(m.dilation, m.kernel_size)]
        return [t // 2 for t in total], [t - t // 2 for t in total]
    return list(m.padding), list(m.padding)


def _pad_mode(g: GraphBuilder, x: str, begin: list[int], end: list[int], mode: str,
              step: Step) -> str:
    """Explicit reflect / replicate / circular padding of the trailing spatial axes."""
    if mode == "circular":  # wrap: x[-b:] ‖ x ‖ x[:e] along each axis (Pad's wrap is opset 19)
        rank = len(step.in_shape)
        for i, (b, e) in enumerate(zip(begin, end)):
            axis = rank - len(begin) + i
            size = step.in_shape[axis]
            parts = ([g.slice(x, axis, size - b, size, step.hint)] if b else []) + [x] + (
                [g.slice(x, axis, 0, e, step.hint)] if e else [])
            x = g.node("Concat", parts, step.hint, axis=axis) if len(parts) > 1 else x
        return x
    pads = [0, 0, *begin, 0, 0, *end]
    onnx_mode = {"reflect": "reflect", "replicate": "edge"}[mode]
    return g.node("Pad", [x, g.ints(f"{step.hint}/pads", pads)], step.hint, mode=onnx_mode)


@converter(nn.Conv1d, nn.Conv2d)
def _conv(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    """Conv; reflect/replicate/circular padding as a separate Pad (or slices) first."""
    begin, end = _same_or_given(m)
    if m.padding_mode != "zeros" and any(begin + end):
        x = _pad_mode(g, x, begin, end, m.padding_mode, step)
        begin, end = [0] * len(begin), [0] * len(end)
    inputs = [x, _param(g, step, "weight", m.weight)]
    if m.bias is not None:
        inputs.append(_param(g, step, "bias", m.bias))
    return g.node("Conv", inputs, step.hint, kernel_shape=list(m.kernel_size),
                  strides=list(m.stride), dilations=list(m.dilation), pads=begin + end,
                  group=int(m.groups))


@converter(nn.ConvTranspose2d)
def _conv_transpose(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    """ConvTranspose; the weight layout (in, out/groups, kH, kW) is ONNX's."""
    inputs = [x, _param(g, step, "weight", m.weight)]
    if m.bias is not None:
        inputs.append(_param(g, step, "bias", m.bias))
    return g.node("ConvTranspose", inputs, step.hint, kernel_shape=list(m.kernel_size),
                  strides=list(m.stride), dilations=list(m.dilation),
                  pads=list(m.padding) * 2, output_padding=list(m.output_padding),
                  group=int(m.groups))


def _pair(value: Any) -> list[int]:
    return [int(value)] * 2 if isinstance(value, (int, np.integer)) else [int(v) for v in value]


def _one_hot_blocks(channels: int, kernel: list[int]) -> np.ndarray:
    """Weights (C·kH·kW, 1, kH, kW) whose output channel c·kH·kW + i·kW + j copies pixel (i, j)
    of channel c: im2col as a grouped convolution (and col2im as its transpose)."""
    kh, kw = kernel
    w = np.zeros((channels * kh * kw, 1, kh, kw), np.float32)
    for c in range(channels):
        for i in range(kh):
            for j in range(kw):
                w[c * kh * kw + i * kw + j, 0, i, j] = 1
    return w


@converter(nn.Unfold)
def _unfold(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    """Sliding blocks as columns: a grouped one-hot Conv, then Reshape to (N, C·kH·kW, L)."""
    channels, kernel = step.in_shape[1], _pair(m.kernel_size)
    padding = _pair(m.padding)
    blocks = g.node("Conv", [x, g.const(f"{step.hint}/one_hot",
                                        _one_hot_blocks(channels, kernel))],
                    step.hint, kernel_shape=kernel, strides=_pair(m.stride),
                    dilations=_pair(m.dilation), pads=padding * 2, group=channels)
    return g.node("Reshape", [blocks, g.ints(f"{step.hint}/shape", [0, *step.out_shape[1:]])],
                  step.hint)


@converter(nn.Fold)
def _fold(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    """Columns summed back into an image: Reshape to (N, C·kH·kW, oH, oW), then the transposed
    one-hot convolution (output_padding makes up the rows no block reaches)."""
    channels, kernel = step.out_shape[1], _pair(m.kernel_size)
    size, stride = _pair(m.output_size), _pair(m.stride)
    dilation, padding = _pair(m.dilation), _pair(m.padding)
    blocks = [(s + 2 * p - d * (k - 1) - 1) // st + 1
              for s, p, d, k, st in zip(size, padding, dilation, kernel, stride)]
    reached = [(b - 1) * st - 2 * p + d * (k - 1) + 1
               for b, st, p, d, k in zip(blocks, stride, padding, dilation, kernel)]
    grid = g.node("Reshape", [x, g.ints(f"{step.hint}/grid", [0, step.in_shape[1], *blocks])],
                  step.hint)
    return g.node("ConvTranspose", [grid, g.const(f"{step.hint}/one_hot",
                                                  _one_hot_blocks(channels, kernel))],
                  step.hint, kernel_shape=kernel, strides=stride, dilations=dilation,
                  pads=padding * 2, group=channels,
                  output_padding=[s - r for s, r in zip(size, reached)])


# ------------------------------------------------------------------------------ pooling
def _ceil_end_pads(m: Any, step: Step, span: list[int]) -> list[int]:
    """End padding that makes a floor-mode pool give torch's ceil_mode output size: the last
    window, starting at (out − 1)·stride − pad (torch drops one that would start past the
    input and its left padding), must fit. At least ``pad``; always below ``span``."""
    sizes, outs = step.in_shape[-2:], step.out_shape[-2:]
    return [max(p, (o - 1) * s + k - n - p)
            for n, o, s, k, p in zip(sizes, outs, m.stride, span, m.padding)]


@converter(nn.MaxPool2d)
def _max_pool(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    """MaxPool; ceil_mode as floor mode with the end padding that gives torch's output size
    (ONNX's ceil mode keeps a last window that torch drops). Padding never wins a max; end
    padding of a kernel or more (dilation) is an explicit −∞ Pad, as onnxruntime wants
    pads < kernel."""
    if m.return_indices:
        raise _refuse(step, m, "return_indices=True gives two outputs (values, indices); the "
                      "exporter handles chains of one-output layers")
    begin = list(m.padding)
    end = _ceil_end_pads(m, step, [d * (k - 1) + 1 for d, k in zip(m.dilation, m.kernel_size)]
                         ) if m.ceil_mode else list(m.padding)
    if any(e >= k for e, k in zip(end, m.kernel_size)):
        pads = g.ints(f"{step.hint}/pads", [0, 0, *begin, 0, 0, *end])
        x = g.node("Pad", [x, pads, g.const(f"{step.hint}/-inf", np.float32(-np.inf))],
                   step.hint, mode="constant")
        begin, end = [0, 0], [0, 0]
    return g.node("MaxPool", [x], step.hint, kernel_shape=list(m.kernel_size),
                  strides=list(m.stride), pads=begin + end, dilations=list(m.dilation))


@converter(nn.AvgPool2d)
def _avg_pool(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    """AveragePool; with ``divisor_override`` d: mean over the padded k×k window · k·k/d.
    ceil_mode: floor mode with the end padding that gives torch's output size, averaging over
    the window's part inside the padded input (torch's divisor): count_include_pad=False
    excludes all padding; count_include_pad=True is an explicit zero Pad (counted) followed by
    the extra end padding (not counted)."""
    if m.divisor_override is not None and m.ceil_mode:
        raise _refuse(step, m, "divisor_override with ceil_mode=True (the last windows are "
                      "partial, so no fixed rescaling of ONNX AveragePool gives the sum / d)")
    attrs = dict(kernel_shape=list(m.kernel_size), strides=list(m.stride))
    if m.ceil_mode:
        begin, end = list(m.padding), _ceil_end_pads(m, step, list(m.kernel_size))
        if m.count_include_pad and any(m.padding):
            zeros = [0, 0, *m.padding, 0, 0, *m.padding]
            x = g.node("Pad", [x, g.ints(f"{step.hint}/pads", zeros)], step.hint,
                       mode="constant")
            begin, end = [0, 0], [e - p for e, p in zip(end, m.padding)]
        return g.node("AveragePool", [x], step.hint, pads=begin + end, count_include_pad=0,
                      **attrs)
    attrs["pads"] = list(m.padding) * 2
    if m.divisor_override is None:
        return g.node("AveragePool", [x], step.hint,
                      count_include_pad=int(m.count_include_pad), **attrs)
    mean = g.node("AveragePool", [x], step.hint, count_include_pad=1, **attrs)
    scale = math.prod(m.kernel_size) / m.divisor_override
    return g.node("Mul", [mean, g.const(f"{step.hint}/scale", np.float32(scale))], step.hint)


def _adaptive_windows(size_in: int, size_out: int) -> list[tuple[int, int]]:
    """torch's windows: [⌊i·in/out⌋, ⌈(i+1)·in/out⌉)."""
    return [(i * size_in // size_out, -(-(i + 1) * size_in // size_out))
            for i in range(size_out)]


def _adaptive_size(m: Any, step: Step) -> tuple[int, int]:
    return step.out_shape[-2], step.out_shape[-1]


@converter(nn.AdaptiveAvgPool2d)
def _adaptive_avg_pool(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    """GlobalAveragePool for 1×1; AveragePool when the sizes divide; else the window means as
    two matrix products, y = A_H · x · A_Wᵀ (A: 1/width on each window)."""
    (h, w), (oh, ow) = step.in_shape[-2:], _adaptive_size(m, step)
    if (oh, ow) == (1, 1):
        return g.node("GlobalAveragePool", [x], step.hint)
    if h % oh == 0 and w % ow == 0:
        k = [h // oh, w // ow]
        return g.node("AveragePool", [x], step.hint, kernel_shape=k, strides=k)

    def matrix(size_in: int, size_out: int) -> np.ndarray:
        a = np.zeros((size_out, size_in), np.float32)
        for i, (lo, hi) in enumerate(_adaptive_windows(size_in, size_out)):
            a[i, lo:hi] = 1.0 / (hi - lo)
        return a

    y = g.node("MatMul", [x, g.const(f"{step.hint}/A_W_T", matrix(w, ow).T)], step.hint)
    return g.node("MatMul", [g.const(f"{step.hint}/A_H", matrix(h, oh)), y], step.hint)


@converter(nn.AdaptiveMaxPool2d)
def _adaptive_max_pool(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    """MaxPool when the sizes divide; else, separably, a ReduceMax per window along H, then
    along W (the max over a rectangle is the max of its row maxima)."""
    if m.return_indices:
        raise _refuse(step, m, "return_indices=True gives two outputs (values, indices)")
    (h, w), (oh, ow) = step.in_shape[-2:], _adaptive_size(m, step)
    if h % oh == 0 and w % ow == 0:
        k = [h // oh, w // ow]
        return g.node("MaxPool", [x], step.hint, kernel_shape=k, strides=k)
    rank = len(step.in_shape)
    for axis, size_in, size_out in ((rank - 2, h, oh), (rank - 1, w, ow)):
        parts = [g.reduce("ReduceMax", g.slice(x, axis, lo, hi, step.hint), [axis], step.hint)
                 for lo, hi in _adaptive_windows(size_in, size_out)]
        x = g.node("Concat", parts, step.hint, axis=axis) if len(parts) > 1 else parts[0]
    return x


def _axis_taps(g: GraphBuilder, x: str, axis: int, taps: list[tuple[Any, Any]],
               hint: str) -> str:
    """Σ_t w_t[o] · x.take(i_t[o], axis): a Gather per tap, weighted (w None: weight 1)."""
    total = None
    for index, weight in taps:
        part = g.node("Gather", [x, g.ints(f"{hint}/index", index)], hint, axis=axis)
        if weight is not None:
            shape = (-1,) + (1,) * (3 - axis)  # broadcast along ``axis`` of an NCHW value
            part = g.node("Mul", [part, g.const(f"{hint}/weight",
                                                np.asarray(weight, np.float32).reshape(shape))],
                          hint)
        total = part if total is None else g.node("Add", [total, part], hint)
    assert total is not None
    return total


def _onnx_nearest(size_in: int, size_out: int) -> np.ndarray:
    """onnxruntime's nearest source for Resize with ``sizes`` (asymmetric, floor):
    min(⌊dst / s⌋, in − 1), s = out/in, all in float32."""
    scale = np.float32(size_out) / np.float32(size_in)
    dst = np.arange(size_out, dtype=np.float32)
    return np.minimum(np.floor(dst / scale).astype(np.intp), size_in - 1)


def _float32_scale(size_in: int, size_out: int, factor: float) -> np.float32 | None:
    """A float32 scale within a few ulps of ``factor`` whose ⌊in · s⌋ (in float32 and in
    float64, as runtimes and shape inference compute it) is the traced ``size_out``."""
    base = np.float32(factor)
    for k in (0, 1, -1, 2, -2, 3, -3, 4, -4):
        s = base
        for _ in range(abs(k)):
            s = np.nextafter(s, np.float32(np.inf if k > 0 else -np.inf), dtype=np.float32)
        if math.floor(np.float32(size_in) * s) == size_out == math.floor(size_in * float(s)):
            return s
    return None


@converter(nn.Upsample)
def _upsample(g: GraphBuilder, m: Any, x: str, step: Step) -> str:
    """Resize where it computes torch's sources, else the exact separable form (a Gather per
    axis and tap). 'nearest': torch's src = min(⌊dst · s⌋, in − 1) (float32; identity and 2×
    exact) is compared with ONNX's ⌊dst · in/out⌋ — equal: Resize with ``sizes``, else
    Gathers of torch's indices. 'bilinear': align_corners, or half-pixel centres clamped at 0
    (ONNX half_pixel; its clamp to [0, in − 1] is torch's); coordinates use the scale_factor
    when given (and no recompute), as torch — Resize with float32 ``scales`` when one gives
    the traced size (and no axis keeps its size under a scale ≠ 1: onnxruntime copies such an
    axis), else Gathers of torch's two taps and weights."""
    from ..ops.resize import _linear_taps, _nearest_taps

    (h, w), (oh, ow) = step.in_shape[-2:], step.out_shape[-2:]
    use_scale = m.scale_factor is not None and not m.recompute_scale_factor
    factors = (m.scale_factor if isinstance(m.scale_factor, tuple) else (m.scale_factor,) * 2) \
        if use_scale else (None, None)
    roi = ""
    if m.mode == "nearest":
        torch_taps = [_nearest_taps(n, o, f) for n, o, f in zip((h, w), (oh, ow), factors)]
        if all(np.array_equal(taps[0][0], _onnx_nearest(n, o))
               for taps, n, o in zip(torch_taps, (h, w), (oh, ow))):
            attrs = dict(mode="nearest", coordinate_transformation_mode="asymmetric",
                         nearest_mode="floor")
            scales = None
        else:
            for axis, taps, n, o in ((2, torch_taps[0], h, oh), (3, torch_taps[1], w, ow)):
                if o != n or not np.array_equal(taps[0][0], np.arange(o)):
                    x = _axis_taps(g, x, axis, taps, step.hint)
            return x
    else:
        attrs = dict(mode="linear", coordinate_transformation_mode=(
            "align_corners" if m.align_corners else "half_pixel"))
        scales = None
        if use_scale and not m.align_corners:
            found = [_float32_scale(n, o, f) for n, o, f in zip((h, w), (oh, ow), factors)]
            # onnxruntime copies an axis whose size does not change, whatever its scale
            if any(s is None or (o == n and s != 1) for s, n, o in zip(found, (h, w),
                                                                        (oh, ow))):
                for axis, n, o, f in ((2, h, oh, factors[0]), (3, w, ow, factors[1])):
                    taps = _linear_taps(n, o, f, False, np.dtype(np.float32))
                    x = _axis_taps(g, x, axis, taps, step.hint)
                return x
            scales = g.const(f"{step.hint}/scales", np.array([1, 1, *found], np.float32))
    if scales is not None:
        return g.node("Resize", [x, roi, scales], step.hint, **attrs)
    # sizes must cover every axis, the dynamic batch too: Shape(x)[:2] ‖ (oH, oW)
    leading = g.slice(g.node("Shape", [x], step.hint), 0, 0, 2, step.hint)
    sizes = g.node("Concat", [leading, g.ints(f"{step.hint}/size", step.out_shape[-2:])],
                   step.hint, axis=0)
    return g.node("Resize", [x, roi, "", sizes], step.hint, **attrs)
