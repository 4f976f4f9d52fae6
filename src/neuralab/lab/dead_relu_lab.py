"""Dead ReLUs, Leaky ReLU's leak, and sparsity (claims S6, S7, S18's weakness).

A hidden unit j with pre-activation z_j = w_j·x + b_j is *dead* on a data set when z_j(x) ≤ 0
for every x in it. For ReLU its output is then 0 for every input and, as ReLU′(z) = 0 for
z ≤ 0, so is its gradient: ∂L/∂w_j = Σ_x δ_j(x)·ReLU′(z_j(x))·x = 0. Nothing but Adam's
leftover momentum moves w_j or b_j again (only a change in the layers below can revive it). For Leaky ReLU (slope 0.01 below 0)
the same unit outputs 0.01·z_j ≠ 0 and gets 0.01 × the gradient: it is 'never positive' but
still learning.

Setting: digits → Linear(128) → act → Linear(128) → act → Linear(10), PyTorch's default Linear
init (U(±1/√fan_in)); Adam, batch 32, at a normal learning rate (0.001) and a too-high one
(0.03, found to kill about half of the ReLU units robustly over seeds). ReLU and Leaky ReLU nets
start from the same weights and see the same batches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import nn, optim
from ._classify import LEAK, accuracy, build_mlp, flat_digits, train_epoch
from .probes import dead_unit_masks, gradient_norms, hidden_activations, linear_layers
from .registry import ExperimentResult, Finding, experiment

HIDDEN = (128, 128)
LRS = {"normal": 0.001, "high": 0.03}
ACTS = ("relu", "leaky_relu")
SETTINGS = tuple(f"{act}/{rate}" for act in ACTS for rate in LRS)
LABELS = {"relu": "ReLU", "leaky_relu": f"Leaky ReLU ({LEAK})"}
BATCH = 32
FIG_DEAD = "dead_units_over_epochs.png"
FIG_SPARSITY = "activation_sparsity.png"


def _label(setting: str) -> str:
    act, rate = setting.split("/")
    return f"{LABELS[act]}, Adam lr {LRS[rate]:g}"


@dataclass
class DeadReluResult(ExperimentResult):
    """Per setting ('relu/normal', 'relu/high', 'leaky_relu/normal', 'leaky_relu/high'), lists
    hold one value per seed; dead fractions are over all 256 hidden units."""

    seeds: list[int]
    epochs: int
    n_train: int
    learning_rates: dict[str, float]
    # setting → seed → dead ('never positive' on the training set) fraction per epoch (0 = init)
    dead_over_epochs: dict[str, list[list[float]]] = field(repr=False)
    zero_output_dead: dict[str, list[float]]  # units whose OUTPUT is 0 for every input, at end
    exact_zero_share: dict[str, list[float]]  # outputs exactly 0, share per input, at end
    non_positive_share: dict[str, list[float]]  # pre-activations ≤ 0 (unit 'off'), at end
    dead_grad_max: dict[str, list[float]]  # max ‖∂L/∂w_j‖ over dead units j, at end
    dead_grad_mean: dict[str, list[float]]  # mean ‖∂L/∂w_j‖ over dead units j
    alive_grad_mean: dict[str, list[float]]  # mean ‖∂L/∂w_j‖ over the other units
    # units dead at every epoch of the second half: median ‖Δw_j‖/‖w_j‖ over that half, and
    # the share of them whose weights did not change at all
    dead_weight_change: dict[str, list[float]]
    dead_unchanged: dict[str, list[float]]
    revived: dict[str, list[float]]  # share of units dead at the midpoint alive at the end
    test_accuracy: dict[str, list[float]]

    def mean(self, what: str, setting: str) -> float:
        """Seed mean of a per-setting list field; 'dead' is the final dead fraction."""
        if what == "dead":
            return float(np.mean([run[-1] for run in self.dead_over_epochs[setting]]))
        return float(np.nanmean(getattr(self, what)[setting]))

    def findings(self) -> list[Finding]:
        m = self.mean
        hi, lo = LRS["high"], LRS["normal"]
        seeds = f"{len(self.seeds)} seed{'s' if len(self.seeds) > 1 else ''}"
        dr, dl = m("dead", "relu/high"), m("dead", "leaky_relu/high")
        nr, nl = m("dead", "relu/normal"), m("dead", "leaky_relu/normal")
        init = float(np.mean([run[0] for run in self.dead_over_epochs["relu/high"]]))
        g_relu = max(max(v) for v in (self.dead_grad_max["relu/high"],
                                      self.dead_grad_max["relu/normal"]))
        g_leak, g_alive = m("dead_grad_mean", "leaky_relu/high"), m("alive_grad_mean",
                                                                      "leaky_relu/high")
        w_relu, w_leak = m("dead_weight_change", "relu/high"), m("dead_weight_change",
                                                                 "leaky_relu/high")
        u_relu = m("dead_unchanged", "relu/high")
        rv_relu, rv_leak = m("revived", "relu/high"), m("revived", "leaky_relu/high")
        zr, zl = m("exact_zero_share", "relu/normal"), m("exact_zero_share", "leaky_relu/normal")
        off_l = m("non_positive_share", "leaky_relu/normal")
        acc = {s: m("test_accuracy", s) for s in SETTINGS}
        return [
            Finding(
                "S6", "confirmed",
                f"After {self.epochs} epochs at the too-high Adam lr {hi:g} ({seeds}), "
                f"{dr:.0%} of the ReLU hidden units are dead: they output 0 for all "
                f"{self.n_train:,} training images (at init {init:.0%}; at lr {lo:g}: {nr:.0%}). "
                f"Their weight gradient is exactly {g_relu:g}, so nothing moves them: units dead "
                f"through the second half changed by a median of {w_relu:.2g} × their size "
                f"({u_relu:.0%} not at all; the rest through Adam's leftover momentum or while "
                f"briefly alive between the per-epoch checks), and {rv_relu:.0%} of the units dead at "
                f"mid-training came back. With Leaky ReLU only {dl:.0%} (lr {lo:g}: {nl:.0%}) "
                f"are never positive, and those still learn: weight gradient mean norm "
                f"{g_leak:.1e} (other units {g_alive:.1e}), median change {w_leak:.2f} × their "
                f"size, {rv_leak:.0%} revived.",
                f"너무 큰 Adam 학습률 {hi:g} 로 {self.epochs} 에폭 학습하면 ({len(self.seeds)}개 "
                f"시드) ReLU 은닉 유닛의 {dr:.0%} 가 죽는다: 훈련 이미지 {self.n_train:,}장 모두에 "
                f"대해 0을 출력한다 (초기 {init:.0%}, 학습률 {lo:g} 에서는 {nr:.0%}). 이 유닛들의 "
                f"가중치 기울기는 정확히 {g_relu:g} 이라 아무것도 이들을 움직이지 못한다: 후반부 "
                f"내내 죽어 있던 유닛의 가중치 변화는 중앙값 {w_relu:.2g} ({u_relu:.0%} 는 전혀 "
                f"변하지 않음; 나머지는 Adam의 남은 관성 때문이거나 에폭 사이 잠시 살아났기 때문)이고, 학습 중반에 "
                f"죽은 유닛 중 {rv_relu:.0%} 만 되살아났다. Leaky ReLU는 {dl:.0%} (학습률 "
                f"{lo:g}: {nl:.0%}) 만 한 번도 양수가 되지 않으며, 이 유닛들도 계속 학습한다: "
                f"가중치 기울기 평균 노름 {g_leak:.1e} (나머지 유닛 {g_alive:.1e}), 가중치 변화 "
                f"중앙값 {w_leak:.2f}, {rv_leak:.0%} 가 되살아났다.",
                (FIG_DEAD,)),
            Finding(
                "S7", "confirmed",
                f"The rest of S7 holds (its sign error is corrected by 'activations'). Sparsity: "
                f"at lr {lo:g} a ReLU layer outputs exactly 0 for {zr:.0%} of its units per "
                f"input, Leaky ReLU for {zl:.0%}: its {off_l:.0%} of outputs with "
                f"pre-activation ≤ 0 carry small negative values (0.01·z) instead. Dead "
                f"neurons: Leaky ReLU leaves {dl:.0%} never-positive units vs ReLU's {dr:.0%} "
                f"dead at lr {hi:g}. Which is better depends: "
                f"test accuracy ReLU {acc['relu/normal']:.1%} / {acc['relu/high']:.1%}, Leaky "
                f"{acc['leaky_relu/normal']:.1%} / {acc['leaky_relu/high']:.1%} (lr {lo:g} / "
                f"{hi:g}).",
                f"S7의 나머지는 맞다 (부호 오류는 'activations' 실험에서 바로잡는다). 희소성: 학습률 "
                f"{lo:g} 에서 ReLU 층은 입력 하나당 유닛의 {zr:.0%} 가 정확히 0을 출력하지만 "
                f"Leaky ReLU는 {zl:.0%} 다: 사전 활성값이 0 이하인 {off_l:.0%} 의 출력이 0 "
                f"대신 작은 음수(0.01·z)를 전달한다. 죽은 뉴런: 학습률 {hi:g} 에서 ReLU는 "
                f"{dr:.0%} 가 죽지만 Leaky ReLU는 "
                f"{dl:.0%} 만 한 번도 양수가 되지 않는다. 어느 쪽이 좋은지는 상황에 따라 다르다: "
                f"테스트 정확도 ReLU {acc['relu/normal']:.1%} / {acc['relu/high']:.1%}, Leaky "
                f"{acc['leaky_relu/normal']:.1%} / {acc['leaky_relu/high']:.1%} (학습률 {lo:g} / "
                f"{hi:g}).",
                (FIG_SPARSITY, FIG_DEAD)),
            Finding(
                "S18", "confirmed",
                f"ReLU's weakness is real: a unit whose input is ≤ 0 for every example gets a "
                f"weight gradient of exactly {g_relu:g}; at Adam lr {hi:g} that is {dr:.0%} of "
                f"the hidden units, lost for good.",
                f"ReLU의 약점은 실제로 나타난다: 모든 예제에서 입력이 0 이하인 유닛의 가중치 "
                f"기울기는 정확히 {g_relu:g} 이다. Adam 학습률 {hi:g} 에서는 은닉 유닛의 {dr:.0%} "
                f"가 이렇게 영영 사라진다.",
                (FIG_DEAD,)),
        ]

    def draw(self, out_dir: Path) -> list[Path]:
        from ..plot import _pyplot, save_figure

        plt = _pyplot()
        out_dir = Path(out_dir)
        colors = {"relu": "C3", "leaky_relu": "C1"}
        styles = {"normal": "--", "high": "-"}
        paths = []

        fig, ax = plt.subplots(figsize=(7.5, 4.5))
        for setting in SETTINGS:
            act, rate = setting.split("/")
            runs = np.asarray(self.dead_over_epochs[setting]) * 100
            epochs = np.arange(runs.shape[1])
            ax.plot(epochs, runs.mean(axis=0), styles[rate], marker="o", ms=3,
                    color=colors[act], label=_label(setting))
            if len(runs) > 1:
                ax.fill_between(epochs, runs.min(axis=0), runs.max(axis=0), color=colors[act],
                                alpha=0.15)
        ax.set(xlabel="epoch", ylabel="hidden units never positive on the training set (%)",
               title="Dead units: ReLU (output always 0) vs Leaky ReLU (never positive)",
               ylim=(0, 100))
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
        paths.append(save_figure(fig, out_dir / FIG_DEAD))

        fig, ax = plt.subplots(figsize=(7.5, 4.3))
        positions = np.arange(len(SETTINGS))
        zero = [self.mean("exact_zero_share", s) * 100 for s in SETTINGS]
        off = [self.mean("non_positive_share", s) * 100 for s in SETTINGS]
        ax.bar(positions - 0.2, zero, 0.4, color="C0", label="outputs exactly 0")
        ax.bar(positions + 0.2, off, 0.4, color="0.7", label="pre-activation ≤ 0 ('off')")
        for p, v in zip(positions, zero):
            ax.text(p - 0.2, v + 1, f"{v:.0f}%", ha="center", fontsize=8)
        ax.set_xticks(positions, [_label(s).replace(", ", "\n") for s in SETTINGS], fontsize=8)
        ax.set(ylabel="share of hidden outputs per input (%)", ylim=(0, 105),
               title="Sparsity: ReLU's 'off' units output exact zeros, Leaky ReLU's do not")
        ax.grid(alpha=0.3, axis="y")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
        paths.append(save_figure(fig, out_dir / FIG_SPARSITY))
        return paths


def _never_positive(model: nn.Sequential, x: np.ndarray) -> np.ndarray:
    return np.concatenate(dead_unit_masks(model, x, "never_positive"))


def _unit_grad_norms(model: nn.Sequential) -> np.ndarray:
    """‖∂L/∂w_j‖ of each hidden unit's incoming weights (rows of the Linear before it)."""
    hidden = linear_layers(model)[:-1]
    return np.concatenate([np.linalg.norm(layer.weight.grad.numpy(), axis=1) for layer in hidden])


