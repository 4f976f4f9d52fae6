"""Probes (gradient norms, dead units, sparsity) on a tiny net whose answers are worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _tolerance import assert_close

from neuralab import nn
from neuralab.lab.probes import (
    activation_sparsity,
    dead_fraction,
    dead_unit_masks,
    gradient_norms,
    hidden_activations,
    linear_layers,
    weight_grad_norms,
)

# Rows are inputs (x0, x1) ≥ 0.
X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])


def tiny(activation: nn.Module) -> nn.Sequential:
    """z0 = x0 + 0.5 (always > 0), z1 = x1 − 0.5 (≤ 0 on row 0 only), z2 = −x0 − x1 − 1 (< 0)."""
    model = nn.Sequential(nn.Linear(2, 3, dtype=np.float64), activation,
                          nn.Linear(3, 1, dtype=np.float64))
    model[0].weight.data[...] = [[1, 0], [0, 1], [-1, -1]]
    model[0].bias.data[...] = [0.5, -0.5, -1]
    model[2].weight.data[...] = [[1, 2, 3]]
    model[2].bias.data[...] = [0]
    return model


def sum_loss(out, y):  # L = Σ outputs, so dL/d(out) = 1 for every row
    return out.sum()


def test_grad_norms_match_hand_computation() -> None:
    model = tiny(nn.ReLU())
    norms = gradient_norms(model, sum_loss, X, np.zeros(3))
    # h = ReLU(z): unit0 [1.5, .5, 1.5], unit1 [0, .5, .5], unit2 0 → dL/dW2 = [3.5, 1, 0].
    # dL/dW1 row j = W2[j] Σ_rows ReLU′(z_j) x: unit0 1·[2, 2], unit1 2·[1, 2], unit2 0.
    assert norms == pytest.approx([math.sqrt(28), math.sqrt(13.25)])
    assert weight_grad_norms(model) == norms
    assert [type(m) for m in linear_layers(model)] == [nn.Linear, nn.Linear]


def test_grad_norms_need_backward_first() -> None:
    with pytest.raises(ValueError, match="backward"):
        weight_grad_norms(tiny(nn.ReLU()))


def test_hidden_activations_keep_pre_and_post_activation() -> None:
    ((pre, out),) = hidden_activations(tiny(nn.ReLU()), X)
    expected_pre = np.array([[1.5, -0.5, -2], [0.5, 0.5, -2], [1.5, 0.5, -3]])
    np.testing.assert_allclose(pre, expected_pre)
    np.testing.assert_allclose(out, np.maximum(expected_pre, 0))
    chunked = hidden_activations(tiny(nn.ReLU()), X, batch_size=2)
    np.testing.assert_allclose(chunked[0][0], pre)
    with pytest.raises(TypeError, match="Sequential"):
        hidden_activations(nn.Linear(2, 3), X)


def test_dead_units_relu_vs_leaky() -> None:
    relu, leaky = tiny(nn.ReLU()), tiny(nn.LeakyReLU(0.01))
    for criterion in ("zero_output", "never_positive"):  # the same set for ReLU
        (mask,) = dead_unit_masks(relu, X, criterion)
        assert mask.tolist() == [False, False, True]
    assert dead_fraction(relu, X) == pytest.approx(1 / 3)
    # Leaky ReLU's unit 2 outputs −0.02, −0.02, −0.03: never zero, but never positive.
    assert dead_fraction(leaky, X, "zero_output") == 0.0
    assert dead_unit_masks(leaky, X, "never_positive")[0].tolist() == [False, False, True]
    with pytest.raises(ValueError, match="criterion"):
        dead_fraction(relu, X, "sleepy")


def test_sparsity_counts_exact_zeros() -> None:
    # ReLU zeros: row 0 units 1 and 2, rows 1 and 2 unit 2 → 4 of 9 outputs.
    assert activation_sparsity(tiny(nn.ReLU()), X) == [pytest.approx(4 / 9)]
    assert activation_sparsity(tiny(nn.LeakyReLU(0.01)), X) == [0.0]
    assert activation_sparsity(tiny(nn.Sigmoid()), X) == [0.0]


def test_probe_leaves_training_mode_alone() -> None:
    model = tiny(nn.ReLU())
    model.train()
    dead_fraction(model, X)
    assert model.training


def test_grad_norms_match_torch_on_a_deeper_net() -> None:
    import torch  # a hard test dependency: its absence must fail, not skip
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(4, 5, dtype=np.float64, generator=rng), nn.Sigmoid(),
                          nn.Linear(5, 5, dtype=np.float64, generator=rng), nn.Sigmoid(),
                          nn.Linear(5, 3, dtype=np.float64, generator=rng))
    x, y = rng.normal(size=(6, 4)), rng.integers(0, 3, 6)
    ours = gradient_norms(model, nn.CrossEntropyLoss(), x, y)
    ref = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Sigmoid(), torch.nn.Linear(5, 5),
                              torch.nn.Sigmoid(), torch.nn.Linear(5, 3)).double()
    with torch.no_grad():
        for theirs, mine in zip([m for m in ref if isinstance(m, torch.nn.Linear)],
                                linear_layers(model)):
            theirs.weight.copy_(torch.from_numpy(mine.weight.detach().numpy()))
            theirs.bias.copy_(torch.from_numpy(mine.bias.detach().numpy()))
    torch.nn.functional.cross_entropy(ref(torch.from_numpy(x)), torch.from_numpy(y)).backward()
    grads = [m.weight.grad.numpy() for m in ref if isinstance(m, torch.nn.Linear)]
    expected = [float(np.linalg.norm(g)) for g in grads]
    # Each gradient is off normwise by the chain's rounding (fan-ins + biases forward and back,
    # 3 classes, 6 rows) relative to its largest element, so its norm by at most √size times
    # that; the norm itself sums `size` squares.
    chain = 2 * ((4 + 1) + (5 + 1) + (5 + 1)) + 3 + 6
    largest = np.array([np.abs(g).max() * math.sqrt(g.size) for g in grads])
    assert_close(ours, expected, scale=largest, terms=chain + max(g.size for g in grads))
