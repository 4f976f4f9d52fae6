"""PyTorch models both ways: ``nl.from_torch(torch_module)`` and ``nl.to_torch(model)``.

neuralab's layers mirror ``torch.nn``'s class names, constructor arguments and attribute names,
so one table serves both directions: the model-file registry (``neuralab.io``), whose
``to_config(module)`` reads a layer's constructor settings by attribute name and whose
``from_config`` builds a neuralab layer from them. A torch layer is read through a thin view
(tensors seen as NumPy arrays, pooling's ``2`` as ``(2, 2)``) by the same ``to_config``; a torch
layer is built from the settings by calling ``torch.nn.<Name>(**settings)``. Each conversion is
checked both ways (the settings read back from the twin must be the original's, and so must its
parameter and buffer names, shapes and dtypes), so a torch setting neuralab cannot express
(``Embedding(max_norm=1)``, say) is an error, not silently dropped.

Weights and buffers (BatchNorm's running statistics and ``num_batches_tracked``) are copied,
never shared; ``training`` and ``requires_grad`` follow each layer; a module used in several
places, or a parameter shared by two layers, stays shared. ``torch`` is imported only when one
of these functions is called, and building draws from neither library's random stream.
"""

from __future__ import annotations

import inspect
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .io.model_file import _BY_CLASS, _BY_NAME, ModuleConfig, _Budget, _rng_untouched
from .nn.layers import Sequential
from .nn.module import Module

if TYPE_CHECKING:  # pragma: no cover - annotations only
    import torch

__all__ = ["from_torch", "to_torch"]

_FLOATS = ("float16", "float32", "float64")
# Pooling layers whose torch class keeps an int as given (``MaxPool2d(2).kernel_size == 2``)
# where neuralab's keeps the pair it means.
_PAIR_SETTINGS = ("kernel_size", "stride", "padding", "dilation", "output_size")
_MISSING: Any = object()


def _label(path: str, name: str) -> str:
    return f"{path or '(top level)'} ({name})"


def _known(torch: Any) -> str:
    """The layer types both libraries have (neuralab's Step has no torch counterpart)."""
    return ", ".join(sorted(name for name in _BY_NAME if hasattr(torch.nn, name)))


# ------------------------------------------------------------------------------------ reading
class _TensorInfo:
    """What ``to_config`` reads of a tensor: its shape and (NumPy) dtype."""

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype) -> None:
        self.shape, self.dtype = shape, dtype


class _TorchView:
    """A torch layer seen as the neuralab layer ``cls`` by the registry's ``to_config``.

    Tensors read as NumPy arrays (``weight.dtype.name``); an int pooling setting reads as the
    pair it means; ``isinstance(view, cls)`` holds (``to_config`` may branch on the class)."""

    def __init__(self, module: Any, cls: type, torch: Any) -> None:
        self.__dict__.update(_module=module, _cls=cls, _torch=torch)

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # noqa: D105 - isinstance() falls back to it
        return self._cls

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        if isinstance(value, self._torch.Tensor):
            # shape and dtype only (a meta tensor has no values to read)
            return _TensorInfo(tuple(value.shape), np.dtype(str(value.dtype).split(".")[-1]))
        if (name in _PAIR_SETTINGS and self._cls.__name__.endswith("2d")
                and (value is None or isinstance(value, int) and not isinstance(value, bool))):
            return (value, value)
        return value


def _settings_of(module: Any) -> dict[str, Any]:
    """A torch layer's constructor settings, read by the constructor's own argument names
    (those it stores under the same name); private arguments, ``device`` and ``dtype`` (seen in
    the tensors) left out."""
    found = {}
    for parameter in inspect.signature(type(module).__init__).parameters.values():
        name = parameter.name
        if (name in ("self", "device", "dtype") or name.startswith("_")
                or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)):
            continue
        found[name] = getattr(module, name, _MISSING)
    return found


