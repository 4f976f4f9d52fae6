"""Textbook backprop layers vs autodiff vs numbers (S16), the batch mean (S9), the walk-through."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _lab_checks import HANGUL, assert_pngs

import neuralab.lab.backprop_lab as lab
from neuralab import nn
from neuralab.lab.registry import EXPERIMENTS, VERDICTS, run_experiment
from neuralab.lab.textbook import (
    Affine,
    MeanSquaredLoss,
    ReLU,
    Sigmoid,
    SoftmaxWithLoss,
    TwoLayerNet,
    numerical_gradient,
)
from neuralab.tensor import Tensor


@pytest.fixture(scope="module")
def result() -> lab.BackpropResult:
    return lab.run(quick=True)


def _read_only(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_textbook_gradients_match_autodiff_and_numerical(activation: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    net = TwoLayerNet(5, 7, 4, activation=activation, generator=rng)
    x, t = rng.standard_normal((9, 5)), rng.integers(0, 4, 9)
    textbook = net.gradient(x, t)
    autodiff = lab.autodiff_gradient(net.params, x, t, activation)
    numerical = net.numerical_gradient(x, t)
    for name in lab.PARAMS:
        assert textbook[name].shape == net.params[name].shape
        np.testing.assert_allclose(textbook[name], autodiff[name], rtol=0, atol=1e-10)
        np.testing.assert_allclose(textbook[name], numerical[name], rtol=1e-6, atol=1e-8)


def test_gradient_check_report(result: lab.BackpropResult) -> None:
    assert result.worst_abs["textbook_vs_autodiff"] <= 1e-10
    assert result.worst_abs["textbook_vs_numerical"] <= 1e-6
    assert result.worst_rel["textbook_vs_numerical"] <= 1e-6
    for check in result.checks:
        assert check["min_abs_preactivation"] > 1e-4  # no finite difference straddles a kink


@pytest.mark.parametrize("layer", [Affine(np.ones((3, 2)), np.zeros(2)), ReLU(), Sigmoid()])
def test_backward_never_writes_into_the_incoming_gradient(layer) -> None:
    x = np.array([[-1.0, 0.5, 2.0], [0.0, -0.3, 1.0]])
    out = layer.forward(x)
    dout = _read_only(np.arange(out.size, dtype=float).reshape(out.shape) - 2)
    before = dout.copy()
    dx = layer.backward(dout)  # would raise on a read-only array if it wrote into dout
    np.testing.assert_array_equal(dout, before)
    assert dx.shape == x.shape and dx is not dout


def test_relu_derivative_at_zero_is_zero() -> None:
    relu = ReLU()
    relu.forward(np.array([[-1.0, 0.0, 1.0]]))
    assert relu.backward(np.ones((1, 3))).tolist() == [[0.0, 0.0, 1.0]]


def test_softmax_with_loss_matches_cross_entropy_and_derivative() -> None:
    rng = np.random.default_rng(4)
    scores, t = rng.standard_normal((6, 3)), rng.integers(0, 3, 6)
    layer = SoftmaxWithLoss()
    loss = layer.forward(scores, t)
    s = Tensor(scores.copy(), requires_grad=True)
    ref = nn.functional.cross_entropy(s, t)
    ref.backward()
    assert loss == pytest.approx(ref.item(), abs=1e-12)
    np.testing.assert_allclose(layer.backward(), s.grad, atol=1e-14)
    onehot = np.eye(3)[t]
    assert SoftmaxWithLoss().forward(scores, onehot) == pytest.approx(loss, abs=1e-14)


def test_mean_squared_loss_matches_mse_loss() -> None:
    y, t = np.array([[0.2, 0.9], [0.4, 0.1]]), np.array([[0.0, 1.0], [1.0, 0.0]])
    layer = MeanSquaredLoss()
    yt = Tensor(y.copy(), requires_grad=True)
    ref = nn.functional.mse_loss(yt, t)
    ref.backward()
    assert layer.forward(y, t) == pytest.approx(ref.item())
    np.testing.assert_allclose(layer.backward(), yt.grad, atol=1e-15)


def test_numerical_gradient_restores_the_parameter() -> None:
    p = np.array([0.1, 0.2, 0.3])
    before = p.copy()
    g = numerical_gradient(lambda: float(np.sum(p ** 2)), p)
    np.testing.assert_array_equal(p, before)
    np.testing.assert_allclose(g, 2 * before, atol=1e-9)


def test_params_dict_is_the_network() -> None:
    net = TwoLayerNet(2, 3, 2)
    x = np.ones((1, 2))
    before = net.predict(x).copy()
    net.params["b2"] += 1.0  # editing the matrices edits the network (in place)
    np.testing.assert_allclose(net.predict(x), before + 1.0)


def test_walkthrough_steps_multiply_local_by_upstream_and_match_autodiff() -> None:
    steps, grads, forward = lab.chain_rule_walkthrough()
    assert len(steps) == 15
    assert steps[0].upstream == 1.0 and steps[0].wrt == "y"  # dL/dL = 1 starts it
    for s in steps:
        assert s.product == pytest.approx(s.local * s.upstream, abs=1e-15)
    auto = lab.walkthrough_autodiff()
    for name in lab.PARAMS:
        np.testing.assert_allclose(grads[name], auto[name], atol=1e-12)
    # ∂L/∂w1_11 is the product of the local derivatives along its path
    by = {s.wrt: s for s in steps}
    path = ["y", "z2", "h_1", "z1_1", "w1_11"]
    assert np.prod([by[k].local for k in path]) == pytest.approx(grads["W1"][0, 0], abs=1e-15)
    assert forward["L"] == pytest.approx((forward["y"] - forward["t"]) ** 2)
    assert "w1_11" in lab.format_walkthrough(steps)


def test_walkthrough_with_other_numbers() -> None:
    rng = np.random.default_rng(9)
    params = {"W1": rng.standard_normal((2, 2)), "b1": rng.standard_normal(2),
              "W2": rng.standard_normal((1, 2)), "b2": rng.standard_normal(1)}
    x, t = rng.standard_normal(2), 0.0
    _, grads, _ = lab.chain_rule_walkthrough(x, t, params)
    auto = lab.walkthrough_autodiff(x, t, params)
    for name in lab.PARAMS:
        np.testing.assert_allclose(grads[name], auto[name], atol=1e-12)


def test_batch_mean_gradient_is_mean_of_example_gradients() -> None:
    bm = lab.batch_mean_check()
    assert bm["max_diff_batch_vs_mean_of_examples"] <= 1e-12
    np.testing.assert_allclose(bm["grad_norm_sum_loss"],
                               np.array(bm["grad_norm_mean_loss"]) * bm["batch_sizes"])
    assert bm["grad_norm_mean_loss"][-1] < bm["grad_norm_sum_loss"][-1] / 10


def test_findings(result: lab.BackpropResult) -> None:
    assert EXPERIMENTS["backprop"].claims == ("S16", "S9")
    findings = result.findings()
    assert [f.claim for f in findings] == ["S16", "S9"]
    for f in findings:
        assert f.verdict in VERDICTS and f.verdict == "confirmed"
        assert len(f.evidence_en) > 80 and HANGUL.search(f.evidence_ko)
    assert result.walk_max_diff <= 1e-12


def test_draw_and_json(result: lab.BackpropResult, tmp_path) -> None:
    paths = result.draw(tmp_path)
    assert len(paths) == 3
    assert_pngs(paths, min_bytes=5000)
    names = {p.name for p in paths}
    for f in result.findings():
        assert set(f.figures) <= names
    run = run_experiment("backprop", tmp_path / "json", quick=True, draw=False)
    assert run.seconds < 8
    payload = json.loads(run.json_path.read_text())
    assert payload["data"]["walk_steps"][0]["wrt"] == "y"
