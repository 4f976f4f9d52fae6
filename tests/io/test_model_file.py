"""Model files: neuralab.io.save / load (safetensors weights + JSON architecture)."""

from __future__ import annotations

import json
import os
from collections import OrderedDict

import numpy as np
import pytest
from _tolerance import assert_normwise_close

import neuralab as nl
from neuralab import nn
from neuralab.io import (
    ModelFileError,
    ModuleConfig,
    load,
    load_tensors,
    read_metadata,
    register_module,
    registered_modules,
    save,
    save_tensors,
)
from neuralab.io import model_file as model_file_module

ARCH = "neuralab.architecture"


def every_layer_model(dtype=np.float32) -> nn.Sequential:
    """One of each built-in module type, nested, on (N, 2, 3) inputs."""
    return nn.Sequential(
        nn.Flatten(1, -1),
        nn.Linear(6, 8, dtype=dtype),
        nn.LeakyReLU(0.3),
        nn.Sequential(nn.Linear(8, 8, bias=False, dtype=dtype), nn.Tanh(), nn.Identity()),
        nn.Dropout(0.25),
        nn.Linear(8, 5, dtype=dtype),
        nn.Sigmoid(),
        nn.Linear(5, 4, dtype=dtype),
        nn.ReLU(),
        nn.Softmax(dim=1),
        nn.LogSoftmax(dim=-1),
        nn.Step(),
    )


def rewrite(path, *, architecture=None, tensors=None, metadata=None) -> None:
    """Re-save a model file with some parts replaced (architecture: dict or raw text)."""
    old_tensors, old_metadata = load_tensors(path)
    meta = dict(old_metadata if metadata is None else metadata)
    if architecture is not None:
        meta[ARCH] = architecture if isinstance(architecture, str) else json.dumps(architecture)
    save_tensors(path, old_tensors if tensors is None else tensors, meta)


@pytest.fixture
def mlp_file(tmp_path) -> str:
    nl.manual_seed(0)
    path = str(tmp_path / "mlp.safetensors")
    save(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)), path)
    return path


@pytest.fixture
def clean_registry(monkeypatch):
    """Registrations made by a test are dropped afterwards."""
    monkeypatch.setattr(model_file_module, "_BY_NAME", dict(model_file_module._BY_NAME))
    monkeypatch.setattr(model_file_module, "_BY_CLASS", dict(model_file_module._BY_CLASS))


# ------------------------------------------------------------------------------ round trips
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_gives_identical_outputs(tmp_path, dtype):
    nl.manual_seed(1)
    model = every_layer_model(dtype)
    path = tmp_path / "model.safetensors"
    save(model, path)
    loaded = load(path)

    assert repr(loaded) == repr(model)
    assert [type(m) for m in loaded.modules()] == [type(m) for m in model.modules()]
    for key, array in model.state_dict().items():
        assert loaded.state_dict()[key].dtype == np.dtype(dtype)
        np.testing.assert_array_equal(loaded.state_dict()[key], array)
    x = nl.tensor(np.random.default_rng(2).normal(size=(7, 2, 3)).astype(dtype))
    model.eval()
    np.testing.assert_array_equal(loaded(x).data, model(x).data)


