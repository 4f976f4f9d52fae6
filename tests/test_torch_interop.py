"""nl.from_torch / nl.to_torch: every layer type both ways, the ready-made models and a seeded
sweep of random architectures round-tripped, and the layers that cannot be converted.

Two kinds of check. Weights and buffers must survive a round trip bit for bit (a copy, no
arithmetic). Outputs and gradients of the two libraries are different computations of the same
values, so they agree up to rounding: ``_tolerance.assert_normwise_close`` with ``terms`` the
total reduction length along the chain (Σ of the layers' fan-ins; for BatchNorm the number of
values its statistics sum). On top of that derived worst case, the issue's figures (float64
within 1e-10, float32 within 1e-5, relative to the output's size when it exceeds 1) must hold;
typical errors are ~√terms·eps, far below both.
"""

from __future__ import annotations

import math
import sys
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from _tolerance import assert_close

torch = pytest.importorskip("torch")

import neuralab as nl  # noqa: E402
from neuralab import nn  # noqa: E402
from neuralab.io import registered_modules  # noqa: E402
from neuralab.models import MODELS, build_model  # noqa: E402

ISSUE_TOLERANCE = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-5}
TORCH_DTYPES = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}


# ------------------------------------------------------------------------------------ helpers
def _numpy(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value.numpy(force=True))


def assert_same_state(a: Any, b: Any) -> None:
    """Same keys, dtypes and values, bit for bit."""
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for key in sa:
        x, y = _numpy(sa[key]), _numpy(sb[key])
        assert x.dtype == y.dtype, key
        assert x.shape == y.shape, key
        assert np.array_equal(x, y), key


def assert_agree(actual: Any, expected: Any, *, terms: int, dtype: np.dtype, what: str,
                 scale: float | None = None) -> None:
    """The derived bound (``_tolerance``'s normwise one: ``SAFETY · terms · eps · scale``,
    ``scale`` the size of the values summed, by default ``max|expected|``) and the issue's
    figure (relative to ``max(1, scale)``) must both hold."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    if scale is None:
        scale = float(np.abs(expected).max(initial=0.0))
    assert_close(actual, expected, scale=scale, terms=terms, dtype=dtype, err_msg=what)
    error = float(np.abs(actual.astype(np.float64) - expected.astype(np.float64)).max(initial=0))
    limit = ISSUE_TOLERANCE[np.dtype(dtype)] * max(1.0, scale)
    assert error <= limit, f"{what}: error {error:.3g} > {limit:.3g}"


def chain_terms(model: nn.Module, batch_values: int) -> int:
    """Σ of the fan-ins along the chain (the reductions each output and gradient goes
    through); ``batch_values`` bounds the values a BatchNorm or a weight gradient sums."""
    terms = 1
    for layer in model.modules():
        if isinstance(layer, nn.Linear):
            terms += layer.in_features
        elif isinstance(layer, (nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d)):
            terms += layer.in_channels // layer.groups * math.prod(layer.kernel_size)
        elif isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
            terms += math.prod(layer.kernel_size)
        elif isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm, nn.GroupNorm)):
            terms += batch_values
        elif isinstance(layer, (nn.Softmax, nn.LogSoftmax, nn.Softmin)):
            terms += 16
    return terms + batch_values  # a weight's gradient sums over the batch (and positions)


def _seeded_weights(module: Any, rng: np.random.Generator) -> None:
    """Fill a torch module's parameters and BatchNorm statistics from ``rng`` (so nothing
    depends on torch's global stream)."""
    with torch.no_grad():
        for _, param in module.named_parameters():
            param.copy_(torch.from_numpy(rng.uniform(-0.6, 0.6, param.shape)))
        for name, buffer in module.named_buffers():
            if name.endswith("running_mean"):
                buffer.copy_(torch.from_numpy(rng.normal(0.0, 0.3, buffer.shape)))
            elif name.endswith("running_var"):
                buffer.copy_(torch.from_numpy(rng.uniform(0.5, 2.0, buffer.shape)))
            elif name.endswith("num_batches_tracked"):
                buffer.fill_(int(rng.integers(1, 100)))


