"""load_digit_image on pictures of every kind, and on files that are not pictures."""

from __future__ import annotations

import os

import numpy as np
import pytest
from _hostile import png_declaring

from neuralab import imaging
from neuralab.imaging import load_digit_image

Image = pytest.importorskip("PIL.Image")


@pytest.fixture
def digit() -> np.ndarray:
    """A white '1' (16×4 strokes) on black, 28×28 uint8."""
    array = np.zeros((28, 28), dtype=np.uint8)
    array[6:22, 12:16] = 255
    return array


@pytest.fixture
def reference(tmp_path, digit) -> np.ndarray:
    path = tmp_path / "ref.png"
    Image.fromarray(digit).save(path)
    return load_digit_image(path)


def save(tmp_path, name: str, image, **options) -> str:
    path = str(tmp_path / name)
    image.save(path, **options)
    return path


@pytest.mark.parametrize("kind", ["16-bit", "palette", "alpha", "palette-transparency", "gif",
                                  "inverted", "exif-rotated"])
def test_formats_give_the_same_digit(tmp_path, digit, reference, kind):
    if kind == "16-bit":  # convert("L") would clip 16-bit values at 255: all white
        image = Image.fromarray(digit.astype(np.uint16) * 257)
        assert image.mode == "I;16"
        path = save(tmp_path, "d.png", image)
    elif kind == "palette":
        path = save(tmp_path, "d.png", Image.fromarray(digit).convert("P"))
    elif kind == "alpha":  # black ink on transparent (black) paper: invisible without alpha
        rgba = np.zeros((28, 28, 4), dtype=np.uint8)
        rgba[..., 3] = digit
        path = save(tmp_path, "d.png", Image.fromarray(rgba, "RGBA"))
    elif kind == "palette-transparency":
        image = Image.fromarray(255 - digit).convert("P")
        path = save(tmp_path, "d.png", image, transparency=image.getpixel((0, 0)))
    elif kind == "gif":  # two frames: the first one is used
        frames = [Image.fromarray(digit).convert("P"), Image.new("P", (28, 28), 0)]
        path = save(tmp_path, "d.gif", frames[0], save_all=True, append_images=frames[1:])
        assert Image.open(path).n_frames == 2
    elif kind == "inverted":
        path = save(tmp_path, "d.png", Image.fromarray(255 - digit))
    else:  # stored rotated by 90°, with the EXIF tag that tells viewers to rotate it back
        exif = Image.Exif()
        exif[0x0112] = 6
        path = save(tmp_path, "d.png", Image.fromarray(digit).rotate(90), exif=exif.tobytes())
    np.testing.assert_array_equal(load_digit_image(path), reference)


def test_cmyk_jpeg_is_close(tmp_path, digit, reference):
    path = save(tmp_path, "d.jpg", Image.fromarray(digit).convert("CMYK"), quality=95)
    result = load_digit_image(path)
    # JPEG is lossy: compare the strokes' mass and position, not pixels.
    assert abs(result.sum() - reference.sum()) < 0.05 * reference.sum()
    assert np.abs(result - reference).mean() < 0.02


def test_large_picture_is_reduced_first_and_stays_the_same_digit(tmp_path, digit, reference):
    big = Image.fromarray(digit).resize((4200, 4200), Image.Resampling.NEAREST)
    result = load_digit_image(save(tmp_path, "big.png", big))
    # Box reduction first can move the centre of mass by at most one pixel.
    best = min(np.abs(np.roll(result, shift, axis=axis) - reference).sum()
               for axis in (1, 2) for shift in (-1, 0, 1))
    assert best < 0.05 * reference.sum()


@pytest.mark.parametrize("shape", [(1, 1), (1, 10_000), (10_000, 1)])
def test_degenerate_shapes(tmp_path, shape):
    array = np.zeros(shape, dtype=np.uint8)
    array.flat[len(array.flat) // 4:3 * len(array.flat) // 4 + 1] = 255
    result = load_digit_image(save(tmp_path, "d.png", Image.fromarray(array)))
    assert result.shape == (1, 28, 28) and result.dtype == np.float32
    assert np.isfinite(result).all() and 0 <= result.min() and result.max() <= 1


def test_eight_by_eight_output(tmp_path, digit):
    result = load_digit_image(save(tmp_path, "d.png", Image.fromarray(digit)), size=8)
    assert result.shape == (1, 8, 8) and result.max() > 0.5


@pytest.mark.parametrize("name, content, message", [
    ("bomb.png", png_declaring(100_000, 100_000), "image is too large"),
    ("big.png", png_declaring(8_000, 8_000), "is 8000×8000 pixels, more than the 40,000,000"),
    ("empty.png", b"", "cannot read this file as an image (not in an image format"),
    ("text.png", b"hello, not an image\n", "not in an image format Pillow knows"),
    ("cut.png", png_declaring(28, 28)[:40], "cannot read this file as an image"),
    ("short-data.png", png_declaring(280, 280), "cannot read this file as an image"),
])
def test_bad_files_give_one_value_error_naming_the_file(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValueError) as info:
        load_digit_image(path)
    text = str(info.value)
    assert type(info.value) is ValueError and str(path) in text and message in text, text
    assert "\n" not in text and len(text) < 500


def test_truncated_real_png(tmp_path, digit):
    good = tmp_path / "good.png"
    Image.fromarray(np.tile(digit, (10, 10))).save(good)
    cut = tmp_path / "cut.png"
    cut.write_bytes(good.read_bytes()[:-200])
    with pytest.raises(ValueError, match="cut.png: cannot read this file as an image"):
        load_digit_image(cut)


def test_special_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.png: no such image file"):
        load_digit_image(tmp_path / "missing.png")
    with pytest.raises(ValueError, match="is a directory"):
        load_digit_image(tmp_path)
    with pytest.raises(ValueError, match="/dev/zero: is a character device"):
        load_digit_image("/dev/zero")
    fifo = tmp_path / "fifo.png"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="is a pipe"):
        load_digit_image(fifo)  # refused before opening: opening would block


@pytest.mark.parametrize("size", [0, -3, 2.5, True, "28"])
def test_bad_size(tmp_path, digit, size):
    path = save(tmp_path, "d.png", Image.fromarray(digit))
    with pytest.raises(ValueError, match="size must be a positive integer"):
        load_digit_image(path, size=size)


def test_the_pixel_bound_is_below_pillows_own():
    assert imaging.MAX_IMAGE_PIXELS < Image.MAX_IMAGE_PIXELS
