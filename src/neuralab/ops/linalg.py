"""Matrix product (2-D, batched with broadcasting, and 1-D vectors as NumPy treats them).

As in PyTorch, matrix products do not promote: tensor operands must share one dtype (float32
weights with a float64 input raise ``DTypeError``, a RuntimeError, rather than silently computing
in float64). Constants (arrays, lists) take the tensor's floating dtype. Integer products work
(int64 @ int64 is int64); bool products raise, as PyTorch has no kernel for them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import parallel
from ..autograd.function import Function
from ..dtypes import torch_name
from ..errors import DTypeError, ShapeError, UnsupportedDTypeError
from ..tensor import Tensor
from .registry import register


def _check_product_dtypes(op: str, message: str, first: Any, second: Any,
                          names: tuple[str, str] = ("first operand", "second operand")) -> None:
    """Raise PyTorch's error when two tensor operands of a matrix product differ in dtype (or
    are bool). ``message`` is formatted with the PyTorch names of both dtypes."""
    if not (isinstance(first, Tensor) and isinstance(second, Tensor)):
        return  # a constant takes the tensor's dtype (Function.apply converts it)
    a, b = first._data.dtype, second._data.dtype
    if a is b and a.kind == "f":  # the usual case: done
        return
    if a != b:
        raise DTypeError(
            f"{op}: {message.format(torch_name(a), torch_name(b))}: the {names[0]} is {a} but "
            f"the {names[1]} is {b}; convert one with .to(neuralab.{b}) or .to(neuralab.{a}) "
            f"(PyTorch does not promote in matrix products)")
    if a.kind == "b":
        raise UnsupportedDTypeError(f"{op}: \"addmm\" not implemented for 'Bool': bool tensors "
                                    f"have no matrix product; convert them with .long() or "
                                    f".float()")


class MatMul(Function):
    """Y = A @ B.   dL/dA = dL/dY @ Bᵀ,  dL/dB = Aᵀ @ dL/dY (batch axes summed by the engine).

    A 1-D A is treated as a row (1, k) and a 1-D B as a column (k, 1), as in NumPy. Operands
    share one dtype: ``matmul()`` raises PyTorch's error first (it does not promote).
    """

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError(f"matmul: both arguments need at least one dimension, but they "
                             f"have {a.ndim} and {b.ndim}")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ShapeError(
                f"matmul: shapes {a.shape} and {b.shape} do not fit: the last axis of the "
                f"first ({a.shape[-1]}) must equal the "
                f"{'second-to-last' if b.ndim > 1 else 'only'} axis of the second "
                f"({b.shape[-2 if b.ndim > 1 else 0]})"
            )
        self.a, self.b = a, b
        return parallel.matmul(a, b)

    def backward(self, grad_out: np.ndarray) -> tuple:
        a = self.a[None, :] if self.a.ndim == 1 else self.a
        b = self.b[:, None] if self.b.ndim == 1 else self.b
        grad = grad_out
        if self.b.ndim == 1:
            grad = grad[..., None]
        if self.a.ndim == 1:
            grad = grad[..., None, :]
        need_a, need_b = self.needs_input_grad
        grad_a, grad_b = parallel.matmuls((grad, np.swapaxes(b, -1, -2)) if need_a else None,
                                          (np.swapaxes(a, -1, -2), grad) if need_b else None)
        if grad_a is not None and self.a.ndim == 1:
            grad_a = grad_a.reshape(-1, a.shape[-1]).sum(0) if grad_a.ndim > 2 else grad_a[0]
        if grad_b is not None and self.b.ndim == 1:
            grad_b = grad_b[..., 0]
            grad_b = grad_b.reshape(-1, b.shape[0]).sum(0) if grad_b.ndim > 1 else grad_b
        return grad_a, grad_b


@register()
def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with NumPy/PyTorch ``@`` semantics; both tensors must share one dtype."""
    _check_product_dtypes("matmul", "expected m1 and m2 to have the same dtype, but got: {} "
                          "!= {}", a, b)
    return MatMul.apply(a, b)


@register()
def mm(a: Any, b: Any) -> Tensor:
    """Product of two matrices (``torch.mm``): both operands must be 2-D, with one dtype."""
    for name, x in (("self", a), ("mat2", b)):
        if np.ndim(x._data if isinstance(x, Tensor) else x) != 2:
            raise ShapeError(f"mm: {name} must be a matrix (2-D), got shape "
                             f"{tuple(np.shape(x._data if isinstance(x, Tensor) else x))}; use "
                             f"matmul (@) for vectors and batches")
    return matmul(a, b)


Tensor.__matmul__ = matmul
Tensor.__rmatmul__ = lambda self, other: matmul(other, self)


