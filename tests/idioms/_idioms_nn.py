"""Snippets from "Build the neural network" and the torch.nn docs: modules with fixed weights,
Sequential, named parameters, state_dict, train/eval, devices, losses, softmax, accuracy.

Weights come from NumPy (``layer.weight.copy_(torch.tensor(w))`` under ``no_grad``): the two
libraries' random initialisations differ.
"""

from __future__ import annotations

import numpy as np
from _idioms_harness import idiom

RNG = np.random.default_rng(2024)
IMAGES = np.round(RNG.uniform(size=(3, 4, 4)), 3).astype(np.float32)
W1 = np.round(RNG.normal(scale=0.3, size=(8, 16)), 3).astype(np.float32)
B1 = np.round(RNG.normal(scale=0.1, size=8), 3).astype(np.float32)
W2 = np.round(RNG.normal(scale=0.3, size=(3, 8)), 3).astype(np.float32)
B2 = np.round(RNG.normal(scale=0.1, size=3), 3).astype(np.float32)
# logits with clear winners per row (no ties for max/argmax)
LOGITS = np.array([[2.0, 0.5, -1.0], [0.1, 3.0, 0.2], [-0.5, 0.0, 1.5], [4.0, -2.0, 1.0],
                   [0.3, 0.2, 2.2]], dtype=np.float32)
LABELS = np.array([0, 1, 1, 0, 2])


def _load(torch, layer, weight, bias):
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(weight))
        layer.bias.copy_(torch.tensor(bias))


def _network(torch):
    nn = torch.nn

    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(
                nn.Linear(4 * 4, 8),
                nn.ReLU(),
                nn.Linear(8, 3),
            )

        def forward(self, x):
            x = self.flatten(x)
            logits = self.linear_relu_stack(x)
            return logits

    model = NeuralNetwork()
    _load(torch, model.linear_relu_stack[0], W1, B1)
    _load(torch, model.linear_relu_stack[2], W2, B2)
    return model


@idiom(terms=32)  # a 16-long then an 8-long dot product, softmax's exp and 3-term sum
def build_network_forward(torch):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = _network(torch).to(device)
    X = torch.tensor(IMAGES, device=device)
    logits = model(X)
    pred_probab = torch.nn.Softmax(dim=1)(logits)
    y_pred = pred_probab.argmax(1)
    return {"logits": logits, "probab": pred_probab, "y_pred": y_pred,
            "row_sums": pred_probab.sum(dim=1)}


@idiom(terms=16)
def layer_by_layer(torch):
    nn = torch.nn
    input_image = torch.tensor(IMAGES)
    flatten = nn.Flatten()
    flat_image = flatten(input_image)
    layer1 = nn.Linear(in_features=16, out_features=8)
    _load(torch, layer1, W1, B1)
    hidden1 = layer1(flat_image)
    relu = nn.ReLU()(hidden1)
    return {"flat": flat_image.shape, "hidden": hidden1, "relu": relu,
            "nonneg": bool((relu >= 0).all()), "weight_shape": layer1.weight.shape}


@idiom()
def named_parameters_and_state_dict(torch):
    model = _network(torch)
    names = [(name, tuple(param.size())) for name, param in model.named_parameters()]
    return {"names": names, "state_keys": list(model.state_dict().keys()),
            "count": sum(p.numel() for p in model.parameters()),
            "seq_keys": list(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(),
                                                 torch.nn.Linear(3, 1)).state_dict()),
            "requires": all(p.requires_grad for p in model.parameters()),
            "is_param": isinstance(model.linear_relu_stack[0].weight, torch.nn.Parameter)}


@idiom()
def load_state_dict_roundtrip(torch):
    source = _network(torch)
    target = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 8))
    state = {"1.weight": source.state_dict()["linear_relu_stack.0.weight"],
             "1.bias": source.state_dict()["linear_relu_stack.0.bias"]}
    target.load_state_dict(state)
    return {"weight": target[1].weight, "bias": target[1].bias,
            "detached": source.state_dict()["linear_relu_stack.0.weight"].requires_grad}


@idiom()
def train_eval_modes(torch):
    model = _network(torch)
    dropout = torch.nn.Dropout(0.5)
    model.add_module("drop", dropout)
    start = model.training
    model.eval()
    eval_flags = [m.training for m in model.modules()]
    x = torch.ones(2, 6)
    same = bool((dropout(x) == x).all())
    model.train()
    return {"start": start, "eval_flags": eval_flags, "identity_in_eval": same,
            "back": all(m.training for m in model.modules()),
            "returns_self": model.eval() is model}


@idiom()
def module_to_device_and_dtype(torch):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = _network(torch)
    same = model.to(device) is model
    model.to(torch.float64)
    x = torch.tensor(IMAGES, dtype=torch.float64).to(device)
    out = model(x)
    return {"same": same, "param_dtype": next(model.parameters()).dtype,
            "param_device": str(next(model.parameters()).device), "out_dtype": out.dtype,
            "double": model.double() is model, "float": model.float() is model,
            "float_back": model.linear_relu_stack[0].weight.dtype}


@idiom()
def float64_input_to_float32_layer_fails(torch):
    layer = torch.nn.Linear(3, 2)
    out = {"err": None}
    try:
        layer(torch.ones(4, 3, dtype=torch.float64))
    except RuntimeError:
        out["err"] = "RuntimeError"
    return out


