"""scikit-learn estimators trained by neuralab: ``MLPClassifier``, ``MLPRegressor`` and
``NeuralNetClassifier(module=...)``.

They follow scikit-learn's conventions (hyper-parameters stored by ``__init__`` only, fitted
attributes end in ``_``, ``fit``/``partial_fit``/``predict``/``score``, clone-able, pickle-able)
and mirror ``sklearn.neural_network.MLPClassifier``'s parameter names and its training loop:
mini-batch Adam or SGD on the mean loss plus the L2 penalty α/(2·n_batch)·Σ‖W‖², an epoch's
loss is the sample-weighted mean of its batch losses, and training stops after
``n_iter_no_change`` epochs without an improvement of ``tol`` (loss, or validation score with
``early_stopping``). scikit-learn is imported only here: ``import neuralab`` does not need it.
"""

from __future__ import annotations

import copy
import numbers
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.model_selection import train_test_split
    from sklearn.utils import check_random_state
    from sklearn.utils.multiclass import check_classification_targets, unique_labels
    from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data
except ImportError as error:  # missing, or older than 1.6 (validate_data)
    raise ImportError(f'neuralab.sklearn needs scikit-learn 1.6 or newer ({error}): pip install '
                      f'"neuralab[sklearn]"') from None

from . import nn, optim
from .autograd.grad_mode import no_grad
from .random import Generator, default_generator
from .tensor import Tensor, float32, float64, tensor

__all__ = ["MLPClassifier", "MLPRegressor", "NeuralNetClassifier"]

# scikit-learn's activation names → neuralab modules ('identity' adds no layer).
ACTIVATIONS: dict[str, Callable[[], nn.Module] | None] = {
    "identity": None, "logistic": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}
SOLVERS = ("adam", "sgd")
# Bound on the units of one hidden layer, so a typo cannot ask for a huge allocation.
MAX_LAYER_SIZE = 1 << 20


def _number(name: str, value: Any, low: float, high: float = np.inf, *, integer: bool = False,
            low_open: bool = False, high_open: bool = False) -> None:
    """ValueError unless ``value`` is a real (an int if ``integer``) in the given range."""
    kind = numbers.Integral if integer else numbers.Real
    ok = isinstance(value, kind) and not isinstance(value, bool)
    if ok:
        ok = (value > low if low_open else value >= low) and (
            value < high if high_open else value <= high)
    if not ok:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        what = "an int" if integer else "a real number"
        raise ValueError(f"{name} must be {what} in {left}{low}, {high}{right}, got {value!r}")


def _generator_from(random_state: Any) -> Generator:
    """random_state → a neuralab Generator. An int seeds it; a RandomState or NumPy Generator
    gives it a seed drawn from it; None draws the seed from neuralab's default generator
    (``nl.manual_seed`` controls it, as NumPy's global state controls scikit-learn's None)."""
    if random_state is None:
        seed = int(default_generator().integers(0, 2**63))
    elif isinstance(random_state, np.random.Generator):
        seed = int(random_state.integers(0, 2**63))
    elif isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        seed = int(random_state)
    else:
        try:
            seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
        except ValueError:
            raise ValueError(f"random_state must be None, an int, a numpy RandomState or "
                             f"Generator, got {random_state!r}") from None
    return Generator().manual_seed(seed)


