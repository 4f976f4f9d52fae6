"""The training figures: a confusion matrix stays readable, and bounded, for any class count."""

from __future__ import annotations

import numpy as np
from PIL import Image

from neuralab import plot


def test_confusion_matrix_labels_every_cell_of_a_small_matrix(tmp_path) -> None:
    matrix = np.array([[5, 1], [0, 7]])
    path = plot.plot_confusion_matrix(matrix, ["cat", "dog"], tmp_path / "small.png")
    width, height = Image.open(path).size
    assert min(width, height) >= 4 * 110  # 5 inches at 110 dpi, less the trimmed margins


def test_confusion_matrix_of_many_classes_stops_growing(tmp_path) -> None:
    n = plot.MAX_LABELLED_CLASSES
    sizes = {}
    for classes in (n, 10 * n):
        matrix = np.random.default_rng(0).integers(0, 50, (classes, classes))
        path = plot.plot_confusion_matrix(matrix, [str(i) for i in range(classes)],
                                          tmp_path / f"{classes}.png")
        sizes[classes] = Image.open(path).size
    # 300 classes: about the same canvas (tick labels trimmed differently), where growing with
    # the class count would make it 0.55·300 + 2 = 167 inches (18,000 pixels) wide
    assert np.allclose(sizes[10 * n], sizes[n], rtol=0.1)
