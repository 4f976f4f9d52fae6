"""Resuming from a foreign, damaged or hand-edited checkpoint: one clear CheckpointError naming
the file and the mismatch, and nothing of the run (weights, optimizer, scheduler, loader, RNG)
changed."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import neuralab as nl
from neuralab import nn, optim
from neuralab.data import DataLoader, TensorDataset
from neuralab.io.files import ModelFileError, load_tensors, save_tensors
from neuralab.optim import lr_scheduler
from neuralab.random import get_rng_state
from neuralab.train import fit
from neuralab.train.callbacks import EarlyStopping
from neuralab.train.checkpoint import CheckpointError, load_checkpoint
from neuralab.train.fit import NonFiniteLossError

META = "neuralab.checkpoint"


def run(optimizer: str = "sgd", hidden: int = 8, schedule: bool = True):
    nl.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 2))
    opt = (optim.SGD(model.parameters(), lr=0.1, momentum=0.9) if optimizer == "sgd"
           else optim.Adam(model.parameters(), lr=0.01))
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
    sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5) if schedule else None
    return model, opt, loader, sched


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("ckpt") / "checkpoint.safetensors"
    model, opt, loader, sched = run()
    fit(model, nn.CrossEntropyLoss(), opt, loader, 1, scheduler=sched, checkpoint=path,
        callbacks=[EarlyStopping(monitor="loss")], verbose=0)
    return load_tensors(path)


def write(path, tensors, meta) -> None:
    save_tensors(path, tensors, {META: meta if isinstance(meta, str) else json.dumps(meta)})


def snapshot(model, opt, loader, sched) -> dict:
    return copy.deepcopy({"model": model.state_dict(), "opt": opt.state_dict(),
                          "sched": sched.state_dict() if sched else None,
                          "loader": loader.state_dict(), "rng": get_rng_state()})


def assert_same(a, b, where="") -> None:
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for key in a:
            assert_same(a[key], b[key], f"{where}/{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}/{i}")
    elif isinstance(a, (np.ndarray, nl.Tensor)):
        assert isinstance(b, type(a)), where
        a, b = np.asarray(a), np.asarray(b)
        assert np.array_equal(a, b) and a.dtype == b.dtype, where
    else:
        assert a == b, where


def resume(path, **kwargs):
    """Resume a fresh run from ``path``; return the error and check nothing changed."""
    model, opt, loader, sched = run(**kwargs)
    before = snapshot(model, opt, loader, sched)
    with pytest.raises(ValueError) as info:
        fit(model, nn.CrossEntropyLoss(), opt, loader, 2, scheduler=sched, checkpoint=path,
            resume=True, callbacks=[EarlyStopping(monitor="loss")], verbose=0)
    assert_same(snapshot(model, opt, loader, sched), before)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
    return info.value


def edited(saved, edit):
    tensors, metadata = copy.deepcopy(saved)
    meta = json.loads(metadata[META])
    edit(tensors, meta)
    return tensors, meta


CASES = {
    "epoch huge": (lambda t, m: m.update(epoch=10**18), "'epoch' must be a whole number"),
    "epoch float": (lambda t, m: m.update(epoch=1.5), "'epoch'"),
    "batch past loader": (lambda t, m: m.update(batch=5), r"'batch' must .* \[0, 4\]"),
    "batch negative": (lambda t, m: m.update(batch=-1), "'batch'"),
    "partial junk": (lambda t, m: m.update(batch=2, partial={"loss": "x"}), "'partial'"),
    "no epoch": (lambda t, m: m.pop("epoch"), "lacks 'epoch'"),
    "no param_groups": (lambda t, m: m.pop("param_groups"), "lacks 'param_groups'"),
    "history junk": (lambda t, m: m.update(history={"epochs": "x"}), "'history'"),
    "rng junk": (lambda t, m: m["rng"]["state"].update(state=-1), "RNG state is not a valid"),
    "rng other kind": (lambda t, m: m["rng"].update(bit_generator="MT19937"), "RNG state"),
    "loader junk": (lambda t, m: m.update(loader={"generator": "x"}), "shuffling state"),
    "scheduler junk": (lambda t, m: m["scheduler"].update(step_size=-2), "step_size"),
    "scheduler other": (lambda t, m: m.update(scheduler_class="CosineAnnealingLR"),
                        "saved with scheduler CosineAnnealingLR, but this run uses StepLR"),
    "callback junk": (lambda t, m: m["callbacks"][0].update(wait=-1), "EarlyStopping 'wait'"),
    "lr junk": (lambda t, m: m["param_groups"][0].update(lr=[1]), "learning rate"),
    "momentum junk": (lambda t, m: m["param_groups"][0].update(nesterov="yes"), "nesterov"),
    "state shape": (lambda t, m: t.update({"optimizer/2/momentum_buffer": np.zeros(5)}),
                    r"parameter 2: 'momentum_buffer' has shape \(5,\)"),
    "weight shape": (lambda t, m: t.update({"model/2.weight": np.zeros((3, 8), np.float32)}),
                     r"size mismatch for 2\.weight"),
    "weight complex": (lambda t, m: t.update({"model/0.bias": np.zeros(8, np.complex64)}),
                       r'"0\.bias"'),
    "weight removed": (lambda t, m: t.pop("model/0.weight"), r'Missing key\(s\).*"0\.weight"'),
    "stray tensor": (lambda t, m: t.update({"junk": np.zeros(1)}), "unexpected tensor 'junk'"),
    "bad index": (lambda t, m: t.update({"optimizer/x/y": np.zeros(1)}), "optimizer/x/y"),
}


@pytest.mark.parametrize("case", CASES)
def test_hand_edited_checkpoint_is_refused_and_changes_nothing(saved, tmp_path, case) -> None:
    edit, pattern = CASES[case]
    path = tmp_path / "checkpoint.safetensors"
    write(path, *edited(saved, edit))
    error = resume(path)
    assert isinstance(error, CheckpointError)
    if pattern is not None:
        assert error.args and __import__("re").search(pattern, str(error)), str(error)


def test_other_optimizer_model_or_schedule_is_named(saved, tmp_path) -> None:
    path = tmp_path / "checkpoint.safetensors"
    write(path, *edited(saved, lambda t, m: None))
    message = str(resume(path, optimizer="adam"))
    assert "saved by optimizer SGD, but this run uses Adam" in message
    assert "use the same optimizer" in message
    assert "size mismatch for 0.weight" in str(resume(path, hidden=4))
    assert "but this run has none" in str(resume(path, schedule=False))


def test_damaged_files_name_the_file(saved, tmp_path) -> None:
    path = tmp_path / "checkpoint.safetensors"
    write(path, saved[0], "{not json")
    assert "not valid JSON" in str(resume(path))
    text = saved[1][META]  # the same key twice: json would silently keep the second
    write(path, saved[0], text[:-1] + ', "epoch": 0}')
    assert "not valid JSON (duplicate key 'epoch')" in str(resume(path))
    write(path, *edited(saved, lambda t, m: None))
    path.write_bytes(path.read_bytes()[:-10])
    assert isinstance(resume(path), ModelFileError)
    save_tensors(path, saved[0])
    assert "not a neuralab training checkpoint" in str(resume(path))


def test_resume_without_a_file_starts_fresh(tmp_path) -> None:
    path = tmp_path / "none.safetensors"
    model, opt, loader, sched = run()
    history = fit(model, nn.CrossEntropyLoss(), opt, loader, 1, scheduler=sched,
                  checkpoint=path, resume=True, verbose=0)
    assert len(history) == 1 and path.exists()


def test_load_checkpoint_alone_validates_and_restores(saved, tmp_path) -> None:
    path = tmp_path / "checkpoint.safetensors"
    write(path, *edited(saved, lambda t, m: None))
    model, opt, _, _ = run()
    meta = load_checkpoint(path, model=model, optimizer=opt)
    assert meta["epoch"] == 1
    np.testing.assert_array_equal(model.state_dict()["0.weight"], saved[0]["model/0.weight"])


JUNK = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                 st.floats(allow_nan=False), st.text(max_size=3),
                 st.lists(st.integers(-3, 3), max_size=3), st.just({}))


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, prefix + (i,))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_json_edits_resume_exactly_or_change_nothing(saved, tmp_path, data) -> None:
    tensors, metadata = copy.deepcopy(saved)
    meta = json.loads(metadata[META])
    paths = [p for p in _paths(meta) if p and p[0] != "history"]
    for _ in range(data.draw(st.integers(1, 2))):
        where = data.draw(st.sampled_from(paths))
        parent = meta
        try:
            for key in where[:-1]:
                parent = parent[key]
            if data.draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(where[-1], None)
            else:
                parent[where[-1]] = data.draw(JUNK)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced this path
    path = tmp_path / "fuzz.safetensors"
    write(path, tensors, meta)
    model, opt, loader, sched = run()
    before = snapshot(model, opt, loader, sched)
    try:
        with np.errstate(all="ignore"):
            fit(model, nn.CrossEntropyLoss(), opt, loader, 2, scheduler=sched,
                checkpoint=path, resume=True, callbacks=[EarlyStopping(monitor="loss")],
                verbose=0)
    except CheckpointError as error:
        assert str(path) in str(error)
        assert_same(snapshot(model, opt, loader, sched), before)
    except NonFiniteLossError:
        pass  # a valid but wild edit (lr=1e19, say) loaded, then training diverged


def test_nan_loss_says_whether_a_checkpoint_was_written(tmp_path) -> None:
    model, opt, loader, sched = run()
    opt.param_groups[0]["lr"] = 1e30  # diverges within the first epoch
    path = tmp_path / "checkpoint.safetensors"
    with pytest.raises(NonFiniteLossError, match="no checkpoint was written yet"):
        fit(model, nn.CrossEntropyLoss(), opt, loader, 3, checkpoint=path, verbose=0)
    assert not path.exists()
    model, opt, loader, sched = run()
    fit(model, nn.CrossEntropyLoss(), opt, loader, 1, checkpoint=path, verbose=0)
    saved = path.read_bytes()

    def nan_loss(out, y):
        return nn.CrossEntropyLoss()(out, y) * float("nan")

    with pytest.raises(NonFiniteLossError, match=f"the last checkpoint in {path} is intact"):
        fit(model, nan_loss, opt, loader, 3, checkpoint=path, verbose=0)
    assert path.read_bytes() == saved


BAD_GENERATOR_STATES = [None, "x", {}, {"bit_generator": "MT19937"},
                        {"bit_generator": "PCG64", "state": {"state": -1, "inc": 1},
                         "has_uint32": 0, "uinteger": 0}]


@pytest.mark.parametrize("state", BAD_GENERATOR_STATES)
def test_set_rng_state_refuses_a_bad_state_and_changes_nothing(state) -> None:
    nl.manual_seed(3)
    before = copy.deepcopy(get_rng_state())
    with pytest.raises(ValueError, match="set_rng_state: the state is not a valid PCG64 state"):
        nl.random.set_rng_state(state)
    assert get_rng_state() == before


@pytest.mark.parametrize("state", [*BAD_GENERATOR_STATES[1:], {"generator": "x", "more": 1}])
def test_loader_load_state_dict_refuses_a_bad_state_and_changes_nothing(state) -> None:
    loader = run()[2]
    before = copy.deepcopy(loader.state_dict())
    wrapped = state if isinstance(state, dict) and "generator" in state else {"generator": state}
    with pytest.raises(ValueError, match="DataLoader.load_state_dict"):
        loader.load_state_dict(wrapped)
    assert loader.state_dict() == before


def test_resume_from_a_checkpoint_without_position_changes_nothing(tmp_path) -> None:
    # written by save_checkpoint with a state of its own; the loader has no state to check
    from neuralab.train.checkpoint import save_checkpoint

    model, opt, loader, _ = run()
    path = tmp_path / "checkpoint.safetensors"
    save_checkpoint(path, model=model, optimizer=opt, state={"rng": get_rng_state()})
    model, opt, loader, _ = run(schedule=False)
    batches = list(loader)  # a plain list: no state_dict
    before = snapshot(model, opt, loader, None)
    with pytest.raises(CheckpointError, match="no training position"):
        fit(model, nn.CrossEntropyLoss(), opt, batches, 1, checkpoint=path, resume=True,
            verbose=0)
    assert_same(snapshot(model, opt, loader, None), before)
