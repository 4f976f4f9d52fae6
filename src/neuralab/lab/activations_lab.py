"""Activation functions and their slopes (claims S3, S4, S5, S7; context for S17).

Each derivative is computed BY THE AUTODIFF ENGINE — x.grad after ``f(x).sum().backward()``,
which is dΣf(x_i)/dx_i = f′(x_i) since each output depends only on its own input — and set
beside the closed form and a central finite difference:

  step      0 / 1                     step′ = 0 (x ≠ 0)
  sigmoid   σ = 1/(1+e^−x)            σ′ = σ(1−σ) ≤ 0.25, equal at x = 0 only
  tanh      tanh x                    tanh′ = 1 − tanh² ≤ 1
  ReLU      max(0, x)                 ReLU′ = 1 (x > 0), 0 (x ≤ 0)
  Leaky     x (x > 0), 0.01·x         Leaky′ = 1 (x > 0), 0.01 (x ≤ 0)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import nn
from ..tensor import Tensor
from ._classify import LEAK
from .registry import ExperimentResult, Finding, experiment

NAMES = ("step", "sigmoid", "tanh", "relu", "leaky_relu")
LABELS = {"step": "step", "sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU",
          "leaky_relu": f"Leaky ReLU ({LEAK})"}
FIG_CURVES = "activations_and_derivatives.png"
FIG_SATURATION = "sigmoid_saturation.png"
FIG_LEAKY = "leaky_relu_negative.png"


def _module(name: str) -> nn.Module:
    return {"step": nn.Step, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU,
            "leaky_relu": lambda: nn.LeakyReLU(LEAK)}[name]()


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * np.tanh(0.5 * x) + 0.5  # = 1/(1+e^−x), without overflow


# The textbook forms, written independently of the library's ops.
CLOSED_FORMS: dict[str, tuple[Callable[[np.ndarray], np.ndarray],
                              Callable[[np.ndarray], np.ndarray]]] = {
    "step": (lambda x: (x > 0).astype(float), lambda x: np.zeros_like(x)),
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    "tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "relu": (lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(float)),
    "leaky_relu": (lambda x: np.where(x > 0, x, LEAK * x), lambda x: np.where(x > 0, 1.0, LEAK)),
}


def autodiff(name: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(f(x), f′(x)) from the library: forward, then backward of the sum (float64)."""
    t = Tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    y = _module(name)(t)
    y.sum().backward()
    return np.array(y.detach().numpy()), np.array(t.grad)


