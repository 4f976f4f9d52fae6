"""Model files keep the activations area's layers: save / load round trips with the same
settings, reprs and outputs, and every setting read back is validated."""

from __future__ import annotations

import json

import numpy as np
import pytest

import neuralab as nl
from neuralab import nn
from neuralab.io import ModelFileError, load, save
from neuralab.io.model_file import registered_modules

ARCH = "neuralab.architecture"

LAYERS = [
    nn.GELU(), nn.GELU("tanh"), nn.SiLU(), nn.SiLU(inplace=True), nn.ELU(), nn.ELU(0.5, True),
    nn.ELU(2), nn.SELU(), nn.SELU(True), nn.CELU(), nn.CELU(1.5, True), nn.Softplus(),
    nn.Softplus(2, 1.5), nn.Softplus(beta=0.5, threshold=3.0), nn.Softsign(), nn.Mish(),
    nn.Mish(True), nn.ReLU6(), nn.ReLU6(True), nn.Hardtanh(), nn.Hardtanh(-2, 3, True),
    nn.Hardtanh(-0.5, 2.5), nn.Hardsigmoid(), nn.Hardsigmoid(True), nn.Hardswish(),
    nn.Hardswish(True), nn.LogSigmoid(), nn.PReLU(), nn.PReLU(4, 0.1),
    nn.PReLU(4, dtype=nl.float64), nn.Softmin(1), nn.Softmin(), nn.GLU(), nn.GLU(1),
]


def _settings(module: nn.Module) -> dict:
    return {k: v for k, v in vars(module).items() if not k.startswith("_") and k != "training"}


@pytest.mark.parametrize("module", LAYERS, ids=repr)
def test_round_trip(tmp_path, module):
    path = str(tmp_path / "m.safetensors")
    if isinstance(module, nn.PReLU):
        with nl.no_grad():
            module.weight.copy_(nl.tensor(np.linspace(-0.3, 0.7, module.num_parameters)))
    model = nn.Sequential(module)
    save(model, path)
    loaded = load(path)[0]
    assert type(loaded) is type(module)
    assert repr(loaded) == repr(module)
    assert _settings(loaded) == _settings(module)
    x = np.random.default_rng(0).uniform(-5, 5, (2, 4, 6))
    if isinstance(module, nn.PReLU):
        x = x.astype(module.weight.dtype)
        np.testing.assert_array_equal(loaded.weight.detach().numpy(),
                                      module.weight.detach().numpy())
    if isinstance(module, nn.Softmin) and module.dim is None:
        with pytest.warns(UserWarning):
            expected, got = module(nl.tensor(x)), loaded(nl.tensor(x))
    else:
        expected, got = module(nl.tensor(x)), loaded(nl.tensor(x))
    np.testing.assert_array_equal(got.detach().numpy(), expected.detach().numpy())


def test_every_activation_is_registered():
    names = registered_modules()
    for cls in (nn.GELU, nn.SiLU, nn.ELU, nn.SELU, nn.CELU, nn.Softplus, nn.Softsign, nn.Mish,
                nn.ReLU6, nn.Hardtanh, nn.Hardsigmoid, nn.Hardswish, nn.LogSigmoid, nn.PReLU,
                nn.Softmin, nn.GLU):
        assert names[cls.__name__] is cls


@pytest.fixture
def model_file(tmp_path) -> str:
    path = str(tmp_path / "m.safetensors")
    save(nn.Sequential(nn.GELU()), path)
    return path


def _with_layer(path: str, layer: dict) -> None:
    from neuralab.io import load_tensors, save_tensors

    tensors, meta = load_tensors(path)
    meta = dict(meta)
    meta[ARCH] = json.dumps({"type": "Sequential", "children": [layer]})
    if layer.get("type") != "PReLU":
        tensors = {}
    save_tensors(path, tensors, meta)


@pytest.mark.parametrize("layer, pattern", [
    ({"type": "GELU", "approximate": "fast"}, "'approximate' must be 'none' or 'tanh'"),
    ({"type": "GELU"}, "missing setting 'approximate'"),
    ({"type": "ELU", "alpha": "1"}, "'alpha' must be a finite number"),
    ({"type": "ELU", "alpha": True}, "'alpha' must be a finite number"),
    ({"type": "CELU", "alpha": 0}, "'alpha' must not be 0"),
    ({"type": "SiLU", "inplace": 1}, "'inplace' must be true or false"),
    ({"type": "Softplus", "beta": 1.0}, "missing setting 'threshold'"),
    ({"type": "Hardtanh", "min_val": 1, "max_val": 1}, "max_val .* must be greater"),
    ({"type": "ReLU6", "min_val": 0}, "unexpected setting.*'min_val'"),
    ({"type": "Softmin", "dim": "1"}, "'dim' must be an integer"),
    ({"type": "GLU", "dim": None}, "'dim' must be an integer"),
    ({"type": "Softsign", "alpha": 1.0}, "unexpected setting.*'alpha'"),
    ({"type": "PReLU", "num_parameters": 0, "init": 0.25, "dtype": "float32"},
     "'num_parameters' must be an integer"),
    ({"type": "PReLU", "num_parameters": 1, "init": 0.25}, "missing setting 'dtype'"),
])
def test_bad_settings(model_file, layer, pattern):
    _with_layer(model_file, layer)
    with pytest.raises(ModelFileError, match=pattern):
        load(model_file)


def test_prelu_weights_must_match_the_file(tmp_path):
    path = str(tmp_path / "m.safetensors")
    save(nn.Sequential(nn.PReLU(3)), path)
    _with_layer(path, {"type": "PReLU", "num_parameters": 4, "init": 0.25, "dtype": "float32"})
    with pytest.raises(ModelFileError, match="do not match"):
        load(path)
