"""Classification metrics: accuracy, confusion matrix, per-class accuracy."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import to_array


def accuracy(outputs: Any, targets: Any) -> float:
    """Fraction of rows whose arg-max output equals the target class index."""
    outputs, targets = to_array(outputs), to_array(targets)
    if len(targets) == 0:
        return float("nan")
    return float(np.mean(outputs.argmax(axis=-1) == targets))


def confusion_matrix(predictions: Any, targets: Any, num_classes: int) -> np.ndarray:
    """``C[t, p]`` counts examples of true class t predicted as p (rows: truth)."""
    predictions, targets = to_array(predictions).ravel(), to_array(targets).ravel()
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (targets, predictions), 1)
    return matrix


def per_class_accuracy(matrix: np.ndarray) -> np.ndarray:
    """Recall of each class: diagonal / row sums (NaN for a class with no examples)."""
    totals = matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.diag(matrix) / totals
