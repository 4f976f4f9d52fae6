"""conv2d, max/avg/adaptive pooling and batch_norm against PyTorch: values and gradients.

Every test runs serially and on the ops' threaded path (the ``execution`` fixture).
A sweep over strides, paddings, dilations, kernel shapes, odd sizes, batch 1, both im2col paths
(few and many channels) and input memory layouts (NCHW, channels-last, non-contiguous), in
float64 and float32, each with a random read-only upstream gradient.

Tolerances come from each op's terms (``_tolerance``, ``_scales``): every value and gradient
element is compared within SAFETY · terms · eps · scale, where ``scale`` is the sum of the
magnitudes of the terms that element is computed from (a per-op ``Scale`` function) and
``terms`` the longest reduction. An elementwise bound by |result| alone would not do:
batch_norm's input gradient cancels terms far larger than itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _scales import Scale, batch_norm_scale, multilinear, routing, torch_run
from _tolerance import assert_close, eps, pairwise_terms

import neuralab as nl
import neuralab.nn.functional as F

pytestmark = [pytest.mark.filterwarnings("error"),  # torch's note on its own 'same' padding:
              pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")]


@pytest.fixture(autouse=True, params=["serial", "threaded"])
def execution(request: pytest.FixtureRequest) -> None:
    """Run every test twice: as the ops run on small inputs (one chunk, in the calling thread)
    and on their threaded path (``force_parallel``: many chunks shared by two threads)."""
    if request.param == "threaded":
        request.getfixturevalue("force_parallel")


DTYPES = {"float64": np.float64, "float32": np.float32}

def conv_terms(x_shape: tuple, w_shape: tuple, y_shape: tuple) -> int:
    """Longest reduction of conv2d: an output sums C_in·kh·kw products and the bias; an input
    gradient at most C_out·kh·kw; a weight or bias gradient N·H_out·W_out."""
    n, c_in, kh, kw = x_shape[0], *w_shape[1:]
    return max(c_in * kh * kw + 1, w_shape[0] * kh * kw, n * y_shape[-2] * y_shape[-1])


def conv_scale(torch_fn: Callable[..., torch.Tensor], x_shape: tuple, w_shape: tuple) -> Scale:
    def scale(arrays: list[np.ndarray], g: np.ndarray, leaves: list[bool]) -> tuple:
        return multilinear(torch_fn, conv_terms(x_shape, w_shape, g.shape))(arrays, g, leaves)
    return scale


def channels_last(x: np.ndarray) -> np.ndarray:
    """The same NCHW values stored NHWC in memory (as our conv outputs are)."""
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


def compare(nl_fn: Callable[..., nl.Tensor], torch_fn: Callable[..., torch.Tensor],
            arrays: list[np.ndarray], dtype_name: str, scale: Scale, seed: int = 0,
            layout: Callable[[np.ndarray], np.ndarray] | None = None) -> nl.Tensor:
    """Check the value and every input gradient against torch, each element within
    SAFETY · terms · eps · scale from ``scale`` (both results carry rounding errors of that
    size), with a read-only upstream gradient that must come back unchanged."""
    dtype = DTYPES[dtype_name]
    arrays = [np.asarray(a, dtype=dtype) for a in arrays]
    ours = [nl.Tensor(layout(a) if layout and a.ndim == 4 else a.copy(), requires_grad=True)
            for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, expected = nl_fn(*ours), torch_fn(*theirs)
    assert y.shape == tuple(expected.shape) and y.dtype == dtype
    g = np.random.default_rng(seed).standard_normal(y.shape).astype(dtype)
    value_scale, grad_scales, terms = scale([a.astype(np.float64) for a in arrays], g,
                                            [True] * len(arrays))
    assert_close(y.data, expected.detach().numpy(), scale=value_scale, terms=terms,
                 err_msg="value")
    g.flags.writeable = False
    before = g.copy()
    y.backward(g)
    expected.backward(torch.from_numpy(before.copy()))
    np.testing.assert_array_equal(g, before)
    for i, (a, b, grad_scale) in enumerate(zip(ours, theirs, grad_scales, strict=True)):
        assert a.grad is not None and a.grad.shape == a.shape and a.grad.dtype == dtype
        assert_close(a.grad, b.grad.numpy(), scale=grad_scale, terms=terms,
                     err_msg=f"gradient of input {i}")
    return y


# ---------------------------------------------------------------------------------- conv2d
CONV = [
    # (input shape, weight shape, stride, padding, dilation, bias)
    ((2, 3, 9, 8), (4, 3, 3, 3), 1, 0, 1, True),
    ((1, 3, 7, 7), (5, 3, 3, 3), 1, 0, 1, True),  # batch 1
    ((2, 2, 11, 9), (3, 2, 3, 3), 2, 1, 1, True),  # stride 2, padding 1, odd sizes
    ((2, 3, 10, 9), (2, 3, 3, 3), 1, 2, 2, False),  # dilation 2, no bias
    ((2, 3, 9, 10), (4, 3, 3, 2), (2, 1), (1, 0), (1, 2), True),  # everything rectangular
    ((3, 10, 6, 7), (6, 10, 3, 3), 1, 1, 1, True),  # many channels: strided-copy im2col
    ((2, 12, 9, 8), (5, 12, 3, 3), (2, 3), (0, 2), (2, 1), True),
    ((2, 9, 5, 6), (4, 9, 1, 1), 1, 0, 1, True),  # 1×1 kernel
    ((2, 9, 5, 6), (4, 9, 1, 1), 2, 1, 1, True),
    ((2, 2, 5, 4), (3, 2, 5, 4), 1, 0, 1, True),  # kernel = whole image: 1×1 output
    ((2, 1, 8, 8), (3, 1, 5, 5), 3, 2, 1, True),  # one input channel, stride 3
    ((1, 4, 7, 9), (3, 4, 3, 3), 1, "same", 2, True),  # 'same' with dilation
    ((1, 4, 7, 9), (3, 4, 4, 2), 1, "same", 1, True),  # 'same', odd total padding
    ((2, 4, 7, 9), (3, 4, 3, 3), 1, "valid", 1, False),
]


@pytest.mark.parametrize("dtype_name", DTYPES)
@pytest.mark.parametrize("config", CONV, ids=lambda c: f"{c[0]}-{c[1]}-s{c[2]}-p{c[3]}-d{c[4]}")
def test_conv2d_matches_torch(config: tuple, dtype_name: str) -> None:
    x_shape, w_shape, stride, padding, dilation, bias = config
    rng = np.random.default_rng(len(str(config)))
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape)]
    if bias:
        arrays.append(rng.standard_normal(w_shape[0]))
    theirs = lambda *a: TF.conv2d(*a[:2], a[2] if bias else None, stride, padding, dilation)  # noqa: E731
    compare(lambda *a: F.conv2d(*a[:2], a[2] if bias else None, stride, padding, dilation),
            theirs, arrays, dtype_name, conv_scale(theirs, x_shape, w_shape))


@pytest.mark.parametrize("layout", ["channels_last", "non_contiguous"])
@pytest.mark.parametrize("channels", [3, 16])
def test_conv2d_any_input_layout(layout: str, channels: int) -> None:
    rng = np.random.default_rng(channels)
    x, w, b = rng.standard_normal((2, channels, 8, 7)), rng.standard_normal((5, channels, 3, 3)), \
        rng.standard_normal(5)
    make = channels_last if layout == "channels_last" else (
        lambda a: np.repeat(a, 2, axis=3)[..., ::2])  # a strided view with the same values
    theirs = lambda *a: TF.conv2d(*a, padding=1)  # noqa: E731
    compare(lambda *a: F.conv2d(*a, stride=1, padding=1), theirs, [x, w, b], "float64",
            conv_scale(theirs, x.shape, w.shape), layout=make)


def test_conv2d_output_is_channels_last_and_feeds_the_next_layer() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 10, 10))
    w1, w2 = rng.standard_normal((8, 3, 3, 3)), rng.standard_normal((4, 8, 3, 3))

    def ours(x, w1, w2):
        h = F.max_pool2d(nl.relu(F.conv2d(x, w1)), 2)
        assert h.data.numpy().transpose(0, 2, 3, 1).flags.c_contiguous  # NHWC memory, NCHW shape
        return F.conv2d(h, w2, padding=1)

    def theirs(x, w1, w2):
        return TF.conv2d(TF.max_pool2d(torch.relu(TF.conv2d(x, w1)), 2), w2, padding=1)

    def chain_scale(arrays: list[np.ndarray], g: np.ndarray, leaves: list[bool]) -> tuple:
        """The chain on |x|, |w1|, |w2| through the real ReLU mask and max-pool routing."""
        x, w1, w2 = (torch.from_numpy(a) for a in arrays)
        h = TF.conv2d(x, w1)
        _, where = TF.max_pool2d(torch.relu(h), 2, return_indices=True)

        def absolute(x, w1, w2):
            h_abs = TF.conv2d(x, w1) * (h > 0)
            pooled = h_abs.flatten(2).gather(2, where.flatten(2)).view_as(where)
            return TF.conv2d(pooled, w2, padding=1)

        value, grads = torch_run(absolute, arrays, g, absolute=True)
        # a chain: the fan-ins add up (3·9 + 8·9), and weight gradients sum over N·H·W = 200
        return value, grads, 3 * 9 + 8 * 9 + 2 * 10 * 10

    compare(ours, theirs, [x, w1, w2], "float32", chain_scale)


def test_conv2d_gradient_only_for_inputs_that_need_it() -> None:
    rng = np.random.default_rng(1)
    x = nl.Tensor(rng.standard_normal((2, 3, 6, 6)))  # no grad: the first layer of a network
    w = nl.Tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    b = nl.Tensor(rng.standard_normal(4))  # frozen bias
    F.conv2d(x, w, b).sum().backward()
    tw = torch.tensor(w.detach().numpy(), requires_grad=True)
    TF.conv2d(torch.tensor(x.numpy()), tw, torch.tensor(b.numpy())).sum().backward()
    assert x.grad is None and b.grad is None
    # Σ over N·H_out·W_out = 32 positions of x's patches: the same sums of |x|
    _, (w_scale,) = torch_run(lambda w: TF.conv2d(torch.from_numpy(np.abs(x.numpy())), w),
                              [w.detach().numpy()], np.ones((2, 4, 4, 4)), absolute=True)
    assert_close(w.grad, tw.grad.numpy(), scale=w_scale, terms=2 * 4 * 4)


@pytest.mark.parametrize("dtype_name", DTYPES)
def test_unbatched_3d_inputs_match_torch(dtype_name: str) -> None:
    """A (C, H, W) input is one image, as in PyTorch: the result has no batch dim either."""
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((3, 7, 6)), rng.standard_normal((4, 3, 3, 3)), \
        rng.standard_normal(4)
    theirs = lambda *a: TF.conv2d(*a, padding=1)  # noqa: E731
    y = compare(lambda *a: F.conv2d(*a, padding=1), theirs, [x, w, b], dtype_name,
                conv_scale(theirs, (1, *x.shape), w.shape))
    assert y.shape == (4, 7, 6)
    distinct_x = rng.permutation(3 * 7 * 6).reshape(3, 7, 6) * 0.01  # no ties
    theirs = lambda x: TF.max_pool2d(x, 3, 2, 1)  # noqa: E731
    compare(lambda x: F.max_pool2d(x, 3, 2, 1), theirs, [distinct_x], dtype_name,
            routing(theirs, 9))
    theirs = lambda x: TF.avg_pool2d(x, 2)  # noqa: E731
    compare(lambda x: F.avg_pool2d(x, 2), theirs, [x], dtype_name, multilinear(theirs, 4 + 1))
    theirs = lambda x: TF.adaptive_avg_pool2d(x, (2, 3))  # noqa: E731
    compare(lambda x: F.adaptive_avg_pool2d(x, (2, 3)), theirs, [x], dtype_name,
            multilinear(theirs, 7 * 6 + 1))


@pytest.mark.parametrize(("call", "message"), [
    (lambda: F.conv2d(np.ones((3, 8)), np.ones((4, 3, 3, 3))),
     r"conv2d: expected a 3-D \(C, H, W\) or 4-D \(N, C, H, W\) input, got shape \(3, 8\)"),
    (lambda: F.conv2d(np.ones((2, 3, 8, 8)), np.ones((4, 3, 3))), r"conv2d: expected a 4-D weight"),
    (lambda: F.conv2d(np.ones((2, 3, 8, 8)), np.ones((4, 2, 3, 3))),
     r"conv2d: input of shape \(2, 3, 8, 8\) has 3 channels but the weight of shape "
     r"\(4, 2, 3, 3\) expects 2"),
    (lambda: F.conv2d(np.ones((1, 1, 2, 5)), np.ones((1, 1, 3, 3))),
     r"conv2d: input of shape \(1, 1, 2, 5\) \(padded size 2×5\) is smaller than the kernel"),
    (lambda: F.conv2d(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), dilation=3),
     r"smaller than the kernel .* \(size 7×7 with dilation \(3, 3\)\)"),
    (lambda: F.conv2d(np.ones((1, 2, 5, 5)), np.ones((3, 2, 3, 3)), np.ones(2)),
     r"conv2d: bias must have shape \(3,\)"),
    (lambda: F.conv2d(np.ones((1, 2, 5, 5)), np.ones((3, 2, 3, 3)), stride=0),
     r"conv2d: stride must be >= 1"),
    (lambda: F.conv2d(np.ones((1, 2, 5, 5)), np.ones((3, 2, 3, 3)), padding=(1, 2, 3)),
     r"conv2d: padding must be an int or a pair of ints"),
    (lambda: F.conv2d(np.ones((1, 2, 5, 5)), np.ones((3, 2, 3, 3)), padding="full"),
     r"conv2d: padding must be an int, a pair, 'valid' or 'same'"),
    (lambda: F.conv2d(np.ones((1, 2, 5, 5)), np.ones((3, 2, 3, 3)), stride=2, padding="same"),
     r"padding='same' is not supported for strided convolutions"),
    (lambda: F.conv2d(np.ones((1, 4, 5, 5)), np.ones((2, 1, 3, 3)), groups=2),
     r"conv2d: input of shape \(1, 4, 5, 5\) has 4 channels but the weight of shape "
     r"\(2, 1, 3, 3\) expects 2 \(groups=2\)"),
])
def test_conv2d_errors_name_the_op_and_the_shapes(call: Callable, message: str) -> None:
    with pytest.raises((ValueError, TypeError, NotImplementedError), match=message):
        call()


# --------------------------------------------------------------------------------- pooling
POOLS = [
    # (input shape, kernel, stride, padding)
    ((2, 3, 8, 8), 2, None, 0),  # the fast path: non-overlapping 2×2
    ((1, 2, 9, 7), 2, None, 0),  # odd sizes: the last row / column is dropped
    ((2, 3, 9, 9), 3, None, 1),  # non-overlapping 3×3 with padding
    ((2, 3, 9, 8), 3, 2, 1),  # overlapping
    ((2, 2, 7, 7), 3, 1, 1),
    ((2, 2, 8, 9), (3, 2), (1, 2), (1, 0)),  # rectangular
    ((2, 2, 9, 9), 2, 3, 0),  # gaps between windows
    ((1, 1, 5, 5), 5, None, 0),  # one window
]


@pytest.mark.parametrize("dtype_name", DTYPES)
@pytest.mark.parametrize("layout", [None, channels_last], ids=["nchw", "nhwc"])
@pytest.mark.parametrize("config", POOLS, ids=lambda c: f"{c[0]}-k{c[1]}-s{c[2]}-p{c[3]}")
def test_max_pool2d_matches_torch(config: tuple, layout: Any, dtype_name: str) -> None:
    shape, kernel, stride, padding = config
    rng = np.random.default_rng(len(str(config)))
    x = rng.permutation(np.prod(shape)).reshape(shape) * 0.01  # distinct values: no ties
    theirs = lambda x: TF.max_pool2d(x, kernel, stride, padding)  # noqa: E731
    compare(lambda x: F.max_pool2d(x, kernel, stride, padding), theirs, [x], dtype_name,
            routing(theirs, int(np.prod(kernel))), layout=layout)


@pytest.mark.parametrize("layout", [None, channels_last], ids=["nchw", "nhwc"])
@pytest.mark.parametrize("config", POOLS, ids=lambda c: f"{c[0]}-k{c[1]}-s{c[2]}-p{c[3]}")
def test_max_pool2d_ties_route_to_the_first_maximum_as_torch(config: tuple, layout: Any) -> None:
    shape, kernel, stride, padding = config
    rng = np.random.default_rng(7)
    # Few distinct values and many zeros (as after ReLU): most windows hold tied maxima.
    x = np.maximum(rng.integers(-2, 3, shape), 0).astype(np.float64)
    theirs = lambda x: TF.max_pool2d(x, kernel, stride, padding)  # noqa: E731
    compare(lambda x: F.max_pool2d(x, kernel, stride, padding), theirs, [x], "float32",
            routing(theirs, int(np.prod(kernel))), layout=layout)


def test_max_pool2d_of_constant_windows() -> None:
    for x in (np.zeros((1, 2, 4, 4)), np.full((1, 2, 4, 4), -3.0)):
        compare(lambda x: F.max_pool2d(x, 2), lambda x: TF.max_pool2d(x, 2), [x], "float64",
                routing(lambda x: TF.max_pool2d(x, 2), 4))


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("dtype_name", DTYPES)
@pytest.mark.parametrize("config", POOLS, ids=lambda c: f"{c[0]}-k{c[1]}-s{c[2]}-p{c[3]}")
def test_avg_pool2d_matches_torch(config: tuple, dtype_name: str,
                                  count_include_pad: bool) -> None:
    shape, kernel, stride, padding = config
    x = np.random.default_rng(len(str(config))).standard_normal(shape)
    def theirs(x):
        return TF.avg_pool2d(x, kernel, stride, padding, count_include_pad=count_include_pad)

    # a window's sum and its division; an input's gradient sums at most kh·kw windows' shares
    compare(lambda x: F.avg_pool2d(x, kernel, stride, padding,
                                   count_include_pad=count_include_pad), theirs,
            [x], dtype_name, multilinear(theirs, int(np.prod(kernel)) + 1),
            layout=channels_last if count_include_pad else None)


@pytest.mark.parametrize("dtype_name", DTYPES)
@pytest.mark.parametrize(("shape", "output_size"), [
    ((2, 3, 8, 8), 1),  # global average pooling
    ((2, 3, 8, 8), (4, 4)),  # exact 2×2 windows
    ((2, 3, 10, 7), (3, 4)),  # uneven, overlapping windows
    ((1, 2, 3, 5), (5, 7)),  # output larger than input
    ((2, 3, 6, 7), (None, 2)),  # None keeps that size
    ((1, 1, 1, 1), 3),
])
def test_adaptive_avg_pool2d_matches_torch(shape: tuple, output_size: Any,
                                           dtype_name: str) -> None:
    x = np.random.default_rng(len(shape)).standard_normal(shape)
    theirs = lambda x: TF.adaptive_avg_pool2d(x, output_size)  # noqa: E731
    # a window is at most the whole image (plus the division)
    compare(lambda x: F.adaptive_avg_pool2d(x, output_size), theirs, [x], dtype_name,
            multilinear(theirs, shape[2] * shape[3] + 1))


@pytest.mark.parametrize(("call", "message"), [
    (lambda: F.max_pool2d(np.ones((8, 8)), 2), r"max_pool2d: expected a 3-D .* or 4-D"),
    (lambda: F.avg_pool2d(np.ones((8, 8)), 2), r"avg_pool2d: expected a 3-D .* or 4-D"),
    (lambda: F.adaptive_avg_pool2d(np.ones((8, 8)), 2),
     r"adaptive_avg_pool2d: expected a 3-D .* or 4-D"),
    (lambda: F.max_pool2d(np.ones((1, 1, 8, 8)), 2, padding=2),
     r"max_pool2d: padding \(2, 2\) must be at most half of kernel_size \(2, 2\)"),
    (lambda: F.max_pool2d(np.ones((1, 1, 2, 8)), 3),
     r"max_pool2d: input of shape \(1, 1, 2, 8\) .* is smaller than kernel_size \(3, 3\)"),
    (lambda: F.avg_pool2d(np.ones((1, 1, 8, 8)), 0), r"avg_pool2d: kernel_size must be >= 1"),
    (lambda: F.adaptive_avg_pool2d(np.ones((1, 1, 8, 8)), 0),
     r"adaptive_avg_pool2d: output_size must be a positive int"),
])
def test_pooling_errors(call: Callable, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        call()


# ------------------------------------------------------------------------------ batch_norm
@pytest.mark.parametrize("dtype_name", DTYPES)
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize(("shape", "layout"), [
    ((8, 3), None), ((4, 3, 5), None), ((2, 3, 4, 5), None), ((1, 3, 2, 2), None),
    ((2, 3, 4, 5), channels_last), ((3, 3, 13, 13), channels_last),  # 169 pixels per row
    ((2, 3, 1, 7), channels_last), ((4, 3, 6, 5), channels_last),
    # Rows regrouped to k < all pixels of an image (k·C near 1024 values):
    ((3, 64, 5, 7), channels_last),    # 16 channels a pixel fit 1024: k = 7 of 35 pixels
    ((2, 3, 1, 347), channels_last),   # 347 is prime and 347·3 > 1024: k = 1
    ((2, 3, 20, 35), channels_last),   # 700 pixels: k = 175
    ((5, 300, 2, 3), channels_last),   # 300 channels: k = 3 of 6
], ids=["nc", "ncl", "nchw", "batch1", "nhwc", "nhwc-169", "nhwc-prime", "nhwc-30",
        "nhwc-k7", "nhwc-k1", "nhwc-k175", "nhwc-c300"])
def test_batch_norm_matches_torch_and_updates_running_stats(shape: tuple, layout: Any,
                                                            training: bool, affine: bool,
                                                            dtype_name: str) -> None:
    dtype = DTYPES[dtype_name]
    channels = shape[1]
    rng = np.random.default_rng(len(shape))
    x = rng.standard_normal(shape) * 3 + 1
    mean = rng.standard_normal(channels).astype(dtype)
    var = rng.uniform(0.5, 2, channels).astype(dtype)
    ours_stats, torch_stats = (mean.copy(), var.copy()), (torch.tensor(mean), torch.tensor(var))
    arrays = ([x, rng.standard_normal(channels), rng.standard_normal(channels)] if affine
              else [x])
    out = compare(
        lambda x, *wb: F.batch_norm(x, *ours_stats, *wb, training=training, momentum=0.3),
        lambda x, *wb: TF.batch_norm(x, *torch_stats, *wb, training=training, momentum=0.3),
        arrays, dtype_name, batch_norm_scale(mean.astype(np.float64), var.astype(np.float64),
                                             training), layout=layout)
    if layout is channels_last:  # the output keeps the input's memory layout
        assert out.data.numpy().transpose(0, 2, 3, 1).flags.c_contiguous
    # updated in place (training only): (1 − momentum)·old + momentum·(a reduction over the
    # m values of a channel: the mean of x, the unbiased variance of x)
    x_rounded = np.abs(x.astype(dtype).astype(np.float64))
    axes = (0, *range(2, x.ndim))
    m = x.size // channels
    mean_scale = 0.7 * np.abs(mean) + 0.3 * x_rounded.mean(axis=axes)
    var_scale = 0.7 * var + 0.3 * m / (m - 1) * (
        (x_rounded + x_rounded.mean(axis=axes, keepdims=True)) ** 2).mean(axis=axes)
    for ours, theirs, stat_scale in zip(ours_stats, torch_stats, (mean_scale, var_scale)):
        assert_close(ours, theirs.numpy(), scale=stat_scale, terms=m)
    assert training or np.array_equal(ours_stats[0], mean)


def test_batch_norm_statistics_are_accurate_in_float32() -> None:
    """Mean 1000, spread 1, 200,000 values per channel in float32: the one-pass, chunked
    statistics must match float64 ones (a naive Σx² − mμ² would lose every digit)."""
    rng = np.random.default_rng(0)
    x = (1000 + rng.standard_normal((200, 2, 40, 25))).astype(np.float32)
    running_mean, running_var = np.zeros(2, np.float32), np.ones(2, np.float32)
    y = F.batch_norm(channels_last(x), running_mean, running_var, training=True, momentum=1.0)
    x64 = x.astype(np.float64)
    m = x.size // 2
    mean, var = x64.mean(axis=(0, 2, 3)), x64.var(axis=(0, 2, 3), ddof=1)
    # Within a summation's rounding relative to the result itself (a var of 1, not the Σx² of
    # 10⁶ a value that the naive formula cancels: it would be off by ~10⁶·eps·log m ≫ 1).
    assert_close(running_mean, mean, scale=mean, terms=pairwise_terms(m))
    assert_close(running_var, var, scale=var, terms=pairwise_terms(m))
    # Each output x·(1/σ) − μ/σ cancels two terms of ~1000/σ: its error is relative to those.
    big_x = ((x64 + mean[:, None, None]) / np.sqrt(var)[:, None, None]).mean(axis=(0, 2, 3))
    y64 = y.numpy().astype(np.float64)
    assert_close(y64.mean(axis=(0, 2, 3)), np.zeros(2), scale=big_x, terms=2, dtype=np.float32)
    assert_close(y64.std(axis=(0, 2, 3)), np.ones(2), scale=big_x, terms=2, dtype=np.float32)


def test_batch_norm_in_float16_keeps_the_dtype_and_does_not_overflow() -> None:
    """float16 sums of 65,536 values near 100 would overflow (max 65,504): the statistics
    accumulate in float32, and the output stays float16 as in torch."""
    rng = np.random.default_rng(0)
    x = (100 + rng.standard_normal((64, 4, 32, 32))).astype(np.float16)
    running_mean, running_var = np.zeros(4, np.float16), np.ones(4, np.float16)
    y = F.batch_norm(x, running_mean, running_var, training=True, momentum=1.0)
    expected = TF.batch_norm(torch.from_numpy(x).float(), None, None, training=True)
    assert y.dtype == np.float16 and np.isfinite(y.numpy()).all()
    # Computed in float32 (the statistics' and the cancelling affine's roundings, relative to
    # |x|/σ ≈ 100), then rounded once to float16 (relative to |y|).
    x64 = x.astype(np.float64)
    big_x = np.abs(x64) / x64.std(axis=(0, 2, 3))[:, None, None]
    f32_in_f16_ulps = eps(np.float32) / eps(np.float16)
    assert_close(y.numpy(), expected.numpy(), dtype=np.float16,
                 scale=np.abs(expected.numpy()) + pairwise_terms(x.size // 4) * f32_in_f16_ulps
                 * big_x)
    mean = x64.mean(axis=(0, 2, 3))  # accurate in float32, then one float16 rounding
    assert_close(running_mean, mean, scale=mean, dtype=np.float16)


def test_batch_norm_backward_uses_the_statistics_of_its_own_forward() -> None:
    """An evaluation-mode output, then a training step that moves the running statistics,
    then the first output's backward: the gradient must use the statistics it was computed
    with (they are copied, not referenced)."""
    rng = np.random.default_rng(0)
    x = nl.Tensor(rng.standard_normal((8, 3, 4, 4)) + 2, requires_grad=True)
    bn = nl.nn.BatchNorm2d(3).double().eval()
    y = bn(x)
    weight, bias = bn.weight.detach().numpy(), bn.bias.detach().numpy()
    expected = (y.detach().numpy() - bias[:, None, None]) / weight[:, None, None]
    bn.train()
    bn(nl.Tensor(rng.standard_normal((8, 3, 4, 4)) * 5 + 9))  # moves the running statistics
    (y * nl.Tensor(expected)).sum().backward()
    # Σ over 8·4·4 values of g·x̂, x̂ = (x − μ)/σ carrying errors relative to |x|/σ (μ = 0, σ ≈ 1)
    assert_close(bn.weight.grad, (expected * expected).sum(axis=(0, 2, 3)), terms=8 * 4 * 4,
                 scale=(np.abs(expected) * np.abs(x.detach().numpy())).sum(axis=(0, 2, 3)))


@pytest.mark.parametrize("layer", ["conv1", "conv8", "max_pool", "batch_norm_eval"])
def test_an_empty_batch_gives_empty_outputs_and_zero_parameter_gradients(layer: str) -> None:
    channels = 8 if layer == "conv8" else 1 if layer == "conv1" else 3
    module = {"conv1": nl.nn.Conv2d(1, 4, 3), "conv8": nl.nn.Conv2d(8, 4, 3),
              "max_pool": nl.nn.MaxPool2d(2), "batch_norm_eval": nl.nn.BatchNorm2d(3).eval()
              }[layer]
    x = nl.Tensor(np.zeros((0, channels, 6, 6), np.float32), requires_grad=True)
    y = module(x)
    y.sum().backward()
    assert y.shape[0] == 0 and x.grad.shape == x.shape
    for param in module.parameters():
        np.testing.assert_array_equal(param.grad, np.zeros_like(param.detach().numpy()))


def test_batch_norm_without_running_stats_uses_the_batch() -> None:
    x = np.random.default_rng(0).standard_normal((6, 2, 3))
    compare(lambda x: F.batch_norm(x, None, None, training=True),
            lambda x: TF.batch_norm(x, None, None, training=True), [x], "float64",
            batch_norm_scale(None, None, training=True))


@pytest.mark.parametrize(("call", "message"), [
    (lambda: F.batch_norm(np.ones(3), None, None, training=True),
     r"batch_norm: expected an input of shape \(N, C\)"),
    (lambda: F.batch_norm(np.ones((1, 3)), None, None, training=True),
     r"expected more than 1 value per channel when training, got input of shape \(1, 3\)"),
    (lambda: F.batch_norm(np.ones((4, 3)), None, None),
     r"running_mean and running_var are needed in evaluation mode"),
    (lambda: F.batch_norm(np.ones((4, 3)), np.zeros(2), np.ones(2)),
     r"batch_norm: running_mean must have shape \(3,\) for an input of shape \(4, 3\)"),
    (lambda: F.batch_norm(np.ones((4, 3)), np.zeros(3), np.ones(3), np.ones(4)),
     r"batch_norm: weight must have shape \(3,\)"),
])
def test_batch_norm_errors(call: Callable, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_cnn_ops_are_exported_everywhere() -> None:
    namespace: dict = {}
    exec("from neuralab import *", namespace)  # every name in neuralab.__all__ must exist
    for name in ("conv2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "batch_norm"):
        # neuralab.<op> is the registered function wrapped to take out= (as torch.<op>)
        assert getattr(nl, name) is namespace[name]
        assert getattr(nl, name).__wrapped__ is getattr(F, name)
        assert not hasattr(nl.Tensor, name)  # functional only, as in torch.nn.functional
