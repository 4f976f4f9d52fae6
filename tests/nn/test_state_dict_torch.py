"""state_dict / load_state_dict: PyTorch's keys and shapes, round trips both ways, strictness."""

import numpy as np
import pytest
import torch
from _tolerance import assert_normwise_close

import neuralab as nl
from neuralab import nn

SIZES = [(5, 16), (16, 8), (8, 3)]
# Σ of the layers' reduction lengths (fan-in + bias) along the network
FORWARD_TERMS = sum(n_in + 1 for n_in, _ in SIZES)


def ours_mlp(dtype=None):
    return nn.Sequential(nn.Linear(*SIZES[0], dtype=dtype), nn.ReLU(),
                         nn.Linear(*SIZES[1], dtype=dtype), nn.Tanh(),
                         nn.Linear(*SIZES[2], dtype=dtype))


def torch_mlp(dtype=torch.float32):
    model = torch.nn.Sequential(torch.nn.Linear(*SIZES[0]), torch.nn.ReLU(),
                                torch.nn.Linear(*SIZES[1]), torch.nn.Tanh(),
                                torch.nn.Linear(*SIZES[2]))
    return model.to(dtype)


def inputs(dtype):
    return np.random.default_rng(0).standard_normal((7, 5)).astype(dtype)


def test_keys_and_shapes_match_torch():
    ours, theirs = ours_mlp().state_dict(), torch_mlp().state_dict()
    assert list(ours) == list(theirs) == [
        "0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    for key in ours:
        assert ours[key].shape == tuple(theirs[key].shape), key
        # as torch: detached tensors over the model's own memory
        assert isinstance(ours[key], nl.Tensor) and not ours[key].requires_grad
    model = ours_mlp()
    state = model.state_dict()
    assert np.shares_memory(state["0.weight"].numpy(), model[0].weight.detach().numpy())
    assert model.state_dict(keep_vars=True)["0.weight"] is model[0].weight


@pytest.mark.parametrize(("np_dtype", "torch_dtype"), [
    (np.float64, torch.float64), (np.float32, torch.float32)])
def test_neuralab_weights_in_torch_give_the_same_outputs(np_dtype, torch_dtype):
    nl.manual_seed(1)
    ours, theirs = ours_mlp(np_dtype), torch_mlp(torch_dtype)
    result = theirs.load_state_dict({k: torch.from_numpy(v.numpy())
                                     for k, v in ours.state_dict().items()})
    assert not result.missing_keys and not result.unexpected_keys
    x = inputs(np_dtype)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    out = ours(nl.Tensor(x))
    assert out.dtype == np_dtype
    assert_normwise_close(out.data, expected, terms=FORWARD_TERMS)


@pytest.mark.parametrize(("np_dtype", "torch_dtype"), [
    (np.float64, torch.float64), (np.float32, torch.float32)])
def test_torch_weights_in_neuralab_give_the_same_outputs(np_dtype, torch_dtype):
    torch.manual_seed(2)
    ours, theirs = ours_mlp(np_dtype), torch_mlp(torch_dtype)
    result = ours.load_state_dict(theirs.state_dict())  # torch tensors accepted directly
    assert result == ([], [])
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[key], value.numpy())
    x = inputs(np_dtype)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    assert_normwise_close(ours(nl.Tensor(x)).data, expected, terms=FORWARD_TERMS)


def test_gradients_match_torch_after_loading():
    torch.manual_seed(3)
    ours, theirs = ours_mlp(np.float64), torch_mlp(torch.float64)
    ours.load_state_dict(theirs.state_dict())
    x, y = inputs(np.float64), np.array([0, 2, 1, 1, 0, 2, 2])
    nn.CrossEntropyLoss()(ours(nl.Tensor(x)), y).backward()
    torch.nn.CrossEntropyLoss()(theirs(torch.from_numpy(x)), torch.from_numpy(y)).backward()
    for (name, p), (tname, tp) in zip(ours.named_parameters(), theirs.named_parameters(),
                                      strict=True):
        assert name == tname
        # forward and backward through the layers, the 3-class softmax, the batch of 7
        assert_normwise_close(p.grad, tp.grad.numpy(), terms=2 * FORWARD_TERMS + 3 + 7,
                              err_msg=name)


def test_loading_keeps_the_model_dtype_and_copies_the_values():
    model = ours_mlp()  # float32
    source = {k: v.numpy().astype(np.float64) + 1.0 for k, v in ours_mlp().state_dict().items()}
    model.load_state_dict(source)
    assert all(p.dtype == np.float32 for p in model.parameters())
    source["0.weight"][...] = 123.0  # the model holds its own copy
    assert not np.any(model[0].weight.detach().numpy() == 123.0)
    saved = model.state_dict()
    saved["0.bias"][...] = -7.0  # state_dict shares the model's memory, as torch's does
    assert np.all(model[0].bias.detach().numpy() == -7.0)


