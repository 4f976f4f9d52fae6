"""ONNX export: ``neuralab.onnx.export(model, example_input, path, opset=17)``.

The model (a layer, or a ``Sequential`` tree of layers) is traced once on ``example_input`` in
evaluation mode, layer by layer; each layer becomes the ONNX nodes of its converter (see
``converters.CONVERTERS``, one small function per layer type). The graph has one input
``input`` and one output ``output``; axis 0 is the batch, dynamic (``dim_param`` "N"), every
other size is the example's. Weights are float32 initialisers named like the state dict.
Everything is built and checked (``onnx.checker.check_model(full_check=True)``) before one
atomic write, so a failure leaves no file. Needs the ``onnx`` package (extra ``[onnx]``).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..nn.layers import Sequential
from ..nn.module import Module
from .converters import (
    CONVERTERS,
    INTEGER_LAYERS,
    UNSUPPORTED,
    Step,
    UnsupportedLayerError,
    refusal_before_tracing,
)

__all__ = ["CONVERTERS", "MAX_OPSET", "MIN_OPSET", "UNSUPPORTED", "UnsupportedLayerError",
           "export", "to_model_proto"]

# 17: LayerNormalization appears; up to 21 every operator used here is tested (ReduceMax's
# axes and Split / Resize / Pad changed at 18-19, handled in _graph.GraphBuilder).
MIN_OPSET, MAX_OPSET = 17, 21
# A protobuf message cannot exceed 2 GiB; larger weights would need ONNX's external data.
MAX_WEIGHT_BYTES = 2**31 - 2**24
MAX_EXAMPLE_ELEMENTS = 2**28
_INPUT_DTYPES = (np.float32, np.int64, np.int32)


def _import_onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError('ONNX export needs the onnx package: pip install "neuralab[onnx]"') \
            from None
    return onnx


def _check_opset(opset: Any) -> int:
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)) \
            or not MIN_OPSET <= opset <= MAX_OPSET:
        raise ValueError(f"opset: expected an integer from {MIN_OPSET} to {MAX_OPSET}, got "
                         f"{opset!r}")
    return int(opset)


def _check_example(example_input: Any) -> np.ndarray:
    from ..tensor import Tensor

    if isinstance(example_input, Tensor):
        array = example_input.detach().numpy()
    elif isinstance(example_input, np.ndarray):
        array = example_input
    else:
        raise ValueError(f"example_input: expected a neuralab Tensor or a NumPy array, got "
                         f"{type(example_input).__name__}")
    if array.ndim < 1 or array.size == 0 or array.size > MAX_EXAMPLE_ELEMENTS:
        raise ValueError(f"example_input: expected a batch (N, ...) with N >= 1, no empty axis "
                         f"and at most {MAX_EXAMPLE_ELEMENTS:,} elements, got shape "
                         f"{tuple(array.shape)}")
    if array.dtype not in _INPUT_DTYPES:
        raise ValueError(f"example_input: expected float32 (or int64/int32 indices for an "
                         f"Embedding), got {array.dtype}")
    return array


def _check_path(path: Any) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"path: expected a file path, got {type(path).__name__}")
    path = os.fspath(path)
    if path.endswith(tuple(sep for sep in (os.sep, os.altsep) if sep)):
        raise ValueError(f"path: expected a file path, got {path!r} (ends with a path "
                         f"separator: a folder name, not a file)")
    if not path or os.path.isdir(path):
        raise ValueError(f"path: expected a file path, got {path!r}" +
                         (" (a directory)" if path else ""))
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise ValueError(f"path: the folder {parent!r} does not exist")
    return path


def _check_model(model: Any) -> None:
    if not isinstance(model, Module):
        raise ValueError(f"model: expected a neuralab Module, got {type(model).__name__}")
    total = 0
    for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
        if tensor is None or name.endswith("num_batches_tracked"):
            continue
        if tensor.dtype != np.float32:
            raise ValueError(f"model: ONNX export writes float32 graphs but {name!r} is "
                             f"{tensor.dtype}; convert the model with model.float() first")
        total += tensor.detach().numpy().nbytes
    if total > MAX_WEIGHT_BYTES:
        raise ValueError(f"model: {total:,} bytes of weights; one ONNX file holds at most "
                         f"{MAX_WEIGHT_BYTES:,} (2 GiB protobuf limit)")


class _Tracer:
    """Walks the module tree, runs each layer on the example (two batch sizes, to check that
    axis 0 stays the batch) and emits its nodes."""

    def __init__(self, graph: Any) -> None:
        self.graph = graph

    def walk(self, module: Module, path: str, name: str, values: tuple[Any, Any]) -> tuple:
        if type(module) is Sequential:
            for child_name, child in module._modules.items():
                if child is None:
                    continue
                child_path = f"{path}.{child_name}" if path else child_name
                name, values = self.walk(child, child_path, name, values)
            return name, values
        return self.leaf(module, path, name, values)

    def leaf(self, module: Module, path: str, name: str, values: tuple[Any, Any]) -> tuple:
        from ..autograd.grad_mode import no_grad
        from ..tensor import Tensor

        cls = type(module)
        where = f"{path or 'model'} ({cls.__name__})"
        if cls in UNSUPPORTED:
            raise UnsupportedLayerError(f"{where}: cannot be exported to ONNX: "
                                        f"{UNSUPPORTED[cls]}")
        if cls not in CONVERTERS:
            raise UnsupportedLayerError(
                f"{where}: cannot be exported to ONNX: not a layer type the exporter knows "
                f"(neuralab.onnx.CONVERTERS lists them; containers other than Sequential "
                f"have their own forward, which is not traced)")
        refusal = refusal_before_tracing(module)
        if refusal:  # a setting refused by its converter that would fail the trace first
            raise UnsupportedLayerError(f"{where}: cannot be exported to ONNX: {refusal}")
        dtype = np.dtype(values[0].dtype)
        if dtype.kind != "f" and cls not in INTEGER_LAYERS:
            raise ValueError(f"example_input: {dtype} values reach {where}, which computes "
                             f"in float; integer inputs are indices for an Embedding (after "
                             f"shape-only layers), pass float32 otherwise")
        try:
            with no_grad():
                outputs = tuple(module(v) for v in values)
        except Exception as error:  # noqa: BLE001 - any layer's refusal of the example
            raise ValueError(f"{where}: the example input does not fit this layer: "
                             f"{' '.join(str(error).split())}") from None
        if not all(isinstance(v, Tensor) for v in outputs):
            raise UnsupportedLayerError(
                f"{where}: cannot be exported to ONNX: it returns a "
                f"{type(outputs[0]).__name__}, not one tensor"
                + (" (return_indices=True)" if getattr(module, "return_indices", False) else ""))
        shapes = [tuple(v.shape) for v in outputs]
        ins = [tuple(v.shape) for v in values]
        if shapes[0][1:] != shapes[1][1:] or shapes[0][:1] != ins[0][:1] \
                or shapes[1][:1] != ins[1][:1]:
            raise UnsupportedLayerError(
                f"{where}: cannot be exported to ONNX with a dynamic batch: it maps inputs "
                f"{ins[0]} and {ins[1]} to {shapes[0]} and {shapes[1]} (axis 0 must stay the "
                f"batch)")
        step = Step(path, ins[0], shapes[0])
        name = CONVERTERS[cls](self.graph, module, name, step)
        return name, outputs


def to_model_proto(model: Module, example_input: Any, opset: int = 17) -> Any:
    """The checked ``onnx.ModelProto`` of ``model`` (see ``export``); writes nothing."""
    onnx = _import_onnx()
    from onnx import helper

    from ..tensor import Tensor
    from ._graph import GraphBuilder

    opset = _check_opset(opset)
    array = _check_example(example_input)
    _check_model(model)
    # A second batch size: 1, or 2 if the example has one row (the batch axis must follow).
    other = array[:1] if len(array) > 1 else np.concatenate([array, array])
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        graph = GraphBuilder(opset)
        out_name, outputs = _Tracer(graph).walk(model, "", "input",
                                                (Tensor(array), Tensor(other)))
    finally:
        for module, mode in modes:
            object.__setattr__(module, "training", mode)
    # The graph's output is named "output" (an Identity: also right for an empty Sequential).
    graph.nodes.append(helper.make_node("Identity", [out_name], ["output"],
                                        name=graph.unique("output/Identity")))
    out = outputs[0].detach().numpy()
    elem = helper.np_dtype_to_tensor_dtype
    proto = helper.make_model(
        helper.make_graph(
            graph.nodes, "neuralab",
            [helper.make_tensor_value_info("input", elem(array.dtype), ["N", *array.shape[1:]])],
            [helper.make_tensor_value_info("output", elem(out.dtype), ["N", *out.shape[1:]])],
            graph.initializers),
        opset_imports=[helper.make_opsetid("", opset)], producer_name="neuralab")
    try:
        onnx.checker.check_model(proto, full_check=True)
    except Exception as error:  # noqa: BLE001 - a converter bug; say which model failed
        raise ValueError(f"the exported graph fails onnx.checker: "
                         f"{' '.join(str(error).split())[:500]}") from None
    return proto


def export(model: Module, example_input: Any, path: str | os.PathLike, opset: int = 17) -> None:
    """Write ``model`` (evaluation mode) as an ONNX file at ``path``.

    ``example_input`` (a Tensor or array of shape (N, ...), float32, or int64/int32 indices
    for an Embedding, reached through shape-only layers at most) fixes every size but the
    batch axis, which is dynamic; the output's element type is the traced output's.
    ``opset`` from ``MIN_OPSET`` (17) to ``MAX_OPSET`` (21). A layer that cannot be exported raises
    ``UnsupportedLayerError`` naming its path and type; on any error nothing is written.
    The model's training/eval modes are restored afterwards.
    """
    from ..io.files import atomic_write_bytes

    path = _check_path(path)
    proto = to_model_proto(model, example_input, opset)
    try:
        atomic_write_bytes(path, proto.SerializeToString())
    except OSError as error:  # name the file: the bare errno message does not
        raise OSError(error.errno, f"cannot write the ONNX file {path!r}: "
                      f"{error.strerror or error}") from None
