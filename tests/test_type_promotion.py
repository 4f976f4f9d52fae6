"""PyTorch's type promotion, operand by operand: ``+ - * / **`` and the six comparisons on
every pair of tensors with dimensions, 0-d tensors and Python numbers, in both orders, must give
torch's dtype and values, and raise where torch raises; ``result_type``, ``promote_types`` and
``can_cast`` must agree with torch's over every pair of dtypes.

Each test walks all its pairs in a loop on 4-element tensors (one test per operator), so the
file runs in about a second, and reports every disagreement at once.
"""

from __future__ import annotations

import itertools
import operator
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import neuralab as nl

DTYPES = ("bool", "uint8", "int32", "int64", "float16", "float32", "float64")
ALL_DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32",
              "float64")

OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "**": operator.pow, "==": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}

# Left and right tensors hold different values, so that comparisons and subtraction are not
# trivial, uint8 subtraction wraps around (0 − 2 = 254) and division meets a zero.
LEFT = [0, 1, 3, 2]
RIGHT = [2, 1, 0, 3]


class Operand:
    """One operand, made fresh for each call (an op must not see another's leftovers)."""

    def __init__(self, label: str, torch_value: Callable[[], Any],
                 nl_value: Callable[[], Any], *, number: bool = False) -> None:
        self.label, self.torch_value, self.nl_value, self.number = (
            label, torch_value, nl_value, number)

    def __repr__(self) -> str:
        return self.label


def _array(dtype: str, values: list[int], dims: bool) -> np.ndarray:
    array = np.array(values).astype(dtype)
    # 0-d: the third value (3 on the left, 0 on the right), as an array, not a NumPy scalar
    return array if dims else np.asarray(array[2])


def _tensor_operands(values: list[int]) -> list[Operand]:
    out = []
    for dtype in DTYPES:
        for dims in (True, False):
            out.append(Operand(
                f"{dtype}[{'4' if dims else ''}]",
                lambda d=dtype, k=dims: torch.from_numpy(_array(d, values, k)),
                lambda d=dtype, k=dims: nl.tensor(_array(d, values, k))))
    return out


# Python numbers, and NumPy scalars, which PyTorch takes for Python numbers (np.bool_ for a
# float: torch reads it through __float__, so int_tensor + np.bool_(True) is float32).
NUMBERS = [True, False, 2, -1, 2.5, np.float64(-0.5), np.int64(3), np.float32(1.5),
           np.bool_(True)]
NUMBER_OPERANDS = [Operand(repr(v), lambda v=v: v, lambda v=v: v, number=True)
                   for v in NUMBERS]

PAIRS = [(a, b) for a, b in itertools.product(_tensor_operands(LEFT) + NUMBER_OPERANDS,
                                              _tensor_operands(RIGHT) + NUMBER_OPERANDS)
         if not (a.number and b.number)]


def _is_bool(operand: Operand) -> bool:
    """A bool tensor or a Python bool (not np.bool_, which torch takes for a float)."""
    if operand.number:
        return isinstance(operand.torch_value(), bool)
    return operand.label.startswith("bool")


def _is_negative_int(operand: Operand) -> bool:
    value = operand.torch_value() if operand.number else None
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value < 0


def _tolerance(dtype: np.dtype) -> tuple[float, float]:
    """(relative, absolute) bounds: both libraries round one operation to ``dtype`` (pow may
    differ by an ulp); integers and bools must be exact."""
    if dtype.kind != "f":
        return 0.0, 0.0
    info = np.finfo(dtype)
    return 2 * float(info.eps), float(info.tiny)


