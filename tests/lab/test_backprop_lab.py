"""Textbook backprop layers vs autodiff vs numbers (S16), the batch mean (S9), the walk-through."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _lab_checks import HANGUL, assert_pngs
from _tolerance import SAFETY, assert_close, assert_normwise_close, eps

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


def chain_terms(input_size: int, hidden_size: int, classes: int, batch: int) -> int:
    """Reduction lengths along a two-layer net's loss and gradients: forward through both
    affine layers (fan-in + bias) and back again, the softmax over the classes, the batch."""
    return 2 * ((input_size + 1) + (hidden_size + 1)) + classes + batch


# Central differences with step h = 1e-5 (textbook.numerical_gradient): rounding error about
# eps·|L|/h ≈ 2e-11·|L| plus truncation h²/6·|f‴| ≈ 2e-12·|f‴|; for these O(1) losses and
# derivatives ~1e-10. The tolerances below leave ×100 for larger third derivatives, and a
# wrong gradient is off by the size of a gradient element (≥ 1e-3 here).
FD_RTOL, FD_ATOL = 1e-6, 1e-8
WALK_TERMS = chain_terms(2, 2, 1, 1) + 4  # the 2-2-1 walk: plus sigmoid and squared error


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
        assert_normwise_close(textbook[name], autodiff[name], terms=chain_terms(5, 7, 4, 9),
                              err_msg=name)
        np.testing.assert_allclose(textbook[name], numerical[name], rtol=FD_RTOL, atol=FD_ATOL)


def test_gradient_check_report(result: lab.BackpropResult) -> None:
    assert result.worst_abs["textbook_vs_numerical"] <= FD_ATOL + FD_RTOL
    assert result.worst_rel["textbook_vs_numerical"] <= FD_RTOL
    for check in result.checks:
        # 'rel' is max|difference| / max|gradient|: the normwise bound of the chain
        bound = SAFETY * chain_terms(*check["shape"], check["batch"]) * eps(np.float64)
        for name, rel in check["rel"]["textbook_vs_autodiff"].items():
            assert rel <= bound, (name, rel, bound)
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
    # each row's loss sums |s_t|, |max s| and ln Σ exp(s − max) (a 3-term sum), then the mean
    m = scores.max(axis=1)
    row_terms = np.abs(scores[np.arange(6), t]) + np.abs(m) + np.log(np.exp(scores.T - m).sum(0))
    assert_close(loss, ref.item(), scale=row_terms.mean(), terms=3 + 6 + 4)
    # (softmax − onehot)/N: the shift s − max rounds relative to |s| + |max s| and exp turns
    # that into a relative error of softmax; then the 3-term sum, the division, the subtraction
    y = nn.functional.softmax(Tensor(scores), dim=1).data
    shift = np.abs(scores) + np.abs(m)[:, None]
    assert_close(layer.backward(), s.grad, scale=(y * (1 + shift) + np.eye(3)[t]) / 6, terms=3 + 4)
    onehot = np.eye(3)[t]
    # class indices become this very one-hot array: the same computation, equal exactly
    assert SoftmaxWithLoss().forward(scores, onehot) == loss


def test_mean_squared_loss_matches_mse_loss() -> None:
    y, t = np.array([[0.2, 0.9], [0.4, 0.1]]), np.array([[0.0, 1.0], [1.0, 0.0]])
    layer = MeanSquaredLoss()
    yt = Tensor(y.copy(), requires_grad=True)
    ref = nn.functional.mse_loss(yt, t)
    ref.backward()
    # a difference, a square, a 4-term mean; the gradient 2·(y − t)/4 a few roundings of |y|+|t|
    terms_scale = np.abs(y) + np.abs(t)
    assert_close(layer.forward(y, t), ref.item(), scale=np.mean(terms_scale ** 2), terms=4 + 3)
    assert_close(layer.backward(), yt.grad, scale=2 * terms_scale / 4, terms=3)


def test_numerical_gradient_restores_the_parameter() -> None:
    p = np.array([0.1, 0.2, 0.3])
    before = p.copy()
    g = numerical_gradient(lambda: float(np.sum(p ** 2)), p)
    np.testing.assert_array_equal(p, before)
    # a quadratic has no truncation error: what is left is the 3-term sum's rounding divided by
    # the step h = 1e-5, and p ± h rounding relative to |p| (which changes the step by u·|p|)
    h = 1e-5
    assert_close(g, 2 * before, scale=(np.sum(p ** 2) + 2 * p * p) / h, terms=3 + 2)


def test_params_dict_is_the_network() -> None:
    net = TwoLayerNet(2, 3, 2)
    x = np.ones((1, 2))
    before = net.predict(x).copy()
    b2 = net.params["b2"].copy()
    net.params["b2"] += 1.0  # editing the matrices edits the network (in place)
    # the same h @ W2, then (+ b2) + 1 against + (b2 + 1): two roundings of |h @ W2|, |b2|, 1
    assert_close(net.predict(x), before + 1.0, scale=np.abs(before - b2) + np.abs(b2) + 1,
                 terms=2)


def test_walkthrough_steps_multiply_local_by_upstream_and_match_autodiff() -> None:
    steps, grads, forward = lab.chain_rule_walkthrough()
    assert len(steps) == 15
    assert steps[0].upstream == 1.0 and steps[0].wrt == "y"  # dL/dL = 1 starts it
    for s in steps:
        assert s.product == s.local * s.upstream  # the very multiplication the step made
    auto = lab.walkthrough_autodiff()
    for name in lab.PARAMS:
        assert_normwise_close(grads[name], auto[name], terms=WALK_TERMS, err_msg=name)
    # ∂L/∂w1_11 is the product of the local derivatives along its path: five factors
    # multiplied in another order, four roundings each way
    by = {s.wrt: s for s in steps}
    path = ["y", "z2", "h_1", "z1_1", "w1_11"]
    assert_close(np.prod([by[k].local for k in path]), grads["W1"][0, 0],
                 scale=abs(grads["W1"][0, 0]), terms=8)
    assert forward["L"] == (forward["y"] - forward["t"]) ** 2  # the same floats, same formula
    assert "w1_11" in lab.format_walkthrough(steps)


def test_walkthrough_with_other_numbers() -> None:
    rng = np.random.default_rng(9)
    params = {"W1": rng.standard_normal((2, 2)), "b1": rng.standard_normal(2),
              "W2": rng.standard_normal((1, 2)), "b2": rng.standard_normal(1)}
    x, t = rng.standard_normal(2), 0.0
    _, grads, _ = lab.chain_rule_walkthrough(x, t, params)
    auto = lab.walkthrough_autodiff(x, t, params)
    for name in lab.PARAMS:
        assert_normwise_close(grads[name], auto[name], terms=WALK_TERMS, err_msg=name)


def test_batch_mean_gradient_is_mean_of_example_gradients() -> None:
    bm = lab.batch_mean_check()
    # The lab's batch (seed 0, a 4-6-3 net, the first 16 examples): the two ways differ by the
    # rounding of the chain relative to the per-example gradients they average.
    rng = np.random.default_rng(0)
    net = TwoLayerNet(4, 6, 3, generator=rng)
    x, t = rng.standard_normal((256, 4)), rng.integers(0, 3, 256)
    largest = max(float(np.abs(g).max()) for i in range(bm["batch"])
                  for g in net.gradient(x[i:i + 1], t[i:i + 1]).values())
    bound = SAFETY * chain_terms(4, 6, 3, bm["batch"]) * eps(np.float64) * largest
    assert bm["max_diff_batch_vs_mean_of_examples"] <= bound
    # the summed loss's norms are the mean loss's times N, the same multiplication
    np.testing.assert_array_equal(bm["grad_norm_sum_loss"],
                                  np.array(bm["grad_norm_mean_loss"]) * bm["batch_sizes"])
    assert bm["grad_norm_mean_loss"][-1] < bm["grad_norm_sum_loss"][-1] / 10


def test_findings(result: lab.BackpropResult) -> None:
    assert EXPERIMENTS["backprop"].claims == ("S16", "S9")
    findings = result.findings()
    assert [f.claim for f in findings] == ["S16", "S9"]
    for f in findings:
        assert f.verdict in VERDICTS and f.verdict == "confirmed"
        assert len(f.evidence_en) > 80 and HANGUL.search(f.evidence_ko)
    largest = max(np.abs(np.asarray(g)).max() for g in result.walk_autodiff.values())
    assert result.walk_max_diff <= SAFETY * WALK_TERMS * eps(np.float64) * largest


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
