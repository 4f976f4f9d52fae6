"""The lessons as one HTML book: every lesson run in a Jupyter kernel with its solutions, then
its prose (Markdown), code and outputs — printed text and the figures, embedded as PNG — on one
self-contained page, like the tour report. Needs jupytext, nbclient and ipykernel
("neuralab[lessons]"); markdown-it-py comes with jupytext."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import LESSONS, Lesson

CSS = """
body{font-family:system-ui,-apple-system,"NanumGothic","Nanum Gothic","Noto Sans CJK KR",
"Noto Sans KR","Malgun Gothic","Segoe UI",sans-serif;max-width:900px;margin:2em auto;
padding:0 1em;line-height:1.55;color:#1d2530}
h1{border-bottom:2px solid #183b56;padding-bottom:.2em}
h2.lesson{margin-top:2.5em;border-bottom:1px solid #ccd;padding-bottom:.2em}
pre{background:#f5f7fa;border:1px solid #e1e6ee;border-radius:4px;padding:.6em .8em;
overflow-x:auto;font-size:.88em}
pre.out{background:#fff;border-color:#eef;color:#334}
pre.exercise{border-left:4px solid #e8a33d}
img{max-width:100%;display:block;margin:.6em 0}
nav ol{columns:2}
code{font-size:.92em}
table{border-collapse:collapse}td,th{border:1px solid #ccd;padding:.2em .5em}
.claims{color:#557;font-size:.9em}
"""
WORDS = {
    "en": {"title": "neuralab lessons", "contents": "Contents", "solution": "solution",
           "intro": "The notes as ten lessons that run on neuralab. Each was executed top to "
                    "bottom with its exercises' solutions to make this page; open the notebooks "
                    "(neuralab lessons) to run and change the code yourself."},
    "ko": {"title": "neuralab 강의", "contents": "차례", "solution": "풀이",
           "intro": "노트를 neuralab에서 실행되는 열 개의 강의로 옮겼습니다. 이 페이지는 각 강의를 "
                    "연습 문제 풀이와 함께 처음부터 끝까지 실행해 만든 것입니다. 코드를 직접 "
                    "실행하고 바꿔 보려면 노트북을 여세요(neuralab lessons)."},
}


def _markdown() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table")


def _outputs(cell: Any) -> list[str]:
    parts = []
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if output.output_type == "stream":
            parts.append(f'<pre class="out">{html.escape(output.text)}</pre>')
        elif "image/png" in data:
            png = data["image/png"].replace("\n", "")
            parts.append(f'<img alt="figure" src="data:image/png;base64,{png}">')
        elif "text/plain" in data:
            parts.append(f'<pre class="out">{html.escape(data["text/plain"])}</pre>')
        elif output.output_type == "error":
            raise ValueError(f"a cell failed: {output.ename}: {output.evalue}")
    return parts


def render(executed: Sequence[tuple[Lesson, Any]], lang: str) -> str:
    """The book's HTML from executed notebooks (the set-up cell is left out)."""
    words = WORDS[lang]
    markdown = _markdown()
    toc = "".join(f'<li><a href="#lesson-{lesson.name}">{html.escape(lesson.title(lang))}</a></li>'
                  for lesson, _ in executed)
    parts = [f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
             f"<title>{html.escape(words['title'])}</title><style>{CSS}</style></head><body>",
             f"<h1>{html.escape(words['title'])}</h1><p>{html.escape(words['intro'])}</p>",
             f"<nav><h3>{html.escape(words['contents'])}</h3><ol>{toc}</ol></nav>"]
    for lesson, nb in executed:
        parts.append(f'<section id="lesson-{lesson.name}"><h2 class="lesson">{lesson.number}. '
                     f"{html.escape(lesson.title(lang))} "
                     f'<span class="claims">{", ".join(lesson.claims)}</span></h2>')
        for index, cell in enumerate(nb.cells):
            if index == 0 and cell.cell_type == "code":
                continue  # the set-up cell
            if cell.cell_type == "markdown":
                text = cell.source
                if text.lstrip().startswith("# "):  # the lesson's own title: shown above
                    text = text.lstrip().split("\n", 1)[1] if "\n" in text.lstrip() else ""
                parts.append(markdown.render(text))
            elif cell.cell_type == "code":
                kind = "exercise" if cell.source.startswith("# EXERCISE ") else "code"
                parts.append(f'<pre class="{kind}"><code>{html.escape(cell.source)}</code></pre>')
                parts.extend(_outputs(cell))
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def build_book(out: str | Path, lang: str, *, quick: bool = False,
               log: Callable[[str], None] = print) -> Path:
    """Run every lesson in ``lang`` with its solutions and write ``out/book[_ko].html``."""
    import time

    from ..io.files import atomic_write_bytes
    from .build import execute, notebook

    executed = []
    for lesson in LESSONS:
        start = time.perf_counter()
        try:
            executed.append((lesson, execute(notebook(lesson, lang, solutions=True,
                                                      quick=quick))))
        except Exception as error:  # nbclient's CellExecutionError: the cell and its error
            if type(error).__name__ != "CellExecutionError":
                raise
            last = str(error).strip().splitlines()[-1] if str(error).strip() else ""
            raise ValueError(f"lesson {lesson.name} ({lang}) failed: {last}") from None
        log(f"  {lesson.name} ({lang}): {time.perf_counter() - start:.1f} s")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ("book_ko.html" if lang == "ko" else "book.html")
    atomic_write_bytes(path, render(executed, lang).encode("utf-8"))
    return path
