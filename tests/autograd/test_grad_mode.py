"""no_grad / enable_grad / set_grad_enabled: as context managers and decorators."""

import threading

import numpy as np
import pytest

import neuralab as nl


def leaf():
    return nl.Tensor(np.array([1.0, 2.0]), requires_grad=True)


def test_no_grad_records_no_graph():
    x = leaf()
    with nl.no_grad():
        assert not nl.is_grad_enabled()
        y = x * 2.0 + 1.0
    assert nl.is_grad_enabled()
    assert not y.requires_grad
    assert y._ctx is None
    np.testing.assert_array_equal(y.data, [3.0, 5.0])  # small integers: exact
    z = x * 2.0  # recording is back on outside the block
    assert z.requires_grad and z._ctx is not None


def test_no_grad_restores_mode_after_an_exception():
    with pytest.raises(ValueError), nl.no_grad():
        raise ValueError("boom")
    assert nl.is_grad_enabled()


def test_no_grad_as_decorator_with_and_without_parentheses():
    x = leaf()

    @nl.no_grad()
    def double(t):
        return t * 2.0

    @nl.no_grad
    def triple(t):
        return t * 3.0

    assert not double(x).requires_grad
    assert not triple(x).requires_grad
    assert triple.__name__ == "triple"
    assert nl.is_grad_enabled()
    assert (x * 2.0).requires_grad


def test_decorated_recursive_function_restores_grad_mode():
    # Regression: one shared context object used to overwrite its saved mode on re-entry,
    # leaving recording switched off after the outermost call returned.
    @nl.no_grad()
    def depth(n):
        assert not nl.is_grad_enabled()
        return 0 if n == 0 else 1 + depth(n - 1)

    assert depth(3) == 3
    assert nl.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    x = leaf()
    with nl.no_grad():
        with nl.enable_grad():
            assert nl.is_grad_enabled()
            y = x * x
        z = x * x
        assert not nl.is_grad_enabled()
    assert y.requires_grad and not z.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_enable_grad_as_decorator_inside_no_grad():
    @nl.enable_grad()
    def square(t):
        return t * t

    with nl.no_grad():
        assert square(leaf()).requires_grad
        assert not nl.is_grad_enabled()


def test_set_grad_enabled_as_function_and_context_manager():
    nl.set_grad_enabled(False)
    assert not nl.is_grad_enabled()
    assert not (leaf() * 2.0).requires_grad
    nl.set_grad_enabled(True)
    assert nl.is_grad_enabled()
    with nl.set_grad_enabled(False):
        assert not nl.is_grad_enabled()
        with nl.set_grad_enabled(True):
            assert (leaf() * 2.0).requires_grad
        assert not nl.is_grad_enabled()
    assert nl.is_grad_enabled()


def test_backward_works_inside_no_grad_for_a_graph_built_outside():
    x = leaf()
    loss = (x * x).sum()
    with nl.no_grad():
        loss.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_grad_mode_is_per_thread():
    seen = []
    with nl.no_grad():
        worker = threading.Thread(target=lambda: seen.append(nl.is_grad_enabled()))
        worker.start()
        worker.join()
    assert seen == [True]


def test_no_grad_in_place_update_of_a_leaf():
    x = leaf()
    (x * 3.0).sum().backward()
    with nl.no_grad():
        x.data -= 0.5 * x.grad  # an SGD step
    np.testing.assert_array_equal(x.data, [-0.5, 0.5])  # binary fractions: exact
    assert x.requires_grad and x.is_leaf
