"""The playground's teaching views: the backprop step view (S16) and the hidden layer's view (S15).

Every gradient is checked against two independent autograd engines (neuralab's own and
PyTorch's, both float64) for every weight and bias of small random networks, and the sum over
all paths against the δ recursion. Tolerances: ``_tolerance.assert_close`` with the scale
(``error_bound``) of a first-order rounding-error bound propagated through the forward and
backward passes; a wrong index or a missing term is off by a whole path product.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
import torch
from _tolerance import assert_close

import neuralab as nl
from neuralab.playground.views import backprop_path, hidden_view

ACT_NL = {"tanh": nl.nn.Tanh, "relu": nl.nn.ReLU, "leaky_relu": nl.nn.LeakyReLU,
          "sigmoid": nl.nn.Sigmoid, "linear": nl.nn.Identity}
ACT_TORCH = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "leaky_relu": torch.nn.LeakyReLU,
             "sigmoid": torch.nn.Sigmoid, "linear": torch.nn.Identity}


def random_net(seed: int, sizes: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Weights ~ N(0, 1), biases ~ N(0, 0.5²), for layer widths ``sizes``."""
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(o, i)), rng.normal(scale=0.5, size=o))
            for i, o in zip(sizes[:-1], sizes[1:])]


# (name, sizes, activations, head, loss, target)
NETS = [
    ("2-3-1 tanh binary CE", [2, 3, 1], ["tanh"], "sigmoid", "cross_entropy", 1),
    ("2-4-4-3 mixed softmax CE", [2, 4, 4, 3], ["relu", "leaky_relu"], "softmax",
     "cross_entropy", 2),
    ("2-4-4-3 mixed softmax mse", [2, 4, 4, 3], ["sigmoid", "tanh"], "softmax", "mse", 0),
    ("2-3-1 regression mse", [2, 3, 1], ["tanh"], "identity", "mse", -0.4),
    ("2-2-2-2-1 sigmoid binary CE", [2, 2, 2, 2, 1], ["sigmoid"] * 3, "sigmoid",
     "cross_entropy", 0),
    ("2-2-2-2-1 sigmoid binary mse", [2, 2, 2, 2, 1], ["sigmoid", "linear", "sigmoid"],
     "sigmoid", "mse", 1),
    ("5-3-3-1 relu regression mse", [5, 3, 3, 1], ["relu", "relu"], "identity", "mse", 0.7),
]


def engine_gradients(lib: str, weights, activations, head, loss, x, target):
    """(loss, [(∂L/∂W, ∂L/∂b)], ∂L/∂z_L) for one example, from neuralab's or torch's autograd."""
    if lib == "torch":
        nn, tensor = torch.nn, (lambda a: torch.tensor(a, dtype=torch.float64))
        acts, kw = ACT_TORCH, {"dtype": torch.float64}
    else:
        nn, tensor = nl.nn, (lambda a: nl.tensor(np.asarray(a, dtype=np.float64)))
        acts, kw = ACT_NL, {"dtype": nl.float64}
    modules = []
    for k, (W, b) in enumerate(weights):
        linear = nn.Linear(W.shape[1], W.shape[0], **kw)
        with (torch.no_grad() if lib == "torch" else nl.no_grad()):
            linear.weight.copy_(tensor(W))
            linear.bias.copy_(tensor(b))
        modules.append(linear)
        if k < len(activations):
            modules.append(acts[activations[k]]())
    z = nn.Sequential(*modules)(tensor(np.asarray(x, dtype=np.float64)[None, :]))
    z.retain_grad()
    if loss == "cross_entropy" and head == "sigmoid":
        value = nn.BCEWithLogitsLoss()(z, tensor([[float(target)]]))
    elif loss == "cross_entropy":
        label = torch.tensor([target]) if lib == "torch" else nl.tensor(np.array([target]))
        value = nn.CrossEntropyLoss()(z, label)
    else:
        y = {"sigmoid": nn.Sigmoid(), "softmax": nn.Softmax(dim=1),
             "identity": nn.Identity()}[head](z)
        t = (np.eye(z.shape[1])[target] if head == "softmax"
             else np.full(z.shape[1], float(target)))
        value = nn.MSELoss()(y, tensor(t[None, :]))
    value.backward()

    def numpy(t):
        return t.detach().numpy() if lib == "torch" else np.asarray(t.numpy())

    grads = [(numpy(m.weight.grad), numpy(m.bias.grad)) for m in modules[::2]]
    return float(value.item()), grads, numpy(z.grad)[0]