def test_settings_are_restored_and_model_is_in_eval_mode(tmp_path):
    model = every_layer_model()
    save(model, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    assert not any(m.training for m in loaded.modules())
    assert (loaded[0].start_dim, loaded[0].end_dim) == (1, -1)
    assert loaded[2].negative_slope == 0.3
    assert loaded[3][0].bias is None and "3.0.bias" not in loaded.state_dict()
    assert loaded[4].p == 0.25
    assert loaded[9].dim == 1 and type(loaded[9]) is nn.Softmax
    assert loaded[10].dim == -1 and type(loaded[10]) is nn.LogSoftmax


def test_named_children_and_empty_containers_round_trip(tmp_path):
    model = nn.Sequential(OrderedDict([
        ("encoder", nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.Tanh())]))),
        ("empty", nn.Sequential()),
        ("head", nn.Linear(3, 1)),
    ]))
    save(model, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    assert list(loaded.state_dict()) == list(model.state_dict())
    assert list(loaded.state_dict()) == ["encoder.fc.weight", "encoder.fc.bias", "head.weight",
                                         "head.bias"]
    architecture = json.loads(read_raw_metadata(tmp_path / "m.safetensors")[ARCH])
    assert architecture["names"] == ["encoder", "empty", "head"]
    x = nl.randn(4, 2)
    np.testing.assert_array_equal(loaded(x).data, model(x).data)


def test_parameterless_model_and_shared_activation(tmp_path):
    act = nn.ReLU()
    model = nn.Sequential(nn.Linear(2, 2), act, nn.Linear(2, 2), act)
    save(model, tmp_path / "m.safetensors")
    x = nl.randn(3, 2)
    np.testing.assert_array_equal(load(tmp_path / "m.safetensors")(x).data, model(x).data)
    save(nn.Sequential(nn.Tanh()), tmp_path / "tanh.safetensors")
    assert type(load(tmp_path / "tanh.safetensors")[0]) is nn.Tanh


def test_a_shared_module_is_written_in_every_slot(tmp_path):
    """named_children() lists a shared module once (as torch); the file needs every slot."""
    act = nn.LeakyReLU(0.2)
    model = nn.Sequential(OrderedDict([("a", act), ("fc", nn.Linear(2, 2)), ("b", act)]))
    assert [name for name, _ in model.named_children()] == ["a", "fc"]
    save(model, tmp_path / "m.safetensors")
    architecture = json.loads(read_raw_metadata(tmp_path / "m.safetensors")[ARCH])
    assert architecture["names"] == ["a", "fc", "b"]
    assert architecture["children"][2] == {"type": "LeakyReLU", "negative_slope": 0.2}
    loaded = load(tmp_path / "m.safetensors")
    assert loaded.b.negative_slope == 0.2 and loaded.a is not loaded.b
    x = nl.randn(3, 2)
    np.testing.assert_array_equal(loaded(x).detach().numpy(), model(x).detach().numpy())


def test_non_persistent_buffers_are_not_taken_for_tied_weights(tmp_path, clean_registry):
    class Scaled(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.register_buffer("scale", nl.full((2,), 3.0), persistent=False)

        def forward(self, x):
            return self.fc(x) * self.scale

    def from_config(cfg: ModuleConfig) -> Scaled:
        module = Scaled()
        module.fc = dict(cfg.children())["fc"]
        return module

    register_module(Scaled, None, from_config)
    model = Scaled()
    save(model, tmp_path / "m.safetensors")
    assert set(load_tensors(tmp_path / "m.safetensors")[0]) == {"fc.bias", "fc.weight"}
    x = nl.randn(3, 2)
    np.testing.assert_array_equal(load(tmp_path / "m.safetensors")(x).detach().numpy(),
                                  model(x).detach().numpy())


def test_files_without_the_newer_settings_load_with_torchs_defaults(tmp_path, mlp_file):
    """Files written before inplace=, BatchNorm's bias= and Softmax's dim=None existed."""
    assert load(mlp_file)[1].inplace is False
    rewrite(mlp_file, architecture={"type": "Sequential", "children": [
        {"type": "Linear", "in_features": 3, "out_features": 4, "bias": True,
         "dtype": "float32"},
        {"type": "Dropout", "p": 0.5},
        {"type": "Linear", "in_features": 4, "out_features": 2, "bias": True,
         "dtype": "float32"}]})
    assert load(mlp_file)[1].inplace is False
    path = tmp_path / "bn.safetensors"
    save(nn.BatchNorm1d(2), path)
    loaded = load(path)
    assert loaded.bias is not None and "bias" in loaded.state_dict()


def test_save_and_load_leave_the_global_rng_alone(tmp_path):
    model = nn.Sequential(nn.Linear(50, 50), nn.Linear(50, 3))
    nl.manual_seed(123)
    expected = nl.randn(5).data
    nl.manual_seed(123)
    save(model, tmp_path / "m.safetensors")
    load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(nl.randn(5).data, expected)


def test_the_file_format_is_documented(mlp_file):
    metadata = read_raw_metadata(mlp_file)
    assert metadata["neuralab.format_version"] == "1"
    assert metadata["neuralab.version"] == nl.__version__
    assert json.loads(metadata[ARCH]) == {"type": "Sequential", "children": [
        {"type": "Linear", "in_features": 3, "out_features": 4, "bias": True,
         "dtype": "float32"},
        {"type": "ReLU"},
        {"type": "Linear", "in_features": 4, "out_features": 2, "bias": True,
         "dtype": "float32"},
    ]}


def read_raw_metadata(path) -> dict[str, str]:
    return load_tensors(path)[1]


# ------------------------------------------------------------------------------ user metadata
def test_user_metadata(tmp_path, mlp_file):
    path = tmp_path / "m.safetensors"
    model = load(mlp_file)
    save(model, path, metadata={"classes": json.dumps(["cat", "dog"]), "note": "hi"})
    assert read_metadata(path) == {"classes": '["cat", "dog"]', "note": "hi"}
    assert read_metadata(mlp_file) == {}
    with pytest.raises(ValueError, match="reserved"):
        save(model, path, metadata={"neuralab.architecture": "{}"})
    with pytest.raises(TypeError, match="strings to strings"):
        save(model, path, metadata={"epochs": 3})  # type: ignore[dict-item]
    assert read_metadata(path)["note"] == "hi"  # the failed saves changed nothing


# ------------------------------------------------------------------------------ other tools
def test_weights_load_in_safetensors_numpy(mlp_file):
    import safetensors.numpy

    model = load(mlp_file)
    arrays = safetensors.numpy.load_file(mlp_file)
    assert set(arrays) == set(model.state_dict())
    for key, array in model.state_dict().items():
        assert arrays[key].dtype == array.dtype
        np.testing.assert_array_equal(arrays[key], array)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_weights_load_into_the_equivalent_torch_model(tmp_path, dtype):
    torch = pytest.importorskip("torch")
    import safetensors.torch

    nl.manual_seed(3)
    model = nn.Sequential(nn.Linear(5, 7, dtype=dtype), nn.Tanh(),
                          nn.Sequential(nn.Linear(7, 6, bias=False, dtype=dtype), nn.ReLU()),
                          nn.Linear(6, 3, dtype=dtype), nn.LogSoftmax(dim=1))
    path = tmp_path / "m.safetensors"
    save(model, path)
    torch_dtype = {np.float32: torch.float32, np.float64: torch.float64}[dtype]
    twin = torch.nn.Sequential(
        torch.nn.Linear(5, 7), torch.nn.Tanh(),
        torch.nn.Sequential(torch.nn.Linear(7, 6, bias=False), torch.nn.ReLU()),
        torch.nn.Linear(6, 3), torch.nn.LogSoftmax(dim=1)).to(torch_dtype)
    result = twin.load_state_dict(safetensors.torch.load_file(path), strict=True)
    assert not result.missing_keys and not result.unexpected_keys

    x = np.random.default_rng(4).normal(size=(9, 5)).astype(dtype)
    with torch.no_grad():
        expected = twin(torch.from_numpy(x)).numpy()
    got = model(nl.tensor(x)).data
    assert got.dtype == expected.dtype
    # fan-ins 5, 7 and 6, then log-sum-exp over 3 classes
    assert_normwise_close(got, expected, terms=5 + 7 + 6 + 3 + 2, dtype=dtype)


# ------------------------------------------------------------------------------ save errors
def test_unregistered_module_type_is_refused(tmp_path):
    class Scale(nn.Module):
        def forward(self, x):
            return x * 2

    class MyLinear(nn.Linear):  # a subclass may behave differently: not saved as Linear
        pass

    path = tmp_path / "m.safetensors"
    for model, name, layer in [(nn.Sequential(nn.Linear(2, 2), Scale()), "Scale", "'1'"),
                               (MyLinear(2, 2), "MyLinear", "the model")]:
        with pytest.raises(TypeError) as info:
            save(model, path)
        message = str(info.value)
        assert name in message and layer in message
        assert "cannot be serialised" in message and "state_dict()" in message
    assert not path.exists()


def test_tied_weights_are_refused(tmp_path):
    first, second = nn.Linear(3, 3), nn.Linear(3, 3)
    second.weight = first.weight
    with pytest.raises(ValueError, match="shares parameters"):
        save(nn.Sequential(first, second), tmp_path / "m.safetensors")
    layer = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="shares parameters"):
        save(nn.Sequential(layer, nn.ReLU(), layer), tmp_path / "m.safetensors")


def test_parameter_added_after_construction_is_caught_at_save(tmp_path):
    model = nn.Sequential(nn.Linear(2, 2))
    model[0].scale = nn.Parameter(np.ones(2, dtype=np.float32))
    with pytest.raises(ValueError, match="does not reproduce.*0.scale"):
        save(model, tmp_path / "m.safetensors")


def test_unusable_settings_and_missing_directory_are_reported(tmp_path):
    layer = nn.LeakyReLU()
    layer.negative_slope = None
    with pytest.raises(TypeError, match="layer '0'.*LeakyReLU settings"):
        save(nn.Sequential(layer), tmp_path / "m.safetensors")
    with pytest.raises(FileNotFoundError) as info:
        save(nn.Sequential(nn.ReLU()), tmp_path / "no" / "m.safetensors")
    assert info.value.filename == str(tmp_path / "no" / "m.safetensors")


def test_failed_save_leaves_the_previous_file(tmp_path, mlp_file):
    before = open(mlp_file, "rb").read()

    class Unknown(nn.Module):
        pass

    with pytest.raises(TypeError):
        save(nn.Sequential(nn.Linear(1, 1), Unknown()), mlp_file)
    assert open(mlp_file, "rb").read() == before
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]


