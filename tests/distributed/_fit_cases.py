"""``fit`` under ``mpirun -n 2`` in the corners a review found: a user's sampler drawing from the
global generator, BatchNorm1d with an uneven last batch, Ctrl-C on one rank, a rank killed
mid-epoch, and ranks that do not see the same checkpoint.

``python _fit_cases.py MODE FOLDER``; the functions are also called in-process by the tests as
the single-process reference (the same calls, so the runs compare weight by weight).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import numpy as np

import neuralab as nl
from neuralab import nn, optim
from neuralab.data import DataLoader, Dataset, TensorDataset
from neuralab.data.loader import RandomSampler
from neuralab.train import fit
from neuralab.train.callbacks import Callback

RANK = int(os.environ.get("OMPI_COMM_WORLD_RANK", "0"))


def flat(model: nn.Module) -> np.ndarray:
    return np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])


class Recorded(Dataset):
    """32 float64 rows of two blobs; remembers every index fetched (this rank's)."""

    def __init__(self) -> None:
        rng = np.random.default_rng(0)
        self.y = rng.integers(0, 2, 32)
        self.x = np.array([[1.0, 1.0], [-1.0, -1.0]])[self.y] + rng.standard_normal((32, 2))
        self.seen: list[int] = []

    def __len__(self) -> int:
        return 32

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.int64]:
        self.seen.append(int(i))
        return self.x[i], np.int64(self.y[i])


def sampler_run(epochs: int = 2) -> tuple[np.ndarray, list[int], list[float]]:
    """A RandomSampler without generator= (it draws from neuralab's global generator each
    epoch): (final weights, indices fetched here, batch losses)."""
    nl.manual_seed(0)
    data = Recorded()
    model = nn.Linear(2, 2).to(nl.float64)
    loader = DataLoader(data, batch_size=8, sampler=RandomSampler(data))
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), loader,
                  epochs, verbose=0)
    return flat(model), data.seen, history.batch_losses


def blobs(n: int = 67) -> TensorDataset:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((n, 4))
    return TensorDataset(x, (x[:, 0] + x[:, 1] > 0).astype(np.int64))


class Signal(Callback):
    """Sends ``signum`` to this process at (epoch, batch) on rank ``rank``."""

    def __init__(self, rank: int, epoch: int, batch: int, signum: int) -> None:
        self.where, self.signum = (rank, epoch, batch), signum

    def on_batch_end(self, state: dict) -> None:
        if (RANK, state["epoch"], state["batch"]) == self.where:
            os.kill(os.getpid(), self.signum)


def interrupted_run(checkpoint: Path | None, epochs: int = 4, resume: bool = False,
                    stop_at: tuple[int, int, int] | None = None,
                    signum: int = signal.SIGINT) -> tuple[np.ndarray, object]:
    """A float64 tanh MLP, SGD with momentum and a StepLR, 67 rows in batches of 8 (9 an
    epoch, the last of 3); a ``signum`` at ``stop_at`` = (rank, epoch, batch)."""
    nl.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 2)).to(nl.float64)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    loader = DataLoader(blobs(), batch_size=8, shuffle=True, seed=5)
    callbacks = [] if stop_at is None else [Signal(*stop_at, signum)]
    history = fit(model, nn.CrossEntropyLoss(), opt, loader, epochs, scheduler=scheduler,
                  callbacks=callbacks, checkpoint=checkpoint, resume=resume, verbose=0)
    return flat(model), history


def batchnorm_run(drop_last: bool) -> list[float]:
    nl.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(),
                          nn.Linear(16, 2)).to(nl.float64)
    loader = DataLoader(blobs(), batch_size=8, shuffle=True, seed=1, drop_last=drop_last)
    return fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), loader, 2,
               verbose=0)["loss"]


if __name__ == "__main__":
    from neuralab import distributed as dist

    mode, folder = sys.argv[1], Path(sys.argv[2])
    if mode == "sampler":
        weights, seen, losses = sampler_run()
        everyone = dist.communicator().gather(seen, root=0)
        if dist.is_main():
            np.savez(folder / "sampler.npz", weights=weights, losses=losses,
                     rank0=everyone[0], rank1=everyone[1])
    elif mode == "batchnorm":
        print(f"rank {RANK} drop_last=True ok, {len(batchnorm_run(True))} epochs", flush=True)
        dist.barrier()
        batchnorm_run(False)  # the last batch of 3: a shard of 1 row
        print("not refused")
    elif mode == "interrupt":
        # Ctrl-C on rank 0 in the callbacks of epoch 2, batch 5 (after that step's
        # Allreduce): both ranks stop after batch 6. Then on rank 1 in the last batch of
        # epoch 1 (after the epoch's last step): both stop there, at the epoch's end.
        for name, stop_at in (("mid", (0, 2, 5)), ("last", (1, 1, 9))):
            _, history = interrupted_run(folder / f"{name}.ck", stop_at=stop_at)
            print(f"rank {RANK} {name}: interrupted {history.interrupted}, "
                  f"{len(history.batch_losses)} steps", flush=True)
    elif mode == "kill":
        interrupted_run(None, stop_at=(1, 1, 3), signum=signal.SIGKILL)
        print("rank", RANK, "finished")  # never: mpirun ends the job
    elif mode == "resume-local":
        # Each rank's own folder: as if the ranks had no shared file system.
        interrupted_run(folder / f"rank{RANK}" / "ck", resume=True)
        print("rank", RANK, "resumed")
    else:
        raise SystemExit(f"unknown mode {mode!r}")
