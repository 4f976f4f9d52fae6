"""A playground training session, driven directly (no HTTP): determinism, learning, the
frame's contents, the teaching views, edits, export and settings changes."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _tolerance import assert_close

import neuralab as nl
from neuralab.playground.config import ConfigError, PlaygroundConfig
from neuralab.playground.session import GRID, Session

SMALL = {"points": 100}  # 50 training points: frames take milliseconds


def session(**changes: Any) -> Session:
    return Session(PlaygroundConfig.from_json({**SMALL, **changes}))


def frames(s: Session, n: int) -> dict[str, Any]:
    for _ in range(n):
        s.train_frame()
    return s.frame()


def decode(text: str, dtype: Any) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=dtype)


def weights(s: Session) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in s.model.parameters()]


# ---- determinism and learning ----------------------------------------------------------------

def test_same_config_gives_identical_frames_and_another_seed_does_not() -> None:
    config = {"hidden": [5, 3], "optimizer": "adam", "dropout": 0.2, "epochs_per_frame": 2}
    a, b, c = session(**config), session(**config), session(**config, seed=1)
    fa, fb, fc = frames(a, 4), frames(b, 4), frames(c, 4)
    assert fa["epoch"] == 8 and fa["step"] == 8 * 5  # 50 training points, batches of 10
    for key in ("weights", "train_loss", "test_loss", "output", "neurons", "grad_norms"):
        assert fa[key] == fb[key], key
    assert a.history == b.history
    assert all(np.array_equal(x, y) for x, y in zip(weights(a), weights(b), strict=True))
    assert fa["weights"] != fc["weights"] and fa["train_loss"] != fc["train_loss"]
    assert not np.array_equal(a.train_raw, c.train_raw)  # the seed draws the data set too


def test_xor_is_learned_by_one_hidden_layer_of_four_tanh_units() -> None:
    # With these settings (seed 1, all 200 points) the test loss falls under 0.1 after 33
    # epochs; 100 bounds it with room, and a network that cannot learn XOR stays near 0.69.
    s = Session(PlaygroundConfig.from_json({
        "dataset": "xor", "points": 200, "hidden": [4], "activation": "tanh",
        "optimizer": "adam", "lr": 0.03, "seed": 1}))
    start = s.history["test_loss"][-1]
    for _ in range(100):
        s.train_frame()
        if s.history["test_loss"][-1] < 0.1:
            break
    assert start > 0.5 and s.history["test_loss"][-1] < 0.1, (start, s.history["test_loss"])
    assert s.frame()["test_accuracy"] >= 0.95


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_deep_sigmoid_net_shows_vanishing_gradients_and_relu_does_not(activation: str) -> None:
    # σ' ≤ 1/4 and the weights are ~U(±1/√8): six layers shrink the first layer's gradient by
    # orders of magnitude (here ~1e5); ReLU's derivative is 1 where active (here ~10).
    s = session(dataset="circle", hidden=[8] * 6, activation=activation)
    f = frames(s, 3)
    first, last = f["grad_norms"][0], f["grad_norms"][-1]
    assert len(f["grad_norms"]) == 7 and first > 0 and last > 0
    if activation == "sigmoid":
        assert first <= last / 100, (first, last)
    else:
        assert first > last / 100, (first, last)


def test_perceptron_cannot_learn_xor_from_x1_x2_but_can_with_x1x2() -> None:
    plain = session(mode="perceptron", dataset="xor", points=200)
    errors = [frames(plain, 1)["errors"] for _ in range(200)]
    assert plain.epoch == 200 and min(errors) > 0  # not linearly separable in (x1, x2)
    assert plain.frame()["weights"][0]["shape"] == [1, 2]
    product = session(mode="perceptron", dataset="xor", points=200,
                      features=["x1", "x2", "x1x2"])
    errors = []
    while product.epoch < 200 and (not errors or errors[-1] > 0):
        errors.append(frames(product, 1)["errors"])
    # x1·x2 has the label's sign on TF's XOR (points kept off the axes): separable, and
    # Rosenblatt's rule converges in finitely many updates
    assert errors[-1] == 0
    f = product.frame()
    assert f["train_accuracy"] == 1.0 and f["train_loss"] == 0.0
    assert f["grad_norms"] == [] and f["hidden_view"] is None


# ---- the frame ---------------------------------------------------------------------------------

def test_frame_images_and_weights_have_their_sizes() -> None:
    s = session(hidden=[4, 3], features=["x1", "x2", "x1sq"])
    f = frames(s, 1)
    thumb = s.thumb
    assert thumb == 20 and f["output"]["size"] == GRID
    assert decode(f["output"]["values"], np.uint8).size == GRID * GRID
    sizes = [[len(layer)] for layer in f["neurons"]]
    assert sizes == [[3], [4], [3], [1]]
    assert [len(s_) for s_ in f["scales"]] == [3, 4, 3, 1]
    for layer in f["neurons"]:
        for image in layer:
            assert decode(image, np.uint8).size == thumb * thumb
    assert [w["shape"] for w in f["weights"]] == [[4, 3], [3, 4], [1, 3]]
    for w, m in zip(f["weights"], s.linears, strict=True):
        np.testing.assert_array_equal(decode(w["w"], np.float32).reshape(w["shape"]),
                                      m.weight.detach().numpy())
        np.testing.assert_array_equal(decode(w["b"], np.float32), m.bias.detach().numpy())
    # binary output: p(class 1)·255 at each grid point, row 0 = top (x2 = +6)
    with nl.no_grad():
        p = s.model(s.grid_x).sigmoid().numpy()[:, 0]
    np.testing.assert_array_equal(decode(f["output"]["values"], np.uint8),
                                  np.rint(p * 255).astype(np.uint8))
    assert s.grid_raw[0].tolist() == [-6.0, 6.0] and s.grid_raw[-1].tolist() == [6.0, -6.0]
    view = f["hidden_view"]
    n = len(s.train_y) + len(s.test_y)
    assert decode(view["points"], np.float32).size == n * 2
    assert decode(view["lines"], np.float32).size == view["line_count"] * \
        view["line_samples"] * 2


@pytest.mark.parametrize("changes", [{"hidden": [4, 2]},
                                     {"dataset": "blobs", "classes": 3, "hidden": [5]}])
def test_confusion_matrix_counts_the_test_set(changes: dict) -> None:
    s = session(**changes)
    f = frames(s, 3)
    k = s.config.classes
    confusion = np.array(f["confusion"])
    assert confusion.shape == (k, k) and confusion.sum() == len(s.test_y) == 50
    assert np.trace(confusion) / confusion.sum() == f["test_accuracy"]
    np.testing.assert_array_equal(confusion.sum(axis=1), np.bincount(s.test_y, minlength=k))
    if k > 2:
        values = decode(f["output"]["values"], np.uint8)
        assert values.size == GRID * GRID and values.max() < k
        assert decode(f["output"]["confidence"], np.uint8).min() >= 255 // k


def test_regression_frame_has_no_accuracy_or_confusion() -> None:
    s = session(problem="regression", hidden=[3])
    f = frames(s, 1)
    assert f["train_accuracy"] is None and f["confusion"] is None and f["train_loss"] > 0
    with nl.no_grad():
        y = s.model(s.grid_x).numpy()[:, 0]
    expected = np.rint((np.clip(y, -1, 1) + 1) * 127.5).astype(np.uint8)
    np.testing.assert_array_equal(decode(f["output"]["values"], np.uint8), expected)


def test_a_dead_relu_unit_is_listed_and_stays_dead() -> None:
    s = session(hidden=[3], activation="relu")
    assert s.frame()["dead"] == [[]] and s.frame()["relu_units"] == 3
    # unit 1: zero incoming weights and bias -1, so its pre-activation is -1 everywhere
    for j in range(2):
        s.set_weight(0, 1, j, 0.0)
    s.set_weight(0, 1, -1, -1.0)
    f = s.frame()
    assert (f["dead"], f["dead_count"], f["relu_units"]) == ([[1]], 1, 3)
    f = frames(s, 2)  # no gradient reaches a dead unit's weights: SGD leaves them alone
    assert 1 in f["dead"][0] and f["dead_count"] == len(f["dead"][0])
    np.testing.assert_array_equal(s.linears[0].weight.detach().numpy()[1], [0.0, 0.0])
    assert s.linears[0].bias.detach().numpy()[1] == -1.0
    assert session(hidden=[3]).frame()["relu_units"] == 0  # tanh: nothing to list


def test_history_is_in_the_frame_only_when_asked() -> None:
    s = session()
    frames(s, 3)
    f = s.frame(history=True)
    assert len(f["history"]["train_loss"]) == 4 and f["history"]["test_loss"][-1] == \
        f["test_loss"]
    assert "history" not in s.frame()


# ---- the backprop view -------------------------------------------------------------------------

def magnitude_scale(arrays: list[tuple[np.ndarray, np.ndarray]], forward: dict, y_hat: float,
                    target: float, k: int, i: int, j: int) -> float:
    """Σ over paths of the product of the factors' magnitudes, |∂L/∂z_L| replaced by
    |ŷ| + |t| (σ(z) − t computed in float32 is off relative to σ and t, not to their
    difference): the rounding scale of the chain rule's sum of products."""
    delta = np.array([abs(y_hat) + abs(target)])
    for m in range(len(arrays) - 1, k, -1):
        a = np.asarray(forward["a"][m])
        delta = (np.abs(arrays[m][0]).T @ delta) * (1 - a ** 2)  # tanh' = 1 − a²
    a_in = 1.0 if j < 0 else abs(float(forward["a"][k][j]))
    return float(delta[i] * a_in)


