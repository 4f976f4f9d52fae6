"""A hidden layer solves XOR (S15), and layers are matrices (S8).

MLPs trained by backpropagation on the four XOR points, 20 seeds per configuration (2-2-1 and
2-4-1; sigmoid, tanh, ReLU): how often each reaches 100 %, and why some do not. For a solved
2-2-1 net the four points are drawn in hidden-layer space, where the output layer's line
separates them (a perceptron trained there converges). For the 2-4-1 net the forward pass is
redone by hand as x @ W.T + b, layer by layer, and compared with the model's own output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import nn
from ..autograd.grad_mode import no_grad
from ..perceptron import Perceptron
from ..random import manual_seed
from ..tensor import Tensor
from .registry import ExperimentResult, Finding, experiment
from .xor import (
    XOR_INPUTS,
    XOR_TARGETS,
    XorResult,
    build_xor_mlp,
    fit_xor_mlp,
    train_xor_seeds,
)

HIDDEN = (2, 4)
ACTIVATIONS = ("sigmoid", "tanh", "relu")
_NUMPY_ACT = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh,
              "relu": lambda z: np.maximum(z, 0)}
TARGETS = XOR_TARGETS[:, 0].astype(int)


def hidden_features(model: nn.Sequential, x: np.ndarray = XOR_INPUTS) -> np.ndarray:
    """The hidden layer's outputs act(x @ W1.T + b1) for each row of x."""
    with no_grad():
        return model[1](model[0](Tensor(np.asarray(x, dtype=np.float32)))).numpy().copy()


def output_layer(model: nn.Sequential) -> tuple[np.ndarray, float]:
    """The output layer's (w, b): it predicts 1 where w·h + b > 0, a line in hidden space."""
    return model[2].weight.detach().numpy()[0].astype(float), float(model[2].bias.detach().numpy()[0])


def layer_by_layer(model: nn.Sequential, activation: str, x: np.ndarray = XOR_INPUTS) -> dict:
    """S8: the forward pass as matrix products, x @ W.T + b per layer, vs the model's own.

    ``nn.Linear`` stores W as (out, in), as PyTorch does; the note's ``input @ W1 + b1`` uses
    the (in, out) matrix, i.e. W1_note = W.T. Also computes layer 1 one node at a time
    (Σ_i x_i·W[j, i] + b_j, a perceptron each) to show the matrix does every node at once.
    """
    W1, b1 = model[0].weight.detach().numpy(), model[0].bias.detach().numpy()
    W2, b2 = model[2].weight.detach().numpy(), model[2].bias.detach().numpy()
    z1 = x @ W1.T + b1
    h1 = _NUMPY_ACT[activation](z1)
    z2 = h1 @ W2.T + b2
    with no_grad():
        reference = model(Tensor(x)).numpy()
    loop = np.array([[sum(x[n, i] * W1[j, i] for i in range(x.shape[1])) + b1[j]
                      for j in range(W1.shape[0])] for n in range(x.shape[0])])
    # W1 and W2 are nn.Linear.weight, (out, in); W1.T and W2.T are the note's (in, out) W1, W2.
    shapes = {"x": x.shape, "W1": W1.shape, "W1.T": W1.T.shape, "b1": b1.shape, "z1": z1.shape,
              "h1": h1.shape, "W2": W2.shape, "W2.T": W2.T.shape, "b2": b2.shape, "z2": z2.shape}
    return {"shapes": {k: list(v) for k, v in shapes.items()},
            "x": x.tolist(), "W1": W1.tolist(), "b1": b1.tolist(), "z1": z1.tolist(),
            "h1": h1.tolist(), "W2": W2.tolist(), "b2": b2.tolist(), "z2": z2.tolist(),
            "max_diff_vs_model": float(np.max(np.abs(z2 - reference))),
            "max_diff_node_loop_vs_matrix": float(np.max(np.abs(loop - z1)))}


def _solved_model(hidden: int, activation: str, seeds: list[int],
                  epochs: int) -> tuple[nn.Sequential, XorResult]:
    """The first of ``seeds`` whose network, trained alone, gets all four points right."""
    for seed in seeds:
        model, res = fit_xor_mlp(hidden, activation, seed, epochs)
        if res.accuracy == 1.0:
            return model, res
    raise RuntimeError(f"no seed solved XOR with {hidden} hidden {activation} units")


