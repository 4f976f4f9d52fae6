"""THE chain rule: reverse-mode automatic differentiation, in one place.

``backward(root)`` computes dL/dx for every leaf x that requires grad, where L is ``root``:

1. Order the graph topologically (inputs before outputs): find the tensors that lead to the
   root with an explicit stack, so a chain of any length works (a recursive walk dies near
   Python's recursion limit, ~1,000 ops), and sort them by creation number — an op's output is
   always created after its inputs.
2. Seed dL/dL = 1 and visit nodes from the root backwards. Each node's gradient is complete
   when it is visited, because every consumer of the node comes later in topological order and
   is therefore visited earlier in the reverse walk.
3. For a node made by an op, ask the op for the vector-Jacobian product of each input:
   dL/d(input) = dL/d(output) · d(output)/d(input)  — the chain rule, one local derivative at a
   time. Sum it back to the input's shape if broadcasting widened it, and *add* it to what the
   input already received: a value used twice receives both contributions (fan-out).
4. At a leaf, add the gradient to ``leaf.grad`` (gradients accumulate across calls, as in
   PyTorch, until ``zero_grad``).
5. Free each op's saved arrays once used, unless ``retain_graph=True``, so memory is returned
   as soon as backward is done and a second backward through the same graph fails loudly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..tensor import Tensor


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...], op_name: str) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added or stretched, giving ``shape``.

    If y = x + b with b of shape (3,) broadcast to (N, 3), each b_j fed N outputs, so
    dL/db_j = sum_n dL/dy_nj. The same rule applies to every broadcasting op.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0 or any(
        n != 1 and grad.shape[extra + i] != n for i, n in enumerate(shape)
    ):
        raise RuntimeError(
            f"{op_name}.backward returned a gradient of shape {grad.shape} for an input of "
            f"shape {shape}; the shapes are not broadcast-compatible (a bug in {op_name})"
        )
    stretched = tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1
    )
    axes = tuple(range(extra)) + stretched
    return grad.sum(axis=axes, keepdims=True).reshape(shape) if axes else grad.reshape(shape)


def topological_order(root: Tensor) -> list[Tensor]:
    """Tensors that require grad and lead to ``root``, each after all of its inputs.

    An op's output is always created after its inputs, so sorting the reachable tensors by
    creation number gives a topological order; finding them needs only an explicit stack
    (no recursion, so a chain of any length works).
    """
    reached = {id(root): root}
    stack = [root]
    while stack:
        for parent in _inputs(stack.pop()):
            if parent.requires_grad and id(parent) not in reached:
                reached[id(parent)] = parent
                stack.append(parent)
    return sorted(reached.values(), key=_creation_number)


def _creation_number(tensor: Tensor) -> int:
    return tensor._seq


def _inputs(tensor: Tensor) -> tuple:
    fn = tensor._ctx
    return () if fn is None or fn.inputs is None else fn.inputs


def _memory_owner(array: np.ndarray) -> int:
    """Identity of the buffer an array views: arrays with different owners never overlap."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return id(array if array.base is None else array.base)


def backward(root: Tensor, grad: Any = None, retain_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf) into ``leaf.grad`` for every leaf that requires grad."""
    if not root.requires_grad:
        raise RuntimeError(
            "backward() called on a tensor that does not require grad: no input of the "
            "computation had requires_grad=True (create leaves with "
            "Tensor(..., requires_grad=True)) or it was computed under no_grad()"
        )
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward() without a gradient works only for a single-element tensor, "
                f"but this one has shape {root.shape}; reduce it first (e.g. y.sum().backward())"
                f" or pass the upstream gradient: y.backward(grad) with grad of shape {root.shape}"
            )
        seed = np.ones_like(root.data)
    else:
        from ..tensor import to_array  # tensor.py imports this module

        seed = np.asarray(to_array(grad), dtype=root.dtype)
        if seed.shape != root.shape:
            raise RuntimeError(
                f"backward(grad): grad has shape {seed.shape} but the tensor has shape {root.shape}"
            )

    grads: dict[int, np.ndarray] = {id(root): seed}
    # Buffers already stored as some leaf's .grad (and the caller's seed): a new leaf gradient
    # viewing one of them is copied, so an in-place update of one .grad (clipping, say) can
    # never change another. Fresh arrays, the usual case, are stored without a copy.
    handed_out = {_memory_owner(seed)}
    for tensor in reversed(topological_order(root)):
        grad_out = grads.pop(id(tensor), None)
        if grad_out is None:
            continue
        fn = tensor._ctx
        if fn is None:  # a leaf: accumulate
            if tensor.grad is None:
                owner = _memory_owner(grad_out)
                if owner in handed_out or not grad_out.flags.writeable:
                    grad_out = grad_out.copy()
                    owner = id(grad_out)
                tensor.grad = grad_out.astype(tensor.dtype, copy=False)
                handed_out.add(owner)
            else:
                # Cast back: a float64 contribution must not silently promote a float32 .grad.
                tensor.grad = (tensor.grad + grad_out).astype(tensor.dtype, copy=False)
            continue
        inputs = fn.inputs
        if inputs is None:
            raise RuntimeError(
                f"Trying to backward through the graph a second time: the values saved by "
                f"{fn.name} were freed after the first backward(). Call "
                f"backward(retain_graph=True) the first time if you need to call it again."
            )
        input_grads = fn.backward(grad_out)  # the local step of the chain rule
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        # One gradient per input (trailing Nones allowed): zip() alone would silently drop the
        # gradient of every input past the end of a too-short tuple.
        if len(input_grads) != len(inputs) and (len(input_grads) < len(inputs) or any(
                g is not None for g in input_grads[len(inputs):])):
            raise RuntimeError(
                f"{fn.name}.backward returned {len(input_grads)} gradient(s) for "
                f"{len(inputs)} input(s); return one per input (None where not needed)"
            )
        for parent, needed, grad_in in zip(inputs, fn.needs_input_grad, input_grads):
            if not needed or grad_in is None:
                continue
            if type(grad_in) is not np.ndarray:
                grad_in = np.asarray(grad_in)
            if grad_in.shape != parent.data.shape:
                grad_in = unbroadcast(grad_in, parent.data.shape, fn.name)
            key = id(parent)
            grads[key] = grads[key] + grad_in if key in grads else grad_in
        if not retain_graph:
            fn.release()
