"""Adamax, NAdam, RAdam and Adadelta: ``torch.optim``'s update rules, defaults and checks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, check_betas, check_flag, check_number


def _betas(betas: Any) -> Any:
    return tuple(betas) if isinstance(betas, (list, tuple)) else betas


class _AdamFamily(Optimizer):
    """Shared checks: lr, eps, betas, weight_decay (torch's order and messages)."""

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        check_number(self, group, "eps", "epsilon value", minimum=0.0)
        check_betas(self, group)
        check_number(self, group, "weight_decay", "weight_decay value", minimum=0.0)


class Adamax(_AdamFamily):
    """Adam with the infinity norm: m ← β₁m + (1−β₁)g;  u ← max(β₂u, |g| + ε);
    θ ← θ − (lr / (1−β₁ᵗ))·m / u. ``weight_decay`` adds λθ to g (``torch.optim.Adamax``)."""

    def __init__(self, params: Iterable[Any], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, betas=_betas(betas), eps=eps,
                                      weight_decay=weight_decay))

    def _state_names(self, group: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return ("step", "exp_avg", "exp_inf"), ()

    def _update(self, param: Tensor, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        self._start_state(state, param, group)
        state["step"] += 1
        if wd != 0:
            grad = grad + wd * param._data
        m, u = state["exp_avg"], state["exp_inf"]
        m += (1 - beta1) * (grad - m)
        u *= beta2
        np.maximum(u, np.abs(grad) + group["eps"], out=u)
        param._data -= (lr / (1 - beta1 ** state["step"])) * m / u


class NAdam(_AdamFamily):
    """Adam with Nesterov momentum and a momentum schedule μₜ = β₁(1 − ½·0.96^(t·ψ)):
    θ ← θ − lr(1−μₜ)/(1−Πμ)·g/d − lr·μₜ₊₁/(1−Πμ·μₜ₊₁)·m/d, d = √(v/(1−β₂ᵗ)) + ε
    (``torch.optim.NAdam``; ``decoupled_weight_decay`` decays θ by lr·λ instead of adding λθ)."""

    _scalar_state = ("mu_product",)

    def __init__(self, params: Iterable[Any], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=_betas(betas), eps=eps,
                                      weight_decay=weight_decay, momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        check_number(self, group, "momentum_decay", "momentum_decay value", minimum=0.0)
        check_flag(self, group, "decoupled_weight_decay")

    def _state_names(self, group: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return ("step", "mu_product", "exp_avg", "exp_avg_sq"), ()

    def _update(self, param: Tensor, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        self._start_state(state, param, group)
        state["step"] += 1
        step = state["step"]
        if wd != 0:
            if group["decoupled_weight_decay"]:
                param._data *= 1 - lr * wd
            else:
                grad = grad + wd * param._data
        psi = group["momentum_decay"]
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
        state["mu_product"] *= mu
        mu_product = state["mu_product"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += (1 - beta1) * (grad - m)
        v *= beta2
        v += (1 - beta2) * grad * grad
        denom = np.sqrt(v / (1 - beta2**step)) + group["eps"]
        param._data += (-lr * (1.0 - mu) / (1.0 - mu_product)) * grad / denom
        param._data += ((-lr * mu_next) / (1.0 - mu_product * mu_next)) * m / denom


class RAdam(_AdamFamily):
    """Rectified Adam: with ρ∞ = 2/(1−β₂) − 1 and ρₜ = ρ∞ − 2tβ₂ᵗ/(1−β₂ᵗ), the step is
    lr·m̂·r·√(1−β₂ᵗ)/(√v + ε) with r = √((ρₜ−4)(ρₜ−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρₜ)) while ρₜ > 5,
    else lr·m̂ (``torch.optim.RAdam``)."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=_betas(betas), eps=eps,
                                      weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        check_flag(self, group, "decoupled_weight_decay")

    def _state_names(self, group: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return ("step", "exp_avg", "exp_avg_sq"), ()

    def _update(self, param: Tensor, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        self._start_state(state, param, group)
        state["step"] += 1
        step = state["step"]
        if wd != 0:
            if group["decoupled_weight_decay"]:
                param._data *= 1 - lr * wd
            else:
                grad = grad + wd * param._data
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += (1 - beta1) * (grad - m)
        v *= beta2
        v += (1 - beta2) * grad * grad
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        corrected = m / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive = (bias_correction2**0.5) / (np.sqrt(v) + group["eps"])
            param._data -= corrected * lr * adaptive * rect
        else:
            param._data -= corrected * lr


class Adadelta(Optimizer):
    """s ← ρs + (1−ρ)g²;  Δ = √(a + ε)/√(s + ε)·g;  a ← ρa + (1−ρ)Δ²;  θ ← θ − lr·Δ
    (``torch.optim.Adadelta``; ``weight_decay`` adds λθ to g)."""

    def __init__(self, params: Iterable[Any], lr: float = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        rho = check_number(self, group, "rho", "rho value", minimum=0.0)
        if rho > 1.0:
            raise ValueError(f"Adadelta: invalid rho value: {rho} (must be <= 1)")
        check_number(self, group, "eps", "epsilon value", minimum=0.0)
        check_number(self, group, "weight_decay", "weight_decay value", minimum=0.0)

    def _state_names(self, group: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return ("step", "square_avg", "acc_delta"), ()

    def _update(self, param: Tensor, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        rho, eps = group["rho"], group["eps"]
        self._start_state(state, param, group)
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param._data
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        param._data -= group["lr"] * delta