@dataclass
class XorMlpResult(ExperimentResult):
    epochs: int
    seeds: list[int]
    success: dict[str, dict[str, int]]  # hidden ("2-2-1") -> activation -> solved seeds (of 20)
    final_losses: dict[str, dict[str, list[float]]]
    accuracies: dict[str, dict[str, list[float]]]
    relu_dead: dict[str, dict[str, int]]  # per net: failed ReLU seeds, and those with a dead unit
    long_epochs: int | None
    long_success: dict[str, dict[str, int]] = field(default_factory=dict)
    small: dict = field(default_factory=dict)  # the solved 2-2-1 net: hidden points, its line
    large: dict = field(default_factory=dict)  # the 2-4-1 net: probabilities, projection
    layers: dict = field(default_factory=dict)  # S8 walk-through
    training_edits: dict = field(default_factory=dict)
    grids: dict = field(default_factory=dict, repr=False)  # P(1) over the plane, for figures

    def findings(self) -> list[Finding]:
        lay, ed = self.layers, self.training_edits
        sh = lay["shapes"]
        s8 = Finding(
            "S8", "confirmed",
            f"For the batch of all four XOR inputs x {tuple(sh['x'])}, layer 1 is one matrix "
            f"product: x @ W1.T + b1 with nn.Linear's W1 {tuple(sh['W1'])} "
            f"(out, in) — the note's W1 is this W1.T {tuple(sh['W1.T'])} — gives "
            f"z1 {tuple(sh['z1'])}: every hidden node for every example at once "
            f"(node-by-node sums agree to {lay['max_diff_node_loop_vs_matrix']:.1e}). Layer 2, "
            f"act(z1) @ W2.T + b2, gives z2 {tuple(sh['z2'])}, equal to the "
            f"model's forward to {lay['max_diff_vs_model']:.1e}. Training edited "
            f"{ed['changed']} of the {ed['total']} numbers in these matrices (mean |change| "
            f"{ed['mean_abs_change']:.2f}); the shapes never change.",
            f"XOR 입력 네 개를 한 배치 x {tuple(sh['x'])}로 넣으면 1층은 행렬 곱 하나다: "
            f"x @ W1.T + b1. nn.Linear의 W1은 (출력, 입력) 모양 "
            f"{tuple(sh['W1'])}이고, 노트의 W1은 이것의 전치 W1.T "
            f"{tuple(sh['W1.T'])}이다. 결과 z1 {tuple(sh['z1'])}에 "
            f"모든 예제의 모든 은닉 노드 값이 한 번에 나온다(노드별 합과의 차이 "
            f"{lay['max_diff_node_loop_vs_matrix']:.1e}). 2층 act(z1) @ W2.T + b2 는 z2 "
            f"{tuple(sh['z2'])}를 내며 모델의 순전파와 {lay['max_diff_vs_model']:.1e} "
            f"이내로 같다. 학습은 이 행렬들의 숫자 {ed['total']}개 중 {ed['changed']}개를 고쳤고"
            f"(평균 변화량 {ed['mean_abs_change']:.2f}), 행렬의 모양은 그대로다.",
            ("xor_mlp_layers.png",),
        )
        counts_en = "; ".join(f"{net}: " + ", ".join(f"{a} {c}/20" for a, c in acts.items())
                              for net, acts in self.success.items())
        sm = self.small
        dead = self.relu_dead["2-2-1"]
        long_en = long_ko = ""
        if self.long_epochs:
            long_counts = "; ".join(f"{net}: " + ", ".join(f"{a} {c}/20" for a, c in acts.items())
                                    for net, acts in self.long_success.items())
            gain = sum(self.long_success[n][a] - self.success[n][a]
                       for n in self.success for a in self.success[n])
            verdict_en = ("no failure recovers: they are stuck, not slow" if gain <= 0 else
                          f"only {gain} more recover: most failures are stuck, not slow")
            verdict_ko = ("되살아난 경우가 없다: 실패는 느린 것이 아니라 갇힌 것이다" if gain <= 0
                          else f"{gain}개만 더 성공한다: 대부분의 실패는 느린 것이 아니라 갇힌 것이다")
            long_en = f" With {self.long_epochs} epochs: {long_counts} — {verdict_en}."
            long_ko = f" {self.long_epochs} 에포크까지 학습하면 {long_counts} — {verdict_ko}."
        wider = [a for a in ACTIVATIONS if self.success["2-4-1"][a] > self.success["2-2-1"][a]]
        never_worse = all(self.success["2-4-1"][a] >= self.success["2-2-1"][a]
                          for a in ACTIVATIONS)
        failed = [(acc, loss) for a in ACTIVATIONS
                  for acc, loss in zip(self.accuracies["2-2-1"][a], self.final_losses["2-2-1"][a])
                  if acc < 1.0]
        if failed:
            right = sorted({int(round(acc * 4)) for acc, _ in failed})
            lo, hi = min(loss for _, loss in failed), max(loss for _, loss in failed)
            names = [str(r) for r in right]
            right_text = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
            right_ko = " 또는 ".join(names)
            plateau_en = (f"the failed 2-2-1 runs sit on plateaus (final loss {lo:.2f}–{hi:.2f}, "
                          f"{right_text} of 4 right)")
            plateau_ko = (f"실패한 2-2-1 학습은 평탄한 곳에 멈춰 있다(최종 손실 {lo:.2f}–{hi:.2f}, "
                          f"4개 중 {right_ko}개 정답)")
        else:
            plateau_en = plateau_ko = ""
        how = "at least as" if never_worse else "not always as"
        wider_en = (f"The wider 2-4-1 net succeeds {how} often, more often with "
                    f"{', '.join(wider) or 'none'}")
        wider_ko = (f"더 넓은 2-4-1 신경망이 {'항상 같거나 더 자주' if never_worse else '늘 그렇지는 않지만'}"
                    f" 성공한다(더 자주: {', '.join(wider) or '없음'})")
        s15 = Finding(
            "S15", "confirmed",
            f"An MLP trained by backpropagation solves XOR, which no single line can (S14). In the "
            f"input plane the four points are not separable; in the hidden space of a solved "
            f"2-2-1 {sm['activation']} net (seed {sm['seed']}) they are: the output layer's line "
            f"{sm['line_text']} classifies all four, and a perceptron trained on the hidden "
            f"outputs converges in {sm['perceptron_epochs']} epochs. But not every start gets "
            f"there — solved seeds out of 20 after {self.epochs} epochs: {counts_en}. "
            f"{wider_en}; 2 hidden units is the bare minimum and {plateau_en}; {dead['dead']} of "
            f"the {dead['failed']} failed 2-2-1 ReLU nets have a dead hidden unit (pre-activation "
            f"≤ 0 on all four inputs).{long_en}",
            f"역전파로 학습한 MLP는 직선 하나로는 안 되는(S14) XOR을 해결한다. 입력 평면에서는 네 "
            f"점을 나눌 수 없지만, 학습에 성공한 2-2-1 {sm['activation']} 신경망(시드 "
            f"{sm['seed']})의 은닉층 공간에서는 나눌 수 있다: 출력층의 직선 {sm['line_text']}이 네 "
            f"점을 모두 맞히고, 은닉층 출력으로 학습한 퍼셉트론은 {sm['perceptron_epochs']} "
            f"에포크 만에 수렴한다. 하지만 모든 초기값이 성공하지는 않는다 — {self.epochs} 에포크 "
            f"후 20개 시드 중 성공 수: {counts_en}. {wider_ko}. 은닉 노드 2개는 최소한이고 "
            f"{plateau_ko}. 실패한 2-2-1 ReLU 신경망 {dead['failed']}개 중 {dead['dead']}개에는 "
            f"죽은 은닉 노드(네 입력 모두에서 활성화 전 값 ≤ 0)가 있다.{long_ko}",
            ("xor_mlp_hidden_space.png", "xor_mlp_regions.png", "xor_mlp_success.png"),
        )
        return [s8, s15]

    def draw(self, out_dir: Path) -> list[Path]:
        out_dir = Path(out_dir)
        return [_draw_regions(self, out_dir / "xor_mlp_regions.png"),
                _draw_hidden_space(self, out_dir / "xor_mlp_hidden_space.png"),
                _draw_success(self, out_dir / "xor_mlp_success.png"),
                _draw_layers(self, out_dir / "xor_mlp_layers.png")]


