"""File helpers shared by model files and training checkpoints.

Writes are atomic (temporary file + ``os.replace``), so a crash never leaves a half-written file
where a good one was. Tensors are stored in the safetensors format: an 8-byte little-endian
header length, a JSON header (dtype, shape and byte offsets of each tensor, plus an optional
``__metadata__`` table of strings), then the raw little-endian data. Reading is done here, not
by the ``safetensors`` package: the header is validated (bounded length, strict JSON, entries
that tile the data exactly) before any tensor is allocated, and only regular files are opened,
so a damaged or hostile file gives one message naming the file and what is wrong.

``safetensors`` (for writing) is imported inside ``save_tensors``: ``import neuralab`` needs
NumPy only.
"""

from __future__ import annotations

import json
import math
import os
import reprlib
import secrets
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

from ..tensor import Tensor

__all__ = [
    "ModelFileError", "ModelFileNotFoundError", "atomic_write_bytes", "load_tensors",
    "read_tensor_metadata", "save_tensors",
]

PathLike = str | os.PathLike

# The safetensors library allows headers up to 100 MB, but parsed JSON takes up to ~30 times
# its text in Python objects; real headers (even of sharded LLMs, ~100 bytes a tensor) are a
# few MB at most, so we refuse above 16 MB, and above a million JSON containers, before parsing.
MAX_HEADER_BYTES = 16_000_000
MAX_JSON_CONTAINERS = 1_000_000

# safetensors dtype names that NumPy can hold, with their item sizes.
_DTYPE_SIZES = {
    "BOOL": 1, "U8": 1, "I8": 1, "U16": 2, "I16": 2, "F16": 2, "U32": 4, "I32": 4, "F32": 4,
    "U64": 8, "I64": 8, "F64": 8, "C64": 8,
}
# Little-endian, as the format stores them.
_NUMPY_DTYPES = {
    "BOOL": "?", "U8": "u1", "I8": "i1", "U16": "<u2", "I16": "<i2", "F16": "<f2", "U32": "<u4",
    "I32": "<i4", "F32": "<f4", "U64": "<u8", "I64": "<i8", "F64": "<f8", "C64": "<c8",
}


class ModelFileError(ValueError):
    """A file that cannot be read as what it claims to be; the message names the file."""


class ModelFileNotFoundError(FileNotFoundError, ModelFileError):
    """The file does not exist (a ``ModelFileError`` too, like every unreadable file)."""


