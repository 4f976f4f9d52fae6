"""Ready-made architectures used by the CLI and the lab."""

from __future__ import annotations

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
