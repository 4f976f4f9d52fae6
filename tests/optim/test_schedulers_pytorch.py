"""MultiStepLR, ExponentialLR, LinearLR, SequentialLR, OneCycleLR and ReduceLROnPlateau give
torch.optim.lr_scheduler's learning rates exactly (the same float operations in the same
order), over 50 steps, through a state-dict round trip mid-run, and from torch's own state."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

import neuralab as nl
from neuralab import optim
from neuralab.optim import lr_scheduler as ours_sched

tsched = torch.optim.lr_scheduler
STEPS = 50
LRS = (0.1, 0.03)  # two parameter groups with their own rates


def make(lib: str, opt_name: str = "SGD", **opt_kwargs):
    if lib == "ours":
        params = [nl.nn.Parameter(nl.ones(2)), nl.nn.Parameter(nl.ones(3))]
        module = optim
    else:
        params = [torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(3))]
        module = torch.optim
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, LRS)]
    return getattr(module, opt_name)(groups, **opt_kwargs)


def _seq_linear_exp(lib, opt):
    m = ours_sched if lib == "ours" else tsched
    return m.SequentialLR(opt, [m.LinearLR(opt, start_factor=0.2, total_iters=6),
                                m.ExponentialLR(opt, gamma=0.9)], milestones=[8])


def _seq_three(lib, opt):
    m = ours_sched if lib == "ours" else tsched
    return m.SequentialLR(opt, [m.ExponentialLR(opt, gamma=0.8),
                                m.MultiStepLR(opt, milestones=[3, 7, 7], gamma=0.5),
                                m.LinearLR(opt, start_factor=0.5, end_factor=0.9,
                                           total_iters=10)], milestones=[5, 20])


# (name, optimizer, optimizer kwargs, scheduler factory (lib, optimizer))
SCHEDULES = [
    ("multistep", "SGD", {}, lambda m, o: m.MultiStepLR(o, milestones=[5, 12, 12, 30])),
    ("multistep-gamma", "SGD", {}, lambda m, o: m.MultiStepLR(o, [40, 3], gamma=0.7)),
    ("exponential", "SGD", {}, lambda m, o: m.ExponentialLR(o, gamma=0.93)),
    ("linear", "SGD", {}, lambda m, o: m.LinearLR(o)),
    ("linear-down", "SGD", {}, lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.05,
                                                        total_iters=37)),
    ("onecycle-cos", "SGD", {"momentum": 0.9},
     lambda m, o: m.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=STEPS)),
    ("onecycle-linear", "SGD", {"momentum": 0.9},
     lambda m, o: m.OneCycleLR(o, max_lr=0.4, epochs=5, steps_per_epoch=10,
                               anneal_strategy="linear", pct_start=0.25)),
    ("onecycle-three-phase", "SGD", {"momentum": 0.9},
     lambda m, o: m.OneCycleLR(o, max_lr=0.4, total_steps=STEPS, three_phase=True,
                               div_factor=10.0, final_div_factor=100.0)),
    ("onecycle-adam-betas", "Adam", {},
     lambda m, o: m.OneCycleLR(o, max_lr=0.01, total_steps=STEPS, base_momentum=0.8,
                               max_momentum=[0.9, 0.95])),
    ("onecycle-no-momentum", "Adagrad", {},
     lambda m, o: m.OneCycleLR(o, max_lr=0.3, total_steps=STEPS, cycle_momentum=False)),
]


def sched_for(lib: str, factory, opt):
    if factory in (_seq_linear_exp, _seq_three):
        return factory(lib, opt)
    return factory(ours_sched if lib == "ours" else tsched, opt)


SCHEDULES += [("sequential-linear-exp", "SGD", {}, _seq_linear_exp),
              ("sequential-three", "SGD", {}, _seq_three)]
IDS = [s[0] for s in SCHEDULES]


def momenta(opt) -> list:
    return [(g.get("momentum"), g.get("betas")) for g in opt.param_groups]


def assert_same(ours_opt, ours, theirs_opt, theirs, where: str) -> None:
    assert ours.get_last_lr() == theirs.get_last_lr(), where
    assert [g["lr"] for g in ours_opt.param_groups] == \
        [g["lr"] for g in theirs_opt.param_groups], where
    assert momenta(ours_opt) == momenta(theirs_opt), where


@pytest.mark.parametrize(("name", "opt_name", "opt_kwargs", "factory"), SCHEDULES, ids=IDS)
def test_learning_rates_equal_torchs_exactly(name, opt_name, opt_kwargs, factory) -> None:
    opt, topt = make("ours", opt_name, **opt_kwargs), make("torch", opt_name, **opt_kwargs)
    sched, tsch = sched_for("ours", factory, opt), sched_for("torch", factory, topt)
    assert_same(opt, sched, topt, tsch, f"{name} at the start")
    seen = set()
    for step in range(STEPS - 1):  # OneCycleLR's total_steps is 50 rates
        opt.step()
        topt.step()
        sched.step()
        tsch.step()
        assert_same(opt, sched, topt, tsch, f"{name} step {step}")
        seen.add(sched.get_last_lr()[0])
    assert len(seen) > 2  # the schedule did change the rate


@pytest.mark.parametrize(("name", "opt_name", "opt_kwargs", "factory"), SCHEDULES, ids=IDS)
def test_state_dict_round_trip_mid_run(name, opt_name, opt_kwargs, factory) -> None:
    """Saving scheduler and optimizer after 20 steps and loading them into fresh ones (or
    loading torch's own states) continues exactly as the uninterrupted run."""
    opt, topt = make("ours", opt_name, **opt_kwargs), make("torch", opt_name, **opt_kwargs)
    sched, tsch = sched_for("ours", factory, opt), sched_for("torch", factory, topt)
    for _ in range(20):
        opt.step()
        topt.step()
        sched.step()
        tsch.step()
    saved, saved_opt = copy.deepcopy(sched.state_dict()), copy.deepcopy(opt.state_dict())
    tsaved, tsaved_opt = tsch.state_dict(), topt.state_dict()
    resumed = []
    for state, opt_state in ((saved, saved_opt), (tsaved, tsaved_opt)):
        opt2 = make("ours", opt_name, **opt_kwargs)
        sched2 = sched_for("ours", factory, opt2)
        opt2.load_state_dict(opt_state)
        sched2.load_state_dict(state)
        resumed.append((opt2, sched2))
    for step in range(STEPS - 21):
        opt.step()
        topt.step()
        sched.step()
        tsch.step()
        for opt2, sched2 in resumed:
            opt2.step()
            sched2.step()
            assert_same(opt2, sched2, topt, tsch, f"{name} resumed step {step}")
        assert_same(opt, sched, topt, tsch, f"{name} step {step}")


def test_onecycle_past_total_steps_raises_torchs_error_and_changes_nothing() -> None:
    opt, topt = make("ours", momentum=0.9), make("torch", momentum=0.9)
    sched = ours_sched.OneCycleLR(opt, max_lr=0.5, total_steps=4)
    tsch = tsched.OneCycleLR(topt, max_lr=0.5, total_steps=4)
    for _ in range(4):
        opt.step()
        topt.step()
        sched.step()
        tsch.step()
    before = (sched.state_dict(), copy.deepcopy(opt.param_groups[0]["lr"]))
    with pytest.raises(ValueError) as tinfo:
        tsch.step()
    with pytest.raises(ValueError, match=str(tinfo.value)):
        sched.step()
    assert (sched.state_dict(), opt.param_groups[0]["lr"]) == before


# ---------------------------------------------------------------------- ReduceLROnPlateau
def metric_sequence(seed: int) -> list[float]:
    """Improvements, plateaus and tiny (below-threshold) changes."""
    rng = np.random.default_rng(seed)
    values, value = [], 1.0
    for _ in range(STEPS):
        kind = rng.integers(0, 3)
        value = value * (0.9 if kind == 0 else 1.0 + (1e-6 if kind == 1 else 0.01))
        values.append(value)
    return values[:36] + [values[35]] * (STEPS - 36)  # and a long plateau


PLATEAUS = [
    dict(),
    dict(mode="max", factor=0.5, patience=2, threshold=1e-3),
    dict(patience=1, threshold_mode="abs", threshold=0.01, cooldown=2),
    dict(mode="max", patience=0, threshold_mode="abs", min_lr=[0.01, 0.0]),
    dict(factor=0.3, patience=2, cooldown=1, min_lr=0.005, eps=1e-3),
]


@pytest.mark.parametrize("kwargs", PLATEAUS, ids=str)
def test_reduce_lr_on_plateau_equals_torchs(kwargs) -> None:
    opt, topt = make("ours"), make("torch")
    sched = ours_sched.ReduceLROnPlateau(opt, **kwargs)
    tsch = tsched.ReduceLROnPlateau(topt, **kwargs)
    metrics = metric_sequence(3)
    changes = 0
    for step, metric in enumerate(metrics):
        before = sched.get_last_lr()
        sched.step(metric)
        tsch.step(metric)
        assert_same(opt, sched, topt, tsch, f"step {step}")
        assert (sched.num_bad_epochs, sched.cooldown_counter, sched.best) == \
            (tsch.num_bad_epochs, tsch.cooldown_counter, tsch.best)
        changes += sched.get_last_lr() != before
        if step == 24:  # round trips: our state and torch's, into fresh schedulers
            resumed = []
            for state in (copy.deepcopy(sched.state_dict()), tsch.state_dict()):
                opt2 = make("ours")
                opt2.load_state_dict(opt.state_dict())
                sched2 = ours_sched.ReduceLROnPlateau(opt2)
                sched2.load_state_dict(state)
                resumed.append((opt2, sched2))
        if step > 24:
            for opt2, sched2 in resumed:
                sched2.step(metric)
                assert_same(opt2, sched2, topt, tsch, f"resumed step {step}")
    assert changes >= 1


# ---------------------------------------------------------------------- bad arguments
BAD = [
    ("LinearLR", dict(start_factor=0.0)), ("LinearLR", dict(start_factor=1.5)),
    ("LinearLR", dict(end_factor=-0.1)), ("LinearLR", dict(end_factor=2.0)),
    ("OneCycleLR", dict(max_lr=0.1)), ("OneCycleLR", dict(max_lr=0.1, total_steps=0)),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=2.5)),
    ("OneCycleLR", dict(max_lr=0.1, epochs=0, steps_per_epoch=3)),
    ("OneCycleLR", dict(max_lr=0.1, epochs=2, steps_per_epoch=-1)),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, pct_start=1.5)),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, pct_start=1)),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, anneal_strategy="cosine")),
    ("OneCycleLR", dict(max_lr=[0.1, 0.2, 0.3], total_steps=10)),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, max_momentum=[0.9])),
    ("ReduceLROnPlateau", dict(factor=1.0)), ("ReduceLROnPlateau", dict(mode="up")),
    ("ReduceLROnPlateau", dict(threshold_mode="relative")),
    ("ReduceLROnPlateau", dict(min_lr=[0.1])),
    ("SequentialLR", dict(schedulers=[], milestones=[])),
    ("SequentialLR", dict(schedulers="two", milestones=[])),
    ("SequentialLR", dict(schedulers="other", milestones=[])),
    ("SequentialLR", dict(schedulers="plateau", milestones=[2])),
]


