"""The playground's 2-D data sets, features, split and user points (playground/datasets.py)."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from neuralab.playground import datasets as ds
from neuralab.playground.datasets import PointsError

EPS64 = float(np.finfo(np.float64).eps)

# (name, classes) for every data set, the multi-class ones at several K.
ALL_SETS = [("circle", 2), ("xor", 2), ("gauss", 2), ("plane", 2), ("multigauss", 2),
            ("spiral", 2), ("spiral", 3), ("spiral", 8), ("blobs", 2), ("blobs", 5),
            ("blobs", 8)]


def gen(name: str, n: int = 500, noise: float = 0.0, seed: int = 0, classes: int = 2):
    return ds.generate(name, n, noise, np.random.default_rng(seed), classes=classes)


# ------------------------------------------------------------------------------- generate


@pytest.mark.parametrize("name,classes", ALL_SETS)
@pytest.mark.parametrize("noise", [0.0, 0.5])
@pytest.mark.parametrize("n", [1, 301, 2000])
def test_generate_shape_domain_and_targets(name, classes, noise, n):
    x, y = gen(name, n, noise, seed=n, classes=classes)
    assert x.shape == (n, 2) and x.dtype == np.float64
    assert y.shape == (n,)
    assert np.all(np.isfinite(x)) and np.all(np.abs(x) <= ds.DOMAIN)
    if name in ds.REGRESSION_SETS:
        assert y.dtype == np.float64
        assert np.all(np.abs(y) <= 1.0)
    else:
        assert y.dtype == np.int64
        assert set(np.unique(y)) <= set(range(classes))
        if n >= 301:  # every class is drawn (even xor's and noisy circle's random labels)
            assert set(np.unique(y)) == set(range(classes))


@pytest.mark.parametrize("name,classes", ALL_SETS)
def test_generate_is_deterministic_in_the_seed(name, classes):
    x1, y1 = gen(name, 200, 0.2, seed=7, classes=classes)
    x2, y2 = gen(name, 200, 0.2, seed=7, classes=classes)
    x3, _ = gen(name, 200, 0.2, seed=8, classes=classes)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(x1, x3)


@pytest.mark.parametrize("name,classes,noise", [
    ("gauss", 2, 0.5), ("spiral", 2, 0.5), ("spiral", 3, 0.3), ("blobs", 7, 0.5),
    ("circle", 2, 0.0)])
@pytest.mark.parametrize("n", [500, 501, 2000])
def test_balanced_sets_give_each_class_n_over_k(name, classes, noise, n):
    # These generators draw class k exactly n//K + (k < n mod K) times (circle: at noise 0,
    # where its label is its group); the sizes differ by at most one.
    _, y = gen(name, n, noise, classes=classes)
    counts = np.bincount(y, minlength=classes)
    expected = [n // classes + (k < n % classes) for k in range(classes)]
    assert counts.tolist() == expected


def test_xor_is_near_balanced():
    # xor's label is a fair coin per point (the quadrant of a uniform point): class 1 count
    # ~ Binomial(n, 1/2), sd = √n/2 ≈ 22.4 for n = 2000; allow 4 sd.
    n = 2000
    _, y = gen("xor", n, 0.0, seed=3)
    assert abs(int(y.sum()) - n / 2) <= 4 * math.sqrt(n) / 2


def test_circle_noise_free_obeys_the_radius_rule():
    x, y = gen("circle", 1000, 0.0, seed=1)
    r = np.hypot(x[:, 0], x[:, 1])
    # class 1: inside radius 2.5; class 0: the ring 3.5..5 (TF's 0.7·5 .. 5)
    assert np.all(r[y == 1] < 2.5)
    assert np.all((r[y == 0] >= 3.5 - 1e-12) & (r[y == 0] <= 5.0 + 1e-12))
    # the ring's radii really spread over 3.5..5 (a U(3.5, 5) sample of 500)
    assert r[y == 0].min() < 3.6 and r[y == 0].max() > 4.9


def test_circle_noise_flips_some_labels():
    # With noise the label comes from the shifted point, so some inner points become class 0.
    x, y = gen("circle", 1000, 0.5, seed=1)
    r = np.hypot(x[:, 0], x[:, 1])
    assert np.any((r < 2.5) & (y == 0)) and np.any((r >= 3.5) & (y == 1))


def test_xor_noise_free_labels_follow_the_sign_rule_and_padding():
    x, y = gen("xor", 2000, 0.0, seed=2)
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] >= 0).astype(np.int64))
    # TF's padding: every coordinate 0.3 .. 5.3 away from zero
    assert np.all((np.abs(x) >= 0.3) & (np.abs(x) <= 5.3))


def test_gauss_centres_and_variance():
    # noise 0 → variance 0.5 per coordinate; class 1 at (2, 2), class 0 at (-2, -2).
    # Sample mean of m = 1000: sd √(0.5/m) ≈ 0.022 — allow 5 sd. Sample variance: relative sd
    # √(2/(m-1)) ≈ 0.045 — allow 5 sd. (Truncation at 6 is 5.6 sd away: negligible.)
    m = 1000
    x, y = gen("gauss", 2 * m, 0.0, seed=4)
    for label, centre in [(1, 2.0), (0, -2.0)]:
        pts = x[y == label]
        np.testing.assert_allclose(pts.mean(axis=0), [centre, centre],
                                   atol=5 * math.sqrt(0.5 / m))
        np.testing.assert_allclose(pts.var(axis=0, ddof=1), [0.5, 0.5],
                                   rtol=5 * math.sqrt(2 / (m - 1)))


def test_gauss_spread_grows_with_noise():
    # noise 0.25 → variance 0.5 + 7·0.25 = 2.25 (sd 1.5); the domain truncates at 2.7 sd,
    # which lowers the variance by under 4 %; allow that plus 5 sampling sd.
    m = 1000
    x, y = gen("gauss", 2 * m, 0.25, seed=5)
    var = x[y == 1].var(axis=0, ddof=1)
    np.testing.assert_allclose(var, [2.25, 2.25], rtol=0.04 + 5 * math.sqrt(2 / (m - 1)))


@pytest.mark.parametrize("k", [2, 3, 5, 8])
def test_spiral_noise_free_points_lie_on_their_arm(k):
    # arm j: p = r·(sin t, cos t) with r = 5·i/m and t = 1.75·2π·r/5 + 2π(j-1)/k, so the polar
    # angle atan2(x1, x2) equals t modulo 2π wherever r > 0.
    x, y = gen("spiral", 800, 0.0, classes=k)
    assert sorted(set(y.tolist())) == list(range(k))
    r = np.hypot(x[:, 0], x[:, 1])
    keep = r > 1e-9
    t = 1.75 * 2 * np.pi * r / 5 + 2 * np.pi * (y - 1) / k
    diff = np.angle(np.exp(1j * (np.arctan2(x[:, 0], x[:, 1]) - t)))
    # angles of size ≲ 12π rounded a few times: ~1e-13; a wrong arm is off by ≥ 2π/8
    assert np.all(np.abs(diff[keep]) < 1e3 * EPS64 * 12 * np.pi)
    assert r.max() < 5.0  # i/m < 1


def test_spiral_two_arms_match_tf_labels():
    # TF: the blue arm (+1 → class 1) starts at Δt = 0, i.e. its first points go along +x2.
    x, y = gen("spiral", 400, 0.0, classes=2)
    arm1 = x[y == 1]
    small = arm1[(np.hypot(arm1[:, 0], arm1[:, 1]) > 0) & (np.hypot(arm1[:, 0], arm1[:, 1]) < 0.1)]
    assert small.size and np.all(small[:, 1] > 0)


@pytest.mark.parametrize("k", [2, 4, 8])
def test_blobs_sit_on_the_radius_4_circle(k):
    # centre j at angle 5π/4 + 2πj/k, radius 4; noise 0 → sd √0.5; sample mean of m = 250
    # has sd ≈ 0.045 — allow 5 sd.
    m = 250
    x, y = gen("blobs", k * m, 0.0, seed=k, classes=k)
    for j in range(k):
        a = 1.25 * np.pi + 2 * np.pi * j / k
        np.testing.assert_allclose(x[y == j].mean(axis=0), [4 * np.cos(a), 4 * np.sin(a)],
                                   atol=5 * math.sqrt(0.5 / m))


def test_blobs_two_classes_look_like_gauss():
    x, y = gen("blobs", 1000, 0.0, classes=2)
    assert np.all(x[y == 1].mean(axis=0) > 2) and np.all(x[y == 0].mean(axis=0) < -2)


def test_plane_noise_free_values_equal_the_formula():
    x, y = gen("plane", 2000, 0.0, seed=6)
    np.testing.assert_allclose(y, np.clip((x[:, 0] + x[:, 1]) / 10, -1, 1), rtol=0,
                               atol=4 * EPS64)
    assert np.any(y == 1.0) and np.any(y == -1.0)  # the corners saturate


def _multigauss_reference(p: np.ndarray) -> float:
    """TF's regressGaussian label, written as its loop."""
    bumps = [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)]
    label = 0.0
    for cx, cy, sign in bumps:
        d = math.hypot(p[0] - cx, p[1] - cy)
        new = sign * min(max(1 - d / 2, 0.0), 1.0)
        if abs(new) > abs(label):
            label = new
    return label


