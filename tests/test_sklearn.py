"""neuralab.sklearn: scikit-learn's estimator checks, Pipeline/GridSearchCV on digits,
pickling, seeding, partial_fit, warm_start, convergence warnings and parameter errors."""

from __future__ import annotations

import pickle
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier as SkMLPClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import neuralab as nl  # noqa: E402
from neuralab.sklearn import MLPClassifier, MLPRegressor, NeuralNetClassifier  # noqa: E402


def small_net(n_features: int, n_classes: int, generator: nl.Generator) -> nl.nn.Module:
    """A float32 (neuralab's default dtype) module factory for NeuralNetClassifier."""
    return nl.nn.Sequential(nl.nn.Linear(n_features, 16, generator=generator), nl.nn.ReLU(),
                            nl.nn.Linear(16, n_classes, generator=generator))


def small_net64(n_features: int, n_classes: int, generator: nl.Generator) -> nl.nn.Module:
    """The same architecture in float64."""
    return nl.nn.Sequential(
        nl.nn.Linear(n_features, 16, dtype=nl.float64, generator=generator), nl.nn.Tanh(),
        nl.nn.Linear(16, n_classes, dtype=nl.float64, generator=generator))


def expected_failures(estimator) -> dict[str, str]:
    """Checks declared to fail (pytest xfail, strict: they must really fail)."""
    if isinstance(estimator, NeuralNetClassifier) and estimator.module is small_net:
        return {"check_methods_subset_invariance":
                "a float32 module: NumPy's BLAS sums a row's products in an order that "
                "depends on the batch size, so outputs on a subset differ by ~1 float32 ulp "
                "(~1e-7 relative), beyond the check's rtol=1e-7 (float64 modules pass)"}
    return {}


# max_iter=100 as scikit-learn's own test suite sets for its MLPs (fast; the checks' data
# are small and easy), passed through the instance: the documented way.
ESTIMATORS = [MLPClassifier(max_iter=100), MLPRegressor(max_iter=100),
              NeuralNetClassifier(small_net, max_iter=100),
              NeuralNetClassifier(small_net64, max_iter=100)]
# scikit-learn runs its array-API check only when SCIPY_ARRAY_API=1 was set before SciPy was
# imported (otherwise it skips): run that one in a fresh interpreter that sets it.
ARRAY_API_CHECK = """
import os, sys, warnings
os.environ["SCIPY_ARRAY_API"] = "1"
sys.path.insert(0, {tests!r})
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import check_array_api_input
from test_sklearn import ESTIMATORS
warnings.simplefilter("ignore", ConvergenceWarning)
estimator = ESTIMATORS[{index}]
check_array_api_input(type(estimator).__name__, estimator, {arguments})
print("passed")
"""


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures,
                         xfail_strict=True)
def test_sklearn_estimator_checks(estimator, check):
    function = getattr(check, "func", check)
    if getattr(function, "__name__", "") == "check_array_api_input":
        arguments = ", ".join(f"{key}={value!r}" for key, value in check.keywords.items()
                              if key != "device" or value is not None)
        code = ARRAY_API_CHECK.format(tests=str(Path(__file__).parent),
                                      index=next(i for i, e in enumerate(ESTIMATORS)
                                                 if e is estimator), arguments=arguments)
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0 and "passed" in done.stdout, done.stderr[-2000:]
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


def test_import_neuralab_does_not_import_sklearn():
    code = "import sys, neuralab; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


