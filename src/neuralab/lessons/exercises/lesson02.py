"""Lesson 2, XOR: the points a line gets wrong, the best a line does on XNOR, and XOR wired from
AND and NOR."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...perceptron import GATE_INPUTS, TRUTH_TABLES, Perceptron, PerceptronNetwork, gate
from ..checking import Wrong, exercise, whole


def _pairs(value: Any) -> set[tuple[int, int]]:
    """A list of (x1, x2) points as a set of int pairs; Wrong if it is not one."""
    try:
        points = np.asarray(value, dtype=np.float64).reshape(-1, 2)
    except (TypeError, ValueError):
        raise Wrong(en=f"give a list of (x1, x2) pairs such as [(0, 1)], got {value!r}",
                    ko=f"[(0, 1)]처럼 (x1, x2) 쌍의 리스트를 넣으세요 (지금은 {value!r})") from None
    if not np.isin(points, (0, 1)).all():
        raise Wrong(en="XOR's points have coordinates 0 and 1 only",
                    ko="XOR의 점은 좌표가 0과 1뿐입니다")
    return {(int(a), int(b)) for a, b in points}


@exercise("xor-misclassified", solution="""
p = Perceptron.from_weights([1.0, -2.0], 0.5)
wrong = [tuple(int(v) for v in x) for x in X[p.predict(X) != y_xor]]
""", wrong={"wrong": [(1, 0), (1, 1)]})  # the points it gets right
def xor_misclassified(wrong: Any) -> None:
    p = Perceptron.from_weights([1.0, -2.0], 0.5)
    want = {(int(a), int(b)) for a, b in GATE_INPUTS[p.predict(GATE_INPUTS) != TRUTH_TABLES["XOR"]]}
    got = _pairs(wrong)
    if got != want:
        missing, extra = sorted(want - got), sorted(got - want)
        en, ko = [], []
        if extra:
            en.append(f"{extra} {'is' if len(extra) == 1 else 'are'} classified correctly")
            ko.append(f"{extra}: 제대로 분류되는 점입니다")
        if missing:
            en.append(f"{len(missing)} wrong point(s) missing")
            ko.append(f"틀린 점 {len(missing)}개가 빠졌습니다")
        raise Wrong(en="; ".join(en) + ". Compute w1·x1 + w2·x2 + b for each point: > 0 "
                    "means output 1; compare with XOR.",
                    ko="; ".join(ko) + ". 점마다 w1·x1 + w2·x2 + b를 계산하세요: 0보다 크면 "
                    "출력 1입니다. XOR과 비교해 보세요.")


@exercise("xnor-best-line", solution="""
best = int(points_right([1, 0, 0, 1]).max())
""", wrong={"best": 4})  # XNOR looks as simple as AND
def xnor_best_line(best: Any) -> None:
    best = whole(best, "best")
    if best == 4:
        raise Wrong(en="no line gets all four: XNOR is XOR with 0 and 1 swapped, so the same "
                       "argument rules out a perfect line.",
                    ko="네 점을 모두 맞히는 직선은 없습니다: XNOR은 XOR의 0과 1을 뒤바꾼 것이라 "
                       "같은 논증으로 완벽한 직선이 없습니다.")
    if best != 3:
        raise Wrong(en="lines do better than that: run points_right([1, 0, 0, 1]) and take "
                       "its max().",
                    ko="직선은 그보다 잘합니다: points_right([1, 0, 0, 1])을 실행하고 max()를 "
                       "구해 보세요.")


def _xnor_network() -> dict[str, Any]:
    return {"network": PerceptronNetwork([[gate("AND"), gate("NOR")], [gate("OR")]])}


@exercise("xor-from-gates", solution="""
network = PerceptronNetwork([[gate("AND"), gate("NOR")], [gate("NOR")]])
""", wrong=_xnor_network)  # OR of (AND, NOR) is XNOR, XOR's opposite
def xor_from_gates(network: Any) -> None:
    if not isinstance(network, PerceptronNetwork):
        raise Wrong(en=f"network should be a PerceptronNetwork, got {type(network).__name__}",
                    ko=f"network에는 PerceptronNetwork를 넣으세요 (지금은 "
                       f"{type(network).__name__})")
    if len(network.layers) != 2 or len(network.layers[0]) != 2 or len(network.layers[1]) != 1:
        raise Wrong(en="two layers, please: two perceptrons (AND, NOR), then one",
                    ko="두 층이어야 합니다: 퍼셉트론 두 개(AND, NOR), 그다음 하나")
    first = [p.predict(GATE_INPUTS) for p in network.layers[0]]
    if not (np.array_equal(first[0], TRUTH_TABLES["AND"])
            and np.array_equal(first[1], TRUTH_TABLES["NOR"])):
        raise Wrong(en="the first layer should compute AND, then NOR",
                    ko="첫 층은 AND, 그다음 NOR을 계산해야 합니다")
    got = network.predict(GATE_INPUTS)
    if not np.array_equal(got, TRUTH_TABLES["XOR"]):
        raise Wrong(
            en=f"the network outputs {np.asarray(got).tolist()}, XOR is "
               f"{TRUTH_TABLES['XOR'].tolist()}. The hidden outputs (AND, NOR) are (0, 1), "
               f"(0, 0), (0, 0), (1, 0): XOR must be 1 only for (0, 0).",
            ko=f"네트워크의 출력은 {np.asarray(got).tolist()}이고, XOR은 "
               f"{TRUTH_TABLES['XOR'].tolist()}입니다. 은닉층 출력 (AND, NOR)은 (0, 1), "
               f"(0, 0), (0, 0), (1, 0)입니다: (0, 0)일 때만 1이 되어야 합니다.")