# ------------------------------------------------------------------------------ load errors
def test_missing_file(tmp_path):
    with pytest.raises(ModelFileError, match="no such file") as info:
        load(tmp_path / "missing.safetensors")
    assert "missing.safetensors" in str(info.value)


def test_plain_safetensors_file_is_not_a_model(tmp_path):
    path = str(tmp_path / "plain.safetensors")
    save_tensors(path, {"weight": np.ones((2, 2), dtype=np.float32)})
    with pytest.raises(ModelFileError, match="not a neuralab model file") as info:
        load(path)
    assert path in str(info.value) and "valid safetensors file" in str(info.value)
    assert read_metadata(path) == {}


@pytest.mark.parametrize("cut", [3, 30, -200, -1])
def test_truncated_model_file(mlp_file, tmp_path, cut):
    content = open(mlp_file, "rb").read()
    path = tmp_path / "cut.safetensors"
    path.write_bytes(content[:cut])
    with pytest.raises(ModelFileError, match="too short|truncated") as info:
        load(path)
    assert str(path) in str(info.value)


def test_huge_header_length(mlp_file, tmp_path):
    content = open(mlp_file, "rb").read()
    path = tmp_path / "huge.safetensors"
    path.write_bytes(b"\xff" * 8 + content[8:])
    with pytest.raises(ModelFileError, match="header length"):
        load(path)


