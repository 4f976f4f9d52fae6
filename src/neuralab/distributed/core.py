"""The process group: start-up, rank and size, collectives, and the fault policy.

Everything goes through ``MPI.COMM_WORLD`` of mpi4py, imported on the first call that needs it
and only in a launched job (``launched()``): a plain run never imports mpi4py and behaves as a
group of one (rank 0, size 1, every collective an identity that returns a copy).

Fault policy. MPI collectives have no timeout: if one rank dies while the others wait in an
Allreduce, they wait for ever unless the job is ended. So ``init()`` makes a failing rank end
the whole job: an uncaught exception prints the usual traceback and then one line
``neuralab: rank R failed: <Error>: <message>`` and calls ``MPI.COMM_WORLD.Abort(1)``, and
``sys.exit(n)`` with n ≠ 0 does the same with ``Abort(n)`` (a plain exit would wait in
MPI_Finalize for ranks that never come). A rank killed by a signal is caught by the launcher
(Open MPI's ``mpirun`` ends the job, exit status 128 + signal; ``srun`` likewise with
``--kill-on-bad-exit``, which is Slurm's default under MPI).
"""

from __future__ import annotations

import numbers
import sys
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor
from .launcher import launched, launcher_info

OPS = ("sum", "mean", "max", "min")
_lock = threading.Lock()
_comm: Any = None  # MPI.COMM_WORLD once init() ran in a launched job; None for a single process
_initialised = False


class DistributedError(RuntimeError):
    """A rank failed, the ranks disagree (model, sizes), or the job cannot start as launched."""


# ---------------------------------------------------------------------------- start-up
def init() -> None:
    """Join the job's process group (idempotent). Without a launcher: nothing to do, a group
    of one. In a launched job: import mpi4py, check that MPI sees the number of processes the
    launcher started, and install the fault policy (see the module's docstring)."""
    global _comm, _initialised
    with _lock:
        if _initialised:
            return
        if not launched():
            _initialised = True
            return
        size, _, who = launcher_info()  # type: ignore[misc]
        try:
            from mpi4py import MPI
        except ImportError as error:
            raise DistributedError(
                f"started by {who}, but mpi4py is not importable ({error}); install it with "
                f"pip install 'neuralab[dist]' (and an MPI library, e.g. Debian's "
                f"openmpi-bin libopenmpi-dev)") from None
        comm = MPI.COMM_WORLD
        if comm.Get_size() != size:
            raise DistributedError(
                f"started by {who}, but MPI sees {comm.Get_size()} process(es): the MPI "
                f"library mpi4py loaded ({MPI.Get_library_version().split(',')[0].strip()}) "
                f"is not the launcher's; start with that library's mpirun, or srun --mpi=pmix")
        _comm = comm
        _install_fault_policy(comm)
        _initialised = True


def _install_fault_policy(comm: Any) -> None:
    """Make an uncaught exception, or ``sys.exit(n != 0)``, in this rank end the whole job."""
    rank = comm.Get_rank()
    previous_hook: Callable[..., Any] = sys.excepthook
    previous_exit: Callable[..., Any] = sys.exit

    def abort(line: str, code: int) -> None:
        sys.stdout.flush()
        print(line, file=sys.stderr, flush=True)
        comm.Abort(code)

    def excepthook(kind: type[BaseException], error: BaseException, tb: Any) -> None:
        previous_hook(kind, error, tb)  # the traceback, as without MPI
        text = str(error).strip().splitlines()
        detail = f"{kind.__name__}: {text[0]}" if text else kind.__name__
        abort(f"neuralab: rank {rank} failed: {detail}", 1)

    def exit_(status: Any = None) -> None:
        # Python's exit status: None/0 success, an int that int, anything else 1.
        code = 0 if status is None else status if isinstance(status, int) else 1
        if code != 0:
            if not isinstance(status, int):
                print(status, file=sys.stderr)
            abort(f"neuralab: rank {rank} failed: exit status {code}", code & 0xFF or 1)
        previous_exit(status)

    sys.excepthook = excepthook
    sys.exit = exit_


def rank() -> int:
    """This process's rank, 0 … world_size() − 1 (0 without a launcher)."""
    init()
    return 0 if _comm is None else int(_comm.Get_rank())


def world_size() -> int:
    """How many processes train together (1 without a launcher)."""
    init()
    return 1 if _comm is None else int(_comm.Get_size())


def is_main() -> bool:
    """True on rank 0: the one that prints, shows progress and writes files."""
    return rank() == 0


def barrier() -> None:
    """Wait until every rank has called ``barrier()``."""
    init()
    if _comm is not None:
        _comm.Barrier()


def communicator() -> Any:
    """mpi4py's ``MPI.COMM_WORLD`` in a launched job, None for a single process."""
    init()
    return _comm


# ---------------------------------------------------------------------------- collectives
def _mpi_op(op: str) -> Any:
    from mpi4py import MPI

    return {"sum": MPI.SUM, "mean": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN}[op]


def reduce_array(array: np.ndarray, op: str = "sum") -> np.ndarray:
    """Element-wise reduction of an array over the ranks, in place when it is contiguous and
    writable (a new array otherwise); every rank must give the same shape and dtype. "mean"
    divides the sum by world_size() (floating arrays only)."""
    if _comm is not None:
        if not (array.flags.c_contiguous and array.flags.writeable):
            array = np.ascontiguousarray(array).copy()
        from mpi4py import MPI

        _comm.Allreduce(MPI.IN_PLACE, array, op=_mpi_op(op))
        if op == "mean":
            array /= _comm.Get_size()
    return array


