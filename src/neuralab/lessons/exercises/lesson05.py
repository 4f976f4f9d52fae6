"""Lesson 5, losses (S9, S10, S11): CEE and MSE by hand, the batch mean."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..checking import Wrong, exercise
from ..checking import number as _number

T = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0], dtype=float)
Y_BAD = np.array([0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0])
BATCH = np.array([0.2, 0.4, 1.2, 0.2])


@exercise("cee-by-hand", solution="""
cee = -np.log(0.1)
""", wrong={"cee": float(-np.log(0.6))})
def cee_by_hand(cee: Any) -> None:
    value = _number(cee, "cee")
    if np.isclose(value, -np.log(0.6), atol=1e-3):
        raise Wrong("That is −ln 0.6, the probability of 7, the network's bet. CEE uses the "
                    "probability of the right answer, 2.",
                    "그것은 신경망이 고른 7의 확률로 계산한 −ln 0.6입니다. CEE는 정답 2의 "
                    "확률을 씁니다.")
    if np.isclose(value, np.log(0.1), atol=1e-3):
        raise Wrong("Mind the sign: CEE = −ln p is positive.",
                    "부호를 보세요. CEE = −ln p는 양수입니다.")
    if not np.isclose(value, -np.log(Y_BAD[2]), atol=1e-4):
        raise Wrong("CEE = −Σ tₖ·ln yₖ: only the right answer's term, k = 2, is left.",
                    "CEE = −Σ tₖ·ln yₖ에서는 정답 k = 2의 항만 남습니다.")


@exercise("mse-by-hand", solution="""
mse = np.mean((y_bad - t) ** 2)
""", wrong={"mse": float(0.5 * np.sum((Y_BAD - T) ** 2))})
def mse_by_hand(mse: Any) -> None:
    value = _number(mse, "mse")
    squares = (Y_BAD - T) ** 2
    if np.isclose(value, 0.5 * squares.sum(), atol=1e-4):
        raise Wrong("That is ½·Σ(y − t)², the sum-of-squares error of some textbooks. The notes' "
                    "MSE and nn.MSELoss take the mean over the 10 outputs.",
                    "그것은 일부 교과서의 오차제곱합 ½·Σ(y − t)²입니다. 노트의 MSE와 "
                    "nn.MSELoss는 출력 10개에 대한 평균을 냅니다.")
    if np.isclose(value, squares.sum(), atol=1e-4):
        raise Wrong("That is the sum of the squared errors; divide by the number of outputs.",
                    "그것은 오차 제곱의 합입니다. 출력의 개수로 나누세요.")
    if not np.isclose(value, squares.mean(), atol=1e-4):
        raise Wrong("Square each output's error (y − t), then take the mean of the 10 squares.",
                    "출력마다 오차 (y − t)를 제곱하고 그 10개의 평균을 내세요.")


@exercise("batch-reduction", solution="""
reduction = "mean"
batch_loss = 0.5
""", wrong={"reduction": "max", "batch_loss": 1.2})
def batch_reduction(reduction: Any, batch_loss: Any) -> None:
    if reduction != "mean":
        hint = {"max": ("the max is the notes' question (S11): it reflects one example only",
                        "최댓값은 노트의 질문(S11)입니다. 예제 하나만 반영합니다"),
                "sum": ("the sum grows with the batch size", "합은 배치 크기에 따라 커집니다"),
                "none": ("'none' keeps one loss per example", "'none'은 예제마다 손실을 하나씩 "
                         "돌려줍니다")}.get(str(reduction), ("the notes average the losses",
                                                            "노트는 손실의 평균을 냅니다"))
        raise Wrong(f"reduction: {hint[0]}.", f"reduction: {hint[1]}.")
    if not np.isclose(_number(batch_loss, "batch_loss"), BATCH.mean()):
        raise Wrong("batch_loss: add the four losses and divide by 4.",
                    "batch_loss: 네 손실을 더해서 4로 나누세요.")
