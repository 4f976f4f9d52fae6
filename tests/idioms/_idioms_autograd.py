"""Snippets from the autograd tutorial ("Automatic differentiation with torch.autograd", "A
gentle introduction"), the autograd mechanics notes and "Learning PyTorch with Examples"
(custom autograd Functions): grad_fn, is_leaf, retain_grad, hooks, grad mode, detach, in-place
rules, torch.autograd.grad, and the errors PyTorch raises.
"""

from __future__ import annotations

import warnings

import numpy as np
from _idioms_harness import idiom

RNG = np.random.default_rng(7)
W = np.round(RNG.normal(size=(5, 3)), 3)
B = np.round(RNG.normal(size=3), 3)
V = np.round(RNG.normal(size=(2, 3)), 3)


@idiom(terms=8)
def autograd_tutorial_bce(torch):
    x = torch.ones(5)
    y = torch.zeros(3)
    w = torch.tensor(W, dtype=torch.float32, requires_grad=True)
    b = torch.tensor(B, dtype=torch.float32, requires_grad=True)
    z = torch.matmul(x, w) + b
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
    out = {"z_has_grad_fn": z.grad_fn is not None, "loss_has_grad_fn": loss.grad_fn is not None,
           "w_grad_fn": w.grad_fn is None, "loss": loss}
    loss.backward()
    out.update(w_grad=w.grad, b_grad=b.grad, grad_dtype=w.grad.dtype,
               grad_requires_grad=w.grad.requires_grad)
    return out


@idiom()
def disabling_gradient_tracking(torch):
    x = torch.ones(5)
    w = torch.tensor(W, dtype=torch.float32, requires_grad=True)
    z = torch.matmul(x, w)
    tracked = z.requires_grad
    with torch.no_grad():
        z = torch.matmul(x, w)
    z_det = torch.matmul(x, w).detach()
    return {"tracked": tracked, "no_grad": z.requires_grad, "no_grad_fn": z.grad_fn is None,
            "detached": z_det.requires_grad, "detached_leaf": z_det.is_leaf,
            "w_still": w.requires_grad}


@idiom()
def jacobian_vector_product(torch):
    inp = torch.eye(4, 5, dtype=torch.float64, requires_grad=True)
    out = (inp + 1).pow(2).t()
    out.backward(torch.ones_like(out), retain_graph=True)
    first = inp.grad.clone()
    out.backward(torch.ones_like(out), retain_graph=True)
    second = inp.grad.clone()
    inp.grad.zero_()
    out.backward(torch.ones_like(out), retain_graph=True)
    return {"first": first, "second": second, "after_zero": inp.grad, "out_shape": out.shape}


@idiom()
def is_leaf_rules(torch):
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    c = torch.tensor([1.0, 2.0]).requires_grad_()
    d = torch.tensor([1.0, 2.0], requires_grad=True) + 2
    e = torch.tensor([1.0, 2.0])
    f = a.double()
    return {"a": a.is_leaf, "b": b.is_leaf, "c": c.is_leaf, "d": d.is_leaf, "e": e.is_leaf,
            "f": f.is_leaf, "detach": b.detach().is_leaf, "c_requires": c.requires_grad}


@idiom()
def requires_grad_toggle(torch):
    a = torch.tensor(V, dtype=torch.float64)
    before = a.requires_grad
    same = a.requires_grad_() is a
    after = a.requires_grad
    b = (a * a).sum()
    b.backward()
    a.requires_grad_(False)
    return {"before": before, "same": same, "after": after, "grad": a.grad,
            "off": a.requires_grad, "leaf": a.is_leaf}


