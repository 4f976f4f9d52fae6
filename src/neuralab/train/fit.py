"""``fit`` and ``evaluate``: the training loop with progress, metrics, checkpoints and resume."""

from __future__ import annotations

import functools
import math
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..autograd.grad_mode import no_grad
from ..nn.module import Module
from ..nn.utils import clip_grad_norm_
from ..ops.activation import softmax
from ..random import default_generator, get_rng_state
from ..tensor import Tensor, to_array
from .callbacks import Callback
from .checkpoint import load_checkpoint, save_checkpoint
from .history import History
from .metrics import confusion_matrix, per_class_accuracy


class NonFiniteLossError(FloatingPointError):
    """The loss became NaN or infinite; training stopped before the weights were touched."""


@dataclass
class Evaluation:
    """Loss and classification metrics of a model over a data set."""

    loss: float
    accuracy: float
    confusion: np.ndarray | None  # rows: true class, columns: predicted class
    per_class_accuracy: np.ndarray | None
    predictions: np.ndarray
    targets: np.ndarray
    probabilities: np.ndarray | None = None


def _is_classification(outputs: Any, targets: Any) -> bool:
    targets = to_array(targets)
    return outputs.ndim == 2 and targets.ndim == 1 and targets.dtype.kind in "iu"


def evaluate(model: Module, loader: Iterable, loss_fn: Callable | None = None,
             num_classes: int | None = None) -> Evaluation:
    """Run ``model`` (in eval mode, without a graph) over ``loader``; restore its mode after."""
    was_training = model.training
    model.eval()
    total_loss, count = 0.0, 0
    outputs, targets = [], []
    try:
        with no_grad():
            for x, y in loader:
                out = model(x)
                n = len(y)
                if loss_fn is not None:
                    total_loss += loss_fn(out, y).item() * n
                count += n
                outputs.append(out._data)
                targets.append(to_array(y))
    finally:
        model.train(was_training)
    if not outputs:
        raise ValueError("evaluate: the data loader yielded no batches")
    out_all, y_all = np.concatenate(outputs), np.concatenate(targets)
    loss = total_loss / count if loss_fn is not None else float("nan")
    if not _is_classification(out_all, y_all):
        return Evaluation(loss, float("nan"), None, None, out_all, y_all)
    predictions = out_all.argmax(axis=1)
    classes = num_classes or out_all.shape[1]
    matrix = confusion_matrix(predictions, y_all, classes)
    probabilities = softmax(Tensor(out_all), axis=1).numpy()
    return Evaluation(loss, float(np.mean(predictions == y_all)), matrix,
                      per_class_accuracy(matrix), predictions, y_all, probabilities)


@contextmanager
def _deferred_interrupt() -> Any:
    """Turn the first Ctrl-C into a flag checked between batches, so the weights are never left
    half-updated; a second Ctrl-C interrupts immediately."""
    flag = {"set": False}
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def handler(signum: int, frame: Any) -> None:
        if flag["set"]:
            raise KeyboardInterrupt
        flag["set"] = True

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def _progress(total: int, initial: int, desc: str, verbose: int) -> Any:
    quiet = verbose == 0 or not sys.stderr.isatty()
    if quiet:  # the plain bar, switched off: tqdm.auto in a notebook would want ipywidgets
        from tqdm import tqdm
    else:
        from tqdm.auto import tqdm
    return tqdm(total=total, initial=initial, desc=desc, disable=quiet, leave=False,
                dynamic_ncols=True, unit="batch")


# ------------------------------------------------------------------ data-parallel (MPI) runs
# Variables an MPI or Slurm launcher sets; read before importing neuralab.distributed, so that a
# plain run never imports it (nor mpi4py).
_LAUNCHER_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS")


def _launched_world() -> Any:
    """``neuralab.distributed``, initialised, when a launcher (``mpirun -n N``, ``srun``)
    started this process as one of N > 1 ranks; None for a plain single-process run."""
    if not any(name in os.environ for name in _LAUNCHER_VARIABLES):
        return None
    from .. import distributed

    if not distributed.launched():
        return None
    distributed.init()
    return distributed


