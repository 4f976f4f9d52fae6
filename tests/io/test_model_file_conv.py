"""Model-file round trips of the convolution layers: Conv2d with groups and padding modes,
Conv1d and ConvTranspose2d (nl.save / nl.load give the same layer and the same outputs)."""

from __future__ import annotations

import numpy as np
import pytest

import neuralab as nl
from neuralab.io import model_file
from neuralab.io.model_file import ModelFileError
from neuralab.nn.conv import Conv1d, Conv2d, ConvTranspose2d, Fold, Unfold

CASES = [
    (Conv2d, dict(in_channels=4, out_channels=6, kernel_size=3, padding=1, groups=2), (2, 4, 7, 7)),
    (Conv2d, dict(in_channels=3, out_channels=6, kernel_size=(3, 2), groups=3,
                  padding_mode="reflect", padding=(1, 1), bias=False), (2, 3, 6, 5)),
    (Conv2d, dict(in_channels=2, out_channels=2, kernel_size=3, padding="same",
                  padding_mode="circular", dtype=nl.float64), (1, 2, 5, 5)),
    (Conv1d, dict(in_channels=4, out_channels=2, kernel_size=3, stride=2, padding=1, groups=2,
                  dilation=2, padding_mode="replicate"), (2, 4, 11)),
    (Conv1d, dict(in_channels=3, out_channels=5, kernel_size=4, padding="valid", bias=False),
     (2, 3, 9)),
    (ConvTranspose2d, dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1,
                           output_padding=1, groups=2, dilation=1), (2, 4, 5, 5)),
    (ConvTranspose2d, dict(in_channels=3, out_channels=2, kernel_size=(2, 3), stride=(1, 2),
                           dilation=(2, 1), bias=False, dtype=nl.float64), (1, 3, 4, 4)),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0].__name__}-{sorted(c[1])}")
def test_round_trip(tmp_path, case):
    cls, kwargs, shape = case
    nl.manual_seed(0)
    module = cls(**kwargs)
    path = tmp_path / "m.safetensors"
    nl.save(module, path)
    loaded = nl.load(path)
    assert type(loaded) is cls and repr(loaded) == repr(module)
    for key in kwargs:
        if key not in ("bias", "dtype"):  # ints stay ints, pairs stay pairs (as torch prints)
            assert getattr(loaded, key) == getattr(module, key), key
    dtype = module.weight.dtype if hasattr(module, "weight") else nl.float32
    x = nl.tensor(np.random.default_rng(0).standard_normal(shape), dtype=dtype)
    np.testing.assert_array_equal(loaded(x).detach().numpy(), module(x).detach().numpy())


def test_old_conv2d_files_without_groups_still_load(tmp_path):
    module = Conv2d(2, 3, 3)
    path = tmp_path / "m.safetensors"
    nl.save(module, path)
    loaded = nl.load(path)
    assert loaded.groups == 1 and loaded.padding_mode == "zeros"


@pytest.mark.parametrize(("cls", "kwargs", "edit", "message"), [
    (Conv2d, dict(in_channels=4, out_channels=4, kernel_size=3, groups=2), {"groups": 3},
     "groups 3 must divide"),
    (Conv2d, dict(in_channels=4, out_channels=4, kernel_size=3), {"padding_mode": "mirror"},
     "padding_mode"),
    (Conv1d, dict(in_channels=2, out_channels=2, kernel_size=3), {"kernel_size": [3, 3]},
     "kernel_size"),
    (Conv1d, dict(in_channels=2, out_channels=2, kernel_size=3), {"padding": "full"}, "padding"),
    (ConvTranspose2d, dict(in_channels=2, out_channels=2, kernel_size=3),
     {"output_padding": [1, 1]}, "output_padding"),
    (ConvTranspose2d, dict(in_channels=2, out_channels=2, kernel_size=3), {"groups": 0},
     "groups"),
    (Unfold, dict(kernel_size=2), {"kernel_size": [2, 2, 2]}, "kernel_size"),
    (Fold, dict(output_size=4, kernel_size=2), {"padding": -1}, "padding"),
])
def test_invalid_settings_are_refused(cls, kwargs, edit, message):
    module = cls(**kwargs)
    description = model_file._describe(module, "")
    description.update(edit)
    with pytest.raises(ModelFileError, match=message):
        model_file._build(description, "m.safetensors", None)
