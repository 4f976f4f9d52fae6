"""Model-file entries of the "activations" area: GELU, SiLU, ELU, SELU, CELU, Softplus,
Softsign, Mish, ReLU6, Hardtanh, Hardsigmoid, Hardswish, LogSigmoid, PReLU, Softmin, GLU.

Each records its constructor settings (numbers keep their int or float type, so a loaded
module's repr is the saved one's); every field read back is validated by ``ModuleConfig``'s
getters, with the checks PyTorch makes in the constructor (Hardtanh's bounds) or first at
forward time (CELU's alpha ≠ 0, GELU's approximate)."""

from __future__ import annotations

import math
from typing import Any

from ..nn.activations import (
    CELU,
    ELU,
    GELU,
    GLU,
    SELU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LogSigmoid,
    Mish,
    PReLU,
    ReLU6,
    SiLU,
    Softmin,
    Softplus,
    Softsign,
)
from .model_file import (
    _MISSING,
    ModuleConfig,
    _dim,
    _get_inplace,
    _inplace,
    _optional_dim,
    register_module,
)

_MAX_PARAMETERS = 2**40  # a bound on PReLU's weights; the real limit is the file's tensors


def _number(value: Any) -> int | float:
    """A setting as JSON: an int stays an int (torch's repr shows ``min_val=-2``)."""
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else float(value)


def _get_number(cfg: ModuleConfig, key: str) -> int | float:
    """A finite number (an int stays an int; a bool is not a number)."""
    return cfg._get(key, _MISSING, "a finite number",
                    lambda v: type(v) is int or type(v) is float and math.isfinite(v))


def _gelu_from_config(cfg: ModuleConfig) -> GELU:
    approximate = cfg._get("approximate", _MISSING, "'none' or 'tanh'", lambda v: v in ("none",
                                                                                  "tanh"))
    return GELU(approximate)


def _alpha_config(m: Any) -> dict[str, Any]:
    return {"alpha": _number(m.alpha), **_inplace(m)}


def _celu_from_config(cfg: ModuleConfig) -> CELU:
    alpha = _get_number(cfg, "alpha")
    if alpha == 0:
        raise cfg.error("'alpha' must not be 0 (CELU divides by it)")
    return CELU(alpha, _get_inplace(cfg))


def _hardtanh_from_config(cfg: ModuleConfig) -> Hardtanh:
    min_val, max_val = _get_number(cfg, "min_val"), _get_number(cfg, "max_val")
    if max_val <= min_val:
        raise cfg.error(f"max_val ({max_val}) must be greater than min_val ({min_val})")
    return Hardtanh(min_val, max_val, _get_inplace(cfg))


def _prelu_from_config(cfg: ModuleConfig) -> PReLU:
    count = cfg.get_int("num_parameters", minimum=1, maximum=_MAX_PARAMETERS)
    init, dtype = _get_number(cfg, "init"), cfg.get_dtype("dtype")
    cfg.reserve(count)
    return PReLU(count, init, dtype=dtype)


def _inplace_only(cls: type) -> None:
    register_module(cls, _inplace, lambda cfg: cls(inplace=_get_inplace(cfg)))


register_module(GELU, lambda m: {"approximate": str(m.approximate)}, _gelu_from_config)
for _cls in (SiLU, Mish, SELU, Hardsigmoid, Hardswish, ReLU6):
    _inplace_only(_cls)
register_module(ELU, _alpha_config,
                lambda cfg: ELU(_get_number(cfg, "alpha"), _get_inplace(cfg)))
register_module(CELU, _alpha_config, _celu_from_config)
register_module(Softplus, lambda m: {"beta": _number(m.beta), "threshold": _number(m.threshold)},
                lambda cfg: Softplus(_get_number(cfg, "beta"), _get_number(cfg, "threshold")))
register_module(Softsign)
register_module(LogSigmoid)
register_module(Hardtanh, lambda m: {"min_val": _number(m.min_val), "max_val": _number(m.max_val),
                                     **_inplace(m)}, _hardtanh_from_config)
register_module(PReLU, lambda m: {"num_parameters": int(m.num_parameters),
                                  "init": _number(m.init), "dtype": m.weight.dtype.name},
                _prelu_from_config)
register_module(Softmin, lambda m: {"dim": None if m.dim is None else int(m.dim)},
                lambda cfg: Softmin(_optional_dim(cfg, "dim")))
register_module(GLU, lambda m: {"dim": int(m.dim)}, lambda cfg: GLU(_dim(cfg, "dim")))
