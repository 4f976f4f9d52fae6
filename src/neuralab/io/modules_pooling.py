"""Model-file registrations of the pooling area's newer layers: ``MaxUnpool2d``,
``AdaptiveMaxPool2d`` (MaxPool2d / AvgPool2d / AdaptiveAvgPool2d are in ``model_file.py``)."""

from __future__ import annotations

from typing import Any

from ..nn.pooling import AdaptiveMaxPool2d, MaxUnpool2d
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
