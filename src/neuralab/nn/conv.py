"""Convolution layers: ``Conv1d``, ``Conv2d`` and ``ConvTranspose2d`` with PyTorch's arguments,
weight layouts, init and reprs."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ops.conv import PADDING_MODES, _conv1d, _conv2d, _pair, conv_transpose2d, fold, unfold
from ..tensor import Tensor, get_default_dtype
from . import init
from .module import Module, shape_of
from .parameter import Parameter


def _tuple(value: Any, dims: int, name: str, op: str, minimum: int) -> tuple[int, ...]:
    """An int or a ``dims``-tuple of ints (PyTorch's _single / _pair)."""
    if dims == 2:
        return _pair(value, name, op, minimum)
    if not isinstance(value, (int, np.integer)):
        value = tuple(value)
        if len(value) != 1:
            raise ValueError(f"{op}: {name} must be an int or a 1-tuple, got {value!r}")
        value = value[0]
    return (_pair(value, name, op, minimum)[0],)


class _ConvNd(Module):
    """What Conv1d, Conv2d and ConvTranspose2d share: the checks of their arguments, the
    parameters (``weight``: (out, in/groups, *k), transposed (in, out/groups, *k)), PyTorch's
    init (Kaiming-uniform with a = √5: W, b ~ U(±1/√fan_in), fan_in = weight.shape[1]·Πk) and
    PyTorch's ``extra_repr``."""

    _dims = 2
    _transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any,
                 padding: Any, dilation: Any, groups: int, bias: bool, padding_mode: str,
                 output_padding: Any = 0, device: Any = None, dtype: Any = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        name, dims = type(self).__name__, self._dims
        if not isinstance(groups, (int, np.integer)) or groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels <= 0 or out_channels <= 0:
            raise ValueError(f"{name}: in_channels and out_channels must be positive, got "
                             f"{in_channels} and {out_channels}")
        if in_channels % groups:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {set(PADDING_MODES)}, but got "
                             f"padding_mode={padding_mode!r}")
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {name}')
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = _tuple(kernel_size, dims, "kernel_size", name, 1)
        self.stride = _tuple(stride, dims, "stride", name, 1)
        self.dilation = _tuple(dilation, dims, "dilation", name, 1)
        self.output_padding = _tuple(output_padding, dims, "output_padding", name, 0)
        if isinstance(padding, str):
            if self._transposed:
                raise ValueError(f"{name}: padding must be an int or a tuple, got {padding!r}")
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: padding must be an int, a tuple, 'same' or 'valid': "
                                 f"invalid padding string {padding!r}, should be one of "
                                 f"{{'same', 'valid'}}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding: Any = padding
        else:
            self.padding = _tuple(padding, dims, "padding", name, 0)
        self.groups, self.padding_mode = int(groups), padding_mode
        self.transposed = self._transposed
        dtype = np.dtype(dtype or get_default_dtype())
        shape = (in_channels, out_channels // groups) if self._transposed else \
            (out_channels, in_channels // groups)
        self.weight = Parameter(np.empty((*shape, *self.kernel_size), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        init.default_layer_init_(self.weight, self.bias, generator)

    def _check_input(self, input: Any) -> None:  # noqa: A002
        shape = shape_of(input)
        spatial = ", ".join(("L",) if self._dims == 1 else ("H", "W"))
        # Batched, or one unbatched sample (C, *spatial), as PyTorch's layers take both.
        batched = len(shape) == self._dims + 2 and shape[1] == self.in_channels
        single = len(shape) == self._dims + 1 and shape[0] == self.in_channels
        if not (batched or single):
            raise self.input_error(f"expected input of shape (N, {self.in_channels}, {spatial}) "
                                   f"or ({self.in_channels}, {spatial}), got {shape}")

    def extra_repr(self) -> str:
        """PyTorch's: the settings that differ from their defaults, formatted as it does."""
        dims = self._dims
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * dims:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * dims:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * dims:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv2d(_ConvNd):
    """y = conv2d(x, W, b): ``weight`` (out_channels, in_channels/groups, kH, kW), ``bias``
    (out,); ``padding_mode`` 'zeros', 'reflect', 'replicate' or 'circular'."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, 0, device, dtype, generator)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        self._check_input(input)
        try:
            return _conv2d(input, self.weight, self.bias, self.stride, self.padding,
                           self.dilation, self.groups, self.padding_mode, "Conv2d")
        except ValueError as error:  # e.g. an image smaller than the kernel: name the layer
            raise self.input_error(error) from None


class Conv1d(_ConvNd):
    """y = conv1d(x, W, b) on (N, C, L): ``weight`` (out_channels, in_channels/groups, k)."""

    _dims = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, 0, device, dtype, generator)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        self._check_input(input)
        try:
            return _conv1d(input, self.weight, self.bias, self.stride, self.padding,
                           self.dilation, self.groups, self.padding_mode)
        except ValueError as error:
            raise self.input_error(error) from None


class ConvTranspose2d(_ConvNd):
    """y = conv_transpose2d(x, W, b): ``weight`` (in_channels, out_channels/groups, kH, kW) —
    the gradient of a Conv2d(out_channels, in_channels, ...) w.r.t. its input."""

    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None, generator: np.random.Generator | None = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, device, dtype, generator)

    def _output_padding(self, input: Any, output_size: Any) -> tuple[int, int]:  # noqa: A002
        """PyTorch's: the output_padding that gives ``output_size`` (its last two entries)."""
        if output_size is None:
            return self.output_padding
        size = [int(s) for s in output_size][-2:]
        shape = shape_of(input)
        if len(size) != 2:
            raise ValueError(f"ConvTranspose2d: output_size must have 2 or more elements, got "
                             f"{list(output_size)}")
        extra = []
        for d in range(2):
            smallest = ((shape[d - 2] - 1) * self.stride[d] - 2 * self.padding[d]
                        + self.dilation[d] * (self.kernel_size[d] - 1) + 1)
            if not smallest <= size[d] < smallest + self.stride[d]:
                raise ValueError(f"requested an output size of {size}, but valid sizes range "
                                 f"from {smallest} to {smallest + self.stride[d] - 1} (for "
                                 f"an input of {list(shape[-2:])})")
            extra.append(size[d] - smallest)
        return extra[0], extra[1]

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002
        self._check_input(input)
        output_padding = self._output_padding(input, output_size)
        try:
            return conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                    output_padding, self.groups, self.dilation)
        except ValueError as error:
            raise self.input_error(error) from None


def _as_given(value: Any, name: str, op: str, minimum: int) -> Any:
    """An int or a pair, checked and kept as given (PyTorch's Fold / Unfold print it so)."""
    _pair(value, name, op, minimum)
    return int(value) if isinstance(value, (int, np.integer)) else tuple(int(v) for v in value)


class Unfold(Module):
    """y = unfold(x): the sliding blocks of (N, C, H, W) as columns (N, C·kH·kW, L)."""

    def __init__(self, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.kernel_size = _as_given(kernel_size, "kernel_size", "Unfold", 1)
        self.dilation = _as_given(dilation, "dilation", "Unfold", 1)
        self.padding = _as_given(padding, "padding", "Unfold", 0)
        self.stride = _as_given(stride, "stride", "Unfold", 1)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """y = fold(x): columns (N, C·kH·kW, L) summed back into (N, C, *output_size)."""

    def __init__(self, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.output_size = _as_given(output_size, "output_size", "Fold", 1)
        self.kernel_size = _as_given(kernel_size, "kernel_size", "Fold", 1)
        self.dilation = _as_given(dilation, "dilation", "Fold", 1)
        self.padding = _as_given(padding, "padding", "Fold", 0)
        self.stride = _as_given(stride, "stride", "Fold", 1)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                    self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")


__all__ = ["Conv1d", "Conv2d", "ConvTranspose2d", "Fold", "Unfold"]
