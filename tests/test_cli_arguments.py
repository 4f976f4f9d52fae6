"""Hostile command lines and model files: every refusal is one clear line, never a traceback.

Argument errors exit 2 with argparse's usage line and ``argument --option: ...``; errors found
in files (model metadata, data paths) exit 1 with one ``neuralab: error: ...`` line naming the
file and the key. Everything runs in-process through ``neuralab.cli.main``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from _cli import assert_one_line_error, assert_usage_error, run
from hypothesis import given, settings
from hypothesis import strategies as st

import neuralab as nl
from neuralab import nn
from neuralab.cli import MAX_EPOCHS, build_parser
from neuralab.models import MAX_PARAMETERS


# ------------------------------------------------------------------------- numeric arguments
@pytest.mark.parametrize("option, value", [
    ("--lr", "nan"), ("--lr", "inf"), ("--lr", "-inf"), ("--lr", "0"), ("--lr", "-0.1"),
    ("--lr", "1e999"), ("--weight-decay", "nan"), ("--weight-decay", "inf"),
    ("--weight-decay", "-1"), ("--clip-grad-norm", "nan"), ("--clip-grad-norm", "inf"),
    ("--clip-grad-norm", "0"), ("--momentum", "nan"), ("--momentum", "1"),
    ("--momentum", "-0.1"), ("--dropout", "1"), ("--dropout", "-0.5"), ("--dropout", "nan"),
    ("--val-fraction", "0"), ("--val-fraction", "1"), ("--val-fraction", "nan"),
    ("--epochs", "0"), ("--epochs", str(MAX_EPOCHS + 1)), ("--epochs", "1e9"),
    ("--epochs", "9" * 5000), ("--batch-size", "0"), ("--batch-size", "10" + "0" * 30),
    ("--seed", "-1"), ("--seed", str(2 ** 64)), ("--hidden", "0"), ("--hidden", "-5"),
    ("--hidden", "12,abc"), ("--hidden", str(MAX_PARAMETERS + 1)), ("--hidden", "1," * 1001),
], ids=lambda value: value[:24])
def test_train_refuses_bad_numbers_with_usage_and_exit_2(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, option: str, value: str) -> None:
    out = tmp_path / "run"
    code, _, err = run(capsys, ["train", option, value, "--out", str(out)])
    assert_usage_error(code, err, f"argument {option}:")
    assert not out.exists()  # refused before anything was created


def test_refusal_says_what_was_expected(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, ["train", "--momentum", "1"])
    assert_usage_error(code, err, "--momentum")
    assert "expected a finite number >= 0 and < 1, got '1'" in err
    code, _, err = run(capsys, ["xor", "--lr", "nan"])
    assert_usage_error(code, err, "--lr")
    assert "expected a finite number > 0, got 'nan'" in err


def test_boundary_values_that_are_allowed_parse(tmp_path: Path) -> None:
    args = build_parser().parse_args([
        "train", "--momentum", "0", "--dropout", "0", "--weight-decay", "0", "--lr", "1e-300",
        "--val-fraction", "0.999", "--epochs", str(MAX_EPOCHS), "--hidden", "3,2",
        "--seed", "0"])
    assert (args.momentum, args.dropout, args.weight_decay, args.lr) == (0.0, 0.0, 0.0, 1e-300)
    assert args.epochs == MAX_EPOCHS and args.hidden == (3, 2) and args.val_fraction == 0.999


PARSER = build_parser()


def parse(argv: list[str]) -> tuple[argparse.Namespace | None, int, str]:
    """(arguments or None, exit code, stderr) of parsing ``argv``; for hypothesis, which cannot
    reset the capsys fixture between examples."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            return PARSER.parse_args(argv), 0, ""
        except SystemExit as exit_info:
            return None, exit_info.code, err.getvalue()


# Each option with its own rule: what a valid value must satisfy.
RULES = {
    "--lr": lambda v: 0 < v, "--clip-grad-norm": lambda v: 0 < v,
    "--weight-decay": lambda v: 0 <= v, "--momentum": lambda v: 0 <= v < 1,
    "--dropout": lambda v: 0 <= v < 1, "--val-fraction": lambda v: 0 < v < 1,
}
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["nan", "-nan", "inf", "+inf", "-Infinity", "1e309", "-1e309", "0x10",
                     "", " ", "1,5", "1e-400", "½", "٣"]),
    st.integers(-10 ** 30, 10 ** 30).map(str),
    st.text(max_size=8))


@settings(max_examples=100, deadline=None)
@given(option=st.sampled_from(sorted(RULES)), text=NUMBERS)
def test_fuzzed_float_options_parse_or_exit_2_naming_the_option(option: str, text: str) -> None:
    args, code, err = parse(["train", f"{option}={text}"])
    if args is None:
        assert code == 2 and f"argument {option}:" in err and "Traceback" not in err
        try:
            value = float(text)
        except ValueError:
            return
        assert not (math.isfinite(value) and RULES[option](value)), (text, err)
        return
    value = getattr(args, option[2:].replace("-", "_"))
    assert value == float(text) and math.isfinite(value) and RULES[option](value)


