"""Edge cases of ``neuralab.onnx.export`` found in review: Upsample coordinate and size
corner cases, pooling with ceil_mode where torch drops the last window, refusals that must be
reached before tracing, integer graphs, and folder-like paths."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _onnx_check import export_and_compare, reference  # noqa: E402

import neuralab.onnx as nl_onnx  # noqa: E402
from neuralab import nn  # noqa: E402


def _run(path: Path, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


# ------------------------------------------------------------------------------ Upsample
@pytest.mark.parametrize("layer,shape", [
    # an output side of 1: torch's half-pixel source is (0 + ½)·in − ½, not 0
    (lambda: nn.Upsample(size=(4, 1), mode="bilinear"), (2, 1, 5, 3)),
    (lambda: nn.Upsample(scale_factor=0.4, mode="bilinear"), (2, 1, 5, 3)),
    (lambda: nn.Upsample(size=(1, 1), mode="bilinear"), (2, 2, 6, 4)),
    # nearest: torch's identity (out = in) and exact-2× paths differ from ⌊dst/scale⌋
    (lambda: nn.Upsample(scale_factor=1.3), (2, 1, 5, 3)),
    (lambda: nn.Upsample(scale_factor=2.1), (2, 1, 4, 4)),
    # float32(1.3)·10 rounds to another size than torch's double 10·1.3
    (lambda: nn.Upsample(scale_factor=1.3), (2, 1, 7, 10)),
    (lambda: nn.Upsample(scale_factor=1.3, mode="bilinear"), (2, 1, 7, 10)),
    (lambda: nn.Upsample(size=(3, 7)), (2, 1, 7, 3)),
    (lambda: nn.Upsample(size=(1, 5), mode="bilinear", align_corners=True), (2, 1, 4, 3)),
])
def test_upsample_corner_cases_match(tmp_path: Path, layer: Any, shape: tuple) -> None:
    export_and_compare(layer(), np.zeros(shape, np.float32), tmp_path / "u.onnx")


def test_upsample_sweep(tmp_path: Path) -> None:
    """Every mode on small sides and a spread of scale factors and sizes; ORT must equal
    neuralab (nearest exactly: a wrong source index is an O(1) error)."""
    rng = np.random.default_rng(7)
    failures = []
    for k, (h, w) in enumerate([(1, 2), (3, 5), (4, 7), (7, 10)]):
        settings = [dict(scale_factor=f) for f in (0.3, 0.5, 0.75, 1.0, 1.3, 1.5, 2.0, 2.1, 3.0)]
        settings += [dict(size=s) for s in ((1, 1), (h + 1, 2 * w), (3, 2), (2 * h + 1, w))]
        for kwargs, mode in itertools.product(settings, ("nearest", "bilinear")):
            if "scale_factor" in kwargs and min(int(h * kwargs["scale_factor"]),
                                                int(w * kwargs["scale_factor"])) < 1:
                continue
            layer = nn.Upsample(mode=mode, **kwargs)
            x = rng.standard_normal((2, 2, h, w)).astype(np.float32)
            path = tmp_path / f"u{k}.onnx"
            nl_onnx.export(layer, x, path)
            got, expected = _run(path, x), reference(layer, x)
            if got.shape != expected.shape or np.abs(got - expected).max() > 1e-5:
                failures.append((h, w, mode, kwargs))
    assert failures == []


# ------------------------------------------------------------------------------ ceil_mode
def test_pooling_ceil_mode_sweep(tmp_path: Path) -> None:
    """Both pools with ceil_mode over small shapes, kernels, strides and paddings, including
    the configurations where torch drops a last window starting past input + left padding."""
    rng = np.random.default_rng(3)
    failures, dropped, count = [], 0, 0
    for h, w, k, s, p in itertools.product((4, 5), (5, 6), (2, 3), (1, 2, 3), (0, 1)):
        if p > k // 2:
            continue
        x = rng.standard_normal((2, 1, h, w)).astype(np.float32)
        layers = [nn.MaxPool2d(k, s, p, ceil_mode=True),
                  nn.MaxPool2d(k, s, p, dilation=2, ceil_mode=True),
                  nn.AvgPool2d(k, s, p, ceil_mode=True),
                  nn.AvgPool2d(k, s, p, ceil_mode=True, count_include_pad=False)]
        for layer in layers:
            try:
                expected = reference(layer, x)
            except Exception:  # noqa: BLE001 - a dilated window larger than the input
                continue
            span = getattr(layer, "dilation", (1, 1))[0] * (k - 1) + 1
            ceil_h = -(-(h + 2 * p - span) // s) + 1
            dropped += expected.shape[2] < ceil_h
            count += 1
            path = tmp_path / "p.onnx"
            try:
                nl_onnx.export(layer, x, path)
                got = _run(path, x)
            except Exception as error:  # noqa: BLE001 - collected, reported below
                failures.append((repr(layer), h, w, str(error)[:80]))
                continue
            if got.shape != expected.shape or np.abs(got - expected).max() > 1e-5:
                failures.append((repr(layer), h, w, "values"))
    assert failures == []
    assert count > 100 and dropped > 10  # the sweep reaches the dropped-window case


@pytest.mark.parametrize("layer", [lambda: nn.MaxPool2d(2, stride=3, ceil_mode=True),
                                   lambda: nn.AvgPool2d(2, 2, 1, ceil_mode=True),
                                   lambda: nn.AvgPool2d(3, 3, 1, ceil_mode=True,
                                                        count_include_pad=False)])
def test_pooling_ceil_mode_dropped_window(tmp_path: Path, layer: Any) -> None:
    export_and_compare(layer(), np.zeros((2, 1, 5, 6), np.float32), tmp_path / "p.onnx")


# ------------------------------------------------------------------------------ refusals
@pytest.mark.parametrize("shape", [(1, 3), (1, 3, 4), (2, 3)])
def test_batchnorm_without_running_stats_is_refused_clearly(tmp_path: Path,
                                                            shape: tuple) -> None:
    model = nn.Sequential(nn.Linear(shape[-1], 3), nn.BatchNorm1d(3, track_running_stats=False))
    with pytest.raises(nl_onnx.UnsupportedLayerError,
                       match=r"^1 \(BatchNorm1d\): cannot be exported to ONNX: "
                             r"track_running_stats=False"):
        nl_onnx.export(model, np.ones(shape, np.float32), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


@pytest.mark.parametrize("dtype", [np.int64, np.int32])
def test_integer_graph_declares_its_element_type(tmp_path: Path, dtype: Any) -> None:
    x = np.arange(6, dtype=dtype).reshape(2, 3)
    path = tmp_path / "i.onnx"
    nl_onnx.export(nn.Identity(), x, path)
    proto = onnx.load(str(path))
    elem = onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    assert proto.graph.output[0].type.tensor_type.elem_type == elem
    got = _run(path, x[:1] + 5)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, x[:1] + 5)


def test_integer_input_to_a_float_layer_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^example_input: .*int64.*Embedding"):
        nl_onnx.export(nn.Sequential(nn.Identity(), nn.ReLU()),
                       np.ones((2, 3), np.int64), tmp_path / "m.onnx")


@pytest.mark.parametrize("suffix", ["newdir/", "m.onnx/"])
def test_a_path_ending_in_a_separator_is_named(tmp_path: Path, suffix: str) -> None:
    path = str(tmp_path) + "/" + suffix
    with pytest.raises(ValueError, match=r"^path: expected a file path, got '.*/' \(ends "
                                         r"with a path separator"):
        nl_onnx.export(nn.Identity(), np.ones((1, 2), np.float32), path)
    assert list(tmp_path.iterdir()) == []


def test_a_write_error_names_the_file(tmp_path: Path, monkeypatch: Any) -> None:
    import neuralab.io.files as files

    def refuse(path: Any, data: bytes) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files, "atomic_write_bytes", refuse)
    with pytest.raises(OSError, match=r"^\[Errno 13\] cannot write the ONNX file '.*m\.onnx': "
                                      r"Permission denied$"):
        nl_onnx.export(nn.Identity(), np.ones((1, 2), np.float32), tmp_path / "m.onnx")
