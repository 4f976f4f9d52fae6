"""Which launcher started this process, read from the environment alone (no MPI import).

``mpirun``/``mpiexec`` (Open MPI sets ``OMPI_COMM_WORLD_SIZE``/``_RANK``; MPICH's and Intel
MPI's Hydra set ``PMI_SIZE``/``PMI_RANK``) and Slurm's ``srun`` (``SLURM_STEP_NUM_TASKS`` with
``SLURM_PROCID``) each tell every process how many were started. Only a count above one means a
distributed job: ``mpirun -n 1`` is an ordinary single process.

Slurm is trusted only through ``SLURM_STEP_NUM_TASKS``, which ``srun`` sets for the tasks of
the step it starts: ``SLURM_NTASKS`` and ``SLURM_PROCID`` are set in an ``sbatch --ntasks=4``
batch script too, where a plain ``python train.py`` is one process, not 4. The batch step
itself (``SLURM_STEP_ID`` "batch", or its number 4294967294) and the extern step
(4294967295) never count as launched.
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
)
# Slurm's step ids of a job's batch script and of its extern step: not started by srun.
_NOT_SRUN_STEPS = {"batch", "extern", "4294967294", "4294967295"}


def _count(environ: Mapping[str, str], name: str) -> int | None:
    """A launcher variable as a non-negative int, or None when absent or not a number."""
    text = environ.get(name, "").strip()
    return int(text) if text.isdigit() else None


def launcher_info(environ: Mapping[str, str] | None = None) -> tuple[int, int, str] | None:
    """(world size, rank, launcher name) that the environment announces, or None when no
    launcher variables are set (a plain ``python`` run)."""
    environ = os.environ if environ is None else environ
    for size_name, rank_name, who in _LAUNCHERS:
        if size_name.startswith("SLURM_") and any(
                environ.get(name, "").strip() in _NOT_SRUN_STEPS
                for name in ("SLURM_STEP_ID", "SLURM_STEPID")):
            continue
        size, rank = _count(environ, size_name), _count(environ, rank_name)
        if size is not None and rank is not None:
            return size, rank, f"{who} ({size_name}={size})"
    return None


def launched(environ: Mapping[str, str] | None = None) -> bool:
    """True when a launcher started this process as one of more than one (mpirun -n N > 1,
    mpiexec, srun with several tasks); False for a plain run or a job of one process."""
    info = launcher_info(environ)
    return info is not None and info[0] > 1
