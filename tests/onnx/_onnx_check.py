"""Shared by the ONNX tests: export, check, run in onnxruntime, compare with neuralab.

Tolerance (float32): each output is a chain of sums of products computed in a different order
by onnxruntime (blocked GEMM, fused kernels) and by NumPy. A K-term float32 dot product
differs between two summation orders by at most about K·u·Σ|aᵢbᵢ| (u = 2⁻²⁴ ≈ 6e-8) and
typically by √K·u·Σ|aᵢbᵢ|; for the widest layers here (K ≈ 1,600) and activations of order 1
that is ≈ 2.4e-6 typical, so 1e-5 relative to the output's scale (max(1, max|y|)) holds with a
few layers of margin, while any wrong weight, axis or padding gives errors of order 1e-2..1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort

import neuralab as nl
import neuralab.onnx as nl_onnx

TOLERANCE = 1e-5


def reference(model: Any, x: np.ndarray) -> np.ndarray:
    was = model.training
    model.eval()
    with nl.no_grad():
        y = model(nl.tensor(x)).numpy()
    model.train(was)
    return y


def export_and_compare(model: Any, example: np.ndarray, path: Path, *, opset: int = 17,
                       batches: tuple[int, ...] = (1, 37), seed: int = 0,
                       inputs: Any = None) -> float:
    """Export, check (full_check), run on each batch size; assert the outputs match and return
    the largest relative difference."""
    nl_onnx.export(model, example, path, opset=opset)
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "N" and [d.dim_value for d in dims[1:]] == list(example.shape[1:])
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(seed)
    worst = 0.0
    for batch in batches:
        x = inputs(rng, batch) if inputs else \
            rng.standard_normal((batch, *example.shape[1:])).astype(np.float32)
        expected = reference(model, x)
        (got,) = session.run(None, {"input": x})
        assert got.shape == expected.shape, (got.shape, expected.shape)
        scale = max(1.0, float(np.abs(expected).max()))
        difference = float(np.abs(got.astype(np.float64) - expected).max()) / scale
        assert difference <= TOLERANCE, (batch, difference)
        worst = max(worst, difference)
    return worst
