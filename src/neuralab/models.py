"""Ready-made architectures used by the CLI and the lab."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from . import nn

ACTIVATIONS = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "sigmoid": nn.Sigmoid,
               "tanh": nn.Tanh}


def mlp(input_shape: Sequence[int], hidden: Sequence[int], num_classes: int,
        activation: str = "relu", dropout: float = 0.0) -> nn.Sequential:
    """Flatten → [Linear → activation (→ Dropout)] per hidden size → Linear to class logits."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    layers: list[nn.Module] = [nn.Flatten()]
    width = int(np.prod(input_shape))
    for size in hidden:
        layers += [nn.Linear(width, size), ACTIVATIONS[activation]()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = size
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)


def _conv_out(size: int, kernel: int, padding: int = 0, stride: int = 1) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def _spatial_after(shape: Sequence[int], steps: Sequence[tuple[int, int, int]],
                   name: str) -> tuple[int, int]:
    """Height and width after conv/pool ``steps`` (kernel, padding, stride); clear error if
    the input is too small for the architecture."""
    height, width = shape[-2], shape[-1]
    for kernel, padding, stride in steps:
        height, width = (_conv_out(height, kernel, padding, stride),
                         _conv_out(width, kernel, padding, stride))
        if height < 1 or width < 1:
            raise ModelChoiceError(f"{name} needs larger images than {shape[-2]}×{shape[-1]} "
                                   f"(e.g. 28×28 MNIST); use the mlp model for the 8×8 digits")
    return height, width


# (kernel, padding, stride) of the conv and pooling layers, shared by the builders and
# count_parameters (whose agreement with the built models a test pins for several shapes).
CNN_STEPS = ((3, 0, 1), (2, 0, 2), (3, 0, 1), (2, 0, 2))
LENET_STEPS = ((5, 2, 1), (2, 0, 2), (5, 0, 1), (2, 0, 2))


def cnn(input_shape: Sequence[int], num_classes: int, batch_norm: bool = False,
        dropout: float = 0.0) -> nn.Sequential:
    """Conv(C→32, 3) ReLU MaxPool(2) → Conv(32→64, 3) ReLU MaxPool(2) → Flatten →
    Linear(→128) ReLU → Linear(128→classes); with ``batch_norm`` a BatchNorm after each conv
    and the hidden Linear, and ``dropout`` before each Linear."""
    channels = input_shape[0] if len(input_shape) == 3 else 1
    height, width = _spatial_after(input_shape, CNN_STEPS, "the cnn model")

    def block(c_in: int, c_out: int) -> list[nn.Module]:
        layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, 3)]
        if batch_norm:
            layers.append(nn.BatchNorm2d(c_out))
        return [*layers, nn.ReLU(), nn.MaxPool2d(2)]

    head: list[nn.Module] = [nn.Flatten()]
    if dropout:
        head.append(nn.Dropout(dropout))
    head.append(nn.Linear(64 * height * width, 128))
    if batch_norm:
        head.append(nn.BatchNorm1d(128))
    head.append(nn.ReLU())
    if dropout:
        head.append(nn.Dropout(dropout))
    head.append(nn.Linear(128, num_classes))
    return nn.Sequential(*block(channels, 32), *block(32, 64), *head)


