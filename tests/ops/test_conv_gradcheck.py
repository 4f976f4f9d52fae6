"""CNN ops' gradients against central finite differences (``neuralab.gradcheck``, float64).

Hypothesis draws conv2d geometries (sizes, kernel, stride, padding, dilation); pooling inputs
have distinct values (no tied maxima, where the max is not differentiable).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from _gradcheck_inputs import distinct, leaf
from hypothesis import given, settings
from hypothesis import strategies as st

import neuralab as nl
import neuralab.nn.functional as F

pytestmark = pytest.mark.filterwarnings("error")


@st.composite
def conv_geometry(draw: Any) -> dict:
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    h = draw(st.integers(max(1, span_h - 2 * ph), span_h + 3))
    w = draw(st.integers(max(1, span_w - 2 * pw), span_w + 3))
    return {"n": draw(st.integers(1, 2)), "c": draw(st.sampled_from([1, 2, 9])),
            "o": draw(st.integers(1, 3)), "hw": (h, w), "kernel": (kh, kw),
            "stride": (draw(st.integers(1, 3)), draw(st.integers(1, 3))),
            "padding": (ph, pw), "dilation": (dh, dw), "bias": draw(st.booleans())}


@settings(max_examples=25, deadline=None)
@given(geometry=conv_geometry(), seed=st.integers(0, 2**32 - 1))
def test_conv2d_gradcheck(geometry: dict, seed: int) -> None:
    rng = np.random.default_rng(seed)
    g = geometry
    x = leaf(rng.standard_normal((g["n"], g["c"], *g["hw"])))
    w = leaf(rng.standard_normal((g["o"], g["c"], *g["kernel"])))
    inputs = [x, w] + ([leaf(rng.standard_normal(g["o"]))] if g["bias"] else [])
    assert nl.gradcheck(lambda x, w, *b: F.conv2d(x, w, b[0] if b else None, g["stride"],
                                                  g["padding"], g["dilation"]), *inputs)


@pytest.mark.parametrize(("kernel", "stride", "padding"), [
    (2, None, 0), (3, 2, 1), (2, 1, 1), ((3, 2), (1, 2), (1, 0)), (3, None, 1)])
def test_pooling_gradcheck(kernel: Any, stride: Any, padding: Any) -> None:
    rng = np.random.default_rng(0)
    x = leaf(distinct(rng, (2, 2, 7, 6)))
    assert nl.gradcheck(lambda x: F.max_pool2d(x, kernel, stride, padding), x)
    for include in (True, False):
        assert nl.gradcheck(lambda x, c=include: F.avg_pool2d(
            x, kernel, stride, padding, count_include_pad=c), x)


@pytest.mark.parametrize("output_size", [1, (3, 2), (4, 5), (None, 3)])
def test_adaptive_avg_pool2d_gradcheck(output_size: Any) -> None:
    x = leaf(np.random.default_rng(1).standard_normal((2, 2, 5, 4)))
    assert nl.gradcheck(lambda x: F.adaptive_avg_pool2d(x, output_size), x)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(5, 3), (3, 3, 4), (2, 3, 3, 2)])
def test_batch_norm_gradcheck(shape: tuple, training: bool) -> None:
    rng = np.random.default_rng(2)
    x, w, b = leaf(rng.standard_normal(shape)), leaf(rng.standard_normal(3)), \
        leaf(rng.standard_normal(3))
    mean, var = rng.standard_normal(3), rng.uniform(0.5, 2.0, 3)
    # Running stats change in training, so each evaluation starts from fresh copies.
    assert nl.gradcheck(lambda x, w, b: F.batch_norm(x, mean.copy(), var.copy(), w, b,
                                                     training=training), x, w, b)
    assert nl.gradcheck(lambda x: F.batch_norm(x, mean.copy(), var.copy(), training=training), x)