@dataclass
class ActivationsResult(ExperimentResult):
    """Curves on x ∈ [−10, 10] and the numbers behind the verdicts."""

    x: list[float] = field(repr=False)  # the plotted points (every 0.05)
    values: dict[str, list[float]] = field(repr=False)
    derivatives: dict[str, list[float]] = field(repr=False)  # from autodiff
    max_error_vs_closed_form: dict[str, float]  # max |autodiff − closed form| on the grid
    max_error_vs_finite_difference: dict[str, float]  # away from the kink at 0
    sigmoid_max_slope: float
    sigmoid_argmax_x: float
    slopes: dict[str, dict[str, float]]  # activation → {"0": f′(0), "5": f′(5), ...}
    exact_zero_fraction: dict[str, float]  # share of grid points where f(x) == 0 exactly
    sigmoid_min_output: float  # on the grid, i.e. σ(−10)
    step_max_abs_derivative: float
    sigmoid_underflow_x: dict[str, float]  # first x < 0 where σ(x) rounds to 0, per dtype
    leaky_at_minus_2: float
    leaky_slope_at_minus_2: float
    relu_at_minus_2: float

    def findings(self) -> list[Finding]:
        s = self.slopes
        worst = max(self.max_error_vs_closed_form.values())
        s5, s10 = s["sigmoid"]["5"], s["sigmoid"]["10"]
        f32 = self.sigmoid_underflow_x["float32"]
        return [
            Finding(
                "S3", "confirmed",
                f"step(x) is 0 for x ≤ 0 and 1 for x > 0; sigmoid rises smoothly from "
                f"{self.sigmoid_min_output:.2e} at x = −10 through σ(0) = 0.5 to "
                f"{1 - self.sigmoid_min_output:.5f} at x = 10, never reaching 0 or 1. The "
                f"autodiff derivatives of all five activations equal their closed forms "
                f"(largest difference {worst:.1e}).",
                f"계단 함수는 x ≤ 0 에서 0, x > 0 에서 1이다. 시그모이드는 x = −10 에서 "
                f"{self.sigmoid_min_output:.2e}, σ(0) = 0.5, x = 10 에서 "
                f"{1 - self.sigmoid_min_output:.5f} 로 부드럽게 증가하며 0이나 1에 닿지 않는다. "
                f"다섯 활성함수의 자동미분 결과는 손으로 구한 도함수와 같다 (최대 차이 {worst:.1e}).",
                (FIG_CURVES,)),
            Finding(
                "S4", "confirmed",
                f"σ′(0) = {s['sigmoid']['0']:.4f}, σ′(±5) = {s5:.2e} ({s5 / 0.25:.1%} of the "
                f"maximum), σ′(±10) = {s10:.2e} ({s10 / 0.25:.3%}); tanh′(5) = "
                f"{s['tanh']['5']:.1e}. ReLU′(x) = {s['relu']['5']:.0f} at x = 5 and "
                f"{s['relu']['10']:.0f} at x = 10: it does not saturate for positive inputs.",
                f"σ′(0) = {s['sigmoid']['0']:.4f}, σ′(±5) = {s5:.2e} (최댓값의 {s5 / 0.25:.1%}), "
                f"σ′(±10) = {s10:.2e} ({s10 / 0.25:.3%}) 로 |x|가 커질수록 기울기가 사라진다. "
                f"tanh′(5) = {s['tanh']['5']:.1e}. 반면 ReLU′는 x = 5, 10 에서 모두 1이라 양수 "
                f"입력에서는 포화되지 않는다.",
                (FIG_SATURATION, FIG_CURVES)),
            Finding(
                "S5", "confirmed",
                f"On x ∈ [−10, 10] sigmoid is never exactly 0 (smallest output "
                f"{self.sigmoid_min_output:.2e}) and its slope is positive everywhere, while step "
                f"and ReLU output exactly 0 on {self.exact_zero_fraction['step']:.0%} of the "
                f"grid (every x ≤ 0). The step's autodiff derivative is 0 everywhere (max "
                f"|step′| = {self.step_max_abs_derivative:g}): no gradient passes, so it cannot "
                f"be trained by backpropagation. Caveats: the flow is thin in the tails (S4), "
                f"and in float32 σ(x) does round to 0 below x ≈ {f32:.1f}.",
                f"x ∈ [−10, 10] 에서 시그모이드는 한 번도 정확히 0이 되지 않고 (최솟값 "
                f"{self.sigmoid_min_output:.2e}) 기울기도 어디서나 양수다. 계단 함수와 ReLU는 "
                f"구간의 {self.exact_zero_fraction['step']:.0%} (x ≤ 0 전부)에서 정확히 0을 "
                f"출력한다. 계단 함수의 자동미분 도함수는 모든 곳에서 0이라 기울기가 전달되지 "
                f"않고, 역전파로 학습할 수 없다. 단, 양 끝에서는 기울기가 매우 작고(S4), float32 "
                f"에서는 x ≈ {f32:.1f} 아래에서 σ(x)가 0으로 반올림된다.",
                (FIG_CURVES,)),
            Finding(
                "S7", "corrected",
                f"LeakyReLU(−2) = {self.leaky_at_minus_2:g}: a small NEGATIVE output (0.01·x), "
                f"not a small positive one as the note's answer says; its slope there is "
                f"{self.leaky_slope_at_minus_2:g} (ReLU(−2) = {self.relu_at_minus_2:g}, slope 0). "
                f"The rest of S7 — Leaky ReLU mitigates dead neurons but weakens sparsity — is "
                f"measured by the experiment 'dead-relu'.",
                f"LeakyReLU(−2) = {self.leaky_at_minus_2:g}: 노트의 답처럼 작은 양수가 아니라 "
                f"작은 음수(0.01·x)가 나온다. 그 점의 기울기는 {self.leaky_slope_at_minus_2:g} "
                f"이다 (ReLU(−2) = {self.relu_at_minus_2:g}, 기울기 0). S7의 나머지 — 죽은 뉴런을 "
                f"완화하지만 희소성을 약화시킨다는 점 — 는 'dead-relu' 실험에서 측정한다.",
                (FIG_LEAKY,)),
            Finding(
                "S17", "context",
                f"The largest sigmoid slope is {self.sigmoid_max_slope:.4f}, at x = "
                f"{self.sigmoid_argmax_x:g}: each sigmoid layer multiplies the backward signal "
                f"by at most 0.25 (times its weights), so 10 layers give at most 0.25^10 ≈ "
                f"{0.25 ** 10:.1e} from the activations alone. The deep-network measurement is "
                f"the experiment 'vanishing-gradients'.",
                f"시그모이드 기울기의 최댓값은 x = {self.sigmoid_argmax_x:g} 에서 "
                f"{self.sigmoid_max_slope:.4f} 이다. 시그모이드 층 하나는 역전파 신호에 최대 0.25 "
                f"(와 가중치)를 곱하므로, 활성함수만으로 10층이면 최대 0.25^10 ≈ {0.25 ** 10:.1e} "
                f"이다. 깊은 신경망에서의 측정은 'vanishing-gradients' 실험에 있다.",
                (FIG_SATURATION,)),
        ]

    def draw(self, out_dir: Path) -> list[Path]:
        from ..plot import _pyplot, save_figure

        plt = _pyplot()
        out_dir = Path(out_dir)
        x = np.asarray(self.x)
        paths = []

        fig, axes = plt.subplots(2, len(NAMES), figsize=(3.4 * len(NAMES), 5.6), sharex=True)
        fig.subplots_adjust(wspace=0.35)
        for col, name in enumerate(NAMES):
            top, bottom = axes[0, col], axes[1, col]
            f, df = CLOSED_FORMS[name]
            top.plot(x, self.values[name], lw=2, color="C0")
            top.set_title(LABELS[name])
            bottom.plot(x, self.derivatives[name], lw=2, color="C3", label="autodiff")
            bottom.plot(x[::8], df(x[::8]), "k.", ms=4, label="closed form")
            for ax in (top, bottom):
                ax.axhline(0, color="0.6", lw=0.6)
                ax.axvline(0, color="0.6", lw=0.6)
                ax.grid(alpha=0.3)
            bottom.set_xlabel("x")
        axes[0, 0].set_ylabel("f(x)")
        axes[1, 0].set_ylabel("f′(x)")
        axes[1, 0].legend(fontsize=7, loc="upper left")
        fig.suptitle("Activations (top) and derivatives from backward() vs closed form (bottom)")
        paths.append(save_figure(fig, out_dir / FIG_CURVES))

        fig, ax = plt.subplots(figsize=(7, 4.2))
        for name, color in (("sigmoid", "C0"), ("tanh", "C2"), ("relu", "C3")):
            d = np.asarray(self.derivatives[name])
            keep = d > 0
            ax.semilogy(x[keep], d[keep], color=color, lw=2, label=f"{LABELS[name]}′" + (" (0 for x ≤ 0: off the log scale)"
                                                         if name == "relu" else ""))
        for at in (0, 5, 10):
            v = self.slopes["sigmoid"][str(at)]
            ax.plot([-at, at], [v, v], "o", color="C0")
            ax.annotate(f"σ′({at}) = {v:.2g}", (at, v), textcoords="offset points",
                        xytext=(6, 6), fontsize=8)
        ax.set(xlabel="x", ylabel="slope (log scale)",
               title="Sigmoid saturates: its slope is ≤ 0.25 and shrinks with |x|")
        ax.grid(alpha=0.3, which="both")
        ax.legend()
        paths.append(save_figure(fig, out_dir / FIG_SATURATION))

        fig, ax = plt.subplots(figsize=(6, 4))
        zoom = (x >= -3) & (x <= 1)
        ax.plot(x[zoom], np.asarray(self.values["relu"])[zoom], color="C3", lw=2, label="ReLU")
        ax.plot(x[zoom], np.asarray(self.values["leaky_relu"])[zoom], color="C1", lw=2,
                label=f"Leaky ReLU ({LEAK})")
        ax.plot([-2], [self.leaky_at_minus_2], "o", color="C1")
        ax.annotate(f"LeakyReLU(−2) = {self.leaky_at_minus_2:g}  (negative)",
                    (-2, self.leaky_at_minus_2), textcoords="offset points", xytext=(8, -18),
                    fontsize=9)
        ax.set_ylim(-0.06, 0.12)
        ax.axhline(0, color="0.5", lw=0.8)
        ax.set(xlabel="x", ylabel="output", title="Below 0, Leaky ReLU outputs 0.01·x < 0")
        ax.grid(alpha=0.3)
        ax.legend()
        paths.append(save_figure(fig, out_dir / FIG_LEAKY))
        return paths