def test_multigauss_noise_free_values_equal_the_formula():
    x, y = gen("multigauss", 1000, 0.0, seed=9)
    expected = np.array([_multigauss_reference(p) for p in x])
    np.testing.assert_allclose(y, expected, rtol=0, atol=8 * EPS64)
    assert y.max() > 0.9 and y.min() < -0.9 and np.sum(y == 0) > 100


def test_noise_changes_regression_values():
    x, y = gen("plane", 500, 0.3, seed=6)
    assert np.abs(y - np.clip((x[:, 0] + x[:, 1]) / 10, -1, 1)).max() > 0.1


@pytest.mark.parametrize("kwargs,match", [
    ({"name": "moons"}, "name: expected one of"),
    ({"n": 0}, r"n: expected an integer in \[1, 2000\], got 0"),
    ({"n": 2001}, "got 2001"),
    ({"n": 10.0}, "n: expected an integer"),
    ({"noise": 0.6}, r"noise: expected a number in \[0, 0.5\], got 0.6"),
    ({"noise": -0.1}, "noise"),
    ({"noise": float("nan")}, "noise"),
    ({"name": "circle", "classes": 3}, "classes: data set 'circle' has exactly 2 classes, got 3"),
    ({"name": "spiral", "classes": 9}, r"classes: expected an integer in \[2, 8\], got 9"),
    ({"name": "blobs", "classes": 1}, "classes"),
    ({"rng": 0}, "rng: expected a numpy.random.Generator, got int"),
])
def test_generate_rejects_bad_arguments(kwargs, match):
    args = {"name": "gauss", "n": 100, "noise": 0.0, "rng": np.random.default_rng(0),
            "classes": 2} | kwargs
    with pytest.raises(ValueError, match=match):
        ds.generate(**args)


