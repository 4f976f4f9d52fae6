"""Model files: ``save(model, path)`` and ``load(path)``.

A model file is a plain safetensors file. The tensors are ``model.state_dict()`` (keys such as
``0.weight``, dtypes kept), so any safetensors reader can use the weights. The architecture is
JSON in the header metadata, under ``neuralab.architecture``::

    {"type": "Sequential", "children": [
        {"type": "Linear", "in_features": 2, "out_features": 4, "bias": true, "dtype": "float32"},
        {"type": "Tanh"}, ...]}

A container whose child names are not ``0, 1, ...`` adds ``"names": [...]``. A module used in
several places is written (and loaded) once per place. Settings added after the format's first
release (``inplace`` of ReLU, LeakyReLU and Dropout; ``bias`` of BatchNorm) are written only
when they differ from PyTorch's default, so files without them still load. Module types are
looked up in a registry by name; loading builds only registered types and reads only JSON, so
opening a file can never run code from it (no pickle, no eval, no import by name).
"""

from __future__ import annotations

import json
import math
import os
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..nn.activations import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Step, Tanh
from ..nn.batchnorm import BatchNorm1d, BatchNorm2d
from ..nn.layers import Dropout, Flatten, Identity, Linear, Sequential
from ..nn.module import Module
from ..nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from ..random import get_rng_state, set_rng_state
from ..tensor import get_default_dtype
from .files import (
    MAX_DIMS,
    ModelFileError,
    PathLike,
    TensorEntry,
    file_label,
    parse_json,
    read_tensor_metadata,
    read_tensors,
    save_tensors,
    show,
)

__all__ = [
    "ARCHITECTURE_KEY", "FORMAT_KEY", "FORMAT_VERSION", "VERSION_KEY", "ModuleConfig", "load",
    "read_metadata", "register_module", "registered_modules", "save",
]

FORMAT_VERSION = "1"
ARCHITECTURE_KEY = "neuralab.architecture"
FORMAT_KEY = "neuralab.format_version"
VERSION_KEY = "neuralab.version"
RESERVED_PREFIX = "neuralab."

_MAX_DEPTH = 100
# Bounds on what an architecture may ask for beyond its weights (which the file's own tensors
# bound, see _Budget): the number of modules, and the spatial settings of convolution and
# pooling (kernel, stride, padding, dilation, output size), which set how much a forward pass
# allocates (padded input, output). No image model comes near them.
MAX_MODULES = 10_000  # ~20 times a ResNet-152; building 10,000 modules takes ~0.5 s
MAX_SPATIAL = 1024
_INT64 = (-2**63, 2**63 - 1)
_STRUCTURE_KEYS = ("type", "children", "names")
_DTYPES = ("float16", "float32", "float64")
_MISSING: Any = object()


# ------------------------------------------------------------------------------------ registry
@dataclass(frozen=True)
class _Entry:
    name: str
    cls: type[Module]
    to_config: Callable[[Module], dict[str, Any]]
    from_config: Callable[[ModuleConfig], Module]


_BY_NAME: dict[str, _Entry] = {}
_BY_CLASS: dict[type, _Entry] = {}


def register_module(cls: type[Module],
                    to_config: Callable[[Any], dict[str, Any]] | None = None,
                    from_config: Callable[[ModuleConfig], Module] | None = None,
                    *, name: str | None = None) -> None:
    """Make a module class saveable in model files.

    ``to_config(module)`` returns its constructor settings as a dict of JSON values (child
    modules are recorded automatically); ``from_config(config)`` builds a fresh module from a
    ``ModuleConfig``, whose typed getters validate what the file says. Both default to "no
    settings" (``cls()``). The type is stored under ``name`` (default: the class name) and
    matched exactly on save, so a subclass needs its own registration.
    """
    if not (isinstance(cls, type) and issubclass(cls, Module)):
        raise TypeError(f"register_module: {cls!r} is not a Module subclass")
    name = cls.__name__ if name is None else name
    if not isinstance(name, str) or not name:
        raise ValueError(f"register_module: invalid type name {name!r}")
    taken = _BY_NAME.get(name)
    if taken is not None and taken.cls is not cls:
        raise ValueError(f"register_module: the name {name!r} is already used by "
                         f"{taken.cls.__module__}.{taken.cls.__qualname__}")
    old = _BY_CLASS.get(cls)
    if old is not None:
        del _BY_NAME[old.name]
    entry = _Entry(name, cls, to_config or (lambda module: {}), from_config or (lambda cfg: cls()))
    _BY_NAME[name] = _BY_CLASS[cls] = entry


