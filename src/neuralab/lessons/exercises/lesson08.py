"""Lesson 8, vanishing gradients (S17, S18, S6): sigmoid's 0.25ᵏ bound, counting dead ReLU
units, the activation that keeps the first layer's gradient."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..checking import Wrong, exercise

ACTIVATION_KEYS = ("sigmoid", "tanh", "relu", "leaky_relu")


# --------------------------------------------------------------------------- sigmoid-bound
@exercise("sigmoid-bound", solution="""
bound_6 = 0.25 ** 6
k_million = next(k for k in range(1, 100) if 0.25 ** k < 1e-6)
""", wrong={"bound_6": 0.25 * 6, "k_million": 9})
def sigmoid_bound(bound_6: Any, k_million: Any) -> None:
    """0.25⁶ and the smallest k with 0.25ᵏ < 10⁻⁶ (k = 10: 0.25⁹ ≈ 3.8e-6, 0.25¹⁰ ≈ 9.5e-7)."""
    try:
        bound = float(bound_6)
    except (TypeError, ValueError):
        raise Wrong(en="bound_6 should be a number", ko="bound_6은 숫자여야 합니다") from None
    if not math.isclose(bound, 0.25 ** 6, rel_tol=1e-6):
        hint = (" (0.25 × 6 adds the factors; the chain rule multiplies them)"
                if math.isclose(bound, 1.5) else "")
        hint_ko = (" (0.25 × 6 은 인수를 더한 것입니다. 연쇄 법칙은 곱합니다)"
                   if math.isclose(bound, 1.5) else "")
        raise Wrong(en=f"bound_6 = {bound:.6g} is not right: six factors of at most 0.25, "
                       f"multiplied{hint}.",
                    ko=f"bound_6 = {bound:.6g} 은(는) 틀렸습니다. 최대 0.25인 인수 여섯 개를 "
                       f"곱해야 합니다{hint_ko}.")
    if isinstance(k_million, bool) or not isinstance(k_million, (int, np.integer)):
        raise Wrong(en="k_million should be a whole number of layers",
                    ko="k_million은 층의 개수, 즉 정수여야 합니다")
    k = int(k_million)
    if k != 10:
        raise Wrong(en=f"With k = {k}: 0.25^k = {0.25 ** k:.2e}. Find the smallest k with "
                       f"0.25^k < 1e-6.",
                    ko=f"k = {k} 이면 0.25^k = {0.25 ** k:.2e} 입니다. 0.25^k < 1e-6 이 되는 "
                       f"가장 작은 k를 찾으세요.")


# ----------------------------------------------------------------------------- count-dead
def count_dead_units(model: Any, inputs: Any) -> int:
    """Hidden units of ``model[0]`` (then a ReLU) whose output is 0 for every row of inputs."""
    from ... import no_grad, tensor

    with no_grad():
        hidden = model[1](model[0](tensor(np.asarray(inputs, dtype=np.float32)))).numpy()
    return int(np.all(hidden == 0, axis=0).sum())


def _dead_example() -> dict[str, Any]:
    """The lesson's network, answered with the number of biases set (5), not of dead units."""
    from ... import manual_seed, nn, no_grad

    manual_seed(7)
    net = nn.Sequential(nn.Linear(5, 12), nn.ReLU(), nn.Linear(12, 3))
    with no_grad():
        net[0].bias[[2, 5, 9]] = -4.0
        net[0].bias[[0, 7]] = -1.5
    inputs = np.random.default_rng(7).standard_normal((200, 5)).astype(np.float32)
    wrong = 5 if count_dead_units(net, inputs) != 5 else -1
    return {"model": net, "inputs": inputs, "dead": wrong}


@exercise("count-dead", solution="""
with nl.no_grad():
    hidden = net[1](net[0](nl.tensor(inputs))).numpy()  # (200 inputs, 12 units)
dead = int(np.all(hidden == 0, axis=0).sum())
""", wrong=_dead_example)
def count_dead(model: Any, inputs: Any, dead: Any) -> None:
    """The number of hidden units whose ReLU is 0 for every input."""
    if isinstance(dead, bool) or not isinstance(dead, (int, np.integer)):
        raise Wrong(en="dead should be a whole number (use int(...))",
                    ko="dead는 정수여야 합니다 (int(...)를 쓰세요)")
    expected = count_dead_units(model, inputs)
    if int(dead) == expected:
        return
    hidden_size = model[0].out_features
    if int(dead) > hidden_size:
        raise Wrong(en=f"There are only {hidden_size} hidden units; count units (columns), "
                       f"not zero outputs.",
                    ko=f"은닉 유닛은 {hidden_size}개뿐입니다. 0인 출력의 개수가 아니라 유닛(열)의 "
                       f"개수를 세세요.")
    raise Wrong(en=f"{int(dead)} is not it. Compute the hidden outputs for all inputs (shape: "
                   f"inputs × units) and count the columns that are 0 in every row: a "
                   f"negative bias does not always kill a unit.",
                ko=f"{int(dead)}은(는) 아닙니다. 모든 입력에 대한 은닉층 출력(모양: 입력 수 × "
                   f"유닛 수)을 구하고, 모든 행에서 0인 열의 개수를 세세요. 편향이 음수라고 "
                   f"유닛이 꼭 죽는 것은 아닙니다.")


# ------------------------------------------------------------------ largest-first-gradient
_RATIOS_EXAMPLE = {"sigmoid": 3.7e-7, "tanh": 0.94, "relu": 1.10, "leaky_relu": 1.07}


@exercise("largest-first-gradient", solution="""
answer = max(ratios, key=ratios.get)
""", wrong={"answer": "sigmoid", "ratios": _RATIOS_EXAMPLE})
def largest_first_gradient(answer: Any, ratios: Any) -> None:
    """The activation whose first-layer/output-layer gradient ratio is largest."""
    if answer not in ACTIVATION_KEYS:
        raise Wrong(en=f"Answer with one of {', '.join(ACTIVATION_KEYS)} (a string), got "
                       f"{answer!r}",
                    ko=f"{', '.join(ACTIVATION_KEYS)} 중 하나(문자열)로 답하세요. 받은 값: "
                       f"{answer!r}")
    values = {key: float(ratios[key]) for key in ACTIVATION_KEYS}
    best = max(values, key=values.get)
    if answer == best:
        return
    if answer == "sigmoid":
        raise Wrong(en="Sigmoid's first layer gets the smallest gradient of all: that is the "
                       "vanishing gradient. Look at the first/output column.",
                    ko="시그모이드의 첫 층은 기울기가 가장 작습니다. 바로 기울기 소실입니다. "
                       "'첫 층/출력층' 열을 보세요.")
    raise Wrong(en=f"Close, but {answer}'s ratio is {values[answer]:.3g}; another activation's "
                   f"is larger. Compare the first/output column.",
                ko=f"비슷하지만 {answer}의 비는 {values[answer]:.3g} 이고, 이보다 큰 활성화 함수가 "
                   f"있습니다. '첫 층/출력층' 열을 비교하세요.")