# -------------------------------------------------------------------------------- split


@pytest.mark.parametrize("n,frac,n_train", [
    (500, 0.5, 250), (501, 0.5, 250), (503, 0.5, 252), (100, 0.1, 10), (50, 0.9, 45),
    (2, 0.1, 1), (2, 0.9, 1), (10, 0.01, 1), (10, 0.99, 9)])
def test_split_sizes(n, frac, n_train):
    # round(n·f) (Python: half to even: 250.5 → 250, 251.5 → 252), then clamped to 1..n-1
    x = np.arange(2 * n, dtype=np.float64).reshape(n, 2)
    tx, ty, vx, vy = ds.split(x, np.arange(n), frac, np.random.default_rng(0))
    assert tx.shape == (n_train, 2) and ty.shape == (n_train,)
    assert vx.shape == (n - n_train, 2) and vy.shape == (n - n_train,)


def test_split_is_a_shuffled_partition():
    x, y = gen("spiral", 301, 0.1, classes=3)
    tx, ty, vx, vy = ds.split(x, y, 0.3, np.random.default_rng(11))
    # rows stay paired with their targets, and train ∪ test is the input as a multiset
    rows = lambda a, b: Counter(map(tuple, np.column_stack([a, b]).tolist()))  # noqa: E731
    assert rows(tx, ty) + rows(vx, vy) == rows(x, y)
    assert not set(rows(tx, ty)) & set(rows(vx, vy))  # the generated points are distinct
    # shuffled: the training set is not just the first rows
    assert not np.array_equal(tx, x[: len(tx)])
    again = ds.split(x, y, 0.3, np.random.default_rng(11))
    for a, b in zip((tx, ty, vx, vy), again):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("args,match", [
    ((np.zeros((5, 3)), np.zeros(5), 0.5), r"points: expected shape \(n, 2\)"),
    ((np.zeros((5, 2)), np.zeros(4), 0.5), r"targets: expected shape \(5,\)"),
    ((np.zeros((1, 2)), np.zeros(1), 0.5), "at least 2 points"),
    ((np.zeros((5, 2)), np.zeros(5), 1.0), r"train_fraction: expected a number in \(0, 1\)"),
    ((np.zeros((5, 2)), np.zeros(5), 0.0), "train_fraction"),
])
def test_split_rejects_bad_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        ds.split(*args, np.random.default_rng(0))


