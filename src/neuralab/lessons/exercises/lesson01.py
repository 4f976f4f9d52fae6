"""Lesson 1, the perceptron and logic gates: a NAND gate by hand, a perceptron's line, and the
epochs Rosenblatt's rule needs on OR."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...perceptron import GATE_INPUTS, TRUTH_TABLES, Perceptron
from ..checking import Wrong, exercise, whole
from ..checking import number as _number


@exercise("nand-gate", solution="""
w = [-1.0, -1.0]
b = 1.5
""", wrong={"w": [1.0, 1.0], "b": -1.5})  # an AND gate: the signs turned around
def nand_gate(w: Any, b: Any) -> None:
    weights = np.asarray(w, dtype=np.float64).reshape(-1)
    if weights.size != 2 or not np.isfinite(weights).all():
        raise Wrong(en=f"w should be two finite numbers, got {w!r}",
                    ko=f"w에는 유한한 숫자 두 개를 넣으세요 (지금은 {w!r})")
    got = Perceptron.from_weights(weights, _number(b, "b")).predict(GATE_INPUTS)
    want = TRUTH_TABLES["NAND"]
    if not np.array_equal(got, want):
        bad = [tuple(int(v) for v in x) for x, g, t in zip(GATE_INPUTS, got, want) if g != t]
        raise Wrong(
            en=f"your perceptron outputs {got.tolist()}, NAND is {want.tolist()} (wrong for "
               f"{bad}). NAND fires unless both inputs are 1: a positive bias, and weights "
               f"negative enough that w1 + w2 + b ≤ 0.",
            ko=f"여러분의 퍼셉트론의 출력은 {got.tolist()}이고, NAND는 {want.tolist()}입니다 "
               f"(틀린 입력: {bad}). NAND는 두 입력이 모두 1일 때만 0입니다: 편향은 양수로, "
               f"가중치는 w1 + w2 + b ≤ 0이 될 만큼 음수로 잡아 보세요.")


@exercise("perceptron-line", solution="""
p = Perceptron.from_weights([1.0, 2.0], -1.0)
a = -1.0 / 2.0  # −w1/w2
c = 1.0 / 2.0   # −b/w2
""", wrong={"a": 0.5, "c": 0.5})  # the slope's sign forgotten
def perceptron_line(a: Any, c: Any) -> None:
    slope, intercept = Perceptron.from_weights([1.0, 2.0], -1.0).line()
    a, c = _number(a, "a"), _number(c, "c")
    if not math.isclose(a, slope, abs_tol=1e-9):
        raise Wrong(en="the slope is not right: solve w1·x1 + w2·x2 + b = 0 for x2; the slope "
                       "is −w1/w2.",
                    ko="기울기가 틀렸습니다: w1·x1 + w2·x2 + b = 0을 x2에 대해 풀어 보세요. "
                       "기울기는 −w1/w2입니다.")
    if not math.isclose(c, intercept, abs_tol=1e-9):
        raise Wrong(en="the slope is right but the intercept is not: it is −b/w2.",
                    ko="기울기는 맞지만 절편이 틀렸습니다: 절편은 −b/w2입니다.")


@exercise("or-epochs", solution="""
history = Perceptron(2).fit(X, TRUTH_TABLES["OR"], lr=0.5, seed=1)
epochs = history.epochs
""", wrong={"epochs": 3})  # the mistakes before the clean epoch: the clean one left out
def or_epochs(epochs: Any) -> None:
    history = Perceptron(2).fit(GATE_INPUTS, TRUTH_TABLES["OR"], lr=0.5, seed=1)
    epochs = whole(epochs, "epochs")
    if epochs == history.epochs - 1:
        raise Wrong(en="almost: count the last epoch too, the one with no mistake that tells "
                       "fit to stop (history.epochs).",
                    ko="거의 맞았습니다: 실수가 없어 fit을 멈추게 한 마지막 에포크도 세야 "
                       "합니다 (history.epochs).")
    if epochs != history.epochs:
        raise Wrong(en="not that many: run fit with lr=0.5 and seed=1 on a fresh Perceptron(2) "
                       "and read history.epochs.",
                    ko="그 수가 아닙니다: 새 Perceptron(2)에 lr=0.5, seed=1로 fit을 실행하고 "
                       "history.epochs를 읽어 보세요.")
