"""Helpers of the hostile-input tests: a hang guard and a picture that lies about its size.

Imported as a plain module (``from _hostile import ...``; tests/ is on ``sys.path``, see
``_tolerance``).
"""

from __future__ import annotations

import signal
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager


class Hang(BaseException):
    """Raised by ``no_hang``'s alarm; a BaseException so that no ``except`` in the code under
    test can eat it."""


@contextmanager
def no_hang(seconds: int = 20) -> Iterator[None]:
    """Fail instead of hanging (a FIFO opened for reading blocks until a writer comes)."""
    def ring(signum: int, frame: object) -> None:
        raise Hang(f"still running after {seconds} s")

    before = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, before)


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width``×``height`` pixels, with a tiny, short body."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(bytes(1000))) + chunk(b"IEND", b""))
