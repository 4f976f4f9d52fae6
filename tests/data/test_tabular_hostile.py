"""load_table under hostile input: generated CSV text and NPZ archives, corrupted bytes, zip
bombs and memory. The contract: a dataset of finite float32 features and int64 labels in range,
or one ``ValueError`` line starting with the file's path — never another exception, never a
hang, never memory out of proportion to the file."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import tracemalloc
import zipfile

import numpy as np
import pytest
from _hostile import no_hang
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from neuralab.data import load_table, tabular
from neuralab.data.tabular import MAX_CLASSES, MAX_NPZ_BYTES

# NEURALAB_FUZZ_EXAMPLES=5000 for a long hunt; 80 keeps the suite fast.
FUZZ = settings(max_examples=int(os.environ.get("NEURALAB_FUZZ_EXAMPLES", "80")), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def check_contract(path, target: str = "label"):
    """Load ``path``: either the dataset holds what training needs, or a one-line ValueError
    names the file. Any other exception propagates and fails the test. Returns the dataset or
    the error message."""
    try:
        with no_hang():
            data = load_table(path, target)
    except ValueError as error:
        message = str(error)
        assert message.startswith(str(path)), message
        assert "\n" not in message and "\r" not in message, message
        return message
    x, y = data.tensors
    assert x.dtype == np.float32 and x.ndim >= 2 and len(x) >= 1 and np.isfinite(x).all()
    assert y.dtype == np.int64 and y.shape == (len(x),)
    assert y.min() >= 0 and y.max() < MAX_CLASSES and len(np.unique(y)) >= 2
    if data.classes is not None:
        assert y.max() < len(data.classes)
    return data


# ---------------------------------------------------------------------------------------- CSV

GOOD_CELLS = ["0", "1", "-2.5", " 3 ", "4e1", '"5"', "1_0", "3.4028235e38", "-0"]
BAD_CELLS = ["", "nan", "inf", "-Infinity", "1e400", "1e39", "abc", "0x10", '"a,b"', '"x\ny"',
             "\x00", "é", "9" * 60, '"', "\ufeff1"]
LABELS = ["0", "1", "2", "1.0", "cat", "dog", "-1", "0.5", "1e9", "nan", "", "9999", "10000"]
NAMES = ["a", "b", "c", "Label", "", " d ", "x;y"]


@st.composite
def csv_soup(draw) -> bytes:
    """Random CSV bytes: mostly-valid rows with bad tokens mixed in, odd headers, line ends,
    BOMs and stray bytes (each rarer than the valid case, so that loading is exercised too)."""
    header = draw(st.lists(st.sampled_from(NAMES), unique=True, min_size=1, max_size=3))
    if draw(st.integers(0, 4)):  # mostly a target column
        header.insert(draw(st.integers(0, len(header))), "label")
    if draw(st.integers(0, 9)) == 0:
        header.append(draw(st.sampled_from(["label ", "a", "\ufefflabel"])))  # maybe duplicate
    t = header.index("label") if "label" in header else -1
    feature = st.one_of(st.sampled_from(GOOD_CELLS), st.sampled_from(GOOD_CELLS),
                        st.sampled_from(GOOD_CELLS), st.sampled_from(BAD_CELLS))
    label = st.one_of(st.sampled_from(["0", "1", "2", "cat", "dog"]), st.sampled_from(LABELS))
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.integers(0, 9)) == 0:  # now and then a ragged row
            rows.append(draw(st.lists(feature, max_size=5)))
        else:
            rows.append([draw(label if i == t else feature) for i in range(len(header))])
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(",".join(row) for row in [header, *rows])
    text += draw(st.sampled_from(["", newline, newline * 2]))
    data = draw(st.sampled_from([b"", b"\xef\xbb\xbf"])) + text.encode("utf-8")
    if draw(st.integers(0, 4)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\xff", b"\x80", b"\x00", b"\xc3"])) + data[at:]
    return data


@FUZZ
@given(content=csv_soup())
def test_csv_soup_keeps_the_contract(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("soup") / "soup.csv"
    path.write_bytes(content)
    check_contract(path)


f32 = st.floats(width=32, allow_nan=False, allow_infinity=False)


@st.composite
def valid_table(draw):
    """(header, feature rows, labels, target column): finite float32 values, 2+ classes."""
    n = draw(st.integers(2, 8))
    width = draw(st.integers(1, 4))
    features = draw(st.lists(st.lists(f32, min_size=width, max_size=width),
                             min_size=n, max_size=n))
    labels = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    assume(len(set(labels)) >= 2)
    target = draw(st.integers(0, width))
    return features, labels, target


def _write(features, labels, target, cells=None, newline="\n", bom=False) -> str:
    names = [f"f{i}" for i in range(len(features[0]))]
    names.insert(target, "label")
    lines = [",".join(names)]
    for row, label in zip(features, labels, strict=True):
        texts = [cells(v) if cells else repr(v) for v in row]
        texts.insert(target, str(label))
        lines.append(",".join(texts))
    return ("\ufeff" if bom else "") + newline.join(lines) + newline


@FUZZ
@given(table=valid_table(), style=st.sampled_from(["plain", "spaced", "quoted"]),
       newline=st.sampled_from(["\n", "\r\n", "\r"]), bom=st.booleans())
def test_csv_round_trip_is_exact(tmp_path_factory, table, style, newline, bom):
    features, labels, target = table
    fmt = {"plain": repr, "spaced": lambda v: f" {v!r} ", "quoted": lambda v: f'"{v!r}"'}[style]
    path = tmp_path_factory.mktemp("round") / "t.csv"
    path.write_text(_write(features, labels, target, fmt, newline, bom), encoding="utf-8",
                    newline="")
    x, y = load_table(path).tensors
    np.testing.assert_array_equal(x, np.array(features, dtype=np.float32))  # float32 reprs: exact
    np.testing.assert_array_equal(y, labels)


@FUZZ
@given(table=valid_table(), data=st.data())
def test_csv_one_bad_cell_is_named_by_line_and_column(tmp_path_factory, table, data):
    features, labels, target = table
    row = data.draw(st.integers(0, len(labels) - 1))
    rows = [[repr(v) for v in r] for r in features]
    labels = [str(v) for v in labels]
    if data.draw(st.booleans()):  # a bad feature
        col = data.draw(st.integers(0, len(rows[0]) - 1))
        rows[row][col] = data.draw(st.sampled_from(
            ["nan", "inf", "-inf", "1e400", "1e39", "-1e39", "abc", "", " ", "0x1p3"]))
        column = f"f{col}"
    else:  # a bad label, in a column that is otherwise numeric
        labels[row] = data.draw(st.sampled_from(["nan", "inf", "-1", "0.5", "1e9", "", "-0.5"]))
        column = "label"
    path = tmp_path_factory.mktemp("bad") / "bad.csv"
    path.write_text(_write(rows, labels, target, cells=str), encoding="utf-8")
    message = check_contract(path)
    assert isinstance(message, str), "a bad cell was accepted"
    assert f"line {row + 2}, column {column!r}" in message, message


def test_csv_memory_stays_in_proportion_to_the_file(tmp_path):
    """One-character values are the worst case: 2 bytes of text per 4-byte float32. The peak is
    the result array with its growth slack (x 1.5), the labels (int64 plus int32 codes) and
    one block of text cells in flight; the old list-of-lists loader took 25x the file."""
    rows, width = 40_000, 12
    path = tmp_path / "ones.csv"
    line = ",".join("1" * width) + ",{}\n"
    path.write_text("".join([",".join(f"c{i}" for i in range(width)) + ",label\n"]
                            + [line.format(i % 3) for i in range(rows)]))
    size = path.stat().st_size
    tracemalloc.start()
    try:
        x = load_table(path).tensors[0]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert x.shape == (rows, width)
    block_text = tabular._BLOCK_VALUES * 100  # a str object and a list slot per cell
    assert peak < 1.5 * x.nbytes + 12 * rows + block_text, (peak, size)
    assert peak < 5 * size, (peak / size)


# ---------------------------------------------------------------------------------------- NPZ

DTYPES = [np.bool_, np.int8, np.uint8, np.int64, np.uint64, np.float16, np.float32, np.float64,
          np.longdouble, np.complex64, "U3", "S2", "datetime64[s]"]


FEATURE_DTYPES = [np.bool_, np.int8, np.uint64, np.float16, np.float32, np.float64]
LABEL_DTYPES = [np.int64, np.uint8, np.float64, np.bool_, "U3"]


@st.composite
def npz_arrays(draw) -> dict[str, np.ndarray]:
    """Arrays for an .npz: half the time plausible (numeric x, labels 0..3, maybe names), half
    the time wild (any dtype and shape, missing arrays, extra members)."""
    n = draw(st.integers(0, 5))
    if draw(st.booleans()):  # plausible
        width = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3))
        arrays = {"x": draw(hnp.arrays(draw(st.sampled_from(FEATURE_DTYPES)), (n, *width)))}
        y_dtype = np.dtype(draw(st.sampled_from(LABEL_DTYPES)))
        elements = (st.sampled_from(["a", "b", "c"]) if y_dtype.kind == "U"
                    else None if y_dtype.kind == "b" else st.integers(0, 3))
        arrays["y"] = draw(hnp.arrays(y_dtype, (n,), elements=elements))
        if draw(st.booleans()):
            arrays["classes"] = np.array(["a", "b", "c", "d"][:draw(st.integers(0, 4))])
        return arrays
    arrays = {}
    for key in ("x", "y", "classes", "junk"):
        if draw(st.integers(0, 3)) == 0:
            continue
        dtype = np.dtype(draw(st.sampled_from(DTYPES)))
        rest = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3))
        shape = {"x": (n, *rest), "y": (n,) if draw(st.integers(0, 3)) else (n, *rest),
                 "classes": rest[:1], "junk": rest}[key]
        arrays[key] = draw(hnp.arrays(dtype, shape))
    return arrays


@FUZZ
@given(arrays=npz_arrays(), compressed=st.booleans())
def test_npz_arrays_keep_the_contract(tmp_path_factory, arrays, compressed):
    path = tmp_path_factory.mktemp("npz") / "a.npz"
    (np.savez_compressed if compressed else np.savez)(path, **arrays)
    check_contract(path)


def _valid_npz(compressed: bool) -> bytes:
    buffer = io.BytesIO()
    rng = np.random.default_rng(0)
    (np.savez_compressed if compressed else np.savez)(
        buffer, x=rng.normal(size=(20, 3)), y=np.arange(20) % 3, classes=np.array(["a", "b", "c"]))
    return buffer.getvalue()


VALID_NPZ = {True: _valid_npz(True), False: _valid_npz(False)}


@FUZZ
@given(compressed=st.booleans(), data=st.data())
def test_damaged_npz_keeps_the_contract(tmp_path_factory, compressed, data):
    content = bytearray(VALID_NPZ[compressed])
    if data.draw(st.booleans()):
        content = content[:data.draw(st.integers(1, len(content) - 1))]
    else:
        for _ in range(data.draw(st.integers(1, 4))):
            content[data.draw(st.integers(0, len(content) - 1))] = data.draw(st.integers(0, 255))
    path = tmp_path_factory.mktemp("damaged") / "d.npz"
    path.write_bytes(bytes(content))
    check_contract(path)


def _npy_header(shape: tuple[int, ...], descr: str) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def _bomb(path, rows: int, extra: dict[str, bytes] | None = None) -> None:
    """An .npz whose x (float64) and y (uint8) headers declare ``rows`` rows; no data follows,
    as a zip bomb's data would only come after the header that sizes the allocation."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("x.npy", _npy_header((rows,), "<f8"))
        archive.writestr("y.npy", _npy_header((rows,), "|u1"))
        for name, content in (extra or {}).items():
            archive.writestr(name, content)


