"""One seeded random source for the whole library (init, dropout, shuffling).

``manual_seed(s)`` reseeds it; nothing in neuralab touches NumPy's global RNG.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed neuralab's default generator; returns it."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def default_generator() -> np.random.Generator:
    """The generator used when a function is given no ``generator=``."""
    return _generator


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