def _disagreement(op: str, a: Operand, b: Operand) -> str | None:
    """Why neuralab's ``a op b`` differs from torch's, or None when it agrees."""
    fn = OPS[op]
    try:
        expected = fn(a.torch_value(), b.torch_value())
        torch_error = None
    except Exception as error:  # noqa: BLE001 - any torch error is the reference
        torch_error = error
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # 1 / 0 = inf, as in torch
            actual = fn(a.nl_value(), b.nl_value())
        nl_error = None
    except Exception as error:  # noqa: BLE001
        nl_error = error
    where = f"{a} {op} {b}"
    if torch_error is not None:
        if nl_error is None:
            return (f"{where}: torch raises {type(torch_error).__name__} "
                    f"({str(torch_error)[:60]}), neuralab gives {actual!r}")
        if not isinstance(nl_error, type(torch_error)):
            return (f"{where}: torch raises {type(torch_error).__name__}, neuralab "
                    f"{type(nl_error).__name__} ({nl_error}), which `except "
                    f"{type(torch_error).__name__}` does not catch")
        return None
    if nl_error is not None:
        return f"{where}: neuralab raises {type(nl_error).__name__}: {nl_error}"
    if not isinstance(actual, nl.Tensor):
        return f"{where}: neuralab gives {type(actual).__name__}, not a Tensor"
    want_dtype = np.dtype(str(expected.dtype).removeprefix("torch."))
    if actual.dtype != want_dtype:
        return f"{where}: dtype {actual.dtype}, torch gives {want_dtype}"
    want, got = expected.numpy(), actual.numpy()
    if got.shape != want.shape:
        return f"{where}: shape {got.shape}, torch gives {want.shape}"
    rel, tiny = _tolerance(want_dtype)
    want64, got64 = want.astype(np.float64), got.astype(np.float64)
    with np.errstate(invalid="ignore"):  # inf − inf: equal infinities pass the first test
        same = (want64 == got64) | (np.abs(want64 - got64) <= rel * np.abs(want64) + tiny) | (
            np.isnan(want64) & np.isnan(got64))
    if not same.all():
        return f"{where}: values {got.tolist()}, torch gives {want.tolist()}"
    return None


@pytest.mark.parametrize("op", list(OPS))
def test_binary_op_matches_torch(op: str) -> None:
    """Every pair (tensor/0-d/number, both orders): torch's dtype, values and errors — bool
    subtraction and bool powers refused, uint8 with a negative number wrapping around."""
    problems = [p for a, b in PAIRS for p in [_disagreement(op, a, b)] if p is not None]
    assert not problems, f"{len(problems)} disagreements:\n" + "\n".join(problems)


def test_the_pairs_cover_torchs_special_cases() -> None:
    """The table holds the pairs where torch raises or wraps (so the test above checks them)."""
    assert any(_is_bool(a) and _is_bool(b) for a, b in PAIRS)
    assert any(a.label.startswith("uint8") and _is_negative_int(b) for a, b in PAIRS)
    assert any(_is_negative_int(a) and b.label.startswith("uint8") for a, b in PAIRS)


def test_a_few_results_by_hand() -> None:
    """The rules the table encodes, spelt out (so a wrong torch install cannot hide them)."""
    i32 = nl.tensor(np.array([1, 2], dtype=np.int32))
    f32, f16 = nl.tensor([1.0, 2.0]), nl.tensor(np.array([1, 2], dtype=np.float16))
    assert (i32 + 1).dtype == nl.int32  # a Python int keeps the tensor's integer dtype
    assert (i32 * 1.5).dtype == nl.float32  # a float number gives the default float dtype
    assert (f16 + 2.5).dtype == nl.float16
    assert (f32 + nl.tensor(2.0, dtype=nl.float64)).dtype == nl.float32  # 0-d: category only
    assert (i32 + nl.tensor(2.0, dtype=nl.float64)).dtype == nl.float64  # higher category
    assert (i32 / i32).dtype == nl.float32
    assert (nl.tensor([1, 2]) + f16).dtype == nl.float16  # any float beats any integer
    assert (i32 == 2.5).dtype == nl.bool_


def test_default_dtype_decides_float_numbers() -> None:
    """``int_tensor * 1.5`` takes the default float dtype, whatever it is set to."""
    ints = nl.tensor([1, 2])
    nl.set_default_dtype(nl.float64)
    torch.set_default_dtype(torch.float64)
    try:
        assert (ints * 1.5).dtype == nl.float64
        assert (torch.tensor([1, 2]) * 1.5).dtype == torch.float64
        assert nl.result_type(ints, 2.5) == nl.float64
        assert nl.result_type(nl.tensor([1.0], dtype=nl.float32), 2.5) == nl.float32
    finally:
        nl.set_default_dtype(nl.float32)
        torch.set_default_dtype(torch.float32)


def test_numpy_arrays_count_as_tensors() -> None:
    """An ndarray operand is a tensor with its dtype and dimensions (torch.from_numpy's)."""
    cases = [(np.int32, np.ones(2)), (np.float32, np.ones(2)),
             (np.float32, np.array(2.0)), (np.int32, np.array(2.0)),
             (np.int64, np.array([1, 2], dtype=np.int32)), (np.float16, np.ones(2))]
    for dtype, array in cases:
        values = np.array([1, 2], dtype=dtype)
        expected = (torch.from_numpy(values) + torch.from_numpy(array)).dtype
        want = np.dtype(str(expected).removeprefix("torch."))
        assert (nl.tensor(values) + array).dtype == want, (dtype, array)
        reflected = array + nl.tensor(values)  # ndarray first: Tensor's reflected operator
        assert isinstance(reflected, nl.Tensor) and reflected.dtype == want, (dtype, array)
        assert nl.result_type(nl.tensor(values), array) == want


