"""THE chain rule: reverse-mode automatic differentiation, in one place.

The graph: every tensor computed by an op holds that op's node (``tensor.grad_fn``); a node
links to the nodes of its inputs (``_edges``, shown as ``next_functions``) — to the input's own
node, to the input itself if it is a leaf that requires grad, or to nothing.

``backward(root)`` computes dL/dx for every leaf x that requires grad, where L is ``root``:

1. Order the nodes topologically: find those that lead to the root with an explicit stack, so
   a chain of any length works (a recursive walk dies near Python's recursion limit, ~1,000
   ops), and sort them by creation number — an op's node is always created after its inputs'.
2. Seed dL/dL = 1 and visit nodes from the root backwards. Each node's gradient is complete
   when it is visited, because every consumer of its output comes later in topological order
   and is therefore visited earlier in the reverse walk.
3. For each node, ask the op for the vector-Jacobian product of each input:
   dL/d(input) = dL/d(output) · d(output)/d(input)  — the chain rule, one local derivative at a
   time. Sum it back to the input's shape if broadcasting widened it, and *add* it to what the
   input already received: a value used twice receives both contributions (fan-out).
4. At a leaf, add the gradient to ``leaf.grad`` (gradients accumulate across calls, as in
   PyTorch, until ``zero_grad``).
5. Free each op's saved arrays once used, unless ``retain_graph=True``, so memory is returned
   as soon as backward is done and a second backward through the same graph fails loudly.

Hooks (``tensor.register_hook``) see each gradient as it is computed and may replace it;
``retain_grad()`` keeps a non-leaf's gradient in its ``.grad``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .function import Function, memory_owner, second_backward_message

if TYPE_CHECKING:
    from ..tensor import Tensor

_TENSOR: Any = None  # the Tensor class: tensor.py imports this module, so it is fetched late


def _tensor_class() -> Any:
    global _TENSOR
    if _TENSOR is None:
        from ..tensor import Tensor

        _TENSOR = Tensor
    return _TENSOR


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


def topological_order(roots: list) -> list:
    """The nodes that lead to ``roots``, each after all of the nodes of its inputs."""
    reached = {id(r): r for r in roots}
    stack = list(roots)
    while stack:
        for parent in stack.pop()._edges:
            if isinstance(parent, Function) and id(parent) not in reached:
                reached[id(parent)] = parent
                stack.append(parent)
    return sorted(reached.values(), key=_creation_number)


def _creation_number(node: Any) -> int:
    return node._seq


def _as_grad_tensor(array: np.ndarray) -> Tensor:
    return _tensor_class()._from_op(array, False)


def _run_hooks(hooks: dict | None, grad: np.ndarray, shape: tuple, dtype: Any) -> np.ndarray:
    """Pass ``grad`` through the hooks in registration order; a returned Tensor replaces it."""
    for hook in list((hooks or {}).values()):
        result = hook(_as_grad_tensor(grad))
        if result is not None:
            replaced = np.asarray(getattr(result, "_data", result))
            if replaced.shape != shape:
                raise RuntimeError(f"hook {getattr(hook, '__name__', hook)} returned a gradient "
                                   f"of shape {replaced.shape}; expected {shape}")
            grad = replaced.astype(dtype, copy=False)
    return grad


def _seed(root: Tensor, grad: Any) -> np.ndarray:
    if grad is None:
        if root._data.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs: backward() without a "
                f"gradient works only for a single-element tensor, but this one has shape "
                f"{root.shape}; reduce it first (e.g. y.sum().backward()) or pass the upstream "
                f"gradient: y.backward(grad) with grad of shape {root.shape}"
            )
        return np.ones_like(root._data)
    from ..tensor import to_array  # tensor.py imports this module

    seed = np.asarray(to_array(grad), dtype=root.dtype)
    if seed.shape != root.shape:
        raise RuntimeError(
            f"backward(grad): grad has shape {seed.shape} but the tensor has shape {root.shape}")
    return seed


def backward(root: Tensor, grad: Any = None, retain_graph: bool = False,
             create_graph: bool = False, inputs: Any = None) -> None:
    """Accumulate d(root)/d(leaf) into ``leaf.grad`` for every leaf that requires grad
    (only for the tensors in ``inputs`` when given)."""
    if inputs is not None:
        inputs = [inputs] if isinstance(inputs, _tensor_class()) else list(inputs)
        if not inputs:
            raise RuntimeError("backward(inputs=...): inputs must not be empty")
    results = run([root], [grad], retain_graph, create_graph, inputs)
    if inputs is not None:
        for tensor, g in zip(inputs, results):
            if g is not None:
                accumulate(tensor, g.copy(), set())  # never a buffer shared or given in


def run(roots: list, grads: list, retain_graph: bool = False, create_graph: bool = False,
        capture: list | None = None) -> list | None:
    """The backward walk from ``roots`` seeded with ``grads``.

    Without ``capture`` every leaf reached accumulates into its ``.grad``; with it, nothing is
    accumulated and the gradient of each captured tensor is returned (``None`` if unreached).
    """
    if create_graph:
        raise NotImplementedError(
            "create_graph=True (gradients of gradients) is not supported: neuralab computes "
            "each backward step with NumPy, so the backward pass builds no graph")
    Tensor = _tensor_class()  # noqa: N806 - the class
    node_grads: dict[int, np.ndarray] = {}
    seed_owners = set()
    leaf_grads: dict[int, list] = {}  # id(leaf) -> [leaf, gradient]
    nodes = []
    for root, grad in zip(roots, grads):
        if not root.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn: "
                "backward() was called on a tensor that does not require grad — no input of "
                "the computation had requires_grad=True (create leaves with "
                "Tensor(..., requires_grad=True)) or it was computed under no_grad()"
            )
        seed = _seed(root, grad)
        seed_owners.add(memory_owner(seed))
        if root._ctx is None:
            _add_leaf(leaf_grads, root, seed)
        else:
            node = root._ctx
            key = id(node)
            node_grads[key] = node_grads[key] + seed if key in node_grads else seed
            nodes.append(node)
    wanted = None
    if capture is not None:
        wanted = {id(t._ctx): None for t in capture if t._ctx is not None}
        for t in capture:
            if not t.requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
    for node in reversed(topological_order(nodes)):
        grad_out = node_grads.pop(id(node), None)
        if grad_out is None:
            continue
        if node._hooks:
            grad_out = _run_hooks(node._hooks, grad_out, grad_out.shape, grad_out.dtype)
        if wanted is not None and id(node) in wanted:
            wanted[id(node)] = grad_out
        if node._retained is not None:
            kept = node._retained()
            if kept is not None and kept._ctx is node:  # its own buffer: grad_out flows on
                accumulate(kept, grad_out.copy(), set())
        if node._saved is not None:
            node.check_saved_versions()
        if node._released:  # as PyTorch: an error only if backward needs what was freed
            try:
                input_grads = node._run_backward(grad_out)
            except AttributeError:
                raise RuntimeError(second_backward_message(node)) from None
        else:
            input_grads = node._run_backward(grad_out)  # the local step of the chain rule
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        edges = node._edges
        # One gradient per input (trailing Nones allowed): zip() alone would silently drop the
        # gradient of every input past the end of a too-short tuple.
        if len(input_grads) != len(edges) and (len(input_grads) < len(edges) or any(
                g is not None for g in input_grads[len(edges):])):
            raise RuntimeError(
                f"{node.name()}.backward returned {len(input_grads)} gradient(s) for "
                f"{len(edges)} input(s); return one per input (None where not needed)"
            )
        for parent, grad_in, (shape, dtype) in zip(edges, input_grads, node._input_meta):
            if parent is None or grad_in is None:
                continue
            if type(grad_in) is not np.ndarray:
                grad_in = np.asarray(grad_in)
            if grad_in.shape != shape:
                grad_in = unbroadcast(grad_in, shape, node.name())
            if grad_in.dtype != dtype:  # an input promoted to a wider dtype gets its own back
                grad_in = grad_in.astype(dtype)
            if isinstance(parent, Tensor):
                _add_leaf(leaf_grads, parent, grad_in)
            else:
                key = id(parent)
                node_grads[key] = node_grads[key] + grad_in if key in node_grads else grad_in
        if not retain_graph:
            node.release()
    if capture is not None:
        found = [leaf_grads[id(t)][1] if t._ctx is None and id(t) in leaf_grads
                 else wanted.get(id(t._ctx)) if t._ctx is not None else None for t in capture]
        return [None if g is None else _run_hooks(t._hooks, g, g.shape, g.dtype)
                if t._ctx is None else g for t, g in zip(capture, found)]
    # Buffers already stored as some leaf's .grad: a new leaf gradient viewing one of them is
    # copied, so an in-place update of one .grad (clipping, say) can never change another.
    handed_out = seed_owners
    for leaf, grad in leaf_grads.values():
        if leaf._hooks:  # a hook may keep what it saw or returned: .grad gets its own copy
            grad = _run_hooks(leaf._hooks, grad, grad.shape, grad.dtype).copy()
        accumulate(leaf, grad, handed_out)
    return None


def _add_leaf(leaf_grads: dict, leaf: Tensor, grad: np.ndarray) -> None:
    entry = leaf_grads.get(id(leaf))
    if entry is None:
        leaf_grads[id(leaf)] = [leaf, grad]
    else:
        entry[1] = entry[1] + grad


def accumulate(tensor: Tensor, grad: np.ndarray, handed_out: set) -> None:
    """``tensor.grad += grad`` (in place when it can be), creating ``.grad`` the first time."""
    if grad.dtype != tensor.dtype:
        # Cast: a float64 contribution must not silently promote a float32 .grad.
        grad = grad.astype(tensor.dtype)
    current = tensor._grad
    if current is None:
        owner = memory_owner(grad)
        if owner in handed_out or not grad.flags.writeable:
            grad = grad.copy()
            owner = id(grad)
        handed_out.add(owner)
        tensor._grad = _as_grad_tensor(grad)
    elif current._data.flags.writeable and current._data.shape == grad.shape:
        np.add(current._data, grad, out=current._data)
        current._bump_version()
    else:
        tensor._grad = _as_grad_tensor(current._data + grad)