def _same_setting(a: Any, b: Any, torch: Any) -> bool:
    """Equal as settings: a tensor stands for "present" (its values are copied separately), a
    scalar equals the tuple repeating it (torch's ``2`` and ``(2, 2)``), lists equal tuples."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)
    a_seq, b_seq = isinstance(a, (tuple, list)), isinstance(b, (tuple, list))
    if a_seq and not b_seq:
        b = (b,) * len(a)
    elif b_seq and not a_seq:
        a = (a,) * len(b)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same_setting(x, y, torch) for x, y in zip(a, b))
    return type(a) is type(b) and a == b or (
        isinstance(a, (int, float)) and isinstance(b, (int, float))
        and not isinstance(a, bool) and not isinstance(b, bool) and a == b)


def _tensor_signature(module: Any, torch: Any) -> dict[str, tuple[tuple[int, ...], str]]:
    """name -> (shape, dtype name) of a layer's own parameters and persistent buffers."""
    state = module.state_dict(keep_vars=True)
    if isinstance(module, Module):
        return {k: (tuple(v.shape), v.dtype.name) for k, v in state.items() if "." not in k}
    return {k: (tuple(v.shape), str(v.dtype).removeprefix("torch."))
            for k, v in state.items() if "." not in k}


# ------------------------------------------------------------------------------------ building
def _torch_layer(torch: Any, name: str, config: dict[str, Any], label: str) -> Any:
    """``torch.nn.<name>(**config)`` on the meta device (nothing allocated, no random draws)."""
    kwargs = {}
    for key, value in config.items():
        if key == "dtype":
            value = getattr(torch, value)
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[key] = value
    try:
        with torch.device("meta"):
            return getattr(torch.nn, name)(**kwargs)
    except (TypeError, ValueError, RuntimeError) as error:
        raise ValueError(f"{label}: torch.nn.{name} does not accept neuralab's settings "
                         f"{config} ({error})") from None


def _check_twin(original: Any, twin: Any, torch: Any, label: str) -> None:
    """The torch layer built from the settings must have the original's settings and tensors;
    otherwise the original has something neuralab cannot express."""
    ours, theirs = _settings_of(original), _settings_of(twin)
    differ = [key for key in ours
              if not _same_setting(ours[key], theirs.get(key, _MISSING), torch)]
    if differ:
        kept = ", ".join(f"{k}={theirs.get(k)!r}" for k in differ)
        raise ValueError(f"{label}: setting(s) neuralab's layer cannot express: "
                         f"{', '.join(f'{k}={ours[k]!r}' for k in differ)} (it supports only "
                         f"{kept})")
    a, b = _tensor_signature(original, torch), _tensor_signature(twin, torch)
    if a != b:
        raise ValueError(f"{label}: its tensors {a} differ from those of the layer its settings "
                         f"build {b} (a tensor added after construction?)")


def _check_dtypes(items: Any, label: str, direction: str) -> None:
    for key, dtype in items:
        if dtype.startswith("float") and dtype not in _FLOATS or dtype.startswith(("bfloat",
                                                                                   "complex")):
            raise ValueError(f"{label}: {key} has dtype {dtype}; {direction} converts "
                             f"{', '.join(_FLOATS)} weights")


# ------------------------------------------------------------------------------------ public
def from_torch(module: torch.nn.Module) -> Module:
    """The neuralab module equivalent to a ``torch.nn`` module: the same layers (Sequential
    trees, child names kept), settings, weights and buffers (copied, dtypes kept), and the same
    ``training`` flag and ``requires_grad`` per layer. ``y = module(x)`` then equals
    ``from_torch(module)(x)`` up to floating-point rounding.

    A layer with no neuralab counterpart (``nn.LSTM``, a custom ``nn.Module`` subclass) or with
    a setting neuralab cannot express raises ``TypeError`` / ``ValueError`` naming its path and
    class (``"layers.2 (LSTM): ..."``); nothing is built then.
    """
    import torch

    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch: module must be a torch.nn.Module, got "
                        f"{type(module).__name__}")
    # Check every layer (and read its settings) before building any.
    plans: dict[int, tuple[str, str, dict[str, Any]]] = {}
    _plan_torch(module, "", torch, plans, depth=0)
    built: dict[int, Module] = {}
    with _rng_untouched():  # building layers draws initial weights; keep the user's stream
        model = _build_neuralab(module, "", plans, built)
    _tie(module, built, lambda m: m._parameters.items(), lambda m, k, p: setattr(m, k, p))
    # every path of the state (shared layers too), copied; checked whole before any is written
    model.load_state_dict({k: v.detach().cpu().numpy().copy()
                           for k, v in module.state_dict().items()})
    _copy_flags(module, model)
    return model