@settings(max_examples=60, deadline=None)
@given(option=st.sampled_from(["--epochs", "--batch-size", "--seed", "--hidden"]),
       text=st.one_of(st.integers(-10 ** 20, 10 ** 20).map(str), NUMBERS))
def test_fuzzed_integer_options_parse_or_exit_2_naming_the_option(option: str,
                                                                  text: str) -> None:
    args, code, err = parse(["train", f"{option}={text}"])
    if args is None:
        assert code == 2 and f"argument {option}:" in err and "Traceback" not in err
        return
    value = getattr(args, option[2:].replace("-", "_"))
    if option == "--hidden":
        assert all(type(v) is int and 1 <= v <= MAX_PARAMETERS for v in value)
    else:
        assert type(value) is int and value == int(text) and value >= 0


def test_a_huge_hidden_layer_is_refused_before_allocating(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import neuralab.models

    def never(*args, **kwargs):
        raise AssertionError("the model was built")

    monkeypatch.setattr(neuralab.models, "mlp", never)
    out = tmp_path / "run"
    code, _, err = run(capsys, ["train", "--hidden", "100000000", "--out", str(out)])
    assert_usage_error(code, err, "--hidden 100000000")
    # 64·10⁸ + 10⁸ + 10⁸·10 + 10 parameters: the number the layer would need, said exactly.
    assert f"{64 * 10 ** 8 + 10 ** 8 + 10 ** 9 + 10:,} parameters" in err
    assert not out.exists()  # the folder made for the run is gone again


# ----------------------------------------------------------------------------- data paths
def test_data_path_that_is_a_folder_or_missing(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    folder = tmp_path / "table.csv"
    folder.mkdir()
    code, _, err = run(capsys, ["train", "--data", str(folder), "--out", str(tmp_path / "r")])
    assert_usage_error(code, err, str(folder), "folder")
    code, _, err = run(capsys, ["train", "--data", str(tmp_path), "--out", str(tmp_path / "r")])
    assert_usage_error(code, err, str(tmp_path), "folder")
    missing = tmp_path / "nope.csv"
    code, _, err = run(capsys, ["train", "--data", str(missing), "--out", str(tmp_path / "r")])
    assert_usage_error(code, err, str(missing), "no such file")
    assert not (tmp_path / "r").exists()


def test_data_file_content_errors_are_one_line(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"a,b,label\n\xff\xfe,1,0\n")
    code, _, err = run(capsys, ["train", "--data", str(bad), "--out", str(tmp_path / "r")])
    assert_one_line_error(code, err, str(bad))
    tiny = tmp_path / "tiny.csv"  # too small to leave a validation example
    tiny.write_text("a,label\n1,0\n2,1\n")
    code, _, err = run(capsys, ["train", "--data", str(tiny), "--out", str(tmp_path / "r")])
    assert_one_line_error(code, err, str(tiny), "0 for validation")
    big = tmp_path / "big.csv"  # one huge label would make a billion-entry class list
    big.write_text("a,label\n1,0\n2,1000000000\n")
    code, _, err = run(capsys, ["train", "--data", str(big), "--out", str(tmp_path / "r")])
    assert_one_line_error(code, err, str(big), "line 3", "'label'", "too large")


# ------------------------------------------------------------------- model files' metadata
@pytest.fixture(scope="module")
def flat_model() -> nn.Module:
    nl.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 10))


@pytest.fixture(scope="module")
def digit_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from PIL import Image

    from neuralab.data import digits

    x = digits(train=False).tensors[0]
    path = tmp_path_factory.mktemp("img") / "digit.png"
    Image.fromarray((255 - x[0, 0] * 255).astype(np.uint8)).resize((32, 32)).save(path)
    return path


BAD_METADATA = [
    ({"classes": "not json"}, "'classes'"),
    ({"classes": "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"}, "'classes'"),
    ({"classes": '{"a": 1}'}, "'classes'"),
    ({"classes": json.dumps([str(i) for i in range(9)])}, "9 classes"),
    ({"classes": json.dumps([str(i) for i in range(11)])}, "11 classes"),
    ({"input_shape": "[8, 8"}, "'input_shape'"),
    ({"input_shape": '"8x8"'}, "'input_shape'"),
    ({"input_shape": "[0, 8, 8]"}, "'input_shape'"),
    ({"input_shape": "[1, -8, 8]"}, "'input_shape'"),
    ({"input_shape": "[1.5, 8]"}, "'input_shape'"),
    ({"input_shape": "[true, 8, 8]"}, "'input_shape'"),
    ({"input_shape": "[1, 1, 8, 8]"}, "'input_shape'"),
    ({"input_shape": "[]"}, "'input_shape'"),
    ({"input_shape": "[100000, 100000]"}, "'input_shape'"),
    ({"input_shape": "[1, 7, 7]"}, "'input_shape'"),  # 49 inputs for a Linear(64, …)
    ({"input_shape": "[1, 8, 8]", "classes": "[]"}, "0 classes"),
]