SMOOTH = {"tanh": (np.tanh, lambda z, a: 1 - a * a),
          "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z, a: a * (1 - a))}
PIECEWISE = {"relu": (lambda z: np.maximum(z, 0), lambda z, a: (z > 0) * 1.0),
             "leaky_relu": (lambda z: np.where(z > 0, z, 0.01 * z),
                            lambda z, a: np.where(z > 0, 1.0, 0.01)),
             "linear": (lambda z: z, lambda z, a: np.ones_like(z))}
FUNCTIONS = SMOOTH | PIECEWISE


def error_bound(weights, activations, x, dz, layer, to, frm):
    """A first-order bound, in units of eps, on the rounding error of ∂L/∂w (either engine's).

    Forward: z = W·a + b is off by (fan_in + 1)·(|W|·|a| + |b|) + |W|·err(a), and a = f(z) by
    err(z) + |a| (every activation has slope ≤ 1). Each local derivative f′ is off by err(z) + |f′|
    for tanh and sigmoid (f″ ≤ 1), and by nothing for the piecewise-linear ones; ∂L/∂z_L (dz,
    from autograd) by 4·(err(z_L) + 1) (ŷ − t or the mse/softmax forms, slopes ≤ 2, |ŷ|,|t| ≤ 1).
    Backward, the pair (P, E) = (Σ paths Π|factor|, Σ paths Σ_f err(f)·Π_{g≠f}|g|) follows
    the δ recursion with absolute values, as a dual number; the sums' own roundings add
    (fan_out + 1)·P per layer. Any wrong index or missing term is off by a whole path product.

    Returns (the bound, Σ paths |product|, the logits' error bound err(z_L))."""
    a, ea = np.asarray(x, dtype=np.float64), np.zeros(len(x))
    acts, errs, derivs, derr = [a], [ea], [], []
    ez = ea
    for k, (W, b) in enumerate(weights):
        z = W @ a + b
        ez = (W.shape[1] + 1) * (np.abs(W) @ np.abs(a) + np.abs(b)) + np.abs(W) @ ea
        if k < len(activations):
            f, df = FUNCTIONS[activations[k]]
            a = f(z)
            ea = ez + np.abs(a)
            d = df(z, a)
            derivs.append(np.abs(d))
            derr.append(ez + np.abs(d) if activations[k] in SMOOTH else np.zeros_like(d))
            acts.append(a)
            errs.append(ea)
    P, E = np.abs(np.asarray(dz)), 4 * (ez + 1)
    for k in range(len(weights) - 1, layer, -1):
        W = np.abs(weights[k][0])
        up_P, up_E = W.T @ P, W.T @ E
        P, E = up_P * derivs[k - 1], up_E * derivs[k - 1] + up_P * derr[k - 1]
        E = E + (W.shape[0] + 1) * P
    a_in, e_in = (1.0, 0.0) if frm == -1 else (abs(acts[layer][frm]), errs[layer][frm])
    return float(E[to] * a_in + P[to] * e_in + 2 * P[to] * a_in), float(P[to] * a_in), ez


def all_indices(weights):
    for k, (W, _) in enumerate(weights):
        for to in range(W.shape[0]):
            for frm in range(-1, W.shape[1]):
                yield k, to, frm


@pytest.mark.parametrize("name, sizes, activations, head, loss, target", NETS,
                         ids=[n[0] for n in NETS])
@pytest.mark.parametrize("seed", [0, 1])
def test_gradient_matches_neuralab_and_torch_for_every_weight(
        name, sizes, activations, head, loss, target, seed):
    weights = random_net(seed, sizes)
    x = np.random.default_rng(100 + seed).uniform(-6, 6, size=sizes[0])
    value_nl, grads_nl, dz_nl = engine_gradients("nl", weights, activations, head, loss, x,
                                                 target)
    value_t, grads_t, dz_t = engine_gradients("torch", weights, activations, head, loss, x,
                                              target)
    checked = 0
    for k, to, frm in all_indices(weights):
        view = backprop_path(weights, activations, head, loss, x, target, k, to, frm)
        bound, magnitude, z_error = error_bound(weights, activations, x, dz_t, k, to, frm)
        where = f"{name}: W[{k}][{to},{frm}]"
        for grads in (grads_nl, grads_t):
            expected = grads[k][1][to] if frm == -1 else grads[k][0][to, frm]
            assert_close(view["gradient"], expected, scale=bound, err_msg=where)
        # enumerating the paths gives the same number
        assert view["sum_of_paths"] is not None
        # the listed sum adds `paths` products of ≤ 2·depth + 2 factors each
        assert_close(view["sum_of_paths"], view["gradient"],
                     scale=bound + (view["paths"] + 2 * len(sizes)) * magnitude, err_msg=where)
        assert view["paths"] == math.prod(sizes[k + 2:])
        assert view["weight"] == (weights[k][1][to] if frm == -1 else weights[k][0][to, frm])
        # δ at the logits is autograd's ∂L/∂z
        # ŷ − t and the mse forms: slopes ≤ 2 in z, and |ŷ|, |t| ≤ 1
        assert_close(np.array(view["delta"][-1]), dz_t, scale=4 * (z_error + 1))
        assert len(view["delta"]) == len(weights) - k
        checked += 1
    assert checked == sum(o * (i + 1) for i, o in zip(sizes[:-1], sizes[1:]))
    # log-sum-exp, softplus and mse all have slope ≤ 2 in z; a few roundings of size |L| + 1
    for value in (value_t, value_nl):
        assert_close(view["loss"], value, scale=2 * z_error.max() + 4 * (abs(value) + 1))


def _path_products(weights, activations, head, loss, x, target, layer, to, frm):
    """Every path's product, by brute force from the forward pass in this test (not the view)."""
    base = backprop_path(weights, activations, head, loss, x, target, len(weights) - 1, 0, -1)
    zs = [np.array(z) for z in base["forward"]["z"]]
    acts = [np.array(a) for a in base["forward"]["a"]]
    deriv = {"tanh": lambda z, a: 1 - a * a, "sigmoid": lambda z, a: a * (1 - a),
             "relu": lambda z, a: (z > 0) * 1.0, "leaky_relu": lambda z, a: np.where(z > 0, 1, .01),
             "linear": lambda z, a: np.ones_like(z)}
    derivs = [deriv[n](zs[k], acts[k + 1]) for k, n in enumerate(activations)]
    dz = np.array(base["delta"][-1])  # checked against autograd above
    a_in = 1.0 if frm == -1 else acts[layer][frm]
    products = {}
    for rest in itertools.product(*(range(n) for n in (W.shape[0] for W, _ in
                                                       weights[layer + 1:]))):
        chain = (to, *rest)
        p = dz[chain[-1]] * a_in
        for i in range(len(chain) - 1):
            k = layer + 1 + i
            p *= weights[k][0][chain[i + 1], chain[i]] * derivs[k - 1][chain[i]]
        products[chain] = p
    return products


@pytest.mark.parametrize("name, sizes, activations, head, loss, target", NETS,
                         ids=[n[0] for n in NETS])
def test_largest_path_is_the_largest_and_its_factors_multiply(
        name, sizes, activations, head, loss, target):
    weights = random_net(7, sizes)
    x = np.random.default_rng(8).uniform(-6, 6, size=sizes[0])
    for k, to, frm in all_indices(weights):
        view = backprop_path(weights, activations, head, loss, x, target, k, to, frm)
        products = _path_products(weights, activations, head, loss, x, target, k, to, frm)
        assert len(products) == view["paths"]
        largest = max(abs(p) for p in products.values())
        # the same factors multiplied in another order: ≤ one rounding per factor
        steps = len(view["path"])
        assert_close(abs(view["path_product"]), largest, scale=largest, terms=steps)
        assert math.prod(f["value"] for f in view["path"]) == view["path_product"]
        # loss (+ head), then a weight and an activation per layer above, then the input
        head_count = 2 if (loss == "mse" and head != "softmax") else 1
        assert len(view["path"]) == head_count + 2 * (len(weights) - 1 - k) + 1
        last = view["path"][-1]
        assert last["kind"] == "input" and last["layer"] == k and last["unit"] == frm
        chain_units = [f["unit"] for f in view["path"] if f["kind"] == "activation"][::-1]
        chain = (to, *chain_units[1:], view["path"][0]["unit"]) if chain_units else (to,)
        if chain_units:
            assert chain_units[0] == to
        assert_close(view["path_product"], products[chain], scale=abs(products[chain]),
                     terms=steps)


def test_single_hidden_layer_single_output_has_one_path_per_first_layer_weight():
    weights = random_net(3, [2, 3, 1])
    x = np.array([1.5, -2.0])
    view = backprop_path(weights, ["tanh"], "sigmoid", "cross_entropy", x, 1, 0, 1, 0)
    assert view["paths"] == 1
    assert_close(view["path_product"], view["gradient"], scale=abs(view["gradient"]), terms=8)
    # the factors, by hand: ∂L/∂z₂ = σ(z₂) − 1, w = W₁[0, 1], tanh′(z₁₁), a₀₀ = x₀
    z1 = weights[0][0] @ x + weights[0][1]
    a1 = np.tanh(z1)
    z2 = float(weights[1][0][0] @ a1 + weights[1][1][0])
    zmag = 1 + max(float((np.abs(weights[0][0]) @ np.abs(x)).max()) + 1, abs(z2)) * 3
    expected = [("∂L/∂z₂₀ = ŷ − t", 1 / (1 + math.exp(-z2)) - 1),
                ("∂z₂₀/∂a₁₁ = w", weights[1][0][0, 1]),
                ("∂a₁₁/∂z₁₁ = tanh′", 1 - a1[1] ** 2),
                ("∂z₁₁/∂w = a₀₀", 1.5)]
    assert [f["symbol"] for f in view["path"]] == [s for s, _ in expected]
    for f, (_, value) in zip(view["path"], expected):
        # every factor has slope ≤ 1 in z, whose rounding is ≤ 3 roundings of size zmag
        assert_close(f["value"], value, scale=abs(value) + zmag, terms=3)
    assert [(f["layer"], f["unit"]) for f in view["path"]] == [(2, 0), (1, 1), (1, 1), (0, 0)]
    assert view["forward"]["a"][0] == [1.5, -2.0]
    assert_close(np.array(view["forward"]["z"][0]), z1,
                 scale=np.abs(weights[0][0]) @ np.abs(x) + np.abs(weights[0][1]), terms=3)


def test_bias_gradient_is_delta_and_its_path_ends_in_one():
    weights = random_net(4, [2, 4, 4, 3])
    x = np.array([0.5, 3.0])
    view = backprop_path(weights, ["tanh", "tanh"], "softmax", "cross_entropy", x, 1, 1, 2, -1)
    assert view["gradient"] == view["delta"][0][2]
    assert view["weight"] == weights[1][1][2]
    assert view["path"][-1] == {"symbol": "∂z₂₂/∂b = 1", "value": 1.0, "layer": 1, "unit": -1,
                                "kind": "input"}
    assert view["paths"] == 3
    # the server sends it as it is
    assert json.loads(json.dumps(view)) == view


def test_paths_count_is_the_product_of_the_widths_above_and_large_counts_skip_the_sum():
    weights = random_net(5, [2, 8, 25, 25, 25, 1])
    acts = ["tanh"] * 4
    x = np.array([0.3, -0.8])
    view = backprop_path(weights, acts, "sigmoid", "cross_entropy", x, 0, 0, 3, 1)
    assert view["paths"] == 25 ** 3
    assert view["sum_of_paths"] is None  # 15 625 > 10 000: not listed
    # the largest path is still found (dynamic programming), and still a real path
    assert math.prod(f["value"] for f in view["path"]) == view["path_product"]
    assert len(view["path"]) == 1 + 2 * 4 + 1
    assert backprop_path(weights, acts, "sigmoid", "cross_entropy", x, 0, 2, 3, 1)["paths"] == 25
    assert backprop_path(weights, acts, "sigmoid", "cross_entropy", x, 0, 1, 0, 0)["paths"] == 625


def test_backprop_path_rejects_bad_indices_and_inputs():
    weights = random_net(6, [2, 3, 1])
    args = (weights, ["tanh"], "sigmoid", "cross_entropy", [1.0, 2.0], 1)
    for layer, to, frm, word in [(2, 0, 0, "layer"), (-1, 0, 0, "layer"), (0, 3, 0, "to"),
                                 (1, 1, 0, "to"), (0, 0, 2, "frm"), (0, 0, -2, "frm"),
                                 (1, 0, 3, "frm"), (True, 0, 0, "layer"), (0, 0.5, 0, "to")]:
        with pytest.raises(ValueError, match=f"^{word}: "):
            backprop_path(*args, layer, to, frm)
    with pytest.raises(ValueError, match="^x: expected 2"):
        backprop_path(weights, ["tanh"], "sigmoid", "cross_entropy", [1.0], 1, 0, 0, 0)
    with pytest.raises(ValueError, match="^target: expected a class label 0..1, got 2"):
        backprop_path(weights, ["tanh"], "sigmoid", "cross_entropy", [1.0, 2.0], 2, 0, 0, 0)
    with pytest.raises(ValueError, match="^activations: expected 1 names"):
        backprop_path(weights, [], "sigmoid", "cross_entropy", [1.0, 2.0], 1, 0, 0, 0)
    with pytest.raises(ValueError, match="^activations\\[0\\]: expected one of"):
        backprop_path(weights, ["gelu"], "sigmoid", "cross_entropy", [1.0, 2.0], 1, 0, 0, 0)
    with pytest.raises(ValueError, match="^head: expected one of"):
        backprop_path(weights, ["tanh"], "relu", "cross_entropy", [1.0, 2.0], 1, 0, 0, 0)
    with pytest.raises(ValueError, match="^loss: expected 'mse' with the identity head"):
        backprop_path(weights, ["tanh"], "identity", "cross_entropy", [1.0, 2.0], 1, 0, 0, 0)
    with pytest.raises(ValueError, match="^head: 'softmax' expects at least 2 outputs, got 1"):
        backprop_path(weights, ["tanh"], "softmax", "cross_entropy", [1.0, 2.0], 0, 0, 0, 0)
    bad = [weights[0], (np.ones((1, 4)), np.zeros(1))]
    with pytest.raises(ValueError, match="^weights\\[1\\]: expected W with 3 inputs"):
        backprop_path(bad, ["tanh"], "sigmoid", "cross_entropy", [1.0, 2.0], 1, 0, 0, 0)


def _manual_hidden(weights, activations, features, layer):
    """A plain forward pass to hidden layer ``layer`` (independent of views.py)."""
    f = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0),
         "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
         "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z), "linear": lambda z: z}
    h = features
    for k in range(layer + 1):
        W, b = weights[k]
        h = f[activations[k]](h @ W.T + b)
    return h


