"""Each optimizer follows torch.optim's parameter trajectory on the same MLP and data."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _tolerance import assert_normwise_close

import neuralab as nl
from neuralab import nn, optim

# Σ of the layers' reduction lengths (fan-in + bias), forward and back, the softmax over 3
# classes, the batch of 16, and the optimizer's own few roundings per element
STEP_TERMS = 2 * ((5 + 1) + (8 + 1) + (6 + 1)) + 3 + 16 + 8

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, weight_decay=0.1)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.05)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, alpha=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1)),
]


def _models(seed: int = 0) -> tuple[nn.Module, torch.nn.Module]:
    nl.manual_seed(seed)
    ours = nn.Sequential(nn.Linear(5, 8, dtype=np.float64), nn.Tanh(),
                         nn.Linear(8, 6, dtype=np.float64), nn.ReLU(),
                         nn.Linear(6, 3, dtype=np.float64))
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 6),
                                 torch.nn.ReLU(), torch.nn.Linear(6, 3)).double()
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in ours.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=[f"{n}-{k}" for n, k in CONFIGS])
def test_trajectory_matches_torch(name: str, kwargs: dict) -> None:
    ours, theirs = _models()
    opt = getattr(optim, name)(ours.parameters(), **kwargs)
    topt = getattr(torch.optim, name)(theirs.parameters(), **kwargs)
    rng = np.random.default_rng(1)
    for step in range(20):
        x = rng.standard_normal((16, 5))
        y = rng.integers(0, 3, 16)
        opt.zero_grad()
        nn.functional.cross_entropy(ours(nl.Tensor(x)), y).backward()
        opt.step()
        topt.zero_grad()
        tloss = torch.nn.functional.cross_entropy(theirs(torch.from_numpy(x)), torch.from_numpy(y))
        tloss.backward()
        topt.step()
        for (key, value), tvalue in zip(ours.state_dict().items(), theirs.state_dict().values()):
            # each step's rounding differences carry into the next: they add up over the steps
            assert_normwise_close(value, tvalue.numpy(), terms=(step + 1) * STEP_TERMS,
                                  err_msg=f"{name} {kwargs} step {step} {key}")


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS[1::3], ids=lambda c: str(c))
def test_state_dict_round_trip_continues_identically(name: str, kwargs: dict) -> None:
    """Saving after 5 steps and loading into a fresh optimizer gives the same next 5 steps."""
    rng = np.random.default_rng(2)
    batches = [(rng.standard_normal((8, 5)), rng.integers(0, 3, 8)) for _ in range(10)]

    def run(model, opt, data):
        for x, y in data:
            opt.zero_grad()
            nn.functional.cross_entropy(model(nl.Tensor(x)), y).backward()
            opt.step()

    reference, _ = _models()
    ref_opt = getattr(optim, name)(reference.parameters(), **kwargs)
    run(reference, ref_opt, batches)

    first, _ = _models()
    first_opt = getattr(optim, name)(first.parameters(), **kwargs)
    run(first, first_opt, batches[:5])
    saved_model, saved_opt = first.state_dict(), first_opt.state_dict()

    resumed, _ = _models(seed=99)  # different init: everything must come from the state dicts
    resumed.load_state_dict(saved_model)
    resumed_opt = getattr(optim, name)(resumed.parameters(), **kwargs)
    resumed_opt.load_state_dict(saved_opt)
    run(resumed, resumed_opt, batches[5:])
    for key, value in reference.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[key], value, err_msg=key)


def test_state_dict_layout_mirrors_torch() -> None:
    ours, theirs = _models()
    opt = optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    topt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    x = np.ones((2, 5))
    nn.functional.mse_loss(ours(nl.Tensor(x)), np.zeros((2, 3))).backward()
    opt.step()
    theirs(torch.from_numpy(x)).pow(2).mean().backward()
    topt.step()
    state, tstate = opt.state_dict(), topt.state_dict()
    assert sorted(state["state"]) == sorted(tstate["state"]) == list(range(6))
    assert state["param_groups"][0]["params"] == tstate["param_groups"][0]["params"]
    assert set(state["state"][0]) == set(tstate["state"][0]) == {"momentum_buffer"}


def test_load_state_dict_rejects_mismatch_and_changes_nothing() -> None:
    ours, _ = _models()
    opt = optim.Adam(ours.parameters(), lr=0.1)
    other = optim.Adam(nn.Linear(2, 2).parameters(), lr=0.5)
    with pytest.raises(ValueError, match="parameters"):
        opt.load_state_dict(other.state_dict())
    assert opt.param_groups[0]["lr"] == 0.1


def test_step_skips_parameters_without_grad_and_zero_grad_clears() -> None:
    layer = nn.Linear(3, 2)
    before = layer.weight.data.numpy().copy()
    opt = optim.SGD(layer.parameters(), lr=1.0)
    opt.step()
    np.testing.assert_array_equal(layer.weight.data, before)
    layer(nl.ones(4, 3)).sum().backward()
    opt.step()
    assert not np.array_equal(layer.weight.data, before)
    opt.zero_grad()
    assert layer.weight.grad is None and layer.bias.grad is None


def test_param_groups_use_their_own_hyper_parameters() -> None:
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    opt = optim.SGD([{"params": a.parameters()}, {"params": b.parameters(), "lr": 0.0}], lr=1.0)
    b_before = b.weight.data.numpy().copy()
    (a(nl.ones(1, 2)).sum() + b(nl.ones(1, 2)).sum()).backward()
    opt.step()
    np.testing.assert_array_equal(b.weight.data, b_before)
    np.testing.assert_allclose(a.weight.grad, np.ones((2, 2)))


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (lambda p: optim.SGD(p, lr=-1), "learning rate"),
        (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "Nesterov"),
        (lambda p: optim.Adam(p, betas=(1.0, 0.9)), "beta parameter at index 0"),
        (lambda p: optim.SGD([], lr=0.1), "empty parameter list"),
    ],
)
def test_bad_hyper_parameters_raise(factory, match) -> None:
    with pytest.raises(ValueError, match=match):
        factory(list(nn.Linear(2, 2).parameters()))


def test_float32_parameters_stay_float32() -> None:
    layer = nn.Linear(4, 2)
    for opt in (optim.SGD(layer.parameters(), lr=0.1, momentum=0.9, weight_decay=0.1),
                optim.Adam(layer.parameters()), optim.RMSprop(layer.parameters(), centered=True),
                optim.Adagrad(layer.parameters())):
        opt.zero_grad()
        layer(nl.ones(3, 4)).sum().backward()
        opt.step()
        assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
