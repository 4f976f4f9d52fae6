"""IDX reading/writing: round trips and every kind of corruption, with messages naming the file."""

import gzip
import struct

import numpy as np
import pytest

from neuralab.data import IDXError, read_idx, write_idx

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
def test_round_trip_each_dtype(tmp_path, dtype, name):
    rng = np.random.default_rng(0)
    array = (rng.standard_normal((3, 4, 5)) * 50).astype(dtype)
    path = write_idx(tmp_path / name, array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    np.testing.assert_array_equal(back, array)
    assert back.flags.writeable
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")


def test_exact_bytes_of_a_small_file(tmp_path):
    path = write_idx(tmp_path / "x", np.array([[1, 2, 3], [4, 5, 255]], dtype=np.uint8))
    assert path.read_bytes() == bytes.fromhex("00000802 00000002 00000003 010203 0405ff")
    path = write_idx(tmp_path / "y", np.array([1, -2], dtype=">i2"))
    assert path.read_bytes() == bytes.fromhex("00000b01 00000002 0001 fffe")
    np.testing.assert_array_equal(read_idx(path), [1, -2])


def test_gzip_is_detected_by_magic_not_name(tmp_path):
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    raw = write_idx(tmp_path / "raw.idx", array).read_bytes()
    (tmp_path / "looks_raw").write_bytes(gzip.compress(raw))
    (tmp_path / "looks_gz.gz").write_bytes(raw)
    np.testing.assert_array_equal(read_idx(tmp_path / "looks_raw"), array)
    np.testing.assert_array_equal(read_idx(tmp_path / "looks_gz.gz"), array)


def _header(code, shape):
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


@pytest.mark.parametrize(
    "payload, words",
    [
        (b"\x01\x00\x08\x01" + b"\x00\x00\x00\x01" + b"\x07", ["bad magic", "01 00 08 01"]),
        (b"<htm", ["bad magic", "not an IDX file"]),
        (_header(0x0A, (2,)) + b"\x00\x00", ["unknown dtype code 0x0A", "0x08"]),
        (_header(0x08, (2, 3)) + bytes(5), ["truncated", "needs 18 bytes, found 17"]),
        (_header(0x08, (2, 3)) + bytes(7), ["trailing bytes", "needs 18 bytes, found 19"]),
        (_header(0x0C, (3,)) + bytes(8), ["truncated", "int32", "needs 20 bytes, found 16"]),
        (bytes([0, 0, 8, 3]) + b"\x00\x00\x00\x02", ["truncated header", "16 bytes"]),
        (b"\x00\x00", ["4-byte IDX magic", "only 2 bytes"]),
        (b"", ["only 0 bytes"]),
    ],
    ids=["magic", "html", "dtype", "short", "long", "int32", "header", "tiny", "empty"],
)
def test_corruption_raises_idx_error_naming_the_file(tmp_path, payload, words, raises_naming):
    path = tmp_path / "broken-idx3-ubyte"
    path.write_bytes(payload)
    raises_naming(IDXError, path, words, read_idx, path)


def test_wrong_dims_for_the_body(tmp_path):
    # Header promises 5 images of 28x28 but the body holds 4.
    path = tmp_path / "images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(_header(0x08, (5, 28, 28)) + bytes(4 * 784)))
    with pytest.raises(IDXError, match=r"shape \(5, 28, 28\).*needs 3936 bytes, found 3152"):
        read_idx(path)


def test_truncated_and_corrupt_gzip(tmp_path):
    good = gzip.compress(_header(0x08, (100, 28, 28)) + bytes(range(256)) * 306 + bytes(64))
    cut = tmp_path / "cut.gz"
    cut.write_bytes(good[: len(good) // 2])
    with pytest.raises(IDXError, match="corrupt or truncated gzip") as info:
        read_idx(cut)
    assert str(cut) in str(info.value)
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0xFF
    bad = tmp_path / "flipped.gz"
    bad.write_bytes(bytes(flipped))
    with pytest.raises(IDXError, match="gzip"):
        read_idx(bad)


def test_idx_error_is_a_value_error():
    assert issubclass(IDXError, ValueError)


@pytest.mark.parametrize("dtype", [np.int64, np.bool_, np.complex64])
def test_write_rejects_dtypes_idx_cannot_store(tmp_path, dtype):
    with pytest.raises(ValueError, match="IDX cannot store dtype"):
        write_idx(tmp_path / "x", np.zeros(3, dtype=dtype))
