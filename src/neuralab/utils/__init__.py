"""``neuralab.utils``: PyTorch's ``torch.utils`` layout (``neuralab.utils.data``)."""

from . import data

__all__ = ["data"]
