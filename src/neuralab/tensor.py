"""``Tensor``: a NumPy array that remembers how it was computed, so gradients can flow back.

Operators and methods (``+``, ``@``, ``.sum()``, ``.relu()``, ``.add_()``, ...) are attached by
the op modules in ``neuralab.ops`` when they register; the backward walk lives in
``neuralab.autograd.engine``.

What a tensor holds:

* ``_data``, the NumPy array of its values (``.data`` is a detached Tensor over the same
  memory and ``.numpy()`` the array itself, as in PyTorch);
* ``grad``, a Tensor once ``backward`` has reached it;
* ``grad_fn``, the op node that made it (``None`` for a leaf), which links to the nodes of its
  inputs (``grad_fn.next_functions``): that chain *is* the graph;
* a version counter, shared with every view of the same memory, which each in-place change
  bumps: an op that saved a tensor for its backward checks the version it saw, so a gradient
  is never computed from values overwritten in the meantime.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from . import dtypes
from .autograd import engine
from .dtypes import (  # noqa: F401  (re-exported: neuralab.float32, ...)
    bool_,
    float16,
    float32,
    float64,
    get_default_dtype,
    int32,
    int64,
    set_default_dtype,
)
from .errors import DTypeError

# Hook handles get increasing ids, so hooks run in the order they were registered.
_hook_ids = itertools.count()


def _to_array(data: Any, dtype: Any = None) -> np.ndarray:
    """``Tensor(data)``'s array: an array keeps its dtype and memory (like torch.from_numpy);
    Python numbers and lists become the default float dtype (like ``torch.Tensor``)."""
    if isinstance(data, Tensor):
        data = data._data
    if dtype is not None:
        return np.asarray(data, dtype=dtypes.as_dtype(dtype))
    if isinstance(data, (np.ndarray, np.generic)):
        array = np.asarray(data)
        if array.dtype not in dtypes.SUPPORTED:
            raise TypeError(f"cannot make a Tensor from an array of dtype {array.dtype}; "
                            f"neuralab supports {', '.join(map(str, dtypes.SUPPORTED))}")
        return array
    array = _infer_array(data)
    return array if array.dtype.kind == "f" else array.astype(dtypes.get_default_dtype())


def _infer_array(data: Any) -> np.ndarray:
    """Python data as an array with ``torch.tensor``'s dtype: floats give the default dtype,
    ints int64, bools bool (a fresh array)."""
    array = np.array(data)
    if array.dtype.kind == "f":
        return array.astype(dtypes.get_default_dtype())
    if array.dtype.kind in "iu":
        return array.astype(np.int64)
    if array.dtype.kind == "b":
        return array
    raise TypeError(f"cannot make a Tensor from {type(data).__name__} with dtype {array.dtype}")


class RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` takes the hook off again."""

    def __init__(self, hooks: dict) -> None:
        self._hooks, self.id = hooks, next(_hook_ids)

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


