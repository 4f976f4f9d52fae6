"""Downloading with mirrors and checksums, and verifying local files.

A download streams into a temporary file beside ``dest`` and is renamed into place only
once complete and verified, so an interrupted or corrupted transfer never leaves a file
at ``dest``.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import zlib
from pathlib import Path

from .idx import is_gzip

__all__ = ["ChecksumError", "DownloadError", "download", "verify_file"]

_CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """Every mirror failed; ``errors`` holds ``(url, reason)`` for each."""

    def __init__(self, message: str, errors: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


class ChecksumError(ValueError):
    """A file's digest differs from the expected one."""


def _gunzipped_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with gzip.open(path, "rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _file_digests(path: Path, want_md5: bool) -> tuple[str, str | None, bool]:
    """SHA-256 and (optionally) MD5 of the file's bytes, and whether it is gzip."""
    sha, md5 = hashlib.sha256(), hashlib.md5() if want_md5 else None
    with open(path, "rb") as file:
        head = file.read(2)
        sha.update(head)
        if md5:
            md5.update(head)
        while chunk := file.read(_CHUNK):
            sha.update(chunk)
            if md5:
                md5.update(chunk)
    return sha.hexdigest(), md5.hexdigest() if md5 else None, is_gzip(head)


def _problems(
    path: Path, sha256: str | None, raw_sha256: str | None, md5: str | None
) -> list[str]:
    problems = []
    found_sha, found_md5, gzipped = _file_digests(path, md5 is not None)
    if sha256 is not None and found_sha != sha256.lower():
        problems.append(f"SHA-256 expected {sha256.lower()}, found {found_sha}")
    if md5 is not None and found_md5 != md5.lower():
        problems.append(f"MD5 expected {md5.lower()}, found {found_md5}")
    if raw_sha256 is not None:
        try:
            found_raw = _gunzipped_sha256(path) if gzipped else found_sha
        except (OSError, EOFError, zlib.error) as err:
            problems.append(f"corrupt gzip stream ({err})")
        else:
            if found_raw != raw_sha256.lower():
                what = "decompressed content" if gzipped else "content"
                problems.append(
                    f"SHA-256 of {what} expected {raw_sha256.lower()}, found {found_raw}"
                )
    return problems


def verify_file(
    path: str | os.PathLike,
    sha256: str | None = None,
    raw_sha256: str | None = None,
    md5: str | None = None,
    *,
    strict: bool = True,
) -> bool:
    """Check ``path`` against every digest given; True if all match.

    ``sha256``/``md5`` are of the file's bytes; ``raw_sha256`` is of the decompressed
    content when the file is gzip (by its magic bytes), else of the bytes. A mismatch
    raises :class:`ChecksumError` naming the file and both digests (``strict=False``:
    returns False instead).
    """
    if sha256 is None and raw_sha256 is None and md5 is None:
        raise ValueError("verify_file needs at least one of sha256, raw_sha256, md5")
    problems = _problems(Path(path), sha256, raw_sha256, md5)
    if problems and strict:
        raise ChecksumError(f"{path} failed verification: " + "; ".join(problems))
    return not problems


def download(
    urls: list[str] | str,
    dest: str | os.PathLike,
    sha256: str | None = None,
    raw_sha256: str | None = None,
    md5: str | None = None,
    *,
    timeout: float = 30.0,
) -> Path:
    """Fetch ``dest`` from the first of ``urls`` that delivers a complete, verified file.

    Digests as in :func:`verify_file`. Raises :class:`DownloadError` listing each URL and
    why it failed.
    """
    import http.client  # lazy: keeps ``import neuralab.data`` light
    import urllib.error
    import urllib.request

    if isinstance(urls, str):
        urls = [urls]
    dest = Path(dest)
    if not urls:
        raise DownloadError(f"no URLs given to download {dest.name}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    checked = any(d is not None for d in (sha256, raw_sha256, md5))
    errors: list[tuple[str, str]] = []
    for url in urls:
        fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                request = urllib.request.Request(url, headers={"User-Agent": "neuralab"})
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    declared = response.headers.get("Content-Length")
                    received = 0
                    while chunk := response.read(_CHUNK):
                        out.write(chunk)
                        received += len(chunk)
                # urllib does not complain when the connection closes early.
                if declared is not None and received != int(declared):
                    raise DownloadError(f"incomplete: received {received} of {declared} bytes")
            problems = _problems(tmp, sha256, raw_sha256, md5) if checked else []
            if problems:
                raise ChecksumError("checksum mismatch: " + "; ".join(problems))
            os.replace(tmp, dest)
            return dest
        except urllib.error.HTTPError as err:
            errors.append((url, f"HTTP {err.code} {err.reason}"))
        except urllib.error.URLError as err:
            errors.append((url, f"unreachable ({err.reason})"))
        except (ChecksumError, DownloadError) as err:
            errors.append((url, str(err)))
        except (OSError, ValueError, http.client.HTTPException) as err:  # timeouts, bad URLs
            errors.append((url, f"{type(err).__name__}: {err}"))
        finally:
            tmp.unlink(missing_ok=True)
    lines = "\n".join(f"  {url}: {reason}" for url, reason in errors)
    raise DownloadError(f"could not download {dest.name} from any mirror:\n{lines}", errors)
