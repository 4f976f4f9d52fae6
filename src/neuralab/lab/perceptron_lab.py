"""The perceptron (S1), chained perceptrons (S2), its line (S13) and its first limit, XOR (S14).

Hand-set and learned perceptrons compute AND, OR, NAND and NOR; Rosenblatt's rule converges on
each within a few epochs. On XOR it never converges: some example is wrong in every epoch,
because no line w·x + b = 0 puts (0,1), (1,0) on one side and (0,0), (1,1) on the other.
Wiring NAND and OR into AND — perceptrons feeding perceptrons — computes XOR exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..perceptron import (
    GATE_INPUTS,
    GATE_WEIGHTS,
    TRUTH_TABLES,
    Perceptron,
    gate,
    learn_gate,
    xor_network,
)
from .registry import ExperimentResult, Finding, experiment

GATES = ("AND", "OR", "NAND", "NOR")
# Learned runs start from small random weights: from w = 0 the weights stay multiples of lr and
# the line tends to end exactly on input points (correct only thanks to S1's '≤'), which the
# figures would show as points sitting on the line.
INIT_SCALE = 0.05


def best_line_errors(samples: int, seed: int = 0) -> tuple[int, list[float]]:
    """Fewest XOR points any of ``samples`` random lines gets wrong (both orientations tried).

    A search, not a proof; the proof is four inequalities (see the S14 finding).
    """
    rng = np.random.default_rng(seed)
    angles = rng.uniform(0, 2 * np.pi, samples)
    w = np.stack([np.cos(angles), np.sin(angles)], axis=1)  # unit normals: every direction
    b = rng.uniform(-1.6, 1.6, samples)  # offsets that reach past every corner of the square
    predictions = (GATE_INPUTS @ w.T + b > 0).astype(int)  # (4, samples)
    errors = np.sum(predictions != TRUTH_TABLES["XOR"][:, None], axis=0)
    best = int(np.argmin(errors))
    return int(errors[best]), [float(w[best, 0]), float(w[best, 1]), float(b[best])]


@dataclass
class PerceptronResult(ExperimentResult):
    lr: float
    max_epochs: int
    seeds: list[int]
    # per gate: hand-set weights and their outputs, then one learned run per seed
    hand: dict[str, dict] = field(default_factory=dict)
    learned: dict[str, list[dict]] = field(default_factory=dict)
    xor_runs: list[dict] = field(default_factory=list)
    xor_best: dict = field(default_factory=dict)  # the best line the perceptron runs found
    line_search: dict = field(default_factory=dict)
    wired_xor: dict = field(default_factory=dict)
    boundary_case: dict = field(default_factory=dict)

    # -------------------------------------------------------------------------- findings
    def findings(self) -> list[Finding]:
        hand_ok = all(h["correct"] for h in self.hand.values())
        bc = self.boundary_case
        s1 = Finding(
            "S1", "confirmed",
            f"With ŷ = 0 when w·x + b ≤ 0 and 1 otherwise (b = −θ), hand-set perceptrons "
            f"reproduce the truth tables of {', '.join(GATES)}: "
            + "; ".join(f"{g} w=({h['weights'][0]}, {h['weights'][1]}), b={h['bias']}"
                        for g, h in self.hand.items())
            + f" ({'all correct' if hand_ok else 'NOT all correct'}). The '≤' matters: with "
            f"w=({bc['weights'][0]}, {bc['weights'][1]}), b={bc['bias']}, the input "
            f"{tuple(bc['input'])} sums to exactly {bc['sum']} and the output is {bc['output']}."
            + (f" Learned from w = 0, b = 0, AND even relies on it: its line passes "
               f"through {bc['learned_and_on_line']}, which sum to 0 and so output 0."
               if bc["learned_and_on_line"] else ""),
            f"w·x + b ≤ 0 이면 0, 아니면 1을 내는 퍼셉트론(b = −θ)에 손으로 정한 가중치를 주면 "
            f"{', '.join(GATES)}의 진리표가 그대로 나온다: "
            + "; ".join(f"{g} w=({h['weights'][0]}, {h['weights'][1]}), b={h['bias']}"
                        for g, h in self.hand.items())
            + f" ({'모두 정답' if hand_ok else '일부 오답'}). 등호가 중요하다: "
            f"w=({bc['weights'][0]}, {bc['weights'][1]}), b={bc['bias']}일 때 입력 "
            f"{tuple(bc['input'])}의 합은 정확히 {bc['sum']}이고 출력은 {bc['output']}이다."
            + (f" w = 0, b = 0에서 학습한 AND도 여기에 기댄다: 그 직선은 "
               f"{bc['learned_and_on_line']} 위를 지나므로 그 점들의 합은 0이고 출력은 0이다."
               if bc["learned_and_on_line"] else ""),
            ("perceptron_gates.png",),
        )
        wx = self.wired_xor
        s2 = Finding(
            "S2", "confirmed",
            f"A second-layer perceptron takes the first layer's 0/1 outputs as its inputs: XOR = "
            f"AND(NAND(x1,x2), OR(x1,x2)). On (0,0),(0,1),(1,0),(1,1) the hidden outputs "
            f"(NAND, OR) are {wx['hidden']} and the output is {wx['output']} = XOR "
            f"{wx['target']} ({'correct' if wx['correct'] else 'WRONG'}). Two layers of plain "
            f"step perceptrons do what one cannot.",
            f"두 번째 층의 퍼셉트론은 첫 번째 층의 0/1 출력을 입력으로 받는다: XOR = "
            f"AND(NAND(x1,x2), OR(x1,x2)). (0,0),(0,1),(1,0),(1,1)에서 은닉 출력 (NAND, OR)은 "
            f"{wx['hidden']}이고 최종 출력은 {wx['output']}로 XOR {wx['target']}와 "
            f"{'일치한다' if wx['correct'] else '다르다'}. 계단 함수 퍼셉트론 두 층이 한 층으로는 "
            f"못 하는 일을 한다.",
            ("perceptron_xor_wired.png",),
        )
        epochs = {g: [r["epochs"] for r in runs] for g, runs in self.learned.items()}
        all_conv = all(r["converged"] and r["correct"] for runs in self.learned.values()
                       for r in runs)
        lines = "; ".join(f"{g}: {_line_text(*r['line'])}"
                          for g, runs in self.learned.items() for r in runs[:1]
                          if r["line"] is not None)
        s13 = Finding(
            "S13", "confirmed",
            f"Starting from small random weights (N(0, {INIT_SCALE}²)) and using the step "
            f"function, Rosenblatt's rule "
            f"(w += lr·(y−ŷ)·x, b += lr·(y−ŷ), lr={self.lr}) finds a separating line for every "
            f"gate in every seeded run ({'all converged and correct' if all_conv else 'NOT all'}"
            f"); epochs to converge per seed: "
            + ", ".join(f"{g} {e}" for g, e in epochs.items())
            + f". The learned boundary w1·x1 + w2·x2 + b = 0 is a straight line: {lines}. "
            f"It is some line that splits the data, not a 'best' one — the rule stops at the "
            f"first line that makes no mistake.",
            f"작은 무작위 가중치(N(0, {INIT_SCALE}²))에서 출발해 계단 함수와 로젠블랫 학습 규칙(w += lr·(y−ŷ)·x, "
            f"b += lr·(y−ŷ), lr={self.lr})을 쓰면 모든 시드에서 모든 게이트의 분리 직선을 찾는다"
            f"({'모두 수렴, 모두 정답' if all_conv else '일부 실패'}). 시드별 수렴 에포크: "
            + ", ".join(f"{g} {e}" for g, e in epochs.items())
            + f". 학습된 경계 w1·x1 + w2·x2 + b = 0은 직선이다: {lines}. 다만 '가장 좋은' 직선이 "
            f"아니라 처음으로 실수가 없는 직선에서 학습이 멈춘다.",
            ("perceptron_gates.png",),
        )
        runs = self.xor_runs
        never = not any(r["converged"] for r in runs)
        min_err = min(min(r["errors"]) for r in runs)
        best = self.xor_best
        ls = self.line_search
        s14 = Finding(
            "S14", "confirmed",
            f"XOR: {len(runs)} seeded runs of {self.max_epochs} epochs "
            f"{'never converge' if never else 'CONVERGED (unexpected)'}; the fewest mistakes in "
            f"any epoch is {min_err}, never 0. The best line the runs visited still gets "
            f"{best['misclassified']} of 4 points wrong {best['wrong_points']}; "
            f"{ls['samples']} random lines do no better (fewest errors {ls['min_errors']}). The "
            f"proof: (0,0)→0 needs b ≤ 0; (0,1)→1 and (1,0)→1 need w2 + b > 0 and w1 + b > 0, "
            f"whose sum gives w1 + w2 + b > −b ≥ 0, so (1,1) would output 1, not 0.",
            f"XOR: 시드별로 {self.max_epochs} 에포크씩 {len(runs)}번 학습해도 "
            f"{'한 번도 수렴하지 않는다' if never else '수렴했다(예상 밖)'}. 한 에포크의 최소 실수는 "
            f"{min_err}개로 결코 0이 되지 않는다. 학습 중 찾은 가장 좋은 직선도 4개 중 "
            f"{best['misclassified']}개({best['wrong_points']})를 틀리고, 무작위 직선 "
            f"{ls['samples']}개도 더 낫지 않다(최소 오류 {ls['min_errors']}개). 증명: (0,0)→0 이려면 "
            f"b ≤ 0, (0,1)→1과 (1,0)→1 이려면 w2 + b > 0, w1 + b > 0 이고, 두 식을 더하면 "
            f"w1 + w2 + b > −b ≥ 0 이므로 (1,1)의 출력은 0이 아니라 1이 된다.",
            ("perceptron_xor_best_line.png", "perceptron_errors.png"),
        )
        return [s1, s2, s13, s14]

    # --------------------------------------------------------------------------- figures
    def draw(self, out_dir: Path) -> list[Path]:
        out_dir = Path(out_dir)
        return [self._draw_gates(out_dir / "perceptron_gates.png"),
                self._draw_xor(out_dir / "perceptron_xor_best_line.png"),
                self._draw_errors(out_dir / "perceptron_errors.png"),
                self._draw_wired(out_dir / "perceptron_xor_wired.png")]

    def _draw_gates(self, path: Path) -> Path:
        from ..plot import _pyplot, save_figure

        plt = _pyplot()
        fig, axes = plt.subplots(1, 4, figsize=(15, 4))
        for ax, name in zip(axes, GATES):
            hand = self.hand[name]
            run = self.learned[name][0]
            _plot_points(ax, TRUTH_TABLES[name])
            _shade(ax, run["weights"], run["bias"])
            _plot_line(ax, hand["weights"], hand["bias"], "--", "0.3", "hand-set")
            _plot_line(ax, run["weights"], run["bias"], "-", "C3", "learned line")
            ax.set_title(f"{name}: learned w=({run['weights'][0]:.2f}, "
                         f"{run['weights'][1]:.2f}), b={run['bias']:.2f}", fontsize=9)
            ax.text(0.03, 0.03, f"converged in {run['epochs']} epochs", fontsize=8,
                    transform=ax.transAxes)
        for ax in axes[1:]:
            ax.set_ylabel("")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=9,
                   bbox_to_anchor=(0.5, -0.06))
        fig.suptitle("Each gate's decision line w·x + b = 0 (shaded: the perceptron outputs 1)")
        return save_figure(fig, path)

    def _draw_xor(self, path: Path) -> Path:
        from ..plot import _pyplot, save_figure

        plt = _pyplot()
        fig, ax = plt.subplots(figsize=(5, 5))
        best = self.xor_best
        _plot_points(ax, TRUTH_TABLES["XOR"])
        _shade(ax, best["weights"], best["bias"])
        _plot_line(ax, best["weights"], best["bias"], "-", "C3",
                   f"best line (seed {best['seed']}, epoch {best['epoch']})")
        for x1, x2 in best["wrong_points"]:
            ax.plot(x1, x2, "o", ms=24, mfc="none", mec="red", mew=2)
        ax.plot([], [], "o", mfc="none", mec="red", mew=2, label="misclassified")
        ax.legend(fontsize=8, loc="upper right")
        ax.set_title(f"XOR: the best line still gets {best['misclassified']} of 4 wrong",
                     fontsize=10)
        return save_figure(fig, path)

    def _draw_errors(self, path: Path) -> Path:
        from ..plot import _pyplot, save_figure

        plt = _pyplot()
        fig, ax = plt.subplots(figsize=(8, 4))
        and_run = self.learned["AND"][0]
        xor_run = self.xor_runs[0]
        ax.plot(np.arange(1, len(xor_run["errors"]) + 1), xor_run["errors"], ".-", lw=0.8,
                color="C3", label=f"XOR (seed {xor_run['seed']}): never 0")
        ax.plot(np.arange(1, len(and_run["errors"]) + 1), and_run["errors"], "o-", color="C0",
                label=f"AND: 0 at epoch {and_run['epochs']}")
        ax.set(xlabel="epoch", ylabel="mistakes during the epoch", ylim=(-0.2, 4.2),
               title="Perceptron learning: mistakes per epoch")
        ax.legend()
        ax.grid(alpha=0.3)
        return save_figure(fig, path)

    def _draw_wired(self, path: Path) -> Path:
        from ..plot import _pyplot, save_figure

        plt = _pyplot()
        fig, (ax_in, ax_hidden) = plt.subplots(1, 2, figsize=(10, 4.5))
        _plot_points(ax_in, TRUTH_TABLES["XOR"])
        for name, color in (("NAND", "C0"), ("OR", "C2")):
            w1, w2, b = GATE_WEIGHTS[name]
            _plot_line(ax_in, [w1, w2], b, "-", color, f"{name} line")
        ax_in.set_title("Input space: two lines (NAND, OR)", fontsize=10)
        ax_in.legend(fontsize=8, loc="upper right")
        hidden = np.array(self.wired_xor["hidden"], dtype=float)
        _plot_points(ax_hidden, TRUTH_TABLES["XOR"], hidden)
        # (0,1) and (1,0) land on the same hidden point (1, 1): one label per hidden point
        for point in np.unique(hidden, axis=0):
            sources = [f"({x1},{x2})" for (x1, x2), h in zip(GATE_INPUTS.astype(int), hidden)
                       if np.array_equal(h, point)]
            ax_hidden.annotate("x = " + ", ".join(sources), tuple(point), fontsize=8,
                               xytext=(8, -14), textcoords="offset points")
        w1, w2, b = GATE_WEIGHTS["AND"]
        _shade(ax_hidden, [w1, w2], b)
        _plot_line(ax_hidden, [w1, w2], b, "-", "C3", "AND line")
        ax_hidden.set(xlabel="h1 = NAND(x1, x2)", ylabel="h2 = OR(x1, x2)")
        ax_hidden.set_title("Hidden space (NAND, OR): one line (AND) suffices", fontsize=10)
        ax_hidden.legend(fontsize=8, loc="lower left")
        fig.suptitle("XOR = AND(NAND, OR): perceptrons feeding perceptrons")
        return save_figure(fig, path)


def _line_text(a: float, c: float) -> str:
    """'x2 = a·x1 ± c' with tidy signs (no '+ -0.00')."""
    a, c = a + 0.0, round(c, 2) + 0.0  # + 0.0 turns -0.0 into 0.0
    return f"x2 = {a:.2f}·x1 {'-' if c < 0 else '+'} {abs(c):.2f}"


def _plot_points(ax, targets, points=None) -> None:
    points = GATE_INPUTS if points is None else points
    for (x1, x2), t in zip(points, targets):
        ax.plot(x1, x2, "o" if t else "x", ms=11, mew=2.5, color="C1" if t else "C0")
    ax.plot([], [], "o", color="C1", label="target 1")
    ax.plot([], [], "x", color="C0", mew=2.5, label="target 0")
    ax.set(xlim=(-0.5, 1.5), ylim=(-0.5, 1.5), aspect="equal", xlabel="x1", ylabel="x2")
    ax.grid(alpha=0.3)


def _plot_line(ax, w, b, style: str, color: str, label: str) -> None:
    """The boundary w1·x1 + w2·x2 + b = 0 across the plotted square."""
    w1, w2 = w
    t = np.linspace(-0.5, 1.5, 2)
    if abs(w2) > 1e-12:
        ax.plot(t, -(w1 * t + b) / w2, style, color=color, lw=2, label=label)
    elif abs(w1) > 1e-12:
        ax.plot([-b / w1] * 2, [-0.5, 1.5], style, color=color, lw=2, label=label)


def _shade(ax, w, b) -> None:
    """Shade where the perceptron outputs 1 (w·x + b > 0)."""
    grid = np.linspace(-0.5, 1.5, 201)
    g1, g2 = np.meshgrid(grid, grid)
    fires = (w[0] * g1 + w[1] * g2 + b > 0).astype(float)
    ax.contourf(g1, g2, fires, levels=[0.5, 1.5], colors=["#ffe2c4"], alpha=0.7)


def _run_record(p: Perceptron, history, target: np.ndarray, seed: int) -> dict:
    return {"seed": seed, "converged": history.converged, "epochs": history.epochs,
            "errors": history.errors, "misclassified": history.misclassified,
            "weights": p.weights.tolist(), "bias": p.bias, "line": p.line(),
            "outputs": p.predict(GATE_INPUTS).tolist(),
            "correct": bool(np.array_equal(p.predict(GATE_INPUTS), target))}


@experiment("perceptron", claims=("S1", "S2", "S13", "S14"),
            title_en="The perceptron: logic gates, its line, and why XOR needs two layers",
            title_ko="퍼셉트론: 논리 게이트, 결정 직선, 그리고 XOR에 두 층이 필요한 이유")
def run(quick: bool = False) -> PerceptronResult:
    """Hand-set and learned gates, XOR that never converges, XOR wired from gates."""
    lr, max_epochs = 0.1, 100 if quick else 1000
    seeds = list(range(5 if quick else 20))
    result = PerceptronResult(lr, max_epochs, seeds)
    for name in GATES:
        p = gate(name)
        outputs = p.predict(GATE_INPUTS)
        result.hand[name] = {"weights": p.weights.tolist(), "bias": p.bias,
                             "outputs": outputs.tolist(),
                             "correct": bool(np.array_equal(outputs, TRUTH_TABLES[name]))}
        result.learned[name] = []
        for seed in seeds:
            learned, history = learn_gate(name, lr=lr, max_epochs=max_epochs, seed=seed,
                                          init_scale=INIT_SCALE)
            result.learned[name].append(_run_record(learned, history, TRUTH_TABLES[name], seed))
    best: dict = {"misclassified": 5}
    for seed in seeds:
        p, history = learn_gate("XOR", lr=lr, max_epochs=max_epochs, seed=seed,
                                init_scale=INIT_SCALE)
        record = _run_record(p, history, TRUTH_TABLES["XOR"], seed)
        record.pop("line")
        result.xor_runs.append(record)
        epoch = history.best_epoch()
        if history.misclassified[epoch] < best["misclassified"]:
            w, b = history.weights[epoch], history.biases[epoch]
            wrong = Perceptron.from_weights(w, b).predict(GATE_INPUTS) != TRUTH_TABLES["XOR"]
            best = {"seed": seed, "epoch": epoch + 1, "weights": w, "bias": b,
                    "misclassified": history.misclassified[epoch],
                    "wrong_points": GATE_INPUTS[wrong].astype(int).tolist()}
    result.xor_best = best
    samples = 20_000 if quick else 200_000
    min_errors, line = best_line_errors(samples)
    result.line_search = {"samples": samples, "min_errors": min_errors, "line": line}
    net = xor_network()
    hidden, output = net.forward(GATE_INPUTS)[1:]
    result.wired_xor = {"hidden": hidden.tolist(), "output": output[:, 0].tolist(),
                        "target": TRUTH_TABLES["XOR"].tolist(),
                        "correct": bool(np.array_equal(output[:, 0], TRUTH_TABLES["XOR"]))}
    # S1's '≤': a sum of exactly 0 must give 0 (AND-like weights that touch (1, 0) and (0, 1)).
    edge = Perceptron.from_weights([1.0, 1.0], -1.0)
    result.boundary_case = {"weights": [1.0, 1.0], "bias": -1.0, "input": [1, 0],
                            "sum": float(edge.net_input([1, 0])[0]),
                            "output": int(edge.predict([1, 0])[0])}
    zero_start = learn_gate("AND", lr=lr, max_epochs=max_epochs, seed=0)[0]  # w = 0, b = 0
    sums = zero_start.net_input(GATE_INPUTS)
    result.boundary_case["learned_and_on_line"] = GATE_INPUTS[sums == 0].astype(int).tolist()
    return result
