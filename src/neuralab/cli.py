"""The ``neuralab`` command. Thin: parses arguments and calls the library."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _cmd_xor(args: argparse.Namespace) -> int:
    from .lab.xor import train_xor

    result = train_xor(hidden=args.hidden, activation=args.activation, seed=args.seed,
                       epochs=args.epochs, lr=args.lr)
    print(f"XOR with a 2-{args.hidden}-1 MLP ({args.activation} hidden layer), trained by "
          f"backpropagation: {args.epochs} epochs of SGD, seed {args.seed}")
    print(result.truth_table())
    print(f"final loss {result.losses[-1]:.4f}, accuracy {result.accuracy:.0%}")
    return 0 if result.accuracy == 1.0 else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neuralab", description="neuralab: neural networks from scratch on NumPy")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    xor = commands.add_parser("xor", help="train a small MLP on XOR and print its truth table")
    xor.add_argument("--hidden", type=int, default=4, help="hidden units (default 4)")
    xor.add_argument("--activation", default="tanh",
                     choices=["sigmoid", "tanh", "relu", "leaky_relu"])
    xor.add_argument("--epochs", type=int, default=2000)
    xor.add_argument("--lr", type=float, default=0.1)
    xor.add_argument("--seed", type=int, default=0)
    xor.set_defaults(handler=_cmd_xor)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
