"""``neuralab.nn.functional`` (import as ``F``): every registered op as a function.

``F.relu``, ``F.cross_entropy``, ``F.linear``, ``F.softmax``... come from the op registry, so a
new op appears here without editing this file.
"""

from ..ops import OPS as _OPS
from .layers import dropout, dropout2d  # noqa: F401 - re-exported as F.dropout, F.dropout2d

globals().update(_OPS)
__all__ = sorted([*_OPS, "dropout", "dropout2d"])  # noqa: PLE0605
