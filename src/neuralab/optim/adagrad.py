"""Adagrad."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, check_number


class Adagrad(Optimizer):
    """s ← s + g²;  θ ← θ − lr_t·g / (√s + ε), with lr_t = lr / (1 + (t−1)·lr_decay)."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps))

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        for key, what in (("lr_decay", "lr_decay"), ("weight_decay", "weight_decay"),
                          ("initial_accumulator_value", "initial_accumulator_value"),
                          ("eps", "epsilon")):
            check_number(self, group, key, what, minimum=0.0)

    def _state_names(self, group: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return ("step", "sum"), ()

    def _update(self, param: Tensor, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(param._data, group["initial_accumulator_value"])
        state["step"] += 1
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param._data
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] += grad * grad
        param._data -= lr * grad / (np.sqrt(state["sum"]) + group["eps"])
