"""``Module``: the base class of layers and models, with PyTorch's API and semantics.

Parameters, buffers and sub-modules are registered by attribute assignment (or
``register_parameter`` / ``register_buffer`` / ``add_module``) into insertion-ordered dicts,
so ``parameters()`` and ``state_dict()`` have the same order in every run, and PyTorch's.
Every state-changing call checks its arguments first: a refused call changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from .. import dtypes
from ..device import DeviceError, check_device
from ..device import device as device_type
from ..errors import DTypeError, ShapeError
from ..tensor import Tensor, to_array
from .parameter import Parameter


def shape_of(value: Any) -> tuple[int, ...]:
    """The shape of a layer's input: a Tensor, an array or nested lists."""
    return tuple(value.shape if isinstance(value, Tensor) else np.shape(value))


class IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


# ``Module.type('torch.DoubleTensor')``: the legacy tensor-type names PyTorch code passes.
_TYPE_NAMES = {"FloatTensor": dtypes.float32, "DoubleTensor": dtypes.float64,
               "HalfTensor": dtypes.float16, "LongTensor": dtypes.int64,
               "IntTensor": dtypes.int32, "ShortTensor": dtypes.int16,
               "CharTensor": dtypes.int8, "ByteTensor": dtypes.uint8,
               "BoolTensor": dtypes.bool_}


def _addindent(text: str, spaces: int) -> str:
    """Indent every line but the first (PyTorch's ``_addindent``, for nested reprs)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    rest = [(" " * spaces + line) if line.strip() else "" for line in lines[1:]]
    return "\n".join([lines[0], *rest])


def _check_name(kind: str, name: Any) -> None:
    """PyTorch's checks of a parameter / buffer name (a module name is checked separately)."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
    if "." in name:
        raise KeyError(f"{kind} name can't contain \".\"")
    if name == "":
        raise KeyError(f"{kind} name can't be empty string \"\"")


def _as_buffer(name: str, value: Any) -> Tensor | None:
    """A buffer value: a Tensor or None as in PyTorch; a NumPy array (neuralab's native array)
    is also accepted and wrapped without a copy. Anything else raises PyTorch's TypeError."""
    if value is None or isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray):
        return Tensor(value)
    raise TypeError(f"cannot assign '{type(value).__name__}' object to buffer '{name}' "
                    f"(neuralab Tensor or None required)")


