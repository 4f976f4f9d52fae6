"""The textbook CNN layers (im2col, col2im, Convolution, Pooling, BatchNormalization) compute
the same values and gradients as neuralab's fast ops and as PyTorch, in float64.

Gradients of the libraries come from autograd on loss = Σ out·dout, so ∂loss/∂out = dout is
what the textbook ``backward(dout)`` receives. Tolerances follow ``_tolerance``: every bound is
SAFETY·terms·eps·scale with ``scale`` the sum of the magnitudes a value is built from and
``terms`` its reduction length; a wrong index or a missing term is off by a whole term.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _tolerance import assert_close

import neuralab as nl
from neuralab import nn
from neuralab.lab.textbook import BatchNormalization, Convolution, Pooling, col2im, im2col

F = nn.functional


def _read_only(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=np.float64, copy=True)
    a.setflags(write=False)
    return a


def _ours_and_torch(fn_nl, fn_torch, arrays: list[np.ndarray], dout: np.ndarray):
    """(out, [grad of each array]) from neuralab and from torch, via loss = Σ out·dout."""
    results = []
    for lib, fn in ((nl, fn_nl), (torch, fn_torch)):
        leaves = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
        out = fn(*leaves)
        (out * lib.tensor(dout.copy())).sum().backward()
        results.append((out.detach().numpy(), [leaf.grad.numpy() for leaf in leaves]))
    return results


# ------------------------------------------------------------------------------------ im2col


def test_im2col_rows_are_the_windows() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 5, 4))
    kh, kw, stride, pad = 3, 2, 2, 1
    col = im2col(x, kh, kw, stride, pad)
    oh, ow = (5 + 2 - 3) // 2 + 1, (4 + 2 - 2) // 2 + 1
    assert col.shape == (2 * oh * ow, 3 * kh * kw)
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    for n in range(2):
        for i in range(oh):
            for j in range(ow):
                window = xp[n, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
                np.testing.assert_array_equal(col[(n * oh + i) * ow + j], window.reshape(-1))


@pytest.mark.parametrize("shape, kh, kw, stride, pad", [
    ((2, 3, 6, 5), 3, 3, 1, 0),
    ((1, 2, 7, 8), 3, 2, 2, 1),
    ((3, 1, 5, 5), 2, 2, 2, 0),
    ((2, 2, 6, 6), 4, 3, 1, 2),
])
def test_col2im_is_the_adjoint_of_im2col(shape, kh, kw, stride, pad) -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape)
    col = im2col(x, kh, kw, stride, pad)
    c = rng.standard_normal(col.shape)
    back = col2im(c, shape, kh, kw, stride, pad)
    assert back.shape == shape
    left, right = float((col * c).sum()), float((x * back).sum())
    assert_close(left, right, scale=float((np.abs(col) * np.abs(c)).sum()), terms=col.size)


def test_im2col_refuses_a_window_larger_than_the_image() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        im2col(np.zeros((1, 1, 2, 2)), 3, 3)


# ------------------------------------------------------------------------------- Convolution

CONV_CASES = [  # (N, C, H, W), (FN, kh, kw), stride, pad
    ((2, 3, 7, 6), (4, 3, 3), 1, 0),
    ((2, 3, 8, 7), (5, 3, 2), 2, 1),    # non-square kernel, stride 2, pad 1
    ((3, 2, 9, 9), (2, 2, 4), 3, 2),    # windows that skip the last rows
    ((1, 1, 5, 5), (3, 1, 1), 1, 0),    # 1×1 kernel
    ((2, 4, 6, 6), (3, 5, 5), 1, 2),    # "same" padding
    ((2, 2, 7, 6), (3, 3, 3), (2, 1), (1, 0)),  # stride and padding as (along H, along W)
]


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES)
def test_convolution_matches_conv2d(x_shape, w_shape, stride, pad) -> None:
    rng = np.random.default_rng(sum(x_shape) + sum(w_shape))
    fn, kh, kw = w_shape
    x = _read_only(rng.standard_normal(x_shape))
    W = _read_only(rng.standard_normal((fn, x_shape[1], kh, kw)))
    b = _read_only(rng.standard_normal(fn))
    layer = Convolution(W, b, stride, pad)
    out = layer.forward(x)
    dout = _read_only(rng.standard_normal(out.shape))
    dx = layer.backward(dout)

    # Rounding scales: the same computation on magnitudes.
    mag = Convolution(np.abs(W), np.abs(b), stride, pad)
    out_scale = mag.forward(np.abs(x))
    dx_scale = mag.backward(np.abs(dout))
    k = x_shape[1] * kh * kw
    rows = out.size // fn  # N·OH·OW: the length of the weight-gradient reduction

    conv = dict(stride=stride, padding=pad)
    for name, (ref_out, (ref_dx, ref_dW, ref_db)) in zip(("neuralab", "torch"), _ours_and_torch(
            lambda *t: F.conv2d(*t, **conv), lambda *t: torch.nn.functional.conv2d(*t, **conv),
            [x, W, b], dout)):
        assert_close(out, ref_out, scale=out_scale, terms=k + 1, err_msg=f"{name} out")
        assert_close(dx, ref_dx, scale=dx_scale, terms=fn + kh * kw, err_msg=f"{name} dx")
        assert_close(layer.dW, ref_dW, scale=mag.dW, terms=rows, err_msg=f"{name} dW")
        assert_close(layer.db, ref_db, scale=mag.db, terms=rows, err_msg=f"{name} db")


def test_convolution_is_nn_conv2d_with_its_weights() -> None:
    rng = np.random.default_rng(3)
    conv = nn.Conv2d(3, 4, (3, 2), stride=2, padding=1, dtype=nl.float64)
    x = rng.standard_normal((2, 3, 6, 5))
    layer = Convolution(conv.weight.detach().numpy(), conv.bias.detach().numpy(), 2, 1)
    out = layer.forward(x)
    ref = conv(nl.tensor(x)).detach().numpy()
    mag = Convolution(np.abs(layer.W), np.abs(layer.b), 2, 1).forward(np.abs(x))
    assert_close(out, ref, scale=mag, terms=3 * 3 * 2 + 1)


# ----------------------------------------------------------------------------------- Pooling

POOL_CASES = [  # (N, C, H, W), pool_h, pool_w, stride
    ((2, 3, 6, 6), 2, 2, None),
    ((2, 2, 7, 7), 3, 3, 2),     # overlapping windows: gradients add up
    ((1, 3, 6, 9), 2, 3, None),  # non-square
    ((3, 1, 5, 6), 3, 2, 1),
]


@pytest.mark.parametrize("x_shape, ph, pw, stride", POOL_CASES)
@pytest.mark.parametrize("ties", [False, True])
def test_pooling_matches_max_pool2d(x_shape, ph, pw, stride, ties) -> None:
    rng = np.random.default_rng(sum(x_shape) + ph)
    if ties:  # few distinct values, and ReLU's all-zero windows
        x = np.maximum(rng.integers(-2, 3, x_shape), 0).astype(np.float64)
    else:
        x = rng.standard_normal(x_shape)
    x = _read_only(x)
    layer = Pooling(ph, pw, stride)
    out = layer.forward(x)
    dout = _read_only(rng.standard_normal(out.shape))
    dx = layer.backward(dout)
    # Each input gets the sum of the gradients of the windows it wins (up to ⌈p/s⌉² of them).
    s = stride or ph
    overlaps = -(-ph // s) * -(-pw // s)
    dx_scale = Pooling(ph, pw, stride)
    dx_scale.forward(x)
    dx_scale = dx_scale.backward(np.abs(dout))

    for name, (ref_out, (ref_dx,)) in zip(("neuralab", "torch"), _ours_and_torch(
            lambda t: F.max_pool2d(t, (ph, pw), stride),
            lambda t: torch.nn.functional.max_pool2d(t, (ph, pw), stride), [x], dout)):
        np.testing.assert_array_equal(out, ref_out, err_msg=f"{name} out")
        assert_close(dx, ref_dx, scale=dx_scale, terms=overlaps, err_msg=f"{name} dx")


def test_pooling_tie_goes_to_the_first_maximum() -> None:
    x = np.zeros((1, 1, 2, 2))
    layer = Pooling(2, 2)
    assert layer.forward(x).item() == 0.0
    np.testing.assert_array_equal(layer.backward(np.ones((1, 1, 1, 1)))[0, 0], [[1, 0], [0, 0]])


# ------------------------------------------------------------------------ BatchNormalization


def _bn_scales(x_rows: np.ndarray, xhat: np.ndarray, gamma, beta, std, dout_rows: np.ndarray):
    """Per-element magnitudes the rounding errors of batch norm are relative to (rows (m, C)).

    μ and var are sums of m terms: μ is off by about m·u·max|x|, so x̂ by m·u·K with
    K = max|x|/σ + max|x̂| per channel; out = γ·x̂ + β inherits |γ|·K + |β|. The gradient sums
    Σdx̂ and Σdx̂·x̂ are off relative to Σ|dout|, Σ|dout|·K, and x̂'s error enters dx through
    x̂·Σdx̂·x̂ — hence the K² term."""
    m = x_rows.shape[0]
    K = np.abs(x_rows).max(axis=0) / std + np.abs(xhat).max(axis=0)
    mean_d = np.abs(dout_rows).mean(axis=0)
    out = np.abs(gamma) * K + np.abs(beta)
    dx = np.abs(gamma) / std * (np.abs(dout_rows) + mean_d * K * (1 + K))
    dgamma = np.abs(dout_rows).sum(axis=0) * K
    dbeta = np.abs(dout_rows).sum(axis=0)
    return out, dx, dgamma, dbeta, m


def _rows(a: np.ndarray) -> np.ndarray:
    return np.moveaxis(a, 1, -1).reshape(-1, a.shape[1])


BN_SHAPES = [(8, 5), (16, 3), (4, 3, 5, 6), (2, 4, 3, 3), (5, 2, 7)]


@pytest.mark.parametrize("shape", BN_SHAPES)
def test_batch_normalization_matches_batch_norm(shape) -> None:
    rng = np.random.default_rng(sum(shape))
    c = shape[1]
    x = _read_only(2.0 * rng.standard_normal(shape) + rng.standard_normal(c).reshape(
        1, c, *[1] * (len(shape) - 2)))
    gamma, beta = _read_only(rng.uniform(0.5, 2, c)), _read_only(rng.standard_normal(c))
    layer = BatchNormalization(gamma, beta)
    out = layer.forward(x)
    dout = _read_only(rng.standard_normal(shape))
    dx = layer.backward(dout)
    s_out, s_dx, s_dgamma, s_dbeta, m = _bn_scales(_rows(x), layer.xhat, gamma, beta,
                                                   layer.std, _rows(dout))
    unrows = layer._unrows

    modules = {"neuralab": (nn.BatchNorm1d if len(shape) < 4 else nn.BatchNorm2d)(
        c, dtype=nl.float64),
        "torch": (torch.nn.BatchNorm1d if len(shape) < 4 else torch.nn.BatchNorm2d)(c).double()}
    for name, module in modules.items():
        lib = nl if name == "neuralab" else torch
        module.load_state_dict({**module.state_dict(), "weight": lib.tensor(gamma.copy()),
                                "bias": lib.tensor(beta.copy())})
        xt = lib.tensor(x.copy(), requires_grad=True)
        ref = module(xt)
        (ref * lib.tensor(dout.copy())).sum().backward()
        assert_close(out, ref.detach().numpy(), scale=unrows(np.broadcast_to(s_out, (m, c))),
                     terms=m + 4, err_msg=f"{name} out")
        assert_close(dx, xt.grad.numpy(), scale=unrows(s_dx), terms=m + 8,
                     err_msg=f"{name} dx")
        assert_close(layer.dgamma, module.weight.grad.numpy(), scale=s_dgamma, terms=2 * m,
                     err_msg=f"{name} dgamma")
        assert_close(layer.dbeta, module.bias.grad.numpy(), scale=s_dbeta, terms=m,
                     err_msg=f"{name} dbeta")


@pytest.mark.parametrize("shape", [(6, 3), (3, 2, 4, 5)])
def test_running_statistics_follow_torch(shape) -> None:
    """momentum 0.9 here ≡ momentum 0.1 in torch and neuralab; the variance is unbiased."""
    rng = np.random.default_rng(7)
    c = shape[1]
    layer = BatchNormalization(np.ones(c), np.zeros(c), momentum=0.9)
    Ours, Torch = (nn.BatchNorm1d, torch.nn.BatchNorm1d) if len(shape) < 4 else (
        nn.BatchNorm2d, torch.nn.BatchNorm2d)
    ours, theirs = Ours(c, momentum=0.1, dtype=nl.float64), Torch(c, momentum=0.1).double()
    np.testing.assert_array_equal(layer.running_mean, np.zeros(c))
    np.testing.assert_array_equal(layer.running_var, np.ones(c))
    for step in range(3):
        x = 3.0 * rng.standard_normal(shape) + step
        layer.forward(x)
        ours(nl.tensor(x))
        theirs(torch.tensor(x))
        m = x.size // c
        big = np.abs(_rows(x)).max(axis=0)
        for name, module in (("neuralab", ours), ("torch", theirs)):
            assert_close(layer.running_mean, module.running_mean.numpy(),
                         scale=big + np.abs(layer.running_mean), terms=m + 4,
                         err_msg=f"{name} running_mean, step {step}")
            assert_close(layer.running_var, module.running_var.numpy(),
                         scale=big ** 2 + layer.running_var, terms=2 * m + 4,
                         err_msg=f"{name} running_var, step {step}")
    # the unbiased variance: one batch from the initial state, by hand
    fresh = BatchNormalization(np.ones(c), np.zeros(c))
    x = rng.standard_normal(shape)
    fresh.forward(x)
    np.testing.assert_allclose(fresh.running_var,
                               0.9 * 1 + 0.1 * _rows(x).var(axis=0, ddof=1), rtol=1e-12)


def test_evaluation_uses_the_running_statistics() -> None:
    rng = np.random.default_rng(11)
    c = 3
    gamma, beta = rng.uniform(0.5, 2, c), rng.standard_normal(c)
    mean, var = rng.standard_normal(c), rng.uniform(0.5, 3, c)
    layer = BatchNormalization(gamma, beta)
    layer.running_mean, layer.running_var = mean.copy(), var.copy()
    module = torch.nn.BatchNorm2d(c).double()
    module.load_state_dict({"weight": torch.tensor(gamma), "bias": torch.tensor(beta),
                            "running_mean": torch.tensor(mean), "running_var": torch.tensor(var),
                            "num_batches_tracked": torch.tensor(0)})
    module.eval()
    x = rng.standard_normal((2, c, 4, 4))
    dout = rng.standard_normal(x.shape)
    out = layer.forward(x, train=False)
    dx = layer.backward(dout)
    xt = torch.tensor(x, requires_grad=True)
    ref = module(xt)
    (ref * torch.tensor(dout)).sum().backward()
    g = gamma.reshape(1, c, 1, 1)
    std = np.sqrt(var + 1e-5).reshape(1, c, 1, 1)
    scale = np.abs(g) * (np.abs(x) + np.abs(mean).reshape(1, c, 1, 1)) / std + np.abs(
        beta).reshape(1, c, 1, 1)
    assert_close(out, ref.detach().numpy(), scale=scale, terms=8)
    assert_close(dx, xt.grad.numpy(), scale=np.abs(g * dout) / std, terms=4)
    np.testing.assert_array_equal(layer.running_mean, mean)  # evaluation leaves them alone


def test_batch_normalization_needs_two_values_per_channel() -> None:
    with pytest.raises(ValueError, match="more than one value"):
        BatchNormalization(np.ones(3), np.zeros(3)).forward(np.ones((1, 3)))
