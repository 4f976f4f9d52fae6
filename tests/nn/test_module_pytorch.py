"""nn.Module, Softmax and friends side by side with PyTorch: the same code runs on ``torch``
and on ``neuralab`` and must give the same names, values, dtypes, reprs and errors."""

from __future__ import annotations

import copy
import warnings
from collections import OrderedDict

import numpy as np
import pytest
import torch

import neuralab as nl
from neuralab.device import DeviceError

LIBS = pytest.mark.parametrize("lib", [torch, nl], ids=["torch", "neuralab"])


def both(fn):
    """``fn(lib)`` run on torch and on neuralab."""
    return fn(torch), fn(nl)


def array(t) -> np.ndarray:
    return t.detach().numpy()


def dtype_name(d) -> str:
    return str(d).split(".")[-1]


def error_of(fn, lib):
    """(exception type, message) that ``fn(lib)`` raises; None if it returns."""
    try:
        fn(lib)
    except Exception as error:  # noqa: BLE001 - compared below
        return type(error), str(error)
    return None


def raised(call):
    """(exception type, message) that ``call()`` raises; None if it returns."""
    return error_of(lambda _: call(), None)


def assert_same_error(fn, message=True):
    """neuralab raises an instance of the type torch raises (and the same message)."""
    theirs, ours = error_of(fn, torch), error_of(fn, nl)
    assert theirs is not None and ours is not None, (theirs, ours)
    assert issubclass(ours[0], theirs[0]), (theirs, ours)
    if message:
        assert ours[1].replace("neuralab", "torch") == theirs[1], (theirs, ours)


def net(lib):
    """A small model with a parameter, a persistent and a non-persistent buffer, a BatchNorm
    (whose num_batches_tracked is int64) and a nested Sequential."""

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = lib.nn.Parameter(lib.ones(2, dtype=lib.float64))
            self.body = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(),
                                          lib.nn.Linear(4, 2))
            self.norm = lib.nn.BatchNorm1d(2)
            self.register_buffer("steps", lib.zeros(1))
            self.register_buffer("cache", lib.zeros(2), persistent=False)

        def forward(self, x):
            return self.norm(self.body(x)) * self.scale.float()

    return Net()


def copy_weights(source, target):
    """Give ``target`` (neuralab) the values of ``source`` (torch), by name."""
    values = {k: v.detach().numpy() for k, v in source.state_dict().items()}
    target.load_state_dict(values)


# ----------------------------------------------------------------------------- registration
def test_register_buffer_over_a_plain_attribute_raises_keyerror_and_keeps_one_value():
    def run(lib):
        m = lib.nn.Module()
        m.x = 5
        try:
            m.register_buffer("x", lib.zeros(1))
        except KeyError as error:
            return str(error), m.x, list(m.state_dict()), [n for n, _ in m.named_buffers()]
        raise AssertionError("no KeyError")

    theirs, ours = both(run)
    assert ours == theirs == ("\"attribute 'x' already exists\"", 5, [], [])


@pytest.mark.parametrize("existing", ["weight", "bias", "forward", "training"])
def test_register_buffer_over_a_parameter_or_method_is_refused_like_torch(existing):
    assert_same_error(lambda lib: lib.nn.Linear(2, 2).register_buffer(existing, lib.zeros(1)))


@pytest.mark.parametrize("call", [
    lambda lib, m: m.register_buffer("a.b", lib.zeros(1)),
    lambda lib, m: m.register_buffer("", lib.zeros(1)),
    lambda lib, m: m.register_buffer(3, lib.zeros(1)),
    lambda lib, m: m.register_parameter("a.b", None),
    lambda lib, m: m.register_parameter("", None),
    lambda lib, m: m.register_parameter("weight2", lib.zeros(1)),
    lambda lib, m: m.register_parameter("forward", None),
    lambda lib, m: m.add_module("a.b", lib.nn.ReLU()),
    lambda lib, m: m.add_module("", lib.nn.ReLU()),
    lambda lib, m: m.add_module("weight", lib.nn.ReLU()),
    lambda lib, m: m.add_module("r", 5),
    lambda lib, m: m.register_module("r", 5),
], ids=["buffer-dot", "buffer-empty", "buffer-int-name", "param-dot", "param-empty",
        "param-plain-tensor", "param-over-method", "module-dot", "module-empty",
        "module-over-param", "module-not-module", "register_module"])
