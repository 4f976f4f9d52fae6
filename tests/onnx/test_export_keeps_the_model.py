"""``neuralab export`` never writes over the model file it reads."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))
from _cli import assert_usage_error, run  # noqa: E402

import neuralab as nl  # noqa: E402


def test_out_equal_to_the_model_file_is_refused(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "model.onnx"  # a neuralab model file that happens to end in .onnx
    nl.save(nl.nn.Sequential(nl.nn.Linear(4, 3)), model)
    before = model.read_bytes()
    code, _, err = run(capsys, ["export", str(model), "--format", "onnx"])  # default --out
    assert_usage_error(code, err, "--out", "model file itself")
    alias = tmp_path / "same" / ".." / "model.onnx"
    (tmp_path / "same").mkdir()
    code, _, err = run(capsys, ["export", str(model), "--format", "onnx", "--out", str(alias)])
    assert_usage_error(code, err, "--out", "model file itself")
    assert model.read_bytes() == before
    shutil.rmtree(tmp_path / "same")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]
