"""Conv1d, Conv2d (groups, depthwise, padding modes) and ConvTranspose2d against torch: state
dicts both ways, outputs, gradients, init, reprs and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neuralab as nl
from neuralab.nn import functional as F
from neuralab.nn.conv import Conv1d, Conv2d, ConvTranspose2d, Fold, Unfold

TORCH = {Conv1d: torch.nn.Conv1d, Conv2d: torch.nn.Conv2d,
         ConvTranspose2d: torch.nn.ConvTranspose2d}

LAYERS = [
    (Conv2d, dict(in_channels=4, out_channels=6, kernel_size=3, padding=1, groups=2), (2, 4, 7, 6)),
    (Conv2d, dict(in_channels=6, out_channels=6, kernel_size=3, stride=2, groups=6), (2, 6, 9, 8)),
    (Conv2d, dict(in_channels=3, out_channels=6, kernel_size=(3, 2), groups=3, dilation=(1, 2),
                  padding="same", padding_mode="reflect"), (2, 3, 6, 7)),
    (Conv2d, dict(in_channels=16, out_channels=16, kernel_size=3, padding=1, groups=16,
                  padding_mode="replicate", bias=False), (2, 16, 5, 5)),
    (Conv2d, dict(in_channels=9, out_channels=4, kernel_size=3, padding=(2, 1),
                  padding_mode="circular"), (2, 9, 5, 6)),
    (Conv1d, dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1, groups=2),
     (2, 4, 11)),
    (Conv1d, dict(in_channels=3, out_channels=3, kernel_size=5, padding="same", groups=3,
                  padding_mode="circular"), (2, 3, 8)),
    (Conv1d, dict(in_channels=3, out_channels=5, kernel_size=3, dilation=2, padding="valid"),
     (2, 3, 9)),
    (ConvTranspose2d, dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1,
                           output_padding=1, groups=2), (2, 4, 5, 4)),
    (ConvTranspose2d, dict(in_channels=3, out_channels=2, kernel_size=(2, 3), stride=(1, 2),
                           dilation=(2, 1), bias=False), (2, 3, 4, 4)),
    (ConvTranspose2d, dict(in_channels=8, out_channels=8, kernel_size=4, stride=2, padding=1,
                           groups=8), (2, 8, 3, 3)),
]


def _ids(layer):
    return f"{layer[0].__name__}-{'-'.join(f'{k}={v}' for k, v in layer[1].items())}"


def _pair_of_layers(cls, kwargs):
    ours = cls(**kwargs, dtype=nl.float64)
    theirs = TORCH[cls](**kwargs, dtype=torch.float64)
    return ours, theirs


@pytest.mark.parametrize("layer", LAYERS, ids=_ids)
@pytest.mark.parametrize("direction", ["torch_to_ours", "ours_to_torch"])
def test_outputs_and_gradients_match_torch(layer, direction):
    cls, kwargs, shape = layer
    ours, theirs = _pair_of_layers(cls, kwargs)
    if direction == "torch_to_ours":
        ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    else:
        theirs.load_state_dict({k: torch.tensor(v.detach().numpy())
                                for k, v in ours.state_dict().items()})
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    xn, xt = nl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yn, yt = ours(xn), theirs(xt)
    assert tuple(yn.shape) == tuple(yt.shape)
    g = rng.standard_normal(tuple(yt.shape))
    yn.backward(nl.tensor(g))
    yt.backward(torch.tensor(g))
    # float64; every element sums at most a few hundred products of O(1) terms
    tol = dict(rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(yn.detach().numpy(), yt.detach().numpy(), **tol)
    np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy(), **tol)
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(getattr(ours, name).grad.numpy(), p.grad.numpy(), **tol)


@pytest.mark.parametrize("layer", LAYERS, ids=_ids)
def test_repr_and_parameter_shapes_match_torch(layer):
    cls, kwargs, _ = layer
    ours, theirs = _pair_of_layers(cls, kwargs)
    assert repr(ours) == repr(theirs)
    for name, p in theirs.named_parameters():
        assert getattr(ours, name).shape == tuple(p.shape)


@pytest.mark.parametrize("cls", [Conv2d, ConvTranspose2d, Conv1d])
def test_init_bounds_follow_fan_in(cls):
    # torch: W, b ~ U(±1/√fan_in), fan_in = weight.shape[1]·Πk (weight (in, out/g, k) when
    # transposed); checked on the extremes of many draws
    layer = cls(8, 12, 3, groups=4)
    fan_in = layer.weight.shape[1] * int(np.prod(layer.kernel_size))
    bound = 1 / np.sqrt(fan_in)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert np.abs(b).max() <= bound


def test_conv_transpose2d_output_size_matches_torch():
    ours, theirs = _pair_of_layers(ConvTranspose2d, dict(in_channels=2, out_channels=3,
                                                         kernel_size=3, stride=3, padding=1))
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((1, 2, 4, 4))
    for size in ([10, 10], [11, 12], (1, 3, 12, 11)):
        yn = ours(nl.tensor(x), output_size=size)
        yt = theirs(torch.tensor(x), output_size=size)
        assert tuple(yn.shape) == tuple(yt.shape)
        np.testing.assert_allclose(yn.detach().numpy(), yt.detach().numpy(), rtol=1e-12,
                                   atol=1e-12)
    with pytest.raises(ValueError):
        theirs(torch.tensor(x), output_size=[13, 10])
    with pytest.raises(ValueError, match="valid sizes range from 10 to 12"):
        ours(nl.tensor(x), output_size=[13, 10])


@pytest.mark.parametrize(("make", "message"), [
    (lambda m: m.Conv2d(4, 6, 3, groups=3), "in_channels must be divisible by groups"),
    (lambda m: m.Conv2d(4, 6, 3, groups=4), "out_channels must be divisible by groups"),
    (lambda m: m.Conv2d(4, 6, 3, groups=0), "groups must be a positive integer"),
    (lambda m: m.Conv2d(4, 6, 3, padding_mode="mirror"), "padding_mode must be one of"),
    (lambda m: m.Conv1d(4, 6, 3, padding="same", stride=2),
     "padding='same' is not supported for strided convolutions"),
    (lambda m: m.ConvTranspose2d(4, 6, 3, padding_mode="reflect"),
     'Only "zeros" padding mode is supported for ConvTranspose2d'),
])
def test_constructor_errors_match_torch(make, message):
    from neuralab.nn import conv

    with pytest.raises(ValueError, match=message):
        make(torch.nn)
    with pytest.raises(ValueError, match=message):
        make(conv)


@pytest.mark.parametrize(("ours", "theirs"), [
    (lambda: F.conv2d(nl.zeros(1, 4, 5, 5), nl.zeros(6, 3, 3, 3), groups=2),
     lambda: torch.nn.functional.conv2d(torch.zeros(1, 4, 5, 5), torch.zeros(6, 3, 3, 3),
                                        groups=2)),
    (lambda: F.conv2d(nl.zeros(1, 4, 5, 5), nl.zeros(5, 2, 3, 3), groups=2),
     lambda: torch.nn.functional.conv2d(torch.zeros(1, 4, 5, 5), torch.zeros(5, 2, 3, 3),
                                        groups=2)),
    (lambda: F.conv1d(nl.zeros(1, 4, 2), nl.zeros(2, 4, 3)),
     lambda: torch.nn.functional.conv1d(torch.zeros(1, 4, 2), torch.zeros(2, 4, 3))),
    (lambda: F.conv_transpose2d(nl.zeros(1, 4, 5, 5), nl.zeros(3, 2, 3, 3)),
     lambda: torch.nn.functional.conv_transpose2d(torch.zeros(1, 4, 5, 5),
                                                  torch.zeros(3, 2, 3, 3))),
    (lambda: F.conv_transpose2d(nl.zeros(1, 4, 5, 5), nl.zeros(4, 2, 3, 3), stride=2,
                                output_padding=2),
     lambda: torch.nn.functional.conv_transpose2d(torch.zeros(1, 4, 5, 5),
                                                  torch.zeros(4, 2, 3, 3), stride=2,
                                                  output_padding=2)),
])
def test_functional_errors_are_runtime_errors_as_in_torch(ours, theirs):
    with pytest.raises(RuntimeError):
        theirs()
    with pytest.raises(RuntimeError):
        ours()


def test_unbatched_functional_inputs_match_torch():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((4, 7)), rng.standard_normal((6, 2, 3))
    np.testing.assert_allclose(
        F.conv1d(nl.tensor(x), nl.tensor(w), groups=2).numpy(),
        torch.nn.functional.conv1d(torch.tensor(x), torch.tensor(w), groups=2).numpy(),
        rtol=1e-12, atol=1e-12)
    x, w = rng.standard_normal((4, 3, 3)), rng.standard_normal((4, 2, 2, 2))
    np.testing.assert_allclose(
        F.conv_transpose2d(nl.tensor(x), nl.tensor(w), stride=2).numpy(),
        torch.nn.functional.conv_transpose2d(torch.tensor(x), torch.tensor(w), stride=2).numpy(),
        rtol=1e-12, atol=1e-12)


def test_float32_layers_stay_float32():
    layer = ConvTranspose2d(2, 3, 3, groups=1)
    y = layer(nl.zeros(1, 2, 4, 4))
    assert y.dtype == nl.float32
    assert Conv2d(4, 4, 3, groups=4)(nl.zeros(1, 4, 4, 4)).dtype == nl.float32


@pytest.mark.parametrize(("ours", "theirs", "shape"), [
    (Unfold((2, 3), dilation=2, padding=1, stride=(1, 2)),
     torch.nn.Unfold((2, 3), dilation=2, padding=1, stride=(1, 2)), (2, 3, 6, 7)),
    (Unfold(3), torch.nn.Unfold(3), (3, 5, 5)),
    (Fold((4, 5), 2, stride=(2, 1)), torch.nn.Fold((4, 5), 2, stride=(2, 1)), (2, 8, 8)),
    (Fold(4, (2, 3), padding=1), torch.nn.Fold(4, (2, 3), padding=1), (12, 20)),
])
def test_fold_and_unfold_layers_match_torch(ours, theirs, shape):
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(3).standard_normal(shape)
    xn, xt = nl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yn, yt = ours(xn), theirs(xt)
    g = np.random.default_rng(4).standard_normal(tuple(yt.shape))
    yn.backward(nl.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(yn.detach().numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("ours", "theirs"), [
    (lambda: F.fold(nl.zeros(1, 5, 4), (3, 3), 2),
     lambda: torch.nn.functional.fold(torch.zeros(1, 5, 4), (3, 3), 2)),
    (lambda: F.fold(nl.zeros(1, 8, 5), (3, 3), 2),
     lambda: torch.nn.functional.fold(torch.zeros(1, 8, 5), (3, 3), 2)),
    (lambda: F.fold(nl.zeros(1, 1, 4, 4), (3, 3), 2),
     lambda: torch.nn.functional.fold(torch.zeros(1, 1, 4, 4), (3, 3), 2)),
    (lambda: F.unfold(nl.zeros(1, 1, 2, 2), 3),
     lambda: torch.nn.functional.unfold(torch.zeros(1, 1, 2, 2), 3)),
])
def test_fold_and_unfold_errors_are_runtime_errors_as_in_torch(ours, theirs):
    with pytest.raises(RuntimeError):
        theirs()
    with pytest.raises(RuntimeError):
        ours()


def test_fold_of_unfold_counts_each_pixel_once_per_block():
    # fold(unfold(x)) = x · (number of blocks covering each pixel), as torch documents
    x = nl.ones(1, 2, 5, 5)
    counts = F.fold(F.unfold(x, 3), 5, 3).numpy()
    expected = torch.nn.functional.fold(torch.nn.functional.unfold(torch.ones(1, 2, 5, 5), 3),
                                        5, 3).numpy()
    np.testing.assert_array_equal(counts, expected)
