"""Hidden layers solve XOR (S15) with backprop (S16), from a fixed seed."""

from __future__ import annotations

import numpy as np
import pytest

from neuralab.lab.xor import XOR_TARGETS, train_xor


def test_2_4_1_mlp_solves_xor_from_fixed_seed() -> None:
    result = train_xor(hidden=4, activation="tanh", seed=0)
    assert result.accuracy == 1.0
    assert result.predictions == XOR_TARGETS[:, 0].astype(int).tolist()
    assert result.losses[-1] < 0.05 < result.losses[0]


def test_same_seed_same_result_different_seed_different_weights() -> None:
    a, b = train_xor(seed=3, epochs=200), train_xor(seed=3, epochs=200)
    c = train_xor(seed=4, epochs=200)
    assert a.losses == b.losses
    assert not np.allclose(a.losses, c.losses)


def test_unknown_activation_is_rejected() -> None:
    with pytest.raises(ValueError, match="activation must be one of"):
        train_xor(activation="swish")
