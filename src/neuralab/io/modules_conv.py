"""Model-file entries of the convolution area: Conv2d, Conv1d, ConvTranspose2d, Unfold and
Fold. Every field is checked before a layer is built."""

from __future__ import annotations

from typing import Any

from ..nn.conv import Conv1d, Conv2d, ConvTranspose2d, Fold, Unfold
from ..ops.conv import PADDING_MODES
from .model_file import _MISSING, MAX_SPATIAL, ModuleConfig, _spatial, register_module


def _single(cfg: ModuleConfig, key: str, minimum: int) -> tuple[int]:
    value = cfg._get(key, _MISSING, f"a list of one integer from {minimum} to {MAX_SPATIAL}",
                     lambda v: isinstance(v, list) and len(v) == 1 and type(v[0]) is int
                     and minimum <= v[0] <= MAX_SPATIAL)
    return (value[0],)


def _groups(cfg: ModuleConfig, in_channels: int, out_channels: int) -> int:
    # Written only when not the default, so files from before groups existed still read.
    groups = cfg.get_int("groups", 1, minimum=1, maximum=in_channels)
    if in_channels % groups or out_channels % groups:
        raise cfg.error(f"groups {groups} must divide in_channels {in_channels} and "
                        f"out_channels {out_channels}")
    return groups


def _padding_mode(cfg: ModuleConfig) -> str:
    return cfg._get("padding_mode", "zeros", f"one of {', '.join(PADDING_MODES)}",
                    lambda v: v in PADDING_MODES)


def _channels_and_groups(cfg: ModuleConfig) -> tuple[int, int, int]:
    in_channels = cfg.get_int("in_channels", minimum=1)
    out_channels = cfg.get_int("out_channels", minimum=1)
    return in_channels, out_channels, _groups(cfg, in_channels, out_channels)


def _optional(m: Any) -> dict[str, Any]:
    # Written only when not the default.
    return {**({"groups": int(m.groups)} if m.groups != 1 else {}),
            **({"padding_mode": m.padding_mode} if m.padding_mode != "zeros" else {})}


def _conv_config(m: Any) -> dict[str, Any]:
    """Conv1d's and Conv2d's settings (the same names, one number per spatial axis)."""
    return {"in_channels": int(m.in_channels), "out_channels": int(m.out_channels),
            "kernel_size": list(m.kernel_size), "stride": list(m.stride),
            "padding": m.padding if isinstance(m.padding, str) else list(m.padding),
            "dilation": list(m.dilation), "bias": m.bias is not None,
            "dtype": m.weight.dtype.name, **_optional(m)}


def _conv2d_from_config(cfg: ModuleConfig) -> Conv2d:
    in_channels = cfg.get_int("in_channels", minimum=1)
    out_channels = cfg.get_int("out_channels", minimum=1)
    kernel = _spatial(cfg, "kernel_size", 1)
    padding: Any = cfg._get(
        "padding", _MISSING, f"a pair of integers from 0 to {MAX_SPATIAL}, 'same' or 'valid'",
        lambda v: v in ("same", "valid") or isinstance(v, list) and len(v) == 2
        and all(type(i) is int and 0 <= i <= MAX_SPATIAL for i in v))
    padding = padding if isinstance(padding, str) else tuple(padding)
    stride, dilation = _spatial(cfg, "stride", 1), _spatial(cfg, "dilation", 1)
    bias, dtype = cfg.get_bool("bias"), cfg.get_dtype("dtype")
    if padding == "same" and stride != (1, 1):  # as torch.nn.Conv2d refuses it
        raise cfg.error(f"padding 'same' needs stride [1, 1], got {list(stride)}")
    groups, padding_mode = _groups(cfg, in_channels, out_channels), _padding_mode(cfg)
    cfg.reserve(out_channels * in_channels // groups * kernel[0] * kernel[1]
                + (out_channels if bias else 0))
    return Conv2d(in_channels, out_channels, kernel, stride=stride, padding=padding,
                  dilation=dilation, groups=groups, bias=bias, padding_mode=padding_mode,
                  dtype=dtype)


register_module(Conv2d, _conv_config, _conv2d_from_config)


