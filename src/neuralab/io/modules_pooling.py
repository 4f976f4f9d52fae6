"""Model-file registrations of the pooling area's newer layers: ``MaxUnpool2d``,
``AdaptiveMaxPool2d``, ``Upsample`` (MaxPool2d / AvgPool2d / AdaptiveAvgPool2d are in
``model_file.py``)."""

from __future__ import annotations

import math
from typing import Any

from ..nn.pooling import AdaptiveMaxPool2d, MaxUnpool2d, Upsample
from .model_file import _MISSING, MAX_SPATIAL, ModuleConfig, _spatial, register_module


def _output_size(cfg: ModuleConfig) -> tuple[Any, Any]:
    value = cfg._get("output_size", _MISSING,
                     f"a pair of integers from 1 to {MAX_SPATIAL} (or null)",
                     lambda v: isinstance(v, list) and len(v) == 2
                     and all(i is None or type(i) is int and 1 <= i <= MAX_SPATIAL for i in v))
    return value[0], value[1]


register_module(MaxUnpool2d, lambda m: {
    "kernel_size": list(m.kernel_size), "stride": list(m.stride), "padding": list(m.padding)},
    lambda cfg: MaxUnpool2d(_spatial(cfg, "kernel_size", 1), _spatial(cfg, "stride", 1),
                            _spatial(cfg, "padding", 0)))
register_module(AdaptiveMaxPool2d, lambda m: {
    "output_size": list(m.output_size), "return_indices": m.return_indices},
    lambda cfg: AdaptiveMaxPool2d(_output_size(cfg), cfg.get_bool("return_indices", False)))


def _upsample_config(m: Upsample) -> dict[str, Any]:
    size = m.size
    return {"size": list(size) if isinstance(size, tuple) else size,
            "scale_factor": list(m.scale_factor) if isinstance(m.scale_factor, tuple)
            else m.scale_factor,
            "mode": m.mode, "align_corners": m.align_corners,
            "recompute_scale_factor": m.recompute_scale_factor}


def _positive_int(v: Any) -> bool:
    return type(v) is int and 1 <= v <= MAX_SPATIAL * MAX_SPATIAL


def _positive_float(v: Any) -> bool:
    return type(v) in (int, float) and math.isfinite(v) and 0 < v <= MAX_SPATIAL


def _upsample_from_config(cfg: ModuleConfig) -> Upsample:
    size = cfg._get("size", None, f"null, an integer from 1 to {MAX_SPATIAL ** 2} or a pair",
                    lambda v: v is None or _positive_int(v) or isinstance(v, list)
                    and len(v) == 2 and all(map(_positive_int, v)))
    factor = cfg._get("scale_factor", None,
                      f"null, a number from 0 (excluded) to {MAX_SPATIAL} or a pair",
                      lambda v: v is None or _positive_float(v) or isinstance(v, list)
                      and len(v) == 2 and all(map(_positive_float, v)))
    if (size is None) == (factor is None):
        raise cfg.error("exactly one of 'size' and 'scale_factor' must be set")
    mode = cfg._get("mode", _MISSING, "'nearest' or 'bilinear'",
                    lambda v: v in ("nearest", "bilinear"))
    align = cfg._get("align_corners", None, "true, false or null",
                     lambda v: v is None or type(v) is bool)
    if align is not None and mode == "nearest":
        raise cfg.error("'align_corners' can only be set with mode 'bilinear'")
    recompute = cfg._get("recompute_scale_factor", None, "true, false or null",
                         lambda v: v is None or type(v) is bool)
    return Upsample(tuple(size) if isinstance(size, list) else size,
                    tuple(factor) if isinstance(factor, list) else factor, mode, align, recompute)


register_module(Upsample, _upsample_config, _upsample_from_config)
