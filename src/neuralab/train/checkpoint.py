"""Training checkpoints: everything needed to continue a run exactly where it stopped.

One safetensors file, written atomically: model weights and optimizer state arrays as
tensors; position (epoch, batch), hyper-parameters, scheduler, RNG states and history as JSON
metadata. No pickle, so loading a checkpoint can never run code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..io.files import ModelFileError, load_tensors, save_tensors

_MODEL, _OPTIM = "model/", "optimizer/"


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
    meta = {"param_groups": opt_state["param_groups"], "scalars": scalars, **state}
    save_tensors(Path(path), tensors, {"neuralab.checkpoint": json.dumps(meta)})


def load_checkpoint(path: str | Path, *, model: Any, optimizer: Any) -> dict[str, Any]:
    """Restore model and optimizer in place; return the saved JSON state."""
    tensors, metadata = load_tensors(Path(path))
    if "neuralab.checkpoint" not in metadata:
        raise ModelFileError(f"{path}: not a neuralab training checkpoint (no checkpoint metadata)")
    try:
        meta = json.loads(metadata["neuralab.checkpoint"])
    except json.JSONDecodeError as error:
        raise ModelFileError(f"{path}: the checkpoint metadata is not valid JSON "
                             f"({error})") from None
    model_state = {k[len(_MODEL):]: v for k, v in tensors.items() if k.startswith(_MODEL)}
    opt_state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if key.startswith(_OPTIM):
            index, name = key[len(_OPTIM):].split("/", 1)
            opt_state.setdefault(int(index), {})[name] = value
    for index, values in meta.pop("scalars").items():
        opt_state.setdefault(int(index), {}).update(values)
    groups = meta.pop("param_groups")
    try:
        model.load_state_dict(model_state)
        optimizer.load_state_dict({"state": opt_state, "param_groups": groups})
    except (RuntimeError, ValueError) as error:
        raise ModelFileError(f"{path}: the checkpoint does not fit this model/optimizer: "
                             f"{error}") from None
    return meta