def _portable(error: BaseException) -> BaseException:
    """``error`` if it survives pickling (to be raised on every rank), else a RuntimeError
    carrying its message."""
    try:
        return pickle.loads(pickle.dumps(error))
    except Exception:  # an exception type that cannot be pickled: keep its words
        return RuntimeError(f"{type(error).__name__}: {error}")


def on_main(world: Any, work: Callable[[], Any]) -> Any:
    """``work()`` run on rank 0 only, its result given to every rank (``world``: the launched
    ``neuralab.distributed``, or None to just call ``work()``). An exception on rank 0 is raised
    on every rank, so that the ranks stop together instead of the others waiting forever."""
    if world is None:
        return work()
    result, error = None, None
    if world.is_main():
        try:
            result = work()
        except Exception as caught:
            error = caught
    shared = world.broadcast((result, None if error is None else _portable(error)), root=0)
    if error is not None:
        raise error
    if shared[1] is not None:
        raise shared[1]
    return shared[0]


def _load_on_every_rank(world: Any, load: Callable[[], dict], checkpoint: Path) -> dict:
    """``load()`` (the checkpoint's metadata) on every rank, then one check that every rank
    read it and reached rank 0's position (epoch, batch, steps so far): a rank that cannot see
    the file, or sees another one (no shared file system), would otherwise start elsewhere and
    the ranks' collectives would no longer match. A failure is raised on every rank: rank 0's
    own error there, a DistributedError naming the checkpoint on the others."""
    from ..distributed import DistributedError

    meta, error = None, None
    try:
        meta = load()
    except Exception as caught:
        error = caught
    mine = None if meta is None else (meta["epoch"], meta["batch"],
                                      len(meta["history"].get("batch_losses", ())))
    theirs = world.broadcast(mine)
    size, rank = world.world_size(), world.rank()
    failed = np.zeros(size)
    failed[rank] = error is not None or mine != theirs
    failed = world.all_reduce(failed, "max")  # which ranks failed, known to every rank
    if not failed.any():
        return meta  # type: ignore[return-value]
    if error is not None and rank == 0:
        raise error
    ranks = ", ".join(str(r) for r in np.flatnonzero(failed))
    here = ("" if not failed[rank] else
            f"; here (rank {rank}): {type(error).__name__}: {error}" if error is not None else
            f"; here (rank {rank}) it holds (epoch, batch, steps) {mine}, on rank 0 {theirs}")
    raise DistributedError(
        f"fit: rank(s) {ranks} could not resume from {checkpoint} as rank 0 does{here}. Under "
        f"a launcher every rank reads the checkpoint, so its folder must be on a file system "
        f"that all ranks share (the same file at the same path)")


def _epoch_index_batches(loader: Any, world: Any) -> list:
    """The epoch's global batches of indices, the same list on every rank. The loader's own
    order is drawn on every rank from its generator (whose state rank 0 broadcast); a user's
    sampler or batch sampler may draw from neuralab's global generator, which differs between
    ranks (each rank r jumped it), so rank 0 draws — as one process would — and broadcasts."""
    if loader._custom_indices:
        return world.broadcast(list(loader._index_batches()) if world.is_main() else None)
    return [np.arange(i.start, i.stop) if isinstance(i, slice) else i
            for i in loader._index_batches()]


def _shard(indices: Any, rank: int, size: int) -> Any:
    """Rank ``rank``'s rows of a global batch: rows r, r+N, r+2N, ..."""
    return indices[rank::size] if isinstance(indices, np.ndarray) else list(indices)[rank::size]


