"""Lessons as Jupyter notebooks: jupytext reads the Markdown, the builder adds the set-up cell
(and, on request, the exercises' solutions), nbformat writes the ``.ipynb``."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path
from typing import Any

from . import LANGUAGES, LESSONS, Lesson, lesson_source

EXERCISE_MARKER = re.compile(r"^# EXERCISE ([a-z0-9][a-z0-9-]*)\s*$", re.MULTILINE)
SETUP_CELL = ("from neuralab.lessons import check, setup, tr\n"
              "LANG, QUICK = setup(lang={lang!r}, quick={quick!r})")


def _jupytext() -> Any:
    try:
        import jupytext
    except ImportError:
        raise ImportError('writing the lessons as notebooks needs jupytext: pip install '
                          '"neuralab[lessons]"') from None
    return jupytext


def exercise_id(source: str) -> str | None:
    """The id of an exercise cell (its first line is ``# EXERCISE <id>``), else None."""
    match = EXERCISE_MARKER.match(source)
    return match.group(1) if match else None


def code_without_comments(source: str) -> str:
    """A code cell's tokens without its ``#`` comments and blank lines: what must be the same
    in the Korean and English versions of a lesson (the comments may be translated)."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    kept = [(tok.type, tok.string) for tok in tokens
            if tok.type not in (tokenize.COMMENT, tokenize.NL)]
    return tokenize.untokenize(kept)


def notebook(lesson: Lesson, lang: str, *, solutions: bool = False, quick: bool = False,
             source: str | None = None) -> Any:
    """The lesson as an ``nbformat`` notebook in ``lang``: the set-up cell first, then the
    lesson's cells; with ``solutions`` each exercise cell holds its solution."""
    from .checking import exercises

    jupytext = _jupytext()
    text = lesson_source(lesson, lang).read_text(encoding="utf-8") if source is None else source
    nb = jupytext.reads(text, fmt="md")
    setup = jupytext.reads(f"```python\n{SETUP_CELL.format(lang=lang, quick=quick)}\n```\n",
                           fmt="md").cells[0]
    nb.cells.insert(0, setup)
    if solutions:
        known = exercises()
        for cell in nb.cells:
            found = exercise_id(cell.source) if cell.cell_type == "code" else None
            if found is not None:
                if found not in known:
                    raise ValueError(f"{lesson.name} ({lang}): exercise {found!r} has no "
                                     f"registered check in lessons/exercises/")
                cell.source = f"# EXERCISE {found} (solution)\n{known[found].solution}"
    nb.metadata.pop("jupytext", None)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["neuralab"] = {"lesson": lesson.name, "lang": lang, "solutions": solutions}
    return nb


def write_notebooks(out: str | Path, lang: str, *, solutions: bool = False) -> list[Path]:
    """Write every lesson in ``lang`` as ``out/NN-slug.ipynb`` (atomically); returns the paths."""
    import nbformat

    from ..io.files import atomic_write_bytes

    if lang not in LANGUAGES:
        raise ValueError(f"lang: expected en or ko, got {lang!r}")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    books = [(folder / f"{lesson.name}.ipynb", notebook(lesson, lang, solutions=solutions))
             for lesson in LESSONS]  # all built before anything is written
    for path, nb in books:
        atomic_write_bytes(path, nbformat.writes(nb).encode("utf-8"))
    return [path for path, _ in books]


def execute(nb: Any, timeout: int = 600) -> Any:
    """Run ``nb`` top to bottom in a fresh Jupyter kernel (nbclient); returns it with outputs.
    A cell that raises stops the run with ``nbclient``'s CellExecutionError."""
    try:
        from nbclient import NotebookClient
    except ImportError:
        raise ImportError('running the lessons needs nbclient and ipykernel: pip install '
                          '"neuralab[lessons]"') from None
    # The kernel's own log says it talks over local TCP unencrypted at WARNING level: only its
    # errors are for the user.
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   extra_arguments=["--IPKernelApp.log_level=ERROR"]).execute()
    return nb
