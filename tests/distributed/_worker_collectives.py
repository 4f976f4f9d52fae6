"""The collectives on 2 ranks: each rank writes what it saw to OUT_DIR/rank<R>.json.

``python _worker_collectives.py OUT_DIR`` under ``mpirun -n 2``."""

from __future__ import annotations

import json
import sys

import numpy as np

import neuralab as nl
from neuralab import distributed as dist
from neuralab.models import mlp

dist.init()
r = dist.rank()
seen: dict = {"launched": dist.launched(), "rank": r, "size": dist.world_size(),
              "main": dist.is_main()}
# sums and extremes of rank-dependent values: rank r gives r + 1 (and r + 1.5)
array = np.array([r + 1.0, -(r + 1.0), 10.0 * r])
reduced = dist.all_reduce(array, "sum")
seen["array_sum"] = reduced.tolist()
seen["array_unchanged"] = array.tolist() == [r + 1.0, -(r + 1.0), 10.0 * r]
seen["array_mean"] = dist.all_reduce(array, "mean").tolist()
seen["array_max"] = dist.all_reduce(array, "max").tolist()
seen["array_min"] = dist.all_reduce(array, "min").tolist()
seen["int_sum"] = dist.all_reduce(r + 1)
seen["int_mean"] = dist.all_reduce(r + 1, "mean")
seen["float_max"] = dist.all_reduce(r + 1.5, "max")
tensor = dist.all_reduce(nl.tensor(np.arange(4, dtype=np.float32) * (r + 1)), "sum")
seen["tensor"] = [type(tensor).__name__, str(tensor.dtype), tensor.tolist()]
seen["int_array"] = [str(dist.all_reduce(np.array([r, 7]), "sum").dtype),
                     dist.all_reduce(np.array([r, 7]), "sum").tolist()]
# broadcast: rank 1's value everywhere
seen["object"] = dist.broadcast({"from": r, "list": [r, "x"]}, root=1)
seen["bcast_array"] = dist.broadcast(np.full((2, 3), float(r)) if r == 1 else None,
                                     root=1).tolist()
bt = dist.broadcast(nl.tensor([r, r + 1]), root=0)
seen["bcast_tensor"] = [type(bt).__name__, bt.tolist()]
dist.barrier()
# broadcast_parameters: different weights and BatchNorm buffers become rank 0's
nl.manual_seed(r)
model = nl.nn.Sequential(nl.nn.Linear(3, 4), nl.nn.BatchNorm1d(4))
model[1].running_mean._data[...] = r + 0.25
model[1].num_batches_tracked._data[...] = 5 + r
dist.broadcast_parameters(model)
state = {k: v.tolist() for k, v in model.state_dict().items()}
everyone = dist.broadcast(state, root=0)
seen["params_equal_root"] = state == everyone
seen["running_mean"] = model[1].running_mean.tolist()
seen["num_batches_tracked"] = int(model[1].num_batches_tracked.item())
# a rank with another architecture: a DistributedError on both ranks, no hang
other = mlp((5,), (4 + r,), 2)
try:
    dist.broadcast_parameters(other)
    seen["mismatch"] = None
except dist.DistributedError as error:
    seen["mismatch"] = str(error)
try:
    dist.DistributedOptimizer(nl.optim.SGD(other.parameters(), lr=0.1), model=other)
    seen["opt_mismatch"] = None
except dist.DistributedError as error:
    seen["opt_mismatch"] = str(error)
# gradients: a missing one counts as zero in the mean; one missing everywhere stays None
a, b, c = (nl.tensor(np.zeros(3), requires_grad=True) for _ in range(3))
opt = dist.DistributedOptimizer(nl.optim.SGD([a, b, c], lr=1.0))
a.grad = nl.tensor(np.array([1.0, 2.0, 3.0]) * (r + 1))
b.grad = nl.tensor(np.array([4.0, 6.0, 8.0])) if r == 0 else None
opt.step()
seen["grads"] = [a.grad.tolist(), b.grad.tolist(), c.grad is None, opt.synchronize_calls]
seen["after_step"] = [a.tolist(), b.tolist(), c.tolist()]
with open(f"{sys.argv[1]}/rank{r}.json", "w") as file:
    json.dump(seen, file)
