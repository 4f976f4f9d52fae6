"""The IDX file format of MNIST and Fashion-MNIST, raw or gzip-compressed.

Layout (big-endian): two zero bytes, a dtype code, the number of dimensions ``ndim``;
then ``ndim`` sizes as 32-bit unsigned ints; then the values, C order.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from ..io.files import atomic_write_bytes

__all__ = ["IDXError", "parse_idx", "read_idx", "write_idx"]

# dtype code -> big-endian dtype stored in the file
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}
GZIP_MAGIC = b"\x1f\x8b"
# The largest IDX content we decompress or read: MNIST's biggest file is 47 MB; a header asking
# for more than this is refused before anything that size is allocated.
MAX_IDX_BYTES = 1 << 31
_MAX_HEADER = 4 + 4 * 255  # the magic number and up to 255 sizes


class IDXError(ValueError):
    """An IDX file is malformed, truncated or not an IDX file at all."""


def is_gzip(data: bytes) -> bool:
    return data[:2] == GZIP_MAGIC


def decompress(data: bytes, source: str) -> bytes:
    """Gunzip the IDX file ``data``, never to more bytes than its own header says it holds.

    The header is decompressed first; the body only up to the size it implies (plus one byte,
    so trailing bytes are still reported by ``parse_idx``). A gzip bomb, or a header asking for
    more than MAX_IDX_BYTES, raises IDXError naming ``source`` before that memory is taken; so
    does a corrupt or cut stream.
    """
    stream = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip framing
    try:
        out = bytearray(stream.decompress(data, _MAX_HEADER))
        limit = _content_size(bytes(out), source) + 1 if len(out) >= 4 else len(out) + 1
        while stream.unconsumed_tail and len(out) < limit:
            out += stream.decompress(stream.unconsumed_tail, limit - len(out))
        if len(out) < limit and not stream.eof:
            raise EOFError("the stream ends before its end-of-stream marker")
    except (EOFError, zlib.error) as err:
        raise IDXError(f"{source}: corrupt or truncated gzip stream ({err})") from None
    return bytes(out[:limit])


def _content_size(head: bytes, source: str) -> int:
    """The total size an IDX file with this header must have (header + values), bounded."""
    ndim = head[3]
    if len(head) < 4 + 4 * ndim or head[2] not in IDX_DTYPES:
        return len(head)  # parse_idx reports what is wrong with it
    shape = struct.unpack(f">{ndim}I", head[4:4 + 4 * ndim])
    _check_size(shape, IDX_DTYPES[head[2]], source)
    return 4 + 4 * ndim + math.prod(shape) * IDX_DTYPES[head[2]].itemsize  # Python ints


def _check_size(shape: tuple[int, ...], dtype: np.dtype, source: str) -> None:
    """Refuse a shape over MAX_IDX_BYTES — counting only its non-zero sizes, since NumPy
    refuses even an empty array whose other sizes overflow (shape (0, 2**31, 2**31))."""
    size = math.prod(n for n in shape if n) * dtype.itemsize
    if size > MAX_IDX_BYTES:
        raise IDXError(f"{source}: the header asks for shape {shape} ({size:,} bytes without "
                       f"its zero sizes), more than the {MAX_IDX_BYTES:,} bytes neuralab reads "
                       f"from an IDX file")


def parse_idx(data: bytes, source: str = "<bytes>", copy: bool = True) -> np.ndarray:
    """Decode the bytes of an (uncompressed) IDX file; ``source`` names it in errors.

    ``copy=False`` may return a read-only view of ``data`` (when already native-endian).
    """
    if len(data) < 4:
        raise IDXError(
            f"{source}: expected a 4-byte IDX magic number, found only {len(data)} bytes"
        )
    zero0, zero1, code, ndim = data[:4]
    if zero0 != 0 or zero1 != 0:
        raise IDXError(
            f"{source}: bad magic number: expected two zero bytes then a dtype code and ndim, "
            f"found {data[:4].hex(' ')} (not an IDX file?)"
        )
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise IDXError(f"{source}: unknown dtype code 0x{code:02X}, expected one of {known}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IDXError(
            f"{source}: truncated header: expected {header} bytes for {ndim} dimensions, "
            f"found {len(data)}"
        )
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = IDX_DTYPES[code]
    _check_size(shape, dtype, source)
    count = math.prod(shape)  # a Python int: cannot overflow
    expected = header + count * dtype.itemsize
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "trailing bytes"
        raise IDXError(
            f"{source}: {what}: shape {shape} of {dtype.newbyteorder('=').name} needs "
            f"{expected} bytes, found {len(data)}"
        )
    array = np.frombuffer(data, dtype=dtype, count=count, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=copy)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, raw or gzip (detected by its magic bytes, not its name)."""
    path = Path(path)
    data = path.read_bytes()
    if is_gzip(data):
        data = decompress(data, str(path))
    return parse_idx(data, str(path))


def write_idx(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file, atomically; gzip-compressed when ``path`` ends in ``.gz``."""
    path = Path(path)
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in _CODES:
        names = ", ".join(d.newbyteorder("=").name for d in IDX_DTYPES.values())
        raise ValueError(f"IDX cannot store dtype {array.dtype}; use one of {names}")
    if array.ndim > 255:
        raise ValueError(f"IDX stores at most 255 dimensions, got {array.ndim}")
    code = _CODES[native]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    body = np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    payload = header + body
    if path.suffix == ".gz":
        payload = gzip.compress(payload, compresslevel=6, mtime=0)
    atomic_write_bytes(path, payload)
    return path