def _plan_torch(module: Any, path: str, torch: Any, plans: dict, depth: int) -> None:
    if id(module) in plans:  # used in several places: converted once, shared
        return
    cls, name = type(module), type(module).__name__
    label = _label(path, name)
    if depth > 100:
        raise ValueError(f"{label}: modules nested more than 100 deep")
    entry = _BY_NAME.get(name)
    if getattr(torch.nn, name, None) is not cls or entry is None:
        where = f"{cls.__module__}.{cls.__qualname__}"
        kind = ("torch.nn." + name if getattr(torch.nn, name, None) is cls
                else f"{where}, a custom torch Module class,")
        raise TypeError(f"from_torch: {label}: {kind} has no neuralab counterpart; neuralab "
                        f"converts {_known(torch)} (rewrite the model with these layers)")
    children = [(n, c) for n, c in module._modules.items() if c is not None]
    if children and entry.cls is not Sequential:
        raise TypeError(f"from_torch: {label}: has child modules, which neuralab's {name} "
                        f"cannot hold")
    state = module.state_dict(keep_vars=True)
    _check_dtypes(((k, str(v.dtype).removeprefix("torch.")) for k, v in state.items()
                   if "." not in k), f"from_torch: {label}", "from_torch")
    try:
        config = entry.to_config(_TorchView(module, entry.cls, torch))
    except (TypeError, ValueError, AttributeError) as error:
        raise ValueError(f"from_torch: {label}: cannot read its settings ({error})") from None
    _check_twin(module, _torch_layer(torch, name, config, f"from_torch: {label}"), torch,
                f"from_torch: {label}")
    plans[id(module)] = (path, name, config)
    for child_name, child in children:
        _plan_torch(child, f"{path}.{child_name}" if path else child_name, torch, plans,
                    depth + 1)


def _build_neuralab(module: Any, path: str, plans: dict, built: dict[int, Module]) -> Module:
    if id(module) in built:
        return built[id(module)]
    _, name, config = plans[id(module)]
    entry = _BY_NAME[name]
    if entry.cls is Sequential:
        result: Module = Sequential(OrderedDict(
            (n, _build_neuralab(c, f"{path}.{n}" if path else n, plans, built))
            for n, c in module._modules.items() if c is not None))
    else:
        settings = ModuleConfig({"type": name, **config}, "<torch module>", path, 0,
                                _Budget(None))
        try:
            result = entry.from_config(settings)
        except Exception as error:  # noqa: BLE001 - any from_config; reported with the layer
            text = str(error).split(f"({name}): ", 1)[-1]
            raise ValueError(f"from_torch: {_label(path, name)}: neuralab cannot build it "
                             f"with these settings: {text}") from None
    built[id(module)] = result
    return result


def _pairs(source: Any, target: Any) -> dict[str, tuple[Any, Any]]:
    """path -> (source layer, converted layer), walking both trees by child name."""
    found: dict[str, tuple[Any, Any]] = {}

    def walk(a: Any, b: Any, path: str) -> None:
        found.setdefault(path, (a, b))
        for name, child in a._modules.items():
            if child is not None:
                walk(child, b._modules[name], f"{path}.{name}" if path else name)
    walk(source, target, "")
    return found


def _tie(source: Any, built: dict[int, Any], items: Callable[[Any], Any],
         assign: Callable[[Any, str, Any], None]) -> None:
    """A parameter that two source layers share (tied weights) is shared by their conversions
    too: the later one takes the first one's parameter."""
    first: dict[int, Any] = {}
    seen: set[int] = set()

    def walk(module: Any) -> None:
        if id(module) in seen:
            return
        seen.add(id(module))
        for name, param in items(module):
            if param is None:
                continue
            target = built[id(module)]
            if id(param) in first:
                assign(target, name, first[id(param)])
            else:
                first[id(param)] = target._parameters[name]
        for child in module._modules.values():
            if child is not None:
                walk(child)
    walk(source)


