"""Turning a user's picture into an MNIST-style input (Pillow, imported lazily).

The picture is an untrusted file: only regular files are opened, the pixel count is checked
from the header before anything is decoded (a small PNG can declare 100000×100000 pixels), and
whatever the decoder raises becomes one ``ValueError`` that names the file.
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any

import numpy as np

# Digit pictures are small; even a 40-megapixel phone photo fits. Pillow's own limit (89M
# pixels warns, 179M raises) is far above what a digit needs and still costs gigabytes.
MAX_IMAGE_PIXELS = 40_000_000
# A big picture is box-reduced to at most this many pixels a side before it is processed in
# float32 (the digit ends up 20 pixels tall anyway): memory stays small whatever the photo.
WORK_SIDE = 1024


def image_side(path: str, shape: tuple[int, ...]) -> int:
    """The side N of the square grayscale picture that a model of input ``shape`` takes (N²
    features, or 1×N×N); a ``ValueError`` naming ``path`` for any other shape."""
    if len(shape) == 1:
        side = math.isqrt(shape[0])
        if side * side == shape[0]:
            return side
        raise ValueError(f"{path} takes {shape[0]} features, not a square image; digit "
                         f"pictures need a model trained on images")
    if shape[-1] != shape[-2] or math.prod(shape[:-2]) != 1:
        raise ValueError(f"{path} takes inputs of shape {list(shape)}; digit pictures need a "
                         f"model of square grayscale images (1×N×N)")
    return shape[-1]


def load_digit_image(path: str | os.PathLike, size: int = 28) -> np.ndarray:
    """Read an image as MNIST prepares digits (see ``prepare_digit``). Returns float32 of shape
    (1, size, size) with values in [0, 1].

    Transparent pixels count as white paper; 16-bit images keep their full range; a
    multi-frame file (GIF, TIFF) gives its first frame. Raises ``FileNotFoundError`` for a
    missing file and ``ValueError`` naming the file for anything that is not a readable image
    of at most ``MAX_IMAGE_PIXELS`` pixels.
    """
    size = _check_size("load_digit_image", size)
    _require_pillow()
    return prepare_digit(_read_gray(os.fspath(path)), size)


def prepare_digit(gray: np.ndarray, size: int = 28) -> np.ndarray:
    """A grayscale picture ``gray`` (H, W) in [0, 1] as MNIST prepares digits: bright strokes
    on black (a picture whose border is mostly light, dark ink on paper, is inverted: g ← 1 − g),
    the paper level b (median of the border) removed, g ← clip((g − b)/(1 − b), 0, 1), cropped
    to the strokes (g > 0.1), scaled so the longer side is 20/28 of ``size`` and centred by
    centre of mass in a ``size``×``size`` frame. Below 16 pixels a side the crop is padded to a
    square and box-averaged to the whole frame instead, as scikit-learn's 8×8 digits were made.
    Returns float32 of shape (1, size, size) with values in [0, 1].
    """
    size = _check_size("prepare_digit", size)
    gray = np.asarray(gray)
    if gray.ndim != 2 or 0 in gray.shape or gray.dtype.kind not in "biuf":
        raise ValueError(f"prepare_digit: gray must be a non-empty 2-D array of numbers, got "
                         f"shape {gray.shape} of dtype {gray.dtype}")
    gray = gray.astype(np.float32)
    if not np.isfinite(gray).all() or gray.min() < 0 or gray.max() > 1:
        raise ValueError("prepare_digit: gray must hold values in [0, 1], got values outside "
                         "that range (or NaN/inf)")
    Image = _require_pillow()
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


def _check_size(caller: str, size: object) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"{caller}: size must be a positive integer, got {size!r}")
    return int(size)


def _require_pillow() -> Any:
    try:
        from PIL import Image
    except ImportError:
        raise ImportError('predicting from images needs Pillow: pip install "neuralab[plot]"') \
            from None
    return Image


def _read_gray(path: str) -> np.ndarray:
    """The first frame as float32 gray in [0, 1], as it looks on white paper."""
    from PIL import Image

    from .io.files import ModelFileError, ModelFileNotFoundError, file_label, open_regular

    name = file_label(path)
    try:
        file = open_regular(path)
    except ModelFileNotFoundError:
        raise FileNotFoundError(f"{name}: no such image file") from None
    except ModelFileError as error:  # a directory, a device, a FIFO, unreadable
        raise ValueError(str(error).replace("the file", "the image file")) from None
    with file, warnings.catch_warnings():
        # Images past Pillow's warning threshold are refused below anyway.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(file)  # reads the header only
        except Image.DecompressionBombError as error:
            raise ValueError(f"{name}: image is too large ({error}); a digit picture may have "
                             f"at most {MAX_IMAGE_PIXELS:,} pixels") from None
        except Exception as error:  # noqa: BLE001 - a decoder fed untrusted bytes raises anything
            raise _unreadable(name, error) from None
        with image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ValueError(f"{name}: image is {width}×{height} pixels, more than the "
                                 f"{MAX_IMAGE_PIXELS:,} a digit picture may have")
            if width < 1 or height < 1:
                raise ValueError(f"{name}: image has no pixels ({width}×{height})")
            try:
                return _gray(_upright(_shrink(image), image))
            except Exception as error:  # noqa: BLE001 - as above
                raise _unreadable(name, error) from None


def _unreadable(name: str, error: Exception) -> ValueError:
    from PIL import UnidentifiedImageError

    if isinstance(error, UnidentifiedImageError):  # its text names the descriptor, not the file
        detail = "not in an image format Pillow knows"
    else:
        detail = " ".join(str(error).split())[:200] or type(error).__name__
    return ValueError(f"{name}: cannot read this file as an image ({detail})")


def _shrink(image: Any) -> Any:
    factor = -(-max(image.size) // WORK_SIDE)
    if factor <= 1:
        return image
    # reduce() averages pixel values: palettes and 1-bit images are converted first, and
    # 16-bit gray goes to 32-bit ("I"), whose values _gray reads the same way.
    if image.mode in ("1", "P", "PA") or "transparency" in image.info:
        transparent = image.mode == "PA" or "transparency" in image.info
        image = image.convert("RGBA" if transparent else "L")
    elif image.mode.startswith("I;16"):
        image = image.convert("I")
    return image.reduce(factor)


# EXIF orientation tag -> the transpose that shows the picture upright (as viewers do).
_ORIENTATION = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE",
                6: "ROTATE_270", 7: "TRANSVERSE", 8: "ROTATE_90"}


def _upright(image: Any, original: Any) -> Any:
    from PIL import Image

    method = _ORIENTATION.get(original.getexif().get(0x0112))
    return image if method is None else image.transpose(getattr(Image.Transpose, method))


def _gray(image: Any) -> np.ndarray:
    from PIL import Image

    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # 16-bit gray: convert("L") would clip at 255 and turn nearly every pixel white.
        return np.clip(np.asarray(image, dtype=np.float64) / 65535.0, 0, 1).astype(np.float32)
    if image.mode == "F":  # floating-point TIFF: Pillow's own convention is 0..255
        values = np.nan_to_num(np.asarray(image, dtype=np.float32), nan=0.0)
        return np.clip(values / 255.0, 0, 1)
    if "A" in image.mode or "a" in image.mode or "transparency" in image.info:
        # A digit drawn on a transparent page often has black (invisible) "paper": composite
        # it over white, as an image viewer shows it.
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    return np.asarray(image.convert("L"), dtype=np.float32) / 255.0


def _resize(image: np.ndarray, shape: tuple[int, int], method: int) -> np.ndarray:
    from PIL import Image

    pil = Image.fromarray(image.astype(np.float32), mode="F")
    return np.clip(np.asarray(pil.resize((shape[1], shape[0]), method), dtype=np.float32), 0, 1)
