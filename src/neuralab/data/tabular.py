"""The user's own tables: ``.csv`` (header row) or ``.npz`` (arrays ``x`` and ``y``).

Every bad file raises one ``ValueError`` whose one-line message starts with the file's path and
names the column and 1-based line (CSV) or the array and row (NPZ). A missing file raises
``TableNotFoundError``, both a ``FileNotFoundError`` (what Python code expects) and a
``ValueError`` (the loader's one error type).

Refused: a path that is not a regular file (a directory, a FIFO: reading one would hang) or
cannot be read; an empty file; bytes that are not UTF-8, or NUL bytes; a header without data
rows; a row with more or fewer fields than the header; a feature that is not a number or not
finite once stored as float32 (``nan``, ``inf``, ``1e400``, ``1e39``); a label that is not an
integer ``>= 0`` (or a string: string labels become classes in sorted order); fewer than
``min_classes`` (2) distinct classes; in an NPZ, object arrays (they need pickle), non-numeric or
complex ``x`` (bool counts as 0/1), ``x`` with more than 4 dimensions or a zero-size one, ``y``
that is not 1-D, and a ``classes`` array that does not name every label.

Limits (module constants; a caller may raise them):

- ``MAX_CLASSES`` = 10,000. Integer labels must be below it and string labels may take at most
  that many distinct values. Training builds one output per class ``0..max(label)`` and
  evaluation a classes x classes confusion matrix (800 MB of int64 at the limit), so an id
  column picked as the target (labels like 10**9) must stop here.
- ``MAX_RECORD_CHARS`` = 4 Mi characters per CSV record (and the csv module's 131,072 per
  field): Python's csv module makes an object per field, so an unbounded record could cost tens
  of bytes of memory per byte of file. Feature cells are converted a block at a time into one
  float32 array, so the features take at most twice the file's size (each value is at least 2
  bytes of text, "1,") and the peak while loading is about 2.5x (the list-of-rows loader this
  replaced peaked at 25x).
- ``MAX_NPZ_BYTES`` = 4 GiB: the total size that arrays ``x``, ``y`` and ``classes`` declare in
  their .npy headers, checked before anything is decompressed, so a zip bomb is refused at once.
"""

from __future__ import annotations

import csv
import math
import os
import re
import struct
import zipfile
import zlib
from array import array
from collections import Counter
from pathlib import Path

import numpy as np

from ..io.files import ModelFileError, ModelFileNotFoundError, open_regular
from .dataset import TensorDataset

__all__ = ["MAX_CLASSES", "MAX_NPZ_BYTES", "MAX_RECORD_CHARS", "TableNotFoundError", "load_table"]

MAX_CLASSES = 10_000
MAX_RECORD_CHARS = 4 * 2**20
MAX_NPZ_BYTES = 4 * 2**30

_BLOCK_VALUES = 2**16  # CSV feature cells converted per NumPy call
_BAD_TEXT = re.compile("[\x00\udc80-\udcff]")  # NUL, or a byte that was not UTF-8 (escaped)
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_ERRORS: tuple[type[BaseException], ...] = (
    OSError, EOFError, ValueError, RuntimeError, NotImplementedError, zipfile.BadZipFile,
    zlib.error, struct.error,  # RuntimeError: an encrypted member; NotImplementedError: method
)
try:
    import lzma

    _ZIP_ERRORS += (lzma.LZMAError,)
except ImportError:  # pragma: no cover - Python built without lzma
    pass


class TableNotFoundError(FileNotFoundError, ValueError):
    """The table file does not exist (a ``ValueError`` too, like every bad-file error here)."""


