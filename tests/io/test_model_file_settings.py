"""Model files keep every constructor argument of every built-in layer (neuralab.io.save/load).

``test_every_constructor_argument_is_covered`` compares each registered class's signature with
the cases below, so a keyword added to a layer later (as ``inplace=`` and BatchNorm's
``bias=`` were) fails here until the model file saves it or says why it need not.
"""

from __future__ import annotations

import inspect
import json
import warnings

import numpy as np
import pytest

import neuralab as nl
from neuralab import nn
from neuralab.io import load, load_tensors, registered_modules, save

ARCH = "neuralab.architecture"

# (class, constructor keywords, an input the layer accepts); keywords differ from the defaults
CASES = [
    (nn.Linear, dict(in_features=3, out_features=2, bias=False, dtype=nl.float64), (4, 3)),
    (nn.Conv2d, dict(in_channels=2, out_channels=3, kernel_size=(3, 2), stride=(2, 1),
                     padding=(1, 0), dilation=(1, 2), bias=False, dtype=nl.float64),
     (2, 2, 7, 6)),
    (nn.Conv2d, dict(in_channels=1, out_channels=2, kernel_size=3, padding="same"),
     (1, 1, 5, 5)),
    (nn.MaxPool2d, dict(kernel_size=3, stride=2, padding=1), (1, 2, 6, 6)),
    (nn.AvgPool2d, dict(kernel_size=(2, 3), stride=1, padding=(1, 1), count_include_pad=False),
     (1, 2, 5, 5)),
    (nn.AdaptiveAvgPool2d, dict(output_size=(3, None)), (1, 2, 6, 4)),
    (nn.BatchNorm1d, dict(num_features=4, eps=1e-3, momentum=None, affine=True,
                          track_running_stats=False, dtype=nl.float64, bias=False), (5, 4)),
    (nn.BatchNorm2d, dict(num_features=2, eps=1e-4, momentum=0.3, affine=True,
                          track_running_stats=True, dtype=nl.float64, bias=False), (3, 2, 2, 2)),
    (nn.BatchNorm2d, dict(num_features=2, affine=False), (3, 2, 2, 2)),
    (nn.Flatten, dict(start_dim=0, end_dim=1), (2, 3, 4)),
    (nn.Dropout, dict(p=0.3, inplace=True), (2, 3)),
    (nn.ReLU, dict(inplace=True), (2, 3)),
    (nn.LeakyReLU, dict(negative_slope=0.2, inplace=True), (2, 3)),
    (nn.Softmax, dict(dim=-2), (2, 3)),
    (nn.LogSoftmax, dict(dim=0), (2, 3)),
    (nn.Softmax, dict(dim=None), (2, 3)),
    (nn.LogSoftmax, dict(dim=None), (2, 3, 4)),
    (nn.Identity, {}, (2, 3)),
    (nn.Step, {}, (2, 3)),
    (nn.Sigmoid, {}, (2, 3)),
    (nn.Tanh, {}, (2, 3)),
    (nn.Sequential, {}, (2, 3)),
    # convolutions
    (nn.Conv2d, dict(in_channels=4, out_channels=6, kernel_size=3, padding=1, groups=2,
                     padding_mode="reflect"), (1, 4, 6, 6)),
    (nn.Conv1d, dict(in_channels=4, out_channels=2, kernel_size=3, stride=2, padding=1,
                     dilation=2, groups=2, bias=False, padding_mode="circular",
                     dtype=nl.float64), (1, 4, 11)),
    (nn.ConvTranspose2d, dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1,
                              output_padding=1, groups=2, bias=False, dilation=2,
                              padding_mode="zeros", dtype=nl.float64), (1, 4, 5, 5)),
    (nn.Unfold, dict(kernel_size=(2, 3), dilation=2, padding=1, stride=(1, 2)), (1, 3, 6, 7)),
    (nn.Fold, dict(output_size=(4, 5), kernel_size=2, dilation=1, padding=1, stride=(2, 1)),
     (1, 8, 18)),
    # pooling and resizing
    (nn.MaxPool2d, dict(kernel_size=3, stride=2, padding=1, dilation=2, return_indices=False,
                        ceil_mode=True), (1, 2, 9, 9)),
    (nn.AvgPool2d, dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                        count_include_pad=False, divisor_override=5), (1, 2, 7, 7)),
    (nn.MaxUnpool2d, dict(kernel_size=2, stride=2, padding=0), None),
    (nn.AdaptiveMaxPool2d, dict(output_size=(3, None), return_indices=False), (1, 2, 6, 4)),
    (nn.Upsample, dict(size=None, scale_factor=2.0, mode="bilinear", align_corners=True,
                       recompute_scale_factor=False), (1, 2, 4, 4)),
    # normalisation, embedding, regularisation
    (nn.LayerNorm, dict(normalized_shape=[2, 3], eps=1e-3, elementwise_affine=True, bias=False,
                        dtype=nl.float64), (4, 2, 3)),
    (nn.LayerNorm, dict(normalized_shape=3, elementwise_affine=False), (4, 3)),
    (nn.GroupNorm, dict(num_groups=2, num_channels=4, eps=1e-4, affine=True, bias=False,
                        dtype=nl.float64), (3, 4, 5)),
    (nn.GroupNorm, dict(num_groups=1, num_channels=2, affine=False), (3, 2)),
    (nn.Embedding, dict(num_embeddings=5, embedding_dim=3, padding_idx=1, dtype=nl.float64),
     None),
    (nn.Dropout2d, dict(p=0.3, inplace=True), (2, 3, 2, 2)),
    # activations
    (nn.GELU, dict(approximate="tanh"), (2, 3)),
    (nn.SiLU, dict(inplace=True), (2, 3)),
    (nn.ELU, dict(alpha=0.5, inplace=True), (2, 3)),
    (nn.SELU, dict(inplace=True), (2, 3)),
    (nn.CELU, dict(alpha=1.5, inplace=True), (2, 3)),
    (nn.Softplus, dict(beta=2.0, threshold=1.5), (2, 3)),
    (nn.Softsign, {}, (2, 3)),
    (nn.Mish, dict(inplace=True), (2, 3)),
    (nn.ReLU6, dict(inplace=True), (2, 3)),
    (nn.Hardtanh, dict(min_val=-2.0, max_val=0.5, inplace=True), (2, 3)),
    (nn.Hardsigmoid, dict(inplace=True), (2, 3)),
    (nn.Hardswish, dict(inplace=True), (2, 3)),
    (nn.LogSigmoid, {}, (2, 3)),
    (nn.PReLU, dict(num_parameters=3, init=0.1, dtype=nl.float64), (2, 3)),
    (nn.Softmin, dict(dim=0), (2, 3)),
    (nn.GLU, dict(dim=0), (2, 3)),
]

