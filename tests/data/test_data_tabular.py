"""load_table: CSV and NPZ happy paths, and errors that name the file and line or column."""

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from _system import file_permissions_apply

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


# --- hostile values, bytes and files: each refused with one line naming file and place ---


def _refused(path, *words, **kwargs):
    """``load_table(path)`` raises a one-line ValueError that starts with the path and holds
    each of ``words``; returns the message."""
    with pytest.raises(ValueError) as info:
        load_table(path, **kwargs)
    message = str(info.value)
    assert message.startswith(str(path)) and "\n" not in message, message
    for word in words:
        assert word in message, (word, message)
    return message


@pytest.mark.parametrize(
    "cell, why",
    [("nan", "is not a finite number"), ("inf", "is not a finite number"),
     ("-Infinity", "is not a finite number"), ("1e400", "is not a finite number"),
     ("1e39", "overflows float32"), ("-3.5e38", "overflows float32")],
)
def test_csv_refuses_non_finite_features(tmp_path, cell, why):
    path = _csv(tmp_path, f"a,b,label\n1,2,0\n3,{cell},1\n")
    _refused(path, "line 3", "column 'b'", f"{cell!r} {why}")


def test_csv_keeps_the_largest_float32(tmp_path):
    largest = float(np.finfo(np.float32).max)
    x = load_table(_csv(tmp_path, f"a,label\n{largest!r},0\n{-largest!r},1\n")).tensors[0]
    np.testing.assert_array_equal(x[:, 0], np.array([largest, -largest], dtype=np.float32))


@pytest.mark.parametrize(
    "label, words",
    [("nan", ["'nan' is not a class label"]), ("inf", ["'inf' is not a class label"]),
     ("1e400", ["'1e400' is not a class label"]), ("2.5", ["'2.5' is not a class label"]),
     ("1e9", ["class label '1e9' is too large", "below 10,000"]),
     ("10000", ["class label '10000' is too large"])],
)
def test_csv_refuses_bad_numeric_labels(tmp_path, label, words):
    path = _csv(tmp_path, f"a,label\n1,0\n2,1\n3,{label}\n4,{label}\n")
    _refused(path, "line 4", "column 'label'", *words)


def test_csv_label_limit_is_max_classes_minus_one(tmp_path):
    from neuralab.data.tabular import MAX_CLASSES

    y = load_table(_csv(tmp_path, f"a,label\n1,0\n2,{MAX_CLASSES - 1}\n")).tensors[1]
    np.testing.assert_array_equal(y, [0, MAX_CLASSES - 1])


def test_csv_refuses_too_many_distinct_string_labels(tmp_path, monkeypatch):
    from neuralab.data import tabular

    monkeypatch.setattr(tabular, "MAX_CLASSES", 3)
    path = _csv(tmp_path, "a,label\n1,x\n2,y\n3,x\n4,z\n5,w\n")
    _refused(path, "line 6", "column 'label'", "more than 3 distinct labels")


def test_single_class_is_refused_naming_the_class(tmp_path):
    _refused(_csv(tmp_path, "a,label\n1,3\n2,3\n"), "only one class ('3') in all 2 rows",
             "at least 2 classes")
    _refused(_csv(tmp_path, "a,kind\n1,cat\n2,cat\n", "s.csv"), "only one class ('cat')",
             target="kind")
    path = tmp_path / "one.npz"
    np.savez(path, x=np.zeros((3, 2)), y=np.array([1, 1, 1]), classes=np.array(["no", "yes"]))
    _refused(path, "only one class ('yes') in all 3 rows")
    assert len(load_table(path, min_classes=1)) == 3  # asked for explicitly: allowed


@pytest.mark.parametrize(
    "content, words",
    [(b"a,label\n1,0\n2,\xff\n", ["line 3", "byte 0xFF", "not UTF-8"]),
     (b"a,label\n1,0\n\xe9,1\n", ["line 3", "byte 0xE9"]),
     (b"a,label\n1,0\n2,1\x00\n", ["line 3", "a NUL byte"]),
     (b"a,label\n1,0\n2,\"" + b"9" * 200_000 + b"\"\n", ["line 3", "field larger than"]),
     (b"a,label\n1,0\n\"2,1\n3,1\n", ["line 4", "expected 2 fields", "found 1"])],
    ids=["latin1-ff", "latin1-e9", "nul", "field-limit", "unclosed-quote"],
)
def test_csv_refuses_bad_bytes(tmp_path, content, words):
    path = tmp_path / "bytes.csv"
    path.write_bytes(content)
    _refused(path, *words)


def test_csv_refuses_an_overlong_record(tmp_path, monkeypatch):
    from neuralab.data import tabular

    monkeypatch.setattr(tabular, "MAX_RECORD_CHARS", 100)
    path = _csv(tmp_path, "a,b,label\n1,2,0\n" + "1," * 60 + "0\n")
    _refused(path, "line 3", "a record longer than 100 characters")


def test_csv_formats_that_are_fine(tmp_path):
    path = tmp_path / "f.csv"
    for content in (b"\xef\xbb\xbfa,label\r\n1.5,0\r\n\"2\",\"1\"\r\n",  # BOM, CRLF, quotes
                    b"a,label\r1.5,0\r2,1\r",  # old Mac line ends
                    b" a , label \n 1.5 ,0\n\n,\n2 , 1"):  # spaces, blank rows, no final newline
        path.write_bytes(content)
        x, y = load_table(path).tensors
        np.testing.assert_array_equal(x[:, 0], [1.5, 2])
        np.testing.assert_array_equal(y, [0, 1])


