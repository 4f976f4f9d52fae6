"""``fit``'s edges with and without a launcher: Ctrl-C timing (one process exactly as before
the MPI work; under 2 ranks every rank stops after the same batch), an ``sbatch`` script that
is not a launch, a user's sampler on the global generator, BatchNorm1d with a 1-row shard, a
rank killed mid-epoch, a mid-epoch 2 → 1 resume, and ranks that do not share the checkpoint.

The 2-rank cases run ``_fit_cases.py`` under ``mpirun -n 2`` (each launch bounded by a
timeout); their single-process references are the same functions called here. Float64 and the
same batches: a 2-rank run differs from one process only by the order of the gradient sums
(~1e-16 relative a step), so weights are compared to 1e-12.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from _system import MPIRUN, mpi_installed

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
LAUNCH_TIMEOUT = 60  # seconds for one launch: a hang fails the test

sys.path.insert(0, str(HERE))
import _fit_cases as cases  # noqa: E402  (the same runs, here as one process)


def mpirun(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    """``python3 _fit_cases.py ARGS`` as 2 ranks; (result, seconds)."""
    env = {**os.environ, "NEURALAB_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    for name in list(env):
        if name.startswith(("OMPI_COMM_WORLD", "PMI_", "SLURM_")):
            env.pop(name)  # a launcher around pytest itself is not this job's
    command = [MPIRUN or "mpirun", "--allow-run-as-root", "--oversubscribe", "-n", "2",
               sys.executable, "_fit_cases.py", *args]
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=LAUNCH_TIMEOUT,
                          cwd=HERE, env=env)
    return done, time.monotonic() - start


# ---------------------------------------------------------------------------- one process
def test_ctrl_c_stops_after_the_batch_whose_callbacks_saw_it(tmp_path: Path) -> None:
    """A SIGINT raised in on_batch_end of batch 5 stops after batch 5 (not 6), and one raised
    in the last batch of the last epoch still saves and reports the interruption."""
    _, history = cases.interrupted_run(tmp_path / "a.ck", stop_at=(0, 2, 5))
    assert history.interrupted and len(history.batch_losses) == 9 + 5
    _, history = cases.interrupted_run(tmp_path / "b.ck", epochs=2, stop_at=(0, 2, 9))
    assert history.interrupted and len(history.batch_losses) == 18
    assert len(history.epochs) == 1  # stopped before epoch 2's end-of-epoch work
    # Resuming both ends where the uninterrupted run ends.
    straight, _ = cases.interrupted_run(None)
    resumed, history = cases.interrupted_run(tmp_path / "a.ck", resume=True)
    assert not history.interrupted and len(history.batch_losses) == 36
    np.testing.assert_array_equal(resumed, straight)
    two, _ = cases.interrupted_run(None, epochs=2)
    resumed, history = cases.interrupted_run(tmp_path / "b.ck", epochs=2, resume=True)
    assert len(history.epochs) == 2 and len(history.batch_losses) == 18
    np.testing.assert_array_equal(resumed, two)


@pytest.mark.parametrize("environ", [
    {"SLURM_NTASKS": "4", "SLURM_PROCID": "0"},  # python in an sbatch --ntasks=4 script
    {"SLURM_NTASKS": "4", "SLURM_PROCID": "0", "SLURM_STEP_NUM_TASKS": "4",
     "SLURM_STEP_ID": "batch"},
])
def test_a_slurm_batch_script_is_one_process(monkeypatch: pytest.MonkeyPatch,
                                             environ: dict[str, str]) -> None:
    for name in list(os.environ):
        if name.startswith(("OMPI_", "PMI_", "SLURM_")):
            monkeypatch.delenv(name)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    weights, seen, losses = cases.sampler_run(epochs=1)
    assert sorted(seen) == list(range(32)) and len(losses) == 4


# ---------------------------------------------------------------------------- 2 ranks
@mpi_installed
def test_a_sampler_on_the_global_generator_is_drawn_once(tmp_path: Path) -> None:
    """RandomSampler(ds) draws from neuralab's global generator, which differs between ranks:
    rank 0 draws each epoch's order and the ranks split it, so every row is seen once an
    epoch and the run equals one process's."""
    done, _ = mpirun("sampler", str(tmp_path))
    assert done.returncode == 0, done.stderr[-2000:]
    got = np.load(tmp_path / "sampler.npz")
    weights, seen, losses = cases.sampler_run()
    for epoch in range(2):
        part = [got[f"rank{r}"][16 * epoch:16 * epoch + 16] for r in (0, 1)]
        assert sorted(np.concatenate(part).tolist()) == list(range(32))
        # rank r takes rows r, r+2, ... of each batch of the one-process order
        order = np.array(seen[32 * epoch:32 * epoch + 32]).reshape(4, 8)
        for r in (0, 1):
            np.testing.assert_array_equal(part[r], order[:, r::2].ravel())
    np.testing.assert_allclose(got["losses"], losses, rtol=1e-12)
    np.testing.assert_allclose(got["weights"], weights, rtol=1e-12, atol=1e-12)


