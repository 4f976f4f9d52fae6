"""Losses over a batch (S9, S10, S11) and softmax inside cross-entropy (S21, S23): findings."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from _lab_checks import HANGUL, assert_pngs
from _tolerance import assert_close, pairwise_terms

import neuralab.nn.functional as F
from neuralab import Tensor
from neuralab.lab.losses_lab import loss_vs_p, run_mse_vs_ce
from neuralab.lab.mean_vs_max_lab import flip_labels, run_mean_vs_max
from neuralab.lab.registry import EXPERIMENTS, VERDICTS, ExperimentResult
from neuralab.lab.softmax_ce_lab import bug_loss_range, run_softmax_cross_entropy


@pytest.fixture(scope="module")
def mse_ce():
    return run_mse_vs_ce(quick=True)


@pytest.fixture(scope="module")
def mean_max():
    return run_mean_vs_max(quick=True)


@pytest.fixture(scope="module")
def softmax_ce():
    return run_softmax_cross_entropy(quick=True)


def check_findings_and_figures(result: ExperimentResult, claims: tuple[str, ...],
                               verdicts: dict[str, str], out: Path) -> None:
    """Valid verdicts, evidence in English and Korean, and every cited figure drawn as a PNG."""
    findings = result.findings()
    assert [f.claim for f in findings] == list(claims)
    drawn = {p.name for p in result.draw(out)}
    for finding in findings:
        assert finding.verdict in VERDICTS and finding.verdict == verdicts[finding.claim]
        assert len(finding.evidence_en) > 80 and len(finding.evidence_ko) > 40
        assert HANGUL.search(finding.evidence_ko) and not HANGUL.search(finding.evidence_en)
        assert set(finding.figures) <= drawn, (finding.figures, drawn)
    assert_pngs((out / name for name in drawn), min_bytes=5000)


def test_experiments_are_registered_with_their_claims() -> None:
    assert EXPERIMENTS["mse-vs-ce"].claims == ("S9", "S10")
    assert EXPERIMENTS["mean-vs-max"].claims == ("S11",)
    assert EXPERIMENTS["softmax-cross-entropy"].claims == ("S21", "S23")


# ------------------------------------------------------------------ mse-vs-ce (S9, S10)
def test_cross_entropy_beats_mse_at_the_same_lr_and_matches_it_at_its_best(mse_ce) -> None:
    i = mse_ce.lrs.index(mse_ce.shared_lr)
    assert mse_ce.ce_acc[i][-1] > 0.9
    assert mse_ce.ce_acc[i][-1] > mse_ce.mse_acc[i][-1] + 0.2
    best_ce = max(acc[-1] for acc in mse_ce.ce_acc)
    best_mse = max(acc[-1] for acc in mse_ce.mse_acc)
    assert best_ce >= best_mse - 0.01
    assert mse_ce.ce_loss[-1] < mse_ce.ce_loss[0]


def test_mse_gradient_through_softmax_fades_for_wrong_answers() -> None:
    p = np.array([0.01, 0.5, 0.99])
    shapes = loss_vs_p(p)
    # logits z = ln p, ln((1 − p)/9): CE = logsumexp(z) − z_right rounds relative to the
    # logits' sizes (the shift, a 10-term sum, the log); softmax's relative error likewise
    z = np.abs(np.log(p)) + np.abs(np.log((1 - p) / 9))
    assert_close(shapes["ce"], -np.log(p), scale=z + 1, terms=10 + 4)
    assert_close(shapes["ce_grad"], p - 1, scale=p * (1 + 2 * z) + 1, terms=10 + 4)  # p − 1
    assert abs(shapes["mse_grad"][0]) < abs(shapes["ce_grad"][0]) / 100


def test_mse_and_cee_by_hand_equal_the_library(mse_ce) -> None:
    # a 10-term mean of squares (non-negative terms: the value is their scale)
    assert_close(mse_ce.mse_library, mse_ce.mse_hand, scale=mse_ce.mse_hand, terms=10 + 3)
    # the library's CEE adds 1e-7 inside the log: −ln(p + 1e-7), p = e^−cee_hand; exp and log
    # round relative to their arguments' sizes
    cee = mse_ce.cee_hand
    assert_close(mse_ce.cee_library, -math.log(math.exp(-cee) + 1e-7), scale=cee + 2, terms=4)
    assert mse_ce.cee_library < cee  # and the 1e-7 lowers it (by ≈ 1e-7/p)
    assert 0.05 < mse_ce.example_probs[mse_ce.example_label] < 0.95


def test_batch_loss_is_the_mean_and_does_not_scale_with_batch_size(mse_ce) -> None:
    # float32 means of 256 examples' losses, each a sum over 10 classes: pairwise sums
    terms = pairwise_terms(256) + 10
    assert_close(mse_ce.mean_vs_none_ce, 0, scale=mse_ce.mean_ce, terms=terms, dtype=np.float32)
    assert_close(mse_ce.mean_vs_none_mse, 0, scale=mse_ce.mean_mse, terms=terms,
                 dtype=np.float32)
    n = np.array(mse_ce.batch_sizes)
    mean, total = np.array(mse_ce.mean_loss_by_n), np.array(mse_ce.sum_loss_by_n)
    assert mean.max() / mean.min() < 1.05  # the mean stays put...
    np.testing.assert_allclose(total, n * mean, rtol=1e-3)  # ...the sum grows with N
    grad_ratio = np.array(mse_ce.sum_grad_by_n) / np.array(mse_ce.mean_grad_by_n)
    np.testing.assert_allclose(grad_ratio, n, rtol=1e-3)
    assert mse_ce.minibatch_acc > mse_ce.fullbatch_acc + 0.3


def test_mse_vs_ce_findings_and_figures(mse_ce, tmp_path: Path) -> None:
    check_findings_and_figures(mse_ce, ("S9", "S10"), {"S9": "confirmed", "S10": "confirmed"},
                               tmp_path)


# ------------------------------------------------------------------ mean-vs-max (S11)
def test_flip_labels_changes_exactly_the_requested_share() -> None:
    y = np.arange(1000) % 10
    noisy, flipped = flip_labels(y, 0.05, seed=3)
    assert flipped.sum() == 50
    assert np.all(noisy[flipped] != y[flipped]) and np.all(noisy[~flipped] == y[~flipped])
    assert noisy.min() >= 0 and noisy.max() <= 9


def test_mean_beats_max_on_clean_test_accuracy(mean_max) -> None:
    acc = mean_max.acc
    assert acc["mean"][-1] > 0.85
    assert acc["mean"][-1] > acc["max"][-1] + 0.3
    assert acc["mean_clean"][-1] > acc["max_clean"][-1]
    # noise hurts the max far more than the mean
    assert (acc["max_clean"][-1] - acc["max"][-1]) > (acc["mean_clean"][-1] - acc["mean"][-1])


def test_max_chases_the_mislabelled_rows(mean_max) -> None:
    assert mean_max.pick_share_mean_model > 0.8  # vs 5% of the rows
    assert mean_max.pick_share_training > 3 * mean_max.noise_rate
    assert mean_max.loss_clean_rows["max"] > 2 * mean_max.loss_clean_rows["mean"]
    assert mean_max.loss_flipped_rows["max"] < mean_max.loss_flipped_rows["mean"]


def test_sum_is_the_mean_scaled_by_the_batch_size(mean_max) -> None:
    assert mean_max.sum_mean_grad_cosine > 1 - 1e-6
    assert mean_max.sum_mean_grad_ratio == pytest.approx(mean_max.batch_size, rel=1e-3)
    assert mean_max.sum_vs_mean_acc_diff <= 0.01


def test_mean_vs_max_is_reproducible(mean_max) -> None:
    again = run_mean_vs_max(quick=True)
    assert again.acc == mean_max.acc and again.batch_losses == mean_max.batch_losses


def test_mean_vs_max_findings_and_figures(mean_max, tmp_path: Path) -> None:
    check_findings_and_figures(mean_max, ("S11",), {"S11": "confirmed"}, tmp_path)


# ------------------------------------------------------------------ softmax-cross-entropy
def test_one_hot_labels(softmax_ce) -> None:
    assert softmax_ce.rows_with_single_one == softmax_ce.n_labels
    assert softmax_ce.one_hot_shape == [softmax_ce.n_labels, 10]
    assert softmax_ce.zero_share == pytest.approx(0.9)
    assert softmax_ce.argmax_recovers
    # two float32 routes to the same mean over 256 rows of 10 classes
    assert_close(softmax_ce.onehot_vs_index_diff, 0, scale=softmax_ce.index_ce,
                 terms=pairwise_terms(256) + 10, dtype=np.float32)
    for label, row in zip(softmax_ce.first_labels, softmax_ce.first_rows):
        assert row == [int(k == label) for k in range(10)]


def test_ce_on_logits_equals_cee_on_probabilities(softmax_ce) -> None:
    assert softmax_ce.loss_diff < 1e-6
    # the only difference is the CEE's 1e-7 inside the log
    assert softmax_ce.loss_diff == pytest.approx(softmax_ce.predicted_eps_diff, rel=1e-2)
    assert softmax_ce.loss_diff_without_eps < 1e-12
    assert softmax_ce.grad_diff < 1e-6 and softmax_ce.grad_vs_formula < 1e-12


def test_probabilities_into_cross_entropy_is_bounded_away_from_zero(softmax_ce) -> None:
    lo, hi = bug_loss_range(10)
    # the formulas the lab states, evaluated the same way: equal exactly
    assert lo == math.log(1 + 9 / math.e) and hi == math.log(math.e + 9)
    # ln Σ e^(one-hot) − 1 in float64: a 10-term sum and a log of size ln(e + 9) ≈ 2.46
    assert_close(softmax_ce.bug_perfect, lo, scale=math.log(math.e + 9) + 1, terms=10 + 3)
    assert lo > 1.4
    # the lab reports these rounded to 6 decimals: off by up to 5e-7 each
    assert min(softmax_ce.bug_of_p) >= lo - 5e-7 and max(softmax_ce.bug_of_p) <= hi + 5e-7
    assert min(softmax_ce.ce_of_p) < 0.01
    # torch agrees that the bug's loss for a perfect prediction is ln(1 + 9/e)
    perfect = torch.nn.functional.cross_entropy(torch.eye(10, dtype=torch.float64),
                                                torch.arange(10))
    assert_close(perfect.item(), lo, scale=math.log(math.e + 9) + 1, terms=10 + 3)


def test_the_bug_shrinks_gradients_and_trains_worse(softmax_ce) -> None:
    assert softmax_ce.grad_ratio_init < 0.5 and softmax_ce.grad_ratio_trained < 1.0
    assert softmax_ce.bug_acc[-1] < softmax_ce.correct_acc[-1] - 0.05
    assert softmax_ce.bug_loss[-1] > softmax_ce.bug_min > softmax_ce.correct_loss[-1]


def test_cross_entropy_matches_torch_on_logits_and_on_probabilities() -> None:
    rng = np.random.default_rng(0)
    z, y = rng.normal(size=(16, 10)), rng.integers(0, 10, 16)
    ours = Tensor(z, requires_grad=True)
    F.cross_entropy(ours, y).backward()
    theirs = torch.tensor(z, requires_grad=True)
    torch.nn.functional.cross_entropy(theirs, torch.tensor(y)).backward()
    # (softmax − onehot)/16: softmax's relative error grows with the shift z − max z;
    # then the 10-term sum, the division, the subtraction
    soft = torch.tensor(z).softmax(1).numpy()
    shift = np.abs(z) + np.abs(z).max(axis=1, keepdims=True)
    assert_close(ours.grad, theirs.grad.numpy(), scale=(soft * (1 + shift) + np.eye(10)[y]) / 16,
                 terms=10 + 4)
    bug = F.cross_entropy(Tensor(z).softmax(axis=1), y).item()
    torch_bug = torch.nn.functional.cross_entropy(torch.tensor(z).softmax(1), torch.tensor(y))
    # scores in [0, 1]: each row's terms |p_y|, max p, ln Σ e^p ≤ ln(10e); a 16-row mean
    assert_close(bug, torch_bug.item(), scale=2 + math.log(10 * math.e), terms=10 + 16 + 4)


def test_softmax_cross_entropy_findings_and_figures(softmax_ce, tmp_path: Path) -> None:
    check_findings_and_figures(softmax_ce, ("S21", "S23"),
                               {"S21": "confirmed", "S23": "confirmed"}, tmp_path)
