"""Batch normalisation, fused: one op for the forward pass and one closed-form backward."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor
from .registry import register


class BatchNorm(Function):
    """y = γ x̂ + β,  x̂ = (x − μ)/√(σ² + ε), per channel (axis 1), statistics over all other axes.

    Training: μ, σ² are the batch mean and *biased* variance (m values per channel) and
    dL/dx = γ/√(σ²+ε) · (g − mean(g) − x̂ · mean(g x̂))  (μ and σ² depend on x too).
    Evaluation: μ, σ² are the running estimates (constants), so dL/dx = γ g/√(σ²+ε).
    Both: dL/dγ = Σ g x̂,  dL/dβ = Σ g.
    """

    def forward(self, x: np.ndarray, *params: np.ndarray, affine: tuple[bool, bool] = (False,
                False), running_mean: np.ndarray | None = None,
                running_var: np.ndarray | None = None, training: bool = False,
                momentum: float = 0.1, eps: float = 1e-5) -> np.ndarray:
        axes = (0, *range(2, x.ndim))
        shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)  # per-channel values broadcast like this
        weight = params[0] if affine[0] else None
        bias = params[-1] if affine[1] else None
        if training:
            count = x.size // x.shape[1]
            mean = x.mean(axis=axes)
            centred = x - mean.reshape(shape)
            var = np.mean(centred * centred, axis=axes)  # biased: divides by m, as torch
            inv_std = 1 / np.sqrt(var + eps)
            x_hat = centred
            x_hat *= inv_std.reshape(shape)
            # Running estimates use the *unbiased* variance σ²·m/(m−1), as torch does.
            if running_mean is not None:
                running_mean *= 1 - momentum
                running_mean += momentum * mean.astype(running_mean.dtype)
            if running_var is not None:
                running_var *= 1 - momentum
                running_var += (momentum * count / (count - 1) * var).astype(running_var.dtype)
        else:
            inv_std = (1 / np.sqrt(running_var + eps)).astype(x.dtype, copy=False)
            x_hat = (x - running_mean.reshape(shape).astype(x.dtype)) * inv_std.reshape(shape)
        self.x_hat, self.inv_std, self.weight = x_hat, inv_std, weight
        self.training, self.affine, self.shape, self.axes = training, affine, shape, axes
        y = x_hat * weight.reshape(shape) if weight is not None else x_hat.copy()
        if bias is not None:
            y += bias.reshape(shape)
        return y

    def backward(self, grad_out: np.ndarray) -> tuple:
        shape, axes, x_hat = self.shape, self.axes, self.x_hat
        need_x, *need_params = self.needs_input_grad
        sum_g = grad_out.sum(axis=axes)
        sum_g_xhat = np.sum(grad_out * x_hat, axis=axes)
        grads: list[Any] = []
        if self.affine[0]:
            grads.append(sum_g_xhat if need_params[0] else None)
        if self.affine[1]:
            grads.append(sum_g if need_params[-1] else None)
        grad_x = None
        if need_x:
            scale = self.inv_std if self.weight is None else self.inv_std * self.weight
            if self.training:
                count = x_hat.size // x_hat.shape[1]
                grad_x = (grad_out - (sum_g / count).reshape(shape)
                          - x_hat * (sum_g_xhat / count).reshape(shape)) * scale.reshape(shape)
            else:
                grad_x = grad_out * scale.reshape(shape)
        return (grad_x, *grads)


@register(method=False)
def batch_norm(input: Any, running_mean: Any, running_var: Any, weight: Any = None,  # noqa: A002
               bias: Any = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Batch normalisation (``torch.nn.functional.batch_norm``) over axis 1 of (N, C, *).

    In training, ``running_mean`` / ``running_var`` (if given) are updated in place:
    r ← (1 − momentum)·r + momentum·batch statistic (the variance unbiased).
    """
    x = getattr(input, "data", input)
    shape = np.shape(x)
    if len(shape) < 2:
        raise ValueError(f"batch_norm: expected an input of shape (N, C) or (N, C, *), got "
                         f"{tuple(shape)}")
    channels = shape[1]
    stats = [None if r is None else np.asarray(getattr(r, "data", r))
             for r in (running_mean, running_var)]
    for name, value in (("running_mean", stats[0]), ("running_var", stats[1]),
                        ("weight", weight), ("bias", bias)):
        if value is not None and np.shape(getattr(value, "data", value)) != (channels,):
            raise ValueError(f"batch_norm: {name} must have shape ({channels},) for an input of "
                             f"shape {tuple(shape)} ({channels} channels), got "
                             f"{np.shape(getattr(value, 'data', value))}")
    if not training and (stats[0] is None or stats[1] is None):
        raise ValueError("batch_norm: running_mean and running_var are needed in evaluation "
                         "mode (training=False)")
    if training and int(np.prod(shape)) // channels <= 1:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                         f"got input of shape {tuple(shape)}")
    params = [p for p in (weight, bias) if p is not None]
    return BatchNorm.apply(input, *params, affine=(weight is not None, bias is not None),
                           running_mean=stats[0], running_var=stats[1], training=bool(training),
                           momentum=float(momentum), eps=float(eps))