def test_registration_errors_are_torchs(call):
    assert_same_error(lambda lib: call(lib, lib.nn.Linear(2, 2)), message=False)
    theirs = error_of(lambda lib: call(lib, lib.nn.Linear(2, 2)), torch)
    ours = error_of(lambda lib: call(lib, lib.nn.Linear(2, 2)), nl)
    if theirs[0] is KeyError:  # KeyErrors carry the exact text
        assert ours[1] == theirs[1]


def test_reregistering_a_buffer_replaces_it_and_non_persistent_buffers_are_not_saved():
    def run(lib):
        m = lib.nn.Module()
        m.register_buffer("a", lib.zeros(2))
        m.register_buffer("b", lib.ones(1), persistent=False)
        m.register_buffer("a", lib.ones(2))  # replaced, keeps its place
        keys = list(m.state_dict())
        m.b = lib.full((3,), 2.0)  # an assignment keeps the buffer non-persistent
        after_assign = list(m.state_dict())
        m.register_buffer("b", m.b, persistent=True)
        m.register_buffer("c", None)
        return (keys, after_assign, list(m.state_dict()), [n for n, _ in m.named_buffers()],
                array(m.a).tolist(), array(m.b).tolist(), m.c)

    theirs, ours = both(run)
    assert ours == theirs
    assert ours[0] == ["a"] and ours[2] == ["a", "b"]


def test_non_persistent_buffers_are_neither_expected_nor_accepted_by_load_state_dict():
    tmodel, model = both(net)
    assert list(model.state_dict()) == list(tmodel.state_dict())
    assert "cache" not in model.state_dict()
    assert [n for n, _ in model.named_buffers()] == [n for n, _ in tmodel.named_buffers()]
    state = {k: v.numpy() for k, v in tmodel.state_dict().items()}
    assert model.load_state_dict(state) == ([], [])
    with pytest.raises(RuntimeError, match='Unexpected key.*"cache"'):
        model.load_state_dict({**state, "cache": np.zeros(2)})
    with pytest.raises(RuntimeError, match='Unexpected key.*"cache"'):
        tmodel.load_state_dict({**tmodel.state_dict(), "cache": torch.zeros(2)})


def test_setattr_registers_replaces_and_refuses_like_torch():
    def run(lib):
        m = lib.nn.Linear(2, 2)
        m.extra = 1.5
        m.extra = lib.nn.Parameter(lib.zeros(1))  # a Parameter replaces a plain attribute
        order = [n for n, _ in m.named_parameters()]
        m.register_buffer("buf", lib.zeros(1))
        m.buf = lib.nn.ReLU()  # a Module replaces a buffer (or a plain attribute)
        state = list(m.state_dict())
        m.buf = None  # a child set to None stays listed (as None), out of the state
        children = list(m._modules)
        errors = []
        for bad in (lambda: setattr(m, "bias", lib.zeros(2)),  # plain tensor to a parameter
                    lambda: setattr(m, "weight", lib.nn.ReLU()),  # a Module to a parameter
                    lambda: setattr(m, "buf", 3)):  # a number to a child
            try:
                bad()
            except TypeError:
                errors.append("TypeError")
        m.bias = None
        del m.extra
        return (order, state, children, errors, [n for n, _ in m.named_parameters()],
                "extra" in dir(m), m.bias, repr(m))

    theirs, ours = both(run)
    assert ours == theirs
    assert ours[0] == ["weight", "bias", "extra"] and ours[3] == ["TypeError"] * 3


def test_assigning_parameters_or_modules_before_init_is_refused_plain_values_are_not():
    def run(lib):
        class Early(lib.nn.Module):
            def __init__(self, what):
                self.note = "set before super().__init__()"  # allowed in torch
                if what == "module":
                    self.layer = lib.nn.ReLU()
                super().__init__()

        ok = Early("plain").note
        try:
            Early("module")
        except AttributeError as error:
            return ok, "cannot assign module before Module.__init__() call" in str(error)
        return ok, False

    assert both(run) == (("set before super().__init__()", True),) * 2