def test_pipeline_on_digits_matches_sklearns_mlp(digits):
    Xtr, Xte, ytr, yte = digits
    settings = dict(hidden_layer_sizes=(64,), max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = make_pipeline(StandardScaler(), MLPClassifier(**settings)).fit(Xtr, ytr)
        theirs = make_pipeline(StandardScaler(), SkMLPClassifier(**settings)).fit(Xtr, ytr)
    acc, ref = ours.score(Xte, yte), theirs.score(Xte, yte)
    # same model, loss and optimiser; only the initial weights differ: within 3 points
    assert acc > 0.93
    assert abs(acc - ref) < 0.03
    proba = ours.predict_proba(Xte)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(ours.classes_, np.arange(10))
    np.testing.assert_array_equal(ours.predict(Xte), ours.classes_[proba.argmax(axis=1)])


def test_grid_search_on_digits(digits):
    Xtr, Xte, ytr, yte = digits
    pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=15, random_state=0))
    grid = {"mlpclassifier__hidden_layer_sizes": [(8,), (64,)],
            "mlpclassifier__learning_rate_init": [1e-3, 1e-2]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(pipe, grid, cv=3).fit(Xtr, ytr)
        scores = search.cv_results_["mean_test_score"]
        # seeded estimators: the search's score for a candidate is reproducible by hand
        by_hand = cross_val_score(clone(pipe).set_params(**search.cv_results_["params"][0]),
                                  Xtr, ytr, cv=3)
    assert scores[0] == pytest.approx(by_hand.mean(), abs=1e-12)
    assert len(scores) == 4 and np.all(scores > 0.5)
    # 64 units learn more than 8 in 15 epochs
    assert search.best_params_["mlpclassifier__hidden_layer_sizes"] == (64,)
    assert search.best_score_ == scores.max() > 0.9
    assert search.score(Xte, yte) > 0.9
    assert search.best_estimator_[-1].n_iter_ <= 15


def test_neural_net_classifier_wraps_a_module_without_changing_it(digits):
    Xtr, Xte, ytr, yte = digits
    g = nl.Generator().manual_seed(3)
    module = nl.nn.Sequential(nl.nn.Linear(64, 32, generator=g), nl.nn.ReLU(),
                              nl.nn.Linear(32, 10, generator=g))
    before = [p.detach().numpy().copy() for p in module.parameters()]
    est = NeuralNetClassifier(module, max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe = make_pipeline(StandardScaler(), est).fit(Xtr, ytr)
    assert pipe.score(Xte, yte) > 0.9
    for old, param in zip(before, module.parameters()):
        np.testing.assert_array_equal(old, param.detach().numpy())  # the parameter was copied
    fitted = pipe[-1].module_
    assert fitted is not module
    assert not np.array_equal(fitted[0].weight.detach().numpy(), before[0])
    # a module with the wrong number of logits is reported clearly
    bad = NeuralNetClassifier(nl.nn.Linear(64, 3), max_iter=1)
    with pytest.raises(ValueError, match="3"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            bad.fit(Xtr, ytr)


@pytest.mark.parametrize("make", [
    lambda: MLPClassifier((16,), max_iter=5, random_state=1),
    lambda: MLPRegressor((16,), max_iter=5, random_state=1),
    lambda: NeuralNetClassifier(small_net, max_iter=5, random_state=1),
])
def test_pickled_estimator_predicts_identically(digits, make):
    Xtr, Xte, ytr, _ = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = make().fit(Xtr / 16, ytr)
    loaded = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(loaded.predict(Xte / 16), est.predict(Xte / 16))
    if hasattr(est, "predict_proba"):
        np.testing.assert_array_equal(loaded.predict_proba(Xte / 16),
                                      est.predict_proba(Xte / 16))
    assert loaded.loss_curve_ == est.loss_curve_
    # the optimiser state travels too: one more epoch continues identically
    est.partial_fit(Xtr / 16, ytr)
    loaded.partial_fit(Xtr / 16, ytr)
    np.testing.assert_array_equal(loaded.predict(Xte / 16), est.predict(Xte / 16))


def test_random_state_determines_everything(digits):
    Xtr, Xte, ytr, _ = digits
    X = Xtr[:300] / 16
    y = ytr[:300]

    def run(**kw):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return MLPClassifier((16,), max_iter=4, **kw).fit(X, y)

    a, b, c = run(random_state=7), run(random_state=7), run(random_state=8)
    assert a.loss_curve_ == b.loss_curve_
    np.testing.assert_array_equal(a.predict_proba(Xte), b.predict_proba(Xte))
    assert a.loss_curve_ != c.loss_curve_
    # clone gives an unfitted copy with the same parameters, which refits identically
    d = clone(a)
    assert not hasattr(d, "module_") and d.get_params() == a.get_params()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        d.fit(X, y)
    assert d.loss_curve_ == a.loss_curve_
    # None draws from neuralab's default generator, so nl.manual_seed makes it reproducible
    nl.manual_seed(5)
    e = run(random_state=None)
    nl.manual_seed(5)
    f = run(random_state=None)
    assert e.loss_curve_ == f.loss_curve_
    # a RandomState is accepted as in scikit-learn
    g = run(random_state=np.random.RandomState(0))
    h = run(random_state=np.random.RandomState(0))
    assert g.loss_curve_ == h.loss_curve_


def test_partial_fit_matches_one_epoch_of_fit_and_keeps_learning(digits):
    Xtr, Xte, ytr, yte = digits
    X, Xv = Xtr / 16, Xte / 16
    with pytest.raises(ValueError, match="classes"):
        MLPClassifier((16,), random_state=0).partial_fit(X, ytr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        one = MLPClassifier((16,), learning_rate_init=1e-2, max_iter=1, random_state=0).fit(X, ytr)
    inc = MLPClassifier((16,), learning_rate_init=1e-2, random_state=0)
    inc.partial_fit(X, ytr, classes=np.arange(10))
    # same seed, same init and same shuffle: one partial_fit call is one epoch of fit
    assert inc.loss_curve_ == one.loss_curve_
    np.testing.assert_array_equal(inc.predict_proba(Xv), one.predict_proba(Xv))
    first = inc.score(Xv, yte)
    with pytest.raises(ValueError, match="classes must equal"):
        inc.partial_fit(X, ytr, classes=np.arange(11))
    for _ in range(9):
        inc.partial_fit(X, ytr)
    assert inc.n_iter_ == 10 and inc.t_ == 10 * len(X)
    assert inc.loss_curve_[-1] < inc.loss_curve_[0]
    assert inc.score(Xv, yte) > max(first, 0.85)
    # classes declared up front may be absent from a batch; unknown labels are refused
    part = MLPClassifier((8,), random_state=0)
    part.partial_fit(X[ytr < 5], ytr[ytr < 5], classes=np.arange(10))
    assert part.predict_proba(Xv).shape == (len(Xv), 10)
    with pytest.raises(ValueError, match="labels not in classes"):
        part.partial_fit(X[:5], np.array([0, 1, 2, 3, 11]))
    reg = MLPRegressor((8,), random_state=0)
    reg.partial_fit(X, ytr.astype(float))
    reg.partial_fit(X, ytr.astype(float))
    assert reg.n_iter_ == 2 and reg.loss_curve_[1] < reg.loss_curve_[0]


def test_warm_start_continues_and_convergence_warning():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3
    est = MLPRegressor((8,), max_iter=5, warm_start=True, random_state=0)
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(5\)"):
        est.fit(X, y)
    weights = est.coefs_[0].copy()
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    assert est.n_iter_ == 10 and len(est.loss_curve_) == 10
    assert not np.array_equal(weights, est.coefs_[0])
    # a large tol stops after n_iter_no_change + 2 epochs (the first always beats the initial
    # best loss, inf; then the count must exceed n_iter_no_change): scikit-learn's MLPRegressor
    # stops at 4 too
    quick = MLPRegressor((8,), max_iter=50, tol=1e6, n_iter_no_change=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        quick.fit(X, y)
    assert quick.n_iter_ == 4


def test_regressor_learns_and_reports_sklearn_layout():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 4))
    Y = np.stack([X @ np.array([1.0, -1.0, 0.5, 2.0]), X[:, 0] - X[:, 3]], axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = MLPRegressor((32,), activation="tanh", learning_rate_init=1e-2, max_iter=200,
                           random_state=0).fit(X, Y)
    assert est.predict(X).shape == (300, 2) and est.n_outputs_ == 2
    assert est.score(X, Y) > 0.98
    assert [c.shape for c in est.coefs_] == [(4, 32), (32, 2)]
    assert [b.shape for b in est.intercepts_] == [(32,), (2,)]
    # loss_ is scikit-learn's ½·mean squared error (+ the small L2 term) on the training set
    half_mse = 0.5 * np.mean((est.predict(X) - Y) ** 2)
    assert est.loss_ == pytest.approx(half_mse, rel=0.5, abs=1e-3)
    single = MLPRegressor((4,), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        single.fit(X, Y[:, 0])
    assert single.predict(X).shape == (300,)


def test_early_stopping_keeps_the_best_validation_score(digits):
    Xtr, _, ytr, _ = digits
    est = MLPClassifier((16,), max_iter=40, early_stopping=True, n_iter_no_change=3,
                        random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(Xtr / 16, ytr)
    assert len(est.validation_scores_) == est.n_iter_
    assert est.best_validation_score_ == max(est.validation_scores_) > 0.8
    assert est.best_loss_ is None


@pytest.mark.parametrize(("params", "name"), [
    (dict(solver="lbfgs"), "solver"), (dict(activation="softplus"), "activation"),
    (dict(alpha=-1.0), "alpha"), (dict(batch_size=0), "batch_size"),
    (dict(learning_rate_init=0.0), "learning_rate_init"), (dict(max_iter=0), "max_iter"),
    (dict(hidden_layer_sizes=(4, 0)), "hidden_layer_sizes"),
    (dict(hidden_layer_sizes=(1 << 30,)), "hidden_layer_sizes"),
    (dict(validation_fraction=1.0), "validation_fraction"), (dict(beta_1=1.0), "beta_1"),
    (dict(random_state="seed"), "random_state"),
])
def test_bad_parameters_fail_at_fit_naming_the_parameter(params, name):
    est = MLPClassifier().set_params(**params)  # set_params and __init__ never validate
    with pytest.raises(ValueError, match=name):
        est.fit(np.zeros((4, 2)), np.array([0, 1, 0, 1]))
    with pytest.raises(ValueError, match="module"):
        NeuralNetClassifier().fit(np.zeros((4, 2)), np.array([0, 1, 0, 1]))


def small_data() -> tuple[np.ndarray, np.ndarray]:
    """60 samples, 3 features, 3 balanced classes (fast fits for the checks below)."""
    X = np.random.default_rng(0).normal(size=(60, 3))
    return X, np.arange(60) % 3


@pytest.mark.parametrize("make", [
    lambda: MLPClassifier((4,), early_stopping=True),
    lambda: NeuralNetClassifier(small_net, early_stopping=True),
    lambda: MLPRegressor((4,), early_stopping=True),
])
def test_partial_fit_refuses_early_stopping(make):
    X, y = small_data()
    est = make()
    # scikit-learn's message: one epoch on one batch has nothing to validate against
    with pytest.raises(ValueError, match="^partial_fit does not support early_stopping=True$"):
        if isinstance(est, MLPRegressor):
            est.partial_fit(X, y.astype(float))
        else:
            est.partial_fit(X, y, classes=[0, 1, 2])
    assert not hasattr(est, "module_")  # refused before anything was built


@pytest.mark.parametrize("make", [
    lambda **kw: MLPClassifier((4,), **kw),
    lambda **kw: NeuralNetClassifier(small_net64, **kw),
])
def test_warm_start_fit_rebuilds_the_optimizer_from_current_params(make):
    X, y = small_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        w = make(warm_start=True, max_iter=3, random_state=0).fit(X, y)
        assert isinstance(w._optimizer, nl.optim.Adam)
        same = pickle.loads(pickle.dumps(w))
        same.fit(X, y)  # unchanged settings: the control
        w.set_params(solver="sgd", learning_rate_init=0.5, momentum=0.0).fit(X, y)
    # scikit-learn builds a new solver on each fit: set_params takes effect, the weights stay
    assert type(w._optimizer) is nl.optim.SGD
    group = w._optimizer.param_groups[0]
    assert group["lr"] == 0.5 and group["momentum"] == 0.0
    assert [id(p) for p in group["params"]] == [id(p) for p in w.module_.parameters()]
    assert w.n_iter_ == 6 and len(w.loss_curve_) == 6  # the model was kept, not refit
    # same start and shuffles, a 500× larger step: the weights end up elsewhere
    before = same.module_.state_dict()
    after = w.module_.state_dict()
    assert any(not np.allclose(np.asarray(before[k]), np.asarray(after[k])) for k in before)


def test_label_messages_print_plain_values():
    X, y = small_data()
    names = np.array(["ant", "bee", "cat"])[y]
    est = MLPClassifier((4,), random_state=0)
    est.partial_fit(X, names, classes=["ant", "bee", "cat"])
    with pytest.raises(ValueError, match=re.escape(
            "classes of the first partial_fit call, ['ant', 'bee', 'cat'], got ['ant', 'bee']")):
        est.partial_fit(X, names, classes=["ant", "bee"])
    with pytest.raises(ValueError, match=re.escape(
            "labels not in classes ['ant', 'bee', 'cat']: ['dog']")):
        est.partial_fit(X[:2], np.array(["ant", "dog"]))
    warm = MLPClassifier((4,), warm_start=True, max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm.fit(X, names)
        with pytest.raises(ValueError, match=re.escape(
                "expected ['ant', 'bee', 'cat'], got ['ant', 'bee']")):
            warm.fit(X[names != "cat"], names[names != "cat"])


@pytest.mark.parametrize("switch_to", [False, True])
def test_warm_start_fit_may_switch_early_stopping(switch_to):
    X, y = small_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        w = MLPClassifier((4,), warm_start=True, max_iter=3, early_stopping=not switch_to,
                          n_iter_no_change=50, random_state=0).fit(X, y)
        w.set_params(early_stopping=switch_to).fit(X, y)  # crashed on None bookkeeping
    assert w.n_iter_ == 6
    if switch_to:  # scores of the switched-on epochs only
        assert len(w.validation_scores_) == 3 and w.best_loss_ is None
        assert w.best_validation_score_ == max(w.validation_scores_)
    else:
        assert w.validation_scores_ is None and w.best_loss_ == min(w.loss_curve_[3:])