def registered_modules() -> dict[str, type[Module]]:
    """Type name -> class, for every module type a model file can contain."""
    return {name: entry.cls for name, entry in _BY_NAME.items()}


# ------------------------------------------------------------------------------------ config
class _Budget:
    """A cap on the values an architecture may ask for: those in the file, plus some slack.

    The cap stops a small file from making ``load`` allocate gigabytes; the slack lets a
    modest mismatch reach the precise per-tensor report instead.
    """

    SLACK = 2**20

    def __init__(self, file_values: int | None) -> None:
        self.limit = None if file_values is None else file_values + self.SLACK
        self.file_values, self.used, self.modules = file_values, 0, 0


class ModuleConfig:
    """One module's entry in an architecture, with getters that check the types of its values.

    Passed to ``from_config``; every error it raises names the file and the layer. Keys that
    ``from_config`` never reads are reported as unexpected once it returns.
    """

    def __init__(self, description: dict[str, Any], file: str, path: str, depth: int,
                 budget: _Budget) -> None:
        self._description, self._file, self._path = description, file, path
        self._depth, self._budget = depth, budget
        self._where = f"{_where(file, path)} ({description['type']})"  # a registered name
        self._used: set[str] = {"type"}

    def error(self, message: str) -> ModelFileError:
        """A ``ModelFileError`` about this layer, for checks of one's own in ``from_config``."""
        return ModelFileError(f"{self._where}: {message}")

    def _get(self, key: str, default: Any, expected: str, ok: Callable[[Any], bool]) -> Any:
        self._used.add(key)
        if key not in self._description:
            if default is _MISSING:
                raise self.error(f"missing setting {key!r} ({expected})")
            return default
        value = self._description[key]
        if not ok(value):
            raise self.error(f"setting {key!r} must be {expected}, got {show(value)}")
        return value

    def get_int(self, key: str, default: Any = _MISSING, *, minimum: int = _INT64[0],
                maximum: int = _INT64[1]) -> int:
        """An integer (not a bool, not 3.0) from ``minimum`` to ``maximum``."""
        return self._get(key, default, _int_range(minimum, maximum),
                         lambda v: type(v) is int and minimum <= v <= maximum)

    def get_float(self, key: str, default: Any = _MISSING, *, minimum: float = -math.inf,
                  maximum: float = math.inf) -> float:
        """A finite number (an int is accepted, a bool is not) from ``minimum`` to ``maximum``."""
        bounds = "" if (minimum, maximum) == (-math.inf, math.inf) else (
            f" >= {minimum}" if maximum == math.inf else f" from {minimum} to {maximum}")
        value = self._get(key, default, f"a finite number{bounds}",
                          lambda v: (type(v) is int or type(v) is float and math.isfinite(v))
                          and minimum <= v <= maximum)
        return float(value)

    def get_pair(self, key: str, default: Any = _MISSING, *, minimum: int = _INT64[0],
                 maximum: int = _INT64[1]) -> tuple[int, int]:
        """A list of two integers, each from ``minimum`` to ``maximum``."""
        each = _int_range(minimum, maximum).replace("an integer", ", each", 1)
        value = self._get(key, default, f"a pair of integers{'' if each == ', each' else each}",
                          lambda v: isinstance(v, list) and len(v) == 2 and all(
                              type(i) is int and minimum <= i <= maximum for i in v))
        return value[0], value[1]

    def get_bool(self, key: str, default: Any = _MISSING) -> bool:
        return self._get(key, default, "true or false", lambda v: type(v) is bool)

    def get_str(self, key: str, default: Any = _MISSING) -> str:
        return self._get(key, default, "a string", lambda v: type(v) is str)

    def get_dtype(self, key: str, default: Any = _MISSING) -> np.dtype:
        value = self._get(key, default, f"one of {', '.join(map(repr, _DTYPES))}",
                          lambda v: v in _DTYPES)
        return np.dtype(value)

    def reserve(self, count: int) -> None:
        """Declare that the module about to be built holds ``count`` values.

        Call it before allocating, so a file that asks for a huge layer fails here rather
        than exhausting memory.
        """
        budget = self._budget
        budget.used += count
        if budget.limit is not None and budget.used > budget.limit:
            raise self.error(f"the architecture needs at least {budget.used:,} parameter values "
                             f"but the file's tensors hold only {budget.file_values:,}")

    def children(self) -> list[tuple[str, Module]]:
        """The child modules, built, with their names (``0``, ``1``, ... unless named)."""
        self._used.update(("children", "names"))
        items = self._description.get("children", [])
        if not isinstance(items, list):
            raise self.error(f"'children' must be a list, got {type(items).__name__}")
        names = self._description.get("names", [str(i) for i in range(len(items))])
        if not (isinstance(names, list) and len(names) == len(items)
                and all(isinstance(n, str) and n and "." not in n for n in names)
                and len(set(names)) == len(names)):
            raise self.error(f"'names' must be {len(items)} distinct non-empty strings without "
                             f"dots, got {show(names)}")
        return [(name, _decode(item, self._file, f"{self._path}.{name}" if self._path else name,
                               self._depth + 1, self._budget))
                for name, item in zip(names, items, strict=True)]

    def _unused(self) -> list[str]:
        return [key for key in self._description if key not in self._used]


