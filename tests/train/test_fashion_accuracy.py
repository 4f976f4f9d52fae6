"""The issue's accuracy bar on real data: Fashion-MNIST (Debian's package) with the MLP recipe.

Skipped when the data set is not installed (``apt-get install dataset-fashion-mnist``; .ci/run
installs it). The side-by-side PyTorch comparison lives in benchmarks/fashion_parity.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import neuralab as nl
from neuralab import nn
from neuralab.data import DataLoader, fashion_mnist
from neuralab.optim.lr_scheduler import CosineAnnealingLR
from neuralab.train import evaluate, fit

pytestmark = pytest.mark.skipif(
    not Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").exists(),
    reason="Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)",
)


def test_mlp_reaches_88_5_percent_in_10_epochs() -> None:
    nl.manual_seed(0)
    train, test = fashion_mnist(train=True), fashion_mnist(train=False)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128),
                          nn.ReLU(), nn.Linear(128, 10))
    opt = nl.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    history = fit(model, nn.CrossEntropyLoss(), opt, DataLoader(train, 128, shuffle=True, seed=0),
                  10, scheduler=CosineAnnealingLR(opt, T_max=10), verbose=0)
    result = evaluate(model, DataLoader(test, batch_size=1000))
    assert history["loss"][-1] < history["loss"][0]
    assert result.accuracy >= 0.885, f"test accuracy {result.accuracy:.2%}"
