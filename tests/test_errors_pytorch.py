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
    ("broadcast", lambda L: L.ones(2, 3) + L.ones(3, 2), [r"\(2, ?3\)", r"\(3, ?2\)"]),
    # dims and shapes: out of range is IndexError with the valid range, the rest RuntimeError
    ("permute", lambda L: L.ones(2, 3).permute(0), ["input.dim\\(\\) = 2", "len\\(dims\\) = 1"]),
    ("permute_duplicate", lambda L: L.ones(2, 3).permute(1, -1), ["duplicate dims"]),
    ("permute_dim", lambda L: L.ones(2, 3).permute(0, 2), ["got 2", r"\[-2, 1\]"]),
    ("transpose_dim", lambda L: L.ones(2, 3).transpose(0, 2), ["got 2", r"\[-2, 1\]"]),
    ("transpose_0d", lambda L: L.module.tensor(1.0).transpose(0, 1), ["got 1", r"\[-1, 0\]"]),
    ("squeeze_dim", lambda L: L.ones(2, 3).squeeze(-3), ["got -3", r"\[-2, 1\]"]),
    ("squeeze_repeated", lambda L: L.ones(1, 2, 1).squeeze((0, -3)),
     ["dim 0 appears multiple times"]),
    ("unsqueeze_dim", lambda L: L.ones(2, 3).unsqueeze(3), ["got 3", r"\[-3, 2\]"]),
    ("flatten_dim", lambda L: L.ones(2, 3).flatten(0, 2), ["got 2", r"\[-2, 1\]"]),
    ("flatten_order", lambda L: L.ones(2, 3).flatten(1, 0), ["start_dim cannot come after"]),
    ("view_two_inferred", lambda L: L.ones(6).view(-1, -1), ["only one dimension"]),
    ("view_negative", lambda L: L.ones(6).reshape(-2, 3), ["invalid shape dimension -2"]),
    ("view_float_size", lambda L: L.ones(6).view(2, 3.0), ["float"]),
    ("view_as_list", lambda L: L.ones(6).view_as([3, 2]), ["Tensor", "list"]),
    ("expand_size", lambda L: L.ones(2, 3).expand(3, 3), [r"\(3\)", r"\(2\)", "dimension 0"]),
    ("expand_fewer", lambda L: L.ones(2, 1).expand(4), [r"\(1\)", r"\(2\)"]),
    ("expand_leading_minus_one", lambda L: L.ones(2, 1).expand(-1, 2, 4),
     ["leading, non-existing dimension 0"]),
    ("expand_write", lambda L: L.ones(1).expand(3).add_(1), ["clone"]),
    ("flip_repeated", lambda L: L.ones(2, 3).flip(0, 0), ["appears multiple times"]),
    ("flip_dim", lambda L: L.ones(2, 3).flip(2), ["got 2"]),
    ("gather_index_dtype", lambda L: L.ones(3).gather(0, L.t([1], "int16")), ["int32/int64"]),
    ("gather_bounds", lambda L: L.ones(3).gather(0, L.t([3], "int64")),
     ["index 3 is out of bounds", "size 3"]),
    ("gather_negative", lambda L: L.ones(3).gather(0, L.t([-1], "int64")),
     ["index -1 is out of bounds"]),
    ("gather_ndim", lambda L: L.ones(3, 2).gather(0, L.t([1], "int64")),
     ["same number of dimensions"]),
    ("gather_size", lambda L: L.ones(3, 2).gather(0, L.t([[1, 1, 1]], "int64")),
     [r"\[1, 3\]", r"\[3, 2\]"]),
    ("gather_list_index", lambda L: L.ones(3).gather(0, [1]), ["Tensor", "list"]),
    ("scatter_src_dtype",
     lambda L: L.ones(3).scatter(0, L.t([1], "int64"), L.ones(1, dtype="float64")),
     ["self.dtype to be equal to src.dtype"]),
    ("scatter_bounds", lambda L: L.ones(3).scatter(0, L.t([5], "int64"), 1.0),
     ["index 5 is out of bounds"]),
    ("scatter_src_size", lambda L: L.ones(2, 2).scatter(0, L.t([[1, 1]], "int64"), L.ones(1, 1)),
     [r"\[1, 2\]", r"\[1, 1\]"]),
    ("scatter_dim", lambda L: L.ones(3).scatter(1, L.t([1], "int64"), 1.0), ["got 1"]),
    ("scatter_add_number", lambda L: L.ones(3).scatter_add(0, L.t([1], "int64"), 1.0),
     ["Tensor", "float"]),
    ("maximum_number", lambda L: L.module.maximum(L.ones(3), 2), ["Tensor", "int"]),
    ("sort_dim", lambda L: L.ones(2, 3).sort(dim=2), ["got 2"]),
    ("topk_k", lambda L: L.ones(2, 3).topk(4), ["k out of range"]),
    ("topk_bool", lambda L: L.t([True, False]).topk(1), ["bool"]),
    ("var_int", lambda L: L.t([1, 2], "int64").var(), ["floating point"]),
    ("std_dim", lambda L: L.ones(2, 3).std(dim=5), ["got 5"]),
    ("var_unbiased_and_correction", lambda L: L.ones(2, 3).var(1, unbiased=True, correction=1),
     ["unbiased", "correction"]),
    ("remainder_number_derivative",
     lambda L: (7 % L.module.tensor([2.0, 2.5], requires_grad=True)).sum().backward(),
     ["derivative for aten::remainder is not implemented"]),
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


@pytest.mark.parametrize("op", ["floor_divide", "remainder"])
def test_integer_division_by_zero_is_torchs_runtime_error(op):
    for lib in (nl, torch):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            getattr(lib, op)(lib.tensor([1, 2]), 0)
    with pytest.raises(ZeroDivisionError):  # and Python's own type still catches it
        getattr(nl, op)(nl.tensor([1, 2]), 0)