# ------------------------------------------------------------------------------------ encode
def _describe(module: Module, path: str) -> dict[str, Any]:
    label = f"layer '{path}'" if path else "the model"
    entry = _BY_CLASS.get(type(module))
    if entry is None:
        cls = type(module)
        known = ", ".join(sorted(_BY_NAME))
        raise TypeError(
            f"cannot save {label}: module type {cls.__module__}.{cls.__qualname__} cannot be "
            f"serialised (model files can hold only registered types: {known}). Register it "
            f"with neuralab.io.register_module(), or save just the weights with "
            f"model.state_dict()")
    try:
        config = entry.to_config(module)
    except (TypeError, ValueError, AttributeError) as error:
        raise TypeError(f"cannot save {label}: cannot describe its {entry.name} settings "
                        f"({error})") from None
    if not isinstance(config, dict) or any(
            not isinstance(k, str) or k in _STRUCTURE_KEYS for k in config):
        raise TypeError(f"cannot save {label}: to_config for {entry.name} must return a dict "
                        f"with string keys other than {_STRUCTURE_KEYS}, got {config!r}")
    description: dict[str, Any] = {"type": entry.name, **config}
    # Every slot, as state_dict() sees it: named_children() lists a shared module once.
    children = [(name, child) for name, child in module._modules.items() if child is not None]
    if children:
        names = [name for name, _ in children]
        description["children"] = [
            _describe(child, f"{path}.{name}" if path else name) for name, child in children]
        if names != [str(i) for i in range(len(children))]:
            description["names"] = names
    return description


# ------------------------------------------------------------------------------------ decode
def _int_range(minimum: int, maximum: int) -> str:
    if (minimum, maximum) == _INT64:
        return "an integer"
    return f"an integer >= {minimum}" if maximum == _INT64[1] else (
        f"an integer from {minimum} to {maximum}")


def _where(file: str, path: str) -> str:
    return f"{file_label(file)}: architecture, " + (f"layer {show(path)}" if path else "top level")


