"""File helpers shared by model files and training checkpoints.

Writes are atomic (temporary file + ``os.replace``), so a crash never leaves a half-written file
where a good one was. Tensors are stored in the safetensors format: an 8-byte little-endian
header length, a JSON header (dtype, shape and byte offsets of each tensor, plus an optional
``__metadata__`` table of strings), then the raw little-endian data. Reading validates the header
here before the ``safetensors`` package sees the bytes, so a damaged file gives a message that
says what is wrong instead of a traceback from deep inside a library.

``safetensors`` is imported inside the functions: ``import neuralab`` needs NumPy only.
"""

from __future__ import annotations

import json
import math
import os
import secrets
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..tensor import Tensor

__all__ = [
    "ModelFileError", "atomic_write_bytes", "load_tensors", "read_tensor_metadata",
    "save_tensors",
]

PathLike = str | os.PathLike

# The safetensors library refuses headers above 100 MB; so do we, before reading one.
MAX_HEADER_BYTES = 100_000_000

# safetensors dtype names that NumPy can hold, with their item sizes.
_DTYPE_SIZES = {
    "BOOL": 1, "U8": 1, "I8": 1, "U16": 2, "I16": 2, "F16": 2, "U32": 4, "I32": 4, "F32": 4,
    "U64": 8, "I64": 8, "F64": 8, "C64": 8,
}


class ModelFileError(ValueError):
    """A file that cannot be read as what it claims to be; the message names the file."""


# ------------------------------------------------------------------------------------ writing
def atomic_write_bytes(path: PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: the file is either the old one or the new one.

    The bytes go to a temporary file in the same directory (so ``os.replace`` is a rename on
    one file system), are flushed and fsynced, then moved into place. On any failure the
    temporary file is removed and an existing file at ``path`` is left untouched.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    while True:
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
        try:
            # 0o666 lets the process umask decide the permissions, as for a plain open().
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         0o666)
            break
        except FileExistsError:
            continue
        except OSError as error:  # name the file asked for, not the temporary one
            raise type(error)(error.errno, error.strerror, path) from None
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)  # replacing: keep the old permissions
        except FileNotFoundError:
            pass
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: str) -> None:
    # Makes the rename itself durable on POSIX; not possible (nor needed) everywhere.
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save_tensors(path: PathLike, tensors: Mapping[str, np.ndarray],
                 metadata: Mapping[str, str] | None = None) -> None:
    """Save named arrays (and optional string metadata) as a safetensors file, atomically."""
    import safetensors.numpy

    arrays: dict[str, np.ndarray] = {}
    for name, value in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"save_tensors: tensor names must be strings, got {name!r}")
        # asarray(order="C"), not ascontiguousarray, which turns 0-d arrays into shape (1,).
        array = np.asarray(value.data if isinstance(value, Tensor) else value, order="C")
        if array.dtype.kind not in "biufc" or array.dtype.itemsize not in (1, 2, 4, 8) or (
                array.dtype.kind == "c" and array.dtype.itemsize != 8):
            raise TypeError(f"save_tensors: tensor {name!r} has dtype {array.dtype}, which the "
                            f"safetensors format cannot store")
        arrays[name] = array
    meta = None
    if metadata is not None:
        meta = {}
        for key, value in metadata.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError(f"save_tensors: metadata must map strings to strings, got "
                                f"{key!r}: {type(value).__name__}")
            meta[key] = value
    atomic_write_bytes(path, safetensors.numpy.save(arrays, metadata=meta))


