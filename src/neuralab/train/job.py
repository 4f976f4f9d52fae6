"""A complete training job (what ``neuralab train`` runs): data, model, fit, files, plots."""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

BUILTIN_DATA = ("mnist", "fashion-mnist", "digits")

# What a run writes into its folder, by the keys of ``TrainResult.files``.
RUN_FILES = {"checkpoint": "checkpoint.safetensors", "history": "history.json",
             "model": "model.safetensors", "curves": "loss_accuracy.png",
             "confusion": "confusion_matrix.png", "misclassified": "misclassified.png"}
STAGING_PREFIX = ".neuralab-staging-"


class UsageError(ValueError):
    """An option's value cannot be used — a folder where a file belongs, an unknown data set,
    ``--resume`` with nothing to resume: the CLI answers with its usage line and exit code 2,
    as for a malformed argument."""


class OutputError(OSError):
    """A run's folder or file could not be created or written; the message names it."""

    def __str__(self) -> str:
        return str(self.args[0])


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
    elif Path(name).is_dir():
        raise UsageError(f"{name}: is a folder; --data takes {', '.join(BUILTIN_DATA)} or a "
                         f".csv or .npz file")
    elif Path(name).suffix.lower() in (".csv", ".npz"):
        try:
            table = data.load_table(name, target=target)
        except data.TableNotFoundError as error:  # a path the user typed: a usage error
            raise UsageError(str(error)) from None
        try:
            train, test = data.train_val_split(table, val_fraction, seed=seed)  # keeps .classes
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from None
        label = "validation"
    else:
        raise UsageError(f"unknown data set {name!r}: use one of {', '.join(BUILTIN_DATA)} or "
                         f"a path to a .csv or .npz file")
    x_train, y_train = train.tensors
    classes = getattr(train, "classes", None) or [  # labels 0..max when nothing names them
        str(c) for c in range(int(np.concatenate([y_train, test.tensors[1]]).max()) + 1)]
    return DataBundle(name, train, test, list(classes), tuple(x_train.shape[1:]), label)


# Bounds for a model file's metadata: far above any model here, small enough to allocate.
MAX_INPUT_ELEMENTS = 2 ** 24
MAX_INPUT_DIMS = 3


@dataclass
class ModelSpec:
    """What a model file's metadata says, checked against the model itself."""

    classes: list[str] | None  # None when the file names no classes
    input_shape: tuple[int, ...]  # one example, without the batch dimension
    num_outputs: int


def _infer_input_shape(model: Any, path: str) -> tuple[int, ...]:
    """The input of a model whose file has no ``input_shape``: from its first weighted layer
    (Linear: a flat vector; Conv2d: C×28×28 images, the size the CNNs here are made for)."""
    from .. import nn

    for module in model.modules():
        if isinstance(module, nn.Linear):
            return (module.in_features,)
        if isinstance(module, nn.Conv2d):
            return (module.in_channels, 28, 28)
    raise ValueError(f"{path}: metadata has no 'input_shape' and the model has no Linear or "
                     f"Conv2d layer to tell its input from")


def _parse_meta(path: str, meta: dict[str, str], key: str) -> Any:
    from ..io.files import parse_json

    try:
        return parse_json(meta[key])  # bounded, strict: no NaN, no duplicate keys
    except ValueError:
        raise ValueError(f"{path}: metadata {key!r} is not valid JSON: "
                         f"{meta[key][:60]!r}") from None


def load_model_file(path: str) -> tuple[Any, ModelSpec, dict[str, str]]:
    """The model in ``path``, its checked metadata (``model_spec``) and the raw metadata; a
    missing file is a ``UsageError`` (a path the user typed), a bad one a ``ValueError``."""
    from .. import io

    try:
        model = io.load(path)
    except FileNotFoundError as error:
        raise UsageError(str(error)) from None
    meta = io.read_metadata(path)
    return model, model_spec(model, meta, path), meta


