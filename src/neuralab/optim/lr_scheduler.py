"""Learning-rate schedules with ``torch.optim.lr_scheduler``'s names; ``step()`` once an epoch."""

from __future__ import annotations

import copy
import math
import numbers
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping
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
    """Sets each parameter group's ``lr`` to ``get_lr()`` of the epoch counter ``last_epoch``.

    As in PyTorch, the constructor takes the first step (epoch 0) in "initial" mode
    (``_is_initial``), where recursive schedules keep the optimizer's rate; a scheduler with a
    closed form (``_get_closed_form_lr``) uses it when told an epoch (``SequentialLR``)."""

    _is_initial = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__} needs a neuralab Optimizer, got "
                            f"{type(optimizer).__name__}")
        if last_epoch != -1:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] "
                                   f"when resuming scheduler with last_epoch >= 0.")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        self._is_initial = True
        try:
            self.step()
        finally:
            del self._is_initial  # back to the class's False, out of the state dict

    def get_lr(self) -> list[float]:
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and update the optimizer's learning rates."""
        self._update_lr()

    def _update_lr(self, epoch: int | None = None) -> None:
        """The next epoch's rates (``epoch``'s, by the closed form if there is one); if they
        cannot be computed (past OneCycleLR's total steps), nothing changes."""
        last_epoch = self.last_epoch
        try:
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                closed_form = getattr(self, "_get_closed_form_lr", None)
                values = closed_form() if closed_form is not None else self.get_lr()
        except BaseException:
            self.last_epoch = last_epoch
            raise
        for group, lr in zip(self.optimizer.param_groups, values):
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
                if key not in new and (key == "_last_lr" or key not in current):
                    continue  # not replaced, or a scheduler without base rates
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


def _check_int(owner: str, name: str, value: Any, minimum: int = 0) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise TypeError(f"{owner}: {name} must be an integer, got {value!r:.40}")
    if value < minimum:
        raise ValueError(f"{owner}: {name} must be >= {minimum}, got {value}")


