"""Snippets from "Learning PyTorch with Examples" (the fit of sin(x) by a cubic: tensors with
hand-written gradients, autograd, nn, optim, a custom Module; the older two-layer ReLU net) and
"Optimization loop": manual SGD loops with in-place updates, optimizers, train/test loops.

Every training run starts from fixed weights and runs in float64, so the two libraries follow
the same trajectory up to summation-order rounding.
"""

from __future__ import annotations

import math

import numpy as np
from _idioms_harness import idiom

RNG = np.random.default_rng(31)
START = {"a": 0.1, "b": -0.2, "c": 0.05, "d": 0.3}
X_REG = np.round(RNG.normal(size=(12, 3)), 3)
Y_REG = np.round(X_REG @ np.array([[1.5], [-2.0], [0.5]]) + 0.3, 3)
W_REG = np.array([[0.2, -0.1, 0.4]])
B_REG = np.array([0.05])
X_TWO = np.round(RNG.normal(size=(16, 10)), 3)
Y_TWO = np.round(RNG.normal(size=(16, 3)), 3)
W1_TWO = np.round(RNG.normal(scale=0.3, size=(10, 12)), 3)
W2_TWO = np.round(RNG.normal(scale=0.3, size=(12, 3)), 3)
X_CLS = np.round(RNG.normal(size=(20, 4, 4)), 3)
Y_CLS = RNG.integers(0, 3, size=20)
W1_CLS = np.round(RNG.normal(scale=0.25, size=(8, 16)), 3)
B1_CLS = np.round(RNG.normal(scale=0.1, size=8), 3)
W2_CLS = np.round(RNG.normal(scale=0.3, size=(3, 8)), 3)
B2_CLS = np.round(RNG.normal(scale=0.1, size=3), 3)


def _sine_data(torch, n=2000):
    x = torch.linspace(-math.pi, math.pi, n, dtype=torch.float64)
    return x, torch.sin(x)


def _regression_model(torch):
    model = torch.nn.Linear(3, 1).double()
    with torch.no_grad():
        model.weight.copy_(torch.tensor(W_REG))
        model.bias.copy_(torch.tensor(B_REG))
    return model


def _classifier(torch):
    nn = torch.nn
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 3))
    model = model.to(torch.float64)
    with torch.no_grad():
        model[1].weight.copy_(torch.tensor(W1_CLS))
        model[1].bias.copy_(torch.tensor(B1_CLS))
        model[3].weight.copy_(torch.tensor(W2_CLS))
        model[3].bias.copy_(torch.tensor(B2_CLS))
    return model


# -- fitting sin(x) by a cubic ------------------------------------------------------------------

@idiom(terms=2000)
def sine_fit_tensors_manual_gradients(torch):
    x, y = _sine_data(torch)
    a, b, c, d = (torch.tensor(START[k], dtype=torch.float64) for k in "abcd")
    learning_rate = 1e-6
    losses = []
    for t in range(150):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum().item()
        if t % 50 == 49:
            losses.append(loss)
        grad_y_pred = 2.0 * (y_pred - y)
        grad_a = grad_y_pred.sum()
        grad_b = (grad_y_pred * x).sum()
        grad_c = (grad_y_pred * x ** 2).sum()
        grad_d = (grad_y_pred * x ** 3).sum()
        a -= learning_rate * grad_a
        b -= learning_rate * grad_b
        c -= learning_rate * grad_c
        d -= learning_rate * grad_d
    return {"losses": losses, "a": a, "b": b, "c": c, "d": d}


@idiom(terms=2000)
def sine_fit_autograd(torch):
    x, y = _sine_data(torch)
    a, b, c, d = (torch.tensor(START[k], dtype=torch.float64, requires_grad=True)
                  for k in "abcd")
    learning_rate = 1e-6
    losses = []
    for t in range(150):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if t % 50 == 49:
            losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return {"losses": losses, "a": a, "b": b, "c": c, "d": d, "leaf": a.is_leaf}


def _polynomial_model(torch):
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1)).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[START["b"], START["c"], START["d"]]],
                                           dtype=torch.float64))
        model[0].bias.copy_(torch.tensor([START["a"]], dtype=torch.float64))
    return model


@idiom(terms=2000)
def sine_fit_nn(torch):
    x, y = _sine_data(torch)
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    model = _polynomial_model(torch)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    learning_rate = 1e-6
    for _ in range(150):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad
    linear_layer = model[0]
    return {"xx": xx.shape, "xx_dtype": xx.dtype, "loss": loss.item(),
            "bias": linear_layer.bias, "weight": linear_layer.weight,
            "as_text": f"{linear_layer.bias.item():.6f} {linear_layer.weight[:, 0].item():.6f}"}


@idiom(terms=2000)
def sine_fit_optim_rmsprop(torch):
    x, y = _sine_data(torch)
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    model = _polynomial_model(torch)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    for _ in range(150):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return {"loss": loss.item(), "weight": model[0].weight, "bias": model[0].bias}