def _unit_weights(model: nn.Sequential) -> list[np.ndarray]:
    """Copies of the hidden layers' weight matrices (row j = unit j's incoming weights)."""
    return [np.array(layer.weight._data) for layer in linear_layers(model)[:-1]]


def _relative_change(before: list[np.ndarray], after: list[np.ndarray]) -> np.ndarray:
    """‖w_j(after) − w_j(before)‖ / ‖w_j(before)‖ for every hidden unit j."""
    return np.concatenate([np.linalg.norm(a - b, axis=1) / np.linalg.norm(b, axis=1)
                           for b, a in zip(before, after)])


def _one_run(act: str, lr: float, seed: int, epochs: int, data: tuple) -> dict:
    x_train, y_train, x_test, y_test = data
    model = build_mlp(64, HIDDEN, 10, act, np.random.default_rng(seed))
    optimizer = optim.Adam(model.parameters(), lr=lr)
    order_rng = np.random.default_rng(1000 + seed)
    dead = [_never_positive(model, x_train)]
    mid = epochs // 2
    w_mid = _unit_weights(model)  # replaced at the midpoint epoch
    for epoch in range(1, epochs + 1):
        train_epoch(model, optimizer, x_train, y_train, BATCH, order_rng)
        dead.append(_never_positive(model, x_train))
        if epoch == mid:
            w_mid = _unit_weights(model)
    w_end = _unit_weights(model)
    still = np.logical_and.reduce(dead[mid:])  # dead at every check of the second half
    change = _relative_change(w_mid, w_end)
    gradient_norms(model, nn.CrossEntropyLoss(), x_train, y_train)  # full-batch gradient
    unit_grad = _unit_grad_norms(model)
    model.zero_grad()
    pairs = hidden_activations(model, x_train)
    zero_out = np.concatenate(dead_unit_masks(model, x_train, "zero_output"))
    final = dead[-1]
    nan = float("nan")
    return {
        "dead": [float(d.mean()) for d in dead],
        "zero_output_dead": float(zero_out.mean()),
        "exact_zero_share": float(np.mean([np.mean(out == 0) for _, out in pairs])),
        "non_positive_share": float(np.mean([np.mean(pre <= 0) for pre, _ in pairs])),
        "dead_grad_max": float(unit_grad[final].max()) if final.any() else nan,
        "dead_grad_mean": float(unit_grad[final].mean()) if final.any() else nan,
        "alive_grad_mean": float(unit_grad[~final].mean()) if (~final).any() else nan,
        "dead_weight_change": float(np.median(change[still])) if still.any() else nan,
        "dead_unchanged": float(np.mean(change[still] == 0)) if still.any() else nan,
        "revived": float(np.mean(~dead[-1][dead[mid]])) if dead[mid].any() else nan,
        "test_accuracy": accuracy(model, x_test, y_test),
    }