@pytest.mark.parametrize(("k", "i", "j"), [(0, 1, 0), (0, 2, -1), (1, 0, 3), (2, 0, 1)])
def test_backprop_view_agrees_with_autograd(k: int, i: int, j: int) -> None:
    s = session(hidden=[4, 3])
    frames(s, 2)
    s.playing = True
    view = s.backprop(k, i, j, 7)
    assert not s.playing  # the view pauses training
    arrays = s._network_arrays()
    assert view["sample"] == 7 and view["point"] == s.train_raw[7].tolist()
    assert view["target"] == s.train_y[7]
    assert view["paths"] == int(np.prod([a[0].shape[0] for a in arrays[k + 1:]]))
    scale = magnitude_scale(arrays, view["forward"], view["forward"]["a"][-1][0],
                            view["target"], k, i, j)
    terms = sum(w.shape[1] + 3 for w, _ in arrays)  # roundings along a path: sums + act + head
    assert scale > 0 and view["gradient"] != 0
    assert_close(view["sum_of_paths"], view["gradient"], scale=scale, terms=terms,
                 dtype=np.float64)
    assert_close(view["autograd"], view["gradient"], scale=scale, terms=terms,
                 dtype=np.float32)  # the engine trains in float32; the view is float64


def test_backprop_refuses_bad_indices() -> None:
    s = session(hidden=[4])
    for args, name in (((2, 0, 0), "layer"), ((0, 4, 0), "to"), ((0, 0, 2), "from"),
                       ((0, 0, -2), "from"), ((0, 0, 0, 50), "sample"),
                       ((0, 0, 0, True), "sample"), ((True, 0, 0), "layer")):
        with pytest.raises(ConfigError, match=rf"^{name}: expected"):
            s.backprop(*args)
    with pytest.raises(ConfigError, match="^backprop: the perceptron"):
        session(mode="perceptron").backprop(0, 0, 0)


