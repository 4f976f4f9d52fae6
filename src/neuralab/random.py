"""One seeded random source for the whole library (init, dropout, shuffling, ``rand``).

``manual_seed(s)`` reseeds it in place (as ``torch.manual_seed`` reseeds
``torch.default_generator``); nothing in neuralab touches NumPy's global RNG. A
``neuralab.Generator`` is PyTorch's ``torch.Generator`` on NumPy's PCG64: it *is* a
``numpy.random.Generator``, so it can be passed as ``generator=`` anywhere in neuralab.
"""

from __future__ import annotations

import copy
import operator
import secrets
from typing import Any

import numpy as np

from .device import CPU, check_device

# torch.Generator()'s seed before any manual_seed (torch's default_rng_seed_val).
DEFAULT_SEED = 67280421310721
# torch.manual_seed accepts seeds in [-2**63, 2**64); a negative seed is taken modulo 2**64.
_SEED_MIN, _SEED_END = -(2**63), 2**64


def _seed_value(seed: Any) -> int:
    """``seed`` as a non-negative integer below 2**64, or TypeError/ValueError as in torch."""
    if isinstance(seed, float) or isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"manual_seed expects an int, got {type(seed).__name__}")
    try:
        value = operator.index(seed)
    except TypeError:
        raise TypeError(f"manual_seed expects an int, got {type(seed).__name__}") from None
    if not _SEED_MIN <= value < _SEED_END:
        raise ValueError(f"Overflow when unpacking long long: seed {value} is outside "
                         f"[-2**63, 2**64)")
    return value % _SEED_END


class Generator(np.random.Generator):
    """``torch.Generator``: a random stream with ``manual_seed``, ``seed``, ``initial_seed``,
    ``get_state`` and ``set_state``. The stream is NumPy's PCG64, so its values differ from
    torch's, but one seed always gives the same values. As in torch, a new generator starts
    from a fixed seed (``DEFAULT_SEED``), so unseeded use is reproducible too."""

    def __init__(self, device: Any = "cpu") -> None:
        check_device(device)
        super().__init__(np.random.PCG64(DEFAULT_SEED))
        self._initial_seed = DEFAULT_SEED

    @property
    def device(self) -> Any:
        return CPU

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from ``seed``; returns this generator."""
        value = _seed_value(seed)
        self.bit_generator.state = np.random.PCG64(value).state
        self._initial_seed = value
        return self

    def seed(self) -> int:
        """Reseed from a non-deterministic source; returns the new seed."""
        value = secrets.randbits(64)
        self.manual_seed(value)
        return value

    def initial_seed(self) -> int:
        """The seed the stream last started from."""
        return self._initial_seed

    def get_state(self) -> dict:
        """The stream's position (a JSON-able dict, unlike torch's ByteTensor)."""
        return copy.deepcopy(self.bit_generator.state)

    def set_state(self, new_state: dict) -> Generator:
        """Restore a state from ``get_state``; a bad one raises ValueError, changing nothing."""
        check_generator_state(new_state, self, "Generator.set_state: the state")
        self.bit_generator.state = copy.deepcopy(new_state)
        return self

    def __reduce__(self) -> tuple:  # copy/pickle keep the class, the position and the seed
        return _rebuild, (self.get_state(), self._initial_seed)

    def __repr__(self) -> str:
        return f"<neuralab.Generator (PCG64) initial_seed={self._initial_seed}>"

    __str__ = __repr__


def _rebuild(state: dict, initial_seed: int) -> Generator:
    generator = Generator()
    generator.bit_generator.state = state
    generator._initial_seed = initial_seed
    return generator


# As torch's, the default generator starts from the fixed DEFAULT_SEED: a program that never
# calls manual_seed still gives the same numbers in every run (neuralab.seed() for fresh ones).
_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Reseed neuralab's default generator in place; returns it (``torch.manual_seed``)."""
    return _generator.manual_seed(seed)


def seed() -> int:
    """Reseed the default generator non-deterministically; returns the seed (``torch.seed``)."""
    return _generator.seed()


def initial_seed() -> int:
    """The seed the default generator last started from (``torch.initial_seed``)."""
    return _generator.initial_seed()


def default_generator() -> Generator:
    """The generator used when a function is given no ``generator=``."""
    return _generator


def generator_or_default(generator: Any) -> np.random.Generator:
    """``generator`` (a ``neuralab.Generator`` or any ``numpy.random.Generator``), or the
    default one for ``None``; anything else (a ``torch.Generator``) raises TypeError."""
    if generator is None:
        return _generator
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"generator must be a neuralab.Generator (or a numpy.random.Generator), "
                        f"got {type(generator).__module__}.{type(generator).__name__}")
    return generator


def get_rng_state() -> dict:
    """The default generator's state (a JSON-able dict); restore it with ``set_rng_state``."""
    return _generator.bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a state from ``get_rng_state``; a bad one raises ValueError, changing nothing."""
    check_generator_state(state, _generator, "set_rng_state: the state")
    _generator.bit_generator.state = copy.deepcopy(state)


def check_generator_state(state: Any, generator: np.random.Generator, what: str) -> None:
    """Raise ValueError naming ``what`` unless ``state`` is a valid state for ``generator``'s
    kind of bit generator. NumPy checks it on a scratch generator, so nothing changes."""
    scratch = type(generator.bit_generator)()
    try:
        scratch.state = copy.deepcopy(state)
    except (TypeError, ValueError, KeyError, OverflowError, AttributeError) as error:
        raise ValueError(f"{what} is not a valid {type(scratch).__name__} state "
                         f"({type(error).__name__}: {error})") from None