def _bad_kwargs(lib, opt, kwargs):
    kwargs = dict(kwargs)
    m = ours_sched if lib == "ours" else tsched
    what = kwargs.get("schedulers")
    if what == "two":
        kwargs["schedulers"] = [m.ExponentialLR(opt, 0.9), m.ExponentialLR(opt, 0.8)]
    elif what == "other":
        kwargs["schedulers"] = [m.ExponentialLR(make(lib), 0.9)]
    elif what == "plateau":
        kwargs["schedulers"] = [m.ExponentialLR(opt, 0.9), m.ReduceLROnPlateau(opt)]
    return kwargs


@pytest.mark.parametrize(("name", "kwargs"), BAD, ids=[f"{n}-{k}" for n, k in BAD])
def test_bad_arguments_raise_torchs_error_and_change_nothing(name, kwargs) -> None:
    topt = make("torch", momentum=0.9)
    with pytest.raises(ValueError) as tinfo:
        getattr(tsched, name)(topt, **_bad_kwargs("torch", topt, kwargs))
    opt = make("ours", momentum=0.9)
    kwargs = _bad_kwargs("ours", opt, kwargs)
    before = copy.deepcopy([{k: v for k, v in g.items() if k not in ("params", "state")}
                            for g in opt.param_groups])
    with pytest.raises(ValueError) as info:
        getattr(ours_sched, name)(opt, **kwargs)
    expected = str(tinfo.value)
    if kwargs.get("schedulers") and "same optimizer" in expected:
        expected = expected.split(" has ")[0]  # then the optimizers' reprs, which differ
    assert expected in str(info.value)
    after = [{k: v for k, v in g.items() if k not in ("params", "state")}
             for g in opt.param_groups]
    assert after == before


