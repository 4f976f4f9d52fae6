"""Lesson 8, vanishing gradients (S17, S18, S6): sigmoid's 0.25ᵏ bound, counting dead ReLU
units, the activation whose first layer keeps the smallest share of the gradient."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..checking import Wrong, exercise, whole
from ..checking import number as _number

ACTIVATION_KEYS = ("sigmoid", "tanh", "relu", "leaky_relu")


# --------------------------------------------------------------------------- sigmoid-bound
@exercise("sigmoid-bound", solution="""
bound_6 = 0.25 ** 6
k_million = next(k for k in range(1, 100) if 0.25 ** k < 1e-6)
""", wrong={"bound_6": 0.25 * 6, "k_million": 9})
def sigmoid_bound(bound_6: Any, k_million: Any) -> None:
    """0.25⁶ and the smallest k with 0.25ᵏ < 10⁻⁶ (k = 10: 0.25⁹ ≈ 3.8e-6, 0.25¹⁰ ≈ 9.5e-7)."""
    bound = _number(bound_6, "bound_6")
    if not math.isclose(bound, 0.25 ** 6, rel_tol=1e-6):
        hint = (" (0.25 × 6 adds the factors; the chain rule multiplies them)"
                if math.isclose(bound, 1.5) else "")
        hint_ko = (" (0.25 × 6은 인수를 더한 것입니다. 연쇄 법칙은 곱합니다)"
                   if math.isclose(bound, 1.5) else "")
        raise Wrong(en=f"bound_6 = {bound:.6g} is not right: six factors of at most 0.25, "
                       f"multiplied{hint}.",
                    ko=f"bound_6 = {bound:.6g}은(는) 틀렸습니다. 최대 0.25인 인수 여섯 개를 "
                       f"곱해야 합니다{hint_ko}.")
    k = whole(k_million, "k_million")
    if k != 10:
        raise Wrong(en=f"With k = {k}: 0.25^k = {0.25 ** k:.2e}. Find the smallest k with "
                       f"0.25^k < 1e-6.",
                    ko=f"k = {k}이면 0.25^k = {0.25 ** k:.2e}입니다. 0.25^k < 1e-6이 되는 "
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
    dead = whole(dead, "dead")
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


# ------------------------------------------------------------------------- sigmoid-share
_RATIOS_EXAMPLE = {"sigmoid": 3.7e-7, "tanh": 0.94, "relu": 1.10, "leaky_relu": 1.07}


def _share_example() -> dict[str, Any]:
    """The smallest ratio found, but the per-layer factor taken as ratio / depth, not its root."""
    return {"answer": "sigmoid", "per_layer": _RATIOS_EXAMPLE["sigmoid"] / 10,
            "ratios": _RATIOS_EXAMPLE, "depth": 10}


@exercise("sigmoid-share", solution="""
answer = min(ratios, key=ratios.get)
per_layer = ratios[answer] ** (1 / depth)
""", wrong=_share_example)
def sigmoid_share(answer: Any, per_layer: Any, ratios: Any, depth: Any) -> None:
    """The activation whose first layer keeps the smallest share of the output layer's gradient,
    and the factor per layer that, taken ``depth`` times, gives that share."""
    if answer not in ACTIVATION_KEYS:
        raise Wrong(en=f"Answer with one of {', '.join(ACTIVATION_KEYS)} (a string), got "
                       f"{answer!r}",
                    ko=f"{', '.join(ACTIVATION_KEYS)} 중 하나(문자열)로 답하세요. 받은 값: "
                       f"{answer!r}")
    values = {key: _number(ratios[key], f"ratios[{key!r}]") for key in ACTIVATION_KEYS}
    smallest = min(values, key=values.get)
    if answer != smallest:
        raise Wrong(en=f"{answer}'s first layer keeps {values[answer]:.3g} of the output "
                       f"layer's gradient; another activation keeps far less. Compare the "
                       f"first/output column.",
                    ko=f"{answer}의 첫 층은 출력층 기울기의 {values[answer]:.3g}배를 받습니다. "
                       f"이보다 훨씬 적게 받는 활성화 함수가 있습니다. '첫 층/출력층' 열을 "
                       f"비교하세요.")
    steps = whole(depth, "depth")
    factor = _number(per_layer, "per_layer")
    want = values[answer] ** (1 / steps)
    if not math.isclose(factor, want, rel_tol=1e-3):
        divided = math.isclose(factor, values[answer] / steps, rel_tol=1e-3)
        hint = (f" The factors multiply, not add: take the {steps}th root of the ratio, not "
                f"ratio / {steps}." if divided else "")
        hint_ko = (f" 인수는 더해지지 않고 곱해집니다. 비를 {steps}로 나누지 말고 {steps}제곱근을 "
                   f"구하세요." if divided else "")
        raise Wrong(en=f"per_layer = {factor:.3g} is not it: you want the factor f with "
                       f"f^{steps} = ratio ({steps} equal factors, multiplied).{hint}",
                    ko=f"per_layer = {factor:.3g}은(는) 틀렸습니다. f^{steps} = 비가 되는 인수 "
                       f"f를 구하세요(같은 인수 {steps}개의 곱).{hint_ko}")
