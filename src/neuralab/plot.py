"""Figures for training runs: curves, confusion matrix, misclassified images (matplotlib, lazy).

Every function writes a PNG atomically and returns its path; matplotlib is imported only here
and only when a figure is drawn, with the non-interactive Agg backend.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ImportError('plots need matplotlib: pip install "neuralab[plot]"') from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, path: str | Path, dpi: int = 110) -> Path:
    """Render ``fig`` to PNG and write it atomically; closes the figure."""
    from .io.files import atomic_write_bytes

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    _pyplot().close(fig)
    atomic_write_bytes(Path(path), buffer.getvalue())
    return Path(path)


def plot_history(history: Any, path: str | Path, title: str = "") -> Path:
    """Loss (per batch and per epoch) and accuracy curves, train and validation."""
    plt = _pyplot()
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    epochs = history["epoch"]
    if history.batch_losses and epochs:
        per_epoch = len(history.batch_losses) / len(epochs)
        x = np.arange(1, len(history.batch_losses) + 1) / per_epoch
        ax_loss.plot(x, history.batch_losses, color="0.8", lw=0.6, label="batch loss")
    ax_loss.plot(epochs, history["loss"], "o-", label="train loss")
    if history["val_loss"]:
        ax_loss.plot(epochs, history["val_loss"], "s-", label="validation loss")
    ax_loss.set(xlabel="epoch", ylabel="loss", title="Loss")
    ax_loss.legend()
    ax_loss.grid(alpha=0.3)
    if history["accuracy"]:
        ax_acc.plot(epochs, np.array(history["accuracy"]) * 100, "o-", label="train")
    if history["val_accuracy"]:
        ax_acc.plot(epochs, np.array(history["val_accuracy"]) * 100, "s-", label="validation")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy")
    ax_acc.legend()
    ax_acc.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return save_figure(fig, path)


MAX_LABELLED_CLASSES = 30


def plot_confusion_matrix(matrix: np.ndarray, classes: Sequence[str], path: str | Path,
                          title: str = "Confusion matrix") -> Path:
    """Counts of (true, predicted) pairs; rows are the true class.

    Up to ``MAX_LABELLED_CLASSES`` classes every cell shows its count and every class its name;
    beyond that the figure stops growing and shows the matrix as an image only (a figure with a
    label per cell of 1,000 classes would hold a million texts)."""
    plt = _pyplot()
    labelled = len(classes) <= MAX_LABELLED_CLASSES
    size = max(5.0, 0.55 * min(len(classes), MAX_LABELLED_CLASSES) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    if labelled:
        ticks = np.arange(len(classes))
        ax.set_xticks(ticks, classes, rotation=45, ha="right")
        ax.set_yticks(ticks, classes)
        threshold = matrix.max() / 2 if matrix.size else 0
        for (i, j), count in np.ndenumerate(matrix):
            ax.text(j, i, str(count), ha="center", va="center", fontsize=8,
                    color="white" if count > threshold else "black")
    ax.set(xlabel="predicted" + ("" if labelled else " class index"),
           ylabel="true" + ("" if labelled else " class index"), title=title)
    return save_figure(fig, path)


def plot_misclassified(images: np.ndarray, true: np.ndarray, predicted: np.ndarray,
                       classes: Sequence[str], path: str | Path, limit: int = 36) -> Path:
    """A grid of misclassified images titled 'true → predicted'."""
    plt = _pyplot()
    wrong = np.flatnonzero(true != predicted)[:limit]
    columns = 6
    rows = max(1, int(np.ceil(len(wrong) / columns)))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 1.7, rows * 1.9))
    for ax in np.ravel(axes):
        ax.axis("off")
    for ax, index in zip(np.ravel(axes), wrong):
        image = images[index].reshape(images[index].shape[-2:])
        ax.imshow(image, cmap="gray_r")
        ax.set_title(f"{classes[true[index]]} → {classes[predicted[index]]}", fontsize=7,
                     color="crimson")
    fig.suptitle(f"Misclassified test images (true → predicted), {len(wrong)} shown of "
                 f"{int(np.sum(true != predicted))}")
    return save_figure(fig, path)


# Fonts with Korean glyphs, in order of preference (Debian's fonts-nanum, Noto CJK, Windows,
# macOS); matplotlib's default DejaVu Sans has none and draws Korean as empty boxes.
KOREAN_FONTS = ("NanumGothic", "NanumBarunGothic", "Noto Sans CJK KR", "Noto Sans KR",
                "Malgun Gothic", "AppleGothic")
KOREAN_FONT_HINT = ("no Korean font found for figures: install one, e.g. `apt-get install "
                    "fonts-nanum` (Debian/Ubuntu) or Noto Sans CJK KR; until then Korean labels "
                    "show as boxes")


def korean_font() -> str | None:
    """The name of an installed font that has Korean glyphs, or None."""
    try:
        from matplotlib import font_manager
    except ImportError:
        raise ImportError('figures need matplotlib: pip install "neuralab[plot]"') from None
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((name for name in KOREAN_FONTS if name in installed), None)


def use_language_font(lang: str) -> str | None:
    """Make matplotlib draw text of ``lang`` ("en" or "ko"): for Korean, DejaVu Sans first
    (its minus sign U+2212, ∂ and the tick labels' mathtext, which Korean fonts lack) and the
    first installed font of ``KOREAN_FONTS`` for the Hangul it falls back to; warns if none is
    installed. Returns the Korean font's name (None for English or when none is found).
    Leaves the backend alone."""
    import warnings

    import matplotlib

    if lang != "ko":
        matplotlib.rcParams["font.family"] = matplotlib.rcParamsDefault["font.family"]
        matplotlib.rcParams["axes.unicode_minus"] = True
        return None
    name = korean_font()
    if name is None:
        warnings.warn(KOREAN_FONT_HINT, stacklevel=2)
        return None
    matplotlib.rcParams["font.family"] = ["DejaVu Sans", name]
    matplotlib.rcParams["axes.unicode_minus"] = True
    return name
