"""Activation and loss modules: equal to the functional forms and to the torch modules."""

import numpy as np
import pytest
import torch
from _tolerance import assert_close, assert_normwise_close

import neuralab as nl
from neuralab import nn
from neuralab.nn import functional as F

RNG = np.random.default_rng(0)
X = RNG.standard_normal((6, 5)) * 3
X[0, :3] = [0.0, 50.0, -50.0]  # the kink and saturated values


def run_ours(module, x, *rest):
    t = nl.Tensor(x.copy(), requires_grad=True)
    out = module(t, *rest)
    out.backward(np.ones(out.shape))
    return out.data, t.grad


def run_torch(module, x, *rest):
    t = torch.tensor(x, requires_grad=True)
    out = module(t, *rest)
    out.backward(torch.ones_like(out))
    return out.detach().numpy(), t.grad.numpy()


ACTIVATIONS = {
    "ReLU": (nn.ReLU(), F.relu, torch.nn.ReLU()),
    "Sigmoid": (nn.Sigmoid(), F.sigmoid, torch.nn.Sigmoid()),
    "Tanh": (nn.Tanh(), F.tanh, torch.nn.Tanh()),
    "LeakyReLU": (nn.LeakyReLU(0.2), lambda x: F.leaky_relu(x, 0.2), torch.nn.LeakyReLU(0.2)),
    "Softmax": (nn.Softmax(dim=1), lambda x: F.softmax(x, dim=1), torch.nn.Softmax(dim=1)),
    "Softmax0": (nn.Softmax(dim=0), lambda x: F.softmax(x, 0), torch.nn.Softmax(dim=0)),
    "LogSoftmax": (nn.LogSoftmax(dim=1), lambda x: F.log_softmax(x, dim=1),
                   torch.nn.LogSoftmax(dim=1)),
}


def activation_scales(name, x):
    """(value scale, gradient scale for an upstream gradient of ones, terms): the magnitudes of
    the terms each element is computed from. Softmax's gradient s·(1 − Σs) and log-softmax's
    value x − logsumexp and gradient 1 − n·s cancel terms far larger than the result."""
    if name in ("ReLU", "LeakyReLU"):  # a copy or one product
        return np.abs(x), 1.0, 1
    if name == "Sigmoid":
        s = 1 / (1 + np.exp(-x))
        return s, s * (1 + s), 4
    if name == "Tanh":
        t = np.tanh(x)
        return np.abs(t), 1 + t * t, 4
    axis = 0 if name == "Softmax0" else 1
    n = x.shape[axis]
    s = np.exp(x - x.max(axis=axis, keepdims=True))
    s /= s.sum(axis=axis, keepdims=True)
    lse = np.log(np.exp(x - x.max(axis=axis, keepdims=True)).sum(axis=axis, keepdims=True)) \
        + x.max(axis=axis, keepdims=True)
    if name == "LogSoftmax":
        return np.abs(x) + np.abs(lse), 1 + n * s, n + 4
    return s, 2 * s, n + 4


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_module_equals_functional_and_torch(name):
    module, functional, torch_module = ACTIVATIONS[name]
    value, grad = run_ours(module, X)
    f_value, f_grad = run_ours(functional, X)
    t_value, t_grad = run_torch(torch_module, X)
    np.testing.assert_array_equal(value, f_value)
    np.testing.assert_array_equal(grad, f_grad)
    value_scale, grad_scale, terms = activation_scales(name, X)
    assert_close(value, t_value, scale=value_scale, terms=terms)
    assert_close(grad, t_grad, scale=np.broadcast_to(grad_scale, X.shape), terms=terms)


def test_activations_keep_float32():
    x = nl.Tensor(X.astype(np.float32))
    for module, _, _ in ACTIVATIONS.values():
        assert module(x).dtype == np.float32


def test_step_module():
    value, grad = run_ours(nn.Step(), X)
    np.testing.assert_array_equal(value, (X > 0).astype(float))
    np.testing.assert_array_equal(grad, np.zeros_like(X))  # no gradient through a step


def test_sigmoid_is_stable_for_huge_inputs():
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        out = nn.Sigmoid()(nl.Tensor(np.array([-1000.0, 0.0, 1000.0])))
    np.testing.assert_array_equal(out.data, [0.0, 0.5, 1.0])


LOGITS = RNG.standard_normal((8, 4)) * 2
CLASSES = np.array([0, 3, 1, 1, 2, 0, 3, 2])
CLASS_WEIGHT = np.array([0.5, 2.0, 1.0, 1.5])


