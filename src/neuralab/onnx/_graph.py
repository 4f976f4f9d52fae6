"""A small builder over ``onnx.helper``: unique names, initialisers, nodes, and the few
operators whose signature changed between the opsets the exporter supports."""

from __future__ import annotations

from typing import Any

import numpy as np


class GraphBuilder:
    """Collects the nodes and initialisers of one graph for opset ``opset``."""

    def __init__(self, opset: int) -> None:
        from onnx import helper, numpy_helper  # only here: neuralab.onnx imports without onnx

        self._helper, self._numpy_helper = helper, numpy_helper
        self.opset = opset
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._taken: set[str] = set()

    def unique(self, hint: str) -> str:
        """``hint``, or ``hint_2``, ``hint_3``, ... if taken (ONNX names must be unique)."""
        name, k = hint, 1
        while name in self._taken:
            k += 1
            name = f"{hint}_{k}"
        self._taken.add(name)
        return name

    def const(self, hint: str, value: Any, dtype: Any = None) -> str:
        """An initialiser holding ``value`` (a copy, C-contiguous); returns its name."""
        array = np.ascontiguousarray(np.asarray(value, dtype=dtype))
        name = self.unique(hint)
        self.initializers.append(self._numpy_helper.from_array(array, name))
        return name

    def ints(self, hint: str, values: Any) -> str:
        """An int64 1-D initialiser (shapes, pads, axes, slice bounds)."""
        return self.const(hint, np.asarray(values, dtype=np.int64).reshape(-1))

    def node(self, op: str, inputs: list[str], hint: str, outputs: int = 1,
             **attrs: Any) -> Any:
        """Append one node; returns its output name (or a list of ``outputs`` names)."""
        names = [self.unique(f"{hint}/{op}" + (f":{i}" if outputs > 1 else ""))
                 for i in range(outputs)]
        node_name = self.unique(f"{hint}/{op}#")
        self.nodes.append(self._helper.make_node(op, inputs, names, name=node_name, **attrs))
        return names if outputs > 1 else names[0]

    def reduce(self, op: str, x: str, axes: list[int], hint: str, keepdims: int = 1) -> str:
        """ReduceMax/ReduceMean over ``axes``: an attribute before opset 18, an input since."""
        if self.opset >= 18:
            return self.node(op, [x, self.ints(f"{hint}/axes", axes)], hint, keepdims=keepdims)
        return self.node(op, [x], hint, axes=list(axes), keepdims=keepdims)

    def slice(self, x: str, axis: int, start: int, end: int, hint: str) -> str:
        """x[start:end] along ``axis`` (Slice's bounds are inputs in every supported opset)."""
        return self.node("Slice", [x, self.ints(f"{hint}/starts", [start]),
                                   self.ints(f"{hint}/ends", [end]),
                                   self.ints(f"{hint}/axes", [axis])], hint)
