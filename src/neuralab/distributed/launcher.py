"""Which launcher started this process, read from the environment alone (no MPI import).

``mpirun``/``mpiexec`` (Open MPI sets ``OMPI_COMM_WORLD_SIZE``/``_RANK``; MPICH's and Intel
MPI's Hydra set ``PMI_SIZE``/``PMI_RANK``) and Slurm's ``srun`` (``SLURM_STEP_NUM_TASKS`` or
``SLURM_NTASKS`` with ``SLURM_PROCID``) each tell every process how many were started. Only a
count above one means a distributed job: ``mpirun -n 1`` is an ordinary single process.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

# (size variable, rank variable, launcher's name), in the order they are trusted: an MPI
# launcher's own variables first; Slurm's last, because ``srun ... mpirun`` nests them.
_LAUNCHERS = (
    ("OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "Open MPI's mpirun"),
    ("PMI_SIZE", "PMI_RANK", "a PMI launcher (MPICH/Intel MPI mpiexec)"),
    ("SLURM_STEP_NUM_TASKS", "SLURM_PROCID", "Slurm's srun"),
    ("SLURM_NTASKS", "SLURM_PROCID", "Slurm's srun"),
)


def _count(environ: Mapping[str, str], name: str) -> int | None:
    """A launcher variable as a non-negative int, or None when absent or not a number."""
    text = environ.get(name, "").strip()
    return int(text) if text.isdigit() else None


def launcher_info(environ: Mapping[str, str] | None = None) -> tuple[int, int, str] | None:
    """(world size, rank, launcher name) that the environment announces, or None when no
    launcher variables are set (a plain ``python`` run)."""
    environ = os.environ if environ is None else environ
    for size_name, rank_name, who in _LAUNCHERS:
        size, rank = _count(environ, size_name), _count(environ, rank_name)
        if size is not None and rank is not None:
            return size, rank, f"{who} ({size_name}={size})"
    return None


def launched(environ: Mapping[str, str] | None = None) -> bool:
    """True when a launcher started this process as one of more than one (mpirun -n N > 1,
    mpiexec, srun with several tasks); False for a plain run or a job of one process."""
    info = launcher_info(environ)
    return info is not None and info[0] > 1