class Linear(Function):
    """y = x Wᵀ + b  with W of shape (out, in) (PyTorch's layout).

    dL/dx = g W,   dL/dW = gᵀ x (summed over every leading axis),   dL/db = Σ g over those axes.
    Fused, rather than built from transpose/matmul/add, because it is the hottest op of an MLP.
    ``linear()`` checks first that the three share one dtype, as PyTorch requires.
    """

    def forward(self, x: np.ndarray, weight: np.ndarray,
                bias: np.ndarray | None = None) -> np.ndarray:
        if weight.ndim != 2:
            raise ShapeError(f"linear: the weight must be 2-D (out_features, in_features), got "
                             f"shape {weight.shape}")
        if bias is not None and bias.shape not in ((weight.shape[0],), ()):
            raise ShapeError(f"linear: the bias must have shape ({weight.shape[0]},) for a "
                             f"weight of shape {weight.shape}, got {bias.shape}")
        if x.ndim == 0 or x.shape[-1] != weight.shape[-1]:
            raise ShapeError(
                f"linear: input of shape {x.shape} has {x.shape[-1] if x.ndim else 0} features "
                f"on its last axis, but the weight of shape {weight.shape} expects "
                f"{weight.shape[-1]}"
            )
        self.x, self.weight = x, weight
        y = parallel.matmul(x, weight.T)
        if bias is not None:
            y += bias
        return y

    def backward(self, grad_out: np.ndarray) -> tuple:
        need_x, need_w, *need_b = self.needs_input_grad
        g2 = grad_out.reshape(-1, grad_out.shape[-1])
        # g W and gᵀ x are independent: computed side by side on the threads when both are
        # needed (gᵀ x alone has the rows of gᵀ, the output features, split: no partial sums).
        grad_x, grad_w = parallel.matmuls(
            (grad_out, self.weight) if need_x else None,
            (g2.T, self.x.reshape(-1, self.x.shape[-1])) if need_w else None)
        grad_b = g2.sum(axis=0) if need_b and need_b[0] else None
        return grad_x, grad_w, grad_b


@register(method=False)
def linear(input: Any, weight: Any, bias: Any = None) -> Tensor:  # noqa: A002
    """``input @ weight.T + bias`` (``torch.nn.functional.linear``); the three must share one
    dtype, as in PyTorch (float32 weights refuse a float64 input)."""
    _check_product_dtypes("linear", "mat1 and mat2 must have the same dtype, but got {} and {}",
                          input, weight, ("input", "weight"))
    if bias is not None:
        like, name = (input, "input") if isinstance(input, Tensor) else (weight, "weight")
        _check_product_dtypes("linear", "self and mat2 must have the same dtype, but got {} and "
                              "{}", bias, like, ("bias", name))
    if bias is None:
        return Linear.apply(input, weight)
    return Linear.apply(input, weight, bias)


@register()
def bmm(input: Any, mat2: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """Batched matrix product (``torch.bmm``): (b, n, m) @ (b, m, p) -> (b, n, p); no
    broadcasting, one dtype."""
    for name, x in (("batch1", input), ("batch2", mat2)):
        if not isinstance(x, Tensor):
            raise TypeError(f"bmm(): argument '{'input' if name == 'batch1' else 'mat2'}' must "
                            f"be Tensor, not {type(x).__name__}")
        if x.ndim != 3:
            raise ShapeError(f"{name} must be a 3D tensor")
    if input.dtype != mat2.dtype:
        raise DTypeError(f"expected scalar type {torch_name(input.dtype)} but found "
                         f"{torch_name(mat2.dtype)}")
    b, _, m = input.shape
    if mat2.shape[:2] != (b, m):
        raise ShapeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                         f"[{b}, {m}] but got: [{mat2.shape[0]}, {mat2.shape[1]}].")
    return matmul(input, mat2)


