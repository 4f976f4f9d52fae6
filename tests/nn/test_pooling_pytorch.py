"""Pooling, unpooling and resizing layers against torch.nn: constructor arguments, outputs,
indices, gradients, repr, argument errors (the ops' own rows are in tests/ops/_cases_pooling.py).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _tolerance import assert_normwise_close

import neuralab as nl
import neuralab.nn.functional as F
from neuralab.nn import pooling as P


def distinct(*shape: int, seed: int = 0) -> np.ndarray:
    """Values at least 0.5 apart (no ties in a maximum)."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    return (rng.permutation(size) * 0.5 + rng.uniform(0, 0.1, size)).reshape(shape)


def run_both(ours, theirs, x: np.ndarray, *extra_nl, extra_torch=()):
    """Outputs (a tuple's first element) and input gradients of both layers on x."""
    a = nl.Tensor(x.copy(), requires_grad=True)
    b = torch.tensor(x.copy(), requires_grad=True)
    y, yt = ours(a, *extra_nl), theirs(b, *extra_torch)
    first, first_t = (y[0], yt[0]) if isinstance(yt, tuple) else (y, yt)
    g = np.random.default_rng(1).standard_normal(tuple(first_t.shape))
    first.backward(g)
    first_t.backward(torch.from_numpy(g))
    return y, yt, a.grad.numpy(), b.grad.numpy()


MAX_POOLS = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 0), dilation=(2, 1)),
    dict(kernel_size=3, stride=1, dilation=2, ceil_mode=True, return_indices=True),
    dict(kernel_size=2, return_indices=True, ceil_mode=True),
]


@pytest.mark.parametrize("kwargs", MAX_POOLS, ids=str)
@pytest.mark.parametrize("channels_last", [False, True])
def test_max_pool2d_matches_torch(kwargs, channels_last):
    x = distinct(2, 3, 9, 7)
    if channels_last:
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    y, yt, grad, grad_t = run_both(P.MaxPool2d(**kwargs), torch.nn.MaxPool2d(**kwargs), x)
    if kwargs.get("return_indices"):
        (y, i), (yt, it) = y, yt
        assert i.dtype == nl.int64 and np.array_equal(i.numpy(), it.numpy())
    assert np.array_equal(y.detach().numpy(), yt.detach().numpy())
    # overlapping windows add their shares in another order: at most k·k terms per element
    assert_normwise_close(grad, grad_t, terms=9)


def test_max_pool2d_unbatched_with_indices():
    x = distinct(3, 6, 5)
    y, i = F.max_pool2d(nl.tensor(x), 2, return_indices=True, ceil_mode=True)
    yt, it = torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True,
                                            ceil_mode=True)
    assert np.array_equal(y.numpy(), yt.numpy()) and np.array_equal(i.numpy(), it.numpy())


AVG_POOLS = [
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=(2, 3), stride=1, padding=(1, 1), divisor_override=5),
    dict(kernel_size=2, ceil_mode=True, divisor_override=3, count_include_pad=False),
]


@pytest.mark.parametrize("kwargs", AVG_POOLS, ids=str)
def test_avg_pool2d_matches_torch(kwargs):
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 7))
    y, yt, grad, grad_t = run_both(P.AvgPool2d(**kwargs), torch.nn.AvgPool2d(**kwargs), x)
    terms = 9  # the longest window
    assert_normwise_close(y.detach().numpy(), yt.detach().numpy(), terms=terms)
    assert_normwise_close(grad, grad_t, terms=terms)


def test_avg_pool2d_integer_input_truncates_with_a_divisor():
    x = np.arange(2 * 5 * 5).reshape(1, 2, 5, 5) - 20
    ours = F.avg_pool2d(nl.tensor(x), 2, ceil_mode=True, divisor_override=3)
    theirs = torch.nn.functional.avg_pool2d(torch.tensor(x), 2, ceil_mode=True,
                                            divisor_override=3)
    assert ours.dtype == nl.int64 and np.array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("kernel, stride, padding", [(2, None, 0), (3, 3, 1), ((2, 3), (2, 3), 0)])