# ------------------------------------------------------------------------------------ reading
def _open_error(path: str, error: OSError) -> ModelFileError:
    if isinstance(error, FileNotFoundError):
        return ModelFileError(f"{path}: no such file")
    if isinstance(error, IsADirectoryError):
        return ModelFileError(f"{path}: is a directory, not a file")
    return ModelFileError(f"{path}: cannot read the file ({error.strerror or error})")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse_header(path: str, prefix: bytes, file_size: int) -> tuple[dict, int]:
    """Check the length field and JSON header; return (header, header length)."""
    not_st = "not a safetensors file"
    if file_size < 8:
        raise ModelFileError(
            f"{path}: file is {file_size} bytes long, too short for a safetensors file (it "
            f"starts with an 8-byte header length){'; the file is empty' if not file_size else ''}"
        )
    length = int.from_bytes(prefix[:8], "little")
    if length > MAX_HEADER_BYTES:
        raise ModelFileError(f"{path}: header length field says {length:,} bytes, more than "
                             f"the {MAX_HEADER_BYTES:,} allowed; {not_st} or the file is damaged")
    if 8 + length > file_size:
        raise ModelFileError(
            f"{path}: header length field says {length:,} bytes but only {file_size - 8:,} "
            f"follow it; the file is truncated, or {not_st}")
    if length < 2:
        raise ModelFileError(f"{path}: header length field says {length} bytes; {not_st}")
    raw = prefix[8:8 + length]
    try:
        header = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ModelFileError(f"{path}: header is not valid JSON ({error}); {not_st} or the "
                             f"file is damaged") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{path}: header is JSON but not an object; {not_st}")
    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise ModelFileError(f"{path}: header '__metadata__' must map strings to strings")
    return header, length


def _check_entries(path: str, header: dict, data_size: int) -> None:
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        where = f"{path}: tensor {name!r}"
        if not isinstance(entry, dict):
            raise ModelFileError(f"{where}: header entry is not an object")
        dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
        if not isinstance(dtype, str) or dtype not in _DTYPE_SIZES:
            raise ModelFileError(f"{where}: dtype {dtype!r} is not one NumPy can load (expected "
                                 f"one of {', '.join(_DTYPE_SIZES)})")
        if not isinstance(shape, list) or not all(
                type(d) is int and d >= 0 for d in shape):
            raise ModelFileError(f"{where}: shape {shape!r} is not a list of non-negative ints")
        if not (isinstance(offsets, list) and len(offsets) == 2
                and all(type(o) is int for o in offsets)):
            raise ModelFileError(f"{where}: data_offsets {offsets!r} is not a pair of ints")
        begin, end = offsets
        if not 0 <= begin <= end <= data_size:
            raise ModelFileError(
                f"{where}: data_offsets [{begin}, {end}] lie outside the {data_size:,} bytes of "
                f"data in the file; the file is truncated or damaged")
        expected = math.prod(shape) * _DTYPE_SIZES[dtype]
        if end - begin != expected:
            raise ModelFileError(
                f"{where}: shape {shape} of {dtype} needs {expected:,} bytes but data_offsets "
                f"span {end - begin:,}")


def read_tensor_metadata(path: PathLike) -> dict[str, str]:
    """The ``__metadata__`` strings of a safetensors file, reading only its header."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            prefix = file.read(8)
            length = int.from_bytes(prefix, "little") if len(prefix) == 8 else 0
            if len(prefix) == 8 and length <= MAX_HEADER_BYTES and 8 + length <= size:
                prefix += file.read(length)
    except OSError as error:
        raise _open_error(path, error) from None
    header, _ = _parse_header(path, prefix, size)
    return dict(header.get("__metadata__", {}))


def load_tensors(path: PathLike) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Read a safetensors file: (arrays by name, metadata strings).

    Raises ``ModelFileError`` naming the file and the problem if it is missing, truncated or
    not a valid safetensors file.
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as error:
        raise _open_error(path, error) from None
    header, length = _parse_header(path, data, len(data))
    _check_entries(path, header, len(data) - 8 - length)

    import safetensors
    import safetensors.numpy

    try:
        loaded = safetensors.numpy.load(data)
    except (safetensors.SafetensorError, KeyError, ValueError, TypeError) as error:
        # Left for the library to find: overlapping tensors, gaps or trailing bytes.
        raise ModelFileError(f"{path}: not a valid safetensors file ({error})") from None
    tensors = {}
    for name in header:  # header order, not the library's
        if name != "__metadata__":
            array = loaded[name]
            tensors[name] = array if array.flags.writeable else array.copy()
    return tensors, dict(header.get("__metadata__", {}))
