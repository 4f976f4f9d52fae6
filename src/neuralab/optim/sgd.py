"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, check_flag, check_number


class SGD(Optimizer):
    """g ← ∇ + λθ;  b ← μb + (1−τ)g (b = g at the first step);  θ ← θ − lr·(g + μb if Nesterov
    else b). Plain SGD when μ = 0. Same update as ``torch.optim.SGD``."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        momentum = check_number(self, group, "momentum", "momentum", minimum=0.0)
        check_number(self, group, "weight_decay", "weight_decay", minimum=0.0)
        dampening = check_number(self, group, "dampening", "dampening")
        if check_flag(self, group, "nesterov") and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires momentum > 0 and dampening = 0")

    def _state_names(self, group: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return (), ("momentum_buffer",)

    def _update(self, param: Tensor, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param._data
        momentum = group["momentum"]
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(grad, copy=True)
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * grad if group["dampening"] else grad
            grad = grad + momentum * buf if group["nesterov"] else buf
        param._data -= group["lr"] * grad
