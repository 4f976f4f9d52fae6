"""The visible graph, hooks, retain_grad, autograd.grad and custom Functions, side by side with
PyTorch: the same code runs on both libraries and must give the same results."""

import numpy as np
import pytest
import torch

import neuralab as nl

LIBS = [nl, torch]
IDS = ["neuralab", "torch"]


def _values(t):
    return np.array(t.detach().numpy())


@pytest.mark.parametrize("lib", LIBS, ids=IDS)
def test_grad_fn_names_and_next_functions(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    c = lib.tensor([3.0, 4.0])
    y = (x * c + x).sum()
    assert x.grad_fn is None and x.is_leaf and c.is_leaf and not y.is_leaf
    assert y.grad_fn.name() == "SumBackward0"
    (add, _), = y.grad_fn.next_functions
    assert add.name() == "AddBackward0"
    (mul, _), (acc, _) = add.next_functions
    assert mul.name() == "MulBackward0" and acc.name().endswith("AccumulateGrad")
    assert acc.variable is x
    (leaf, _), (none, _) = mul.next_functions
    assert leaf.variable is x and none is None  # c needs no gradient
    assert type(y.grad_fn).__name__.startswith("Sum") and "SumBackward0" in repr(y.grad_fn)


@pytest.mark.parametrize("lib", LIBS, ids=IDS)
def test_no_grad_and_detach_make_leaves(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    with lib.no_grad():
        y = x * 2
    assert y.grad_fn is None and y.is_leaf and not y.requires_grad
    d = (x * 2).detach()
    assert d.is_leaf and not d.requires_grad

    @lib.no_grad()
    def evaluate(t):
        return t * 3

    assert not evaluate(x).requires_grad
    with lib.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    assert lib.is_grad_enabled()


@pytest.mark.parametrize("lib", LIBS, ids=IDS)
def test_retain_grad_keeps_a_non_leaf_gradient(lib):
    x = lib.tensor([1.0, -2.0], dtype=lib.float64, requires_grad=True)
    h = x * x
    h.retain_grad()
    z = x * 3
    assert h.retains_grad and not z.retains_grad
    (h * 2 + z).sum().backward()
    assert _values(h.grad).tolist() == [2.0, 2.0]
    assert z.grad is None  # not retained (torch also warns)
    assert _values(x.grad).tolist() == [7.0, -5.0]


@pytest.mark.parametrize("lib", LIBS, ids=IDS)
def test_hooks_see_and_replace_gradients(lib):
    x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    seen = []
    h = x * 3
    h.register_hook(lambda g: seen.append(_values(g).tolist()))
    doubling = h.register_hook(lambda g: g * 2)
    leaf_handle = x.register_hook(lambda g: g + 100)
    (h * h).sum().backward()
    assert seen == [[6.0, 12.0]]  # hooks run in registration order: this one saw it first
    assert _values(x.grad).tolist() == [136.0, 172.0]  # 3·2·(6, 12) + 100
    doubling.remove()
    leaf_handle.remove()
    x.grad = None
    (x * 3 * (x * 3)).sum().backward()
    assert _values(x.grad).tolist() == [18.0, 36.0]
    with pytest.raises(RuntimeError, match="doesn't require"):
        lib.tensor([1.0]).register_hook(lambda g: g)


@pytest.mark.parametrize("lib", LIBS, ids=IDS)
def test_autograd_grad_returns_gradients_without_touching_grad(lib):
    x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
    w = lib.tensor([0.5], dtype=lib.float64, requires_grad=True)
    h = x * w
    y = (h * h).sum()
    gx, gh = lib.autograd.grad(y, [x, h], retain_graph=True)
    assert x.grad is None and w.grad is None
    np.testing.assert_allclose(_values(gx), [0.5, 1.0, 1.5], rtol=1e-15)  # 2·x·w²
    np.testing.assert_allclose(_values(gh), [1.0, 2.0, 3.0], rtol=1e-15)  # 2·h
    unused = lib.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="not have been used"):
        lib.autograd.grad(y, [unused], retain_graph=True)
    (none,) = lib.autograd.grad(y, [unused], allow_unused=True)
    assert none is None


@pytest.mark.parametrize("lib", LIBS, ids=IDS)
def test_backward_errors_are_runtime_errors(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        lib.tensor([1.0]).sum().backward()
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="leaf variables"):
        (x * 2).requires_grad_(False)


@pytest.mark.parametrize("lib", LIBS, ids=IDS)
def test_backward_with_inputs_accumulates_only_there(lib):
    a = lib.tensor([1.0], dtype=lib.float64, requires_grad=True)
    b = lib.tensor([2.0], dtype=lib.float64, requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    assert _values(a.grad).tolist() == [2.0] and b.grad is None


def _legendre(lib):
    class LegendrePolynomial3(lib.autograd.Function):
        """P3(x) = ½(5x³ − 3x), the custom Function of PyTorch's "Learning PyTorch with
        Examples" tutorial."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return 0.5 * (5 * x ** 3 - 3 * x)

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * 1.5 * (5 * x ** 2 - 1)

    return LegendrePolynomial3


@pytest.mark.parametrize("lib", LIBS, ids=IDS)
def test_custom_function_in_pytorchs_style(lib):
    p3 = _legendre(lib)
    x = lib.tensor([-0.5, 0.25, 2.0], dtype=lib.float64, requires_grad=True)
    y = p3.apply(x)
    assert y.grad_fn is not None and not y.is_leaf
    y.sum().backward()
    xs = np.array([-0.5, 0.25, 2.0])
    np.testing.assert_allclose(_values(y), 0.5 * (5 * xs ** 3 - 3 * xs), rtol=1e-15)
    np.testing.assert_allclose(_values(x.grad), 1.5 * (5 * xs ** 2 - 1), rtol=1e-15)
    with lib.no_grad():
        assert not p3.apply(x).requires_grad


@pytest.mark.parametrize("lib", LIBS, ids=IDS)
def test_custom_function_with_several_inputs_and_needs_input_grad(lib):
    class ScaledAdd(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, scale):
            ctx.scale = scale
            ctx.flags = ctx.needs_input_grad
            return a + scale * b

        @staticmethod
        def backward(ctx, grad):
            return grad, (grad * ctx.scale if ctx.needs_input_grad[1] else None), None

    a = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    b = lib.tensor([3.0, 4.0], dtype=lib.float64)
    out = ScaledAdd.apply(a, b, 10.0)
    assert out.grad_fn.flags == (True, False, False)
    (out * out).sum().backward()
    assert _values(a.grad).tolist() == [62.0, 84.0]


@pytest.mark.parametrize("lib", LIBS, ids=IDS)
def test_custom_function_sees_its_saved_input_changed(lib):
    p3 = _legendre(lib)
    base = lib.tensor([0.5, 1.0], dtype=lib.float64, requires_grad=True)
    x = base * 1
    y = p3.apply(x)
    x.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@pytest.mark.parametrize("lib", LIBS, ids=IDS)
def test_devices_are_the_cpu(lib):
    device = "cuda" if lib.cuda.is_available() else "cpu"
    assert device == "cpu" or lib is torch
    t = lib.ones(2).to(device)
    assert t.device == lib.device("cpu") and str(t.device) == "cpu"
    assert t.to("cpu") is t and t.cpu() is t
    assert t.to(lib.float64).dtype == lib.float64
    assert t.to(lib.zeros(1, dtype=lib.float64)).dtype == lib.float64
    assert t.to("cpu", lib.float16).dtype == lib.float16
    assert lib.zeros(2, device="cpu").device.type == "cpu"


def test_asking_for_a_gpu_raises_clearly():
    assert not nl.cuda.is_available() and nl.cuda.device_count() == 0
    for call in (lambda: nl.device("cuda"), lambda: nl.ones(2).to("cuda"),
                 lambda: nl.ones(2).cuda(), lambda: nl.tensor([1.0], device="cuda:0"),
                 lambda: nl.ones(2).to("mps")):
        with pytest.raises(RuntimeError, match="neuralab runs on the CPU"):
            call()


def test_dtype_aliases_are_dtypes():
    assert nl.float is nl.float32 and nl.double is nl.float64 and nl.long is nl.int64
    assert nl.int is nl.int32 and nl.half is nl.float16 and nl.bool == np.bool_
    assert nl.ones(2, dtype=nl.float).dtype == nl.float32
    t = nl.tensor([1.5, 2.5])
    assert t.double().dtype == nl.float64 and t.long().tolist() == [1, 2]
    assert t.int().dtype == nl.int32 and t.half().dtype == nl.float16 and t.bool().all()
    assert t.type() == "neuralab.FloatTensor" and t.type(nl.float64).dtype == nl.float64
    assert t.type("torch.DoubleTensor").dtype == nl.float64
    assert nl.tensor([1], dtype=float).dtype == nl.float64  # Python's float means float64
    assert nl.tensor([1.0], dtype=int).dtype == nl.int64
    with pytest.raises(TypeError, match="complex128"):
        nl.tensor([1.0], dtype=np.complex128)


# ------------------------------------------------ gradient buffers are never shared (review)
@pytest.mark.parametrize("lib", LIBS, ids=IDS)
def test_retained_and_leaf_gradients_are_separate_buffers(lib):
    x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
    h = x + 1
    h.retain_grad()
    y = (h * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert _values(h.grad).tolist() == _values(x.grad).tolist() == [4.0, 4.0, 4.0]
    x.grad.zero_()
    assert _values(h.grad).tolist() == [4.0, 4.0, 4.0]


@pytest.mark.parametrize("lib", LIBS, ids=IDS)
def test_what_a_hook_saw_or_returned_is_not_accumulated_into(lib):
    x = lib.tensor([1.0, 1.0], dtype=lib.float64, requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g))
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    assert _values(seen[0]).tolist() == [3.0, 3.0] and _values(x.grad).tolist() == [6.0, 6.0]
    z = lib.tensor([1.0, 1.0], dtype=lib.float64, requires_grad=True)
    replacement = lib.tensor([10.0, 10.0], dtype=lib.float64)
    z.register_hook(lambda g: replacement)
    (z * 3).sum().backward()
    (z * 3).sum().backward()
    assert _values(replacement).tolist() == [10.0, 10.0]


@pytest.mark.parametrize("lib", LIBS, ids=IDS)
def test_backward_inputs_never_share_or_keep_the_given_gradient(lib):
    x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    z = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    y = (x + z) * 2
    y.sum().backward(inputs=[x, z], retain_graph=True)
    y.sum().backward(inputs=[x, z])
    assert _values(x.grad).tolist() == _values(z.grad).tolist() == [4.0, 4.0]
    g = lib.tensor([1.0, 1.0], dtype=lib.float64)
    w = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    out = w + 1
    out.backward(g, inputs=[w], retain_graph=True)
    out.backward(g, inputs=[w])
    assert _values(g).tolist() == [1.0, 1.0] and _values(w.grad).tolist() == [2.0, 2.0]


@pytest.mark.parametrize("lib", LIBS, ids=IDS)
def test_assignment_and_fill_carry_gradients(lib):
    x = lib.zeros(2, 3, dtype=lib.float64)
    v = lib.tensor([[1.0, 2.0, 3.0]], dtype=lib.float64, requires_grad=True)
    x[0] = v  # v's leading 1 is dropped by the assignment
    weights = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=lib.float64)
    (x * weights).sum().backward()
    assert _values(v.grad).tolist() == [[1.0, 2.0, 3.0]]
    w = lib.tensor(2.0, dtype=lib.float64, requires_grad=True)
    filled = lib.zeros(3, dtype=lib.float64)
    filled.fill_(w * 1)
    (filled * lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)).sum().backward()
    assert w.grad.item() == 6.0


@pytest.mark.parametrize("lib", LIBS, ids=IDS)
def test_autograd_grad_fills_retained_grads_and_a_saveless_graph_runs_twice(lib):
    a = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    h = a * 3
    h.retain_grad()
    lib.autograd.grad((h * h).sum(), [a])
    assert _values(h.grad).tolist() == [6.0, 12.0]
    x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    y = (x + 1).sum()  # saves nothing: a second backward needs nothing freed
    y.backward()
    y.backward()
    assert _values(x.grad).tolist() == [2.0, 2.0]


def test_a_dropped_leaf_is_freed_without_the_garbage_collector():
    import gc
    import weakref

    gc.disable()
    try:
        x = nl.tensor([1.0, 2.0], requires_grad=True)
        nodes = (x * 2).grad_fn.next_functions  # makes the leaf's AccumulateGrad node
        assert nodes[0][0].variable is x
        ref = weakref.ref(x)
        del x, nodes
        assert ref() is None
    finally:
        gc.enable()
