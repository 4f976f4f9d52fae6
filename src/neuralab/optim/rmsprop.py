"""RMSprop."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, check_flag, check_number


class RMSprop(Optimizer):
    """s ← αs + (1−α)g²;  θ ← θ − lr·g / (√s + ε). ``centered`` subtracts the squared running
    mean of g from s; ``momentum`` accumulates g/(√s + ε) in a buffer (``torch.optim.RMSprop``)."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        for key, what in (("alpha", "alpha"), ("eps", "epsilon"),
                          ("weight_decay", "weight_decay"), ("momentum", "momentum")):
            check_number(self, group, key, what, minimum=0.0)
        check_flag(self, group, "centered")

    def _state_names(self, group: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return ("step", "square_avg") + (("momentum_buffer",) if group["momentum"] > 0 else ()) \
            + (("grad_avg",) if group["centered"] else ()), ()

    def _update(self, param: Tensor, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        alpha = group["alpha"]
        self._start_state(state, param, group)
        state["step"] += 1
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param._data
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg += (1 - alpha) * (grad - grad_avg)
            avg = np.sqrt(square_avg - grad_avg * grad_avg) + group["eps"]
        else:
            avg = np.sqrt(square_avg) + group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += grad / avg
            param._data -= group["lr"] * buf
        else:
            param._data -= group["lr"] * grad / avg