class Tensor:
    """An n-dimensional array with an optional gradient.

    ``Tensor(data, requires_grad=False, dtype=None)``: a NumPy array keeps its dtype and is
    shared, not copied (as with ``torch.from_numpy``); Python numbers and lists become the
    default float dtype, as with ``torch.Tensor``. ``neuralab.tensor`` copies and infers int64
    for ints and bool for bools, like ``torch.tensor``.
    """

    __slots__ = ("_data", "_grad", "requires_grad", "_ctx", "_version_box", "_base", "_hooks",
                 "_accumulator", "__weakref__")
    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor's reflected operator

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        if type(data) is int and dtype is None:
            raise TypeError(
                f"Tensor({data}): in PyTorch, Tensor(n) makes an uninitialized tensor of n "
                f"elements; write neuralab.empty({data}) for that or neuralab.tensor({data}) "
                f"for the number")
        self._data: np.ndarray = _to_array(data, dtype)
        self._grad: Tensor | None = None
        self._ctx = None
        self._version_box = [0]
        self._base = self._hooks = self._accumulator = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _from_op(cls, data: np.ndarray, requires_grad: bool) -> Tensor:
        """A tensor over ``data`` (not copied), with a fresh version counter."""
        if type(data) is not np.ndarray:  # NumPy gives scalars for 0-d results
            data = np.asarray(data)
        out = cls.__new__(cls)
        out._data, out._grad, out._ctx, out.requires_grad = data, None, None, requires_grad
        out._version_box = [0]
        out._base = out._hooks = out._accumulator = None
        return out

    def _view_of(self, base: Tensor) -> Tensor:
        """Mark this tensor as a view of ``base``'s memory: they share one version counter."""
        self._version_box = base._version_box
        self._base = base._base if base._base is not None else base
        return self

    # ----------------------------------------------------------------- basic properties
    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def device(self) -> Any:
        from .device import CPU

        return CPU

    is_cuda = False

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user (and results of ops that needed no gradient)."""
        return self._ctx is None

    @property
    def grad_fn(self) -> Any:
        """The op node that computed this tensor (``None`` for a leaf); see ``next_functions``."""
        return self._ctx

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's memory has seen (shared with its views)."""
        return self._version_box[0]

    def _bump_version(self) -> None:
        self._version_box[0] += 1

    def size(self, dim: int | None = None) -> Any:
        return self._data.shape if dim is None else self._data.shape[dim]

    def numel(self) -> int:
        return int(self._data.size)

    def dim(self) -> int:
        return self._data.ndim

    def element_size(self) -> int:
        return self._data.itemsize

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self) -> Any:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self._data)))

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               f"to Scalar (item() needs one element, the shape is {self.shape})")
        return self._data.item()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The underlying array (shared, not copied). As in PyTorch, a tensor that requires
        grad must be detached first (``t.detach().numpy()``), or pass ``force=True``."""
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return self._data

    def tolist(self) -> Any:
        return self._data.tolist()

    # ----------------------------------------------------------------- data and grad
    @property
    def data(self) -> Tensor:
        """The values as a Tensor cut from the graph, sharing memory (PyTorch's ``.data``).

        Unlike ``detach()`` it has its own version counter: changes made through it are not
        seen by the autograd checks, exactly as in PyTorch (prefer ``no_grad`` updates).
        """
        return Tensor._from_op(self._data, False)

    @data.setter
    def data(self, value: Any) -> None:
        if isinstance(value, Tensor):
            value = value._data
        elif not isinstance(value, np.ndarray):
            raise TypeError(f"Tensor.data must be set to a Tensor, got {type(value).__name__}")
        if self.requires_grad and value.dtype.kind != "f":
            raise TypeError(f"cannot set the data of a tensor that requires grad to dtype "
                            f"{value.dtype}: only floating tensors can require gradients")
        self._data = value

    @property
    def grad(self) -> Tensor | None:
        """dL/d(this tensor) after ``backward`` (a leaf's, or one kept by ``retain_grad``)."""
        return self._grad

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad "
                                f"of type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(f"assigned grad has data of a different size: the grad has "
                                   f"shape {value.shape}, the tensor {self.shape}")
            if value.dtype != self.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: the grad is "
                                   f"{value.dtype}, the tensor {self.dtype}")
        self._grad = value

    def _grad_accumulator(self) -> Any:
        """The ``AccumulateGrad`` node of a leaf that requires grad (see next_functions).

        The node holds the leaf; the leaf holds the node only weakly (as PyTorch), so no
        reference cycle keeps a dropped leaf alive."""
        node = self._accumulator() if self._accumulator is not None else None
        if node is None:
            from .autograd.function import AccumulateGrad

            node = AccumulateGrad(self)
            self._accumulator = weakref.ref(node)
        return node

    def detach(self) -> Tensor:
        """The same values, cut from the graph; shares memory and version counter."""
        return Tensor._from_op(self._data, False)._view_of(self)

    def detach_(self) -> Tensor:
        if self._base is not None and self._base.requires_grad:
            raise RuntimeError("detach_() is not allowed on a view of a tensor in the graph; "
                               "use detach() instead")
        self._ctx, self.requires_grad = None, False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if not requires_grad and self._ctx is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if requires_grad and self._data.dtype.kind != "f":
            raise DTypeError(
                f"only Tensors of floating point dtype can require gradients, got {self.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep dL/d(this tensor) in ``.grad`` after ``backward`` even though it is no leaf."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._ctx is not None:
            self._ctx._retain(self)

    @property
    def retains_grad(self) -> bool:
        retained = self._ctx._retained if self._ctx is not None else None
        return retained is not None and retained() is self

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` when dL/d(this tensor) is computed; a returned Tensor replaces
        the gradient. ``handle.remove()`` unregisters it."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._ctx is not None:
            hooks = self._ctx._output_hooks()
        else:
            if self._hooks is None:
                self._hooks = {}
            hooks = self._hooks
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Compute gradients of this tensor w.r.t. every leaf that requires grad.

        ``gradient`` is dL/d(self); it may be omitted only for a single-element tensor
        (taken as 1). Gradients accumulate in each leaf's ``.grad``.
        """
        engine.backward(self, gradient, bool(retain_graph), create_graph, inputs)

    def zero_grad(self) -> None:
        self._grad = None

    # ------------------------------------------------------------- comparison (no grad)
    def _compare(self, other: Any, ufunc: np.ufunc) -> Tensor:
        common = dtypes.result_type(self, other)
        a = self._data if self._data.dtype == common else self._data.astype(common)
        b = to_array(other)
        b = b if b.dtype == common else b.astype(common)
        return Tensor._from_op(ufunc(a, b), False)

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

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is "
                               f"ambiguous (shape {self.shape}); use .any() or .all()")
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self._data.item())

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        array = self._data if dtype is None else self._data.astype(dtype, copy=False)
        return array.copy() if copy and array is self._data else array

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="tensor(")
        extras = []
        if self.dtype not in (dtypes.get_default_dtype(), np.int64, np.bool_) or \
                self._data.size == 0 and self.dtype != dtypes.get_default_dtype():
            extras.append(f"dtype=neuralab.{self.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{self._ctx.name()}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body, *extras]) + ")"


def to_array(value: Any) -> np.ndarray:
    """The NumPy array behind a Tensor, an array, a number or a list (or a torch tensor).

    Not ``getattr(value, "data", value)``: an ndarray's ``.data`` is its raw buffer.
    """
    if isinstance(value, Tensor):
        return value._data
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
    return tensor(value)


def tensor(data: Any, *, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Make a Tensor, copying ``data`` (``torch.tensor``): Python floats give the default
    dtype, ints int64, bools bool; an array or a tensor keeps its dtype."""
    from .device import check_device

    check_device(device)
    if isinstance(data, Tensor):
        data = data._data
    if isinstance(data, (np.ndarray, np.generic)):
        array = np.array(data, copy=True)
    elif dtype is not None:  # straight to the dtype: 0.1 in float64 is not float32's 0.1
        array = np.array(data, dtype=dtypes.as_dtype(dtype))
    else:
        array = _infer_array(data)
    if dtype is not None:
        array = array.astype(dtypes.as_dtype(dtype), copy=False)
    return Tensor(array, requires_grad)
