"""Adamax, NAdam, RAdam, Adadelta and LBFGS follow torch.optim's trajectories (float64).

The problem: W (4×3), b (3,) fitted by f = ½‖tanh(XW + b) − Y‖² on fixed data. Its gradient is
computed by one NumPy function of the current weights for both libraries, so the only
difference between the trajectories is the optimizers' own arithmetic: a handful of roundings
per element per step (≈ 10 eps ≈ 2e-15 relative), carried over 50 steps of a map that does not
amplify them (small steps on a smooth problem) — so well within 1e-12 of the weights' size.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from test_optimizer_state_hostile import HOWS, assert_unchanged, mutate, snapshot, stepped

import neuralab as nl
from neuralab import optim

STEPS = 50
RTOL = 1e-12

_rng = np.random.default_rng(12)
X = _rng.standard_normal((6, 4))
Y = np.tanh(_rng.standard_normal((6, 3)))
W0 = 0.5 * _rng.standard_normal((4, 3))
B0 = 0.5 * _rng.standard_normal(3)


def loss_and_grads(w: np.ndarray, b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    h = np.tanh(X @ w + b)
    r = h - Y
    dz = r * (1 - h * h)
    return 0.5 * float(np.sum(r * r)), X.T @ dz, dz.sum(0)


@pytest.fixture(autouse=True)
def torch_float64():
    """torch keeps scalar state (NAdam's mu_product, step) in the default dtype."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


def ours_params() -> list[nl.Tensor]:
    return [nl.nn.Parameter(nl.Tensor(W0.copy())), nl.nn.Parameter(nl.Tensor(B0.copy()))]


def torch_params() -> list[torch.Tensor]:
    return [torch.nn.Parameter(torch.from_numpy(W0.copy())),
            torch.nn.Parameter(torch.from_numpy(B0.copy()))]


def quadratic_loss_and_grads(w: np.ndarray, b: np.ndarray
                             ) -> tuple[float, np.ndarray, np.ndarray]:
    """f = ½‖XW + b − Y‖² + ½‖W‖²: strongly convex, for L-BFGS without a line search, whose
    fixed steps on the tanh problem's flat, ill-conditioned valleys amplify roundings."""
    r = X @ w + b - Y
    return 0.5 * float(np.sum(r * r) + np.sum(w * w)), X.T @ r + w, r.sum(0)


def set_ours(params, fn=loss_and_grads) -> None:
    _, gw, gb = fn(params[0].detach().numpy(), params[1].detach().numpy())
    params[0].grad, params[1].grad = nl.Tensor(gw), nl.Tensor(gb)


def set_torch(params, fn=loss_and_grads) -> None:
    _, gw, gb = fn(params[0].detach().numpy(), params[1].detach().numpy())
    params[0].grad, params[1].grad = torch.from_numpy(gw), torch.from_numpy(gb)


def assert_weights_close(ours, theirs, msg: str) -> None:
    for p, q in zip(ours, theirs):
        q = q.detach().numpy()
        np.testing.assert_allclose(p.detach().numpy(), q, rtol=0,
                                   atol=RTOL * np.abs(q).max(), err_msg=msg)


CONFIGS = [
    ("Adamax", dict(lr=0.02)),
    ("Adamax", dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("NAdam", dict(lr=0.02)),
    ("NAdam", dict(lr=0.02, betas=(0.8, 0.99), weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.02)),  # ρₜ ≤ 5 for the first steps: both branches taken
    ("RAdam", dict(lr=0.02, betas=(0.8, 0.9), weight_decay=0.1)),
    ("RAdam", dict(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1)),
]
IDS = [f"{n}-{k}" for n, k in CONFIGS]


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=IDS)
def test_trajectory_matches_torch(name: str, kwargs: dict) -> None:
    ours, theirs = ours_params(), torch_params()
    opt = getattr(optim, name)(ours, **kwargs)
    topt = getattr(torch.optim, name)(theirs, **kwargs)
    for step in range(STEPS):
        set_ours(ours)
        opt.step()
        set_torch(theirs)
        topt.step()
        assert_weights_close(ours, theirs, f"{name} {kwargs} step {step}")
    moved = np.abs(ours[0].detach().numpy() - W0).max()
    assert moved > 1e-3  # the test is not vacuous: the weights did move
    tstate = topt.state_dict()
    state = opt.state_dict()
    assert sorted(state["state"]) == sorted(tstate["state"])
    for i, entry in state["state"].items():
        assert set(entry) == set(tstate["state"][i])
        for key, value in entry.items():
            np.testing.assert_allclose(value, tstate["state"][i][key].numpy(), rtol=1e-10,
                                       atol=1e-14, err_msg=key)
    ours_group = {k: v for k, v in state["param_groups"][0].items()}
    for key, value in ours_group.items():
        assert tstate["param_groups"][0][key] == value, key


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=IDS)
def test_state_dict_round_trip_mid_run_continues_identically(name: str, kwargs: dict) -> None:
    reference = ours_params()
    ref_opt = getattr(optim, name)(reference, **kwargs)
    first = ours_params()
    first_opt = getattr(optim, name)(first, **kwargs)
    for _ in range(STEPS // 2):
        for params, opt in ((reference, ref_opt), (first, first_opt)):
            set_ours(params)
            opt.step()
    saved = copy.deepcopy(first_opt.state_dict())
    resumed = [nl.nn.Parameter(nl.Tensor(p.detach().numpy().copy())) for p in first]
    resumed_opt = getattr(optim, name)(resumed, lr=0.123)  # everything from the state dict
    resumed_opt.load_state_dict(saved)
    for _ in range(STEPS - STEPS // 2):
        for params, opt in ((reference, ref_opt), (resumed, resumed_opt)):
            set_ours(params)
            opt.step()
    for p, q in zip(resumed, reference):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=IDS)
def test_torch_state_dict_loads_mid_run_and_continues_along_torchs_path(name, kwargs) -> None:
    theirs = torch_params()
    topt = getattr(torch.optim, name)(theirs, **kwargs)
    for _ in range(STEPS // 2):
        set_torch(theirs)
        topt.step()
    tsaved = topt.state_dict()
    ours = [nl.nn.Parameter(nl.Tensor(p.detach().numpy().copy())) for p in theirs]
    opt = getattr(optim, name)(ours)
    opt.load_state_dict({"state": {i: {k: v.numpy() for k, v in s.items()}
                                   for i, s in tsaved["state"].items()},
                         "param_groups": tsaved["param_groups"]})
    for step in range(STEPS - STEPS // 2):
        set_ours(ours)
        opt.step()
        set_torch(theirs)
        topt.step()
        assert_weights_close(ours, theirs, f"{name} resumed step {step}")


BAD = [
    ("Adamax", dict(lr=-1.0)), ("Adamax", dict(eps=-1.0)), ("Adamax", dict(betas=(1.0, 0.9))),
    ("Adamax", dict(betas=(0.9, -0.1))), ("Adamax", dict(weight_decay=-1.0)),
    ("NAdam", dict(lr=-1.0)), ("NAdam", dict(eps=-1.0)), ("NAdam", dict(betas=(-0.5, 0.9))),
    ("NAdam", dict(betas=(0.9, 1.0))), ("NAdam", dict(weight_decay=-1.0)),
    ("NAdam", dict(momentum_decay=-1.0)),
    ("RAdam", dict(lr=-1.0)), ("RAdam", dict(eps=-1.0)), ("RAdam", dict(betas=(1.5, 0.9))),
    ("RAdam", dict(betas=(0.9, 1.0))), ("RAdam", dict(weight_decay=-1.0)),
    ("Adadelta", dict(lr=-1.0)), ("Adadelta", dict(rho=1.5)), ("Adadelta", dict(rho=-0.1)),
    ("Adadelta", dict(eps=-1.0)), ("Adadelta", dict(weight_decay=-1.0)),
]


@pytest.mark.parametrize(("name", "kwargs"), BAD, ids=[f"{n}-{k}" for n, k in BAD])
def test_bad_hyper_parameters_raise_torchs_error_and_change_nothing(name, kwargs) -> None:
    with pytest.raises(ValueError) as tinfo:
        getattr(torch.optim, name)(torch_params(), **kwargs)
    expected = str(tinfo.value)
    expected = expected[0].lower() + expected[1:]  # "Invalid x: v" -> ours "Name: invalid x: v"
    with pytest.raises(ValueError) as info:
        getattr(optim, name)(ours_params(), **kwargs)
    assert expected in str(info.value)
    # the same value through add_param_group and load_state_dict: refused, nothing changed
    params = ours_params()
    opt = getattr(optim, name)(params)
    set_ours(params)
    opt.step()
    before = copy.deepcopy(opt.state_dict())
    with pytest.raises(ValueError, match=expected.split(":")[0]):
        opt.add_param_group({"params": [nl.nn.Parameter(nl.ones(2))], **kwargs})
    bad = copy.deepcopy(before)
    bad["param_groups"][0].update(kwargs)
    with pytest.raises(ValueError, match=expected.split(":")[0]):
        opt.load_state_dict(bad)
    after = opt.state_dict()
    assert len(opt.param_groups) == 1
    assert after["param_groups"] == before["param_groups"]
    for i, entry in before["state"].items():
        for key, value in entry.items():
            np.testing.assert_array_equal(after["state"][i][key], value)


def test_nadam_mu_product_is_a_checked_scalar() -> None:
    params = ours_params()
    opt = optim.NAdam(params)
    set_ours(params)
    opt.step()
    state = opt.state_dict()
    for bad in ("x", np.ones(3), float("nan")):
        broken = copy.deepcopy(state)
        broken["state"][1]["mu_product"] = bad
        with pytest.raises(ValueError, match="mu_product"):
            opt.load_state_dict(broken)
    assert opt.state_dict()["state"][1]["mu_product"] == state["state"][1]["mu_product"]


@pytest.mark.parametrize("name", ["Adamax", "NAdam", "RAdam", "Adadelta"])
def test_float32_parameters_stay_float32(name) -> None:
    layer = nl.nn.Linear(4, 2)
    opt = getattr(optim, name)(layer.parameters(), weight_decay=0.1)
    for _ in range(2):
        opt.zero_grad()
        layer(nl.ones(3, 4)).sum().backward()
        opt.step()
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    for state in opt.param_groups[0]["state"]:
        for key, value in state.items():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32, key


# ---------------------------------------------------------------------------------- LBFGS
# L-BFGS builds its curvature pairs from differences of nearly equal gradients, which on
# ill-conditioned stretches (the tanh problem's flat valleys, fixed steps of lr < 1) amplify
# the last-bit differences of any two implementations geometrically; the configurations here
# are ones where they stay at rounding level: the strongly convex problem with unit steps or
# the line search, and the tanh problem with the line search.
LBFGS_CONFIGS = [
    dict(lr=1.0, max_iter=3, history_size=4),  # the history fills and drops its oldest pair
    dict(max_iter=3, history_size=4, line_search_fn="strong_wolfe"),
    dict(max_iter=2, history_size=3, line_search_fn="strong_wolfe", tanh=True),
    dict(lr=0.5, max_iter=1, history_size=3, line_search_fn="strong_wolfe", tanh=True),
]


def problem(kwargs):
    kwargs = dict(kwargs)
    return (loss_and_grads if kwargs.pop("tanh", False) else quadratic_loss_and_grads), kwargs


def closure_for(params, set_grads, fn=loss_and_grads):
    def closure():
        loss, _, _ = fn(params[0].detach().numpy(), params[1].detach().numpy())
        set_grads(params, fn)
        return loss
    return closure


@pytest.mark.parametrize("kwargs", LBFGS_CONFIGS, ids=str)
def test_lbfgs_trajectory_matches_torch(kwargs) -> None:
    fn, kwargs = problem(kwargs)
    ours, theirs = ours_params(), torch_params()
    opt, topt = optim.LBFGS(ours, **kwargs), torch.optim.LBFGS(theirs, **kwargs)
    start = fn(W0, B0)[0]
    for step in range(STEPS):
        loss = opt.step(closure_for(ours, set_ours, fn))
        tloss = topt.step(closure_for(theirs, set_torch, fn))
        assert loss == pytest.approx(tloss, rel=RTOL, abs=RTOL * start)
        assert_weights_close(ours, theirs, f"LBFGS {kwargs} step {step}")
    final = fn(ours[0].detach().numpy(), ours[1].detach().numpy())[0]
    assert final < start  # it did descend
    state, tstate = opt.state_dict()["state"][0], topt.state_dict()["state"][0]
    assert set(state) == set(tstate)
    assert state["n_iter"] == tstate["n_iter"] and state["func_evals"] == tstate["func_evals"]
    assert len(state["old_dirs"]) == len(tstate["old_dirs"])


@pytest.mark.parametrize("kwargs", LBFGS_CONFIGS, ids=str)
def test_lbfgs_state_dict_round_trip_mid_run(kwargs) -> None:
    fn, kwargs = problem(kwargs)
    reference, first = ours_params(), ours_params()
    ref_opt, first_opt = optim.LBFGS(reference, **kwargs), optim.LBFGS(first, **kwargs)
    for _ in range(STEPS // 5):
        ref_opt.step(closure_for(reference, set_ours, fn))
        first_opt.step(closure_for(first, set_ours, fn))
    saved = copy.deepcopy(first_opt.state_dict())
    resumed = [nl.nn.Parameter(nl.Tensor(p.detach().numpy().copy())) for p in first]
    resumed_opt = optim.LBFGS(resumed)
    resumed_opt.load_state_dict(saved)
    for _ in range(STEPS // 5):
        ref_opt.step(closure_for(reference, set_ours, fn))
        resumed_opt.step(closure_for(resumed, set_ours, fn))
    for p, q in zip(resumed, reference):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_lbfgs_loads_torchs_state_mid_run() -> None:
    kwargs = dict(lr=1.0, max_iter=2, history_size=4)
    fn = quadratic_loss_and_grads
    theirs = torch_params()
    topt = torch.optim.LBFGS(theirs, **kwargs)
    for _ in range(3):
        topt.step(closure_for(theirs, set_torch, fn))

    def plain(value):
        if isinstance(value, torch.Tensor):
            return value.numpy()
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    tsaved = topt.state_dict()
    ours = [nl.nn.Parameter(nl.Tensor(p.detach().numpy().copy())) for p in theirs]
    opt = optim.LBFGS(ours, **kwargs)
    opt.load_state_dict({"state": {i: {k: plain(v) for k, v in s.items()}
                                   for i, s in tsaved["state"].items()},
                         "param_groups": tsaved["param_groups"]})
    for step in range(10):
        opt.step(closure_for(ours, set_ours, fn))
        topt.step(closure_for(theirs, set_torch, fn))
        assert_weights_close(ours, theirs, f"LBFGS resumed step {step}")


def test_lbfgs_bad_arguments_and_bad_state() -> None:
    with pytest.raises(ValueError) as tinfo:
        torch.optim.LBFGS(torch_params(), lr=-1.0)
    with pytest.raises(ValueError, match=str(tinfo.value)):
        optim.LBFGS(ours_params(), lr=-1.0)
    with pytest.raises(ValueError) as tinfo:
        torch.optim.LBFGS([{"params": torch_params()[:1]}, {"params": torch_params()[1:]}])
    with pytest.raises(ValueError, match=str(tinfo.value).replace("(", r"\(").replace(")", r"\)")):
        optim.LBFGS([{"params": ours_params()[:1]}, {"params": ours_params()[1:]}])
    with pytest.raises(ValueError, match="strong_wolfe"):  # torch: RuntimeError at step()
        optim.LBFGS(ours_params(), line_search_fn="backtracking")
    params = ours_params()
    opt = optim.LBFGS(params, max_iter=3)
    with pytest.raises(TypeError, match="closure"):
        opt.step()
    opt.step(closure_for(params, set_ours))
    good = opt.state_dict()
    for key, value in [("d", np.zeros(3)), ("old_dirs", "x"), ("n_iter", -1), ("ro", [1.0, 2.0]),
                       ("t", float("inf"))]:
        bad = copy.deepcopy(good)
        bad["state"][0][key] = value
        with pytest.raises(ValueError, match=key):
            opt.load_state_dict(bad)
    bad = copy.deepcopy(good)
    bad["state"][1] = bad["state"][0]
    with pytest.raises(ValueError, match="first parameter"):
        opt.load_state_dict(bad)
    after = opt.state_dict()
    assert after["state"][0]["n_iter"] == good["state"][0]["n_iter"]
    np.testing.assert_array_equal(after["state"][0]["d"], good["state"][0]["d"])


NEW_FACTORIES = {
    "adamax": lambda p: optim.Adamax(p, lr=0.01),
    "nadam": lambda p: optim.NAdam(p, lr=0.01),
    "radam": lambda p: optim.RAdam(p, lr=0.01),
    "adadelta": lambda p: optim.Adadelta(p),
}


@pytest.mark.parametrize(("kind", "how"), [(k, h) for k in NEW_FACTORIES for h in HOWS])
def test_bad_state_raises_naming_the_culprit_and_changes_nothing(kind, how) -> None:
    """The same hostile state dicts as the first optimizers' (test_optimizer_state_hostile)."""
    _, opt = stepped(NEW_FACTORIES[kind])
    if kind == "nadam" and how in ("shape", "string", "object"):  # its first entry is a number
        bad = copy.deepcopy(opt.state_dict())
        bad["state"][3]["mu_product"] = {"shape": np.zeros(7), "string": "x",
                                         "object": np.array([None], dtype=object)}[how]
        pattern = r"parameter 3: 'mu_product' must be a finite number"
    else:
        bad, pattern = mutate(opt.state_dict(), how)
    _, fresh = stepped(NEW_FACTORIES[kind], steps=3)
    before = snapshot(fresh)
    with pytest.raises((TypeError, ValueError), match=pattern):
        fresh.load_state_dict(bad)
    assert_unchanged(fresh, before)


@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad")  # torch's own
def test_lbfgs_with_an_autograd_closure_on_a_layer_matches_torch() -> None:
    nl.manual_seed(0)
    layer = nl.nn.Linear(3, 2, dtype=np.float64)
    tlayer = torch.nn.Linear(3, 2)
    tlayer.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in layer.state_dict().items()})
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
    opt = optim.LBFGS(layer.parameters(), line_search_fn="strong_wolfe")
    topt = torch.optim.LBFGS(tlayer.parameters(), line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = nl.nn.functional.mse_loss(layer(nl.Tensor(x)), nl.Tensor(y))
        loss.backward()
        return loss

    def tclosure():
        topt.zero_grad()
        loss = torch.nn.functional.mse_loss(tlayer(torch.from_numpy(x)), torch.from_numpy(y))
        loss.backward()
        return loss

    for step in range(3):
        loss, tloss = opt.step(closure), topt.step(tclosure)
        assert float(loss) == pytest.approx(float(tloss), rel=RTOL)
        assert_weights_close(list(layer.parameters()), list(tlayer.parameters()), f"step {step}")