def _torch_dtype(name: str) -> torch.dtype:
    return getattr(torch, name)


@pytest.mark.parametrize("name", ["promote_types", "can_cast"])
def test_dtype_tables_match_torch(name: str) -> None:
    problems = []
    for a, b in itertools.product(ALL_DTYPES, repeat=2):
        expected = getattr(torch, name)(_torch_dtype(a), _torch_dtype(b))
        actual = getattr(nl, name)(getattr(nl, a if a != "bool" else "bool_"),
                                   getattr(nl, b if b != "bool" else "bool_"))
        if isinstance(expected, torch.dtype):
            expected = np.dtype(str(expected).removeprefix("torch."))
        if actual != expected:
            problems.append(f"{name}({a}, {b}): {actual}, torch {expected}")
    assert not problems, "\n".join(problems)


def test_dtype_functions_take_any_dtype_spelling() -> None:
    """NumPy types, names and Python's float/int/bool (float64/int64/bool, as in torch)."""
    assert nl.promote_types(np.float32, "float64") == nl.float64
    assert nl.promote_types(nl.float32, float) == nl.float64
    assert str(torch.promote_types(torch.float32, float)) == "torch.float64"
    assert nl.promote_types(int, nl.uint8) == nl.int64
    assert nl.can_cast(float, int) is torch.can_cast(torch.float64, torch.int64) is False
    with pytest.raises(TypeError, match="dtype"):
        nl.promote_types(nl.float32, "complex64")


def test_result_type_matches_torch() -> None:
    """``torch.result_type`` on every (tensor/0-d/number, tensor/0-d/number) pair."""
    problems = []
    operands = _tensor_operands(LEFT) + NUMBER_OPERANDS
    for a, b in itertools.product(operands, repeat=2):
        try:
            expected = torch.result_type(a.torch_value(), b.torch_value())
        except TypeError:  # torch.result_type(2, np.float32(1.5)) and the like
            continue
        want = np.dtype(str(expected).removeprefix("torch."))
        got = nl.result_type(a.nl_value(), b.nl_value())
        if got != want:
            problems.append(f"result_type({a}, {b}): {got}, torch {want}")
    assert not problems, f"{len(problems)} disagreements:\n" + "\n".join(problems)


def test_integers_to_negative_powers() -> None:
    """A negative Python-number exponent of an integer tensor raises in torch."""
    for values in ([2, 3], np.array([2, 3], dtype=np.int32), [True, False]):
        with pytest.raises(RuntimeError, match="Integers to negative integer powers"):
            torch.tensor(values) ** -1
        with pytest.raises(RuntimeError, match="Integers to negative integer powers"):
            nl.tensor(values) ** -1


def test_integer_tensor_to_negative_tensor_powers() -> None:
    """A tensor of exponents gives C's integer powers: 1 for a base of 1, ±1 for −1, else 0."""
    base = np.array([2, 3, 1, -1, -1, 0, 0, -2, 5, 1])
    exponent = np.array([-1, 2, -3, -1, -2, -1, 0, -3, 0, -4])
    for base_dtype, exponent_dtype in [("int64", "int64"), ("int32", "int32"),
                                       ("int8", "int64"), ("int16", "int32")]:
        b, e = base.astype(base_dtype), exponent.astype(exponent_dtype)
        expected = torch.from_numpy(b) ** torch.from_numpy(e)
        actual = nl.tensor(b) ** nl.tensor(e)
        assert actual.dtype == np.dtype(str(expected.dtype).removeprefix("torch."))
        np.testing.assert_array_equal(actual.numpy(), expected.numpy())
    # uint8 bases, a 0-d exponent tensor and a number base: no error either
    pairs = [(lambda L: L.tensor(np.array([2, 1, 0], dtype=np.uint8)) ** L.tensor([-1, -2, 3])),
             (lambda L: L.tensor([0, 2, 1]) ** L.tensor(-1)),
             (lambda L: 2 ** L.tensor([-1, 2, 0])),
             (lambda L: L.tensor([3, 4]).pow(L.tensor([40, -50])))]
    for pair in pairs:
        expected, actual = pair(torch), pair(nl)
        assert actual.dtype == np.dtype(str(expected.dtype).removeprefix("torch."))
        np.testing.assert_array_equal(actual.numpy(), expected.numpy())