def test_loading_writes_into_the_existing_arrays():
    model = ours_mlp()
    weight = model[0].weight
    weight_array = weight.detach().numpy()
    view = weight_array[0]
    version = weight._version
    model.load_state_dict({k: np.full_like(v, 0.25) for k, v in model.state_dict().items()})
    assert model[0].weight is weight  # same parameter and array, as torch's copy_()
    assert model[0].weight.detach().numpy() is weight_array
    assert weight._version > version  # an in-place change, as copy_() counts it
    np.testing.assert_array_equal(view, np.full(5, 0.25, np.float32))


def snapshot(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def assert_unchanged(model, before):
    after = model.state_dict()
    assert list(after) == list(before)
    for key in before:
        np.testing.assert_array_equal(after[key], before[key])
        assert after[key].dtype == before[key].dtype


def test_strict_load_lists_missing_unexpected_and_mismatched_and_changes_nothing():
    model = ours_mlp()
    before = snapshot(model)
    bad = {k: np.zeros_like(v) for k, v in before.items()}  # valid values for most keys...
    del bad["2.bias"]
    bad["5.weight"] = np.zeros((1, 1))
    bad["4.weight"] = np.zeros((4, 8))
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(bad)
    message = str(info.value)
    # PyTorch's lines (shapes as tuples instead of torch.Size)
    assert 'Missing key(s) in state_dict: "2.bias".' in message
    assert 'Unexpected key(s) in state_dict: "5.weight".' in message
    assert ("size mismatch for 4.weight: copying a param with shape (4, 8) from checkpoint, "
            "the shape in current model is (3, 8).") in message
    assert_unchanged(model, before)  # ...yet none of them was copied in


@pytest.mark.parametrize("problem", ["missing", "unexpected", "shape"])
def test_each_strict_problem_alone_raises_and_changes_nothing(problem):
    model = ours_mlp()
    before = snapshot(model)
    bad = {k: v + 1.0 for k, v in before.items()}
    if problem == "missing":
        del bad["0.weight"]
    elif problem == "unexpected":
        bad["extra"] = np.ones(2)
    else:
        bad["0.bias"] = np.ones(17)
    match = {"missing": r'Missing key\(s\) in state_dict: "0\.weight"',
             "unexpected": r'Unexpected key\(s\).*"extra"',
             "shape": r"size mismatch for 0\.bias"}[problem]
    with pytest.raises(RuntimeError, match=match):
        model.load_state_dict(bad)
    assert_unchanged(model, before)


def test_non_strict_load_returns_missing_and_unexpected_like_torch():
    ours, theirs = ours_mlp(), torch_mlp()
    partial = {k: v + 1.0 for k, v in ours.state_dict().items() if k.startswith("0.")}
    partial["head.weight"] = nl.zeros(2, 2)
    result = ours.load_state_dict(partial, strict=False)
    assert result.missing_keys == ["2.weight", "2.bias", "4.weight", "4.bias"]
    assert result.unexpected_keys == ["head.weight"]
    missing, unexpected = result
    tresult = theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in partial.items()},
                                     strict=False)
    assert missing == tresult.missing_keys and unexpected == tresult.unexpected_keys
    np.testing.assert_array_equal(ours[0].weight.data, partial["0.weight"])  # loaded the rest


def test_non_strict_load_still_refuses_shape_mismatches():
    model = ours_mlp()
    before = snapshot(model)
    with pytest.raises(RuntimeError, match="size mismatch"):
        model.load_state_dict({"0.weight": np.zeros((2, 2))}, strict=False)
    assert_unchanged(model, before)


def test_loss_buffers_follow_torch_keys():
    weight = np.array([1.0, 2.0, 0.5], np.float32)
    ours = nn.CrossEntropyLoss(weight=weight)
    theirs = torch.nn.CrossEntropyLoss(weight=torch.from_numpy(weight))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert list(nn.MSELoss().state_dict()) == list(torch.nn.MSELoss().state_dict()) == []
    pos = np.array([2.0], np.float32)
    assert list(nn.BCEWithLogitsLoss(weight=weight, pos_weight=pos).state_dict()) == list(
        torch.nn.BCEWithLogitsLoss(weight=torch.from_numpy(weight),
                                   pos_weight=torch.from_numpy(pos)).state_dict())


def test_torch_parameters_that_require_grad_load_as_torch_loads_them():
    # state_dict(keep_vars=True) and named_parameters() hand over tensors that require grad
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2))
    for source in (theirs.state_dict(keep_vars=True), dict(theirs.named_parameters())):
        model = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))
        model.load_state_dict(source)
        for (name, ours), (tname, tp) in zip(model.named_parameters(),
                                             theirs.named_parameters(), strict=True):
            assert name == tname and np.array_equal(ours.data, tp.detach().numpy())
