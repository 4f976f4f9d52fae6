"""Checks shared by the lab tests: Korean evidence text and drawn PNG figures.

Imported as a plain module (``from _lab_checks import ...``): tests/lab has no ``__init__.py``,
so pytest's default ``prepend`` import mode puts this folder on ``sys.path``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

# Any precomposed Hangul syllable (가 ... 힣).
HANGUL = re.compile("[\uac00-\ud7a3]")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_pngs(paths: Iterable[Path], *, min_bytes: int, magic: bytes = PNG_SIGNATURE) -> None:
    """Every file starts with ``magic`` and is strictly larger than ``min_bytes``."""
    for path in paths:
        data = Path(path).read_bytes()
        assert data[: len(magic)] == magic and len(data) > min_bytes, (path, len(data))
