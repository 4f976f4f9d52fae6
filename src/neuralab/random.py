"""One seeded random source for the whole library (init, dropout, shuffling).

``manual_seed(s)`` reseeds it; nothing in neuralab touches NumPy's global RNG.
"""

from __future__ import annotations

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
    return _generator.bit_generator.state


def set_rng_state(state: dict) -> None:
    _generator.bit_generator.state = state
