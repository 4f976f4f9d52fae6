"""The classic manual SGD loop trains a neuralab model exactly as it trains a PyTorch one.

    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
            p.grad.zero_()

``-=`` must change the parameter's memory (not rebind the loop variable, which left neuralab's
model untrained without a word). A 2-layer MLP in float64 with the same fixed starting weights
and data is trained 100 steps by the same code with ``torch`` and with ``neuralab``.

Tolerance: each step's update ``lr · grad`` is a chain of reductions of total length
``k = D_IN + HIDDEN + D_OUT + BATCH`` (the forward dot products, the loss mean, the backward
products), so it carries a relative rounding error of about ``k · u``; the two libraries'
weights then differ by at most about ``SAFETY · k · eps · Σ_t |Δw_t|``, Σ_t |Δw_t| being the
path length of the weights (measured on torch's run), plus what earlier differences grow into
through the step map ``I − lr·H`` (a contraction for this small learning rate). With the sizes
below that bound is under 1e-12 of the weights' size, which is what the issue asks for.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _tolerance import SAFETY

import neuralab

D_IN, HIDDEN, D_OUT, BATCH, STEPS, LR = 4, 8, 2, 16, 100, 0.05
RNG = np.random.default_rng(1100)
X = RNG.normal(size=(BATCH, D_IN))
Y = RNG.normal(size=(BATCH, D_OUT))
W1 = RNG.normal(scale=0.5, size=(HIDDEN, D_IN))
B1 = RNG.normal(scale=0.1, size=HIDDEN)
W2 = RNG.normal(scale=0.5, size=(D_OUT, HIDDEN))
B2 = RNG.normal(scale=0.1, size=D_OUT)
START = [W1, B1, W2, B2]


def train(torch):
    """The loop as a learner writes it; returns the weights after every step and the losses."""
    model = torch.nn.Sequential(torch.nn.Linear(D_IN, HIDDEN), torch.nn.Tanh(),
                                torch.nn.Linear(HIDDEN, D_OUT)).double()
    with torch.no_grad():
        for p, value in zip(model.parameters(), START):
            p.copy_(torch.tensor(value))
    x, y = torch.tensor(X), torch.tensor(Y)
    loss_fn = torch.nn.MSELoss()
    path, losses = [], []
    for _ in range(STEPS):
        loss = loss_fn(model(x), y)
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= LR * p.grad
                p.grad.zero_()
        losses.append(loss.item())
        path.append([p.detach().numpy().copy() for p in model.parameters()])
    params = list(model.parameters())
    return {"path": path, "losses": losses, "leaf": [p.is_leaf for p in params],
            "requires_grad": [p.requires_grad for p in params],
            "grad_zero": [bool((p.grad == 0).all()) for p in params],
            "dtype": [str(p.dtype).split(".")[-1] for p in params]}


@pytest.fixture(scope="module")
def runs():
    return train(torch), train(neuralab)


def test_trains_and_keeps_parameters_leaves(runs):
    expected, actual = runs
    assert actual["leaf"] == expected["leaf"] == [True] * 4
    assert actual["requires_grad"] == [True] * 4
    assert actual["grad_zero"] == [True] * 4
    assert actual["dtype"] == expected["dtype"] == ["float64"] * 4
    # the loop really moved the weights (the old bug left them at START)
    for final, start in zip(actual["path"][-1], START):
        assert np.abs(final - start).max() > 1e-3
    assert actual["losses"][-1] < 0.9 * actual["losses"][0]


def test_weights_match_torch_after_100_steps(runs):
    expected, actual = runs
    k = D_IN + HIDDEN + D_OUT + BATCH
    for i, start in enumerate(START):
        steps = [start] + [step[i] for step in expected["path"]]
        path_length = np.abs(np.diff(np.stack(steps), axis=0)).sum(axis=0).max()
        scale = np.abs(expected["path"][-1][i]).max()
        bound = SAFETY * k * np.finfo(np.float64).eps * path_length
        assert bound <= 1e-12 * scale  # the sizes above keep the derived bound within 1e-12
        error = np.abs(actual["path"][-1][i] - expected["path"][-1][i]).max()
        assert error <= bound, f"parameter {i}: off by {error:.3g} > {bound:.3g}"
    np.testing.assert_allclose(actual["losses"], expected["losses"], rtol=1e-12)
