"""State-changing Module calls: a failure changes nothing, for every kind of bad value."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import neuralab as nl
from neuralab import nn


def model() -> nn.Module:
    nl.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))


def torch_model() -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(),
                               torch.nn.Linear(4, 2))


def snapshot(module: nn.Module) -> dict:
    return {name: (t.data.numpy().copy(), t.dtype, t.requires_grad)
            for name, t in [*module.named_parameters(), *module.named_buffers()]}


def assert_unchanged(module: nn.Module, before: dict) -> None:
    after = snapshot(module)
    assert after.keys() == before.keys()
    for key, (data, dtype, grad) in before.items():
        assert np.array_equal(after[key][0], data, equal_nan=True), key
        assert after[key][1] == dtype and after[key][2] == grad, key


# Bad values, placed in the SECOND parameter so that a half-applying loader would already
# have overwritten the first.
BAD_VALUES = {
    "str": "weights", "none": None, "bytes": b"\x00" * 16, "list of str": [["a"] * 4] * 2,
    "object array": np.array([[object()] * 4] * 2, dtype=object),
    "ragged": [[1.0, 2.0], [3.0]], "complex": np.ones((2, 4), np.complex64),
    "wrong shape": np.ones((4, 2), np.float32), "dict": {"a": 1},
}


@pytest.mark.parametrize("kind", BAD_VALUES)
def test_load_state_dict_bad_value_in_second_parameter_changes_nothing(kind) -> None:
    m = model()
    before = snapshot(m)
    state = {k: v + 1 for k, v in m.state_dict().items()}  # valid, different values...
    state["3.weight"] = BAD_VALUES[kind]                  # ...and one bad one
    with pytest.raises(RuntimeError, match=r'3\.weight') as info:
        m.load_state_dict(state)
    assert "nothing was changed" in str(info.value)
    assert_unchanged(m, before)


@pytest.mark.parametrize("kind", ["str", "none", "wrong shape"])
def test_torch_refuses_the_same_values_with_runtime_error_naming_the_key(kind) -> None:
    theirs = torch_model()
    state = dict(theirs.state_dict())
    value = BAD_VALUES[kind]
    state["3.weight"] = torch.from_numpy(value) if isinstance(value, np.ndarray) else value
    with pytest.raises(RuntimeError, match=r"3\.weight"):
        theirs.load_state_dict(state)


def test_buffers_are_validated_and_cast_like_torch() -> None:
    m, theirs = model(), torch_model()
    state = m.state_dict()
    state["1.num_batches_tracked"] = np.array([7.9])  # 1 element into 0-d; float into int64
    state["1.running_mean"] = np.arange(4)            # ints into float32
    m.load_state_dict(state)
    tstate = {k: torch.from_numpy(np.asarray(v)) for k, v in state.items()}
    theirs.load_state_dict(tstate)
    assert m[1].num_batches_tracked.data.dtype == np.int64
    assert int(m[1].num_batches_tracked.data) == int(theirs[1].num_batches_tracked) == 7
    np.testing.assert_array_equal(m[1].running_mean.data, theirs[1].running_mean.numpy())
    state["1.running_var"] = np.ones(5)
    before = snapshot(m)
    with pytest.raises(RuntimeError, match=r"size mismatch for 1\.running_var"):
        m.load_state_dict(state)
    assert_unchanged(m, before)


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("value", [[1, 2], None, "state", 3])
def test_non_mapping_is_a_type_error_like_torch(value, strict) -> None:
    m = model()
    with pytest.raises(TypeError, match="dict-like") as ours:
        m.load_state_dict(value, strict=strict)
    with pytest.raises(TypeError, match="dict-like") as theirs:
        torch_model().load_state_dict(value, strict=strict)
    assert str(ours.value).split(",")[0] == str(theirs.value).split(",")[0]


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_random_mutations_either_load_fully_or_change_nothing(data) -> None:
    m = model()
    before = snapshot(m)
    state = {k: v - 3 for k, v in m.state_dict().items()}
    keys = sorted(state)
    def numeric(key: str) -> bool:  # still a real array (not yet replaced by a bad value)
        value = state.get(key)
        return isinstance(value, np.ndarray) and value.dtype.kind in "biuf"

    for _ in range(data.draw(st.integers(1, 3))):
        key = data.draw(st.sampled_from(keys))
        action = data.draw(st.sampled_from(["delete", "bad", "reshape", "extra", "cast"]))
        if action == "delete":
            state.pop(key, None)
        elif action == "bad":
            state[key] = data.draw(st.sampled_from(list(BAD_VALUES.values())))
        elif action == "reshape" and numeric(key) and state[key].ndim > 0:
            state[key] = np.zeros(np.size(state[key]) + 1)
        elif action == "extra":
            state[key + "_extra"] = np.zeros(1)
        elif action == "cast" and numeric(key):
            state[key] = state[key].astype(np.float64)
    strict = data.draw(st.booleans())
    try:
        m.load_state_dict(state, strict=strict)
    except RuntimeError:
        assert_unchanged(m, before)
        return
    for key, value in m.state_dict().items():  # loaded: every given key has its new value
        if key in state:
            expected = np.asarray(state[key]).astype(value.dtype).reshape(value.shape)
            np.testing.assert_array_equal(value, expected)
        else:
            np.testing.assert_array_equal(value, before[key][0])


def test_to_refuses_non_floating_dtypes_like_torch_and_changes_nothing() -> None:
    m = model()
    before = snapshot(m)
    for dtype, tdtype in ((np.int64, torch.int64), (np.bool_, torch.bool)):
        with pytest.raises(TypeError, match="floating point"):
            m.to(dtype)
        with pytest.raises(TypeError, match="floating point"):
            torch_model().to(tdtype)
    # A string is a device, as in PyTorch (which raises RuntimeError: invalid device string).
    with pytest.raises(RuntimeError, match="no such dtype"):
        m.to("no such dtype")
    with pytest.raises(RuntimeError):
        torch_model().to("no such dtype")
    with pytest.raises(TypeError, match="dtype"):
        m.to(dtype="no such dtype")
    assert_unchanged(m, before)
    m.to(np.float64)
    assert all(p.dtype == np.float64 for p in m.parameters())
    assert m[1].num_batches_tracked.dtype == np.int64  # integer buffers keep their dtype


def test_requires_grad_and_train_check_before_changing() -> None:
    m = model()
    m.requires_grad_(False)
    m[3].register_parameter("count", nn.Parameter(np.zeros(2, np.int64), requires_grad=False))
    before = snapshot(m)
    with pytest.raises(TypeError, match="'3.count'"):
        m.requires_grad_(True)  # the int parameter comes last: nothing before it may change
    assert_unchanged(m, before)
    with pytest.raises(TypeError, match="must be bool"):
        m.requires_grad_("yes")
    with pytest.raises(TypeError):
        torch_model().requires_grad_("yes")
    with pytest.raises(ValueError, match="boolean"):
        m.train("no")
    with pytest.raises(ValueError, match="boolean"):
        torch_model().train("no")
    assert all(mod.training for mod in m.modules())
    with pytest.raises(TypeError, match="callable"):
        m.apply(3)