@idiom()
def grad_fn_names(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = torch.tensor([3.0, 4.0], requires_grad=True)
    s = x + y
    m = x * y
    total = m.sum()
    mean = s.mean()
    return {"add": s.grad_fn.name(), "mul": m.grad_fn.name(), "sum": total.grad_fn.name(),
            "mean": mean.grad_fn.name(), "next": len(total.grad_fn.next_functions),
            "next_is_mul": total.grad_fn.next_functions[0][0].name(),
            "leaf_grad_fn": x.grad_fn is None, "inputs_of_mul": len(m.grad_fn.next_functions)}


@idiom()
def retain_grad_on_intermediate(torch):
    x = torch.tensor(B, dtype=torch.float64, requires_grad=True)
    y = x * 3
    y.retain_grad()
    z = y ** 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns when a non-leaf's .grad is read
        z_grad = z.grad
    z.sum().backward()
    return {"y_grad": y.grad, "x_grad": x.grad, "z_grad_none": z_grad is None,
            "retains": y.retains_grad, "x_retains": x.retains_grad}


@idiom()
def hook_changes_leaf_gradient(torch):
    v = torch.tensor([0.0, 0.0, 0.0], requires_grad=True)
    h = v.register_hook(lambda grad: grad * 2)
    v.backward(torch.tensor([1.0, 2.0, 3.0]))
    doubled = v.grad.clone()
    h.remove()
    v.grad = None
    v.backward(torch.tensor([1.0, 2.0, 3.0]))
    return {"doubled": doubled, "after_remove": v.grad}


@idiom()
def hook_on_intermediate(torch):
    x = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64, requires_grad=True)
    seen = []
    y = x * 3
    y.register_hook(lambda g: seen.append(g.clone()))  # observes, returns None
    y.register_hook(lambda g: g * 0.5)  # then halves what flows on
    (y * y).sum().backward()
    return {"x_grad": x.grad, "seen": seen[0], "calls": len(seen)}


@idiom()
def hook_zeroes_negative_gradients(torch):
    x = torch.tensor(V, dtype=torch.float64, requires_grad=True)
    h = x.register_hook(lambda g: g.clamp(min=0))
    (x * torch.tensor([[1.0, -1.0, 2.0], [-3.0, 0.5, 1.0]], dtype=torch.float64)).sum().backward()
    clamped = x.grad.clone()
    h.remove()
    x.grad.zero_()
    (x * 2).sum().backward()
    return {"clamped": clamped, "plain": x.grad}


@idiom()
def detach_shares_memory(torch):
    w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    d = w.detach()
    d.zero_()
    data = w.data
    data.add_(5)
    return {"w": w, "d_requires": d.requires_grad, "data_requires": data.requires_grad,
            "w_requires": w.requires_grad, "leaf": w.is_leaf}


@idiom()
def no_grad_decorator(torch):
    @torch.no_grad()
    def doubler(x):
        return x * 2

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    z = doubler(x)
    inside = []

    @torch.no_grad()
    def probe():
        inside.append(torch.is_grad_enabled())

    probe()
    return {"z": z, "requires": z.requires_grad, "inside": inside[0],
            "after": torch.is_grad_enabled()}


@idiom()
def set_grad_enabled_modes(torch):
    x = torch.tensor([1.0], requires_grad=True)
    is_train = False
    with torch.set_grad_enabled(is_train):
        y = x * 2
    with torch.set_grad_enabled(True):
        w = x * 2
    torch.set_grad_enabled(False)
    z = x * 2
    disabled = torch.is_grad_enabled()
    torch.set_grad_enabled(True)
    with torch.no_grad():
        with torch.enable_grad():
            e = x * 2
    return {"y": y.requires_grad, "w": w.requires_grad, "z": z.requires_grad,
            "disabled": disabled, "enabled": torch.is_grad_enabled(), "e": e.requires_grad}


@idiom()
def autograd_grad_function(torch):
    x = torch.tensor([1.0, 2.0, -1.5], dtype=torch.float64, requires_grad=True)
    y = (x ** 3).sum()
    (g,) = torch.autograd.grad(y, x)
    x_grad_untouched = x.grad is None
    z = x * x
    (gz,) = torch.autograd.grad(z, x, grad_outputs=torch.ones_like(z))
    return {"g": g, "untouched": x_grad_untouched, "g_requires": g.requires_grad,
            "gz": gz, "still_untouched": x.grad is None}


