"""The training loop: metrics, callbacks, clipping, non-finite loss, checkpoints and resume."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest
import torch
from _tolerance import assert_close

import neuralab as nl
from neuralab import nn, optim
from neuralab.data import DataLoader, TensorDataset
from neuralab.nn.utils import clip_grad_norm_
from neuralab.optim.lr_scheduler import CosineAnnealingLR
from neuralab.train import (
    Callback,
    EarlyStopping,
    History,
    NonFiniteLossError,
    confusion_matrix,
    evaluate,
    fit,
    per_class_accuracy,
)


def blobs(n: int = 240, seed: int = 0) -> TensorDataset:
    """Three Gaussian blobs in 2-D: easy to learn, so accuracy must climb."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 3], [3, -2], [-3, -2]], dtype=np.float32)
    y = rng.integers(0, 3, n)
    x = centres[y] + rng.standard_normal((n, 2)).astype(np.float32)
    return TensorDataset(x, y.astype(np.int64))


def setup(seed: int = 0, dropout: float = 0.2):
    nl.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, 3))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loader = DataLoader(blobs(), batch_size=32, shuffle=True)
    return model, opt, loader


def test_fit_learns_and_records_history() -> None:
    model, opt, loader = setup()
    val = DataLoader(blobs(90, seed=1), batch_size=45)
    history = fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=5, val_loader=val, verbose=0)
    assert len(history) == 5 and history["epoch"] == [1, 2, 3, 4, 5]
    assert len(history.batch_losses) == 5 * len(loader) == 40
    assert history["loss"][-1] < history["loss"][0]
    assert history["val_accuracy"][-1] > 0.9 and history["accuracy"][-1] > 0.85
    assert set(history.epochs[0]) >= {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}


def test_scheduler_sets_lr_per_epoch() -> None:
    model, opt, loader = setup()
    sched = CosineAnnealingLR(opt, T_max=4)
    history = fit(model, nn.CrossEntropyLoss(), opt, loader, 4, scheduler=sched, verbose=0)
    expected = [0.1 * (1 + np.cos(np.pi * e / 4)) / 2 for e in range(4)]
    np.testing.assert_allclose(history["lr"], expected)


def test_evaluate_confusion_matrix_and_mode_restored() -> None:
    model, opt, loader = setup()
    fit(model, nn.CrossEntropyLoss(), opt, loader, 3, verbose=0)
    model.train()
    data = blobs(90, seed=2)
    result = evaluate(model, DataLoader(data, batch_size=30), nn.CrossEntropyLoss())
    assert model.training  # evaluate put it back
    assert result.confusion.sum() == 90 and result.confusion.shape == (3, 3)
    assert result.accuracy == pytest.approx(np.trace(result.confusion) / 90)
    with nl.no_grad():
        model.eval()
        direct = model(nl.Tensor(data.tensors[0])).numpy().argmax(1)
    np.testing.assert_array_equal(result.predictions, direct)


def test_confusion_matrix_and_per_class_accuracy_values() -> None:
    matrix = confusion_matrix([0, 1, 1, 2, 2, 2], [0, 1, 2, 2, 2, 1], 3)
    np.testing.assert_array_equal(matrix, [[1, 0, 0], [0, 1, 1], [0, 1, 2]])
    np.testing.assert_allclose(per_class_accuracy(matrix), [1.0, 0.5, 2 / 3])


def test_early_stopping_stops_and_restores_best() -> None:
    model, opt, loader = setup()
    val = DataLoader(blobs(60, seed=3), batch_size=60)

    class Worsening(Callback):  # make val_loss rise after epoch 2 by corrupting the weights
        def on_epoch_end(self, record, state):
            if record["epoch"] >= 2:
                for p in state["model"].parameters():
                    p.data += 0.5
            return False

    stopper = EarlyStopping(monitor="val_loss", patience=2)
    history = fit(model, nn.CrossEntropyLoss(), opt, loader, 20, val_loader=val,
                  callbacks=[Worsening(), stopper], verbose=0)
    assert history.stopped_early and len(history) < 20
    assert stopper.best == min(history["val_loss"])


