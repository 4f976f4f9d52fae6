"""safetensors reading/writing and atomic writes (neuralab.io.files)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import numpy as np
import pytest

import neuralab as nl
from neuralab.io import (
    ModelFileError,
    atomic_write_bytes,
    load_tensors,
    read_tensor_metadata,
    save_tensors,
)
from neuralab.io import files as files_module


def raw_file(header: dict, data: bytes = b"") -> bytes:
    """A safetensors file built by hand: length, JSON header, data."""
    text = json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + data


def write(tmp_path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


@pytest.fixture
def good_file(tmp_path) -> tuple[str, bytes, int]:
    """A valid file with two tensors and metadata: (path, bytes, header length)."""
    path = str(tmp_path / "good.safetensors")
    save_tensors(path, {"w": np.arange(12, dtype=np.float32).reshape(3, 4),
                        "b": np.arange(5, dtype=np.float64)}, {"note": "hello"})
    content = open(path, "rb").read()
    return path, content, int.from_bytes(content[:8], "little")


# ------------------------------------------------------------------------------ round trip
def test_round_trip_keeps_values_dtypes_and_metadata(tmp_path):
    arrays = {
        "f32": np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3),
        "f64": np.array([np.pi, -0.0, 1e-300]),
        "f16": np.array([1.5, -2.0], dtype=np.float16),
        "i64": np.array([[1, -2], [3, 2**40]], dtype=np.int64),
        "u8": np.array([0, 255], dtype=np.uint8),
        "mask": np.array([True, False, True]),
        "scalar": np.array(7.25),
        "empty": np.zeros((0, 3), dtype=np.float32),
    }
    path = tmp_path / "t.safetensors"
    save_tensors(path, arrays, {"a": "1", "b": "two"})
    tensors, metadata = load_tensors(path)
    assert metadata == {"a": "1", "b": "two"}
    assert set(tensors) == set(arrays)
    for name, array in arrays.items():
        assert tensors[name].dtype == array.dtype, name
        assert tensors[name].shape == array.shape, name
        np.testing.assert_array_equal(tensors[name], array)
        assert tensors[name].flags.writeable


def test_non_contiguous_arrays_and_tensors_are_saved_by_value(tmp_path):
    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    path = tmp_path / "t.safetensors"
    save_tensors(path, {"t": base.T, "s": base[::2, ::3], "nl": nl.tensor([1.0, 2.0])})
    tensors, metadata = load_tensors(path)
    np.testing.assert_array_equal(tensors["t"], base.T)
    np.testing.assert_array_equal(tensors["s"], base[::2, ::3])
    np.testing.assert_array_equal(tensors["nl"], np.array([1.0, 2.0], dtype=np.float32))
    assert metadata == {}


def test_save_rejects_what_safetensors_cannot_hold(tmp_path):
    path = tmp_path / "t.safetensors"
    with pytest.raises(TypeError, match="'names'.*dtype"):
        save_tensors(path, {"names": np.array(["a", "b"])})
    with pytest.raises(TypeError, match="strings to strings"):
        save_tensors(path, {"x": np.zeros(2)}, {"epoch": 3})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="names must be strings"):
        save_tensors(path, {1: np.zeros(2)})  # type: ignore[dict-item]
    assert not path.exists()


def test_read_tensor_metadata_reads_only_the_header(good_file, tmp_path):
    path, content, length = good_file
    assert read_tensor_metadata(path) == {"note": "hello"}
    header_only = write(tmp_path, "header_only.safetensors", content[:8 + length])
    assert read_tensor_metadata(header_only) == {"note": "hello"}
    with pytest.raises(ModelFileError, match="truncated"):
        read_tensor_metadata(write(tmp_path, "cut.safetensors", content[:8 + length // 2]))


def test_import_neuralab_does_not_import_safetensors():
    code = ("import sys, neuralab, neuralab.io; "
            "assert 'safetensors' not in sys.modules, 'safetensors imported eagerly'")
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------------------ bad files
def test_missing_file_and_directory(tmp_path):
    missing = tmp_path / "nope.safetensors"
    with pytest.raises(ModelFileError, match="no such file") as info:
        load_tensors(missing)
    assert str(missing) in str(info.value)
    assert isinstance(info.value, ValueError)
    with pytest.raises(ModelFileError, match="directory"):
        load_tensors(tmp_path)
    with pytest.raises(ModelFileError, match="no such file"):
        read_tensor_metadata(missing)


@pytest.mark.parametrize("content", [b"", b"\x10\x00\x00"])
def test_too_short(tmp_path, content):
    path = write(tmp_path, "short.safetensors", content)
    with pytest.raises(ModelFileError, match="too short") as info:
        load_tensors(path)
    assert path in str(info.value)


@pytest.mark.parametrize("where", ["mid_length", "mid_header", "end_of_header", "mid_data",
                                   "last_byte"])
def test_truncated_files(good_file, tmp_path, where):
    _, content, length = good_file
    cut = {"mid_length": 5, "mid_header": 8 + length // 2, "end_of_header": 8 + length,
           "mid_data": 8 + length + 20, "last_byte": len(content) - 1}[where]
    path = write(tmp_path, f"{where}.safetensors", content[:cut])
    with pytest.raises(ModelFileError) as info:
        load_tensors(path)
    message = str(info.value)
    assert path in message
    assert ("too short" if cut < 8 else "truncated") in message


def test_header_length_larger_than_file(good_file, tmp_path):
    _, content, _ = good_file
    for length in (2**63 + 5, len(content)):
        path = write(tmp_path, f"len{length}.safetensors",
                     length.to_bytes(8, "little") + content[8:])
        with pytest.raises(ModelFileError, match="header length field says") as info:
            load_tensors(path)
        assert path in str(info.value)


def test_zero_header_length(tmp_path):
    path = write(tmp_path, "zero.safetensors", bytes(8) + b"{}")
    with pytest.raises(ModelFileError, match="not a safetensors file"):
        load_tensors(path)


@pytest.mark.parametrize("header", [b"{not json at all}", b"\xff\xfe\x00garbage!", b"[1, 2, 3]",
                                   b'{"x": NaN}'])
def test_garbage_header(tmp_path, header):
    path = write(tmp_path, "garbage.safetensors", len(header).to_bytes(8, "little") + header)
    with pytest.raises(ModelFileError, match="not valid JSON|not an object") as info:
        load_tensors(path)
    assert path in str(info.value)


def test_garbage_over_a_real_header(good_file, tmp_path):
    _, content, length = good_file
    garbage = b"#" * length
    path = write(tmp_path, "g.safetensors", content[:8] + garbage + content[8 + length:])
    with pytest.raises(ModelFileError, match="not valid JSON"):
        load_tensors(path)


@pytest.mark.parametrize("entry, data, pattern", [
    ({"dtype": "F32", "shape": [2], "data_offsets": [0, 800]}, bytes(8), "outside the 8 bytes"),
    ({"dtype": "F32", "shape": [2], "data_offsets": [-8, 0]}, bytes(8), "outside"),
    ({"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}, bytes(8), "needs 12 bytes"),
    ({"dtype": "BF16", "shape": [4], "data_offsets": [0, 8]}, bytes(8), "dtype 'BF16'"),
    ({"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}, bytes(8), "shape"),
    ({"dtype": "F32", "shape": [2], "data_offsets": [0]}, bytes(8), "data_offsets"),
    ({"dtype": "F32", "shape": "2", "data_offsets": [0, 8]}, bytes(8), "shape"),
    ("not an object", b"", "not an object"),
])
def test_bad_tensor_entries(tmp_path, entry, data, pattern):
    path = write(tmp_path, "bad.safetensors", raw_file({"w": entry}, data))
    with pytest.raises(ModelFileError, match=pattern) as info:
        load_tensors(path)
    assert "'w'" in str(info.value) and path in str(info.value)


def test_problems_left_to_the_library_are_still_model_file_errors(tmp_path):
    overlap = raw_file({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                        "b": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, bytes(8))
    trailing = raw_file({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, bytes(12))
    for name, content in [("overlap", overlap), ("trailing", trailing)]:
        path = write(tmp_path, f"{name}.safetensors", content)
        with pytest.raises(ModelFileError, match="not a valid safetensors file") as info:
            load_tensors(path)
        assert path in str(info.value)


def test_metadata_must_be_strings(tmp_path):
    path = write(tmp_path, "meta.safetensors", raw_file({"__metadata__": {"epoch": 3}}))
    with pytest.raises(ModelFileError, match="__metadata__"):
        load_tensors(path)


def test_random_corruption_gives_model_file_error_or_a_result(good_file, tmp_path):
    _, content, _ = good_file
    rng = np.random.default_rng(0)
    path = tmp_path / "fuzz.safetensors"
    for _ in range(300):
        corrupted = bytearray(content)
        for position in rng.integers(0, len(content), size=rng.integers(1, 4)):
            corrupted[position] = int(rng.integers(0, 256))
        if rng.random() < 0.3:
            corrupted = corrupted[:rng.integers(0, len(corrupted))]
        path.write_bytes(bytes(corrupted))
        try:
            tensors, _ = load_tensors(path)
        except ModelFileError as error:
            assert str(path) in str(error)
        else:
            assert all(isinstance(a, np.ndarray) for a in tensors.values())


# ------------------------------------------------------------------------------ atomic writes
def leftovers(directory) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.endswith(".tmp"))


def test_atomic_write_creates_and_replaces(tmp_path):
    path = tmp_path / "f.bin"
    atomic_write_bytes(path, b"first")
    assert path.read_bytes() == b"first"
    atomic_write_bytes(str(path), b"second")
    assert path.read_bytes() == b"second"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("failing", ["replace", "fsync", "write"])
def test_failed_write_leaves_old_file_and_no_temp(tmp_path, monkeypatch, failing):
    path = tmp_path / "f.bin"
    path.write_bytes(b"old contents")

    def boom(*args, **kwargs):
        raise OSError("simulated failure")

    data: object = b"new contents"
    if failing == "write":
        data = object()  # the file object refuses it mid-write
    else:
        monkeypatch.setattr(files_module.os, failing, boom)
    with pytest.raises((OSError, TypeError)):
        atomic_write_bytes(path, data)  # type: ignore[arg-type]
    monkeypatch.undo()
    assert path.read_bytes() == b"old contents"
    assert leftovers(tmp_path) == []


def test_interrupted_write_cleans_up(tmp_path, monkeypatch):
    path = tmp_path / "f.bin"
    path.write_bytes(b"old")

    def interrupt(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(files_module.os, "replace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(path, b"new")
    monkeypatch.undo()
    assert path.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_failed_save_tensors_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "t.safetensors"
    save_tensors(path, {"x": np.ones(3)})

    class Exploding:
        def __array__(self, *args, **kwargs):
            raise RuntimeError("producer failed")

    with pytest.raises(RuntimeError, match="producer failed"):
        save_tensors(path, {"x": np.zeros(3), "y": Exploding()})  # type: ignore[dict-item]
    monkeypatch.setattr(files_module.os, "replace", lambda *a: (_ for _ in ()).throw(OSError()))
    with pytest.raises(OSError):
        save_tensors(path, {"x": np.zeros(3)})
    monkeypatch.undo()
    np.testing.assert_array_equal(load_tensors(path)[0]["x"], np.ones(3))
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_permissions_follow_umask_and_are_kept_on_replace(tmp_path):
    old_umask = os.umask(0o022)
    try:
        path = tmp_path / "f.bin"
        atomic_write_bytes(path, b"x")
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        path.chmod(0o600)
        atomic_write_bytes(path, b"y")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        os.umask(old_umask)