def load_table(
    path: str | os.PathLike, target: str = "label", *, min_classes: int = 2
) -> TensorDataset:
    """Load features x (float32, finite) and class labels y (int64) from a ``.csv`` or ``.npz``.

    CSV: a header row; the ``target`` column holds the labels, every other column must be
    numeric. NPZ: arrays ``x`` and ``y`` (and optionally ``classes``, naming labels 0, 1, ...).
    Labels that are strings map to the indices of their sorted unique values, named in
    ``.classes``. A data set with fewer than ``min_classes`` classes is refused (a classifier
    needs two). Raises ``ValueError`` naming the file and the column and 1-based line, or the
    array and row; see the module docstring for what is refused and the size limits.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".npz"):
        raise ValueError(f"{path}: unsupported file type {suffix!r}; use .csv or .npz")
    try:  # the model files' check: a regular file we may read (a FIFO would hang the reader)
        with open_regular(os.fspath(path)) as file:
            size = os.fstat(file.fileno()).st_size
    except ModelFileNotFoundError:
        raise TableNotFoundError(f"{path}: no such file") from None
    except ModelFileError as err:  # a directory, a pipe, a device, no permission
        raise ValueError(str(err)) from None
    if size == 0:
        raise ValueError(f"{path}: the file is empty")
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is checked, not warned
            if suffix == ".csv":
                x, y, classes = _load_csv(path, target)
            else:
                x, y, classes = _load_npz(path)
    except MemoryError:
        raise ValueError(f"{path}: too large to load into this process's memory") from None
    _check_class_count(path, y, classes, min_classes)
    return TensorDataset(x, y, classes=classes)


def _check_class_count(
    path: Path, y: np.ndarray, classes: list[str] | None, min_classes: int
) -> None:
    counts = np.bincount(y)  # labels are bounded by MAX_CLASSES, so this is small
    present = np.flatnonzero(counts)
    if len(present) < min_classes:
        names = [classes[i] if classes else str(i) for i in present]
        found = f"only one class ({names[0]!r})" if len(names) == 1 else f"only classes {names}"
        raise ValueError(
            f"{path}: {found} in all {len(y)} rows; a classifier needs at least {min_classes} "
            "classes"
        )


def _show(text: str) -> str:
    """``repr`` of a cell, shortened so that the error stays one readable line."""
    return repr(text) if len(text) <= 40 else f"{text[:30]!r}... ({len(text):,} characters)"


def _column(header: list[str], i: int) -> str:
    return f"column {header[i]!r}" if header[i] else f"column {i + 1} (unnamed)"


# ---------------------------------------------------------------------------------------- CSV


class _Lines:
    """A text file's physical lines for ``csv.reader``: refuses NUL, non-UTF-8 bytes and a
    record over ``MAX_RECORD_CHARS``, and counts lines (1-based) for error messages."""

    def __init__(self, file, path: Path) -> None:
        self.file, self.path = file, path
        self.line = 0
        self.record_chars = 0  # the caller resets it after each record

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        text = self.file.readline(MAX_RECORD_CHARS + 1)  # never more than one bounded line
        if not text:
            raise StopIteration
        self.line += 1
        self.record_chars += len(text)
        if self.record_chars > MAX_RECORD_CHARS:
            raise ValueError(
                f"{self.path}, line {self.line}: a record longer than {MAX_RECORD_CHARS:,} "
                "characters (the limit MAX_RECORD_CHARS); not a table of numbers?"
            )
        bad = _BAD_TEXT.search(text)
        if bad:
            what = ("a NUL byte" if bad.group() == "\x00"
                    else f"the byte 0x{ord(bad.group()) - 0xDC00:02X}, which is not UTF-8 text")
            raise ValueError(f"{self.path}, line {self.line}: {what}; save the table as UTF-8 "
                             "CSV text")
        return text


def _load_csv(path: Path, target: str) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    try:  # surrogateescape: a bad byte becomes a marker that _Lines reports with its line
        file = open(path, newline="", encoding="utf-8-sig", errors="surrogateescape")
    except OSError as err:
        raise ValueError(f"{path}: cannot read the file ({err.strerror or err})") from None
    with file:
        lines = _Lines(file, path)
        try:
            return _parse_csv(csv.reader(lines), lines, path, target)
        except csv.Error as err:  # e.g. "field larger than field limit (131072)"
            raise ValueError(f"{path}, line {lines.line}: not valid CSV ({err})") from None
        except OSError as err:
            raise ValueError(f"{path}, line {lines.line}: cannot read the file "
                             f"({err.strerror or err})") from None


def _parse_header(reader, path: Path, target: str) -> list[str]:
    header = next(reader, None)
    if header is None or not any(name.strip() for name in header):
        raise ValueError(f"{path}: the file is empty (no header row)")
    header = [name.strip() for name in header]
    duplicates = sorted(name for name, count in Counter(header).items() if count > 1)
    if duplicates:
        raise ValueError(f"{path}: duplicate column names in the header: {duplicates[:10]}")
    if target not in header:
        hint = [name for name in header if name.lower() == target.strip().lower()]
        shown = f"{header[:10]}" + (f" and {len(header) - 10:,} more" if len(header) > 10 else "")
        message = f"{path}: no target column {target!r}; available columns: {shown}"
        if hint:
            message += f" (did you mean {hint[0]!r}?)"
        elif len(header) == 1 and re.search("[;\t|]", header[0]):
            message += " (fields must be separated by commas)"
        raise ValueError(message)
    if len(header) == 1:
        raise ValueError(f"{path}: only the target column {target!r}; no feature columns")
    return header


class _Features:
    """Feature rows gathered as text, converted and checked a block at a time (one NumPy call
    per block, not per row), into a float32 array that grows in place (``ndarray.resize``
    reallocates; large blocks move without a copy)."""

    def __init__(self, path: Path, header: list[str], t: int) -> None:
        self.path, self.header, self.t = path, header, t
        self.width = len(header) - 1
        self.block_rows = max(1, _BLOCK_VALUES // self.width)
        self.cells: list[str] = []  # the pending rows' feature cells, row after row
        self.lines: list[int] = []  # the pending rows' line numbers
        self.x = np.empty((self.block_rows, self.width), np.float32)
        self.rows = 0

    def add(self, cells: list[str], line: int) -> None:
        self.cells.extend(cells)
        self.lines.append(line)
        if len(self.lines) == self.block_rows:
            self.flush()

    def flush(self) -> None:
        """Convert the pending rows; raise for the first bad cell, naming its line."""
        k = len(self.lines)
        if not k:
            return
        try:  # float() strips spaces and reads 1e400 as inf; float32 overflow gives inf too
            values = np.fromiter(map(float, self.cells), np.float32, count=len(self.cells))
        except ValueError:
            values = None
        if values is None or not np.isfinite(values).all():
            for i, line in enumerate(self.lines):
                row = self.cells[i * self.width:(i + 1) * self.width]
                _check_features(self.path, line, self.header, self.t, row)
        if self.rows + k > len(self.x):
            self.x.resize((max(self.rows + k, len(self.x) * 3 // 2), self.width), refcheck=False)
        self.x[self.rows:self.rows + k] = values.reshape(k, self.width)
        self.rows += k
        self.cells.clear()
        self.lines.clear()

    def array(self) -> np.ndarray:
        self.flush()
        self.x.resize((self.rows, self.width), refcheck=False)
        return self.x


def _parse_csv(
    reader, lines: _Lines, path: Path, target: str
) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    header = _parse_header(reader, path, target)
    t = header.index(target)
    features = _Features(path, header, t)
    codes = array("i")  # per row, an index into `spellings`; decoded at the end
    spellings: dict[str, int] = {}  # label text -> code, in order of first appearance
    first_lines: list[int] = []  # the line where each label text first appears
    lines.record_chars = 0
    for row in reader:
        lines.record_chars = 0
        line = lines.line
        if not row or (not row[0].strip() and not any(cell.strip() for cell in row)):
            continue  # blank line
        if len(row) != len(header):
            features.flush()  # an earlier line's bad value is reported first
            raise ValueError(f"{path}, line {line}: expected {len(header)} fields as in the "
                             f"header, found {len(row)}")
        label = row.pop(t).strip()
        if not label:
            features.flush()
            raise ValueError(f"{path}, line {line}, column {target!r}: empty label")
        code = spellings.get(label)
        if code is None:
            if len(spellings) == MAX_CLASSES:
                features.flush()
                raise ValueError(
                    f"{path}, line {line}, column {target!r}: more than {MAX_CLASSES:,} "
                    f"distinct labels (the limit MAX_CLASSES); is {target!r} an id column?"
                )
            code = spellings[label] = len(spellings)
            first_lines.append(line)
        features.add(row, line)
        codes.append(code)
    x = features.array()
    if len(x) == 0:
        raise ValueError(f"{path}: a header but no data rows")
    lookup, classes = _encode_labels(list(spellings), first_lines, path, target)
    return x, lookup[np.frombuffer(codes, np.int32)], classes


def _check_features(path: Path, line: int, header: list[str], t: int, row: list[str]) -> None:
    """Raise for the first feature cell of ``row`` (target removed) that is not a finite
    float32 number."""
    for j, cell in enumerate(row):
        where = f"{path}, line {line}, {_column(header, j if j < t else j + 1)}"
        try:
            value = float(cell)
        except ValueError:
            what = "an empty value" if not cell.strip() else _show(cell.strip())
            raise ValueError(f"{where}: cannot read {what} as a number") from None
        if not math.isfinite(value):
            raise ValueError(f"{where}: {_show(cell.strip())} is not a finite number")
        if not np.isfinite(np.float32(value)):
            raise ValueError(f"{where}: {_show(cell.strip())} overflows float32 (largest "
                             f"{float(np.finfo(np.float32).max):.6g})")


def _encode_labels(
    names: list[str], first_lines: list[int], path: Path, target: str
) -> tuple[np.ndarray, list[str] | None]:
    """Map each distinct label text to a class index: integers as themselves, or (when any
    label is not a number) strings to their rank in sorted order."""
    try:
        numbers = [float(name) for name in names]
    except ValueError:
        classes = sorted(names)
        rank = {name: i for i, name in enumerate(classes)}
        return np.array([rank[name] for name in names], dtype=np.int64), classes
    for name, number, line in zip(names, numbers, first_lines, strict=True):
        where = f"{path}, line {line}, column {target!r}"
        if not number.is_integer() or number < 0:  # nan and inf are not integers
            raise ValueError(f"{where}: {_show(name)} is not a class label (expected integers "
                             ">= 0 or strings)")
        if number >= MAX_CLASSES:
            raise ValueError(f"{where}: class label {_show(name)} is too large; labels must be "
                             f"below {MAX_CLASSES:,} (the limit MAX_CLASSES: one output per "
                             "class 0..max)")
    return np.array(numbers, dtype=np.int64), None


# ---------------------------------------------------------------------------------------- NPZ


def _load_npz(path: Path) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    try:
        with open(path, "rb") as file:
            head = file.read(len(_NPY_MAGIC))
    except OSError as err:
        raise ValueError(f"{path}: cannot read the file ({err.strerror or err})") from None
    try:
        archive = zipfile.ZipFile(path)
    except _ZIP_ERRORS as err:
        if head == _NPY_MAGIC:
            raise ValueError(f"{path}: a single .npy array, not an .npz archive; save with "
                             "np.savez(path, x=features, y=labels)") from None
        raise ValueError(f"{path}: not a readable .npz file ({err})") from None
    with archive:
        members = {}
        for name in archive.namelist():
            members.setdefault(name[:-4] if name.endswith(".npy") else name, name)
        missing = [key for key in ("x", "y") if key not in members]
        if missing:
            held = list(members)
            raise ValueError(
                f"{path}: missing array(s) {missing}; it holds {held[:10]}"
                + (f" and {len(held) - 10:,} more" if len(held) > 10 else "")
                + " (save with np.savez(path, x=features, y=labels))"
            )
        keys = [key for key in ("x", "y", "classes") if key in members]
        headers = {key: _npy_header(archive, members[key], path, key) for key in keys}
        _check_headers(path, headers)
        arrays = {key: _read_member(archive, members[key], path, key) for key in keys}
    x = _features(path, arrays["x"])
    y, classes = _labels(path, arrays["y"], arrays.get("classes"))
    return x, y, classes


def _npy_header(
    archive: zipfile.ZipFile, member: str, path: Path, key: str
) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype from a member's .npy header, reading only the header."""
    try:
        with archive.open(member) as file:
            version = np.lib.format.read_magic(file)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(file)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(file)
            else:  # 3.0 exists only for structured dtypes with non-Latin-1 names
                raise ValueError(f"unsupported .npy format version {version}")
    except _ZIP_ERRORS as err:
        raise ValueError(f"{path}: array {key!r} is not a readable .npy member ({err})") from None
    if any(size < 0 for size in shape):
        raise ValueError(f"{path}: array {key!r} declares a negative shape {shape}")
    return shape, dtype