def model_spec(model: Any, meta: dict[str, str], path: str) -> ModelSpec:
    """Validate a loaded model file's ``classes`` and ``input_shape`` metadata (or infer the
    shape from the first layer when absent): shapes are 1–3 positive ints with at most
    ``MAX_INPUT_ELEMENTS`` elements, one zero example must pass through the model to a row of
    scores, and ``classes`` must be strings, one per output. Errors name the file and the key.
    """
    from ..autograd.grad_mode import no_grad
    from ..tensor import Tensor

    if "input_shape" in meta:
        shape = _parse_meta(path, meta, "input_shape")
        if not (isinstance(shape, list) and 1 <= len(shape) <= MAX_INPUT_DIMS
                and all(type(d) is int and d > 0 for d in shape)):
            raise ValueError(f"{path}: metadata 'input_shape' must be a list of 1 to "
                             f"{MAX_INPUT_DIMS} positive integers, got "
                             f"{meta['input_shape'][:60]!r}")
        shape, inferred = tuple(shape), False
    else:
        shape, inferred = _infer_input_shape(model, path), True
    if math.prod(shape) > MAX_INPUT_ELEMENTS:
        raise ValueError(f"{path}: metadata 'input_shape' {list(shape)} has {math.prod(shape):,} "
                         f"elements per example, more than the limit of {MAX_INPUT_ELEMENTS:,}")
    where = "the input shape inferred from its first layer" if inferred else \
        "metadata 'input_shape'"
    dtype = next((p.dtype for p in model.parameters()), np.float32)
    model.eval()
    try:
        with no_grad():
            out = model(Tensor(np.zeros((1, *shape), dtype=dtype)))
    except (ValueError, TypeError, IndexError) as error:
        raise ValueError(f"{path}: {where} {list(shape)} does not fit the model: "
                         f"{error}") from None
    if out.ndim != 2 or out.shape[0] != 1:
        raise ValueError(f"{path}: the model maps one example of shape {list(shape)} to shape "
                         f"{list(out.shape)}, not to one row of class scores")
    outputs = int(out.shape[1])
    classes = None
    if "classes" in meta:
        classes = _parse_meta(path, meta, "classes")
        if not (isinstance(classes, list) and all(isinstance(c, str) for c in classes)):
            raise ValueError(f"{path}: metadata 'classes' must be a JSON list of strings, got "
                             f"{meta['classes'][:60]!r}")
        if len(classes) != outputs:
            raise ValueError(f"{path}: metadata 'classes' names {len(classes)} classes but the "
                             f"model has {outputs} outputs")
    return ModelSpec(classes, shape, outputs)


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


def _write_error(path: Path, error: OSError) -> OutputError:
    return OutputError(f"could not write {path}: {error.strerror or error}")


def prepare_out_dir(path: str | Path) -> list[Path]:
    """Create the output folder ``path`` (and its parents) and prove it writable by writing and
    removing a probe file — before any data is loaded or any training is done. Returns the
    folders it created (so a failed run can remove them while still empty); raises
    ``OutputError`` naming the folder if it cannot be created or written."""
    out = Path(path)
    missing = [p for p in (out, *out.parents) if not p.exists() and not p.is_symlink()]
    for folder in (out, *out.parents):
        if folder.exists() and not folder.is_dir():
            raise UsageError(f"cannot use {out} as the output folder: {folder} is a file, "
                             f"not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create the output folder {out}: "
                          f"{error.strerror or error}") from None
    try:
        fd, probe = tempfile.mkstemp(prefix=".neuralab-probe-", dir=out)
        try:
            os.write(fd, b"probe")
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as error:
        _remove_empty(missing)
        raise OutputError(f"cannot write in the output folder {out}: "
                          f"{error.strerror or error}") from None
    return missing


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:  # deepest first: parents come after their children
        try:
            folder.rmdir()
        except OSError:
            return


