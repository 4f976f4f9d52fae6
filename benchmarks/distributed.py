"""Data-parallel training over MPI: Allreduce cost, one CNN step split into compute and
communication, and a cost model that predicts the scaling to 8, 64 and 512 ranks.

Run: ``python benchmarks/distributed.py [--ranks 2] [--json out.json]`` starts itself under
``mpirun -n 2`` (``--allow-run-as-root --oversubscribe`` where needed), each rank on one thread
(``NEURALAB_NUM_THREADS=1``); or launch it yourself: ``mpirun -n N python
benchmarks/distributed.py`` (``srun -n N ...`` under Slurm).

Measured here (every rank takes part; each figure is the slowest rank's, median of repeats):

1. ``Allreduce`` (sum, in place) of float32 buffers from 1 kB to 64 MB; from it the latency α
   (time of the smallest message) and the bandwidth B (least-squares slope over messages of
   64 kB to 4 MB, the sizes of a model's gradients).
2. One training step of ``neuralab.models.cnn((1, 28, 28), 10)`` (225,034 float32 parameters,
   0.9 MB of gradients) with ``DistributedOptimizer`` over SGD (momentum 0.9): compute =
   forward + backward + the update, communication = ``synchronize()`` (one Allreduce of the
   gradients, including any wait for a slower rank), median of 20 steps.
3. The compute of one step (forward, backward, SGD update) in one process on one thread, rank
   0 alone while the others wait, at every batch 1, 2, 4, … 1,024: batch 1,024 is the strong
   scaling's one-process step, measured, not extrapolated. Median of 15 steps (7 from batch
   256 up), with the spread (min–max) printed.

Cost model (ring allreduce, as in Horovod and NCCL: a reduce-scatter and an all-gather, each
N − 1 steps in which every rank sends and receives 1/N of the buffer):

    t_allreduce(N, S) = 2(N − 1)/N · S / B + 2(N − 1) · α

S the gradient bytes, B the link bandwidth, α one step's latency. The bandwidth term tends to
2S/B — the same at 8 or 512 ranks — while the latency term grows with N. Large MPI libraries
switch to recursive halving/doubling (latency 2·log2(N)·α) for small messages; the ring is the
pessimistic, easy-to-check case. A step is t(N) = t_compute(b) + t_allreduce(N, S), with no
overlap of the two (neuralab does not start reducing before the backward pass ends). Assumed
network figures (not measurable on one machine): 10 Gbit/s Ethernet with α = 25 µs (TCP),
100 Gbit/s InfiniBand/RoCE with α = 2 µs; each rank computes as fast as one rank here.
Weak scaling keeps the per-rank batch (64); strong scaling splits a global batch of 1,024. The
tables' compute columns are measured (3.); their allreduce, step, efficiency and speed-up
columns are estimates from the cost model and the assumed links, and are labelled so.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np

SIZES = [1 << k for k in range(10, 27, 2)]  # 1 kB … 64 MB
LINKS = {"10 Gbit/s": (10e9 / 8, 25e-6), "100 Gbit/s": (100e9 / 8, 2e-6)}  # (B/s, α)
RANKS = (8, 64, 512)
PER_RANK_BATCH = 64
GLOBAL_BATCH = 1024
COMPUTE_BATCHES = tuple(1 << k for k in range(GLOBAL_BATCH.bit_length()))  # 1 … 1,024
CNN_STEPS = 20


def relaunch(ranks: int) -> int:
    """Start this script again under mpirun with ``ranks`` processes; its exit status."""
    mpirun = shutil.which("mpirun")
    if mpirun is None:
        sys.exit("distributed.py: mpirun not found (install Debian's openmpi-bin, or run "
                 "under your cluster's launcher: mpirun -n N python benchmarks/distributed.py)")
    command = [mpirun, "--oversubscribe", "-n", str(ranks)]
    if os.geteuid() == 0:
        command.insert(1, "--allow-run-as-root")
    env = {**os.environ, "NEURALAB_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run([*command, sys.executable, *sys.argv], env=env).returncode


def slowest(comm: Any, seconds: float) -> float:
    """The largest of the ranks' times: a collective step ends when the last rank is done."""
    from mpi4py import MPI

    return float(comm.allreduce(seconds, op=MPI.MAX))


