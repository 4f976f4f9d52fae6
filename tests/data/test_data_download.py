"""download() and verify_file() against a local HTTP server: mirrors, checksums, atomicity."""

import gzip
import hashlib
import random

import pytest

from neuralab.data import ChecksumError, DownloadError, download, verify_file

BODY = random.Random(0).randbytes(20_000) + bytes(20_000)  # partly compressible
GZ = gzip.compress(BODY, mtime=0)


def sha(data):
    return hashlib.sha256(data).hexdigest()


def _leftovers(folder, keep=()):
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_success_writes_the_verified_file(tmp_path, http_server):
    url = http_server.serve("/m1/file.gz", GZ)
    dest = tmp_path / "cache" / "file.gz"
    md5 = hashlib.md5(GZ).hexdigest()
    got = download([url], dest, sha256=sha(GZ), raw_sha256=sha(BODY), md5=md5)
    assert got == dest and dest.read_bytes() == GZ
    assert _leftovers(dest.parent) == ["file.gz"]  # no temporary files remain
    assert http_server.requests == ["/m1/file.gz"]


def test_a_single_url_string_and_no_digests(tmp_path, http_server):
    url = http_server.serve("/plain.bin", BODY)
    assert download(url, tmp_path / "plain.bin").read_bytes() == BODY


def test_wrong_checksum_leaves_no_file(tmp_path, http_server):
    url = http_server.serve("/f.gz", GZ)
    dest = tmp_path / "f.gz"
    with pytest.raises(DownloadError) as info:
        download([url], dest, sha256="0" * 64)
    message = str(info.value)
    assert url in message and "checksum mismatch" in message and sha(GZ) in message
    assert _leftovers(tmp_path) == []
    assert info.value.errors[0][0] == url


def test_wrong_raw_checksum_and_wrong_md5_are_caught(tmp_path, http_server):
    url = http_server.serve("/f.gz", GZ)
    with pytest.raises(DownloadError, match="decompressed content"):
        download([url], tmp_path / "f.gz", raw_sha256=sha(b"other"))
    with pytest.raises(DownloadError, match="MD5 expected"):
        download([url], tmp_path / "f.gz", md5="0" * 32)
    assert _leftovers(tmp_path) == []


def test_truncated_transfer_leaves_no_file(tmp_path, http_server):
    url = http_server.serve("/cut.gz", GZ[:500], declared=len(GZ))
    with pytest.raises(DownloadError, match=f"received 500 of {len(GZ)} bytes"):
        download([url], tmp_path / "cut.gz")  # even with no digest to check
    assert _leftovers(tmp_path) == []


def test_cut_gzip_fails_raw_verification(tmp_path, http_server):
    url = http_server.serve("/cut.gz", GZ[: len(GZ) // 2])  # complete transfer of a cut file
    with pytest.raises(DownloadError, match="corrupt gzip stream"):
        download([url], tmp_path / "cut.gz", raw_sha256=sha(BODY))
    assert _leftovers(tmp_path) == []


def test_server_error_falls_back_to_the_next_mirror(tmp_path, http_server):
    bad = http_server.serve("/a/f.gz", b"oops", status=500)
    good = http_server.serve("/b/f.gz", GZ)
    dest = download([bad, good], tmp_path / "f.gz", sha256=sha(GZ))
    assert dest.read_bytes() == GZ
    assert http_server.requests == ["/a/f.gz", "/b/f.gz"]


def test_all_mirrors_failing_lists_each_url_and_reason(tmp_path, http_server):
    bad = http_server.serve("/a/f.gz", b"oops", status=500)
    missing = http_server.base + "/b/f.gz"
    with pytest.raises(DownloadError) as info:
        download([bad, missing, "http://127.0.0.1:1/f.gz"], tmp_path / "f.gz", timeout=5)
    message = str(info.value)
    assert f"{bad}: HTTP 500" in message
    assert f"{missing}: HTTP 404" in message
    assert "http://127.0.0.1:1/f.gz: unreachable" in message
    assert [url for url, _ in info.value.errors] == [bad, missing, "http://127.0.0.1:1/f.gz"]
    assert _leftovers(tmp_path) == []
    with pytest.raises(DownloadError, match="no URLs"):
        download([], tmp_path / "f.gz")


def test_failed_download_keeps_an_existing_file_intact(tmp_path, http_server):
    dest = tmp_path / "f.gz"
    dest.write_bytes(b"previous")
    url = http_server.serve("/f.gz", GZ)
    with pytest.raises(DownloadError):
        download([url], dest, sha256="0" * 64)
    assert dest.read_bytes() == b"previous"
    download([url], dest, sha256=sha(GZ))  # a verified one replaces it
    assert dest.read_bytes() == GZ


def test_verify_file(tmp_path):
    gz = tmp_path / "f.gz"
    gz.write_bytes(GZ)
    raw = tmp_path / "f"
    raw.write_bytes(BODY)
    assert verify_file(gz, sha256=sha(GZ), raw_sha256=sha(BODY))
    assert verify_file(gz, md5=hashlib.md5(GZ).hexdigest())
    assert verify_file(raw, raw_sha256=sha(BODY))  # not gzip: raw digest is of the bytes
    assert verify_file(raw, sha256=sha(BODY).upper())
    with pytest.raises(ChecksumError) as info:
        verify_file(gz, raw_sha256="ab" * 32)
    message = str(info.value)
    assert str(gz) in message and "ab" * 32 in message and sha(BODY) in message
    assert verify_file(gz, sha256="0" * 64, strict=False) is False
    cut = tmp_path / "cut.gz"
    cut.write_bytes(GZ[:100])
    with pytest.raises(ChecksumError, match="corrupt gzip stream"):
        verify_file(cut, raw_sha256=sha(BODY))
    with pytest.raises(ValueError, match="at least one"):
        verify_file(gz)
