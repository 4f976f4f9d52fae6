"""Running the ``neuralab`` command in-process, and what its refusals must look like.

Imported as a plain module (``from _cli import ...``; tests/ is on ``sys.path``, see
``_tolerance``).
"""

from __future__ import annotations

import pytest

from neuralab.cli import main


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``neuralab argv``, argparse's SystemExit included."""
    try:
        code = main(argv)
    except SystemExit as exit_info:
        code = exit_info.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_usage_error(code: int, err: str, *culprits: str) -> None:
    """An unusable argument: argparse's usage, then one ``neuralab CMD: error:`` line naming
    the culprits; exit 2; no traceback."""
    assert code == 2, err
    assert err.startswith("usage: neuralab"), err
    last = err.strip().splitlines()[-1]
    assert last.startswith("neuralab ") and ": error: " in last, err
    for culprit in culprits:
        assert culprit in last, (culprit, err)
    assert "Traceback" not in err


def assert_one_line_error(code: int, err: str, *culprits: str) -> None:
    """A failure of the data, a file or the machine: one ``neuralab: error:`` line naming the
    culprits; exit 1; no traceback."""
    assert code == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("neuralab: error: "), err
    for culprit in culprits:
        assert culprit in lines[0], (culprit, err)