def all_reduce(value: Any, op: str = "sum") -> Any:
    """Σ (or the mean Σ/N, the max, the min) over the N ranks of ``value``: a NumPy array, a
    Tensor or a Python number, reduced element-wise; returns a new value of the same kind
    (the argument is not changed); a single process gets a copy. Every rank must call it with
    the same shape and dtype. "mean" of integers gives floats."""
    if op not in OPS:
        raise ValueError(f"all_reduce: op must be one of {', '.join(map(repr, OPS))}, "
                         f"got {op!r}")
    init()
    if isinstance(value, Tensor):
        array = value._data
    elif isinstance(value, np.ndarray):
        array = value
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        array = np.asarray(value)
    else:
        raise TypeError(f"all_reduce: value must be a NumPy array, a Tensor or a real number, "
                        f"got {type(value).__name__}")
    if array.dtype.kind not in "fiu":
        raise TypeError(f"all_reduce: value must hold numbers, got dtype {array.dtype}")
    if op == "mean" and array.dtype.kind != "f":
        array = array.astype(np.float64)
    result = reduce_array(np.array(array, order="C", copy=True), op)
    if isinstance(value, Tensor):
        return Tensor._from_op(result, False)
    if isinstance(value, np.ndarray):
        return result
    return result.item()


def broadcast(value: Any, root: int = 0) -> Any:
    """Rank ``root``'s ``value`` on every rank: an array or Tensor (sent as raw memory; what
    the other ranks pass is ignored) or any picklable object. The root, and a single
    process, get ``value`` itself back."""
    _check_root(root)
    if _comm is None:
        return value
    # The root decides the kind: one pickled header (the object itself, or an array's kind,
    # shape and dtype), then for an array one Bcast of its memory.
    is_root = _comm.Get_rank() == root
    header = None
    if is_root:
        if isinstance(value, (np.ndarray, Tensor)):
            array = value._data if isinstance(value, Tensor) else value
            header = ("array", type(value) is Tensor, array.shape, array.dtype.str)
        else:
            header = ("object", value)
    header = _comm.bcast(header, root=root)
    if header[0] == "object":
        return header[1]
    _, as_tensor, shape, dtype = header
    if is_root:
        out = np.ascontiguousarray(value._data if isinstance(value, Tensor) else value)
    else:
        out = np.empty(shape, np.dtype(dtype))
    _comm.Bcast(out, root=root)
    if is_root:
        return value
    return Tensor._from_op(out, False) if as_tensor else out


def _check_root(root: Any) -> None:
    size = world_size()
    if isinstance(root, bool) or not isinstance(root, (int, np.integer)) \
            or not 0 <= root < size:
        raise ValueError(f"root must be a rank in [0, {size - 1}], got {root!r}")


def agree(ok: bool, message: Callable[[], str]) -> None:
    """Raise DistributedError on every rank if ``ok`` is False on any rank (one Allreduce),
    so that no rank goes on to a collective that the others skip. ``message`` is called
    only on a rank where the check failed; the others name which ranks did."""
    if _comm is None:
        if not ok:
            raise DistributedError(message())
        return
    from mpi4py import MPI

    failed = _comm.allreduce(0 if ok else 1 << min(_comm.Get_rank(), 30), op=MPI.BOR)
    if failed:
        if not ok:
            raise DistributedError(message())
        ranks = [r for r in range(min(_comm.Get_size(), 31)) if failed >> r & 1]
        raise DistributedError(f"rank(s) {', '.join(map(str, ranks))} disagree with rank "
                               f"{_comm.Get_rank()}; see their message")


def _flat_state(model: Any) -> list[tuple[str, Tensor]]:
    """A model's parameters then buffers, by name, in a fixed order (identical on ranks that
    built the same model)."""
    if not (hasattr(model, "named_parameters") and hasattr(model, "named_buffers")):
        raise TypeError(f"broadcast_parameters: model must be a neuralab Module, got "
                        f"{type(model).__name__}")
    items = list(model.named_parameters()) + list(model.named_buffers())
    return [(name, t) for name, t in items if t is not None]


def broadcast_parameters(model: Any, root: int = 0) -> None:
    """Copy rank ``root``'s parameters and buffers into every rank's ``model``, in place
    (one Bcast per dtype). The ranks must hold the same architecture: names, shapes and
    dtypes are compared first, and a difference is a DistributedError on every rank."""
    items = _flat_state(model)
    _check_root(root)
    if _comm is None:
        return
    layout = [(name, t.shape, t.dtype.str) for name, t in items]
    theirs = _comm.bcast(layout if _comm.Get_rank() == root else None, root=root)

    def difference() -> str:
        if len(theirs) != len(layout):
            return (f"broadcast_parameters: rank {_comm.Get_rank()}'s model has "
                    f"{len(layout)} tensors, rank {root}'s {len(theirs)}")
        mine, root_one = next((a, b) for a, b in zip(layout, theirs) if a != b)
        return (f"broadcast_parameters: rank {_comm.Get_rank()}'s model differs from rank "
                f"{root}'s: {mine} here, {root_one} there (name, shape, dtype)")

    agree(layout == theirs, difference)
    by_dtype: dict[str, list[Tensor]] = {}
    for _, tensor in items:
        by_dtype.setdefault(tensor.dtype.str, []).append(tensor)
    for dtype, tensors in by_dtype.items():
        flat = np.concatenate([t._data.ravel() for t in tensors]) if tensors else \
            np.empty(0, dtype)
        _comm.Bcast(flat, root=root)
        offset = 0
        for tensor in tensors:
            n = tensor._data.size
            tensor._data[...] = flat[offset:offset + n].reshape(tensor.shape)
            tensor._bump_version()  # changed in place: a saved copy of it is stale
            offset += n
