"""The ``neuralab`` command. Thin: parses arguments and calls the library."""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .models import MAX_PARAMETERS


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
    result = run_training(config)
    if result.history.interrupted:
        if "checkpoint" not in result.files:
            return _error("stopped by Ctrl-C before a checkpoint was written; nothing to "
                          "resume", 130)
        print(f"stopped by Ctrl-C; continue with the same command plus --resume "
              f"(checkpoint: {result.files['checkpoint']})")
        return 130
    ev = result.evaluation
    seconds = sum(result.history["seconds"])
    print(f"{result.bundle.test_label} accuracy: {ev.accuracy:.2%} "
          f"({int(round(ev.accuracy * len(ev.targets)))}/{len(ev.targets)}) after "
          f"{len(result.history)} epochs, {seconds:.1f} s of training")
    for name, path in result.files.items():
        if path.is_file():  # list only what is really there
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


def _cmd_evaluate(args: argparse.Namespace) -> int:
    import numpy as np

    from . import nn
    from .data import DataLoader, TensorDataset
    from .train.fit import evaluate
    from .train.job import load_data, load_model_file

    model, spec, meta = load_model_file(args.model)
    bundle = load_data(args.data or meta.get("data", "digits"),
                       target=args.target, val_fraction=args.val_fraction, seed=args.seed)
    x, y = bundle.test.tensors
    if x[0].size != int(np.prod(spec.input_shape)):
        return _error(f"{args.model} takes inputs of shape {list(spec.input_shape)} but the "
                      f"data {bundle.name!r} has {list(bundle.input_shape)}")
    classes = spec.classes or bundle.classes
    if len(classes) != spec.num_outputs:
        return _error(f"{args.model} has {spec.num_outputs} outputs but the data "
                      f"{bundle.name!r} has {len(classes)} classes")
    if len(y) and int(y.max()) >= spec.num_outputs:
        return _error(f"the data {bundle.name!r} has labels up to {int(y.max())} but "
                      f"{args.model} has only {spec.num_outputs} outputs")
    test = TensorDataset(x.reshape(len(x), *spec.input_shape), y)
    try:
        ev = evaluate(model, DataLoader(test, batch_size=1000), nn.CrossEntropyLoss(),
                      len(classes))
    except ValueError as error:
        return _error(f"{args.model} does not fit the data {bundle.name!r}: {error}")
    print(f"{args.model} on {bundle.name} ({bundle.test_label} split): loss {ev.loss:.4f}")
    _print_evaluation(ev, classes)
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    import numpy as np

    from .autograd.grad_mode import no_grad
    from .imaging import image_side, load_digit_image
    from .tensor import Tensor
    from .train.job import load_model_file

    model, spec, _ = load_model_file(args.model)
    side = image_side(args.model, spec.input_shape)
    classes = spec.classes or [str(i) for i in range(spec.num_outputs)]
    status = 0
    for image_path in args.images:
        try:
            image = load_digit_image(image_path, size=side).reshape(spec.input_shape)
        except (ValueError, OSError) as error:
            status = _error(str(error))
            continue
        with no_grad():
            probs = model(Tensor(image[None])).softmax(axis=1).numpy()[0]
        top = np.argsort(probs)[::-1][:3]
        print(f"{image_path}: " + ", ".join(f"{classes[i]} {probs[i]:.1%}" for i in top))
    return status


def _cmd_lab(args: argparse.Namespace) -> int:
    from .lab import EXPERIMENTS, run_experiment
    from .lab.claims import CLAIMS
    from .lab.report import tour_order
    from .train.job import prepare_out_dir

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
    prepare_out_dir(out)
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
    from .train.job import prepare_out_dir

    prepare_out_dir(args.out)
    result = run_tour(args.out, lang=args.lang, quick=not args.full)
    print(f"report: {result.report} ({len(result.runs)} experiments, {result.seconds:.0f} s)")
    if result.errors:
        return _error(f"{len(result.errors)} experiment(s) failed: {', '.join(result.errors)}")
    return 0