def _probability_grid(model: nn.Sequential, steps: int = 121) -> dict:
    axis = np.linspace(-0.5, 1.5, steps)
    g1, g2 = np.meshgrid(axis, axis)
    points = np.stack([g1.ravel(), g2.ravel()], axis=1).astype(np.float32)
    with no_grad():
        p = model(Tensor(points)).sigmoid().numpy().reshape(g1.shape)
    return {"axis": axis.tolist(), "p": p.round(4).tolist()}


def _line_text(w: np.ndarray, b: float) -> str:
    return f"{w[0]:.2f}·h1 {'-' if w[1] < 0 else '+'} {abs(w[1]):.2f}·h2 " \
           f"{'-' if b < 0 else '+'} {abs(b):.2f} = 0"


@experiment("xor-mlp", claims=("S8", "S15"),
            title_en="A hidden layer solves XOR; layers are matrices",
            title_ko="은닉층이 XOR을 해결한다; 층은 행렬이다")
def run(quick: bool = False) -> XorMlpResult:
    """Seed sweep over 2-2-1/2-4-1 × sigmoid/tanh/ReLU, hidden space, x @ W.T + b by hand."""
    epochs = 1000 if quick else 2000
    seeds = list(range(20))
    success: dict[str, dict[str, int]] = {}
    losses: dict[str, dict[str, list[float]]] = {}
    accuracies: dict[str, dict[str, list[float]]] = {}
    relu_dead: dict[str, dict[str, int]] = {}
    solved: dict[tuple[int, str], list[int]] = {}
    for hidden in HIDDEN:
        net = f"2-{hidden}-1"
        success[net], losses[net], accuracies[net] = {}, {}, {}
        for act in ACTIVATIONS:
            sweep = train_xor_seeds(hidden, act, seeds, epochs)
            success[net][act] = sweep.successes
            losses[net][act] = [round(v, 5) for v in sweep.final_losses]
            accuracies[net][act] = sweep.accuracies
            solved[hidden, act] = [s for s, a in zip(seeds, sweep.accuracies) if a == 1.0]
            if act == "relu":
                failed = [d for d, a in zip(sweep.dead_units, sweep.accuracies) if a < 1.0]
                relu_dead[net] = {"failed": len(failed), "dead": sum(d > 0 for d in failed)}
    long_epochs, long_success = None, {}
    if not quick:  # do the failures just need more time? (they do not)
        long_epochs = 5000
        long_success = {f"2-{h}-1": {a: train_xor_seeds(h, a, seeds, long_epochs).successes
                                     for a in ACTIVATIONS} for h in HIDDEN}
    result = XorMlpResult(epochs, seeds, success, losses, accuracies, relu_dead, long_epochs,
                          long_success)

    # The 2-2-1 net in hidden space: the first seed the sweep solved (re-trained alone).
    small, res = _solved_model(2, "sigmoid", solved[2, "sigmoid"] or seeds, epochs)
    h = hidden_features(small)
    w, b = output_layer(small)
    perceptron = Perceptron(2)
    fit = perceptron.fit(h, TARGETS, lr=0.1, max_epochs=1000, seed=0)
    result.small = {"seed": res.seed, "activation": "sigmoid", "accuracy": res.accuracy,
                    "hidden": h.tolist(), "w": w.tolist(), "b": b, "line_text": _line_text(w, b),
                    "line_correct": bool(np.array_equal((h @ w + b > 0).astype(int), TARGETS)),
                    "perceptron_converged": fit.converged, "perceptron_epochs": fit.epochs,
                    "probabilities": res.probabilities}

    # The 2-4-1 tanh net (the CLI's default): its matrices, and a 2-D view of its hidden space.
    large, res4 = _solved_model(4, "tanh", solved[4, "tanh"] or seeds, epochs)
    manual_seed(res4.seed)
    initial = [p.detach().numpy().copy() for p in build_xor_mlp(4, "tanh").parameters()]
    changes = np.concatenate([(p.detach().numpy() - p0).ravel()
                              for p, p0 in zip(large.parameters(), initial)])
    result.training_edits = {"total": int(changes.size), "changed": int(np.sum(changes != 0)),
                             "mean_abs_change": float(np.mean(np.abs(changes)))}
    result.layers = layer_by_layer(large, "tanh")
    h4 = hidden_features(large)
    w4, b4 = output_layer(large)
    u = w4 / np.linalg.norm(w4)  # axis 1: along the output layer's normal (the logit / |w|)
    rest = h4 - np.outer(h4 @ u, u)  # axis 2: the main direction of what is left
    v = np.linalg.svd(rest - rest.mean(axis=0))[2][0]
    result.large = {"seed": res4.seed, "activation": "tanh", "accuracy": res4.accuracy,
                    "hidden": h4.tolist(), "w": w4.tolist(), "b": b4,
                    "projection": np.stack([h4 @ u, h4 @ v], axis=1).tolist(),
                    "threshold": float(-b4 / np.linalg.norm(w4)),
                    "probabilities": res4.probabilities}
    result.grids = {"2-2-1": _probability_grid(small), "2-4-1": _probability_grid(large)}
    return result


