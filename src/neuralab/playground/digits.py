"""The "draw a digit" tab's model: an MLP trained here on scikit-learn's 8×8 digits, or a
model file written by ``neuralab train``, fed a canvas drawing prepared as ``neuralab predict``
prepares a picture (``imaging.prepare_digit``).
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Any

import numpy as np

__all__ = ["MAX_CANVAS_SIDE", "DigitModel", "decode_canvas"]

# The page's canvas is 280×280; anything above this is not a drawing.
MAX_CANVAS_SIDE = 512


class DigitModel:
    """A classifier of square grayscale digit images with what the page shows about it."""

    side: int  # the model's input side (8 for the digits set, 28 for MNIST models)
    classes: list[str]
    source: str  # "digits" (trained here) or the file name of a model given with --model
    accuracy: float | None  # held-out accuracy when trained here

    def __init__(self, model: Any, input_shape: tuple[int, ...], classes: list[str],
                 source: str, accuracy: float | None = None) -> None:
        from ..imaging import image_side

        self._model = model
        self._input_shape = tuple(input_shape)
        self.side = image_side(source, self._input_shape)
        if len(classes) < 2:
            raise ValueError(f"{source}: a digit model needs at least 2 classes, got "
                             f"{len(classes)}")
        self.classes = list(classes)
        self.source = source
        self.accuracy = accuracy
        # Parameters may be float64 in a file; feed inputs of the same type.
        self._dtype = next((p.dtype for p in model.parameters()), np.float32)
        model.eval()

    @classmethod
    def train_on_digits(cls, seed: int = 0, epochs: int = 30) -> DigitModel:
        """Flatten → Linear(64, 64) → ReLU → Linear(64, 10), trained by Adam (lr 0.01, batches
        of 32, cross-entropy) on the 80 % training split of scikit-learn's digits
        (``neuralab.data.digits(seed=seed)``, pixels/16 in [0, 1], the inputs ``neuralab train
        --data digits`` uses). ``accuracy`` is measured on the held-out 20 %. Deterministic in
        ``seed`` (weights, split and shuffling come from ``numpy.random.default_rng(seed)``).
        """
        from .. import data, nn, optim
        from ..autograd.grad_mode import no_grad
        from ..tensor import Tensor

        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or \
                not 0 <= seed < 2 ** 32:
            raise ValueError(f"train_on_digits: seed must be an integer in [0, 2**32), got "
                             f"{seed!r}")
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or \
                not 1 <= epochs <= 1000:
            raise ValueError(f"train_on_digits: epochs must be an integer in [1, 1000], got "
                             f"{epochs!r}")
        train, test = data.digits(train=True, seed=seed), data.digits(train=False, seed=seed)
        x, y = train.tensors
        rng = np.random.default_rng(seed)
        model = nn.Sequential(nn.Flatten(), nn.Linear(64, 64, generator=rng), nn.ReLU(),
                              nn.Linear(64, 10, generator=rng))
        optimizer = optim.Adam(model.parameters(), lr=0.01)
        loss_fn = nn.CrossEntropyLoss()
        model.train()
        for _ in range(int(epochs)):
            order = rng.permutation(len(y))
            for start in range(0, len(y), 32):
                batch = order[start:start + 32]
                optimizer.zero_grad()
                loss_fn(model(Tensor(x[batch])), Tensor(y[batch])).backward()
                optimizer.step()
        model.eval()
        x_test, y_test = test.tensors
        with no_grad():
            predicted = model(Tensor(x_test)).numpy().argmax(axis=1)
        accuracy = float((predicted == y_test).mean())
        return cls(model, tuple(x.shape[1:]), list(train.classes), "digits", accuracy)

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> DigitModel:
        """A classifier saved by ``neuralab train``, checked as ``neuralab predict`` checks it
        (``model_spec``: its metadata fits the model; it takes one square grayscale image, a
        flat N² vector or 1×N×N). Raises ``ValueError`` naming the file otherwise."""
        from ..imaging import image_side
        from ..train.job import load_model_file

        name = os.fspath(path)
        model, spec, _ = load_model_file(name)
        image_side(name, spec.input_shape)  # here, so that its error names the whole path
        classes = spec.classes or [str(i) for i in range(spec.num_outputs)]
        return cls(model, spec.input_shape, classes, os.path.basename(name))

    def predict(self, gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``gray``: (H, W) in [0, 1], bright ink on black (a canvas drawing). Returns the model's
        input image (side, side) float32 in [0, 1] from ``prepare_digit`` and the class
        probabilities p = softmax(z) of the logits z, float64."""
        from ..autograd.grad_mode import no_grad
        from ..imaging import prepare_digit
        from ..tensor import Tensor

        image = prepare_digit(gray, self.side)  # checks gray: 2-D, finite, in [0, 1]
        with no_grad():
            logits = self._model(Tensor(image.reshape(1, *self._input_shape)
                                        .astype(self._dtype))).numpy()
        z = np.asarray(logits, dtype=np.float64).reshape(-1)
        if z.shape != (len(self.classes),) or not np.isfinite(z).all():
            raise ValueError(f"{self.source}: the model gave {z.size} scores"
                             f"{'' if np.isfinite(z).all() else ' (some not finite)'} for "
                             f"{len(self.classes)} classes")
        p = np.exp(z - z.max())  # shifted by the maximum: no overflow
        return image[0], p / p.sum()


def decode_canvas(payload: object) -> np.ndarray:
    """``{"width": W, "height": H, "pixels": base64 of W·H uint8 gray}`` (1 ≤ W, H ≤
    ``MAX_CANVAS_SIDE``, row-major, bright ink on black) → (H, W) float64 pixel/255 in [0, 1].
    The text length is checked before anything is decoded; a bad payload raises one
    ``ValueError`` saying what was expected and what came."""
    if not isinstance(payload, dict):
        raise ValueError(f"canvas: expected a JSON object with width, height and pixels, got "
                         f"{type(payload).__name__}")
    sides = []
    for key in ("width", "height"):
        value = payload.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or \
                not 1 <= value <= MAX_CANVAS_SIDE:
            raise ValueError(f"canvas: {key} must be an integer in [1, {MAX_CANVAS_SIDE}], got "
                             f"{_show(value)}")
        sides.append(value)
    width, height = sides
    pixels = payload.get("pixels")
    if not isinstance(pixels, str):
        raise ValueError(f"canvas: pixels must be a base64 string, got {_show(pixels)}")
    count = width * height
    expected = 4 * -(-count // 3)  # padded base64: 4 characters per 3 bytes
    if len(pixels) != expected:
        raise ValueError(f"canvas: pixels must be {expected} base64 characters for "
                         f"{width}×{height} bytes, got {len(pixels)}")
    try:
        raw = base64.b64decode(pixels, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("canvas: pixels is not valid base64 (A–Z, a–z, 0–9, +, / and = "
                         "padding)") from None
    if len(raw) != count:
        raise ValueError(f"canvas: pixels must decode to {width}×{height} = {count} bytes, got "
                         f"{len(raw)}")
    return np.frombuffer(raw, dtype=np.uint8).reshape(height, width) / 255.0


def _show(value: object) -> str:
    """A short description of an unexpected JSON value for an error message."""
    if value is None:
        return "nothing"
    text = repr(value)
    return f"{type(value).__name__} {text[:40]}{'…' if len(text) > 40 else ''}"