def test_max_unpool2d_inverts_max_pool2d_as_torch(kernel, stride, padding):
    x = distinct(2, 3, 8, 9)
    pooled, where = torch.nn.functional.max_pool2d(torch.tensor(x), kernel, stride, padding,
                                                   return_indices=True)
    ours, theirs = P.MaxUnpool2d(kernel, stride, padding), torch.nn.MaxUnpool2d(kernel, stride,
                                                                               padding)
    size = (8, 9)
    y, yt, grad, grad_t = run_both(ours, theirs, pooled.numpy(), nl.tensor(where.numpy()), size,
                                   extra_torch=(where, size))
    assert y.shape == tuple(yt.shape)
    assert np.array_equal(y.detach().numpy(), yt.detach().numpy())
    assert np.array_equal(grad, grad_t)


def test_max_pool_then_unpool_round_trip_in_neuralab_alone():
    x = nl.tensor(distinct(1, 2, 6, 6))
    pool, unpool = P.MaxPool2d(2, return_indices=True), P.MaxUnpool2d(2)
    y, i = pool(x)
    restored = unpool(y, i)
    kept = restored.numpy() != 0
    assert kept.sum() == y.numel() and np.array_equal(restored.numpy()[kept], np.sort(
        y.numpy().ravel())[np.argsort(np.argsort(restored.numpy()[kept]))])


def test_max_unpool2d_errors_match_torch():
    y = torch.ones(1, 1, 2, 2)
    bad = torch.full((1, 1, 2, 2), 100, dtype=torch.int64)
    with pytest.raises(RuntimeError, match="invalid max index: 100"):
        torch.nn.functional.max_unpool2d(y, bad, 2)
    with pytest.raises(RuntimeError, match="invalid max index: 100"):
        F.max_unpool2d(nl.ones(1, 1, 2, 2), nl.tensor(bad.numpy()), 2)
    with pytest.raises(ValueError, match="output_size"):
        F.max_unpool2d(nl.ones(1, 1, 2, 2), nl.zeros(1, 1, 2, 2, dtype=nl.int64), 2, None, 0,
                       (9, 9))


