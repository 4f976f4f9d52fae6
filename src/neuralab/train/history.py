"""``History``: what a training run recorded, per epoch and per batch."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class History:
    """Per-epoch records (``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``, ``lr``,
    ``seconds``) and the loss of every batch. ``interrupted`` is set when Ctrl-C stopped fit."""

    epochs: list[dict[str, float]] = field(default_factory=list)
    batch_losses: list[float] = field(default_factory=list)
    interrupted: bool = False
    stopped_early: bool = False

    def __getitem__(self, key: str) -> list[float]:
        """The per-epoch series of one quantity, e.g. ``history['val_accuracy']``."""
        return [record[key] for record in self.epochs if key in record]

    def __len__(self) -> int:
        return len(self.epochs)

    def to_dict(self) -> dict[str, Any]:
        return {"epochs": self.epochs, "batch_losses": self.batch_losses,
                "interrupted": self.interrupted, "stopped_early": self.stopped_early}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        """The inverse of ``to_dict``; a value of the wrong type raises ValueError naming it."""
        if not isinstance(data, dict):
            raise ValueError(f"a history must be an object, got {type(data).__name__}")
        epochs, losses = data.get("epochs", []), data.get("batch_losses", [])
        if not isinstance(epochs, list) or not all(
                isinstance(r, dict) and all(isinstance(k, str) and _is_number(v)
                                            for k, v in r.items()) for r in epochs):
            raise ValueError("history 'epochs' must be a list of objects of numbers")
        if not isinstance(losses, list) or not all(_is_number(v) for v in losses):
            raise ValueError("history 'batch_losses' must be a list of numbers")
        flags = [data.get("interrupted", False), data.get("stopped_early", False)]
        if not all(isinstance(f, bool) for f in flags):
            raise ValueError("history 'interrupted' and 'stopped_early' must be true or false")
        return cls([dict(r) for r in epochs], list(losses), *flags)

    def save(self, path: str | Path) -> None:
        """Write as JSON, atomically."""
        from ..io.files import atomic_write_bytes

        atomic_write_bytes(Path(path), json.dumps(self.to_dict(), indent=1).encode())

    @classmethod
    def load(cls, path: str | Path) -> History:
        return cls.from_dict(json.loads(Path(path).read_text()))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
