"""Callbacks that watch training: early stopping (and the base class for your own)."""

from __future__ import annotations

import math
from typing import Any


class Callback:
    """Hooks called by ``fit``; ``on_epoch_end`` returns True to stop training."""

    def on_train_begin(self, state: dict[str, Any]) -> None:
        pass

    def on_batch_end(self, state: dict[str, Any]) -> None:
        pass

    def on_epoch_end(self, record: dict[str, float], state: dict[str, Any]) -> bool:
        return False

    def state_dict(self) -> dict[str, Any]:
        return {}

    def check_state_dict(self, state: dict[str, Any]) -> None:
        """Raise ValueError/TypeError if ``load_state_dict(state)`` would fail; change nothing.

        ``fit(resume=True)`` calls it before restoring anything from a checkpoint."""
        if not isinstance(state, dict):
            raise TypeError(f"a callback state must be a dict, got {type(state).__name__}")

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    ``restore_best`` puts back the weights of the best epoch when training stops.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 3, min_delta: float = 0.0,
                 mode: str | None = None, restore_best: bool = True) -> None:
        if mode is None:
            mode = "max" if "acc" in monitor else "min"
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        self.monitor, self.patience, self.min_delta = monitor, patience, min_delta
        self.mode, self.restore_best = mode, restore_best
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch, self.wait = 0, 0
        self._best_weights: dict | None = None

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, record: dict[str, float], state: dict[str, Any]) -> bool:
        if self.monitor not in record:
            raise KeyError(f"EarlyStopping monitors {self.monitor!r}, but the epoch record has "
                           f"only {sorted(record)} (pass val_loader= to fit for val_* metrics)")
        value = record[self.monitor]
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, int(record["epoch"]), 0
            if self.restore_best:
                self._best_weights = {  # a snapshot: state_dict() shares the model's memory
                    k: v.clone() for k, v in state["model"].state_dict().items()}
            return False
        self.wait += 1
        if self.wait >= self.patience:
            if self.restore_best and self._best_weights is not None:
                state["model"].load_state_dict(self._best_weights)
            return True
        return False

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait}

    def check_state_dict(self, state: dict[str, Any]) -> None:
        super().check_state_dict(state)
        if set(state) != {"best", "best_epoch", "wait"}:
            raise ValueError(f"EarlyStopping state must have best, best_epoch and wait, got "
                             f"{sorted(map(str, state))}")
        best, best_epoch, wait = state["best"], state["best_epoch"], state["wait"]
        if not isinstance(best, (int, float)) or isinstance(best, bool) or math.isnan(best):
            raise ValueError(f"EarlyStopping 'best' must be a number, got {best!r:.40}")
        for key, value in (("best_epoch", best_epoch), ("wait", wait)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"EarlyStopping {key!r} must be a whole number >= 0, got "
                                 f"{value!r:.40}")

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.check_state_dict(state)
        self.best, self.best_epoch, self.wait = state["best"], state["best_epoch"], state["wait"]
