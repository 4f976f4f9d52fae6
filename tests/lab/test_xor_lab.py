"""The "xor-mlp" experiment: hidden layers solve XOR (S15), layers are matrices (S8)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _lab_checks import HANGUL, assert_pngs
from _tolerance import assert_close, assert_normwise_close

import neuralab.lab.xor_lab as lab
from neuralab.autograd.grad_mode import no_grad
from neuralab.lab.registry import EXPERIMENTS, VERDICTS, run_experiment
from neuralab.lab.xor import XOR_INPUTS, build_xor_mlp, train_xor, train_xor_seeds
from neuralab.perceptron import Perceptron
from neuralab.random import manual_seed
from neuralab.tensor import Tensor


@pytest.fixture(scope="module")
def result() -> lab.XorMlpResult:
    return lab.run(quick=True)


def test_registered_with_its_claims() -> None:
    assert EXPERIMENTS["xor-mlp"].claims == ("S8", "S15")
    assert EXPERIMENTS["xor-mlp"].run is lab.run


def test_batched_seed_sweep_matches_training_one_net_at_a_time() -> None:
    sweep = train_xor_seeds(2, "tanh", seeds=[0, 1, 3], epochs=300)
    for seed, acc, loss in zip(sweep.seeds, sweep.accuracies, sweep.final_losses):
        alone = train_xor(2, "tanh", seed=seed, epochs=300)
        assert acc == alone.accuracy
        assert loss == pytest.approx(alone.losses[-1], abs=2e-3)


def test_success_counts(result: lab.XorMlpResult) -> None:
    n = len(result.seeds)
    assert n == 20
    for net in ("2-2-1", "2-4-1"):
        for act in lab.ACTIVATIONS:
            assert 0 <= result.success[net][act] <= n
            solved = sum(a == 1.0 for a in result.accuracies[net][act])
            assert solved == result.success[net][act]
    wide, narrow = result.success["2-4-1"], result.success["2-2-1"]
    assert wide["tanh"] >= 18  # 2-4-1 solves XOR for most seeds (observed: 20/20)
    assert all(wide[a] > n // 2 for a in lab.ACTIVATIONS)
    assert any(wide[a] > narrow[a] for a in lab.ACTIVATIONS)
    assert sum(wide.values()) > sum(narrow.values())
    assert sum(narrow.values()) < 3 * n  # failures happen: part of the lesson
    assert result.relu_dead["2-2-1"]["failed"] == n - narrow["relu"]


def test_hidden_space_of_a_solved_2_2_1_net_is_linearly_separable(
        result: lab.XorMlpResult) -> None:
    sm = result.small
    assert sm["accuracy"] == 1.0
    h, w, b = np.array(sm["hidden"]), np.array(sm["w"]), sm["b"]
    assert h.shape == (4, 2)
    assert ((h @ w + b > 0).astype(int) == lab.TARGETS).all()  # the output layer's line
    assert sm["line_correct"] and sm["perceptron_converged"]
    # an independent check: a perceptron converges in hidden space but not in input space
    assert Perceptron(2).fit(h, lab.TARGETS, max_epochs=1000).converged
    assert not Perceptron(2).fit(XOR_INPUTS, lab.TARGETS, max_epochs=200).converged


def test_2_4_1_projection_keeps_the_separating_hyperplane(result: lab.XorMlpResult) -> None:
    proj = np.array(result.large["projection"])
    side = proj[:, 0] > result.large["threshold"]
    assert side.astype(int).tolist() == lab.TARGETS.tolist()


def test_layers_are_matrices(result: lab.XorMlpResult) -> None:
    lay = result.layers
    assert lay["shapes"]["W1"] == [4, 2] and lay["shapes"]["W1.T"] == [2, 4]
    assert lay["shapes"]["z1"] == [4, 4] and lay["shapes"]["z2"] == [4, 1]
    assert lay["max_diff_vs_model"] <= 1e-5
    assert lay["max_diff_node_loop_vs_matrix"] <= 1e-5
    assert result.training_edits["changed"] == result.training_edits["total"] == 17


@pytest.mark.parametrize("activation", lab.ACTIVATIONS)
def test_layer_by_layer_equals_forward_for_an_untrained_net(activation: str) -> None:
    manual_seed(5)
    model = build_xor_mlp(4, activation)
    x = np.random.default_rng(0).uniform(-1, 2, (7, 2)).astype(np.float32)
    lay = lab.layer_by_layer(model, activation, x)
    with no_grad():
        expected = model(Tensor(x)).numpy()
    # float32 through Linear(2, 4) and Linear(4, 1): fan-in + bias of each layer
    assert_normwise_close(np.array(lay["z2"], dtype=np.float32), expected, terms=3 + 5)
    # the note's form input @ W1 + b1 with W1 = nn.Linear.weight.T: a 2-term sum plus the bias
    note_w1, b1 = np.array(lay["W1"], dtype=np.float32).T, np.array(lay["b1"], dtype=np.float32)
    assert_close(x @ note_w1 + b1, np.array(lay["z1"], dtype=np.float32),
                 scale=np.abs(x) @ np.abs(note_w1) + np.abs(b1), terms=3)


def test_findings(result: lab.XorMlpResult) -> None:
    findings = result.findings()
    assert [f.claim for f in findings] == ["S8", "S15"]
    for f in findings:
        assert f.verdict in VERDICTS and f.verdict == "confirmed"
        assert len(f.evidence_en) > 80 and HANGUL.search(f.evidence_ko)
    assert "W1.T" in findings[0].evidence_en
    assert "/20" in findings[1].evidence_en


def test_draw_writes_the_figures_the_findings_cite(result: lab.XorMlpResult, tmp_path) -> None:
    paths = result.draw(tmp_path)
    assert len(paths) == 4
    assert_pngs(paths, min_bytes=5000)
    names = {p.name for p in paths}
    for f in result.findings():
        assert set(f.figures) <= names


def test_result_is_json_serialisable(result: lab.XorMlpResult) -> None:
    data = json.loads(json.dumps(result.to_dict()))
    assert data["success"]["2-4-1"]["tanh"] == result.success["2-4-1"]["tanh"]


def test_run_experiment_is_quick_enough(tmp_path) -> None:
    run = run_experiment("xor-mlp", tmp_path, quick=True, draw=False)
    assert run.seconds < 8
    assert run.json_path.exists()