@pytest.mark.parametrize("text", ['{"type": "Sequential", "children": [', "", "NaN", "[1,"])
def test_broken_architecture_json(mlp_file, text):
    rewrite(mlp_file, architecture=text)
    with pytest.raises(ModelFileError, match="'neuralab.architecture' metadata is not valid JSON"):
        load(mlp_file)


def test_format_version_from_the_future(mlp_file):
    _, metadata = load_tensors(mlp_file)
    rewrite(mlp_file, metadata={**metadata, "neuralab.format_version": "2"})
    with pytest.raises(ModelFileError, match="format version '2'"):
        load(mlp_file)


@pytest.mark.parametrize("type_name", ["os.system", "Pickle", "__import__", "eval", "Module",
                                       "neuralab.nn.Linear", "builtins.exec", None, 3])
def test_unknown_types_are_never_resolved(mlp_file, tmp_path, monkeypatch, type_name):
    calls = []
    monkeypatch.setattr(os, "system", lambda *args: calls.append(args) or 0)
    marker = tmp_path / "pwned"
    rewrite(mlp_file, architecture={"type": "Sequential", "children": [
        {"type": type_name, "command": f"touch {marker}", "args": [f"touch {marker}"]}]})
    with pytest.raises(ModelFileError, match="unknown module type") as info:
        load(mlp_file)
    assert repr(type_name) in str(info.value) and "layer '0'" in str(info.value)
    assert calls == [] and not marker.exists()


