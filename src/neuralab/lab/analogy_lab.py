"""neuron > brain > intelligence ≈ perceptron > neural network > AI (S12): an analogy, given as
context, with the arithmetic the lab shows in its place."""

from __future__ import annotations

from dataclasses import dataclass

from .. import nn
from ..random import manual_seed
from .registry import ExperimentResult, Finding, experiment

# Order-of-magnitude figures for a human brain: ~86 billion neurons (Azevedo et al. 2009) and
# ~10^14 synapses (estimates range 10^14–10^15).
BRAIN_NEURONS = 8.6e10
BRAIN_SYNAPSES = 1e14


@dataclass
class AnalogyResult(ExperimentResult):
    """Sizes of the lab's perceptron and digits MLP next to a brain's."""

    perceptron_inputs: int
    perceptron_params: int  # weights + bias
    mlp_layers: list[int]
    mlp_units: int  # hidden + output units ("neurons")
    mlp_params: int
    brain_neurons: float = BRAIN_NEURONS
    brain_synapses: float = BRAIN_SYNAPSES

    def findings(self) -> list[Finding]:
        layers = "-".join(str(v) for v in self.mlp_layers)
        ratio = self.brain_synapses / self.mlp_params
        return [Finding(
            "S12", "context",
            f"An analogy, not a testable claim: a perceptron is loosely modelled on a neuron "
            f"(weighted inputs like synapses, a threshold like firing), a network on a brain, and "
            f"AI is what they are built for. What the lab shows in its place is arithmetic: a "
            f"perceptron with {self.perceptron_inputs} inputs is {self.perceptron_params} numbers, "
            f"a weighted sum plus a bias passed through a step (S1); a network is matrix products "
            f"(S8) — the {layers} digits MLP used in these experiments has {self.mlp_units} units "
            f"and {self.mlp_params:,} parameters; learning is gradient descent on a loss (S16). "
            f"Real neurons spike in time, each with thousands of synapses, and are not known to "
            f"learn by backpropagation; a human brain has about {self.brain_neurons:.1e} neurons "
            f"and on the order of {self.brain_synapses:.0e} synapses, about {ratio:.0e} times the "
            f"MLP's parameters. Read the analogy as history and motivation, not as a description "
            f"of how either works.",
            f"검증할 수 있는 주장이 아니라 비유다: 퍼셉트론은 뉴런을 느슨하게 본떴고(시냅스처럼 "
            f"가중치가 곱해진 입력, 발화처럼 역치), 신경망은 뇌를, 인공지능은 그것들로 만들려는 "
            f"목표를 가리킨다. 이 실험실이 대신 보여 주는 것은 계산이다: 입력 "
            f"{self.perceptron_inputs}개의 퍼셉트론은 숫자 {self.perceptron_params}개, 즉 가중합에 "
            f"편향을 더해 계단 함수에 넣는 것이다(S1). 신경망은 행렬 곱이다(S8) — 이 실험들에서 "
            f"쓰는 {layers} digits MLP는 유닛 {self.mlp_units}개, 파라미터 "
            f"{self.mlp_params:,}개다. 학습은 손실에 대한 경사 하강법이다(S16). 실제 뉴런은 시간에 "
            f"따라 스파이크를 내고 각각 수천 개의 시냅스를 가지며, 역전파로 배운다고 알려져 있지 "
            f"않다. 사람의 뇌에는 뉴런이 약 {self.brain_neurons:.1e}개, 시냅스가 "
            f"{self.brain_synapses:.0e}개 정도 있어 이 MLP 파라미터의 약 {ratio:.0e}배다. 이 비유는 "
            f"역사와 동기로 읽고, 둘 중 어느 것의 작동 방식에 대한 설명으로 읽지 않는 것이 좋다.",
        )]


@experiment("analogy", claims=("S12",),
            title_en="Neuron, brain, intelligence: an analogy",
            title_ko="뉴런, 뇌, 지능: 비유")
def run_analogy(quick: bool = False) -> AnalogyResult:
    """Count the parameters of a 2-input perceptron and of the lab's digits MLP."""
    manual_seed(0)
    perceptron = nn.Linear(2, 1)  # weights and bias; the step is applied after
    layers = [64, 64, 10]
    mlp = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    return AnalogyResult(perceptron_inputs=2, perceptron_params=perceptron.num_parameters(),
                         mlp_layers=layers, mlp_units=sum(layers[1:]),
                         mlp_params=mlp.num_parameters())