def _check_headers(path: Path, headers: dict[str, tuple[tuple[int, ...], np.dtype]]) -> None:
    """Refuse by shape and dtype alone, before decompressing anything."""
    for key, (_, dtype) in headers.items():
        if dtype.hasobject:
            raise ValueError(f"{path}: array {key!r} holds Python objects (dtype {dtype}), "
                             "which would need pickle; refused for safety")
    total = sum(math.prod(shape) * dtype.itemsize for shape, dtype in headers.values())
    if total > MAX_NPZ_BYTES:
        sizes = {key: f"{dtype}{list(shape)}" for key, (shape, dtype) in headers.items()}
        raise ValueError(f"{path}: its arrays {sizes} would take {total / 2**30:,.1f} GiB, "
                         f"over the limit of {MAX_NPZ_BYTES / 2**30:g} GiB (MAX_NPZ_BYTES)")
    (x_shape, x_dtype), (y_shape, y_dtype) = headers["x"], headers["y"]
    if x_dtype.kind not in "biuf":
        raise ValueError(f"{path}: array 'x' must hold numbers (bool, int or float), got dtype "
                         f"{x_dtype}")
    if not 1 <= len(x_shape) <= 4:
        raise ValueError(f"{path}: array 'x' must have 1 to 4 dimensions (examples first, "
                         f"e.g. (N, features) or (N, C, H, W)), got shape {x_shape}")
    if x_shape[0] == 0:
        raise ValueError(f"{path}: array 'x' has no examples (shape {x_shape})")
    if 0 in x_shape:
        raise ValueError(f"{path}: array 'x' has a zero-size dimension (shape {x_shape})")
    if len(y_shape) != 1:
        raise ValueError(f"{path}: array 'y' must be 1-D, got shape {y_shape}")
    if y_dtype.kind not in "biufUS":
        raise ValueError(f"{path}: array 'y' must hold integers or strings, got dtype {y_dtype}")
    if x_shape[0] != y_shape[0]:
        raise ValueError(f"{path}: 'x' has {x_shape[0]} rows but 'y' has {y_shape[0]} labels")
    if "classes" in headers:
        shape, dtype = headers["classes"]
        if len(shape) != 1 or dtype.kind not in "biufUS":
            raise ValueError(f"{path}: array 'classes' must be 1-D names, got dtype {dtype} "
                             f"shape {shape}")
        if shape[0] > MAX_CLASSES:
            raise ValueError(f"{path}: array 'classes' names {shape[0]:,} classes, over the "
                             f"limit of {MAX_CLASSES:,} (MAX_CLASSES)")