# ----------------------------------------------------------------------------- featurize


def test_featurize_columns_equal_their_formulas():
    x = np.array([[1.5, -2.0], [0.0, 6.0], [-6.0, 0.25], [3.0, 3.0]])
    f = ds.featurize(x, list(ds.FEATURES))
    assert f.dtype == np.float32 and f.shape == (4, 7)
    x1, x2 = x[:, 0], x[:, 1]
    expected = np.stack([x1, x2, x1**2, x2**2, x1 * x2, np.sin(x1), np.sin(x2)], axis=1)
    # one float64 op each, then one rounding to float32: within half a float32 ulp (+ a bit)
    np.testing.assert_allclose(f, expected, rtol=float(np.finfo(np.float32).eps), atol=1e-30)
    np.testing.assert_allclose(f[:, 4], [-3.0, 0.0, -1.5, 9.0], rtol=0)


def test_featurize_keeps_the_given_order():
    x = np.array([[0.5, 2.0]])
    f = ds.featurize(x, ["x2sq", "x1"])
    np.testing.assert_array_equal(f, np.array([[4.0, 0.5]], dtype=np.float32))


def test_feature_labels_cover_features():
    assert tuple(ds.FEATURE_LABELS) == ds.FEATURES


@pytest.mark.parametrize("features,match", [
    ([], "features: expected a non-empty list"),
    ("x1", "features: expected a non-empty list"),
    (["x1", "x3"], "features: expected names from .*, got 'x3'"),
    (["x1", "x1"], "at most once"),
])
def test_featurize_rejects_bad_features(features, match):
    with pytest.raises(ValueError, match=match):
        ds.featurize(np.zeros((3, 2)), features)


def test_featurize_rejects_bad_points():
    with pytest.raises(ValueError, match=r"points: expected shape \(n, 2\), got \(3,\)"):
        ds.featurize(np.zeros(3), ["x1"])


# ------------------------------------------------------------------------- parse_points


GOOD_CLASSES = [[0, 0, 0], [1.5, -6, 1], [6, 6.0, 1.0], [-2, 3, 7]]
GOOD_VALUES = [[0, 0, 0.5], [1.5, -6, -1], [6, 6.0, 1], [-2, 3, 0]]


def test_parse_points_classification():
    x, y = ds.parse_points(GOOD_CLASSES, "classification")
    assert x.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(x, [[0, 0], [1.5, -6], [6, 6], [-2, 3]])
    np.testing.assert_array_equal(y, [0, 1, 1, 7])


def test_parse_points_regression():
    x, y = ds.parse_points(GOOD_VALUES, "regression")
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, [0.5, -1, 1, 0])
    np.testing.assert_array_equal(x[:, 1], [0, -6, 6, 3])


@pytest.mark.parametrize("bad_row,problem", [
    ([7.5, 0, 1], "classification"),            # x1 outside the domain
    ([0, -6.01, 1], "classification"),          # x2 outside the domain
    ([0, 0, 8], "classification"),              # label too big
    ([0, 0, -1], "classification"),             # negative label
    ([0, 0, 1.5], "classification"),            # label not integral
    ([0, 0, True], "classification"),           # a bool is not a number here
    ([0, "1", 1], "classification"),            # a string
    ([0, 0], "classification"),                 # too short
    ([0, 0, 1, 1], "classification"),           # too long
    ({"x": 0}, "classification"),               # not a list
    ([float("nan"), 0, 1], "classification"),   # not finite
    ([0, 0, float("inf")], "regression"),
    ([10**400, 0, 1], "classification"),        # an int too big for a float
    ([0, 0, 1.01], "regression"),               # value outside [-1, 1]
    ([0, 0, None], "regression"),
])
def test_parse_points_names_the_bad_row(bad_row, problem):
    rows = (GOOD_CLASSES if problem == "classification" else GOOD_VALUES)[:2] + [bad_row] \
        + [[1, 1, 0]]
    with pytest.raises(PointsError, match=r"^points row 3: expected \[x1, x2, "):
        ds.parse_points(rows, problem)


