"""``neuralab.onnx.export`` on whole models: every ready-made model, a seeded sweep of random
architectures (with BatchNorm statistics from real training steps), opsets, argument checks,
modes and atomicity."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _onnx_check import TOLERANCE, export_and_compare  # noqa: E402

import neuralab as nl  # noqa: E402
import neuralab.onnx as nl_onnx  # noqa: E402
from neuralab import nn  # noqa: E402
from neuralab.models import build_model  # noqa: E402


def _train_steps(model: Any, shape: tuple[int, ...], classes: int, steps: int,
                 rng: np.random.Generator) -> None:
    """A few SGD steps on random data, so BatchNorm's running statistics move away from
    (0, 1) and the weights away from their initialisation."""
    optimizer = nl.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for _ in range(steps):
        x = nl.tensor((rng.standard_normal((16, *shape)) * 2 + 0.5).astype(np.float32))
        y = nl.tensor(rng.integers(0, classes, 16))
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()


@pytest.mark.parametrize("name,shape", [("mlp", (64,)), ("cnn", (1, 28, 28)),
                                        ("cnn-bn", (1, 28, 28)), ("lenet", (1, 28, 28))])
def test_every_ready_made_model(tmp_path: Path, name: str, shape: tuple[int, ...]) -> None:
    nl.manual_seed(3)
    model = build_model(name, shape, 10)
    _train_steps(model, shape, 10, 2, np.random.default_rng(4))
    if name == "cnn-bn":  # the statistics really moved
        assert not np.allclose(model[1].running_var.numpy(), 1, atol=0.05)
    export_and_compare(model, np.zeros((2, *shape), np.float32), tmp_path / f"{name}.onnx")
    assert model.training  # the mode is restored


ACTS = [nn.ReLU, nn.Tanh, nn.Sigmoid, nn.GELU, nn.SiLU, nn.ELU, nn.LeakyReLU, nn.Hardswish,
        nn.SELU, nn.Softplus, nn.Mish, nn.CELU]


def _random_cnn(rng: np.random.Generator) -> tuple[Any, tuple[int, ...]]:
    """Conv blocks (kernel 1-5, stride 1-2, padding 0-2, BatchNorm or not, a pool or not),
    then Flatten and an MLP head of random depth and width."""
    channels, side = int(rng.integers(1, 4)), int(rng.integers(10, 17))
    shape, layers, c, h, w = (channels, side, side + 3), [], channels, side, side + 3
    for _ in range(int(rng.integers(1, 4))):
        out, k = int(rng.integers(2, 7)), int(rng.integers(1, 6))
        stride, pad = int(rng.integers(1, 3)), int(rng.integers(0, min(k, 3)))
        if (h + 2 * pad - k) // stride + 1 < 2 or (w + 2 * pad - k) // stride + 1 < 2:
            continue
        layers.append(nn.Conv2d(c, out, k, stride=stride, padding=pad))
        c, h, w = out, (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
        if rng.random() < 0.6:
            layers.append(nn.BatchNorm2d(c))
        layers.append(ACTS[rng.integers(len(ACTS))]())
        pool = int(rng.integers(0, 4))
        if pool and min(h, w) >= 4:
            k2 = int(rng.integers(2, 4))
            layers.append([nn.MaxPool2d(k2), nn.AvgPool2d(k2, padding=1),
                           nn.AdaptiveAvgPool2d((3, 2))][pool - 1])
            h, w = ((h // k2, w // k2) if pool == 1 else
                    ((h + 2 - k2) // k2 + 1, (w + 2 - k2) // k2 + 1) if pool == 2 else (3, 2))
    layers.append(nn.Flatten())
    width = c * h * w
    for _ in range(int(rng.integers(0, 3))):
        size = int(rng.integers(4, 40))
        layers += [nn.Linear(width, size), nn.BatchNorm1d(size), ACTS[rng.integers(len(ACTS))](),
                   nn.Dropout(0.3)]
        width = size
    layers.append(nn.Linear(width, 5))
    return nn.Sequential(*layers), shape


def _random_mlp(rng: np.random.Generator) -> tuple[Any, tuple[int, ...]]:
    width = int(rng.integers(3, 50))
    shape, layers = (width,), []
    for _ in range(int(rng.integers(1, 6))):
        size = int(rng.integers(1, 64))
        block = [nn.Linear(width, size), ACTS[rng.integers(len(ACTS))]()]
        if rng.random() < 0.5:
            block.insert(1, nn.BatchNorm1d(size) if rng.random() < 0.5 else nn.LayerNorm(size))
        layers.append(nn.Sequential(*block) if rng.random() < 0.5 else block[0])
        layers += [] if isinstance(layers[-1], nn.Sequential) else block[1:]
        width = size
    layers.append(nn.Linear(width, 5))
    return nn.Sequential(*layers), shape


@pytest.mark.parametrize("seed", range(16))
def test_random_architectures(tmp_path: Path, seed: int) -> None:
    rng = np.random.default_rng(1000 + seed)
    nl.manual_seed(seed)
    model, shape = (_random_cnn if seed % 2 else _random_mlp)(rng)
    _train_steps(model, shape, 5, 3, rng)
    export_and_compare(model, np.zeros((1, *shape), np.float32), tmp_path / "r.onnx",
                       seed=seed)


def test_opset_21_and_the_opset_sensitive_operators(tmp_path: Path) -> None:
    """ReduceMax (axes input from 18), Split, Resize, Pad and Slice at both ends of the range."""
    nl.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1, padding_mode="reflect"),
                          nn.AdaptiveMaxPool2d((3, 4)), nn.Upsample(size=(5, 7)),
                          nn.Conv2d(4, 4, 3, padding=1, padding_mode="circular"),
                          nn.Flatten(), nn.GLU(), nn.Linear(70, 3))
    example = np.zeros((2, 2, 7, 9), np.float32)
    for opset in (nl_onnx.MIN_OPSET, nl_onnx.MAX_OPSET):
        path = tmp_path / f"m{opset}.onnx"
        export_and_compare(model, example, path, opset=opset)
        assert onnx.load(str(path)).opset_import[0].version == opset


def test_the_file_names_its_weights_like_the_state_dict(tmp_path: Path) -> None:
    nl.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Sequential(nn.Linear(4, 2)))
    nl_onnx.export(model, np.zeros((1, 3), np.float32), tmp_path / "m.onnx")
    proto = onnx.load(str(tmp_path / "m.onnx"))
    weights = {t.name: onnx.numpy_helper.to_array(t) for t in proto.graph.initializer}
    assert set(weights) == {"0.weight", "0.bias", "2.0.weight", "2.0.bias"}
    np.testing.assert_array_equal(weights["2.0.weight"], model[2][0].weight.detach().numpy())
    assert [o.name for o in proto.graph.output] == ["output"]
    out_dims = proto.graph.output[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in out_dims] == ["N", 2]


def test_modes_are_restored_even_when_mixed(tmp_path: Path) -> None:
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.9), nn.BatchNorm1d(3))
    model.train()
    model[2].eval()
    x = np.ones((4, 3), np.float32)
    nl_onnx.export(model, x, tmp_path / "m.onnx")
    assert [m.training for m in model.modules()] == [True, True, True, False]
    # Dropout(0.9) was the identity in the export: the graph matches eval-mode neuralab.
    export_and_compare(model, x, tmp_path / "m2.onnx")


class _Custom(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inner = nn.Linear(2, 2)

    def forward(self, x: Any) -> Any:
        return self.inner(x) * 2


def test_an_unknown_module_is_named_with_its_path(tmp_path: Path) -> None:
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), _Custom()))
    with pytest.raises(nl_onnx.UnsupportedLayerError, match=r"^1\.1 \(_Custom\): cannot be "):
        nl_onnx.export(model, np.zeros((1, 2), np.float32), tmp_path / "m.onnx")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kwargs,match", [
    ({"opset": 16}, r"^opset: expected an integer from 17 to 21, got 16$"),
    ({"opset": 22}, r"^opset: .* got 22$"),
    ({"opset": True}, r"^opset: .* got True$"),
    ({"opset": 17.0}, r"^opset: .* got 17\.0$"),
    ({"example_input": [[1.0, 2.0]]}, r"^example_input: expected a neuralab Tensor or a NumPy "),
    ({"example_input": np.zeros((0, 2), np.float32)}, r"^example_input: .* got shape \(0, 2\)"),
    ({"example_input": np.float32(1)}, r"^example_input: expected a neuralab Tensor"),
    ({"example_input": np.zeros((), np.float32)}, r"^example_input: .* got shape \(\)$"),
    ({"example_input": np.zeros((1, 2), np.float64)}, r"^example_input: expected float32 .*"
                                                      r"got float64$"),
    ({"example_input": np.zeros((1, 3), np.float32)}, r"^0 \(Linear\): the example input does "
                                                      r"not fit this layer: .*\(\*, 2\)"),
    ({"model": "net"}, r"^model: expected a neuralab Module, got str$"),
    ({"path": 3}, r"^path: expected a file path, got int$"),
    ({"path": ""}, r"^path: expected a file path, got ''$"),
])
def test_arguments_are_checked(tmp_path: Path, kwargs: dict, match: str) -> None:
    arguments = {"model": nn.Sequential(nn.Linear(2, 2)),
                 "example_input": np.zeros((1, 2), np.float32), "path": tmp_path / "m.onnx",
                 **kwargs}
    with pytest.raises(ValueError, match=match):
        nl_onnx.export(**arguments)
    assert not (tmp_path / "m.onnx").exists()


def test_paths_folders_and_dtypes(tmp_path: Path) -> None:
    model = nn.Sequential(nn.Linear(2, 2))
    x = np.zeros((1, 2), np.float32)
    with pytest.raises(ValueError, match=r"^path: .* \(a directory\)$"):
        nl_onnx.export(model, x, tmp_path)
    with pytest.raises(ValueError, match=r"^path: the folder .*nowhere.* does not exist$"):
        nl_onnx.export(model, x, tmp_path / "nowhere" / "m.onnx")
    with pytest.raises(ValueError, match=r"^model: .*'0\.weight' is float64; .*model\.float"):
        nl_onnx.export(nn.Sequential(nn.Linear(2, 2, dtype=np.float64)), x, tmp_path / "m.onnx")
    # A Tensor works as the example, and a str path too.
    nl_onnx.export(model, nl.tensor(x), str(tmp_path / "t.onnx"))
    assert onnx.load(str(tmp_path / "t.onnx")).graph.input[0].name == "input"
    assert TOLERANCE == 1e-5
