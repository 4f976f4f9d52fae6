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


# ------------------------------------------------------------------------------------ losses
X, T = RNG.standard_normal((6, 4)) * 2, RNG.standard_normal((6, 4))
LOG_P = np.log(RNG.dirichlet(np.ones(4), 6))
Q = RNG.dirichlet(np.ones(4), 6)
COS_T = np.array([1, -1, 1, 1, -1, -1])

LOSS_MODULES = [
    ("L1Loss", {}, (X, T)),
    ("L1Loss", {"reduction": "sum"}, (X, T)),
    ("SmoothL1Loss", {"beta": 0.5}, (X, T)),
    ("SmoothL1Loss", {"beta": 0.0, "reduction": "none"}, (X, T)),
    ("HuberLoss", {"delta": 0.8, "reduction": "sum"}, (X, T)),
    ("HuberLoss", {}, (X, T)),
    ("KLDivLoss", {"reduction": "batchmean"}, (LOG_P, Q)),
    ("KLDivLoss", {"reduction": "none", "log_target": True}, (LOG_P, np.log(Q))),
    ("CosineEmbeddingLoss", {"margin": 0.1}, (X, T, COS_T)),
    ("CosineEmbeddingLoss", {"reduction": "none"}, (X[0], T[0], np.array(-1))),
    ("NLLLoss", {"reduction": "none"},
     (RNG.standard_normal((2, 3, 4)), RNG.integers(0, 3, (2, 4)))),
    ("CrossEntropyLoss", {}, (RNG.standard_normal((2, 3, 4, 2)), RNG.integers(0, 3, (2, 4, 2)))),
]


@pytest.mark.parametrize(("name", "kwargs", "args"), LOSS_MODULES)
def test_loss_modules_match_torch(name, kwargs, args):
    ours, theirs = getattr(nn.losses, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert ours.reduction == theirs.reduction
    floats = [a for a in args if a.dtype.kind == "f"]
    leaves = [nl.tensor(a, requires_grad=True) for a in floats]
    tleaves = [torch.tensor(a, requires_grad=True) for a in floats]
    y = ours(*leaves, *[a for a in args if a.dtype.kind != "f"])
    z = theirs(*tleaves, *[torch.from_numpy(a) for a in args if a.dtype.kind != "f"])
    assert y.shape == tuple(z.shape) and y.dtype == np.float64
    assert_normwise_close(y.detach().numpy(), z.detach().numpy(), terms=X.size)
    g = RNG.standard_normal(y.shape)
    y.backward(g)
    z.backward(torch.from_numpy(g))
    for a, b in zip(leaves, tleaves, strict=True):
        assert_normwise_close(a.grad.numpy(), b.grad.numpy(), terms=X.size)


def test_kl_div_mean_warns_as_torch_and_legacy_arguments_map_to_a_reduction():
    with pytest.warns(UserWarning, match="batchmean"):
        ours = F.kl_div(nl.tensor(LOG_P), Q)
    with pytest.warns(UserWarning, match="batchmean"):
        theirs = TF.kl_div(torch.tensor(LOG_P), torch.tensor(Q))
    assert_normwise_close(ours.numpy(), theirs.numpy(), terms=Q.size)
    for size_average, reduce in ((False, None), (None, False), (True, True)):
        with pytest.warns(UserWarning, match="deprecated"):
            ours = nn.losses.SmoothL1Loss(size_average, reduce)
        with pytest.warns(UserWarning):
            theirs = torch.nn.SmoothL1Loss(size_average, reduce)
        assert ours.reduction == theirs.reduction
        with pytest.warns(UserWarning):
            a = F.smooth_l1_loss(nl.tensor(X), T, size_average, reduce)
        with pytest.warns(UserWarning):
            b = TF.smooth_l1_loss(torch.tensor(X), torch.tensor(T), size_average, reduce)
        assert_normwise_close(a.numpy(), b.numpy(), terms=X.size)


def test_cosine_similarity_clamps_each_norm_at_eps():
    a, b = np.zeros((2, 3)), RNG.standard_normal((2, 3))
    ours = F.cosine_similarity(nl.tensor(a), nl.tensor(b), eps=1e-3)
    theirs = TF.cosine_similarity(torch.tensor(a), torch.tensor(b), eps=1e-3)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize(("ours", "theirs"), [
    (lambda: F.smooth_l1_loss(nl.ones(2), nl.ones(2), beta=-1.0),
     lambda: TF.smooth_l1_loss(torch.ones(2), torch.ones(2), beta=-1.0)),
    (lambda: F.huber_loss(nl.ones(2), nl.ones(2), delta=0.0),
     lambda: TF.huber_loss(torch.ones(2), torch.ones(2), delta=0.0)),
    (lambda: F.kl_div(nl.ones(2), nl.ones(2), reduction="x"),
     lambda: TF.kl_div(torch.ones(2), torch.ones(2), reduction="x")),
    (lambda: F.cosine_embedding_loss(nl.ones(2, 3), nl.ones(2, 4), nl.ones(2)),
     lambda: TF.cosine_embedding_loss(torch.ones(2, 3), torch.ones(2, 4), torch.ones(2))),
    (lambda: F.nll_loss(nl.ones(2, 3, 4), np.ones((2, 5), np.int64)),
     lambda: TF.nll_loss(torch.ones(2, 3, 4), torch.ones(2, 5).long())),
])
def test_loss_errors_are_torchs(ours, theirs):
    _same_error(ours, theirs)


def test_huber_loss_weight_multiplies_each_element_as_torch():
    w = RNG.random(X.shape)
    _same_error(lambda: F.huber_loss(nl.tensor(X), T, weight=w[:1]),
                lambda: TF.huber_loss(torch.tensor(X), torch.tensor(T),
                                      weight=torch.tensor(w[:1])))
    a, b = nl.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    for reduction in ("mean", "sum", "none"):
        y = F.huber_loss(a, T, reduction, 0.5, weight=w)
        z = TF.huber_loss(b, torch.tensor(T), reduction, 0.5, weight=torch.tensor(w))
        assert_normwise_close(y.detach().numpy(), z.detach().numpy(), terms=X.size)
        y.sum().backward()
        z.sum().backward()
        assert_normwise_close(a.grad.numpy(), b.grad.numpy(), terms=X.size)
        a.grad, b.grad = None, None


def test_embedding_keeps_the_table_dtype():
    ours = Embedding(4, 2, dtype=nl.float32)
    out = ours(np.array([[1, 3]]))
    assert out.dtype == np.float32 and out.shape == (1, 2, 2)
    out.sum().backward()
    assert ours.weight.grad.dtype == np.float32
