"""Probes that look inside a network: per-layer gradient norms, dead units, sparsity.

Used by the seed lab (vanishing gradients, dead ReLUs) and usable on any model:

* ``weight_grad_norms(model)``: ‖∂L/∂W_l‖_F for every ``Linear`` weight, first layer first.
* ``hidden_activations(model, x)``: a hook-free forward through a ``Sequential`` that keeps
  each activation module's input (pre-activation z) and output (a = f(z)).
* ``dead_unit_masks`` / ``dead_fraction``: units with a = 0 for *every* input of a data set
  (criterion ``"zero_output"``) or with z ≤ 0 for every input (``"never_positive"``). For ReLU the
  two are the same set; a Leaky ReLU unit is never exactly 0 but can be never positive.
* ``activation_sparsity``: the fraction of outputs that are exactly 0, per layer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import nn
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor

# Module types treated as a hidden layer's activation (their input is a pre-activation).
ACTIVATION_TYPES: tuple[type, ...] = (nn.ReLU, nn.LeakyReLU, nn.Sigmoid, nn.Tanh, nn.Step)
CRITERIA = ("zero_output", "never_positive")


def linear_layers(model: nn.Module) -> list[nn.Linear]:
    """The model's ``Linear`` layers in registration (= forward, for a Sequential) order."""
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def weight_grad_norms(model: nn.Module) -> list[float]:
    """Frobenius norm ‖∂L/∂W‖ of each ``Linear`` weight's ``.grad`` (call after ``backward``)."""
    norms = []
    for index, layer in enumerate(linear_layers(model)):
        if layer.weight.grad is None:
            raise ValueError(f"Linear layer {index} has no gradient: call loss.backward() first")
        norms.append(float(np.linalg.norm(layer.weight.grad.numpy().astype(np.float64))))
    return norms


def gradient_norms(model: nn.Module, loss_fn: Callable[[Any, Any], Tensor], x: np.ndarray,
                   y: np.ndarray) -> list[float]:
    """One forward and backward pass of ``loss_fn(model(x), y)``; the per-layer weight-gradient
    norms it gives (the model's ``.grad``s are left set)."""
    model.zero_grad()
    loss_fn(model(Tensor(x)), Tensor(y)).backward()
    return weight_grad_norms(model)


def hidden_activations(model: nn.Sequential, x: np.ndarray,
                       batch_size: int = 4096) -> list[tuple[np.ndarray, np.ndarray]]:
    """(pre-activation z, output a) of every activation module in ``model``, for all rows of x.

    A manual forward, module by module, without a graph (no hooks needed): whatever enters an
    activation module is its z. Rows are processed ``batch_size`` at a time and concatenated.
    """
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"hidden_activations needs an nn.Sequential, got {type(model).__name__}")
    was_training = model.training
    model.eval()  # dropout (if any) off: the probe measures the deterministic network
    chunks: list[list[tuple[np.ndarray, np.ndarray]]] = []
    try:
        with no_grad():
            for start in range(0, len(x), batch_size):
                h = Tensor(np.asarray(x[start:start + batch_size]))
                pairs = []
                for module in model:
                    out = module(h)
                    if isinstance(module, ACTIVATION_TYPES):
                        pairs.append((np.array(h.numpy()), np.array(out.numpy())))
                    h = out
                chunks.append(pairs)
    finally:
        model.train(was_training)
    if not chunks:
        raise ValueError("hidden_activations: x has no rows")
    return [(np.concatenate([c[i][0] for c in chunks]), np.concatenate([c[i][1] for c in chunks]))
            for i in range(len(chunks[0]))]


def dead_unit_masks(model: nn.Sequential, x: np.ndarray,
                    criterion: str = "zero_output") -> list[np.ndarray]:
    """Per hidden layer, a boolean mask of the units that are 'dead' on the whole data set x.

    ``"zero_output"``: a_j(x) = 0 for every input x (a dead ReLU: it passes no signal and, as
    ReLU′(z) = 0 for z ≤ 0, no gradient — it cannot recover).
    ``"never_positive"``: z_j(x) ≤ 0 for every input (for Leaky ReLU the unit still outputs
    0.01·z and still receives 0.01 × the gradient).
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}, got {criterion!r}")
    masks = []
    for pre, out in hidden_activations(model, x):
        masks.append(np.all(out == 0, axis=0) if criterion == "zero_output"
                     else np.all(pre <= 0, axis=0))
    return masks


def dead_fraction(model: nn.Sequential, x: np.ndarray, criterion: str = "zero_output") -> float:
    """Fraction of all hidden units (every activation layer together) that are dead on x."""
    masks = dead_unit_masks(model, x, criterion)
    return float(np.concatenate(masks).mean())


def activation_sparsity(model: nn.Sequential, x: np.ndarray) -> list[float]:
    """Per hidden layer, the fraction of outputs that are exactly 0 (averaged over inputs).

    For one input this is the share of the layer's units that are silent; ReLU makes it large
    (sparse codes), sigmoid, tanh and Leaky ReLU make it (almost) 0.
    """
    return [float(np.mean(out == 0)) for _, out in hidden_activations(model, x)]
