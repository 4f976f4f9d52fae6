"""load_idx_dataset / mnist / fashion_mnist: search order, verification, download, advice."""

import dataclasses
import gzip
import hashlib
import importlib
import shutil
from pathlib import Path

import numpy as np
import pytest
from _system import FASHION_MNIST_DIR, fashion_mnist_installed

from neuralab.data import (
    FASHION_MNIST,
    MNIST,
    DatasetFile,
    DatasetNotFoundError,
    DatasetSpec,
    data_root,
    fashion_mnist,
    load_idx_dataset,
    mnist,
    read_idx,
    verify_file,
    write_idx,
)

# the package exports the function mnist(), which hides the submodule of the same name
mnist_module = importlib.import_module("neuralab.data.mnist")

DEBIAN = FASHION_MNIST_DIR


def sha(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch, tmp_path):
    mnist_module._CACHE.clear()
    monkeypatch.setenv("NEURALAB_DATA", str(tmp_path / "default-root"))  # never the user's cache
    yield
    mnist_module._CACHE.clear()


class Toy:
    """Small generated IDX files served as a mirror, with a spec holding their digests."""

    def __init__(self, folder: Path, server, n: int = 12):
        rng = np.random.default_rng(0)
        self.images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        self.labels = (np.arange(n) % 10).astype(np.uint8)
        self.server = server
        self.folder = folder
        folder.mkdir()
        self.gz: dict[str, bytes] = {}
        self.raw: dict[str, bytes] = {}
        files = []
        for name, array in [("train-images-idx3-ubyte", self.images),
                            ("train-labels-idx1-ubyte", self.labels),
                            ("t10k-images-idx3-ubyte", self.images[:4]),
                            ("t10k-labels-idx1-ubyte", self.labels[:4])]:
            self.raw[name] = write_idx(folder / name, array).read_bytes()
            self.gz[name] = write_idx(folder / (name + ".gz"), array).read_bytes()
            digests = {"sha256": sha(self.gz[name]), "raw_sha256": sha(self.raw[name])}
            files.append(DatasetFile(name, **digests))
            if server is not None:
                server.serve(f"/m2/{name}.gz", self.gz[name])
        base = server.base if server is not None else "http://127.0.0.1:1"
        self.spec = DatasetSpec(
            name="toy", title="Toy-MNIST", train=(files[0], files[1]), test=(files[2], files[3]),
            mirrors=(base + "/m1/", base + "/m2/"), classes=tuple("0123456789"),
        )

    def check(self, data, n=None):
        n = len(self.labels) if n is None else n
        x, y = data.tensors
        assert x.shape == (n, 1, 28, 28) and x.dtype == np.float32
        assert y.shape == (n,) and y.dtype == np.int64
        np.testing.assert_array_equal(x[:, 0], self.images[:n] / np.float32(255))
        np.testing.assert_array_equal(y, self.labels[:n])
        assert data.classes == list("0123456789")


@pytest.fixture
def toy(tmp_path, http_server):
    return Toy(tmp_path / "published", http_server)


def test_download_populates_the_cache_then_the_cache_is_used(tmp_path, toy, http_server):
    root = tmp_path / "cache"
    toy.check(load_idx_dataset(toy.spec, root, train=True))
    # /m1/ has no files (404), /m2/ serves them: each file is tried on m1, then fetched from m2
    assert http_server.requests == [
        "/m1/train-images-idx3-ubyte.gz", "/m2/train-images-idx3-ubyte.gz",
        "/m1/train-labels-idx1-ubyte.gz", "/m2/train-labels-idx1-ubyte.gz",
    ]
    assert sorted(p.name for p in root.iterdir()) == [
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
    ]
    assert (root / "train-images-idx3-ubyte.gz").read_bytes() == toy.gz["train-images-idx3-ubyte"]
    mnist_module._CACHE.clear()  # force a real re-read from disk
    requests = len(http_server.requests)
    toy.check(load_idx_dataset(toy.spec, root, train=True))
    toy.check(load_idx_dataset(toy.spec, root, train=False), n=4)
    assert len(http_server.requests) == requests + 4  # only the test split was fetched
    load_idx_dataset(toy.spec, root, train=True)
    assert len(http_server.requests) == requests + 4


def test_second_load_is_served_from_the_in_process_cache(tmp_path, toy):
    root = tmp_path / "cache"
    first = load_idx_dataset(toy.spec, root)
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        assert (root / name).exists()
    second = load_idx_dataset(toy.spec, root)
    np.testing.assert_array_equal(first.tensors[0], second.tensors[0])
    first.tensors[0][:] = 0  # each call gets its own float arrays
    toy.check(second)


