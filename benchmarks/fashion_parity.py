"""Accuracy parity on Fashion-MNIST: neuralab vs PyTorch, same model, data, recipe and init.

SGD lr 0.05 momentum 0.9 with cosine annealing, batch 128: the MLP (784-256-128-10 ReLU) for 10
epochs, the CNNs for 5. neuralab trains through ``fit`` and ``DataLoader``; PyTorch through
``torch.utils.data.DataLoader`` with a module-for-module copy of the model and its initial
weights. Prints per-epoch test accuracy for both and the final gap.

    python benchmarks/fashion_parity.py --model mlp --seeds 3
    python benchmarks/fashion_parity.py --model cnn
    python benchmarks/fashion_parity.py --compare cnn,cnn-bn   # what BatchNorm + Dropout buy

Needs Debian's dataset-fashion-mnist (or the files in neuralab's cache).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import train_batches


def torch_copy(model):  # noqa: ANN001, ANN201 - torch is imported lazily
    """The same architecture as torch modules, with the same weights and buffers."""
    import torch

    from neuralab import nn

    def convert(module):  # noqa: ANN001, ANN202
        kind = type(module).__name__
        if isinstance(module, nn.Sequential):
            return torch.nn.Sequential(*[convert(m) for m in module])
        if kind == "Linear":
            return torch.nn.Linear(module.in_features, module.out_features, module.bias is not None)
        if kind == "Conv2d":
            return torch.nn.Conv2d(module.in_channels, module.out_channels, module.kernel_size,
                                   module.stride, module.padding, module.dilation,
                                   bias=module.bias is not None)
        if kind in ("BatchNorm1d", "BatchNorm2d"):
            return getattr(torch.nn, kind)(module.num_features, module.eps, module.momentum)
        if kind in ("MaxPool2d", "AvgPool2d"):
            return getattr(torch.nn, kind)(module.kernel_size, module.stride, module.padding)
        if kind == "Dropout":
            return torch.nn.Dropout(module.p)
        if kind == "Flatten":
            return torch.nn.Flatten(module.start_dim, module.end_dim)
        return getattr(torch.nn, kind)()  # ReLU, Tanh, Sigmoid, ...

    copy = convert(model)
    copy.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in model.state_dict().items()})
    return copy


def train_neuralab(name: str, epochs: int, seed: int, data) -> tuple[list[float], float, object]:  # noqa: ANN001
    import neuralab as nl
    from neuralab import nn
    from neuralab.data import DataLoader
    from neuralab.models import build_model
    from neuralab.optim.lr_scheduler import CosineAnnealingLR
    from neuralab.train import evaluate, fit

    train, test = data
    nl.manual_seed(seed)
    model = build_model(name, (1, 28, 28), 10)
    initial = torch_copy(model)  # before training: the PyTorch run starts from these weights
    opt = nl.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    test_loader = DataLoader(test, batch_size=1000)
    accuracies: list[float] = []

    class Track(nl.train.Callback):
        def on_epoch_end(self, record, state):  # noqa: ANN001, ANN202
            accuracies.append(evaluate(state["model"], test_loader).accuracy)
            return False

    start = time.perf_counter()
    fit(model, nn.CrossEntropyLoss(), opt, DataLoader(train, 128, shuffle=True, seed=seed),
        epochs, scheduler=CosineAnnealingLR(opt, T_max=epochs), callbacks=[Track()], verbose=0)
    return accuracies, time.perf_counter() - start, initial


def train_torch(model, epochs: int, seed: int, data) -> tuple[list[float], float]:  # noqa: ANN001
    import torch

    train, test = data
    torch.manual_seed(seed)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(*(torch.from_numpy(a) for a in train.tensors)),
        batch_size=128, shuffle=True)
    x_test, y_test = (torch.from_numpy(a) for a in test.tensors)
    accuracies = []
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        train_batches(model, opt, torch.nn.functional.cross_entropy, loader)
        sched.step()
        model.eval()
        with torch.no_grad():
            correct = sum(int((model(x_test[i:i + 1000]).argmax(1) == y_test[i:i + 1000]).sum())
                          for i in range(0, len(y_test), 1000))
        accuracies.append(correct / len(y_test))
    return accuracies, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="mlp", choices=["mlp", "cnn", "cnn-bn", "lenet"])
    parser.add_argument("--epochs", type=int, default=None, help="default 10 (mlp), 5 (CNNs)")
    parser.add_argument("--seeds", type=int, default=1, help="independent runs (seeds 0..N-1)")
    parser.add_argument("--compare", default=None,
                        help="comma-separated neuralab models to train side by side, no torch")
    args = parser.parse_args()
    from neuralab.data import fashion_mnist

    data = (fashion_mnist(train=True), fashion_mnist(train=False))
    if args.compare:
        names = args.compare.split(",")
        epochs = args.epochs or 5
        results = {name: train_neuralab(name, epochs, 0, data)[:2] for name in names}
        print(f"Fashion-MNIST, neuralab only, {epochs} epochs, SGD 0.05 momentum 0.9, cosine")
        print("epoch  " + "  ".join(f"{n:>8}" for n in names))
        for epoch in range(epochs):
            print(f"{epoch + 1:>5}  " + "  ".join(f"{results[n][0][epoch]:8.2%}" for n in names))
        print("time   " + "  ".join(f"{results[n][1]:7.1f}s" for n in names))
        return
    epochs = args.epochs or (10 if args.model == "mlp" else 5)
    print(f"Fashion-MNIST, model {args.model}, SGD lr 0.05 momentum 0.9, cosine over {epochs} "
          f"epochs, batch 128, same initial weights")
    finals = []
    for seed in range(args.seeds):
        ours, ours_time, torch_model = train_neuralab(args.model, epochs, seed, data)
        theirs, theirs_time = train_torch(torch_model, epochs, seed, data)
        print(f"\nseed {seed}\nepoch  neuralab  pytorch")
        for epoch, (a, b) in enumerate(zip(ours, theirs), 1):
            print(f"{epoch:>5}  {a:8.2%}  {b:7.2%}")
        print(f"training time: neuralab {ours_time:.1f} s (with per-epoch test evaluation), "
              f"pytorch {theirs_time:.1f} s")
        finals.append((ours[-1], theirs[-1]))
    ours_final, theirs_final = np.array(finals).T * 100
    gap = ours_final.mean() - theirs_final.mean()
    print(f"\nfinal test accuracy over {args.seeds} seed(s): neuralab {ours_final.mean():.2f}% "
          f"(runs {', '.join(f'{a:.2f}' for a in ours_final)}), pytorch "
          f"{theirs_final.mean():.2f}% (runs {', '.join(f'{b:.2f}' for b in theirs_final)})")
    print(f"gap {gap:+.2f} points   (target |gap| <= 0.5)")


if __name__ == "__main__":
    main()
