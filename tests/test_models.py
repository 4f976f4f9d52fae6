"""Ready-made architectures: shapes, parameter counts against torch, model files, CLI errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _cli import assert_usage_error, run
from _tolerance import assert_normwise_close

import neuralab as nl
from neuralab.models import (
    MAX_PARAMETERS,
    MODELS,
    ModelTooLargeError,
    build_model,
    check_size,
    count_parameters,
)


@pytest.mark.parametrize("name", MODELS)
def test_models_map_28x28_images_to_logits(name: str) -> None:
    nl.manual_seed(0)
    model = build_model(name, (1, 28, 28), 10)
    model.eval()
    with nl.no_grad():
        out = model(nl.randn(3, 1, 28, 28))
    assert out.shape == (3, 10) and out.dtype == np.float32


def test_cnn_matches_the_benchmark_architecture_and_torch_counts() -> None:
    model = build_model("cnn", (1, 28, 28), 10)
    reference = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(1600, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    assert model.num_parameters() == sum(p.numel() for p in reference.parameters())
    reference.load_state_dict({k: torch.from_numpy(v.numpy())
                               for k, v in model.state_dict().items()})
    x = np.random.default_rng(0).random((2, 1, 28, 28), dtype=np.float32)
    with nl.no_grad():
        ours = model(nl.Tensor(x)).numpy()
    # the chain's reduction lengths: 3·3, 32·3·3, 1600 and 128 terms
    assert_normwise_close(ours, reference(torch.from_numpy(x)).detach().numpy(),
                          terms=9 + 288 + 1600 + 128, dtype=np.float32)


def test_cnn_bn_round_trips_through_a_model_file(tmp_path) -> None:
    nl.manual_seed(1)
    model = build_model("cnn-bn", (1, 28, 28), 10)
    model.train()
    model(nl.randn(8, 1, 28, 28))  # move the BatchNorm running statistics off their defaults
    model.eval()
    nl.save(model, tmp_path / "m.safetensors")
    loaded = nl.load(tmp_path / "m.safetensors")
    x = nl.randn(4, 1, 28, 28)
    with nl.no_grad():
        np.testing.assert_array_equal(model(x).numpy(), loaded(x).numpy())


def test_a_cnn_for_data_it_cannot_take_is_an_argument_error(
        capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    code, _, err = run(capsys, ["train", "--data", "digits", "--model", "cnn",
                                "--out", str(tmp_path)])
    assert_usage_error(code, err, "use the mlp model for the 8×8 digits")
    table = tmp_path / "flat.csv"
    table.write_text("a,b,label\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(20)))
    code, _, err = run(capsys, ["train", "--data", str(table), "--model", "lenet",
                                "--out", str(tmp_path / "r")])
    assert_usage_error(code, err, "needs images", "use --model mlp")


@pytest.mark.parametrize("name, shape, hidden", [
    ("mlp", (1, 8, 8), (256, 128)), ("mlp", (5,), ()), ("mlp", (3, 28, 28), (7, 3, 2)),
    ("cnn", (1, 28, 28), ()), ("cnn-bn", (3, 32, 32), ()), ("lenet", (1, 28, 28), ()),
    ("lenet", (2, 36, 30), ()),
])
def test_count_parameters_matches_the_built_model(name: str, shape: tuple, hidden: tuple) -> None:
    model = build_model(name, shape, 7, hidden)
    assert count_parameters(name, shape, 7, hidden) == model.num_parameters()


def test_a_model_over_the_limit_is_refused_before_allocating(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import neuralab.models as models

    def never(*args, **kwargs):
        raise AssertionError("the model was built")

    monkeypatch.setattr(models, "mlp", never)
    hidden = (MAX_PARAMETERS // 64,)  # 64·h + h + 10·h + 10 > the limit
    with pytest.raises(ModelTooLargeError) as error:
        build_model("mlp", (1, 8, 8), 10, hidden)
    need = 64 * hidden[0] + hidden[0] + 10 * hidden[0] + 10
    message = str(error.value)
    assert f"--hidden {hidden[0]}" in message and f"{need:,} parameters" in message
    monkeypatch.undo()
    # Exactly at the limit is allowed: 1·h + h + 1·h + 1 parameters for one feature and class.
    h = (MAX_PARAMETERS - 1) // 3
    assert check_size("mlp", (1,), 1, (h,)) == 3 * h + 1 <= MAX_PARAMETERS
    with pytest.raises(ModelTooLargeError):
        check_size("mlp", (1,), 1, (h,), limit=3 * h)
