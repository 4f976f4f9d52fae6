"""The notes as lessons: ten short chapters that run on neuralab, in English and Korean.

Each lesson is a jupytext Markdown file (``content/<lang>/NN-slug.md``): prose, code cells a
learner runs and changes, figures, and exercises whose answers a checking cell tests
(``check``; the checks and their solutions are in ``exercises/``). ``neuralab lessons`` writes
them as Jupyter notebooks (``build.py``) or as one HTML book with every figure (``book.py``).

In a lesson, the set-up cell the builder adds makes ``tr``, ``check``, ``LANG`` and ``QUICK``
available: ``tr("english", "한국어")`` is the text in the lesson's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .checking import LessonCheckError, Wrong, check, exercise

__all__ = ["LESSONS", "Lesson", "LessonCheckError", "Wrong", "check", "exercise", "language",
           "lesson_source", "setup", "tr"]

LANGUAGES = ("en", "ko")


@dataclass(frozen=True)
class Lesson:
    """One chapter: its number, file slug, the claims it covers, and its titles."""

    number: int
    slug: str
    claims: tuple[str, ...]
    title_en: str
    title_ko: str

    @property
    def name(self) -> str:
        return f"{self.number:02d}-{self.slug}"

    def title(self, lang: str) -> str:
        return self.title_ko if lang == "ko" else self.title_en


LESSONS: tuple[Lesson, ...] = (
    Lesson(1, "perceptron", ("S1", "S2", "S13"), "The perceptron and logic gates",
           "퍼셉트론과 논리 게이트"),
    Lesson(2, "xor-limit", ("S14",), "XOR: the first limit", "XOR: 첫 번째 한계"),
    Lesson(3, "activations", ("S3", "S4", "S5", "S6", "S7"),
           "Activation functions and their derivatives", "활성화 함수와 그 미분"),
    Lesson(4, "layers-as-matrices", ("S8",), "Layers as matrices", "행렬로 보는 층"),
    Lesson(5, "losses", ("S9", "S10", "S11"), "Losses and the batch mean",
           "손실 함수와 배치 평균"),
    Lesson(6, "hidden-layers", ("S15",), "Hidden layers solve XOR", "은닉층이 XOR을 풀다"),
    Lesson(7, "backpropagation", ("S16",), "Backpropagation by the chain rule",
           "연쇄 법칙으로 하는 역전파"),
    Lesson(8, "vanishing-gradients", ("S17", "S18", "S6"),
           "Vanishing gradients, ReLU and dead units", "기울기 소실, ReLU, 죽은 뉴런"),
    Lesson(9, "digits-softmax", ("S21", "S22", "S23"),
           "Digits: one-hot labels, softmax and CrossEntropyLoss",
           "숫자 인식: 원-핫 레이블, 소프트맥스, CrossEntropyLoss"),
    Lesson(10, "dense-to-cnn", ("S19", "S20"), "From dense layers to CNNs",
           "완전연결층에서 CNN으로"),
)

_state: dict[str, Any] = {"lang": "en", "quick": False}


def lesson_source(lesson: Lesson, lang: str) -> Path:
    """The lesson's Markdown source in ``lang``."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang: expected en or ko, got {lang!r}")
    return Path(str(resources.files(__package__) / "content" / lang / f"{lesson.name}.md"))


def language() -> str:
    """The language set by ``setup`` (``en`` before any)."""
    return _state["lang"]


def tr(english: str, korean: str) -> str:
    """The text in the lesson's language: figure labels and printed words."""
    return korean if _state["lang"] == "ko" else english


def setup(lang: str = "en", quick: bool = False) -> tuple[str, bool]:
    """The lesson's first cell: language (``tr``, checking hints, a Korean font for figures),
    quick mode (smaller training, for tests), neuralab's seed 0, NumPy's print options.
    Returns ``(lang, quick)`` for the lesson's ``LANG, QUICK``."""
    import numpy as np

    from .. import manual_seed

    if lang not in LANGUAGES:
        raise ValueError(f"setup: lang must be en or ko, got {lang!r}")
    _state.update(lang=lang, quick=bool(quick))
    manual_seed(0)
    np.set_printoptions(precision=4, suppress=True)
    try:
        from ..plot import use_language_font
    except ImportError:  # matplotlib missing: the lesson's first plot says how to install it
        pass
    else:
        use_language_font(lang)
    return lang, bool(quick)
