"""S22: softmax fails multi-label tasks (sigmoid per class fits them); many classes are fine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _lab_checks import HANGUL, assert_pngs
from _tolerance import assert_close

from neuralab.lab.multilabel_lab import (
    blobs,
    digit_tags,
    run_multilabel,
    softmax_targets,
)
from neuralab.lab.registry import EXPERIMENTS


@pytest.fixture(scope="module")
def result():
    return run_multilabel(quick=True)


def test_digit_tags_are_multi_label() -> None:
    tags = digit_tags(np.arange(10))
    #                  even  >4  prime
    expected = np.array([[1, 0, 0], [0, 0, 0], [1, 0, 1], [0, 0, 1], [1, 0, 0],
                         [0, 1, 1], [1, 1, 0], [0, 1, 1], [1, 1, 0], [0, 1, 0]])
    np.testing.assert_array_equal(tags, expected)
    targets = softmax_targets(tags)
    assert_close(targets.sum(axis=1), np.ones(10), scale=1, terms=3)  # 3 tags, each ≤ 1
    assert_close(targets[1], [1 / 3] * 3, scale=1 / 3, terms=1)  # no tag: uniform
    np.testing.assert_allclose(targets[5], [0, 0.5, 0.5])


def test_blobs_are_seeded_and_single_label() -> None:
    a = blobs(5, 4, 10, 0.5, np.random.default_rng(1))
    b = blobs(5, 4, 10, 0.5, np.random.default_rng(1))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert a[0].shape == (50, 4) and set(a[1]) == set(range(5)) and len(a[3]) == 25


def test_sigmoid_bce_beats_softmax_on_the_multi_label_task(result) -> None:
    exact = result.exact
    assert exact["sigmoid"] > 0.85
    assert exact["sigmoid"] > exact["softmax_best"] + 0.04
    assert exact["sigmoid"] > exact["softmax_05"] + 0.3
    assert min(result.per_tag["sigmoid"]) > max(result.per_tag["softmax_05"])
    # at threshold 0.5 softmax can mark at most one tag per digit
    assert exact["softmax_05"] <= result.softmax_ceiling_05 + 1e-9
    assert result.exact_by_count["softmax_05"][2] == 0.0
    assert result.exact_by_count["sigmoid"][0] > result.exact_by_count["softmax_best"][0]


def test_softmax_probabilities_sum_to_one_and_cap_two_true_tags(result) -> None:
    assert result.softmax_sum_max_dev < 1e-5
    assert result.two_tag_true_prob["softmax"] <= 0.5 + 1e-6  # p_a + p_b ≤ 1
    assert result.two_tag_true_prob["sigmoid"] > 0.75
    assert result.sigmoid_two_tag_sum > 1.5


def test_softmax_is_fine_with_many_classes(result) -> None:
    assert result.digits10_acc > 0.9
    assert result.blobs_classes == 100 and result.blobs_chance == pytest.approx(0.01)
    assert result.blobs_acc > 0.85


def test_multilabel_findings_and_figures(result, tmp_path: Path) -> None:
    assert EXPERIMENTS["multilabel"].claims == ("S22",)
    (finding,) = result.findings()
    assert finding.claim == "S22" and finding.verdict == "corrected"
    assert "multi-label" in finding.evidence_en and "다중 레이블" in finding.evidence_ko
    assert HANGUL.search(finding.evidence_ko)
    drawn = {p.name: p for p in result.draw(tmp_path)}
    assert set(finding.figures) <= set(drawn)
    assert_pngs(drawn.values(), min_bytes=5000)
