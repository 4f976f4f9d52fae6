"""The mean vs the max of a batch's errors (S11), on digits with a few mislabelled rows.

Batch loss over per-example losses ℓ₁…ℓ_B: mean = (1/B) Σ ℓᵢ (every row weighs 1/B), max = maxᵢ ℓᵢ
(only the worst row gets a gradient), sum = Σ ℓᵢ (the mean's direction, B times its length).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import nn
from ..nn import functional as F
from ..tensor import Tensor
from ._classify import (
    DIGITS_SIZES,
    BatchLoss,
    accuracy,
    flat_digits,
    log_softmax_np,
    mlp,
    predict,
    r,
    train,
)
from .registry import ExperimentResult, Finding, experiment

CLASSES = 10


def flip_labels(y: np.ndarray, rate: float, seed: int,
                classes: int = CLASSES) -> tuple[np.ndarray, np.ndarray]:
    """Give a ``rate`` share of rows a wrong label (uniform over the other classes).

    Returns the noisy labels and a boolean mask of the flipped rows.
    """
    rng = np.random.default_rng(seed)
    flipped = np.zeros(len(y), dtype=bool)
    flipped[rng.choice(len(y), int(round(rate * len(y))), replace=False)] = True
    noisy = y.copy()
    noisy[flipped] = (y[flipped] + rng.integers(1, classes, flipped.sum())) % classes
    return noisy, flipped


def _per_example_ce(model: nn.Module, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    logits = predict(model, x).astype(np.float64)
    return -log_softmax_np(logits)[np.arange(len(y)), y]


@dataclass
class MeanVsMaxResult(ExperimentResult):
    """Digits with flipped labels, trained on the mean, max and sum of each batch's losses."""

    noise_rate: float
    n_flipped: int
    batch_size: int
    epochs: int
    lr: float
    # clean test accuracy per epoch; keys: mean, max, sum (noisy labels), mean_clean, max_clean
    acc: dict[str, list[float]]
    batch_losses: dict[str, list[float]]  # mean, max, sum (noisy labels)
    pick_share_training: float  # share of max-training steps whose max row was mislabelled
    pick_share_mean_model: float  # same, over random batches, for the mean-trained model
    loss_clean_rows: dict[str, float]  # mean per-example CE on correctly labelled train rows
    loss_flipped_rows: dict[str, float]  # ... on the mislabelled rows (against their wrong label)
    jitter: dict[str, float]  # mean |change of test accuracy| between epochs, second half
    sum_mean_grad_ratio: float  # ‖∇ sum‖ / ‖∇ mean‖ on one batch
    sum_mean_grad_cosine: float
    sum_vs_mean_acc_diff: float  # largest |test accuracy difference| over the epochs

    def findings(self) -> list[Finding]:
        a = {k: v[-1] for k, v in self.acc.items()}
        pct = self.noise_rate * 100
        lc, lf, j = self.loss_clean_rows, self.loss_flipped_rows, self.jitter
        return [Finding(
            "S11", "confirmed",
            f"Digits with {pct:g}% of the training labels flipped ({self.n_flipped} rows), "
            f"batches of {self.batch_size}, SGD lr {self.lr:g}, {self.epochs} epochs: training on "
            f"the mean of the per-example losses reaches {a['mean']:.1%} clean test accuracy, on "
            f"the max of each batch only {a['max']:.1%} (with clean labels: mean "
            f"{a['mean_clean']:.1%}, max {a['max_clean']:.1%}). The max is one case and it is "
            f"dominated by outliers: one row of {self.batch_size} gets all the gradient, and the "
            f"largest loss belonged to a mislabelled row in {self.pick_share_training:.0%} of the "
            f"max-training steps ({self.pick_share_mean_model:.0%} of random batches for the "
            f"mean-trained model) although they are {pct:g}% of the data. The max model gives up "
            f"the majority for them (mean cross-entropy on the correctly labelled rows "
            f"{lc['max']:.2f} vs {lc['mean']:.2f} for the mean model; on the flipped rows "
            f"{lf['max']:.2f} vs {lf['mean']:.2f}) and its accuracy jumps "
            f"around (mean change per epoch over the second half {j['max']:.1%} vs {j['mean']:.1%}). The sum points "
            f"exactly where the mean does (cosine {self.sum_mean_grad_cosine:.6f}) with "
            f"{self.sum_mean_grad_ratio:.0f}× (the batch size) its length; with lr/"
            f"{self.batch_size} it trains like the mean (largest accuracy difference "
            f"{self.sum_vs_mean_acc_diff:.1%}).",
            f"훈련 레이블의 {pct:g}%({self.n_flipped}개)를 틀리게 바꾼 digits, 배치 "
            f"{self.batch_size}, SGD 학습률 {self.lr:g}, {self.epochs} 에폭: 예제별 손실의 평균으로 "
            f"학습하면 깨끗한 테스트 정확도 {a['mean']:.1%}, 배치의 최댓값으로 학습하면 "
            f"{a['max']:.1%}에 그친다(레이블이 깨끗할 때: 평균 {a['mean_clean']:.1%}, 최댓값 "
            f"{a['max_clean']:.1%}). 최댓값은 한 사례만 반영하고 이상치에 좌우된다: 배치 "
            f"{self.batch_size}개 중 한 예제만 기울기를 받으며, 잘못된 레이블은 데이터의 {pct:g}%"
            f"뿐인데 최댓값 학습 스텝의 {self.pick_share_training:.0%}에서(평균으로 학습한 모델의 "
            f"무작위 배치에서는 {self.pick_share_mean_model:.0%}) 가장 큰 손실이 잘못된 레이블의 "
            f"예제였다. 최댓값 모델은 이들 때문에 다수를 포기하고(올바른 레이블 예제의 "
            f"평균 교차 엔트로피: 최댓값 모델 {lc['max']:.2f} 대 평균 모델 {lc['mean']:.2f}, 바뀐 "
            f"예제: {lf['max']:.2f} 대 {lf['mean']:.2f}) 정확도가 들쭉날쭉하다(후반부 에폭당 평균 변화 "
            f"{j['max']:.1%} 대 {j['mean']:.1%}). 합은 평균과 정확히 같은 방향(코사인 "
            f"{self.sum_mean_grad_cosine:.6f})이고 길이만 {self.sum_mean_grad_ratio:.0f}배(배치 "
            f"크기)이다. 학습률을 {self.batch_size}로 나누면 평균과 똑같이 학습한다(정확도 차이 "
            f"최대 {self.sum_vs_mean_acc_diff:.1%}).",
            ("mean-vs-max_curves.png", "mean-vs-max_outliers.png"),
        )]

    def draw(self, out_dir: Path) -> list[Path]:
        from ..plot import _pyplot, save_figure

        plt = _pyplot()
        from matplotlib.ticker import MaxNLocator
        out_dir = Path(out_dir)
        fig, (ax_b, ax_a) = plt.subplots(1, 2, figsize=(12, 4.2))
        for name, style in (("max", "-"), ("mean", "-"), ("sum", "--")):
            values = np.array(self.batch_losses[name])
            label = {"mean": "mean", "max": "max", "sum": f"sum / {self.batch_size}"}[name]
            if name == "sum":
                values = values / self.batch_size
            ax_b.plot(np.arange(1, len(values) + 1), values, style, lw=0.8, label=label)
        ax_b.set(xlabel="step", ylabel="batch loss", yscale="log",
                 title="Batch loss (noisy labels)")
        epochs = np.arange(1, self.epochs + 1)
        styles = {"mean": ("o-", "mean"), "max": ("s-", "max"),
                  "sum": ("x--", f"sum, lr/{self.batch_size}"),
                  "mean_clean": ("o:", "mean, clean labels"),
                  "max_clean": ("s:", "max, clean labels")}
        for name, (style, label) in styles.items():
            ax_a.plot(epochs, np.array(self.acc[name]) * 100, style, label=label)
        ax_a.set(xlabel="epoch", ylabel="clean test accuracy (%)",
                 title=f"{self.noise_rate:.0%} flipped training labels")
        for ax in (ax_b, ax_a):
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
        ax_a.xaxis.set_major_locator(MaxNLocator(integer=True))
        fig.suptitle("Training on the mean vs the max of a batch's losses")
        paths = [save_figure(fig, out_dir / "mean-vs-max_curves.png")]

        fig, (ax_p, ax_l) = plt.subplots(1, 2, figsize=(11, 4))
        bars = [self.noise_rate, self.pick_share_mean_model, self.pick_share_training]
        ax_p.bar(["rows that are\nmislabelled", "batch max is\nmislabelled\n(mean model)",
                  "batch max is\nmislabelled\n(max training)"], np.array(bars) * 100,
                 color=["0.6", "C0", "C1"])
        ax_p.tick_params(axis="x", labelsize=8)
        ax_p.set(ylabel="%", title="Who the max picks")
        width = 0.38
        xs = np.arange(2)
        for k, (name, colour) in enumerate((("mean", "C0"), ("max", "C1"))):
            ax_l.bar(xs + (k - 0.5) * width,
                     [self.loss_clean_rows[name], self.loss_flipped_rows[name]], width,
                     color=colour, label=f"trained on the {name}")
        ax_l.set_xticks(xs, ["correctly labelled rows", "mislabelled rows"])
        ax_l.set(ylabel="mean cross-entropy", title="Per-example training loss after training")
        ax_l.legend()
        for ax in (ax_p, ax_l):
            ax.grid(alpha=0.3, axis="y")
        paths.append(save_figure(fig, out_dir / "mean-vs-max_outliers.png"))
        return paths


