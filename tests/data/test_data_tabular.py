"""load_table: CSV and NPZ happy paths, and errors that name the file and line or column."""

import numpy as np
import pytest

from neuralab.data import TensorDataset, load_table


def _csv(tmp_path, text, name="t.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_numeric_labels(tmp_path):
    path = _csv(tmp_path, "a,label,b\n1,0,2.5\n-3,2,4e1\n\n 5 , 1 , 6 \n")
    data = load_table(path)
    assert isinstance(data, TensorDataset)
    x, y = data.tensors
    assert x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(x, [[1, 2.5], [-3, 40], [5, 6]])
    np.testing.assert_array_equal(y, [0, 2, 1])
    assert data.classes is None


def test_csv_string_labels_become_sorted_classes(tmp_path):
    text = "\ufeffsepal,petal,species\n1,2,virginica\n3,4,setosa\n5,6,versicolor\n7,8,setosa\n"
    data = load_table(_csv(tmp_path, text), target="species")
    assert data.classes == ["setosa", "versicolor", "virginica"]
    np.testing.assert_array_equal(data.tensors[1], [2, 0, 1, 0])
    np.testing.assert_array_equal(data.tensors[0][:, 1], [2, 4, 6, 8])


def test_csv_integral_float_labels(tmp_path):
    data = load_table(_csv(tmp_path, "x,label\n1,1.0\n2,0.0\n"))
    np.testing.assert_array_equal(data.tensors[1], [1, 0])


@pytest.mark.parametrize(
    "text, words",
    [
        ("a,label\n1,0\n2,1\nthree,0\n", ["line 4", "column 'a'", "'three'"]),
        ("a,b,label\n1,,0\n", ["line 2", "column 'b'", "empty value"]),
        ("a,label\n1,0\n2,1,7\n", ["line 3", "expected 2 fields", "found 3"]),
        ("a,label\n1,0\n2,0.5\n", ["line 3", "column 'label'", "'0.5' is not a class label"]),
        ("a,label\n1,-1\n", ["line 2", "'-1' is not a class label"]),
        ("a,label\n1,\n", ["line 2", "column 'label'", "empty label"]),
        ("a,b\n1,2\n", ["no target column 'label'", "available columns: ['a', 'b']"]),
        ("a,label\n", ["no data rows"]),
        ("\n\n", ["empty (no header row)"]),
        ("label\n1\n", ["no feature columns"]),
        ("a,a,label\n1,2,0\n", ["duplicate column names", "['a']"]),
    ],
    ids=["text", "blank", "fields", "float-label", "negative", "no-label", "no-target",
         "header-only", "blank-file", "target-only", "duplicate"],
)
def test_csv_errors_name_file_and_place(tmp_path, text, words, raises_naming):
    path = _csv(tmp_path, text, "mine.csv")
    raises_naming(ValueError, path, words, load_table, path)


def test_empty_file_and_unsupported_type(tmp_path):
    for name in ("empty.csv", "empty.npz"):
        path = tmp_path / name
        path.write_bytes(b"")
        with pytest.raises(ValueError, match=f"{path}: the file is empty"):
            load_table(path)
    with pytest.raises(ValueError, match=r"unsupported file type '.txt'; use .csv or .npz"):
        load_table(_csv(tmp_path, "a", "t.txt"))
    with pytest.raises(FileNotFoundError):
        load_table(tmp_path / "nope.csv")


def test_npz_happy_paths(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x=np.arange(6).reshape(3, 2), y=np.array([2, 0, 1], dtype=np.uint8))
    x, y = load_table(path).tensors
    assert x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(x, [[0, 1], [2, 3], [4, 5]])
    np.testing.assert_array_equal(y, [2, 0, 1])
    np.savez(path, x=np.array([0.5, 1.5]), y=np.array(["dog", "cat"]))
    data = load_table(path)
    assert data.tensors[0].shape == (2, 1) and data.classes == ["cat", "dog"]
    np.testing.assert_array_equal(data.tensors[1], [1, 0])
    np.savez(path, x=np.zeros((2, 1, 4, 4)), y=np.array([1, 0]), classes=np.array(["no", "yes"]))
    data = load_table(path)
    assert data.tensors[0].shape == (2, 1, 4, 4) and data.classes == ["no", "yes"]


@pytest.mark.parametrize(
    "arrays, words",
    [
        ({"x": np.zeros((2, 2))}, ["missing array(s) ['y']", "it holds ['x']"]),
        ({"features": np.zeros(2), "y": np.zeros(2)}, ["missing array(s) ['x']", "features"]),
        ({"x": np.zeros((3, 2)), "y": np.zeros(2)}, ["'x' has 3 rows but 'y' has 2 labels"]),
        ({"x": np.zeros((2, 2)), "y": np.array([0.0, 0.5])}, ["non-class value 0.5 at row 2"]),
        ({"x": np.zeros((2, 2)), "y": np.array([0, -4])}, ["negative label -4 at row 2"]),
        ({"x": np.zeros((2, 2)), "y": np.zeros((2, 1))}, ["'y' must be 1-D"]),
        ({"x": np.array(["a", "b"]), "y": np.zeros(2)}, ["'x' must hold numbers", "dtype <U1"]),
        ({"x": np.array([{}, {}], dtype=object), "y": np.zeros(2)},
         ["'x' holds Python objects", "pickle"]),
    ],
    ids=["no-y", "no-x", "lengths", "float-y", "negative-y", "2d-y", "text-x", "object"],
)
def test_npz_errors(tmp_path, arrays, words, raises_naming):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    raises_naming(ValueError, path, words, load_table, path)


def test_npz_that_is_not_a_zip(tmp_path):
    path = tmp_path / "fake.npz"
    path.write_bytes(b"definitely not a zip archive")
    with pytest.raises(ValueError, match="not a readable .npz file"):
        load_table(path)
