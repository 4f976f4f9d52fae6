"""The user's own tables: ``.csv`` (header row) or ``.npz`` (arrays ``x`` and ``y``)."""

from __future__ import annotations

import csv
import os
import zipfile
from pathlib import Path

import numpy as np

from .dataset import TensorDataset

__all__ = ["load_table"]


def load_table(path: str | os.PathLike, target: str = "label") -> TensorDataset:
    """Load features x (float32) and class labels y (int64) from a ``.csv`` or ``.npz`` file.

    CSV: a header row; the ``target`` column holds the labels, every other column must be
    numeric. NPZ: arrays ``x`` and ``y`` (and optionally ``classes``). Labels that are
    strings are mapped to the indices of their sorted unique values, named in ``.classes``.
    Errors name the file and the offending column or (1-based) line.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".npz"):
        raise ValueError(f"{path}: unsupported file type {suffix!r}; use .csv or .npz")
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: the file is empty")
    return _load_csv(path, target) if suffix == ".csv" else _load_npz(path)


def _load_csv(path: Path, target: str) -> TensorDataset:
    with open(path, newline="", encoding="utf-8-sig") as file:
        reader = csv.reader(file)
        header = next(reader, None)
        if header is None or not any(name.strip() for name in header):
            raise ValueError(f"{path}: the file is empty (no header row)")
        header = [name.strip() for name in header]
        duplicates = sorted({name for name in header if header.count(name) > 1})
        if duplicates:
            raise ValueError(f"{path}: duplicate column names in the header: {duplicates}")
        if target not in header:
            raise ValueError(
                f"{path}: no target column {target!r}; available columns: {header}"
            )
        if len(header) == 1:
            raise ValueError(f"{path}: only the target column {target!r}; no feature columns")
        t = header.index(target)
        features = [i for i in range(len(header)) if i != t]
        rows: list[list[float]] = []
        labels: list[str] = []
        lines: list[int] = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # blank line
            line = reader.line_num
            if len(row) != len(header):
                raise ValueError(
                    f"{path}, line {line}: expected {len(header)} fields as in the header, "
                    f"found {len(row)}"
                )
            values = []
            for i in features:
                cell = row[i].strip()
                try:
                    values.append(float(cell))
                except ValueError:
                    what = "an empty value" if not cell else f"{cell!r}"
                    raise ValueError(
                        f"{path}, line {line}, column {header[i]!r}: cannot read {what} "
                        "as a number"
                    ) from None
            label = row[t].strip()
            if not label:
                raise ValueError(f"{path}, line {line}, column {target!r}: empty label")
            rows.append(values)
            labels.append(label)
            lines.append(line)
    if not rows:
        raise ValueError(f"{path}: a header but no data rows")
    y, classes = _encode_csv_labels(labels, lines, path, target)
    return TensorDataset(np.array(rows, dtype=np.float32), y, classes=classes)


def _encode_csv_labels(
    labels: list[str], lines: list[int], path: Path, target: str
) -> tuple[np.ndarray, list[str] | None]:
    try:
        numbers = [float(label) for label in labels]
    except ValueError:
        classes = sorted(set(labels))
        index = {name: i for i, name in enumerate(classes)}
        return np.array([index[label] for label in labels], dtype=np.int64), classes
    for number, label, line in zip(numbers, labels, lines, strict=True):
        if not number.is_integer() or number < 0:
            raise ValueError(
                f"{path}, line {line}, column {target!r}: {label!r} is not a class label "
                "(expected integers >= 0 or strings)"
            )
    return np.array(numbers, dtype=np.int64), None


def _load_npz(path: Path) -> TensorDataset:
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        raise ValueError(f"{path}: not a readable .npz file ({err})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"{path}: not an .npz archive (a single .npy array?)")
    with archive:
        missing = [key for key in ("x", "y") if key not in archive.files]
        if missing:
            raise ValueError(
                f"{path}: missing array(s) {missing}; it holds {archive.files} "
                "(save with np.savez(path, x=features, y=labels))"
            )
        try:
            x, y = archive["x"], archive["y"]
            names = archive["classes"] if "classes" in archive.files else None
        except ValueError as err:  # object arrays need pickle, which we refuse
            raise ValueError(f"{path}: cannot read arrays ({err})") from None
    if x.dtype.kind not in "biuf" or x.ndim == 0:
        raise ValueError(f"{path}: array 'x' must be numeric with a first dimension, got "
                         f"dtype {x.dtype} shape {x.shape}")
    if y.ndim != 1:
        raise ValueError(f"{path}: array 'y' must be 1-D, got shape {y.shape}")
    if len(x) != len(y):
        raise ValueError(f"{path}: 'x' has {len(x)} rows but 'y' has {len(y)} labels")
    x = x.reshape(-1, 1) if x.ndim == 1 else x
    classes = [str(c) for c in names.tolist()] if names is not None else None
    if y.dtype.kind in "US":
        strings, y = np.unique(y, return_inverse=True)
        classes = [str(s) for s in strings.tolist()]
    elif y.dtype.kind == "f":
        bad = np.flatnonzero((y != np.round(y)) | (y < 0))
        if bad.size:
            raise ValueError(f"{path}: 'y' holds non-class value {y[bad[0]]} at row {bad[0] + 1}")
    elif y.dtype.kind in "iu":
        bad = np.flatnonzero(y < 0)
        if bad.size:
            raise ValueError(f"{path}: 'y' holds negative label {y[bad[0]]} at row {bad[0] + 1}")
    elif y.dtype.kind != "b":
        raise ValueError(f"{path}: array 'y' must hold integers or strings, got dtype {y.dtype}")
    return TensorDataset(x.astype(np.float32), y.astype(np.int64), classes=classes)
