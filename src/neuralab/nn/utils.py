"""Gradient utilities (``torch.nn.utils``)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..tensor import Tensor, get_default_dtype


def clip_grad_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> float:
    """Scale all gradients together so their joint ``norm_type``-norm is at most ``max_norm``.

    coef = max_norm / (‖g‖ + 1e-6), applied only when < 1 (as PyTorch), in place. Returns ‖g‖
    before clipping, as a 0-d tensor (as PyTorch).
    """
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads = [p.grad._data for p in params if p.grad is not None]
    if not grads:
        return Tensor(np.zeros((), get_default_dtype()))
    if norm_type == np.inf:
        total = float(max(np.max(np.abs(g)) for g in grads))
    else:
        total = float(sum(np.sum(np.abs(g.astype(np.float64)) ** norm_type) for g in grads)
                      ** (1.0 / norm_type))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total gradient norm is {total}")
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for p in params:
            if p.grad is not None:  # in place, as PyTorch: the gradient tensors stay the same
                p.grad._data *= np.asarray(coef, dtype=p.grad.dtype)
                p.grad._bump_version()
    return Tensor(np.asarray(total, dtype=grads[0].dtype))