def _nl_seeded_weights(module: nn.Module, rng: np.random.Generator) -> None:
    state = {}
    for key, value in module.state_dict().items():
        if key.endswith("running_var"):
            state[key] = rng.uniform(0.5, 2.0, value.shape)
        elif key.endswith("num_batches_tracked"):
            state[key] = np.array(int(rng.integers(1, 100)))
        elif key.endswith("running_mean"):
            state[key] = rng.normal(0.0, 0.3, value.shape)
        else:
            state[key] = rng.uniform(-0.6, 0.6, value.shape)
    module.load_state_dict(state)


def run_both(nl_model: nn.Module, torch_model: Any, inputs: list[np.ndarray],
             rng: np.random.Generator, *, terms: int, dtype: np.dtype, what: str,
             grad_dtype: np.dtype | None = None) -> None:
    """Same outputs, then the same gradients (inputs' and parameters') of the same loss
    ``Σ output · w`` after one backward; then the same state (BatchNorm's running statistics
    move in train mode). Gradients are compared relative to the largest of them all: a
    gradient that is 0 in exact arithmetic (a bias before a train-mode BatchNorm) is a sum of
    terms of that size that cancel."""
    nl_in = [nl.tensor(x, requires_grad=x.dtype.kind == "f") for x in inputs]
    t_in = [torch.tensor(x, requires_grad=x.dtype.kind == "f") for x in inputs]
    out_nl, out_t = nl_model(*nl_in), torch_model(*t_in)
    if isinstance(out_t, tuple):  # return_indices: compare the indices exactly, use values
        assert np.array_equal(_numpy(out_nl[1]), _numpy(out_t[1])), what
        out_nl, out_t = out_nl[0], out_t[0]
    expected = _numpy(out_t)
    assert_agree(_numpy(out_nl), expected, terms=terms, dtype=dtype, what=f"{what} output")
    weight = rng.standard_normal(expected.shape).astype(expected.dtype)
    (out_nl * nl.tensor(weight)).sum().backward()
    (out_t * torch.from_numpy(weight)).sum().backward()
    pairs = []
    for (name, p_nl), (name_t, p_t) in zip(nl_model.named_parameters(),
                                           torch_model.named_parameters(), strict=True):
        assert name == name_t
        if p_t.grad is None:
            assert p_nl.grad is None, f"{what} {name}"
        else:
            pairs.append((f"grad {name}", _numpy(p_nl.grad), _numpy(p_t.grad)))
    pairs += [("input grad", _numpy(a.grad), _numpy(b.grad))
              for a, b in zip(nl_in, t_in, strict=True) if b.requires_grad]
    assert pairs or not any(p.requires_grad for p in torch_model.parameters())
    scale = max(float(np.abs(expected).max(initial=0.0)) for _, _, expected in pairs) \
        if pairs else 0.0
    for label, actual, expected in pairs:
        # a weight's gradient also sums over the batch (and positions): at most every output
        assert_agree(actual, expected, terms=terms + weight.size, dtype=grad_dtype or dtype,
                     scale=scale, what=f"{what} {label}")
    for key, value in torch_model.state_dict().items():
        if "running" in key or "num_batches" in key:
            assert_agree(_numpy(nl_model.state_dict()[key]), _numpy(value), terms=terms,
                         dtype=dtype, what=f"{what} {key}")


# ------------------------------------------------------------------------------------ layers
def _x(*shape: int) -> Callable[[np.random.Generator, np.dtype], list[np.ndarray]]:
    return lambda rng, dtype: [rng.standard_normal(shape).astype(dtype)]


def _unpool_inputs(rng: np.random.Generator, dtype: np.dtype) -> list[np.ndarray]:
    x = torch.from_numpy(rng.standard_normal((2, 3, 6, 6)).astype(dtype))
    values, indices = torch.nn.functional.max_pool2d(x, 2, return_indices=True)
    return [values.numpy(), indices.numpy()]


def _embedding_inputs(rng: np.random.Generator, dtype: np.dtype) -> list[np.ndarray]:
    return [rng.integers(0, 10, (3, 5))]


