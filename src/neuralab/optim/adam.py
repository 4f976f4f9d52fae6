"""Adam and AdamW."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, check_betas, check_flag, check_number


class Adam(Optimizer):
    """m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ − lr·m̂ / (√v̂ + ε), with the bias
    corrections m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ). ``weight_decay`` adds λθ to g (L2, as PyTorch's
    Adam); ``amsgrad`` uses the running maximum of v."""

    decoupled = False

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        betas = tuple(betas) if isinstance(betas, (list, tuple)) else betas
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad))

    def _torch_settings(self) -> dict[str, tuple[Any, ...]]:
        # torch 2.13's Adam and AdamW differ by this flag; ours by class
        return {**super()._torch_settings(), "decoupled_weight_decay": (self.decoupled,)}

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        check_number(self, group, "eps", "epsilon", minimum=0.0)
        check_number(self, group, "weight_decay", "weight_decay", minimum=0.0)
        check_betas(self, group)
        check_flag(self, group, "amsgrad")

    def _state_names(self, group: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        names = ("step", "exp_avg", "exp_avg_sq")
        return names + (("max_exp_avg_sq",) if group["amsgrad"] else ()), ()

    def _update(self, param: Tensor, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        self._start_state(state, param, group)
        state["step"] += 1
        step = state["step"]
        if wd and self.decoupled:
            param._data *= 1 - lr * wd  # AdamW: decay the weights, not the gradient
        elif wd:
            grad = grad + wd * param._data
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += (1 - beta1) * (grad - m)
        v *= beta2
        v += (1 - beta2) * grad * grad
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        denom = np.sqrt(v) / np.sqrt(1 - beta2**step) + group["eps"]
        param._data -= (lr / (1 - beta1**step)) * m / denom


class AdamW(Adam):
    """Adam with decoupled weight decay: θ ← θ(1 − lr·λ) before the Adam step (default λ=0.01)."""

    decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