# ---- edits -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("k", "i", "j", "value"), [(0, 2, 1, 0.75), (1, 1, -1, -3.0),
                                                    (2, 0, 0, 12.5)])
def test_set_weight_changes_exactly_that_weight(k: int, i: int, j: int, value: float) -> None:
    s = session(hidden=[4, 2])
    before = [(w.copy(), b.copy()) for w, b in s._network_arrays()]
    loss_before = s.history["train_loss"][-1]
    assert s.set_weight(k, i, j, value) == value
    after = s._network_arrays()
    for m, ((w0, b0), (w1, b1)) in enumerate(zip(before, after, strict=True)):
        if m == k and j >= 0:
            w0[i, j] = value
        elif m == k:
            b0[i] = value
        np.testing.assert_array_equal(w1, w0)
        np.testing.assert_array_equal(b1, b0)
    assert s.history["train_loss"][-1] != loss_before  # the losses follow the edit
    assert len(s.history["train_loss"]) == 1
    for bad, name in ((("0", 0, 0, 1.0), "layer"), ((0, 0, 0, float("nan")), "value"),
                      ((0, 0, 0, 1e4), "value"), ((0, 0, 0, True), "value")):
        with pytest.raises(ConfigError, match=rf"^{name}: expected"):
            s.set_weight(*bad)