def commit_files(out: Path, writers: dict[str, Callable[[Path], Any]]) -> dict[str, Path]:
    """Write a finished run's files into ``out`` all together or not at all.

    Each writer gets a path in a hidden staging folder inside ``out``; only when every file has
    been written are they renamed into place (a rename needs no space), ``model`` last, so a
    ``model.safetensors`` in ``out`` always has its run's history and plots beside it. Outputs of
    an earlier run that this run does not produce (say its plots, under ``--no-plots``) are
    removed then, so the folder never mixes two runs' results. If a write fails (disk full),
    the staging folder is removed, ``out`` is left byte-for-byte as it was and ``OutputError``
    names the file that could not be written.
    """
    try:
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
    except OSError as error:
        raise _write_error(out / RUN_FILES[next(iter(writers))], error) from None
    try:
        for key, write in writers.items():
            try:
                write(staging / RUN_FILES[key])
            except OSError as error:
                raise _write_error(out / RUN_FILES[key], error) from None
        for key in sorted(writers, key=lambda k: k == "model"):
            os.replace(staging / RUN_FILES[key], out / RUN_FILES[key])
        for key, name in RUN_FILES.items():
            if key not in writers and key != "checkpoint":
                (out / name).unlink(missing_ok=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {key: out / RUN_FILES[key] for key in writers}


def run_training(config: TrainConfig, log: Callable[[str], None] = print) -> TrainResult:
    """Train, evaluate on the held-out split, and write model, history and plots to ``out``.

    Before anything is loaded: ``--resume`` needs ``out/checkpoint.safetensors``; the folder
    must be creatable and writable (``prepare_out_dir``); the model must fit ``MAX_PARAMETERS``.
    Files: ``checkpoint.safetensors`` is the run's working state, rewritten atomically after
    every epoch and on Ctrl-C (so ``--resume`` continues even after a crash); ``history.json``,
    ``model.safetensors`` and the plots are the finished run's results, written together by
    ``commit_files`` at the end. So a run that fails or is interrupted leaves an earlier run's
    model, history and plots untouched — never a new history beside an old model — and only
    the checkpoint is new (``--resume`` then finishes the run without redoing its epochs). A
    file that cannot be written raises ``OutputError`` naming it.

    Under ``mpirun -n N`` / ``srun`` (detected by ``fit``) the N ranks train together: the
    batch size is the global batch (a multiple of N), rank 0 loads the data first, logs,
    evaluates and writes every file; the other ranks' standard output is discarded. ``out``
    must be on a file system every rank sees (``--resume`` reads the checkpoint on each).
    """
    from .fit import _launched_world

    world = _launched_world()
    if world is not None and not world.is_main():
        # One job, one report: the other ranks' standard output (this function's log and the
        # CLI's summary after it) is discarded; their standard error still shows a failure.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the rest of this process
        log = _silent
    out = Path(config.out)
    checkpoint = out / RUN_FILES["checkpoint"]
    if config.resume and not checkpoint.is_file():
        raise UsageError(f"--resume: there is no checkpoint to resume from ({checkpoint} does "
                         f"not exist); run without --resume to start a new run")
    if config.plots:
        from ..plot import _pyplot

        _pyplot()  # a missing matplotlib is said now, not after training
    created = prepare_out_dir(out)
    if world is None or world.is_main():
        for stale in out.glob(STAGING_PREFIX + "*"):  # left by a run that was killed
            shutil.rmtree(stale, ignore_errors=True)
    try:
        return _train(config, out, checkpoint, log, world)
    except BaseException:
        _remove_empty(created)  # only while still empty: a run that wrote something keeps it
        raise


def _silent(line: str) -> None:
    """The log of a rank other than 0: says nothing."""


def _train(config: TrainConfig, out: Path, checkpoint: Path, log: Callable[[str], None],
           world: Any) -> TrainResult:
    from .. import io, nn, parallel
    from ..data import DataLoader
    from ..models import build_model
    from ..optim.lr_scheduler import CosineAnnealingLR, StepLR
    from ..random import manual_seed
    from .fit import evaluate, fit, on_main

    manual_seed(config.seed)
    loaded: list[DataBundle] = []

    def load() -> None:
        loaded.append(load_data(config.data, target=config.target,
                                val_fraction=config.val_fraction, seed=config.seed))

    # Under a launcher rank 0 loads first (downloading once, and its error stopping every
    # rank); then the others load the same data, split with the same seed.
    on_main(world, load)
    if not loaded:
        load()
    bundle = loaded[0]
    size = 1 if world is None else world.world_size()
    model = build_model(config.model, bundle.input_shape, len(bundle.classes), config.hidden,
                        config.activation, config.dropout)
    optimizer = build_optimizer(config.optimizer, model.parameters(), config.lr,
                                config.momentum, config.weight_decay)
    scheduler = {"cosine": lambda: CosineAnnealingLR(optimizer, T_max=max(config.epochs, 1)),
                 "step": lambda: StepLR(optimizer, step_size=max(config.epochs // 3, 1)),
                 "none": lambda: None}[config.schedule]()
    batch_size = config.batch_size or (32 if len(bundle.train) < 5000 else 128)
    if batch_size % size:
        given = "" if config.batch_size else " (the default for this data set)"
        raise UsageError(f"--batch-size {batch_size}{given} is the global batch, split evenly "
                         f"across the {size} ranks of this job: use a multiple of {size}")
    train_loader = DataLoader(bundle.train, batch_size=batch_size, shuffle=True,
                              seed=config.seed)
    test_loader = DataLoader(bundle.test, batch_size=1000)
    n_train, n_test = len(bundle.train), len(bundle.test)
    log(f"data: {bundle.name}, {n_train} training and {n_test} {bundle.test_label} examples, "
        f"input {bundle.input_shape}, {len(bundle.classes)} classes")
    log(f"model: {model!r}")
    ranks = "" if size == 1 else f" ({batch_size // size} on each of {size} ranks)"
    log(f"training: {config.optimizer} lr {config.lr}, batch {batch_size}{ranks}, "
        f"{config.epochs} epochs, {config.schedule} schedule, seed {config.seed}")
    # An MLP's activations are too small for neuralab's threads; with one, BLAS threads the
    # products itself, which is faster (README, Speed). Chosen by the model, so deterministic;
    # $NEURALAB_NUM_THREADS overrides it.
    threads = (1 if config.model == "mlp" and "NEURALAB_NUM_THREADS" not in os.environ
               else parallel.get_num_threads())
    with parallel.threads(threads):
        try:
            history = fit(model, nn.CrossEntropyLoss(), optimizer, train_loader, config.epochs,
                          val_loader=test_loader, scheduler=scheduler,
                          clip_grad_norm=config.clip_grad_norm, checkpoint=checkpoint,
                          resume=config.resume, verbose=config.verbose, log=log)
        except OSError as error:  # the checkpoint is the only file fit writes
            raise _write_error(Path(error.filename or checkpoint), error) from None
        # Rank 0's model is the one saved: its evaluation is the run's, on every rank.
        evaluation = on_main(world, lambda: evaluate(model, test_loader, nn.CrossEntropyLoss(),
                                                     len(bundle.classes)))
    if history.interrupted:  # the checkpoint holds the partial history; nothing else changes
        files = {"checkpoint": checkpoint} if checkpoint.is_file() else {}
        return TrainResult(history, evaluation, files, bundle)
    meta = {"classes": json.dumps(bundle.classes), "input_shape": json.dumps(bundle.input_shape),
            "data": bundle.name, "config": json.dumps(asdict(config), default=str)}
    writers: dict[str, Callable[[Path], Any]] = {
        "history": history.save,
        "model": lambda path: io.save(model, path, metadata=meta)}
    if config.plots:
        from .. import plot

        writers["curves"] = lambda path: plot.plot_history(
            history, path, f"{bundle.name}: {_describe(config)}")
        writers["confusion"] = lambda path: plot.plot_confusion_matrix(
            evaluation.confusion, bundle.classes, path,
            f"Confusion matrix ({bundle.test_label}, accuracy {evaluation.accuracy:.2%})")
        writers["misclassified"] = lambda path: plot.plot_misclassified(
            bundle.test.tensors[0], evaluation.targets, evaluation.predictions, bundle.classes,
            path)
    # Rank 0 writes the files; a failure to write is raised on every rank.
    files = {"checkpoint": checkpoint, **on_main(world, lambda: commit_files(out, writers))}
    return TrainResult(history, evaluation, files, bundle)
