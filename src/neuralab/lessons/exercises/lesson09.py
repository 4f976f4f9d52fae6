"""Lesson 9: one-hot labels (S21), softmax (S22), CrossEntropyLoss takes logits (S23)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..checking import Wrong, exercise
from ..checking import number as _number


def _array(value: Any, name: str) -> np.ndarray:
    try:
        return np.asarray(value.numpy() if hasattr(value, "numpy") else value, dtype=np.float64)
    except (TypeError, ValueError):
        raise Wrong(en=f"{name} should be an array of numbers",
                    ko=f"{name}은(는) 숫자 배열이어야 합니다") from None


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


@exercise("one-hot-rows", solution="""
rows = np.zeros((3, 10))
rows[[0, 1, 2], [3, 0, 9]] = 1
""", wrong={"rows": np.eye(10)[[3, 0, 9]].T})
def one_hot_rows(rows: Any) -> None:
    rows = _array(rows, "rows")
    if rows.shape != (3, 10):
        raise Wrong(en=f"expected shape (3, 10): one row per label, one column per class; "
                       f"got {rows.shape}",
                    ko=f"모양은 (3, 10)이어야 합니다: 레이블마다 한 행, 클래스마다 한 열; "
                       f"지금은 {rows.shape}")
    if not np.array_equal(rows, np.eye(10)[[3, 0, 9]]):
        raise Wrong(en="each row has a single 1, in the column of its label (3, then 0, then 9)",
                    ko="각 행에는 1이 하나만 있고, 그 위치는 레이블의 열입니다 (3, 0, 9 순서)")


@exercise("softmax-of-logits", solution="""
z = np.array([1.0, 2.0, 3.0])
p = np.exp(z) / np.exp(z).sum()
""", wrong={"p": np.array([1.0, 2.0, 3.0]) / 6.0})
def softmax_of_logits(p: Any) -> None:
    p = _array(p, "p")
    expected = _softmax(np.array([1.0, 2.0, 3.0]))
    if p.shape != (3,):
        raise Wrong(en=f"expected three probabilities, got shape {p.shape}",
                    ko=f"확률 세 개가 필요합니다; 지금 모양은 {p.shape}")
    if not np.isclose(p.sum(), 1.0, atol=1e-6):
        raise Wrong(en=f"the probabilities must add up to 1 (yours: {p.sum():.4f}); "
                       "divide by Σ e^(zⱼ)",
                    ko=f"확률의 합은 1이어야 합니다 (지금: {p.sum():.4f}); Σ e^(zⱼ)로 나누세요")
    if not np.allclose(p, expected, atol=1e-6):
        raise Wrong(en="they add up to 1, but softmax uses e^(zₖ), not zₖ itself",
                    ko="합은 1이지만, 소프트맥스는 zₖ가 아니라 e^(zₖ)를 씁니다")


@exercise("cross-entropy-by-hand", solution="""
z = np.array([2.0, 1.0, 0.1])
loss = -np.log(np.exp(z[1]) / np.exp(z).sum())
""", wrong={"loss": float(-np.log(_softmax(np.array([2.0, 1.0, 0.1]))[0]))})
def cross_entropy_by_hand(loss: Any) -> None:
    from ... import nn, tensor

    value = _number(loss, "loss")
    expected = nn.CrossEntropyLoss()(tensor([[2.0, 1.0, 0.1]]), tensor([1])).item()
    if np.isclose(value, -np.log(_softmax(np.array([2.0, 1.0, 0.1]))[0]), atol=1e-4):
        raise Wrong(en="that is −ln p₀, the loss for class 0; the true class is 1",
                    ko="그것은 클래스 0의 손실 −ln p₀입니다; 정답 클래스는 1입니다")
    if not np.isclose(value, expected, atol=1e-4):
        raise Wrong(en=f"not yet ({value:.4f}): take −ln of the softmax probability of class 1",
                    ko=f"아직 아닙니다 ({value:.4f}): 클래스 1의 소프트맥스 확률에 −ln을 취하세요")


@exercise("which-call-is-the-bug", solution="""
bug = "B"
""", wrong={"bug": "C"})
def which_call_is_the_bug(bug: Any) -> None:
    answer = str(bug).strip().upper()
    if answer not in {"A", "B", "C"}:
        raise Wrong(en='answer "A", "B" or "C"', ko='"A", "B", "C" 중 하나로 답하세요')
    if answer == "A":
        raise Wrong(en="A is the right way: CrossEntropyLoss takes logits and class indices",
                    ko="A가 올바른 사용법입니다: CrossEntropyLoss는 로짓과 클래스 번호를 받습니다")
    if answer == "C":
        raise Wrong(en="C is what CrossEntropyLoss does inside: log_softmax, then NLLLoss",
                    ko="C는 CrossEntropyLoss가 안에서 하는 일 그대로입니다: log_softmax 다음 "
                       "NLLLoss")
