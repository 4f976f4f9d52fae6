"""A complete training job (what ``neuralab train`` runs): data, model, fit, files, plots."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

BUILTIN_DATA = ("mnist", "fashion-mnist", "digits")


@dataclass
class DataBundle:
    """Train and held-out splits of one data set, with what a model needs to know about it."""

    name: str
    train: Any  # TensorDataset
    test: Any
    classes: list[str]
    input_shape: tuple[int, ...]
    test_label: str  # "test" for the official split, "validation" for a split we made


def load_data(name: str, *, target: str = "label", val_fraction: float = 0.2, seed: int = 0,
              root: str | None = None, download: bool = True) -> DataBundle:
    """Built-in data sets by name, or the user's ``.csv``/``.npz`` file split with ``seed``."""
    from .. import data

    if name in ("mnist", "fashion-mnist"):
        loader = data.mnist if name == "mnist" else data.fashion_mnist
        train = loader(root, train=True, download=download)
        test = loader(root, train=False, download=download)
        label = "test"
    elif name == "digits":
        train, test = data.digits(train=True, seed=seed), data.digits(train=False, seed=seed)
        label = "test"
    elif Path(name).suffix.lower() in (".csv", ".npz"):
        table = data.load_table(name, target=target)
        train, test = data.train_val_split(table, val_fraction, seed=seed)  # keeps .classes
        label = "validation"
    else:
        raise ValueError(f"unknown data set {name!r}: use one of {', '.join(BUILTIN_DATA)} or "
                         f"a path to a .csv or .npz file")
    x_train, y_train = train.tensors
    classes = getattr(train, "classes", None) or [  # labels 0..max when nothing names them
        str(c) for c in range(int(np.concatenate([y_train, test.tensors[1]]).max()) + 1)]
    return DataBundle(name, train, test, list(classes), tuple(x_train.shape[1:]), label)


@dataclass
class TrainConfig:
    data: str = "digits"
    model: str = "mlp"  # mlp | cnn | cnn-bn | lenet
    hidden: tuple[int, ...] = (256, 128)
    activation: str = "relu"
    dropout: float = 0.0
    optimizer: str = "sgd"
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "cosine"  # cosine | step | none
    epochs: int = 10
    batch_size: int | None = None  # None: 32 for the small digits set, else 128
    seed: int = 0
    clip_grad_norm: float | None = None
    target: str = "label"
    val_fraction: float = 0.2
    out: str = "runs/digits"
    resume: bool = False
    verbose: int = 1
    plots: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class TrainResult:
    history: Any
    evaluation: Any
    files: dict[str, Path]
    bundle: DataBundle


def _describe(config: TrainConfig) -> str:
    if config.model == "mlp":
        return f"{config.activation} MLP {'-'.join(map(str, config.hidden))}"
    return f"{config.model} model"


def build_optimizer(name: str, params: Any, lr: float, momentum: float,
                    weight_decay: float) -> Any:
    from .. import optim

    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}: use sgd, adam or adamw")


def run_training(config: TrainConfig, log: Callable[[str], None] = print) -> TrainResult:
    """Train, evaluate on the held-out split, and write model, history and plots to ``out``."""
    from .. import io, nn
    from ..data import DataLoader
    from ..models import build_model
    from ..optim.lr_scheduler import CosineAnnealingLR, StepLR
    from ..random import manual_seed
    from .fit import evaluate, fit

    manual_seed(config.seed)
    bundle = load_data(config.data, target=config.target, val_fraction=config.val_fraction,
                       seed=config.seed)
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    model = build_model(config.model, bundle.input_shape, len(bundle.classes), config.hidden,
                        config.activation, config.dropout)
    optimizer = build_optimizer(config.optimizer, model.parameters(), config.lr,
                                config.momentum, config.weight_decay)
    scheduler = {"cosine": lambda: CosineAnnealingLR(optimizer, T_max=max(config.epochs, 1)),
                 "step": lambda: StepLR(optimizer, step_size=max(config.epochs // 3, 1)),
                 "none": lambda: None}[config.schedule]()
    batch_size = config.batch_size or (32 if len(bundle.train) < 5000 else 128)
    train_loader = DataLoader(bundle.train, batch_size=batch_size, shuffle=True,
                              seed=config.seed)
    test_loader = DataLoader(bundle.test, batch_size=1000)
    n_train, n_test = len(bundle.train), len(bundle.test)
    log(f"data: {bundle.name}, {n_train} training and {n_test} {bundle.test_label} examples, "
        f"input {bundle.input_shape}, {len(bundle.classes)} classes")
    log(f"model: {model!r}")
    log(f"training: {config.optimizer} lr {config.lr}, batch {batch_size}, {config.epochs} epochs, "
        f"{config.schedule} schedule, seed {config.seed}")
    history = fit(model, nn.CrossEntropyLoss(), optimizer, train_loader, config.epochs,
                  val_loader=test_loader, scheduler=scheduler,
                  clip_grad_norm=config.clip_grad_norm, checkpoint=out / "checkpoint.safetensors",
                  resume=config.resume, verbose=config.verbose, log=log)
    files = {"checkpoint": out / "checkpoint.safetensors"}
    history.save(out / "history.json")
    files["history"] = out / "history.json"
    evaluation = evaluate(model, test_loader, nn.CrossEntropyLoss(), len(bundle.classes))
    if history.interrupted:
        return TrainResult(history, evaluation, files, bundle)
    meta = {"classes": json.dumps(bundle.classes), "input_shape": json.dumps(bundle.input_shape),
            "data": bundle.name, "config": json.dumps(asdict(config), default=str)}
    io.save(model, out / "model.safetensors", metadata=meta)
    files["model"] = out / "model.safetensors"
    if config.plots:
        from .. import plot

        files["curves"] = plot.plot_history(history, out / "loss_accuracy.png",
                                            f"{bundle.name}: {_describe(config)}")
        files["confusion"] = plot.plot_confusion_matrix(
            evaluation.confusion, bundle.classes, out / "confusion_matrix.png",
            f"Confusion matrix ({bundle.test_label}, accuracy {evaluation.accuracy:.2%})")
        files["misclassified"] = plot.plot_misclassified(
            bundle.test.tensors[0], evaluation.targets, evaluation.predictions, bundle.classes,
            out / "misclassified.png")
    return TrainResult(history, evaluation, files, bundle)
