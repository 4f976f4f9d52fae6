"""Model files hold the "norm" area's layers: LayerNorm, GroupNorm, Embedding, Dropout2d."""

from __future__ import annotations

import json

import numpy as np
import pytest

import neuralab as nl
from neuralab import nn
from neuralab.io import load, save
from neuralab.io.files import load_tensors, save_tensors
from neuralab.nn.layers import Dropout2d
from neuralab.nn.normalization import GroupNorm, LayerNorm
from neuralab.nn.sparse import Embedding


def _randomise(model: nn.Module) -> None:
    rng = np.random.default_rng(5)
    for p in model.parameters():
        p._data[...] = rng.standard_normal(p.shape)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_norm_layers_round_trip(tmp_path, dtype):
    nl.manual_seed(2)
    model = nn.Sequential(
        LayerNorm(6, eps=1e-3, dtype=dtype), LayerNorm([2, 3], bias=False, dtype=dtype),
        LayerNorm(3, elementwise_affine=False, dtype=dtype),
        GroupNorm(2, 2, dtype=dtype), GroupNorm(1, 2, affine=False, dtype=dtype),
        GroupNorm(2, 2, bias=False, eps=1e-4, dtype=dtype), Dropout2d(0.3, inplace=True))
    _randomise(model)
    model.eval()
    path = tmp_path / "norm.safetensors"
    save(model, path)
    loaded = load(path)
    assert repr(loaded) == repr(model)
    assert [type(m) for m in loaded] == [type(m) for m in model]
    rng = np.random.default_rng(0)
    shapes = [(4, 6), (4, 2, 3), (4, 3), (4, 2, 3), (4, 2), (4, 2, 2, 2), (4, 2, 2, 2)]
    for ours, theirs, shape in zip(loaded, model, shapes, strict=True):
        x = nl.tensor(rng.standard_normal(shape).astype(dtype))
        np.testing.assert_array_equal(ours(x).detach().numpy(), theirs(x).detach().numpy())
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[key].numpy(), value.numpy())
        assert loaded.state_dict()[key].dtype == dtype


def test_embedding_round_trip(tmp_path):
    nl.manual_seed(4)
    model = nn.Sequential(Embedding(7, 3, padding_idx=-2), nn.Flatten(), nn.Linear(6, 2))
    path = tmp_path / "embedding.safetensors"
    save(model, path)
    loaded = load(path)
    assert loaded[0].padding_idx == 5 and repr(loaded) == repr(model)
    idx = np.array([[0, 5], [6, 2]])
    np.testing.assert_array_equal(loaded(idx).detach().numpy(), model(idx).detach().numpy())


@pytest.mark.parametrize(("layer", "field", "bad"), [
    (lambda: GroupNorm(2, 4), "num_channels", 5),
    (lambda: GroupNorm(2, 4), "num_groups", 0),
    (lambda: LayerNorm(4), "normalized_shape", []),
    (lambda: LayerNorm(4), "normalized_shape", [4.0]),
    (lambda: LayerNorm(4), "eps", -1),
    (lambda: Embedding(3, 2), "padding_idx", 3),
    (lambda: Embedding(3, 2), "num_embeddings", 10**6),
    (lambda: Dropout2d(), "p", 2),
])
def test_invalid_fields_are_refused(tmp_path, layer, field, bad):
    path = tmp_path / "m.safetensors"
    save(nn.Sequential(layer()), path)
    tensors, meta = load_tensors(path)
    key = next(k for k in meta if "arch" in k.lower())
    arch = json.loads(meta[key])
    text = json.dumps(arch)
    assert f'"{field}"' in text

    def patch(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == field:
                    node[k] = bad
                else:
                    patch(v)
        elif isinstance(node, list):
            for v in node:
                patch(v)

    patch(arch)
    save_tensors(path, tensors, {**meta, key: json.dumps(arch)})
    with pytest.raises(ValueError):
        load(path)