def test_csv_target_hints(tmp_path):
    _refused(_csv(tmp_path, "a,Label\n1,0\n"), "no target column 'label'", "did you mean 'Label'?")
    _refused(_csv(tmp_path, "a;label\n1;0\n", "semi.csv"), "separated by commas")
    wide = ",".join(f"c{i}" for i in range(50))
    message = _refused(_csv(tmp_path, wide + "\n" + ",".join("1" * 50) + "\n", "w.csv"),
                       "and 40 more")
    assert "c10" not in message  # the list of columns is cut short, not 50 names long


def test_csv_reports_the_earliest_bad_line(tmp_path):
    # line 3's bad value waits in a block when line 5 turns out ragged: line 3 is reported
    _refused(_csv(tmp_path, "a,label\n1,0\nnan,1\n2,0\n3,1,4\n"), "line 3", "'nan'")


def test_paths_that_are_not_readable_files(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(FileNotFoundError) as info:
        load_table(missing)
    assert isinstance(info.value, ValueError) and str(info.value) == f"{missing}: no such file"
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    _refused(folder, "is a directory")
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    _refused(fifo, "not a regular file")  # opening it would wait for a writer forever


def test_unreadable_file():
    folder = Path(tempfile.mkdtemp())  # not under pytest's root-only tmp folder
    try:
        folder.chmod(0o755)
        path = _csv(folder, "a,label\n1,0\n2,1\n")
        path.chmod(0)
        with file_permissions_apply():
            _refused(path, "cannot read the file", "ermission denied")
    finally:
        shutil.rmtree(folder)


@pytest.mark.parametrize(
    "arrays, words",
    [({"x": np.array([[1.0], [np.nan]]), "y": [0, 1]}, ["'x' at row 2 (index [1, 0])", "nan"]),
     ({"x": np.array([1.0, 1e300]), "y": [0, 1]}, ["row 2 (index [1])", "overflows float32"]),
     ({"x": np.zeros(2, np.complex64), "y": [0, 1]}, ["'x' must hold numbers", "complex64"]),
     ({"x": np.zeros((2, 1, 1, 1, 1)), "y": [0, 1]}, ["1 to 4 dimensions", "(2, 1, 1, 1, 1)"]),
     ({"x": np.zeros((2, 3, 0)), "y": [0, 1]}, ["zero-size dimension", "(2, 3, 0)"]),
     ({"x": np.zeros((0, 3)), "y": np.zeros(0)}, ["'x' has no examples"]),
     ({"x": np.zeros(2), "y": [0.0, np.inf]}, ["non-class value inf at row 2"]),
     ({"x": np.zeros(2), "y": [0, 10**9]}, ["label 1000000000 at row 2", "below 10,000"]),
     ({"x": np.zeros(2), "y": np.array([0, 2**64 - 1], np.uint64)}, ["at row 2", "below"]),
     ({"x": np.zeros(2), "y": [0.0, 1e300]}, ["label 1e+300 at row 2"]),
     ({"x": np.zeros(3), "y": [0, 1, 2], "classes": ["a", "b"]},
      ["label 2 at row 3", "'classes' names only 2 classes"]),
     ({"x": np.zeros(2), "y": ["a", "c"], "classes": ["a", "b"]},
      ["row 2 holds 'c'", "not in array 'classes'"]),
     ({"x": np.zeros(2), "y": [0, 1], "classes": np.zeros((2, 2))}, ["'classes' must be 1-D"]),
     ({"x": np.zeros(2), "y": np.array([0, 1], "datetime64[s]")}, ["integers or strings"])],
    ids=["nan", "f32-overflow", "complex", "5-d", "zero-dim", "no-rows", "y-inf", "y-huge",
         "y-uint64", "y-float-huge", "classes-short", "classes-missing", "classes-2d", "y-date"],
)
def test_npz_refuses_hostile_arrays(tmp_path, arrays, words):
    path = tmp_path / "hostile.npz"
    np.savez(path, **{k: np.asarray(v) for k, v in arrays.items()})
    _refused(path, *words)


def test_npz_accepts_bool_and_maps_string_labels_through_classes(tmp_path):
    path = tmp_path / "ok.npz"
    np.savez(path, x=np.array([True, False, True]), y=np.array(["yes", "no", "yes"]),
             classes=np.array(["yes", "no"]))
    data = load_table(path)
    np.testing.assert_array_equal(data.tensors[0][:, 0], [1, 0, 1])
    np.testing.assert_array_equal(data.tensors[1], [0, 1, 0])  # the order of 'classes' holds
    assert data.classes == ["yes", "no"]


def test_npy_renamed_and_truncated_npz(tmp_path):
    npy = tmp_path / "a.npy"
    np.save(npy, np.zeros(3))
    renamed = npy.rename(tmp_path / "a.npz")
    _refused(renamed, "a single .npy array, not an .npz archive")
    path = tmp_path / "t.npz"
    np.savez_compressed(path, x=np.arange(2000.0), y=np.arange(2000) % 2)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    _refused(path, "not a readable .npz file")


@pytest.mark.parametrize(
    "n, fraction, words",
    [(1, 0.5, ["1 example(s) cannot be split", "need at least 2"]),
     (10, 0.01, ["val_fraction 0.01 of 10 examples leaves 10 for training and 0 for validation"]),
     (10, 0.99, ["leaves 0 for training and 10 for validation"])],
)
def test_train_val_split_refuses_an_empty_part(n, fraction, words):
    from neuralab.data import train_val_split

    data = TensorDataset(np.zeros((n, 2)), np.arange(n))
    with pytest.raises(ValueError) as info:
        train_val_split(data, fraction, seed=0)
    for word in words:
        assert word in str(info.value)
    train, val = train_val_split(TensorDataset(np.zeros((2, 1)), np.arange(2)), 0.5, seed=0)
    assert len(train) == len(val) == 1
