"""Training checkpoints: everything needed to continue a run exactly where it stopped.

One safetensors file, written atomically: model weights and optimizer state arrays as
tensors; position (epoch, batch), hyper-parameters, scheduler, RNG states and history as JSON
metadata. No pickle, so loading a checkpoint can never run code.

Loading treats the file as untrusted: every tensor and JSON value is checked against the model,
optimizer, scheduler, loader and callbacks of this run before any of them changes, and a
problem raises ``CheckpointError`` naming the file and what does not match.
"""

from __future__ import annotations

import copy
import json
import math
import numbers
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..io.files import ModelFileError, load_tensors, parse_json, save_tensors
from ..random import check_generator_state, default_generator, set_rng_state
from .history import History

__all__ = ["CheckpointError", "load_checkpoint", "save_checkpoint"]

_MODEL, _OPTIM, _META = "model/", "optimizer/", "neuralab.checkpoint"
_MAX_EPOCH = 2**31 - 1
_UNCHECKED: Any = object()  # "this part of the run is not restored" (load_checkpoint defaults)
_HINT = "start without resuming (no --resume / resume=False) or use the same"


class CheckpointError(ModelFileError):
    """A checkpoint that cannot be resumed by this run; the message names the file."""


def save_checkpoint(path: str | Path, *, model: Any, optimizer: Any, state: dict[str, Any]) -> None:
    """Write model, optimizer and the JSON-able ``state`` (position, RNGs, history...)."""
    tensors = {_MODEL + k: v for k, v in model.state_dict().items()}
    opt_state = optimizer.state_dict()
    scalars: dict[str, dict[str, Any]] = {}
    for index, param_state in opt_state["state"].items():
        for name, value in param_state.items():
            if isinstance(value, np.ndarray):
                tensors[f"{_OPTIM}{index}/{name}"] = value
            else:
                scalars.setdefault(str(index), {})[name] = value
    meta = {"optimizer": type(optimizer).__name__, "param_groups": opt_state["param_groups"],
            "scalars": scalars, **state}
    save_tensors(Path(path), tensors, {_META: json.dumps(meta)})