def test_get_submodule_parameter_and_buffer():
    def run(lib):
        m = net(lib)
        found = (m.get_submodule("body.2") is m.body[2], m.get_submodule("") is m,
                 m.get_parameter("body.0.bias") is m.body[0].bias,
                 m.get_parameter("scale") is m.scale,
                 m.get_buffer("norm.running_mean") is m.norm.running_mean)
        errors = [raised(call) for call in (
            lambda: m.get_submodule("body.7"), lambda: m.get_submodule("scale"),
            lambda: m.get_parameter("body.0.nothing"), lambda: m.get_parameter("steps"),
            lambda: m.get_buffer("scale"), lambda: m.get_submodule("body.0.weight.x"))]
        return found, [(e[0].__name__, e[1]) for e in errors]

    theirs, ours = both(run)
    assert ours == theirs
    assert all(ours[0])


def test_set_submodule():
    def run(lib):
        m = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Sequential(lib.nn.ReLU()))
        m.set_submodule("1.0", lib.nn.Tanh())
        m.set_submodule("1.extra", lib.nn.Sigmoid())
        errors = [raised(call) for call in (
            lambda: m.set_submodule("", lib.nn.ReLU()),
            lambda: m.set_submodule("1.x", lib.nn.ReLU(), strict=True),
            lambda: m.set_submodule("0.weight", lib.nn.ReLU()),
            lambda: m.set_submodule("0", 3))]
        return repr(m), [e[0].__name__ for e in errors]

    theirs, ours = both(run)
    assert ours == theirs


# ----------------------------------------------------------------------------- traversal
def shared_model(lib):
    shared = lib.nn.Linear(2, 2)
    act = lib.nn.ReLU()
    inner = lib.nn.Sequential(shared, act)
    return lib.nn.Sequential(OrderedDict([("a", shared), ("b", act), ("c", inner),
                                          ("d", None), ("e", shared)]))


def test_named_modules_children_and_parameters_with_shared_modules():
    def run(lib):
        m = shared_model(lib)
        memo = set()
        return {
            "named_modules": [n for n, _ in m.named_modules()],
            "all_paths": [n for n, _ in m.named_modules(remove_duplicate=False)],
            "prefixed": [n for n, _ in m.named_modules(prefix="net")],
            "memo": ([n for n, _ in m.named_modules(memo)], len(memo),
                     [n for n, _ in m.named_modules(memo)]),
            "modules": len(list(m.modules())),
            "children": [n for n, _ in m.named_children()],
            "n_children": len(list(m.children())),
            "params": [n for n, _ in m.named_parameters()],
            "params_prefixed": [n for n, _ in m.named_parameters(prefix="p")],
            "params_all": [n for n, _ in m.named_parameters(remove_duplicate=False)],
            "params_here": [n for n, _ in m.c.named_parameters(recurse=False)],
            "state": list(m.state_dict()),
            "n_params": len(list(m.parameters())),
        }

    theirs, ours = both(run)
    assert ours == theirs
    assert ours["children"] == ["a", "b", "c"]  # each child once, None skipped
    assert ours["memo"][2] == []  # everything already in the memo


def test_buffers_and_named_buffers():
    def run(lib):
        m = net(lib)
        return ([n for n, _ in m.named_buffers()], [n for n, _ in m.named_buffers("x", False)],
                [tuple(b.shape) for b in m.buffers()], [n for n, _ in m.norm.named_buffers()])

    theirs, ours = both(run)
    assert ours == theirs