def to_torch(model: Module) -> torch.nn.Module:
    """The ``torch.nn`` module equivalent to a neuralab module: the same layers (Sequential
    trees, child names kept), settings, weights and buffers (copied, dtypes kept), and the same
    ``training`` flag and ``requires_grad`` per layer; built on the CPU.

    A layer with no PyTorch counterpart (``Step``, a custom ``Module`` subclass) raises
    ``TypeError`` naming its path and class (``"3 (Step): ..."``); nothing is built then.
    """
    import torch

    if not isinstance(model, Module):
        raise TypeError(f"to_torch: model must be a neuralab Module, got {type(model).__name__}")
    plans: dict[int, tuple[str, str, dict[str, Any]]] = {}
    _plan_neuralab(model, "", torch, plans, depth=0)
    built: dict[int, Any] = {}
    result = _build_torch(model, "", plans, built, torch)
    _tie(model, built, lambda m: m._parameters.items(),
         lambda m, k, p: setattr(m, k, p))
    _copy_flags(model, result)
    return result


def _copy_flags(source_root: Any, target_root: Any) -> None:
    """Each layer's ``training`` flag and each parameter's ``requires_grad``, source → target."""
    for source, target in _pairs(source_root, target_root).values():
        target.training = bool(source.training)
        for name, param in source._parameters.items():
            if param is not None:
                target._parameters[name].requires_grad_(bool(param.requires_grad))


def _plan_neuralab(module: Module, path: str, torch: Any, plans: dict, depth: int) -> None:
    if id(module) in plans:
        return
    cls, name = type(module), type(module).__name__
    label = _label(path, name)
    if depth > 100:
        raise ValueError(f"to_torch: {label}: modules nested more than 100 deep")
    entry = _BY_CLASS.get(cls)
    if entry is None or getattr(torch.nn, entry.name, None) is None:
        kind = (f"neuralab's {name} has no PyTorch counterpart (torch.nn has no {name})"
                if entry is not None else
                f"{cls.__module__}.{cls.__qualname__} is not one of neuralab's layers (a "
                f"custom Module class)")
        raise TypeError(f"to_torch: {label}: {kind}; to_torch converts {_known(torch)}")
    children = [(n, c) for n, c in module._modules.items() if c is not None]
    if children and cls is not Sequential:
        raise TypeError(f"to_torch: {label}: has child modules, which torch's {name} cannot "
                        f"hold")
    _check_dtypes(((k, v.dtype.name) for k, v in module.state_dict().items() if "." not in k),
                  f"to_torch: {label}", "to_torch")
    try:
        config = entry.to_config(module)
    except (TypeError, ValueError, AttributeError) as error:
        raise ValueError(f"to_torch: {label}: cannot read its settings ({error})") from None
    twin = _torch_layer(torch, entry.name, config, f"to_torch: {label}")
    # The torch layer must read back as the same settings and tensors, or torch understood a
    # setting differently.
    back = entry.to_config(_TorchView(twin, cls, torch))
    if back != config:
        raise ValueError(f"to_torch: {label}: torch.nn.{entry.name} built from {config} reads "
                         f"back as {back}")
    ours = {k: (tuple(v.shape), v.dtype.name) for k, v in module.state_dict().items()
            if "." not in k}
    theirs = _tensor_signature(twin, torch)
    if ours != theirs:
        raise ValueError(f"to_torch: {label}: its tensors {ours} differ from torch.nn."
                         f"{entry.name}'s {theirs} (a tensor added after construction?)")
    plans[id(module)] = (path, entry.name, config)
    for child_name, child in children:
        _plan_neuralab(child, f"{path}.{child_name}" if path else child_name, torch, plans,
                       depth + 1)


def _build_torch(module: Module, path: str, plans: dict, built: dict[int, Any],
                 torch: Any) -> Any:
    if id(module) in built:
        return built[id(module)]
    _, name, config = plans[id(module)]
    if type(module) is Sequential:
        result = torch.nn.Sequential(OrderedDict(
            (n, _build_torch(c, f"{path}.{n}" if path else n, plans, built, torch))
            for n, c in module._modules.items() if c is not None))
    else:
        result = _torch_layer(torch, name, config, _label(path, name))
        # Built on the meta device: the copied tensors become its parameters and buffers.
        state = {k: torch.from_numpy(np.array(v.numpy(force=True), copy=True))
                 for k, v in module.state_dict().items()}
        result.load_state_dict(state, assign=True)
    built[id(module)] = result
    return result
