"""One-hot labels (S21) and where the softmax lives in a cross-entropy loss (S23).

``cross_entropy`` takes logits and applies log-softmax itself (like ``nn.CrossEntropyLoss``);
the textbook CEE ``cross_entropy_error`` takes probabilities. Fed the right inputs they agree in
value and in gradient; feeding probabilities to the logits loss (a softmax applied twice) is a
classic bug: the loss can never approach 0 and its gradients shrink.
"""

from __future__ import annotations

import math
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
    logits_giving,
    mlp,
    predict,
    r,
    train,
)
from .registry import ExperimentResult, Finding, experiment
from .textbook import softmax

CLASSES = 10


def bug_loss_range(classes: int = CLASSES) -> tuple[float, float]:
    """Range of cross_entropy(p, y) when p is a probability vector (the softmax-twice bug).

    loss = −ln(e^{p_y} / Σ_j e^{p_j}); with every p_j in [0, 1] and Σ p_j = 1 it is smallest for
    a perfect p (one-hot on y): ln(1 + (C−1)/e), and largest when all mass is on a wrong class:
    ln(e + C − 1).
    """
    return math.log(1 + (classes - 1) / math.e), math.log(math.e + classes - 1)


@dataclass
class SoftmaxCEResult(ExperimentResult):
    """One-hot labels; CE on logits vs CEE on probabilities; the probabilities-into-CE bug."""

    # S21
    n_labels: int
    one_hot_shape: list[int]
    rows_with_single_one: int
    zero_share: float
    argmax_recovers: bool
    onehot_vs_index_diff: float
    index_ce: float  # the class-index cross-entropy (float32): the scale of that difference
    first_labels: list[int]
    first_rows: list[list[int]]
    # S23: the right way, two ways
    ce_logits: float
    cee_probs: float
    loss_diff: float
    predicted_eps_diff: float  # mean ln(1 + 1e-7/p_y): what the CEE's +1e-7 adds
    loss_diff_without_eps: float
    grad_diff: float  # max |∂/∂z CE(z) − ∂/∂z CEE(softmax z)|
    grad_vs_formula: float  # max |∂/∂z CE(z) − (softmax(z) − onehot)/N|
    # S23: the bug
    bug_min: float
    bug_max: float
    bug_perfect: float  # measured on one-hot probabilities
    p_grid: list[float]
    ce_of_p: list[float]
    bug_of_p: list[float]
    grad_ratio_init: float  # ‖∇θ bug‖ / ‖∇θ correct‖ for the untrained model
    grad_ratio_trained: float
    epochs: int
    correct_acc: list[float]
    bug_acc: list[float]
    correct_loss: list[float]
    bug_loss: list[float]

    def findings(self) -> list[Finding]:
        s21 = Finding(
            "S21", "confirmed",
            f"neuralab.data.one_hot turns the {self.n_labels} labels of the digits training set "
            f"(8×8 MNIST-style digits, encoded like MNIST) into a {self.one_hot_shape[0]}×"
            f"{self.one_hot_shape[1]} matrix: all {self.rows_with_single_one} rows have exactly "
            f"one 1, {self.zero_share:.0%} of the entries are 0, and the arg-max of each row gives "
            f"its label back ({'every row' if self.argmax_recovers else 'NOT every row'}). "
            f"Cross-entropy with these one-hot rows as targets equals cross-entropy with the "
            f"class indices (difference {self.onehot_vs_index_diff:.1e}): the index is the "
            f"compact ('sparse') way to store the same label.",
            f"neuralab.data.one_hot은 digits 훈련 세트(MNIST와 같은 방식으로 인코딩하는 8×8 손글씨 "
            f"숫자)의 레이블 {self.n_labels}개를 {self.one_hot_shape[0]}×{self.one_hot_shape[1]} "
            f"행렬로 바꾼다: {self.rows_with_single_one}개 행 모두 1이 정확히 하나이고, 원소의 "
            f"{self.zero_share:.0%}가 0이며, 각 행의 argmax가 "
            f"{'모든 행에서' if self.argmax_recovers else '일부 행에서만'} 원래 레이블을 돌려준다. "
            f"이 원-핫 행을 타깃으로 한 교차 엔트로피는 클래스 인덱스를 쓴 교차 엔트로피와 같다"
            f"(차이 {self.onehot_vs_index_diff:.1e}). 인덱스는 같은 레이블을 간단히('희소하게') "
            f"저장하는 방법이다.",
            ("softmax-ce_one_hot.png",),
        )
        acc, acc_bug = self.correct_acc[-1], self.bug_acc[-1]
        s23 = Finding(
            "S23", "confirmed",
            f"On the trained digits MLP's test logits (float64): cross_entropy(logits) = "
            f"{self.ce_logits:.8f}, textbook cross_entropy_error(softmax(logits)) = "
            f"{self.cee_probs:.8f}. The difference {self.loss_diff:.1e} is the CEE's +1e-7 "
            f"(predicted mean ln(1 + 1e-7/p) = {self.predicted_eps_diff:.1e}; without it they "
            f"agree to {self.loss_diff_without_eps:.1e}). The gradients w.r.t. the logits agree to "
            f"{self.grad_diff:.1e}, and both equal (softmax − one-hot)/N (to "
            f"{self.grad_vs_formula:.0e}). The classic bug, softmax output fed into the loss that "
            f"applies softmax itself, squashes the loss into [{self.bug_min:.3f}, "
            f"{self.bug_max:.3f}] for 10 classes: a perfect prediction still costs ln(1 + 9/e) = "
            f"{self.bug_perfect:.4f}, never 0. Its gradient is {1 / self.grad_ratio_init:.1f}× "
            f"smaller at initialisation and {1 / self.grad_ratio_trained:.1f}× smaller on the "
            f"trained model; trained the same way for {self.epochs} epochs it reaches "
            f"{acc_bug:.1%} test accuracy instead of {acc:.1%}, with the loss stuck at "
            f"{self.bug_loss[-1]:.3f} instead of {self.correct_loss[-1]:.3f}.",
            f"학습된 digits MLP의 테스트 로짓(float64)에서 cross_entropy(logits) = "
            f"{self.ce_logits:.8f}, 교과서의 cross_entropy_error(softmax(logits)) = "
            f"{self.cee_probs:.8f}. 차이 {self.loss_diff:.1e}는 CEE의 +1e-7 때문이다(예측값 "
            f"ln(1 + 1e-7/p)의 평균 = {self.predicted_eps_diff:.1e}, 이것을 빼면 "
            f"{self.loss_diff_without_eps:.1e}까지 일치). 로짓에 대한 기울기는 {self.grad_diff:.1e}"
            f"까지 일치하고 둘 다 (softmax − 원-핫)/N과 같다({self.grad_vs_formula:.0e}까지). 흔한 "
            f"버그, 즉 softmax를 이미 포함한 손실에 softmax 출력을 넣으면 10개 클래스에서 손실이 "
            f"[{self.bug_min:.3f}, {self.bug_max:.3f}]에 갇힌다: 완벽한 예측도 ln(1 + 9/e) = "
            f"{self.bug_perfect:.4f}이고 결코 0이 되지 않는다. 기울기는 학습 전 "
            f"{1 / self.grad_ratio_init:.1f}배, 학습된 모델에서 {1 / self.grad_ratio_trained:.1f}배 "
            f"작다. 같은 방법으로 {self.epochs} 에폭 학습하면 테스트 정확도가 {acc:.1%} 대신 "
            f"{acc_bug:.1%}이고, 손실은 {self.correct_loss[-1]:.3f} 대신 {self.bug_loss[-1]:.3f}에 "
            f"머문다.",
            ("softmax-ce_bug.png", "softmax-ce_training.png"),
        )
        return [s21, s23]

    def draw(self, out_dir: Path) -> list[Path]:
        from ..plot import _pyplot, save_figure

        plt = _pyplot()
        from matplotlib.ticker import MaxNLocator
        out_dir = Path(out_dir)
        fig, ax = plt.subplots(figsize=(6, 0.45 * len(self.first_labels) + 1))
        rows = np.array(self.first_rows)
        ax.imshow(rows, cmap="Greys", vmin=0, vmax=1)
        for (i, j), v in np.ndenumerate(rows):
            ax.text(j, i, str(v), ha="center", va="center", fontsize=8,
                    color="white" if v else "0.4")
        ax.set_xticks(range(CLASSES), [str(c) for c in range(CLASSES)])
        ax.set_yticks(range(len(self.first_labels)),
                      [f"label {v}" for v in self.first_labels])
        ax.set(xlabel="class", title="one_hot(labels, 10): one 1 per row")
        paths = [save_figure(fig, out_dir / "softmax-ce_one_hot.png")]

        fig, ax = plt.subplots(figsize=(6.5, 4))
        p = np.array(self.p_grid)
        ax.plot(p, self.ce_of_p, label="cross_entropy(logits)  (correct)")
        ax.plot(p, self.bug_of_p, label="cross_entropy(softmax(logits))  (bug)")
        ax.axhline(self.bug_min, color="C1", ls=":", lw=1)
        ax.axhline(self.bug_max, color="C1", ls=":", lw=1)
        ax.annotate(f"bug, perfect prediction: ln(1 + 9/e) = {self.bug_min:.3f}",
                    (1.0, self.bug_min), xytext=(0.3, 0.5), arrowprops={"arrowstyle": "->"})
        ax.set(xlabel="probability of the right class p", ylabel="loss", ylim=(0, 5),
               title="The loss of one example (10 classes)")
        ax.grid(alpha=0.3)
        ax.legend()
        paths.append(save_figure(fig, out_dir / "softmax-ce_bug.png"))

        fig, (ax_l, ax_a) = plt.subplots(1, 2, figsize=(11, 4))
        epochs = np.arange(1, self.epochs + 1)
        ax_l.plot(epochs, self.correct_loss, "o-", label="logits into cross_entropy")
        ax_l.plot(epochs, self.bug_loss, "s-", label="probabilities into cross_entropy (bug)")
        ax_l.axhline(self.bug_min, color="C1", ls=":", lw=1, label="bug's floor")
        ax_l.set(xlabel="epoch", ylabel="training loss", title="Training loss")
        ax_a.plot(epochs, np.array(self.correct_acc) * 100, "o-", label="correct")
        ax_a.plot(epochs, np.array(self.bug_acc) * 100, "s-", label="bug")
        ax_a.set(xlabel="epoch", ylabel="test accuracy (%)", title="Test accuracy")
        for ax in (ax_l, ax_a):
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        fig.suptitle("Digits MLP: the softmax applied once vs twice")
        paths.append(save_figure(fig, out_dir / "softmax-ce_training.png"))
        return paths