def test_parse_points_message_shows_the_row():
    rows = [[0, 0, 0]] * 16 + [[7.5, 0, 1]]
    with pytest.raises(PointsError) as info:
        ds.parse_points(rows, "classification")
    assert str(info.value) == ("points row 17: expected [x1, x2, label] with x1, x2 in "
                               "[-6, 6] and label an integer 0..7, got [7.5, 0, 1]")


def test_parse_points_cuts_long_input_short():
    with pytest.raises(PointsError) as info:
        ds.parse_points([[0, 0, "x" * 10_000]] * 4, "regression")
    assert len(str(info.value)) < 200 and str(info.value).endswith("...")


@pytest.mark.parametrize("rows,match", [
    ([[0, 0, 0], [1, 1, 1], [2, 2, 1]], "points: expected 4 to 2000 points, got 3"),
    ([[0, 0, 2]] * 5, "points: expected at least 2 different labels, got only label 2"),
    ([[0, 0, 0]] * 2001, "points: expected at most 2000 rows, got 2001"),
    ("0,0,1", "points: expected a list of"),
])
def test_parse_points_rejects_bad_sets(rows, match):
    with pytest.raises(PointsError, match=match):
        ds.parse_points(rows, "classification")


def test_parse_points_accepts_the_limit_and_one_value_for_regression():
    x, y = ds.parse_points([[0, 0, 1]] * 1000 + [[1, 1, 0]] * 1000, "classification")
    assert x.shape == (2000, 2) and y.sum() == 1000
    _, v = ds.parse_points([[0, 0, 0.25]] * 4, "regression")  # one value is fine here
    np.testing.assert_array_equal(v, [0.25] * 4)


def test_parse_rejects_unknown_problem():
    with pytest.raises(ValueError, match="problem: expected 'classification' or 'regression'"):
        ds.parse_points(GOOD_CLASSES, "ranking")
    with pytest.raises(ValueError, match="problem"):
        ds.parse_csv("0,0,0", "ranking")


def test_points_error_is_a_value_error():
    assert issubclass(PointsError, ValueError)


# ---------------------------------------------------------------------------- parse_csv


@pytest.mark.parametrize("text", [
    "x1,x2,label\n0,0,0\n1.5,-6,1\n6,6.0,1.0\n-2,3,7\n",
    "0,0,0\n1.5,-6,1\n6,6.0,1.0\n-2,3,7",
    "x1;x2;label\r\n0;0;0\r\n1.5;-6;1\r\n6;6.0;1.0\r\n-2;3;7\r\n",
    "\ufeffx, y, class\n\n 0 , 0 , 0 \n1.5,-6,1\n\n6,6e0,1\n-2,+3,7\n\n",
    '"x1","x2","label"\n"0","0","0"\n1.5,-6,1\n6,6,1\n-2,3,7\n',
])
def test_parse_csv_classification(text):
    x, y = ds.parse_csv(text, "classification")
    np.testing.assert_array_equal(x, [[0, 0], [1.5, -6], [6, 6], [-2, 3]])
    np.testing.assert_array_equal(y, [0, 1, 1, 7])
    assert y.dtype == np.int64


def test_parse_csv_regression():
    x, y = ds.parse_csv("x1;x2;value\n0;0;.5\n1;1;-1\n2;2;1e0\n-3;-3;-0.25\n", "regression")
    np.testing.assert_array_equal(y, [0.5, -1, 1, -0.25])
    np.testing.assert_array_equal(x[:, 0], [0, 1, 2, -3])


GOOD_CSV_HEAD = "x1,x2,label\n0,0,0\n"


