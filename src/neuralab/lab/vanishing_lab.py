"""Vanishing gradients in deep sigmoid nets, and ReLU's fix (claims S17, S18).

Backpropagation through hidden layer l multiplies the signal by f′(z_l) and W_lᵀ:

  ∂L/∂h_{l−1} = W_lᵀ (f′(z_l) ⊙ ∂L/∂h_l),    ∂L/∂W_l = (f′(z_l) ⊙ ∂L/∂h_l) h_{l−1}ᵀ

With sigmoid, f′ ≤ 0.25 at every layer, so ‖∂L/∂W_1‖ shrinks roughly geometrically with depth;
with ReLU f′ is exactly 1 on the active units and He initialisation keeps the scale steady.

Nets: digits (64 inputs) → depth × [Linear(32) → activation] → Linear(10), each activation at
its usual initialisation — Xavier-uniform for sigmoid (gain 1) and tanh (gain 5/3),
He-uniform for ReLU and Leaky ReLU, zero biases (not PyTorch's default Linear init: each
activation gets its best-suited start, so sigmoid's failure is not the init's fault). Gradient
norms are of the cross-entropy on the whole training set; "first/last ratio" is
‖∂L/∂W_1‖ / ‖∂L/∂W_out‖ (first hidden layer over the output layer). Training is SGD (lr 0.01,
momentum 0.9, batch 32).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import nn, optim
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from ._classify import accuracy, build_mlp, flat_digits, train_epoch
from .probes import gradient_norms, linear_layers
from .registry import ExperimentResult, Finding, experiment

ACTS = ("sigmoid", "tanh", "relu", "leaky_relu")
LABELS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU", "leaky_relu": "Leaky ReLU"}
COLORS = {"sigmoid": "C0", "tanh": "C2", "relu": "C3", "leaky_relu": "C1"}
STYLES = {"sigmoid": "o-", "tanh": "o-", "relu": "o-", "leaky_relu": "s--"}  # Leaky ≈ ReLU
DEPTHS = (2, 5, 10, 20)
TRAIN_DEPTH = 10
WIDTH = 32
LR, MOMENTUM, BATCH = 0.01, 0.9, 32
CHANCE = 0.1
FIG_LAYERS = "vanishing_grad_norm_per_layer.png"
FIG_DEPTH = "vanishing_ratio_vs_depth.png"
FIG_TRAIN = "vanishing_deep_training.png"


@dataclass
class VanishingResult(ExperimentResult):
    """Gradient norms per layer and depth, and the training of the 10-layer nets."""

    depths: list[int]
    width: int
    seeds: list[int]
    init: str
    # activation → depth (as str) → ‖∂L/∂W_first‖ / ‖∂L/∂W_last‖ at init (median over seeds)
    ratio_at_init: dict[str, dict[str, float]]
    # activation → per-Linear-layer gradient norms of the TRAIN_DEPTH net (first layer first)
    grad_norms_init: dict[str, list[float]]
    grad_norms_trained: dict[str, list[float]]
    ratio_trained: dict[str, float]
    # activation → per-layer ‖W_after − W_init‖ / ‖W_init‖ over training
    relative_weight_change: dict[str, list[float]]
    epochs: int
    test_accuracy: dict[str, list[float]]  # per epoch, epoch 0 = before training
    # epoch 0: full-training-set loss at init; then the mean batch loss of each epoch
    train_loss: dict[str, list[float]] = field(repr=False)

    def final_accuracy(self, act: str) -> float:
        return self.test_accuracy[act][-1]

    def sigmoid_factor_per_layer(self) -> float:
        """Geometric mean shrink of the sigmoid ratio per added layer, from the shallowest to
        the deepest net: (r_deep / r_shallow)^(1 / (deep − shallow))."""
        lo, hi = min(self.depths), max(self.depths)
        r = self.ratio_at_init["sigmoid"]
        return float((r[str(hi)] / r[str(lo)]) ** (1 / (hi - lo)))

    def ratio_range(self, act: str) -> tuple[float, float]:
        values = self.ratio_at_init[act].values()
        return min(values), max(values)

    def findings(self) -> list[Finding]:
        d = str(TRAIN_DEPTH)
        sig = self.ratio_at_init["sigmoid"]
        seq = ", ".join(f"{k} layers {v:.1e}" for k, v in sig.items())
        seq_ko = ", ".join(f"{k}층 {v:.1e}" for k, v in sig.items())
        factor = self.sigmoid_factor_per_layer()
        relu_range = self.ratio_range("relu")
        others = ", ".join(f"{LABELS[a]} {lo:.2f}–{hi:.2f}"
                           for a in ("tanh", "leaky_relu") for lo, hi in [self.ratio_range(a)])
        acc = {a: self.final_accuracy(a) for a in ACTS}
        change = self.relative_weight_change
        return [
            Finding(
                "S17", "confirmed",
                f"Sigmoid nets (Xavier init): first-/last-layer weight-gradient norm ratio "
                f"{seq}; it falls by orders of magnitude with depth, by ≈ ×{factor:.2f} per added "
                f"layer (σ′ ≤ 0.25). After {self.epochs} epochs "
                f"of SGD the {d}-layer sigmoid net's ratio is still "
                f"{self.ratio_trained['sigmoid']:.1e}, its first layer moved by "
                f"{change['sigmoid'][0]:.1e} of its size (last: {change['sigmoid'][-1]:.1e}) "
                f"and its test accuracy is {acc['sigmoid']:.1%} — chance is {CHANCE:.0%}: the "
                f"early layers do not learn and the net as a whole fails.",
                f"시그모이드 신경망(Xavier 초기화)에서 첫 층/마지막 층 가중치 기울기 노름의 비는 "
                f"{seq_ko} 로, 깊어질수록 몇 자릿수씩, 층 하나당 약 ×{factor:.2f} 씩 줄어든다 "
                f"(σ′ ≤ 0.25). SGD로 "
                f"{self.epochs} 에폭 학습한 뒤에도 {d}층 시그모이드 신경망의 비는 "
                f"{self.ratio_trained['sigmoid']:.1e} 이고, 첫 층 가중치는 크기의 "
                f"{change['sigmoid'][0]:.1e} 만큼만 변했으며(마지막 층 {change['sigmoid'][-1]:.1e}), "
                f"테스트 정확도는 {acc['sigmoid']:.1%} (무작위 {CHANCE:.0%}) 이다. 앞쪽 층이 "
                f"학습하지 못해 신경망 전체가 실패한다.",
                (FIG_DEPTH, FIG_LAYERS, FIG_TRAIN)),
            Finding(
                "S18", "confirmed",
                f"ReLU nets (He init): the ratio stays between {relu_range[0]:.2f} and "
                f"{relu_range[1]:.2f} from {min(self.depths)} to {max(self.depths)} layers "
                f"(alike: {others}), and the {d}-layer ReLU net reaches "
                f"{acc['relu']:.1%} test accuracy in {self.epochs} epochs (Leaky ReLU "
                f"{acc['leaky_relu']:.1%}, tanh {acc['tanh']:.1%}; sigmoid "
                f"{acc['sigmoid']:.1%}). Its first layer moved by {change['relu'][0]:.2f} of "
                f"its size. The weakness (no gradient for inputs ≤ 0) is measured by "
                f"'dead-relu'.",
                f"ReLU 신경망(He 초기화)에서는 이 비가 {min(self.depths)}층부터 "
                f"{max(self.depths)}층까지 {relu_range[0]:.2f}~{relu_range[1]:.2f} 사이에 머문다 "
                f"(비슷하게 {others}). {d}층 ReLU 신경망은 {self.epochs} 에폭 만에 테스트 "
                f"정확도 {acc['relu']:.1%} 에 이른다 (Leaky ReLU {acc['leaky_relu']:.1%}, tanh "
                f"{acc['tanh']:.1%}, 시그모이드 {acc['sigmoid']:.1%}). 첫 층 가중치도 크기의 "
                f"{change['relu'][0]:.2f} 만큼 변했다. 약점(0 이하 입력에서 기울기 없음)은 "
                f"'dead-relu' 실험에서 측정한다.",
                (FIG_DEPTH, FIG_LAYERS, FIG_TRAIN)),
        ]

    def draw(self, out_dir: Path) -> list[Path]:
        from ..plot import _pyplot, save_figure

        plt = _pyplot()
        out_dir = Path(out_dir)
        paths = []

        fig, axes = plt.subplots(1, 2, figsize=(12, 4.4), sharey=True)
        for ax, norms, when in ((axes[0], self.grad_norms_init, "at initialisation"),
                                (axes[1], self.grad_norms_trained,
                                 f"after {self.epochs} epochs")):
            for act in ACTS:
                layers = np.arange(1, len(norms[act]) + 1)
                ax.semilogy(layers, norms[act], STYLES[act], color=COLORS[act],
                            label=LABELS[act], mfc="none" if act == "leaky_relu" else None)
            ax.set(xlabel="Linear layer (1 = first, nearest the input)",
                   title=f"{TRAIN_DEPTH} hidden layers, {when}")
            ax.grid(alpha=0.3, which="both")
        axes[0].set_ylabel("‖∂L/∂W‖ (log scale)")
        axes[0].legend()
        fig.suptitle("Weight-gradient norm per layer: sigmoid's vanish towards the input")
        paths.append(save_figure(fig, out_dir / FIG_LAYERS))

        fig, ax = plt.subplots(figsize=(6.5, 4.4))
        for act in ACTS:
            ratios = [self.ratio_at_init[act][str(d)] for d in self.depths]
            ax.semilogy(self.depths, ratios, STYLES[act], color=COLORS[act],
                            label=LABELS[act], mfc="none" if act == "leaky_relu" else None)
        ax.axhline(1, color="0.5", lw=0.8)
        ax.set(xlabel="hidden layers", ylabel="‖∂L/∂W_first‖ / ‖∂L/∂W_last‖ (log)",
               title="Gradient reaching the first layer, relative to the last (init)")
        ax.set_xticks(self.depths)
        ax.grid(alpha=0.3, which="both")
        ax.legend()
        paths.append(save_figure(fig, out_dir / FIG_DEPTH))

        fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(12, 4.2))
        for act in ACTS:
            epochs = np.arange(len(self.test_accuracy[act]))
            ax_loss.plot(epochs, self.train_loss[act], "o-", ms=3, color=COLORS[act],
                         label=LABELS[act])
            ax_acc.plot(epochs, np.asarray(self.test_accuracy[act]) * 100, "o-", ms=3,
                        color=COLORS[act], label=LABELS[act])
        ax_acc.axhline(CHANCE * 100, color="0.4", ls="--", lw=1, label="chance")
        ax_loss.set(xlabel="epoch", ylabel="training cross-entropy", title="Loss")
        ax_acc.set(xlabel="epoch", ylabel="test accuracy (%)", title="Accuracy", ylim=(0, 100))
        for ax in (ax_loss, ax_acc):
            ax.grid(alpha=0.3)
            ax.legend()
        fig.suptitle(f"{TRAIN_DEPTH}-hidden-layer nets on digits (SGD lr {LR}, momentum "
                     f"{MOMENTUM}): sigmoid stays at chance")
        paths.append(save_figure(fig, out_dir / FIG_TRAIN))
        return paths


def _ratio(norms: list[float]) -> float:
    return norms[0] / norms[-1]


@experiment("vanishing-gradients", claims=("S17", "S18"),
            title_en="Vanishing gradients in deep sigmoid nets; ReLU keeps them",
            title_ko="깊은 시그모이드 신경망의 기울기 소실과 ReLU")
def run(quick: bool = False) -> VanishingResult:
    """Gradient norms per layer for depths 2–20 and four activations; train 10-layer nets."""
    x_train, y_train, x_test, y_test = flat_digits()
    seeds = [0] if quick else [0, 1, 2]
    epochs = 10 if quick else 30
    loss_fn = nn.CrossEntropyLoss()

    ratio_at_init: dict[str, dict[str, float]] = {}
    for act in ACTS:
        ratio_at_init[act] = {}
        for depth in DEPTHS:
            ratios = []
            for seed in seeds:
                model = build_mlp(64, [WIDTH] * depth, 10, act, np.random.default_rng(seed),
                                  init="usual")
                ratios.append(_ratio(gradient_norms(model, loss_fn, x_train, y_train)))
            ratio_at_init[act][str(depth)] = float(np.median(ratios))

    norms_init, norms_trained, ratio_trained, change = {}, {}, {}, {}
    test_acc, train_loss = {}, {}
    for act in ACTS:
        # The same seeds for every activation: same init draws, same batch order.
        model = build_mlp(64, [WIDTH] * TRAIN_DEPTH, 10, act, np.random.default_rng(0),
                          init="usual")
        start = [np.array(layer.weight._data) for layer in linear_layers(model)]
        norms_init[act] = gradient_norms(model, loss_fn, x_train, y_train)
        model.zero_grad()
        optimizer = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
        order_rng = np.random.default_rng(100)
        losses = [_full_loss(model, loss_fn, x_train, y_train)]
        accs = [accuracy(model, x_test, y_test)]
        for _ in range(epochs):
            losses.append(train_epoch(model, optimizer, x_train, y_train, BATCH, order_rng))
            accs.append(accuracy(model, x_test, y_test))
        norms_trained[act] = gradient_norms(model, loss_fn, x_train, y_train)
        model.zero_grad()
        ratio_trained[act] = _ratio(norms_trained[act])
        change[act] = [float(np.linalg.norm(layer.weight._data - w0) / np.linalg.norm(w0))
                       for layer, w0 in zip(linear_layers(model), start)]
        test_acc[act], train_loss[act] = accs, losses
    return VanishingResult(
        depths=list(DEPTHS), width=WIDTH, seeds=seeds,
        init="Xavier-uniform (sigmoid gain 1, tanh 5/3); He-uniform (ReLU, Leaky ReLU); "
             "zero biases",
        ratio_at_init=ratio_at_init, grad_norms_init=norms_init,
        grad_norms_trained=norms_trained, ratio_trained=ratio_trained,
        relative_weight_change=change, epochs=epochs, test_accuracy=test_acc,
        train_loss=train_loss)


def _full_loss(model: nn.Module, loss_fn: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy over all of (x, y), without a graph."""
    with no_grad():
        return float(loss_fn(model(Tensor(x)), Tensor(y)).item())
