"""``neuralab tour``: run every experiment in the order of the notes and write one HTML report.

The report is self-contained (figures embedded as base64 PNGs): a section per claim with the
claim, the evidence (numbers and figures) and a verdict — confirmed, corrected (the note is
wrong or loose and the evidence shows the right behaviour) or context.
"""

from __future__ import annotations

import base64
import html
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .claims import CLAIMS
from .registry import EXPERIMENTS, Finding, Run, run_experiment

TEXT = {
    "en": {
        "title": "neuralab tour — the seed notes, claim by claim",
        "intro": "Each claim from the study notes (S1–S23) with the experiment that checks it, "
                 "its numbers and figures, and a verdict. Everything below was computed by "
                 "neuralab on this machine when the report was made.",
        "summary": "Summary", "claim": "Claim", "verdict": "Verdict", "evidence": "Evidence",
        "experiment": "experiment", "not_checked": "not checked",
        "confirmed": "confirmed", "corrected": "corrected", "context": "context",
        "failed": "failed", "made": "Made", "seconds": "s", "command": "Reproduce",
        "other": "한국어",
    },
    "ko": {
        "title": "neuralab 투어 — 노트의 주장을 하나씩 확인하기",
        "intro": "공부 노트의 각 주장(S1–S23)과 그것을 확인하는 실험, 수치와 그림, 그리고 판정. "
                 "아래의 모든 내용은 보고서를 만들 때 이 컴퓨터에서 neuralab이 직접 계산했다.",
        "summary": "요약", "claim": "주장", "verdict": "판정", "evidence": "근거",
        "experiment": "실험", "not_checked": "확인 안 됨",
        "confirmed": "확인됨", "corrected": "정정됨", "context": "배경",
        "failed": "실패", "made": "생성", "seconds": "초", "command": "재현",
        "other": "English",
    },
}

CSS = """
body{font-family:system-ui,-apple-system,"Noto Sans KR","Segoe UI",sans-serif;max-width:980px;
margin:2rem auto;padding:0 1rem;color:#1d232a;line-height:1.55}
h1{font-size:1.7rem}h2{margin-top:2.4rem;border-bottom:1px solid #d8dee4;padding-bottom:.3rem}
blockquote{margin:.6rem 0;padding:.5rem 1rem;background:#f6f8fa;border-left:4px solid #8c959f}
.badge{display:inline-block;padding:.1rem .55rem;border-radius:1rem;font-size:.85rem;
color:#fff;vertical-align:middle}
.confirmed{background:#1a7f37}.corrected{background:#bf8700}.context{background:#57606a}
.failed,.not_checked{background:#cf222e}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #d8dee4;padding:.3rem .5rem;
text-align:left;vertical-align:top}
figure{margin:1rem 0}figure img{max-width:100%;border:1px solid #d8dee4}
figcaption{font-size:.85rem;color:#57606a}
.exp{font-size:.85rem;color:#57606a}pre{background:#f6f8fa;padding:.6rem;overflow:auto}
"""


@dataclass
class TourResult:
    report: Path
    runs: list[Run]
    errors: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def _claim_number(claim: str) -> int:
    return int(claim.lstrip("S"))


def tour_order(names: Iterable[str] | None = None) -> list[str]:
    """Experiments sorted by the first claim they check, so the story follows the notes."""
    chosen = list(EXPERIMENTS) if names is None else list(names)
    return sorted(chosen, key=lambda n: min(_claim_number(c) for c in EXPERIMENTS[n].claims))


