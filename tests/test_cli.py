"""The command line: exit codes, output and usage errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from neuralab.cli import main


def test_xor_prints_truth_table_and_solves_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["xor"]) == 0
    out = capsys.readouterr().out
    assert "2-4-1 MLP" in out
    rows = [line for line in out.splitlines() if line.strip().startswith(("0", "1"))]
    assert len(rows) == 4 and all(row.endswith("ok") for row in rows)
    assert "accuracy 100%" in out


def test_bad_arguments_give_usage_and_exit_code_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["xor", "--activation", "swish"])
    assert exit_info.value.code == 2
    assert "usage:" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2


def test_console_script_is_installed() -> None:
    result = subprocess.run([sys.executable, "-m", "neuralab.cli", "xor", "--epochs", "3000"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "accuracy 100%" in result.stdout
