"""``neuralab export model.safetensors --format onnx``: the digits model from ``neuralab train``
gives the same test accuracy in onnxruntime as ``neuralab evaluate``; refusals."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))
from _cli import assert_one_line_error, assert_usage_error, run  # noqa: E402

import neuralab as nl  # noqa: E402
from neuralab import nn  # noqa: E402
from neuralab.train.job import load_data  # noqa: E402


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from neuralab.cli import main

    out = tmp_path_factory.mktemp("run")
    assert main(["train", "--data", "digits", "--epochs", "2", "--quiet", "--no-plots",
                 "--out", str(out)]) == 0
    return out


def test_exported_digits_model_has_the_same_test_accuracy(
        trained: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    onnx_path = trained / "model.onnx"
    code, out, err = run(capsys, ["export", str(trained / "model.safetensors"), "--format",
                                  "onnx", "--out", str(onnx_path)])
    assert code == 0, err
    assert out.strip() == (f"wrote {onnx_path} (ONNX opset 17; input 'input' of shape "
                           f"[N, 1, 8, 8], output 'output' of shape [N, 10])")
    onnx.checker.check_model(onnx.load(str(onnx_path)), full_check=True)

    code, out, err = run(capsys, ["evaluate", str(trained / "model.safetensors")])
    assert code == 0, err
    evaluated = float(re.search(r"^accuracy: ([\d.]+)% on 359 examples$", out, re.M).group(1))

    x, y = load_data("digits").test.tensors  # the same split evaluate uses (seed 0)
    images = np.asarray(x).reshape(len(x), 1, 8, 8).astype(np.float32)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    (logits,) = session.run(None, {"input": images})
    correct = int((logits.argmax(axis=1) == np.asarray(y)).sum())
    assert len(images) == 359
    # evaluate prints two decimals of a percentage: compare at that resolution
    assert f"{100 * correct / len(images):.2f}" == f"{evaluated:.2f}"
    assert evaluated > 50  # a trained model, not a constant one
    # and the scores themselves agree, not just the argmax
    model = nl.io.load(trained / "model.safetensors")
    model.eval()
    with nl.no_grad():
        expected = model(nl.tensor(images)).numpy()
    assert np.abs(logits - expected).max() <= 1e-5 * max(1.0, np.abs(expected).max())


def test_default_out_is_next_to_the_model(trained: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, ["export", str(trained / "model.safetensors"), "--format",
                                  "onnx", "--opset", "21"])
    assert code == 0, err
    assert onnx.load(str(trained / "model.onnx")).opset_import[0].version == 21


@pytest.mark.parametrize("extra,culprits", [
    (["--opset", "16"], ["--opset", "'16'"]),
    (["--opset", "x"], ["--opset"]),
    (["--format", "tflite"], ["--format", "tflite"]),
])
def test_bad_options_are_usage_errors(trained: Path, capsys: pytest.CaptureFixture[str],
                                      extra: list[str], culprits: list[str]) -> None:
    argv = ["export", str(trained / "model.safetensors"), "--format", "onnx", *extra]
    if extra[0] == "--format":
        argv = ["export", str(trained / "model.safetensors"), *extra]
    assert_usage_error(*run(capsys, argv)[::2], *culprits)


def test_missing_file_or_folder_are_usage_errors(tmp_path: Path, trained: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, ["export", str(tmp_path / "none.safetensors"), "--format",
                                "onnx"])
    assert_usage_error(code, err, "none.safetensors")
    code, _, err = run(capsys, ["export", str(trained / "model.safetensors"), "--format",
                                "onnx", "--out", str(tmp_path / "no" / "m.onnx")])
    assert_usage_error(code, err, "--out", "does not exist")
    code, _, err = run(capsys, ["export", str(trained / "model.safetensors"), "--format",
                                "onnx", "--out", str(tmp_path)])
    assert_usage_error(code, err, "--out", "folder")
    assert list(tmp_path.iterdir()) == []


def test_a_layer_that_cannot_be_exported_is_named_and_no_file_is_left(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nl.manual_seed(0)
    # A model file without input_shape: 1×28×28 images (inferred from the Conv2d).
    model = nn.Sequential(nn.Conv2d(1, 2, 3),
                          nn.Sequential(nn.ReLU(), nn.AvgPool2d(2, ceil_mode=True,
                                                                divisor_override=3)),
                          nn.Flatten(), nn.Linear(338, 10))
    nl.io.save(model, tmp_path / "m.safetensors")
    code, out, err = run(capsys, ["export", str(tmp_path / "m.safetensors"), "--format", "onnx"])
    assert_one_line_error(code, err, "1.1 (AvgPool2d)", "divisor_override")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]
