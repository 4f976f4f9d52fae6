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


# ------------------------------------------------------------------ train / evaluate / predict
import json  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    assert main(["train", "--data", "digits", "--epochs", "10", "--out", str(out), "--quiet"]) == 0
    return out


def test_train_digits_writes_model_history_and_plots(digits_run: Path) -> None:
    for name in ("model.safetensors", "history.json", "checkpoint.safetensors",
                 "loss_accuracy.png", "confusion_matrix.png", "misclassified.png"):
        assert (digits_run / name).stat().st_size > 0, name
    history = json.loads((digits_run / "history.json").read_text())
    assert len(history["epochs"]) == 10
    assert history["epochs"][-1]["val_accuracy"] >= 0.95  # the bar for digits
    assert (digits_run / "loss_accuracy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_prints_accuracy_per_class_and_confusion(
        digits_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", str(digits_run / "model.safetensors"), "--data", "digits"]) == 0
    out = capsys.readouterr().out
    history = json.loads((digits_run / "history.json").read_text())
    assert f"accuracy: {history['epochs'][-1]['val_accuracy']:.2%}" in out
    assert "per-class accuracy" in out and "confusion matrix" in out
    assert out.count("examples)") == 10


def test_predict_top3_on_digit_images(digits_run: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    from neuralab.data import digits

    x, y = digits(train=False).tensors
    paths = []
    for i in range(20):  # dark ink on white paper, enlarged: the preprocessing must undo both
        path = tmp_path / f"digit{i}.png"
        Image.fromarray((255 - x[i, 0] * 255).astype(np.uint8)).resize((64, 64)).save(path)
        paths.append(str(path))
    assert main(["predict", str(digits_run / "model.safetensors"), *paths]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 20 and all(line.count("%") == 3 for line in lines)
    top1 = [int(line.split(": ")[1].split()[0]) for line in lines]
    assert np.mean(np.array(top1) == y[:20]) >= 0.8


def test_predict_reports_unreadable_image(digits_run: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    assert main(["predict", str(digits_run / "model.safetensors"), str(bad)]) == 1
    assert "cannot read this file as an image" in capsys.readouterr().err


def test_train_on_own_csv_and_bad_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 3))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    rows = ["a,b,c,label"] + [f"{a:.4f},{b:.4f},{c:.4f},{t}" for (a, b, c), t in zip(x, y)]
    csv = tmp_path / "mine.csv"
    csv.write_text("\n".join(rows) + "\n")
    out = tmp_path / "run"
    assert main(["train", "--data", str(csv), "--target", "label", "--hidden", "16",
                 "--epochs", "15", "--out", str(out), "--quiet", "--no-plots"]) == 0
    assert "validation accuracy" in capsys.readouterr().out
    assert main(["train", "--data", str(csv), "--target", "nope", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "nope" in err and "label" in err


def test_missing_data_set_gives_offline_advice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    import neuralab.data as data

    def offline(*args, **kwargs):
        raise data.DatasetNotFoundError("MNIST is not available offline; put the files in X or "
                                        "use --data digits, which works offline")

    monkeypatch.setattr(data, "mnist", offline)
    assert main(["train", "--data", "mnist", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "digits" in err and "Traceback" not in err


def test_evaluate_bad_model_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "model.safetensors"
    bad.write_bytes(b"\x00" * 4)
    assert main(["evaluate", str(bad), "--data", "digits"]) == 1
    assert str(bad) in capsys.readouterr().err


def test_lab_lists_experiments_and_survives_a_closed_pipe() -> None:
    listing = subprocess.run([sys.executable, "-m", "neuralab.cli", "lab"], capture_output=True,
                             text=True, timeout=120)
    assert listing.returncode == 0
    assert "vanishing-gradients" in listing.stdout and "S17" in listing.stdout
    piped = subprocess.run(f"{sys.executable} -m neuralab.cli lab | head -1", shell=True,
                           capture_output=True, text=True, timeout=120)
    assert "Traceback" not in piped.stderr and piped.stdout.startswith("experiments")


def test_lab_runs_one_experiment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "activations", "--out", str(tmp_path), "--quick"]) == 0
    out = capsys.readouterr().out
    assert "S7 [corrected]" in out and (tmp_path / "activations.json").exists()
    assert main(["lab", "no-such-experiment"]) == 2