def load_checkpoint(path: str | Path, *, model: Any, optimizer: Any, scheduler: Any = _UNCHECKED,
                    loader: Any = _UNCHECKED, callbacks: Any = _UNCHECKED,
                    restore_rng: bool = False, require_position: bool = False) -> dict[str, Any]:
    """Restore ``model`` and ``optimizer`` (and, when given, the scheduler — None meaning this
    run has none —, the loader's shuffling state, the callbacks' states and neuralab's RNG) in
    place; return the saved JSON state, validated. ``require_position``: the checkpoint must
    hold a training position (epoch, batch), as one written by ``fit`` does.

    Everything is checked before anything changes; on failure ``CheckpointError`` (a
    ``ValueError``) names the file and the mismatch, and nothing was modified.
    """
    def fail(message: str) -> CheckpointError:
        # One line: Module's PyTorch-style multi-line message becomes "; "-separated.
        lines = [line.strip() for line in message.splitlines()]
        return CheckpointError(f"{path}: " + " ".join(
            line + (";" if i < len(lines) - 1 and not line.endswith(":") else "")
            for i, line in enumerate(lines) if line))

    tensors, metadata = load_tensors(Path(path))  # ModelFileError naming the file if damaged
    if _META not in metadata:
        raise fail("not a neuralab training checkpoint (no checkpoint metadata)")
    try:
        meta = parse_json(metadata[_META], allow_nan=True)  # bounded, no duplicate keys
    except ValueError as error:
        raise fail(f"the checkpoint metadata is not valid JSON ({error})") from None
    if not isinstance(meta, dict):
        raise fail("the checkpoint metadata is not a JSON object")
    for key in ("param_groups", "scalars"):
        if key not in meta:
            raise fail(f"the checkpoint metadata lacks {key!r} (damaged or hand-edited)")
    saved_by = meta.pop("optimizer", None)
    if saved_by is not None and saved_by != type(optimizer).__name__:
        raise fail(f"saved by optimizer {saved_by}, but this run uses "
                   f"{type(optimizer).__name__}; {_HINT} optimizer")

    # ---- model
    model_state = {k[len(_MODEL):]: v for k, v in tensors.items() if k.startswith(_MODEL)}
    try:
        model_values, _ = model.check_state_dict(model_state)
    except (RuntimeError, TypeError, ValueError) as error:
        raise fail(f"the saved model does not match this {type(model).__name__}: "
                   f"{str(error).rstrip('.')}; "
                   f"{_HINT} model") from None

    # ---- optimizer
    opt_state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if key.startswith(_MODEL):
            continue
        index, _, name = key[len(_OPTIM):].partition("/")
        if not key.startswith(_OPTIM) or not index.isdigit() or not name:
            raise fail(f"unexpected tensor {key!r} (neither model/<name> nor "
                       f"optimizer/<index>/<name>)")
        opt_state.setdefault(int(index), {})[name] = value
    scalars = meta.pop("scalars")
    if not isinstance(scalars, dict) or not all(
            isinstance(k, str) and k.isdigit() and isinstance(v, dict) for k, v in scalars.items()):
        raise fail("'scalars' must map parameter indices to objects")
    for index, values in scalars.items():
        opt_state.setdefault(int(index), {}).update(values)
    try:
        opt_values = optimizer.check_state_dict(
            {"state": opt_state, "param_groups": meta.pop("param_groups")})
    except (TypeError, ValueError) as error:
        raise fail(f"the saved optimizer state does not fit this {type(optimizer).__name__}: "
                   f"{error}; {_HINT} model and optimizer") from None

    # ---- the run's position and the rest of its state
    _check_position(meta, loader, fail, require_position)
    scheduler_values = _check_scheduler(meta, scheduler, fail)
    loader_state = _check_loader(meta, loader, fail)
    callback_states = _check_callbacks(meta, callbacks, fail)
    if restore_rng or "rng" in meta:
        if "rng" not in meta:
            raise fail("the checkpoint metadata lacks 'rng'")
        _check_generator_state(meta["rng"], default_generator(), "the RNG state", fail)

    # ---- everything is valid: apply (none of these steps can fail part way)
    model._copy_in(model_values)
    optimizer._apply_state(opt_values)
    if scheduler_values is not None:
        scheduler.__dict__.update(scheduler_values)
    if loader_state is not None:
        loader.load_state_dict(loader_state)
    if callback_states is not None:
        for callback, saved in zip(callbacks, callback_states):
            callback.load_state_dict(saved)
    if restore_rng:
        set_rng_state(copy.deepcopy(meta["rng"]))
    return meta


def _whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _check_position(meta: dict[str, Any], loader: Any, fail: Any, required: bool) -> None:
    if "epoch" not in meta and "batch" not in meta:
        if required:
            raise fail("not a checkpoint written by fit (no training position)")
        return  # a checkpoint written by save_checkpoint with a state of its own
    for key in ("epoch", "batch", "partial", "history"):
        if key not in meta:
            raise fail(f"the checkpoint metadata lacks {key!r} (damaged or hand-edited)")
    if not _whole(meta["epoch"], 0, _MAX_EPOCH):
        raise fail(f"'epoch' must be a whole number in [0, {_MAX_EPOCH}], got "
                   f"{meta['epoch']!r:.40}")
    batches = len(loader) if loader is not _UNCHECKED and hasattr(loader, "__len__") else _MAX_EPOCH
    if not _whole(meta["batch"], 0, batches):
        raise fail(f"'batch' must be a whole number in [0, {batches}] (the loader's number of "
                   f"batches), got {meta['batch']!r:.40}")
    partial = meta["partial"]
    if partial is not None or meta["batch"]:
        fields = {"loss": numbers.Real, "correct": int, "count": int, "seconds": numbers.Real,
                  "classification": bool}
        if not isinstance(partial, dict) or set(partial) != set(fields) or not all(
                isinstance(partial[k], t) and (t is bool or not isinstance(partial[k], bool))
                for k, t in fields.items()):
            raise fail(f"'partial' must be an object with {', '.join(fields)}, got "
                       f"{partial!r:.80}")
        if not (math.isfinite(partial["loss"]) and partial["seconds"] >= 0
                and 0 <= partial["correct"] <= partial["count"]):
            raise fail(f"'partial' holds impossible sums: {partial!r:.80}")
    try:
        meta["history"] = History.from_dict(meta["history"]).to_dict()
    except (TypeError, ValueError) as error:
        raise fail(f"'history': {error}") from None