# Constructor arguments a model file does not hold, and why.
NOT_SAVED = {
    "device": "only the CPU exists (check_device refuses anything else)",
    "generator": "draws the initial weights, which the file replaces",
    "args": "Identity ignores its arguments, as torch",
    "kwargs": "Identity ignores its arguments, as torch",
    "modules": "Sequential's children are saved as children",
    "min_value": "Hardtanh's deprecated name of min_val, saved as min_val",
    "max_value": "Hardtanh's deprecated name of max_val, saved as max_val",
    "max_norm": "Embedding supports only the default", "norm_type": "Embedding: only the default",
    "scale_grad_by_freq": "Embedding supports only the default",
    "sparse": "Embedding supports only the default",
    "_weight": "the file holds the weight", "_freeze": "requires_grad is not saved",
}


def _id(case: tuple) -> str:
    cls, kwargs, _ = case
    return f"{cls.__name__}({', '.join(f'{k}={v}' for k, v in kwargs.items())})"


def test_every_constructor_argument_is_covered():
    covered = {(cls, key) for cls, kwargs, _ in CASES for key in kwargs}
    for cls in registered_modules().values():
        assert cls in {case[0] for case in CASES}, f"no round-trip case for {cls.__name__}"
        for name in list(inspect.signature(cls.__init__).parameters)[1:]:
            assert (cls, name) in covered or name in NOT_SAVED, (
                f"{cls.__name__}({name}=...) is neither saved in model files nor listed in "
                f"NOT_SAVED")


