"""neuralab.perceptron: the step rule (S1), Rosenblatt's learning rule, gates, wired XOR (S2)."""

from __future__ import annotations

import numpy as np
import pytest
from _tolerance import assert_close

from neuralab.perceptron import (
    GATE_INPUTS,
    TRUTH_TABLES,
    Perceptron,
    PerceptronNetwork,
    gate,
    learn_gate,
    xor_network,
)

GATES = ("AND", "OR", "NAND", "NOR")


def test_step_output_is_zero_at_and_below_the_boundary() -> None:
    p = Perceptron.from_weights([1.0, 1.0], -1.0)  # θ = 1
    assert p.threshold == 1.0
    assert p.net_input([[1, 0]])[0] == 0.0
    assert p.predict([[1, 0], [0, 0], [1, 1], [0.6, 0.5]]).tolist() == [0, 0, 1, 1]
    assert p.predict([1, 0]).dtype == np.int64


@pytest.mark.parametrize("name", GATES)
def test_hand_set_gates_reproduce_their_truth_tables(name: str) -> None:
    assert gate(name).predict(GATE_INPUTS).tolist() == TRUTH_TABLES[name].tolist()


def test_xor_is_not_a_single_perceptron_gate() -> None:
    with pytest.raises(ValueError, match="xor_network"):
        gate("XOR")


def test_update_is_exactly_rosenblatts_rule() -> None:
    p = Perceptron(2, [0.2, -0.1], 0.05)
    x = np.array([1.0, 0.5])  # w·x + b = 0.2 > 0, so ŷ = 1
    assert p.update(x, 1, lr=0.5) == 0  # correct: nothing changes
    assert p.weights.tolist() == [0.2, -0.1] and p.bias == 0.05
    assert p.update(x, 0, lr=0.5) == -1  # y − ŷ = −1: w −= lr·x, b −= lr
    np.testing.assert_array_equal(p.weights, np.array([0.2, -0.1]) - 0.5 * x)
    assert p.bias == 0.05 - 0.5
    assert p.predict(x)[0] == 0  # w·x + b = −0.3 − 0.45 < 0
    assert p.update(x, 1, lr=0.5) == 1  # y − ŷ = +1: back where it started
    # w − lr·x + lr·x: two roundings of terms no larger than |w| + lr·|x|
    assert_close(p.weights, [0.2, -0.1], scale=np.abs([0.2, -0.1]) + 0.5 * np.abs(x), terms=2)
    assert_close(p.bias, 0.05, scale=0.05 + 0.5, terms=2)


@pytest.mark.parametrize("name", GATES)
@pytest.mark.parametrize("init_scale", [0.0, 0.05])
def test_learned_gates_converge_and_classify_their_truth_table(name: str,
                                                               init_scale: float) -> None:
    for seed in range(5):
        p, history = learn_gate(name, lr=0.1, max_epochs=100, seed=seed, init_scale=init_scale)
        assert history.converged
        assert history.epochs == len(history.errors) <= 20
        assert history.errors[-1] == 0 and history.misclassified[-1] == 0
        assert all(e > 0 for e in history.errors[:-1])  # it stops at the first clean epoch
        assert p.predict(GATE_INPUTS).tolist() == TRUTH_TABLES[name].tolist()
        assert p.history is history


def test_xor_never_converges_and_every_epoch_has_errors() -> None:
    for seed in range(5):
        for init_scale in (0.0, 0.05):
            p, history = learn_gate("XOR", lr=0.1, max_epochs=100, seed=seed,
                                    init_scale=init_scale)
            assert not history.converged
            assert history.epochs == 100
            assert min(history.errors) >= 1
            assert min(history.misclassified) >= 1  # no line visited gets all four right
            assert not np.array_equal(p.predict(GATE_INPUTS), TRUTH_TABLES["XOR"])


def test_fit_records_parameters_per_epoch_and_best_epoch() -> None:
    p = Perceptron(2)
    history = p.fit(GATE_INPUTS, TRUTH_TABLES["XOR"], lr=0.1, max_epochs=30, seed=0)
    assert len(history.weights) == len(history.biases) == len(history.misclassified) == 30
    assert history.weights[-1] == p.weights.tolist() and history.biases[-1] == p.bias
    best = history.best_epoch()
    snap = Perceptron.from_weights(history.weights[best], history.biases[best])
    wrong = int(np.sum(snap.predict(GATE_INPUTS) != TRUTH_TABLES["XOR"]))
    assert wrong == history.misclassified[best] == min(history.misclassified)


def test_fit_is_reproducible_and_unshuffled_order_is_fixed() -> None:
    runs = [learn_gate("NAND", seed=3)[1].errors for _ in range(2)]
    assert runs[0] == runs[1]
    a = Perceptron(2).fit(GATE_INPUTS, TRUTH_TABLES["AND"], shuffle=False, seed=1).errors
    b = Perceptron(2).fit(GATE_INPUTS, TRUTH_TABLES["AND"], shuffle=False, seed=2).errors
    assert a == b


def test_fit_validates_its_inputs() -> None:
    with pytest.raises(ValueError, match="shape"):
        Perceptron(3).fit(GATE_INPUTS, TRUTH_TABLES["AND"])
    with pytest.raises(ValueError, match="0 or 1"):
        Perceptron(2).fit(GATE_INPUTS, [0, 1, 2, 1])
    with pytest.raises(ValueError, match="weights"):
        Perceptron(2, [1.0, 2.0, 3.0])


def test_line_is_the_decision_boundary() -> None:
    p = gate("AND")  # 0.5·x1 + 0.5·x2 − 0.7 = 0  ⇔  x2 = −x1 + 1.4
    a, c = p.line()
    assert a == pytest.approx(-1.0) and c == pytest.approx(1.4)
    x1 = np.linspace(-1, 2, 7)
    points = np.stack([x1, a * x1 + c], axis=1)
    # w·x + b of points on the line: zero up to the roundings of a, c and the 2-term dot
    scale = np.abs(points) @ np.abs(p.weights) + abs(p.bias)
    assert_close(p.net_input(points), np.zeros(len(points)), scale=scale, terms=4)
    assert Perceptron.from_weights([1.0, 0.0], -0.5).line() is None


def test_random_start_is_seeded() -> None:
    a, b = Perceptron.random(2, 0.05, seed=7), Perceptron.random(2, 0.05, seed=7)
    assert a.weights.tolist() == b.weights.tolist() and a.bias == b.bias
    assert not np.array_equal(a.weights, Perceptron.random(2, 0.05, seed=8).weights)


def test_wired_xor_is_nand_and_or_into_and() -> None:
    net = xor_network()
    x, hidden, out = net.forward(GATE_INPUTS)
    assert hidden.tolist() == [[1, 0], [1, 1], [1, 1], [0, 1]]  # (NAND, OR)
    assert out[:, 0].tolist() == TRUTH_TABLES["XOR"].tolist()
    assert net.predict(GATE_INPUTS).tolist() == [0, 1, 1, 0]


def test_network_needs_layers_and_can_output_several_units() -> None:
    with pytest.raises(ValueError):
        PerceptronNetwork([])
    net = PerceptronNetwork([[gate("AND"), gate("OR")]])
    assert net.predict(GATE_INPUTS).tolist() == [[0, 0], [0, 1], [0, 1], [1, 1]]
