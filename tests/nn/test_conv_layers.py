"""CNN layers: Conv2d, pooling, BatchNorm1d/2d — init, train/eval, state dicts with torch,
model files, error messages, and a few training steps side by side with torch."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
from _tolerance import assert_close, assert_normwise_close

import neuralab as nl
from neuralab import nn
from neuralab.nn import functional as F


def ours_cnn(dtype=np.float32) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, dtype=dtype), nn.BatchNorm2d(4, dtype=dtype),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 3,
                                                                            dtype=dtype))


def torch_cnn(dtype=torch.float32) -> torch.nn.Sequential:
    return torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4),
                               torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                               torch.nn.Linear(4 * 4 * 4, 3)).to(dtype)


def images(dtype=np.float32, n=6, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, 1, 8, 8)).astype(dtype)


# The CNN's longest chain of reductions: conv 1·3·3 (+ bias), the batch statistics over
# 6·8·8 values, the linear layer's 4·4·4 inputs (+ bias).
CNN_TERMS = 10 + 6 * 8 * 8 + 65


def batch_norm_value_scale(x: np.ndarray, mean: np.ndarray, var: np.ndarray, weight: Any,
                           bias: Any, eps: float) -> np.ndarray:
    """|γ|·(|x| + |μ|)/σ + |β|: the terms of γ·(x − μ)/σ + β, which cancel when x ≈ μ."""
    shape = [1, -1] + [1] * (x.ndim - 2)
    sigma = np.sqrt(np.asarray(var) + eps).reshape(shape)
    gamma = np.abs(weight).reshape(shape) if weight is not None else 1.0
    beta = np.abs(bias).reshape(shape) if bias is not None else 0.0
    return gamma * (np.abs(x) + np.abs(np.asarray(mean)).reshape(shape)) / sigma + beta


# ---------------------------------------------------------------------------------- Conv2d
def test_conv2d_shapes_names_and_repr() -> None:
    layer = nn.Conv2d(3, 8, (3, 5), stride=2, padding=1)
    assert layer.weight.shape == (8, 3, 3, 5) and layer.bias.shape == (8,)
    assert layer.weight.dtype == np.float32 and layer.weight.requires_grad
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert repr(torch.nn.Conv2d(3, 8, (3, 5), stride=2, padding=1)) in repr(layer)
    assert nn.Conv2d(1, 2, 3, bias=False).bias is None
    out = layer(nl.Tensor(np.ones((2, 3, 9, 9), np.float32)))
    assert out.shape == (2, 8, 5, 4) and out.dtype == np.float32


def test_conv2d_default_init_is_torchs() -> None:
    nl.manual_seed(0)
    layer = nn.Conv2d(16, 64, 3)
    bound = 1 / math.sqrt(16 * 3 * 3)  # Kaiming-uniform with a = √5 gives U(±1/√fan_in)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert np.abs(b).max() <= bound
    theirs = torch.nn.Conv2d(16, 64, 3).weight.detach().numpy()
    assert w.std() == pytest.approx(theirs.std(), rel=0.05)


@pytest.mark.parametrize(("layer", "shape", "message"), [
    (nn.Conv2d(3, 4, 3), (2, 2, 8, 8),
     r"Conv2d\(3, 4, kernel_size=\(3, 3\), stride=\(1, 1\)\): expected input of shape "
     r"\(N, 3, H, W\) or \(3, H, W\), got \(2, 2, 8, 8\)"),
    (nn.Conv2d(3, 4, 3), (2, 8, 8), r"Conv2d\(3, 4, .*\): expected input of shape \(N, 3, H, W\)"),
    (nn.Conv2d(3, 4, 5), (1, 3, 4, 8), r"Conv2d\(3, 4, kernel_size=\(5, 5\).*\): conv2d: input of "
                                       r"shape \(1, 3, 4, 8\) .* smaller than the kernel"),
    (nn.MaxPool2d(2), (4, 4), r"MaxPool2d\(kernel_size=2, .*\): expected a 4-D input"),
    (nn.MaxPool2d(3), (1, 1, 2, 2), r"MaxPool2d\(.*\): max_pool2d: input of shape \(1, 1, 2, 2\)"),
    (nn.AvgPool2d(2), (4, 4), r"AvgPool2d\(.*\): expected a 4-D input"),
    (nn.AdaptiveAvgPool2d(2), (4, 4), r"AdaptiveAvgPool2d\(output_size=\(2, 2\)\): expected"),
    (nn.BatchNorm2d(3), (2, 4, 5, 5),
     r"BatchNorm2d\(3, .*\): expected input of shape \(N, 3, H, W\), got \(2, 4, 5, 5\)"),
    (nn.BatchNorm2d(3), (2, 3), r"BatchNorm2d\(3, .*\): expected input of shape \(N, 3, H, W\)"),
    (nn.BatchNorm1d(3), (2, 3, 4, 4),
     r"BatchNorm1d\(3, .*\): expected input of shape \(N, 3\) or \(N, 3, L\), got \(2, 3, 4, 4\)"),
    (nn.BatchNorm1d(3), (1, 3), r"BatchNorm1d\(3, .*\): batch_norm: expected more than 1 value"),
])
def test_layer_errors_name_the_layer_and_the_shapes(layer, shape, message) -> None:
    with pytest.raises(ValueError, match=message):
        layer(nl.Tensor(np.ones(shape, np.float32)))


@pytest.mark.parametrize(("make", "message"), [
    (lambda: nn.Conv2d(0, 4, 3), r"Conv2d: in_channels and out_channels must be positive"),
    (lambda: nn.Conv2d(1, 4, 3, padding="full"), r"Conv2d: padding must be"),
    (lambda: nn.Conv2d(1, 4, 3, stride=2, padding="same"), r"padding='same' is not supported"),
    (lambda: nn.Conv2d(1, 4, 0), r"Conv2d: kernel_size must be >= 1"),
    (lambda: nn.MaxPool2d(2, padding=2), r"MaxPool2d: padding \(2, 2\) must be at most half"),
    (lambda: nn.BatchNorm2d(0), r"BatchNorm2d: num_features must be positive"),
])
def test_constructor_errors(make, message) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_pooling_modules_match_functional_and_torch_repr() -> None:
    x = nl.Tensor(images(np.float64))
    assert np.array_equal(nn.MaxPool2d(3, 2, 1)(x).data, F.max_pool2d(x, 3, 2, 1).data)
    assert np.array_equal(nn.AvgPool2d(2, count_include_pad=False)(x).data,
                          F.avg_pool2d(x, 2, count_include_pad=False).data)
    assert np.array_equal(nn.AdaptiveAvgPool2d((3, None))(x).data,
                          F.adaptive_avg_pool2d(x, (3, None)).data)
    assert repr(nn.MaxPool2d(2)) == repr(torch.nn.MaxPool2d(2))


# ------------------------------------------------------------------------------- BatchNorm
def test_batchnorm_buffers_are_torchs() -> None:
    ours, theirs = nn.BatchNorm2d(5), torch.nn.BatchNorm2d(5)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        assert ours.state_dict()[key].shape == tuple(value.shape)
        assert ours.state_dict()[key].dtype == value.numpy().dtype, key
    assert ours.num_batches_tracked.dtype == np.int64 and ours.num_batches_tracked.shape == ()
    assert [n for n, _ in ours.named_parameters()] == ["weight", "bias"]
    assert list(nn.BatchNorm1d(3, affine=False, track_running_stats=False).state_dict()) == []


@pytest.mark.parametrize(("cls", "torch_cls", "shape"), [
    (nn.BatchNorm2d, torch.nn.BatchNorm2d, (4, 3, 5, 5)),
    (nn.BatchNorm1d, torch.nn.BatchNorm1d, (6, 3)),
    (nn.BatchNorm1d, torch.nn.BatchNorm1d, (4, 3, 7)),
])
@pytest.mark.parametrize("options", [{}, {"momentum": None}, {"affine": False},
                                     {"track_running_stats": False}, {"eps": 1e-2,
                                                                      "momentum": 0.5}])
def test_batchnorm_train_and_eval_match_torch(cls, torch_cls, shape, options) -> None:
    ours, theirs = cls(3, dtype=np.float64, **options), torch_cls(3, **options).double()
    rng = np.random.default_rng(0)
    if ours.affine:  # non-trivial affine parameters, the same in both
        weights = {"weight": rng.standard_normal(3), "bias": rng.standard_normal(3)}
        ours.load_state_dict({**ours.state_dict(), **weights})
        theirs.load_state_dict({**theirs.state_dict(),
                                **{k: torch.from_numpy(v) for k, v in weights.items()}})
    eps = options.get("eps", 1e-5)
    weight, bias = (theirs.weight.detach().numpy(), theirs.bias.detach().numpy()) \
        if ours.affine else (None, None)
    axes = (0, *range(2, len(shape)))
    m = int(np.prod(shape)) // 3
    biggest = 0.0
    for step in range(3):  # training: batch statistics, running estimates updated
        x = rng.standard_normal(shape) * (step + 1) + step
        y = ours(nl.Tensor(x, requires_grad=True))
        expected = theirs(torch.from_numpy(x))
        scale = batch_norm_value_scale(x, x.mean(axis=axes), x.var(axis=axes), weight, bias, eps)
        assert_close(y.data, expected.detach().numpy(), scale=scale, terms=m)  # m-term stats
        biggest = max(biggest, np.abs(x).max())
    # Running estimates: blends of three batch statistics, each a reduction over m values of
    # magnitude ≤ max|x| (mean) or ≤ (2·max|x|)² (variance); the count is an integer.
    for key, value in theirs.state_dict().items():
        stat_scale = {"running_mean": biggest, "running_var": 4 * biggest ** 2}.get(key, 0.0)
        assert_close(ours.state_dict()[key], value.numpy(), scale=stat_scale, terms=3 * m,
                     err_msg=key)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal(shape)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    if ours.track_running_stats:
        mean, var = theirs.running_mean.numpy(), theirs.running_var.numpy()
        scale, terms = batch_norm_value_scale(x, mean, var, weight, bias, eps), 4  # pointwise
    else:  # no running estimates: the batch's statistics even in evaluation
        scale = batch_norm_value_scale(x, x.mean(axis=axes), x.var(axis=axes), weight, bias, eps)
        terms = m
    assert_close(ours(nl.Tensor(x)).data, expected, scale=scale, terms=terms)
    if ours.track_running_stats:  # eval leaves the running estimates alone
        assert int(ours.num_batches_tracked.data) == 3


# ---------------------------------------------------------------- state dicts, model files
def test_cnn_state_dict_keys_match_torch() -> None:
    ours, theirs = ours_cnn().state_dict(), torch_cnn().state_dict()
    assert list(ours) == list(theirs)
    for key in ours:
        assert ours[key].shape == tuple(theirs[key].shape), key


@pytest.mark.parametrize("train_first", [False, True])
def test_cnn_weights_move_both_ways_with_the_same_outputs(train_first: bool) -> None:
    nl.manual_seed(3)
    torch.manual_seed(3)
    ours, theirs = ours_cnn(np.float64), torch_cnn(torch.float64)
    if train_first:  # give BatchNorm non-trivial running statistics
        ours(nl.Tensor(images(np.float64, seed=5)))
    assert theirs.load_state_dict({k: torch.from_numpy(v.numpy())
                                   for k, v in ours.state_dict().items()})
    for model in (ours, theirs):
        model.eval()
    x = images(np.float64)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    # a whole network: normwise, the chain's reduction lengths added up
    assert_normwise_close(ours(nl.Tensor(x)).data, expected, terms=CNN_TERMS)

    fresh, other = ours_cnn(np.float64).eval(), torch_cnn(torch.float64).eval()
    with torch.no_grad():  # the reverse direction, from a torch model with its own init
        other(torch.from_numpy(images(np.float64, seed=9)))
    assert fresh.load_state_dict(other.state_dict()) == ([], [])
    assert fresh[1].num_batches_tracked.dtype == np.int64
    with torch.no_grad():
        expected = other(torch.from_numpy(x)).numpy()
    assert_normwise_close(fresh(nl.Tensor(x)).data, expected, terms=CNN_TERMS)


def test_cnn_model_file_round_trip(tmp_path) -> None:
    nl.manual_seed(4)
    model = nn.Sequential(
        nn.Conv2d(1, 4, (3, 2), stride=(1, 2), padding=(1, 0)),
        nn.BatchNorm2d(4, momentum=None), nn.ReLU(), nn.MaxPool2d(2, 1, 1),
        nn.AvgPool2d(2, count_include_pad=False), nn.Conv2d(4, 2, 3, padding="same", bias=False),
        nn.AdaptiveAvgPool2d((2, None)), nn.Flatten(), nn.BatchNorm1d(8, affine=False),
        nn.Linear(8, 3))
    x = nl.Tensor(images(n=4))
    model(x)  # update the running statistics
    model.eval()
    path = tmp_path / "cnn.safetensors"
    nl.save(model, path)
    loaded = nl.load(path)
    assert repr(loaded) == repr(model)
    for key, value in model.state_dict().items():
        assert np.array_equal(loaded.state_dict()[key], value), key
        assert loaded.state_dict()[key].dtype == value.dtype, key
    assert not loaded.training
    np.testing.assert_array_equal(loaded(x).data, model(x).data)


# --------------------------------------------------------------------- training side by side
def test_a_few_training_steps_follow_torch() -> None:
    nl.manual_seed(6)
    ours, theirs = ours_cnn(np.float64), torch_cnn(torch.float64)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in ours.state_dict().items()})
    opt = nl.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    topt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(0)
    for step in range(4):
        x, y = images(np.float64, n=8, seed=step), rng.integers(0, 3, 8)
        loss = F.cross_entropy(ours(nl.Tensor(x)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        tloss = torch.nn.functional.cross_entropy(theirs(torch.from_numpy(x)), torch.from_numpy(y))
        topt.zero_grad()
        tloss.backward()
        topt.step()
        # the loss: the network's chain, then a log-sum-exp over 3 classes and a batch mean
        assert_normwise_close(loss.item(), tloss.item(), terms=CNN_TERMS + 3 + 8)
    # After 4 steps each tensor carries 4 steps' worth of forward/backward chains (normwise per
    # tensor; the integer batch count exactly).
    for key, value in theirs.state_dict().items():
        assert_normwise_close(ours.state_dict()[key], value.numpy(), terms=4 * 2 * CNN_TERMS,
                              err_msg=key)


def test_conv_layers_take_one_unbatched_sample_as_torch():
    rng = np.random.default_rng(0)
    for ours, theirs, shape in ((nn.Conv2d(3, 4, 3), torch.nn.Conv2d(3, 4, 3), (3, 6, 5)),
                                (nn.Conv1d(3, 2, 2), torch.nn.Conv1d(3, 2, 2), (3, 7))):
        theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in
                                ours.state_dict().items()})
        x = rng.standard_normal(shape).astype(np.float32)
        got, expected = ours(nl.tensor(x)), theirs(torch.from_numpy(x))
        assert got.shape == tuple(expected.shape)
        with torch.no_grad():  # the same layer on magnitudes: each output's terms, summed
            magnitudes = type(theirs)(**{k: getattr(theirs, k) for k in (
                "in_channels", "out_channels", "kernel_size")})
            magnitudes.weight.copy_(theirs.weight.abs())
            magnitudes.bias.copy_(theirs.bias.abs())
            scale = magnitudes(torch.from_numpy(np.abs(x))).numpy()
        fan_in = ours.weight[0].numel() + 1
        assert_close(got.detach().numpy(), expected.detach().numpy(), scale=scale, terms=fan_in)
