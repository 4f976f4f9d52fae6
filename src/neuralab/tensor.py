"""``Tensor``: a NumPy array that remembers how it was computed, so gradients can flow back.

Operators and methods (``+``, ``@``, ``.sum()``, ``.relu()``, ...) are attached by the op
modules in ``neuralab.ops`` when they register; the backward walk lives in
``neuralab.autograd.engine``.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from .autograd import engine

float16, float32, float64 = np.float16, np.float32, np.float64
int32, int64, bool_ = np.int32, np.int64, np.bool_

_default_dtype: np.dtype = np.dtype(np.float32)
# Every tensor gets the next number at creation; an op's output is always created after its
# inputs, so decreasing numbers are a reverse topological order (used by the engine).
_creation_counter = itertools.count()


def get_default_dtype() -> np.dtype:
    """The floating dtype of tensors made from Python numbers and of new parameters."""
    return _default_dtype


def set_default_dtype(dtype: Any) -> None:
    """Set the default floating dtype (``neuralab.float32`` or ``neuralab.float64``)."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype expects a floating dtype, got {dtype}")
    _default_dtype = dtype


def _to_array(data: Any, dtype: Any = None) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return np.asarray(data, dtype=np.dtype(dtype))
    if isinstance(data, (np.ndarray, np.generic)):
        return np.asarray(data)  # keep the array's dtype and memory, like torch.from_numpy
    array = np.asarray(data)
    if array.dtype.kind == "f":
        return array.astype(_default_dtype)
    if array.dtype.kind in "iu":
        return array.astype(np.int64)
    if array.dtype.kind == "b":
        return array
    raise TypeError(f"cannot make a Tensor from {type(data).__name__} with dtype {array.dtype}")


class Tensor:
    """An n-dimensional array with an optional gradient.

    ``Tensor(data, requires_grad=False, dtype=None)``: Python numbers and lists become
    float32 (the default dtype) or int64; a NumPy array keeps its dtype and is shared, not
    copied (as with ``torch.from_numpy``).
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_seq", "__weakref__")
    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor's reflected operator

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self.data: np.ndarray = _to_array(data, dtype)
        self.grad: np.ndarray | None = None
        self._ctx = None
        self._seq = next(_creation_counter)
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _from_op(cls, data: np.ndarray, requires_grad: bool) -> Tensor:
        out = cls.__new__(cls)
        out.data, out.grad, out._ctx, out.requires_grad = data, None, None, requires_grad
        out._seq = next(_creation_counter)
        return out

    # ----------------------------------------------------------------- basic properties
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    def size(self, dim: int | None = None) -> Any:
        return self.data.shape if dim is None else self.data.shape[dim]

    def numel(self) -> int:
        return int(self.data.size)

    def dim(self) -> int:
        return self.data.ndim

    def __len__(self) -> int:
        return len(self.data)

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def tolist(self) -> Any:
        return self.data.tolist()

    def detach(self) -> Tensor:
        """The same values, cut from the graph (shares memory)."""
        return Tensor._from_op(self.data, False)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require gradients, got dtype {self.dtype}"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Compute gradients of this tensor w.r.t. every leaf that requires grad.

        ``grad`` is dL/d(self); it may be omitted only for a single-element tensor (taken as 1).
        """
        engine.backward(self, grad, retain_graph)

    def zero_grad(self) -> None:
        self.grad = None

    # ------------------------------------------------------------- comparison (no grad)
    def _compare(self, other: Any, ufunc: np.ufunc) -> Tensor:
        other = other.data if isinstance(other, Tensor) else other
        return Tensor._from_op(ufunc(self.data, other), False)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.not_equal)

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater_equal)

    __hash__ = object.__hash__

    def argmax(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        return Tensor._from_op(np.argmax(self.data, axis=axis, keepdims=keepdims), False)

    def argmin(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        return Tensor._from_op(np.argmin(self.data, axis=axis, keepdims=keepdims), False)

    def __bool__(self) -> bool:
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extras = []
        if self.dtype != _default_dtype and self.dtype.kind == "f" or self.dtype.kind != "f":
            extras.append(f"dtype={self.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{type(self._ctx).__name__}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body, *extras]) + ")"


def to_array(value: Any) -> np.ndarray:
    """The NumPy array behind a Tensor, an array, a number or a list (or a torch tensor).

    Not ``getattr(value, "data", value)``: an ndarray's ``.data`` is its raw buffer.
    """
    if isinstance(value, Tensor):
        return value.data
    if not isinstance(value, np.ndarray) and hasattr(value, "detach"):
        value = value.detach()  # a torch tensor that requires grad refuses np.asarray
    return np.asarray(value)


def as_tensor_like(value: Any, like: Tensor | None) -> Tensor:
    """``value`` as a Tensor; plain numbers and arrays adopt ``like``'s floating dtype."""
    if isinstance(value, Tensor):
        return value
    if like is not None and like.dtype.kind == "f":
        array = np.asarray(value)
        if array.dtype.kind in "biuf":
            return Tensor._from_op(array.astype(like.dtype, copy=False), False)
    return Tensor(value)


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """Make a Tensor (copies ``data``, like ``torch.tensor``)."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (np.ndarray, np.generic)):
        data = np.array(data, copy=True)
    return Tensor(data, requires_grad, dtype)
