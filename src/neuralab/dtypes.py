"""dtypes as in PyTorch, and PyTorch's type-promotion rules.

neuralab's dtypes *are* NumPy dtypes (``neuralab.float32 == numpy.float32``), under PyTorch's
names and aliases (``neuralab.float`` is float32, ``neuralab.long`` is int64). What differs from
NumPy is *promotion*, which follows PyTorch's table:

* Only the *category* of a Python number or a 0-d tensor counts against a tensor with
  dimensions: ``int32_tensor + 1`` stays int32, ``float32_tensor * 2.5`` stays float32,
  ``float32_tensor + float64_0d_tensor`` stays float32.
* A higher category wins: ``int64_tensor * 1.5`` gives the default float dtype (float32), and
  ``int32_tensor + float64_0d_tensor`` gives float64.
* Two dtypes of one category promote to the wider; any float beats any integer
  (``int64 + float16 → float16``), and uint8 with int8 gives int16.
"""

from __future__ import annotations

from typing import Any

import numpy as np

float16 = half = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
uint8 = np.dtype(np.uint8)
int8 = np.dtype(np.int8)
int16 = short = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)
dtype = np.dtype  # the type of every neuralab dtype (``isinstance(x.dtype, neuralab.dtype)``)

SUPPORTED = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)

_default_dtype: np.dtype = float32

# PyTorch's name of each dtype, for messages: "result type Float can't be cast to ... Long".
TORCH_NAMES = {bool_: "Bool", uint8: "Byte", int8: "Char", int16: "Short", int32: "Int",
               int64: "Long", float16: "Half", float32: "Float", float64: "Double"}


def get_default_dtype() -> np.dtype:
    """The floating dtype of tensors made from Python floats and of new parameters."""
    return _default_dtype


def set_default_dtype(d: Any) -> None:
    """Set the default floating dtype (``neuralab.float32`` or ``neuralab.float64``)."""
    global _default_dtype
    d = as_dtype(d)
    if d.kind != "f" or d == float16:
        raise TypeError(f"set_default_dtype expects a floating dtype (float32 or float64), got {d}")
    _default_dtype = d


def as_dtype(d: Any) -> np.dtype:
    """``d`` (a neuralab/NumPy dtype, a NumPy type, a name, or Python's float/int/bool, which
    mean float64/int64/bool as in PyTorch) as a dtype; anything else raises ``TypeError``."""
    if d is float:
        return float64
    if d is int:
        return int64
    if d is bool:
        return bool_
    if isinstance(d, str) and d.startswith("torch."):
        d = d[len("torch."):]
    try:
        result = np.dtype(d)
    except TypeError:
        raise TypeError(f"dtype must be a neuralab dtype such as neuralab.float32, got {d!r}")\
            from None
    if result not in SUPPORTED:
        raise TypeError(f"neuralab does not support dtype {result}; it supports "
                        f"{', '.join(str(s) for s in SUPPORTED)}")
    return result


def _category(d: np.dtype) -> int:
    return 0 if d.kind == "b" else 2 if d.kind == "f" else 1


def promote_types(a: Any, b: Any) -> np.dtype:
    """``torch.promote_types``: the smallest dtype both ``a`` and ``b`` fit in, by category."""
    a, b = as_dtype(a), as_dtype(b)
    return _promote(a, b)


def _promote(a: np.dtype, b: np.dtype) -> np.dtype:
    if a == b:
        return a
    ca, cb = _category(a), _category(b)
    if ca != cb:
        return a if ca > cb else b
    if ca == 2:  # floats: the wider
        return a if a.itemsize >= b.itemsize else b
    if ca == 1 and (a.kind == "u") != (b.kind == "u"):  # uint8 with a signed integer
        signed = b if a.kind == "u" else a
        return int16 if signed == int8 else signed
    return a if a.itemsize >= b.itemsize else b


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """PyTorch's combine_categories: ``higher`` wins unless ``lower`` is of a higher category."""
    if higher is None:
        return lower
    if lower is None or higher.kind == "f":
        return higher
    if higher.kind == "b" or lower.kind == "f":
        return _promote(higher, lower)
    return higher


def result_type(*operands: Any) -> np.dtype:
    """``torch.result_type`` over tensors, arrays (treated as tensors) and Python numbers."""
    from .tensor import Tensor  # tensor.py imports this module

    dim_result = zero_result = wrapped_result = None
    for x in operands:
        if isinstance(x, Tensor):
            d, ndim = x._data.dtype, x._data.ndim
        elif isinstance(x, np.ndarray):
            d, ndim = x.dtype, x.ndim
        elif isinstance(x, (bool, int, float, np.bool_, np.integer, np.floating)):
            # NumPy scalars count as Python numbers; PyTorch takes np.bool_ for a float (it
            # reads it through __float__), so ``int_tensor + np.bool_(True)`` is float there too.
            d = bool_ if isinstance(x, bool) else \
                int64 if isinstance(x, (int, np.integer)) else _default_dtype
            wrapped_result = d if wrapped_result is None else _promote(wrapped_result, d)
            continue
        else:
            d, ndim = np.asarray(x).dtype, np.ndim(x)
            if d.kind in "iu":
                d = int64
            elif d.kind == "f":
                d = _default_dtype
        if ndim:
            dim_result = d if dim_result is None else _promote(dim_result, d)
        else:
            zero_result = d if zero_result is None else _promote(zero_result, d)
    result = _combine(dim_result, _combine(zero_result, wrapped_result))
    return as_dtype(result) if result is not None else _default_dtype


def can_cast(source: Any, target: Any) -> bool:
    """``torch.can_cast``: an in-place result may not go from float to integer or to bool."""
    return _category(as_dtype(source)) <= _category(as_dtype(target))


def torch_name(d: np.dtype) -> str:
    return TORCH_NAMES.get(np.dtype(d), str(d))
