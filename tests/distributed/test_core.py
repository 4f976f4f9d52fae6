"""neuralab.distributed: single-process behaviour in this process, and 2-rank jobs under
``mpirun -n 2`` on the scripts beside this file (each launch bounded by a timeout)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from _system import MPIRUN, mpi_installed

import neuralab as nl
from neuralab import distributed as dist
from neuralab.distributed.launcher import launcher_info

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
LAUNCH_TIMEOUT = 60  # seconds: a hang fails the test instead of blocking the suite

sys.path.insert(0, str(HERE))
import _worker_train  # noqa: E402  (the same training code, run here as one process)


def mpirun(*args: str, ranks: int = 2) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``python3 ARGS`` under mpirun with ``ranks`` processes; (result, seconds)."""
    env = {**os.environ, "NEURALAB_NUM_THREADS": "1", "OMPI_MCA_rmaps_base_oversubscribe": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    for name in ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_NTASKS", "SLURM_STEP_NUM_TASKS"):
        env.pop(name, None)  # this test process's own launcher, if any, is not the job's
    command = [MPIRUN or "mpirun", "--allow-run-as-root", "--oversubscribe", "-n", str(ranks),
               sys.executable, *args]
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=LAUNCH_TIMEOUT,
                          cwd=HERE, env=env)
    return done, time.monotonic() - start


# ---------------------------------------------------------------------------- launchers
@pytest.mark.parametrize("environ, expected", [
    ({}, None),
    ({"OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_RANK": "3"}, (4, 3)),
    ({"OMPI_COMM_WORLD_SIZE": "1", "OMPI_COMM_WORLD_RANK": "0"}, (1, 0)),
    ({"PMI_SIZE": "8", "PMI_RANK": "5"}, (8, 5)),
    ({"SLURM_STEP_NUM_TASKS": "16", "SLURM_NTASKS": "32", "SLURM_PROCID": "2"}, (16, 2)),
    ({"SLURM_STEP_NUM_TASKS": "4", "SLURM_PROCID": "3", "SLURM_STEP_ID": "0"}, (4, 3)),
    ({"SLURM_STEP_NUM_TASKS": "32"}, None),  # no task id: not a task of a step
    # An sbatch --ntasks=32 batch script: SLURM_NTASKS and SLURM_PROCID are set there too,
    # but a plain python in it is one process (only srun sets SLURM_STEP_NUM_TASKS).
    ({"SLURM_NTASKS": "32", "SLURM_PROCID": "0"}, None),
    ({"SLURM_NTASKS": "4", "SLURM_PROCID": "0", "SLURM_STEP_NUM_TASKS": "4",
      "SLURM_STEP_ID": "batch"}, None),
    ({"SLURM_NTASKS": "4", "SLURM_PROCID": "0", "SLURM_STEP_NUM_TASKS": "4",
      "SLURM_STEPID": "4294967294"}, None),
    ({"SLURM_STEP_NUM_TASKS": "4", "SLURM_PROCID": "0", "SLURM_STEP_ID": "4294967295"}, None),
    # mpirun inside a batch script: the MPI launcher's count
    ({"SLURM_NTASKS": "4", "SLURM_PROCID": "0", "SLURM_STEP_ID": "batch",
      "OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_RANK": "2"}, (4, 2)),
    ({"OMPI_COMM_WORLD_SIZE": "two", "OMPI_COMM_WORLD_RANK": "0"}, None),
    # srun starting mpirun: the MPI launcher's own count wins
    ({"SLURM_STEP_NUM_TASKS": "1", "SLURM_PROCID": "0", "OMPI_COMM_WORLD_SIZE": "2",
      "OMPI_COMM_WORLD_RANK": "1"}, (2, 1)),
])
def test_launcher_detection(environ: dict, expected: tuple | None) -> None:
    info = launcher_info(environ)
    assert (info if info is None else info[:2]) == expected
    assert dist.launched(environ) == (expected is not None and expected[0] > 1)


