"""The "perceptron" experiment: S1, S2, S13, S14 hold, in quick mode, and it draws its figures."""

from __future__ import annotations

import json

import pytest
from _lab_checks import HANGUL, assert_pngs

import neuralab.lab.perceptron_lab as lab
from neuralab.lab.registry import EXPERIMENTS, VERDICTS, run_experiment
from neuralab.perceptron import GATE_INPUTS, TRUTH_TABLES, Perceptron


@pytest.fixture(scope="module")
def result() -> lab.PerceptronResult:
    return lab.run(quick=True)


def test_registered_with_its_claims() -> None:
    exp = EXPERIMENTS["perceptron"]
    assert exp.claims == ("S1", "S2", "S13", "S14")
    assert exp.run is lab.run and exp.title_ko


def test_hand_set_and_learned_gates_are_correct(result: lab.PerceptronResult) -> None:
    for name in lab.GATES:
        assert result.hand[name]["correct"]
        assert result.hand[name]["outputs"] == TRUTH_TABLES[name].tolist()
        runs = result.learned[name]
        assert len(runs) == len(result.seeds) >= 5
        for run in runs:
            assert run["converged"] and run["correct"]
            assert run["epochs"] == len(run["errors"]) <= 20
            assert run["errors"][-1] == 0
            learned = Perceptron.from_weights(run["weights"], run["bias"])
            assert learned.predict(GATE_INPUTS).tolist() == TRUTH_TABLES[name].tolist()


def test_xor_never_converges_and_best_line_misses_one(result: lab.PerceptronResult) -> None:
    assert result.max_epochs >= 100
    for run in result.xor_runs:
        assert not run["converged"]
        assert run["epochs"] == result.max_epochs
        assert min(run["errors"]) >= 1  # errors per epoch never reach 0
    best = result.xor_best
    assert best["misclassified"] == 1 and len(best["wrong_points"]) == 1
    line = Perceptron.from_weights(best["weights"], best["bias"])
    assert int((line.predict(GATE_INPUTS) != TRUTH_TABLES["XOR"]).sum()) == 1
    assert result.line_search["min_errors"] == 1  # no random line does better either


def test_best_line_search_finds_one_error_and_never_zero() -> None:
    errors, (w1, w2, b) = lab.best_line_errors(5000, seed=3)
    assert errors == 1
    p = Perceptron.from_weights([w1, w2], b)
    assert int((p.predict(GATE_INPUTS) != TRUTH_TABLES["XOR"]).sum()) == 1


def test_wired_xor_and_the_boundary_case(result: lab.PerceptronResult) -> None:
    assert result.wired_xor["correct"]
    assert result.wired_xor["output"] == [0, 1, 1, 0]
    bc = result.boundary_case
    assert bc["sum"] == 0.0 and bc["output"] == 0
    assert bc["learned_and_on_line"] == [[0, 1], [1, 0]]  # zero start: points on its line


def test_findings_are_confirmed_with_bilingual_evidence(result: lab.PerceptronResult) -> None:
    findings = result.findings()
    assert [f.claim for f in findings] == ["S1", "S2", "S13", "S14"]
    for f in findings:
        assert f.verdict in VERDICTS and f.verdict == "confirmed"
        assert len(f.evidence_en) > 80 and HANGUL.search(f.evidence_ko)
        assert f.figures
    s14 = findings[3].evidence_en
    assert "never converge" in s14 and "never 0" in s14


def test_draw_writes_the_figures_the_findings_cite(result: lab.PerceptronResult,
                                                   tmp_path) -> None:
    paths = result.draw(tmp_path)
    assert len(paths) == 4
    assert_pngs(paths, min_bytes=5000)
    names = {p.name for p in paths}
    for f in result.findings():
        assert set(f.figures) <= names


def test_run_experiment_writes_json(tmp_path) -> None:
    run = run_experiment("perceptron", tmp_path, quick=True, draw=False)
    assert run.seconds < 8
    payload = json.loads(run.json_path.read_text())
    assert payload["claims"] == ["S1", "S2", "S13", "S14"]
    assert payload["data"]["xor_best"]["misclassified"] == 1