def _cmd_lessons(args: argparse.Namespace) -> int:
    from .lessons import LESSONS
    from .lessons.book import build_book
    from .lessons.build import write_notebooks

    out = Path(args.out or f"lessons/{args.lang}")
    if args.html:
        print(f"running the {len(LESSONS)} lessons ({args.lang}) for the book:")
        path = build_book(out, args.lang, quick=args.quick)
        print(f"book: {path}")
        return 0
    paths = write_notebooks(out, args.lang, solutions=args.solutions)
    print(f"wrote {len(paths)} notebooks to {out}/ ({paths[0].name} … {paths[-1].name})")
    print(f'open them with Jupyter: pip install "neuralab[lessons]"; jupyter notebook {out}')
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    import numpy as np

    from .onnx import export
    from .train.job import UsageError, load_model_file

    out = Path(args.out) if args.out else Path(args.model).with_suffix(".onnx")
    if out.is_dir():
        raise UsageError(f"--out: {str(out)!r} is a folder; give a file name like model.onnx")
    if not out.resolve().parent.is_dir():
        raise UsageError(f"--out: the folder {str(out.resolve().parent)!r} does not exist")
    if out.resolve() == Path(args.model).resolve():
        raise UsageError(f"--out: {str(out)!r} is the model file itself; give the ONNX file "
                         f"another name")
    model, spec, _ = load_model_file(args.model)
    # The model file's input shape (checked by load_model_file) fixes every size but the batch.
    example = np.zeros((1, *spec.input_shape), dtype=np.float32)
    export(model, example, out, opset=args.opset)
    print(f"wrote {out} (ONNX opset {args.opset}; input 'input' of shape "
          f"[N, {', '.join(map(str, spec.input_shape))}], output 'output' of shape "
          f"[N, {spec.num_outputs}])")
    return 0


def _cmd_playground(args: argparse.Namespace) -> int:
    from .playground.server import serve
    from .train.job import UsageError

    if args.model is not None and not Path(args.model).is_file():
        raise UsageError(f"--model: no model file {args.model!r}")
    try:
        serve(host=args.host, port=args.port, lang=args.lang, model_path=args.model,
              open_browser=not args.no_browser, max_sessions=args.max_sessions)
    except ValueError as error:  # the --model file is not a digit classifier
        raise UsageError(f"--model: {error}") from None
    except OSError as error:
        import socket

        if isinstance(error, socket.gaierror):
            raise UsageError(f"--host: cannot listen on {args.host!r} "
                             f"({error.strerror})") from None
        if error.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
            return _error(f"port {args.port} on {args.host} is in use; pick another --port, "
                          f"or leave --port out for a free one", 1)
        raise
    return 0


# Far above any sensible run, low enough that nothing huge is allocated or looped over.
MAX_EPOCHS = 1_000_000
MAX_BATCH_SIZE = 10_000_000
MAX_HIDDEN_LAYERS = 1000
MAX_SEED = 2 ** 63 - 1


def _number(kind: type, low: float | None = None, high: float | None = None, *,
            low_open: bool = False, high_open: bool = False) -> Callable[[str], Any]:
    """An argparse type: a finite ``kind`` (int or float) in the interval from ``low`` to
    ``high`` (open ends with ``*_open``). nan and inf are refused; argparse turns the error
    into its usage line plus ``argument --option: ...`` and exit code 2."""
    def show(bound: float) -> str:
        return f"{bound:,}" if kind is int else f"{bound:g}"

    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {show(low)}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {show(high)}")
    wanted = f"{'an integer' if kind is int else 'a finite number'} {' and '.join(parts)}".strip()

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except (ValueError, OverflowError):
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}") from None
        if not math.isfinite(value) or (low is not None and (
                value < low or (low_open and value == low))) or (high is not None and (
                value > high or (high_open and value == high))):
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
        return value

    parse.__name__ = kind.__name__
    return parse


_positive = _number(float, 0, low_open=True)
_fraction = _number(float, 0, 1, high_open=True)  # [0, 1): dropout, momentum
_layer_width = _number(int, 1, MAX_PARAMETERS)


def _int_list(text: str) -> tuple[int, ...]:
    parts = [part for part in text.split(",") if part.strip()]
    if len(parts) > MAX_HIDDEN_LAYERS:
        raise argparse.ArgumentTypeError(f"at most {MAX_HIDDEN_LAYERS} hidden layers, got "
                                         f"{len(parts)}")
    try:
        return tuple(_layer_width(part) for part in parts)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers from 1 to {MAX_PARAMETERS:,} like 256,128, "
            f"got {text[:80]!r}") from None


