"""Compare autodiff gradients with central finite differences."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..tensor import Tensor
from .grad_mode import no_grad


class GradcheckError(AssertionError):
    """Raised when an analytical gradient disagrees with the numerical one."""


def numerical_grad(fn: Callable[[], Tensor], tensor: Tensor, projection: np.ndarray,
                   eps: float) -> np.ndarray:
    """d(Σ projection·fn())/d tensor by central differences: (f(x+h) − f(x−h)) / 2h per element.

    The perturbations go into a private contiguous copy, swapped in for the duration: the
    caller's array may be read-only, non-contiguous or shared with other tensors, and must come
    back untouched.
    """
    caller_data = tensor._data
    work = np.array(caller_data, order="C", copy=True)
    grad = np.zeros_like(work)
    flat, flat_grad = work.reshape(-1), grad.reshape(-1)
    tensor._data = work
    try:
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + eps
            plus = np.sum(projection * fn()._data)
            flat[i] = original - eps
            minus = np.sum(projection * fn()._data)
            flat[i] = original
            flat_grad[i] = (plus - minus) / (2 * eps)
    finally:
        tensor._data = caller_data
    return grad


def gradcheck(fn: Callable[..., Tensor], *inputs: Tensor, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, seed: int = 0, raise_exception: bool = True) -> bool:
    """Check ``fn(*inputs)``'s gradient w.r.t. *every* input that requires grad.

    The output is projected on a fixed random vector v, so one backward pass gives
    d(v·y)/dx for every input, which is compared element-wise with finite differences.
    Use float64 inputs and points away from kinks (ReLU at 0, |x| at 0).
    """
    checked = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check")
    for t in checked:
        if t.dtype != np.float64:
            raise TypeError(
                f"gradcheck needs float64 inputs for accurate differences, got {t.dtype}"
            )
    output = fn(*inputs)
    projection = np.random.default_rng(seed).standard_normal(output.shape)
    for t in checked:
        t.grad = None
    output.backward(projection.astype(output.dtype))
    for position, t in enumerate(inputs):
        if not any(t is c for c in checked):
            continue
        analytical = np.zeros_like(t._data) if t.grad is None else t.grad._data
        with no_grad():  # the perturbed evaluations need values only, not graphs
            numerical = numerical_grad(lambda: fn(*inputs), t, projection, eps)
        if not np.allclose(analytical, numerical, atol=atol, rtol=rtol):
            error = np.abs(analytical - numerical)
            worst = np.unravel_index(np.argmax(error), error.shape) if error.ndim else ()
            message = (
                f"gradcheck: gradient of input {position} (shape {t.shape}) differs from finite "
                f"differences; worst at index {tuple(int(i) for i in worst)}: autodiff "
                f"{analytical[worst]:.6g} vs numerical {numerical[worst]:.6g}"
            )
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True