# name -> (constructor arguments, other than the defaults where the layer has any; inputs;
# reduction length of one output). Every registered layer but Step (no torch counterpart) must
# be here: test_every_layer_type_is_covered.
LAYERS: dict[str, tuple[dict[str, Any], Callable, int]] = {
    "Linear": ({"in_features": 5, "out_features": 3}, _x(4, 5), 5),
    "Conv1d": ({"in_channels": 4, "out_channels": 6, "kernel_size": 3, "stride": 2,
                "padding": 1, "groups": 2, "padding_mode": "reflect"}, _x(2, 4, 9), 6),
    "Conv2d": ({"in_channels": 4, "out_channels": 6, "kernel_size": (3, 2), "stride": (2, 1),
                "padding": 1, "dilation": (1, 2), "groups": 2, "bias": False},
               _x(2, 4, 8, 9), 12),
    "ConvTranspose2d": ({"in_channels": 4, "out_channels": 6, "kernel_size": 3, "stride": 2,
                         "padding": 1, "output_padding": 1, "groups": 2}, _x(2, 4, 5, 5), 18),
    "MaxPool2d": ({"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
                  _x(2, 3, 9, 9), 9),
    "AvgPool2d": ({"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False,
                   "divisor_override": 7}, _x(2, 3, 9, 9), 9),
    "AdaptiveAvgPool2d": ({"output_size": (3, None)}, _x(2, 3, 7, 6), 6),
    "AdaptiveMaxPool2d": ({"output_size": (2, 3), "return_indices": True}, _x(2, 3, 7, 8), 1),
    "MaxUnpool2d": ({"kernel_size": 2}, _unpool_inputs, 1),
    "Upsample": ({"scale_factor": 2.0, "mode": "bilinear", "align_corners": False},
                 _x(2, 3, 4, 5), 4),
    "BatchNorm1d": ({"num_features": 5, "eps": 1e-3, "momentum": 0.2}, _x(6, 5), 12),
    "BatchNorm2d": ({"num_features": 3, "momentum": None}, _x(4, 3, 5, 5), 200),
    "LayerNorm": ({"normalized_shape": (4, 5), "eps": 1e-4}, _x(3, 4, 5), 40),
    "GroupNorm": ({"num_groups": 2, "num_channels": 6, "eps": 1e-3}, _x(3, 6, 4, 4), 96),
    "Embedding": ({"num_embeddings": 10, "embedding_dim": 4, "padding_idx": 2},
                  _embedding_inputs, 1),
    "Dropout": ({"p": 0.3}, _x(4, 6), 1),
    "Dropout2d": ({"p": 0.3}, _x(2, 3, 4, 4), 1),
    "Flatten": ({"start_dim": 1, "end_dim": 2}, _x(2, 3, 4, 5), 1),
    "Unfold": ({"kernel_size": (2, 3), "padding": 1, "stride": 2}, _x(2, 3, 5, 6), 1),
    "Fold": ({"output_size": (4, 5), "kernel_size": 2}, _x(2, 12, 12), 4),
    "Identity": ({}, _x(3, 4), 1),
    "ReLU": ({}, _x(4, 6), 1),
    "ReLU6": ({}, lambda rng, dtype: [4 * rng.standard_normal((4, 6)).astype(dtype)], 1),
    "LeakyReLU": ({"negative_slope": 0.2}, _x(4, 6), 1),
    "Sigmoid": ({}, _x(4, 6), 1),
    "Tanh": ({}, _x(4, 6), 1),
    "Softmax": ({"dim": 1}, _x(4, 6), 6),
    "LogSoftmax": ({"dim": 1}, _x(4, 6), 6),
    "Softmin": ({"dim": 0}, _x(4, 6), 4),
    "GELU": ({"approximate": "tanh"}, _x(4, 6), 1),
    "SiLU": ({}, _x(4, 6), 1),
    "ELU": ({"alpha": 0.7}, _x(4, 6), 1),
    "SELU": ({}, _x(4, 6), 1),
    # alpha a power of 2: torch's float64 CELU backward is off by ~1e-8 otherwise (alpha=1.3)
    "CELU": ({"alpha": 2.0}, _x(4, 6), 1),
    "Softplus": ({"beta": 2, "threshold": 5}, _x(4, 6), 1),
    "Softsign": ({}, _x(4, 6), 1),
    "Mish": ({}, _x(4, 6), 1),
    "Hardtanh": ({"min_val": -2.0, "max_val": 1.5}, _x(4, 6), 1),
    "Hardsigmoid": ({}, _x(4, 6), 1),
    "Hardswish": ({}, _x(4, 6), 1),
    "LogSigmoid": ({}, _x(4, 6), 1),
    "PReLU": ({"num_parameters": 3, "init": 0.1}, _x(4, 3, 5), 1),
    "GLU": ({"dim": -1}, _x(4, 6), 1),
}
# torch's float64 Hardsigmoid backward multiplies by 1/6 rounded to float32 (relative error
# ~1e-8; test_hardsigmoid_gradient_is_exact checks ours against the formula instead).
TORCH_GRAD_PRECISION = {"Hardsigmoid": np.dtype(np.float32)}
_DTYPE_ARG = {"Linear", "Conv1d", "Conv2d", "ConvTranspose2d", "BatchNorm1d", "BatchNorm2d",
              "LayerNorm", "GroupNorm", "Embedding", "PReLU"}


def test_every_layer_type_is_covered() -> None:
    """The per-layer table names every layer neuralab has (a new layer must be added)."""
    assert set(registered_modules()) - {"Step", "Sequential"} == set(LAYERS)


def _layer(lib: Any, name: str, dtype: np.dtype) -> Any:
    kwargs = dict(LAYERS[name][0])
    if name in _DTYPE_ARG:
        kwargs["dtype"] = TORCH_DTYPES[dtype] if lib is torch.nn else dtype
    return getattr(lib, name)(**kwargs)


@pytest.mark.parametrize("dtype", [np.dtype(np.float64), np.dtype(np.float32)], ids=str)
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_from_torch(name: str, dtype: np.dtype) -> None:
    """torch layer → neuralab: same class and settings (repr), same tensors bit for bit, same
    outputs and gradients (train mode: BatchNorm's statistics move alike), and back to torch
    unchanged."""
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    source = _layer(torch.nn, name, dtype).train()
    _seeded_weights(source, rng)
    converted = nl.from_torch(source)
    assert type(converted) is getattr(nn, name)
    assert repr(converted) == repr(_layer(nn, name, dtype))  # the same settings
    assert_same_state(converted, source)
    back = nl.to_torch(converted)
    assert type(back) is type(source)
    assert_same_state(back, source)
    if name.startswith("Dropout"):  # random in train mode (different streams): eval only
        source.eval(), converted.eval()
    _, make_inputs, terms = LAYERS[name]
    run_both(converted, source, make_inputs(rng, dtype), rng, terms=terms, dtype=dtype,
             what=name, grad_dtype=TORCH_GRAD_PRECISION.get(name))


@pytest.mark.parametrize("dtype", [np.dtype(np.float64), np.dtype(np.float32)], ids=str)
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_to_torch(name: str, dtype: np.dtype) -> None:
    """neuralab layer → torch: same settings (torch's repr of the converted layer is that of a
    torch layer built with the same arguments), tensors, outputs and gradients; and back."""
    rng = np.random.default_rng(abs(hash(name)) % 2**32 + 1)
    source = _layer(nn, name, dtype)
    _nl_seeded_weights(source, rng)
    converted = nl.to_torch(source)
    assert type(converted) is getattr(torch.nn, name)
    # the settings: a torch layer built with the same arguments converts to the same layer
    assert repr(nl.from_torch(converted)) == repr(source)
    assert repr(nl.from_torch(_layer(torch.nn, name, dtype))) == repr(source)
    assert_same_state(converted, source)
    assert_same_state(nl.from_torch(converted), source)
    if name.startswith("Dropout"):
        source.eval(), converted.eval()
    _, make_inputs, terms = LAYERS[name]
    run_both(source, converted, make_inputs(rng, dtype), rng, terms=terms, dtype=dtype,
             what=name, grad_dtype=TORCH_GRAD_PRECISION.get(name))


def test_hardsigmoid_gradient_is_exact() -> None:
    """Where torch's float64 gradient is looser (above), ours is the formula's: w/6 inside
    (-3, 3), 0 outside; torch's equals w · float32(1/6) exactly."""
    rng = np.random.default_rng(16)
    x, w = 4 * rng.standard_normal(50), rng.standard_normal(50)
    layer = nl.from_torch(torch.nn.Hardsigmoid())
    inputs = nl.tensor(x, requires_grad=True)
    (layer(inputs) * nl.tensor(w)).sum().backward()
    exact = np.where(np.abs(x) < 3, w / 6, 0.0)
    assert_close(_numpy(inputs.grad), exact, scale=np.abs(exact), terms=1)
    t = torch.tensor(x, requires_grad=True)
    (torch.nn.Hardsigmoid()(t) * torch.from_numpy(w)).sum().backward()
    assert np.array_equal(t.grad.numpy(), np.where(np.abs(x) < 3, w * float(np.float32(1 / 6)),
                                                   0.0))


# ------------------------------------------------------------------------------------ models
def _model_inputs(name: str) -> tuple[tuple[int, ...], dict[str, Any]]:
    if name == "mlp":
        return (64,), {"hidden": (32, 16), "dropout": 0.2}
    return (1, 12, 12) if name == "cnn-bn" or name == "cnn" else (1, 28, 28), {}


@pytest.mark.parametrize("dtype", [np.dtype(np.float64), np.dtype(np.float32)], ids=str)
@pytest.mark.parametrize("model_name", MODELS)
def test_models_round_trip(model_name: str, dtype: np.dtype) -> None:
    """Every ready-made model: neuralab → torch → neuralab and torch → neuralab → torch keep
    every tensor bit for bit; the two libraries' outputs and gradients agree (eval mode:
    Dropout is the identity, BatchNorm uses running statistics made non-trivial by training
    steps)."""
    rng = np.random.default_rng(1500 + MODELS.index(model_name))
    shape, options = _model_inputs(model_name)
    model = build_model(model_name, shape, 10, **options).to(dtype)
    _nl_seeded_weights(model, rng)
    if model_name == "cnn-bn":  # running statistics from real batches
        with nl.no_grad():
            for _ in range(3):
                model(nl.tensor(rng.standard_normal((8, *shape)).astype(dtype)))
        assert int(model.state_dict()["1.num_batches_tracked"].item()) > 3
    model.eval()
    converted = nl.to_torch(model)
    assert_same_state(converted, model)
    assert not converted.training and not any(m.training for m in converted.modules())
    back = nl.from_torch(converted)
    assert_same_state(back, model)
    assert repr(back) == repr(model)
    x = [rng.standard_normal((5, *shape)).astype(dtype)]
    terms = chain_terms(model, 5 * math.prod(shape) * 4)
    run_both(model, converted, x, rng, terms=terms, dtype=dtype, what=model_name)
    # torch → neuralab → torch from the torch side
    again = nl.to_torch(nl.from_torch(converted))
    assert_same_state(again, converted)
    assert repr(again) == repr(converted)


def test_batchnorm_running_statistics_survive() -> None:
    """The cnn-bn model after training steps: running statistics and num_batches_tracked
    (non-trivial) are carried both ways."""
    rng = np.random.default_rng(7)
    model = build_model("cnn-bn", (1, 12, 12), 10)
    with nl.no_grad():
        for _ in range(4):
            model(nl.tensor(rng.standard_normal((6, 1, 12, 12)).astype(np.float32)))
    state = model.state_dict()
    assert int(state["1.num_batches_tracked"].item()) == 4
    assert np.abs(_numpy(state["1.running_mean"])).max() > 1e-3
    converted = nl.to_torch(model)
    assert int(converted[1].num_batches_tracked) == 4
    assert converted.training and converted[1].training
    assert np.array_equal(converted[1].running_var.numpy(), _numpy(state["1.running_var"]))


# ------------------------------------------------------------------------------------ sweep
ACTIVATIONS = ["ReLU", "LeakyReLU", "Tanh", "Sigmoid", "GELU", "SiLU", "ELU", "Softplus",
               "Hardswish", "Mish"]


def _random_architecture(rng: np.random.Generator) -> tuple[list, tuple[int, ...]]:
    """A framework-neutral description: a list of (name, kwargs) or nested (child_name, list)
    blocks, and the input shape (without the batch)."""
    if rng.random() < 0.4:  # an MLP
        width = int(rng.integers(2, 12))
        shape: tuple[int, ...] = (width,)
        layers: list = []
        for depth in range(int(rng.integers(1, 4))):
            out = int(rng.integers(1, 12))
            block = [("Linear", {"in_features": width, "out_features": out})]
            if rng.random() < 0.5:
                block.append(("BatchNorm1d", {"num_features": out}))
            block.append((str(rng.choice(ACTIVATIONS)), {}))
            if rng.random() < 0.3:
                block.append(("Dropout", {"p": 0.4}))
            layers.append((f"block{depth}", block))
            width = out
        layers.append(("Linear", {"in_features": width, "out_features": 3}))
        return layers, shape
    channels, size = int(rng.integers(1, 4)), int(rng.integers(6, 12))
    shape, layers = (channels, size, size), []
    for depth in range(int(rng.integers(1, 3))):
        out, kernel = int(rng.integers(1, 6)), int(rng.integers(1, 4))
        stride, padding = int(rng.integers(1, 3)), int(rng.integers(0, kernel // 2 + 1))
        block = [("Conv2d", {"in_channels": channels, "out_channels": out, "kernel_size": kernel,
                             "stride": stride, "padding": padding})]
        size = (size + 2 * padding - kernel) // stride + 1
        if rng.random() < 0.5:
            block.append(("BatchNorm2d", {"num_features": out}))
        block.append((str(rng.choice(ACTIVATIONS)), {}))
        pool_kernel = int(rng.integers(1, 3))
        if size >= 2 and rng.random() < 0.6:
            pool = str(rng.choice(["MaxPool2d", "AvgPool2d"]))
            pool_stride = int(rng.integers(1, 3))
            block.append((pool, {"kernel_size": pool_kernel + 1, "stride": pool_stride}))
            size = (size - pool_kernel - 1) // pool_stride + 1
        if rng.random() < 0.3:
            block.append(("Dropout2d", {"p": 0.3}))
        layers.append((f"conv{depth}", block))
        channels = out
    layers += [("Flatten", {}), ("Linear", {"in_features": channels * size * size,
                                            "out_features": 4})]
    return layers, shape


def _build(lib: Any, description: list, dtype: np.dtype) -> Any:
    """Sequential(OrderedDict) for named blocks, plain Sequential for the layers in them."""
    items: list = []
    for name, value in description:
        if isinstance(value, list):
            items.append((name, _build(lib, value, dtype)))
        else:
            kwargs = dict(value)
            if name in _DTYPE_ARG:
                kwargs["dtype"] = TORCH_DTYPES[dtype] if lib is torch.nn else dtype
            items.append((str(len(items)), getattr(lib, name)(**kwargs)))
    if all(isinstance(v, list) for _, v in description) or any(
            isinstance(v, list) for _, v in description):
        return lib.Sequential(OrderedDict(items))
    return lib.Sequential(*[module for _, module in items])


@pytest.mark.parametrize("seed", range(12))
def test_random_architectures_round_trip(seed: int) -> None:
    """A seeded sweep (depths, widths, activations, conv/pool shapes, BatchNorm with
    non-trivial running statistics, Dropout in eval mode, named nested blocks) both ways, in
    float64 and float32; models without Dropout are also compared in train mode."""
    rng = np.random.default_rng(9000 + seed)
    description, shape = _random_architecture(rng)
    dtype = np.dtype(np.float64) if seed % 2 == 0 else np.dtype(np.float32)
    has_dropout = "Dropout" in repr(description)
    train = not has_dropout and seed % 3 == 0
    batch = 6
    # torch → neuralab → torch
    source = _build(torch.nn, description, dtype).train(train)
    _seeded_weights(source, rng)
    converted = nl.from_torch(source)
    assert_same_state(converted, source)
    assert [m.training for m in converted.modules()] == [m.training for m in source.modules()]
    back = nl.to_torch(converted)
    assert_same_state(back, source)
    assert repr(converted) == repr(_build(nn, description, dtype))
    assert repr(nl.from_torch(back)) == repr(converted)
    terms = chain_terms(converted, batch * math.prod(shape) * 8)
    x = [rng.standard_normal((batch, *shape)).astype(dtype)]
    run_both(converted, source, x, rng, terms=terms, dtype=dtype, what=f"seed {seed} from")
    # neuralab → torch → neuralab
    start = _build(nn, description, dtype).train(train)
    _nl_seeded_weights(start, rng)
    there = nl.to_torch(start)
    assert_same_state(there, start)
    assert_same_state(nl.from_torch(there), start)
    assert repr(nl.from_torch(there)) == repr(start)
    run_both(start, there, x, rng, terms=terms, dtype=dtype, what=f"seed {seed} to")


# ------------------------------------------------------------------------------------ structure
def test_named_and_nested_children_keep_their_names() -> None:
    source = torch.nn.Sequential(OrderedDict(
        features=torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU()),
        flat=torch.nn.Flatten(), head=torch.nn.Linear(8, 2)))
    converted = nl.from_torch(source)
    assert [name for name, _ in converted.named_modules()] == [
        "", "features", "features.0", "features.1", "flat", "head"]
    assert list(nl.to_torch(converted).state_dict()) == list(source.state_dict())


def test_training_flags_and_requires_grad_follow_each_layer() -> None:
    source = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4),
                                 torch.nn.Linear(4, 2))
    source[1].eval()
    source[2].bias.requires_grad_(False)
    converted = nl.from_torch(source)
    assert [m.training for m in converted.modules()] == [True, True, False, True]
    assert [p.requires_grad for p in converted.parameters()] == [True] * 5 + [False]
    back = nl.to_torch(converted)
    assert [m.training for m in back.modules()] == [True, True, False, True]
    assert [p.requires_grad for p in back.parameters()] == [True] * 5 + [False]


