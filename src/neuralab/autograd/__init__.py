"""Automatic differentiation: the engine (chain rule), the Function base, grad mode, gradcheck.

``neuralab.autograd.grad(outputs, inputs)`` returns gradients without touching ``.grad``;
``neuralab.autograd.backward(tensors)`` is ``tensor.backward()`` for several roots.
"""

from __future__ import annotations

from typing import Any

from . import engine
from .function import Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled


def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, (tuple, list)) else [value]


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool | None = None) -> tuple:
    """d(outputs)/d(inputs) as a tuple of Tensors (``torch.autograd.grad``); ``.grad`` is left
    alone. An input the outputs do not depend on raises unless ``allow_unused=True``."""
    from ..tensor import Tensor

    outputs, inputs = _as_list(outputs), _as_list(inputs)
    seeds = [None] * len(outputs) if grad_outputs is None else _as_list(grad_outputs)
    if len(seeds) != len(outputs):
        raise RuntimeError(f"grad requires one grad_output per output: got {len(seeds)} for "
                           f"{len(outputs)} outputs")
    found = engine.run(outputs, seeds, bool(retain_graph), create_graph, capture=inputs)
    for position, g in enumerate(found):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"One of the differentiated Tensors (input {position}) appears to not have "
                f"been used in the graph. Set allow_unused=True if this is the desired behavior.")
    return tuple(None if g is None else Tensor._from_op(g, False) for g in found)


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Any = None) -> None:
    """Accumulate the gradients of several roots into the leaves' ``.grad``."""
    if inputs is not None:
        raise NotImplementedError("autograd.backward(inputs=...) is not supported; use "
                                  "tensor.backward(inputs=...) for one root")
    tensors = _as_list(tensors)
    seeds = [None] * len(tensors) if grad_tensors is None else _as_list(grad_tensors)
    engine.run(tensors, seeds, bool(retain_graph), create_graph)


__all__ = ["Function", "backward", "enable_grad", "grad", "is_grad_enabled", "no_grad",
           "set_grad_enabled"]
