"""S12 is an analogy: a 'context' finding with the lab's own sizes, in English and Korean."""

from __future__ import annotations

from pathlib import Path

from _lab_checks import HANGUL

from neuralab.lab.analogy_lab import run_analogy
from neuralab.lab.registry import EXPERIMENTS, run_experiment


def test_analogy_is_context_with_computed_sizes(tmp_path: Path) -> None:
    assert EXPERIMENTS["analogy"].claims == ("S12",)
    result = run_analogy(quick=True)
    assert result.perceptron_params == 3  # two weights and a bias
    assert result.mlp_params == 64 * 64 + 64 + 64 * 10 + 10 and result.mlp_units == 74
    (finding,) = result.findings()
    assert (finding.claim, finding.verdict, finding.figures) == ("S12", "context", ())
    assert "4,810" in finding.evidence_en and "4,810" in finding.evidence_ko
    assert HANGUL.search(finding.evidence_ko)
    run = run_experiment("analogy", tmp_path, quick=True)
    assert run.figures == [] and run.json_path is not None and run.json_path.exists()
