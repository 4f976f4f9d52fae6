"""Backpropagation is the chain rule (S16); the batch loss is a mean (S9).

Three ways to get the same gradients on the same weights and batch: the textbook layers'
hand-written ``backward`` (lab/textbook.py), neuralab's autodiff engine, and central
differences. Then a 2-2-1 network on one example, walked backwards node by node: each step
multiplies the gradient arriving from above by the node's local derivative.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import nn
from ..tensor import Tensor
from .registry import ExperimentResult, Finding, experiment
from .textbook import TwoLayerNet, sigmoid

PARAMS = ("W1", "b1", "W2", "b2")
PAIRS = ("textbook_vs_autodiff", "textbook_vs_numerical", "autodiff_vs_numerical")


# ----------------------------------------------------------------------- gradient checks
def autodiff_gradient(params: dict[str, np.ndarray], x: np.ndarray, t: np.ndarray,
                      activation: str = "relu") -> dict[str, np.ndarray]:
    """The same loss as ``TwoLayerNet.loss`` built from neuralab ops; gradients by ``backward``.

    scores = act(x @ W1 + b1) @ W2 + b2,  L = cross_entropy(scores, t) (mean over the batch).
    """
    tensors = {name: Tensor(np.array(value, dtype=np.float64), requires_grad=True)
               for name, value in params.items()}
    hidden = Tensor(x) @ tensors["W1"] + tensors["b1"]
    hidden = hidden.relu() if activation == "relu" else hidden.sigmoid()
    scores = hidden @ tensors["W2"] + tensors["b2"]
    nn.functional.cross_entropy(scores, np.asarray(t)).backward()
    return {name: tensor.grad.numpy() for name, tensor in tensors.items()}


def _max_rel(a: np.ndarray, b: np.ndarray) -> float:
    """max |a − b| / max(max |a|, max |b|): the worst difference relative to the gradient's scale
    (element-wise ratios would blow up on entries that are nearly 0 in both)."""
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))), 1e-300)
    return float(np.max(np.abs(a - b))) / scale


def gradient_check(input_size: int, hidden_size: int, classes: int, batch: int, seed: int,
                   activation: str = "relu") -> dict:
    """Gradients of one random net and batch three ways; max abs and relative differences."""
    rng = np.random.default_rng(seed)
    net = TwoLayerNet(input_size, hidden_size, classes, activation=activation, generator=rng)
    x = rng.standard_normal((batch, input_size))
    t = rng.integers(0, classes, batch)
    grads = {"textbook": net.gradient(x, t),
             "autodiff": autodiff_gradient(net.params, x, t, activation),
             "numerical": net.numerical_gradient(x, t)}
    pre = x @ net.params["W1"] + net.params["b1"]
    report: dict = {"shape": [input_size, hidden_size, classes], "batch": batch, "seed": seed,
                    "activation": activation, "loss": net.loss(x, t),
                    # the finite differences would straddle ReLU's kink if this were < eps
                    "min_abs_preactivation": float(np.min(np.abs(pre))), "abs": {}, "rel": {}}
    for pair in PAIRS:
        a, b = pair.split("_vs_")
        report["abs"][pair] = {p: float(np.max(np.abs(grads[a][p] - grads[b][p]))) for p in PARAMS}
        report["rel"][pair] = {p: _max_rel(grads[a][p], grads[b][p]) for p in PARAMS}
    return report


def batch_mean_check(seed: int = 0, batch: int = 16) -> dict:
    """S9: the gradient of the batch-mean loss is the mean of the per-example gradients, and its
    size does not grow with the batch (a summed loss's gradient does, roughly ×N)."""
    rng = np.random.default_rng(seed)
    net = TwoLayerNet(4, 6, 3, generator=rng)
    x = rng.standard_normal((256, 4))
    t = rng.integers(0, 3, 256)
    whole = net.gradient(x[:batch], t[:batch])
    singles = [net.gradient(x[i:i + 1], t[i:i + 1]) for i in range(batch)]
    mean_diff = max(float(np.max(np.abs(whole[p] - np.mean([s[p] for s in singles], axis=0))))
                    for p in PARAMS)
    sizes = [1, 4, 16, 64, 256]
    mean_norms, sum_norms = [], []
    for n in sizes:
        g = net.gradient(x[:n], t[:n])
        norm = float(np.sqrt(sum(np.sum(g[p] ** 2) for p in PARAMS)))
        mean_norms.append(norm)
        sum_norms.append(norm * n)  # the summed loss is N × the mean loss, so is its gradient
    return {"batch": batch, "max_diff_batch_vs_mean_of_examples": mean_diff,
            "batch_sizes": sizes, "grad_norm_mean_loss": mean_norms,
            "grad_norm_sum_loss": sum_norms}


# --------------------------------------------------------------- the chain-rule walk-through
@dataclass
class ChainStep:
    """One backward step: ∂L/∂wrt = (∂node/∂wrt) · ∂L/∂node  (local · upstream = product)."""

    node: str
    wrt: str
    formula: str
    local: float
    upstream: float
    product: float


# A 2-2-1 network with hand-picked numbers (nn.Linear layout: W1[j, i] joins input i to hidden j).
WALK_X = np.array([1.0, 0.5])
WALK_T = 1.0
WALK_PARAMS = {"W1": np.array([[0.5, -0.4], [0.3, 0.8]]), "b1": np.array([0.1, -0.2]),
               "W2": np.array([[0.7, -0.6]]), "b2": np.array([0.05])}


def chain_rule_walkthrough(x: np.ndarray = WALK_X, t: float = WALK_T,
                           params: dict[str, np.ndarray] | None = None
                           ) -> tuple[list[ChainStep], dict[str, np.ndarray], dict[str, float]]:
    """Backpropagate by hand through z1 = W1 x + b1, h = σ(z1), z2 = W2 h + b2, y = σ(z2),
    L = (y − t)², one scalar node at a time.

    Returns the steps in the order they happen (from L back to the first layer's weights),
    the gradients they produce (shaped like the parameters) and the forward values.
    """
    p = {k: np.asarray(v, dtype=np.float64) for k, v in (params or WALK_PARAMS).items()}
    x = np.asarray(x, dtype=np.float64)
    z1 = p["W1"] @ x + p["b1"]
    h = sigmoid(z1)
    z2 = float(p["W2"][0] @ h + p["b2"][0])
    y = float(sigmoid(np.array(z2)))
    loss = (y - t) ** 2
    steps: list[ChainStep] = []

    def step(node: str, wrt: str, formula: str, local: float, upstream: float) -> float:
        steps.append(ChainStep(node, wrt, formula, float(local), float(upstream),
                               float(local * upstream)))
        return float(local * upstream)

    d_y = step("L = (y − t)²", "y", "2(y − t)", 2 * (y - t), 1.0)  # dL/dL = 1 starts it
    d_z2 = step("y = σ(z2)", "z2", "y(1 − y)", y * (1 - y), d_y)
    grads = {k: np.zeros_like(v) for k, v in p.items()}
    for j in range(2):
        grads["W2"][0, j] = step("z2 = Σ w2_j h_j + b2", f"w2_{j + 1}", f"h_{j + 1}", h[j], d_z2)
    grads["b2"][0] = step("z2 = Σ w2_j h_j + b2", "b2", "1", 1.0, d_z2)
    d_h = [step("z2 = Σ w2_j h_j + b2", f"h_{j + 1}", f"w2_{j + 1}", p["W2"][0, j], d_z2)
           for j in range(2)]
    d_z1 = [step(f"h_{j + 1} = σ(z1_{j + 1})", f"z1_{j + 1}", f"h_{j + 1}(1 − h_{j + 1})",
                 h[j] * (1 - h[j]), d_h[j]) for j in range(2)]
    for j in range(2):
        node = f"z1_{j + 1} = Σ w1_{j + 1}i x_i + b1_{j + 1}"
        for i in range(2):
            grads["W1"][j, i] = step(node, f"w1_{j + 1}{i + 1}", f"x_{i + 1}", x[i], d_z1[j])
        grads["b1"][j] = step(node, f"b1_{j + 1}", "1", 1.0, d_z1[j])
    forward = {"x1": x[0], "x2": x[1], "z1_1": z1[0], "z1_2": z1[1], "h_1": h[0], "h_2": h[1],
               "z2": z2, "y": y, "t": float(t), "L": loss}
    return steps, grads, {k: float(v) for k, v in forward.items()}


def walkthrough_autodiff(x: np.ndarray = WALK_X, t: float = WALK_T,
                         params: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """The walk-through network's gradients from neuralab's engine (nn.Linear layout)."""
    tensors = {k: Tensor(np.array(v, dtype=np.float64), requires_grad=True)
               for k, v in (params or WALK_PARAMS).items()}
    xt = Tensor(np.asarray(x, dtype=np.float64)[None, :])
    h = nn.functional.linear(xt, tensors["W1"], tensors["b1"]).sigmoid()
    y = nn.functional.linear(h, tensors["W2"], tensors["b2"]).sigmoid()
    nn.functional.mse_loss(y, np.array([[t]], dtype=np.float64)).backward()
    return {k: v.grad.numpy() for k, v in tensors.items()}


def format_walkthrough(steps: list[ChainStep]) -> str:
    """The steps as an aligned text table."""
    lines = [f"{'node':<28} {'∂node/∂':<8} {'local':>10} × {'upstream':>10} = {'∂L/∂':>10}"]
    for s in steps:
        lines.append(f"{s.node:<28} {s.wrt:<8} {s.local:>10.6f} × {s.upstream:>10.6f} = "
                     f"{s.product:>10.6f}   ({s.formula})")
    return "\n".join(lines)


# ------------------------------------------------------------------------------ the result
@dataclass
class BackpropResult(ExperimentResult):
    checks: list[dict]
    worst_abs: dict[str, float]  # per pair, over all checks and parameters
    worst_rel: dict[str, float]
    walk_steps: list[ChainStep]
    walk_forward: dict[str, float]
    walk_grads: dict[str, list]
    walk_autodiff: dict[str, list]
    walk_max_diff: float
    batch_mean: dict = field(default_factory=dict)

    def findings(self) -> list[Finding]:
        wa, wr = self.worst_abs, self.worst_rel
        first = next(s for s in self.walk_steps if s.wrt == "w1_11")
        chain = [s for s in self.walk_steps
                 if s.wrt in ("y", "z2", "h_1", "z1_1", "w1_11")]
        factors = " × ".join(f"{s.local:.4f}" for s in chain)
        n_checks = len(self.checks)
        s16 = Finding(
            "S16", "confirmed",
            f"The error travels backwards: starting from ∂L/∂L = 1, each layer's hand-written "
            f"backward multiplies the incoming gradient by its local derivative. On {n_checks} "
            f"random networks and batches (float64) the textbook layers' gradients match "
            f"neuralab's autodiff to {wa['textbook_vs_autodiff']:.1e} (max abs) and central "
            f"differences to {wa['textbook_vs_numerical']:.1e} (max rel "
            f"{wr['textbook_vs_numerical']:.1e}). In the 2-2-1 walk-through, ∂L/∂w1_11 = "
            f"{factors} (∂L/∂y · ∂y/∂z2 · ∂z2/∂h_1 · ∂h_1/∂z1_1 · ∂z1_1/∂w1_11) = "
            f"{first.product:.6f}; "
            f"autodiff gives the same to {self.walk_max_diff:.1e}. Each weight is then updated "
            f"from its own derivative: w ← w − lr·∂L/∂w.",
            f"오차는 거꾸로 전파된다. ∂L/∂L = 1에서 시작해 각 층의 손으로 쓴 backward가 들어온 "
            f"기울기에 자기 국소 미분을 곱한다. 무작위 신경망과 배치 {n_checks}개(float64)에서 "
            f"교과서 방식 층의 기울기는 neuralab 자동 미분과 {wa['textbook_vs_autodiff']:.1e}"
            f"(최대 절대 오차), 중앙 차분 수치 미분과 {wa['textbook_vs_numerical']:.1e}"
            f"(최대 상대 오차 {wr['textbook_vs_numerical']:.1e}) 이내로 일치한다. 2-2-1 예제에서 "
            f"∂L/∂w1_11 = {factors} (∂L/∂y · ∂y/∂z2 · ∂z2/∂h_1 · ∂h_1/∂z1_1 · ∂z1_1/∂w1_11) = "
            f"{first.product:.6f} 이고, "
            f"자동 미분과의 차이는 {self.walk_max_diff:.1e}이다. 각 가중치는 자기 미분으로 "
            f"갱신된다: w ← w − lr·∂L/∂w.",
            ("backprop_gradient_check.png", "backprop_walkthrough.png"),
        )
        bm = self.batch_mean
        norms = bm["grad_norm_mean_loss"]
        sums = bm["grad_norm_sum_loss"]
        s9 = Finding(
            "S9", "confirmed",
            f"SoftmaxWithLoss averages the cross-entropy over the batch, so its backward divides "
            f"by N: the batch gradient equals the mean of the {bm['batch']} per-example gradients "
            f"(max diff {bm['max_diff_batch_vs_mean_of_examples']:.1e}). Averaging keeps the "
            f"gradient's size from growing with the batch (norm {norms[0]:.2f} at N=1, "
            f"{norms[-1]:.2f} at N={bm['batch_sizes'][-1]}), while a summed loss grows with N "
            f"({sums[-1]:.0f} at N={bm['batch_sizes'][-1]}); so one learning rate serves any "
            f"batch size, and the batch's vectorised forward/backward is what makes it efficient.",
            f"SoftmaxWithLoss는 배치에 대한 교차 엔트로피의 평균을 내므로 backward가 N으로 나눈다. "
            f"배치 기울기는 예제 {bm['batch']}개 각각의 기울기의 평균과 같다(최대 차이 "
            f"{bm['max_diff_batch_vs_mean_of_examples']:.1e}). 평균을 내면 기울기의 크기가 배치 "
            f"크기에 따라 커지지 않는다(N=1에서 노름 {norms[0]:.2f}, N={bm['batch_sizes'][-1]}에서 "
            f"{norms[-1]:.2f}). 합을 쓰면 N과 함께 커진다(N={bm['batch_sizes'][-1]}에서 "
            f"{sums[-1]:.0f}). 그래서 배치 크기와 상관없이 같은 학습률을 쓸 수 있고, 효율은 "
            f"배치를 한 번에 행렬로 계산하는 데서 나온다.",
            ("backprop_batch_mean.png",),
        )
        return [s16, s9]

    def summary(self) -> list[str]:
        return [format_walkthrough(self.walk_steps), *super().summary()]

    def draw(self, out_dir: Path) -> list[Path]:
        out_dir = Path(out_dir)
        return [_draw_gradient_check(self, out_dir / "backprop_gradient_check.png"),
                _draw_walkthrough(self, out_dir / "backprop_walkthrough.png"),
                _draw_batch_mean(self, out_dir / "backprop_batch_mean.png")]


@experiment("backprop", claims=("S16", "S9"),
            title_en="Backpropagation is the chain rule: textbook layers vs autodiff vs numbers",
            title_ko="역전파는 연쇄 법칙이다: 교과서 방식 층, 자동 미분, 수치 미분 비교")
def run(quick: bool = False) -> BackpropResult:
    """Gradient checks on random nets (ReLU and sigmoid) and the 2-2-1 walk-through."""
    configs = [(4, 6, 3, 8, 0, "relu"), (4, 6, 3, 8, 1, "sigmoid")]
    if not quick:
        configs += [(20, 30, 5, 50, 2, "relu"), (20, 30, 5, 50, 3, "sigmoid"),
                    (64, 32, 10, 100, 4, "relu")]
    checks = [gradient_check(*c) for c in configs]
    worst_abs = {pair: max(max(c["abs"][pair].values()) for c in checks) for pair in PAIRS}
    worst_rel = {pair: max(max(c["rel"][pair].values()) for c in checks) for pair in PAIRS}
    steps, grads, forward = chain_rule_walkthrough()
    auto = walkthrough_autodiff()
    walk_diff = max(float(np.max(np.abs(grads[k] - auto[k]))) for k in grads)
    return BackpropResult(
        checks, worst_abs, worst_rel, steps, forward,
        {k: v.tolist() for k, v in grads.items()}, {k: v.tolist() for k, v in auto.items()},
        walk_diff, batch_mean_check())


# ------------------------------------------------------------------------------- figures
def _draw_gradient_check(result: BackpropResult, path: Path) -> Path:
    from ..plot import _pyplot, save_figure

    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    floor = 1e-18  # an exact 0 would vanish from a log axis; draw it at the floor, labelled
    width = 0.26
    labels = {"textbook_vs_autodiff": "textbook vs autodiff",
              "textbook_vs_numerical": "textbook vs numerical",
              "autodiff_vs_numerical": "autodiff vs numerical"}
    for ax, kind, title in ((axes[0], "abs", "max |difference|"),
                            (axes[1], "rel", "max |difference| / max |gradient|")):
        for k, pair in enumerate(PAIRS):
            values = [max(c[kind][pair][p] for c in result.checks) for p in PARAMS]
            xs = np.arange(len(PARAMS)) + (k - 1) * width
            ax.bar(xs, [max(v, floor) for v in values], width, label=labels[pair])
            for x, v in zip(xs, values):
                ax.text(x, max(v, floor) * 2, "0" if v == 0 else f"{v:.0e}", ha="center",
                        fontsize=7, rotation=90)
        ax.set_yscale("log")
        ax.set_ylim(floor / 2, 1e-2)
        ax.set_xticks(np.arange(len(PARAMS)), PARAMS)
        ax.axhline(np.finfo(np.float64).eps, color="0.5", ls=":", lw=1)
        ax.set(title=title, xlabel="parameter")
        ax.grid(alpha=0.3, axis="y")
    axes[0].legend(fontsize=8, loc="upper left")
    fig.suptitle(f"Three gradients of the same loss, {len(result.checks)} random nets (float64); "
                 "dotted line: machine epsilon")
    return save_figure(fig, path)


def _draw_walkthrough(result: BackpropResult, path: Path) -> Path:
    from ..plot import _pyplot, save_figure

    plt = _pyplot()
    fig, (ax, ax_table) = plt.subplots(2, 1, figsize=(12, 10),
                                       gridspec_kw={"height_ratios": [1, 1.3]})
    fig.subplots_adjust(hspace=0.02)
    f = result.walk_forward
    grad = {s.wrt: s.product for s in result.walk_steps}
    grad["L"] = 1.0
    pos = {"x1": (0, 1), "x2": (0, -1), "z1_1": (2, 1), "z1_2": (2, -1), "h_1": (4, 1),
           "h_2": (4, -1), "z2": (6, 0), "y": (8, 0), "L": (10, 0)}
    w2 = WALK_PARAMS["W2"][0]
    edges = [("x1", "z1_1", f"w1_11={WALK_PARAMS['W1'][0, 0]}"),
             ("x2", "z1_1", f"w1_12={WALK_PARAMS['W1'][0, 1]}"),
             ("x1", "z1_2", f"w1_21={WALK_PARAMS['W1'][1, 0]}"),
             ("x2", "z1_2", f"w1_22={WALK_PARAMS['W1'][1, 1]}"),
             ("z1_1", "h_1", "σ′ = h(1−h)"), ("z1_2", "h_2", "σ′ = h(1−h)"),
             ("h_1", "z2", f"w2_1={w2[0]}"), ("h_2", "z2", f"w2_2={w2[1]}"),
             ("z2", "y", "σ′ = y(1−y)"), ("y", "L", "2(y−t)")]
    for a, b, label in edges:
        (xa, ya), (xb, yb) = pos[a], pos[b]
        ax.annotate("", xy=(xb - 0.45, yb), xytext=(xa + 0.45, ya),
                    arrowprops=dict(arrowstyle="->", color="0.4"))
        frac = 0.3 if a[0] == "x" else 0.5  # crossing edges: label near the source, apart
        ax.text(xa + frac * (xb - xa), ya + frac * (yb - ya) + 0.15, label, ha="center",
                fontsize=7.5, color="0.25")
    for name, (x, y) in pos.items():
        text = f"{name}\n{f[name]:.4f}"
        if name in grad:
            text += f"\n∂L/∂={grad[name]:.4f}"
        ax.text(x, y, text, ha="center", va="center", fontsize=8.5,
                bbox=dict(boxstyle="round", fc="#eef4ff" if name[0] != "x" else "#f4f4f4",
                          ec="0.5"))
    ax.text(5, -1.75, "forward values (black) flow left to right; ∂L/∂node is computed right to "
            "left: ∂L/∂input = local derivative × ∂L/∂output", ha="center", fontsize=9,
            color="#b00")
    ax.set_xlim(-0.8, 10.8)
    ax.set_ylim(-2.0, 1.8)
    ax.axis("off")
    ax.set_title(f"2-2-1 sigmoid net, MSE on one example (x = ({f['x1']}, {f['x2']}), "
                 f"t = {f['t']:.0f}): L = {f['L']:.4f}")
    rows = [[s.node, s.wrt, s.formula, f"{s.local:.6f}", f"{s.upstream:.6f}", f"{s.product:.6f}"]
            for s in result.walk_steps]
    ax_table.axis("off")
    table = ax_table.table(cellText=rows, colLabels=["node", "∂node/∂", "local derivative",
                                                     "local", "× upstream", "= ∂L/∂"],
                           loc="center", cellLoc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.scale(1, 1.25)
    ax_table.set_title(f"each step: product = local × upstream; the products equal autodiff's "
                       f"gradients (max diff {result.walk_max_diff:.1e})", fontsize=9)
    return save_figure(fig, path)


def _draw_batch_mean(result: BackpropResult, path: Path) -> Path:
    from ..plot import _pyplot, save_figure

    plt = _pyplot()
    bm = result.batch_mean
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.loglog(bm["batch_sizes"], bm["grad_norm_mean_loss"], "o-", label="mean over the batch")
    ax.loglog(bm["batch_sizes"], bm["grad_norm_sum_loss"], "s-", label="sum over the batch")
    ax.set(xlabel="batch size N", ylabel="‖∇L‖ (all parameters)",
           title="Gradient size vs batch size: mean (S9) vs sum")
    ax.legend()
    ax.grid(alpha=0.3, which="both")
    return save_figure(fig, path)