def test_weights_are_copied_not_shared() -> None:
    source = torch.nn.Linear(3, 2)
    converted = nl.from_torch(source)
    before = source.weight.detach().clone()
    with nl.no_grad():
        converted.weight.mul_(0.0)
    assert torch.equal(source.weight.detach(), before)
    back = nl.to_torch(converted)
    with torch.no_grad():
        back.weight.fill_(3.0)
    assert float(np.abs(_numpy(converted.weight)).max()) == 0.0


def test_shared_layers_and_tied_weights_stay_shared() -> None:
    """A layer used twice is one layer after conversion; a parameter two layers share (tied
    weights) is one parameter, so its gradient sums both uses in both libraries."""
    rng = np.random.default_rng(3)
    shared, first, second = torch.nn.Linear(4, 4), torch.nn.Linear(4, 4), torch.nn.Linear(4, 4)
    second.weight = first.weight
    source = torch.nn.Sequential(shared, torch.nn.Tanh(), shared, first, second).double()
    _seeded_weights(source, rng)
    converted = nl.from_torch(source)
    assert converted[0] is converted[2]
    assert converted[3].weight is converted[4].weight
    assert converted[3].bias is not converted[4].bias
    x = [rng.standard_normal((3, 4))]
    run_both(converted, source, x, rng, terms=64, dtype=np.dtype(np.float64), what="tied")
    back = nl.to_torch(converted)
    assert back[0] is back[2] and back[3].weight is back[4].weight