class _NeuralNetBase(BaseEstimator):
    """Training loop shared by the estimators; subclasses say what the network and loss are."""

    _is_classifier = False

    def _more_params_check(self) -> None:
        """Subclasses check their own architecture parameters."""

    def _check_params(self) -> None:
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {list(SOLVERS)}, got {self.solver!r}")
        _number("alpha", self.alpha, 0.0)
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            _number("batch_size", self.batch_size, 1, integer=True)
        _number("learning_rate_init", self.learning_rate_init, 0.0, low_open=True)
        _number("max_iter", self.max_iter, 1, integer=True)
        _number("tol", self.tol, 0.0)
        _number("momentum", self.momentum, 0.0, 1.0)
        _number("validation_fraction", self.validation_fraction, 0.0, 1.0, high_open=True)
        _number("beta_1", self.beta_1, 0.0, 1.0, high_open=True)
        _number("beta_2", self.beta_2, 0.0, 1.0, high_open=True)
        _number("epsilon", self.epsilon, 0.0, low_open=True)
        _number("n_iter_no_change", self.n_iter_no_change, 1, integer=True)
        for flag in ("shuffle", "nesterovs_momentum", "early_stopping", "warm_start"):
            if not isinstance(getattr(self, flag), (bool, np.bool_)):
                raise ValueError(f"{flag} must be a bool, got {getattr(self, flag)!r}")
        self._more_params_check()

    # -- what subclasses define ------------------------------------------------------------
    def _build_module(self, n_features: int, n_outputs: int, generator: Generator,
                      dtype: Any) -> nn.Module:
        raise NotImplementedError

    def _data_loss(self, output: Tensor, target: Tensor) -> Tensor:
        raise NotImplementedError

    # -- fitting -----------------------------------------------------------------------------
    def _prepare(self, X: Any, y: Any, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        X, y = validate_data(self, X, y, multi_output=not self._is_classifier,
                             y_numeric=not self._is_classifier,
                             dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y

    def _penalty(self, n_batch: int) -> Tensor | float:
        """L2 term α/(2·n_batch)·Σ‖W‖² over the weight matrices (parameters with ≥ 2 dims;
        biases are not penalised, as in scikit-learn)."""
        if not self.alpha:
            return 0.0
        total = None
        for param in self.module_.parameters():
            if param.ndim >= 2:
                term = (param * param).sum()
                total = term if total is None else total + term
        return 0.0 if total is None else total * (0.5 * self.alpha / n_batch)

    def _make_optimizer(self) -> optim.Optimizer:
        params = list(self.module_.parameters())
        if self.solver == "adam":
            return optim.Adam(params, lr=self.learning_rate_init,
                              betas=(self.beta_1, self.beta_2), eps=self.epsilon)
        nesterov = bool(self.nesterovs_momentum) and self.momentum > 0
        return optim.SGD(params, lr=self.learning_rate_init, momentum=self.momentum,
                         nesterov=nesterov)

    def _initialize(self, n_features: int, n_outputs: int, dtype: Any) -> None:
        """Fresh network, optimizer and bookkeeping; random_state seeds init and shuffling."""
        self._generator = _generator_from(self.random_state)
        self.module_ = self._build_module(n_features, n_outputs, self._generator, dtype)
        params = list(self.module_.parameters())
        if not params:
            raise ValueError("module must have parameters to train, got a module with none")
        self._optimizer = self._make_optimizer()
        self.n_iter_, self.t_ = 0, 0
        self.loss_curve_: list[float] = []
        self._reset_stopping()

    def _reset_stopping(self) -> None:
        """Stopping bookkeeping for the current mode: best validation score (early_stopping)
        or best training loss."""
        self._no_improvement_count = 0
        if self.early_stopping:
            self.validation_scores_: list[float] | None = []
            self.best_validation_score_: float | None = -np.inf
            self.best_loss_: float | None = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = np.inf

    def _check_output_width(self, X: np.ndarray) -> None:
        """A module whose output is not (N, n_outputs_) is reported before training."""
        self.module_.eval()  # no dropout draw, no BatchNorm statistics update
        with no_grad():
            shape = tuple(self.module_(self._as_input(X)).shape)
        if shape != (len(X), self.n_outputs_):
            raise ValueError(f"module must map (N, {X.shape[1]}) inputs to (N, "
                             f"{self.n_outputs_}) outputs, got shape {shape} for N={len(X)}")

    def _module_dtype(self) -> Any:
        return next(iter(self.module_.parameters())).dtype

    def _as_input(self, X: np.ndarray) -> Tensor:
        dtype = self._module_dtype()
        return tensor(np.ascontiguousarray(X, dtype=np.dtype(dtype.name)), dtype=dtype)

    def _fit(self, X: Any, y: Any, incremental: bool, classes: Any = None) -> _NeuralNetBase:
        self._check_params()
        if incremental and self.early_stopping:
            # one epoch per call leaves no held-out split to stop on (scikit-learn's error)
            raise ValueError("partial_fit does not support early_stopping=True")
        first = not hasattr(self, "module_") or not (self.warm_start or incremental)
        if incremental and self._is_classifier:
            first = self._partial_fit_classes(classes) or first
        X, y = self._prepare(X, y, reset=first)
        targets = self._targets(y, incremental, first)
        if first:
            n_outputs = len(self.classes_) if self._is_classifier else (
                1 if targets.ndim == 1 else targets.shape[1])
            self.n_outputs_ = n_outputs
            self._initialize(X.shape[1], n_outputs, float32 if X.dtype == np.float32
                             else float64)
            self._check_output_width(X[:1])
        elif not self._is_classifier and (1 if targets.ndim == 1 else targets.shape[1]) \
                != self.n_outputs_:
            raise ValueError(f"y must have {self.n_outputs_} output(s) as in the previous fit, "
                             f"got {1 if targets.ndim == 1 else targets.shape[1]}")
        if not first and not incremental:
            # a warm-start fit keeps the weights but, as scikit-learn, builds a new solver from
            # the current parameters, so set_params(solver=..., learning_rate_init=...) applies
            self._optimizer = self._make_optimizer()
            if self.early_stopping != (self.validation_scores_ is not None):
                # early_stopping was switched by set_params: the other mode's bests don't apply
                self._reset_stopping()
        self._train(X, targets, incremental)
        return self

    def _targets(self, y: np.ndarray, incremental: bool, first: bool) -> np.ndarray:
        return y

    def _target_tensor(self, targets: np.ndarray) -> Tensor:
        raise NotImplementedError

    def _train(self, X: np.ndarray, targets: np.ndarray, incremental: bool) -> None:
        n_samples = X.shape[0]
        early_stopping = self.early_stopping and not incremental
        X_val = y_val = None
        if early_stopping:
            stratify = targets if self._is_classifier else None
            X, X_val, targets, y_val = train_test_split(
                X, targets, test_size=self.validation_fraction, stratify=stratify,
                random_state=int(self._generator.integers(0, np.iinfo(np.int32).max)))
            n_samples = X.shape[0]
            if self._is_classifier:
                y_val = self.classes_[y_val]
        if self.batch_size == "auto":
            batch = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn("Got `batch_size` larger than the sample size. It is going to "
                              "be clipped", stacklevel=3)
            batch = min(self.batch_size, n_samples)
        inputs, target_all = self._as_input(X), self._target_tensor(targets)
        best_state = None
        self.module_.train()
        epochs = 1 if incremental else self.max_iter
        for _ in range(epochs):
            order = (self._generator.permutation(n_samples) if self.shuffle
                     else np.arange(n_samples))
            total = 0.0
            for start in range(0, n_samples, batch):
                index = order[start:start + batch]
                xb, yb = inputs[index], target_all[index]
                self._optimizer.zero_grad()
                loss = self._data_loss(self.module_(xb), yb) + self._penalty(len(index))
                loss.backward()
                self._optimizer.step()
                total += float(loss.item()) * len(index)
            self.n_iter_ += 1
            self.t_ += n_samples
            self.loss_ = total / n_samples
            self.loss_curve_.append(self.loss_)
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}", file=sys.stdout)
            if early_stopping:
                self.module_.eval()
                self.validation_scores_.append(self._score_for_stopping(X_val, y_val))
                self.module_.train()
                if self.verbose:
                    print(f"Validation score: {self.validation_scores_[-1]:f}")
            improved = self._update_no_improvement_count(early_stopping)
            if early_stopping and improved:
                best_state = copy.deepcopy(self.module_.state_dict())
            if self._no_improvement_count > self.n_iter_no_change:
                if self.verbose:
                    what = "Validation score" if early_stopping else "Training loss"
                    print(f"{what} did not improve more than tol={self.tol:f} for "
                          f"{self.n_iter_no_change} consecutive epochs. Stopping.")
                break
        else:
            if not incremental:
                warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                              "reached and the optimization hasn't converged yet.",
                              ConvergenceWarning, stacklevel=3)
        if best_state is not None:  # early stopping keeps the best validated weights
            self.module_.load_state_dict(best_state)
        self.module_.eval()

    def _update_no_improvement_count(self, early_stopping: bool) -> bool:
        """scikit-learn's rule: count epochs whose score (validation) or loss (training) did
        not beat the best by ``tol``; returns whether the best improved."""
        if early_stopping:
            score = self.validation_scores_[-1]
            self._no_improvement_count = (self._no_improvement_count + 1
                                          if score < self.best_validation_score_ + self.tol
                                          else 0)
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                return True
            return False
        loss = self.loss_curve_[-1]
        self._no_improvement_count = (self._no_improvement_count + 1
                                      if loss > self.best_loss_ - self.tol else 0)
        if loss < self.best_loss_:
            self.best_loss_ = loss
            return True
        return False

    def _forward(self, X: Any) -> np.ndarray:
        """Network output on validated X (eval mode, no graph)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        self.module_.eval()
        with no_grad():
            return np.asarray(self.module_(self._as_input(X)).numpy(), dtype=np.float64)

    def fit(self, X: Any, y: Any) -> _NeuralNetBase:
        """Train for up to ``max_iter`` epochs: from scratch, or with ``warm_start`` from the
        current weights with a solver built anew from the current parameters."""
        return self._fit(X, y, incremental=False)


_COMMON_DOC = """
    Parameters (scikit-learn's names): ``solver`` 'adam' | 'sgd'; ``alpha`` L2 strength;
    ``batch_size`` int or 'auto' (min(200, n)); ``learning_rate_init``; ``max_iter`` epochs;
    ``shuffle``; ``random_state`` (None, int, RandomState or NumPy Generator → a neuralab
    Generator for initialisation, shuffling and the early-stopping split); ``tol``;
    ``verbose``; ``warm_start``; ``momentum`` and ``nesterovs_momentum`` (sgd); ``early_stopping``
    with ``validation_fraction``; ``beta_1``, ``beta_2``, ``epsilon`` (adam); ``n_iter_no_change``.

    Fitted attributes: ``module_`` (the trained neuralab module), ``n_features_in_``,
    ``feature_names_in_`` (DataFrame input), ``n_outputs_``, ``loss_``, ``loss_curve_``,
    ``best_loss_``, ``validation_scores_``, ``best_validation_score_``, ``n_iter_``, ``t_``.
"""


class _MLPMixin:
    """Sequential of Linear + activation per hidden size, then a Linear output layer; the
    hyper-parameters of scikit-learn's MLPs (one ``__init__`` for both: scikit-learn reads
    them from its signature)."""

    def __init__(self, hidden_layer_sizes: Sequence[int] | int = (100,),
                 activation: str = "relu", *, solver: str = "adam", alpha: float = 1e-4,
                 batch_size: int | str = "auto", learning_rate_init: float = 1e-3,
                 max_iter: int = 200, shuffle: bool = True, random_state: Any = None,
                 tol: float = 1e-4, verbose: bool = False, warm_start: bool = False,
                 momentum: float = 0.9, nesterovs_momentum: bool = True,
                 early_stopping: bool = False, validation_fraction: float = 0.1,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8,
                 n_iter_no_change: int = 10) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change

    def _more_params_check(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got "
                             f"{self.activation!r}")
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, numbers.Integral) else sizes
        try:
            sizes = list(sizes)
        except TypeError:
            raise ValueError(f"hidden_layer_sizes must be an int or a sequence of ints, got "
                             f"{self.hidden_layer_sizes!r}") from None
        for size in sizes:
            _number("hidden_layer_sizes entries", size, 1, MAX_LAYER_SIZE, integer=True)

    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        return [int(sizes)] if isinstance(sizes, numbers.Integral) else [int(s) for s in sizes]

    def _build_module(self, n_features: int, n_outputs: int, generator: Generator,
                      dtype: Any) -> nn.Module:
        layers: list[nn.Module] = []
        width = n_features
        for size in self._hidden_sizes():
            layers.append(nn.Linear(width, size, dtype=dtype, generator=generator))
            if ACTIVATIONS[self.activation] is not None:
                layers.append(ACTIVATIONS[self.activation]())
            width = size
        layers.append(nn.Linear(width, n_outputs, dtype=dtype, generator=generator))
        return nn.Sequential(*layers)

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices as scikit-learn lays them out: (fan_in, fan_out), copies."""
        check_is_fitted(self, "module_")
        return [m.weight.detach().numpy().T.copy() for m in self.module_
                if isinstance(m, nn.Linear)]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors of the layers, copies."""
        check_is_fitted(self, "module_")
        return [m.bias.detach().numpy().copy() for m in self.module_ if isinstance(m, nn.Linear)]


class _ClassifierBase(ClassifierMixin, _NeuralNetBase):
    """Softmax classifier trained on the cross-entropy of its logits."""

    _is_classifier = True

    def _partial_fit_classes(self, classes: Any) -> bool:
        """Set ``classes_`` on partial_fit's first call (where ``classes`` is required; later
        ones may repeat it unchanged); returns whether this is the first call."""
        if classes is None:
            if not hasattr(self, "classes_"):
                raise ValueError("classes must be passed on the first call to partial_fit, "
                                 "got None")
            return False
        classes = unique_labels(np.asarray(classes))
        if hasattr(self, "classes_"):
            if not np.array_equal(classes, self.classes_):
                raise ValueError(f"classes must equal the classes of the first partial_fit "
                                 f"call, {self.classes_.tolist()}, got {classes.tolist()}")
            return False
        self.classes_ = classes
        return True

    def _targets(self, y: np.ndarray, incremental: bool, first: bool) -> np.ndarray:
        check_classification_targets(y)
        if incremental:  # classes_ was set by _partial_fit_classes
            pass
        elif first:
            self.classes_ = unique_labels(y)
        elif not np.array_equal(unique_labels(y), self.classes_):
            raise ValueError(f"warm_start can only be used where y has the same classes as in "
                             f"the previous call to fit: expected {self.classes_.tolist()}, got "
                             f"{unique_labels(y).tolist()}")
        unseen = ~np.isin(y, self.classes_)
        if unseen.any():
            raise ValueError(f"y contains labels not in classes {self.classes_.tolist()}: "
                             f"{np.unique(y[unseen]).tolist()}")
        return np.searchsorted(self.classes_, y)

    def _target_tensor(self, targets: np.ndarray) -> Tensor:
        return tensor(np.asarray(targets, dtype=np.int64))

    def _data_loss(self, output: Tensor, target: Tensor) -> Tensor:
        return nn.functional.cross_entropy(output, target)

    def _score_for_stopping(self, X: np.ndarray, y: np.ndarray) -> float:
        return float(accuracy_score(y, self.predict(X)))

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> _ClassifierBase:
        """One epoch on (X, y); ``classes`` (all labels) is required on the first call.
        ``early_stopping=True`` is refused (ValueError), as in scikit-learn."""
        return self._fit(X, y, incremental=True, classes=classes)

    def decision_function(self, X: Any) -> np.ndarray:
        """Logits z (n_samples, n_classes); (n_samples,) z₁ − z₀ for two classes."""
        logits = self._forward(X)
        if logits.shape[1] != len(self.classes_):
            raise ValueError(f"module must output {len(self.classes_)} logits per sample, got "
                             f"{logits.shape[1]}")
        return logits[:, 1] - logits[:, 0] if logits.shape[1] == 2 else logits

    def predict_proba(self, X: Any) -> np.ndarray:
        """softmax(z) per row: (n_samples, n_classes), columns in ``classes_`` order."""
        logits = self._forward(X)
        if logits.shape[1] != len(self.classes_):
            raise ValueError(f"module must output {len(self.classes_)} logits per sample, got "
                             f"{logits.shape[1]}")
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """log softmax(z) per row."""
        logits = self._forward(X)
        shifted = logits - logits.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

    def predict(self, X: Any) -> np.ndarray:
        """The class of the largest logit (first on ties)."""
        best = np.argmax(self.predict_proba(X), axis=1)  # checks fitted before classes_
        return self.classes_[best]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False  # a 2-D indicator y is not supported
        return tags


class MLPClassifier(_MLPMixin, _ClassifierBase):
    """Multi-layer perceptron classifier on neuralab: softmax of the output layer's logits,
    trained on the mean cross-entropy −log p(y|x) + α/(2n)·Σ‖W‖². ``hidden_layer_sizes``: units
    per hidden layer; ``activation``: 'identity', 'logistic', 'tanh' or 'relu'.
    """

    __doc__ += _COMMON_DOC


class NeuralNetClassifier(_ClassifierBase):
    """Any neuralab module as a scikit-learn classifier: the module maps (N, n_features) to
    logits (N, n_classes), trained on the mean cross-entropy + α/(2n)·Σ‖W‖² (W: parameters
    with ≥ 2 dims).

    ``module`` is either an ``nn.Module`` (deep-copied at each fresh fit, so its weights are the
    starting point and the parameter itself is never changed; ``random_state`` then drives
    shuffling only) or a callable ``module(n_features_in, n_classes, generator) -> nn.Module``
    that receives the estimator's seeded neuralab Generator for its initialisation.
    """

    __doc__ += _COMMON_DOC

    def __init__(self, module: nn.Module | Callable[..., nn.Module] | None = None, *,
                 solver: str = "adam", alpha: float = 0.0, batch_size: int | str = "auto",
                 learning_rate_init: float = 1e-3, max_iter: int = 200, shuffle: bool = True,
                 random_state: Any = None, tol: float = 1e-4, verbose: bool = False,
                 warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: int = 10) -> None:
        self.module = module
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change

    def _more_params_check(self) -> None:
        if not (isinstance(self.module, nn.Module) or callable(self.module)):
            raise ValueError(f"module must be a neuralab nn.Module or a callable "
                             f"(n_features_in, n_classes, generator) -> nn.Module, got "
                             f"{self.module!r}")

    def _build_module(self, n_features: int, n_outputs: int, generator: Generator,
                      dtype: Any) -> nn.Module:
        if isinstance(self.module, nn.Module):
            return copy.deepcopy(self.module)
        built = self.module(n_features, n_outputs, generator)
        if not isinstance(built, nn.Module):
            raise ValueError(f"module(n_features_in, n_classes, generator) must return a "
                             f"neuralab nn.Module, got {type(built).__name__}")
        return built


class MLPRegressor(_MLPMixin, RegressorMixin, _NeuralNetBase):
    """Multi-layer perceptron regressor on neuralab: identity output layer trained on the
    squared error ½·mean((y − ŷ)²) + α/(2n)·Σ‖W‖² (scikit-learn's scale of the loss); y may
    have several columns. ``hidden_layer_sizes`` and ``activation`` as in ``MLPClassifier``.
    """

    __doc__ += _COMMON_DOC


    def _target_tensor(self, targets: np.ndarray) -> Tensor:
        dtype = self._module_dtype()
        values = np.asarray(targets, dtype=np.dtype(dtype.name))
        return tensor(values.reshape(len(values), -1), dtype=dtype)

    def _data_loss(self, output: Tensor, target: Tensor) -> Tensor:
        return nn.functional.mse_loss(output, target) * 0.5

    def _score_for_stopping(self, X: np.ndarray, y: np.ndarray) -> float:
        return float(r2_score(y, self.predict(X)))

    def partial_fit(self, X: Any, y: Any) -> MLPRegressor:
        """One epoch on (X, y); ``early_stopping=True`` is refused (ValueError)."""
        return self._fit(X, y, incremental=True)

    def predict(self, X: Any) -> np.ndarray:
        """ŷ: (n_samples,) for one output, else (n_samples, n_outputs)."""
        out = self._forward(X)
        return out.ravel() if out.shape[1] == 1 else out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
