"""``Module``: the base class of layers and models (PyTorch's API).

Parameters, buffers and sub-modules are registered by attribute assignment into ordered dicts,
so ``parameters()`` and ``state_dict()`` have the same order in every run.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from ..tensor import Tensor, to_array
from .parameter import Parameter


def shape_of(value: Any) -> tuple[int, ...]:
    """The shape of a layer's input: a Tensor, an array or nested lists."""
    return tuple(value.shape if isinstance(value, Tensor) else np.shape(value))


class IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class: subclasses set parameters/sub-modules in ``__init__`` and define ``forward``."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # --------------------------------------------------------------- registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() is called; call "
                f"super().__init__() first in {type(self).__name__}.__init__"
            )
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, (Parameter, Module)):
            target = params if isinstance(value, Parameter) else modules
            for registry in (params, buffers, modules):
                if registry is not target:  # a replacement keeps its place in the order
                    registry.pop(name, None)
            self.__dict__.pop(name, None)
            target[name] = value
        elif name in params:
            # ``layer.weight = some_tensor`` would silently drop the weight from parameters()
            # (and so from the optimizer and the state_dict); PyTorch refuses it too.
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} of "
                                f"{type(self).__name__} (Parameter or None expected)")
            params[name] = None
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r} "
                                f"of {type(self).__name__} (Module or None expected)")
            modules[name] = None
        elif name in buffers:
            # Re-assigning a buffer (running statistics, say) updates it and keeps it saved.
            if value is not None and not isinstance(value, (Tensor, np.ndarray)):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r} of "
                                f"{type(self).__name__} (Tensor, array or None expected)")
            buffers[name] = value if value is None or isinstance(value, Tensor) else Tensor(value)
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        for registry in ("_parameters", "_buffers", "_modules"):
            items = self.__dict__.get(registry)
            if items is not None and name in items:
                return items[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is None:
            self._parameters[name] = None
        else:
            setattr(self, name, param)

    def register_buffer(self, name: str, value: Any) -> None:
        """A saved, non-learnable array (running statistics, for example)."""
        self._parameters.pop(name, None)
        self._buffers[name] = None if value is None else (
            value if isinstance(value, Tensor) else Tensor(value))

    def add_module(self, name: str, module: Module | None) -> None:
        self._modules[name] = module

    # --------------------------------------------------------------- calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # --------------------------------------------------------------- traversal
    def named_modules(self, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module and every descendant, depth first.

        A module reachable twice (shared between two parents) is listed once, as in PyTorch,
        unless ``remove_duplicate=False`` (``state_dict`` wants every path).
        """
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in seen:
                    continue
                seen.add(id(module))
            yield name, module
            children = [(f"{name}.{key}" if name else key, child)
                        for key, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, child in self._modules.items():
            if child is not None:
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry: str, recurse: bool) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        modules = self.named_modules() if recurse else iter([("", self)])
        for prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))  # a shared parameter is listed once
                yield (f"{prefix}.{name}" if prefix else name), value

    def named_parameters(self, recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        return self._named_members("_parameters", recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse):
            yield param

    def named_buffers(self, recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse):
            yield buffer

    def num_parameters(self) -> int:
        """Total number of learnable values."""
        return int(sum(p._data.size for p in self.parameters()))

    # --------------------------------------------------------------- modes and grads
    def train(self, mode: bool = True) -> Module:
        if not isinstance(mode, (bool, np.bool_)):
            raise ValueError("training mode is expected to be boolean")  # PyTorch's check
        mode = bool(mode)
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for param in self.parameters():
            if set_to_none or param.grad is None:
                param.grad = None
            else:  # PyTorch zeroes the existing gradient tensor in place
                param.grad._data[...] = 0
                param.grad._bump_version()

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` on every parameter; checked first, so a failure changes none."""
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"requires_grad_(): argument 'requires_grad' must be bool, not "
                            f"{type(requires_grad).__name__}")
        if requires_grad:
            for name, param in self.named_parameters():
                if param.dtype.kind != "f":  # Tensor.requires_grad_'s rule, checked for all
                    raise TypeError(f"requires_grad_(): parameter {name!r} has dtype "
                                       f"{param.dtype}; only floating point tensors can "
                                       f"require gradients")
        for param in self.parameters():
            param.requires_grad_(bool(requires_grad))
        return self

    def to(self, dtype: Any) -> Module:
        """Convert every floating parameter and buffer to the floating ``dtype`` (in place).

        As in PyTorch, a non-floating dtype is refused with TypeError before anything changes.
        """
        try:
            target = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"{type(self).__name__}.to: {dtype!r} is not a dtype") from None
        if target.kind != "f":
            raise TypeError(f"{type(self).__name__}.to only accepts floating point dtypes, but "
                            f"got desired dtype={target}")
        tensors = [t for t in (*self.parameters(), *self.buffers()) if t.dtype.kind == "f"]
        # Convert everything first (the only step that can fail: memory), then swap in.
        data = [t._data.astype(target) for t in tensors]
        grads = [None if t.grad is None else t.grad._data.astype(target) for t in tensors]
        for tensor, array, grad in zip(tensors, data, grads):
            tensor._data = array
            tensor.grad = None if grad is None else Tensor._from_op(grad, False)
        return self

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:  # noqa: A003 - PyTorch's name
        return self.to(np.float32)

    def apply(self, fn: Any) -> Module:
        """Call ``fn`` on every sub-module, then on this one (as PyTorch; not undone if ``fn``
        raises part way, since ``fn`` is arbitrary code)."""
        if not callable(fn):
            raise TypeError(f"apply expects a callable, got {type(fn).__name__}")
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # --------------------------------------------------------------- state
    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Parameters and buffers by dotted name, as copies (PyTorch's key names and shapes)."""
        state: OrderedDict[str, np.ndarray] = OrderedDict()
        for prefix, module in self.named_modules(remove_duplicate=False):
            dot = f"{prefix}." if prefix else ""
            for name, value in (*module._parameters.items(), *module._buffers.items()):
                if value is not None:
                    state[dot + name] = value._data.copy()
        return state

    def _state_targets(self) -> dict[str, Tensor]:
        targets: dict[str, Tensor] = {}
        for prefix, module in self.named_modules(remove_duplicate=False):
            dot = f"{prefix}." if prefix else ""
            for name, value in (*module._parameters.items(), *module._buffers.items()):
                if value is not None:
                    targets[dot + name] = value
        return targets

    def check_state_dict(self, state_dict: Any, strict: bool = True
                         ) -> tuple[dict[str, np.ndarray], IncompatibleKeys]:
        """Validate ``state_dict`` against this module without changing anything.

        Returns the values converted to each target's dtype and shape (ready to copy in) and
        the missing/unexpected keys; raises PyTorch's ``RuntimeError`` listing every problem.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        targets = self._state_targets()
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        converted: dict[str, np.ndarray] = {}
        problems: list[str] = []
        for key, target in targets.items():
            if key not in state_dict:
                continue
            array, error = convert_state_value(state_dict[key], target.dtype)
            if error is not None:
                problems.append(f'While copying the parameter named "{key}", expected a tensor '
                                f"or numeric array from checkpoint but received {error}")
                continue
            if target.ndim == 0 and array.shape == (1,):
                array = array.reshape(())  # PyTorch accepts 1-element values for 0-d buffers
            if array.shape != target.shape:
                problems.append(f"size mismatch for {key}: copying a param with shape "
                                f"{array.shape} from checkpoint, the shape in current model "
                                f"is {target.shape}.")
                continue
            converted[key] = array
        if strict and unexpected:
            problems.insert(0, "Unexpected key(s) in state_dict: "
                            + ", ".join(f'"{k}"' for k in unexpected) + ".")
        if strict and missing:
            problems.insert(0, "Missing key(s) in state_dict: "
                            + ", ".join(f'"{k}"' for k in missing) + ".")
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__} "
                               f"(nothing was changed):\n\t" + "\n\t".join(problems))
        return converted, IncompatibleKeys(missing, unexpected)

    def load_state_dict(self, state_dict: Any, strict: bool = True) -> IncompatibleKeys:
        """Copy values in by name. Everything is checked first, so a failure changes nothing.

        Accepts NumPy arrays, neuralab tensors or anything ``np.asarray`` takes (torch tensors,
        nested lists) with a real numeric dtype; values are cast to each parameter's dtype, as
        PyTorch's ``copy_`` does. Shape mismatches always raise; missing and unexpected keys
        raise when ``strict`` (PyTorch's ``RuntimeError``; a non-mapping is a ``TypeError``).
        """
        converted, result = self.check_state_dict(state_dict, strict)
        self._copy_in(converted)
        return result

    def _copy_in(self, converted: Mapping[str, np.ndarray]) -> None:
        """Copy validated values (from ``check_state_dict``) in; cannot fail part way."""
        targets = self._state_targets()
        for key, array in converted.items():
            target = targets[key]
            if target._data.flags.writeable:
                # Copy into the existing array, as PyTorch's copy_() does, so anything holding
                # the parameter's array (a view, a probe) sees the loaded values.
                np.copyto(target._data, array)
            else:
                target._data = array  # a fresh array from check_state_dict

    # --------------------------------------------------------------- printing
    def extra_repr(self) -> str:
        return ""

    def input_error(self, message: Any) -> ValueError:
        """A ValueError whose message first names this layer, e.g. ``Conv2d(1, 32, ...): ...``."""
        return ValueError(f"{type(self).__name__}({self.extra_repr()}): {message}")

    def __repr__(self) -> str:
        lines = []
        for name, child in self._modules.items():
            child_repr = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child_repr}")
        head = f"{type(self).__name__}({self.extra_repr()}"
        count = self.num_parameters()
        suffix = f"  # {count:,} parameters" if count else ""
        if not lines:
            return head + ")" + suffix
        return head + "\n" + "\n".join(lines) + "\n)" + suffix

    def summary(self) -> str:
        """The repr plus the parameter count, e.g. for printing a model."""
        return f"{self!r}\nTotal parameters: {self.num_parameters():,}"


def convert_state_value(value: Any, dtype: np.dtype) -> tuple[np.ndarray, str | None]:
    """(``value`` as a new array of ``dtype``, None), or (empty, what is wrong with it)."""
    if value is None or isinstance(value, (str, bytes)):
        return np.empty(0), type(value).__name__
    try:
        array = to_array(value)  # detaches a torch tensor that requires grad
    except (ValueError, TypeError, OverflowError, RuntimeError) as error:
        return np.empty(0), f"{type(value).__name__} that is not an array ({error})"
    if array.dtype.kind not in "biuf":
        # Strings, objects (ragged lists, None inside) and complex numbers (the imaginary
        # part would be dropped) are not weights of a real-valued model.
        return np.empty(0), f"{type(value).__name__} with dtype {array.dtype}"
    with np.errstate(all="ignore"):  # a cast as PyTorch's copy_() does it
        return array.astype(dtype, copy=True), None
