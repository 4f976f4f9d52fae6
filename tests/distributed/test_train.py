"""``fit`` and ``neuralab train`` under ``mpirun -n 2``: found without a flag, the global batch
split across the ranks, one report and one set of files, the single-process result, and
checkpoints that resume under 2 ranks and under 1.

The ranks split each global batch of the loader's own (seeded) order — rank r takes rows r,
r+N, ... — so a 2-rank run sees the very batches of a 1-process run: their results differ only
by the rounding of the gradient sums' order. Float64 (``_train_fit.py``): weights to 1e-12.
Float32 (the CLI's digits MLP): per-step losses agree to ~1e-7 relative, so test accuracies
may differ only for an example whose two best scores lie that close — we allow one example.
Each launch is bounded by a timeout, so a hang fails instead of blocking the suite.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _cli import run
from _system import MPIRUN, mpi_installed

from neuralab.io.files import load_tensors

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
pytestmark = mpi_installed
LAUNCH_TIMEOUT = 60  # seconds for one launch: a hang fails the test
TRAIN = ["train", "--data", "digits", "--no-plots", "--schedule", "none"]
OUTPUTS = {"checkpoint.safetensors", "history.json", "model.safetensors"}


def mpirun(args: list[str], ranks: int = 2) -> subprocess.CompletedProcess:
    """``python3 ARGS`` as ``ranks`` processes under mpirun, from this folder."""
    env = {**os.environ, "NEURALAB_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    for name in ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_NTASKS", "SLURM_STEP_NUM_TASKS"):
        env.pop(name, None)  # a launcher around pytest itself is not this job's
    command = [MPIRUN or "mpirun", "--allow-run-as-root", "--oversubscribe", "-n", str(ranks),
               sys.executable, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=LAUNCH_TIMEOUT,
                          cwd=HERE, env=env)


def train_2_ranks(*args: str) -> str:
    """``neuralab train ARGS`` under mpirun -n 2; its standard output (exit status 0)."""
    done = mpirun(["-m", "neuralab.cli", *TRAIN, *args])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "failed" not in done.stderr, done.stderr
    return done.stdout


def weights(folder: Path) -> dict[str, np.ndarray]:
    return load_tensors(folder / "model.safetensors")[0]


def history(folder: Path) -> dict:
    return json.loads((folder / "history.json").read_text())


def test_fit_splits_uneven_batches_exactly(tmp_path: Path) -> None:
    """Float64, 54 steps, last batches of 3 (2 + 1 rows) and of 1 (one rank has none that
    step, so it takes a row weighted 0), SGD with momentum and Adam with clipping: the
    2-rank weights equal the 1-process ones to 1e-12 (rounding: ~1e-15 seen)."""
    sys.path.insert(0, str(HERE))
    try:
        import _train_fit
    finally:
        sys.path.remove(str(HERE))
    done = mpirun(["_train_fit.py", str(tmp_path / "two-ranks.npz")])
    assert done.returncode == 0, done.stdout + done.stderr
    got = dict(np.load(tmp_path / "two-ranks.npz"))
    expected = _train_fit.run_cases()
    assert set(got) == set(expected)
    for key, value in expected.items():
        np.testing.assert_allclose(got[key], value, rtol=1e-12, atol=1e-12, err_msg=key)
    # Trained, not left as they were: the loss fell in both cases.
    for name in _train_fit.CASES:
        assert expected[f"{name}:loss"][-1] < 0.6 * expected[f"{name}:loss"][0]


def test_train_two_ranks_matches_one_and_resumes_under_two_and_one(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # 2 epochs under 2 ranks: one report, one set of files.
    two = tmp_path / "two"
    out = train_2_ranks("--epochs", "2", "--out", str(two))
    lines = out.splitlines()
    for start in ("data: digits", "training: sgd", "epoch 1/2", "epoch 2/2", "test accuracy:"):
        assert sum(line.startswith(start) for line in lines) == 1, (start, out)
    assert "batch 32 (16 on each of 2 ranks)" in out
    assert {p.name for p in two.iterdir()} == OUTPUTS  # no staging folder, nothing twice

    # The same run as one process: the same epochs' accuracies and test accuracy (within one
    # example of 359 for float32 rounding), the same weights to float32 rounding.
    one = tmp_path / "one"
    code, single, err = run(capsys, [*TRAIN, "--epochs", "2", "--quiet", "--out", str(one)])
    assert code == 0, err
    h1, h2 = history(one), history(two)
    for e1, e2 in zip(h1["epochs"], h2["epochs"], strict=True):
        assert abs(e1["accuracy"] - e2["accuracy"]) * 1438 <= 1
        assert abs(e1["val_accuracy"] - e2["val_accuracy"]) * 359 <= 1
        assert e1["loss"] == pytest.approx(e2["loss"], rel=1e-5)
    np.testing.assert_allclose(h1["batch_losses"], h2["batch_losses"], rtol=1e-5)
    for key, value in weights(one).items():
        np.testing.assert_allclose(weights(two)[key], value, rtol=1e-4, atol=1e-5)
    accuracy = [line for line in out.splitlines() if line.startswith("test accuracy")]
    assert accuracy and float(accuracy[0].split()[2].rstrip("%")) > 85

    # Resume the 2-rank checkpoint to 4 epochs under 2 ranks and under 1: both end where an
    # uninterrupted 1-process run of 4 epochs ends.
    resumed = {}
    for ranks in (2, 1):
        folder = tmp_path / f"resumed-{ranks}"
        shutil.copytree(two, folder)
        args = ["--epochs", "4", "--resume", "--out", str(folder)]
        if ranks == 2:
            text = train_2_ranks(*args)
        else:
            code, text, err = run(capsys, [*TRAIN, *args])
            assert code == 0, err
        assert f"resuming from {folder / 'checkpoint.safetensors'} at epoch 3" in text
        assert "epoch 1/4" not in text and text.count("epoch 4/4") == 1
        resumed[ranks] = folder
    straight = tmp_path / "straight"
    code, _, err = run(capsys, [*TRAIN, "--epochs", "4", "--quiet", "--out", str(straight)])
    assert code == 0, err
    reference = history(straight)
    for folder in resumed.values():
        h = history(folder)
        assert [e["epoch"] for e in h["epochs"]] == [1, 2, 3, 4]
        assert len(h["batch_losses"]) == 4 * 45
        for e, r in zip(h["epochs"], reference["epochs"], strict=True):
            assert abs(e["val_accuracy"] - r["val_accuracy"]) * 359 <= 1
            assert e["loss"] == pytest.approx(r["loss"], rel=1e-5)
        for key, value in weights(straight).items():
            np.testing.assert_allclose(weights(folder)[key], value, rtol=1e-4, atol=1e-5)


def test_batch_not_split_evenly_is_refused(tmp_path: Path) -> None:
    done = mpirun(["-m", "neuralab.cli", *TRAIN, "--batch-size", "33", "--out",
                   str(tmp_path / "x")])
    assert done.returncode != 0
    assert ("--batch-size 33 is the global batch, split evenly across the 2 ranks of this "
            "job: use a multiple of 2") in done.stderr