# ----------------------------------------------------------------------------- dtype, device
@pytest.mark.parametrize("convert", [
    lambda lib, m: m.to(lib.float64),
    lambda lib, m: m.to("cpu", lib.float64),
    lambda lib, m: m.to(lib.device("cpu"), lib.float64),
    lambda lib, m: m.to(device="cpu", dtype=lib.float64),
    lambda lib, m: m.to(dtype=lib.float64),
    lambda lib, m: m.to(lib.zeros(1, dtype=lib.float64)),
    lambda lib, m: m.to(tensor=lib.zeros(1, dtype=lib.float64)),
    lambda lib, m: m.to(None, lib.float64),
    lambda lib, m: m.to(lib.float64, True),
    lambda lib, m: m.to(lib.float64, non_blocking=True),
    lambda lib, m: m.double(),
    lambda lib, m: m.to(lib.float16),
    lambda lib, m: m.half(),
    lambda lib, m: m.to("cpu"),
    lambda lib, m: m.to(lib.device("cpu")),
    lambda lib, m: m.to(),
    lambda lib, m: m.cpu(),
    lambda lib, m: m.float(),
    lambda lib, m: m.type(lib.float64),
    lambda lib, m: m.type("torch.DoubleTensor"),
    lambda lib, m: m.requires_grad_(False).type(lib.int32),
])
def test_to_and_casts_convert_like_torch(convert):
    def run(lib):
        m = net(lib)
        m(lib.ones(3, 3, dtype=lib.float32)).sum().backward()
        weight, grad, mean = m.body[0].weight, m.body[0].weight.grad, m.norm.running_mean
        before = array(weight).copy()
        out = convert(lib, m)
        after = array(m.body[0].weight)
        return {
            "returns_self": out is m,
            "dtypes": {n: dtype_name(t.dtype) for n, t in
                       [*m.named_parameters(), *m.named_buffers()]},
            "grad_dtype": dtype_name(m.body[0].weight.grad.dtype),
            "same_parameter": m.body[0].weight is weight,  # parameters keep their identity,
            "same_grad": m.body[0].weight.grad is grad,  # and so do their gradients
            "requires_grad": [p.requires_grad for p in m.parameters()],
            "values_kept": bool(np.array_equal(after, before.astype(after.dtype))),
            "buffer_replaced": m.norm.running_mean is not mean,
        }

    theirs, ours = both(run)
    assert ours == theirs


@pytest.mark.parametrize("convert", [
    lambda lib, m: m.to(lib.int64),
    lambda lib, m: m.to(lib.bool),
    lambda lib, m: m.to(lib.zeros(1, dtype=lib.int64)),
    lambda lib, m: m.to("not a device"),
    lambda lib, m: m.to(lib.float64, dtype=lib.float32),
    lambda lib, m: m.to("cpu", device="cpu"),
    lambda lib, m: m.to(lib.float64, "cpu"),
    lambda lib, m: m.to("cpu", lib.float64, False, 5),
    lambda lib, m: m.to(copy=True),
    lambda lib, m: m.to(foo=1),
    lambda lib, m: m.type(lib.int64),  # parameters that require grad cannot be integers
], ids=["int64", "bool", "int-tensor", "bad-device", "dtype-twice", "device-twice",
        "dtype-then-device", "too-many", "copy", "unknown-keyword", "type-int"])
def test_refused_conversions_raise_torchs_error_type_and_change_nothing(convert):
    assert_same_error(lambda lib: convert(lib, net(lib)), message=False)
    model = net(nl)
    before = {k: (v.dtype, v.numpy().copy()) for k, v in model.state_dict().items()}
    with pytest.raises(Exception):  # noqa: B017,PT011 - the type is compared above
        convert(nl, model)
    after = model.state_dict()
    assert all(after[k].dtype == d and np.array_equal(after[k], v) for k, (d, v) in
               before.items())


@pytest.mark.parametrize("where", ["cuda", "cuda:0", 0, "mps"])
def test_other_devices_raise_device_error_before_changing_anything(where):
    model = net(nl)
    for call in (lambda: model.to(where), lambda: model.to(where, nl.float64),
                 lambda: model.to(device=where, dtype=nl.float64), lambda: model.cuda()):
        with pytest.raises(DeviceError, match="CPU"):
            call()
        assert all(p.dtype != np.float64 for p in model.body.parameters())
    assert issubclass(DeviceError, RuntimeError)


def test_integer_buffers_keep_their_dtype_and_type_casts_them_too():
    def run(lib):
        m = lib.nn.BatchNorm1d(3)
        m.double()
        first = dtype_name(m.num_batches_tracked.dtype)
        m.type(lib.float32)
        return first, dtype_name(m.num_batches_tracked.dtype), dtype_name(m.weight.dtype)

    assert both(run) == (("int64", "float32", "float32"),) * 2