def _read_member(archive: zipfile.ZipFile, member: str, path: Path, key: str) -> np.ndarray:
    try:
        with archive.open(member) as file:
            return np.lib.format.read_array(file, allow_pickle=False)
    except MemoryError:
        raise
    except _ZIP_ERRORS as err:
        raise ValueError(f"{path}: array {key!r} is damaged or truncated ({err})") from None


def _at(index: tuple[int, ...]) -> str:
    return f"row {index[0] + 1} (index [{', '.join(str(int(i)) for i in index)}])"


def _features(path: Path, x: np.ndarray) -> np.ndarray:
    x32 = x.astype(np.float32)  # errstate: float64 beyond float32's range becomes inf
    finite = np.isfinite(x32)
    if not finite.all():
        index = np.unravel_index(int(np.argmin(finite)), x.shape)
        value = x[index]
        why = "overflows float32" if np.isfinite(value) else "is not a finite number"
        raise ValueError(f"{path}: array 'x' at {_at(index)} holds {value}, which {why}; "
                         "features must be finite")
    return x32.reshape(-1, 1) if x32.ndim == 1 else x32


def _name(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _labels(
    path: Path, y: np.ndarray, names: np.ndarray | None
) -> tuple[np.ndarray, list[str] | None]:
    classes = [_name(c) for c in names.tolist()] if names is not None else None
    if y.dtype.kind in "US":
        strings, inverse = np.unique(y, return_inverse=True)
        found = [_name(s) for s in strings.tolist()]
        if classes is None:
            if len(found) > MAX_CLASSES:
                raise ValueError(f"{path}: array 'y' holds {len(found):,} distinct labels, over "
                                 f"the limit of {MAX_CLASSES:,} (MAX_CLASSES)")
            return inverse.reshape(-1).astype(np.int64), found
        rank = {name: i for i, name in enumerate(classes)}
        unknown = [name for name in found if name not in rank]
        if unknown:
            row = int(np.flatnonzero(inverse.reshape(-1) == found.index(unknown[0]))[0])
            raise ValueError(f"{path}: array 'y' at row {row + 1} holds {unknown[0]!r}, which is "
                             "not in array 'classes'")
        lookup = np.array([rank[name] for name in found], dtype=np.int64)
        return lookup[inverse.reshape(-1)], classes
    if y.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(y) | (y != np.round(y)) | (y < 0))
        if bad.size:
            raise ValueError(f"{path}: 'y' holds non-class value {y[bad[0]]} at row "
                             f"{bad[0] + 1}; labels must be integers >= 0")
    elif y.dtype.kind in "iu":
        bad = np.flatnonzero(y < 0)
        if bad.size:
            raise ValueError(f"{path}: 'y' holds negative label {y[bad[0]]} at row {bad[0] + 1}")
    limit = MAX_CLASSES if classes is None else len(classes)
    bad = np.flatnonzero(y >= limit)
    if bad.size:
        why = (f"labels must be below {MAX_CLASSES:,} (the limit MAX_CLASSES)" if classes is None
               else f"array 'classes' names only {len(classes)} classes (labels 0 to "
                    f"{len(classes) - 1})")
        raise ValueError(f"{path}: 'y' holds label {y[bad[0]]} at row {bad[0] + 1}; {why}")
    return y.astype(np.int64), classes