def lenet(input_shape: Sequence[int], num_classes: int) -> nn.Sequential:
    """LeNet-5 (LeCun et al., 1998) with ReLU and max pooling, as commonly used on 28×28 MNIST:
    Conv(C→6, 5, pad 2) → pool → Conv(6→16, 5) → pool → 120 → 84 → classes."""
    channels = input_shape[0] if len(input_shape) == 3 else 1
    height, width = _spatial_after(input_shape, LENET_STEPS, "the lenet model")
    return nn.Sequential(
        nn.Conv2d(channels, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(16 * height * width, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, num_classes))


MODELS = ("mlp", "cnn", "cnn-bn", "lenet")

# About 0.4 GB of float32 weights, and three to four times that with gradients and optimizer
# state: far more than these architectures need, small enough to refuse before allocating.
MAX_PARAMETERS = 100_000_000


class ModelChoiceError(ValueError):
    """The requested model cannot be built for this data (e.g. a CNN on flat features), or
    would be too large: a problem of the arguments, which the CLI answers with exit 2."""


class ModelTooLargeError(ModelChoiceError):
    """The requested architecture would exceed ``MAX_PARAMETERS``; raised before allocating."""


def _linear(n_in: int, n_out: int) -> int:
    return n_in * n_out + n_out


def count_parameters(name: str, input_shape: Sequence[int], num_classes: int,
                     hidden: Sequence[int] = (256, 128)) -> int:
    """The parameter count ``build_model`` would give, computed without allocating anything."""
    if name == "mlp":
        widths = [math.prod(input_shape), *hidden, num_classes]
        return sum(_linear(a, b) for a, b in zip(widths, widths[1:]))
    channels = input_shape[0] if len(input_shape) == 3 else 1
    if name in ("cnn", "cnn-bn"):
        height, width = _spatial_after(input_shape, CNN_STEPS, "the cnn model")
        count = (_linear(channels * 9, 32) + _linear(32 * 9, 64)
                 + _linear(64 * height * width, 128) + _linear(128, num_classes))
        return count + (2 * (32 + 64 + 128) if name == "cnn-bn" else 0)  # BatchNorm affine
    if name == "lenet":
        height, width = _spatial_after(input_shape, LENET_STEPS, "the lenet model")
        return (_linear(channels * 25, 6) + _linear(6 * 25, 16) + _linear(16 * height * width, 120)
                + _linear(120, 84) + _linear(84, num_classes))
    raise ValueError(f"unknown model {name!r}: choose from {', '.join(MODELS)}")


def check_size(name: str, input_shape: Sequence[int], num_classes: int,
               hidden: Sequence[int] = (256, 128), limit: int = MAX_PARAMETERS) -> int:
    """The parameter count of the model, or ``ModelTooLargeError`` if it exceeds ``limit``."""
    count = count_parameters(name, input_shape, num_classes, hidden)
    if count > limit:
        what = (f"--hidden {','.join(map(str, hidden))} on {math.prod(input_shape):,} input "
                f"features and {num_classes} classes" if name == "mlp"
                else f"on inputs of shape {tuple(input_shape)}")
        raise ModelTooLargeError(
            f"the {name} model ({what}) would need {count:,} parameters "
            f"({count * 4 / 1e9:.1f} GB as float32), more than the limit of {limit:,}"
            + ("; choose smaller --hidden sizes" if name == "mlp" else ""))
    return count


def build_model(name: str, input_shape: Sequence[int], num_classes: int,
                hidden: Sequence[int] = (256, 128), activation: str = "relu",
                dropout: float = 0.0) -> nn.Sequential:
    """One of ``MODELS`` for inputs of ``input_shape`` (C, H, W) or (features,).

    The size is checked first (``check_size``): a model over ``MAX_PARAMETERS`` raises
    ``ModelTooLargeError`` before any weight is allocated."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}: choose from {', '.join(MODELS)}")
    if name != "mlp" and len(input_shape) < 2:
        raise ModelChoiceError(f"the {name} model needs images (C, H, W); this data has flat "
                               f"features of shape {tuple(input_shape)} — use --model mlp")
    check_size(name, input_shape, num_classes, hidden)
    if name == "mlp":
        return mlp(input_shape, hidden, num_classes, activation, dropout)
    if name == "cnn":
        return cnn(input_shape, num_classes, dropout=dropout)
    if name == "cnn-bn":
        return cnn(input_shape, num_classes, batch_norm=True, dropout=dropout or 0.25)
    return lenet(input_shape, num_classes)
