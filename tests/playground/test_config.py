"""The playground's settings schema: defaults, bounds, normalisation, rebuilds, JSON."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from neuralab.playground.config import LIVE_SETTINGS, ConfigError, PlaygroundConfig


def test_defaults_are_the_spec_defaults() -> None:
    c = PlaygroundConfig()
    assert c.to_json() == {
        "mode": "network", "problem": "classification", "dataset": "circle", "classes": 2,
        "points": 500, "noise": 0, "train_ratio": 50, "batch_size": 10,
        "features": ["x1", "x2"], "hidden": [4, 2], "activation": ["tanh", "tanh"],
        "loss": "cross_entropy", "optimizer": "sgd", "lr": 0.03, "regularization": "none",
        "reg_rate": 0.0, "dropout": 0.0, "seed": 0, "epochs_per_frame": 1,
        "view": {"layer": 0, "a": 0, "b": 1}}
    assert PlaygroundConfig.from_json({}) == c
    assert (c.kind, c.num_outputs) == ("binary", 1)


@pytest.mark.parametrize(("name", "low", "high"), [
    ("classes", 2, 8), ("points", 50, 2000), ("noise", 0, 50), ("train_ratio", 10, 90),
    ("batch_size", 1, 500), ("seed", 0, 2 ** 31 - 1), ("epochs_per_frame", 1, 50)])
def test_integer_settings_take_their_bounds_and_refuse_one_past(name: str, low: int,
                                                                high: int) -> None:
    extra = {"dataset": "blobs"} if name == "classes" else {}
    for good in (low, high):
        assert getattr(PlaygroundConfig.from_json({**extra, name: good}), name) == good
    for bad in (low - 1, high + 1, True, "5", 2.5, None, [low]):
        with pytest.raises(ConfigError, match=rf"^{name}: expected"):
            PlaygroundConfig.from_json({**extra, name: bad})


def test_an_integral_float_counts_as_an_integer() -> None:
    # JSON has one number type; the page may send 100.0
    c = PlaygroundConfig.from_json({"points": 100.0})
    assert c.points == 100 and type(c.points) is int


@pytest.mark.parametrize(("name", "low", "high", "open_low"), [
    ("lr", 0.0, 10.0, True), ("reg_rate", 0.0, 10.0, False), ("dropout", 0.0, 0.9, False)])
def test_real_settings_bounds_bools_nan_inf(name: str, low: float, high: float,
                                            open_low: bool) -> None:
    assert getattr(PlaygroundConfig.from_json({name: high}), name) == high
    if not open_low:
        assert getattr(PlaygroundConfig.from_json({name: low}), name) == low
    bads = [high * 1.0001, low - 1e-9, math.nan, math.inf, -math.inf, True, "0.1", None]
    if open_low:
        bads.append(low)
    for bad in bads:
        with pytest.raises(ConfigError, match=rf"^{name}: expected a number"):
            PlaygroundConfig.from_json({name: bad})


@pytest.mark.parametrize(("name", "bad"), [
    ("mode", "mlp"), ("problem", "ranking"), ("dataset", "moons"), ("loss", "hinge"),
    ("optimizer", "rmsprop"), ("regularization", "l3"), ("mode", 1), ("dataset", None),
    ("features", []), ("features", ["x3"]), ("features", ["x1", "x1"]), ("features", "x1"),
    ("hidden", [0]), ("hidden", [65]), ("hidden", [4] * 11), ("hidden", [True]),
    ("hidden", 4), ("activation", ["swish", "tanh"]), ("activation", "swish"),
    ("activation", 3), ("view", {"layer": 0, "a": 0}), ("view", [0, 0, 1]),
    ("view", {"layer": -1, "a": 0, "b": 1})])
def test_bad_value_is_refused_naming_the_setting(name: str, bad: object) -> None:
    with pytest.raises(ConfigError, match=rf"^{name}: "):
        PlaygroundConfig.from_json({name: bad})


def test_unknown_key_and_non_object_are_refused() -> None:
    with pytest.raises(ConfigError, match="unknown setting 'learning_rate'"):
        PlaygroundConfig.from_json({"learning_rate": 0.1})
    with pytest.raises(ConfigError, match="settings must be a JSON object"):
        PlaygroundConfig.from_json([("lr", 0.1)])


def test_regression_switches_dataset_and_loss_and_refuses_contradictions() -> None:
    c = PlaygroundConfig.from_json({"problem": "regression"})
    assert (c.dataset, c.loss, c.classes, c.kind, c.num_outputs) == (
        "plane", "mse", 2, "regression", 1)
    assert PlaygroundConfig.from_json({"problem": "regression",
                                       "dataset": "multigauss"}).dataset == "multigauss"
    with pytest.raises(ConfigError, match="^loss: regression is trained with mse"):
        PlaygroundConfig.from_json({"problem": "regression", "loss": "cross_entropy"})
    with pytest.raises(ConfigError, match="^dataset: 'circle' is not a regression data set"):
        PlaygroundConfig.from_json({"problem": "regression", "dataset": "circle"})
    with pytest.raises(ConfigError, match="^dataset: 'plane' is not a classification"):
        PlaygroundConfig.from_json({"dataset": "plane"})
    back = c.updated({"problem": "classification"})
    assert (back.problem, back.dataset) == ("classification", "circle")


def test_classes_follow_the_dataset() -> None:
    c = PlaygroundConfig.from_json({"dataset": "blobs", "classes": 5})
    assert (c.classes, c.kind, c.num_outputs) == (5, "multiclass", 5)
    assert c.updated({"dataset": "xor"}).classes == 2  # xor has two classes
    with pytest.raises(ConfigError, match="^classes: the xor data set has 2 classes"):
        PlaygroundConfig.from_json({"dataset": "xor", "classes": 3})


def test_hidden_change_extends_or_truncates_activation() -> None:
    c = PlaygroundConfig.from_json({"hidden": [4, 2], "activation": ["relu", "sigmoid"]})
    assert c.updated({"hidden": [4, 2, 3, 5]}).activation == ("relu", "sigmoid", "sigmoid",
                                                              "sigmoid")
    assert c.updated({"hidden": [6]}).activation == ("relu",)
    assert c.updated({"hidden": []}).activation == ()
    # back from no hidden layer: nothing to copy, so the default activation
    assert c.updated({"hidden": []}).updated({"hidden": [3, 3]}).activation == ("tanh",) * 2


def test_one_activation_name_spreads_and_a_wrong_length_list_is_refused() -> None:
    c = PlaygroundConfig.from_json({"hidden": [3, 3, 3], "activation": "leaky_relu"})
    assert c.activation == ("leaky_relu",) * 3
    assert c.updated({"activation": "relu"}).activation == ("relu",) * 3
    with pytest.raises(ConfigError, match=r"^activation: expected one name per hidden layer "
                                          r"\(3\), got 2"):
        c.updated({"activation": ["relu", "tanh"]})


def test_view_is_clamped_when_the_network_shrinks_and_refused_when_asked_wrongly() -> None:
    c = PlaygroundConfig.from_json({"hidden": [5, 6], "view": {"layer": 1, "a": 4, "b": 5}})
    assert c.view == (1, 4, 5)
    assert c.updated({"hidden": [3]}).view == (0, 0, 1)
    assert c.updated({"hidden": [1]}).view == (0, 0, 0)   # only one unit to show
    assert c.updated({"hidden": []}).view == (0, 0, 0)
    assert c.updated({"hidden": [5, 6, 2]}).view == (1, 4, 5)  # still exists: kept
    with pytest.raises(ConfigError, match="^view: hidden layer 1 units 4, 6 do not exist"):
        c.updated({"view": {"layer": 1, "a": 4, "b": 6}})
    with pytest.raises(ConfigError, match="^view: hidden layer 2 "):
        c.updated({"view": {"layer": 2, "a": 0, "b": 0}})


def test_perceptron_needs_two_class_classification() -> None:
    assert PlaygroundConfig.from_json({"mode": "perceptron", "dataset": "xor"}).mode == \
        "perceptron"
    with pytest.raises(ConfigError, match="^mode: the perceptron separates two classes"):
        PlaygroundConfig.from_json({"mode": "perceptron", "dataset": "blobs", "classes": 3})
    with pytest.raises(ConfigError, match="^mode: the perceptron separates two classes"):
        PlaygroundConfig.from_json({"mode": "perceptron", "problem": "regression"})


def test_a_failed_update_leaves_the_config_alone() -> None:
    c = PlaygroundConfig.from_json({"lr": 0.5})
    with pytest.raises(ConfigError, match="^hidden: "):
        c.updated({"lr": 0.1, "hidden": [0]})  # the good key must not land either
    assert c.lr == 0.5 and c == PlaygroundConfig.from_json({"lr": 0.5})


@pytest.mark.parametrize("name", sorted(LIVE_SETTINGS))
def test_live_settings_do_not_rebuild(name: str) -> None:
    c = PlaygroundConfig.from_json({"hidden": [4, 4]})
    change = {"lr": 0.5, "regularization": "l2", "reg_rate": 0.01, "batch_size": 30,
              "optimizer": "adam", "epochs_per_frame": 5,
              "view": {"layer": 1, "a": 2, "b": 3}}[name]
    new = c.updated({name: change})
    assert getattr(new, name) != getattr(c, name)
    assert not c.rebuilds(new)


@pytest.mark.parametrize("change", [
    {"seed": 1}, {"dataset": "xor"}, {"points": 100}, {"noise": 10}, {"train_ratio": 70},
    {"features": ["x1", "x2", "x1x2"]}, {"hidden": [4]}, {"activation": "relu"},
    {"loss": "mse"}, {"dropout": 0.2}, {"mode": "perceptron"}, {"problem": "regression"},
    {"dataset": "blobs", "classes": 4}])
def test_data_and_architecture_changes_rebuild(change: dict) -> None:
    c = PlaygroundConfig()
    assert c.rebuilds(c.updated(change))
    assert not c.rebuilds(c.updated({}))


def test_every_setting_is_either_live_or_rebuilds() -> None:
    names = {f.name for f in dataclasses.fields(PlaygroundConfig)}
    assert LIVE_SETTINGS <= names
    assert names - LIVE_SETTINGS == {"mode", "problem", "dataset", "classes", "points", "noise",
                                     "train_ratio", "features", "hidden", "activation", "loss",
                                     "dropout", "seed"}


@pytest.mark.parametrize("changes", [
    {}, {"problem": "regression", "dataset": "multigauss", "hidden": []},
    {"dataset": "spiral", "classes": 6, "features": ["sinx2", "x1", "x1x2"],
     "hidden": [8, 3, 5], "activation": ["relu", "linear", "sigmoid"], "loss": "mse",
     "optimizer": "adam", "lr": 1e-4, "regularization": "l1", "reg_rate": 0.003,
     "dropout": 0.25, "seed": 2 ** 31 - 1, "epochs_per_frame": 7, "points": 50, "noise": 50,
     "train_ratio": 90, "batch_size": 500, "view": {"layer": 2, "a": 4, "b": 0}},
    {"mode": "perceptron", "dataset": "gauss", "hidden": [1]}])
def test_to_json_from_json_round_trip(changes: dict) -> None:
    c = PlaygroundConfig.from_json(changes)
    text = json.dumps(c.to_json())  # through real JSON text, as the URL hash carries it
    again = PlaygroundConfig.from_json(json.loads(text))
    assert again == c and again.to_json() == c.to_json()
    assert c.features == tuple(sorted(c.features, key=["x1", "x2", "x1sq", "x2sq", "x1x2",
                                                       "sinx1", "sinx2"].index))
