"""Model files keep the pooling area's layers and their newer settings (save / load round
trips with identical outputs; files written before those settings load with torch's defaults)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import neuralab as nl
from neuralab import nn
from neuralab.io import ModelFileError, load, save
from neuralab.nn import pooling as P

ARCH = "neuralab.architecture"


def distinct(*shape: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.permutation(int(np.prod(shape))) * 0.5).reshape(shape)


LAYERS = [
    (P.MaxPool2d, dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True)),
    (P.MaxPool2d, dict(kernel_size=2, return_indices=True, ceil_mode=True)),
    (P.AvgPool2d, dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                       count_include_pad=False, divisor_override=7)),
    (P.AdaptiveMaxPool2d, dict(output_size=(3, None), return_indices=True)),
    (P.AdaptiveMaxPool2d, dict(output_size=2)),
    (P.Upsample, dict(scale_factor=(1.5, 2), mode="bilinear", align_corners=True)),
    (P.Upsample, dict(size=(5, 4), recompute_scale_factor=False)),
    (P.Upsample, dict(scale_factor=2.5, mode="bilinear", recompute_scale_factor=True)),
]


def _outputs(y):
    return [t.numpy() for t in y] if isinstance(y, tuple) else [y.numpy()]


@pytest.mark.parametrize("cls, kwargs", LAYERS, ids=str)
def test_round_trip(tmp_path, cls, kwargs):
    module = cls(**kwargs)
    save(module, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    assert type(loaded) is cls and repr(loaded) == repr(module)
    for key in kwargs:
        assert getattr(loaded, key) == getattr(module, key), key
    x = nl.tensor(distinct(2, 3, 9, 8))
    for a, b in zip(_outputs(loaded(x)), _outputs(module(x)), strict=True):
        assert np.array_equal(a, b)


def test_max_unpool2d_round_trip_in_a_model(tmp_path):
    module = P.MaxUnpool2d((2, 3), (2, 3), (1, 1))
    save(nn.Sequential(module), tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")[0]
    assert type(loaded) is P.MaxUnpool2d and repr(loaded) == repr(module)
    y, i = nl.nn.functional.max_pool2d(nl.tensor(distinct(1, 2, 6, 6)), (2, 3), (2, 3), (1, 1),
                                       return_indices=True)
    assert np.array_equal(loaded(y, i, (6, 6)).numpy(), module(y, i, (6, 6)).numpy())


def _rewrite_settings(path, **changes):
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file

    with safe_open(str(path), "numpy") as f:
        metadata = f.metadata()
    arch = json.loads(metadata[ARCH])
    arch.update(changes)
    for key in [k for k, v in changes.items() if v is None and k != "divisor_override"]:
        del arch[key]
    metadata[ARCH] = json.dumps(arch)
    save_file(load_file(str(path)), str(path), metadata=metadata)


def test_older_pool_files_load_with_torch_defaults(tmp_path):
    path = tmp_path / "m.safetensors"
    save(P.MaxPool2d(2), path)
    _rewrite_settings(path, dilation=None, ceil_mode=None, return_indices=None)
    loaded = load(path)
    assert (loaded.dilation, loaded.ceil_mode, loaded.return_indices) == ((1, 1), False, False)


@pytest.mark.parametrize("cls, key, value", [
    (P.MaxPool2d, "dilation", [0, 1]), (P.MaxPool2d, "ceil_mode", 1),
    (P.AvgPool2d, "divisor_override", 0), (P.AvgPool2d, "divisor_override", 2.5),
    (P.AdaptiveMaxPool2d, "output_size", [0, 2]),
    (P.Upsample, "mode", "bicubic"), (P.Upsample, "scale_factor", 2.0),
    (P.Upsample, "size", [3, 0]), (P.Upsample, "align_corners", True),
])
def test_bad_settings_are_refused(tmp_path, cls, key, value):
    path = tmp_path / "m.safetensors"
    save(cls(2), path)
    _rewrite_settings(path, **{key: value})
    with pytest.raises(ModelFileError, match=key):
        load(path)