@mpi_installed
def test_batchnorm_with_a_one_row_shard_is_refused_clearly(tmp_path: Path) -> None:
    done, seconds = mpirun("batchnorm", str(tmp_path))
    assert "rank 0 drop_last=True ok, 2 epochs" in done.stdout, done.stderr[-2000:]
    assert done.returncode != 0 and "not refused" not in done.stdout
    assert ("batch 9 of epoch 1 has 3 row(s) (global batch sizes this epoch: 3, 8), which "
            "leaves a rank with 1 row, and BatchNorm1d layer '1' in training needs more than 1 "
            "value per channel; use drop_last=True") in done.stderr
    assert "ShapeError" not in done.stderr  # refused before any forward pass of that batch
    assert seconds < 30


@mpi_installed
def test_ctrl_c_on_one_rank_stops_all_after_one_batch_and_resumes_on_one(
        tmp_path: Path) -> None:
    """A SIGINT on rank 0 after batch 5's Allreduce is carried into batch 6's: both ranks stop
    after batch 6 of epoch 2. One on rank 1 in the last batch of epoch 1 is caught by the
    epoch's closing Allreduce: both stop there. Both checkpoints resume as one process to the
    uninterrupted run's weights."""
    done, seconds = mpirun("interrupt", str(tmp_path))
    assert done.returncode == 0, done.stderr[-2000:]
    for r in (0, 1):
        assert f"rank {r} mid: interrupted True, 15 steps" in done.stdout
        assert f"rank {r} last: interrupted True, 9 steps" in done.stdout
    assert "interrupted at" not in done.stdout  # verbose=0
    straight, _ = cases.interrupted_run(None)
    for name in ("mid", "last"):
        resumed, history = cases.interrupted_run(tmp_path / f"{name}.ck", resume=True)
        assert not history.interrupted and len(history.batch_losses) == 36
        assert len(history.epochs) == 4
        np.testing.assert_allclose(resumed, straight, rtol=1e-12, atol=1e-12, err_msg=name)
    assert seconds < 40


@mpi_installed
def test_a_rank_killed_mid_epoch_ends_the_job(tmp_path: Path) -> None:
    done, seconds = mpirun("kill", str(tmp_path))
    assert done.returncode != 0
    assert "finished" not in done.stdout
    assert "signal 9 (Killed)" in done.stdout + done.stderr  # Open MPI's report
    assert seconds < 20


@mpi_installed
def test_ranks_that_do_not_share_the_checkpoint_fail_together(tmp_path: Path) -> None:
    """Rank 0 finds a checkpoint in its folder; rank 1 finds none in its own, then another
    (older) one: every rank stops with an error naming the checkpoint and the need for a
    shared file system, instead of rank 1 starting elsewhere."""
    for r in (0, 1):
        (tmp_path / f"rank{r}").mkdir()
    cases.interrupted_run(tmp_path / "rank0" / "ck", stop_at=(0, 2, 5))
    done, seconds = mpirun("resume-local", str(tmp_path))
    assert done.returncode != 0 and "resumed" not in done.stdout
    text = done.stderr
    assert "could not resume from" in text and "rank(s) 1" in text
    assert "must be on a file system that all ranks share" in text
    assert "No such file" in text or "FileNotFoundError" in text
    assert seconds < 30
    # Another checkpoint of the same run, at another position
    cases.interrupted_run(tmp_path / "rank1" / "ck", stop_at=(0, 1, 3))
    done, _ = mpirun("resume-local", str(tmp_path))
    assert done.returncode != 0 and "resumed" not in done.stdout
    assert "it holds (epoch, batch, steps) (0, 3, 3), on rank 0 (1, 5, 14)" in done.stderr
