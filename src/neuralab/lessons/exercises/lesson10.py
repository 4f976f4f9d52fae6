"""Lesson 10: parameter counts and shapes of convolutions (S19, S20), im2col."""

from __future__ import annotations

from typing import Any

from ..checking import Wrong, exercise


def _shape(value: Any, name: str, length: int) -> tuple[int, ...]:
    try:
        shape = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        raise Wrong(en=f"{name} should be a tuple of {length} integers",
                    ko=f"{name}은(는) 정수 {length}개의 튜플이어야 합니다") from None
    if len(shape) != length:
        raise Wrong(en=f"{name} should have {length} numbers, got {len(shape)}",
                    ko=f"{name}에는 숫자가 {length}개 있어야 합니다; 지금은 {len(shape)}개")
    return shape


@exercise("conv-param-count", solution="""
params = 16 * 3 * 5 * 5 + 16
""", wrong={"params": 16 * 5 * 5 + 16})
def conv_param_count(params: Any) -> None:
    from ... import nn

    expected = sum(p.numel() for p in nn.Conv2d(3, 16, kernel_size=5).parameters())
    if params == 16 * 5 * 5 + 16:
        raise Wrong(en="each filter covers all 3 input channels: it has 3·5·5 weights",
                    ko="필터 하나는 입력 채널 3개를 모두 덮습니다: 가중치가 3·5·5개입니다")
    if params == 16 * 3 * 5 * 5:
        raise Wrong(en="almost: add one bias per filter", ko="거의 맞습니다: 필터마다 편향이 "
                    "하나씩 더 있습니다")
    if params != expected:
        raise Wrong(en=f"not {params}: filters × (in channels × kh × kw) + one bias per filter",
                    ko=f"{params}가 아닙니다: 필터 수 × (입력 채널 × kh × kw) + 필터마다 편향 하나")


@exercise("conv-pool-shape", solution="""
shape = (1, 6, 12, 12)
""", wrong={"shape": (1, 6, 14, 14)})
def conv_pool_shape(shape: Any) -> None:
    shape = _shape(shape, "shape", 4)
    if shape == (1, 6, 14, 14):
        raise Wrong(en="without padding a 5×5 filter fits 28 − 5 + 1 = 24 times; then pool",
                    ko="패딩이 없으면 5×5 필터는 28 − 5 + 1 = 24번 들어갑니다; 그다음 풀링합니다")
    if shape == (1, 6, 24, 24):
        raise Wrong(en="that is after the convolution; MaxPool2d(2) halves each side",
                    ko="그것은 합성곱 직후입니다; MaxPool2d(2)는 각 변을 절반으로 줄입니다")
    if shape != (1, 6, 12, 12):
        raise Wrong(en="(batch, channels = filters, height, width): conv gives 28 − 5 + 1 per "
                       "side, pooling halves it",
                    ko="(배치, 채널 = 필터 수, 높이, 너비): 합성곱은 한 변이 28 − 5 + 1, "
                       "풀링은 그 절반입니다")


@exercise("im2col-shape", solution="""
col_shape = (2 * 8 * 8, 3 * 3 * 3)
""", wrong={"col_shape": (2 * 6 * 6, 3 * 3 * 3)})
def im2col_shape(col_shape: Any) -> None:
    import numpy as np

    from ...lab.textbook import im2col

    shape = _shape(col_shape, "col_shape", 2)
    expected = im2col(np.zeros((2, 3, 8, 8)), 3, 3, stride=1, pad=1).shape
    if shape == (72, 27):
        raise Wrong(en="with pad=1 there are 8×8 window positions per image (8 + 2 − 3 + 1 = 8)",
                    ko="pad=1이면 이미지마다 창 위치가 8×8개입니다 (8 + 2 − 3 + 1 = 8)")
    if shape == (27, 128):
        raise Wrong(en="rows are windows, columns the C·kh·kw numbers of one window",
                    ko="행이 창(window)이고, 열은 창 하나의 C·kh·kw개 숫자입니다")
    if shape != expected:
        raise Wrong(en="one row per window (N·OH·OW), one column per number in it (C·kh·kw)",
                    ko="창마다 한 행 (N·OH·OW), 창 안의 숫자마다 한 열 (C·kh·kw)입니다")
