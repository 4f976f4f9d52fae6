"""``Optimizer`` base: parameter groups and per-parameter state kept in parameter order.

State is a list aligned with the flat parameter order (never a dict keyed by ``id()``), so
``state_dict()`` is plain data that reloads into a fresh optimizer over the same model, and
PyTorch's layout (``{'state': {index: {...}}, 'param_groups': [...]}``) carries over.
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..tensor import Tensor


class Optimizer:
    """Base class. Subclasses implement ``_update(param, grad, state, group)``, and
    ``_check_group`` / ``_state_names`` so that every way in (constructor, ``add_param_group``,
    ``load_state_dict``) validates hyper-parameters and state the same way before changing
    anything."""

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        if isinstance(params, Tensor):
            raise TypeError(f"params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}")
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        groups = params if isinstance(params[0], Mapping) else [{"params": params}]
        self.param_groups: list[dict[str, Any]] = []
        for group in groups:
            self.add_param_group(group)

    # -------------------------------------------------------------------- validation
    def _check_group(self, group: dict[str, Any]) -> None:
        """Raise TypeError/ValueError if a group's hyper-parameters are not usable."""
        for key, value in group.items():
            if key in self.defaults or key in ("params", "state", "initial_lr"):
                continue
            if key in _SCHEDULER_KEYS:  # written into the groups by OneCycleLR
                check_number(self, group, key, key)
                continue
            neutral = self._torch_settings().get(key)
            if neutral is None:
                raise ValueError(f"{type(self).__name__} has no setting {key!r} (a state of "
                                 f"another optimizer class?)")
            if not any(value is v or (type(value) is type(v) and value == v) for v in neutral):
                raise ValueError(f"{type(self).__name__} does not implement {key}={value!r} "
                                 f"(only {' or '.join(map(repr, neutral))}, where it changes "
                                 f"nothing)")
        check_number(self, group, "lr", "learning rate", minimum=0.0)
        if "initial_lr" in group:  # set by a learning-rate scheduler
            check_number(self, group, "initial_lr", "initial_lr")

    def _torch_settings(self) -> dict[str, tuple[Any, ...]]:
        """torch.optim settings this optimizer does not have, with the values at which they
        change nothing (foreach/fused/capturable pick an implementation, not the math): a
        torch state_dict or param group may carry them so. Any other value is refused —
        training would silently differ from PyTorch's."""
        return {"maximize": (False,), "differentiable": (False,), "foreach": (None, False, True),
                "fused": (None, False, True), "capturable": (False, True)}

    def _state_names(self, group: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(required, optional) names in a parameter's non-empty state; ``step`` is a count,
        every other name an array of the parameter's shape, except ``_scalar_state`` names."""
        return (), ()

    # names in a parameter's state that are one real number each (NAdam's mu_product)
    _scalar_state: tuple[str, ...] = ()

    def _start_state(self, state: dict[str, Any], param: Tensor, group: dict[str, Any]) -> None:
        """Before a parameter's first step: the state ``_state_names`` requires — ``step`` 0, a
        zero array of the parameter's shape for each buffer, 1.0 for each ``_scalar_state``
        name (a running product)."""
        if not state:
            for name in self._state_names(group)[0]:
                state[name] = (0 if name == "step" else 1.0 if name in self._scalar_state
                               else np.zeros_like(param._data))

    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        """Add a group of parameters with its own hyper-parameters (defaults fill the rest).

        Checked in full first: parameters must be tensors, in an ordered collection, each in
        one place only (PyTorch refuses repeats across groups and warns that repeats within a
        group will become an error; here both are errors, since a repeat would be updated
        twice); the hyper-parameters get the constructor's checks.
        """
        name = type(self).__name__
        if not isinstance(param_group, Mapping):
            raise TypeError(f"{name}.add_param_group: param_group must be a dict, got "
                            f"{type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{name}.add_param_group: the group has no 'params' entry")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            try:
                params = list(params)
            except TypeError:
                raise TypeError(f"{name}.add_param_group: 'params' must be a tensor or an "
                                f"iterable of tensors, got {type(params).__name__}") from None
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        in_group: set[int] = set()
        for param in params:
            if not isinstance(param, Tensor):
                raise TypeError(f"{name} can only optimize Tensors, but one of the params is "
                                f"{type(param).__name__}")
            if not param.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
            if id(param) in seen:
                raise ValueError("some parameters appear in more than one parameter group")
            if id(param) in in_group:
                raise ValueError(f"{name}: a parameter group lists the same parameter twice")
            in_group.add(id(param))
        group = {**copy.deepcopy(self.defaults),
                 **{k: v for k, v in param_group.items() if k != "params"}}
        self._check_group(group)
        group["params"] = params
        group["state"] = [{} for _ in params]
        self.param_groups.append(group)

    # -------------------------------------------------------------------- updating
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient (before the next backward)."""
        for group in self.param_groups:
            for param in group["params"]:
                grad = param._grad
                if set_to_none or grad is None:
                    param._grad = None
                else:  # PyTorch zeroes the existing gradient tensor in place
                    grad._data[...] = 0
                    grad._bump_version()

    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        for group in self.param_groups:
            for param, state in zip(group["params"], group["state"]):
                grad = param._grad
                if grad is not None:
                    self._update(param, grad._data, state, group)
                    param._bump_version()  # changed in place: a saved copy of it is stale

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

    def check_state_dict(self, state_dict: Any) -> list[tuple[dict[str, Any], list[dict]]]:
        """Validate a saved state against this optimizer without changing anything.

        Returns, per group, the new hyper-parameters and per-parameter states (fresh copies,
        arrays cast to each parameter's dtype). Raises ValueError (TypeError for a wrong type)
        naming the group, parameter index and entry: group or parameter counts that differ
        (PyTorch's ValueError), state arrays of another shape, state names of another optimizer
        class, hyper-parameters that the constructor would refuse.
        """
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{name}: expected a dict, got {type(state_dict).__name__}")
        for key in ("state", "param_groups"):
            if key not in state_dict:
                raise ValueError(f"{name}: the saved state has no {key!r} entry (not an "
                                 f"optimizer state_dict?)")
        saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(saved_groups, (list, tuple)) or not all(
                isinstance(g, Mapping) for g in saved_groups):
            raise TypeError(f"{name}: 'param_groups' must be a list of dicts")
        if not isinstance(saved_state, Mapping):
            raise TypeError(f"{name}: 'state' must be a dict, got {type(saved_state).__name__}")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has a different number of parameter groups "
                             f"({len(saved_groups)}; this {type(self).__name__} has "
                             f"{len(self.param_groups)})")
        result = []
        seen: set[Any] = set()
        for g, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            indices = saved.get("params")
            if not isinstance(indices, (list, tuple)) or not all(
                    isinstance(i, (int, np.integer)) and not isinstance(i, bool)
                    for i in indices):
                raise TypeError(f"{name}: group {g}'s 'params' must be a list of integer "
                                f"indices, got {indices!r:.80}")
            if len(indices) != len(group["params"]):
                raise ValueError(f"loaded state dict contains a parameter group that doesn't "
                                 f"match the size of optimizer's group (group {g}: "
                                 f"{len(indices)} parameters saved, {len(group['params'])} here)")
            if seen.intersection(int(i) for i in indices) or len(set(indices)) != len(indices):
                raise ValueError(f"{name}: group {g} repeats a parameter index")
            seen.update(int(i) for i in indices)
            hyper = {k: v for k, v in group.items() if k not in ("params", "state")}
            for key, value in saved.items():
                if key in ("params", "state"):
                    continue
                # JSON (checkpoints) turns tuples into lists: keep tuples tuples (betas).
                if isinstance(hyper.get(key), tuple) and isinstance(value, (list, tuple)):
                    value = tuple(value)
                hyper[key] = copy.deepcopy(value)
            try:
                self._check_group(hyper)
            except (TypeError, ValueError) as error:
                raise type(error)(f"{name}: group {g}: {error}") from None
            required, optional = self._state_names(hyper)
            states = []
            for index, param in zip(indices, group["params"]):
                entry = saved_state.get(int(index), {})
                try:
                    states.append(self._check_param_entry(entry, param, required, optional))
                except (TypeError, ValueError) as error:
                    raise type(error)(f"{name}: state of parameter {int(index)}: "
                                      f"{error}") from None
            result.append((hyper, states))
        return result

    def _check_param_entry(self, entry: Any, param: Tensor, required: tuple[str, ...],
                           optional: tuple[str, ...]) -> dict[str, Any]:
        """A fresh, validated copy of one parameter's saved state (see ``_state_names``)."""
        return _check_param_state(entry, param, required, optional, self._scalar_state)

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore hyper-parameters and state; everything is checked before anything changes
        (see ``check_state_dict``)."""
        self._apply_state(self.check_state_dict(state_dict))

    def _apply_state(self, checked: list[tuple[dict[str, Any], list[dict]]]) -> None:
        for group, (hyper, states) in zip(self.param_groups, checked):
            group.update(hyper)
            group["state"] = states

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k not in ("params", "state")):
                lines.append(f"    {key}: {group[key]}")
        return "\n".join(lines) + "\n)"


# Keys a learning-rate scheduler (OneCycleLR) adds to the parameter groups, as in torch.
_SCHEDULER_KEYS = ("max_lr", "min_lr", "max_momentum", "base_momentum")
_MAX_STEP = 2**53  # step counts are exact integers in a float64 up to here


def _check_param_state(entry: Any, param: Tensor, required: tuple[str, ...],
                       optional: tuple[str, ...],
                       scalars: tuple[str, ...] = ()) -> dict[str, Any]:
    """A fresh, validated copy of one parameter's saved state."""
    from ..nn.module import convert_state_value

    if not isinstance(entry, Mapping):
        raise TypeError(f"expected a dict, got {type(entry).__name__}")
    entry = {k: v for k, v in entry.items() if v is not None}  # torch saves absent as None
    if not entry:
        return {}  # not stepped yet
    missing = [k for k in required if k not in entry]
    unknown = [k for k in entry if k not in required and k not in optional]
    if missing or unknown:
        expected = ", ".join(required + optional) or "nothing"
        raise ValueError(f"has {', '.join(map(str, entry))} but this optimizer keeps "
                         f"{expected} (saved by another optimizer or other settings?)")
    state: dict[str, Any] = {}
    for key, value in entry.items():
        if key == "step":
            state[key] = _check_step(value)
            continue
        if key in scalars:
            state[key] = _check_scalar(key, value)
            continue
        array, problem = convert_state_value(value, param.dtype)
        if problem is not None:
            raise TypeError(f"{key!r} must be a numeric array, got {problem}")
        if array.shape != param.shape:
            raise ValueError(f"{key!r} has shape {array.shape}, the parameter has shape "
                             f"{param.shape}")
        state[key] = array
    return state


def _check_scalar(key: str, value: Any) -> float:
    try:
        number = float(np.asarray(value).item()) if not isinstance(value, (bool, str)) \
            else None
    except (TypeError, ValueError):
        number = None
    if number is None or not np.isfinite(number):
        raise ValueError(f"{key!r} must be a finite number, got {value!r:.60}")
    return number


def _check_step(value: Any, key: str = "step") -> int:
    try:
        number = float(np.asarray(value).item()) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or not (0 <= number <= _MAX_STEP) or number != int(number):
        raise ValueError(f"{key!r} must be a whole number in [0, 2**53], got {value!r:.60}")
    return int(number)


def check_number(owner: Any, group: Mapping[str, Any], key: str, what: str,
                 minimum: float | None = None, below: float | None = None) -> float:
    """The group's ``key`` as a real number (TypeError otherwise) within the bounds
    (ValueError otherwise; NaN passes, as in PyTorch, whose checks are ``x < minimum``)."""
    name = owner if isinstance(owner, str) else type(owner).__name__
    value = group.get(key)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: {what} must be a number, got {type(value).__name__} "
                        f"{value!r:.40}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}: invalid {what}: {value} (must be >= {minimum:g})")
    if below is not None and value >= below:
        raise ValueError(f"{name}: invalid {what}: {value} (must be < {below:g})")
    return value


def check_betas(owner: Optimizer, group: dict[str, Any]) -> None:
    """``betas``: a pair of numbers in [0, 1), checked as torch does (Adam and its family)."""
    betas = group.get("betas")
    if not isinstance(betas, tuple) or len(betas) != 2:
        raise TypeError(f"{type(owner).__name__}: betas must be a pair of numbers, got "
                        f"{betas!r:.60}")
    for i, beta in enumerate(betas):
        check_number(owner, {"b": beta}, "b", f"beta parameter at index {i}", minimum=0.0,
                     below=1.0)


def check_flag(owner: Any, group: Mapping[str, Any], key: str) -> bool:
    """The group's ``key`` as a bool (True/False, or 0/1 as PyTorch's truthiness allows)."""
    value = group.get(key)
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, (int, np.integer))
                                               and value in (0, 1)):
        return bool(value)
    raise TypeError(f"{type(owner).__name__}: {key} must be True or False, got {value!r:.40}")