def _decode(description: Any, file: str, path: str, depth: int, budget: _Budget) -> Module:
    where = _where(file, path)
    if depth > _MAX_DEPTH:
        raise ModelFileError(f"{where}: modules nested more than {_MAX_DEPTH} deep")
    budget.modules += 1
    if budget.modules > MAX_MODULES:
        raise ModelFileError(f"{where}: the architecture has more than {MAX_MODULES:,} modules")
    if not isinstance(description, dict):
        raise ModelFileError(f"{where}: expected an object describing a module, got "
                             f"{type(description).__name__}")
    type_name = description.get("type")
    entry = _BY_NAME.get(type_name) if isinstance(type_name, str) else None
    if entry is None:
        raise ModelFileError(f"{where}: unknown module type {show(type_name)}; this version "
                             f"of neuralab can build only {', '.join(sorted(_BY_NAME))}")
    config = ModuleConfig(description, file, path, depth, budget)
    where = config._where
    try:
        module = entry.from_config(config)
    except ModelFileError:
        raise
    except Exception as error:  # noqa: BLE001 - a from_config of any kind, fed untrusted values
        text = show(str(error))[1:-1] or type(error).__name__
        raise ModelFileError(f"{where}: cannot build it from its settings: {text}") from None
    if type(module) is not entry.cls:
        raise ModelFileError(f"{where}: from_config returned a {type(module).__name__}, not a "
                             f"{entry.cls.__name__}")
    unused = config._unused()
    if unused:
        raise ModelFileError(f"{where}: unexpected setting(s) {', '.join(map(show, unused))}")
    return module


@contextmanager
def _rng_untouched() -> Iterator[None]:
    # Building layers draws initial weights; loading a file must not shift the user's stream.
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


def _build(architecture: Any, file: str, budget: int | None) -> Module:
    with _rng_untouched():
        return _decode(architecture, file, "", 0, _Budget(budget))


def _signature(tensors: Mapping[str, np.ndarray]) -> dict[str, tuple[tuple[int, ...], str]]:
    return {key: (tuple(array.shape), array.dtype.name) for key, array in tensors.items()}


def _mismatch(found: Mapping[str, tuple], expected: Mapping[str, tuple], found_label: str,
              expected_label: str) -> list[str]:
    problems = []
    missing = [key for key in expected if key not in found]
    unexpected = [key for key in found if key not in expected]
    if missing:
        problems.append(f"missing tensors: {_names(missing)}")
    if unexpected:
        problems.append(f"unexpected tensors: {_names(unexpected)}")
    wrong = [key for key in expected if key in found and found[key] != expected[key]]
    for key in wrong[:_SHOWN]:
        (got_shape, got_dtype), (shape, dtype) = found[key], expected[key]
        problems.append(f"{show(key)}: {found_label} has shape {show(got_shape)} {got_dtype}, "
                        f"{expected_label} needs {shape} {dtype}")
    if len(wrong) > _SHOWN:
        problems.append(f"{len(wrong) - _SHOWN} more tensors of the wrong shape or dtype")
    return problems


_SHOWN = 10  # names listed in one message; a hostile file may hold a million


def _names(keys: list[str]) -> str:
    text = ", ".join(show(k)[1:-1] for k in keys[:_SHOWN])
    return text + (f" and {len(keys) - _SHOWN} more" if len(keys) > _SHOWN else "")


