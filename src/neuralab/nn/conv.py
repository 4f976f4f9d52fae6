"""Convolution layer: ``Conv2d`` (NCHW), with PyTorch's arguments, weight layout and init."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ops.conv import _conv_padding, _pair, conv2d
from ..tensor import Tensor, get_default_dtype
from . import init
from .module import Module, shape_of
from .parameter import Parameter


class Conv2d(Module):
    """y = conv2d(x, W, b): ``weight`` (out_channels, in_channels, kH, kW), ``bias`` (out,).

    Initialised as PyTorch does: Kaiming-uniform with a = √5 on W, i.e. W, b ~ U(±1/√fan_in)
    with fan_in = in_channels·kH·kW.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 dtype: Any = None, generator: np.random.Generator | None = None) -> None:
        super().__init__()
        if in_channels <= 0 or out_channels <= 0:
            raise ValueError(f"Conv2d: in_channels and out_channels must be positive, got "
                             f"{in_channels} and {out_channels}")
        if groups != 1:
            raise NotImplementedError(f"Conv2d: groups={groups} is not supported (only 1)")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = _pair(kernel_size, "kernel_size", "Conv2d", 1)
        self.stride = _pair(stride, "stride", "Conv2d", 1)
        self.dilation = _pair(dilation, "dilation", "Conv2d", 1)
        # Checked as conv2d will; a string ('same' / 'valid') is kept as given, as torch does.
        pads = _conv_padding(padding, self.kernel_size, self.stride, self.dilation, "Conv2d")
        self.padding: Any = padding if isinstance(padding, str) else (pads[0], pads[2])
        self.groups = 1
        dtype = np.dtype(dtype or get_default_dtype())
        self.weight = Parameter(np.empty((out_channels, in_channels, *self.kernel_size),
                                         dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        init.default_layer_init_(self.weight, self.bias, generator)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        shape = shape_of(input)
        if len(shape) != 4 or shape[1] != self.in_channels:
            raise self.input_error(f"expected input of shape (N, {self.in_channels}, H, W), "
                                   f"got {shape}")
        try:
            return conv2d(input, self.weight, self.bias, self.stride, self.padding,
                          self.dilation)
        except ValueError as error:  # e.g. an image smaller than the kernel: name the layer
            raise self.input_error(error) from None

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding not in ((0, 0), "valid"):
            text += f", padding={self.padding!r}" if isinstance(self.padding, str) else (
                f", padding={self.padding}")
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.bias is None:
            text += ", bias=False"
        return text
