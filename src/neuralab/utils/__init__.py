"""``neuralab.utils``: PyTorch's ``torch.utils`` layout (``neuralab.utils.data``).

``data`` is imported on first use (``neuralab.utils.data`` or ``import neuralab.utils.data``),
so ``import neuralab`` does not load every dataset reader.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["data"]


def __getattr__(name: str) -> Any:
    if name == "data":
        return importlib.import_module(".data", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