@idiom(terms=2000)
def sine_fit_custom_module(torch):
    class Polynomial3(torch.nn.Module):
        def __init__(self):
            super().__init__()
            for k in "abcd":
                setattr(self, k, torch.nn.Parameter(torch.tensor(START[k],
                                                                 dtype=torch.float64)))

        def forward(self, x):
            return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

    x, y = _sine_data(torch)
    model = Polynomial3()
    criterion = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)
    for _ in range(150):
        y_pred = model(x)
        loss = criterion(y_pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return {"loss": loss.item(), "a": model.a, "b": model.b, "c": model.c, "d": model.d,
            "n_params": len(list(model.parameters()))}


# -- the two-layer ReLU network -----------------------------------------------------------------

@idiom(terms=400)
def two_layer_net_manual_backward(torch):
    dtype = torch.float64
    x = torch.tensor(X_TWO, dtype=dtype)
    y = torch.tensor(Y_TWO, dtype=dtype)
    w1 = torch.tensor(W1_TWO, dtype=dtype)
    w2 = torch.tensor(W2_TWO, dtype=dtype)
    learning_rate = 1e-3
    for _ in range(50):
        h = x.mm(w1)
        h_relu = h.clamp(min=0)
        y_pred = h_relu.mm(w2)
        loss = (y_pred - y).pow(2).sum().item()
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.t().mm(grad_y_pred)
        grad_h_relu = grad_y_pred.mm(w2.t())
        grad_h = grad_h_relu.clone()
        grad_h[h < 0] = 0
        grad_w1 = x.t().mm(grad_h)
        w1 -= learning_rate * grad_w1
        w2 -= learning_rate * grad_w2
    return {"loss": loss, "w1": w1, "w2": w2}


@idiom(terms=400)
def two_layer_net_autograd_grad_zero(torch):
    dtype = torch.float64
    x = torch.tensor(X_TWO, dtype=dtype)
    y = torch.tensor(Y_TWO, dtype=dtype)
    w1 = torch.tensor(W1_TWO, dtype=dtype, requires_grad=True)
    w2 = torch.tensor(W2_TWO, dtype=dtype, requires_grad=True)
    learning_rate = 1e-3
    for _ in range(50):
        y_pred = x.mm(w1).clamp(min=0).mm(w2)
        loss = (y_pred - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            w1 -= learning_rate * w1.grad
            w2 -= learning_rate * w2.grad
            w1.grad.zero_()
            w2.grad.zero_()
    return {"loss": loss.item(), "w1": w1, "w2": w2, "grad": w1.grad}


@idiom(terms=400)
def two_layer_net_nn_relu(torch):
    model = torch.nn.Sequential(torch.nn.Linear(10, 12, bias=False), torch.nn.ReLU(),
                                torch.nn.Linear(12, 3, bias=False)).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor(W1_TWO.T))
        model[2].weight.copy_(torch.tensor(W2_TWO.T))
    x = torch.tensor(X_TWO)
    y = torch.tensor(Y_TWO)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    for _ in range(50):
        loss = loss_fn(model(x), y)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= 1e-3 * param.grad
    return {"loss": loss.item(), "w1": model[0].weight, "w2": model[2].weight}


# -- manual SGD steps, every spelling learners use ----------------------------------------------

def _regression_steps(torch, update, steps=20):
    model = _regression_model(torch)
    x = torch.tensor(X_REG)
    y = torch.tensor(Y_REG)
    loss_fn = torch.nn.MSELoss()
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        loss.backward()
        update(model, 0.1)
    return {"weight": model.weight, "bias": model.bias, "loss": loss.item(),
            "leaf": model.weight.is_leaf, "requires": model.weight.requires_grad,
            "grad_none": model.weight.grad is None}


@idiom(terms=200)
def sgd_isub_under_no_grad(torch):
    def update(model, lr):
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
                p.grad.zero_()
    return _regression_steps(torch, update)


@idiom(terms=200)
def sgd_sub_underscore_grad_none(torch):
    def update(model, lr):
        with torch.no_grad():
            for p in model.parameters():
                p.sub_(lr * p.grad)
                p.grad = None
    return _regression_steps(torch, update)


@idiom(terms=200)
def sgd_data_isub(torch):
    def update(model, lr):
        for p in model.parameters():
            p.data -= lr * p.grad
            p.grad.zero_()
    return _regression_steps(torch, update)


@idiom(terms=200)
def sgd_data_add_alpha(torch):
    def update(model, lr):
        for p in model.parameters():
            p.data.add_(p.grad.data, alpha=-lr)
        model.zero_grad()
    return _regression_steps(torch, update)


@idiom(terms=200)
def sgd_copy_under_no_grad(torch):
    def update(model, lr):
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p - lr * p.grad)
                p.grad.zero_()
    return _regression_steps(torch, update)


@idiom(terms=200)
def sgd_named_parameters_dict(torch):
    def update(model, lr):
        with torch.no_grad():
            for _name, p in model.named_parameters():
                p.add_(-lr * p.grad)
        for p in model.parameters():
            p.grad = None
    return _regression_steps(torch, update)