def test_default_root_is_neuralab_data(tmp_path, toy, monkeypatch):
    monkeypatch.setenv("NEURALAB_DATA", str(tmp_path / "mine"))
    assert data_root("toy") == tmp_path / "mine" / "toy"
    toy.check(load_idx_dataset(toy.spec))
    assert (tmp_path / "mine" / "toy" / "train-labels-idx1-ubyte.gz").exists()
    monkeypatch.delenv("NEURALAB_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data_root("mnist") == tmp_path / "xdg" / "neuralab" / "mnist"


def test_wrong_checksum_from_the_mirror_leaves_nothing(tmp_path, toy, http_server):
    for mirror in ("m1", "m2"):
        http_server.serve(f"/{mirror}/train-images-idx3-ubyte.gz", gzip.compress(b"not it"))
    root = tmp_path / "cache"
    with pytest.raises(DatasetNotFoundError) as info:
        load_idx_dataset(toy.spec, root)
    message = str(info.value)
    assert "checksum mismatch" in message and f"{http_server.base}/m2/train-images" in message
    assert not root.exists() or not any(root.iterdir())


def test_truncated_transfer_leaves_nothing(tmp_path, toy, http_server):
    body = toy.gz["train-images-idx3-ubyte"]
    http_server.serve("/m2/train-images-idx3-ubyte.gz", body[:1000], declared=len(body))
    root = tmp_path / "cache"
    with pytest.raises(DatasetNotFoundError, match=f"received 1000 of {len(body)} bytes"):
        load_idx_dataset(toy.spec, root)
    assert not any(root.iterdir())


def test_server_error_on_first_mirror_falls_back(tmp_path, toy, http_server):
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
        http_server.serve(f"/m1/{name}.gz", b"", status=500)
    toy.check(load_idx_dataset(toy.spec, tmp_path / "cache"))
    assert http_server.requests[:2] == [
        "/m1/train-images-idx3-ubyte.gz", "/m2/train-images-idx3-ubyte.gz",
    ]


def test_offline_gives_advice(tmp_path, toy):
    spec = dataclasses.replace(toy.spec, mirrors=("http://127.0.0.1:1/",))
    root = tmp_path / "cache"
    with pytest.raises(DatasetNotFoundError) as info:
        load_idx_dataset(spec, root, train=False)
    message = str(info.value)
    for text in [
        "Toy-MNIST (test split) is not available",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", str(root),
        "http://127.0.0.1:1/t10k-images-idx3-ubyte.gz: unreachable",
        "$NEURALAB_DATA", "'toy' subfolder", "dataset-fashion-mnist",
        "/usr/share/datasets/fashion-mnist", "digits()",
    ]:
        assert text in message, text
    assert isinstance(info.value, RuntimeError)


def test_download_false_and_nothing_found(tmp_path, toy, http_server):
    with pytest.raises(DatasetNotFoundError, match="download=False"):
        load_idx_dataset(toy.spec, tmp_path / "empty", download=False)
    assert http_server.requests == []


def test_local_dirs_are_searched_uncompressed_and_recompressed(tmp_path, toy, http_server):
    share = tmp_path / "share"
    share.mkdir()
    images = "train-images-idx3-ubyte"
    (share / images).write_bytes(toy.raw[images])  # uncompressed copy: raw digest
    labels = "train-labels-idx1-ubyte"
    recompressed = gzip.compress(toy.raw[labels], compresslevel=1, mtime=12345)
    assert sha(recompressed) != toy.spec.train[1].sha256
    (share / (labels + ".gz")).write_bytes(recompressed)
    spec = dataclasses.replace(toy.spec, local_dirs=(str(share),))
    toy.check(load_idx_dataset(spec, tmp_path / "cache"))
    assert http_server.requests == []


def test_root_comes_before_local_dirs(tmp_path, toy, http_server):
    spec = dataclasses.replace(toy.spec, local_dirs=("/nonexistent-dir",))
    toy.check(load_idx_dataset(spec, toy.folder, download=False))
    assert http_server.requests == []


def test_corrupt_local_copy_is_not_used(tmp_path, toy, http_server):
    share = tmp_path / "share"
    share.mkdir()
    name = "train-labels-idx1-ubyte"
    raw = bytearray(toy.raw[name])
    raw[-1] ^= 1  # one label changed: still a valid IDX file
    (share / (name + ".gz")).write_bytes(gzip.compress(bytes(raw)))
    shutil.copy(toy.folder / "train-images-idx3-ubyte.gz", share)
    spec = dataclasses.replace(toy.spec, local_dirs=(str(share),))
    with pytest.raises(DatasetNotFoundError) as info:
        load_idx_dataset(spec, tmp_path / "cache", download=False)
    message = str(info.value)
    assert f"{share / (name + '.gz')}: not used, it fails verification" in message
    assert sha(bytes(raw)) in message and toy.spec.train[1].raw_sha256 in message
    assert "missing train-labels-idx1-ubyte.gz." in message  # the images were fine


def test_corrupt_cache_file_is_downloaded_again(tmp_path, toy, http_server):
    root = tmp_path / "cache"
    root.mkdir()
    (root / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b garbage")
    with pytest.warns(UserWarning, match="not used"):
        data = load_idx_dataset(toy.spec, root)
    toy.check(data)
    assert (root / "train-images-idx3-ubyte.gz").read_bytes() == toy.gz["train-images-idx3-ubyte"]
    assert "/m2/train-images-idx3-ubyte.gz" in http_server.requests


def test_uncompressed_copy_without_a_raw_digest_says_so(tmp_path):
    toy = Toy(tmp_path / "pub", None)
    files = [dataclasses.replace(f, raw_sha256=None) for f in (*toy.spec.train, *toy.spec.test)]
    spec = dataclasses.replace(toy.spec, train=tuple(files[:2]), test=tuple(files[2:]))
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (toy.folder / name).unlink()
    with pytest.raises(DatasetNotFoundError, match="no digest of the uncompressed file is known"):
        load_idx_dataset(spec, toy.folder, train=False, download=False)
    toy.check(load_idx_dataset(spec, toy.folder, train=True, download=False))  # .gz verifies


def test_mismatched_image_and_label_counts(tmp_path):
    toy = Toy(tmp_path / "pub", None)
    labels = write_idx(tmp_path / "labels", toy.labels[:5]).read_bytes()
    spec = dataclasses.replace(
        toy.spec, train=(toy.spec.train[0], DatasetFile("labels", raw_sha256=sha(labels)))
    )
    shutil.copy(tmp_path / "labels", toy.folder / "labels")
    with pytest.raises(ValueError, match=r"found shapes \(12, 28, 28\) and \(5,\)"):
        load_idx_dataset(spec, toy.folder, download=False)


def test_a_spec_file_needs_a_sha256():
    with pytest.raises(ValueError, match="needs sha256 or raw_sha256"):
        DatasetFile("x", md5="0" * 32)


def test_builtin_tables():
    for spec in (MNIST, FASHION_MNIST):
        files = [*spec.train, *spec.test]
        assert [f.name for f in files] == [
            "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
        ]
        for f in files:
            assert f.raw_sha256 is not None and len(f.raw_sha256) == 64
        assert all(m.endswith("/") for m in spec.mirrors) and len(spec.mirrors) == 2
        assert len(spec.classes) == 10
    assert all(f.sha256 is not None for f in (*MNIST.train, *MNIST.test))
    assert FASHION_MNIST.classes[7] == "Sneaker" and FASHION_MNIST.classes[9] == "Ankle boot"


def test_mnist_without_download_or_files_raises_advice(tmp_path, monkeypatch):
    # as on a machine without a local copy, whatever this one has installed
    monkeypatch.setattr(mnist_module, "MNIST", dataclasses.replace(MNIST, local_dirs=()))
    with pytest.raises(DatasetNotFoundError, match="MNIST .train split. is not available"):
        mnist(root=tmp_path, download=False)


debian = fashion_mnist_installed


@debian
def test_debian_fashion_mnist_files_pass_verification():
    for f in (*FASHION_MNIST.train, *FASHION_MNIST.test):
        path = DEBIAN / (f.name + ".gz")
        assert verify_file(path, raw_sha256=f.raw_sha256)
        # Debian recompressed the files: the published .gz MD5 does not match, by design
        assert not verify_file(path, md5=f.md5, strict=False)


@debian
def test_debian_fashion_mnist_loads(tmp_path):
    train = fashion_mnist(root=tmp_path / "empty", train=True, download=False)
    x, y = train.tensors
    assert x.shape == (60000, 1, 28, 28) and x.dtype == np.float32
    assert y.shape == (60000,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    np.testing.assert_array_equal(np.bincount(y), [6000] * 10)
    raw = read_idx(DEBIAN / "train-images-idx3-ubyte.gz")
    np.testing.assert_array_equal(x[:100, 0] * np.float32(255), raw[:100])
    assert train.classes[0] == "T-shirt/top"
    assert len(mnist_module._CACHE) == 2  # parsed, verified uint8 arrays kept in-process
    again = fashion_mnist(root=tmp_path / "empty", train=True, download=False)
    assert again.tensors[0] is not x and len(mnist_module._CACHE) == 2
    test = fashion_mnist(root=tmp_path / "empty", train=False, download=False)
    assert test.tensors[0].shape == (10000, 1, 28, 28)
    np.testing.assert_array_equal(np.bincount(test.tensors[1]), [1000] * 10)


@debian
def test_corrupted_copy_of_debian_fashion_fails(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    shutil.copy(DEBIAN / "t10k-images-idx3-ubyte.gz", bad)
    labels = bytearray(gzip.decompress((DEBIAN / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    original = labels[100]  # label 92 (after the 8-byte header)
    labels[100] = (original + 1) % 10
    (bad / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(labels)))
    with pytest.warns(UserWarning, match="t10k-labels-idx1-ubyte.gz: not used"):
        data = fashion_mnist(root=bad, train=False, download=False)  # falls back to Debian's
    assert data.tensors[1][92] == original
    alone = dataclasses.replace(FASHION_MNIST, local_dirs=())
    with pytest.raises(DatasetNotFoundError, match="t10k-labels-idx1-ubyte.gz: not used"):
        load_idx_dataset(alone, root=bad, train=False, download=False)
