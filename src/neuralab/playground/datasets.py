"""The playground's 2-D data: TensorFlow Playground's data sets, input features, user points.

Every point lives in the square [-DOMAIN, DOMAIN]² = [-6, 6]². The data sets follow TensorFlow
Playground's ``src/dataset.ts`` (TF labels +1 → class 1, blue; -1 → class 0, orange), with
``noise`` in [0, 0.5] as there (the page's 0..50 %):

- ``circle``: half the points at radius r ~ U(0, 2.5), half in the ring r ~ U(3.5, 5), angle
  ~ U(0, 2π); label 1 iff |p + ε| < 2.5 with ε ~ U(-5, 5)²·noise (the point itself stays put).
- ``xor``: x1, x2 ~ U(-5, 5) pushed 0.3 away from each axis; label 1 iff (x1+ε1)(x2+ε2) ≥ 0,
  ε ~ U(-5, 5)²·noise.
- ``gauss``: two Gaussians, class 1 at (2, 2), class 0 at (-2, -2), each coordinate's variance
  0.5 + 7·noise (TF's 0.5..4).
- ``spiral``: arm k (k = 0..K-1) has points i = 0..m-1 at r = 5·i/m, t = 1.75·2π·i/m + Δₖ,
  p = r·(sin t, cos t) + U(-1, 1)²·noise, Δₖ = 2π(k-1)/K — for K = 2 that is TF's blue arm
  (Δ = 0) as class 1 and its orange arm (Δ = π) as class 0.
- ``blobs`` (new): K Gaussians centred on the circle of radius 4 at angles 5π/4 + 2πk/K (K = 2
  puts them on the diagonal like ``gauss``), the variance as in ``gauss``.
- ``plane``: p ~ U(-6, 6)², value clip((x1+ε1 + x2+ε2)/10, -1, 1), ε ~ U(-6, 6)²·noise (TF's
  scale [-10, 10] → [-1, 1]; clipped because |x1 + x2| reaches 12 in the corners).
- ``multigauss``: p ~ U(-6, 6)²; six bumps sₖ·clip(1 - |p+ε - cₖ|/2, 0, 1) at (±4 or 0, ±2.5)
  with alternating signs sₖ; the value is the bump largest in absolute value (first on ties).

Exactly n points: the class-balanced sets (circle, gauss, spiral, blobs) give class k
n//K + (k < n mod K) points (for circle that is the inner/outer split; its labels can differ
from it when noise > 0). Gaussian points falling outside the domain are redrawn, so every point
is inside it. Points come grouped by generation group; ``split`` shuffles.
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import re
from collections.abc import Sequence

import numpy as np

__all__ = [
    "CLASSIFICATION_SETS", "DOMAIN", "FEATURES", "FEATURE_LABELS", "MAX_CLASSES",
    "MAX_CSV_BYTES", "MAX_POINTS", "REGRESSION_SETS", "PointsError", "featurize", "generate",
    "parse_csv", "parse_points", "split",
]

DOMAIN = 6.0
MAX_POINTS = 2000
MAX_CLASSES = 8
MAX_CSV_BYTES = 256 * 1024
MIN_USER_POINTS = 4
MAX_NOISE = 0.5
CLASSIFICATION_SETS = ("circle", "xor", "gauss", "spiral", "blobs")
REGRESSION_SETS = ("plane", "multigauss")
FEATURES = ("x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2")
FEATURE_LABELS = {"x1": "x₁", "x2": "x₂", "x1sq": "x₁²", "x2sq": "x₂²", "x1x2": "x₁x₂",
                  "sinx1": "sin(x₁)", "sinx2": "sin(x₂)"}
PROBLEMS = ("classification", "regression")

# Sets whose class count is a parameter; every other set has exactly two classes (or none).
_MULTICLASS_SETS = ("spiral", "blobs")
# TF's regressGaussian bumps: centre x, centre y, sign.
_BUMPS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1],
                   [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]], dtype=np.float64)
# Redraw rounds for Gaussian points outside the domain; each round keeps a point with
# probability ≥ P(|z| < 2) ≈ 0.95 per coordinate, so 100 rounds leave none in practice.
_REDRAW_ROUNDS = 100


class PointsError(ValueError):
    """Bad user points or CSV text; the one-line message names the row or line."""


# ---------------------------------------------------------------------------- generation


def _check_int(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name}: expected an integer in [{low}, {high}], got {value!r}")
    if not low <= int(value) <= high:
        raise ValueError(f"{name}: expected an integer in [{low}, {high}], got {int(value)}")
    return int(value)


def _group_sizes(n: int, k: int) -> list[int]:
    """n split into k near-equal groups: n//k each, the first n mod k one more."""
    return [n // k + (i < n % k) for i in range(k)]


def _label_noise(rng: np.random.Generator, m: int, half: float, noise: float) -> np.ndarray:
    """TF's label noise: each coordinate U(-half, half)·noise."""
    return rng.uniform(-half, half, size=(m, 2)) * noise


def _gauss_in_domain(rng: np.random.Generator, center: np.ndarray, std: float,
                     m: int) -> np.ndarray:
    """m points ~ N(center, std²·I) conditioned on lying inside the domain (redrawn if not)."""
    pts = rng.normal(center, std, size=(m, 2))
    for _ in range(_REDRAW_ROUNDS):
        out = np.any(np.abs(pts) > DOMAIN, axis=1)
        if not out.any():
            return pts
        pts[out] = rng.normal(center, std, size=(int(out.sum()), 2))
    return np.clip(pts, -DOMAIN, DOMAIN)  # unreachable in practice; keeps the promise anyway


def _gauss_variance(noise: float) -> float:
    """TF's variance scale: noise 0 → 0.5, noise 0.5 → 4 (linear)."""
    return 0.5 + noise * (4.0 - 0.5) / MAX_NOISE


def _circle(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    radius = 5.0
    parts = []
    # class 0 (TF's -1) in the ring first, then class 1 (+1) inside, as the group sizes go
    for m, (r_lo, r_hi) in zip(_group_sizes(n, 2), [(0.7 * radius, radius), (0.0, 0.5 * radius)]):
        r = rng.uniform(r_lo, r_hi, size=m)
        angle = rng.uniform(0.0, 2 * math.pi, size=m)
        parts.append(np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1))
    pts = np.concatenate(parts)
    shifted = pts + _label_noise(rng, n, radius, noise)
    labels = (np.hypot(shifted[:, 0], shifted[:, 1]) < 0.5 * radius).astype(np.int64)
    return pts, labels


def _xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    pts = rng.uniform(-5.0, 5.0, size=(n, 2))
    pts += np.where(pts > 0, 0.3, -0.3)  # TF's padding keeps points off the axes
    shifted = pts + _label_noise(rng, n, 5.0, noise)
    labels = (shifted[:, 0] * shifted[:, 1] >= 0).astype(np.int64)
    return pts, labels


def _gaussians(centers: np.ndarray, n: int, noise: float,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    std = math.sqrt(_gauss_variance(noise))
    sizes = _group_sizes(n, len(centers))
    pts = np.concatenate([_gauss_in_domain(rng, c, std, m) for c, m in zip(centers, sizes)])
    labels = np.repeat(np.arange(len(centers), dtype=np.int64), sizes)
    return pts, labels


def _spiral(n: int, noise: float, rng: np.random.Generator,
            k: int) -> tuple[np.ndarray, np.ndarray]:
    sizes = _group_sizes(n, k)
    parts = []
    for arm, m in enumerate(sizes):
        i = np.arange(m, dtype=np.float64)
        frac = i / m if m else i
        r = 5.0 * frac
        t = 1.75 * 2 * math.pi * frac + 2 * math.pi * (arm - 1) / k
        jitter = rng.uniform(-1.0, 1.0, size=(m, 2)) * noise
        parts.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1) + jitter)
    return np.concatenate(parts), np.repeat(np.arange(k, dtype=np.int64), sizes)


