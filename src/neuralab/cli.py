"""The ``neuralab`` command. Thin: parses arguments and calls the library."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path


def _error(message: str, code: int = 1) -> int:
    print(f"neuralab: error: {message}", file=sys.stderr)
    return code


def _cmd_xor(args: argparse.Namespace) -> int:
    from .lab.xor import train_xor

    result = train_xor(hidden=args.hidden, activation=args.activation, seed=args.seed,
                       epochs=args.epochs, lr=args.lr)
    print(f"XOR with a 2-{args.hidden}-1 MLP ({args.activation} hidden layer), trained by "
          f"backpropagation: {args.epochs} epochs of SGD, seed {args.seed}")
    print(result.truth_table())
    print(f"final loss {result.losses[-1]:.4f}, accuracy {result.accuracy:.0%}")
    return 0 if result.accuracy == 1.0 else 1


def _cmd_train(args: argparse.Namespace) -> int:
    from .data import DatasetNotFoundError
    from .train.fit import NonFiniteLossError
    from .train.job import TrainConfig, run_training

    config = TrainConfig(
        data=args.data, model=args.model, hidden=args.hidden, activation=args.activation,
        dropout=args.dropout,
        optimizer=args.optimizer, lr=args.lr, momentum=args.momentum,
        weight_decay=args.weight_decay, schedule=args.schedule, epochs=args.epochs,
        batch_size=args.batch_size, seed=args.seed, clip_grad_norm=args.clip_grad_norm,
        target=args.target, val_fraction=args.val_fraction,
        out=args.out or f"runs/{Path(args.data).stem}", resume=args.resume,
        verbose=0 if args.quiet else 1, plots=not args.no_plots)
    try:
        result = run_training(config)
    except (DatasetNotFoundError, NonFiniteLossError, ValueError, FileNotFoundError,
            ImportError) as error:
        return _error(str(error))
    if result.history.interrupted:
        print(f"stopped by Ctrl-C; continue with the same command plus --resume "
              f"(checkpoint: {result.files['checkpoint']})")
        return 130
    ev = result.evaluation
    seconds = sum(result.history["seconds"])
    print(f"{result.bundle.test_label} accuracy: {ev.accuracy:.2%} "
          f"({int(round(ev.accuracy * len(ev.targets)))}/{len(ev.targets)}) after "
          f"{len(result.history)} epochs, {seconds:.1f} s of training")
    for name, path in result.files.items():
        print(f"  {name:>13}: {path}")
    return 0


def _print_evaluation(ev: object, classes: list[str]) -> None:
    print(f"accuracy: {ev.accuracy:.2%} on {len(ev.targets)} examples")
    print("per-class accuracy:")
    width = max(len(c) for c in classes)
    for name, value, total in zip(classes, ev.per_class_accuracy, ev.confusion.sum(axis=1)):
        print(f"  {name:>{width}}  {value:7.2%}  ({total} examples)")
    print("confusion matrix (rows: true class, columns: predicted):")
    cell = max(5, len(str(ev.confusion.max())) + 1)
    print(" " * (width + 2) + "".join(f"{i:>{cell}}" for i in range(len(classes))))
    for i, (name, row) in enumerate(zip(classes, ev.confusion)):
        print(f"  {name:>{width}}" + "".join(f"{v:>{cell}}" for v in row) + f"   ({i})")


def _load_model(path: str) -> tuple[object, dict]:
    from . import io

    model = io.load(path)
    meta = io.read_metadata(path)
    return model, meta


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from . import nn
    from .data import DataLoader, DatasetNotFoundError
    from .io import ModelFileError
    from .train.fit import evaluate
    from .train.job import load_data

    try:
        model, meta = _load_model(args.model)
        bundle = load_data(args.data or meta.get("data", "digits"), target=args.target,
                           val_fraction=args.val_fraction, seed=args.seed)
    except (ModelFileError, DatasetNotFoundError, ValueError, FileNotFoundError) as error:
        return _error(str(error))
    classes = json.loads(meta["classes"]) if "classes" in meta else bundle.classes
    try:
        ev = evaluate(model, DataLoader(bundle.test, batch_size=1000), nn.CrossEntropyLoss(),
                      len(classes))
    except ValueError as error:
        return _error(f"{args.model} does not fit the data {bundle.name!r}: {error}")
    print(f"{args.model} on {bundle.name} ({bundle.test_label} split): loss {ev.loss:.4f}")
    _print_evaluation(ev, classes)
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    import numpy as np

    from .autograd.grad_mode import no_grad
    from .imaging import load_digit_image
    from .io import ModelFileError
    from .tensor import Tensor

    try:
        model, meta = _load_model(args.model)
    except (ModelFileError, FileNotFoundError) as error:
        return _error(str(error))
    shape = tuple(json.loads(meta.get("input_shape", "[1, 28, 28]")))
    classes = json.loads(meta["classes"]) if "classes" in meta else None
    status = 0
    for image_path in args.images:
        try:
            image = load_digit_image(image_path, size=shape[-1]).reshape(shape)
        except (ValueError, FileNotFoundError) as error:
            status = _error(str(error))
            continue
        with no_grad():
            probs = model(Tensor(image[None])).softmax(axis=1).numpy()[0]
        top = np.argsort(probs)[::-1][:3]
        names = [classes[i] if classes else str(i) for i in top]
        print(f"{image_path}: " + ", ".join(f"{n} {probs[i]:.1%}" for n, i in zip(names, top)))
    return status


def _cmd_lab(args: argparse.Namespace) -> int:
    from .lab import EXPERIMENTS, run_experiment
    from .lab.claims import CLAIMS
    from .lab.report import tour_order

    if not args.name:
        print("experiments (run one with: neuralab lab NAME --out DIR):")
        for name in tour_order():
            exp = EXPERIMENTS[name]
            print(f"  {name:<24} {', '.join(exp.claims):<22} {exp.title(args.lang)}")
        print("\nclaims: " + "; ".join(f"{c.id} {c.title(args.lang)}" for c in CLAIMS.values()))
        return 0
    if args.name not in EXPERIMENTS:
        return _error(f"no experiment named {args.name!r}; `neuralab lab` lists them", 2)
    out = Path(args.out or f"lab/{args.name}")
    run = run_experiment(args.name, out, quick=args.quick)
    print(f"{args.name} ({', '.join(run.experiment.claims)}): {run.experiment.title(args.lang)}"
          f" — {run.seconds:.1f} s")
    for finding in run.result.findings():
        print(f"  {finding.claim} [{finding.verdict}] {finding.evidence(args.lang)}")
    for path in [*run.figures, run.json_path]:
        print(f"  wrote {path}")
    return 0


def _cmd_tour(args: argparse.Namespace) -> int:
    from .lab.report import run_tour

    result = run_tour(args.out, lang=args.lang, quick=not args.full)
    print(f"report: {result.report} ({len(result.runs)} experiments, {result.seconds:.0f} s)")
    if result.errors:
        return _error(f"{len(result.errors)} experiment(s) failed: {', '.join(result.errors)}")
    return 0


def _int_list(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers like 256,128, "
                                         f"got {text!r}") from None
    if any(size <= 0 for size in sizes):
        raise argparse.ArgumentTypeError(f"hidden sizes must be positive, got {text!r}")
    return sizes


def _positive(kind: type) -> object:
    def parse(text: str) -> object:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__}, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text!r}")
        return value

    parse.__name__ = kind.__name__
    return parse


def _add_data_arguments(parser: argparse.ArgumentParser, default: str | None) -> None:
    parser.add_argument("--data", default=default,
                        help="mnist, fashion-mnist, digits (offline), or a .csv/.npz file"
                        + (f" (default {default})" if default else ""))
    parser.add_argument("--target", default="label", help="the label column of a CSV file")
    parser.add_argument("--val-fraction", type=float, default=0.2,
                        help="validation share of a CSV/npz file (default 0.2)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neuralab", description="neuralab: neural networks from scratch on NumPy")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    xor = commands.add_parser("xor", help="train a small MLP on XOR and print its truth table")
    xor.add_argument("--hidden", type=_positive(int), default=4, help="hidden units (default 4)")
    xor.add_argument("--activation", default="tanh",
                     choices=["sigmoid", "tanh", "relu", "leaky_relu"])
    xor.add_argument("--epochs", type=_positive(int), default=2000)
    xor.add_argument("--lr", type=_positive(float), default=0.1)
    xor.add_argument("--seed", type=int, default=0)
    xor.set_defaults(handler=_cmd_xor)

    train = commands.add_parser(
        "train", help="train an MLP classifier; writes the model, history.json and plots")
    _add_data_arguments(train, "digits")
    train.add_argument("--model", default="mlp", choices=["mlp", "cnn", "cnn-bn", "lenet"],
                       help="architecture (default mlp; the CNNs need 28×28 images)")
    train.add_argument("--hidden", type=_int_list, default=(256, 128),
                       help="hidden layer sizes (default 256,128)")
    train.add_argument("--activation", default="relu",
                       choices=["relu", "leaky_relu", "sigmoid", "tanh"])
    train.add_argument("--dropout", type=float, default=0.0)
    train.add_argument("--optimizer", default="sgd", choices=["sgd", "adam", "adamw"])
    train.add_argument("--lr", type=_positive(float), default=0.05)
    train.add_argument("--momentum", type=float, default=0.9)
    train.add_argument("--weight-decay", type=float, default=0.0)
    train.add_argument("--schedule", default="cosine", choices=["cosine", "step", "none"],
                       help="learning-rate schedule (default cosine annealing)")
    train.add_argument("--epochs", type=_positive(int), default=10)
    train.add_argument("--batch-size", type=_positive(int), default=None,
                       help="default 128 (32 for data sets under 5,000 examples, e.g. digits)")
    train.add_argument("--clip-grad-norm", type=_positive(float), default=None)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", default=None, help="output folder (default runs/<data>)")
    train.add_argument("--resume", action="store_true",
                       help="continue from OUT/checkpoint.safetensors")
    train.add_argument("--quiet", action="store_true", help="no progress or per-epoch lines")
    train.add_argument("--no-plots", action="store_true", help="skip the PNG figures")
    train.set_defaults(handler=_cmd_train)

    evaluate = commands.add_parser(
        "evaluate", help="accuracy, per-class accuracy and confusion matrix of a saved model")
    evaluate.add_argument("model", help="a model file written by neuralab train")
    _add_data_arguments(evaluate, None)
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.set_defaults(handler=_cmd_evaluate)

    predict = commands.add_parser("predict", help="top-3 classes for images (PNG, JPEG...)")
    predict.add_argument("model", help="a model file written by neuralab train")
    predict.add_argument("images", nargs="+", help="image files")
    predict.set_defaults(handler=_cmd_predict)
    lab = commands.add_parser("lab", help="list the seed-claim experiments, or run one")
    lab.add_argument("name", nargs="?", help="experiment to run (omit to list them)")
    lab.add_argument("--out", default=None, help="folder for PNGs and JSON (default lab/NAME)")
    lab.add_argument("--quick", action="store_true", help="the smaller, faster version")
    lab.add_argument("--lang", default="en", choices=["en", "ko"])
    lab.set_defaults(handler=_cmd_lab)

    tour = commands.add_parser(
        "tour", help="run every experiment in the notes' order; write one HTML report")
    tour.add_argument("--out", default="tour", help="output folder (default ./tour)")
    tour.add_argument("--lang", default="en", choices=["en", "ko"], help="report language")
    tour.add_argument("--full", action="store_true",
                      help="the full-size experiments (minutes) instead of the quick ones")
    tour.set_defaults(handler=_cmd_tour)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:  # training handles Ctrl-C itself; elsewhere just stop quietly
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `neuralab lab | head`: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
