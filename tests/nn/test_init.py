"""nn.init: bounds and empirical spread against the formulas; gains equal PyTorch's."""

import math

import numpy as np
import pytest
import torch
from _sample_stats import (
    KURTOSIS_NORMAL,
    KURTOSIS_UNIFORM,
    assert_mean,
    assert_same_std,
    assert_std,
    assert_uniform_histogram,
)
from _tolerance import eps

import neuralab as nl
from neuralab.nn import init

FAN_OUT, FAN_IN = 300, 500  # a (300, 500) weight: 150,000 samples, std known to ~0.2%
# Values drawn in float64 and stored in float32 round by at most half an ulp, so a sample can
# exceed a float64 bound by that much.
ROUNDING = 1 + eps(np.float32) / 2


def weight(shape=(FAN_OUT, FAN_IN), dtype=np.float32):
    return nl.nn.Parameter(np.full(shape, np.nan, dtype=dtype))


def test_constant_fillers():
    w = weight((3, 4))
    assert init.zeros_(w) is w
    np.testing.assert_array_equal(w.data, np.zeros((3, 4)))
    init.ones_(w)
    np.testing.assert_array_equal(w.data, np.ones((3, 4)))
    init.constant_(w, 2.5)
    np.testing.assert_array_equal(w.data, np.full((3, 4), 2.5))
    assert w.dtype == np.float32 and w.requires_grad


def test_uniform_bounds_and_spread():
    w = init.uniform_(weight(), -2.0, 3.0, generator=np.random.default_rng(0))
    assert w.dtype == np.float32
    assert w.data.numpy().min() >= -2.0 and w.data.numpy().max() <= 3.0
    assert w.data.numpy().min() < -1.99 and w.data.numpy().max() > 2.99  # fills the whole interval
    assert_mean(w.data, 0.5, 5 / math.sqrt(12))
    assert_std(w.data, 5 / math.sqrt(12), kurtosis=KURTOSIS_UNIFORM)
    assert_uniform_histogram(w.data, -2, 3, bins=10)  # flat, not bell-shaped


def test_normal_mean_and_std():
    w = init.normal_(weight(), mean=1.0, std=0.3, generator=np.random.default_rng(1))
    assert_mean(w.data, 1.0, 0.3)
    assert_std(w.data, 0.3, kurtosis=KURTOSIS_NORMAL)


@pytest.mark.parametrize("gain", [1.0, 5 / 3])
def test_xavier_uniform(gain):
    w = init.xavier_uniform_(weight(), gain=gain, generator=np.random.default_rng(2))
    bound = gain * math.sqrt(6 / (FAN_IN + FAN_OUT))
    assert np.abs(w.data).max() <= bound * ROUNDING
    assert np.abs(w.data).max() > 0.99 * bound
    assert_std(w.data, gain * math.sqrt(2 / (FAN_IN + FAN_OUT)), kurtosis=KURTOSIS_UNIFORM)


def test_xavier_normal():
    w = init.xavier_normal_(weight(), gain=2.0, generator=np.random.default_rng(3))
    std = 2.0 * math.sqrt(2 / (FAN_IN + FAN_OUT))
    assert_mean(w.data, 0.0, std)
    assert_std(w.data, std, kurtosis=KURTOSIS_NORMAL)


@pytest.mark.parametrize(("mode", "fan"), [("fan_in", FAN_IN), ("fan_out", FAN_OUT)])
@pytest.mark.parametrize(("nonlinearity", "a", "gain"), [
    ("relu", 0.0, math.sqrt(2)),
    ("leaky_relu", 0.0, math.sqrt(2)),
    ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3)),
    ("tanh", 0.0, 5 / 3),
])
def test_kaiming_uniform_and_normal(mode, fan, nonlinearity, a, gain):
    std = gain / math.sqrt(fan)
    w = init.kaiming_uniform_(weight(), a=a, mode=mode, nonlinearity=nonlinearity,
                              generator=np.random.default_rng(4))
    bound = math.sqrt(3) * std
    assert np.abs(w.data).max() <= bound * ROUNDING
    assert np.abs(w.data).max() > 0.99 * bound
    assert_std(w.data, std, kurtosis=KURTOSIS_UNIFORM)
    w = init.kaiming_normal_(weight(), a=a, mode=mode, nonlinearity=nonlinearity,
                             generator=np.random.default_rng(5))
    assert_std(w.data, std, kurtosis=KURTOSIS_NORMAL)
    assert_mean(w.data, 0.0, std)