def test_rng_streams_untouched() -> None:
    """Conversion draws from neither library's random stream (weights are copied in)."""
    nl.manual_seed(5)
    source = build_model("cnn-bn", (1, 12, 12), 10)
    torch_state, nl_state = torch.get_rng_state(), nl.get_rng_state()
    nl.from_torch(nl.to_torch(source))
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert nl.get_rng_state() == nl_state


def test_import_neuralab_does_not_import_torch() -> None:
    import subprocess

    code = "import sys, neuralab; neuralab.from_torch; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"


# ------------------------------------------------------------------------------------ errors
class Block(torch.nn.Module):
    def forward(self, x: Any) -> Any:
        return x


class Linear(torch.nn.Linear):  # a subclass that borrows the name
    pass


@pytest.mark.parametrize("model, label, words", [
    (torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.LSTM(4, 4)),
     "2 (LSTM)", "torch.nn.LSTM has no neuralab counterpart"),
    (torch.nn.Sequential(OrderedDict(layers=torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.MaxPool1d(2)))),
     "layers.2 (MaxPool1d)", "no neuralab counterpart"),
    (torch.nn.Sequential(torch.nn.Linear(3, 4), Block()), "1 (Block)", "custom torch Module"),
    (torch.nn.Sequential(Linear(3, 4)), "0 (Linear)", "custom torch Module"),
    (torch.nn.ModuleList([torch.nn.Linear(3, 4)]), "(top level) (ModuleList)",
     "no neuralab counterpart"),
])
def test_from_torch_unsupported_layer(model: Any, label: str, words: str) -> None:
    nl_state, torch_state = nl.get_rng_state(), torch.get_rng_state()
    with pytest.raises(TypeError) as info:
        nl.from_torch(model)
    assert str(info.value).startswith(f"from_torch: {label}: ")
    assert words in str(info.value)
    assert "Linear, " in str(info.value).split("converts", 1)[1]  # what it can convert
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert nl.get_rng_state() == nl_state