# ---------------------------------------------------------------------------- one process
def test_a_plain_run_is_a_group_of_one() -> None:
    assert not dist.launched()
    dist.init()
    dist.init()  # idempotent
    assert (dist.rank(), dist.world_size(), dist.is_main()) == (0, 1, True)
    assert dist.communicator() is None
    dist.barrier()


def test_all_reduce_alone_returns_a_copy_of_the_same_kind() -> None:
    array = np.array([1.5, -2.0])
    for op in ("sum", "mean", "max", "min"):
        out = dist.all_reduce(array, op)
        assert out is not array and out.tolist() == [1.5, -2.0]
    tensor = nl.tensor([1.0, 2.0], dtype=nl.float32)
    out = dist.all_reduce(tensor)
    assert isinstance(out, nl.Tensor) and out.dtype == np.float32 and out.tolist() == [1, 2]
    assert out.numpy() is not tensor.numpy()
    assert dist.all_reduce(3) == 3 and isinstance(dist.all_reduce(3), int)
    assert dist.all_reduce(3, "mean") == 3.0 and isinstance(dist.all_reduce(3, "mean"), float)
    assert dist.all_reduce(np.array([1, 2]), "mean").dtype == np.float64


@pytest.mark.parametrize("value, op, error, message", [
    (1.0, "avg", ValueError, "op must be one of 'sum', 'mean', 'max', 'min', got 'avg'"),
    ("1", "sum", TypeError, "value must be a NumPy array, a Tensor or a real number, got str"),
    (True, "sum", TypeError, "got bool"),
    (np.array(["a"]), "sum", TypeError, "value must hold numbers, got dtype <U1"),
])
def test_all_reduce_refuses(value: object, op: str, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        dist.all_reduce(value, op)


def test_broadcast_alone() -> None:
    value = {"a": [1, 2]}
    assert dist.broadcast(value) is value
    with pytest.raises(ValueError, match=r"root must be a rank in \[0, 0\], got 1"):
        dist.broadcast(value, root=1)
    model = nl.nn.Linear(2, 3)
    before = model.weight.detach().numpy().copy()
    dist.broadcast_parameters(model)  # nothing to copy from
    assert np.array_equal(model.weight.detach().numpy(), before)
    with pytest.raises(TypeError, match="model must be a neuralab Module, got list"):
        dist.broadcast_parameters([model.weight])


def _problem(seed: int = 0) -> tuple[nl.nn.Module, nl.Tensor, nl.Tensor]:
    nl.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = nl.nn.Sequential(nl.nn.Linear(4, 8), nl.nn.Tanh(), nl.nn.Linear(8, 2)).double()
    return model, nl.tensor(rng.standard_normal((16, 4))), nl.tensor(rng.integers(0, 2, 16))


def test_optimizer_alone_steps_as_the_wrapped_one() -> None:
    results = []
    for wrap in (False, True):
        model, x, y = _problem()
        opt = nl.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        if wrap:
            opt = dist.DistributedOptimizer(opt, model=model)
        for _ in range(5):
            opt.zero_grad()
            nl.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        results.append(_worker_train.flat(model))
        if wrap:
            assert opt.synchronize_calls == 0  # nothing to average alone
            assert opt.state_dict()["state"][0]["momentum_buffer"].shape == (8, 4)
    assert np.array_equal(results[0], results[1])


def test_optimizer_passes_groups_state_and_schedulers_through() -> None:
    model, _, _ = _problem()
    inner = nl.optim.Adam(model.parameters(), lr=0.1)
    opt = dist.DistributedOptimizer(inner)
    assert opt.param_groups is inner.param_groups and opt.defaults is inner.defaults
    scheduler = nl.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    opt.step()
    scheduler.step()
    assert inner.param_groups[0]["lr"] == 0.05
    saved = opt.state_dict()
    fresh = nl.optim.Adam(model.parameters(), lr=1.0)
    dist.DistributedOptimizer(fresh).load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == 0.05
    assert "DistributedOptimizer(Adam (" in repr(opt)


def _closure(opt: nl.optim.Optimizer, model: nl.nn.Module, x: nl.Tensor,
             y: nl.Tensor) -> Callable[[], nl.Tensor]:
    def closure() -> nl.Tensor:
        opt.zero_grad()
        loss = nl.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        return loss
    return closure


@pytest.mark.parametrize("make", [
    lambda params: nl.optim.LBFGS(params, lr=0.5, max_iter=5),  # its step takes the closure
    lambda params: nl.optim.SGD(params, lr=0.5),  # the closure runs first, then the step
])
def test_a_closure_gives_the_same_step(make: Callable) -> None:
    losses, params = [], []
    for wrap in (False, True):
        model, x, y = _problem(1)
        opt = make(model.parameters())
        if wrap:
            opt = dist.DistributedOptimizer(opt)
        if isinstance(opt, nl.optim.SGD):  # torch's Optimizer.step(closure), by hand
            loss = _closure(opt, model, x, y)()
            opt.step()
        else:
            loss = opt.step(_closure(opt, model, x, y))
        losses.append(float(loss))
        params.append(_worker_train.flat(model))
    assert losses[0] == losses[1] and np.array_equal(params[0], params[1])
    assert np.abs(params[1] - _worker_train.flat(_problem(1)[0])).max() > 1e-3


def test_buckets_follow_bucket_bytes_and_dtypes() -> None:
    a, b, c = (nl.tensor(np.zeros(n), requires_grad=True) for n in (100, 100, 300))
    d = nl.tensor(np.zeros(10, np.float32), requires_grad=True)
    frozen = nl.tensor(np.zeros(5), requires_grad=True)
    opt = dist.DistributedOptimizer(nl.optim.SGD([a, b, d, c, frozen], lr=0.1),
                                    bucket_bytes=1600)
    frozen.requires_grad_(False)
    # float64: a + b = 1600 bytes fill one bucket; c (2400 bytes) gets its own; d is float32
    assert [[t.numel() for t in bucket] for bucket in opt._buckets()] == [[100, 100], [300],
                                                                         [10]]


@pytest.mark.parametrize("kwargs, error, message", [
    ({"optimizer": "sgd"}, TypeError, "optimizer must be a neuralab Optimizer, got str"),
    ({"bucket_bytes": 0}, ValueError, "bucket_bytes must be a positive integer, got 0"),
])
def test_optimizer_refuses(kwargs: dict, error: type, message: str) -> None:
    model, _, _ = _problem()
    kwargs.setdefault("optimizer", nl.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(error, match=message):
        dist.DistributedOptimizer(**kwargs)


def test_wrapping_twice_is_refused() -> None:
    model, _, _ = _problem()
    once = dist.DistributedOptimizer(nl.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(ValueError, match="already a DistributedOptimizer"):
        dist.DistributedOptimizer(once)


def test_import_neuralab_does_not_import_mpi4py() -> None:
    code = ("import sys, neuralab, neuralab.distributed as d; d.init(); d.all_reduce(1.0); "
            "print('mpi4py' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env={k: v for k, v in os.environ.items()
                                           if not k.startswith(("OMPI_", "PMI_", "SLURM_"))})
    assert done.stdout.strip() == "False", done.stderr


# ---------------------------------------------------------------------------- 2 ranks
@mpi_installed
@pytest.mark.parametrize("optimizer, bucket_bytes, calls_per_step", [
    ("sgd", 25 << 20, 1),  # the whole model in one Allreduce
    ("adam", 4096, 4),  # 1,827 float64 parameters, 14.6 kB: four buckets
])
def test_two_ranks_follow_one_process_with_the_whole_batch(
        tmp_path: Path, optimizer: str, bucket_bytes: int, calls_per_step: int) -> None:
    """2 ranks × batch 64 from a DistributedSampler == 1 process × batch 128 over the same
    order (5 epochs of 10 steps). The two only differ in how each gradient's sum over 128
    examples is split (64 + 64, then halved), ~1e-16 relative per step; the tolerance 1e-10
    leaves room for 50 steps of that to grow."""
    steps = 50
    done, _ = mpirun("_worker_train.py", optimizer, str(steps), str(bucket_bytes),
                     str(tmp_path / "out.npz"))
    assert done.returncode == 0, done.stderr[-2000:]
    out = np.load(tmp_path / "out.npz")
    assert int(out["size"]) == 2
    assert float(out["spread"]) == 0.0  # every rank holds identical parameters after each step
    assert int(out["calls"]) == steps * calls_per_step
    single, spread, calls = _worker_train.train(optimizer, steps, batch=128)
    start, _, _ = _worker_train.train(optimizer, 0, batch=128)
    assert (spread, calls) == (0.0, 0)
    assert np.abs(single - start).max() > 0.05  # the weights did move
    assert np.abs(out["params"] - single).max() < 1e-10


@mpi_installed
def test_collectives_on_two_ranks(tmp_path: Path) -> None:
    done, _ = mpirun("_worker_collectives.py", str(tmp_path))
    assert done.returncode == 0, done.stderr[-2000:]
    seen = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    for r, s in enumerate(seen):
        assert (s["launched"], s["rank"], s["size"], s["main"]) == (True, r, 2, r == 0)
        assert s["array_sum"] == [3.0, -3.0, 10.0] and s["array_unchanged"]
        assert s["array_mean"] == [1.5, -1.5, 5.0]
        assert s["array_max"] == [2.0, -1.0, 10.0] and s["array_min"] == [1.0, -2.0, 0.0]
        assert (s["int_sum"], s["int_mean"], s["float_max"]) == (3, 1.5, 2.5)
        assert s["tensor"] == ["Tensor", "float32", [0.0, 3.0, 6.0, 9.0]]
        assert s["int_array"] == ["int64", [1, 14]]
        assert s["object"] == {"from": 1, "list": [1, "x"]}
        assert s["bcast_array"] == [[1.0] * 3] * 2 and s["bcast_tensor"] == ["Tensor", [0, 1]]
        # rank 0's parameters and buffers (float and integer) everywhere
        assert s["params_equal_root"] and s["running_mean"] == [0.25] * 4
        assert s["num_batches_tracked"] == 5
        # a missing gradient counts as zero; one missing on every rank stays None
        assert s["grads"] == [[1.5, 3.0, 4.5], [2.0, 3.0, 4.0], True, 1]
        assert s["after_step"] == [[-1.5, -3.0, -4.5], [-2.0, -3.0, -4.0], [0.0, 0.0, 0.0]]
    # different models: both ranks get a DistributedError, the one that differs says how
    assert "rank 1's model differs from rank 0's: ('1.weight', (5, 5), '<f4') here, " \
           "('1.weight', (4, 5), '<f4') there" in seen[1]["mismatch"]
    assert seen[0]["mismatch"] == "rank(s) 1 disagree with rank 0; see their message"
    assert "1.weight is ((5, 5), '<f4', True) on rank 1 but ((4, 5), '<f4', True) on rank 0" \
        in seen[1]["opt_mismatch"]
    assert seen[0]["opt_mismatch"] == "rank(s) 1 disagree with rank 0; see their message"


@mpi_installed
@pytest.mark.parametrize("mode, status, message", [
    ("raise", 1, "neuralab: rank 1 failed: ValueError: bad batch at step 3\n"),
    ("exit", 3, "neuralab: rank 1 failed: exit status 3\n"),
    ("kill", 137, "mpirun noticed that process rank 1"),  # Open MPI's own report
])
def test_a_failing_rank_ends_the_job(mode: str, status: int, message: str) -> None:
    """Rank 0 waits in an Allreduce that rank 1 never joins: without the fault policy (or
    mpirun's handling of a killed rank) the job would hang until the timeout."""
    done, seconds = mpirun("_worker_fault.py", mode)
    assert done.returncode == status, done.stderr[-2000:]
    assert message in done.stdout + done.stderr
    assert "finished all steps" not in done.stdout
    assert seconds < 20
    if mode == "kill":
        assert "signal 9 (Killed)" in done.stdout + done.stderr
