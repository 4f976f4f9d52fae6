"""The playground's settings: defaults, bounds and validation.

The page sends settings as a JSON object (all of them from the URL hash when a tab opens, then
one or two at a time as the user changes them). ``PlaygroundConfig.updated`` validates every
key before anything changes, so a bad value is refused with one line naming the setting and the
session keeps its old settings.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .datasets import CLASSIFICATION_SETS, FEATURES, MAX_CLASSES, MAX_POINTS, REGRESSION_SETS

MODES = ("network", "perceptron")
PROBLEMS = ("classification", "regression")
ACTIVATIONS = ("tanh", "relu", "leaky_relu", "sigmoid", "linear")
LOSSES = ("cross_entropy", "mse")
OPTIMIZERS = ("sgd", "momentum", "adam")
REGULARIZATIONS = ("none", "l1", "l2")
MAX_HIDDEN_LAYERS = 10
MAX_WIDTH = 64
MAX_SEED = 2 ** 31 - 1
# Settings that leave the trained weights alone; every other change rebuilds the run.
LIVE_SETTINGS = frozenset({"lr", "regularization", "reg_rate", "batch_size", "optimizer",
                           "epochs_per_frame", "view"})


class ConfigError(ValueError):
    """A setting the playground cannot use; the message names it (shown in the page)."""


@dataclass(frozen=True)
class PlaygroundConfig:
    """One playground run. ``seed`` fixes the data set, the split, the initial weights, the
    shuffling and dropout, so the same settings always give the same run."""

    mode: str = "network"
    problem: str = "classification"
    dataset: str = "circle"
    classes: int = 2
    points: int = 500
    noise: int = 0
    train_ratio: int = 50
    batch_size: int = 10
    features: tuple[str, ...] = ("x1", "x2")
    hidden: tuple[int, ...] = (4, 2)
    activation: tuple[str, ...] = ("tanh", "tanh")
    loss: str = "cross_entropy"
    optimizer: str = "sgd"
    lr: float = 0.03
    regularization: str = "none"
    reg_rate: float = 0.0
    dropout: float = 0.0
    seed: int = 0
    epochs_per_frame: int = 1
    view: tuple[int, int, int] = field(default=(0, 0, 1))  # hidden layer, unit a, unit b

    def to_json(self) -> dict[str, Any]:
        """The settings as the JSON object the page and the URL hash use."""
        out = dataclasses.asdict(self)
        out["features"], out["hidden"] = list(self.features), list(self.hidden)
        out["activation"] = list(self.activation)
        out["view"] = {"layer": self.view[0], "a": self.view[1], "b": self.view[2]}
        return out

    @classmethod
    def from_json(cls, changes: object) -> PlaygroundConfig:
        """The defaults updated by ``changes`` (a JSON object; missing keys keep defaults)."""
        return cls().updated(changes)

    def updated(self, changes: object) -> PlaygroundConfig:
        """A new config with ``changes`` applied, all validated together; raises ConfigError."""
        if not isinstance(changes, Mapping):
            raise ConfigError(f"settings must be a JSON object, got {_show(changes)}")
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise ConfigError(f"unknown setting {unknown[0]!r}; known: "
                              f"{', '.join(f.name for f in dataclasses.fields(self))}")
        values = dataclasses.asdict(self)
        values["features"], values["hidden"] = self.features, self.hidden
        values["activation"], values["view"] = self.activation, self.view
        for name, value in changes.items():
            values[name] = _PARSERS[name](value)
        _normalise(values, changes, self)
        return PlaygroundConfig(**values)

    def rebuilds(self, other: PlaygroundConfig) -> bool:
        """True when going from this config to ``other`` must restart training."""
        return any(getattr(self, f.name) != getattr(other, f.name)
                   for f in dataclasses.fields(self) if f.name not in LIVE_SETTINGS)

    @property
    def num_outputs(self) -> int:
        """Units in the output layer: one (binary, regression) or one per class."""
        return self.classes if self.problem == "classification" and self.classes > 2 else 1

    @property
    def kind(self) -> str:
        """``binary``, ``multiclass`` or ``regression``: what the output layer predicts."""
        if self.problem == "regression":
            return "regression"
        return "multiclass" if self.classes > 2 else "binary"


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _choice(name: str, options: tuple[str, ...]) -> Any:
    def parse(value: object) -> str:
        if not isinstance(value, str) or value not in options:
            raise ConfigError(f"{name}: expected one of {', '.join(options)}, got {_show(value)}")
        return value
    return parse


def _integer(name: str, low: int, high: int) -> Any:
    def parse(value: object) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(f"{name}: expected an integer from {low:,} to {high:,}, got "
                              f"{_show(value)}")
        return value
    return parse


def _real(name: str, low: float, high: float, *, low_open: bool = False) -> Any:
    def parse(value: object) -> float:
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or not math.isfinite(value) or not low <= value <= high
                or (low_open and value == low)):
            interval = f"{'(' if low_open else '['}{low:g}, {high:g}]"
            raise ConfigError(f"{name}: expected a number in {interval}, got {_show(value)}")
        return float(value)
    return parse


def _features(value: object) -> tuple[str, ...]:
    if (not isinstance(value, list) or not value or len(value) > len(FEATURES)
            or any(v not in FEATURES for v in value) or len(set(value)) != len(value)):
        raise ConfigError(f"features: expected a non-empty list of distinct names from "
                          f"{', '.join(FEATURES)}, got {_show(value)}")
    return tuple(f for f in FEATURES if f in value)  # the canonical order


def _hidden(value: object) -> tuple[int, ...]:
    width = _integer("hidden", 1, MAX_WIDTH)
    if not isinstance(value, list) or len(value) > MAX_HIDDEN_LAYERS:
        raise ConfigError(f"hidden: expected a list of at most {MAX_HIDDEN_LAYERS} layer widths "
                          f"from 1 to {MAX_WIDTH}, got {_show(value)}")
    try:
        return tuple(width(v) for v in value)
    except ConfigError:
        raise ConfigError(f"hidden: expected layer widths from 1 to {MAX_WIDTH}, got "
                          f"{_show(value)}") from None


def _activation(value: object) -> tuple[str, ...]:
    one = _choice("activation", ACTIVATIONS)
    if isinstance(value, str):
        return (one(value),)  # one name: every hidden layer (spread in _normalise)
    if not isinstance(value, list) or len(value) > MAX_HIDDEN_LAYERS:
        raise ConfigError(f"activation: expected a name or a list of names from "
                          f"{', '.join(ACTIVATIONS)}, got {_show(value)}")
    return tuple(one(v) for v in value)


def _view(value: object) -> tuple[int, int, int]:
    if not isinstance(value, Mapping) or set(value) != {"layer", "a", "b"}:
        raise ConfigError(f'view: expected {{"layer": …, "a": …, "b": …}}, got {_show(value)}')
    index = _integer("view", 0, MAX_WIDTH)
    return index(value["layer"]), index(value["a"]), index(value["b"])


_PARSERS: dict[str, Any] = {
    "mode": _choice("mode", MODES),
    "problem": _choice("problem", PROBLEMS),
    "dataset": _choice("dataset", (*CLASSIFICATION_SETS, *REGRESSION_SETS, "custom")),
    "classes": _integer("classes", 2, MAX_CLASSES),
    "points": _integer("points", 50, MAX_POINTS),
    "noise": _integer("noise", 0, 50),
    "train_ratio": _integer("train_ratio", 10, 90),
    "batch_size": _integer("batch_size", 1, 500),
    "features": _features,
    "hidden": _hidden,
    "activation": _activation,
    "loss": _choice("loss", LOSSES),
    "optimizer": _choice("optimizer", OPTIMIZERS),
    "lr": _real("lr", 0.0, 10.0, low_open=True),
    "regularization": _choice("regularization", REGULARIZATIONS),
    "reg_rate": _real("reg_rate", 0.0, 10.0),
    "dropout": _real("dropout", 0.0, 0.9),
    "seed": _integer("seed", 0, MAX_SEED),
    "epochs_per_frame": _integer("epochs_per_frame", 1, 50),
    "view": _view,
}


def _normalise(values: dict[str, Any], given: Mapping[str, Any], old: PlaygroundConfig) -> None:
    """Make the settings agree with each other: fill what follows from a change the user made,
    refuse a contradiction the user asked for explicitly."""
    problem = values["problem"]
    sets = CLASSIFICATION_SETS if problem == "classification" else REGRESSION_SETS
    if values["dataset"] not in (*sets, "custom"):
        if "dataset" in given:
            raise ConfigError(f"dataset: {values['dataset']!r} is not a {problem} data set; "
                              f"use one of {', '.join(sets)}, custom")
        values["dataset"] = sets[0]
    if values["dataset"] == "blobs" and "dataset" in given and "classes" not in given \
            and old.dataset != "blobs" and values["classes"] == 2:
        values["classes"] = 3  # two blobs would be the gauss set again
    if values["dataset"] not in ("blobs", "spiral", "custom"):
        if "classes" in given and values["classes"] != 2 and problem == "classification":
            raise ConfigError(f"classes: the {values['dataset']} data set has 2 classes; "
                              f"blobs and spiral take 2 to {MAX_CLASSES}")
        values["classes"] = 2
    if problem == "regression":
        values["classes"] = 2
        if "loss" in given and values["loss"] != "mse":
            raise ConfigError("loss: regression is trained with mse")
        values["loss"] = "mse"
    if values["mode"] == "perceptron" and (problem != "classification" or values["classes"] > 2):
        raise ConfigError("mode: the perceptron separates two classes; choose a two-class "
                          "classification data set")
    hidden, activation = values["hidden"], values["activation"]
    if len(activation) != len(hidden):
        if "activation" in given and len(activation) > 1:
            raise ConfigError(f"activation: expected one name per hidden layer "
                              f"({len(hidden)}), got {len(activation)}")
        fill = activation[-1] if activation else (old.activation[-1] if old.activation
                                                  else "tanh")
        if "activation" in given and len(activation) == 1:
            values["activation"] = (activation[0],) * len(hidden)
        else:
            values["activation"] = tuple(activation[:len(hidden)]) + (fill,) * max(
                0, len(hidden) - len(activation))
    layer, a, b = values["view"]
    if not hidden:
        values["view"] = (0, 0, 0)
    elif layer >= len(hidden) or a >= hidden[layer] or b >= hidden[layer]:
        if "view" in given:
            raise ConfigError(f"view: hidden layer {layer} units {a}, {b} do not exist in "
                              f"hidden layers of widths {list(hidden)}")
        layer = min(layer, len(hidden) - 1)
        values["view"] = (layer, 0, min(1, hidden[layer] - 1))
