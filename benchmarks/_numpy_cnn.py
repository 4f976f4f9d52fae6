"""The CNN of ``cnn_epoch.py`` written by hand in plain NumPy: the baseline a framework on NumPy
is measured against (no neuralab, no torch; NCHW, float32, PyTorch's parameter shapes).

Model: Conv(1→32, 3) ReLU MaxPool(2) → Conv(32→64, 3) ReLU MaxPool(2) → Flatten →
Linear(1600→128) ReLU → Linear(128→10); cross-entropy averaged over the batch; SGD with
PyTorch's momentum (``buf = momentum * buf + grad; p -= lr * buf``, ``buf = grad`` at first).

The textbook approach (as in "Deep Learning from Scratch"): a convolution is im2col (a strided
view of every kh×kw window, copied into a matrix) and one GEMM; its input gradient is col2im,
a loop over the kernel offsets adding each slice back. 2×2 max pooling reshapes the input into
windows and keeps the argmax for the backward pass.
"""

from __future__ import annotations

import time

import numpy as np
from _common import BATCH, sgd_step, softmax_cross_entropy
from numpy.lib.stride_tricks import sliding_window_view

NAMES = ("0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias", "9.weight", "9.bias")


def conv_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Valid cross-correlation, stride 1: out[n, o, i, j] = b[o] + Σ_{c,p,q} w[o, c, p, q]
    · x[n, c, i+p, j+q], as col @ w.reshape(O, C·kh·kw).T with col[(n,i,j), (c,p,q)]."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    ho, wo = h - kh + 1, wd - kw + 1
    windows = sliding_window_view(x, (kh, kw), axis=(2, 3))  # (N, C, Ho, Wo, kh, kw), a view
    col = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * kh * kw)  # the copy
    out = col @ w.reshape(o, -1).T + b  # (N·Ho·Wo, O)
    return out.reshape(n, ho, wo, o).transpose(0, 3, 1, 2), (x.shape, col, w)


def conv_backward(dout: np.ndarray, cache: tuple, need_dx: bool = True
                  ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of ``conv_forward``: dw = doutᵀ·col, db = Σ dout, and dx = col2im(dout·w),
    each column block added back at its kernel offset (p, q)."""
    x_shape, col, w = cache
    n, c, h, wd = x_shape
    o, _, kh, kw = w.shape
    ho, wo = dout.shape[2:]
    dout = dout.transpose(0, 2, 3, 1).reshape(-1, o)  # (N·Ho·Wo, O)
    dw = (dout.T @ col).reshape(w.shape)
    db = dout.sum(axis=0)
    if not need_dx:
        return None, dw, db
    dcol = (dout @ w.reshape(o, -1)).reshape(n, ho, wo, c, kh, kw).transpose(0, 3, 4, 5, 1, 2)
    dx = np.zeros(x_shape, dtype=dout.dtype)
    for p in range(kh):
        for q in range(kw):
            dx[:, :, p:p + ho, q:q + wo] += dcol[:, :, p, q]
    return dx, dw, db


def pool_forward(x: np.ndarray) -> tuple[np.ndarray, tuple]:
    """2×2 max pooling, stride 2 (an odd last row/column is dropped, as in PyTorch):
    out[n, c, i, j] = max over x[n, c, 2i:2i+2, 2j:2j+2]; the argmax (first maximum, row-major
    in the window) is kept for the backward pass."""
    n, c, h, w = x.shape
    ho, wo = h // 2, w // 2
    windows = (x[:, :, :2 * ho, :2 * wo].reshape(n, c, ho, 2, wo, 2)
               .transpose(0, 1, 2, 4, 3, 5).reshape(n, c, ho, wo, 4))
    arg = windows.argmax(axis=-1)
    out = np.take_along_axis(windows, arg[..., None], axis=-1)[..., 0]
    return out, (x.shape, arg)


def pool_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Each output's gradient goes to its window's argmax; every other input gets zero."""
    x_shape, arg = cache
    n, c, ho, wo = dout.shape
    dwin = np.zeros((n, c, ho, wo, 4), dtype=dout.dtype)
    np.put_along_axis(dwin, arg[..., None], dout[..., None], axis=-1)
    dx = np.zeros(x_shape, dtype=dout.dtype)
    dx[:, :, :2 * ho, :2 * wo] = (dwin.reshape(n, c, ho, wo, 2, 2)
                                  .transpose(0, 1, 2, 4, 3, 5).reshape(n, c, 2 * ho, 2 * wo))
    return dx


def forward_backward(params: dict[str, np.ndarray], xb: np.ndarray, yb: np.ndarray
                     ) -> tuple[float, dict[str, np.ndarray]]:
    """The loss −mean_n log softmax(logits_n)[y_n] of one batch, and its gradient with respect
    to every parameter (keyed like ``params``)."""
    w1, b1, w2, b2, w3, b3, w4, b4 = (params[k] for k in NAMES)
    n = len(xb)
    # forward
    a1, conv1 = conv_forward(xb, w1, b1)          # (N, 32, 26, 26)
    p1, pool1 = pool_forward(np.maximum(a1, 0))   # (N, 32, 13, 13)
    a2, conv2 = conv_forward(p1, w2, b2)          # (N, 64, 11, 11)
    p2, pool2 = pool_forward(np.maximum(a2, 0))   # (N, 64, 5, 5)
    f = p2.reshape(n, -1)                         # (N, 1600)
    a3 = f @ w3.T + b3
    h3 = np.maximum(a3, 0)
    logits = h3 @ w4.T + b4
    # backward from d loss / d logits = (softmax − onehot(y)) / N
    loss, g = softmax_cross_entropy(logits, yb)
    grads = {"9.weight": g.T @ h3, "9.bias": g.sum(axis=0)}
    g = (g @ w4) * (a3 > 0)
    grads["7.weight"], grads["7.bias"] = g.T @ f, g.sum(axis=0)
    g = pool_backward((g @ w3).reshape(p2.shape), pool2) * (a2 > 0)
    g, grads["3.weight"], grads["3.bias"] = conv_backward(g, conv2)
    g = pool_backward(g, pool1) * (a1 > 0)
    _, grads["0.weight"], grads["0.bias"] = conv_backward(g, conv1, need_dx=False)
    return loss, grads


def epoch_numpy(x: np.ndarray, y: np.ndarray, order: np.ndarray, state: dict) -> float:
    """Train on the batches of ``order`` (parameters copied from ``state["init"]`` on the first
    call); returns the seconds taken and leaves the last loss in ``state["loss"]``."""
    if "params" not in state:
        state["params"] = {k: state["init"][k].astype(np.float32, copy=True) for k in NAMES}
        state["bufs"] = {}
    params, bufs = state["params"], state["bufs"]
    loss = float("nan")
    start = time.perf_counter()
    for i in range(0, len(order), BATCH):
        idx = order[i:i + BATCH]
        loss, grads = forward_backward(params, x[idx], y[idx])
        sgd_step(params, grads, bufs)
    seconds = time.perf_counter() - start
    state["loss"] = loss
    return seconds
