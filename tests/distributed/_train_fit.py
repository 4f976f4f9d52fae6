"""``fit`` on small float64 problems whose last batch does not split evenly over the ranks.

Run as one process (``run_cases()`` imported by the test) or under ``mpirun -n N`` (this file as
a script: rank 0 writes every case's final weights and history to the .npz named by argv[1]).
The same calls, so the two runs can be compared weight by weight.
"""

from __future__ import annotations

import sys

import numpy as np

import neuralab as nl
from neuralab import nn, optim
from neuralab.data import DataLoader, TensorDataset
from neuralab.train import fit

# (examples, global batch, optimizer, clip_grad_norm): 67 = 8·8 + 3 leaves a last batch of 3
# (2 + 1 rows over 2 ranks); 65 = 8·8 + 1 leaves one row, so one rank has none that step.
CASES = {"uneven": (67, 8, "sgd", None), "one-row": (65, 8, "adam", 0.5)}
EPOCHS = 6  # 9 steps an epoch: 54 steps


def run_case(n: int, batch: int, kind: str, clip: float | None) -> dict[str, np.ndarray]:
    """Train a small tanh MLP on three Gaussian blobs; its weights and history after."""
    rng = np.random.default_rng(n)
    y = rng.integers(0, 3, n)
    x = np.array([[0, 2], [2, -1], [-2, -1]], dtype=np.float64)[y] + rng.standard_normal((n, 2))
    nl.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 3)).to(nl.float64)
    opt = (optim.SGD(model.parameters(), lr=0.1, momentum=0.9) if kind == "sgd"
           else optim.Adam(model.parameters(), lr=0.01))
    loader = DataLoader(TensorDataset(x, y.astype(np.int64)), batch_size=batch, shuffle=True,
                        seed=1)
    history = fit(model, nn.CrossEntropyLoss(), opt, loader, EPOCHS, clip_grad_norm=clip,
                  verbose=0)
    out = {f"w/{k}": v.numpy() for k, v in model.state_dict().items()}
    out["loss"] = np.array(history["loss"])
    out["accuracy"] = np.array(history["accuracy"])
    out["batch_losses"] = np.array(history.batch_losses)
    return out


def run_cases() -> dict[str, np.ndarray]:
    return {f"{name}:{key}": value for name, case in CASES.items()
            for key, value in run_case(*case).items()}


if __name__ == "__main__":
    results = run_cases()
    from neuralab import distributed

    if distributed.world_size() < 2:
        raise SystemExit("run me under mpirun -n 2 (or more)")
    if distributed.is_main():
        np.savez(sys.argv[1], **results)
