"""Common mistakes raise what PyTorch raises: each call runs on torch and on neuralab with the
same arguments; every exception type torch raises (RuntimeError, IndexError, ValueError,
TypeError, NotImplementedError) must also catch neuralab's error, so ``except`` clauses written
for PyTorch keep working, and neuralab's message must name what was expected and what came.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import neuralab as nl

# torch warns before it raises for mse_loss of mismatched shapes
pytestmark = pytest.mark.filterwarnings("ignore:Using a target size:UserWarning")


class Lib:
    """torch or neuralab behind one interface: ``lib.t(values, dtype)``, ``lib.F``, ``lib.nn``."""

    def __init__(self, module: Any) -> None:
        self.module = module
        self.F = module.nn.functional
        self.nn = module.nn

    def t(self, values: Any, dtype: str | None = None) -> Any:
        array = np.asarray(values, dtype=dtype)
        if self.module is torch:
            return torch.from_numpy(array.copy())
        return nl.tensor(array)

    def ones(self, *shape: int, dtype: str = "float32") -> Any:
        return self.t(np.ones(shape), dtype)


TORCH, NL = Lib(torch), Lib(nl)

# (name, the mistake as a function of a Lib, patterns neuralab's message must contain: what was
# expected and what came)
MISTAKES: list[tuple[str, Callable[[Lib], Any], list[str]]] = [
    ("matmul_shapes", lambda L: L.ones(2, 3) @ L.ones(2, 2), [r"\(2, 3\)", r"\(2, 2\)"]),
    ("matmul_dtypes", lambda L: L.ones(2, 3) @ L.ones(3, 2, dtype="float64"),
     ["same dtype", "Float", "Double"]),
    ("linear_in_features", lambda L: L.nn.Linear(3, 4)(L.ones(2, 5)),
     [r"\(2, 5\)", r"\b3\b"]),
    ("linear_float64_input", lambda L: L.nn.Linear(3, 4)(L.ones(2, 3, dtype="float64")),
     ["mat1 and mat2 must have the same dtype", "float64", "float32"]),
    ("linear_bias_dtype",
     lambda L: L.F.linear(L.ones(2, 3), L.ones(4, 3), L.ones(4, dtype="float64")),
     ["bias", "float64", "float32"]),
    ("conv_channels", lambda L: L.nn.Conv2d(3, 8, 3)(L.ones(1, 1, 8, 8)),
     [r"\(1, 1, 8, 8\)", r"\b3\b"]),
    ("conv_small_input", lambda L: L.F.conv2d(L.ones(1, 1, 2, 2), L.ones(1, 1, 3, 3)),
     [r"\(1, 1, 2, 2\)", "smaller than the kernel"]),
    ("conv_2d_input", lambda L: L.F.conv2d(L.ones(5, 5), L.ones(1, 1, 3, 3)),
     ["3-D", "4-D", r"\(5, 5\)"]),
    ("conv_float64_input", lambda L: L.nn.Conv2d(1, 2, 3)(L.ones(1, 1, 5, 5, dtype="float64")),
     ["float64", "float32", "should be the same"]),
    ("conv_stride_zero", lambda L: L.F.conv2d(L.ones(1, 1, 5, 5), L.ones(1, 1, 3, 3), stride=0),
     ["stride", ">= 1", "0"]),
    ("pool_small_input", lambda L: L.F.max_pool2d(L.ones(1, 1, 1, 1), 2),
     [r"\(1, 1, 1, 1\)", "smaller than kernel_size"]),
    ("pool_padding", lambda L: L.F.max_pool2d(L.ones(1, 1, 5, 5), 2, padding=2),
     ["padding", "at most half", "kernel_size"]),
    ("pool_bool", lambda L: L.F.max_pool2d(L.t(np.ones((1, 1, 4, 4)), "bool"), 2),
     ["not implemented for 'Bool'", "bool"]),
    ("cross_entropy_batch", lambda L: L.F.cross_entropy(L.ones(3, 4), L.t([0, 1], "int64")),
     ["3 examples", r"\(2,\)"]),
    ("cross_entropy_class_range",
     lambda L: L.F.cross_entropy(L.ones(3, 4), L.t([0, 5, 1], "int64")),
     ["target 5", r"\[0, 4\)"]),
    ("cross_entropy_float_indices",
     lambda L: L.F.cross_entropy(L.ones(3, 4), L.t([0, 1, 2], "float32")),
     ["integers", "float32"]),
    ("cross_entropy_int32_target",
     lambda L: L.F.cross_entropy(L.ones(3, 4), L.t([0, 1, 2], "int32")),
     ["Long or Byte", "Int"]),
    ("cross_entropy_weight_size",
     lambda L: L.F.cross_entropy(L.ones(3, 4), L.t([0, 1, 2], "int64"), weight=L.ones(3)),
     [r"\(4,\)", r"\(3,\)"]),
    ("cross_entropy_weight_dtype",
     lambda L: L.F.cross_entropy(L.ones(3, 4), L.t([0, 1, 2], "int64"),
                                 weight=L.ones(4, dtype="float64")),
     ["expected scalar type Float but found Double"]),
    ("cross_entropy_int_logits",
     lambda L: L.F.cross_entropy(L.t(np.ones((3, 4)), "int64"), L.t([0, 1, 2], "int64")),
     ["not implemented for 'Long'", "int64"]),
    ("cross_entropy_label_smoothing",
     lambda L: L.F.cross_entropy(L.ones(3, 4), L.t([0, 1, 2], "int64"), label_smoothing=1.5),
     ["label_smoothing", r"\[0, 1\]", "1.5"]),
    ("loss_reduction", lambda L: L.F.mse_loss(L.ones(3), L.ones(3), reduction="avg"),
     ["reduction", "'avg'"]),
    ("mse_shapes", lambda L: L.F.mse_loss(L.ones(3, 2), L.ones(2, 3)),
     [r"\(3, 2\)", r"\(2, 3\)"]),
    ("mse_integers", lambda L: L.F.mse_loss(L.t([1, 2], "int64"), L.t([1, 3], "int64")),
     ["not implemented for 'Long'"]),
    ("bce_shapes", lambda L: L.F.binary_cross_entropy(L.t([0.5, 0.5, 0.5]), L.ones(3, 1)),
     [r"\(3,\)", r"\(3, 1\)"]),
    ("bce_range", lambda L: L.F.binary_cross_entropy(L.t([0.5, 1.5], "float32"), L.ones(2)),
     ["between 0 and 1"]),
    ("bce_dtype", lambda L: L.F.binary_cross_entropy(L.t([0.5, 0.5], "float32"),
                                                     L.t([1.0, 0.0], "float64")),
     ["Found dtype Double but expected Float"]),
    ("bce_logits_int_target",
     lambda L: L.F.binary_cross_entropy_with_logits(L.ones(2), L.t([1, 0], "int64")),
     ["Float", "Long", "floating"]),
    ("batch_norm_channels", lambda L: L.nn.BatchNorm2d(3)(L.ones(2, 4, 2, 2)),
     [r"\(2, 4, 2, 2\)", r"\b3\b"]),
    ("batch_norm_one_value", lambda L: L.nn.BatchNorm1d(3)(L.ones(1, 3)),
     ["more than 1 value per channel", r"\(1, 3\)"]),
    ("batch_norm_float64_input", lambda L: L.nn.BatchNorm2d(3)(L.ones(2, 3, 2, 2, dtype="float64")),
     ["float64", "float32"]),
    ("softmax_dim", lambda L: L.F.softmax(L.ones(2, 3), dim=2), ["2"]),
    ("relu_bool", lambda L: L.F.relu(L.t([True, False], "bool")), ["Boolean"]),
    ("reshape", lambda L: L.ones(6).reshape(4, 2), [r"\(4, 2\)", "6"]),
    ("view", lambda L: L.ones(6).view(4, -1), [r"\(4, -1\)", "6"]),
    ("item", lambda L: L.ones(3).item(), ["3 elements"]),
    ("index", lambda L: L.ones(2, 3)[5], ["5", "2"]),
    ("cat", lambda L: L.module.cat([L.ones(2, 3), L.ones(2, 2)]), [r"\(2, 3\)", r"\(2, 2\)"]),
    ("requires_grad_int", lambda L: L.t([1, 2], "int64").requires_grad_(), ["floating", "int64"]),
]

# Mistakes where neuralab still differs, in code outside this task's files: strict xfails, so a
# fix shows up as an XPASS (then move the case into MISTAKES).
KNOWN_GAPS: list[tuple[str, Callable[[Lib], Any], list[str], str]] = [
    ("broadcast", lambda L: L.ones(2, 3) + L.ones(3, 2), [r"\(2, ?3\)", r"\(3, ?2\)"],
     "ops/arithmetic.py (or Function.apply): NumPy's broadcast ValueError escapes; torch raises "
     "RuntimeError 'The size of tensor a (3) must match the size of tensor b (2)'"),
    ("permute", lambda L: L.ones(2, 3).permute(0), ["0", "2"],
     "ops/shape.py permute: ValueError; torch raises RuntimeError"),
    ("transpose_dim", lambda L: L.ones(2, 3).transpose(0, 2), ["2", r"\[-2, 1\]"],
     "ops/shape.py transpose: IndexError 'list index out of range' names neither the dim nor "
     "the valid range"),
]


def _raise(mistake: Callable[[Lib], Any], lib: Lib) -> BaseException:
    try:
        result = mistake(lib)
    except Exception as error:  # noqa: BLE001 - the error is what is checked
        return error
    raise AssertionError(f"{lib.module.__name__} raised nothing; it gave {result!r}")


def _check(mistake: Callable[[Lib], Any], patterns: list[str]) -> None:
    expected = _raise(mistake, TORCH)
    actual = _raise(mistake, NL)
    caught_by = [cls for cls in type(expected).__mro__
                 if cls in (RuntimeError, IndexError, ValueError, TypeError,
                            NotImplementedError)]
    assert caught_by, f"torch raised {type(expected).__name__}, not a type this test knows"
    for cls in caught_by:
        assert isinstance(actual, cls), (
            f"torch raises {type(expected).__name__} ({expected}); `except {cls.__name__}` "
            f"does not catch neuralab's {type(actual).__name__}: {actual}")
    message = str(actual)
    missing = [p for p in patterns if not re.search(p, message)]
    assert not missing, f"neuralab's message {message!r} lacks {missing}"


@pytest.mark.parametrize(("mistake", "patterns"), [pytest.param(m, p, id=name)
                                                   for name, m, p in MISTAKES])
def test_a_mistake_raises_what_torch_raises(mistake: Callable[[Lib], Any],
                                            patterns: list[str]) -> None:
    _check(mistake, patterns)


@pytest.mark.parametrize(("mistake", "patterns"), [
    pytest.param(m, p, id=name, marks=pytest.mark.xfail(strict=True, reason=reason))
    for name, m, p, reason in KNOWN_GAPS])
def test_known_gaps(mistake: Callable[[Lib], Any], patterns: list[str]) -> None:
    _check(mistake, patterns)


def test_shape_and_dtype_errors_keep_their_python_types() -> None:
    """ShapeError is a ValueError, DTypeError a TypeError: older ``except`` clauses still
    work; UnsupportedDTypeError is PyTorch's NotImplementedError."""
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(2, 2\)"):
        nl.ones(2, 3) @ nl.ones(2, 2)
    with pytest.raises(TypeError, match="same dtype"):
        nl.ones(2, 3) @ nl.tensor(np.ones((3, 2)))
    with pytest.raises(NotImplementedError):
        nl.nn.functional.softmax(nl.tensor([1, 2]), dim=0)
    assert issubclass(nl.errors.UnsupportedDTypeError, (TypeError, RuntimeError))