@pytest.mark.parametrize("layer, pattern", [
    ({"in_features": "3"}, "'in_features' must be an integer >= 1, got '3'"),
    ({"in_features": 3.0}, "'in_features' must be an integer"),
    ({"in_features": True}, "'in_features' must be an integer"),
    ({"bias": 1}, "'bias' must be true or false"),
    ({"dtype": "object"}, "'dtype' must be one of"),
    ({"in_features": 0}, "'in_features' must be an integer >= 1, got 0"),
    ({"in_features": None}, "must be an integer"),
    ({"extra": 1}, "unexpected setting.*'extra'"),
    ({"children": [{"type": "ReLU"}]}, "unexpected setting.*'children'"),
    ({"in_features": 10**9, "out_features": 10**9}, "needs at least"),
])
def test_bad_linear_settings(mlp_file, layer, pattern):
    linear = {"type": "Linear", "in_features": 3, "out_features": 4, "bias": True,
              "dtype": "float32", **layer}
    rewrite(mlp_file, architecture={"type": "Sequential", "children": [
        linear, {"type": "ReLU"},
        {"type": "Linear", "in_features": 4, "out_features": 2, "bias": True,
         "dtype": "float32"}]})
    with pytest.raises(ModelFileError, match=pattern) as info:
        load(mlp_file)
    assert mlp_file in str(info.value) and "layer '0' (Linear)" in str(info.value)


def test_missing_setting(mlp_file):
    rewrite(mlp_file, architecture={"type": "Sequential", "children": [
        {"type": "Linear", "in_features": 3, "bias": True, "dtype": "float32"}]})
    with pytest.raises(ModelFileError, match="missing setting 'out_features'"):
        load(mlp_file)


@pytest.mark.parametrize("layer, pattern", [
    ({"type": "LeakyReLU", "negative_slope": "0.1"}, "'negative_slope' must be a finite number"),
    ({"type": "LeakyReLU", "negative_slope": False}, "'negative_slope' must be a finite number"),
    ('{"type": "LeakyReLU", "negative_slope": 1e999}', "'negative_slope' must be a finite"),
    ({"type": "Dropout", "p": 2.0}, "'p' must be a finite number from 0.0 to 1.0, got 2.0"),
    ({"type": "Softmax", "dim": [1]}, "'dim' must be an integer"),
    ({"type": "Flatten", "start_dim": 1}, "missing setting 'end_dim'"),
    ({"type": "ReLU", "negative_slope": 0.1}, "unexpected setting.*'negative_slope'"),
    ({"type": "ReLU", "inplace": "true"}, "'inplace' must be true or false, got 'true'"),
    ({"type": "LogSoftmax", "dim": "1"}, "'dim' must be an integer from -64 to 63, or null"),
    ("ReLU", "expected an object"),
])
def test_bad_settings_of_other_layers(mlp_file, layer, pattern):
    if isinstance(layer, str) and layer.startswith("{"):  # raw JSON text, beyond json.dumps
        rewrite(mlp_file, architecture=f'{{"type": "Sequential", "children": [{layer}]}}')
    else:
        rewrite(mlp_file, architecture={"type": "Sequential", "children": [layer]})
    with pytest.raises(ModelFileError, match=pattern):
        load(mlp_file)


@pytest.mark.parametrize("architecture, pattern", [
    ({"type": "Sequential", "children": {"0": {"type": "ReLU"}}}, "'children' must be a list"),
    ({"type": "Sequential", "children": [{"type": "ReLU"}], "names": ["a", "b"]}, "'names'"),
    ({"type": "Sequential", "children": [{"type": "ReLU"}] * 2, "names": ["a", "a"]}, "distinct"),
    ({"type": "Sequential", "children": [{"type": "ReLU"}], "names": ["a.b"]}, "without dots"),
    ([], "expected an object"),
])
def test_bad_container_descriptions(mlp_file, architecture, pattern):
    rewrite(mlp_file, architecture=architecture)
    with pytest.raises(ModelFileError, match=pattern):
        load(mlp_file)


def test_deeply_nested_architecture_is_refused_cleanly(mlp_file):
    deep: dict = {"type": "ReLU"}
    for _ in range(150):
        deep = {"type": "Sequential", "children": [deep]}
    rewrite(mlp_file, architecture=deep)
    with pytest.raises(ModelFileError, match="nested more than"):
        load(mlp_file)
    rewrite(mlp_file, architecture="[" * 100_000 + "]" * 100_000)
    with pytest.raises(ModelFileError):
        load(mlp_file)