def _conv1d_from_config(cfg: ModuleConfig) -> Conv1d:
    in_channels, out_channels, groups = _channels_and_groups(cfg)
    kernel = _single(cfg, "kernel_size", 1)
    padding: Any = cfg._get(
        "padding", _MISSING, f"a list of one integer from 0 to {MAX_SPATIAL}, 'same' or 'valid'",
        lambda v: v in ("same", "valid") or isinstance(v, list) and len(v) == 1
        and type(v[0]) is int and 0 <= v[0] <= MAX_SPATIAL)
    padding = padding if isinstance(padding, str) else tuple(padding)
    stride, dilation = _single(cfg, "stride", 1), _single(cfg, "dilation", 1)
    if padding == "same" and stride != (1,):
        raise cfg.error(f"padding 'same' needs stride [1], got {list(stride)}")
    padding_mode = _padding_mode(cfg)
    bias, dtype = cfg.get_bool("bias"), cfg.get_dtype("dtype")
    cfg.reserve(out_channels * in_channels // groups * kernel[0] + (out_channels if bias else 0))
    return Conv1d(in_channels, out_channels, kernel, stride=stride, padding=padding,
                  dilation=dilation, groups=groups, bias=bias, padding_mode=padding_mode,
                  dtype=dtype)


register_module(Conv1d, _conv_config, _conv1d_from_config)


def _conv_transpose2d_from_config(cfg: ModuleConfig) -> ConvTranspose2d:
    in_channels, out_channels, groups = _channels_and_groups(cfg)
    kernel = cfg.get_pair("kernel_size", minimum=1, maximum=MAX_SPATIAL)
    stride = cfg.get_pair("stride", minimum=1, maximum=MAX_SPATIAL)
    padding = cfg.get_pair("padding", minimum=0, maximum=MAX_SPATIAL)
    dilation = cfg.get_pair("dilation", minimum=1, maximum=MAX_SPATIAL)
    output_padding = cfg.get_pair("output_padding", (0, 0), minimum=0, maximum=MAX_SPATIAL)
    if any(o >= s and o >= d for o, s, d in zip(output_padding, stride, dilation)):
        raise cfg.error(f"output_padding {list(output_padding)} must be smaller than either "
                        f"stride {list(stride)} or dilation {list(dilation)}")
    bias, dtype = cfg.get_bool("bias"), cfg.get_dtype("dtype")
    cfg.reserve(in_channels * out_channels // groups * kernel[0] * kernel[1]
                + (out_channels if bias else 0))
    return ConvTranspose2d(in_channels, out_channels, kernel, stride=stride, padding=padding,
                           output_padding=output_padding, groups=groups, bias=bias,
                           dilation=dilation, dtype=dtype)


register_module(ConvTranspose2d, lambda m: {
    "in_channels": int(m.in_channels), "out_channels": int(m.out_channels),
    "kernel_size": list(m.kernel_size), "stride": list(m.stride), "padding": list(m.padding),
    "output_padding": list(m.output_padding), "dilation": list(m.dilation),
    "bias": m.bias is not None, "dtype": m.weight.dtype.name, **_optional(m),
}, _conv_transpose2d_from_config)


def _int_or_pair(cfg: ModuleConfig, key: str, minimum: int) -> Any:
    """An int or a pair (a list of two ints), kept as written (Fold / Unfold print it so)."""
    value = cfg._get(key, _MISSING, f"an integer or a pair of integers from {minimum} to "
                     f"{MAX_SPATIAL}",
                     lambda v: type(v) is int and minimum <= v <= MAX_SPATIAL
                     or isinstance(v, list) and len(v) == 2
                     and all(type(i) is int and minimum <= i <= MAX_SPATIAL for i in v))
    return value if isinstance(value, int) else tuple(value)


def _as_config(value: Any) -> Any:
    return value if isinstance(value, int) else list(value)


_BLOCK_KEYS = (("kernel_size", 1), ("dilation", 1), ("padding", 0), ("stride", 1))

register_module(Unfold, lambda m: {key: _as_config(getattr(m, key)) for key, _ in _BLOCK_KEYS},
                lambda cfg: Unfold(**{key: _int_or_pair(cfg, key, low)
                                      for key, low in _BLOCK_KEYS}))
register_module(Fold, lambda m: {key: _as_config(getattr(m, key))
                                 for key in ("output_size", *dict(_BLOCK_KEYS))},
                lambda cfg: Fold(**{key: _int_or_pair(cfg, key, low)
                                    for key, low in (("output_size", 1), *_BLOCK_KEYS)}))