@idiom()
def autograd_grad_several_inputs(torch):
    a = torch.tensor(V, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(W[:3], dtype=torch.float64, requires_grad=True)
    c = torch.tensor(1.0, requires_grad=True)
    loss = (a @ b).tanh().sum()
    ga, gb = torch.autograd.grad(loss, [a, b], retain_graph=True)
    out = {"ga": ga, "gb": gb, "err": None}
    try:
        torch.autograd.grad(loss, [a, c], retain_graph=True)
    except RuntimeError:
        out["err"] = "RuntimeError"
    ga2, gc = torch.autograd.grad(loss, [a, c], allow_unused=True)
    out.update(ga2=ga2, gc_none=gc is None)
    return out


@idiom()
def grad_accumulates(torch):
    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    for _ in range(3):
        (x * x).sum().backward()
    accumulated = x.grad.clone()
    x.grad = None
    (x * x).sum().backward()
    return {"accumulated": accumulated, "fresh": x.grad, "norm": x.grad.norm(),
            "clone_is_new": x.grad.clone() is not x.grad}


@idiom()
def inplace_under_no_grad_keeps_leaf(torch):
    w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with torch.no_grad():
        w *= 2
        w[0] = -1.0
        w.add_(torch.ones(3))
    return {"w": w, "requires": w.requires_grad, "leaf": w.is_leaf,
            "grad_fn": w.grad_fn is None}


@idiom()
def error_inplace_on_leaf(torch):
    w = torch.ones(3, requires_grad=True)
    out = {}
    for name, change in [("iadd", lambda: w.__iadd__(1)), ("add_", lambda: w.add_(1)),
                         ("setitem", lambda: w.__setitem__(0, 5.0)),
                         ("zero_", lambda: w.zero_())]:
        out[name] = None
        try:
            change()
        except RuntimeError:
            out[name] = "RuntimeError"
    out["unchanged"] = w.detach()
    return out


@idiom()
def error_modified_saved_tensor(torch):
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    x = a * 2
    y = x ** 2  # saves x
    x.add_(1)
    out = {"err": None}
    try:
        y.sum().backward()
    except RuntimeError:
        out["err"] = "RuntimeError"
    return out


@idiom()
def error_modified_saved_output(torch):
    a = torch.tensor([0.5, -1.0], requires_grad=True)
    b = a.exp()  # exp saves its result
    b.mul_(2)
    out = {"err": None, "b": b.detach()}
    try:
        b.sum().backward()
    except RuntimeError:
        out["err"] = "RuntimeError"
    return out


@idiom()
def inplace_on_unsaved_intermediate_is_fine(torch):
    a = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    x = a * 2
    x.add_(1)
    x.mul_(3)
    x.sum().backward()
    return {"x": x, "grad": a.grad, "name": x.grad_fn.name()}


@idiom()
def error_backward_twice(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    out = {"err": None}
    try:
        y.backward()
    except RuntimeError:
        out["err"] = "RuntimeError"
    z = (x * x).sum()
    z.backward(retain_graph=True)
    z.backward()
    out["grad"] = x.grad
    return out


def _raises(call, kind):
    """The name of ``kind`` if ``call()`` raises it (caught by ``except kind``), else None."""
    try:
        call()
    except kind:
        return kind.__name__
    return None


@idiom()
def error_backward_non_scalar(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    out = {"err": None}
    try:
        (x * 2).backward()
    except RuntimeError:
        out["err"] = "RuntimeError"
    return out


@idiom()
def error_backward_without_grad(torch):
    out = {"err": None}
    try:
        torch.ones(2).sum().backward()
    except RuntimeError:
        out["err"] = "RuntimeError"
    return out


@idiom()
def error_integer_requires_grad(torch):
    out = {"err": None}
    try:
        torch.tensor([1, 2], requires_grad=True)
    except RuntimeError:
        out["err"] = "RuntimeError"
    return out


@idiom()
def error_numpy_of_tensor_requiring_grad(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    out = {"err": None}
    try:
        x.numpy()
    except RuntimeError:
        out["err"] = "RuntimeError"
    out["detached"] = x.detach().numpy()
    return out


@idiom()
def error_matmul_shapes(torch):
    out = {"err": None}
    try:
        torch.ones(2, 3) @ torch.ones(2, 3)
    except RuntimeError:
        out["err"] = "RuntimeError"
    out["mm"] = _raises(lambda: torch.matmul(torch.ones(3), torch.ones(4)), RuntimeError)
    return out


@idiom()
def error_view_item_cat(torch):
    return {"view": _raises(lambda: torch.zeros(6).view(4, -1), RuntimeError),
            "item": _raises(lambda: torch.zeros(2).item(), RuntimeError),
            "cat": _raises(lambda: torch.cat([torch.zeros(2, 3), torch.zeros(2, 4)]),
                           RuntimeError),
            "add": _raises(lambda: torch.zeros(2, 3) + torch.zeros(3, 2), RuntimeError)}


@idiom()
def error_index_out_of_range(torch):
    out = {"err": None}
    try:
        torch.zeros(3)[5]
    except IndexError:
        out["err"] = "IndexError"
    out["2d"] = _raises(lambda: torch.zeros(3, 3)[3, 0], IndexError)
    out["negative"] = _raises(lambda: torch.zeros(3)[-4], IndexError)
    out["setitem"] = _raises(lambda: torch.zeros(3).__setitem__(3, 1.0), IndexError)
    return out


# -- custom autograd Functions ------------------------------------------------------------------

def _legendre3(torch):
    class LegendrePolynomial3(torch.autograd.Function):
        """P3(x) = ½(5x³ − 3x), P3'(x) = 1.5(5x² − 1), as in "Learning PyTorch with Examples"."""

        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    return LegendrePolynomial3


@idiom()
def custom_function_legendre(torch):
    P3 = _legendre3(torch)
    x = torch.tensor([-0.5, 0.0, 0.25, 1.0], dtype=torch.float64, requires_grad=True)
    y = P3.apply(x)
    y.sum().backward()
    return {"y": y, "grad": x.grad, "has_grad_fn": y.grad_fn is not None,
            "requires": y.requires_grad, "no_grad_out": P3.apply(x.detach()).requires_grad}


@idiom(terms=100)
def custom_function_legendre_training(torch):
    """The tutorial's fit a + b·P3(c + d·x), here of sin(3x + 0.4): fixed start, float64."""
    P3 = _legendre3(torch)
    dtype = torch.float64
    x = torch.linspace(-1, 1, 200, dtype=dtype)
    y = torch.sin(3 * x + 0.4)
    a = torch.full((), 0.0, dtype=dtype, requires_grad=True)
    b = torch.full((), -1.0, dtype=dtype, requires_grad=True)
    c = torch.full((), 0.0, dtype=dtype, requires_grad=True)
    d = torch.full((), 0.3, dtype=dtype, requires_grad=True)
    learning_rate = 2e-4
    losses = []
    for t in range(150):
        y_pred = a + b * P3.apply(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        if t % 50 == 0:
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
    # one vector: a and c are small next to b; each is compared relative to the largest
    return {"losses": losses, "coefficients": torch.stack([a, b, c, d]).detach(),
            "leaf": a.is_leaf}


@idiom()
def custom_function_needs_input_grad(torch):
    class MulAdd(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, w, b):
            ctx.save_for_backward(x, w)
            return x * w + b

        @staticmethod
        def backward(ctx, grad):
            x, w = ctx.saved_tensors
            seen.append(tuple(ctx.needs_input_grad))
            grad_x = grad_w = grad_b = None
            if ctx.needs_input_grad[0]:
                grad_x = grad * w
            if ctx.needs_input_grad[1]:
                grad_w = grad * x
            if ctx.needs_input_grad[2]:
                grad_b = grad
            return grad_x, grad_w, grad_b

    seen = []
    x = torch.tensor(B, dtype=torch.float64)
    w = torch.tensor([2.0, -1.0, 0.5], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64, requires_grad=True)
    y = MulAdd.apply(x, w, b)
    (y ** 2).sum().backward()
    return {"y": y, "needs": seen[0], "w_grad": w.grad, "b_grad": b.grad,
            "x_grad_none": x.grad is None}


@idiom()
def custom_function_saves_output_and_constant(torch):
    class Exp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            result = i.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_output):
            (result,) = ctx.saved_tensors
            return grad_output * result

    class Scale(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.k = k  # a non-tensor argument is kept on ctx; its gradient is None
            return x * k

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.k, None

    x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
    y = Scale.apply(Exp.apply(x), 3.0)
    y.sum().backward()
    return {"y": y, "grad": x.grad}