def time_allreduce(comm: Any) -> list[tuple[int, float]]:
    """(bytes, median seconds) of an in-place float32 Allreduce per message size."""
    from mpi4py import MPI

    results = []
    for size in SIZES:
        buffer = np.ones(size // 4, np.float32)
        repeats = 30 if size <= 1 << 20 else 5
        times = []
        for i in range(repeats + 2):
            comm.Barrier()
            start = time.perf_counter()
            comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
            if i >= 2:  # two warm-up calls
                times.append(slowest(comm, time.perf_counter() - start))
        results.append((size, statistics.median(times)))
    return results


def fit_link(results: list[tuple[int, float]], n: int) -> tuple[float, float]:
    """(α, B): α the time of the smallest message, B from the least-squares slope of
    t = a + 2(N − 1)/N · S / B over messages of 64 kB to 4 MB — the sizes of a model's
    gradients; larger messages here spill out of the caches and run at memory speed."""
    big = [(s, t) for s, t in results if 1 << 16 <= s <= 1 << 22]
    x = np.array([2 * (n - 1) / n * s for s, _ in big])
    t = np.array([t for _, t in big])
    slope = np.polyfit(x, t, 1)[0]
    return results[0][1], 1.0 / slope


def time_cnn(comm: Any, batch: int, steps: int = CNN_STEPS) -> tuple[float, float, float, int]:
    """Medians over ``steps`` of one CNN training step with ``batch`` examples on each rank:
    (compute seconds, seconds waiting for the slowest rank, Allreduce seconds, gradient
    bytes). The wait is a Barrier before the reduction: it separates load imbalance from the
    transfer itself."""
    import neuralab as nl
    from neuralab import distributed as dist
    from neuralab.models import cnn

    nl.manual_seed(0)
    model = cnn((1, 28, 28), 10)
    dist.broadcast_parameters(model)
    opt = dist.DistributedOptimizer(nl.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    rng = np.random.default_rng(comm.Get_rank())
    x = nl.tensor(rng.random((batch, 1, 28, 28), dtype=np.float32))
    y = nl.tensor(rng.integers(0, 10, batch))
    compute, wait, communicate = [], [], []
    for i in range(steps + 2):
        comm.Barrier()
        t0 = time.perf_counter()
        opt.zero_grad()
        nl.nn.functional.cross_entropy(model(x), y).backward()
        t1 = time.perf_counter()
        comm.Barrier()
        t1b = time.perf_counter()
        opt.synchronize()
        t2 = time.perf_counter()
        opt.optimizer.step()
        t3 = time.perf_counter()
        if i >= 2:
            compute.append(slowest(comm, (t1 - t0) + (t3 - t2)))
            wait.append(slowest(comm, t1b - t1))
            communicate.append(slowest(comm, t2 - t1b))
    grad_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    return (statistics.median(compute), statistics.median(wait),
            statistics.median(communicate), grad_bytes)


def time_compute(comm: Any, batches: tuple[int, ...]) -> dict[int, list[float]]:
    """Seconds of one CNN training step (forward, backward, SGD update; no communication) in
    one process on one thread — rank 0 alone, the other ranks waiting in a Barrier — at each
    batch: every repeat after one warm-up step."""
    import neuralab as nl
    from neuralab.models import cnn

    times: dict[int, list[float]] = {}
    if comm.Get_rank() == 0:
        nl.manual_seed(0)
        model = cnn((1, 28, 28), 10)
        opt = nl.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        rng = np.random.default_rng(0)
        for batch in batches:
            x = nl.tensor(rng.random((batch, 1, 28, 28), dtype=np.float32))
            y = nl.tensor(rng.integers(0, 10, batch))
            repeats = 15 if batch < 256 else 7
            runs = []
            for i in range(repeats + 1):
                start = time.perf_counter()
                opt.zero_grad()
                nl.nn.functional.cross_entropy(model(x), y).backward()
                opt.step()
                if i:  # one warm-up step
                    runs.append(time.perf_counter() - start)
            times[batch] = runs
    comm.Barrier()
    return comm.bcast(times, root=0)


def ring(n: int, nbytes: float, bandwidth: float, latency: float) -> float:
    """Ring allreduce time: 2(N − 1)/N · S / B + 2(N − 1) · α."""
    return 2 * (n - 1) / n * nbytes / bandwidth + 2 * (n - 1) * latency


def best_ranks(nbytes: float, bandwidth: float, latency: float,
               measured: dict[int, float]) -> tuple[int, float]:
    """(N, estimated step seconds) of the fastest strong-scaling step over N = 1, 2, 4, … ≤
    the global batch (compute measured at each per-rank batch, allreduce modelled): past that
    N, more ranks make each step slower."""
    steps = {n: measured[GLOBAL_BATCH // n] + (ring(n, nbytes, bandwidth, latency)
                                               if n > 1 else 0.0)
             for n in (1 << k for k in range(GLOBAL_BATCH.bit_length()))}
    n = min(steps, key=steps.__getitem__)
    return n, steps[n]


def report(results: dict[str, Any]) -> None:
    """Print the measurements and the cost-model tables."""
    n = results["ranks"]
    print(f"Allreduce (float32, in place), {n} ranks on this machine:")
    print(f"  {'bytes':>10} {'ms':>9} {'GB/s (S/t)':>11}")
    for size, seconds in results["allreduce"]:
        print(f"  {size:>10,} {seconds * 1e3:>9.3f} {size / seconds / 1e9:>11.2f}")
    alpha, bandwidth = results["alpha"], results["bandwidth"]
    print(f"  fit: latency α = {alpha * 1e6:.1f} µs, bandwidth B = {bandwidth / 1e9:.2f} GB/s")
    compute, wait, comm, nbytes = results["cnn"]
    model = ring(n, nbytes, bandwidth, alpha / max(1, 2 * (n - 1)))
    print(f"\nCNN step, batch {PER_RANK_BATCH} per rank ({nbytes:,} gradient bytes): "
          f"compute {compute * 1e3:.1f} ms, waiting for the slower rank {wait * 1e3:.2f} ms, "
          f"averaging the gradients {comm * 1e3:.2f} ms ({comm / (compute + wait + comm):.0%} "
          f"of the step; packing into a bucket, Allreduce, unpacking); the fitted α and B "
          f"predict {model * 1e3:.2f} ms for the Allreduce alone")
    runs = {int(b): t for b, t in results["compute"].items()}
    measured = {b: statistics.median(t) for b, t in runs.items()}
    print("\nCompute of one step, one process on one thread (measured; median of the repeats, "
          "min–max):")
    print(f"  {'batch':>6} {'repeats':>8} {'median ms':>10} {'min–max ms':>16} {'ms/example':>11}")
    for b in sorted(runs):
        print(f"  {b:>6} {len(runs[b]):>8} {measured[b] * 1e3:>10.2f} "
              f"{min(runs[b]) * 1e3:>7.2f}–{max(runs[b]) * 1e3:<8.2f} "
              f"{measured[b] * 1e3 / b:>11.3f}")
    base = measured[PER_RANK_BATCH]
    print(f"\nWeak scaling, estimated ({PER_RANK_BATCH} examples per rank; compute "
          f"{base * 1e3:.1f} ms per step, measured; ring allreduce of {nbytes / 1e6:.2f} MB "
          f"modelled on the assumed links):")
    print(f"  {'link':>10} {'ranks':>6} {'allreduce ms*':>13} {'step ms*':>8} "
          f"{'efficiency*':>11} {'examples/s*':>11}")
    for link, (bw, lat) in LINKS.items():
        for ranks in RANKS:
            t_comm = ring(ranks, nbytes, bw, lat)
            step = base + t_comm
            print(f"  {link:>10} {ranks:>6} {t_comm * 1e3:>13.2f} {step * 1e3:>8.1f} "
                  f"{base / step:>11.0%} {ranks * PER_RANK_BATCH / step:>11,.0f}")
    one = measured[GLOBAL_BATCH]
    print(f"\nStrong scaling, estimated (global batch {GLOBAL_BATCH} split over the ranks; "
          f"one process {one * 1e3:.0f} ms per step, measured at batch {GLOBAL_BATCH}; "
          f"compute measured at each batch/rank, allreduce modelled):")
    print(f"  {'link':>10} {'ranks':>6} {'batch/rank':>11} {'compute ms':>11} "
          f"{'allreduce ms*':>13} {'step ms*':>8} {'speed-up*':>9}")
    for link, (bw, lat) in LINKS.items():
        for ranks in RANKS:
            t_compute = measured[GLOBAL_BATCH // ranks]
            t_comm = ring(ranks, nbytes, bw, lat)
            print(f"  {link:>10} {ranks:>6} {GLOBAL_BATCH / ranks:>11g} "
                  f"{t_compute * 1e3:>11.2f} {t_comm * 1e3:>13.2f} "
                  f"{(t_compute + t_comm) * 1e3:>8.2f} {one / (t_compute + t_comm):>9.1f}")
    for link, (bw, lat) in LINKS.items():
        n_best, step = best_ranks(nbytes, bw, lat, measured)
        print(f"  {link}: the fastest step is estimated at {n_best} ranks ({step * 1e3:.2f} "
              f"ms, speed-up {one / step:.0f}); more ranks make each step slower")
    print("  * estimates: measured compute + the ring model on the assumed links (not measured "
          "on such a network)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", type=int, default=2, help="processes when self-launched")
    parser.add_argument("--json", help="also write the measurements to this file")
    args = parser.parse_args()
    from neuralab import distributed as dist

    if not dist.launched():
        return relaunch(args.ranks)
    dist.init()
    comm = dist.communicator()
    allreduce = time_allreduce(comm)
    alpha, bandwidth = fit_link(allreduce, comm.Get_size())
    cnn_step = time_cnn(comm, PER_RANK_BATCH)
    compute = time_compute(comm, COMPUTE_BATCHES)
    results = {"ranks": comm.Get_size(), "allreduce": allreduce, "alpha": alpha,
               "bandwidth": bandwidth, "cnn": cnn_step, "compute": compute}
    if dist.is_main():
        report(results)
        if args.json:
            with open(args.json, "w") as file:
                json.dump(results, file, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
