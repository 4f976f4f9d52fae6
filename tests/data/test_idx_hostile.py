"""Hostile IDX files: gzip bombs, headers asking for absurd sizes, overflowing shapes, random
bytes. Each is refused with an IDXError naming the file, before memory of the claimed size is
taken; nothing else escapes."""

from __future__ import annotations

import gzip
import struct
import zlib

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from neuralab.data import IDXError, read_idx, write_idx
from neuralab.data.idx import MAX_IDX_BYTES, decompress, parse_idx


def _header(code: int, *shape: int) -> bytes:
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


def test_gzip_bomb_is_decompressed_only_as_far_as_its_header_says(tmp_path) -> None:
    # 10 declared values, then 64 MB of zeros that compress to 64 kB
    bomb = gzip.compress(_header(0x08, 10) + bytes(10) + bytes(64 << 20), compresslevel=9)
    assert len(bomb) < 100_000
    content = decompress(bomb, "bomb.gz")
    assert len(content) == 4 + 4 + 10 + 1  # header, the values, one byte to see the excess
    path = tmp_path / "bomb.idx.gz"
    path.write_bytes(bomb)
    with pytest.raises(IDXError, match=r"bomb\.idx\.gz: trailing bytes"):
        read_idx(path)


def test_header_asking_for_more_than_the_limit_is_refused_before_reading(tmp_path) -> None:
    shape = (1 << 16, 1 << 16)  # 4 GiB of uint8 > MAX_IDX_BYTES
    assert 65536 * 65536 > MAX_IDX_BYTES
    path = tmp_path / "huge.gz"
    path.write_bytes(gzip.compress(_header(0x08, *shape) + bytes(1000)))
    with pytest.raises(IDXError, match=r"huge\.gz: the header asks for shape \(65536, 65536\)"):
        read_idx(path)


def test_shape_whose_element_count_overflows_int64_is_refused() -> None:
    data = _header(0x0E, *[0xFFFFFFFF] * 3) + bytes(8)  # 2^96 doubles: int64 would wrap
    with pytest.raises(IDXError, match="x.idx: the header asks for shape"):
        parse_idx(data, "x.idx")
    empty_but_huge = _header(0x0E, 0, 1 << 20, 1 << 20)  # NumPy refuses even this empty shape
    with pytest.raises(IDXError, match="without its zero sizes"):
        parse_idx(empty_but_huge, "x.idx")
    assert parse_idx(_header(0x08, 0, 28, 28), "x.idx").shape == (0, 28, 28)


def test_cut_gzip_stream_names_the_file(tmp_path) -> None:
    path = write_idx(tmp_path / "a.idx.gz", np.arange(5000, dtype=np.int32))
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(IDXError, match=r"a\.idx\.gz: corrupt or truncated gzip stream"):
        read_idx(path)


def test_bounded_decompression_round_trips_real_files(tmp_path) -> None:
    array = np.random.default_rng(0).integers(0, 255, (300, 28, 28), dtype=np.uint8)
    path = write_idx(tmp_path / "images.idx.gz", array)
    np.testing.assert_array_equal(read_idx(path), array)
    assert decompress(path.read_bytes(), "x") == zlib.decompress(path.read_bytes(), wbits=31)


@settings(max_examples=150, deadline=None)
@example(body=b"", code=0x0E, shape=[0, 33767, 5841503, 5844975], gzipped=False, cut=0)  # CI
@given(body=st.binary(max_size=64), code=st.sampled_from([0x08, 0x0D, 0x0E, 0x42]),
       shape=st.lists(st.integers(0, 2**32 - 1), max_size=4), gzipped=st.booleans(),
       cut=st.integers(0, 8))
def test_any_bytes_give_an_array_or_an_idx_error(tmp_path_factory, body, code, shape, gzipped,
                                                  cut) -> None:
    data = _header(code, *shape) + body
    if gzipped:
        data = gzip.compress(data)
        data = data[:len(data) - cut]
    path = tmp_path_factory.mktemp("idx") / "f.idx"
    path.write_bytes(data)
    try:
        array = read_idx(path)
    except IDXError as error:
        assert str(error).startswith(str(path))
    else:
        assert array.shape == tuple(shape) and array.size * array.itemsize <= len(body)