def test_bad_states_are_refused_and_change_nothing() -> None:
    opt = make("ours", momentum=0.9)
    schedulers = [
        (ours_sched.MultiStepLR(opt, [3]), {"milestones": ["x"]}),
        (ours_sched.ExponentialLR(opt, 0.9), {"gamma": "fast"}),
        (ours_sched.LinearLR(opt), {"start_factor": 0.0}),
        (ours_sched.ReduceLROnPlateau(opt), {"mode": "sideways"}),
        (ours_sched.ReduceLROnPlateau(opt), {"num_bad_epochs": -1}),
        (ours_sched.OneCycleLR(opt, max_lr=0.1, total_steps=9), {"total_steps": 0}),
        (ours_sched.OneCycleLR(opt, max_lr=0.1, total_steps=9), {"_anneal_func_type": "x"}),
        (_seq_linear_exp("ours", opt), {"_schedulers": [{}]}),
        (_seq_linear_exp("ours", opt), {"_schedulers": [{}, {"gamma": None}]}),
    ]
    for sched, change in schedulers:
        before = copy.deepcopy(sched.state_dict())
        with pytest.raises((TypeError, ValueError)):
            sched.load_state_dict({**sched.state_dict(), **change})
        assert sched.state_dict() == before, change


def test_linear_lr_follows_its_closed_form_within_rounding() -> None:
    """The recursive rates torch uses (and we copy) stay on the closed-form line."""
    opt = make("ours")
    sched = ours_sched.LinearLR(opt, start_factor=0.25, total_iters=8)
    for epoch in range(12):
        expected = LRS[0] * (0.25 + 0.75 * min(epoch, 8) / 8)
        assert math.isclose(sched.get_last_lr()[0], expected, rel_tol=20 * 2.0**-52)
        sched.step()