def test_apply_visits_children_first_and_initialises_like_torch():
    def run(lib):
        m = net(lib)
        seen = []

        def init(module):
            seen.append(type(module).__name__)
            if isinstance(module, lib.nn.Linear):
                lib.nn.init.constant_(module.weight, 0.5)
                lib.nn.init.zeros_(module.bias)

        assert m.apply(init) is m
        return seen, array(m.eval()(lib.ones(4, 3))).tolist()

    theirs, ours = both(run)
    assert ours[0] == theirs[0] == ["Linear", "ReLU", "Linear", "Sequential", "BatchNorm1d",
                                    "Net"]
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6)


def test_train_eval_call_each_childs_train():
    def run(lib):
        calls = []

        class Logged(lib.nn.Module):
            def train(self, mode=True):
                calls.append(mode)
                return super().train(mode)

        m = lib.nn.Sequential(lib.nn.Linear(1, 1), Logged())
        m.eval()
        m.train()
        return calls, [x.training for x in m.modules()]

    assert both(run)[0] == both(run)[1] == ([False, True], [True, True, True])


def test_zero_grad_and_requires_grad():
    def run(lib):
        m = net(lib)
        m(lib.ones(3, 3)).sum().backward()
        grad = m.body[0].weight.grad
        m.zero_grad(set_to_none=False)
        zeroed = (m.body[0].weight.grad is grad, float(array(grad).sum()),
                  grad.requires_grad)
        m.zero_grad()
        cleared = [p.grad is None for p in m.parameters()]
        m.requires_grad_(False)
        frozen = [p.requires_grad for p in m.parameters()]
        return zeroed, cleared, frozen, m.requires_grad_() is m

    theirs, ours = both(run)
    assert ours == theirs


# ----------------------------------------------------------------------------- printing
def custom(lib):
    class Block(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.nn.Linear(2, 2, bias=False)
            self.register_module("nothing", None)

        def extra_repr(self):
            return "first line\nsecond line"

    return Block()


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.Linear(2, 3),
    lambda lib: lib.nn.Linear(2, 3, bias=False),
    lambda lib: lib.nn.ReLU(),
    lambda lib: lib.nn.ReLU(inplace=True),
    lambda lib: lib.nn.LeakyReLU(),
    lambda lib: lib.nn.LeakyReLU(0.2, True),
    lambda lib: lib.nn.Dropout(0.25),
    lambda lib: lib.nn.Dropout(0.1, inplace=True),
    lambda lib: lib.nn.Softmax(),
    lambda lib: lib.nn.Softmax(dim=1),
    lambda lib: lib.nn.LogSoftmax(),
    lambda lib: lib.nn.LogSoftmax(-1),
    lambda lib: lib.nn.Sigmoid(),
    lambda lib: lib.nn.Tanh(),
    lambda lib: lib.nn.Flatten(),
    lambda lib: lib.nn.Identity(),
    lambda lib: lib.nn.BatchNorm1d(3),
    lambda lib: lib.nn.BatchNorm2d(3, momentum=None, affine=False),
    lambda lib: lib.nn.BatchNorm1d(3, bias=False),
    lambda lib: lib.nn.Module(),
    lambda lib: lib.nn.Sequential(),
    lambda lib: lib.nn.Sequential(lib.nn.Linear(2, 3),
                                  lib.nn.Sequential(lib.nn.ReLU(), lib.nn.Linear(3, 1))),
    custom,
    net,
    shared_model,
])
def test_repr_is_torchs(make):
    theirs, ours = both(lambda lib: repr(make(lib)))
    assert ours == theirs


def test_parameter_repr_deepcopy_and_defaults():
    def run(lib):
        p = lib.nn.Parameter(lib.ones(2))
        (p * 2).sum().backward()
        clone = copy.deepcopy(p)
        empty = lib.nn.Parameter()
        frozen = lib.nn.Parameter(lib.ones(1), requires_grad=False)
        return (repr(p), type(clone).__name__, clone.grad is None, clone.requires_grad,
                array(clone).tolist(), tuple(empty.shape), dtype_name(empty.dtype),
                empty.requires_grad, frozen.requires_grad, repr(frozen))

    theirs, ours = both(run)
    assert ours == theirs


