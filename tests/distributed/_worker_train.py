"""Data-parallel training of a small float64 MLP: run under ``mpirun -n 2`` by the tests, or
called in-process as the single-process reference (``train(..., batch=128)``).

``python _worker_train.py OPTIMIZER STEPS BUCKET_BYTES OUT.npz``: every rank trains with
batch 64 from its DistributedSampler shard; after each step the ranks compare their parameters
(max over ranks − min over ranks, element-wise), and rank 0 saves the final parameters, that
spread and the number of Allreduce calls made by DistributedOptimizer.
"""

from __future__ import annotations

import sys

import numpy as np

import neuralab as nl
from neuralab import distributed as dist
from neuralab.data import DataLoader, TensorDataset
from neuralab.models import mlp

N_EXAMPLES, FEATURES, CLASSES = 1280, 20, 3  # 10 global batches of 128 an epoch


def data() -> TensorDataset:
    rng = np.random.default_rng(7)
    x = rng.standard_normal((N_EXAMPLES, FEATURES))
    y = (x[:, :CLASSES] @ rng.standard_normal((CLASSES, CLASSES))).argmax(axis=1)
    return TensorDataset(nl.tensor(x), nl.tensor(y))


def flat(model: nl.nn.Module) -> np.ndarray:
    return np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])


def train(optimizer: str, steps: int, batch: int,
          bucket_bytes: int = 25 << 20) -> tuple[np.ndarray, float, int]:
    """(final parameters, largest spread between the ranks' parameters after any step,
    Allreduce calls made)."""
    nl.manual_seed(100 + dist.rank())  # different on each rank: broadcast_parameters must fix it
    model = mlp((FEATURES,), (32, 32), CLASSES).double()
    dist.broadcast_parameters(model)
    if optimizer == "sgd":
        inner = nl.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    else:
        inner = nl.optim.Adam(model.parameters(), lr=0.01)
    opt = dist.DistributedOptimizer(inner, model=model, bucket_bytes=bucket_bytes)
    dataset = data()
    sampler = dist.DistributedSampler(dataset, seed=3)
    loader = DataLoader(dataset, batch_size=batch, sampler=sampler)
    loss_fn = nl.nn.CrossEntropyLoss()
    spread, step, epoch = 0.0, 0, 0
    while step < steps:
        sampler.set_epoch(epoch)
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
            params = flat(model)
            spread = max(spread, float(np.max(dist.all_reduce(params, "max")
                                              - dist.all_reduce(params, "min"))))
            step += 1
            if step == steps:
                break
        epoch += 1
    return flat(model), spread, opt.synchronize_calls


if __name__ == "__main__":
    name, steps, bucket, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    params, spread, calls = train(name, steps, 128 // dist.world_size(), bucket)
    if dist.is_main():
        np.savez(out, params=params, spread=spread, calls=calls, size=dist.world_size())