def _grad_norm_of(model: nn.Module, loss: Tensor) -> float:
    model.zero_grad()
    loss.backward()
    return grad_norm(model)


@experiment("softmax-cross-entropy", claims=("S21", "S23"),
            title_en="One-hot labels, and where the softmax goes in cross-entropy",
            title_ko="원-핫 레이블, 그리고 교차 엔트로피 속 softmax의 위치")
def run_softmax_cross_entropy(quick: bool = False, seed: int = 0) -> SoftmaxCEResult:
    """One-hot digits labels; CE(logits) vs CEE(softmax); training with the softmax-twice bug."""
    x, y, x_test, y_test = flat_digits()

    # S21: one-hot labels.
    rows = one_hot(y, CLASSES)
    logits0 = Tensor(predict(mlp(DIGITS_SIZES, seed), x[:256]))
    index_ce = F.cross_entropy(logits0, y[:256]).item()
    onehot_vs_index = abs(F.cross_entropy(logits0, rows[:256].astype(np.float32)).item()
                          - index_ce)

    # Train the reference model (and, with the same seed, the buggy one).
    epochs = 5 if quick else 20

    def score(model: nn.Module) -> float:
        return accuracy(model, x_test, y_test)

    losses = {
        "correct": lambda model, idx: F.cross_entropy(model(Tensor(x[idx])), y[idx]),
        "bug": lambda model, idx: F.cross_entropy(model(Tensor(x[idx])).softmax(axis=1), y[idx]),
    }
    curves, models = {}, {}
    for name, batch_loss in losses.items():
        models[name] = mlp(DIGITS_SIZES, seed)
        curves[name] = train(models[name], batch_loss, len(x), epochs=epochs, batch_size=32,
                             lr=0.1, seed=seed, score=score)

    # S23: CE on logits vs CEE on probabilities, value and gradient, in float64.
    z = predict(models["correct"], x_test).astype(np.float64)
    n = len(z)
    za = Tensor(z.copy(), requires_grad=True)
    ce = F.cross_entropy(za, y_test)
    ce.backward()
    zb = Tensor(z.copy(), requires_grad=True)
    cee = F.cross_entropy_error(zb.softmax(axis=1), y_test)
    cee.backward()
    probs = softmax(z)
    p_right = probs[np.arange(n), y_test]
    exact = -(F.log(Tensor(z).softmax(axis=1)) * one_hot(y_test, CLASSES)).sum().item() / n
    formula = (probs - one_hot(y_test, CLASSES)) / n

    # The bug's gradient on the parameters, untrained and trained, on the same batch.
    batch = np.arange(256)
    ratios = []
    for model in (mlp(DIGITS_SIZES, seed), models["correct"]):
        good = _grad_norm_of(model, losses["correct"](model, batch))
        bad = _grad_norm_of(model, losses["bug"](model, batch))
        ratios.append(bad / good)

    p_grid = np.linspace(0.001, 0.999, 80)
    grid_logits = Tensor(logits_giving(p_grid, CLASSES))
    labels = np.zeros(len(p_grid), dtype=np.int64)
    ce_of_p = F.cross_entropy(grid_logits, labels, reduction="none").numpy()
    bug_of_p = F.cross_entropy(grid_logits.softmax(axis=1), labels, reduction="none").numpy()
    perfect = F.cross_entropy(Tensor(np.eye(CLASSES)), np.arange(CLASSES)).item()
    lo, hi = bug_loss_range()

    return SoftmaxCEResult(
        n_labels=len(y), one_hot_shape=list(rows.shape),
        rows_with_single_one=int(np.sum((rows.sum(axis=1) == 1) & (rows.max(axis=1) == 1))),
        zero_share=r(np.mean(rows == 0)), argmax_recovers=bool(np.all(rows.argmax(axis=1) == y)),
        onehot_vs_index_diff=onehot_vs_index, index_ce=index_ce, first_labels=[int(v) for v in y[:10]],
        first_rows=rows[:10].tolist(),
        ce_logits=ce.item(), cee_probs=cee.item(), loss_diff=abs(ce.item() - cee.item()),
        predicted_eps_diff=float(np.mean(np.log1p(1e-7 / p_right))),
        loss_diff_without_eps=abs(exact - ce.item()),
        grad_diff=float(np.max(np.abs(za.grad.numpy() - zb.grad.numpy()))),
        grad_vs_formula=float(np.max(np.abs(za.grad.numpy() - formula))),
        bug_min=lo, bug_max=hi, bug_perfect=perfect,
        p_grid=[r(v, 6) for v in p_grid], ce_of_p=[r(v, 6) for v in ce_of_p],
        bug_of_p=[r(v, 6) for v in bug_of_p],
        grad_ratio_init=r(ratios[0], 6), grad_ratio_trained=r(ratios[1], 6), epochs=epochs,
        correct_acc=[r(v) for v in curves["correct"].score],
        bug_acc=[r(v) for v in curves["bug"].score],
        correct_loss=[r(v, 5) for v in curves["correct"].loss],
        bug_loss=[r(v, 5) for v in curves["bug"].loss],
    )
