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
        return cls(list(data.get("epochs", [])), list(data.get("batch_losses", [])),
                   bool(data.get("interrupted", False)), bool(data.get("stopped_early", False)))

    def save(self, path: str | Path) -> None:
        """Write as JSON, atomically."""
        from ..io.files import atomic_write_bytes

        atomic_write_bytes(Path(path), json.dumps(self.to_dict(), indent=1).encode())

    @classmethod
    def load(cls, path: str | Path) -> History:
        return cls.from_dict(json.loads(Path(path).read_text()))
