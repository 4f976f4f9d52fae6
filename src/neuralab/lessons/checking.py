"""Exercises: each lesson's checks and their solutions, and ``check`` to run one.

A lesson's exercise cell leaves the answer as ``...``; its checking cell calls
``check("exercise-id", name=value, ...)``. The checks live in ``exercises/lessonNN.py``,
registered with ``@exercise(id, solution=...)``; a check raises ``Wrong`` with a hint in both
languages, and ``check`` shows it in the lesson's language.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class LessonCheckError(AssertionError):
    """The answer is not right yet (the message is the hint)."""


class Wrong(Exception):  # noqa: N818 - what a check says: the answer is wrong
    """Raised by a check: the answer is wrong; ``en``/``ko`` explain why or give a hint."""

    def __init__(self, en: str, ko: str) -> None:
        super().__init__(en)
        self.en, self.ko = en, ko


@dataclass(frozen=True)
class Exercise:
    """A registered exercise: its id, the checking function, the solution's code and a wrong
    answer (keyword arguments for the check, or a function making them) that must fail."""

    id: str
    check: Callable[..., None]
    solution: str
    wrong: dict[str, Any] | Callable[[], dict[str, Any]]

    def wrong_answers(self) -> dict[str, Any]:
        return self.wrong() if callable(self.wrong) else dict(self.wrong)


_EXERCISES: dict[str, Exercise] = {}
Check = Callable[..., None]


def exercise(exercise_id: str, solution: str,
             wrong: dict[str, Any] | Callable[[], dict[str, Any]]) -> Callable[[Check], Check]:
    """Register ``function`` as the check of ``exercise_id``, with its solution's code and a
    wrong answer the tests feed it (it must fail: a check that cannot fail is no check)."""
    def register(function: Check) -> Check:
        if exercise_id in _EXERCISES:
            raise ValueError(f"exercise {exercise_id!r} is registered twice")
        _EXERCISES[exercise_id] = Exercise(exercise_id, function, solution.strip("\n"), wrong)
        return function
    return register


def exercises() -> dict[str, Exercise]:
    """Every exercise of every lesson, by id (imports ``exercises/lesson*.py``)."""
    from . import exercises as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
    return dict(_EXERCISES)


def number(value: Any, name: str) -> float:
    """The learner's answer ``value`` as a finite float (a Python number, a NumPy scalar or a
    one-element array or tensor); ``Wrong`` naming ``name`` otherwise."""
    import math

    import numpy as np

    try:
        result = float(np.asarray(value, dtype=float).reshape(()))
    except (TypeError, ValueError):
        raise Wrong(en=f"{name} should be one number, got {value!r}"[:200],
                    ko=f"{name}에는 숫자 하나를 넣으세요 (지금은 {value!r})"[:200]) from None
    if not math.isfinite(result):
        raise Wrong(en=f"{name} should be a finite number, got {value!r}",
                    ko=f"{name}에는 유한한 숫자를 넣으세요 (지금은 {value!r})")
    return result


def whole(value: Any, name: str) -> int:
    """The learner's answer ``value`` as a whole number: an int, a float with no fraction
    (``4.0``, ``np.ceil(...)``), a NumPy integer or a one-element array or tensor of one;
    ``Wrong`` naming ``name`` for a bool, a fraction or anything that is not one number."""
    import numpy as np

    if isinstance(value, (bool, np.bool_)):
        raise Wrong(en=f"{name} should be a whole number, got {value!r}",
                    ko=f"{name}에는 정수 하나를 넣으세요 (지금은 {value!r})")
    result = number(value, name)
    if not result.is_integer():
        raise Wrong(en=f"{name} should be a whole number, got {value!r}"[:200],
                    ko=f"{name}에는 정수 하나를 넣으세요 (지금은 {value!r})"[:200])
    return int(result)

def check(exercise_id: str, **answers: Any) -> None:
    """Test the learner's answers to one exercise; print ✓ or raise ``LessonCheckError``."""
    from . import language

    ko = language() == "ko"
    known = exercises()
    if exercise_id not in known:
        raise LessonCheckError(f"no exercise {exercise_id!r}")
    missing = [name for name, value in answers.items() if value is Ellipsis]
    if missing:
        names = ", ".join(missing)
        raise LessonCheckError(f"{names}: ... 을(를) 여러분의 답으로 바꾸세요" if ko else
                               f"{names}: replace ... with your answer")
    try:
        known[exercise_id].check(**answers)
    except Wrong as wrong:
        raise LessonCheckError(wrong.ko if ko else wrong.en) from None
    print(f"✓ {exercise_id}: " + ("정답입니다" if ko else "correct"))
