"""MNIST and Fashion-MNIST: found locally or downloaded, always verified by SHA-256.

Each file is looked for, gzipped or not, in ``root`` (default ``$NEURALAB_DATA/<name>`` or
``~/.cache/neuralab/<name>``), then in well-known local folders (Debian's
``dataset-fashion-mnist`` package installs ``/usr/share/datasets/fashion-mnist``), then
downloaded into ``root`` from each mirror in turn. A file is used only if its bytes match
the published ``.gz`` SHA-256 or its decompressed content matches the raw SHA-256, so a
recompressed copy passes and a corrupted one does not.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .dataset import TensorDataset
from .download import ChecksumError, DownloadError
from .download import download as fetch
from .idx import IDXError, decompress, is_gzip, parse_idx

__all__ = [
    "FASHION_MNIST",
    "MNIST",
    "DatasetFile",
    "DatasetNotFoundError",
    "DatasetSpec",
    "data_root",
    "fashion_mnist",
    "load_idx_dataset",
    "mnist",
]


class DatasetNotFoundError(RuntimeError):
    """A data set is neither on disk nor downloadable; the message says what to do."""


@dataclass(frozen=True)
class DatasetFile:
    """One IDX file: its name without ``.gz`` and the digests that identify it."""

    name: str
    sha256: str | None = None  # of the published .gz file
    raw_sha256: str | None = None  # of the decompressed IDX content
    md5: str | None = None  # of the published .gz; checked on download only

    def __post_init__(self) -> None:
        if self.sha256 is None and self.raw_sha256 is None:
            raise ValueError(f"{self.name}: a DatasetFile needs sha256 or raw_sha256")


@dataclass(frozen=True)
class DatasetSpec:
    """Where an IDX data set lives and how to recognise its files."""

    name: str  # folder name under the data root, e.g. "mnist"
    title: str  # for messages, e.g. "MNIST"
    train: tuple[DatasetFile, DatasetFile]  # (images, labels)
    test: tuple[DatasetFile, DatasetFile]
    mirrors: tuple[str, ...] = ()  # base URLs, each ending in "/"
    local_dirs: tuple[str, ...] = ()  # searched after root, before downloading
    classes: tuple[str, ...] = ()


MNIST = DatasetSpec(
    name="mnist",
    title="MNIST",
    # raw_sha256: SHA-256 of the decompressed files, as listed by several independent
    # public projects (they match the published .gz digests' content).
    train=(
        DatasetFile(
            "train-images-idx3-ubyte",
            sha256="440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            raw_sha256="ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        ),
        DatasetFile(
            "train-labels-idx1-ubyte",
            sha256="3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            raw_sha256="65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        ),
    ),
    test=(
        DatasetFile(
            "t10k-images-idx3-ubyte",
            sha256="8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            raw_sha256="0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        ),
        DatasetFile(
            "t10k-labels-idx1-ubyte",
            sha256="f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            raw_sha256="ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        ),
    ),
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    local_dirs=("/usr/share/datasets/mnist",),
    classes=tuple(str(d) for d in range(10)),
)

FASHION_MNIST = DatasetSpec(
    name="fashion-mnist",
    title="Fashion-MNIST",
    # Only MD5s of the .gz files are published; distributions recompress them (Debian
    # does), so the decompressed SHA-256 is what identifies a copy.
    train=(
        DatasetFile(
            "train-images-idx3-ubyte",
            raw_sha256="c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            md5="8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        ),
        DatasetFile(
            "train-labels-idx1-ubyte",
            raw_sha256="bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            md5="25c81989df183df01b3e8a0aad5dffbe",
        ),
    ),
    test=(
        DatasetFile(
            "t10k-images-idx3-ubyte",
            raw_sha256="5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            md5="bef4ecab320f06d8554ea6380940ec79",
        ),
        DatasetFile(
            "t10k-labels-idx1-ubyte",
            raw_sha256="0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            md5="bb300cfdad3c16e7a12a480ee83cd310",
        ),
    ),
    mirrors=(
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ),
    local_dirs=("/usr/share/datasets/fashion-mnist",),
    classes=(
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
)

# Parsed, verified arrays keyed by file identity, so a second load skips the work.
_CACHE: dict[tuple, np.ndarray] = {}


def data_root(name: str) -> Path:
    """The default folder for data set ``name``: ``$NEURALAB_DATA/<name>`` or the user cache."""
    env = os.environ.get("NEURALAB_DATA")
    if env:
        return Path(env).expanduser() / name
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser() / "neuralab" / name


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _load_verified(path: Path, spec_file: DatasetFile, *, checked: bool = False) -> np.ndarray:
    """Parse ``path`` if it is the file ``spec_file`` describes; else raise ChecksumError.

    ``checked=True``: the digests were already verified (by ``download``), so only parse.
    """
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, spec_file)
    if key in _CACHE:
        return _CACHE[key]
    data = path.read_bytes()
    gzipped = is_gzip(data)
    try:
        content = decompress(data, str(path)) if gzipped else data
    except IDXError as err:
        raise ChecksumError(f"{path}: not used: {err}") from None
    if not checked:
        _verify(path, spec_file, data, content, gzipped)
    array = parse_idx(content, str(path), copy=False)
    array.setflags(write=False)  # shared through the cache
    _CACHE[key] = array
    return array


def _verify(
    path: Path, spec_file: DatasetFile, data: bytes, content: bytes, gzipped: bool
) -> None:
    """Accept the published .gz bytes or the decompressed content; else raise ChecksumError."""
    file_sha = _sha256(data)
    if gzipped and file_sha == spec_file.sha256:
        return
    raw_sha = _sha256(content) if gzipped else file_sha
    if raw_sha == spec_file.raw_sha256:
        return
    found = f"file SHA-256 {file_sha}"
    if gzipped:
        found += f", decompressed SHA-256 {raw_sha}"
    expected = []
    if spec_file.sha256:
        expected.append(f"{spec_file.sha256} for the published .gz")
    if spec_file.raw_sha256:
        expected.append(f"{spec_file.raw_sha256} for the decompressed file")
    hint = ""
    if not gzipped and spec_file.raw_sha256 is None:
        hint = " (no digest of the uncompressed file is known: use the original .gz)"
    raise ChecksumError(
        f"{path}: not used, it fails verification: found {found}; expected "
        f"{' or '.join(expected)}{hint}"
    )


def _candidates(spec: DatasetSpec, root: Path, spec_file: DatasetFile) -> list[Path]:
    folders = [root, *(Path(d) for d in spec.local_dirs)]
    names = (spec_file.name + ".gz", spec_file.name)
    return [folder / name for folder in folders for name in names if (folder / name).is_file()]


def load_idx_dataset(
    spec: DatasetSpec,
    root: str | os.PathLike | None = None,
    train: bool = True,
    download: bool = True,
) -> TensorDataset:
    """Load the train or test split described by ``spec`` (see the module docstring).

    Returns x float32 ``(N, 1, H, W)`` in [0, 1] and y int64 ``(N,)``, with ``.classes``.
    """
    root = data_root(spec.name) if root is None else Path(root).expanduser()
    rejected: list[str] = []
    failures: list[str] = []
    missing: list[DatasetFile] = []
    arrays = []
    for spec_file in spec.train if train else spec.test:
        array = None
        bad_here: list[str] = []
        for path in _candidates(spec, root, spec_file):
            try:
                array = _load_verified(path, spec_file)
                break
            except (ChecksumError, IDXError, OSError) as err:
                bad_here.append(str(err))
        if array is None and download and spec.mirrors and not failures:
            urls = [mirror + spec_file.name + ".gz" for mirror in spec.mirrors]
            try:
                path = fetch(
                    urls, root / (spec_file.name + ".gz"),
                    sha256=spec_file.sha256, raw_sha256=spec_file.raw_sha256, md5=spec_file.md5,
                )
                array = _load_verified(path, spec_file, checked=True)
            except (DownloadError, ChecksumError, IDXError, OSError) as err:
                failures.append(str(err))
        if array is None:
            rejected += bad_here
            missing.append(spec_file)
        elif bad_here:
            warnings.warn("; ".join(bad_here) + " (another copy was used)", stacklevel=2)
        arrays.append(array)
    if missing:
        advice = _advice(spec, root, train, download, missing, rejected, failures)
        raise DatasetNotFoundError(advice)
    images, labels = arrays
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise IDXError(
            f"{spec.title}: expected images (N, H, W) and labels (N,), found shapes "
            f"{images.shape} and {labels.shape}"
        )
    x = np.divide(images[:, None], np.float32(255), dtype=np.float32)
    return TensorDataset(x, labels.astype(np.int64), classes=list(spec.classes) or None)


def _advice(
    spec: DatasetSpec,
    root: Path,
    train: bool,
    download: bool,
    missing: list[DatasetFile],
    rejected: list[str],
    failures: list[str],
) -> str:
    split = "train" if train else "test"
    names = ", ".join(f.name + ".gz" for f in missing)
    places = ", ".join(str(p) for p in [root, *spec.local_dirs])
    lines = [
        f"{spec.title} ({split} split) is not available: missing {names}.",
        f"Looked in: {places}.",
    ]
    lines += [f"Rejected: {r}" for r in rejected]
    if failures:
        lines += ["Download failed:", *failures]
    elif not download:
        lines.append("Nothing was downloaded because download=False.")
    lines += [
        "To fix, do one of:",
        f"  - put {names} (gzipped, or uncompressed without .gz) in {root}, or set "
        f"$NEURALAB_DATA to a folder whose '{spec.name}' subfolder holds them, or pass root=;",
        "  - connect to the internet and call again with download=True;",
        "  - offline on Debian/Ubuntu: `apt install dataset-fashion-mnist` provides "
        "Fashion-MNIST in /usr/share/datasets/fashion-mnist (used automatically);",
        "  - neuralab.data.digits() works offline (scikit-learn's bundled 8x8 digits).",
    ]
    return "\n".join(lines)


def mnist(
    root: str | os.PathLike | None = None, train: bool = True, download: bool = True
) -> TensorDataset:
    """MNIST handwritten digits: x (N, 1, 28, 28) float32 in [0, 1], y int64 (N,)."""
    return load_idx_dataset(MNIST, root, train, download)


def fashion_mnist(
    root: str | os.PathLike | None = None, train: bool = True, download: bool = True
) -> TensorDataset:
    """Fashion-MNIST (Zalando): x (N, 1, 28, 28) float32 in [0, 1], y int64 (N,)."""
    return load_idx_dataset(FASHION_MNIST, root, train, download)
