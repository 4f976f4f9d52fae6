"""Layers: Linear, Sequential, Flatten, Identity, Dropout."""

import math
from collections import OrderedDict

import numpy as np
import pytest
import torch
from _sample_stats import (
    KURTOSIS_UNIFORM,
    assert_mean,
    assert_proportion,
    assert_same_std,
    assert_std,
    assert_uniform_histogram,
)
from _tolerance import assert_close, assert_product_close, eps, pairwise_terms

import neuralab as nl
from neuralab import nn
from neuralab.nn import functional as F


# ----------------------------------------------------------------------- Linear
def test_linear_shapes_and_default_dtype():
    layer = nn.Linear(4, 3)
    assert layer.weight.shape == (3, 4)  # (out, in), as PyTorch
    assert layer.bias.shape == (3,)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    assert layer.weight.requires_grad and layer.bias.requires_grad
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    out = layer(nl.Tensor(np.ones((5, 4), np.float32)))
    assert out.shape == (5, 3) and out.dtype == np.float32


def test_linear_default_init_bounds_and_spread():
    nl.manual_seed(0)
    layer = nn.Linear(100, 400)
    bound = 1 / math.sqrt(100)
    w, b = layer.weight.data, layer.bias.data
    # drawn in float64, stored in float32: a draw may round up by half an ulp past the bound
    rounded = bound * (1 + eps(np.float32) / 2)
    assert np.abs(w).max() <= rounded and np.abs(b).max() <= rounded
    assert np.abs(w).max() > 0.99 * bound  # uses the whole range
    assert_std(w, bound / math.sqrt(3), kurtosis=KURTOSIS_UNIFORM)  # U(-b, b) has std b/√3
    assert_mean(w, 0.0, bound / math.sqrt(3))
    assert_uniform_histogram(w, -bound, bound, bins=8)


def test_linear_init_matches_torch_statistics():
    ours = nn.Linear(64, 512).weight.data
    theirs = torch.nn.Linear(64, 512).weight.detach().numpy()
    # 1/8 is a float32 and rounding is monotone: no draw can round past it
    assert np.abs(ours).max() <= 1 / 8 and np.abs(theirs).max() <= 1 / 8
    assert_same_std(ours, theirs, kurtosis=KURTOSIS_UNIFORM)


def test_linear_forward_value_and_leading_axes():
    layer = nn.Linear(3, 2, dtype=nl.float64)
    x = np.random.default_rng(0).standard_normal((2, 5, 3))
    out = layer(nl.Tensor(x))
    assert out.shape == (2, 5, 2)
    # A length-3 product plus the bias: rounding is relative to the terms |x|·|W| and |b|, not
    # to the result (a fixed rtol with no atol can fail on an element that cancels to ~0).
    w, b = layer.weight.data, layer.bias.data
    assert_close(out.data, x @ w.T + b, scale=np.abs(x) @ np.abs(w.T) + np.abs(b), terms=4)


def test_linear_without_bias_and_float64():
    layer = nn.Linear(3, 2, bias=False, dtype=np.float64)
    assert layer.bias is None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    assert list(layer.state_dict()) == ["weight"]
    assert layer.weight.dtype == np.float64
    x = np.arange(6.0).reshape(2, 3)
    out = layer(nl.Tensor(x))
    assert_product_close(out.data, x, layer.weight.data.T)
    out.sum().backward()
    # Integer-valued x: the sums over the batch are exact whatever the order.
    np.testing.assert_array_equal(layer.weight.grad, np.tile(x.sum(axis=0), (2, 1)))
    assert "bias=False" in repr(layer)


def test_linear_shape_error_names_layer_expected_and_actual():
    layer = nn.Linear(3, 2)
    with pytest.raises(ValueError) as info:
        layer(nl.Tensor(np.ones((4, 5), np.float32)))
    message = str(info.value)
    assert "Linear(in_features=3, out_features=2" in message
    assert "(*, 3)" in message and "(4, 5)" in message


def test_linear_shape_error_inside_sequential_names_the_position():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(5, 1))
    with pytest.raises(ValueError) as info:
        model(nl.Tensor(np.ones((2, 4), np.float32)))
    message = str(info.value)
    assert "layer (2) of Sequential" in message
    assert "Linear(in_features=5, out_features=1" in message
    assert "(*, 5)" in message and "(2, 8)" in message


def test_nested_sequential_error_is_located_once():
    inner = nn.Sequential(nn.Linear(2, 2), nn.Linear(3, 1))
    model = nn.Sequential(inner)
    with pytest.raises(ValueError) as info:
        model(nl.Tensor(np.ones((1, 2), np.float32)))
    assert str(info.value).count("of Sequential") == 1
    assert "layer (1) of Sequential" in str(info.value)


def test_linear_rejects_non_positive_sizes():
    with pytest.raises(ValueError, match="positive"):
        nn.Linear(0, 3)


def test_linear_is_reproducible_with_manual_seed_and_generator():
    nl.manual_seed(3)
    a = nn.Linear(5, 4)
    nl.manual_seed(3)
    b = nn.Linear(5, 4)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)
    c = nn.Linear(5, 4, generator=np.random.default_rng(1))
    d = nn.Linear(5, 4, generator=np.random.default_rng(1))
    np.testing.assert_array_equal(c.weight.data, d.weight.data)
    assert not np.array_equal(a.weight.data, c.weight.data)


