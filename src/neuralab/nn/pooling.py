"""Pooling layers: ``MaxPool2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d``, ``AdaptiveMaxPool2d``,
``MaxUnpool2d`` and ``Upsample`` (no parameters)."""

from __future__ import annotations

from typing import Any

from ..ops.conv import _pair
from ..ops.pooling import (
    _output_size,
    adaptive_avg_pool2d,
    adaptive_max_pool2d,
    avg_pool2d,
    max_pool2d,
    max_unpool2d,
)
from ..ops.resize import interpolate
from ..tensor import Tensor
from .module import Module, shape_of


def _window(name: str, kernel_size: Any, stride: Any, padding: Any) -> tuple:
    """(kernel, stride, padding) as (h, w) pairs; the stride defaults to the kernel (torch)."""
    kernel = _pair(kernel_size, "kernel_size", name, 1)
    return (kernel, kernel if stride is None else _pair(stride, "stride", name, 1),
            _pair(padding, "padding", name, 0))


def _check_4d(layer: Module, input: Any) -> None:  # noqa: A002
    shape = shape_of(input)
    if len(shape) != 4:
        raise layer.input_error(f"expected a 4-D input of shape (N, C, H, W), got {shape}")


class _Pool2d(Module):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        name = type(self).__name__
        self.kernel_size, self.stride, self.padding = _window(name, kernel_size, stride, padding)
        if any(p > k // 2 for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(f"{name}: padding {self.padding} must be at most half of "
                             f"kernel_size {self.kernel_size}")

    def _call(self, fn: Any, input: Any, **options: Any) -> Tensor:  # noqa: A002
        _check_4d(self, input)
        try:
            return fn(input, self.kernel_size, self.stride, self.padding, **options)
        except ValueError as error:
            raise self.input_error(error) from None

    def extra_repr(self) -> str:  # as torch prints it (a square size as one number)
        return (f"kernel_size={_shown(self.kernel_size)}, stride={_shown(self.stride)}, "
                f"padding={_shown(self.padding)}")


class MaxPool2d(_Pool2d):
    """Max over k×k windows; the gradient goes to each window's (first) maximum. With
    ``return_indices`` forward returns (output, int64 flat indices) for ``MaxUnpool2d``."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__(kernel_size, stride, padding)
        self.dilation = _pair(dilation, "dilation", type(self).__name__, 1)
        self.return_indices, self.ceil_mode = bool(return_indices), bool(ceil_mode)

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return self._call(max_pool2d, input, dilation=self.dilation, ceil_mode=self.ceil_mode,
                          return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"{super().extra_repr()}, dilation={_shown(self.dilation)}, "
                f"ceil_mode={self.ceil_mode}")


class AvgPool2d(_Pool2d):
    """Mean over k×k windows (zero padding counted unless ``count_include_pad=False``; a fixed
    divisor with ``divisor_override``)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__(kernel_size, stride, padding)
        self.ceil_mode, self.count_include_pad = bool(ceil_mode), bool(count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return self._call(avg_pool2d, input, count_include_pad=self.count_include_pad,
                          ceil_mode=self.ceil_mode, divisor_override=self.divisor_override)


class MaxUnpool2d(Module):
    """The partial inverse of ``MaxPool2d``: each value back at its index, zeros elsewhere."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        name = type(self).__name__
        self.kernel_size, self.stride, self.padding = _window(name, kernel_size, stride, padding)

    def forward(self, input: Tensor, indices: Any,  # noqa: A002
                output_size: Any = None) -> Tensor:
        return max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding,
                            output_size)

    def extra_repr(self) -> str:  # torch prints MaxUnpool2d's settings as pairs
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average into a fixed ``output_size`` whatever the input's height and width."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = _output_size(output_size)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        _check_4d(self, input)
        return adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(Module):
    """Max into a fixed ``output_size`` whatever the input's height and width; with
    ``return_indices`` forward returns (output, int64 flat indices)."""

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size = _output_size(output_size, type(self).__name__)
        self.return_indices = bool(return_indices)

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class Upsample(Module):
    """Resize to ``size`` or by ``scale_factor`` with ``F.interpolate`` (modes 'nearest' and
    'bilinear'); torch's attributes: a scalar scale_factor is kept as a float, a tuple as a
    tuple of floats."""

    def __init__(self, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: bool | None = None,
                 recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = tuple(size) if isinstance(size, list) else size
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor: Any = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = "scale_factor=" + repr(self.scale_factor)
        else:
            info = "size=" + repr(self.size)
        return info + ", mode=" + repr(self.mode)


def _shown(pair: Any) -> Any:
    """A (h, w) setting as torch prints a square one: the single number."""
    return pair[0] if isinstance(pair, tuple) and len(pair) == 2 and pair[0] == pair[1] else pair
