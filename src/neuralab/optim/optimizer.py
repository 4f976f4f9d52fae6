"""``Optimizer`` base: parameter groups and per-parameter state kept in parameter order.

State is a list aligned with the flat parameter order (never a dict keyed by ``id()``), so
``state_dict()`` is plain data that reloads into a fresh optimizer over the same model, and
PyTorch's layout (``{'state': {index: {...}}, 'param_groups': [...]}``) carries over.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..tensor import Tensor


class Optimizer:
    """Base class. Subclasses implement ``_update(param, grad, state, group)``."""

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.param_groups: list[dict[str, Any]] = []
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        group = dict(group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for param in group["params"]:
            if not isinstance(param, Tensor) or not param.requires_grad:
                raise TypeError(f"{type(self).__name__} can only optimize tensors that require "
                                f"grad, got {type(param).__name__}")
            if id(param) in seen:
                raise ValueError("a parameter appears in more than one parameter group")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        group["state"] = [{} for _ in group["params"]]
        self.param_groups.append(group)

    # -------------------------------------------------------------------- updating
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient (before the next backward)."""
        for group in self.param_groups:
            for param in group["params"]:
                if set_to_none or param.grad is None:
                    param.grad = None
                else:
                    param.grad = np.zeros_like(param.data)

    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        for group in self.param_groups:
            for param, state in zip(group["params"], group["state"]):
                if param.grad is not None:
                    self._update(param, param.grad, state, group)

    def _update(self, param: Tensor, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        raise NotImplementedError

    # -------------------------------------------------------------------- saving
    def state_dict(self) -> dict[str, Any]:
        """``{'state': {i: {name: array}}, 'param_groups': [{..., 'params': [i]}]}`` (torch's)."""
        state: dict[int, dict[str, Any]] = {}
        groups = []
        index = 0
        for group in self.param_groups:
            indices = []
            for param_state in group["state"]:
                if param_state:
                    state[index] = copy.deepcopy(param_state)
                indices.append(index)
                index += 1
            hyper = {k: v for k, v in group.items() if k not in ("params", "state")}
            groups.append({**copy.deepcopy(hyper), "params": indices})
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and state; everything is checked before anything changes."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"{type(self).__name__}.load_state_dict: the saved state has "
                             f"{len(groups)} parameter groups, this optimizer has "
                             f"{len(self.param_groups)}")
        new_states = []
        for saved, group in zip(groups, self.param_groups):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: a saved group has "
                    f"{len(saved['params'])} parameters, this optimizer's has "
                    f"{len(group['params'])}")
            states = []
            for index, param in zip(saved["params"], group["params"]):
                param_state = copy.deepcopy(dict(state_dict["state"].get(index, {})))
                for name, value in param_state.items():
                    if isinstance(value, np.ndarray) and value.shape not in ((), param.shape):
                        raise ValueError(
                            f"{type(self).__name__}.load_state_dict: state {name!r} of "
                            f"parameter {index} has shape {value.shape}, the parameter has "
                            f"shape {param.shape}")
                states.append(param_state)
            new_states.append(states)
        for saved, group, states in zip(groups, self.param_groups, new_states):
            # Sequences come back from JSON (checkpoints) as lists: keep tuples tuples (betas).
            group.update({k: tuple(v) if isinstance(group.get(k), tuple) else v
                          for k, v in saved.items() if k != "params"})
            group["state"] = states

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k not in ("params", "state")):
                lines.append(f"    {key}: {group[key]}")
        return "\n".join(lines) + "\n)"


def check_non_negative(name: str, value: float, what: str) -> None:
    if value < 0:
        raise ValueError(f"{name}: invalid {what}: {value} (must be >= 0)")