def _plane(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    pts = rng.uniform(-DOMAIN, DOMAIN, size=(n, 2))
    shifted = pts + _label_noise(rng, n, DOMAIN, noise)
    return pts, np.clip((shifted[:, 0] + shifted[:, 1]) / 10.0, -1.0, 1.0)


def _multigauss(n: int, noise: float,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    pts = rng.uniform(-DOMAIN, DOMAIN, size=(n, 2))
    shifted = pts + _label_noise(rng, n, DOMAIN, noise)
    d = np.hypot(shifted[:, None, 0] - _BUMPS[:, 0], shifted[:, None, 1] - _BUMPS[:, 1])
    bumps = _BUMPS[:, 2] * np.clip(1.0 - d / 2.0, 0.0, 1.0)       # (n, 6)
    pick = np.argmax(np.abs(bumps), axis=1)                        # first bump on ties, as TF
    return pts, bumps[np.arange(n), pick] + 0.0                    # + 0.0 turns -0.0 into 0.0


def generate(name: str, n: int, noise: float, rng: np.random.Generator, classes: int = 2
             ) -> tuple[np.ndarray, np.ndarray]:
    """n points (float64, shape (n, 2), inside [-6, 6]²) and targets: int64 labels 0..K-1 for
    classification sets, float64 values in [-1, 1] for regression sets. noise in [0, 0.5].

    ``classes`` (K, 2..8) is used by "spiral" (K arms) and "blobs" (K blobs); the other sets
    take only 2. The definitions are in the module docstring.
    """
    if name not in CLASSIFICATION_SETS + REGRESSION_SETS:
        known = ", ".join(CLASSIFICATION_SETS + REGRESSION_SETS)
        raise ValueError(f"name: expected one of {known}, got {name!r}")
    n = _check_int("n", n, 1, MAX_POINTS)
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) \
            or not 0.0 <= float(noise) <= MAX_NOISE:
        raise ValueError(f"noise: expected a number in [0, {MAX_NOISE}], got {noise!r}")
    noise = float(noise)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    if name in _MULTICLASS_SETS:
        classes = _check_int("classes", classes, 2, MAX_CLASSES)
    elif isinstance(classes, bool) or classes != 2:
        raise ValueError(f"classes: data set {name!r} has exactly 2 classes, got {classes!r}")

    if name == "circle":
        pts, y = _circle(n, noise, rng)
    elif name == "xor":
        pts, y = _xor(n, noise, rng)
    elif name == "gauss":
        # class 0 (TF's orange, -1) at (-2, -2), class 1 (blue, +1) at (2, 2)
        pts, y = _gaussians(np.array([[-2.0, -2.0], [2.0, 2.0]]), n, noise, rng)
    elif name == "blobs":
        angles = 1.25 * math.pi + 2 * math.pi * np.arange(classes) / classes
        centers = 4.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
        pts, y = _gaussians(centers, n, noise, rng)
    elif name == "spiral":
        pts, y = _spiral(n, noise, rng, classes)
    elif name == "plane":
        pts, y = _plane(n, noise, rng)
    else:
        pts, y = _multigauss(n, noise, rng)
    # Every generator stays inside already (|p| ≤ 5.5); the clip only guards the promise.
    return np.clip(pts, -DOMAIN, DOMAIN), y


# ------------------------------------------------------------------------ split, features


def split(points: np.ndarray, targets: np.ndarray, train_fraction: float,
          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle once with rng, first round(n·train_fraction) (at least 1, at most n-1) are the
    training set: returns train_x, train_y, test_x, test_y.

    ``round`` is Python's (half to even). n ≥ 2 so that both sets are non-empty.
    """
    points = np.asarray(points)
    targets = np.asarray(targets)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points: expected shape (n, 2), got {points.shape}")
    n = points.shape[0]
    if targets.shape != (n,):
        raise ValueError(f"targets: expected shape ({n},) to match points, got {targets.shape}")
    if n < 2:
        raise ValueError(f"points: expected at least 2 points to split, got {n}")
    if isinstance(train_fraction, bool) or not isinstance(train_fraction, numbers.Real) \
            or not 0.0 < float(train_fraction) < 1.0:
        raise ValueError(f"train_fraction: expected a number in (0, 1), got {train_fraction!r}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    n_train = min(max(round(n * float(train_fraction)), 1), n - 1)
    order = rng.permutation(n)
    tr, te = order[:n_train], order[n_train:]
    return points[tr], targets[tr], points[te], targets[te]


def featurize(points: np.ndarray, features: Sequence[str]) -> np.ndarray:
    """(n, 2) raw → (n, len(features)) float32 columns in the order given.

    x1, x2, x1sq = x1², x2sq = x2², x1x2 = x1·x2, sinx1 = sin(x1), sinx2 = sin(x2)
    (computed in float64, then rounded once to float32).
    """
    if isinstance(features, str) or not isinstance(features, Sequence) or not features:
        raise ValueError(f"features: expected a non-empty list of names from {FEATURES}, "
                         f"got {features!r}")
    for f in features:
        if f not in FEATURES:
            raise ValueError(f"features: expected names from {FEATURES}, got {f!r}")
    if len(set(features)) != len(features):
        raise ValueError(f"features: expected each name at most once, got {list(features)}")
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"points: expected shape (n, 2), got {pts.shape}")
    x1, x2 = pts[:, 0], pts[:, 1]
    formulas = {"x1": lambda: x1, "x2": lambda: x2, "x1sq": lambda: x1 * x1,
                "x2sq": lambda: x2 * x2, "x1x2": lambda: x1 * x2,
                "sinx1": lambda: np.sin(x1), "sinx2": lambda: np.sin(x2)}
    return np.stack([formulas[f]() for f in features], axis=1).astype(np.float32)


# ------------------------------------------------------------------- user points and CSV


def _check_problem(problem: object) -> str:
    if problem not in PROBLEMS:
        raise ValueError(f"problem: expected 'classification' or 'regression', got {problem!r}")
    return problem  # type: ignore[return-value]


def _expected(problem: str) -> str:
    if problem == "classification":
        return f"[x1, x2, label] with x1, x2 in [-6, 6] and label an integer 0..{MAX_CLASSES - 1}"
    return "[x1, x2, value] with x1, x2 in [-6, 6] and value in [-1, 1]"


def _shown(value: object) -> str:
    """The offending input, cut short: it comes from the user and may be huge."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_number(v: object) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def _row_ok(x1: float, x2: float, t: float, problem: str) -> bool:
    """Finite coordinates in the domain; an integral label 0..7, or a value in [-1, 1]."""
    if not all(math.isfinite(v) for v in (x1, x2, t)):
        return False
    if abs(x1) > DOMAIN or abs(x2) > DOMAIN:
        return False
    if problem == "classification":
        return float(t).is_integer() and 0 <= t <= MAX_CLASSES - 1
    return -1.0 <= t <= 1.0


def _finish(rows: list[tuple[float, float, float]], problem: str,
            where: str) -> tuple[np.ndarray, np.ndarray]:
    """Whole-set checks (≥ 4 points; ≥ 2 labels) and the arrays."""
    if len(rows) < MIN_USER_POINTS:
        raise PointsError(f"{where}: expected {MIN_USER_POINTS} to {MAX_POINTS} points, "
                          f"got {len(rows)}")
    arr = np.array(rows, dtype=np.float64)
    pts = arr[:, :2].copy()
    if problem == "regression":
        return pts, arr[:, 2].copy()
    labels = arr[:, 2].astype(np.int64)
    found = np.unique(labels)
    if found.size < 2:
        raise PointsError(f"{where}: expected at least 2 different labels, got only label "
                          f"{int(found[0])}")
    return pts, labels


def parse_points(rows: object, problem: str) -> tuple[np.ndarray, np.ndarray]:
    """Validate a JSON list of [x1, x2, label_or_value] rows from the browser.

    Returns float64 points (n, 2) and int64 labels (classification) or float64 values
    (regression). Rows are numbered from 1 in messages. Raises ``PointsError`` (one line).
    """
    problem = _check_problem(problem)
    if not isinstance(rows, (list, tuple)):
        raise PointsError(f"points: expected a list of {_expected(problem)} rows, "
                          f"got {type(rows).__name__}")
    if len(rows) > MAX_POINTS:  # bounded before looking at any row
        raise PointsError(f"points: expected at most {MAX_POINTS} rows, got {len(rows)}")
    parsed: list[tuple[float, float, float]] = []
    for i, row in enumerate(rows, start=1):
        ok = isinstance(row, (list, tuple)) and len(row) == 3 and all(map(_is_number, row))
        if ok:
            try:
                x1, x2, t = (float(v) for v in row)
            except OverflowError:  # an int too big for a float
                ok = False
            else:
                ok = _row_ok(x1, x2, t, problem)
        if not ok:
            raise PointsError(f"points row {i}: expected {_expected(problem)}, "
                              f"got {_shown(row)}")
        parsed.append((x1, x2, t))
    return _finish(parsed, problem, "points")


# A plain decimal number: no "nan", "inf", "0x…" or "1_000" that float() would also take.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _number(field: str) -> float | None:
    field = field.strip()
    return float(field) if _NUMBER.fullmatch(field) else None


def parse_csv(text: str, problem: str) -> tuple[np.ndarray, np.ndarray]:
    """CSV text with columns x1, x2, label (classification) or x1, x2, value (regression); an
    optional header row; comma or semicolon separated.

    The separator is ";" if the first non-blank line has one, else ",". A first row with no
    number in it is the header. Blank lines are skipped; lines are numbered from 1 as in the
    text. Returns what ``parse_points`` returns; raises ``PointsError`` (one line).
    """
    problem = _check_problem(problem)
    if not isinstance(text, str):
        raise PointsError(f"CSV: expected text, got {type(text).__name__}")
    # len(text) ≥ bytes/4, so a huge string is refused before it is encoded or parsed
    if len(text) > MAX_CSV_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_CSV_BYTES:
        raise PointsError(f"CSV: expected at most {MAX_CSV_BYTES} bytes, got more")
    text = text.removeprefix("\ufeff")  # spreadsheets often start UTF-8 files with a BOM
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if ";" in first else ","
    sep = "semicolons" if delimiter == ";" else "commas"
    column = "label" if problem == "classification" else "value"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    parsed: list[tuple[float, float, float]] = []
    seen_row = False
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise PointsError(f"CSV line {reader.line_num}: {exc}") from None
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        values = [_number(f) for f in fields]
        if not seen_row and all(v is None for v in values) and len(fields) == 3:
            seen_row = True  # the header: three names, whatever they are
            continue
        seen_row = True
        if len(fields) != 3 or any(v is None for v in values):
            raise PointsError(f"CSV line {line}: expected 3 numbers x1, x2, {column} separated "
                              f"by {sep}, got {_shown(delimiter.join(fields))}")
        if len(parsed) == MAX_POINTS:
            raise PointsError(f"CSV line {line}: expected at most {MAX_POINTS} rows of points")
        x1, x2, t = values  # type: ignore[misc]
        if not _row_ok(x1, x2, t, problem):  # type: ignore[arg-type]
            raise PointsError(f"CSV line {line}: expected {_expected(problem)}, "
                              f"got {_shown(delimiter.join(fields))}")
        parsed.append((x1, x2, t))  # type: ignore[arg-type]
    return _finish(parsed, problem, "CSV")