def _check_scheduler(meta: dict[str, Any], scheduler: Any, fail: Any) -> dict | None:
    if scheduler is _UNCHECKED:
        return None
    saved = meta.get("scheduler")
    name = meta.get("scheduler_class")
    if scheduler is None:
        if saved is not None:
            raise fail(f"saved with learning-rate scheduler {name or ''}, but this run has "
                       f"none; {_HINT} schedule")
        return None
    if saved is None:
        raise fail(f"saved without a learning-rate scheduler, but this run uses "
                   f"{type(scheduler).__name__}; {_HINT} schedule")
    if name is not None and name != type(scheduler).__name__:
        raise fail(f"saved with scheduler {name}, but this run uses "
                   f"{type(scheduler).__name__}; {_HINT} schedule")
    try:
        return scheduler.check_state_dict(saved)
    except (TypeError, ValueError) as error:
        raise fail(f"the saved scheduler state does not fit: {error}") from None


def _check_generator_state(state: Any, generator: np.random.Generator, what: str,
                           fail: Any) -> None:
    try:
        check_generator_state(state, generator, what)
    except ValueError as error:
        raise fail(str(error)) from None


def _check_loader(meta: dict[str, Any], loader: Any, fail: Any) -> dict | None:
    if loader is _UNCHECKED or not hasattr(loader, "load_state_dict"):
        return None
    saved = meta.get("loader")
    if saved is None:
        raise fail("the checkpoint has no data loader state, but this run's loader has one; "
                   f"{_HINT} data")
    check = getattr(loader, "check_state_dict", None)
    if check is not None:
        try:
            check(saved, "the loader's shuffling state")
        except ValueError as error:
            raise fail(str(error)) from None
    return saved


def _check_callbacks(meta: dict[str, Any], callbacks: Any, fail: Any) -> list | None:
    if callbacks is _UNCHECKED:
        return None
    callbacks = list(callbacks)
    saved = meta.get("callbacks", [])
    if not isinstance(saved, Sequence) or isinstance(saved, str) or not all(
            isinstance(s, dict) for s in saved):
        raise fail("'callbacks' must be a list of objects")
    # Matched by position. Callbacks added after the saved ones start fresh (a new logger,
    # say); a saved non-empty state must find a callback of the class that saved it.
    classes = meta.get("callback_classes")
    if not isinstance(classes, list) or len(classes) != len(saved):
        classes = [None] * len(saved)
    for i, (state, name) in enumerate(zip(saved, classes)):
        here = type(callbacks[i]).__name__ if i < len(callbacks) else None
        if state and (here is None or (name is not None and name != here)):
            raise fail(f"callback {i} was saved by {name or 'a callback'} with state "
                       f"{state!r:.60}, but this run has {here or 'no callback there'}; "
                       f"{_HINT} callbacks")
    for i, (callback, state) in enumerate(zip(callbacks, saved)):
        check = getattr(callback, "check_state_dict", None)
        if check is not None:
            try:
                check(state)
            except (TypeError, ValueError) as error:
                raise fail(f"callback {i} ({type(callback).__name__}): {error}") from None
    return [copy.deepcopy(s) for s in saved]
