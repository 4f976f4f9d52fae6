"""Keep global state (grad mode, default dtype) from leaking between autograd tests."""

import numpy as np
import pytest

import neuralab as nl


@pytest.fixture(autouse=True)
def _restore_global_state():
    yield
    nl.set_grad_enabled(True)
    nl.set_default_dtype(np.float32)