# ------------------------------------------------------------------------------------ public
def save(model: Module, path: PathLike, metadata: Mapping[str, str] | None = None) -> None:
    """Save ``model`` (architecture and weights) to ``path`` as a safetensors file, atomically.

    ``metadata`` adds strings of your own (class names, say; keys not starting ``neuralab.``),
    readable with ``read_metadata(path)``.
    """
    if not isinstance(model, Module):
        raise TypeError(f"save: expected a neuralab Module, got {type(model).__name__}")
    state = model.state_dict()
    # Tied: one tensor under two names (counting named_parameters/buffers instead would also
    # count non-persistent buffers, which state_dict leaves out).
    if len({id(tensor) for tensor in model.state_dict(keep_vars=True).values()}) != len(state):
        raise ValueError("cannot save: the model shares parameters between layers (tied "
                         "weights), which a model file cannot express; model.state_dict() "
                         "still works")
    architecture = _describe(model, "")
    try:
        text = json.dumps(architecture, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as error:
        raise TypeError(f"cannot save: the architecture is not plain JSON ({error})") from None

    # Rebuild from the text to prove the file will load; this catches an incomplete to_config
    # or parameters attached after construction now rather than when someone opens the file.
    try:
        rebuilt = _build(json.loads(text), "<model being saved>", None)
    except ModelFileError as error:  # a setting a model file refuses (see MAX_SPATIAL, ...)
        raise ValueError(f"cannot save: {str(error).split(': ', 1)[1]}") from None
    problems = _mismatch(_signature(state), _signature(rebuilt.state_dict()), "the model",
                         "its architecture description")
    if problems:
        raise ValueError("cannot save: the architecture description does not reproduce the "
                         "model's parameters (was a parameter added after construction?): "
                         + "; ".join(problems))

    from .. import __version__

    meta: dict[str, str] = {}
    for key, value in (metadata or {}).items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"save: metadata must map strings to strings, got {key!r}: "
                            f"{type(value).__name__}")
        if key.startswith(RESERVED_PREFIX):
            raise ValueError(f"save: metadata key {key!r} is reserved (keys starting "
                             f"{RESERVED_PREFIX!r} belong to neuralab)")
        meta[key] = value
    meta.update({FORMAT_KEY: FORMAT_VERSION, VERSION_KEY: __version__, ARCHITECTURE_KEY: text})
    save_tensors(path, state, meta)


def load(path: PathLike) -> Module:
    """Load a model saved by ``save``: architecture rebuilt, weights loaded, in eval() mode.

    Raises ``ModelFileError`` (a ``ValueError``) naming the file and the problem if it is not
    a valid neuralab model file. The architecture is built and checked against the header's
    tensor list before any weights are read, and it may ask for no more values than the file
    holds, so a hostile file cannot make ``load`` allocate much beyond its own size.
    """
    file = os.fspath(path)
    name = file_label(file)
    built: list[Module] = []

    def check(entries: list[TensorEntry], meta: dict[str, str]) -> None:
        if ARCHITECTURE_KEY not in meta:
            raise ModelFileError(
                f"{name}: not a neuralab model file: it is a valid safetensors file "
                f"({len(entries)} tensors) but has no {ARCHITECTURE_KEY!r} metadata. Read its "
                f"tensors with neuralab.io.load_tensors(), or build the model yourself and call "
                f"model.load_state_dict()")
        version = meta.get(FORMAT_KEY)
        if version != FORMAT_VERSION:
            raise ModelFileError(
                f"{name}: model file format version {show(version)} is not one this neuralab "
                f"reads ({FORMAT_VERSION!r}); it was written by neuralab "
                f"{show(meta.get(VERSION_KEY, '(unknown version)'))}")
        try:
            architecture = parse_json(meta[ARCHITECTURE_KEY])
        except ValueError as error:
            raise ModelFileError(f"{name}: the {ARCHITECTURE_KEY!r} metadata is not valid JSON "
                                 f"({error})") from None
        try:
            model = _build(architecture, file, sum(math.prod(e.shape) for e in entries))
        except RecursionError:  # only if load itself was called very deep in the stack
            raise ModelFileError(f"{name}: the architecture is nested too deeply") from None
        found = {e.name: (e.shape, e.dtype.name) for e in entries}
        problems = _mismatch(found, _signature(model.state_dict()), "the file",
                             "the architecture")
        if problems:
            raise ModelFileError(f"{name}: the tensors do not match the architecture: "
                                 + "; ".join(problems))
        built.append(model)

    tensors, _ = read_tensors(file, check)
    model = built[0]
    model.load_state_dict(tensors)
    return model.eval()


def read_metadata(path: PathLike) -> dict[str, str]:
    """The metadata strings given to ``save(..., metadata=...)``; reads only the header."""
    meta = read_tensor_metadata(path)
    return {key: value for key, value in meta.items() if not key.startswith(RESERVED_PREFIX)}


