"""``Function``: one subclass per op, forward and local derivative side by side; an applied
Function is also a node of the graph (what ``tensor.grad_fn`` returns).

neuralab's own ops implement

* ``forward(self, *arrays, **options) -> array`` — computes the output from plain NumPy
  arrays and stores on ``self`` whatever ``backward`` will need (``self.needs_input_grad``
  already says which inputs need a gradient, so it can skip the rest);
* ``backward(self, grad_out) -> array | tuple`` — the vector-Jacobian product: given
  dL/d(output) it returns dL/d(input) for each tensor input (``None`` for inputs that need no
  gradient). It must never modify ``grad_out`` in place (it may be read-only).

Gradients may come back with the *broadcast* shape; the engine sums them back to each input's
shape in one place (``engine.unbroadcast``), so ops never repeat that bookkeeping.

PyTorch's style works too (``@staticmethod forward(ctx, ...)``, ``ctx.save_for_backward``,
``@staticmethod backward(ctx, grad)``, used as ``MyFunction.apply(x)``), with Tensors in and
out; ``ctx`` is the node itself.

Safety of in-place changes: when an op's output joins the graph, every array it kept on
``self`` that shares memory with an input or the output is recorded with that tensor's version
number; ``backward`` refuses to run if an in-place change has bumped it since (PyTorch's check).
"""

from __future__ import annotations

import inspect
import itertools
import weakref
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .. import dtypes
from ..errors import ShapeError
from .grad_mode import is_grad_enabled, no_grad

if TYPE_CHECKING:
    from ..tensor import Tensor

# Nodes are numbered as they are created; an op's node is always created after the nodes of
# its inputs, so decreasing numbers are a reverse topological order (used by the engine).
_node_counter = itertools.count()

