"""Accuracy parity on Fashion-MNIST: neuralab vs PyTorch, same model, data and recipe.

784-256-128-10 ReLU MLP, batch 128, SGD lr 0.05 momentum 0.9, cosine annealing over 10 epochs,
both starting from the same initial weights. neuralab trains through its own ``fit`` and
``DataLoader``; PyTorch through ``torch.utils.data.DataLoader``. Prints per-epoch test accuracy
for both and the final gap. Needs Debian's dataset-fashion-mnist (or the files in the cache).
Run: ``python benchmarks/fashion_mlp_parity.py [--epochs 10] [--seeds 3]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def run(epochs: int, seed: int) -> tuple[list[float], list[float], float, float]:
    """Train both side by side from one seed; per-epoch test accuracies and training times."""
    import torch

    import neuralab as nl
    from neuralab import nn
    from neuralab.data import DataLoader, fashion_mnist
    from neuralab.optim.lr_scheduler import CosineAnnealingLR
    from neuralab.train import evaluate, fit

    train, test = fashion_mnist(train=True), fashion_mnist(train=False)
    x_train, y_train = (a for a in train.tensors)
    x_test, y_test = (a for a in test.tensors)

    nl.manual_seed(seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128),
                          nn.ReLU(), nn.Linear(128, 10))
    initial = model.state_dict()
    opt = nl.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = CosineAnnealingLR(opt, T_max=epochs)
    test_loader = DataLoader(test, batch_size=1000)
    ours_acc: list[float] = []

    class Track(nl.train.Callback):
        def on_epoch_end(self, record, state):
            ours_acc.append(evaluate(state["model"], test_loader).accuracy)
            return False

    start = time.perf_counter()
    fit(model, nn.CrossEntropyLoss(), opt, DataLoader(train, 128, shuffle=True, seed=seed),
        epochs, scheduler=sched, callbacks=[Track()], verbose=0)
    ours_time = time.perf_counter() - start

    torch.manual_seed(seed)
    tmodel = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                 torch.nn.Linear(256, 128), torch.nn.ReLU(),
                                 torch.nn.Linear(128, 10))
    tmodel.load_state_dict({k: torch.from_numpy(v) for k, v in initial.items()})
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.05, momentum=0.9)
    tsched = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=epochs)
    tloader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train)),
        batch_size=128, shuffle=True)
    tx_test, ty_test = torch.from_numpy(x_test), torch.from_numpy(y_test)
    theirs_acc: list[float] = []
    start = time.perf_counter()
    for _ in range(epochs):
        tmodel.train()
        for xb, yb in tloader:
            loss = torch.nn.functional.cross_entropy(tmodel(xb), yb)
            topt.zero_grad()
            loss.backward()
            topt.step()
        tsched.step()
        tmodel.eval()
        with torch.no_grad():
            theirs_acc.append(float((tmodel(tx_test).argmax(1) == ty_test).float().mean()))
    theirs_time = time.perf_counter() - start

    return ours_acc, theirs_acc, ours_time, theirs_time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=1, help="independent runs (seeds 0..N-1)")
    args = parser.parse_args()
    print(f"Fashion-MNIST, 784-256-128-10 ReLU MLP, SGD 0.05 momentum 0.9, cosine over "
          f"{args.epochs} epochs, batch 128")
    finals = []
    for seed in range(args.seeds):
        ours, theirs, ours_time, theirs_time = run(args.epochs, seed)
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
    print(f"gap {gap:+.2f} points   (targets: neuralab >= 88.5%, |gap| <= 0.5)")


if __name__ == "__main__":
    main()