# ------------------------------------------------------------------------------------ built-ins
# Each from_config checks every setting's type and range, as the PyTorch constructor (or, for
# what PyTorch finds only at forward time, its forward) would, and reserves the values it will
# allocate; the messages name the layer.
def _linear_from_config(cfg: ModuleConfig) -> Linear:
    in_features = cfg.get_int("in_features", minimum=1)
    out_features = cfg.get_int("out_features", minimum=1)
    bias, dtype = cfg.get_bool("bias"), cfg.get_dtype("dtype")
    cfg.reserve(in_features * out_features + (out_features if bias else 0))
    return Linear(in_features, out_features, bias=bias, dtype=dtype)


def _dim(cfg: ModuleConfig, key: str) -> int:
    # NumPy arrays have at most MAX_DIMS axes: a larger dim (or a smaller negative one) is
    # never valid
    return cfg.get_int(key, minimum=-MAX_DIMS, maximum=MAX_DIMS - 1)


def _optional_dim(cfg: ModuleConfig, key: str) -> int | None:
    """A dim as ``_dim``, or null: Softmax's ``dim=None`` (PyTorch's implicit choice)."""
    return cfg._get(key, _MISSING, f"{_int_range(-MAX_DIMS, MAX_DIMS - 1)}, or null",
                    lambda v: v is None or type(v) is int and -MAX_DIMS <= v < MAX_DIMS)


def _inplace(m: Any) -> dict[str, Any]:
    # Written only when set, so files of modules without it read as before.
    return {"inplace": True} if m.inplace else {}


def _get_inplace(cfg: ModuleConfig) -> bool:
    return cfg.get_bool("inplace", False)


register_module(Linear, lambda m: {
    "in_features": int(m.in_features), "out_features": int(m.out_features),
    "bias": m.bias is not None, "dtype": m.weight.dtype.name,
}, _linear_from_config)
register_module(Sequential, None, lambda cfg: Sequential(OrderedDict(cfg.children())))
register_module(Flatten, lambda m: {"start_dim": int(m.start_dim), "end_dim": int(m.end_dim)},
                lambda cfg: Flatten(_dim(cfg, "start_dim"), _dim(cfg, "end_dim")))
register_module(Dropout, lambda m: {"p": float(m.p), **_inplace(m)},
                lambda cfg: Dropout(cfg.get_float("p", minimum=0.0, maximum=1.0),
                                    inplace=_get_inplace(cfg)))
register_module(Identity)
register_module(Step)
register_module(Sigmoid)
register_module(Tanh)
register_module(ReLU, _inplace, lambda cfg: ReLU(inplace=_get_inplace(cfg)))
register_module(LeakyReLU, lambda m: {"negative_slope": float(m.negative_slope), **_inplace(m)},
                lambda cfg: LeakyReLU(cfg.get_float("negative_slope"),
                                      inplace=_get_inplace(cfg)))
register_module(Softmax, lambda m: {"dim": None if m.dim is None else int(m.dim)},
                lambda cfg: Softmax(_optional_dim(cfg, "dim")))
register_module(LogSoftmax, lambda m: {"dim": None if m.dim is None else int(m.dim)},
                lambda cfg: LogSoftmax(_optional_dim(cfg, "dim")))


# ------------------------------------------------------------------------------ CNN built-ins
def _spatial(cfg: ModuleConfig, key: str, minimum: int) -> tuple[int, int]:
    return cfg.get_pair(key, minimum=minimum, maximum=MAX_SPATIAL)


# Conv2d registers with the other convolutions, in io/modules_conv.py.


def _pool_config(m: Any) -> dict[str, Any]:
    config = {"kernel_size": list(m.kernel_size), "stride": list(m.stride),
              "padding": list(m.padding), "ceil_mode": m.ceil_mode}
    if isinstance(m, MaxPool2d):
        config.update(dilation=list(m.dilation), return_indices=m.return_indices)
    else:
        config.update(count_include_pad=m.count_include_pad,
                      divisor_override=m.divisor_override)
    return config