def test_layer_sizes_that_do_not_match_the_tensors(mlp_file):
    rewrite(mlp_file, architecture={"type": "Sequential", "children": [
        {"type": "Linear", "in_features": 5, "out_features": 4, "bias": True, "dtype": "float32"},
        {"type": "ReLU"},
        {"type": "Linear", "in_features": 4, "out_features": 2, "bias": True,
         "dtype": "float32"}]})
    with pytest.raises(ModelFileError, match="do not match the architecture") as info:
        load(mlp_file)
    assert "'0.weight': the file has shape (4, 3) float32, the architecture needs (4, 5)" \
        in str(info.value)


def test_missing_extra_and_wrong_dtype_tensors(mlp_file):
    tensors, _ = load_tensors(mlp_file)
    tensors.pop("0.bias")
    tensors["extra"] = np.zeros(3, dtype=np.float32)
    tensors["2.weight"] = tensors["2.weight"].astype(np.float64)
    rewrite(mlp_file, tensors=tensors)
    with pytest.raises(ModelFileError) as info:
        load(mlp_file)
    message = str(info.value)
    assert "missing tensors: 0.bias" in message
    assert "unexpected tensors: extra" in message
    assert "'2.weight': the file has shape (2, 4) float64, the architecture needs (2, 4) " \
           "float32" in message


def test_bias_false_file_with_a_bias_tensor(tmp_path):
    path = tmp_path / "m.safetensors"
    save(nn.Sequential(nn.Linear(2, 2, bias=False)), path)
    tensors, _ = load_tensors(path)
    rewrite(path, tensors={**tensors, "0.bias": np.zeros(2, dtype=np.float32)})
    with pytest.raises(ModelFileError, match="unexpected tensors: 0.bias"):
        load(path)


def test_random_corruption_never_escapes_as_another_error(mlp_file, tmp_path):
    content = open(mlp_file, "rb").read()
    header_end = 8 + int.from_bytes(content[:8], "little")
    rng = np.random.default_rng(1)
    path = tmp_path / "fuzz.safetensors"
    for _ in range(200):
        corrupted = bytearray(content)
        position = int(rng.integers(0, header_end))  # the header holds the architecture
        corrupted[position] = int(rng.integers(32, 127))
        path.write_bytes(bytes(corrupted))
        try:
            model = load(path)
        except ModelFileError as error:
            assert str(path) in str(error)
        else:
            assert isinstance(model, nn.Module)


# ------------------------------------------------------------------------------ registry
class Scale(nn.Module):
    """y = factor · weight ⊙ x: a layer with a setting and a parameter."""

    def __init__(self, size: int, factor: float = 1.0) -> None:
        super().__init__()
        self.size, self.factor = size, factor
        self.weight = nn.Parameter(np.ones(size, dtype=np.float32))

    def forward(self, x):
        return x * self.weight * self.factor


def test_registering_a_new_module_type(tmp_path, clean_registry):
    def from_config(cfg: ModuleConfig) -> Scale:
        size = cfg.get_int("size")
        cfg.reserve(size)
        return Scale(size, cfg.get_float("factor"))

    register_module(Scale, lambda m: {"size": m.size, "factor": m.factor}, from_config)
    assert registered_modules()["Scale"] is Scale
    model = nn.Sequential(nn.Linear(3, 4), Scale(4, factor=2.5))
    model[1].weight.data[:] = [1, 2, 3, 4]
    save(model, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    assert type(loaded[1]) is Scale and loaded[1].factor == 2.5
    x = nl.randn(2, 3)
    np.testing.assert_array_equal(loaded(x).data, model(x).data)


def test_incomplete_registration_is_caught_at_save(tmp_path, clean_registry):
    register_module(Scale, lambda m: {"size": m.size},
                    lambda cfg: Scale(cfg.get_int("size") + 1))  # builds the wrong size
    with pytest.raises(ValueError, match="does not reproduce.*'0.weight'"):
        save(nn.Sequential(Scale(3)), tmp_path / "m.safetensors")
    assert not (tmp_path / "m.safetensors").exists()


def test_registry_name_clashes(clean_registry):
    class ReLU(nn.Module):  # a different class with a built-in's name
        pass

    with pytest.raises(ValueError, match="already used"):
        register_module(ReLU)
    register_module(ReLU, name="MyReLU")
    assert registered_modules()["MyReLU"] is ReLU
    assert registered_modules()["ReLU"] is nn.ReLU
    with pytest.raises(TypeError, match="not a Module subclass"):
        register_module(int)  # type: ignore[arg-type]
