"""Two teaching views of a small MLP, computed from its weights in float64 NumPy.

The network is a list of ``(W, b)`` pairs in ``nn.Linear``'s layout (W of shape (out, in)) with
one activation per hidden layer. Numbering layers 0 (the input features) to L (the logits):

    a₀ = x,   zₖ₊₁ = Wₖ·aₖ + bₖ,   aₖ = fₖ(zₖ) for hidden layers,   ŷ = head(z_L)

``backprop_path`` (claim S16) shows that ∂L/∂w for one weight is the sum, over every path from
that weight up to the loss, of the product of the local derivatives along the path (the chain
rule in a layered graph); the backprop recursion δₖ = (Wₖᵀ·δₖ₊₁) ⊙ fₖ′(zₖ) computes that sum
without listing the paths.

``hidden_view`` (claim S15, as ConvNetJS's classify2d shows) maps the plane through the network
up to one hidden layer and plots two of its units against each other: the grid lines bend, and
a data set the input space cannot split by a line often becomes linearly separable there.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["ACTIVATIONS", "HEADS", "LOSSES", "MAX_ENUMERATED_PATHS", "backprop_path",
           "hidden_view"]

ACTIVATIONS = ("tanh", "relu", "leaky_relu", "sigmoid", "linear")
HEADS = ("sigmoid", "softmax", "identity")
LOSSES = ("cross_entropy", "mse")

# Paths are listed one by one (to show Σ paths == gradient) only up to this many; beyond it the
# count still comes exactly, and the largest path by dynamic programming.
MAX_ENUMERATED_PATHS = 10_000

# Bounds on hidden_view's grid (the page asks for 11 × 49): keeps a bad request from allocating.
MAX_LINES = 101
MAX_SAMPLES = 1001
# Raw 2-D points hidden_view maps at once (train + test sets are at most 2000).
MAX_POINTS = 100_000

LEAKY_SLOPE = 0.01  # torch.nn.LeakyReLU's default negative_slope

_DERIVATIVE_SYMBOL = {"tanh": "tanh′", "relu": "relu′", "leaky_relu": "leaky_relu′",
                      "sigmoid": "σ′", "linear": "1"}
_SUB = str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋")


def _sub(*indices: int) -> str:
    """Subscript digits for (layer, unit): "₃₀"; separated by a comma once one has two digits."""
    parts = [str(i).translate(_SUB) for i in indices]
    return ("," if any(len(p) > 1 for p in parts) else "").join(parts)


def _activate(name: str, z: np.ndarray) -> np.ndarray:
    """f(z) for a hidden layer's activation."""
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, LEAKY_SLOPE * z)
    if name == "sigmoid":
        return _sigmoid(z)
    return z.copy()  # linear


def _activation_derivative(name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """f′(z); at z = 0 ReLU's is 0 and leaky ReLU's the slope, as torch's backward takes them."""
    if name == "tanh":
        return 1.0 - a * a
    if name == "relu":
        return (z > 0).astype(np.float64)
    if name == "leaky_relu":
        return np.where(z > 0, 1.0, LEAKY_SLOPE)
    if name == "sigmoid":
        return a * (1.0 - a)
    return np.ones_like(z)  # linear


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1/(1 + e^−z), written so that neither branch overflows."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softmax(z: np.ndarray) -> np.ndarray:
    """softmax(z)ᵢ = e^(zᵢ − max z) / Σⱼ e^(zⱼ − max z)."""
    e = np.exp(z - z.max())
    return e / e.sum()


def _check_network(weights: Sequence[Any], activations: Sequence[str]
                   ) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (W, b) pairs as float64 arrays, after checking that their shapes chain."""
    if not isinstance(weights, (list, tuple)) or len(weights) == 0:
        raise ValueError(f"weights: expected a non-empty list of (W, b) pairs, got {weights!r}")
    layers: list[tuple[np.ndarray, np.ndarray]] = []
    for k, pair in enumerate(weights):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError(f"weights[{k}]: expected a (W, b) pair, got {type(pair).__name__}")
        W = np.asarray(pair[0], dtype=np.float64)
        b = np.asarray(pair[1], dtype=np.float64)
        if W.ndim != 2 or W.shape[0] == 0 or W.shape[1] == 0:
            raise ValueError(f"weights[{k}]: expected W of shape (out, in), got {W.shape}")
        if b.shape != (W.shape[0],):
            raise ValueError(f"weights[{k}]: expected b of shape ({W.shape[0]},), got {b.shape}")
        if k > 0 and W.shape[1] != layers[-1][0].shape[0]:
            raise ValueError(f"weights[{k}]: expected W with {layers[-1][0].shape[0]} inputs "
                             f"(the previous layer's outputs), got {W.shape[1]}")
        if not (np.isfinite(W).all() and np.isfinite(b).all()):
            raise ValueError(f"weights[{k}]: expected finite values, got inf or nan")
        layers.append((W, b))
    if len(activations) != len(layers) - 1:
        raise ValueError(f"activations: expected {len(layers) - 1} names (one per hidden layer), "
                         f"got {len(activations)}")
    for k, name in enumerate(activations):
        if name not in ACTIVATIONS:
            raise ValueError(f"activations[{k}]: expected one of {', '.join(ACTIVATIONS)}, "
                             f"got {name!r}")
    return layers


def _check_index(name: str, value: Any, size: int, low: int = 0) -> int:
    """An int in [low, size), else a ValueError naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name}: expected an integer, got {value!r}")
    if not low <= int(value) < size:
        raise ValueError(f"{name}: expected {low}..{size - 1}, got {int(value)}")
    return int(value)