def test_kaiming_defaults_match_torch_formula():
    # Default: a=0, mode='fan_in', nonlinearity='leaky_relu' -> gain sqrt(2), std sqrt(2/fan_in)
    w = init.kaiming_normal_(weight(), generator=np.random.default_rng(6))
    t = torch.nn.init.kaiming_normal_(torch.empty(FAN_OUT, FAN_IN),
                                      generator=torch.Generator().manual_seed(0))
    assert_std(w.data, math.sqrt(2 / FAN_IN), kurtosis=KURTOSIS_NORMAL)
    assert_same_std(w.data, t.numpy(), kurtosis=KURTOSIS_NORMAL)


def test_fans_of_a_convolution_weight():
    w = weight((16, 8, 3, 3))
    init.kaiming_uniform_(w, mode="fan_in", nonlinearity="relu")
    assert np.abs(w.data).max() <= math.sqrt(2) * math.sqrt(3 / (8 * 9)) * ROUNDING
    init.xavier_uniform_(w)
    assert np.abs(w.data).max() <= math.sqrt(6 / (8 * 9 + 16 * 9)) * ROUNDING
    assert init._calculate_fan_in_and_fan_out(w) == (72, 144)


def test_fan_needs_two_dimensions_and_mode_is_checked():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.xavier_uniform_(weight((5,)))
    with pytest.raises(ValueError, match="fan_in"):
        init.kaiming_uniform_(weight((3, 3)), mode="fan_avg")


LINEAR_LIKE = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
               "conv_transpose3d", "sigmoid"]


@pytest.mark.parametrize(("nonlinearity", "param"), [
    *[(name, None) for name in LINEAR_LIKE],
    ("tanh", None), ("relu", None), ("selu", None),
    ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 0), ("leaky_relu", 1),
    ("leaky_relu", math.sqrt(5)),
])
def test_calculate_gain_equals_torch(nonlinearity, param):
    # Regression: the conv_transpose* names used to raise ValueError.
    ours = init.calculate_gain(nonlinearity, param)
    # the same formulas of correctly rounded operations (/, sqrt) as torch's: equal exactly
    assert ours == torch.nn.init.calculate_gain(nonlinearity, param)


def test_calculate_gain_rejects_unknown_names_and_bad_slopes():
    with pytest.raises(ValueError, match="softplus"):
        init.calculate_gain("softplus")
    with pytest.raises(ValueError, match="negative_slope"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match="negative_slope"):
        init.calculate_gain("leaky_relu", "0.1")


def test_generator_and_manual_seed_make_init_reproducible():
    a = init.normal_(weight((4, 4)), generator=np.random.default_rng(7))
    b = init.normal_(weight((4, 4)), generator=np.random.default_rng(7))
    np.testing.assert_array_equal(a.data, b.data)
    nl.manual_seed(11)
    c = init.xavier_uniform_(weight((4, 4)))
    nl.manual_seed(11)
    d = init.xavier_uniform_(weight((4, 4)))
    np.testing.assert_array_equal(c.data, d.data)
    state = np.random.get_state()[1].copy()
    init.kaiming_normal_(weight((4, 4)))
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # global RNG untouched


def test_float64_tensor_keeps_its_dtype():
    w = init.kaiming_uniform_(weight((3, 5), dtype=np.float64))
    assert w.dtype == np.float64 and np.isfinite(w.data).all()


def test_unsuffixed_names_resolve():
    assert init.normal is init.normal_
    assert init.zeros is init.zeros_