def memory_owner(array: np.ndarray) -> int:
    """Identity of the buffer an array views: arrays with different owners never overlap."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return id(array if array.base is None else array.base)


class Function:
    """Base class of every differentiable op; ``Op.apply(*inputs, **options)`` runs it."""

    promotes: ClassVar[bool] = False  # element-wise: operands follow PyTorch's type promotion
    _pytorch_style: ClassVar[bool] = False

    # The node's own attributes (slots); what an op's forward keeps goes into its __dict__,
    # which release() empties after backward while the graph's links stay (next_functions).
    __slots__ = (
        "_edges",  # per input: its node (a Function), a leaf Tensor, or None
        "_input_meta",  # per input: (shape, dtype), to shape and cast its gradient
        "needs_input_grad",  # per input: whether it needs a gradient (set before forward)
        "_seq",  # creation number: the engine's topological order
        "_saved",  # (version box, version seen, shape, dtype) per saved input or output
        "_hooks",  # hooks on the gradient of this node's output
        "_retained",  # weak reference to the output when it called retain_grad()
        "_released",  # True once backward has freed the saved values
        "__dict__", "__weakref__")

    # (No __init__: an op outside the graph needs none of these; _join_graph sets them.)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._pytorch_style = isinstance(inspect.getattr_static(cls, "forward"), staticmethod)
        # The engine's entry: the op's own backward, or the adapter for PyTorch's style.
        cls._run_backward = _pytorch_style_backward if cls._pytorch_style else cls.backward

    @classmethod
    def apply(cls, *inputs: Any, **options: Any) -> Tensor:
        tensor_type = _tensor_type()
        if cls._pytorch_style:
            return _apply_pytorch_style(cls, tensor_type, inputs, options)
        for t in inputs:  # the common case: tensors only, nothing to convert or promote
            if not isinstance(t, tensor_type):
                tensors, arrays = _operands(cls, tensor_type, inputs)
                break
        else:
            if cls.promotes:
                tensors, arrays = _operands(cls, tensor_type, inputs)
            else:
                tensors, arrays = inputs, [t._data for t in inputs]
        fn = cls()
        needs = tuple([t.requires_grad for t in tensors])
        recording = True in needs and is_grad_enabled()
        # Known before forward, so an op saves only what its needed gradients use.
        fn.needs_input_grad = needs if recording else (False,) * len(needs)
        try:
            out = tensor_type._from_op(fn.forward(*arrays, **options), False)
        except ValueError as error:
            if "broadcast" not in str(error):
                raise
            shapes = " and ".join(str(tuple(a.shape)) for a in arrays)
            raise ShapeError(
                f"{cls.__name__.lower()}: tensors of shapes {shapes} cannot be broadcast "
                f"together: each dimension must match or be 1 (aligned from the right)") from None
        result = out._data
        if result.base is not None:  # a view (reshape, transpose, basic indexing)?
            owner = memory_owner(result)
            for t in tensors:
                if memory_owner(t._data) == owner:
                    out._view_of(t)
                    break
        if recording:
            fn._saved = None
            fn._join_graph(tensors, out)
            fn._record_saved(tensors, out)
        return out

    @staticmethod
    def compute_dtype(common: np.dtype) -> np.dtype:
        """The dtype a promoting op computes in, given its operands' promoted dtype."""
        return common

    def _join_graph(self, inputs: tuple, out: Tensor) -> None:
        """Make this op ``out``'s node, linked to the nodes of its ``inputs`` (tensors, or
        ``None`` for a custom Function's non-tensor argument, which gets no edge)."""
        self._edges = tuple([None if t is None else edge_to(t) for t in inputs])
        self._input_meta = tuple([((), None) if t is None else (t._data.shape, t._data.dtype)
                                  for t in inputs])
        self._seq = next(_node_counter)
        self._hooks = self._retained = None
        self._released = False
        out.requires_grad, out._ctx = True, self

    def _record_saved(self, tensors: tuple, out: Tensor) -> None:
        """Note the version of every input or output whose memory ``forward`` kept."""
        saved = None
        for array in self.__dict__.values():
            if type(array) is not np.ndarray:
                continue
            for owner in tensors:  # usually the input array itself (x, weight)
                if owner._data is array:
                    break
            else:
                owner = out if out._data is array else None
                if owner is None and array.base is not None:  # a view of one, say xᵀ
                    memory = memory_owner(array)
                    owner = next((t for t in (*tensors, out)
                                  if memory_owner(t._data) == memory), None)
            if owner is not None:
                if saved is None:
                    saved = {}
                saved[id(owner._version_box)] = _version_entry(owner)
        if saved:
            self._saved = list(saved.values())

    def check_saved_versions(self) -> None:
        """Raise if a tensor this op saved (or ``save_for_backward`` got) was changed in place
        after the op ran."""
        for box, seen, shape, dtype in self._saved or ():
            if box[0] != seen:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: a {dtype} tensor of shape {tuple(shape)} saved "
                    f"by {self.name()} is at version {box[0]}; expected version {seen} "
                    f"instead. Compute the change out of place (x = x + 1 rather than "
                    f"x += 1), or change a .clone()")

    def forward(self, *arrays: np.ndarray, **options: Any) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no backward rule")

    def _run_backward(self, grad_out: np.ndarray) -> Any:
        """The engine's entry: the local vector-Jacobian product, as arrays."""
        return self.backward(grad_out)

    def release(self) -> None:
        """Drop every saved array (and a custom Function's saved tensors) so memory returns;
        the graph's links and the op's other settings stay. As in PyTorch, only a node that
        freed something refuses a second backward."""
        state = self.__dict__
        freed = [key for key, value in state.items() if not _is_setting(value)]
        for key in freed:
            del state[key]
        if freed:
            self._released = True

    # ---------------------------------------------------------------- the node as PyTorch's
    def name(self) -> str:
        """PyTorch's name for the node: ``AddBackward0``, ``MulBackward0``, ..."""
        return f"{type(self).__name__}Backward0"

    @property
    def next_functions(self) -> tuple:
        """One ``(node, 0)`` per input: its ``grad_fn``, an ``AccumulateGrad`` for a leaf that
        requires grad, or ``None``."""
        tensor_type = _tensor_type()
        return tuple(((e._grad_accumulator() if isinstance(e, tensor_type) else e), 0)
                     for e in self._edges)

    def register_hook(self, hook: Any) -> Any:
        raise NotImplementedError("hooks on graph nodes are not supported; use "
                                  "tensor.register_hook(fn)")

    def _output_hooks(self) -> dict:
        if self._hooks is None:
            self._hooks = {}
        return self._hooks

    def _retain(self, tensor: Tensor) -> None:
        self._retained = weakref.ref(tensor)

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    # ---------------------------------------------------------------- PyTorch's ctx API
    def save_for_backward(self, *tensors: Any) -> None:
        self._saved_for_backward = tensors
        self._saved = [_version_entry(t) for t in tensors if t is not None]

    @property
    def saved_tensors(self) -> tuple:
        if self._released:
            raise RuntimeError(second_backward_message(self))
        if self._saved is not None:
            self.check_saved_versions()
        return self.__dict__.get("_saved_for_backward", ())

    def mark_non_differentiable(self, *tensors: Any) -> None:
        self._non_differentiable = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        pass  # gradients reaching a neuralab node are always arrays, never None

    def mark_dirty(self, *tensors: Any) -> None:
        raise NotImplementedError("custom Functions that change their inputs in place "
                                  "(ctx.mark_dirty) are not supported by neuralab")


class AccumulateGrad:
    """The node behind a leaf that requires grad: backward adds into ``variable.grad``."""

    next_functions: tuple = ()

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