def _check_one_row_shards(model: Module, index_batches: list, size: int, epoch: int) -> None:
    """Raise ValueError (on every rank alike: each sees the same global batches) when a
    BatchNorm1d layer would see a shard of one row: a global batch of b rows gives some rank
    exactly one row iff 0 < b < 2N, and batch statistics over one value per channel are
    undefined (one process would train on all b rows)."""
    norms = [name for name, m in model.named_modules()
             if type(m).__name__ == "BatchNorm1d" and m.training]
    if not norms:
        return
    sizes = [len(b) for b in index_batches]
    short = [(i, b) for i, b in enumerate(sizes) if 0 < b < 2 * size]
    if not short:
        return
    i, b = short[0]
    raise ValueError(
        f"fit: under {size} ranks each global batch is cut into {size} shards (rank r takes "
        f"rows r, r+{size}, ...); batch {i + 1} of epoch {epoch + 1} has {b} row(s) (global "
        f"batch sizes this epoch: {', '.join(map(str, sorted(set(sizes))))}), which leaves a "
        f"rank with 1 row, and BatchNorm1d layer {norms[0] or 'model'!r} in training needs "
        f"more than 1 value per channel; use drop_last=True on the DataLoader, or a batch "
        f"size for which every batch has at least {2 * size} rows")


def _shard_plan(loader: Any, size: int) -> str:
    """How ``fit`` splits ``loader`` over ``size`` ranks: ``"split"`` (each global batch cut into
    N equal parts) or ``"own"`` (the loader already has a DistributedSampler: its batches are
    this rank's). Raises ValueError for a loader that cannot be split."""
    from ..data import DataLoader

    sampler = getattr(loader, "sampler", None)
    if hasattr(sampler, "set_epoch") and hasattr(sampler, "num_replicas"):
        return "own"
    if not isinstance(loader, DataLoader) or loader._iterable or not loader._auto_collation:
        raise ValueError(f"fit: under a launcher with {size} ranks, train_loader must be a "
                         f"neuralab DataLoader over a map-style dataset with batches (its global "
                         f"batches are split across the ranks), got {loader!r:.80}")
    if loader.batch_size is not None and loader.batch_size % size:
        raise ValueError(f"fit: batch_size {loader.batch_size} is the global batch, split "
                         f"evenly across the {size} ranks, so it must be a multiple of {size}; "
                         f"got {loader.batch_size}")
    return "split"


def _validate(model: Module, val_loader: Iterable | None, loss_fn: Callable, seconds: float,
              started: float) -> dict[str, float]:
    """The end of an epoch's record: validation loss and accuracy, and the epoch's seconds."""
    record: dict[str, float] = {}
    if val_loader is not None:
        result = evaluate(model, val_loader, loss_fn)
        record["val_loss"] = result.loss
        if not math.isnan(result.accuracy):
            record["val_accuracy"] = result.accuracy
    record["seconds"] = seconds + time.perf_counter() - started
    return record


def _format(record: dict[str, float], epochs: int) -> str:
    parts = [f"epoch {int(record['epoch'])}/{epochs}", f"loss {record['loss']:.4f}"]
    if "accuracy" in record:
        parts.append(f"acc {record['accuracy']:.2%}")
    if "val_loss" in record:
        parts.append(f"val_loss {record['val_loss']:.4f}")
    if "val_accuracy" in record:
        parts.append(f"val_acc {record['val_accuracy']:.2%}")
    parts.append(f"lr {record['lr']:.4g}")
    parts.append(f"{record['seconds']:.1f} s")
    return "  ".join(parts)