BOMB_SCRIPT = textwrap.dedent("""
    import resource, sys, time
    from neuralab.data import load_table

    with open("/proc/self/status") as status:  # the interpreter's address space now
        vm = next(int(l.split()[1]) * 1024 for l in status if l.startswith("VmSize:"))
    limit = vm + 2**30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    start = time.perf_counter()
    try:
        load_table(sys.argv[1])
        print("LOADED")
    except BaseException as error:
        print(type(error).__name__, round(time.perf_counter() - start, 3), error)
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc are Linux")
@pytest.mark.parametrize(
    "rows, words",
    [(2**40, ["over the limit of 4 GiB (MAX_NPZ_BYTES)", "9,216.0 GiB"]),  # refused by header
     (2**28, ["too large to load into this process's memory"])],  # 2.25 GiB: under the limit
    ids=["over-limit", "over-memory"],
)
def test_npz_bomb_under_a_memory_limit(tmp_path, rows, words):
    path = tmp_path / "bomb.npz"
    _bomb(path, rows)
    assert path.stat().st_size < 1000
    result = subprocess.run([sys.executable, "-c", BOMB_SCRIPT, str(path)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    kind, seconds, message = result.stdout.strip().split(" ", 2)
    assert kind == "ValueError", result.stdout
    assert float(seconds) < 2, result.stdout
    assert message.startswith(str(path))
    for word in words:
        assert word in message, message


def test_npz_limit_counts_only_the_arrays_it_reads(tmp_path, monkeypatch):
    path = tmp_path / "junk.npz"
    buffer = io.BytesIO()
    np.save(buffer, np.arange(4.0))
    x = buffer.getvalue()
    buffer = io.BytesIO()
    np.save(buffer, np.array([0, 1, 0, 1]))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.npy", x)
        archive.writestr("y.npy", buffer.getvalue())
        archive.writestr("junk.npy", _npy_header((2**40,), "<f8"))  # never opened
    np.testing.assert_array_equal(load_table(path).tensors[1], [0, 1, 0, 1])
    monkeypatch.setattr(tabular, "MAX_NPZ_BYTES", 4 * 8 + 4 * 8 - 1)  # x and y: 64 bytes
    check = check_contract(path)
    assert isinstance(check, str) and "over the limit" in check
    assert MAX_NPZ_BYTES == 4 * 2**30  # the documented default
