"""LayerNorm, GroupNorm, BatchNorm1d on (N, C, L), Embedding and Dropout2d against torch:
constructor, parameters and init, state dicts both ways, outputs and gradients, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _tolerance import assert_normwise_close

import neuralab as nl
import neuralab.nn.functional as F
from neuralab import nn
from neuralab.nn.normalization import GroupNorm, LayerNorm
from neuralab.nn.sparse import Embedding

RNG = np.random.default_rng(12)

# (ours, theirs, input shape, terms: the longest reduction an output element depends on)
NORM_LAYERS = [
    (lambda: LayerNorm(4), lambda: torch.nn.LayerNorm(4), (3, 5, 4), 4),
    (lambda: LayerNorm([3, 4], eps=1e-3), lambda: torch.nn.LayerNorm([3, 4], eps=1e-3),
     (2, 3, 4), 12),
    (lambda: LayerNorm(4, bias=False), lambda: torch.nn.LayerNorm(4, bias=False), (6, 4), 4),
    (lambda: LayerNorm(4, elementwise_affine=False),
     lambda: torch.nn.LayerNorm(4, elementwise_affine=False), (6, 4), 4),
    (lambda: GroupNorm(2, 6), lambda: torch.nn.GroupNorm(2, 6), (3, 6, 5), 15),
    (lambda: GroupNorm(3, 6, affine=False), lambda: torch.nn.GroupNorm(3, 6, affine=False),
     (2, 6, 2, 2), 8),
    (lambda: GroupNorm(1, 4, bias=False), lambda: torch.nn.GroupNorm(1, 4, bias=False),
     (2, 4, 3), 12),
    (lambda: nn.BatchNorm1d(3), lambda: torch.nn.BatchNorm1d(3), (4, 3, 5), 20),
    (lambda: nn.BatchNorm1d(3, affine=False, momentum=None),
     lambda: torch.nn.BatchNorm1d(3, affine=False, momentum=None), (4, 3, 5), 20),
]


def _pair(make_ours, make_theirs):
    ours, theirs = make_ours().double(), make_theirs().double()
    return ours, theirs


@pytest.mark.parametrize(("make_ours", "make_theirs", "shape", "terms"), NORM_LAYERS)
def test_norm_layers_match_torch_with_state_dicts_both_ways(make_ours, make_theirs, shape,
                                                            terms):
    ours, theirs = _pair(make_ours, make_theirs)
    assert repr(ours) == repr(theirs)
    mine, its = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(its)
    for key in mine:  # torch's init: the same values
        assert mine[key].shape == tuple(its[key].shape)
        np.testing.assert_array_equal(mine[key].numpy(), its[key].numpy())
    # random parameters, theirs into ours and ours back into a fresh torch module
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.from_numpy(RNG.standard_normal(tuple(p.shape))))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    back = make_theirs().double()
    back.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                          for k, v in ours.state_dict().items()})
    for mode in ("train", "eval", "train"):
        for model in (ours, theirs, back):
            getattr(model, mode)()
        x = RNG.standard_normal(shape) * 3 + 1
        a = nl.Tensor(x, requires_grad=True)
        t, u = (torch.tensor(x, requires_grad=True) for _ in range(2))
        y, z, w = ours(a), theirs(t), back(u)
        g = RNG.standard_normal(y.shape)
        y.backward(g)
        z.backward(torch.from_numpy(g))
        w.backward(torch.from_numpy(g))
        for expected, leaf in ((z, t), (w, u)):
            assert_normwise_close(y.detach().numpy(), expected.detach().numpy(), terms=terms)
            assert_normwise_close(a.grad.numpy(), leaf.grad.numpy(), terms=terms)
        for (name, p), q in zip(ours.named_parameters(), theirs.parameters(), strict=True):
            assert_normwise_close(p.grad.numpy(), q.grad.numpy(), terms=x.size, err_msg=name)
            p.grad = None
        theirs.zero_grad()
        for key, value in theirs.state_dict().items():  # running statistics too
            assert_normwise_close(ours.state_dict()[key].numpy(), value.numpy(), terms=x.size,
                                  err_msg=key)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_layer_and_group_norm_keep_the_input_dtype(dtype):
    x = RNG.standard_normal((2, 4, 3)).astype(dtype)
    for ours, theirs in ((F.layer_norm(nl.tensor(x), (3,)), TF.layer_norm(torch.tensor(x), (3,))),
                         (F.group_norm(nl.tensor(x), 2), TF.group_norm(torch.tensor(x), 2))):
        assert ours.dtype == dtype and str(theirs.dtype) == f"torch.{np.dtype(dtype).name}"
        assert_normwise_close(ours.numpy(), theirs.numpy(), terms=12)


def _same_error(ours, theirs):
    with pytest.raises(Exception) as mine:
        ours()
    with pytest.raises(Exception) as its:
        theirs()
    assert isinstance(mine.value, type(its.value)), (mine.value, its.value)


@pytest.mark.parametrize(("ours", "theirs"), [
    (lambda: F.layer_norm(nl.ones(2, 4), (3,)), lambda: TF.layer_norm(torch.ones(2, 4), (3,))),
    (lambda: F.layer_norm(nl.ones(2, 4), (4,), nl.ones(3)),
     lambda: TF.layer_norm(torch.ones(2, 4), (4,), torch.ones(3))),
    (lambda: F.group_norm(nl.ones(2, 4, 3), 3), lambda: TF.group_norm(torch.ones(2, 4, 3), 3)),
    (lambda: F.group_norm(nl.ones(2, 4), 2, nl.ones(3)),
     lambda: TF.group_norm(torch.ones(2, 4), 2, torch.ones(3))),
    (lambda: GroupNorm(3, 4), lambda: torch.nn.GroupNorm(3, 4)),
    (lambda: LayerNorm(4)(nl.ones(2, 3)), lambda: torch.nn.LayerNorm(4)(torch.ones(2, 3))),
    (lambda: nn.BatchNorm1d(3)(nl.ones(2, 4, 5)),
     lambda: torch.nn.BatchNorm1d(3)(torch.ones(2, 4, 5))),
    (lambda: F.embedding(np.array([5]), nl.ones(5, 3)),
     lambda: TF.embedding(torch.tensor([5]), torch.ones(5, 3))),
    (lambda: F.embedding(np.array([1.0]), nl.ones(5, 3)),
     lambda: TF.embedding(torch.tensor([1.0]), torch.ones(5, 3))),
    (lambda: Embedding(5, 3, padding_idx=5), lambda: torch.nn.Embedding(5, 3, padding_idx=5)),
    (lambda: Embedding(5, 3, padding_idx=-6), lambda: torch.nn.Embedding(5, 3, padding_idx=-6)),
])
def test_errors_are_torchs(ours, theirs):
    _same_error(ours, theirs)


@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_matches_torch_and_the_padding_row_gets_no_gradient(padding_idx):
    nl.manual_seed(3)
    ours = Embedding(5, 3, padding_idx=padding_idx).double()
    theirs = torch.nn.Embedding(5, 3, padding_idx=padding_idx).double()
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    if padding_idx is not None:
        assert not ours.weight.detach().numpy()[padding_idx].any()
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in ours.state_dict().items()})
    indices = RNG.integers(0, 5, (3, 4, 2))
    indices[0, 0, 0] = 4  # the padding row (-1) and 2 looked up, several times
    indices[1, :, 1] = 2
    y, z = ours(indices), theirs(torch.from_numpy(indices))
    assert y.shape == tuple(z.shape) == (3, 4, 2, 3)
    np.testing.assert_array_equal(y.detach().numpy(), z.detach().numpy())
    g = RNG.standard_normal(y.shape)
    y.backward(g)
    z.backward(torch.from_numpy(g))
    assert_normwise_close(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), terms=24)
    if padding_idx is not None:
        assert not ours.weight.grad.numpy()[padding_idx].any()
    # and back: torch's table into ours
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})


def test_embedding_from_pretrained_and_int32_indices():
    table = RNG.standard_normal((4, 2))
    ours = Embedding.from_pretrained(table)
    theirs = torch.nn.Embedding.from_pretrained(torch.from_numpy(table))
    assert not ours.weight.requires_grad and not theirs.weight.requires_grad
    idx = np.array([3, 0, 3], dtype=np.int32)
    np.testing.assert_array_equal(ours(idx).numpy(), theirs(torch.from_numpy(idx)).numpy())


@pytest.mark.parametrize("shape", [(4, 6, 3, 3), (4, 6, 5)])
def test_dropout2d_zeroes_whole_channels_seeded_by_neuralab(shape):
    layer = nn.layers.Dropout2d(0.5)
    assert repr(layer) == repr(torch.nn.Dropout2d(0.5))
    x = nl.tensor(RNG.standard_normal(shape) + 5, requires_grad=True)
    nl.manual_seed(7)
    y = layer(x)
    nl.manual_seed(7)
    np.testing.assert_array_equal(layer(x).detach().numpy(), y.detach().numpy())
    out = y.detach().numpy()
    kept = (out != 0).reshape(*shape[:2], -1)
    assert (kept.all(axis=2) | ~kept.any(axis=2)).all()  # a channel is all kept or all zero
    assert kept.all(axis=2).any() and (~kept.any(axis=2)).any()
    data = x.detach().numpy()
    np.testing.assert_allclose(out[out != 0], 2 * data[out != 0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.where(out != 0, 2.0, 0.0))
    layer.eval()
    assert layer(x) is x