@pytest.mark.parametrize("output_size", [(3, 4), 1, (None, 2), (9, 5)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adaptive_max_pool2d_matches_torch(output_size, dtype):
    x = distinct(2, 3, 7, 6).astype(dtype)
    kwargs = dict(output_size=output_size, return_indices=True)
    (y, i), (yt, it), grad, grad_t = run_both(P.AdaptiveMaxPool2d(**kwargs),
                                              torch.nn.AdaptiveMaxPool2d(**kwargs), x)
    assert y.dtype == dtype and grad.dtype == dtype
    assert np.array_equal(y.detach().numpy(), yt.detach().numpy())
    assert np.array_equal(i.numpy(), it.numpy())
    assert_normwise_close(grad, grad_t, terms=8)  # windows overlap: at most 8 shares add


def test_adaptive_max_pool2d_refuses_integers_as_torch():
    with pytest.raises(NotImplementedError, match="adaptive_max_pool2d"):
        torch.nn.functional.adaptive_max_pool2d(torch.ones(1, 1, 4, 4, dtype=torch.int64), 2)
    with pytest.raises(NotImplementedError, match="adaptive_max_pool2d"):
        F.adaptive_max_pool2d(nl.ones(1, 1, 4, 4, dtype=nl.int64), 2)


def test_avg_pool2d_zero_divisor_is_refused_as_torch():
    with pytest.raises(RuntimeError, match="divisor must be not zero"):
        torch.nn.functional.avg_pool2d(torch.ones(1, 1, 4, 4), 2, divisor_override=0)
    with pytest.raises(RuntimeError, match="divisor must be not zero"):
        F.avg_pool2d(nl.ones(1, 1, 4, 4), 2, divisor_override=0)


def test_state_dicts_are_empty_like_torch():
    for ours, theirs in [(P.MaxPool2d(2, return_indices=True), torch.nn.MaxPool2d(2)),
                         (P.MaxUnpool2d(2), torch.nn.MaxUnpool2d(2)),
                         (P.AdaptiveMaxPool2d(2), torch.nn.AdaptiveMaxPool2d(2))]:
        assert dict(ours.state_dict()) == {} == dict(theirs.state_dict())
        ours.load_state_dict(theirs.state_dict())


def test_reprs():
    assert repr(P.MaxUnpool2d(2)) == repr(torch.nn.MaxUnpool2d(2))
    assert repr(P.AdaptiveMaxPool2d((2, None))) == repr(torch.nn.AdaptiveMaxPool2d((2, None)))
    for args, kwargs in (((3, 2, 1, 2), dict(ceil_mode=True)), (((2, 3),), {})):
        assert repr(P.MaxPool2d(*args, **kwargs)) == repr(torch.nn.MaxPool2d(*args, **kwargs))
    for args, kwargs in (((3, 2, 1), dict(ceil_mode=True, count_include_pad=False)), ((2,), {})):
        assert repr(P.AvgPool2d(*args, **kwargs)) == repr(torch.nn.AvgPool2d(*args, **kwargs))


UPSAMPLES = [
    dict(scale_factor=2),
    dict(size=(7, 5)),
    dict(scale_factor=(1.5, 0.5), mode="bilinear"),
    dict(size=9, mode="bilinear", align_corners=True),
    dict(scale_factor=2, mode="bilinear", align_corners=False),
    dict(scale_factor=1.3, mode="bilinear", recompute_scale_factor=True),
]


@pytest.mark.parametrize("kwargs", UPSAMPLES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_upsample_matches_torch(kwargs, dtype):
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 4)).astype(dtype)
    ours, theirs = P.Upsample(**kwargs), torch.nn.Upsample(**kwargs)
    assert repr(ours) == repr(theirs)
    y, yt, grad, grad_t = run_both(ours, theirs, x)
    assert y.dtype == dtype and grad.dtype == dtype
    # a value is λ0·a + λ1·b per axis: 4 terms; a gradient element gathers at most
    # ⌈out/in⌉ + 1 outputs per axis
    assert_normwise_close(y.detach().numpy(), yt.detach().numpy(), terms=4)
    assert_normwise_close(grad, grad_t, terms=16)


def test_upsample_attributes_like_torch():
    for kwargs in UPSAMPLES:
        ours, theirs = P.Upsample(**kwargs), torch.nn.Upsample(**kwargs)
        for key in ("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor"):
            assert getattr(ours, key) == getattr(theirs, key), key
        assert dict(ours.state_dict()) == {}


def test_interpolate_channels_last_and_bilinear_half_pixel_edges():
    x = np.random.default_rng(2).standard_normal((2, 4, 5, 6)).astype(np.float32)
    x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    ours = F.interpolate(nl.tensor(x), size=(11, 3), mode="bilinear")
    theirs = torch.nn.functional.interpolate(torch.tensor(x), size=(11, 3), mode="bilinear")
    assert_normwise_close(ours.numpy(), theirs.numpy(), terms=4)


@pytest.mark.parametrize("call, error, message", [
    (dict(), ValueError, "either size or scale_factor should be defined"),
    (dict(size=2, scale_factor=2), ValueError, "only one of size or scale_factor"),
    (dict(scale_factor=2, align_corners=True), ValueError, "align_corners option can only"),
    (dict(size=(2, 2, 2)), ValueError, "same number of spatial dimensions"),
    (dict(size=2, mode="bilinear", unbatched=True), NotImplementedError,
     "Got 3D input, but bilinear mode needs 4D input"),
])
def test_interpolate_errors_match_torch(call, error, message):
    call = dict(call)
    x = np.ones((1, 1, 4, 4))
    if call.pop("unbatched", False):
        x = x[0]
    with pytest.raises(error, match=message):
        torch.nn.functional.interpolate(torch.tensor(x), **call)
    with pytest.raises(error, match=message):
        F.interpolate(nl.tensor(x), **call)