def _is_setting(value: Any) -> bool:
    """A plain setting an op keeps (a number, a name, a shape, an axis), as opposed to saved
    values (arrays, tensors, helper objects holding them), which ``release`` frees."""
    if value is None or isinstance(value, (bool, int, float, str, slice, np.dtype, np.generic)):
        return True
    return isinstance(value, tuple) and all(_is_setting(v) for v in value)


def _version_entry(t: Tensor) -> tuple:
    """What a node remembers of a tensor it saved: its version counter and the version seen."""
    box = t._version_box
    return box, box[0], t._data.shape, t._data.dtype


def second_backward_message(node: Any) -> str:
    return (f"Trying to backward through the graph a second time: the values saved by "
            f"{node.name()} were freed after the first backward(). Call "
            f"backward(retain_graph=True) the first time if you need to call it again.")


def edge_to(t: Tensor) -> Any:
    """Where gradient for ``t`` goes: its node, the leaf itself, or nowhere (``None``)."""
    if t._ctx is not None:
        return t._ctx
    return t if t.requires_grad else None


def _operands(cls: type, tensor_type: type, inputs: tuple) -> tuple[tuple, list]:
    """The inputs as tensors, and the arrays ``forward`` gets, with PyTorch's dtype rules."""
    if cls.promotes:
        common = _same_dtype(tensor_type, inputs) or dtypes.result_type(*inputs)
        common = cls.compute_dtype(common)
        # (astype, not asarray(dtype=): a Python int beyond the dtype wraps around, as in torch)
        tensors = tuple([t if isinstance(t, tensor_type)
                         else tensor_type._from_op(np.asarray(t).astype(common), False)
                         for t in inputs])
        return tensors, [t._data if t._data.dtype == common else t._data.astype(common)
                         for t in tensors]
    tensors = inputs
    for x in inputs:
        if not isinstance(x, tensor_type):
            # Constants (numbers, arrays) take the dtype of the first floating tensor, so
            # that ``x32 * 2.0`` stays float32 instead of being promoted to float64.
            like = next((t for t in inputs if isinstance(t, tensor_type)), None)
            tensors = tuple([_as_tensor_like(t, like) for t in inputs])
            break
    return tensors, [t._data for t in tensors]


def _same_dtype(tensor_type: type, inputs: tuple) -> np.dtype | None:
    """The common fast case of promotion: two tensors of one dtype, or a floating tensor with a
    Python number (its dtype wins, as in PyTorch's table); ``None`` for anything else."""
    if len(inputs) != 2:
        return None
    a, b = inputs
    if isinstance(a, tensor_type):
        if isinstance(b, tensor_type):
            return a._data.dtype if a._data.dtype == b._data.dtype else None
        if type(b) is float or type(b) is int:
            return a._data.dtype if a._data.dtype.kind == "f" else None
    elif isinstance(b, tensor_type) and (type(a) is float or type(a) is int):
        return b._data.dtype if b._data.dtype.kind == "f" else None
    return None


def _apply_pytorch_style(cls: type, tensor_type: type, args: tuple, kwargs: dict) -> Any:
    ctx = cls()
    needs = tuple(isinstance(a, tensor_type) and a.requires_grad for a in args)
    ctx.needs_input_grad = needs
    ctx._saved, ctx._released = None, False  # (save_for_backward fills _saved)
    with no_grad():
        result = cls.forward(ctx, *args, **kwargs)
    if isinstance(result, (tuple, list)):
        raise NotImplementedError(
            f"{cls.__name__}.forward returned {len(result)} outputs; neuralab's custom "
            f"Functions return one tensor")
    if not isinstance(result, tensor_type):
        raise TypeError(f"{cls.__name__}.forward must return a Tensor, got "
                        f"{type(result).__name__}")
    if not (any(needs) and is_grad_enabled()) or \
            id(result) in ctx.__dict__.get("_non_differentiable", ()):
        return result
    out = tensor_type._from_op(result._data, False)
    out._version_box = result._version_box
    ctx._join_graph(tuple([a if isinstance(a, tensor_type) else None for a in args]), out)
    return out


def _pytorch_style_backward(self: Function, grad_out: np.ndarray) -> tuple:
    tensor_type = _tensor_type()
    with no_grad():
        grads = type(self).backward(self, tensor_type._from_op(grad_out, False))
    if not isinstance(grads, tuple):
        grads = (grads,)
    return tuple(g._data if isinstance(g, tensor_type) else g for g in grads)


def _as_tensor_like(value: Any, like: Any) -> Any:
    from ..tensor import as_tensor_like

    return as_tensor_like(value, like)


_TENSOR: Any = None


def _tensor_type() -> Any:
    """The Tensor class, looked up on first use: tensor.py imports this package."""
    global _TENSOR
    if _TENSOR is None:
        from ..tensor import Tensor

        _TENSOR = Tensor
    return _TENSOR
