"""Learning-rate schedules with ``torch.optim.lr_scheduler``'s names; ``step()`` once an epoch."""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

from .optimizer import Optimizer

_MAX_EPOCH = 2**31 - 1
# Keys of torch.optim.lr_scheduler state dicts that neuralab's schedulers do not need.
_TORCH_BOOKKEEPING = {"_step_count", "verbose", "_get_lr_called_within_step", "_is_initial"}


def _check_positive(owner: str, name: str, value: Any) -> None:
    # A positive number: PyTorch takes floats too (StepLR(step_size=3.0)); 0 or NaN would
    # only fail later (a division by zero) or give NaN rates.
    _check_real(owner, name, value)
    if not value > 0 or not math.isfinite(value):
        raise ValueError(f"{owner}: {name} must be a positive number, got {value}")


def _check_real(owner: str, name: str, value: Any) -> None:
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r:.40}")


class LRScheduler:
    """Sets each parameter group's ``lr`` to ``get_lr()`` of the epoch counter ``last_epoch``."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__} needs a neuralab Optimizer, got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def get_lr(self) -> list[float]:
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and update the optimizer's learning rates."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def _check_settings(self, state: dict[str, Any]) -> None:
        """Raise TypeError/ValueError if the subclass's settings in ``state`` are unusable."""

    def check_state_dict(self, state_dict: Any) -> dict[str, Any]:
        """Validate a saved state without changing anything; return the entries to set.

        A partial state is merged into the current one (as PyTorch's ``__dict__.update``);
        PyTorch's own bookkeeping keys are ignored; any other key this scheduler does not have
        (another scheduler class's, or a method name) is refused.
        """
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{name}: expected a dict, got {type(state_dict).__name__}")
        current = self.state_dict()
        unknown = [k for k in state_dict if k not in current and k not in _TORCH_BOOKKEEPING]
        if unknown:
            raise ValueError(f"{name}: the saved state has {', '.join(map(repr, unknown))}, "
                             f"which {type(self).__name__} does not have (saved by another "
                             f"scheduler?)")
        new = {k: copy.deepcopy(v) for k, v in state_dict.items() if k in current}
        merged = {**current, **new}
        groups = len(self.optimizer.param_groups)
        try:
            last_epoch = merged["last_epoch"]
            if not isinstance(last_epoch, (int, np.integer)) or isinstance(last_epoch, bool) \
                    or not -1 <= last_epoch <= _MAX_EPOCH:
                raise ValueError(f"last_epoch must be an integer in [-1, {_MAX_EPOCH}], got "
                                 f"{last_epoch!r:.40}")
            for key in ("base_lrs", "_last_lr"):
                values = merged.get(key)
                if key == "_last_lr" and key not in new:
                    continue
                if not isinstance(values, (list, tuple)) or len(values) != groups or not all(
                        isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
                    raise ValueError(f"{key} must be a list of {groups} number(s), one per "
                                     f"parameter group, got {values!r:.60}")
            self._check_settings(merged)
        except (TypeError, ValueError) as error:
            raise type(error)(f"{name}: {error}") from None
        return new

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict()``; everything is checked first, so a failure changes
        nothing."""
        self.__dict__.update(self.check_state_dict(state_dict))


class StepLR(LRScheduler):
    """lr = base_lr · γ^⌊epoch / step_size⌋."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self._check_settings({"step_size": step_size, "gamma": gamma})
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def _check_settings(self, state: dict[str, Any]) -> None:
        _check_positive("StepLR", "step_size", state["step_size"])
        _check_real("StepLR", "gamma", state["gamma"])

    def get_lr(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """lr = η_min + (base_lr − η_min)·(1 + cos(π·epoch / T_max)) / 2: from base_lr down to η_min
    over T_max epochs along half a cosine."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        self._check_settings({"T_max": T_max, "eta_min": eta_min})
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def _check_settings(self, state: dict[str, Any]) -> None:
        _check_real("CosineAnnealingLR", "T_max", state["T_max"])  # PyTorch takes floats too
        if not state["T_max"] > 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be positive, got {state['T_max']}")
        _check_real("CosineAnnealingLR", "eta_min", state["eta_min"])

    def get_lr(self) -> list[float]:
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]