# ------------------------------------------------------------------------------- figures
def _xor_points(ax, points=XOR_INPUTS, labels: bool = False) -> None:
    points = np.asarray(points, dtype=float)
    for (x1, x2), t in zip(points, TARGETS):  # black edges: visible on any background
        ax.plot(x1, x2, "o" if t else "X", ms=12, mec="k", mew=1.2, color="C1" if t else "C0")
    if labels:  # one label per cluster: hidden layers often map two inputs to nearly one point
        spread = max(float(np.ptp(points)), 1e-9)
        done: set[int] = set()
        for i, point in enumerate(points):
            if i in done:
                continue
            near = [j for j in range(len(points))
                    if np.linalg.norm(points[j] - point) < 0.06 * spread]
            done.update(near)
            text = ", ".join(f"({a},{b})" for a, b in XOR_INPUTS[near].astype(int))
            ax.annotate(text, tuple(point), xytext=(7, 5), textcoords="offset points",
                        fontsize=8)
    ax.plot([], [], "o", color="C1", mec="k", label="XOR = 1")
    ax.plot([], [], "X", color="C0", mec="k", label="XOR = 0")


def _draw_regions(result: XorMlpResult, path: Path) -> Path:
    from ..plot import _pyplot, save_figure

    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8))
    for ax, (net, info) in zip(axes, (("2-2-1", result.small), ("2-4-1", result.large))):
        grid = result.grids[net]
        axis, p = np.array(grid["axis"]), np.array(grid["p"])
        image = ax.contourf(axis, axis, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r",
                            alpha=0.8)
        ax.contour(axis, axis, p, levels=[0.5], colors="k", linewidths=2)
        _xor_points(ax)
        ax.set(xlabel="x1", ylabel="x2", aspect="equal",
               title=f"{net} {info['activation']} (seed {info['seed']}): P(XOR = 1)")
        ax.legend(fontsize=8, loc="upper right")
    axes[1].set_ylabel("")
    fig.colorbar(image, ax=axes, shrink=0.8, label="P(1); black curve: P = 0.5")
    fig.suptitle("Decision regions in the input plane: not one line, but a bent boundary")
    return save_figure(fig, path)