@pytest.mark.parametrize("line3,problem,match", [
    ("a,b", "classification", r"^CSV line 3: expected 3 numbers x1, x2, label separated by "
                              r"commas, got 'a,b'$"),
    ("1,2", "classification", "CSV line 3: expected 3 numbers"),
    ("1,2,0,", "classification", "CSV line 3: expected 3 numbers"),
    ("1,nan,0", "classification", "CSV line 3: expected 3 numbers"),
    ("1,inf,0", "classification", "CSV line 3: expected 3 numbers"),
    ("1,1_0,0", "classification", "CSV line 3: expected 3 numbers"),
    ("1,2,one", "classification", "CSV line 3: expected 3 numbers"),
    ("7.5,0,1", "classification", r"CSV line 3: expected \[x1, x2, label\] with x1, x2 in "
                                  r"\[-6, 6\] and label an integer 0..7, got '7.5,0,1'"),
    ("0,0,8", "classification", "CSV line 3: expected \\[x1, x2, label\\]"),
    ("0,0,0.5", "classification", "CSV line 3: expected \\[x1, x2, label\\]"),
    ("0,0,1e999", "regression", "CSV line 3: expected \\[x1, x2, value\\]"),
    ("0,0,1.5", "regression", r"CSV line 3: expected \[x1, x2, value\] with x1, x2 in "
                              r"\[-6, 6\] and value in \[-1, 1\], got '0,0,1.5'"),
    ('0,"0"x,1', "classification", "CSV line 3: "),  # malformed quoting (csv.Error)
])
def test_parse_csv_names_the_bad_line(line3, problem, match):
    text = GOOD_CSV_HEAD + line3 + "\n1,1,1\n2,2,0\n"
    with pytest.raises(PointsError, match=match):
        ds.parse_csv(text, problem)


def test_parse_csv_header_only_as_the_first_row():
    # a non-numeric row later on is an error, not a second header
    with pytest.raises(PointsError, match="CSV line 2: expected 3 numbers"):
        ds.parse_csv("0,0,0\nx1,x2,label\n1,1,1\n2,2,0\n3,3,1\n", "classification")
    # a first row that mixes numbers and names is an error too
    with pytest.raises(PointsError, match="CSV line 1: expected 3 numbers"):
        ds.parse_csv("x1,2,label\n0,0,0\n1,1,1\n2,2,0\n3,3,1\n", "classification")


def test_parse_csv_line_numbers_count_blank_lines():
    with pytest.raises(PointsError, match="^CSV line 5: "):
        ds.parse_csv("x1,x2,label\n\n0,0,0\n\n9,0,1\n", "classification")


@pytest.mark.parametrize("text,match", [
    ("", "CSV: expected 4 to 2000 points, got 0"),
    ("x1,x2,label\n", "CSV: expected 4 to 2000 points, got 0"),
    ("0,0,0\n1,1,1\n2,2,1\n", "CSV: expected 4 to 2000 points, got 3"),
    ("0,0,1\n1,1,1\n2,2,1\n3,3,1\n", "CSV: expected at least 2 different labels, got only "
                                      "label 1"),
    ("0,0,0\n1,1,1\n" * 1000 + "2,2,1\n", "CSV line 2001: expected at most 2000 rows"),
])
def test_parse_csv_rejects_bad_sets(text, match):
    with pytest.raises(PointsError, match=match):
        ds.parse_csv(text, "classification")


def test_parse_csv_size_is_checked_before_parsing():
    # garbage that would fail on line 1 if it were parsed: the size error comes first
    huge = "not,a,number\n" * (ds.MAX_CSV_BYTES // 10)
    with pytest.raises(PointsError, match="CSV: expected at most 262144 bytes"):
        ds.parse_csv(huge, "classification")
    # counted in UTF-8 bytes, not characters: 100k three-byte characters are 300 kB
    with pytest.raises(PointsError, match="at most 262144 bytes"):
        ds.parse_csv("가" * 100_000, "classification")


def test_parse_csv_accepts_2000_rows():
    text = "x1,x2,label\n" + "0,0,0\n1,1,1\n" * 1000
    x, y = ds.parse_csv(text, "classification")
    assert x.shape == (2000, 2) and int(y.sum()) == 1000


def test_parse_csv_rejects_non_text():
    with pytest.raises(PointsError, match="CSV: expected text, got bytes"):
        ds.parse_csv(b"0,0,0", "classification")
