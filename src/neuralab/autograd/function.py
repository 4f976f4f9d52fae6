"""The ``Function`` base class: one subclass per op, forward and local derivative side by side.

A subclass implements

* ``forward(self, *arrays, **options) -> array`` — computes the output from plain NumPy
  arrays and stores on ``self`` whatever ``backward`` will need;
* ``backward(self, grad_out) -> array | tuple`` — the vector-Jacobian product: given
  dL/d(output) it returns dL/d(input) for each tensor input (``None`` for inputs that need no
  gradient). It must never modify ``grad_out`` in place (it may be read-only).

Gradients may come back with the *broadcast* shape; the engine sums them back to each input's
shape in one place (``engine.unbroadcast``), so ops never repeat that bookkeeping.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .grad_mode import is_grad_enabled

if TYPE_CHECKING:
    from ..tensor import Tensor


class Function:
    """Base class of every differentiable op; ``Op.apply(*inputs, **options)`` runs it."""

    # Set by apply() when the output joins the graph; back to these defaults after release().
    inputs: tuple[Tensor, ...] | None = None
    needs_input_grad: tuple[bool, ...] = ()

    @classmethod
    def apply(cls, *inputs: Any, **options: Any) -> Tensor:
        tensor_type, as_tensor_like = _TENSOR_API or _tensor_api()
        tensors = inputs
        for x in inputs:
            if not isinstance(x, tensor_type):
                # Constants (numbers, arrays) take the dtype of the first tensor argument, so
                # that ``x32 * 2.0`` stays float32 instead of being promoted to float64.
                like = next((t for t in inputs if isinstance(t, tensor_type)), None)
                tensors = tuple([as_tensor_like(t, like) for t in inputs])
                break
        fn = cls()
        out = tensor_type._from_op(np.asarray(fn.forward(*[t.data for t in tensors], **options)),
                                   False)
        needs = tuple([t.requires_grad for t in tensors])
        if True in needs and is_grad_enabled():
            fn.inputs, fn.needs_input_grad = tensors, needs
            out.requires_grad, out._ctx = True, fn
        return out

    def forward(self, *arrays: np.ndarray, **options: Any) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no backward rule")

    def release(self) -> None:
        """Drop the inputs and every saved array so the graph can be freed."""
        self.__dict__.clear()  # ``inputs`` falls back to the class default, None

    @property
    def name(self) -> str:
        return type(self).__name__


_TENSOR_API: Any = None


def _tensor_api() -> Any:
    """(Tensor, as_tensor_like), looked up on first use: tensor.py imports this package."""
    global _TENSOR_API
    if _TENSOR_API is None:
        from ..tensor import Tensor, as_tensor_like

        _TENSOR_API = (Tensor, as_tensor_like)
    return _TENSOR_API