def loss_case(name):
    """(our module, our functional, torch module, input, target) for one named case."""
    probs = 1 / (1 + np.exp(-LOGITS))
    binary = (RNG.random(LOGITS.shape) > 0.5).astype(float)
    t_weight = torch.from_numpy(CLASS_WEIGHT)
    soft = np.exp(RNG.standard_normal((8, 4)))
    soft /= soft.sum(axis=1, keepdims=True)
    ignored = CLASSES.copy()
    ignored[[1, 4]] = -100
    cases = {
        "mse": (nn.MSELoss(), F.mse_loss, torch.nn.MSELoss(), LOGITS, probs),
        "mse_sum": (nn.MSELoss(reduction="sum"), lambda x, t: F.mse_loss(x, t, "sum"),
                    torch.nn.MSELoss(reduction="sum"), LOGITS, probs),
        "mse_none": (nn.MSELoss(reduction="none"), lambda x, t: F.mse_loss(x, t, "none"),
                     torch.nn.MSELoss(reduction="none"), LOGITS, probs),
        "ce": (nn.CrossEntropyLoss(), F.cross_entropy, torch.nn.CrossEntropyLoss(),
               LOGITS, CLASSES),
        "ce_weight": (nn.CrossEntropyLoss(weight=CLASS_WEIGHT),
                      lambda x, t: F.cross_entropy(x, t, weight=CLASS_WEIGHT),
                      torch.nn.CrossEntropyLoss(weight=t_weight), LOGITS, CLASSES),
        "ce_ignore_sum": (nn.CrossEntropyLoss(reduction="sum"),
                          lambda x, t: F.cross_entropy(x, t, reduction="sum"),
                          torch.nn.CrossEntropyLoss(reduction="sum"), LOGITS, ignored),
        "ce_smoothing": (nn.CrossEntropyLoss(weight=CLASS_WEIGHT, label_smoothing=0.1),
                         lambda x, t: F.cross_entropy(x, t, CLASS_WEIGHT, label_smoothing=0.1),
                         torch.nn.CrossEntropyLoss(weight=t_weight, label_smoothing=0.1),
                         LOGITS, CLASSES),
        "ce_soft_targets": (nn.CrossEntropyLoss(), F.cross_entropy,
                            torch.nn.CrossEntropyLoss(), LOGITS, soft),
        "ce_none": (nn.CrossEntropyLoss(reduction="none"),
                    lambda x, t: F.cross_entropy(x, t, reduction="none"),
                    torch.nn.CrossEntropyLoss(reduction="none"), LOGITS, CLASSES),
        "ce_spatial": (nn.CrossEntropyLoss(), F.cross_entropy, torch.nn.CrossEntropyLoss(),
                       LOGITS.reshape(2, 4, 4), CLASSES.reshape(2, 4)),
        "nll": (nn.NLLLoss(), F.nll_loss, torch.nn.NLLLoss(), LOGITS, CLASSES),
        "nll_weight_ignore": (nn.NLLLoss(weight=CLASS_WEIGHT),
                              lambda x, t: F.nll_loss(x, t, weight=CLASS_WEIGHT),
                              torch.nn.NLLLoss(weight=t_weight), LOGITS, ignored),
        "bce": (nn.BCELoss(), F.binary_cross_entropy, torch.nn.BCELoss(), probs, binary),
        "bce_weight": (nn.BCELoss(weight=CLASS_WEIGHT),
                       lambda x, t: F.binary_cross_entropy(x, t, weight=CLASS_WEIGHT),
                       torch.nn.BCELoss(weight=t_weight), probs, binary),
        "bce_logits": (nn.BCEWithLogitsLoss(), F.binary_cross_entropy_with_logits,
                       torch.nn.BCEWithLogitsLoss(), LOGITS * 20, binary),
        "bce_logits_pos_weight": (
            nn.BCEWithLogitsLoss(pos_weight=CLASS_WEIGHT, reduction="sum"),
            lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction="sum",
                                                            pos_weight=CLASS_WEIGHT),
            torch.nn.BCEWithLogitsLoss(pos_weight=t_weight, reduction="sum"), LOGITS, binary),
    }
    return cases[name]


LOSS_CASES = ["mse", "mse_sum", "mse_none", "ce", "ce_weight", "ce_ignore_sum", "ce_smoothing",
              "ce_soft_targets", "ce_none", "ce_spatial", "nll", "nll_weight_ignore", "bce",
              "bce_weight", "bce_logits", "bce_logits_pos_weight"]


@pytest.mark.parametrize("name", LOSS_CASES)
def test_loss_module_equals_functional_and_torch(name):
    module, functional, torch_module, x, target = loss_case(name)
    torch_target = torch.from_numpy(target)
    value, grad = run_ours(module, x, target)
    f_value, f_grad = run_ours(functional, x, target)
    t_value, t_grad = run_torch(torch_module, x, torch_target)
    np.testing.assert_array_equal(value, f_value)
    np.testing.assert_array_equal(grad, f_grad)
    # The losses' terms are non-negative (no cancellation in the value): normwise, with the
    # reduction over every input element plus a few roundings (log, exp, weight, mean).
    terms = np.size(x) + 8
    assert_normwise_close(value, t_value, terms=terms)
    assert_normwise_close(grad, t_grad, terms=terms)


def test_loss_reductions_follow_torch_conventions():
    x, t = nl.Tensor(np.array([[1.0, 2.0], [3.0, 4.0]])), np.zeros((2, 2))
    assert nn.MSELoss()(x, t).item() == pytest.approx(30 / 4)  # mean over elements
    assert nn.MSELoss(reduction="sum")(x, t).item() == pytest.approx(30)
    logits = nl.Tensor(np.zeros((4, 3)))
    assert nn.CrossEntropyLoss()(logits, np.array([0, 1, 2, 0])).item() == pytest.approx(
        np.log(3))  # mean over the batch


def test_loss_modules_reject_unknown_reduction_and_show_it_in_repr():
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")
    assert repr(nn.MSELoss()) == "MSELoss()"
    assert repr(nn.CrossEntropyLoss(reduction="sum")) == "CrossEntropyLoss(reduction='sum')"


def test_loss_float32_stays_float32():
    logits = nl.Tensor(LOGITS.astype(np.float32), requires_grad=True)
    loss = nn.CrossEntropyLoss()(logits, CLASSES)
    loss.backward()
    assert loss.dtype == np.float32 and logits.grad.dtype == np.float32