def _image(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _verdict_badge(verdict: str, words: dict[str, str]) -> str:
    return f'<span class="badge {verdict}">{html.escape(words.get(verdict, verdict))}</span>'


def render_report(runs: list[Run], errors: dict[str, str], lang: str, figures_dir: Path,
                  seconds: float, command: str) -> str:
    """The report's HTML for ``runs`` (experiments that failed are listed in ``errors``)."""
    words = TEXT[lang]
    findings: dict[str, list[tuple[Run, Finding]]] = {c: [] for c in CLAIMS}
    for run in runs:
        for finding in run.result.findings():
            findings.setdefault(finding.claim, []).append((run, finding))
    failed_claims = {c: name for name, _ in errors.items() for c in EXPERIMENTS[name].claims}

    def verdict_of(claim: str) -> str:
        verdicts = [f.verdict for _, f in findings.get(claim, [])]
        if not verdicts:
            return "failed" if claim in failed_claims else "not_checked"
        return "corrected" if "corrected" in verdicts else (
            "confirmed" if "confirmed" in verdicts else "context")

    parts = [f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">',
             f"<title>{html.escape(words['title'])}</title><style>{CSS}</style></head><body>",
             f"<h1>{html.escape(words['title'])}</h1><p>{html.escape(words['intro'])}</p>",
             f"<h2>{words['summary']}</h2><table><tr><th>#</th><th>{words['claim']}</th>"
             f"<th>{words['verdict']}</th><th>{words['experiment']}</th></tr>"]
    for claim_id, claim in CLAIMS.items():
        names = sorted({run.experiment.name for run, _ in findings.get(claim_id, [])})
        parts.append(f'<tr><td><a href="#{claim_id}">{claim_id}</a></td>'
                     f"<td>{html.escape(claim.title(lang))}</td>"
                     f"<td>{_verdict_badge(verdict_of(claim_id), words)}</td>"
                     f"<td class=exp>{html.escape(', '.join(names))}</td></tr>")
    parts.append("</table>")
    for claim_id, claim in CLAIMS.items():
        verdict = verdict_of(claim_id)
        parts.append(f'<h2 id="{claim_id}">{claim_id} · {html.escape(claim.title(lang))} '
                     f"{_verdict_badge(verdict, words)}</h2>")
        parts.append(f"<blockquote>{html.escape(claim.text(lang))}</blockquote>")
        if claim_id in failed_claims and not findings.get(claim_id):
            name = failed_claims[claim_id]
            parts.append(f"<p>{words['failed']}: {html.escape(name)}</p>"
                         f"<pre>{html.escape(errors[name])}</pre>")
        shown: set[str] = set()
        for run, finding in findings.get(claim_id, []):
            parts.append(f"<p><b>{words['evidence']}</b> "
                         f"<span class=exp>({words['experiment']} "
                         f"<code>{html.escape(run.experiment.name)}</code>)</span>: "
                         f"{html.escape(finding.evidence(lang))}</p>")
            for name in finding.figures:
                path = figures_dir / name
                if name in shown or not path.exists():
                    continue
                shown.add(name)
                parts.append(f'<figure><img alt="{html.escape(name)}" src="{_image(path)}">'
                             f"<figcaption>{html.escape(name)}</figcaption></figure>")
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    timing = ", ".join(f"{r.experiment.name} {r.seconds:.1f} {words['seconds']}" for r in runs)
    parts.append(f"<hr><p class=exp>{words['made']} {stamp}; {seconds:.0f} {words['seconds']} "
                 f"({html.escape(timing)}). {words['command']}: <code>{html.escape(command)}"
                 f"</code></p></body></html>")
    return "".join(parts)


def run_tour(out_dir: str | Path, lang: str = "en", quick: bool = True,
             names: Iterable[str] | None = None,
             log: Callable[[str], None] = print) -> TourResult:
    """Run the experiments in story order and write ``out_dir/tour[_ko].html``."""
    from ..io.files import atomic_write_bytes

    if lang not in TEXT:
        raise ValueError(f"lang must be one of {sorted(TEXT)}, got {lang!r}")
    out_dir = Path(out_dir)
    figures_dir = out_dir / "figures"
    started = time.perf_counter()
    runs: list[Run] = []
    errors: dict[str, str] = {}
    order = tour_order(names)
    for index, name in enumerate(order, 1):
        exp = EXPERIMENTS[name]
        log(f"[{index}/{len(order)}] {name} ({', '.join(exp.claims)}): {exp.title(lang)}")
        try:
            run = run_experiment(name, figures_dir, quick=quick)
        except Exception:  # one broken experiment must not lose the rest of the report
            errors[name] = traceback.format_exc(limit=4)
            log(f"    failed: {errors[name].strip().splitlines()[-1]}")
            continue
        runs.append(run)
        for finding in run.result.findings():
            log(f"    {finding.claim} {finding.verdict}: {finding.evidence(lang)}")
    seconds = time.perf_counter() - started
    command = f"neuralab tour --out {out_dir} --lang {lang}" + ("" if quick else " --full")
    page = render_report(runs, errors, lang, figures_dir, seconds, command)
    report = out_dir / ("tour.html" if lang == "en" else f"tour_{lang}.html")
    atomic_write_bytes(report, page.encode("utf-8"))
    return TourResult(report, runs, errors, seconds)
