"""Losses over a batch: MSE vs cross-entropy (S9, S10).

``mse-vs-ce``: the same softmax MLP on the 8×8 digits trained with MSE on one-hot targets and
with cross-entropy; the batch loss is the mean of the per-example losses and its scale does not
depend on the batch size. (The mean vs the max of the errors, S11, is ``mean_vs_max_lab``.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import nn
from ..data.labels import one_hot
from ..nn import functional as F
from ..tensor import Tensor
from ._classify import (
    DIGITS_SIZES,
    accuracy,
    flat_digits,
    grad_norm,
    log_softmax_np,
    logits_giving,
    mlp,
    predict,
    r,
    train,
)
from .registry import ExperimentResult, Finding, experiment

CLASSES = 10


def mse_on_softmax(logits: Tensor, labels: np.ndarray) -> Tensor:
    """MSE between softmax(logits) and one-hot labels: (1/(N·C)) Σₙ Σ_c (y_nc − t_nc)²."""
    target = one_hot(labels, CLASSES).astype(logits.dtype)
    return F.mse_loss(logits.softmax(axis=1), target)


def loss_vs_p(p: np.ndarray, classes: int = CLASSES) -> dict[str, np.ndarray]:
    """CE and MSE (through softmax) and their gradients w.r.t. the right class's logit, for
    outputs that give the right class probability p and share 1 − p evenly among the rest."""
    z = logits_giving(p, classes)
    labels = np.zeros(len(p), dtype=np.int64)
    out: dict[str, np.ndarray] = {}
    for name in ("ce", "mse"):
        logits = Tensor(z.copy(), requires_grad=True)
        if name == "ce":
            per = F.cross_entropy(logits, labels, reduction="none")
        else:
            t = one_hot(labels, classes).astype(np.float64)
            per = F.mse_loss(logits.softmax(axis=1), t, reduction="none").mean(axis=1)
        per.sum().backward()  # sum: each row's own gradient, not divided by the batch size
        out[name] = per.detach().numpy().copy()
        out[f"{name}_grad"] = logits.grad.numpy()[:, 0].copy()
    return out


# --------------------------------------------------------------------------- mse-vs-ce
@dataclass
class MseVsCeResult(ExperimentResult):
    """Softmax MLP on digits trained with cross-entropy and with MSE; batch-mean checks."""

    epochs: int
    lrs: list[float]
    shared_lr: float
    ce_acc: list[list[float]]  # test accuracy per epoch, one list per learning rate
    mse_acc: list[list[float]]
    ce_loss: list[float]  # training loss per epoch at the shared learning rate
    mse_loss: list[float]
    # S10: the formulas by hand vs the library, for one test digit
    example_label: int
    example_probs: list[float]
    mse_hand: float
    mse_library: float
    cee_hand: float
    cee_library: float
    p_grid: list[float]
    ce_of_p: list[float]
    mse_of_p: list[float]
    ce_grad_of_p: list[float]
    mse_grad_of_p: list[float]
    # S9: the batch loss is the mean of the per-example losses
    mean_vs_none_ce: float  # |mean(reduction='none') − reduction='mean'|
    mean_vs_none_mse: float
    mean_ce: float  # the reduction='mean' values (float32): the scale of those differences
    mean_mse: float
    batch_sizes: list[int]
    mean_loss_by_n: list[float]
    sum_loss_by_n: list[float]
    mean_grad_by_n: list[float]
    sum_grad_by_n: list[float]
    minibatch_size: int
    minibatch_steps: int
    minibatch_acc: float
    fullbatch_steps: int
    fullbatch_acc: float

    def _final(self, curves: list[list[float]]) -> list[float]:
        return [c[-1] for c in curves]

    @property
    def shared_index(self) -> int:
        return self.lrs.index(self.shared_lr)

    def findings(self) -> list[Finding]:
        i = self.shared_index
        ce, mse = self.ce_acc[i][-1], self.mse_acc[i][-1]
        ce_best, mse_best = max(self._final(self.ce_acc)), max(self._final(self.mse_acc))
        lr_ce = self.lrs[int(np.argmax(self._final(self.ce_acc)))]
        lr_mse = self.lrs[int(np.argmax(self._final(self.mse_acc)))]
        k = int(np.argmin(np.abs(np.array(self.p_grid) - 0.01)))
        g_ce, g_mse = abs(self.ce_grad_of_p[k]), abs(self.mse_grad_of_p[k])
        lrs = ", ".join(f"{v:g}" for v in self.lrs)
        n0, n1 = self.batch_sizes[0], self.batch_sizes[-1]
        m_lo, m_hi = min(self.mean_loss_by_n), max(self.mean_loss_by_n)
        grow = self.sum_grad_by_n[-1] / self.sum_grad_by_n[0]
        diff = max(self.mean_vs_none_ce, self.mean_vs_none_mse)
        s9 = Finding(
            "S9", "confirmed",
            f"reduction='mean' is the average of the per-example losses from reduction='none' "
            f"(largest difference {diff:.1e}, cross-entropy and MSE). On random batches of the "
            f"untrained digits MLP the mean loss stays at {m_lo:.3f}–{m_hi:.3f} for batch sizes "
            f"{n0}…{n1}, while the sum grows from {self.sum_loss_by_n[0]:.1f} to "
            f"{self.sum_loss_by_n[-1]:.0f} (∝ N); the mean's gradient norm goes from "
            f"{self.mean_grad_by_n[0]:.2f} at N = {n0} (noisier batches) to "
            f"{self.mean_grad_by_n[-1]:.2f} at N = {n1}, while the sum's grows {grow:.0f}×. Averaging makes the loss "
            f"and the step independent of the batch size, so one learning rate fits every batch "
            f"size. The efficiency comes from the mini-batches: in {self.epochs} epochs, batches "
            f"of {self.minibatch_size} ({self.minibatch_steps} steps) reach "
            f"{self.minibatch_acc:.1%} test accuracy, one full-batch step per epoch "
            f"({self.fullbatch_steps} steps) {self.fullbatch_acc:.1%}.",
            f"reduction='mean'은 reduction='none'으로 얻은 예제별 손실의 평균과 같다(교차 엔트로피와 "
            f"MSE 모두, 최대 차이 {diff:.1e}). 학습 전 digits MLP에서 무작위 배치의 평균 손실은 "
            f"배치 크기 {n0}…{n1}에서 {m_lo:.3f}–{m_hi:.3f}로 거의 그대로지만, 합은 "
            f"{self.sum_loss_by_n[0]:.1f}에서 {self.sum_loss_by_n[-1]:.0f}로 N에 비례해 커진다. "
            f"평균의 기울기 크기는 N = {n0}(잡음이 큰 배치)에서 "
            f"{self.mean_grad_by_n[0]:.2f}, N = {n1}에서 {self.mean_grad_by_n[-1]:.2f}인데, 합의 "
            f"기울기는 {grow:.0f}배 커진다. "
            f"평균을 내면 손실과 한 걸음의 크기가 배치 크기와 무관해져 하나의 학습률을 어떤 배치 "
            f"크기에도 쓸 수 있다. 효율은 미니배치에서 나온다: {self.epochs} 에폭 동안 크기 "
            f"{self.minibatch_size}의 배치({self.minibatch_steps} 스텝)는 테스트 정확도 "
            f"{self.minibatch_acc:.1%}, 에폭마다 전체 배치 한 스텝({self.fullbatch_steps} 스텝)은 "
            f"{self.fullbatch_acc:.1%}에 도달한다.",
            ("mse-vs-ce_batch_mean.png",),
        )
        s10 = Finding(
            "S10", "confirmed",
            f"MSE is the mean over the 10 output nodes of (y − t)²: for one test digit "
            f"(label {self.example_label}) NumPy by hand gives {self.mse_hand:.6f}, "
            f"neuralab {self.mse_library:.6f}; CEE = −ln(y of the right class "
            f"{self.example_probs[self.example_label]:.4f}) = {self.cee_hand:.6f} (neuralab "
            f"{self.cee_library:.6f}). The same softmax MLP trained "
            f"the same way (SGD, lr {self.shared_lr:g}, momentum 0.9, {self.epochs} epochs) "
            f"reaches {ce:.1%} test accuracy with cross-entropy and {mse:.1%} with MSE; with each "
            f"loss's best learning rate of {lrs}: {ce_best:.1%} (lr {lr_ce:g}) vs {mse_best:.1%} "
            f"(lr {lr_mse:g}). Why: cross-entropy's gradient on the right class's logit is p − 1, "
            f"largest when the answer is wrong; through the softmax, MSE's gradient fades as p → 0 "
            f"(|gradient| {g_ce:.2f} vs {g_mse:.4f} at p = 0.01), so MSE needs a larger learning "
            f"rate and learns more slowly.",
            f"MSE는 출력 노드 10개에 대한 (y − t)²의 평균이다: 테스트 숫자 하나(정답 "
            f"{self.example_label})에 대해 NumPy로 직접 계산하면 {self.mse_hand:.6f}, neuralab은 "
            f"{self.mse_library:.6f}. CEE = −ln(정답 클래스의 y "
            f"{self.example_probs[self.example_label]:.4f}) = {self.cee_hand:.6f} (neuralab "
            f"{self.cee_library:.6f}). 같은 소프트맥스 MLP를 같은 방법(SGD, 학습률 "
            f"{self.shared_lr:g}, 모멘텀 0.9, {self.epochs} 에폭)으로 학습하면 교차 엔트로피는 테스트 "
            f"정확도 {ce:.1%}, MSE는 {mse:.1%}. 학습률 {lrs} 중 각 손실에 가장 좋은 것을 쓰면 "
            f"{ce_best:.1%}(학습률 {lr_ce:g}) 대 {mse_best:.1%}(학습률 {lr_mse:g}). 이유: 교차 "
            f"엔트로피의 정답 로짓 기울기는 p − 1이라 틀릴수록 크지만, 소프트맥스를 거친 MSE의 "
            f"기울기는 p → 0에서 사라진다(p = 0.01에서 |기울기| {g_ce:.2f} 대 {g_mse:.4f}). 그래서 "
            f"MSE는 더 큰 학습률이 필요하고 더 느리게 배운다.",
            ("mse-vs-ce_curves.png", "mse-vs-ce_loss_shapes.png"),
        )
        return [s9, s10]

    def draw(self, out_dir: Path) -> list[Path]:
        from ..plot import _pyplot, save_figure

        plt = _pyplot()
        from matplotlib.ticker import MaxNLocator
        out_dir = Path(out_dir)
        paths = []
        i = self.shared_index
        epochs = np.arange(1, self.epochs + 1)
        fig, (ax_loss, ax_acc, ax_lr) = plt.subplots(1, 3, figsize=(14, 4))
        ax_loss.plot(epochs, self.ce_loss, "o-", label="cross-entropy")
        ax_loss.plot(epochs, self.mse_loss, "s-", label="MSE (softmax, one-hot)")
        ax_loss.set(xlabel="epoch", ylabel="training loss", yscale="log",
                    title=f"Training loss (lr {self.shared_lr:g})")
        ax_acc.plot(epochs, np.array(self.ce_acc[i]) * 100, "o-", label="cross-entropy")
        ax_acc.plot(epochs, np.array(self.mse_acc[i]) * 100, "s-", label="MSE")
        ax_acc.set(xlabel="epoch", ylabel="test accuracy (%)",
                   title=f"Test accuracy (lr {self.shared_lr:g})")
        ax_lr.plot(self.lrs, np.array(self._final(self.ce_acc)) * 100, "o-", label="cross-entropy")
        ax_lr.plot(self.lrs, np.array(self._final(self.mse_acc)) * 100, "s-", label="MSE")
        ax_lr.set(xscale="log", xlabel="learning rate", ylabel="test accuracy (%)",
                  title=f"After {self.epochs} epochs, by learning rate")
        for ax in (ax_loss, ax_acc, ax_lr):
            ax.grid(alpha=0.3)
            ax.legend()
        for ax in (ax_loss, ax_acc):
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        fig.suptitle("Digits MLP: cross-entropy vs MSE on softmax outputs")
        paths.append(save_figure(fig, out_dir / "mse-vs-ce_curves.png"))

        fig, (ax_l, ax_g) = plt.subplots(1, 2, figsize=(10, 4))
        p = np.array(self.p_grid)
        ax_l.plot(p, self.ce_of_p, label="cross-entropy  −ln p")
        ax_l.plot(p, self.mse_of_p, label="MSE on softmax")
        ax_l.set(xlabel="probability of the right class p", ylabel="loss", yscale="log",
                 ylim=(1e-4, 10), title="Loss of one example")
        ax_g.plot(p, np.abs(self.ce_grad_of_p), label="cross-entropy  |p − 1|")
        ax_g.plot(p, np.abs(self.mse_grad_of_p), label="MSE on softmax")
        ax_g.set(xlabel="probability of the right class p", ylabel="|∂loss/∂z_right|",
                 yscale="log", ylim=(1e-4, 2), title="Gradient on the right class's logit")
        for ax in (ax_l, ax_g):
            ax.grid(alpha=0.3)
            ax.legend()
        paths.append(save_figure(fig, out_dir / "mse-vs-ce_loss_shapes.png"))

        fig, (ax_v, ax_n) = plt.subplots(1, 2, figsize=(10, 4))
        n = np.array(self.batch_sizes)
        ax_v.plot(n, self.mean_loss_by_n, "o-", label="reduction='mean'")
        ax_v.plot(n, self.sum_loss_by_n, "s-", label="reduction='sum'")
        ax_v.set(xscale="log", yscale="log", xlabel="batch size N", ylabel="batch loss",
                 title="Loss of a batch")
        ax_n.plot(n, self.mean_grad_by_n, "o-", label="mean")
        ax_n.plot(n, self.sum_grad_by_n, "s-", label="sum")
        ax_n.set(xscale="log", yscale="log", xlabel="batch size N", ylabel="‖∇θ loss‖",
                 title="Gradient norm")
        for ax in (ax_v, ax_n):
            ax.grid(alpha=0.3)
            ax.legend()
        fig.suptitle("The mean does not depend on the batch size; the sum grows with it")
        paths.append(save_figure(fig, out_dir / "mse-vs-ce_batch_mean.png"))
        return paths


def _batch_scaling(x: np.ndarray, y: np.ndarray, sizes: tuple[int, ...], repeats: int,
                   seed: int) -> tuple[list[float], ...]:
    """Loss and gradient norm of 'mean' and 'sum' reductions on random batches of each size."""
    model = mlp(DIGITS_SIZES, seed)
    rng = np.random.default_rng(seed + 1)
    columns: tuple[list[float], ...] = ([], [], [], [])
    for n in sizes:
        values = np.zeros((repeats, 4))
        for k in range(repeats):
            idx = rng.choice(len(x), n, replace=False)
            for j, reduction in enumerate(("mean", "sum")):
                model.zero_grad()
                loss = F.cross_entropy(model(Tensor(x[idx])), y[idx], reduction=reduction)
                loss.backward()
                values[k, j] = loss.item()
                values[k, 2 + j] = grad_norm(model)
        for column, value in zip(columns, values.mean(axis=0)[[0, 1, 2, 3]]):
            column.append(r(value))
    return columns


@experiment("mse-vs-ce", claims=("S9", "S10"),
            title_en="MSE vs cross-entropy, and the batch loss as a mean",
            title_ko="MSE와 교차 엔트로피, 그리고 배치 손실은 평균")
def run_mse_vs_ce(quick: bool = False, seed: int = 0) -> MseVsCeResult:
    """Train the digits MLP with CE and with MSE-on-softmax over a few learning rates."""
    x, y, x_test, y_test = flat_digits()
    epochs = 5 if quick else 20
    lrs, shared_lr = [0.03, 0.1, 0.3, 1.0], 0.1

    def score(model: nn.Module) -> float:
        return accuracy(model, x_test, y_test)

    losses = {
        "ce": lambda model, idx: F.cross_entropy(model(Tensor(x[idx])), y[idx]),
        "mse": lambda model, idx: mse_on_softmax(model(Tensor(x[idx])), y[idx]),
    }
    acc: dict[str, list[list[float]]] = {"ce": [], "mse": []}
    shared_loss: dict[str, list[float]] = {}
    for name, batch_loss in losses.items():
        for lr in lrs:
            net = mlp(DIGITS_SIZES, seed)
            curves = train(net, batch_loss, len(x), epochs=epochs, batch_size=32, lr=lr,
                           seed=seed, score=score)
            acc[name].append([r(v) for v in curves.score])
            if lr == shared_lr:
                shared_loss[name] = [r(v, 5) for v in curves.loss]
                if name == "ce":
                    model = net  # the cross-entropy model at the shared learning rate

    # S10 by hand, with the CE-trained model's probabilities.
    # The test digit the model is least sure about, so that neither loss is ~0.
    all_probs = np.exp(log_softmax_np(predict(model, x_test).astype(np.float64)))
    pick = int(np.argmin(np.abs(all_probs[np.arange(len(y_test)), y_test] - 0.5)))
    probs, label = all_probs[pick], int(y_test[pick])
    target = one_hot(np.array([label]), CLASSES)[0]
    mse_hand = float(np.mean((probs - target) ** 2))
    cee_hand = float(-np.log(probs[label]))
    mse_library = F.mse_loss(Tensor(probs), target.astype(np.float64)).item()
    cee_library = F.cross_entropy_error(Tensor(probs[None]), np.array([label])).item()
    p_grid = np.concatenate([np.geomspace(1e-3, 0.1, 30, endpoint=False),
                             np.linspace(0.1, 0.999, 90)])
    shapes = loss_vs_p(p_grid)

    # S9: reductions on a batch of the trained model, then scaling with the batch size.
    out = model(Tensor(x[:256]))
    ce_none = F.cross_entropy(out, y[:256], reduction="none").detach().numpy()
    mean_ce = F.cross_entropy(out, y[:256]).item()
    mean_vs_none_ce = abs(float(ce_none.mean()) - mean_ce)
    soft, t = out.softmax(axis=1), one_hot(y[:256], CLASSES).astype(np.float32)
    mse_none = F.mse_loss(soft, t, reduction="none").detach().numpy().mean(axis=1)  # per example
    mean_mse = F.mse_loss(soft, t).item()
    mean_vs_none_mse = abs(float(mse_none.mean()) - mean_mse)
    sizes = (8, 32, 128, 512)
    mean_l, sum_l, mean_g, sum_g = _batch_scaling(x, y, sizes, 4 if quick else 16, seed)
    full = train(mlp(DIGITS_SIZES, seed), losses["ce"], len(x), epochs=epochs, batch_size=len(x),
                 lr=shared_lr, seed=seed, score=score)

    return MseVsCeResult(
        epochs=epochs, lrs=lrs, shared_lr=shared_lr, ce_acc=acc["ce"], mse_acc=acc["mse"],
        ce_loss=shared_loss["ce"], mse_loss=shared_loss["mse"], example_label=label,
        example_probs=[r(v, 6) for v in probs], mse_hand=mse_hand, mse_library=mse_library,
        cee_hand=cee_hand, cee_library=cee_library, p_grid=[r(v, 6) for v in p_grid],
        ce_of_p=[r(v, 6) for v in shapes["ce"]], mse_of_p=[r(v, 6) for v in shapes["mse"]],
        ce_grad_of_p=[r(v, 6) for v in shapes["ce_grad"]],
        mse_grad_of_p=[r(v, 6) for v in shapes["mse_grad"]],
        mean_vs_none_ce=mean_vs_none_ce, mean_vs_none_mse=mean_vs_none_mse, mean_ce=mean_ce,
        mean_mse=mean_mse,
        batch_sizes=list(sizes), mean_loss_by_n=mean_l, sum_loss_by_n=sum_l,
        mean_grad_by_n=mean_g, sum_grad_by_n=sum_g, minibatch_size=32,
        minibatch_steps=epochs * -(-len(x) // 32), minibatch_acc=acc["ce"][lrs.index(shared_lr)][-1],
        fullbatch_steps=epochs, fullbatch_acc=r(full.score[-1]),
    )
