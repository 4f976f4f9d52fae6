"""Lesson 6, hidden layers (S15): XOR's truth table, hidden coordinates, the smallest
hidden layer that solves XOR from every seed."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..checking import Wrong, exercise, whole

XOR_INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_TABLE = [0, 1, 1, 0]
SEEDS = range(5)


def _xor_model(hidden: int, seed: int, epochs: int = 500) -> Any:
    """The lesson's ``train_xor`` (keep the two the same)."""
    import neuralab as nl

    X = nl.tensor(XOR_INPUTS)  # noqa: N806
    Y = nl.tensor([[float(v)] for v in XOR_TABLE])  # noqa: N806
    nl.manual_seed(seed)
    model = nl.nn.Sequential(nl.nn.Linear(2, hidden), nl.nn.Tanh(), nl.nn.Linear(hidden, 1))
    optimizer = nl.optim.Adam(model.parameters(), lr=0.1)
    loss_fn = nl.nn.BCEWithLogitsLoss()
    for _ in range(epochs):
        loss = loss_fn(model(X), Y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


def _predictions(model: Any) -> list[int]:
    import neuralab as nl

    with nl.no_grad():
        return [int(v) for v in (model(nl.tensor(XOR_INPUTS)) > 0).reshape(-1).tolist()]


def _solves(model: Any) -> bool:
    return _predictions(model) == XOR_TABLE


def _model_or_wrong(model: Any) -> None:
    import neuralab as nl

    if not isinstance(model, nl.nn.Sequential) or len(model) != 3:
        raise Wrong("model should be the lesson's trained Sequential(Linear, Tanh, Linear).",
                    "model은 이 장에서 학습시킨 Sequential(Linear, Tanh, Linear)이어야 합니다.")


def _or_answer() -> dict[str, Any]:
    return {"model": _xor_model(2, 1, epochs=300), "table": [0, 1, 1, 1]}


@exercise("xor-truth-table", solution="""
with nl.no_grad():
    table = (model(X) > 0).int().reshape(-1).tolist()
""", wrong=_or_answer)
def xor_truth_table(model: Any, table: Any) -> None:
    _model_or_wrong(model)
    try:
        answer = [int(v) for v in np.asarray(table).reshape(-1)]
    except (TypeError, ValueError):
        raise Wrong("table should be a list of four 0s and 1s.",
                    "table은 0과 1 네 개로 된 리스트여야 합니다.") from None
    if answer == [0, 1, 1, 1]:
        raise Wrong("That is OR. XOR is 0 when both inputs are 1.",
                    "그것은 OR입니다. XOR은 두 입력이 모두 1이면 0입니다.")
    if answer != _predictions(model):
        raise Wrong("table should be the model's own predictions: a score above 0 means 1.",
                    "table은 모델 자신의 예측이어야 합니다. 점수가 0보다 크면 1입니다.")
    if answer != XOR_TABLE:
        raise Wrong("These are the model's predictions, but they are not XOR: train a model "
                    "that solves it (another seed).",
                    "모델의 예측은 맞지만 XOR이 아닙니다. XOR을 푸는 모델을 학습시키세요 "
                    "(다른 시드).")


def _pre_activation() -> dict[str, Any]:
    import neuralab as nl

    model = _xor_model(2, 1, epochs=300)
    with nl.no_grad():
        h = model[0](nl.tensor([[1.0, 0.0]])).reshape(-1).numpy()
    return {"model": model, "h": h}


@exercise("hidden-coordinates", solution="""
with nl.no_grad():
    h = nl.tanh(model[0](nl.tensor([[1.0, 0.0]]))).reshape(-1).numpy()
""", wrong=_pre_activation)
def hidden_coordinates(model: Any, h: Any) -> None:
    import neuralab as nl

    _model_or_wrong(model)
    try:
        answer = np.asarray(h, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise Wrong("h should be the hidden nodes' outputs, as numbers.",
                    "h는 은닉 노드들의 출력, 즉 숫자여야 합니다.") from None
    with nl.no_grad():
        before = model[0](nl.tensor([[1.0, 0.0]])).reshape(-1).numpy()
    after = np.tanh(before)
    if answer.shape != after.shape:
        raise Wrong(f"h should hold {after.size} numbers, one per hidden node.",
                    f"h에는 은닉 노드마다 하나씩 숫자 {after.size}개가 있어야 합니다.")
    if np.allclose(answer, before, atol=1e-4) and not np.allclose(before, after, atol=1e-4):
        raise Wrong("Almost: that is x @ W₁ + b₁; the hidden nodes pass it through the tanh.",
                    "거의 맞았습니다. 그것은 x @ W₁ + b₁입니다. 은닉 노드는 이 값을 tanh에 "
                    "통과시킵니다.")
    if not np.allclose(answer, after, atol=1e-4):
        raise Wrong("h = tanh(x @ W₁ + b₁) for x = (1, 0): model[0], then the tanh.",
                    "x = (1, 0)에 대해 h = tanh(x @ W₁ + b₁)입니다. model[0] 다음에 tanh입니다.")


@exercise("smallest-hidden", solution="""
smallest = next(hidden for hidden in range(1, 9)
                if all(solves(train_xor(hidden, seed)[0]) for seed in range(5)))
""", wrong={"smallest": 2})
def smallest_hidden(smallest: Any) -> None:
    size = whole(smallest, "smallest")
    if size < 1:
        raise Wrong("smallest should be a whole number of hidden nodes, at least 1.",
                    "smallest에는 1 이상의 정수를 넣으세요.")
    if size > 16:
        raise Wrong("Far fewer hidden nodes are enough: try the sizes from 1 up.",
                    "은닉 노드가 훨씬 적어도 충분합니다. 1부터 차례로 해 보세요.")
    failed = [seed for seed in SEEDS if not _solves(_xor_model(size, seed))]
    if failed:
        raise Wrong(f"With {size} hidden nodes, seed {failed[0]} does not solve XOR.",
                    f"은닉 노드 {size}개로는 시드 {failed[0]}이(가) XOR을 풀지 못합니다.")
    if size > 1 and all(_solves(_xor_model(size - 1, seed)) for seed in SEEDS):
        raise Wrong(f"{size} hidden nodes work, but so do {size - 1}: find the smallest.",
                    f"은닉 노드 {size}개로 되지만 {size - 1}개로도 됩니다. 가장 작은 값을 "
                    "찾으세요.")