@pytest.mark.parametrize("case", CASES, ids=map(_id, CASES))
def test_constructor_arguments_round_trip(tmp_path, case):
    cls, kwargs, shape = case
    nl.manual_seed(0)
    module = cls(**kwargs)
    path = tmp_path / "m.safetensors"
    save(module, path)
    loaded = load(path)

    assert type(loaded) is cls and repr(loaded) == repr(module)
    for key, value in kwargs.items():
        if key == "bias":
            assert (loaded.bias is None) == (module.bias is None) == (not value)
        elif key == "dtype":
            assert loaded.weight.dtype == module.weight.dtype == value
        else:
            assert getattr(loaded, key) == getattr(module, key), key
    assert {k: (v.shape, v.dtype) for k, v in loaded.state_dict().items()} == {
        k: (v.shape, v.dtype) for k, v in module.state_dict().items()}

    if cls is nn.MaxUnpool2d:
        return  # its forward needs the pooling's indices too; settings and state match above
    dtype = kwargs.get("dtype", nl.float32)
    x = np.array([[0, 1], [4, 1]]) if cls is nn.Embedding else \
        np.random.default_rng(1).standard_normal(shape).astype(dtype)
    module.eval()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        expected = module(nl.tensor(x)).detach().numpy()
        got = loaded(nl.tensor(x)).detach().numpy()
    assert [str(w.message) for w in caught[:len(caught) // 2]] == [
        str(w.message) for w in caught[len(caught) // 2:]]  # dim=None warns for both alike
    np.testing.assert_array_equal(got, expected)


def _architecture(module: nn.Module, tmp_path) -> dict:
    save(nn.Sequential(module), tmp_path / "m.safetensors")
    return json.loads(load_tensors(tmp_path / "m.safetensors")[1][ARCH])["children"][0]


def test_new_settings_are_written_only_when_not_the_default(tmp_path):
    """Files of default layers look as before these settings existed, so they still load."""
    assert _architecture(nn.ReLU(), tmp_path) == {"type": "ReLU"}
    assert _architecture(nn.ReLU(inplace=True), tmp_path) == {"type": "ReLU", "inplace": True}
    assert _architecture(nn.Dropout(0.5), tmp_path) == {"type": "Dropout", "p": 0.5}
    assert _architecture(nn.LeakyReLU(0.1, True), tmp_path) == {
        "type": "LeakyReLU", "negative_slope": 0.1, "inplace": True}
    assert "bias" not in _architecture(nn.BatchNorm1d(2), tmp_path)
    assert "bias" not in _architecture(nn.BatchNorm1d(2, affine=False, bias=False), tmp_path)
    assert _architecture(nn.BatchNorm1d(2, bias=False), tmp_path)["bias"] is False
    assert _architecture(nn.Softmax(), tmp_path) == {"type": "Softmax", "dim": None}
    assert _architecture(nn.LogSoftmax(1), tmp_path) == {"type": "LogSoftmax", "dim": 1}


def test_inplace_layers_still_overwrite_their_input_after_loading(tmp_path):
    save(nn.Sequential(nn.ReLU(inplace=True), nn.LeakyReLU(0.5, inplace=True)),
         tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    x = nl.tensor([-2.0, 0.0, 3.0])
    assert loaded[0](x) is x and x.tolist() == [0.0, 0.0, 3.0]
    y = nl.tensor([-2.0, 3.0])
    assert loaded[1](y) is y and y.tolist() == [-1.0, 3.0]


def test_batchnorm_without_bias_matches_torch_after_loading(tmp_path):
    torch = pytest.importorskip("torch")
    nl.manual_seed(2)
    ours = nn.BatchNorm2d(3, bias=False, dtype=nl.float64)
    x = np.random.default_rng(3).standard_normal((4, 3, 2, 2))
    ours(nl.tensor(x))  # one training step moves the running statistics
    ours.weight.data.copy_(nl.tensor([0.5, 2.0, -1.0], dtype=nl.float64))
    save(ours, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")

    twin = torch.nn.BatchNorm2d(3, bias=False, dtype=torch.float64)
    twin.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                          for k, v in loaded.state_dict().items()})
    twin.eval()
    expected = twin(torch.from_numpy(x)).detach().numpy()
    # the same normalisation in the same order: (x − mean)/√(var + eps)·w, float64 rounding
    np.testing.assert_allclose(loaded(nl.tensor(x)).detach().numpy(), expected, rtol=1e-13,
                               atol=1e-15)