def featurize(p: np.ndarray) -> np.ndarray:
    """x1, x2, x1·x2, sin x1 (some of the playground's features)."""
    return np.column_stack([p[:, 0], p[:, 1], p[:, 0] * p[:, 1], np.sin(p[:, 0])])


def test_hidden_view_points_equal_a_manual_forward_pass():
    weights = random_net(9, [4, 5, 3, 1])
    acts = ["relu", "tanh"]
    raw = np.random.default_rng(10).uniform(-6, 6, size=(40, 2))
    for layer, a, b in [(0, 4, 1), (1, 2, 0), (1, 0, 1)]:
        view = hidden_view(weights, acts, featurize, layer, a, b, raw)
        expected = _manual_hidden(weights, acts, featurize(raw), layer)[:, [a, b]]
        assert view["points"].dtype == np.float32 and view["points"].shape == (40, 2)
        # float32 rounding of values computed in float64 from sums of ≤ 5 terms
        magnitude = np.abs(_manual_hidden([(np.abs(W), np.abs(c)) for W, c in weights],
                                          ["linear"] * 2, np.abs(featurize(raw)), layer))
        assert_close(view["points"], expected, scale=magnitude[:, [a, b]] + np.abs(expected),
                     terms=2, dtype=np.float32)
        assert (view["layer"], view["a"], view["b"]) == (layer, a, b)


