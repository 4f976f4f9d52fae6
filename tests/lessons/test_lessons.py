"""The lessons: both languages present with the same code, every exercise's check able to fail
and passed by its solution, every lesson run top to bottom in a real Jupyter kernel (with the
solutions, QUICK on), the HTML book rendered in Chromium, and the ``neuralab lessons`` command."""

from __future__ import annotations

import re
import time
import warnings
from pathlib import Path

import nbformat
import pytest
from _cli import run
from _system import CHROMIUM, chromium_installed, unavailable

from neuralab.lessons import LESSONS, LessonCheckError, check, lesson_source, setup
from neuralab.lessons.build import code_without_comments, exercise_id, notebook
from neuralab.lessons.checking import exercises

LANGS = ("en", "ko")
CHECK_CALL = re.compile(r'check\("([a-z0-9-]+)"')
# Executed notebooks, kept for the book test (one run of each lesson per test session).
EXECUTED: dict[tuple[str, str], object] = {}
TIMES: dict[tuple[str, str], float] = {}


def code_cells(lesson: object, lang: str) -> list[str]:
    return [cell.source for cell in notebook(lesson, lang).cells[1:] if cell.cell_type == "code"]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.name)
def test_both_languages_have_the_same_code(lesson: object) -> None:
    english, korean = code_cells(lesson, "en"), code_cells(lesson, "ko")
    assert len(english) >= 4, "a lesson has code cells a learner runs"
    assert len(english) == len(korean), (len(english), len(korean))
    for index, (en, ko) in enumerate(zip(english, korean, strict=True)):
        assert code_without_comments(en) == code_without_comments(ko), (
            f"{lesson.name}: code cell {index} differs between en and ko:\n{en}\n---\n{ko}")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.name)
def test_lesson_text_is_in_its_language(lesson: object, lang: str) -> None:
    text = lesson_source(lesson, lang).read_text(encoding="utf-8")
    assert text.startswith(f"# {lesson.number}. ")
    prose = re.sub(r"```python.*?```", "", text, flags=re.DOTALL)  # Korean in code: tr(...)
    hangul = sum("\uac00" <= ch <= "\ud7a3" for ch in prose)
    if lang == "ko":
        assert hangul > 300, f"{lesson.name}: the Korean lesson has little Korean text"
    else:
        # the notes' own Korean term may be quoted once or twice, in parentheses
        assert hangul <= 20, f"{lesson.name}: {hangul} Korean letters in the English prose"
    for claim in lesson.claims:
        assert claim in text, f"{lesson.name} ({lang}) does not name {claim}"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.name)
def test_every_exercise_has_a_marker_a_check_and_a_registered_solution(lesson: object) -> None:
    known = exercises()
    for lang in LANGS:
        cells = code_cells(lesson, lang)
        marked = [exercise_id(source) for source in cells if exercise_id(source)]
        checked = [found for source in cells for found in CHECK_CALL.findall(source)]
        assert 2 <= len(marked) <= 4, f"{lesson.name} ({lang}): {len(marked)} exercises"
        assert marked == checked, (marked, checked)
        assert all(found in known for found in marked), [m for m in marked if m not in known]
        for source in cells:
            if exercise_id(source):
                assert "..." in source, f"{exercise_id(source)}: the learner's cell needs a ..."


def test_exercise_ids_belong_to_exactly_one_lesson() -> None:
    owners: dict[str, list[str]] = {}
    for lesson in LESSONS:
        for source in code_cells(lesson, "en"):
            if exercise_id(source):
                owners.setdefault(exercise_id(source), []).append(lesson.name)
    assert set(owners) == set(exercises()), set(owners) ^ set(exercises())
    assert all(len(names) == 1 for names in owners.values()), owners


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("exercise_name", sorted(exercises()))
def test_each_check_fails_on_a_wrong_answer_and_on_the_placeholder(exercise_name: str,
                                                                   lang: str) -> None:
    setup(lang=lang, quick=True)
    try:
        entry = exercises()[exercise_name]
        wrong = entry.wrong_answers()
        with pytest.raises(LessonCheckError) as failure:
            check(exercise_name, **wrong)
        hint = str(failure.value)
        assert hint and (any("\uac00" <= ch <= "\ud7a3" for ch in hint) == (lang == "ko"))
        with pytest.raises(LessonCheckError, match="replace ... with your answer" if lang == "en"
                           else "여러분의 답"):
            check(exercise_name, **{name: ... for name in wrong})
    finally:
        setup(lang="en")


