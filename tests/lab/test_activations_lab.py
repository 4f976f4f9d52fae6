"""The 'activations' experiment (S3, S4, S5, S7, S17): autodiff derivatives and key values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _lab_checks import HANGUL, assert_pngs
from _tolerance import SAFETY, assert_close, eps

from neuralab import nn
from neuralab.lab import activations_lab
from neuralab.lab.registry import EXPERIMENTS, run_experiment
from neuralab.tensor import Tensor

DIRECT_TERMS = 8  # roundings in a directly evaluated activation or derivative, either formula


@pytest.fixture(scope="module")
def result() -> activations_lab.ActivationsResult:
    return activations_lab.run(quick=True)


def test_registered_with_its_claims() -> None:
    exp = EXPERIMENTS["activations"]
    assert exp.run is activations_lab.run
    assert exp.claims == ("S3", "S4", "S5", "S7", "S17")


@pytest.mark.parametrize("name", activations_lab.NAMES)
def test_autodiff_derivative_equals_closed_form(name: str) -> None:
    x = np.linspace(-7, 7, 141) + 0.003  # off the kink at 0
    y, dy = activations_lab.autodiff(name, x)
    f, df = activations_lab.CLOSED_FORMS[name]
    # Two formulas of the same function: a few roundings of O(1) intermediates (tanh, e^−|x|,
    # σ·(1 − σ), 1 − tanh²; both saturate), so errors are relative to 1 + |value|.
    assert_close(y, f(x), scale=1 + np.abs(f(x)), terms=DIRECT_TERMS)
    assert_close(dy, df(x), scale=1 + np.abs(df(x)), terms=DIRECT_TERMS)


def test_result_errors_are_tiny(result: activations_lab.ActivationsResult) -> None:
    # derivatives lie in [0, 1]: the closed-form bound relative to 1 + |f′| ≤ 2
    assert max(result.max_error_vs_closed_form.values()) <= SAFETY * DIRECT_TERMS * eps() * 2
    # central differences, step 1e-5, |f| ≤ 10: rounding ≈ eps·10/1e-5 ≈ 2e-10 and truncation
    # h²/6·|f‴| ≈ 2e-11 (|f‴| ≤ 1 here); 1e-6 leaves room, and a wrong derivative is off by O(0.1)
    assert max(result.max_error_vs_finite_difference.values()) < 1e-6


def test_sigmoid_max_slope_is_a_quarter_at_zero(result: activations_lab.ActivationsResult) -> None:
    assert result.sigmoid_max_slope == 0.25  # σ(0) = 1/2 exactly, so σ(0)(1 − σ(0)) too
    assert result.sigmoid_argmax_x == 0.0
    sig = result.slopes["sigmoid"]
    assert sig["0"] > sig["5"] > sig["10"] > 0  # S4: saturation
    # σ′(x) = e^−x/(1 + e^−x)², free of cancellation; the library's σ(1 − σ) loses digits
    # in 1 − σ, so its error is relative to 1 (a few roundings), not to the small slope
    for x in (5.0, 10.0, -10.0):
        e = math.exp(-abs(x))
        assert_close(sig[f"{x:g}"], e / (1 + e) ** 2, scale=1.0, terms=DIRECT_TERMS)
    assert sig["10"] < 1e-4
    assert result.slopes["relu"]["5"] == result.slopes["relu"]["10"] == 1.0


def test_sigmoid_never_zero_while_step_and_relu_are(
        result: activations_lab.ActivationsResult) -> None:
    assert result.exact_zero_fraction["sigmoid"] == 0.0
    assert result.sigmoid_min_output > 0
    assert result.exact_zero_fraction["step"] >= 0.5
    assert result.exact_zero_fraction["relu"] >= 0.5
    assert result.step_max_abs_derivative == 0.0
    assert -110 < result.sigmoid_underflow_x["float32"] < -100


def test_leaky_relu_of_minus_two_is_small_negative(
        result: activations_lab.ActivationsResult) -> None:
    assert result.leaky_at_minus_2 == -0.02
    assert result.leaky_slope_at_minus_2 == 0.01
    assert result.relu_at_minus_2 == 0.0
    assert nn.LeakyReLU(0.01)(Tensor(np.array([-2.0]))).item() == -0.02


def test_findings(result: activations_lab.ActivationsResult) -> None:
    findings = {f.claim: f for f in result.findings()}
    assert set(findings) == {"S3", "S4", "S5", "S7", "S17"}
    assert findings["S7"].verdict == "corrected"
    assert "dead-relu" in findings["S7"].evidence_en
    assert findings["S17"].verdict == "context"
    # The exact verdicts: "in VERDICTS" alone is already enforced when a Finding is built.
    assert {c: f.verdict for c, f in findings.items()} == {
        "S3": "confirmed", "S4": "confirmed", "S5": "confirmed", "S7": "corrected",
        "S17": "context"}
    for f in findings.values():
        assert f.evidence_en and HANGUL.search(f.evidence_ko)
        assert f.figures


def test_draw_writes_the_figures_the_findings_name(
        result: activations_lab.ActivationsResult, tmp_path) -> None:
    paths = result.draw(tmp_path)
    assert {p.name for p in paths} >= {n for f in result.findings() for n in f.figures}
    assert_pngs(paths, min_bytes=1000)


def test_run_through_the_registry_writes_json(tmp_path) -> None:
    run = run_experiment("activations", tmp_path, quick=True, draw=False)
    assert run.json_path is not None and run.json_path.stat().st_size > 0