def test_hidden_view_lines_are_the_images_of_the_grid_lines():
    weights = random_net(11, [4, 3, 2])
    acts = ["tanh"]
    view = hidden_view(weights, acts, featurize, 0, 2, 0, np.zeros((0, 2)), lines=5, samples=7)
    assert view["lines"].shape == (10, 7, 2) and view["lines"].dtype == np.float32
    assert (view["line_count"], view["line_samples"]) == (10, 7)
    assert view["points"].shape == (0, 2)
    c = [-6.0, -3.0, 0.0, 3.0, 6.0]
    s = np.linspace(-6, 6, 7)
    for i in range(10):
        raw = (np.column_stack([np.full(7, c[i]), s]) if i < 5
               else np.column_stack([s, np.full(7, c[i - 5])]))
        expected = np.tanh(featurize(raw) @ weights[0][0].T + weights[0][1])[:, [2, 0]]
        # tanh ≤ 1 in size: float32 rounding of a float64 value
        assert_close(view["lines"][i], expected, scale=1.0, terms=2, dtype=np.float32,
                     err_msg=f"line {i}")
    default = hidden_view(weights, acts, featurize, 0, 0, 1, np.ones((3, 2)))
    assert default["lines"].shape == (22, 49, 2)


def test_hidden_view_rejects_bad_indices():
    weights = random_net(12, [4, 3, 1, 2])
    acts = ["tanh", "relu"]
    pts = np.zeros((2, 2))
    for layer, a, b, word in [(2, 0, 1, "layer"), (-1, 0, 1, "layer"), (0, 3, 1, "a"),
                              (0, 0, 3, "b"), (0, 1, 1, "b"), (1, 0, 1, "b"), (0, -1, 1, "a")]:
        with pytest.raises(ValueError, match=f"^{word}: "):
            hidden_view(weights, acts, featurize, layer, a, b, pts)
    # a single-unit layer: a == b == 0 is the only choice
    view = hidden_view(weights, acts, featurize, 1, 0, 0, pts)
    assert np.array_equal(view["points"][:, 0], view["points"][:, 1])
    with pytest.raises(ValueError, match="^layer: the network has no hidden layer"):
        hidden_view(random_net(1, [4, 2]), [], featurize, 0, 0, 1, pts)
    with pytest.raises(ValueError, match="^points: expected shape"):
        hidden_view(weights, acts, featurize, 0, 0, 1, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="^lines: expected 2..101"):
        hidden_view(weights, acts, featurize, 0, 0, 1, pts, lines=1000)
    with pytest.raises(ValueError, match="^featurize: expected an output of shape"):
        hidden_view(weights, acts, lambda p: p, 0, 0, 1, pts)
