"""digits(): scikit-learn's 8x8 digits, split deterministically; and light imports."""

import importlib
import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_digits

from neuralab.data import digits

digits_module = importlib.import_module("neuralab.data.digits")


def test_shapes_dtypes_and_range():
    train, test = digits(train=True), digits(train=False)
    assert len(train) + len(test) == 1797 and len(test) == 359  # round(0.2 * 1797)
    for data in (train, test):
        x, y = data.tensors
        assert x.shape == (len(data), 1, 8, 8) and x.dtype == np.float32
        assert y.dtype == np.int64 and set(np.unique(y)) == set(range(10))
        assert x.min() == 0.0 and x.max() == 1.0
        assert data.classes == [str(d) for d in range(10)]


def test_split_is_deterministic_disjoint_and_complete():
    a, b = digits(train=False, seed=0), digits(train=False, seed=0)
    np.testing.assert_array_equal(a.tensors[0], b.tensors[0])
    np.testing.assert_array_equal(a.tensors[1], b.tensors[1])
    assert not np.array_equal(digits(train=False, seed=1).tensors[0], a.tensors[0])
    train = digits(train=True, test_fraction=0.5, seed=3)
    test = digits(train=False, test_fraction=0.5, seed=3)
    assert (len(train), len(test)) == (899, 898)  # round(898.5) == 898
    # together they are exactly scikit-learn's data (pixel / 16), each example once
    bunch = load_digits()
    expected = np.concatenate([bunch.images.reshape(-1, 64) * 4, bunch.target[:, None]], axis=1)
    got = np.concatenate(
        [np.concatenate([d.tensors[0].reshape(-1, 64) * 64, d.tensors[1][:, None]], axis=1)
         for d in (train, test)]
    )
    assert sorted(map(tuple, got.tolist())) == sorted(map(tuple, expected.tolist()))


def test_returned_arrays_are_independent_copies():
    first = digits()
    first.tensors[0][:] = 5
    assert digits().tensors[0].max() == 1.0


def test_bad_fraction():
    with pytest.raises(ValueError, match="test_fraction"):
        digits(test_fraction=0.0)


def test_missing_scikit_learn_says_how_to_install(monkeypatch):
    digits_module._load.cache_clear()
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    try:
        with pytest.raises(ImportError, match=r'pip install "neuralab\[data\]"'):
            digits()
    finally:
        digits_module._load.cache_clear()


def test_importing_neuralab_data_stays_light():
    code = (
        "import sys, neuralab.data; "
        "print(sorted(m for m in ('sklearn', 'torch', 'matplotlib', 'urllib.request') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