def _add_data_arguments(parser: argparse.ArgumentParser, default: str | None) -> None:
    parser.add_argument("--data", default=default,
                        help="mnist, fashion-mnist, digits (offline), or a .csv/.npz file"
                        + (f" (default {default})" if default else ""))
    parser.add_argument("--target", default="label", help="the label column of a CSV file")
    parser.add_argument("--val-fraction", type=_number(float, 0, 1, low_open=True, high_open=True),
                        default=0.2,
                        help="validation share of a CSV/npz file (default 0.2)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neuralab", description="neuralab: neural networks from scratch on NumPy")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    xor = commands.add_parser("xor", help="train a small MLP on XOR and print its truth table")
    xor.add_argument("--hidden", type=_number(int, 1, 10_000), default=4,
                     help="hidden units (default 4)")
    xor.add_argument("--activation", default="tanh",
                     choices=["sigmoid", "tanh", "relu", "leaky_relu"])
    xor.add_argument("--epochs", type=_number(int, 1, MAX_EPOCHS), default=2000)
    xor.add_argument("--lr", type=_positive, default=0.1)
    xor.add_argument("--seed", type=_number(int, 0, MAX_SEED), default=0)
    xor.set_defaults(handler=_cmd_xor, parser=xor)

    train = commands.add_parser(
        "train", help="train an MLP classifier; writes the model, history.json and plots")
    _add_data_arguments(train, "digits")
    train.add_argument("--model", default="mlp", choices=["mlp", "cnn", "cnn-bn", "lenet"],
                       help="architecture (default mlp; the CNNs need 28×28 images)")
    train.add_argument("--hidden", type=_int_list, default=(256, 128),
                       help="hidden layer sizes (default 256,128)")
    train.add_argument("--activation", default="relu",
                       choices=["relu", "leaky_relu", "sigmoid", "tanh"])
    train.add_argument("--dropout", type=_fraction, default=0.0)
    train.add_argument("--optimizer", default="sgd", choices=["sgd", "adam", "adamw"])
    train.add_argument("--lr", type=_positive, default=0.05)
    train.add_argument("--momentum", type=_fraction, default=0.9)
    train.add_argument("--weight-decay", type=_number(float, 0), default=0.0)
    train.add_argument("--schedule", default="cosine", choices=["cosine", "step", "none"],
                       help="learning-rate schedule (default cosine annealing)")
    train.add_argument("--epochs", type=_number(int, 1, MAX_EPOCHS), default=10)
    train.add_argument("--batch-size", type=_number(int, 1, MAX_BATCH_SIZE), default=None,
                       help="default 128 (32 for data sets under 5,000 examples, e.g. digits)")
    train.add_argument("--clip-grad-norm", type=_positive, default=None)
    train.add_argument("--seed", type=_number(int, 0, MAX_SEED), default=0)
    train.add_argument("--out", default=None, help="output folder (default runs/<data>)")
    train.add_argument("--resume", action="store_true",
                       help="continue from OUT/checkpoint.safetensors")
    train.add_argument("--quiet", action="store_true", help="no progress or per-epoch lines")
    train.add_argument("--no-plots", action="store_true", help="skip the PNG figures")
    train.set_defaults(handler=_cmd_train, parser=train)

    evaluate = commands.add_parser(
        "evaluate", help="accuracy, per-class accuracy and confusion matrix of a saved model")
    evaluate.add_argument("model", help="a model file written by neuralab train")
    _add_data_arguments(evaluate, None)
    evaluate.add_argument("--seed", type=_number(int, 0, MAX_SEED), default=0)
    evaluate.set_defaults(handler=_cmd_evaluate, parser=evaluate)

    predict = commands.add_parser("predict", help="top-3 classes for images (PNG, JPEG...)")
    predict.add_argument("model", help="a model file written by neuralab train")
    predict.add_argument("images", nargs="+", help="image files")
    predict.set_defaults(handler=_cmd_predict, parser=predict)
    lab = commands.add_parser("lab", help="list the seed-claim experiments, or run one")
    lab.add_argument("name", nargs="?", help="experiment to run (omit to list them)")
    lab.add_argument("--out", default=None, help="folder for PNGs and JSON (default lab/NAME)")
    lab.add_argument("--quick", action="store_true", help="the smaller, faster version")
    lab.add_argument("--lang", default="en", choices=["en", "ko"])
    lab.set_defaults(handler=_cmd_lab, parser=lab)

    tour = commands.add_parser(
        "tour", help="run every experiment in the notes' order; write one HTML report")
    tour.add_argument("--out", default="tour", help="output folder (default ./tour)")
    tour.add_argument("--lang", default="en", choices=["en", "ko"], help="report language")
    tour.add_argument("--full", action="store_true",
                      help="the full-size experiments (minutes) instead of the quick ones")
    tour.set_defaults(handler=_cmd_tour, parser=tour)

    lessons = commands.add_parser(
        "lessons", help="write the lessons as Jupyter notebooks (or --html: one book)")
    lessons.add_argument("--lang", default="en", choices=["en", "ko"])
    lessons.add_argument("--out", default=None, help="output folder (default lessons/LANG)")
    lessons.add_argument("--solutions", action="store_true",
                         help="notebooks with the exercises solved")
    lessons.add_argument("--html", action="store_true",
                         help="run every lesson and write one HTML book with its figures")
    lessons.add_argument("--quick", action="store_true",
                         help="with --html: the lessons' smaller training runs")
    lessons.set_defaults(handler=_cmd_lessons, parser=lessons)

    export = commands.add_parser(
        "export", help="convert a model file to another format (ONNX) for other runtimes")
    export.add_argument("model", help="a model file written by neuralab train")
    export.add_argument("--format", required=True, choices=["onnx"], help="output format")
    export.add_argument("--out", default=None,
                        help="output file (default: the model file with suffix .onnx)")
    # the bounds are neuralab.onnx.MIN_OPSET and MAX_OPSET (not imported here: CLI start-up)
    export.add_argument("--opset", type=_number(int, 17, 21), default=17,
                        help="ONNX opset version (default 17)")
    export.set_defaults(handler=_cmd_export, parser=export)

    playground = commands.add_parser(
        "playground", help="train networks live in your browser (a local web app)")
    playground.add_argument("--port", type=_number(int, 0, 65535), default=0,
                            help="port to listen on (default: a free one)")
    playground.add_argument("--host", default="127.0.0.1",
                            help="address to bind (default 127.0.0.1: this machine only)")
    playground.add_argument("--lang", default="en", choices=["en", "ko"], help="page language")
    playground.add_argument("--model", default=None,
                            help="a model file from neuralab train for the draw-a-digit tab "
                            "(default: train one there on the offline digits set)")
    playground.add_argument("--max-sessions", type=_number(int, 1, 64), default=8,
                            help="browser tabs that may train at once (default 8)")
    playground.add_argument("--no-browser", action="store_true",
                            help="print the URL but do not open a browser")
    playground.set_defaults(handler=_cmd_playground, parser=playground)
    return parser