def _execute(lesson: object, lang: str) -> object:
    key = (lesson.name, lang)
    if key not in EXECUTED:
        from neuralab.lessons.build import execute

        start = time.perf_counter()
        EXECUTED[key] = execute(notebook(lesson, lang, solutions=True, quick=True))
        TIMES[key] = time.perf_counter() - start
    return EXECUTED[key]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.name)
def test_lesson_runs_top_to_bottom_with_its_solutions(lesson: object, lang: str) -> None:
    nb = _execute(lesson, lang)
    printed = "".join(output.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                      for output in cell.outputs if output.output_type == "stream")
    ids = [exercise_id(cell.source.replace(" (solution)", "")) for cell in nb.cells
           if cell.cell_type == "code" and cell.source.startswith("# EXERCISE ")]
    word = "정답입니다" if lang == "ko" else "correct"
    for found in ids:
        assert f"✓ {found}: {word}" in printed, f"{found} was not confirmed"
    figures = sum("image/png" in output.get("data", {}) for cell in nb.cells
                  if cell.cell_type == "code" for output in cell.outputs)
    assert figures >= 1, f"{lesson.name} ({lang}) drew no figure"


def test_korean_figures_get_a_korean_font_or_a_clear_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib

    from neuralab import plot

    name = plot.korean_font()
    if name is None:
        unavailable("no Korean font installed (apt-get install fonts-nanum)")
    assert plot.use_language_font("ko") == name
    assert matplotlib.rcParams["font.family"] == ["DejaVu Sans", name]
    assert plot.use_language_font("en") is None
    monkeypatch.setattr(plot, "KOREAN_FONTS", ("No Such Font",))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert plot.use_language_font("ko") is None
    assert any("fonts-nanum" in str(w.message) for w in caught)
    plot.use_language_font("en")


@chromium_installed
@pytest.mark.parametrize("lang", LANGS)
def test_the_book_renders_in_chromium_with_every_figure(lang: str, tmp_path: Path) -> None:
    from neuralab.lessons.book import render

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[test]')")
    page_html = render([(lesson, _execute(lesson, lang)) for lesson in LESSONS], lang)
    path = tmp_path / "book.html"
    path.write_text(page_html, encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page()
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        loaded, total = page.evaluate("""() => {
            const imgs = [...document.images];
            return [imgs.filter(i => i.complete && i.naturalWidth > 0).length, imgs.length];
        }""")
        assert total >= len(LESSONS) and loaded == total
        assert page.locator("section").count() == len(LESSONS)
        assert page.evaluate("document.documentElement.lang") == lang
        if lang == "ko":  # the Korean prose is drawn with a font that has Hangul
            assert page.evaluate("document.fonts.check('16px NanumGothic', '가')")
        browser.close()


def test_lessons_command_writes_notebooks(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, ["lessons", "--lang", "ko", "--out", str(tmp_path / "ko")])
    assert code == 0 and "jupyter notebook" in out
    written = sorted((tmp_path / "ko").glob("*.ipynb"))
    assert [p.stem for p in written] == [lesson.name for lesson in LESSONS]
    nb = nbformat.read(written[0], as_version=4)
    nbformat.validate(nb)
    assert "setup(lang='ko'" in nb.cells[0].source
    assert nb.metadata["neuralab"] == {"lesson": LESSONS[0].name, "lang": "ko",
                                       "solutions": False}
    code, _, _ = run(capsys, ["lessons", "--solutions", "--out", str(tmp_path / "sol")])
    solved = nbformat.read(tmp_path / "sol" / f"{LESSONS[0].name}.ipynb", as_version=4)
    sources = [c.source for c in solved.cells if c.source.startswith("# EXERCISE ")]
    assert sources and all("(solution)" in s and "..." not in s.split("\n", 1)[1]
                           for s in sources)
    code, _, err = run(capsys, ["lessons", "--lang", "fr"])
    assert code == 2 and "--lang" in err
