"""Keep global state (grad mode, default dtype) from leaking out of a snippet, in both
libraries: a snippet that fails half-way must not change the next one."""

import numpy as np
import pytest
import torch

import neuralab as nl


@pytest.fixture(autouse=True)
def _restore_global_state():
    yield
    torch.set_grad_enabled(True)
    torch.set_default_dtype(torch.float32)
    nl.set_grad_enabled(True)
    nl.set_default_dtype(np.float32)