@experiment("mean-vs-max", claims=("S11",),
            title_en="Averaging the errors vs taking the largest",
            title_ko="오차의 평균 대 최댓값")
def run_mean_vs_max(quick: bool = False, seed: int = 0, noise_rate: float = 0.05) -> MeanVsMaxResult:
    """Train on mean / max / sum of per-example CE on digits with ``noise_rate`` flipped labels."""
    x, y_clean, x_test, y_test = flat_digits()
    y_noisy, flipped = flip_labels(y_clean, noise_rate, seed)
    epochs, batch, lr = (10 if quick else 40), 64, 0.1
    picks: list[bool] = []

    def make_loss(labels: np.ndarray, reduction: str, record: bool = False) -> BatchLoss:
        def batch_loss(model: nn.Module, idx: np.ndarray) -> Tensor:
            per = F.cross_entropy(model(Tensor(x[idx])), labels[idx], reduction="none")
            if reduction == "max":
                if record:
                    picks.append(bool(flipped[idx[int(np.argmax(per.detach().numpy()))]]))
                return per.max()
            return per.sum() if reduction == "sum" else per.mean()
        return batch_loss

    def score(model: nn.Module) -> float:
        return accuracy(model, x_test, y_test)

    runs = {"mean": (y_noisy, "mean", lr), "max": (y_noisy, "max", lr),
            "sum": (y_noisy, "sum", lr / batch),  # the sum's gradient is batch × the mean's
            "mean_clean": (y_clean, "mean", lr), "max_clean": (y_clean, "max", lr)}
    acc, batch_losses, models = {}, {}, {}
    for name, (labels, reduction, step) in runs.items():
        model = mlp(DIGITS_SIZES, seed)
        curves = train(model, make_loss(labels, reduction, record=name == "max"), len(x),
                       epochs=epochs, batch_size=batch, lr=step, momentum=0.0, seed=seed,
                       drop_last=True, score=score)
        acc[name] = [r(v) for v in curves.score]
        if name in ("mean", "max", "sum"):
            batch_losses[name] = [r(v, 5) for v in curves.batch_losses]
        models[name] = model

    per_loss = {k: _per_example_ce(models[k], x, y_noisy) for k in ("mean", "max")}
    rng = np.random.default_rng(seed + 1)
    hits = [flipped[idx[np.argmax(per_loss["mean"][idx])]]
            for idx in (rng.choice(len(x), batch, replace=False) for _ in range(500))]

    # One batch, fresh model: gradients of the sum and the mean of the same losses.
    grads = []
    idx = np.arange(batch)
    for reduction in ("sum", "mean"):
        model = mlp(DIGITS_SIZES, seed)
        make_loss(y_noisy, reduction)(model, idx).backward()
        grads.append(np.concatenate([p.grad.numpy().ravel() for p in model.parameters()]).astype(float))
    cosine = float(grads[0] @ grads[1] / (np.linalg.norm(grads[0]) * np.linalg.norm(grads[1])))

    return MeanVsMaxResult(
        noise_rate=noise_rate, n_flipped=int(flipped.sum()), batch_size=batch, epochs=epochs,
        lr=lr, acc=acc, batch_losses=batch_losses,
        pick_share_training=r(np.mean(picks)), pick_share_mean_model=r(np.mean(hits)),
        loss_clean_rows={k: r(v[~flipped].mean()) for k, v in per_loss.items()},
        loss_flipped_rows={k: r(v[flipped].mean()) for k, v in per_loss.items()},
        # Measured over the second half, once the mean run has stopped climbing.
        jitter={k: r(np.mean(np.abs(np.diff(acc[k][epochs // 2 - 1:])))) for k in ("mean", "max")},
        sum_mean_grad_ratio=r(np.linalg.norm(grads[0]) / np.linalg.norm(grads[1])),
        sum_mean_grad_cosine=float(round(cosine, 8)),
        sum_vs_mean_acc_diff=r(np.max(np.abs(np.array(acc["sum"]) - np.array(acc["mean"])))),
    )
