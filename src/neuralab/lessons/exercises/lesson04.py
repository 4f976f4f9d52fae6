"""Lesson 4, layers as matrices (S8): shapes, a layer by hand, the notes' W as nn.Linear."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..checking import Wrong, exercise

HAND_X = np.array([1.0, 2.0])
HAND_W = np.array([[1.0, -1.0, 0.5], [0.0, 2.0, 1.0]])
HAND_B = np.array([0.5, 0.0, -1.0])
NOTE_W = np.array([[1.0, -2.0], [0.5, 0.0], [3.0, 1.0]])
NOTE_B = np.array([0.1, -0.1])


def _shape(value: Any) -> tuple[int, ...] | None:
    try:
        return tuple(int(n) for n in value)
    except (TypeError, ValueError):
        return None


@exercise("layer-shapes", solution="""
W_shape = (4, 3)
weight_shape = (3, 4)
out_shape = (5, 3)
""", wrong={"W_shape": (4, 3), "weight_shape": (4, 3), "out_shape": (5, 3)})
def layer_shapes(W_shape: Any, weight_shape: Any, out_shape: Any) -> None:  # noqa: N803
    if _shape(W_shape) != (4, 3):
        raise Wrong("W_shape: the notes' W has one row per input and one column per node.",
                    "W_shape: 노트의 W는 입력마다 한 행, 노드마다 한 열입니다.")
    if _shape(weight_shape) != (3, 4):
        raise Wrong("weight_shape: nn.Linear stores its weight as (out, in), the transpose of "
                    "the notes' W.",
                    "weight_shape: nn.Linear는 가중치를 (out, in) 모양, 즉 노트 W의 전치로 "
                    "저장합니다.")
    if _shape(out_shape) != (5, 3):
        raise Wrong("out_shape: one row per example, one column per node.",
                    "out_shape: 예제마다 한 행, 노드마다 한 열입니다.")


@exercise("layer-by-hand", solution="""
h = [1.5, 3.0, 1.5]
""", wrong={"h": [1.0, 3.0, 2.5]})
def layer_by_hand(h: Any) -> None:
    try:
        answer = np.asarray(h, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise Wrong("h should be a list of three numbers.",
                    "h는 숫자 세 개의 리스트여야 합니다.") from None
    if answer.shape != (3,):
        raise Wrong(f"h should hold 3 numbers (one per node), not {answer.size}.",
                    f"h에는 노드마다 하나씩 숫자 3개가 있어야 합니다 ({answer.size}개가 아니라).")
    if np.allclose(answer, HAND_X @ HAND_W):
        raise Wrong("Almost: each node also adds its bias.",
                    "거의 맞았습니다. 노드마다 편향도 더해야 합니다.")
    expected = HAND_X @ HAND_W + HAND_B
    wrong = [j for j in range(3) if not np.isclose(answer[j], expected[j])]
    if wrong:
        j = wrong[0]
        raise Wrong(f"Node {j + 1}: x1·W[0][{j}] + x2·W[1][{j}] + b[{j}] is not {answer[j]:g}.",
                    f"노드 {j + 1}: x1·W[0][{j}] + x2·W[1][{j}] + b[{j}]는 {answer[j]:g}가 "
                    "아닙니다.")


def _reshaped_layer() -> dict[str, Any]:
    import neuralab as nl

    layer = nl.nn.Linear(3, 2)
    with nl.no_grad():
        layer.weight.copy_(nl.tensor(NOTE_W.reshape(2, 3)))
        layer.bias.copy_(nl.tensor(NOTE_B))
    return {"layer": layer}


@exercise("note-w-to-linear", solution="""
layer = nl.nn.Linear(3, 2)
with nl.no_grad():
    layer.weight.copy_(nl.tensor(W_note.T))
    layer.bias.copy_(nl.tensor(b_note))
""", wrong=_reshaped_layer)
def note_w_to_linear(layer: Any) -> None:
    import neuralab as nl

    if not isinstance(layer, nl.nn.Linear):
        raise Wrong("layer should be an nl.nn.Linear.", "layer는 nl.nn.Linear여야 합니다.")
    if (layer.in_features, layer.out_features) != (3, 2):
        raise Wrong("The layer has 3 inputs and 2 nodes: nl.nn.Linear(3, 2).",
                    "입력 3개, 노드 2개인 층, 곧 nl.nn.Linear(3, 2)입니다.")
    x = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.5, -1.0, 2.0]])
    with nl.no_grad():
        got = layer(nl.tensor(x, dtype=layer.weight.dtype)).numpy()
    if not np.allclose(got, x @ NOTE_W + NOTE_B, atol=1e-5):
        if np.allclose(layer.weight.detach().numpy(), NOTE_W.reshape(2, 3)):
            raise Wrong("reshape keeps the numbers in their order; the weight is the "
                        "transpose, W_note.T.",
                        "reshape는 숫자의 순서를 그대로 둡니다. 가중치는 전치 W_note.T입니다.")
        raise Wrong("layer(x) should equal x @ W_note + b_note: weight = W_note.T, "
                    "bias = b_note.",
                    "layer(x)가 x @ W_note + b_note와 같아야 합니다. weight = W_note.T, "
                    "bias = b_note.")
