"""Module: registration by attribute, traversal order, modes, zero_grad, repr."""

import copy

import numpy as np
import pytest
import torch
from _tolerance import assert_normwise_close

import neuralab as nl
from neuralab import nn


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.ones(1))
        self.fc1 = nn.Linear(4, 3)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(3, 2)
        self.note = "plain attribute"
        self.register_buffer("steps", np.zeros(1))

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


def test_registration_by_attribute_and_order():
    model = TwoLayer()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [p for p in model.parameters()][1] is model.fc1.weight
    assert [name for name, _ in model.named_children()] == ["fc1", "act", "fc2"]
    assert list(model.children()) == [model.fc1, model.act, model.fc2]
    assert [name for name, _ in model.named_modules()] == ["", "fc1", "act", "fc2"]
    assert list(model.modules())[0] is model
    assert [name for name, _ in model.named_buffers()] == ["steps"]
    assert model.note == "plain attribute"
    assert "note" not in model.state_dict()
    # Each module's own parameters, then its buffers, then its children (PyTorch's order).
    assert list(model.state_dict()) == ["scale", "steps", "fc1.weight", "fc1.bias",
                                        "fc2.weight", "fc2.bias"]
    assert list(model.named_parameters(recurse=False)) == [("scale", model.scale)]


def test_state_dict_order_matches_torch_for_params_and_buffers():
    class TorchTwoLayer(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = torch.nn.Parameter(torch.ones(1))
            self.fc1 = torch.nn.Linear(4, 3)
            self.act = torch.nn.Tanh()
            self.fc2 = torch.nn.Linear(3, 2)
            self.register_buffer("steps", torch.zeros(1))

    assert list(TwoLayer().state_dict()) == list(TorchTwoLayer().state_dict())


def test_nested_names_are_dotted():
    outer = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 1)))
    assert [n for n, _ in outer.named_parameters()] == [
        "0.weight", "0.bias", "1.1.weight", "1.1.bias"]
    assert [n for n, _ in outer.named_modules()] == ["", "0", "1", "1.0", "1.1"]


def test_module_needs_super_init_before_assignment():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Broken()


def test_reassigning_and_deleting_registered_attributes():
    model = TwoLayer()
    model.fc1 = nn.Identity()  # a module replaces a module, keeping its place
    assert [n for n, _ in model.named_children()] == ["fc1", "act", "fc2"]
    assert "fc1.weight" not in dict(model.named_parameters())
    model.scale = nn.Parameter(np.full(1, 3.0))
    assert next(iter(model.state_dict().items()))[0] == "scale"  # still first, as in torch
    np.testing.assert_array_equal(model.state_dict()["scale"], [3.0])
    del model.fc2
    assert [n for n, _ in model.named_children()] == ["fc1", "act"]
    with pytest.raises(AttributeError, match="fc2"):
        _ = model.fc2


def test_assigning_a_plain_tensor_to_a_parameter_name_is_refused():
    # Regression: it used to replace the parameter silently, dropping it from parameters().
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"parameter 'weight'.*Parameter or None"):
        layer.weight = nl.Tensor(np.zeros((2, 2)))
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    layer.bias = None  # allowed, as in PyTorch: the layer now has no bias
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    assert layer.bias is None
    out = layer(nl.Tensor(np.ones((1, 2), np.float32)))
    # 1·w1 + 1·w2: the products are exact, so both are the one rounding of w1 + w2
    np.testing.assert_array_equal(out.data, layer.weight.data.numpy().sum(axis=1, keepdims=True).T)


def test_assigning_to_a_buffer_name_updates_the_buffer():
    # Regression: it used to turn the buffer into a plain attribute missing from state_dict.
    model = TwoLayer()
    model.steps = nl.Tensor(np.array([5.0]))
    assert model.state_dict()["steps"].tolist() == [5.0]
    model.steps = np.array([6.0])
    assert isinstance(model.steps, nl.Tensor)
    assert model.state_dict()["steps"].tolist() == [6.0]
    with pytest.raises(TypeError, match="buffer 'steps'"):
        model.steps = "not an array"


def test_assigning_a_non_module_to_a_child_name_is_refused():
    model = TwoLayer()
    with pytest.raises(TypeError, match="child module 'act'"):
        model.act = 3


def test_shared_module_is_listed_once_like_torch():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    tshared = torch.nn.Linear(2, 2)
    tmodel = torch.nn.Sequential(tshared, torch.nn.ReLU(), tshared)
    assert len(list(model.modules())) == len(list(tmodel.modules())) == 3
    assert [n for n, _ in model.named_parameters()] == [
        n for n, _ in tmodel.named_parameters()] == ["0.weight", "0.bias"]
    assert list(model.state_dict()) == list(tmodel.state_dict())  # every path is saved
    assert model.num_parameters() == 6


def test_train_and_eval_are_recursive():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5), nn.ReLU()))
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model.train(False)
    assert not model[1][0].training


def test_zero_grad_clears_every_parameter():
    model = TwoLayer()
    x = nl.Tensor(np.ones((5, 4), np.float32))
    model(x).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    for p in model.parameters():
        np.testing.assert_array_equal(p.grad, np.zeros_like(p.data))
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_backward_reaches_every_parameter_with_torch_values():
    model = TwoLayer().double()
    tmodel = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2))
    tmodel.double()
    with torch.no_grad():
        for (name, tp) in tmodel.named_parameters():
            layer = model.fc1 if name.startswith("0") else model.fc2
            tp.copy_(torch.from_numpy(getattr(layer, name.split(".")[1]).detach().numpy()))
    x = np.random.default_rng(0).standard_normal((5, 4))
    model(nl.Tensor(x)).sum().backward()
    tmodel(torch.from_numpy(x)).sum().backward()
    # through both layers (fan-in + bias) and back, then the batch of 5
    assert_normwise_close(model.fc1.weight.grad, tmodel[0].weight.grad.numpy(),
                          terms=2 * ((4 + 1) + (3 + 1)) + 5)
    # the sum's gradient is 1 per row: the bias's is the row count, 5, exactly
    np.testing.assert_array_equal(model.fc2.bias.grad, tmodel[2].bias.grad.numpy())


def test_repr_lists_layers_and_parameter_count():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    text = repr(model)
    assert "(0): Linear(in_features=4, out_features=3, bias=True)" in text
    assert "(1): ReLU()" in text
    assert "(2): Linear(in_features=3, out_features=2, bias=True)" in text
    tmodel = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    assert text == repr(tmodel)  # PyTorch's repr exactly (no parameter count)
    assert model.num_parameters() == 23  # 4·3+3 + 3·2+2
    assert "Total parameters: 23" in model.summary()
    assert repr(nn.Dropout(0.25)) == repr(torch.nn.Dropout(0.25))
    assert repr(nn.Dropout(0.25)) == "Dropout(p=0.25, inplace=False)"
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"


def test_requires_grad_to_and_apply():
    model = TwoLayer()
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())
    model.to(nl.float64)
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model.steps.dtype == np.float64
    model.float()
    assert all(p.dtype == np.float32 for p in model.parameters())
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Tanh", "Linear", "TwoLayer"]  # children first, as in torch


def test_deepcopy_gives_an_independent_model():
    model = nn.Sequential(nn.Linear(2, 2))
    clone = copy.deepcopy(model)
    clone[0].weight.data[...] = 0.0
    assert bool((clone[0].weight == 0.0).all())
    assert not bool((model[0].weight == 0.0).all())
    assert [n for n, _ in clone.named_parameters()] == ["0.weight", "0.bias"]


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)