@pytest.mark.parametrize("model, label, words", [
    (torch.nn.Sequential(torch.nn.Embedding(5, 3, max_norm=1.0)), "0 (Embedding)",
     "max_norm=1.0"),
    (torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Embedding(5, 3, sparse=True)),
     "1 (Embedding)", "sparse=True"),
    (torch.nn.Sequential(torch.nn.Linear(3, 4).to(torch.bfloat16)), "0 (Linear)",
     "bfloat16"),
])
def test_from_torch_settings_neuralab_cannot_express(model: Any, label: str,
                                                     words: str) -> None:
    with pytest.raises(ValueError) as info:
        nl.from_torch(model)
    assert str(info.value).startswith(f"from_torch: {label}: ")
    assert words in str(info.value)


def test_from_torch_builds_nothing_before_checking_everything(monkeypatch: Any) -> None:
    """An unsupported layer anywhere is found before any neuralab layer is built."""
    import neuralab.interop_torch as interop

    calls: list[Any] = []
    monkeypatch.setattr(interop, "_build_neuralab", lambda *args: calls.append(args))
    with pytest.raises(TypeError, match=r"4 \(LSTM\)"):
        nl.from_torch(torch.nn.Sequential(*[torch.nn.Linear(4, 4) for _ in range(4)],
                                          torch.nn.LSTM(4, 4)))
    assert calls == []


