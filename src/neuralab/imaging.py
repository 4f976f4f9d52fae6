"""Turning a user's picture into an MNIST-style input (Pillow, imported lazily)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def load_digit_image(path: str | Path, size: int = 28) -> np.ndarray:
    """Read an image as MNIST prepares digits: grayscale, bright strokes on black, cropped to the
    strokes, scaled so the longer side is 20/28 of ``size`` and centred by centre of mass in a
    ``size``×``size`` frame, values in [0, 1]. Returns float32 of shape (1, size, size)."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise ImportError('predicting from images needs Pillow: pip install "neuralab[plot]"') \
            from None
    path = Path(path)
    try:
        with Image.open(path) as image:
            gray = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such image file") from None
    except (UnidentifiedImageError, OSError) as error:
        raise ValueError(f"{path}: cannot read this file as an image ({error})") from None
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if border.mean() > 0.5:  # dark ink on light paper: MNIST digits are light on black
        gray, border = 1.0 - gray, 1.0 - border
    background = float(np.median(border))  # paper is rarely pure black after inversion
    gray = np.clip((gray - background) / max(1e-6, 1.0 - background), 0.0, 1.0)
    rows, cols = np.nonzero(gray > 0.1)
    if rows.size == 0:
        return np.zeros((1, size, size), dtype=np.float32)
    crop = gray[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    if size < 16:
        # The 8×8 scikit-learn digits are 4×4 block averages of 32×32 bitmaps whose strokes
        # fill the frame: pad the crop to a square and average it down the same way.
        side = max(crop.shape)
        square = np.zeros((side, side), dtype=np.float32)
        top, left = (side - crop.shape[0]) // 2, (side - crop.shape[1]) // 2
        square[top:top + crop.shape[0], left:left + crop.shape[1]] = crop
        return _resize(square, (size, size), Image.Resampling.BOX)[None]
    box = round(size * 20 / 28)  # MNIST: a 20×20 digit in a 28×28 frame
    scale = box / max(crop.shape)
    height, width = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    resized = _resize(crop, (height, width), Image.Resampling.LANCZOS)
    frame = np.zeros((size, size), dtype=np.float32)
    total = resized.sum()
    cy, cx = ((np.indices(resized.shape) * resized).reshape(2, -1).sum(1) / total
              if total > 0 else (height / 2, width / 2))
    top = int(np.clip(round(size / 2 - cy), 0, size - height))
    left = int(np.clip(round(size / 2 - cx), 0, size - width))
    frame[top:top + height, left:left + width] = resized
    return frame[None]


def _resize(image: np.ndarray, shape: tuple[int, int], method: int) -> np.ndarray:
    from PIL import Image

    pil = Image.fromarray(image.astype(np.float32), mode="F")
    return np.clip(np.asarray(pil.resize((shape[1], shape[0]), method), dtype=np.float32), 0, 1)
