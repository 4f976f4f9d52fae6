"""A training run's folder: refused up front when unusable, consistent when a write fails.

Disk-full and read-only cases use real file systems: as root a small tmpfs is mounted (and
unmounted in a finalizer); otherwise the disk-full tests skip — except under ``CI=true``,
where they fail, so CI cannot pass them silently — and read-only folders use chmod.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from _cli import assert_one_line_error, assert_usage_error, run
from _system import mounted_tmpfs

TRAIN = ["train", "--data", "digits", "--epochs", "1", "--quiet", "--no-plots"]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones included) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def old_run(folder: Path) -> dict[str, bytes]:
    """Stand-ins for an earlier run's results; they must survive a failed new run unchanged."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("model.safetensors", "history.json", "loss_accuracy.png"):
        (folder / name).write_bytes(f"earlier run's {name}".encode())
    return snapshot(folder)


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """``tmpfs(size, read_only=False)`` mounts a fresh tmpfs and returns its folder."""
    numbers = itertools.count()
    with ExitStack() as mounts:
        yield lambda size, read_only=False: mounts.enter_context(mounted_tmpfs(
            tmp_path / f"fs{next(numbers)}", size, read_only))


def read_only_folder(tmpfs: Callable[..., Path], tmp_path: Path) -> Path:
    """A folder no one may write in: a read-only tmpfs as root (chmod is no bar to root)."""
    if os.geteuid() == 0:
        return tmpfs("64k", read_only=True)
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


# ----------------------------------------------------------------------- unusable --out
def test_out_that_is_a_file_or_under_a_file(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    afile = tmp_path / "notes.txt"
    afile.write_text("keep me")
    for out in (afile, afile / "run"):
        for argv in (TRAIN + ["--out", str(out)], ["tour", "--out", str(out)],
                     ["lab", "activations", "--quick", "--out", str(out)]):
            code, stdout, err = run(capsys, argv)
            assert_usage_error(code, err, str(out), f"{afile} is a file")
            assert "[1/" not in stdout  # refused before the first experiment ran
    assert afile.read_text() == "keep me"


def test_read_only_out_is_refused_before_loading_data(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, tmpfs: Callable[..., Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import neuralab.train.job as job

    def no_data(*args, **kwargs):
        raise AssertionError("data was loaded before the folder was checked")

    monkeypatch.setattr(job, "load_data", no_data)
    folder = read_only_folder(tmpfs, tmp_path)
    for out, words in ((folder, "cannot write in the output folder"),
                       (folder / "run", "cannot create the output folder")):
        for argv in (TRAIN + ["--out", str(out)], ["tour", "--out", str(out)],
                     ["lab", "activations", "--quick", "--out", str(out)]):
            code, _, err = run(capsys, argv)
            assert_one_line_error(code, err, words, str(out))


# ------------------------------------------------------------------------------- resume
def test_resume_without_a_checkpoint_is_refused(capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path) -> None:
    out = tmp_path / "run"
    before = old_run(out)
    code, _, err = run(capsys, TRAIN + ["--out", str(out), "--resume"])
    assert_usage_error(code, err, "--resume", str(out / "checkpoint.safetensors"))
    assert snapshot(out) == before
    code, _, err = run(capsys, TRAIN + ["--out", str(tmp_path / "never"), "--resume"])
    assert_usage_error(code, err, "--resume")
    assert not (tmp_path / "never").exists()


class _CtrlC:
    """A callback that presses Ctrl-C (a real SIGINT) after ``batch`` batches."""

    def __init__(self, batch: int) -> None:
        self.batch = batch

    def on_train_begin(self, state: dict) -> None:
        pass

    def on_batch_end(self, state: dict) -> None:
        if state["batch"] == self.batch:
            import signal

            os.kill(os.getpid(), signal.SIGINT)

    def on_epoch_end(self, record: dict, state: dict) -> bool:
        return False

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


def test_ctrl_c_keeps_the_earlier_results_and_lists_only_real_files(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    fit_module = importlib.import_module("neuralab.train.fit")  # the package exports fit()
    real_fit = fit_module.fit
    monkeypatch.setattr(fit_module, "fit",
                        lambda *a, **k: real_fit(*a, **{**k, "callbacks": [_CtrlC(3)]}))
    out = tmp_path / "run"
    before = old_run(out)
    code, stdout, err = run(capsys, TRAIN + ["--out", str(out)])
    assert code == 130, err
    checkpoint = out / "checkpoint.safetensors"
    assert f"(checkpoint: {checkpoint})" in stdout and checkpoint.is_file()
    after = snapshot(out)
    assert set(after) == set(before) | {"checkpoint.safetensors"}  # no new history, no temps
    assert {name: after[name] for name in before} == before
    # Resumed past batch 3 (same callbacks, as the checkpoint requires): the run finishes.
    code, stdout, err = run(capsys, TRAIN + ["--out", str(out), "--resume"])
    assert code == 0, err
    assert after["model.safetensors"] != (out / "model.safetensors").read_bytes()
    assert not (out / "loss_accuracy.png").exists()  # the earlier run's plot: not this run's
    listed = [line.split(": ", 1)[1] for line in stdout.splitlines()
              if line.startswith("  ") and str(out) in line]
    assert sorted(listed) == sorted(str(out / n) for n in
                                    ("checkpoint.safetensors", "history.json",
                                     "model.safetensors"))


# ------------------------------------------------------------------------------ disk full
@pytest.mark.parametrize("size, culprit", [
    ("512k", "model.safetensors"),       # the ~420 kB checkpoint fits, the 205 kB model not
    ("256k", "checkpoint.safetensors"),  # the first checkpoint does not fit
])
def test_disk_full_names_the_file_and_keeps_the_folder_consistent(
        capsys: pytest.CaptureFixture[str], tmpfs: Callable[..., Path], size: str,
        culprit: str) -> None:
    out = tmpfs(size) / "run"
    before = old_run(out)
    code, _, err = run(capsys, TRAIN + ["--out", str(out)])
    assert_one_line_error(code, err, f"could not write {out / culprit}: No space left on device")
    after = snapshot(out)
    assert {name: after[name] for name in before} == before  # the earlier results untouched
    # Nothing else but (possibly) the new run's checkpoint: no history beside the old model,
    # no staging folder, no temporary files.
    assert set(after) - set(before) <= {"checkpoint.safetensors"}
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_disk_full_end_to_end_in_a_subprocess(tmpfs: Callable[..., Path]) -> None:
    out = tmpfs("512k") / "run"
    before = old_run(out)
    result = subprocess.run([sys.executable, "-m", "neuralab.cli", *TRAIN, "--out", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert result.stderr == (f"neuralab: error: could not write {out / 'model.safetensors'}: "
                             f"No space left on device\n")
    assert {k: v for k, v in snapshot(out).items() if k in before} == before


def test_a_full_run_replaces_every_result_of_the_earlier_one(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "run"
    before = old_run(out)
    code, stdout, err = run(capsys, TRAIN + ["--out", str(out)])
    assert code == 0, err
    after = snapshot(out)
    assert set(after) == {"checkpoint.safetensors", "history.json", "model.safetensors"}
    assert all(after[name] != before[name] for name in ("history.json", "model.safetensors"))