def _forward(layers: list[tuple[np.ndarray, np.ndarray]], activations: Sequence[str],
             x: np.ndarray, depth: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Pre-activations z₁…z_depth and activations a₀…a_depth (a₀ = x) for a batch of rows x.

    Hidden layers apply their activation; z_L (the logits) is left as it is, a_L = z_L."""
    zs: list[np.ndarray] = []
    acts = [x]
    for k in range(depth):
        W, b = layers[k]
        z = acts[-1] @ W.T + b
        zs.append(z)
        acts.append(_activate(activations[k], z) if k < len(layers) - 1 else z)
    return zs, acts


def _head_and_loss(head: str, loss: str, z: np.ndarray, target: Any
                   ) -> tuple[np.ndarray, float, list[dict[str, Any]], np.ndarray]:
    """ŷ = head(z), the loss L, and δ_L = ∂L/∂z with the local factors that give it.

    Returns (ŷ, L, factors, δ_L) where ``factors[o]`` lists the head and loss factors of an
    output unit o (from the loss down), whose product is δ_L[o]:

    - cross entropy: one factor ∂L/∂z = ŷ − t (binary: BCEWithLogits, L = log(1 + e^z) − t·z;
      K classes: L = logsumexp(z) − z_t), the usual stable simplification;
    - mse with an elementwise head (sigmoid, identity): L = mean((ŷ − t)²), factors
      ∂L/∂ŷₒ = 2(ŷₒ − tₒ)/O and ∂ŷₒ/∂zₒ = σ′ or 1;
    - mse after softmax: every ŷₘ depends on every z, so the head and loss form one node with
      ∂L/∂zₒ = Σₘ 2(ŷₘ − tₘ)/K · ŷₘ(δₘₒ − ŷₒ) (keeping one path per output unit).
    """
    size = z.shape[0]
    if head not in HEADS:
        raise ValueError(f"head: expected one of {', '.join(HEADS)}, got {head!r}")
    if loss not in LOSSES:
        raise ValueError(f"loss: expected one of {', '.join(LOSSES)}, got {loss!r}")
    if head == "identity" and loss != "mse":
        raise ValueError(f"loss: expected 'mse' with the identity head (regression), got {loss!r}")
    if head == "sigmoid" and size != 1:
        raise ValueError(f"head: 'sigmoid' (binary) expects 1 output, got {size}")
    if head == "softmax" and size < 2:
        raise ValueError(f"head: 'softmax' expects at least 2 outputs, got {size}")

    label = 0
    if head == "identity":
        t = np.asarray(target, dtype=np.float64).reshape(-1)
        if t.size == 1 and size > 1:
            t = np.full(size, t[0])
        if t.shape != (size,) or not np.isfinite(t).all():
            raise ValueError(f"target: expected a finite value (or {size} of them), "
                             f"got {target!r}")
    else:
        # a class label: 0/1 for the sigmoid head, 0..K-1 for softmax
        classes = 2 if head == "sigmoid" else size
        if isinstance(target, (bool, np.bool_)) or not (
                isinstance(target, (int, np.integer))
                or (isinstance(target, (float, np.floating)) and float(target).is_integer())):
            raise ValueError(f"target: expected a class label 0..{classes - 1}, got {target!r}")
        label = int(target)
        if not 0 <= label < classes:
            raise ValueError(f"target: expected a class label 0..{classes - 1}, got {label}")
        t = np.array([float(label)]) if head == "sigmoid" else np.eye(size)[label]

    if head == "sigmoid":
        y = _sigmoid(z)
    elif head == "softmax":
        y = _softmax(z)
    else:
        y = z.copy()

    factors: list[list[dict[str, Any]]] = [[] for _ in range(size)]
    if loss == "cross_entropy":
        if head == "sigmoid":
            # log(1 + e^z) − t·z, stable for either sign of z
            value = float(np.maximum(z[0], 0.0) - z[0] * t[0] + np.log1p(np.exp(-abs(z[0]))))
        else:
            m = z.max()
            value = float(m + np.log(np.exp(z - m).sum()) - z[label])
        delta = y - t
        for o in range(size):
            factors[o].append({"kind": "loss", "symbol": "ŷ − t", "value": float(delta[o]),
                               "unit": o})
        return y, value, factors, delta

    value = float(np.mean((y - t) ** 2))
    dL_dy = 2.0 * (y - t) / size
    if head == "softmax":
        # Jacobian ∂ŷₘ/∂zₒ = ŷₘ(δₘₒ − ŷₒ), applied to ∂L/∂ŷ
        delta = y * (dL_dy - float(dL_dy @ y))
        for o in range(size):
            factors[o].append({"kind": "loss", "symbol": "Σₘ ∂L/∂ŷₘ·∂ŷₘ/∂z",
                               "value": float(delta[o]), "unit": o})
        return y, value, factors, delta
    dy_dz = y * (1.0 - y) if head == "sigmoid" else np.ones_like(y)
    for o in range(size):
        factors[o].append({"kind": "loss", "symbol": "∂L/∂ŷ", "value": float(dL_dy[o]),
                           "unit": o})
        factors[o].append({"kind": "head", "symbol": "σ′" if head == "sigmoid" else "1",
                           "value": float(dy_dz[o]), "unit": o})
    return y, value, factors, dL_dy * dy_dz


def backprop_path(weights: Sequence[Any], activations: Sequence[str], head: str, loss: str,
                  x: Any, target: Any, layer: int, to: int, frm: int) -> dict[str, Any]:
    """The backprop step view (claim S16) for ONE example x and its target.

    For the weight w = W[layer][to, frm] (frm = -1: the bias b[layer][to]), with m = layer + 1:

        ∂L/∂w = δₘ[to] · aₗₐᵧₑᵣ[frm]  (bias: δₘ[to]),   δ_L = ∂L/∂z_L,
        δₖ = (Wₖᵀ·δₖ₊₁) ⊙ fₖ′(zₖ)

    and equally the sum over every path w → zₘ,to → aₘ,to → zₘ₊₁,j → … → z_L,o → L of the
    product of the local derivatives on it. There are Π widths of layers m+1..L paths.

    Returns a JSON-able dict:

    - "gradient": ∂L/∂w by the δ recursion;
    - "paths": the number of paths (an int);
    - "path": the path with the largest |product| (found by dynamic programming, whatever the
      count), a list of factors from the loss down to w, each ``{"symbol", "value", "layer",
      "unit", "kind"}``: ``layer``/``unit`` name the node the factor differentiates by (the
      lower end of the step, layers numbered 0 = inputs … L = logits; unit -1 for the bias);
      ``kind`` is "loss", "head", "weight" (∂z/∂a = w), "activation" (∂a/∂z = f′) or "input"
      (∂z/∂w = a, or 1 for a bias);
    - "path_product": the product of that path's factors;
    - "sum_of_paths": Σ over all paths of their products (== gradient up to rounding), listed
      one by one when there are at most ``MAX_ENUMERATED_PATHS`` paths, else None;
    - "delta": δ for layers m..L (delta[0] is ∂L/∂z at Linear ``layer``'s output), lists;
    - "forward": {"z": [z₁ … z_L], "a": [a₀ = x, a₁ … a_{L-1}, ŷ]} as lists;
    - "loss": the example's loss; "weight": w's value.
    """
    layers = _check_network(weights, activations)
    n_linear = len(layers)
    layer = _check_index("layer", layer, n_linear)
    W_l, b_l = layers[layer]
    to = _check_index("to", to, W_l.shape[0])
    frm = _check_index("frm", frm, W_l.shape[1], low=-1)
    xv = np.asarray(x, dtype=np.float64).reshape(-1)
    if xv.shape != (layers[0][0].shape[1],) or not np.isfinite(xv).all():
        raise ValueError(f"x: expected {layers[0][0].shape[1]} finite features, got {x!r}")

    zs, acts = _forward(layers, activations, xv, n_linear)
    y, loss_value, head_factors, delta_out = _head_and_loss(head, loss, zs[-1], target)
    top = n_linear  # the logits' layer number L

    # δ recursion, from the logits down to layer m = layer + 1; deltas[k] is δ at layer k + 1
    derivs = [_activation_derivative(activations[k], zs[k], acts[k + 1])
              for k in range(n_linear - 1)]
    deltas: dict[int, np.ndarray] = {top: delta_out}
    for k in range(top - 1, layer, -1):
        deltas[k] = (layers[k][0].T @ deltas[k + 1]) * derivs[k - 1]
    m = layer + 1
    a_in = 1.0 if frm == -1 else float(acts[layer][frm])
    gradient = float(deltas[m][to] * a_in)

    # A path picks one unit in each layer m+1..L. Its product is
    #   loss factors[o] · Πₖ W_{k-1}[jₖ, jₖ₋₁] · f′(z_{k-1}[jₖ₋₁]) · a_in  (j_m = to).
    # best[k][j]: the largest |partial product| from the loss down to z_k,j, and the choice.
    widths = [layers[k][0].shape[0] for k in range(n_linear)]  # width of layer k + 1
    count = math.prod(widths[m:])  # layers m+1..L
    loss_mag = np.array([abs(math.prod(f["value"] for f in fs)) for fs in head_factors])
    best = {top: loss_mag}
    choice: dict[int, np.ndarray] = {}
    for k in range(top - 1, m - 1, -1):
        # reaching z_k,i from z_{k+1},j: × W_k[j, i] × f′(z_k,i)
        cand = best[k + 1][:, None] * np.abs(layers[k][0]) * np.abs(derivs[k - 1])[None, :]
        choice[k] = np.argmax(cand, axis=0)
        best[k] = cand[choice[k], np.arange(cand.shape[1])]
    units = [to]
    for k in range(m, top):
        units.append(int(choice[k][units[-1]]))  # units[i] is the unit in layer m + i

    path: list[dict[str, Any]] = []
    for f in head_factors[units[-1]]:
        if f["kind"] == "loss":
            if f["symbol"] == "∂L/∂ŷ":
                symbol = "∂L/∂ŷ" + _sub(units[-1])
            else:
                symbol = f"∂L/∂z{_sub(top, units[-1])} = {f['symbol']}"
        else:
            symbol = f"∂ŷ{_sub(units[-1])}/∂z{_sub(top, units[-1])} = {f['symbol']}"
        path.append({"symbol": symbol, "value": f["value"], "layer": top, "unit": units[-1],
                     "kind": f["kind"]})
    for k in range(top, m, -1):
        j, i = units[k - m], units[k - 1 - m]
        path.append({"symbol": f"∂z{_sub(k, j)}/∂a{_sub(k - 1, i)} = w",
                     "value": float(layers[k - 1][0][j, i]), "layer": k - 1, "unit": i,
                     "kind": "weight"})
        path.append({"symbol": f"∂a{_sub(k - 1, i)}/∂z{_sub(k - 1, i)} = "
                               f"{_DERIVATIVE_SYMBOL[activations[k - 2]]}",
                     "value": float(derivs[k - 2][i]), "layer": k - 1, "unit": i,
                     "kind": "activation"})
    if frm == -1:
        path.append({"symbol": f"∂z{_sub(m, to)}/∂b = 1", "value": 1.0, "layer": layer,
                     "unit": -1, "kind": "input"})
    else:
        path.append({"symbol": f"∂z{_sub(m, to)}/∂w = a{_sub(layer, frm)}", "value": a_in,
                     "layer": layer, "unit": frm, "kind": "input"})
    path_product = math.prod(f["value"] for f in path)

    sum_of_paths: float | None = None
    if count <= MAX_ENUMERATED_PATHS:
        # each path's product, one by one (the point of the view: their sum is the gradient)
        loss_factor = [math.prod(f["value"] for f in fs) for fs in head_factors]
        total = 0.0
        for rest in itertools.product(*(range(w) for w in widths[m:])):
            chain = (to, *rest)  # units in layers m..L
            product = loss_factor[chain[-1]] * a_in
            for k in range(m, top):
                i, j = chain[k - m], chain[k - m + 1]
                product *= layers[k][0][j, i] * derivs[k - 1][i]
            total += float(product)
        sum_of_paths = total

    return {
        "gradient": gradient,
        "paths": count,
        "path": path,
        "path_product": float(path_product),
        "sum_of_paths": sum_of_paths,
        "delta": [deltas[k].tolist() for k in range(m, top + 1)],
        "forward": {"z": [z.tolist() for z in zs],
                    "a": [a.tolist() for a in acts[:-1]] + [y.tolist()]},
        "loss": loss_value,
        "weight": float(b_l[to] if frm == -1 else W_l[to, frm]),
    }


def hidden_view(weights: Sequence[Any], activations: Sequence[str],
                featurize: Callable[[np.ndarray], np.ndarray], layer: int, a: int, b: int,
                points: Any, lines: int = 11, samples: int = 49) -> dict[str, Any]:
    """The plane as hidden layer ``layer`` sees it (claim S15): units a and b against each other.

    With h(p) = a_{layer+1}(featurize(p)) (after the activation; layer 0 = the first hidden
    layer), returns

    - "points": (n, 2) float32, (h(p)[a], h(p)[b]) for each raw point p of ``points`` (n, 2);
    - "lines": (2·lines, samples, 2) float32, the images of the grid lines: line i < lines is
      x1 = cᵢ, line lines + i is x2 = cᵢ, with c = linspace(-6, 6, lines), each sampled at
      ``samples`` points evenly spaced over [-6, 6] along the line;
    - "layer", "a", "b", "line_count" (= 2·lines), "line_samples" (= samples).

    ``a`` and ``b`` must differ unless the layer has a single unit (then a = b = 0).
    """
    layers = _check_network(weights, activations)
    hidden = len(layers) - 1
    if hidden == 0:
        raise ValueError("layer: the network has no hidden layer to view")
    layer = _check_index("layer", layer, hidden)
    width = layers[layer][0].shape[0]
    a = _check_index("a", a, width)
    b = _check_index("b", b, width)
    if a == b and width > 1:
        raise ValueError(f"b: expected a unit other than a = {a} (the layer has {width} units), "
                         f"got {b}")
    lines = _check_index("lines", lines, MAX_LINES + 1, low=2)
    samples = _check_index("samples", samples, MAX_SAMPLES + 1, low=2)
    raw = np.asarray(points, dtype=np.float64)
    if raw.ndim != 2 or raw.shape[1] != 2 or raw.shape[0] > MAX_POINTS:
        raise ValueError(f"points: expected shape (n, 2) with n ≤ {MAX_POINTS}, got {raw.shape}")

    c = np.linspace(-6.0, 6.0, lines)
    s = np.linspace(-6.0, 6.0, samples)
    vertical = np.stack(np.broadcast_arrays(c[:, None], s[None, :]), axis=-1)  # x1 = cᵢ
    horizontal = np.stack(np.broadcast_arrays(s[None, :], c[:, None]), axis=-1)  # x2 = cᵢ
    grid = np.concatenate([vertical, horizontal]).reshape(-1, 2)

    def image(p: np.ndarray) -> np.ndarray:
        features = np.asarray(featurize(p), dtype=np.float64)
        fan_in = layers[0][0].shape[1]
        if features.shape != (p.shape[0], fan_in):
            raise ValueError(f"featurize: expected an output of shape ({p.shape[0]}, {fan_in}), "
                             f"got {features.shape}")
        h = _forward(layers, activations, features, layer + 1)[1][-1]
        return h[:, [a, b]]

    return {
        "layer": layer, "a": a, "b": b,
        "points": image(raw).astype(np.float32),
        "lines": image(grid).reshape(2 * lines, samples, 2).astype(np.float32),
        "line_count": 2 * lines, "line_samples": samples,
    }
