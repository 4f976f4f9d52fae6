"""A training-like loop of Allreduces in which rank 1 fails at step 3.

``python _worker_fault.py raise|exit|kill`` under ``mpirun -n 2``: rank 1 raises a
ValueError, calls sys.exit(3), or kills itself with SIGKILL; rank 0 would wait in the next
Allreduce for ever without the fault policy (and mpirun's handling of a killed rank)."""

from __future__ import annotations

import os
import signal
import sys

import numpy as np

from neuralab import distributed as dist

mode = sys.argv[1]
dist.init()
for step in range(1000):
    if dist.rank() == 1 and step == 3:
        if mode == "raise":
            raise ValueError(f"bad batch at step {step}")
        if mode == "exit":
            sys.exit(3)
        os.kill(os.getpid(), signal.SIGKILL)
    dist.all_reduce(np.ones(1000), "sum")
print("rank", dist.rank(), "finished all steps")  # never reached
