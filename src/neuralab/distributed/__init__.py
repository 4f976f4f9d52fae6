"""Data-parallel training over MPI (Horovod's model), on mpi4py: ``pip install 'neuralab[dist]'``.

Every rank holds the whole model; each computes gradients on its own shard of the global batch
(``DistributedSampler``), and ``DistributedOptimizer`` averages them with one Allreduce per
bucket before the update, so every rank applies the same step. Start under a launcher::

    mpirun -n 4 python train.py          # or: srun -n 4 python train.py

``launched()`` reads the launcher's environment; without one, everything works as a single
process (rank 0 of 1) and mpi4py is never imported. ``import neuralab`` does not import this
package.
"""

from .core import (
    DistributedError,
    all_reduce,
    barrier,
    broadcast,
    broadcast_parameters,
    communicator,
    init,
    is_main,
    rank,
    world_size,
)
from .launcher import launched, launcher_info
from .optimizer import DistributedOptimizer
from .sampler import DistributedSampler

__all__ = [
    "DistributedError", "DistributedOptimizer", "DistributedSampler", "all_reduce", "barrier",
    "broadcast", "broadcast_parameters", "communicator", "init", "is_main", "launched",
    "launcher_info", "rank", "world_size",
]
