"""gradcheck: passes correct ops, catches a wrong backward on *any* input, insists on float64."""

import numpy as np
import pytest

import neuralab as nl
from neuralab.autograd import Function


def leaf(shape, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return nl.Tensor(rng.uniform(0.5, 1.5, shape).astype(dtype), requires_grad=True)


class WrongFirst(Function):
    """y = a·b with dL/da deliberately wrong (2× too big)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad_out):
        return 2 * grad_out * self.b, grad_out * self.a


class WrongSecond(WrongFirst):
    """y = a·b with only dL/db wrong: a checker looking at the first input misses it."""

    def backward(self, grad_out):
        return grad_out * self.b, grad_out * self.a + 0.1


class RightMul(WrongFirst):
    def backward(self, grad_out):
        return grad_out * self.b, grad_out * self.a


def test_gradcheck_passes_correct_ops():
    a, b = leaf((3, 4), 0), leaf((4, 2), 1)
    assert nl.gradcheck(lambda x, y: (x @ y).tanh(), a, b) is True
    assert nl.gradcheck(lambda x: x.softmax(axis=1).log(), a) is True
    assert nl.gradcheck(lambda x, y: RightMul.apply(x, y), a, leaf((3, 4), 2)) is True


def test_gradcheck_passes_a_scalar_output():
    a = leaf((2, 3))
    assert nl.gradcheck(lambda x: (x * x).sum(), a) is True


def test_gradcheck_catches_wrong_gradient_of_first_input():
    a, b = leaf((2, 3), 0), leaf((2, 3), 1)
    with pytest.raises(nl.GradcheckError, match="input 0"):
        nl.gradcheck(lambda x, y: WrongFirst.apply(x, y), a, b)


def test_gradcheck_checks_every_input():
    a, b = leaf((2, 3), 0), leaf((2, 3), 1)
    with pytest.raises(nl.GradcheckError, match=r"input 1 \(shape \(2, 3\)\)"):
        nl.gradcheck(lambda x, y: WrongSecond.apply(x, y), a, b)


def test_gradcheck_can_return_false_instead_of_raising():
    a, b = leaf((2,), 0), leaf((2,), 1)
    assert nl.gradcheck(lambda x, y: WrongSecond.apply(x, y), a, b,
                        raise_exception=False) is False


def test_gradcheck_error_is_an_assertion_error():
    assert issubclass(nl.GradcheckError, AssertionError)


def test_gradcheck_skips_inputs_without_requires_grad():
    a = leaf((2, 3))
    constant = nl.Tensor(np.ones((2, 3)))
    # The wrong gradient belongs to the constant, which needs none: nothing to report.
    assert nl.gradcheck(lambda x, c: WrongSecond.apply(x, c), a, constant) is True


def test_gradcheck_rejects_float32():
    a = leaf((2, 2), dtype=np.float32)
    with pytest.raises(TypeError, match="float64"):
        nl.gradcheck(lambda x: x * x, a)


def test_gradcheck_needs_an_input_requiring_grad():
    with pytest.raises(ValueError, match="requires_grad"):
        nl.gradcheck(lambda x: x * x, nl.Tensor(np.ones(2)))