def _failure_line(error: BaseException) -> str:
    """One line for an error the user can act on (the file or option is in the message)."""
    if isinstance(error, OSError) and not str(error).startswith(("could not", "cannot")):
        if error.filename is not None and error.strerror:
            return f"{error.filename}: {error.strerror}"
    if isinstance(error, MemoryError):
        return f"out of memory{': ' + str(error) if str(error) else ''}"
    return " ".join(str(error).split()) or type(error).__name__


def main(argv: Sequence[str] | None = None) -> int:
    from .models import ModelChoiceError
    from .train.job import UsageError

    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (ModelChoiceError, UsageError) as error:  # an unusable argument: usage, exit 2
        args.parser.error(str(error))
    except KeyboardInterrupt:  # training handles Ctrl-C itself; elsewhere just stop quietly
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `neuralab lab | head`: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:
        if not _is_user_error(error):
            raise
        return _error(_failure_line(error))


def _is_user_error(error: Exception) -> bool:
    """Everything a user's input or machine can cause — bad files and data (ValueError,
    ModelFileError), a missing data set, disk full, no memory, a NaN loss: one line, exit 1."""
    from .data import DatasetNotFoundError
    from .data.download import DownloadError
    from .train.fit import NonFiniteLossError

    return isinstance(error, (ValueError, OSError, MemoryError, ImportError, NonFiniteLossError,
                              DatasetNotFoundError, DownloadError))


if __name__ == "__main__":
    sys.exit(main())