def test_set_weight_in_perceptron_mode() -> None:
    s = session(mode="perceptron")
    s.set_weight(0, 0, 1, 2.5)
    s.set_weight(0, 0, -1, -0.5)
    assert s.perceptron.weights[1] == 2.5 and s.perceptron.bias == -0.5


def test_set_points_switches_to_custom_and_the_class_count() -> None:
    s = session()
    rng = np.random.default_rng(0)
    points = rng.uniform(-6, 6, size=(40, 2))
    labels = np.arange(40) % 4
    config = s.set_points(points, labels.astype(np.int64))
    assert (config.dataset, config.classes, config.kind, config.num_outputs) == (
        "custom", 4, "multiclass", 4)
    assert len(s.train_y) + len(s.test_y) == 40 and len(s.train_y) == 20
    assert sorted(np.concatenate([s.train_raw, s.test_raw]).tolist()) == \
        sorted(points.tolist())
    assert s.frame()["weights"][-1]["shape"] == [4, 2]
    config = s.set_points(points[:10], np.linspace(-1, 1, 10))
    assert (config.problem, config.dataset, config.loss, config.kind) == (
        "regression", "custom", "mse", "regression")
    # a perceptron cannot take four classes: refused, and the old points stay
    p = session(mode="perceptron")
    with pytest.raises(ConfigError, match="^mode: "):
        p.set_points(points, labels.astype(np.int64))
    assert p.config.dataset == "circle" and len(p.train_y) == 50


def test_export_loads_with_nl_load_and_computes_the_same(tmp_path: Path) -> None:
    s = session(dataset="blobs", classes=3, hidden=[5, 4], activation=["relu", "sigmoid"],
                dropout=0.3)
    frames(s, 2)
    path = tmp_path / "playground.safetensors"
    path.write_bytes(s.export())
    model = nl.load(path)
    s.model.eval()
    with nl.no_grad():
        np.testing.assert_array_equal(model(s.grid_x).numpy(), s.model(s.grid_x).numpy())
    meta = nl.io.read_metadata(path)
    assert (meta["features"], meta["kind"], meta["classes"], meta["epoch"]) == (
        "x1,x2", "multiclass", "0,1,2", "2")
    assert PlaygroundConfig.from_json(__import__("json").loads(meta["playground"])) == s.config
    with pytest.raises(ConfigError, match="^export: perceptron"):
        session(mode="perceptron").export()


# ---- settings changes ---------------------------------------------------------------------------

