"""Devices as in PyTorch: neuralab computes with NumPy, so there is one device, the CPU.

``neuralab.device("cpu")`` and ``device=`` arguments are accepted so that PyTorch code runs
unchanged; asking for any other device ("cuda", "mps", ...) raises a clear error instead of
quietly computing on the CPU. ``neuralab.cuda.is_available()`` is ``False``.
"""

from __future__ import annotations

from typing import Any


class DeviceError(RuntimeError):
    """A device other than the CPU was asked for."""


class device:  # noqa: N801 - PyTorch's name
    """``device("cpu")`` / ``device("cpu", 0)`` / ``device("cpu:0")``: where a tensor lives."""

    __slots__ = ("type", "index")

    def __init__(self, type: Any, index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index
        if not isinstance(type, str):
            raise TypeError(f"device() expects a string such as 'cpu', got {type!r}")
        name = type
        if ":" in name:
            name, _, number = name.partition(":")
            if not number.isdigit() or index is not None:
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(number)
        if name != "cpu":
            raise DeviceError(
                f"device '{type}' is not available: neuralab runs on the CPU with NumPy "
                f"(neuralab.cuda.is_available() is False); use device('cpu')")
        self.type, self.index = "cpu", index

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except RuntimeError:
                return False
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"


CPU = device("cpu")


def check_device(where: Any) -> None:
    """Accept ``None``, "cpu", ``device("cpu")``; anything else raises ``DeviceError``."""
    if where is None or isinstance(where, device):
        return
    if isinstance(where, int) and not isinstance(where, bool):
        raise DeviceError(f"device {where} is a CUDA device index; neuralab runs on the CPU "
                          f"with NumPy (neuralab.cuda.is_available() is False)")
    device(where)


class _Cuda:
    """``neuralab.cuda``: there is no GPU behind neuralab."""

    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def device_count() -> int:
        return 0

    @staticmethod
    def manual_seed(seed: int) -> None:  # PyTorch code seeds CUDA too; nothing to seed here
        pass

    @staticmethod
    def manual_seed_all(seed: int) -> None:
        pass


cuda = _Cuda()
