"""The 'vanishing-gradients' experiment (S17, S18): deep sigmoid nets lose the gradient."""

from __future__ import annotations

import numpy as np
import pytest
from _lab_checks import HANGUL, assert_pngs

from neuralab import nn
from neuralab.lab import vanishing_lab
from neuralab.lab._classify import build_mlp
from neuralab.lab._classify import flat_digits as digits_arrays
from neuralab.lab.probes import gradient_norms
from neuralab.lab.registry import EXPERIMENTS, VERDICTS


@pytest.fixture(scope="module")
def result() -> vanishing_lab.VanishingResult:
    return vanishing_lab.run(quick=True)


def test_registered_with_its_claims() -> None:
    assert EXPERIMENTS["vanishing-gradients"].run is vanishing_lab.run
    assert EXPERIMENTS["vanishing-gradients"].claims == ("S17", "S18")


def test_ten_layer_sigmoid_first_layer_gradient_orders_of_magnitude_smaller(
        result: vanishing_lab.VanishingResult) -> None:
    ratio = result.ratio_at_init
    assert ratio["sigmoid"]["10"] < 1e-2  # ≥ 100× smaller than the last layer's
    assert 0.1 < ratio["relu"]["10"] < 10  # ReLU: within 10×
    for act in ("tanh", "relu", "leaky_relu"):
        assert all(0.1 < r < 10 for r in ratio[act].values()), act
    sig = [ratio["sigmoid"][str(d)] for d in result.depths]
    assert sig == sorted(sig, reverse=True) and sig[-1] < 1e-8  # worse with every depth
    assert 0.15 < result.sigmoid_factor_per_layer() < 0.3  # about σ′(0) = 0.25 per layer


def test_after_training_sigmoid_gradient_still_vanishes(
        result: vanishing_lab.VanishingResult) -> None:
    assert result.ratio_trained["sigmoid"] < 1e-2
    assert 0.1 < result.ratio_trained["relu"] < 10
    # The first sigmoid layer barely moves; ReLU's first layer really learns.
    assert result.relative_weight_change["sigmoid"][0] < 1e-3
    assert result.relative_weight_change["relu"][0] > 0.1


def test_deep_sigmoid_stays_at_chance_while_relu_learns(
        result: vanishing_lab.VanishingResult) -> None:
    assert result.final_accuracy("sigmoid") < 0.2
    assert max(result.test_accuracy["sigmoid"]) < 0.2
    assert result.final_accuracy("relu") > 0.7
    assert result.train_loss["sigmoid"][-1] > 2.0  # ≈ ln 10: no better than guessing
    assert result.train_loss["relu"][-1] < 0.7


def test_gradient_norms_are_reproducible() -> None:
    x, y, _, _ = digits_arrays()

    def norms(seed: int) -> list[float]:
        model = build_mlp(64, [32] * 5, 10, "sigmoid", np.random.default_rng(seed), "usual")
        return gradient_norms(model, nn.CrossEntropyLoss(), x[:200], y[:200])

    assert norms(3) == norms(3)
    assert norms(3) != norms(4)


def test_findings_and_figures(result: vanishing_lab.VanishingResult, tmp_path) -> None:
    findings = result.findings()
    assert [f.claim for f in findings] == ["S17", "S18"]
    for f in findings:
        assert f.verdict in VERDICTS and f.verdict == "confirmed"
        assert f.evidence_en and HANGUL.search(f.evidence_ko)
    paths = result.draw(tmp_path)
    assert {p.name for p in paths} == {n for f in findings for n in f.figures}
    assert_pngs(paths, min_bytes=1000, magic=b"\x89PNG")