class Einsum(Function):
    """y = einsum(equation, *operands): products of the operands' entries, summed over the
    labels missing from the output. For operand k (labels without repeats):
    dL/dx_k = einsum(g and the other operands -> k's labels), broadcast along labels only k
    has (summed away in y), then summed over dims that k broadcast from size 1."""

    def forward(self, *arrays: np.ndarray, inputs: tuple = (), output: str = "",
                sizes: Any = None) -> np.ndarray:
        for k, labels in enumerate(inputs):
            if self.needs_input_grad[k] and len(set(labels)) != len(labels):
                raise NotImplementedError(
                    f"einsum: the gradient of an operand with a repeated subscript "
                    f"('{labels}', a diagonal) is not supported; take the diagonal first "
                    f"(x.diagonal(0, -2, -1)) and einsum that")
        full = [np.broadcast_to(a, tuple(sizes[c] for c in labels))
                if len(set(labels)) == len(labels) else a
                for a, labels in zip(arrays, inputs)]
        self.full, self.inputs, self.output = full, inputs, output
        self.shapes, self.sizes = [a.shape for a in arrays], sizes
        equation = ",".join(inputs) + "->" + output
        return np.asarray(np.einsum(equation, *full, optimize=len(full) > 2))

    def backward(self, grad_out: np.ndarray) -> tuple:
        grads = []
        for k, labels in enumerate(self.inputs):
            if not self.needs_input_grad[k]:
                grads.append(None)
                continue
            others = [(a, lab) for j, (a, lab) in enumerate(zip(self.full, self.inputs))
                      if j != k]
            seen = set(self.output).union(*[set(lab) for _, lab in others])
            kept = "".join(c for c in labels if c in seen)
            equation = ",".join([self.output, *[lab for _, lab in others]]) + "->" + kept
            grad = np.einsum(equation, grad_out, *[a for a, _ in others],
                             optimize=len(others) > 1)
            # labels only operand k has: its entries were summed, each with weight 1
            grad = grad.reshape(tuple(self.sizes[c] if c in kept else 1 for c in labels))
            grad = np.broadcast_to(grad, tuple(self.sizes[c] for c in labels))
            shape = self.shapes[k]
            widened = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
            grads.append(grad.sum(axis=widened, keepdims=True) if widened else grad)
        return tuple(grads)


_LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _einsum_plan(equation: str, operands: tuple) -> tuple[tuple, str, dict]:
    """The equation with '...' spelled out as letters, the output labels (implicit form:
    every label seen once, alphabetically, after the ellipsis) and every label's size;
    torch's errors for mismatches."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise ShapeError("einsum(): more operands were provided than specified in the "
                         "equation" if len(operands) > len(terms) else
                         "einsum(): fewer operands were provided than specified in the equation")
    for c in equation:
        if c not in _LABELS and c not in ",->.":
            raise ShapeError(f"einsum(): invalid subscript given at index "
                             f"{equation.index(c)} in the equation string, subscripts must be "
                             f"in [a-zA-Z]")
    used = set(c for c in equation if c in _LABELS)
    spare = [c for c in _LABELS if c not in used]
    ellipsis_dims = 0
    for term, x in zip(terms, operands):
        explicit = len(term.replace("...", ""))
        if "..." in term:
            ellipsis_dims = max(ellipsis_dims, x.ndim - explicit)
        elif explicit != x.ndim:
            raise ShapeError(f"einsum(): the number of subscripts in the equation ({explicit}) "
                             f"does not match the number of dimensions ({x.ndim}) for operand "
                             f"{terms.index(term)} and no ellipsis was given")
    batch = "".join(spare[:ellipsis_dims])
    inputs = []
    for term, x in zip(terms, operands):
        if "..." in term:
            own = x.ndim - len(term.replace("...", ""))
            term = term.replace("...", batch[ellipsis_dims - own:] if own else "")
        inputs.append(term)
    if arrow:
        output = rhs.replace("...", batch)
        for c in output:
            if output.count(c) > 1:
                raise ShapeError(f"einsum(): output subscript {c} appears more than once in "
                                 f"the output")
            if not any(c in term for term in inputs):
                raise ShapeError(f"einsum(): output subscript {c} does not appear in the "
                                 f"equation for any input operand")
    else:
        counts = "".join(terms)
        output = batch + "".join(sorted(c for c in set(counts) if c in _LABELS
                                        and counts.count(c) == 1))
    sizes: dict = {}
    for k, (labels, x) in enumerate(zip(inputs, operands)):
        for c, n in zip(labels, x.shape):
            if sizes.get(c, 1) == 1:
                sizes[c] = n
            elif n not in (1, sizes[c]):
                raise ShapeError(f"einsum(): subscript {c} has size {n} for operand {k} which "
                                 f"does not broadcast with previously seen size {sizes[c]}")
    return tuple(inputs), output, sizes


@register(method=False)
def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation (``torch.einsum``): ``einsum('ij,jk->ik', a, b)`` is ``a @ b``;
    operands may also come as one list. '...' and size-1 broadcasting are supported; the
    gradient of an operand with a repeated subscript (a diagonal, 'ii->i') is not."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): argument 'equation' must be str, not "
                        f"{type(equation).__name__}")
    if not operands:
        raise ShapeError("einsum(): must provide at least one operand")
    for x in operands:
        if not isinstance(x, Tensor):
            raise TypeError(f"einsum(): argument 'tensors' must be tuple of Tensors, not "
                            f"{type(x).__name__}")
    first = operands[0].dtype
    for x in operands[1:]:
        if x.dtype != first:
            raise DTypeError(f"expected scalar type {torch_name(first)} but found "
                             f"{torch_name(x.dtype)}")
    inputs, output, sizes = _einsum_plan(equation, operands)
    return Einsum.apply(*operands, inputs=inputs, output=output, sizes=sizes)
