"""Lesson 3, activation functions: σ′(1) from autograd, where σ′ peaks and how high, and Leaky
ReLU's output for a negative input (S7's correction)."""

from __future__ import annotations

import math
from typing import Any

from ... import leaky_relu, sigmoid, tensor
from ..checking import Wrong, exercise
from ..checking import number as _number


def _sigma(value: float) -> float:
    return float(sigmoid(tensor(value)).item())


@exercise("sigmoid-slope", solution="""
x1 = nl.tensor(1.0, requires_grad=True)
nl.sigmoid(x1).backward()
slope = x1.grad.item()
""", wrong={"slope": 0.7310585786300049})  # σ(1): the value, not the slope
def sigmoid_slope(slope: Any) -> None:
    got = _number(slope, "slope")
    s = _sigma(1.0)
    if math.isclose(got, s, abs_tol=1e-5):
        raise Wrong(en="that is σ(1), the sigmoid's value; the slope is x1.grad after "
                       "nl.sigmoid(x1).backward().",
                    ko="그것은 σ(1), 시그모이드의 값입니다. 기울기는 nl.sigmoid(x1).backward() "
                       "뒤의 x1.grad입니다.")
    if not math.isclose(got, s * (1 - s), abs_tol=1e-5):
        raise Wrong(en="not σ′(1) yet: call nl.sigmoid(x1).backward() and read x1.grad "
                       "(it should match σ(1)·(1 − σ(1))).",
                    ko="아직 σ′(1)이 아닙니다: nl.sigmoid(x1).backward()를 부르고 x1.grad를 "
                       "읽으세요 (σ(1)·(1 − σ(1))과 같아야 합니다).")


@exercise("sigmoid-max-slope", solution="""
top = int(np.argmax(slopes["sigmoid"]))
x_at_max = float(grid[top])
max_slope = float(slopes["sigmoid"][top])
""", wrong={"x_at_max": 0.0, "max_slope": 0.5})  # σ(0) = 0.5 taken for the slope
def sigmoid_max_slope(x_at_max: Any, max_slope: Any) -> None:
    where, top = _number(x_at_max, "x_at_max"), _number(max_slope, "max_slope")
    if abs(where) > 0.03:  # the lesson's grid has a step of 0.05 and a point at 0
        raise Wrong(en="σ′ is largest where the sigmoid is steepest, in the middle of the curve: "
                       "look up grid at np.argmax(slopes['sigmoid']).",
                    ko="σ′는 시그모이드가 가장 가파른 곳, 곡선의 한가운데에서 가장 큽니다: "
                       "np.argmax(slopes['sigmoid']) 위치의 grid 값을 보세요.")
    if math.isclose(top, 0.5, abs_tol=1e-4):
        raise Wrong(en="0.5 is σ(0), the value; the slope there is σ(0)·(1 − σ(0)).",
                    ko="0.5는 σ(0), 곧 함수값입니다. 그곳의 기울기는 σ(0)·(1 − σ(0))입니다.")
    if not math.isclose(top, 0.25, abs_tol=1e-4):
        raise Wrong(en="the position is right, the largest slope is not: read "
                       "slopes['sigmoid'] there.",
                    ko="위치는 맞지만 최대 기울기가 틀렸습니다: 그 위치의 slopes['sigmoid']를 "
                       "읽어 보세요.")


@exercise("leaky-relu-at-minus-two", solution="""
value = nl.leaky_relu(nl.tensor(-2.0)).item()
""", wrong={"value": 0.02})  # the note's "small positive output" (S7)
def leaky_relu_at_minus_two(value: Any) -> None:
    got = _number(value, "value")
    want = float(leaky_relu(tensor(-2.0)).item())  # 0.01 · (−2)
    if math.isclose(got, -want, abs_tol=1e-6):
        raise Wrong(en="the size is right, the sign is not: Leaky ReLU gives 0.01·x, and x is "
                       "negative (the note's 'small positive output' is the mistake S7 corrects).",
                    ko="크기는 맞지만 부호가 틀렸습니다: Leaky ReLU는 0.01·x를 내고 x는 음수입니다 "
                       "(노트의 '작은 양수 출력'이 S7에서 바로잡는 실수입니다).")
    if math.isclose(got, 0.0, abs_tol=1e-9):
        raise Wrong(en="0 is ReLU's output; Leaky ReLU leaks a little: 0.01·x.",
                    ko="0은 ReLU의 출력입니다. Leaky ReLU는 조금 새어 나갑니다: 0.01·x.")
    if not math.isclose(got, want, abs_tol=1e-6):
        raise Wrong(en="not yet: for x < 0 Leaky ReLU outputs 0.01·x.",
                    ko="아직 아닙니다: x < 0이면 Leaky ReLU는 0.01·x를 출력합니다.")