# ------------------------------------------------------------------------------------ writing
def atomic_write_bytes(path: PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: the file is either the old one or the new one.

    The bytes go to a temporary file in the same directory (so ``os.replace`` is a rename on
    one file system), are flushed and fsynced, then moved into place. On any failure the
    temporary file is removed and an existing file at ``path`` is left untouched; an
    ``OSError`` (disk full, read-only file system, ...) names ``path``, not the temporary file.
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
        except OSError as error:
            raise _naming(error, path) from None
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
    except BaseException as error:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(error, OSError):
            raise _naming(error, path) from None
        raise
    _fsync_directory(directory)


def _naming(error: OSError, path: str) -> OSError:
    """The same error about ``path``: ``str()`` and ``.filename`` name the file asked for."""
    if error.errno is None:
        named = OSError(f"{error}: {path!r}")
        named.filename = path
        return named
    # OSError(errno, ...) picks the subclass (FileNotFoundError, PermissionError, ...) itself.
    return OSError(error.errno, error.strerror or os.strerror(error.errno), path)


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
        array = np.asarray(value._data if isinstance(value, Tensor) else value, order="C")
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
# Limits on what a header may ask for, checked before anything is allocated from it.
MAX_DIMS = 64  # NumPy's own limit on array dimensions
_MAX_ARRAY_BYTES = 2**62  # NumPy refuses arrays whose (non-zero) sizes multiply past intp
_SHOW = reprlib.Repr()
_SHOW.maxstring, _SHOW.maxother, _SHOW.maxlist, _SHOW.maxdict, _SHOW.maxlevel = 60, 60, 8, 6, 3


def show(value: Any) -> str:
    """A short one-line repr of an untrusted value, for error messages (never huge or deep)."""
    return _SHOW.repr(value)


def file_label(path: str) -> str:
    """How an error names a file: as given, or as a repr if the name would break the line."""
    return path if path.isprintable() else repr(path)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json keeps the last of two equal keys silently; a file saying two things is damaged.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {show(key)}")
        result[key] = value
    return result


def parse_json(text: str | bytes, *, allow_nan: bool = False) -> Any:
    """Strict JSON from an untrusted file: no duplicate keys, no NaN/Infinity (unless
    ``allow_nan``: a training history may hold a NaN loss).

    Raises ``ValueError`` (also for UTF-8 errors and nesting too deep for the parser).
    """
    # Counting brackets (strings included, so an over-count) bounds the objects parsing makes.
    if text.count("{" if isinstance(text, str) else b"{") + text.count(
            "[" if isinstance(text, str) else b"[") > MAX_JSON_CONTAINERS:
        raise ValueError(f"more than {MAX_JSON_CONTAINERS:,} objects and lists")
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        return json.loads(text, object_pairs_hook=_unique_object,
                          parse_constant=float if allow_nan else _reject_constant)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except MemoryError:
        raise ValueError("too large to parse") from None
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ValueError(str(error).splitlines()[0] if str(error) else type(error).__name__) \
            from None


def _open_error(path: str, error: OSError) -> ModelFileError:
    name = file_label(path)
    if isinstance(error, FileNotFoundError):
        return ModelFileNotFoundError(f"{name}: no such file")
    if isinstance(error, IsADirectoryError):
        return ModelFileError(f"{name}: is a directory, not a file")
    return ModelFileError(f"{name}: cannot read the file ({error.strerror or error})")


def _kind(mode: int) -> str:
    for test, kind in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a pipe (FIFO)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "not a regular file"


def open_regular(path: str) -> BinaryIO:
    """Open an existing regular file for reading, or raise ``ModelFileError`` saying why not.

    Devices, pipes and directories are refused before reading (``/dev/zero`` never ends, a
    FIFO blocks); the check is repeated on the opened descriptor, which is opened without
    blocking, so swapping the file for a FIFO in between cannot hang the reader.
    """
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise ModelFileError(f"{file_label(path)}: is {_kind(mode)}, not a regular file")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as error:
        raise _open_error(path, error) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise ModelFileError(f"{file_label(path)}: is {_kind(mode)}, not a regular file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _ended_early(path: str) -> ModelFileError:
    # The file shrank after we measured it.
    return ModelFileError(f"{file_label(path)}: the file ended early (it changed while being "
                          f"read?)")


def _read_exactly(path: str, file: BinaryIO, count: int) -> bytes:
    data = file.read(count)
    if len(data) != count:
        raise _ended_early(path)
    return data


def _read_header(path: str, file: BinaryIO) -> tuple[dict, int, int]:
    """Read and check the length field and JSON header: (header, header length, data size).

    Reads only the header, whose length is checked against ``MAX_HEADER_BYTES`` and the real
    size of the open file first.
    """
    name, not_st = file_label(path), "not a safetensors file"
    size = os.fstat(file.fileno()).st_size
    if size < 8:
        raise ModelFileError(
            f"{name}: file is {size} bytes long, too short for a safetensors file (it "
            f"starts with an 8-byte header length){'; the file is empty' if not size else ''}")
    length = int.from_bytes(_read_exactly(path, file, 8), "little")
    if length > MAX_HEADER_BYTES:
        raise ModelFileError(f"{name}: header length field says {length:,} bytes, more than "
                             f"the {MAX_HEADER_BYTES:,} allowed; {not_st} or the file is damaged")
    if 8 + length > size:
        raise ModelFileError(
            f"{name}: header length field says {length:,} bytes but only {size - 8:,} "
            f"follow it; the file is truncated, or {not_st}")
    if length < 2:
        raise ModelFileError(f"{name}: header length field says {length} bytes; {not_st}")
    try:
        header = parse_json(_read_exactly(path, file, length))
    except ValueError as error:
        raise ModelFileError(f"{name}: header is not valid JSON ({error}); {not_st} or the "
                             f"file is damaged") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{name}: header is JSON but not an object; {not_st}")
    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict):
        raise ModelFileError(f"{name}: header '__metadata__' must map strings to strings, got "
                             f"{type(metadata).__name__}")
    for key, value in metadata.items():
        if not isinstance(value, str):
            raise ModelFileError(f"{name}: header '__metadata__' must map strings to strings; "
                                 f"{show(key)} is {type(value).__name__}")
    return header, length, size - 8 - length


@dataclass(frozen=True)
class TensorEntry:
    """One tensor as the header describes it (checked): byte range within the data section."""

    name: str
    dtype: np.dtype
    shape: tuple[int, ...]
    begin: int
    end: int


def _check_entries(path: str, header: dict, data_size: int) -> list[TensorEntry]:
    """Validate every tensor entry as safetensors does: known dtype, sane shape, a byte range
    inside the data that matches the shape, and ranges that tile the data exactly (no gaps,
    overlaps or trailing bytes)."""
    name = file_label(path)
    entries = []
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        where = f"{name}: tensor {show(key)}"
        if not isinstance(entry, dict):
            raise ModelFileError(f"{where}: header entry is not an object")
        unknown = [k for k in entry if k not in ("dtype", "shape", "data_offsets")]
        if unknown:
            raise ModelFileError(f"{where}: unexpected header field(s) "
                                 f"{', '.join(map(show, unknown))}")
        dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
        if not isinstance(dtype, str) or dtype not in _DTYPE_SIZES:
            raise ModelFileError(f"{where}: dtype {show(dtype)} is not one NumPy can load "
                                 f"(expected one of {', '.join(_DTYPE_SIZES)})")
        if not (isinstance(shape, list) and len(shape) <= MAX_DIMS
                and all(type(d) is int and d >= 0 for d in shape)):
            raise ModelFileError(f"{where}: shape {show(shape)} is not a list of at most "
                                 f"{MAX_DIMS} non-negative ints")
        if math.prod(d for d in shape if d) * _DTYPE_SIZES[dtype] >= _MAX_ARRAY_BYTES:
            raise ModelFileError(f"{where}: shape {show(shape)} is too large for any array")
        if not (isinstance(offsets, list) and len(offsets) == 2
                and all(type(o) is int for o in offsets)):
            raise ModelFileError(f"{where}: data_offsets {show(offsets)} is not a pair of ints")
        begin, end = offsets
        if not 0 <= begin <= end <= data_size:
            raise ModelFileError(
                f"{where}: data_offsets [{show(begin)}, {show(end)}] lie outside the "
                f"{data_size:,} bytes of data in the file; the file is truncated or damaged")
        expected = math.prod(shape) * _DTYPE_SIZES[dtype]
        if end - begin != expected:
            raise ModelFileError(
                f"{where}: shape {show(shape)} of {dtype} needs {expected:,} bytes but "
                f"data_offsets span {end - begin:,}")
        entries.append(TensorEntry(key, np.dtype(_NUMPY_DTYPES[dtype]), tuple(shape), begin,
                                   end))
    covered, previous = 0, None
    for entry in sorted(entries, key=lambda e: (e.begin, e.end)):
        if entry.begin != covered:
            problem = (f"tensors {show(previous.name)} and {show(entry.name)} overlap"
                       if previous is not None and entry.begin < covered else
                       f"{entry.begin - covered:,} bytes before tensor {show(entry.name)} "
                       f"belong to no tensor")
            raise ModelFileError(f"{name}: not a valid safetensors file: {problem}")
        covered, previous = entry.end, entry
    if covered != data_size:
        raise ModelFileError(f"{name}: not a valid safetensors file: {data_size - covered:,} "
                             f"trailing bytes after the last tensor's data")
    return entries


def read_tensor_metadata(path: PathLike) -> dict[str, str]:
    """The ``__metadata__`` strings of a safetensors file, reading only its header."""
    path = os.fspath(path)
    with open_regular(path) as file:
        header, _, _ = _read_header(path, file)
    return dict(header.get("__metadata__", {}))


def read_tensors(path: PathLike,
                 check: Callable[[list[TensorEntry], dict[str, str]], None] | None = None,
                 ) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """``load_tensors`` with a hook: ``check(entries, metadata)`` runs after the header is
    validated and before any tensor data is read, so a caller can refuse a file cheaply."""
    path = os.fspath(path)
    with open_regular(path) as file:
        header, length, data_size = _read_header(path, file)
        entries = _check_entries(path, header, data_size)
        metadata = dict(header.get("__metadata__", {}))
        if check is not None:
            check(entries, metadata)
        tensors = {}
        for entry in entries:  # header order; sizes are bounded by the file's real size
            array = np.empty(entry.shape, dtype=entry.dtype)
            if entry.end > entry.begin:
                file.seek(8 + length + entry.begin)
                if file.readinto(array.reshape(-1).view(np.uint8)) != entry.end - entry.begin:
                    raise _ended_early(path)
                if array.dtype == bool:  # a byte other than 0 or 1 would be an invalid bool
                    array = array.view(np.uint8) != 0
            tensors[entry.name] = array
    return tensors, metadata


def load_tensors(path: PathLike) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Read a safetensors file: (arrays by name, metadata strings).

    Raises ``ModelFileError`` naming the file and the problem if it is missing, not a regular
    file, truncated or not a valid safetensors file. Reads only what the validated header
    describes, so memory use is bounded by the file's real size.
    """
    return read_tensors(path)