@idiom()
def wrong_input_size_fails(torch):
    layer = torch.nn.Linear(3, 2)
    out = {"err": None}
    try:
        layer(torch.ones(4, 5))
    except RuntimeError:
        out["err"] = "RuntimeError"
    return out


@idiom()
def no_grad_evaluation(torch):
    model = _network(torch)
    model.eval()
    with torch.no_grad():
        out = model(torch.tensor(IMAGES))
    tracked = model(torch.tensor(IMAGES))
    return {"requires": out.requires_grad, "grad_fn": out.grad_fn is None,
            "tracked": tracked.requires_grad, "tracked_fn": tracked.grad_fn is not None}


@idiom()
def accuracy_idioms(torch):
    outputs = torch.tensor(LOGITS)
    labels = torch.tensor(LABELS)
    _, predicted = torch.max(outputs, 1)
    total = labels.size(0)
    correct = (predicted == labels).sum().item()
    values, indices = outputs.max(dim=1)
    return {"max1": outputs.max(1)[1], "predicted": predicted, "values": values,
            "indices": indices, "named": outputs.max(1).indices, "argmax": outputs.argmax(dim=1),
            "correct": correct, "accuracy": 100 * correct / total,
            "mean": (outputs.argmax(1) == labels).float().mean(),
            "type_sum": (outputs.argmax(1) == labels).type(torch.float).sum().item(),
            "eq_dtype": (predicted == labels).dtype, "sum_dtype": (predicted == labels).sum().dtype,
            "max_all": outputs.max(), "pred_dtype": predicted.dtype}


@idiom(terms=8)
def cross_entropy_losses(torch):
    nn = torch.nn
    logits = torch.tensor(LOGITS)
    y = torch.tensor(LABELS)
    loss_fn = nn.CrossEntropyLoss()
    loss = loss_fn(logits, y)
    return {"loss": loss, "dtype": loss.dtype, "shape": loss.shape,
            "sum": nn.CrossEntropyLoss(reduction="sum")(logits, y),
            "none": nn.CrossEntropyLoss(reduction="none")(logits, y),
            "functional": torch.nn.functional.cross_entropy(logits, y),
            "f64": nn.CrossEntropyLoss()(logits.double(), y).dtype,
            "nll": torch.nn.functional.nll_loss(torch.nn.functional.log_softmax(logits, dim=1), y)}


@idiom(terms=8)
def mse_and_softmax(torch):
    F = torch.nn.functional
    pred = torch.tensor(LOGITS)
    target = torch.tensor(LOGITS[::-1].copy())
    probs = F.softmax(pred, dim=1)
    return {"mse": torch.nn.MSELoss()(pred, target), "mse_sum": torch.nn.MSELoss(
        reduction="sum")(pred, target), "f_mse": F.mse_loss(pred, target),
        "softmax": probs, "sums": probs.sum(dim=1), "log_softmax": F.log_softmax(pred, dim=1),
        "relu": F.relu(pred), "sigmoid": torch.sigmoid(pred), "tanh": torch.tanh(pred)}


@idiom()
def module_subclass_with_parameters(torch):
    class Polynomial3(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Parameter(torch.tensor(0.5, dtype=torch.float64))
            self.b = torch.nn.Parameter(torch.tensor(-1.0, dtype=torch.float64))
            self.c = torch.nn.Parameter(torch.tensor(0.25, dtype=torch.float64))
            self.d = torch.nn.Parameter(torch.tensor(0.1, dtype=torch.float64))

        def forward(self, x):
            return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

        def string(self):
            return f"y = {self.a.item():.3f} + {self.b.item():.3f} x"

    model = Polynomial3()
    x = torch.linspace(-1, 1, 5, dtype=torch.float64)
    return {"y": model(x), "names": [n for n, _ in model.named_parameters()],
            "string": model.string(), "leaf": model.a.is_leaf, "requires": model.a.requires_grad}


@idiom()
def sequential_indexing_and_modules(torch):
    nn = torch.nn
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), nn.Flatten(0, 1))
    first = model[0]
    return {"len": len(model), "first": type(first).__name__, "in": first.in_features,
            "out": first.out_features, "children": [type(m).__name__ for m in model.children()],
            "named": [n for n, _ in model.named_modules()],
            "weight_shape": first.weight.shape, "bias_shape": first.bias.shape}


@idiom()
def parameter_gradients_and_clipping(torch):
    model = _network(torch).double()
    x = torch.tensor(IMAGES, dtype=torch.float64)
    loss = model(x).pow(2).sum()
    loss.backward()
    w = model.linear_relu_stack[0].weight
    norm_before = w.grad.norm()
    total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    norms = [p.grad.norm() for p in model.parameters()]
    return {"norm_before": norm_before, "total": total,
            "after": torch.stack(norms).pow(2).sum().sqrt(), "grad_is_tensor":
            type(w.grad).__name__, "grad_dtype": w.grad.dtype}


@idiom()
def apply_init_and_buffers(torch):
    nn = torch.nn

    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.1)
            nn.init.zeros_(m.bias)

    class WithBuffer(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
            self.register_buffer("running", torch.zeros(3))

        def forward(self, x):
            return self.body(x)

    model = WithBuffer()
    returned = model.apply(init_weights)
    out = model(torch.ones(4, 2))
    return {"returned_self": returned is model, "out": out,
            "state_keys": list(model.state_dict()), "buffers": [n for n, _ in
                                                                model.named_buffers()],
            "children": [n for n, _ in model.named_children()],
            "params": len(list(model.parameters())), "buffer": model.running}
