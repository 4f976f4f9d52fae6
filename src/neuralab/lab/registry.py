"""Experiments as data: each checks claims, returns numbers, draws figures and says a verdict.

An experiment is a function ``run(quick: bool = False) -> ExperimentResult`` registered with
``@experiment(name, claims=..., title_en=..., title_ko=...)``. Its result is a dataclass of
numbers with two methods: ``findings()`` (one ``Finding`` per claim: verdict and evidence in
English and Korean) and ``draw(out_dir)`` (writes PNGs, returns their paths). The CLI
(``neuralab lab``) and the tour report only call these; no experiment code lives there.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

VERDICTS = ("confirmed", "corrected", "context")


@dataclass
class Finding:
    """What an experiment found about one claim.

    ``verdict``: "confirmed" (the claim holds, shown by the evidence), "corrected" (the note is
    wrong or loose; the evidence shows the right behaviour) or "context" (not a testable claim).
    ``figures``: names of PNG files written by ``draw`` that support it.
    """

    claim: str
    verdict: str
    evidence_en: str
    evidence_ko: str
    figures: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")

    def evidence(self, lang: str = "en") -> str:
        return self.evidence_ko if lang == "ko" else self.evidence_en


class ExperimentResult:
    """Base of experiment results (subclasses are dataclasses holding the numbers)."""

    def findings(self) -> list[Finding]:
        raise NotImplementedError

    def draw(self, out_dir: Path) -> list[Path]:
        """Write this result's figures as PNGs into ``out_dir``; return their paths."""
        return []

    def summary(self) -> list[str]:
        """Key numbers as short lines for the terminal (default: the English evidence)."""
        return [f"{f.claim} [{f.verdict}] {f.evidence_en}" for f in self.findings()]

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self) if dataclasses.is_dataclass(self) else {}
        return _jsonable(data)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    if isinstance(value, Path):
        return str(value)
    return value


@dataclass
class Experiment:
    name: str
    claims: tuple[str, ...]
    title_en: str
    title_ko: str
    run: Callable[..., ExperimentResult] = field(repr=False)

    def title(self, lang: str = "en") -> str:
        return self.title_ko if lang == "ko" else self.title_en


EXPERIMENTS: dict[str, Experiment] = {}


def experiment(name: str, *, claims: tuple[str, ...], title_en: str,
               title_ko: str) -> Callable[[Callable[..., ExperimentResult]],
                                          Callable[..., ExperimentResult]]:
    """Register ``fn`` as the experiment ``name`` checking ``claims``."""

    def decorate(fn: Callable[..., ExperimentResult]) -> Callable[..., ExperimentResult]:
        if name in EXPERIMENTS:
            raise ValueError(f"experiment {name!r} is registered twice")
        EXPERIMENTS[name] = Experiment(name, tuple(claims), title_en, title_ko, fn)
        return fn

    return decorate


@dataclass
class Run:
    """One experiment run: its result, figures, JSON file and how long it took."""

    experiment: Experiment
    result: ExperimentResult
    figures: list[Path]
    json_path: Path | None
    seconds: float


def run_experiment(name: str, out_dir: Path | None = None, quick: bool = False,
                   draw: bool = True) -> Run:
    """Run one experiment; with ``out_dir``, write its PNGs and ``NAME.json`` there."""
    from ..io.files import atomic_write_bytes

    if name not in EXPERIMENTS:
        raise KeyError(f"no experiment named {name!r}; choose from {', '.join(EXPERIMENTS)}")
    exp = EXPERIMENTS[name]
    started = time.perf_counter()
    result = exp.run(quick=quick)
    seconds = time.perf_counter() - started
    figures: list[Path] = []
    json_path = None
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        if draw:
            figures = [Path(p) for p in result.draw(out_dir)]
        payload = {
            "experiment": name, "claims": list(exp.claims), "title": exp.title_en,
            "seconds": round(seconds, 3),
            "findings": [_jsonable(dataclasses.asdict(f)) for f in result.findings()],
            "figures": [p.name for p in figures], "data": result.to_dict(),
        }
        json_path = out_dir / f"{name}.json"
        atomic_write_bytes(json_path, json.dumps(payload, indent=1, ensure_ascii=False).encode())
    return Run(exp, result, figures, json_path, seconds)