def test_live_change_keeps_weights_and_a_rebuild_starts_over() -> None:
    s = session(hidden=[4])
    fresh = weights(s)
    frames(s, 2)
    trained = weights(s)
    config, rebuilt = s.update_config({"lr": 0.3, "optimizer": "adam", "batch_size": 5})
    assert not rebuilt and s.epoch == 2 and config.lr == 0.3
    assert all(np.array_equal(a, b) for a, b in zip(trained, weights(s), strict=True))
    assert s.optimizer.param_groups[0]["lr"] == 0.3 and isinstance(s.optimizer, nl.optim.Adam)
    frames(s, 1)
    assert s.step == 2 * 5 + 10  # two epochs of batches of 10, one of batches of 5
    config, rebuilt = s.update_config({"noise": 10})
    assert rebuilt and s.epoch == 0 and s.step == 0 and len(s.history["train_loss"]) == 1
    config, rebuilt = s.update_config({"noise": 0})  # the same seed: the same start
    assert rebuilt and all(np.array_equal(a, b) for a, b in zip(fresh, weights(s), strict=True))
    frames(s, 1)
    s.control("reset")
    assert s.epoch == 0 and all(np.array_equal(a, b)
                                for a, b in zip(fresh, weights(s), strict=True))


def test_a_failed_update_changes_nothing() -> None:
    s = session(hidden=[4])
    frames(s, 2)
    config, trained, history = s.config, weights(s), dict(s.history)
    for bad, name in (({"lr": 0.2, "hidden": [0]}, "hidden"),
                      ({"dataset": "custom", "lr": 0.2}, "dataset")):  # no points yet
        with pytest.raises(ConfigError, match=rf"^{name}: "):
            s.update_config(bad)
        assert s.config is config and s.epoch == 2 and s.history == history
        assert all(np.array_equal(a, b) for a, b in zip(trained, weights(s), strict=True))


def test_control_actions_and_a_closed_session() -> None:
    s = session()
    assert s.control("play") == "playing" and s.playing
    assert s.control("step") == "paused" and s._steps_wanted == 1
    with pytest.raises(ConfigError, match="^action: expected play, pause, step or reset"):
        s.control("jump")
    s.close()
    from neuralab.playground.session import SessionClosedError

    with pytest.raises(SessionClosedError):
        s.control("play")


def test_a_diverged_run_still_gives_frames_and_says_so() -> None:
    import json

    session = Session(PlaygroundConfig.from_json({
        "problem": "regression", "dataset": "plane", "hidden": [8, 8], "activation": "relu",
        "lr": 10.0, **SMALL}))
    session.playing = True
    for _ in range(20):
        session.train_frame()
        if session.diverged():
            break
    assert session.diverged() and not session.playing  # training stopped itself
    frame = session.frame(history=True)
    json.dumps(frame, allow_nan=False)  # no NaN reaches the page
    assert frame["diverged"] is True and frame["hidden_view"] is None
    assert frame["train_loss"] is None or np.isfinite(frame["train_loss"])
    for action in (lambda: session.backprop(0, 0, 0), session.export):
        with pytest.raises(ConfigError, match="diverged"):
            action()
    session.control("reset")
    assert not session.diverged() and session.frame()["diverged"] is False


def test_gradient_bars_leave_the_penalty_out() -> None:
    """One full-batch step from the same initial weights: the bars are the data loss's
    gradient whatever the L1/L2 penalty adds to the step."""
    bars = []
    for regularization, rate in (("none", 0.0), ("l2", 3.0), ("l1", 3.0)):
        session = Session(PlaygroundConfig.from_json({
            "hidden": [4, 3], "batch_size": 500, "regularization": regularization,
            "reg_rate": rate, **SMALL}))
        session.train_frame()
        bars.append(np.array(session.grad_norms))
    assert np.all(bars[0] > 0)
    for other in bars[1:]:
        # float32 gradients carrying rate·w (|w| ≤ 1) on top of the data gradient
        assert_close(other, bars[0], scale=3.0 + bars[0], terms=4, dtype=np.float32)