class MultiStepLR(LRScheduler):
    """lr ← lr·γ^(count of ``milestones`` equal to the epoch) at each milestone: base_lr·γ^k
    after k milestones (``torch.optim.lr_scheduler.MultiStepLR``)."""

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        counts = Counter(milestones)
        self._check_settings({"milestones": counts, "gamma": gamma})
        self.milestones, self.gamma = counts, gamma
        super().__init__(optimizer, last_epoch)

    def _check_settings(self, state: dict[str, Any]) -> None:
        milestones = state["milestones"]
        if not isinstance(milestones, Mapping) or not all(
                isinstance(k, (int, np.integer)) and not isinstance(k, bool)
                and isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0
                for k, v in milestones.items()):
            raise TypeError(f"MultiStepLR: milestones must be integers, got {milestones!r:.60}")
        _check_real("MultiStepLR", "gamma", state["gamma"])

    def check_state_dict(self, state_dict: Any) -> dict[str, Any]:
        new = super().check_state_dict(state_dict)
        if "milestones" in new:  # a plain dict from a checkpoint: counts again
            new["milestones"] = Counter(new["milestones"])
        return new

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma ** self.milestones[self.last_epoch]
                for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        milestones = sorted(self.milestones.elements())
        return [base_lr * self.gamma ** bisect_right(milestones, self.last_epoch)
                for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """lr ← lr·γ each epoch: base_lr·γ^epoch (``torch.optim.lr_scheduler.ExponentialLR``)."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self._check_settings({"gamma": gamma})
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def _check_settings(self, state: dict[str, Any]) -> None:
        _check_real("ExponentialLR", "gamma", state["gamma"])

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    """The factor goes linearly from ``start_factor`` to ``end_factor`` over ``total_iters``
    epochs: lr = base_lr·(s + (e − s)·min(T, epoch)/T), applied recursively as PyTorch does
    (``torch.optim.lr_scheduler.LinearLR``)."""

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1) -> None:
        self._check_settings({"start_factor": start_factor, "end_factor": end_factor,
                              "total_iters": total_iters})
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def _check_settings(self, state: dict[str, Any]) -> None:
        for key in ("start_factor", "end_factor", "total_iters"):
            _check_real("LinearLR", key, state[key])
        if state["start_factor"] > 1.0 or state["start_factor"] <= 0:
            raise ValueError("Starting multiplicative factor expected to be greater than 0 and "
                             "less or equal to 1.")
        if state["end_factor"] > 1.0 or state["end_factor"] < 0:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1.")
        if not state["total_iters"] > 0:
            raise ValueError(f"LinearLR: total_iters must be positive, got "
                             f"{state['total_iters']}")

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [group["lr"] * self.start_factor for group in self.optimizer.param_groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * (1.0 + (self.end_factor - self.start_factor)
                               / (self.total_iters * self.start_factor
                                  + (self.last_epoch - 1) * (self.end_factor - self.start_factor)))
                for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [base_lr * (self.start_factor + (self.end_factor - self.start_factor)
                           * min(self.total_iters, self.last_epoch) / self.total_iters)
                for base_lr in self.base_lrs]


class SequentialLR(LRScheduler):
    """Runs ``schedulers[i]`` from ``milestones[i-1]`` on; at a milestone the next one
    restarts at its epoch 0 (``torch.optim.lr_scheduler.SequentialLR``)."""

    def __init__(self, optimizer: Optimizer, schedulers: list[LRScheduler],
                 milestones: list[int], last_epoch: int = -1) -> None:
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name} needs a neuralab Optimizer, got {type(optimizer).__name__}")
        schedulers = list(schedulers)
        if len(schedulers) < 1:
            raise ValueError(f"{name} expects at least one scheduler, but got no scheduler.")
        for i, scheduler in enumerate(schedulers):
            if not hasattr(scheduler, "optimizer"):
                raise TypeError(f"{name} at index {i} should have `optimizer` as its attribute.")
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ValueError(
                    f"{name} does not support `ReduceLROnPlateau` scheduler as it requires "
                    f"additional kwargs to be specified when calling `step`, but got one at "
                    f"index {i} in the given schedulers sequence.")
            if optimizer is not scheduler.optimizer:
                raise ValueError(
                    f"{name} expects all schedulers to belong to the same optimizer, but got "
                    f"scheduler {type(scheduler).__name__} at index {i} has "
                    f"{scheduler.optimizer}, which is different from {type(optimizer).__name__}.")
        milestones = list(milestones)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more than "
                f"the number of milestone points, but got number of schedulers {len(schedulers)} "
                f"and the number of milestones to be equal to {len(milestones)}")
        for m in milestones:
            _check_int(name, "milestones", m)
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:  # undo the schedulers' own initial steps
            group["lr"] = group["initial_lr"]
        self._recursive_undo()
        idx = bisect_right(self._milestones, 0)
        self._schedulers[idx]._initial_step()
        self._last_lr = schedulers[idx].get_last_lr()

    def _recursive_undo(self, sched: Any = None) -> None:
        scheds = self if sched is None else sched
        if hasattr(scheds, "_schedulers"):
            for s in scheds._schedulers:
                self._recursive_undo(s)
        elif hasattr(scheds, "last_epoch"):
            scheds.last_epoch -= 1

    def step(self) -> None:
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        state = {k: copy.deepcopy(v) for k, v in self.__dict__.items()
                 if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def check_state_dict(self, state_dict: Any) -> dict[str, Any]:
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{name}: expected a dict, got {type(state_dict).__name__}")
        inner = state_dict.get("_schedulers")
        if not isinstance(inner, (list, tuple)) or len(inner) != len(self._schedulers):
            raise ValueError(f"{name}: '_schedulers' must be a list of {len(self._schedulers)} "
                             f"scheduler states, got {inner!r:.60}")
        current = self.state_dict()
        unknown = [k for k in state_dict if k not in current and k not in _TORCH_BOOKKEEPING]
        if unknown:
            raise ValueError(f"{name}: the saved state has {', '.join(map(repr, unknown))}, "
                             f"which {type(self).__name__} does not have")
        new = {k: copy.deepcopy(v) for k, v in state_dict.items()
               if k in current and k != "_schedulers"}
        merged = {**current, **new}
        try:
            _check_int(name, "last_epoch", merged["last_epoch"])
            milestones = merged["_milestones"]
            if not isinstance(milestones, (list, tuple)) or \
                    len(milestones) != len(self._schedulers) - 1:
                raise ValueError(f"_milestones must be a list of {len(self._schedulers) - 1} "
                                 f"epochs, got {milestones!r:.60}")
            for m in milestones:
                _check_int(name, "_milestones", m)
        except (TypeError, ValueError) as error:
            raise type(error)(f"{name}: {error}") from None
        new["_schedulers"] = [s.check_state_dict(d) for s, d in zip(self._schedulers, inner)]
        return new

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        new = self.check_state_dict(state_dict)
        inner = new.pop("_schedulers")
        self.__dict__.update(new)
        for scheduler, state in zip(self._schedulers, inner):
            scheduler.__dict__.update(state)


def _format_param(name: str, optimizer: Optimizer, param: Any) -> list[Any]:
    groups = len(optimizer.param_groups)
    if isinstance(param, (list, tuple)):
        if len(param) != groups:
            raise ValueError(f"{name} must have the same length as optimizer.param_groups. "
                             f"{name} has {len(param)} values, param_groups has {groups}.")
        values = list(param)
    else:
        values = [param] * groups
    for value in values:
        _check_real("OneCycleLR", name, value)
    return values


class OneCycleLR(LRScheduler):
    """The 1cycle policy, per batch: lr rises from max_lr/div_factor to max_lr over
    ``pct_start`` of ``total_steps`` and anneals (cosine or linear) to
    initial_lr/final_div_factor, momentum (or β₁) moving the other way; ``three_phase`` comes
    back down to initial_lr before the final anneal (``torch.optim.lr_scheduler.OneCycleLR``)."""

    def __init__(self, optimizer: Optimizer, max_lr: float | list[float],
                 total_steps: int | None = None, epochs: int | None = None,
                 steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float | list[float] = 0.85,
                 max_momentum: float | list[float] = 0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"OneCycleLR needs a neuralab Optimizer, got "
                            f"{type(optimizer).__name__}")
        if total_steps is not None:
            if isinstance(total_steps, bool) or not isinstance(total_steps, int) \
                    or total_steps <= 0:
                raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
        elif epochs is not None and steps_per_epoch is not None:
            if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs <= 0:
                raise ValueError(f"Expected positive integer epochs, but got {epochs}")
            if isinstance(steps_per_epoch, bool) or not isinstance(steps_per_epoch, int) \
                    or steps_per_epoch <= 0:
                raise ValueError(f"Expected positive integer steps_per_epoch, but got "
                                 f"{steps_per_epoch}")
            total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("You must define either total_steps OR (epochs AND "
                             "steps_per_epoch)")
        if not isinstance(pct_start, float) or pct_start < 0 or pct_start > 1:
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        for key, value in (("div_factor", div_factor), ("final_div_factor", final_div_factor)):
            _check_positive("OneCycleLR", key, value)
        if not isinstance(cycle_momentum, bool) or not isinstance(three_phase, bool):
            raise TypeError("OneCycleLR: cycle_momentum and three_phase must be True or False")
        max_lrs = _format_param("max_lr", optimizer, max_lr)
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError("optimizer must support momentum or beta1 with "
                                 "`cycle_momentum` option enabled")
            max_momentums = _format_param("max_momentum", optimizer, max_momentum)
            base_momentums = _format_param("base_momentum", optimizer, base_momentum)
        # all checked: now change the optimizer's groups, as PyTorch does
        self.optimizer = optimizer
        self.total_steps = total_steps
        if three_phase:
            self._schedule_phases = [
                {"end_step": float(pct_start * total_steps) - 1, "start_lr": "initial_lr",
                 "end_lr": "max_lr", "start_momentum": "max_momentum",
                 "end_momentum": "base_momentum"},
                {"end_step": float(2 * pct_start * total_steps) - 2, "start_lr": "max_lr",
                 "end_lr": "initial_lr", "start_momentum": "base_momentum",
                 "end_momentum": "max_momentum"},
                {"end_step": total_steps - 1, "start_lr": "initial_lr", "end_lr": "min_lr",
                 "start_momentum": "max_momentum", "end_momentum": "max_momentum"},
            ]
        else:
            self._schedule_phases = [
                {"end_step": float(pct_start * total_steps) - 1, "start_lr": "initial_lr",
                 "end_lr": "max_lr", "start_momentum": "max_momentum",
                 "end_momentum": "base_momentum"},
                {"end_step": total_steps - 1, "start_lr": "max_lr", "end_lr": "min_lr",
                 "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
            ]
        self._anneal_func_type = anneal_strategy
        if last_epoch == -1:
            for idx, group in enumerate(optimizer.param_groups):
                group["initial_lr"] = max_lrs[idx] / div_factor
                group["max_lr"] = max_lrs[idx]
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = "betas" in optimizer.defaults
            if last_epoch == -1:
                for m_momentum, b_momentum, group in zip(max_momentums, base_momentums,
                                                         optimizer.param_groups):
                    if self.use_beta1:
                        group["betas"] = (m_momentum, *group["betas"][1:])
                    else:
                        group["momentum"] = m_momentum
                    group["max_momentum"] = m_momentum
                    group["base_momentum"] = b_momentum
        super().__init__(optimizer, last_epoch)

    def _check_settings(self, state: dict[str, Any]) -> None:
        _check_int("OneCycleLR", "total_steps", state["total_steps"], minimum=1)
        if state["_anneal_func_type"] not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{state['_anneal_func_type']!r:.40}")
        phases = state["_schedule_phases"]
        if not isinstance(phases, (list, tuple)) or len(phases) not in (2, 3) or not all(
                isinstance(p, Mapping) and isinstance(p.get("end_step"), numbers.Real)
                for p in phases):
            raise ValueError(f"_schedule_phases must be OneCycleLR's 2 or 3 phases, got "
                             f"{phases!r:.60}")

    @staticmethod
    def _annealing_cos(start: float, end: float, pct: float) -> float:
        """Cosine from start (pct 0) to end (pct 1)."""
        cos_out = math.cos(math.pi * pct) + 1
        return end + (start - end) / 2.0 * cos_out

    @staticmethod
    def _annealing_linear(start: float, end: float, pct: float) -> float:
        return (end - start) * pct + start

    def _anneal_func(self, start: float, end: float, pct: float) -> float:
        if self._anneal_func_type == "cos":
            return self._annealing_cos(start, end, pct)
        return self._annealing_linear(start, end, pct)

    def get_lr(self) -> list[float]:
        step_num = self.last_epoch
        if step_num > self.total_steps:
            raise ValueError(f"Tried to step {step_num} times. The specified number of total "
                             f"steps is {self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step_num <= end_step or i == len(self._schedule_phases) - 1:
                    pct = (step_num - start_step) / (end_step - start_step)
                    computed_lr = self._anneal_func(group[phase["start_lr"]],
                                                    group[phase["end_lr"]], pct)
                    if self.cycle_momentum:
                        computed_momentum = self._anneal_func(
                            group[phase["start_momentum"]], group[phase["end_momentum"]], pct)
                    break
                start_step = phase["end_step"]
            lrs.append(computed_lr)
            if self.cycle_momentum:
                if self.use_beta1:
                    group["betas"] = (computed_momentum, *group["betas"][1:])
                else:
                    group["momentum"] = computed_momentum
        return lrs


class ReduceLROnPlateau(LRScheduler):
    """lr ← max(lr·factor, min_lr) once the metric given to ``step(metric)`` has not improved
    (by ``threshold``, relative or absolute) for more than ``patience`` epochs; then waits
    ``cooldown`` epochs (``torch.optim.lr_scheduler.ReduceLROnPlateau``)."""

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: list[float] | float = 0, eps: float = 1e-8) -> None:
        _check_real("ReduceLROnPlateau", "factor", factor)
        if factor >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"ReduceLROnPlateau needs a neuralab Optimizer, got "
                            f"{type(optimizer).__name__}")
        groups = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != groups:
                raise ValueError(f"expected {groups} min_lrs, got {len(min_lr)}")
            default_min_lr, min_lrs = None, list(min_lr)
        else:
            default_min_lr, min_lrs = min_lr, [min_lr] * groups
        settings = {"factor": factor, "min_lrs": min_lrs, "default_min_lr": default_min_lr,
                    "patience": patience, "cooldown": cooldown, "eps": eps, "mode": mode,
                    "threshold": threshold, "threshold_mode": threshold_mode}
        self._check_settings(settings)
        self.optimizer = optimizer
        self.factor, self.min_lrs, self.default_min_lr = factor, min_lrs, default_min_lr
        self.patience, self.cooldown, self.eps = patience, cooldown, eps
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]
        self._init_is_better(mode=mode, threshold=threshold, threshold_mode=threshold_mode)
        self._reset()

    def _check_settings(self, state: dict[str, Any]) -> None:
        name = "ReduceLROnPlateau"
        if state["mode"] not in ("min", "max"):
            raise ValueError(f"mode {state['mode']} is unknown!")
        if state["threshold_mode"] not in ("rel", "abs"):
            raise ValueError(f"threshold mode {state['threshold_mode']} is unknown!")
        _check_real(name, "factor", state["factor"])
        if state["factor"] >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        for key in ("threshold", "eps"):
            _check_real(name, key, state[key])
        for key in ("patience", "cooldown"):
            _check_int(name, key, state[key])
        min_lrs = state["min_lrs"]
        if not isinstance(min_lrs, (list, tuple)):
            raise TypeError(f"{name}: min_lrs must be a list, got {min_lrs!r:.40}")
        for value in min_lrs:
            _check_real(name, "min_lr", value)
        if state["default_min_lr"] is not None:
            _check_real(name, "min_lr", state["default_min_lr"])

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def step(self, metrics: Any) -> None:  # type: ignore[override]
        """One epoch with the monitored quantity ``metrics`` (a loss, an accuracy)."""
        current = float(metrics)
        epoch = self.last_epoch + 1
        self.last_epoch = epoch
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self) -> None:
        if len(self.optimizer.param_groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"The number of param groups in the `optimizer` "
                    f"({len(self.optimizer.param_groups)}) differs from when "
                    f"`ReduceLROnPlateau` was initialized ({len(self.min_lrs)}), usually due to "
                    f"a new param group being added to the optimizer. Please modify the "
                    f"`min_lrs` field to match the length of the `optimizer` param groups.")
            self.min_lrs = [self.default_min_lr] * len(self.optimizer.param_groups)
        for i, group in enumerate(self.optimizer.param_groups):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, self.min_lrs[i])
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _is_better(self, a: float, best: float) -> bool:
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min" and self.threshold_mode == "abs":
            return a < best - self.threshold
        if self.mode == "max" and self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def _init_is_better(self, mode: str, threshold: float, threshold_mode: str) -> None:
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    def check_state_dict(self, state_dict: Any) -> dict[str, Any]:
        new = super().check_state_dict(state_dict)
        merged = {**self.state_dict(), **new}
        name = f"{type(self).__name__}.load_state_dict"
        try:
            for key in ("best", "mode_worse"):
                _check_real(name, key, merged[key])
            for key in ("cooldown_counter", "num_bad_epochs"):
                _check_int(name, key, merged[key])
        except (TypeError, ValueError) as error:
            raise type(error)(f"{name}: {error}") from None
        return new

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self._init_is_better(mode=self.mode, threshold=self.threshold,
                             threshold_mode=self.threshold_mode)