# ----------------------------------------------------------------------- Sequential
def test_sequential_indexing_len_iter_append():
    layers = [nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3
    assert model[0] is layers[0] and model[-1] is layers[2]
    assert list(model) == layers
    tail = model[1:]
    assert isinstance(tail, nn.Sequential) and list(tail) == layers[1:]
    assert list(tail.state_dict()) == ["2.weight", "2.bias"]  # names kept, as in PyTorch
    with pytest.raises(IndexError):
        model[3]
    model.append(nn.Sigmoid())
    assert len(model) == 4 and isinstance(model[3], nn.Sigmoid)


def test_sequential_forward_composes_in_order():
    model = nn.Sequential(nn.Linear(2, 3, dtype=np.float64), nn.Tanh(),
                          nn.Linear(3, 1, dtype=np.float64))
    x = np.array([[0.5, -1.0], [2.0, 0.1]])
    h = np.tanh(x @ model[0].weight.data.T + model[0].bias.data)
    expected = h @ model[2].weight.data.T + model[2].bias.data
    # Through two products and a 1-Lipschitz tanh: terms |h|·|W2| plus |W2|·(the first layer's
    # terms), normwise to the largest (tanh's own rounding is one more eps-sized term).
    w1, w2 = model[0].weight.data, model[2].weight.data
    first = np.abs(x) @ np.abs(w1.T) + np.abs(model[0].bias.data) + 1
    scale = (first @ np.abs(w2.T)).max() + np.abs(model[2].bias.data).max()
    assert_close(model(nl.Tensor(x)).data, expected, scale=scale, terms=2 + 3 + 2)


def test_sequential_from_ordered_dict_and_type_check():
    model = nn.Sequential(OrderedDict([("hidden", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert [n for n, _ in model.named_children()] == ["hidden", "act"]
    assert model.hidden is model[0]
    with pytest.raises(TypeError, match="argument 1"):
        nn.Sequential(nn.ReLU(), lambda x: x)


# ----------------------------------------------------------------------- Flatten, Identity
def test_flatten_matches_torch_and_passes_gradient():
    values = np.arange(120.0).reshape(2, 3, 4, 5)
    for args in [(), (0, -1), (1, 2), (2,)]:
        ours = nn.Flatten(*args)(nl.Tensor(values))
        theirs = torch.nn.Flatten(*args)(torch.from_numpy(values))
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.data, theirs.numpy())
    x = nl.Tensor(values, requires_grad=True)
    nn.Flatten()(x).sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 3, 4, 5)))


def test_identity_returns_its_input():
    x = nl.Tensor([1.0, 2.0])
    assert nn.Identity(54, unused="ignored")(x) is x
    assert list(nn.Identity().parameters()) == []


# ----------------------------------------------------------------------- Dropout
def test_dropout_scales_kept_values_and_preserves_the_mean():
    nl.manual_seed(0)
    x = nl.Tensor(np.full((200, 500), 2.0, np.float32))
    out = nn.Dropout(0.3)(x)
    assert out.dtype == np.float32 and out.shape == x.shape
    kept = out.numpy() != 0
    # inverted dropout: 2 · float32(1/0.7), two roundings of 2/0.7
    assert_close(out.numpy()[kept], np.full(kept.sum(), 2.0 / 0.7), scale=2.0 / 0.7, terms=2,
                 dtype=np.float32)
    assert_proportion(kept, 0.7)
    # the mean is the kept share times the scaled value, up to a float32 pairwise mean
    assert_close(out.data.numpy().mean(), 2.0 / 0.7 * kept.mean(), scale=2.0 / 0.7,
                 terms=pairwise_terms(kept.size) + 2, dtype=np.float32)


def test_dropout_gradient_is_the_scaled_mask():
    nl.manual_seed(1)
    x = nl.Tensor(np.ones((50, 40)), requires_grad=True)
    out = F.dropout(x, 0.5, training=True)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, (out.data != 0) * 2.0)


def test_dropout_is_inactive_in_eval_mode():
    layer = nn.Dropout(0.9)
    layer.eval()
    x = nl.Tensor(np.arange(10.0))
    np.testing.assert_array_equal(layer(x).data, np.arange(10.0))
    model = nn.Sequential(nn.Identity(), nn.Dropout(0.9)).eval()
    np.testing.assert_array_equal(model(x).data, np.arange(10.0))
    assert F.dropout(x, 0.9, training=False) is x


def test_dropout_edge_probabilities():
    x = nl.Tensor(np.linspace(-1, 1, 100), requires_grad=True)
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).data, x.data)
    out = nn.Dropout(1.0)(x)
    np.testing.assert_array_equal(out.data, np.zeros(100))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros(100))
    for bad in (-0.1, 1.5):  # PyTorch's message
        with pytest.raises(ValueError, match="has to be between 0 and 1, but got"):
            nn.Dropout(bad)
        with pytest.raises(ValueError, match="has to be between 0 and 1, but got"):
            F.dropout(x, bad)
        with pytest.raises(ValueError, match="has to be between 0 and 1, but got"):
            torch.nn.Dropout(bad)


def test_dropout_is_reproducible_with_manual_seed():
    x = nl.Tensor(np.ones((20, 20)))
    nl.manual_seed(42)
    first = nn.Dropout(0.5)(x).data
    nl.manual_seed(42)
    second = nn.Dropout(0.5)(x).data
    np.testing.assert_array_equal(first, second)
    third = nn.Dropout(0.5)(x).data  # the generator moved on: a new mask
    assert not np.array_equal(first, third)
    nl.manual_seed(43)
    assert not np.array_equal(first, nn.Dropout(0.5)(x).data)