@experiment("dead-relu", claims=("S6", "S7", "S18"),
            title_en="Dead ReLU units, Leaky ReLU, and sparse activations",
            title_ko="죽은 ReLU 유닛, Leaky ReLU, 희소 활성화")
def run(quick: bool = False) -> DeadReluResult:
    """Train ReLU and Leaky ReLU MLPs on digits at a normal and a too-high learning rate."""
    data = flat_digits()
    seeds = [0] if quick else [0, 1, 2, 3, 4]
    epochs = 8 if quick else 20
    per: dict[str, dict[str, list]] = {s: {} for s in SETTINGS}
    for setting in SETTINGS:
        act, rate = setting.split("/")
        for seed in seeds:
            for key, value in _one_run(act, LRS[rate], seed, epochs, data).items():
                per[setting].setdefault(key, []).append(value)

    def field_of(key: str) -> dict[str, list]:
        return {s: per[s][key] for s in SETTINGS}

    return DeadReluResult(
        seeds=seeds, epochs=epochs, n_train=len(data[1]), learning_rates=dict(LRS),
        dead_over_epochs=field_of("dead"), zero_output_dead=field_of("zero_output_dead"),
        exact_zero_share=field_of("exact_zero_share"),
        non_positive_share=field_of("non_positive_share"),
        dead_grad_max=field_of("dead_grad_max"), dead_grad_mean=field_of("dead_grad_mean"),
        alive_grad_mean=field_of("alive_grad_mean"),
        dead_weight_change=field_of("dead_weight_change"),
        dead_unchanged=field_of("dead_unchanged"), revived=field_of("revived"),
        test_accuracy=field_of("test_accuracy"))