class Custom(nn.Module):
    def forward(self, x: Any) -> Any:
        return x


class MyLinear(nn.Linear):
    pass


@pytest.mark.parametrize("model, label, words", [
    (nn.Sequential(nn.Linear(3, 4), nn.Step()), "1 (Step)", "has no PyTorch counterpart"),
    (nn.Sequential(OrderedDict(body=nn.Sequential(nn.Linear(3, 4), Custom()))),
     "body.1 (Custom)", "custom Module class"),
    (MyLinear(3, 4), "(top level) (MyLinear)", "custom Module class"),
])
def test_to_torch_unsupported_layer(model: nn.Module, label: str, words: str) -> None:
    with pytest.raises(TypeError) as info:
        nl.to_torch(model)
    assert str(info.value).startswith(f"to_torch: {label}: ")
    assert words in str(info.value)


def test_to_torch_refuses_a_tensor_added_after_construction() -> None:
    layer = nn.Linear(3, 2)
    layer.register_buffer("extra", nl.zeros(2))
    with pytest.raises(ValueError, match=r"to_torch: \(top level\) \(Linear\): its tensors"):
        nl.to_torch(layer)


def test_wrong_argument_types() -> None:
    with pytest.raises(TypeError, match="from_torch: module must be a torch.nn.Module, got "
                                        "Linear"):
        nl.from_torch(nn.Linear(2, 2))
    with pytest.raises(TypeError, match="to_torch: model must be a neuralab Module, got "
                                        "Linear"):
        nl.to_torch(torch.nn.Linear(2, 2))
