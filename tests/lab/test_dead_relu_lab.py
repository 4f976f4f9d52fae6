"""The 'dead-relu' experiment (S6, S7, S18): dead units, Leaky ReLU's leak, sparsity."""

from __future__ import annotations

import numpy as np
import pytest
from _lab_checks import HANGUL, assert_pngs

from neuralab.lab import dead_relu_lab
from neuralab.lab._classify import flat_digits as digits_arrays
from neuralab.lab.registry import EXPERIMENTS


@pytest.fixture(scope="module")
def result() -> dead_relu_lab.DeadReluResult:
    return dead_relu_lab.run(quick=True)


def test_registered_with_its_claims() -> None:
    assert EXPERIMENTS["dead-relu"].run is dead_relu_lab.run
    assert EXPERIMENTS["dead-relu"].claims == ("S6", "S7", "S18")


def test_high_learning_rate_kills_many_relu_units(result: dead_relu_lab.DeadReluResult) -> None:
    m = result.mean
    assert m("dead", "relu/high") > 0.3
    assert m("dead", "relu/high") > 2 * m("dead", "relu/normal")
    # A dead ReLU outputs 0 for every input: the two criteria agree for ReLU.
    assert result.zero_output_dead["relu/high"] == [
        run[-1] for run in result.dead_over_epochs["relu/high"]]


def test_leaky_relu_leaves_fewer_dead_units(result: dead_relu_lab.DeadReluResult) -> None:
    m = result.mean
    assert m("dead", "leaky_relu/high") < m("dead", "relu/high") - 0.1
    assert m("dead", "leaky_relu/normal") < m("dead", "relu/normal")
    assert m("zero_output_dead", "leaky_relu/high") == 0.0  # never exactly 0 ...
    assert m("revived", "leaky_relu/high") > m("revived", "relu/high")  # ... and comes back


def test_dead_relu_gets_no_gradient_leaky_still_does(
        result: dead_relu_lab.DeadReluResult) -> None:
    assert result.dead_grad_max["relu/high"] == [0.0]
    assert result.dead_grad_max["relu/normal"] == [0.0]
    assert result.mean("dead_grad_mean", "leaky_relu/high") > 0
    # Units dead through the second half: most ReLU ones never move again; Leaky ones all do.
    assert result.mean("dead_unchanged", "relu/high") > 0.3
    assert result.mean("dead_unchanged", "leaky_relu/high") == 0.0
    assert result.mean("dead_weight_change", "leaky_relu/high") > 0.05
    assert (result.mean("dead_weight_change", "relu/high")
            < 0.1 * result.mean("dead_weight_change", "leaky_relu/high"))


def test_relu_is_sparser_than_leaky_relu(result: dead_relu_lab.DeadReluResult) -> None:
    for rate in ("normal", "high"):
        assert result.mean("exact_zero_share", f"relu/{rate}") > 0.1
        assert result.mean("exact_zero_share", f"leaky_relu/{rate}") == 0.0
        assert result.mean("non_positive_share", f"leaky_relu/{rate}") > 0.05


def test_every_setting_still_classifies(result: dead_relu_lab.DeadReluResult) -> None:
    for setting in dead_relu_lab.SETTINGS:
        assert result.mean("test_accuracy", setting) > 0.85, setting


def test_one_run_is_reproducible() -> None:
    data = digits_arrays()
    a = dead_relu_lab._one_run("relu", 0.03, seed=1, epochs=2, data=data)
    b = dead_relu_lab._one_run("relu", 0.03, seed=1, epochs=2, data=data)
    assert a == b or all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)


def test_findings_and_figures(result: dead_relu_lab.DeadReluResult, tmp_path) -> None:
    findings = result.findings()
    assert [f.claim for f in findings] == ["S6", "S7", "S18"]
    # The exact verdicts: "in VERDICTS" alone is already enforced when a Finding is built.
    assert [f.verdict for f in findings] == ["confirmed"] * 3
    for f in findings:
        assert f.evidence_en and HANGUL.search(f.evidence_ko)
    assert "activations" in findings[1].evidence_en  # the sign error is corrected there
    paths = result.draw(tmp_path)
    assert {p.name for p in paths} == {n for f in findings for n in f.figures}
    assert_pngs(paths, min_bytes=1000, magic=b"\x89PNG")