@pytest.mark.parametrize("command", ["evaluate", "predict"])
@pytest.mark.parametrize("meta, key", BAD_METADATA)
def test_crafted_metadata_is_refused_naming_file_and_key(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, flat_model: nn.Module,
        digit_png: Path, command: str, meta: dict[str, str], key: str) -> None:
    path = tmp_path / "model.safetensors"
    nl.save(flat_model, path, metadata={"data": "digits", **meta})
    before = path.read_bytes()
    argv = [command, str(path), str(digit_png)] if command == "predict" else \
        [command, str(path), "--data", "digits"]
    code, out, err = run(capsys, argv)
    assert_one_line_error(code, err, str(path), key)
    assert out == "" and path.read_bytes() == before


@pytest.mark.parametrize("layers, side", [
    (lambda: [nn.Linear(64, 10)], 8),                                  # flat input, no Flatten
    (lambda: [nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)], 8),
    (lambda: [nn.Flatten(), nn.Linear(784, 10)], 28),
])
def test_predict_infers_the_input_of_a_model_saved_without_metadata(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, digit_png: Path, layers,
        side: int) -> None:
    nl.manual_seed(0)
    model = nn.Sequential(*layers())
    path = tmp_path / "plain.safetensors"
    nl.save(model, path)
    code, out, err = run(capsys, ["predict", str(path), str(digit_png)])
    assert code == 0 and err == "", err
    from neuralab.imaging import load_digit_image

    image = load_digit_image(digit_png, size=side).reshape(1, -1)
    with nl.no_grad():
        probs = model(nl.Tensor(image)).softmax(axis=1).numpy()[0]
    best = int(np.argmax(probs))
    assert out.startswith(f"{digit_png}: {best} {probs[best]:.1%}, ")
    assert out.count("%") == 3


def test_predict_refuses_a_model_that_does_not_take_images(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, digit_png: Path) -> None:
    path = tmp_path / "tabular.safetensors"
    nl.save(nn.Sequential(nn.Linear(3, 2)), path)  # 3 features: no square picture
    code, _, err = run(capsys, ["predict", str(path), str(digit_png)])
    assert_one_line_error(code, err, str(path), "3 features")
    nl.save(nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 2)), path,
            metadata={"input_shape": "[3, 8, 8]"})
    code, _, err = run(capsys, ["predict", str(path), str(digit_png)])
    assert_one_line_error(code, err, str(path), "[3, 8, 8]")
    nl.save(nn.Sequential(nn.ReLU()), path)  # nothing to tell the input from
    code, _, err = run(capsys, ["predict", str(path), str(digit_png)])
    assert_one_line_error(code, err, str(path), "'input_shape'")


def test_evaluate_refuses_a_model_for_other_data(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    path = tmp_path / "wide.safetensors"
    nl.save(nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), path)
    code, _, err = run(capsys, ["evaluate", str(path), "--data", "digits"])
    assert_one_line_error(code, err, str(path), "[784]", "[1, 8, 8]")
    nl.save(nn.Sequential(nn.Flatten(), nn.Linear(64, 4)), path)
    code, _, err = run(capsys, ["evaluate", str(path), "--data", "digits"])
    assert_one_line_error(code, err, str(path), "4 outputs", "10 classes")


def test_evaluate_a_plain_model_file_on_digits(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    path = tmp_path / "plain.safetensors"
    nl.manual_seed(0)
    nl.save(nn.Sequential(nn.Linear(64, 10)), path)  # flat input: the 8×8 images are flattened
    code, out, err = run(capsys, ["evaluate", str(path), "--data", "digits"])
    assert code == 0 and err == "", err
    assert out.count("examples)") == 10


def test_end_to_end_refusals_in_a_subprocess(tmp_path: Path) -> None:
    import subprocess
    import sys

    def neuralab(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "neuralab.cli", *argv], capture_output=True,
                              text=True, timeout=120)

    result = neuralab("train", "--lr", "nan", "--out", str(tmp_path / "r"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == ("neuralab train: error: argument --lr: expected a "
                                              "finite number > 0, got 'nan'")
    bad = tmp_path / "m.safetensors"
    nl.save(nn.Sequential(nn.Linear(64, 10)), bad, metadata={"classes": "[oops"})
    result = neuralab("predict", str(bad), str(tmp_path))
    assert result.returncode == 1
    assert result.stderr == (f"neuralab: error: {bad}: metadata 'classes' is not valid JSON: "
                             f"'[oops'\n")


def test_a_missing_model_file_is_an_argument_error(capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    missing = tmp_path / "nope.safetensors"
    for argv in (["evaluate", str(missing)], ["predict", str(missing), "x.png"]):
        code, _, err = run(capsys, argv)
        assert_usage_error(code, err, str(missing), "no such file")