def test_clip_grad_norm_matches_torch() -> None:
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((4, 3)) * 5, rng.standard_normal(3)]
    ours = [nl.Tensor(np.zeros_like(g), requires_grad=True) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, t, g in zip(ours, theirs, grads):
        p.grad = nl.tensor(g)  # copies, as torch.tensor
        t.grad = torch.from_numpy(g.copy())
    for norm_type in (2.0, 1.0, float("inf")):
        grad_tensors = [p.grad for p in ours]
        total = clip_grad_norm_(ours, 1.5, norm_type=norm_type)
        ttotal = torch.nn.utils.clip_grad_norm_(theirs, 1.5, norm_type=norm_type)
        assert isinstance(total, nl.Tensor) and total.shape == () and total.dtype == nl.float64
        assert all(p.grad is g for p, g in zip(ours, grad_tensors))  # scaled in place
        # a norm of 15 non-negative terms: its own scale
        assert_close(total.item(), float(ttotal), scale=float(ttotal), terms=15 + 2)
        for p, t in zip(ours, theirs):
            # g · 1.5/(norm + 1e-6), a few roundings on top of the norm's; the clipping is
            # applied again for each norm type, so the differences add up over the 3 rounds
            assert_close(p.grad, t.grad.numpy(), scale=np.abs(t.grad.numpy()),
                         terms=3 * (15 + 4))


def test_non_finite_loss_stops_with_epoch_and_batch_and_keeps_checkpoint(tmp_path) -> None:
    model, opt, loader = setup()
    ckpt = tmp_path / "ckpt.safetensors"
    fit(model, nn.CrossEntropyLoss(), opt, loader, 1, checkpoint=ckpt, verbose=0)
    good = ckpt.read_bytes()

    class Poison(Callback):
        def on_batch_end(self, state):
            if state["epoch"] == 2 and state["batch"] == 3:
                state["model"][0].weight.data[:] = np.nan

    with pytest.raises(NonFiniteLossError, match=r"epoch 2, batch 4 of 8.*intact"):
        fit(model, nn.CrossEntropyLoss(), opt, loader, 3, checkpoint=ckpt, resume=True,
            callbacks=[Poison()], verbose=0)
    assert ckpt.read_bytes() == good


def _final_weights(model) -> dict[str, np.ndarray]:
    return model.state_dict()


def test_resume_after_epoch_boundary_gives_identical_weights(tmp_path) -> None:
    model, opt, loader = setup()
    sched = CosineAnnealingLR(opt, T_max=4)
    full = fit(model, nn.CrossEntropyLoss(), opt, loader, 4, scheduler=sched, verbose=0)
    reference = _final_weights(model)

    ckpt = tmp_path / "run.safetensors"
    model, opt, loader = setup()
    fit(model, nn.CrossEntropyLoss(), opt, loader, 2, scheduler=CosineAnnealingLR(opt, T_max=4),
        checkpoint=ckpt, verbose=0)
    model, opt, loader = setup(seed=123)  # a fresh process would rebuild everything
    sched = CosineAnnealingLR(opt, T_max=4)
    resumed = fit(model, nn.CrossEntropyLoss(), opt, loader, 4, scheduler=sched,
                  checkpoint=ckpt, resume=True, verbose=0)
    for key, value in reference.items():
        np.testing.assert_array_equal(model.state_dict()[key], value, err_msg=key)
    assert resumed["loss"] == full["loss"] and resumed.batch_losses == full.batch_losses


def test_ctrl_c_saves_checkpoint_mid_epoch_and_resume_matches(tmp_path) -> None:
    model, opt, loader = setup()
    fit(model, nn.CrossEntropyLoss(), opt, loader, 3, verbose=0)
    reference = _final_weights(model)

    class CtrlC(Callback):
        def on_batch_end(self, state):
            if state["epoch"] == 2 and state["batch"] == 5:
                os.kill(os.getpid(), signal.SIGINT)

    ckpt = tmp_path / "run.safetensors"
    model, opt, loader = setup()
    interrupted = fit(model, nn.CrossEntropyLoss(), opt, loader, 3, checkpoint=ckpt,
                      callbacks=[CtrlC()], verbose=0)
    assert interrupted.interrupted and len(interrupted) == 1 and ckpt.exists()
    model, opt, loader = setup(seed=7)
    resumed = fit(model, nn.CrossEntropyLoss(), opt, loader, 3, checkpoint=ckpt, resume=True,
                  verbose=0)
    assert not resumed.interrupted and len(resumed) == 3
    for key, value in reference.items():
        np.testing.assert_array_equal(model.state_dict()[key], value, err_msg=key)


def test_history_json_round_trip(tmp_path) -> None:
    history = History([{"epoch": 1, "loss": 0.5}], [0.7, 0.3])
    history.save(tmp_path / "h.json")
    loaded = History.load(tmp_path / "h.json")
    assert loaded.epochs == history.epochs and loaded.batch_losses == [0.7, 0.3]


def test_manual_seed_makes_training_reproducible() -> None:
    runs = []
    for _ in range(2):
        model, opt, loader = setup(seed=5)
        fit(model, nn.CrossEntropyLoss(), opt, loader, 2, verbose=0)
        runs.append(model.state_dict())
    for key in runs[0]:
        np.testing.assert_array_equal(runs[0][key], runs[1][key])
