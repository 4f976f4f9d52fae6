"""S19/S20: parameter counts by formula agree with PyTorch modules; the experiment's findings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from _lab_checks import HANGUL, assert_pngs
from torch import nn as tnn

import neuralab.lab.dense_vs_cnn_lab as lab
from neuralab import Tensor, manual_seed, nn
from neuralab.lab.dense_vs_cnn_lab import (
    ALEXNET,
    DENSE_NET,
    FAMOUS,
    IMAGE,
    LENET5,
    LENET_28,
    RESNET18,
    VGG16,
    AdaptiveAvg,
    BatchNorm,
    Conv,
    Dense,
    Pool,
    Residual,
    build,
    count_parameters,
    dense_share,
    layer_table,
    run_dense_vs_cnn,
)
from neuralab.lab.registry import EXPERIMENTS


class BasicBlock(tnn.Module):
    """torchvision's ResNet basic block (a second, independent description of the same block)."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.body = tnn.Sequential(
            tnn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), tnn.BatchNorm2d(c_out), tnn.ReLU(),
            tnn.Conv2d(c_out, c_out, 3, 1, 1, bias=False), tnn.BatchNorm2d(c_out))
        self.shortcut = tnn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = tnn.Sequential(tnn.Conv2d(c_in, c_out, 1, stride, bias=False),
                                           tnn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


def to_torch(layers: tuple, c: int) -> tnn.Sequential:
    """The same layers as PyTorch modules on the meta device (shapes only, no memory)."""
    modules: list[tnn.Module] = []
    flat = None
    for layer in layers:
        if isinstance(layer, Conv):
            modules += [tnn.Conv2d(c, layer.out, layer.k, layer.stride, layer.pad,
                                   bias=layer.bias), tnn.ReLU()]
            c = layer.out
        elif isinstance(layer, Pool):
            modules.append(tnn.MaxPool2d(layer.k, layer.stride or layer.k, layer.pad))
        elif isinstance(layer, BatchNorm):
            modules.append(tnn.BatchNorm2d(c))
        elif isinstance(layer, AdaptiveAvg):
            modules.append(tnn.AdaptiveAvgPool2d(layer.size))
        elif isinstance(layer, Residual):
            modules.append(BasicBlock(c, layer.out, layer.stride))
            c = layer.out
        elif isinstance(layer, Dense):
            if flat is None:
                modules.append(tnn.Flatten())
            modules += [tnn.LazyLinear(layer.out), tnn.ReLU()]
            flat = layer.out
    return tnn.Sequential(*modules[:-1] if isinstance(modules[-1], tnn.ReLU) else modules)


def torch_count(layers: tuple, shape: tuple[int, int, int]) -> tuple[int, tuple[int, ...]]:
    """PyTorch's parameter count and output shape (LazyLinear infers its fan-in by running)."""
    with torch.device("meta"):
        model = to_torch(layers, shape[0])
        out = model(torch.empty(1, *shape))
    return sum(p.numel() for p in model.parameters()), tuple(out.shape[1:])


@pytest.mark.parametrize("name", list(FAMOUS))
def test_famous_architectures_match_pytorch(name: str) -> None:
    layers, shape, _ = FAMOUS[name]
    params, out_shape = torch_count(layers, shape)
    assert count_parameters(layers, shape) == params
    assert layer_table(layers, shape)[-1].shape == out_shape


def test_famous_totals_are_the_published_ones() -> None:
    # torchvision's documented counts, and LeNet-5 with full C3 connections.
    assert count_parameters(LENET5, (1, 32, 32)) == 61_706
    assert count_parameters(ALEXNET, (3, 224, 224)) == 61_100_840
    assert count_parameters(VGG16, (3, 224, 224)) == 138_357_544
    assert count_parameters(RESNET18, (3, 224, 224)) == 11_689_512


def test_dense_layers_hold_most_weights_until_resnet() -> None:
    assert dense_share(LENET5, (1, 32, 32)) > 0.9
    assert dense_share(VGG16, (3, 224, 224)) > 0.85
    assert dense_share(RESNET18, (3, 224, 224)) < 0.05
    assert layer_table(VGG16, (3, 224, 224))[-4].shape == (512, 7, 7)


def test_the_two_trained_nets_match_pytorch_and_neuralab() -> None:
    for layers in (DENSE_NET, LENET_28):
        params, out_shape = torch_count(layers, IMAGE)
        assert count_parameters(layers, IMAGE) == params and out_shape == (10,)
    assert count_parameters(DENSE_NET, IMAGE) == 235_146
    manual_seed(0)
    dense = build(DENSE_NET, IMAGE)
    assert dense.num_parameters() == 235_146
    assert dense(Tensor(np.zeros((2, *IMAGE), np.float32))).shape == (2, 10)


def test_neuralab_cnn_matches_the_formula_and_pytorch() -> None:
    manual_seed(0)
    cnn = build(LENET_28, IMAGE)
    assert cnn.num_parameters() == count_parameters(LENET_28, IMAGE) == 61_706
    assert any(isinstance(m, nn.Conv2d) for m in cnn.modules())
    assert cnn(Tensor(np.zeros((2, *IMAGE), np.float32))).shape == (2, 10)


@pytest.fixture(scope="module")
def result():
    return run_dense_vs_cnn(quick=True)


def test_dense_vs_cnn_counts_and_accuracy(result) -> None:
    assert result.dense_params == result.dense_model_params == 235_146
    assert result.cnn_params == 61_706 and result.cnn_conv_params == 156 + 2_416
    assert result.cnn_dense_share > 0.95
    assert result.dense_first_by_size == [s * s * 256 + 256 for s in result.image_sizes]
    assert result.conv_first_by_size == [156] * len(result.image_sizes)
    assert result.famous["VGG-16"]["params"] == 138_357_544
    assert result.dense_acc[-1] > 0.5  # well above the 10% of chance
    # The CNN is really trained:
    assert result.cnn_model_params == 61_706
    assert result.cnn_acc[-1] > 0.3


def test_dense_vs_cnn_findings_and_figures(result, tmp_path: Path) -> None:
    assert EXPERIMENTS["dense-vs-cnn"].claims == ("S19", "S20")
    s19, s20 = result.findings()
    assert (s19.claim, s19.verdict) == ("S19", "context")
    assert (s20.claim, s20.verdict) == ("S20", "confirmed")
    assert "138,357,544" in s19.evidence_en and "138,357,544" in s19.evidence_ko
    for finding in (s19, s20):
        assert HANGUL.search(finding.evidence_ko)
    drawn = {p.name: p for p in result.draw(tmp_path)}
    assert set(s19.figures) | set(s20.figures) <= set(drawn)
    assert_pngs(drawn.values(), min_bytes=5000)


def test_images_fall_back_to_scaled_digits(monkeypatch: pytest.MonkeyPatch) -> None:
    import neuralab.data as data

    def missing(*args: object, **kwargs: object) -> None:
        raise data.DatasetNotFoundError("Fashion-MNIST is not installed")

    monkeypatch.setattr(data, "fashion_mnist", missing)
    name, x, y, xt, yt = lab.images_28(quick=True, seed=0)
    assert "digits" in name and x.shape[1:] == IMAGE and xt.shape[1:] == IMAGE
    assert x.dtype == np.float32 and len(x) == len(y) and len(xt) == len(yt)
    assert x[:, :, :2].max() == 0 and x.max() > 0.9  # a 2-pixel frame around the 24×24 digit