def _draw_hidden_space(result: XorMlpResult, path: Path) -> Path:
    from ..plot import _pyplot, save_figure

    plt = _pyplot()
    fig, (ax_in, ax_h, ax_p) = plt.subplots(1, 3, figsize=(16, 5))
    _xor_points(ax_in, labels=True)
    ax_in.set(xlim=(-0.3, 1.3), ylim=(-0.3, 1.3), aspect="equal", xlabel="x1", ylabel="x2",
              title="Input space: no line separates them (S14)")
    ax_in.legend(fontsize=8, loc="center")

    sm = result.small
    h = np.array(sm["hidden"])
    w, b = np.array(sm["w"]), sm["b"]
    _xor_points(ax_h, h, labels=True)
    lo, hi = -0.1, 1.1
    grid = np.linspace(lo, hi, 121)
    g1, g2 = np.meshgrid(grid, grid)
    ax_h.contourf(g1, g2, (w[0] * g1 + w[1] * g2 + b > 0).astype(float), levels=[0.5, 1.5],
                  colors=["#ffe2c4"], alpha=0.7)
    t = np.linspace(lo, hi, 2)
    if abs(w[1]) > 1e-9:
        ax_h.plot(t, -(w[0] * t + b) / w[1], "C3-", lw=2, label="output layer: w·h + b = 0")
    else:
        ax_h.axvline(-b / w[0], color="C3", lw=2, label="output layer: w·h + b = 0")
    ax_h.set(xlim=(lo, hi), ylim=(lo, hi), aspect="equal", xlabel="h1", ylabel="h2",
             title=f"2-2-1 {sm['activation']} hidden space: one line works\n"
                   "(shaded: the output layer says 1)")
    ax_h.legend(fontsize=8, loc="best")

    lg = result.large
    proj = np.array(lg["projection"])
    _xor_points(ax_p, proj, labels=True)
    ax_p.axvline(lg["threshold"], color="C3", lw=2, label="output layer's hyperplane")
    ax_p.set(xlabel="h · w/|w|  (along the output layer's normal)",
             ylabel="main direction across it",
             title=f"2-4-1 {lg['activation']} hidden space (4-D), projected to 2-D")
    ax_p.legend(fontsize=8, loc="best")
    ax_p.grid(alpha=0.3)
    fig.suptitle("The hidden layer moves the points to where a line separates them (S15)")
    return save_figure(fig, path)