def test_deepcopy_of_a_model_is_independent():
    def run(lib):
        m = net(lib)
        m(lib.ones(3, 3)).sum().backward()
        clone = copy.deepcopy(m)
        with lib.no_grad():
            clone.body[0].weight.fill_(0.0)
        return (float(array(m.body[0].weight).std()) > 0, clone.body[0].weight.grad is None,
                list(clone.state_dict()) == list(m.state_dict()),
                [n for n, _ in clone.named_buffers()])

    theirs, ours = both(run)
    assert ours == theirs


# ----------------------------------------------------------------------------- Softmax
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4), (2, 3, 4, 5)])
@pytest.mark.parametrize("name", ["Softmax", "LogSoftmax"])
def test_softmax_without_dim_uses_torchs_implicit_dim_and_warns(shape, name):
    x = np.random.default_rng(0).standard_normal(shape)

    def run(lib):
        layer = getattr(lib.nn, name)()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = layer(lib.tensor(x))
        return array(out), [(w.category, str(w.message)) for w in caught]

    (theirs, their_warnings), (ours, our_warnings) = both(run)
    assert our_warnings == their_warnings
    assert len(ours.shape) == len(shape) and ours.dtype == np.float64
    # exp and one normalising sum of at most 5 terms
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-15)


def test_softmax_with_dim_does_not_warn():
    x = np.random.default_rng(1).standard_normal((2, 3, 4))
    for dim in (0, 1, 2, -1):
        def run(lib, dim=dim):
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                return array(lib.nn.Softmax(dim=dim)(lib.tensor(x)))

        theirs, ours = both(run)
        np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-15)


def test_softmax_warning_points_at_the_callers_line():
    layer = nl.nn.Softmax()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layer(nl.ones(2, 3))
    assert caught[0].filename == __file__


# ----------------------------------------------------------------------------- layers
def test_inplace_activations_and_dropout_modify_their_input():
    def run(lib):
        results = {}
        for name, layer in (("relu", lib.nn.ReLU(inplace=True)),
                            ("leaky", lib.nn.LeakyReLU(0.5, inplace=True)),
                            ("dropout_all", lib.nn.Dropout(1.0, inplace=True))):
            x = lib.tensor([-2.0, 0.0, 3.0])
            out = layer(x)
            results[name] = (out is x, array(x).tolist())
        dropout = lib.nn.Dropout(0.5, inplace=True).eval()
        x = lib.tensor([1.0, 2.0])
        results["eval"] = (dropout(x) is x, array(x).tolist())
        return results

    assert both(run)[0] == both(run)[1]


def test_sequential_editing_like_torch():
    def run(lib):
        s = lib.nn.Sequential(lib.nn.Linear(1, 2), lib.nn.ReLU(), lib.nn.Linear(2, 1))
        s.append(lib.nn.Tanh())
        s.insert(1, lib.nn.Sigmoid())
        s.insert(-1, lib.nn.Identity())
        s.extend([lib.nn.ReLU()])
        popped = type(s.pop(0)).__name__
        del s[-1]
        s[0] = lib.nn.Tanh()
        sliced = s[1:3]
        errors = [raised(call) for call in (lambda: s[10],
                                                             lambda: s.insert(20, lib.nn.ReLU()))]
        return (popped, [(n, type(m).__name__) for n, m in s.named_children()],
                type(s[-1]).__name__, type(sliced).__name__, list(sliced._modules),
                len(s), [e[0].__name__ for e in errors])

    theirs, ours = both(run)
    assert ours == theirs


def test_wrong_input_shape_is_a_runtime_error_as_in_torch():
    assert_same_error(lambda lib: lib.nn.Linear(3, 2)(lib.ones(4, 5)), message=False)
    with pytest.raises(ValueError, match=r"Linear\(in_features=3"):  # still a ValueError
        nl.nn.Linear(3, 2)(nl.ones(4, 5))


def test_layers_accept_device_and_dtype_like_torch():
    def run(lib):
        layers = (lib.nn.Linear(2, 3, device="cpu", dtype=lib.float64),
                  lib.nn.Linear(2, 3, True, lib.device("cpu"), lib.float64),
                  lib.nn.BatchNorm1d(3, device="cpu", dtype=lib.float64))
        return [sorted({dtype_name(p.dtype) for p in layer.parameters()}) for layer in layers]

    assert both(run)[0] == both(run)[1] == [["float64"]] * 3
    with pytest.raises(DeviceError):
        nl.nn.Linear(2, 3, device="cuda")
