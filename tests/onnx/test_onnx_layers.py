"""Every layer type neuralab registers is exported (and matches numerically) or is listed in
``UNSUPPORTED`` and refused with a message naming it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _onnx_check import export_and_compare  # noqa: E402

import neuralab as nl  # noqa: E402
import neuralab.onnx as nl_onnx  # noqa: E402
from neuralab import nn  # noqa: E402
from neuralab.io import registered_modules  # noqa: E402

# Softmax() without dim is exported as torch's implicit choice; its deprecation warning is
# expected here.
pytestmark = pytest.mark.filterwarnings("ignore:Implicit dimension choice")

IMG = (3, 2, 7, 9)  # (N, C, H, W): odd, unequal sides catch swapped axes and off-by-ones
SEQ = (3, 4, 11)
VEC = (3, 6)


def _with_stats(layer: Any, shape: tuple[int, ...]) -> Any:
    """A norm layer whose running statistics and affine parameters are not the defaults."""
    rng = np.random.default_rng(1)
    layer.train()
    for _ in range(3):
        layer(nl.tensor((rng.standard_normal(shape) * 3 + 1).astype(np.float32)))
    for p in layer.parameters():
        p.data = nl.tensor(rng.uniform(0.5, 1.5, p.shape).astype(np.float32))
    return layer


def _prelu(count: int) -> Any:
    layer = nn.PReLU(count)
    layer.weight.data = nl.tensor(np.linspace(-0.5, 0.7, count).astype(np.float32))
    return layer


# (id, layer factory, example shape); several settings per type where they change the graph.
CASES: list[tuple[str, Callable[[], Any], tuple[int, ...]]] = [
    ("Linear", lambda: nn.Linear(6, 5), VEC),
    ("Linear-3d-nobias", lambda: nn.Linear(11, 3, bias=False), SEQ),
    ("Sequential-nested", lambda: nn.Sequential(nn.Sequential(nn.Linear(6, 4), nn.Tanh()),
                                                nn.Sequential(), nn.Linear(4, 2)), VEC),
    ("Flatten", lambda: nn.Flatten(), IMG),
    ("Flatten-2-3", lambda: nn.Flatten(2, 3), IMG),
    ("Dropout", lambda: nn.Dropout(0.5), VEC),
    ("Dropout2d", lambda: nn.Dropout2d(0.5), IMG),
    ("Identity", lambda: nn.Identity(), VEC),
    ("Step", lambda: nn.Step(), VEC),
    ("Sigmoid", lambda: nn.Sigmoid(), VEC),
    ("Tanh", lambda: nn.Tanh(), VEC),
    ("ReLU", lambda: nn.ReLU(), VEC),
    ("LeakyReLU", lambda: nn.LeakyReLU(0.2), VEC),
    ("Softmax", lambda: nn.Softmax(dim=1), VEC),
    ("Softmax-implicit-4d", lambda: nn.Softmax(), IMG),
    ("LogSoftmax", lambda: nn.LogSoftmax(dim=-1), SEQ),
    ("GELU", lambda: nn.GELU(), VEC),
    ("GELU-tanh", lambda: nn.GELU("tanh"), VEC),
    ("SiLU", lambda: nn.SiLU(), VEC),
    ("Mish", lambda: nn.Mish(), VEC),
    ("SELU", lambda: nn.SELU(), VEC),
    ("Hardsigmoid", lambda: nn.Hardsigmoid(), VEC),
    ("Hardswish", lambda: nn.Hardswish(), VEC),
    ("ReLU6", lambda: nn.ReLU6(), VEC),
    ("ELU", lambda: nn.ELU(0.7), VEC),
    ("CELU", lambda: nn.CELU(1.3), VEC),
    ("Softplus", lambda: nn.Softplus(), VEC),
    ("Softplus-beta", lambda: nn.Softplus(beta=2.0, threshold=3.0), VEC),
    ("Softsign", lambda: nn.Softsign(), VEC),
    ("LogSigmoid", lambda: nn.LogSigmoid(), VEC),
    ("Hardtanh", lambda: nn.Hardtanh(-0.5, 2.0), VEC),
    ("PReLU", lambda: _prelu(1), VEC),
    ("PReLU-channels", lambda: _prelu(2), IMG),
    ("Softmin", lambda: nn.Softmin(dim=1), VEC),
    ("GLU", lambda: nn.GLU(dim=1), VEC),
    ("MaxPool2d", lambda: nn.MaxPool2d(2), IMG),
    ("MaxPool2d-pad-stride-dilation", lambda: nn.MaxPool2d(3, 2, 1, dilation=2), IMG),
    ("MaxPool2d-ceil", lambda: nn.MaxPool2d(2, ceil_mode=True), IMG),
    ("AvgPool2d", lambda: nn.AvgPool2d(2), IMG),
    ("AvgPool2d-pad-exclude", lambda: nn.AvgPool2d(3, 2, 1, count_include_pad=False), IMG),
    ("AvgPool2d-ceil", lambda: nn.AvgPool2d(2, ceil_mode=True), IMG),
    ("AvgPool2d-divisor", lambda: nn.AvgPool2d(3, 1, 1, divisor_override=5), IMG),
    ("AdaptiveAvgPool2d-global", lambda: nn.AdaptiveAvgPool2d(1), IMG),
    ("AdaptiveAvgPool2d-divides", lambda: nn.AdaptiveAvgPool2d((7, 3)), IMG),
    ("AdaptiveAvgPool2d-general", lambda: nn.AdaptiveAvgPool2d((3, 4)), IMG),
    ("AdaptiveMaxPool2d-divides", lambda: nn.AdaptiveMaxPool2d((1, 3)), IMG),
    ("AdaptiveMaxPool2d-general", lambda: nn.AdaptiveMaxPool2d((3, 4)), IMG),
    ("BatchNorm1d", lambda: _with_stats(nn.BatchNorm1d(6), VEC), VEC),
    ("BatchNorm1d-3d-noaffine", lambda: _with_stats(nn.BatchNorm1d(4, affine=False), SEQ), SEQ),
    ("BatchNorm2d", lambda: _with_stats(nn.BatchNorm2d(2, eps=1e-3), IMG), IMG),
    ("LayerNorm", lambda: _with_stats(nn.LayerNorm(11), SEQ), SEQ),
    ("LayerNorm-2d-nobias", lambda: _with_stats(nn.LayerNorm((4, 11), bias=False), SEQ), SEQ),
    ("GroupNorm", lambda: _with_stats(nn.GroupNorm(2, 4), SEQ), SEQ),
    ("GroupNorm-img-noaffine", lambda: nn.GroupNorm(1, 2, affine=False), IMG),
    ("Conv1d", lambda: nn.Conv1d(4, 5, 3, stride=2, padding=1), SEQ),
    ("Conv1d-same-reflect", lambda: nn.Conv1d(4, 4, 4, padding="same", padding_mode="reflect",
                                              groups=2), SEQ),
    ("Conv2d", lambda: nn.Conv2d(2, 4, 3), IMG),
    ("Conv2d-stride-pad-dilation", lambda: nn.Conv2d(2, 3, (3, 2), (2, 1), (1, 2), (2, 1)), IMG),
    ("Conv2d-same-groups-nobias", lambda: nn.Conv2d(2, 4, 4, padding="same", groups=2,
                                                    bias=False), IMG),
    ("Conv2d-replicate", lambda: nn.Conv2d(2, 3, 3, padding=2, padding_mode="replicate"), IMG),
    ("Conv2d-circular", lambda: nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="circular"),
     IMG),
    ("ConvTranspose2d", lambda: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1,
                                                   output_padding=1), IMG),
    ("ConvTranspose2d-groups-dilation", lambda: nn.ConvTranspose2d(2, 4, 2, groups=2,
                                                                   dilation=2), IMG),
    ("Unfold", lambda: nn.Unfold((2, 3), dilation=1, padding=1, stride=2), IMG),
    ("Fold", lambda: nn.Fold((5, 6), 2, stride=2), (3, 8, 6)),
    ("Fold-overlap-pad", lambda: nn.Fold((4, 5), (2, 3), padding=1), (3, 12, 25)),
    ("Upsample-nearest-2", lambda: nn.Upsample(scale_factor=2), IMG),
    ("Upsample-nearest-size", lambda: nn.Upsample(size=(10, 4)), IMG),
    ("Upsample-bilinear-1.5", lambda: nn.Upsample(scale_factor=1.5, mode="bilinear"), IMG),
    ("Upsample-bilinear-align", lambda: nn.Upsample(size=(11, 5), mode="bilinear",
                                                    align_corners=True), IMG),
]


def _layer_seed(case_id: str) -> int:
    return sum(map(ord, case_id))


@pytest.mark.parametrize("case_id,factory,shape", CASES, ids=[c[0] for c in CASES])
def test_each_layer_matches_onnxruntime(tmp_path: Path, case_id: str, factory: Callable,
                                        shape: tuple[int, ...]) -> None:
    nl.manual_seed(_layer_seed(case_id))
    layer = factory()
    example = np.random.default_rng(2).standard_normal(shape).astype(np.float32) * 3
    # Wide inputs (σ = 3) reach the saturated and linear pieces of every activation.
    export_and_compare(layer, example, tmp_path / "m.onnx", seed=_layer_seed(case_id),
                       inputs=lambda rng, n: (rng.standard_normal((n, *shape[1:])) * 3)
                       .astype(np.float32))


def test_embedding_takes_int64_indices(tmp_path: Path) -> None:
    nl.manual_seed(5)
    model = nn.Sequential(nn.Embedding(10, 4, padding_idx=0), nn.Flatten(), nn.Linear(12, 2))
    example = np.array([[1, 2, 3], [0, 9, 4]], dtype=np.int64)
    export_and_compare(model, example, tmp_path / "e.onnx",
                       inputs=lambda rng, n: rng.integers(0, 10, (n, 3)))


def test_every_registered_layer_is_exported_tested_or_refused() -> None:
    registered = set(registered_modules().values())
    converted, refused = set(nl_onnx.CONVERTERS), set(nl_onnx.UNSUPPORTED)
    # Sequential is walked by the exporter itself (its children become the graph).
    assert registered <= converted | refused | {nn.Sequential}, registered - converted - refused
    assert not converted & refused
    tested = {type(factory()) for _, factory, _ in CASES} | {nn.Embedding}
    tested |= {type(m) for _, factory, _ in CASES for m in factory().modules()}
    assert converted <= tested, converted - tested
    assert all(len(reason) > 20 for reason in nl_onnx.UNSUPPORTED.values())


@pytest.mark.parametrize("cls", sorted(nl_onnx.UNSUPPORTED, key=lambda c: c.__name__))
def test_unsupported_layer_is_named_and_nothing_is_written(tmp_path: Path, cls: type) -> None:
    layer = {nn.MaxUnpool2d: lambda: nn.MaxUnpool2d(2)}[cls]()
    model = nn.Sequential(nn.Conv2d(2, 2, 1), nn.Sequential(nn.ReLU(), nn.Identity(), layer))
    path = tmp_path / "m.onnx"
    with pytest.raises(nl_onnx.UnsupportedLayerError, match=rf"^1\.2 \({cls.__name__}\): "):
        nl_onnx.export(model, np.zeros(IMG, np.float32), path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("layer,match", [
    (lambda: nn.MaxPool2d(2, return_indices=True), r"^0 \(MaxPool2d\): .*return_indices"),
    (lambda: nn.AdaptiveMaxPool2d(2, return_indices=True), r"^0 \(AdaptiveMaxPool2d\): "),
    (lambda: nn.AvgPool2d(2, ceil_mode=True, divisor_override=3), r"^0 \(AvgPool2d\): .*ceil"),
    (lambda: nn.BatchNorm2d(2, track_running_stats=False), r"^0 \(BatchNorm2d\): .*running"),
    (lambda: nn.Flatten(0), r"^0 \(Flatten\): .*batch"),
])
def test_unsupported_settings_are_refused(tmp_path: Path, layer: Callable, match: str) -> None:
    path = tmp_path / "m.onnx"
    path.write_bytes(b"old")  # an existing file must survive a failed export untouched
    with pytest.raises(ValueError, match=match):
        nl_onnx.export(nn.Sequential(layer(), nn.Identity()), np.ones(IMG, np.float32), path)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]