def _underflow_x(dtype: type) -> float:
    """The first x (going down from 0 in steps of 0.001) where the library's σ(x) is exactly 0."""
    from ..ops.activation import sigmoid

    grid = -np.arange(0, 800_000) * 0.001  # down to −800, past float64's ≈ −745
    y = sigmoid(Tensor(grid.astype(dtype))).numpy()
    zero = np.flatnonzero(y == 0)
    return float(grid[zero[0]]) if zero.size else float("-inf")


@experiment("activations", claims=("S3", "S4", "S5", "S7", "S17"),
            title_en="Activation functions and their autodiff derivatives",
            title_ko="활성함수와 자동미분으로 구한 도함수")
def run(quick: bool = False) -> ActivationsResult:
    """Evaluate the five activations and their autodiff derivatives on x ∈ [−10, 10]."""
    h = 0.01 if quick else 0.005
    n = int(round(10 / h))
    x = np.arange(-n, n + 1) * h  # symmetric, with x = 0 exactly on the grid
    values, derivs, err_closed, err_fd, zeros = {}, {}, {}, {}, {}
    plotted = slice(None, None, int(round(0.05 / h)))  # keep the stored curves small
    eps = 1e-5
    away = np.abs(x) > 10 * eps  # finite differences are meaningless across the kink
    for name in NAMES:
        y, dy = autodiff(name, x)
        f, df = CLOSED_FORMS[name]
        fd = (autodiff(name, x + eps)[0] - autodiff(name, x - eps)[0]) / (2 * eps)
        values[name], derivs[name] = y[plotted].tolist(), dy[plotted].tolist()
        err_closed[name] = float(np.max(np.abs(dy - df(x))))
        err_fd[name] = float(np.max(np.abs(dy - fd)[away]))
        zeros[name] = float(np.mean(y == 0))
        if name == "sigmoid":
            sig_d, sig_min = dy, float(y.min())
        if name == "step":
            step_max = float(np.max(np.abs(dy)))
    slopes = {}
    for name in ("sigmoid", "tanh", "relu", "leaky_relu"):
        points = np.array([-10.0, -5.0, 0.0, 5.0, 10.0])
        d = autodiff(name, points)[1]
        slopes[name] = {f"{p:g}": float(v) for p, v in zip(points, d)}
    leaky = autodiff("leaky_relu", np.array([-2.0]))
    return ActivationsResult(
        x=x[plotted].tolist(), values=values, derivatives=derivs,
        max_error_vs_closed_form=err_closed, max_error_vs_finite_difference=err_fd,
        sigmoid_max_slope=float(sig_d.max()), sigmoid_argmax_x=float(x[np.argmax(sig_d)]),
        slopes=slopes, exact_zero_fraction=zeros,
        sigmoid_min_output=sig_min,
        step_max_abs_derivative=step_max,
        sigmoid_underflow_x={"float32": _underflow_x(np.float32),
                             "float64": _underflow_x(np.float64)},
        leaky_at_minus_2=float(leaky[0][0]), leaky_slope_at_minus_2=float(leaky[1][0]),
        relu_at_minus_2=float(autodiff("relu", np.array([-2.0]))[0][0]),
    )