def fit(model: Module, loss_fn: Callable, optimizer: Any, train_loader: Any, epochs: int,
        val_loader: Iterable | None = None, callbacks: Sequence[Callback] = (),
        scheduler: Any = None, clip_grad_norm: float | None = None,
        checkpoint: str | Path | None = None, resume: bool = False, verbose: int = 1,
        log: Callable[[str], None] | None = None) -> History:
    """Train ``model`` for ``epochs`` epochs and return its ``History``.

    Each epoch: forward, loss, backward, optional gradient-norm clipping, optimizer step for
    every batch; then ``scheduler.step()``, validation, callbacks (return True to stop, e.g.
    ``EarlyStopping``) and, with ``checkpoint=path``, an atomic checkpoint. ``resume=True``
    continues from that checkpoint (even from mid-epoch after Ctrl-C) so that the final weights
    equal those of an uninterrupted run. Ctrl-C finishes the current batch, saves a checkpoint
    and returns with ``history.interrupted = True``. A NaN/inf loss raises
    ``NonFiniteLossError`` naming the epoch and batch; the last checkpoint is left intact.

    ``resume=True`` with no checkpoint file yet starts a fresh run (so the same call both
    starts and continues a run). A checkpoint that does not fit this run (another model,
    optimizer, scheduler, loader or callbacks, or a damaged/hand-edited file) raises
    ``CheckpointError`` (a ``ValueError``) naming the file and the mismatch, before anything —
    weights, optimizer, scheduler, loader, callbacks, RNG — has changed.

    Under a launcher (``mpirun -n N``, ``srun``; found in the environment, no argument needed)
    the N ranks train one model, data-parallel: rank 0's weights and loader state are
    broadcast, each global batch of ``train_loader`` (its ``batch_size`` is the global batch,
    a multiple of N) is cut into N parts — rank r takes rows r, r+N, ... —, the gradients are
    averaged by a ``DistributedOptimizer`` (after it, clipping), so the update is the
    single-process one over the same batch up to rounding; loss and accuracy are summed over
    all ranks' examples; validation, printing, progress and checkpoints happen on rank 0 only.
    A checkpoint holds the global state only and resumes under any number of ranks; every rank
    reads it (a file system all ranks share) and the ranks check that they resume from the
    same position. A user's ``sampler``/``batch_sampler`` is drawn on rank 0 and its order
    broadcast. A rank left without a row (a last batch shorter than N) skips forward and
    backward (a zero gradient); a BatchNorm1d model whose batch would leave a rank one row is
    refused up front (``drop_last=True`` avoids it). Ctrl-C on any rank stops every rank after
    the same batch: the current one if it came before that step's Allreduce, else the next
    (or the epoch's last). ``loss_fn`` must average over the batch (the default
    ``reduction="mean"``).
    """
    if epochs < 0:
        raise ValueError(f"fit: epochs must be >= 0, got {epochs}")
    log = log or (lambda line: print(line, flush=True))
    world = _launched_world()
    inner = optimizer  # what a checkpoint stores: the plain optimizer, loadable anywhere
    size, rank, plan = 1, 0, "single"
    if world is not None:
        from ..distributed import DistributedOptimizer

        size, rank = world.world_size(), world.rank()
        plan = _shard_plan(train_loader, size)
        if isinstance(optimizer, DistributedOptimizer):
            inner = optimizer.optimizer
        if rank != 0:
            verbose, log = 0, (lambda line: None)
    history, start_epoch, start_batch, partial = History(), 0, 0, None
    checkpoint = Path(checkpoint) if checkpoint is not None else None
    has_loader_state = hasattr(train_loader, "state_dict")
    if world is not None and has_loader_state:
        # Every rank must draw the same epoch orders: rank 0's shuffling state for all.
        train_loader.load_state_dict(world.broadcast(train_loader.state_dict()))
    # Under a launcher rank 0 decides whether there is a checkpoint to resume from, so that
    # every rank starts at the same place even where another rank cannot see the file.
    found = resume and checkpoint is not None and on_main(world, checkpoint.exists)
    if found:
        # Checked in full against this run first; a bad or foreign checkpoint raises
        # CheckpointError naming the file and changes nothing. Under a launcher every rank
        # reads it (the output folder is on a file system all ranks see), then they check that
        # they all resume from the same position.
        def load() -> dict:
            return load_checkpoint(checkpoint, model=model, optimizer=inner,
                                   scheduler=scheduler,
                                   loader=train_loader if has_loader_state else None,
                                   callbacks=callbacks, restore_rng=True, require_position=True)

        meta = load() if world is None else _load_on_every_rank(world, load, checkpoint)
        history = History.from_dict(meta["history"])
        history.interrupted = False
        start_epoch, start_batch, partial = meta["epoch"], meta["batch"], meta["partial"]
        if verbose:
            where = f"epoch {start_epoch + 1}"
            if start_batch:
                where += f", batch {start_batch + 1}"
            log(f"resuming from {checkpoint} at {where}")
    if world is not None:
        world.broadcast_parameters(model)  # one model: rank 0's weights and buffers
        if rank:
            # Rank 0 keeps the run's random stream (the one a checkpoint saves); rank r moves
            # r jumps (2^127 draws each) ahead, so that its dropout masks are its own.
            bits = default_generator().bit_generator
            bits.state = bits.jumped(rank).state
        if optimizer is inner:
            optimizer = DistributedOptimizer(inner, model)

    def save(epoch: int, batch: int, loader_state: Any, sums: dict | None) -> None:
        if checkpoint is None:
            return
        state = {
            "epoch": epoch, "batch": batch, "partial": sums, "rng": get_rng_state(),
            "loader": loader_state, "history": history.to_dict(),
            "scheduler": scheduler.state_dict() if scheduler is not None else None,
            "scheduler_class": type(scheduler).__name__ if scheduler is not None else None,
            "callbacks": [c.state_dict() for c in callbacks],
            "callback_classes": [type(c).__name__ for c in callbacks],
        }
        # Rank 0 writes (atomically); a failure to write stops every rank.
        on_main(world, lambda: save_checkpoint(checkpoint, model=model, optimizer=inner,
                                               state=state))

    def batches(epoch: int) -> Any:
        """The epoch's (x, y, empty) for this rank; x and y are None when ``empty`` (a global
        batch shorter than N leaves this rank no row)."""
        if plan == "split":
            index_batches = _epoch_index_batches(train_loader, world)
            _check_one_row_shards(model, index_batches, size, epoch)
            for indices in index_batches:
                mine = _shard(indices, rank, size)
                if len(mine) == 0:
                    yield None, None, True
                else:
                    x, y = train_loader._fetch(mine)
                    yield x, y, False
            return
        if plan == "own":
            train_loader.sampler.set_epoch(epoch)
        for x, y in train_loader:
            yield x, y, False

    cb_state: dict[str, Any] = {"model": model, "optimizer": optimizer, "history": history}
    for callback in callbacks:
        callback.on_train_begin(cb_state)
    with _deferred_interrupt() as interrupt:

        def stop_here(epoch: int, done: int, loader_state: Any, sums: dict, bar: Any,
                      started: float) -> History:
            """Ctrl-C: save the position after ``done`` batches of ``epoch`` and return."""
            bar.close()
            sums["seconds"] += time.perf_counter() - started
            save(epoch, done, loader_state, sums)
            history.interrupted = True
            if verbose:
                log(f"interrupted at epoch {epoch + 1}, batch {done}"
                    + (f"; checkpoint saved to {checkpoint} (resume to continue)"
                       if checkpoint else ""))
            return history

        for epoch in range(start_epoch, epochs):
            loader_state = train_loader.state_dict() if has_loader_state else None
            skip = start_batch if epoch == start_epoch else 0
            sums = dict(partial) if (partial and epoch == start_epoch) else {
                "loss": 0.0, "correct": 0, "count": 0, "seconds": 0.0, "classification": False}
            lr = inner.param_groups[0]["lr"]
            model.train()
            started = time.perf_counter()
            bar = _progress(len(train_loader), skip, f"epoch {epoch + 1}/{epochs}", verbose)
            done = skip  # batches of this epoch done so far
            for batch, (x, y, empty) in enumerate(batches(epoch)):
                if batch < skip:  # replaying the saved permutation up to where we stopped
                    continue
                if empty:  # no row here: no forward or backward, a zero gradient
                    loss, value, n, classification, correct = None, 0.0, 0, False, 0
                else:
                    out = model(x)
                    loss = loss_fn(out, y)
                    value = loss.item()
                    n = len(y)
                    classification = _is_classification(out, y)
                    correct = (int(np.sum(out._data.argmax(axis=1) == to_array(y)))
                               if classification else 0)
                stop = False
                if world is not None:
                    # One small Allreduce per step: the global loss sum, example count,
                    # correct count, "classification" and "Ctrl-C seen" (a Ctrl-C that comes
                    # after this call is carried into the next step's, or the epoch's end),
                    # so that every rank decides alike and stops after the same batch.
                    total = world.all_reduce(np.array(
                        [value * n if n else 0.0, n, correct, float(classification),
                         float(interrupt["set"])]), "sum")
                    m = int(total[1])
                    weight = size * n / m  # this rank's share: the averaged gradient is
                    value = float(total[0]) / m  # the one of the mean over all m examples
                    correct, n = int(total[2]), m
                    classification, stop = bool(total[3]), bool(total[4])
                    if loss is not None and weight != 1.0:
                        loss = loss * weight
                if not math.isfinite(value):
                    bar.close()
                    saved = (f"the last checkpoint in {checkpoint} is intact"
                             if checkpoint and Path(checkpoint).exists() else
                             "no checkpoint was written yet" if checkpoint else
                             "no checkpoint was requested")
                    raise NonFiniteLossError(
                        f"loss is {value} at epoch {epoch + 1}, batch {batch + 1} of "
                        f"{len(train_loader)}; training stopped before this batch changed the "
                        f"weights ({saved}). Try a lower learning rate (now {lr:g}), gradient "
                        f"clipping, or check the inputs for NaN/inf."
                    )
                optimizer.zero_grad()
                if loss is not None:
                    loss.backward()
                if clip_grad_norm is not None:
                    if world is not None:  # clip the averaged gradient, as one process would
                        optimizer.synchronize()
                        clip_grad_norm_(model.parameters(), clip_grad_norm)
                        inner.step()
                    else:
                        clip_grad_norm_(model.parameters(), clip_grad_norm)
                        optimizer.step()
                else:
                    optimizer.step()
                sums["loss"] += value * n
                sums["count"] += n
                if classification:
                    sums["classification"] = True
                    sums["correct"] += correct
                history.batch_losses.append(value)
                bar.update(1)
                bar.set_postfix(loss=f"{value:.4f}", refresh=False)
                cb_state.update(epoch=epoch + 1, batch=batch + 1, loss=value)
                for callback in callbacks:
                    callback.on_batch_end(cb_state)
                done = batch + 1
                # One process: a Ctrl-C seen up to here (the callbacks included) stops now.
                if stop or (world is None and interrupt["set"]):
                    return stop_here(epoch, done, loader_state, sums, bar, started)
            # Under a launcher, a Ctrl-C that came after the last step's Allreduce: one more
            # Allreduce, so that every rank stops here, as one process would.
            if world is not None and world.all_reduce(float(interrupt["set"]), "max"):
                return stop_here(epoch, done, loader_state, sums, bar, started)
            bar.close()
            if scheduler is not None:
                scheduler.step()

            record: dict[str, float] = {"epoch": epoch + 1,
                                        "loss": sums["loss"] / max(sums["count"], 1), "lr": lr}
            if sums["classification"]:
                record["accuracy"] = sums["correct"] / max(sums["count"], 1)
            # Under a launcher rank 0 validates (its weights are the ones saved) and every
            # rank gets the result, so that the callbacks decide alike everywhere.
            record.update(on_main(world, functools.partial(_validate, model, val_loader, loss_fn,
                                                           sums["seconds"], started)))
            history.epochs.append(record)
            if verbose:
                log(_format(record, epochs))
            stop_early = [callback.on_epoch_end(record, cb_state) for callback in callbacks]
            save(epoch + 1, 0, train_loader.state_dict() if has_loader_state else None, None)
            if any(stop_early):
                history.stopped_early = True
                if verbose:
                    log(f"early stopping after epoch {epoch + 1}")
                break
    return history