@idiom()
def isub_without_no_grad_fails(torch):
    model = _regression_model(torch)
    model(torch.tensor(X_REG)).sum().backward()
    out = {"err": None}
    try:
        for p in model.parameters():
            p -= 0.1 * p.grad
    except RuntimeError:
        out["err"] = "RuntimeError"
    out["weight"] = model.weight.detach()
    return out


# -- optimizers -----------------------------------------------------------------------------------

def _optimizer_steps(torch, make_optimizer, steps=10):
    model = _classifier(torch)
    optimizer = make_optimizer(model.parameters())
    x = torch.tensor(X_CLS)
    y = torch.tensor(Y_CLS)
    loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    return {"w1": model[1].weight, "b1": model[1].bias, "w2": model[3].weight,
            "b2": model[3].bias, "loss": loss.item(),
            "grads_kept": all(p.grad is not None for p in model.parameters())}


@idiom(terms=300)
def optim_sgd_momentum(torch):
    return _optimizer_steps(torch, lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9))


@idiom(terms=300)
def optim_sgd_nesterov_weight_decay(torch):
    return _optimizer_steps(torch, lambda ps: torch.optim.SGD(
        ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-2))


@idiom(terms=300)
def optim_adam(torch):
    return _optimizer_steps(torch, lambda ps: torch.optim.Adam(ps, lr=1e-2))


@idiom(terms=300)
def optim_adam_betas_weight_decay(torch):
    return _optimizer_steps(torch, lambda ps: torch.optim.Adam(
        ps, lr=5e-3, betas=(0.8, 0.99), weight_decay=1e-3))


@idiom()
def optimizer_zero_grad_sets_none(torch):
    model = _regression_model(torch)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model(torch.tensor(X_REG)).sum().backward()
    had = model.weight.grad is not None
    optimizer.zero_grad()
    after_optim = model.weight.grad is None
    model(torch.tensor(X_REG)).sum().backward()
    optimizer.zero_grad(set_to_none=False)
    zeros = model.weight.grad
    model.zero_grad()
    return {"had": had, "after_optim": after_optim, "zeros": zeros,
            "after_model": model.weight.grad is None,
            "groups": len(optimizer.param_groups), "lr": optimizer.param_groups[0]["lr"]}


@idiom()
def optimizer_changes_lr(torch):
    model = _regression_model(torch)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for group in optimizer.param_groups:
        group["lr"] = 0.01
    model(torch.tensor(X_REG)).sum().backward()
    grad = model.weight.grad.clone()
    optimizer.step()
    return {"weight": model.weight, "expected": torch.tensor(W_REG) - 0.01 * grad}


# -- the optimization-loop tutorial ---------------------------------------------------------------

def _train_loop(torch, dataloader, model, loss_fn, optimizer, batch_size, log):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        pred = model(X)
        loss = loss_fn(pred, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if batch % 2 == 0:
            loss, current = loss.item(), batch * batch_size + len(X)
            log.append((loss, current, size))


def _test_loop(torch, dataloader, model, loss_fn):
    model.eval()
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    return test_loss, correct


@idiom(terms=500)
def optimization_loop_tutorial(torch):
    from_data = torch.utils.data
    dataset = from_data.TensorDataset(torch.tensor(X_CLS), torch.tensor(Y_CLS))
    batch_size = 8
    train_dataloader = from_data.DataLoader(dataset, batch_size=batch_size)
    test_dataloader = from_data.DataLoader(dataset, batch_size=batch_size)
    model = _classifier(torch)
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    log, results = [], []
    for _t in range(3):
        _train_loop(torch, train_dataloader, model, loss_fn, optimizer, batch_size, log)
        results.append(_test_loop(torch, test_dataloader, model, loss_fn))
    return {"log": log, "results": results, "w": model[3].weight}


@idiom(terms=500)
def classifier_running_loss_loop(torch):
    data = torch.utils.data
    trainloader = data.DataLoader(data.TensorDataset(torch.tensor(X_CLS), torch.tensor(Y_CLS)),
                                  batch_size=5, shuffle=False)
    net = _classifier(torch)
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    running = []
    for _epoch in range(2):
        running_loss = 0.0
        for _i, data_batch in enumerate(trainloader, 0):
            inputs, labels = data_batch
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
        running.append(running_loss)
    correct = 0
    total = 0
    with torch.no_grad():
        for images, labels in trainloader:
            outputs = net(images)
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    return {"running": running, "correct": correct, "total": total,
            "accuracy": 100 * correct // total}


@idiom(terms=200)
def float32_quickstart_steps(torch):
    """The quickstart in float32 (the default dtype): 5 SGD steps; the bound is float32's."""
    model = _classifier(torch).float()
    x = torch.tensor(X_CLS, dtype=torch.float32)
    y = torch.tensor(Y_CLS)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-2)
    loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(5):
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return {"loss": loss, "loss_dtype": loss.dtype, "w": model[3].weight,
            "w_dtype": model[3].weight.dtype}
