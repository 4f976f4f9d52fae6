"""Optimizer and scheduler state changes: validated in full, a failure changes nothing."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import neuralab as nl
from neuralab import nn, optim
from neuralab.optim import lr_scheduler


def stepped(factory, steps: int = 2):
    nl.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = factory(model.parameters())
    for _ in range(steps):
        opt.zero_grad()
        model(nl.ones(5, 3)).sum().backward()
        opt.step()
    return model, opt


def snapshot(opt) -> list:
    return [({k: copy.deepcopy(v) for k, v in g.items() if k not in ("params", "state")},
             [{k: np.array(v, copy=True) for k, v in s.items()} for s in g["state"]])
            for g in opt.param_groups]


def assert_unchanged(opt, before) -> None:
    after = snapshot(opt)
    for (hyper, states), (hyper0, states0) in zip(after, before):
        assert hyper == hyper0
        assert [sorted(s) for s in states] == [sorted(s) for s in states0]
        for s, s0 in zip(states, states0):
            for k in s0:
                assert np.array_equal(s[k], s0[k]) and s[k].dtype == s0[k].dtype, k


FACTORIES = {
    "sgd": lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
    "adam": lambda p: optim.Adam(p, lr=0.01, amsgrad=True),
    "rmsprop": lambda p: optim.RMSprop(p, momentum=0.5, centered=True),
    "adagrad": lambda p: optim.Adagrad(p),
}


def mutate(state: dict, how: str) -> tuple[dict, str]:
    """A bad copy of a real optimizer state_dict and a pattern its error must match."""
    state = copy.deepcopy(state)
    last = max(state["state"])  # the LAST parameter: a half-applying loader would have
    entry = state["state"][last]  # changed the others already
    name = next(k for k in entry if k != "step")
    if how == "shape":
        entry[name] = np.zeros(7)
        return state, rf"parameter {last}: '{name}' has shape \(7,\)"
    if how == "string":
        entry[name] = "x"
        return state, rf"parameter {last}: '{name}' must be a numeric array"
    if how == "object":
        entry[name] = np.array([None] * entry[name].size, dtype=object)
        return state, f"parameter {last}"
    if how == "missing":
        del entry[name]
        return state, rf"parameter {last}: has .* but this optimizer keeps"
    if how == "foreign":
        entry["foreign_buffer"] = np.zeros_like(entry[name])
        return state, "another optimizer"
    if how == "lr":
        state["param_groups"][0]["lr"] = "fast"
        return state, "learning rate must be a number"
    if how == "negative lr":
        state["param_groups"][0]["lr"] = -1.0
        return state, "invalid learning rate"
    if how == "groups":
        state["param_groups"].append(copy.deepcopy(state["param_groups"][0]))
        return state, "different number of parameter groups"
    if how == "params":
        state["param_groups"][0]["params"].pop()
        return state, "doesn't match the size of optimizer's group"
    if how == "index":
        state["param_groups"][0]["params"][0] = "zero"
        return state, "integer indices"
    if how == "no groups":
        del state["param_groups"]
        return state, "'param_groups'"
    raise AssertionError(how)


HOWS = ["shape", "string", "object", "missing", "foreign", "lr", "negative lr", "groups",
        "params", "index", "no groups"]


@pytest.mark.parametrize(("kind", "how"), [
    (kind, how) for kind in FACTORIES for how in HOWS
    # SGD's only state entry is optional: without it the state is a fresh one, not a bad one
    if (kind, how) != ("sgd", "missing")])
def test_bad_state_raises_naming_the_culprit_and_changes_nothing(kind, how) -> None:
    _, opt = stepped(FACTORIES[kind])
    bad, pattern = mutate(opt.state_dict(), how)
    _, fresh = stepped(FACTORIES[kind], steps=3)  # a different, valid state to protect
    before = snapshot(fresh)
    with pytest.raises((TypeError, ValueError), match=pattern):
        fresh.load_state_dict(bad)
    assert_unchanged(fresh, before)


def test_sgd_state_into_adam_is_refused_with_a_clear_message() -> None:
    _, sgd = stepped(FACTORIES["sgd"])
    _, adam = stepped(FACTORIES["adam"])
    before = snapshot(adam)
    with pytest.raises(ValueError, match="Adam has no setting 'momentum' .a state of another "
                                         "optimizer class"):
        adam.load_state_dict(sgd.state_dict())
    groups_alike = sgd.state_dict()  # the same hyper-parameters, SGD's per-parameter state
    groups_alike["param_groups"] = adam.state_dict()["param_groups"]
    with pytest.raises(ValueError, match="has momentum_buffer but this optimizer keeps step, "
                                         "exp_avg, exp_avg_sq, max_exp_avg_sq"):
        adam.load_state_dict(groups_alike)
    assert_unchanged(adam, before)
    # PyTorch refuses it too, with a bare KeyError('step'); ours says what does not match.
    p = [torch.nn.Parameter(torch.ones(2))]
    tsgd = torch.optim.SGD(p, lr=0.1, momentum=0.9)
    p[0].grad = torch.ones(2)
    tsgd.step()
    with pytest.raises(KeyError, match="step"):
        torch.optim.Adam(p).load_state_dict(tsgd.state_dict())


@pytest.mark.parametrize("how", ["groups", "params"])
def test_count_mismatches_raise_torchs_value_error(how) -> None:
    _, ours = stepped(FACTORIES["sgd"])
    bad, pattern = mutate(ours.state_dict(), how)
    params = [torch.nn.Parameter(torch.ones(s)) for s in ((4, 3), (4,), (2, 4), (2,))]
    theirs = torch.optim.SGD(params, lr=0.1, momentum=0.9)
    tbad = {"state": {}, "param_groups": copy.deepcopy(bad["param_groups"])}
    with pytest.raises(ValueError, match=pattern) as tinfo:
        theirs.load_state_dict(tbad)
    with pytest.raises(ValueError, match=pattern) as info:
        ours.load_state_dict(bad)
    assert str(info.value).startswith(str(tinfo.value))


def test_torch_state_dict_loads_and_steps_identically() -> None:
    model, ours = stepped(lambda p: optim.Adam(p, lr=0.01))
    params = [torch.nn.Parameter(torch.from_numpy(p.detach().numpy().copy()))
              for p in model.parameters()]
    theirs = torch.optim.Adam(params, lr=0.01)
    for p in params:
        p.grad = torch.ones_like(p)
    theirs.step()
    saved = theirs.state_dict()  # 'step' is a float tensor, extra keys like 'foreach'
    ours.load_state_dict({"state": {i: {k: v.numpy() for k, v in s.items()}
                                    for i, s in saved["state"].items()},
                          "param_groups": saved["param_groups"]})
    assert ours.param_groups[0]["state"][0]["step"] == 1


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_random_mutations_load_fully_or_change_nothing(data) -> None:
    kind = data.draw(st.sampled_from(sorted(FACTORIES)))
    _, opt = stepped(FACTORIES[kind])
    state = copy.deepcopy(opt.state_dict())
    junk = st.sampled_from([None, "x", -1, 1e308, [1, 2], {"a": 1}, np.zeros(3), True, 0.5])
    for _ in range(data.draw(st.integers(1, 3))):
        index = data.draw(st.sampled_from(sorted(state["state"])))
        target = data.draw(st.sampled_from(["state", "group"]))
        if target == "state":
            key = data.draw(st.sampled_from(sorted(state["state"][index]) + ["new"]))
            state["state"][index][key] = data.draw(junk)
        else:
            group = state["param_groups"][0]
            group[data.draw(st.sampled_from(sorted(group)))] = data.draw(junk)
    _, fresh = stepped(FACTORIES[kind], steps=1)
    before = snapshot(fresh)
    try:
        fresh.load_state_dict(state)
    except (TypeError, ValueError):
        assert_unchanged(fresh, before)
        return
    with np.errstate(all="ignore"):  # junk like lr=1e308 is accepted, as by PyTorch
        fresh.step()  # whatever was accepted must be usable


def test_add_param_group_checks_everything_first() -> None:
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    opt = optim.SGD(a.parameters(), lr=0.1)
    for group, error, pattern in [
        ({"params": a.parameters()}, ValueError, "more than one parameter group"),
        ({"params": [b.weight, b.weight]}, ValueError, "same parameter twice"),
        ({"params": b.parameters(), "lr": -1.0}, ValueError, "invalid learning rate"),
        ({"params": b.parameters(), "lr": "0.1"}, TypeError, "must be a number"),
        ({"params": b.parameters(), "momentum": None}, TypeError, "momentum"),
        ({"params": {b.weight}}, TypeError, "ordered collections"),
        ({"params": [b.weight, 3]}, TypeError, "only optimize Tensors"),
        ({"lr": 0.1}, ValueError, "no 'params'"),
        ([b.weight], TypeError, "must be a dict"),
    ]:
        with pytest.raises(error, match=pattern):
            opt.add_param_group(group)
        assert len(opt.param_groups) == 1
    frozen = nn.Linear(2, 2).requires_grad_(False)
    opt.add_param_group({"params": frozen.parameters()})  # accepted, as in PyTorch
    assert len(opt.param_groups) == 2


def test_scheduler_load_state_dict_validates_and_changes_nothing() -> None:
    _, opt = stepped(FACTORIES["sgd"])
    sched = lr_scheduler.StepLR(opt, step_size=2)
    sched.step()
    good = sched.state_dict()
    cosine = lr_scheduler.CosineAnnealingLR(stepped(FACTORIES["sgd"])[1], T_max=5)
    for bad, pattern in [
        ({**good, "last_epoch": "3"}, "last_epoch"),
        ({**good, "last_epoch": -5}, "last_epoch"),
        ({**good, "base_lrs": [0.1, 0.2]}, "base_lrs"),
        ({**good, "step_size": 0}, "step_size"),
        ({**good, "gamma": None}, "gamma"),
        ({**good, "step": 3}, "'step'"),  # would shadow the method
        (cosine.state_dict(), "'T_max', 'eta_min'"),
        ([1], "expected a dict"),
    ]:
        before = sched.state_dict()
        with pytest.raises((TypeError, ValueError), match=pattern):
            sched.load_state_dict(bad)
        assert sched.state_dict() == before
    torch_state = torch.optim.lr_scheduler.StepLR(
        torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1), 2).state_dict()
    sched.load_state_dict(torch_state)  # PyTorch's bookkeeping keys are ignored
    assert sched.last_epoch == 0



TORCH_CLASSES = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop",
                 "adagrad": "Adagrad"}


@pytest.mark.parametrize("name", sorted(TORCH_CLASSES))
def test_torch_settings_load_at_their_neutral_values_and_are_refused_otherwise(name) -> None:
    factory = FACTORIES.get(name, lambda p: optim.AdamW(p, lr=0.01))
    _, opt = stepped(factory)
    count = len(opt.param_groups[0]["params"])
    tparams = [torch.nn.Parameter(torch.ones(2)) for _ in range(count)]
    group = getattr(torch.optim, TORCH_CLASSES[name])(tparams, lr=0.1).state_dict()
    group = group["param_groups"][0]  # maximize=False, foreach=None, fused=None, ...
    opt.load_state_dict({"state": {}, "param_groups": [group]})
    assert opt.param_groups[0]["lr"] == 0.1
    for key, value in (("maximize", True), ("differentiable", True), ("foreach", "x")):
        _, opt = stepped(factory)
        before = snapshot(opt)
        with pytest.raises(ValueError, match=f"does not implement {key}="):
            opt.load_state_dict({"state": {}, "param_groups": [{**group, key: value}]})
        assert_unchanged(opt, before)
        with pytest.raises(ValueError, match=f"does not implement {key}="):
            opt.add_param_group({"params": [nn.Parameter(nl.ones(1))], key: value})
        assert_unchanged(opt, before)
    if name in ("adam", "adamw"):  # torch's Adam and AdamW differ by this flag only
        _, opt = stepped(factory)
        with pytest.raises(ValueError, match="does not implement decoupled_weight_decay="):
            opt.load_state_dict({"state": {}, "param_groups": [
                {**group, "decoupled_weight_decay": name == "adam"}]})