def test_bool_powers() -> None:
    """bool ** Python bool is bool; a bool tensor exponent of a bool result is refused
    (NotImplementedError, as torch); bool ** int and int ** bool tensor are integers."""
    mask = [True, False]
    for exponent in (True, False):
        expected, actual = torch.tensor(mask) ** exponent, nl.tensor(mask) ** exponent
        assert actual.dtype == nl.bool_ and expected.dtype == torch.bool
        np.testing.assert_array_equal(actual.numpy(), expected.numpy())
    for call in (lambda L: L.tensor(mask) ** L.tensor([True, True]),
                 lambda L: True ** L.tensor(mask),
                 lambda L: L.tensor(True).pow(L.tensor(False))):
        with pytest.raises(NotImplementedError, match="\"pow\" not implemented for 'Bool'"):
            call(torch)
        with pytest.raises(NotImplementedError, match="\"pow\" not implemented for 'Bool'"):
            call(nl)
    for call in (lambda L: L.tensor(mask) ** 2, lambda L: L.tensor([1, 2]) ** L.tensor(mask),
                 lambda L: 2 ** L.tensor(mask), lambda L: L.tensor(mask) ** L.tensor([2, 1]),
                 lambda L: L.tensor([1.5, 2.0]) ** L.tensor(mask)):
        expected, actual = call(torch), call(nl)
        assert actual.dtype == np.dtype(str(expected.dtype).removeprefix("torch."))
        np.testing.assert_array_equal(actual.numpy(), expected.numpy())


BOOL_SUBTRACTIONS: list[Callable[[Any], Any]] = [
    lambda L: L.tensor([True]) - True,  # two bools: torch suggests ^ / logical_xor
    lambda L: True - L.tensor([True, False]),
    lambda L: L.tensor([True]) - L.tensor([False]),
    lambda L: L.tensor([1]) - True,  # one bool: torch suggests ~ / logical_not
    lambda L: True - L.tensor([1]),
    lambda L: L.tensor([1.0]) - L.tensor([True]),
    lambda L: L.tensor([True]) - 1,
    lambda L: 1.5 - L.tensor([True]),
    lambda L: L.tensor([1.0]).sub(True),
    lambda L: L.sub(L.tensor([True]), L.tensor([1])),
    lambda L: L.tensor([2.0]).sub_(L.tensor([True])),
]


@pytest.mark.parametrize("call", BOOL_SUBTRACTIONS)
def test_bool_subtraction_raises_torch_message(call: Callable[[Any], Any]) -> None:
    with pytest.raises(RuntimeError) as expected:
        call(torch)
    with pytest.raises(RuntimeError) as actual:
        call(nl)
    assert str(actual.value) == str(expected.value)


def test_np_bool_is_a_number_in_subtraction() -> None:
    """np.bool_ is a float to PyTorch, so subtracting it from a number tensor works."""
    for call in (lambda L: L.tensor([1.0]) - np.bool_(True),
                 lambda L: np.bool_(True) - L.tensor([1])):
        expected, actual = call(torch), call(nl)
        assert actual.dtype == np.dtype(str(expected.dtype).removeprefix("torch."))
        np.testing.assert_array_equal(actual.numpy(), expected.numpy())


ALPHAS: list[Callable[[Any], Any]] = [
    lambda L: L.tensor([1]).add(L.tensor([1]), alpha=True),
    lambda L: L.tensor([1.0]).add(L.tensor([1.0]), alpha=True),
    lambda L: L.tensor([1]).add(L.tensor([1]), alpha=1.5),
    lambda L: L.tensor([1]).sub(L.tensor([1]), alpha=0.5),
    lambda L: L.tensor([1]).add(2, alpha=1.5),
    lambda L: L.add(2, L.tensor([1]), alpha=1.5),
]


@pytest.mark.parametrize("call", ALPHAS)
def test_alpha_rules_as_torch(call: Callable[[Any], Any]) -> None:
    with pytest.raises(RuntimeError) as expected:
        call(torch)
    with pytest.raises(RuntimeError) as actual:
        call(nl)
    assert str(actual.value) == str(expected.value)


def test_alpha_that_torch_accepts() -> None:
    for call in (lambda L: L.tensor([True, False]).add(L.tensor([True, True]), alpha=True),
                 lambda L: L.tensor([1, 2]).add(L.tensor([1, 1]), alpha=2),
                 lambda L: L.tensor([1.0]).add(2, alpha=1.5),
                 lambda L: L.tensor([1.0, 2.0]).sub(L.tensor([3, 4]), alpha=-2)):
        expected, actual = call(torch), call(nl)
        assert actual.dtype == np.dtype(str(expected.dtype).removeprefix("torch."))
        np.testing.assert_array_equal(actual.numpy(), expected.numpy())
