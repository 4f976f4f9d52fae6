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

    inputs: tuple[Tensor, ...]
    needs_input_grad: tuple[bool, ...]

    @classmethod
    def apply(cls, *inputs: Any, **options: Any) -> Tensor:
        from ..tensor import Tensor, as_tensor_like

        # Constants (Python numbers, arrays) take the dtype of the first tensor argument so
        # that ``x32 * 2.0`` stays float32 instead of being promoted to float64.
        like = next((x for x in inputs if isinstance(x, Tensor)), None)
        tensors = tuple(as_tensor_like(x, like) for x in inputs)
        fn = cls()
        data = fn.forward(*(t.data for t in tensors), **options)
        requires_grad = is_grad_enabled() and any(t.requires_grad for t in tensors)
        out = Tensor._from_op(np.asarray(data), requires_grad)
        if requires_grad:
            fn.inputs = tensors
            fn.needs_input_grad = tuple(t.requires_grad for t in tensors)
            out._ctx = fn
        return out

    def forward(self, *arrays: np.ndarray, **options: Any) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no backward rule")

    def release(self) -> None:
        """Drop the inputs and every saved array so the graph can be freed."""
        self.__dict__.clear()

    @property
    def name(self) -> str:
        return type(self).__name__