def _pool_settings(cfg: ModuleConfig) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """kernel, stride and padding; the settings added later (ceil_mode, dilation, ...) are read
    by the registrations below with their defaults, so older files still load."""
    kernel, stride = _spatial(cfg, "kernel_size", 1), _spatial(cfg, "stride", 1)
    padding = _spatial(cfg, "padding", 0)
    if any(p > k // 2 for p, k in zip(padding, kernel)):  # torch refuses it at forward time
        raise cfg.error(f"padding {list(padding)} must be at most half the kernel size "
                        f"{list(kernel)}")
    return kernel, stride, padding


register_module(MaxPool2d, _pool_config, lambda cfg: MaxPool2d(
    *_pool_settings(cfg), dilation=cfg.get_pair("dilation", [1, 1], minimum=1,
                                                maximum=MAX_SPATIAL),
    return_indices=cfg.get_bool("return_indices", False),
    ceil_mode=cfg.get_bool("ceil_mode", False)))
register_module(AvgPool2d, _pool_config, lambda cfg: AvgPool2d(
    *_pool_settings(cfg), ceil_mode=cfg.get_bool("ceil_mode", False),
    count_include_pad=cfg.get_bool("count_include_pad"),
    divisor_override=cfg._get("divisor_override", None, "a nonzero integer or null",
                              lambda v: v is None or type(v) is int and v != 0
                              and abs(v) <= _INT64[1])))
register_module(AdaptiveAvgPool2d, lambda m: {"output_size": list(m.output_size)},
                lambda cfg: AdaptiveAvgPool2d(tuple(cfg._get(
                    "output_size", _MISSING,
                    f"a pair of integers from 1 to {MAX_SPATIAL} (or null)",
                    lambda v: isinstance(v, list) and len(v) == 2
                    and all(i is None or type(i) is int and 1 <= i <= MAX_SPATIAL for i in v)))))


def _batchnorm_config(m: Any) -> dict[str, Any]:
    stored = [t for t in (m.weight, m.running_mean) if t is not None]
    # bias=False (torch 2.13) only matters with affine; written only then, so older files load
    no_bias = {"bias": False} if m.affine and m.bias is None else {}
    return {"num_features": int(m.num_features), "eps": float(m.eps),
            "momentum": None if m.momentum is None else float(m.momentum),
            "affine": m.affine, "track_running_stats": m.track_running_stats, **no_bias,
            "dtype": (stored[0].dtype if stored else get_default_dtype()).name}


def _batchnorm_from_config(cls: type) -> Callable[[ModuleConfig], Module]:
    def build(cfg: ModuleConfig) -> Module:
        num_features = cfg.get_int("num_features", minimum=1)
        eps = cfg.get_float("eps", minimum=0.0)
        momentum = cfg._get("momentum", _MISSING, "a finite number from 0 to 1, or null",
                            lambda v: v is None or type(v) in (int, float) and 0 <= v <= 1)
        affine, tracked = cfg.get_bool("affine"), cfg.get_bool("track_running_stats")
        bias, dtype = cfg.get_bool("bias", True), cfg.get_dtype("dtype")
        cfg.reserve(num_features * (affine * (1 + bias) + 2 * tracked) + tracked)
        return cls(num_features, eps=eps, momentum=None if momentum is None else float(momentum),
                   affine=affine, track_running_stats=tracked, dtype=dtype, bias=bias)
    return build


register_module(BatchNorm1d, _batchnorm_config, _batchnorm_from_config(BatchNorm1d))
register_module(BatchNorm2d, _batchnorm_config, _batchnorm_from_config(BatchNorm2d))


def _register_area_modules() -> None:
    """Import every ``io/modules_<area>.py``: each registers the layers of its area (with
    ``register_module``) so that model files can hold them."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules([os.path.dirname(__file__)]):
        if info.name.startswith("modules_"):
            importlib.import_module(f"{__package__}.{info.name}")


_register_area_modules()
