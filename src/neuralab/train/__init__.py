"""Training: ``fit``/``evaluate``, history, callbacks, checkpoints, metrics."""

from .callbacks import Callback, EarlyStopping
from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .fit import Evaluation, NonFiniteLossError, evaluate, fit
from .history import History
from .metrics import accuracy, confusion_matrix, per_class_accuracy

__all__ = [
    "Callback", "CheckpointError", "EarlyStopping", "Evaluation", "History",
    "NonFiniteLossError", "accuracy", "confusion_matrix", "evaluate", "fit", "load_checkpoint",
    "per_class_accuracy", "save_checkpoint",
]