def _draw_success(result: XorMlpResult, path: Path) -> Path:
    from ..plot import _pyplot, save_figure

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    xs = np.arange(len(ACTIVATIONS))
    runs = [(result.epochs, result.success)]
    if result.long_epochs:
        runs.append((result.long_epochs, result.long_success))
    width = 0.8 / (len(HIDDEN) * len(runs))
    k = 0
    for hidden in HIDDEN:
        net = f"2-{hidden}-1"
        for r, (epochs, table) in enumerate(runs):
            counts = [table[net][a] for a in ACTIVATIONS]
            offset = (k - (len(HIDDEN) * len(runs) - 1) / 2) * width
            bars = ax.bar(xs + offset, counts, width, color=f"C{hidden // 2 - 1}",
                          alpha=1.0 if r == 0 else 0.5, hatch="" if r == 0 else "//",
                          label=f"{net}, {epochs} epochs")
            ax.bar_label(bars, fontsize=8)
            k += 1
    ax.set_xticks(xs, ACTIVATIONS)
    ax.set(ylim=(0, 22), ylabel=f"seeds solving XOR (of {len(result.seeds)})",
           title="How often backprop finds a solution, by architecture and activation")
    ax.axhline(len(result.seeds), color="0.5", ls=":")
    ax.legend(fontsize=8, loc="lower right")
    return save_figure(fig, path)


def _draw_layers(result: XorMlpResult, path: Path) -> Path:
    from ..plot import _pyplot, save_figure

    plt = _pyplot()
    lay = result.layers
    panels = [("x", np.array(lay["x"])), ("@ W1.T", np.array(lay["W1"]).T),
              ("+ b1", np.array(lay["b1"])[None, :]), ("= z1", np.array(lay["z1"])),
              ("h1 = tanh(z1)", np.array(lay["h1"])), ("@ W2.T", np.array(lay["W2"]).T),
              ("+ b2", np.array(lay["b2"])[None, :]), ("= z2 (logit)", np.array(lay["z2"]))]
    widths = [m.shape[1] for _, m in panels]
    fig, axes = plt.subplots(1, len(panels), figsize=(16, 3.6),
                             gridspec_kw={"width_ratios": widths})
    for ax, (name, m) in zip(axes, panels):
        limit = max(float(np.max(np.abs(m))), 1e-9)
        ax.imshow(m, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
        for (i, j), value in np.ndenumerate(m):
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8)
        ax.set_title(f"{name}\n{m.shape[0]}×{m.shape[1]}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"2-4-1 tanh net on the XOR batch: each layer is x @ W.T + b (W = nn.Linear."
                 f"weight, out×in; the note's W is W.T). Same as model(x) to "
                 f"{lay['max_diff_vs_model']:.0e}", fontsize=10, y=1.1)
    return save_figure(fig, path)