class Module:
    """Base class: subclasses set parameters/sub-modules in ``__init__`` and define ``forward``.

    ``training`` is True after construction (``train()`` / ``eval()`` switch it for this module
    and every descendant).
    """

    training: bool

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword "
                            f"argument '{next(iter(kwargs))}'")
        if args:
            raise TypeError(f"{type(self).__name__}.__init__() takes 1 positional argument "
                            f"but {len(args) + 1} were given")
        set_ = object.__setattr__
        set_(self, "training", True)
        set_(self, "_parameters", {})
        set_(self, "_buffers", {})
        set_(self, "_non_persistent_buffers_set", set())
        set_(self, "_modules", {})

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_non_persistent_buffers_set", set())  # older pickles

    # --------------------------------------------------------------- registration
    def _not_initialised(self, what: str) -> AttributeError:
        return AttributeError(
            f"cannot assign {what} before Module.__init__() call; call super().__init__() "
            f"first in {type(self).__name__}.__init__")

    def __setattr__(self, name: str, value: Any) -> None:
        """PyTorch's rules: a Parameter registers a parameter and a Module a child (either
        replacing whatever had the name); a name already registered as a parameter, child or
        buffer accepts only the same kind (or None); anything else is a plain attribute."""
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise self._not_initialised("parameters")
            self._remove_name(name, keep="_parameters")
            self.register_parameter(name, value)
        elif params is not None and name in params:  # also refuses a Module, as PyTorch does
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter "
                                f"'{name}' of {type(self).__name__} (neuralab.nn.Parameter or "
                                f"None expected)")
            self.register_parameter(name, value)
        else:
            modules = d.get("_modules")
            if isinstance(value, Module):
                if modules is None:
                    raise self._not_initialised("module")
                self._remove_name(name, keep="_modules")
                modules[name] = value
            elif modules is not None and name in modules:
                if value is not None:
                    raise TypeError(f"cannot assign '{type(value).__name__}' as child module "
                                    f"'{name}' of {type(self).__name__} (neuralab.nn.Module "
                                    f"or None expected)")
                modules[name] = value
            else:
                buffers = d.get("_buffers")
                if buffers is not None and name in buffers:
                    # Re-assigning a buffer (running statistics, say) keeps it a buffer, with
                    # its persistence.
                    if value is not None and not isinstance(value, (Tensor, np.ndarray)):
                        raise TypeError(f"cannot assign '{type(value).__name__}' as buffer "
                                        f"'{name}' of {type(self).__name__} (neuralab Tensor, "
                                        f"NumPy array or None expected)")
                    buffers[name] = _as_buffer(name, value)
                else:
                    object.__setattr__(self, name, value)

    def _remove_name(self, name: str, keep: str) -> None:
        """Forget ``name`` everywhere but in the registry ``keep`` (a replacement keeps its
        place in that registry's order, as in PyTorch)."""
        self.__dict__.pop(name, None)
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry != keep:
                self.__dict__[registry].pop(name, None)
        self._non_persistent_buffers_set.discard(name)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            items = d.get(registry)
            if items is not None and name in items:
                return items[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        keys = [*dir(type(self)), *self.__dict__, *self._parameters, *self._modules,
                *self._buffers]
        return sorted({k for k in keys if not k[0].isdigit()})

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add ``param`` (a Parameter, or None for "no such parameter") under ``name``.

        As in PyTorch, a name that is already another attribute (a buffer, a child, a plain
        attribute or a method) raises ``KeyError("attribute 'name' already exists")``.
        """
        if "_parameters" not in self.__dict__:
            raise self._not_initialised("parameter")
        _check_name("parameter", name)
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (neuralab.nn.Parameter or None required)")
        if param is not None and param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model "
                             f"parameters must be created explicitly. To express '{name}' as "
                             f"a function of another Tensor, compute the value in the "
                             f"forward() method.")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Add a non-learnable tensor (running statistics, say) under ``name``.

        Persistent buffers are saved in ``state_dict``; ``persistent=False`` leaves it out.
        Re-registering a buffer replaces it; a name that is already another attribute raises
        ``KeyError("attribute 'name' already exists")`` and changes nothing, as in PyTorch.
        """
        if "_buffers" not in self.__dict__:
            raise self._not_initialised("buffer")
        _check_name("buffer", name)
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        value = _as_buffer(name, tensor)
        self._buffers[name] = value
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module (or None) under ``name`` (PyTorch's checks)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {type(name).__name__}")
        if "_modules" not in self.__dict__:
            raise self._not_initialised("module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f"module name can't contain \".\", got: {name}")
        if name == "":
            raise KeyError("module name can't be empty string \"\"")
        self._modules[name] = module

    def register_module(self, name: str, module: Module | None) -> None:
        """Alias for ``add_module``."""
        self.add_module(name, module)

    def get_submodule(self, target: str) -> Module:
        """The sub-module at the dotted path ``target`` ("" is this module)."""
        if target == "":
            return self
        module: Module = self
        for item in target.split("."):
            if not hasattr(module, item):
                raise AttributeError(f"{module._get_name()} has no attribute `{item}`")
            module = getattr(module, item)
            if not isinstance(module, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return module

    def set_submodule(self, target: str, module: Module, strict: bool = False) -> None:
        """Put ``module`` at the dotted path ``target`` (its parent must exist)."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        parent_path, _, name = target.rpartition(".")
        parent = self.get_submodule(parent_path)
        if strict and not hasattr(parent, name):
            raise AttributeError(f"{parent._get_name()} has no attribute `{name}`")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), Module):
            raise AttributeError(f"`{name}` is not an nn.Module")
        setattr(parent, name, module)

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at the dotted path ``target`` (e.g. ``"0.weight"``)."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
        param = getattr(module, name)
        if not isinstance(param, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return param

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at the dotted path ``target`` (e.g. ``"1.running_mean"``)."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
        if name not in module._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return module._buffers[name]

    # --------------------------------------------------------------- calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"Module [{type(self).__name__}] is missing the required "
                                  f"\"forward\" function")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # --------------------------------------------------------------- traversal
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module and every descendant, depth first.

        A module reachable twice (shared between two parents) is listed once, as in PyTorch,
        unless ``remove_duplicate=False`` (``state_dict`` wants every path).
        """
        if memo is None:
            memo = set()
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                                remove_duplicate)

    def modules(self, remove_duplicate: bool = True) -> Iterator[Module]:
        for _, module in self.named_modules(remove_duplicate=remove_duplicate):
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) of the direct children, each module once."""
        seen: set[int] = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry: str, prefix: str, recurse: bool,
                       remove_duplicate: bool) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        for module_prefix, module in modules:
            for name, value in module.__dict__[registry].items():
                if value is None or id(value) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(value))  # a shared tensor is listed once
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def num_parameters(self) -> int:
        """Total number of learnable values (each shared parameter once)."""
        return int(sum(p._data.size for p in self.parameters()))

    # --------------------------------------------------------------- modes and grads
    def train(self, mode: bool = True) -> Module:
        """Set training mode on this module and, through their ``train``, its children."""
        if not isinstance(mode, (bool, np.bool_)):
            raise ValueError("training mode is expected to be boolean")  # PyTorch's check
        object.__setattr__(self, "training", bool(mode))
        for module in self.children():
            module.train(bool(mode))
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient: to None (the default), or zero it in place."""
        for param in self.parameters():
            grad = param.grad
            if grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:  # PyTorch detaches the gradient and zeroes it in place
                if grad.grad_fn is not None:
                    grad.detach_()
                else:
                    grad.requires_grad_(False)
                grad._data[...] = 0
                grad._bump_version()

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` on every parameter; checked first, so a failure changes none."""
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"requires_grad_(): argument 'requires_grad' must be bool, not "
                            f"{type(requires_grad).__name__}")
        if requires_grad:
            for name, param in self.named_parameters():
                if param.dtype.kind != "f":  # Tensor.requires_grad_'s rule, checked for all
                    raise DTypeError(f"requires_grad_(): parameter {name!r} has dtype "
                                     f"{param.dtype}; only Tensors of floating point dtype "
                                     f"can require gradients")
        for param in self.parameters():
            param.requires_grad_(bool(requires_grad))
        return self

    # --------------------------------------------------------------- dtype and device
    def _convert(self, target: Callable[[Tensor], np.dtype | None]) -> Module:
        """Cast every parameter, gradient and buffer ``t`` to ``target(t)`` (None: keep).

        As PyTorch's ``_apply``: a parameter keeps its identity (its data is replaced, and so
        is its gradient's), a converted buffer is a new tensor. Everything is converted before
        anything is replaced, so a refused conversion changes nothing.
        """
        params: list[tuple[Tensor, np.ndarray, np.ndarray | None]] = []
        buffers: list[tuple[dict, str, Tensor]] = []
        seen: set[int] = set()  # a parameter shared by two modules is converted once
        for module in self.modules():
            for name, param in module._parameters.items():
                dtype = None if param is None or id(param) in seen else target(param)
                if dtype is None or dtype == param.dtype:
                    continue
                seen.add(id(param))
                if param.requires_grad and dtype.kind != "f":
                    raise DTypeError(f"cannot convert parameter '{name}' of "
                                     f"{module._get_name()} to {dtype}: data set to a tensor "
                                     f"that requires gradients must be floating point")
                grad = param.grad
                params.append((param, param._data.astype(dtype),
                               None if grad is None else grad._data.astype(dtype)))
            for name, buffer in module._buffers.items():
                dtype = None if buffer is None else target(buffer)
                if dtype is not None and dtype != buffer.dtype:
                    new = Tensor._from_op(buffer._data.astype(dtype), False)
                    buffers.append((module._buffers, name, new))
        for param, array, grad_array in params:
            param._data = array
            if grad_array is not None:
                param.grad._data = grad_array
        for registry, name, new in buffers:
            registry[name] = new
        return self

    def _apply_dtype(self, dtype: np.dtype, floating_only: bool = True) -> Module:
        def target(t: Tensor) -> np.dtype | None:
            return dtype if t.dtype.kind == "f" or not floating_only else None
        return self._convert(target)

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(tensor)``, or the keywords
        ``device=``/``dtype=``: cast the floating parameters and buffers (in place; integer
        buffers keep their dtype) and return this module.

        As in PyTorch the dtype must be floating (``TypeError`` otherwise); the only device is
        the CPU, and any other raises ``DeviceError``. Both are checked before any change.
        """
        device, dtype = _parse_to(args, kwargs)
        check_device(device)
        if dtype is None:
            return self
        if dtype.kind != "f":
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got "
                            f"desired dtype=neuralab.{dtype}")
        return self._apply_dtype(dtype)

    def cpu(self) -> Module:
        """The parameters are on the CPU already (neuralab's only device)."""
        return self

    def cuda(self, device: Any = None) -> Module:
        raise DeviceError("cuda(): neuralab runs on the CPU with NumPy "
                          "(neuralab.cuda.is_available() is False); use model.to('cpu')")

    def type(self, dst_type: Any) -> Module:  # noqa: A003 - PyTorch's name
        """Cast *every* parameter and buffer (integer ones too) to ``dst_type``: a dtype, or a
        name such as ``'torch.DoubleTensor'``."""
        if isinstance(dst_type, str) and dst_type.rsplit(".", 1)[-1] in _TYPE_NAMES:
            dtype = _TYPE_NAMES[dst_type.rsplit(".", 1)[-1]]
        else:
            dtype = dtypes.as_dtype(dst_type)
        return self._apply_dtype(dtype, floating_only=False)

    def float(self) -> Module:  # noqa: A003 - PyTorch's name
        """Cast the floating parameters and buffers to float32."""
        return self._apply_dtype(dtypes.float32)

    def double(self) -> Module:
        """Cast the floating parameters and buffers to float64."""
        return self._apply_dtype(dtypes.float64)

    def half(self) -> Module:
        """Cast the floating parameters and buffers to float16."""
        return self._apply_dtype(dtypes.float16)

    def bfloat16(self) -> Module:
        raise DTypeError("bfloat16(): neuralab has no bfloat16 dtype (NumPy has none); use "
                         "half() for 16-bit floats or float() for float32")

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every sub-module (children first, recursively), then on this one.

        As in PyTorch, not undone if ``fn`` raises part way (``fn`` is arbitrary code).
        """
        if not callable(fn):
            raise TypeError(f"apply expects a callable, got {type(fn).__name__}")
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # --------------------------------------------------------------- state
    def _state_items(self) -> Iterator[tuple[str, Tensor]]:
        """(key, tensor) of every state_dict entry, by every path (shared modules too)."""
        for prefix, module in self.named_modules(remove_duplicate=False):
            dot = f"{prefix}." if prefix else ""
            for name, value in module._parameters.items():
                if value is not None:
                    yield dot + name, value
            skip = module._non_persistent_buffers_set
            for name, value in module._buffers.items():
                if value is not None and name not in skip:
                    yield dot + name, value

    def state_dict(self, *, destination: Any = None, prefix: str = "",
                   keep_vars: bool = False) -> dict[str, Tensor]:
        """Parameters and persistent buffers by dotted name, as PyTorch gives them: detached
        tensors sharing memory with the model (``keep_vars=True``: the parameters themselves),
        so training after the call changes them — clone (or ``copy.deepcopy``) to keep a
        snapshot."""
        state = {} if destination is None else destination
        for key, value in self._state_items():
            state[prefix + key] = value if keep_vars else value.detach()
        return state

    def _state_targets(self) -> dict[str, Tensor]:
        return dict(self._state_items())

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
        Non-persistent buffers are neither expected nor accepted, as in PyTorch.
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
                target._bump_version()
            else:
                target._data = array  # a fresh array from check_state_dict

    # --------------------------------------------------------------- printing
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """This module's settings for its repr (override; one line, or several)."""
        return ""

    def input_error(self, message: Any) -> ShapeError:
        """An input error whose message first names this layer, e.g. ``Conv2d(1, 32, ...): ...``
        (a ValueError that is also the RuntimeError PyTorch raises for a wrong input shape)."""
        return ShapeError(f"{type(self).__name__}({self.extra_repr()}): {message}")

    def __repr__(self) -> str:
        """PyTorch's layout: ``Name(extra)`` or the children indented, one per line."""
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): {_addindent(repr(module), 2)}"
                       for key, module in self._modules.items()]
        lines = extra_lines + child_lines
        text = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                text += extra_lines[0]
            else:
                text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"

    def summary(self) -> str:
        """The repr plus the parameter count, e.g. for printing a model."""
        return f"{self!r}\nTotal parameters: {self.num_parameters():,}"


def _is_device_like(value: Any) -> bool:
    return isinstance(value, (str, device_type)) or (
        isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)))


def _parse_to(args: tuple, kwargs: dict) -> tuple[Any, np.dtype | None]:
    """(device, dtype) from PyTorch's ``to`` forms: ``(device=None, dtype=None,
    non_blocking=False)``, ``(dtype, non_blocking=False)``, ``(tensor, non_blocking=False)``,
    each with keyword ``memory_format``; raises TypeError for any other combination."""
    def invalid() -> TypeError:
        got = ", ".join([*(type(a).__name__ for a in args),
                         *(f"{k}={type(v).__name__}" for k, v in kwargs.items())])
        return TypeError(f"to() received an invalid combination of arguments - got ({got}), "
                         f"but expected one of: (device=None, dtype=None, non_blocking=False), "
                         f"(dtype, non_blocking=False), (tensor, non_blocking=False)")

    kwargs = dict(kwargs)
    if kwargs.pop("copy", False):
        raise RuntimeError(".to() does not accept copy argument")
    if kwargs.pop("memory_format", None) is not None:
        raise TypeError("to(): neuralab has no memory formats (memory_format must be None)")
    args = list(args)
    if "tensor" in kwargs:
        if args and not isinstance(args[0], (bool, np.bool_)):
            raise invalid()
        args.insert(0, kwargs.pop("tensor"))
        if not isinstance(args[0], Tensor):
            raise invalid()
    device = dtype = None
    if args and isinstance(args[0], Tensor):
        other = args.pop(0)
        device, dtype = other.device, other.dtype
        if "device" in kwargs or "dtype" in kwargs:
            raise invalid()
    elif args and (args[0] is None or _is_device_like(args[0])):
        device = args.pop(0)
        if args and not isinstance(args[0], (bool, np.bool_)):
            dtype = args.pop(0)
        if "device" in kwargs or (dtype is not None and "dtype" in kwargs):
            raise invalid()
    elif args and not isinstance(args[0], (bool, np.bool_)):
        dtype = args.pop(0)
        if "device" in kwargs or "dtype" in kwargs:
            raise invalid()
    device = kwargs.pop("device", device)
    dtype = kwargs.pop("dtype", dtype)
    if args and isinstance(args[0], (bool, np.bool_)):  # non_blocking (no effect on the CPU)
        if "non_blocking" in kwargs:
            raise invalid()
        args.pop(0)
    kwargs.pop("non_blocking", None)
    if args or kwargs:
        raise invalid()
    if dtype is not None:
        if _is_device_like(dtype):
            raise invalid()
        try:
            dtype = dtypes.as_dtype(dtype)
        except TypeError as error:
            raise TypeError(f"to(): {error}") from None
    return device, dtype


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
