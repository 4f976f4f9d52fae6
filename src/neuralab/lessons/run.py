"""Run one lesson file top to bottom in a Jupyter kernel and show what each cell printed.

    python -m neuralab.lessons.run src/neuralab/lessons/content/en/01-perceptron.md \\
        [--lang ko] [--solutions] [--quick] [--figures DIR]

For lesson authors: the cells' text outputs are printed, figures saved as PNGs in DIR.
"""

from __future__ import annotations

import argparse
import base64
import time
from pathlib import Path

from . import LESSONS
from .build import execute, notebook


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m neuralab.lessons.run")
    parser.add_argument("path")
    parser.add_argument("--lang", choices=["en", "ko"], default=None,
                        help="default: the folder the file is in (content/en or content/ko)")
    parser.add_argument("--solutions", action="store_true")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--figures", default="/tmp/lesson-figures")
    args = parser.parse_args(argv)
    path = Path(args.path)
    lang = args.lang or ("ko" if path.parent.name == "ko" else "en")
    lesson = next((item for item in LESSONS if item.name == path.stem), LESSONS[0])
    nb = notebook(lesson, lang, solutions=args.solutions, quick=args.quick,
                  source=path.read_text(encoding="utf-8"))
    start = time.perf_counter()
    execute(nb)
    seconds = time.perf_counter() - start
    figures = Path(args.figures)
    figures.mkdir(parents=True, exist_ok=True)
    count = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        print(f"--- cell {index}: {cell.source.splitlines()[0][:70] if cell.source else ''}")
        for output in cell.outputs:
            if output.output_type == "stream":
                print(output.text, end="")
            elif "image/png" in output.get("data", {}):
                count += 1
                name = figures / f"{path.stem}-{lang}-{count}.png"
                name.write_bytes(base64.b64decode(output["data"]["image/png"]))
                print(f"[figure → {name}]")
            elif "text/plain" in output.get("data", {}):
                print(output["data"]["text/plain"])
    print(f"=== {path.name} ({lang}) ran in {seconds:.1f} s, {count} figures")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
