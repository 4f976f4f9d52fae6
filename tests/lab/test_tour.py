"""The tour: every claim gets a section, verdict and evidence; the HTML renders in Chromium."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

import pytest
from _system import CHROMIUM, chromium_installed

from neuralab.lab import EXPERIMENTS, ExperimentResult, Finding, experiment
from neuralab.lab.claims import CLAIMS
from neuralab.lab.report import render_report, run_tour, tour_order


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("tour")
    return run_tour(out, lang="en", quick=True, log=lambda line: None)


def test_every_claim_has_a_verdict_and_evidence(tour) -> None:
    assert not tour.errors, tour.errors
    page = tour.report.read_text(encoding="utf-8")
    for claim_id in CLAIMS:
        assert f'id="{claim_id}"' in page, claim_id
    assert "not checked" not in page and "badge failed" not in page
    found: dict[str, set[str]] = {}
    for run in tour.runs:
        for finding in run.result.findings():
            found.setdefault(finding.claim, set()).add(finding.verdict)
    assert set(found) == set(CLAIMS)
    assert "corrected" in found["S7"] and found["S22"] == {"corrected"}
    assert found["S14"] == {"confirmed"} and "confirmed" in found["S17"]
    assert 'id="S7">S7 · Leaky ReLU Q&amp;A <span class="badge corrected">' in page


def test_tour_runs_in_the_notes_order(tour) -> None:
    names = [run.experiment.name for run in tour.runs]
    first_claims = [min(int(c[1:]) for c in EXPERIMENTS[n].claims) for n in names]
    assert first_claims == sorted(first_claims)
    assert tour.seconds > 0 and set(names) == set(EXPERIMENTS)


def test_report_embeds_every_experiments_figures(tour) -> None:
    page = tour.report.read_text(encoding="utf-8")
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,', page)
    assert len(images) >= len(tour.runs)
    for run in tour.runs:
        if run.figures:
            assert any(p.name in images for p in run.figures), run.experiment.name


def test_korean_report(tour) -> None:
    page = render_report(tour.runs, {}, "ko", tour.report.parent / "figures", 1.0, "cmd")
    assert "노트의 주장을 하나씩" in page and 'lang="ko"' in page
    assert CLAIMS["S14"].title_ko in page and "정정됨" in page


@chromium_installed
def test_report_renders_in_headless_chromium_with_every_figure_loaded(tour, tmp_path) -> None:
    probe = tmp_path / "probe.html"
    check = ("<script>window.addEventListener('load',()=>{const imgs=[...document.images];"
             "const ok=imgs.filter(i=>i.complete&&i.naturalWidth>0).length;"
             "document.body.setAttribute('data-figures',ok+'/'+imgs.length);});</script>")
    probe.write_text(tour.report.read_text(encoding="utf-8").replace("</body>", check + "</body>"),
                     encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", probe.as_uri()], capture_output=True,
                         text=True, timeout=120).stdout
    loaded, total = map(int, re.search(r'data-figures="(\d+)/(\d+)"', dom).groups())
    assert total >= 10 and loaded == total
    shot = tmp_path / "tour.png"
    subprocess.run([CHROMIUM, *flags, "--window-size=1200,2400", f"--screenshot={shot}",
                    tour.report.as_uri()], capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 10_000


# ------------------------------------------------------------------ the report machinery itself
@dataclass
class _Fake(ExperimentResult):
    value: float

    def findings(self) -> list[Finding]:
        return [Finding("S12", "context", f"value {self.value}", f"값 {self.value}")]


def test_failed_experiment_is_reported_not_fatal(tmp_path) -> None:
    @experiment("zz-broken", claims=("S12",), title_en="broken", title_ko="고장")
    def broken(quick: bool = False) -> _Fake:
        raise RuntimeError("boom")

    try:
        result = run_tour(tmp_path, names=["zz-broken"], log=lambda line: None)
        assert "zz-broken" in result.errors and "boom" in result.errors["zz-broken"]
        page = result.report.read_text(encoding="utf-8")
        assert "badge failed" in page and "boom" in page
    finally:
        EXPERIMENTS.pop("zz-broken")


def test_tour_order_follows_claim_numbers() -> None:
    order = tour_order()
    assert order == sorted(order, key=lambda n: min(int(c[1:]) for c in EXPERIMENTS[n].claims))
