"""One playground run: a real neuralab network trained on 2-D points, frame by frame.

A ``Session`` belongs to one browser tab. Its training runs only while the tab's event stream
is open (``events``), in that stream's thread: the tab closes, the stream breaks, training
stops. Every request that changes the run takes the session's lock, so a change lands between
two frames, never inside one.

A frame is what the page draws: the losses, the output's heat-map over a 100×100 grid of the
plane, a small heat-map of every unit, the weights, the gradient norm of each layer (S17, S18),
the dead ReLU units (S6), the confusion matrix and the hidden layer's view of the plane (S15).
"""

from __future__ import annotations

import base64
import copy
import json
import math
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import nn, optim
from ..autograd.grad_mode import no_grad
from ..nn.layers import dropout as dropout_fn
from ..perceptron import Perceptron
from ..random import Generator
from ..tensor import Tensor
from . import datasets, views
from .config import ConfigError, PlaygroundConfig

GRID = 100                      # the output heat-map is GRID × GRID over [-6, 6]²
THUMB = 20                      # each unit's heat-map, when the network is small
SMALL_THUMB = 10                # ... and when it has more than THUMB_UNITS units
THUMB_UNITS = 128
MAX_HISTORY = 20_000            # loss-curve points kept (then every other one is dropped)
KEEPALIVE_SECONDS = 15.0
DIVERGED = ("training diverged (the loss or the weights became inf or NaN); lower the learning "
            "rate and press reset")
BACKPROP_WAIT_SECONDS = 60.0    # at most this long for the frame in training to end
WORK_SLICE_SECONDS = 0.005      # training holds a session's lock this long at most at a time
ACTIVATION_MODULES = {"tanh": nn.Tanh, "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU,
                      "sigmoid": nn.Sigmoid, "linear": nn.Identity}


_ENDED = object()  # _run's answer when the stream must stop


class SessionClosedError(RuntimeError):
    """The session ended (its tab closed or the server is stopping)."""


class SeededDropout(nn.Dropout):
    """``nn.Dropout`` drawing its masks from the session's own generator, so two tabs training
    at once do not share (and reorder) one random stream; exported as a plain ``nn.Dropout``."""

    def __init__(self, p: float, generator: np.random.Generator) -> None:
        super().__init__(p)
        self.generator = generator

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return dropout_fn(input, self.p, self.training, generator=self.generator)


def b64(array: np.ndarray, dtype: Any) -> str:
    """An array as base64 of its row-major bytes (little-endian ``dtype``)."""
    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")


def _overflow_is_shown_in_the_frame() -> np.errstate:
    """NumPy's overflow warnings off: a diverging run is reported in the page (``diverged``),
    not as warnings in the terminal."""
    return np.errstate(over="ignore", invalid="ignore", divide="ignore")


def finite(value: float) -> float | None:
    """``value``, or None (JSON null) when training diverged to inf or NaN."""
    return value if math.isfinite(value) else None


def to_bytes(values: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """v ↦ (clip(v / scale, −1, 1) + 1) / 2 · 255 as uint8: the page's diverging colour scale
    (NaN, from a diverged network, is drawn as 0: the middle colour)."""
    with np.errstate(invalid="ignore"):
        scaled = np.clip(np.nan_to_num(values / scale, nan=0.0), -1.0, 1.0)
    return np.rint((scaled + 1.0) * 127.5).astype(np.uint8)


def to_unit_bytes(values: np.ndarray) -> np.ndarray:
    """p ∈ [0, 1] ↦ p · 255 as uint8 (NaN as 0.5)."""
    return np.rint(np.clip(np.nan_to_num(values, nan=0.5), 0.0, 1.0) * 255).astype(np.uint8)


def value_scale(values: np.ndarray) -> float:
    """The largest |v| of the finite values, or 1 when there is none (or it is 0)."""
    finite_values = np.abs(values[np.isfinite(values)])
    largest = float(finite_values.max()) if finite_values.size else 0.0
    return largest or 1.0


class Session:
    """A training run for one tab. Public methods are thread-safe."""

    def __init__(self, config: PlaygroundConfig,
                 points: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.cond = threading.Condition()
        self.closed = False
        self.playing = False
        self.streaming = False
        self.last_seen = time.monotonic()
        self._steps_wanted = 0
        self._setup_due = True
        self._frame_due = True
        self._stream_id = 0
        self._working = False  # a frame is being trained (in slices) by the stream
        self._stop_frame = False
        self._custom = points
        self.config = config
        self._build(config)

    # ---- building ----------------------------------------------------------------------------

    def _build(self, config: PlaygroundConfig) -> None:
        """(Re)start the run from ``config``: data, split, network, optimizer — all from the
        seed. Validates everything first; on error the old run is untouched."""
        data_rng = np.random.default_rng([config.seed, 0])
        if config.dataset == "custom":
            if self._custom is None:
                raise ConfigError("dataset: custom needs your points first (click on the "
                                  "plane or upload a CSV)")
            points, targets = self._custom
            if config.problem == "classification":
                if not np.issubdtype(targets.dtype, np.integer):
                    raise ConfigError("dataset: your points carry values, not class labels; "
                                      "switch to regression or send labelled points")
                classes = max(2, int(targets.max()) + 1)
                if config.mode == "perceptron" and classes > 2:
                    raise ConfigError("mode: the perceptron separates two classes; your points "
                                      f"have {classes}")
                if classes != config.classes:
                    config = config.updated({"classes": classes})
            elif np.issubdtype(targets.dtype, np.integer):
                raise ConfigError("dataset: your points carry class labels; switch to "
                                  "classification or send points with values")
        else:
            points, targets = datasets.generate(config.dataset, config.points,
                                                config.noise / 100, data_rng, config.classes)
        train_x, train_y, test_x, test_y = datasets.split(points, targets,
                                                          config.train_ratio / 100, data_rng)
        features = config.features
        net_rng = Generator().manual_seed(config.seed)
        if config.mode == "perceptron":
            model = None
            perceptron = Perceptron.random(len(features), scale=0.5, seed=[config.seed, 1])
        else:
            perceptron = None
            model = self._network(config, len(features), net_rng)

        self.config = config
        self.train_raw, self.test_raw = train_x, test_x
        self.train_y, self.test_y = train_y, test_y
        self.train_x = Tensor(datasets.featurize(train_x, features))
        self.test_x = Tensor(datasets.featurize(test_x, features))
        self.model, self.perceptron = model, perceptron
        self.shuffle_rng = np.random.default_rng([config.seed, 2])
        axis = np.linspace(-datasets.DOMAIN, datasets.DOMAIN, GRID)
        x1, x2 = np.meshgrid(axis, axis[::-1])  # row 0 is the top of the plane: x2 = +6
        self.grid_raw = np.stack([x1.ravel(), x2.ravel()], axis=1)
        self.grid_x = Tensor(datasets.featurize(self.grid_raw, features))
        units = sum(config.hidden) + len(features) + config.num_outputs
        self.thumb = THUMB if units <= THUMB_UNITS else SMALL_THUMB
        self.thumb_index = np.rint(np.linspace(0, GRID - 1, self.thumb)).astype(int)
        self.epoch = self.step = 0
        self.history: dict[str, list[float]] = {"train_loss": [], "test_loss": []}
        self._grad_sums = np.zeros(len(config.hidden) + 1)
        self._grad_steps = 0
        self.grad_norms = [0.0] * (len(config.hidden) + 1)
        self.optimizer = self._optimizer(config) if model is not None else None
        self._targets = self._loss_targets()
        self._setup_due = True
        self._generation = getattr(self, "_generation", 0) + 1
        self._record_losses()

    @staticmethod
    def _network(config: PlaygroundConfig, inputs: int, rng: Generator) -> nn.Sequential:
        widths = [inputs, *config.hidden, config.num_outputs]
        layers: list[nn.Module] = []
        for k in range(len(widths) - 1):
            layers.append(nn.Linear(widths[k], widths[k + 1], generator=rng))
            if k < len(config.hidden):
                layers.append(ACTIVATION_MODULES[config.activation[k]]())
                if config.dropout > 0:
                    layers.append(SeededDropout(config.dropout, rng))
        return nn.Sequential(*layers)

    def _optimizer(self, config: PlaygroundConfig) -> optim.Optimizer:
        params = self.model.parameters()
        if config.optimizer == "adam":
            return optim.Adam(params, lr=config.lr)
        return optim.SGD(params, lr=config.lr,
                         momentum=0.9 if config.optimizer == "momentum" else 0.0)

    @property
    def linears(self) -> list[nn.Linear]:
        return [m for m in self.model if isinstance(m, nn.Linear)] if self.model else []

    def _loss_targets(self) -> dict[str, Tensor]:
        """The training and test targets in the form the loss takes."""
        return {"train": self._target_tensor(self.train_y),
                "test": self._target_tensor(self.test_y)}

    def _target_tensor(self, y: np.ndarray, dtype: Any = np.float32) -> Tensor:
        """Labels (cross-entropy over K classes), one-hot rows (MSE over K classes) or a
        column of 0/1 labels or values, as ``dtype``."""
        kind = self.config.kind
        if kind == "multiclass" and self.config.loss == "cross_entropy":
            return Tensor(y.astype(np.int64))
        if kind == "multiclass":
            return Tensor(np.eye(self.config.classes, dtype=dtype)[y])
        return Tensor(y.astype(dtype).reshape(-1, 1))

    # ---- the mathematics of one step -----------------------------------------------------------

    def head(self, logits: Tensor) -> Tensor:
        """What the output layer predicts: p(class 1), the class probabilities, or the value."""
        kind = self.config.kind
        if kind == "binary":
            return logits.sigmoid()
        if kind == "multiclass":
            return logits.softmax(dim=1)
        return logits

    def data_loss(self, logits: Tensor, target: Tensor) -> Tensor:
        """Binary: BCEWithLogits; K classes: CrossEntropy; mse: MSE between head and target."""
        if self.config.loss == "mse":
            return nn.functional.mse_loss(self.head(logits), target)
        if self.config.kind == "binary":
            return nn.functional.binary_cross_entropy_with_logits(logits, target)
        return nn.functional.cross_entropy(logits, target)

    def penalty(self) -> Tensor | None:
        """L1: rate·Σ|w|; L2: rate·½Σw² — over the weights, not the biases (as TF Playground)."""
        config = self.config
        if config.regularization == "none" or config.reg_rate == 0:
            return None
        terms = [(m.weight.abs().sum() if config.regularization == "l1"
                  else (m.weight * m.weight).sum() * 0.5) for m in self.linears]
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total * config.reg_rate

    def _epoch_steps(self) -> Iterator[None]:
        """One epoch over the training points in a fresh order, yielding after every step
        (the perceptron: after the whole pass, which takes a millisecond)."""
        n = len(self.train_y)
        order = self.shuffle_rng.permutation(n)
        if self.perceptron is not None:
            x = self.train_x.numpy().astype(np.float64)
            for i in order:
                self.perceptron.update(x[i], int(self.train_y[i]), self.config.lr)
            self.step += n
            yield
            return
        self.model.train()
        target = self._targets["train"]
        size = self.config.batch_size
        for start in range(0, n, size):
            batch = order[start:start + size]
            self.optimizer.zero_grad()
            with _overflow_is_shown_in_the_frame():
                loss = self.data_loss(self.model(self.train_x[batch]), target[batch])
                extra = self.penalty()
                (loss if extra is None else loss + extra).backward()
            for k, m in enumerate(self.linears):
                self._grad_sums[k] += self._data_gradient_rms(m)
            self._grad_steps += 1
            self.optimizer.step()
            self.step += 1
            if not math.isfinite(float(loss.item())):
                self.playing = False  # diverged: stop, the frame shows it
                self._stop_frame = True
                return
            yield

    def _data_gradient_rms(self, layer: nn.Linear) -> float:
        """RMS of the data loss's ∂L/∂W for ``layer``: the penalty's share (rate·w for L2,
        rate·sign(w) for L1) is taken out, so the bars show what backpropagation carries."""
        grad = layer.weight.grad.numpy()
        config = self.config
        if config.regularization != "none" and config.reg_rate:
            w = layer.weight.detach().numpy()
            grad = grad - config.reg_rate * (w if config.regularization == "l2" else np.sign(w))
        return math.sqrt(float(np.mean(grad.astype(np.float64) ** 2)))

    def _record_losses(self) -> None:
        with _overflow_is_shown_in_the_frame():
            train, test = self._losses()
        for key, value in (("train_loss", train), ("test_loss", test)):
            series = self.history[key]
            series.append(value)
            if len(series) > MAX_HISTORY:
                del series[::2]

    def _losses(self) -> tuple[float, float]:
        if self.perceptron is not None:  # the 0-1 loss: the share of misclassified points
            return (float(np.mean(self._perceptron_predict(self.train_x) != self.train_y)),
                    float(np.mean(self._perceptron_predict(self.test_x) != self.test_y)))
        self.model.eval()
        with no_grad():
            return tuple(float(self.data_loss(self.model(x), self._targets[part]).item())
                         for part, x in (("train", self.train_x), ("test", self.test_x)))

    def _perceptron_predict(self, x: Tensor) -> np.ndarray:
        return self.perceptron.predict(x.numpy().astype(np.float64))

    def frame_steps(self, stepping: bool = True) -> Iterator[None]:
        """Train one frame — ``epochs_per_frame`` epochs — yielding after every step, so that
        the stream can let go of the lock in between and the page's requests are answered at
        once even when a frame is long (batch 1, 2000 points, 50 epochs a frame). Paused in
        the middle (``stepping`` False: the frame was started by play), the frame ends at the
        next epoch's start. Caller holds the lock at every ``next``."""
        self._grad_sums[:] = 0.0
        self._grad_steps = 0
        self._stop_frame = False
        for done in range(self.config.epochs_per_frame):
            if done and not stepping and not self.playing:
                break
            yield from self._epoch_steps()
            self.epoch += 1
            if self._stop_frame:
                break
        if self._grad_steps:
            self.grad_norms = (self._grad_sums / self._grad_steps).tolist()
        self._record_losses()

    def train_frame(self) -> None:
        """Train one whole frame at once (caller holds the lock)."""
        for _ in self.frame_steps():
            pass

    # ---- frames ------------------------------------------------------------------------------

    def setup_payload(self) -> dict[str, Any]:
        """What the page needs once per run: the settings, the points, the layer sizes."""
        config = self.config
        return {
            "config": config.to_json(), "features": list(config.features),
            "feature_labels": [datasets.FEATURE_LABELS[f] for f in config.features],
            "layers": ([len(config.features), 1] if config.mode == "perceptron" else
                       [len(config.features), *config.hidden, config.num_outputs]),
            "kind": config.kind, "classes": config.classes,
            "train": {"x": self.train_raw.tolist(), "y": self.train_y.tolist()},
            "test": {"x": self.test_raw.tolist(), "y": self.test_y.tolist()},
            "grid": GRID, "thumb": self.thumb,
        }

    def _forward_all(self, x: Tensor) -> tuple[list[np.ndarray], np.ndarray]:
        """Every hidden layer's activations (eval mode) and the head's output for ``x``."""
        hidden = []
        out = x
        self.model.eval()
        with no_grad():
            for m in self.model:
                out = m(out)
                if isinstance(m, tuple(ACTIVATION_MODULES.values())):
                    hidden.append(out.numpy())
            return hidden, self.head(out).numpy()

    def frame(self, history: bool = False) -> dict[str, Any]:
        """The current state as the page draws it (caller holds the lock)."""
        with _overflow_is_shown_in_the_frame():
            return self._frame(history)

    def _frame(self, history: bool) -> dict[str, Any]:
        config = self.config
        train_loss, test_loss = self.history["train_loss"][-1], self.history["test_loss"][-1]
        thumb = self.thumb_index

        def thumbs(values: np.ndarray, scales: list[float]) -> list[str]:
            images = values.reshape(GRID, GRID, -1)[np.ix_(thumb, thumb)]
            return [b64(to_bytes(images[:, :, j], scales[j]), np.uint8)
                    for j in range(images.shape[2])]

        inputs = self.grid_x.numpy()
        input_scales = [value_scale(inputs[:, j]) for j in range(inputs.shape[1])]
        neurons = [thumbs(inputs, input_scales)]
        scales = [input_scales]
        if self.perceptron is not None:
            net = self.perceptron.net_input(inputs.astype(np.float64))
            out = (net > 0).astype(np.float64)[:, None]
            hidden: list[np.ndarray] = []
            weights = [{"shape": [1, len(config.features)],
                        "w": b64(self.perceptron.weights, np.float32),
                        "b": b64(np.array([self.perceptron.bias]), np.float32)}]
        else:
            hidden, out = self._forward_all(self.grid_x)
            weights = [{"shape": list(w.shape), "w": b64(w, np.float32), "b": b64(b, np.float32)}
                       for w, b in self._network_arrays()]
        for k, values in enumerate(hidden):
            bounded = config.activation[k] in ("tanh", "sigmoid")
            layer_scales = [1.0 if bounded else value_scale(values[:, j])
                            for j in range(values.shape[1])]
            neurons.append(thumbs(values, layer_scales))
            scales.append(layer_scales)
        kind = config.kind
        signed = out if kind == "regression" else out * 2.0 - 1.0
        neurons.append(thumbs(signed, [1.0] * out.shape[1]))
        scales.append([1.0] * out.shape[1])
        if kind == "multiclass":
            output = {"size": GRID, "values": b64(out.argmax(axis=1), np.uint8),
                      "confidence": b64(to_unit_bytes(out.max(axis=1)), np.uint8)}
        elif kind == "binary":
            output = {"size": GRID, "values": b64(to_unit_bytes(out[:, 0]), np.uint8)}
        else:
            output = {"size": GRID, "values": b64(to_bytes(out[:, 0]), np.uint8)}
        frame: dict[str, Any] = {
            "epoch": self.epoch, "step": self.step,
            "state": "playing" if self.playing else "paused",
            "train_loss": finite(train_loss), "test_loss": finite(test_loss),
            "train_accuracy": None, "test_accuracy": None, "confusion": None,
            "output": output, "neurons": neurons, "scales": scales, "weights": weights,
            "grad_norms": [finite(g) for g in self.grad_norms] if self.model else [],
            "dead": [], "dead_count": 0, "relu_units": 0, "hidden_view": None, "errors": None,
            "diverged": self.diverged(),
        }
        if kind != "regression":
            train_pred, test_pred = self._predict(self.train_x), self._predict(self.test_x)
            frame["train_accuracy"] = float(np.mean(train_pred == self.train_y))
            frame["test_accuracy"] = float(np.mean(test_pred == self.test_y))
            confusion = np.zeros((config.classes, config.classes), dtype=np.int64)
            np.add.at(confusion, (self.test_y, test_pred), 1)
            frame["confusion"] = confusion.tolist()
            if self.perceptron is not None:
                frame["errors"] = int(np.sum(train_pred != self.train_y))
        if self.model is not None and config.hidden:
            frame.update(self._dead_units())
            if not frame["diverged"]:
                frame["hidden_view"] = self._hidden_view()
        if history:
            frame["history"] = {key: [finite(v) for v in series]
                                for key, series in self.history.items()}
        return frame

    def diverged(self) -> bool:
        """True when training blew up: a weight or the training loss is inf or NaN."""
        if not math.isfinite(self.history["train_loss"][-1]):
            return True
        return not all(np.isfinite(w).all() and np.isfinite(b).all()
                       for w, b in self._network_arrays()) if self.model is not None else not (
            np.isfinite(self.perceptron.weights).all() and math.isfinite(self.perceptron.bias))

    def _check_not_diverged(self, what: str) -> None:
        if self.diverged():
            raise ConfigError(f"{what}: {DIVERGED}")

    def _predict(self, x: Tensor) -> np.ndarray:
        """Predicted class of each row of ``x``."""
        if self.perceptron is not None:
            return self._perceptron_predict(x)
        _, out = self._forward_all(x)
        return out.argmax(axis=1) if self.config.kind == "multiclass" else (
            out[:, 0] > 0.5).astype(np.int64)

    def _dead_units(self) -> dict[str, Any]:
        """ReLU units that output 0 for every training point: no gradient reaches their
        weights, so they never recover (S6)."""
        hidden, _ = self._forward_all(self.train_x)
        dead, relu_units = [], 0
        for k, values in enumerate(hidden):
            if self.config.activation[k] == "relu":
                relu_units += values.shape[1]
                dead.append(np.flatnonzero((values <= 0).all(axis=0)).tolist())
            else:
                dead.append([])
        return {"dead": dead, "dead_count": sum(map(len, dead)), "relu_units": relu_units}

    def _network_arrays(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(m.weight.detach().numpy().astype(np.float64),
                 m.bias.detach().numpy().astype(np.float64)) for m in self.linears]

    def _featurize(self, raw: np.ndarray) -> np.ndarray:
        return datasets.featurize(raw, self.config.features).astype(np.float64)

    def _hidden_view(self) -> dict[str, Any]:
        layer, a, b = self.config.view
        view = views.hidden_view(self._network_arrays(), list(self.config.activation),
                                 self._featurize, layer, a, b,
                                 np.concatenate([self.train_raw, self.test_raw]))
        lines = np.asarray(view["lines"], dtype=np.float32)
        return {"layer": layer, "a": a, "b": b, "points": b64(view["points"], np.float32),
                "lines": b64(lines, np.float32), "line_count": lines.shape[0],
                "line_samples": lines.shape[1]}

    # ---- requests from the page ----------------------------------------------------------------

    def control(self, action: str) -> str:
        """play, pause, step (one frame, then pause) or reset (epoch 0, same seed)."""
        with self.cond:
            self._check_open()
            if action == "play":
                self.playing = True
            elif action == "pause":
                self.playing = False
                # A frame the stream sent just before still says "playing": one more frame
                # tells the page the run is paused (and keeps its play button right).
                self._frame_due = True
            elif action == "step":
                self.playing = False
                self._steps_wanted += 1
            elif action == "reset":
                self._build(self.config)
            else:
                raise ConfigError(f"action: expected play, pause, step or reset, got "
                                  f"{action!r}"[:120])
            self.cond.notify_all()
            return "playing" if self.playing else "paused"

    def update_config(self, changes: object) -> tuple[PlaygroundConfig, bool]:
        """Apply settings; a change of data or architecture restarts the run."""
        with self.cond:
            self._check_open()
            new = self.config.updated(changes)
            rebuild = self.config.rebuilds(new)
            if rebuild:
                self._build(new)  # validates before it replaces anything
            else:
                optimizer_changed = new.optimizer != self.config.optimizer
                self.config = new
                if optimizer_changed and self.model is not None:
                    self.optimizer = self._optimizer(new)  # its state starts afresh
                if self.optimizer is not None:
                    for group in self.optimizer.param_groups:
                        group["lr"] = new.lr
                self._frame_due = True  # the page has the new settings from the answer
            self.cond.notify_all()
            return self.config, rebuild

    def set_points(self, points: np.ndarray, targets: np.ndarray) -> PlaygroundConfig:
        """Train on the user's own points from now on (dataset "custom")."""
        with self.cond:
            self._check_open()
            problem = "classification" if np.issubdtype(targets.dtype, np.integer) else \
                "regression"
            old_points = self._custom
            self._custom = (points, targets)
            changes: dict[str, Any] = {"dataset": "custom", "problem": problem}
            if problem == "classification":
                changes["classes"] = max(2, int(targets.max()) + 1)
            try:
                self._build(self.config.updated(changes))
            except Exception:
                self._custom = old_points
                raise
            self.cond.notify_all()
            return self.config

    def set_weight(self, layer: object, to: object, frm: object, value: object) -> float:
        """Edit one weight (``frm`` = −1: the bias of unit ``to``) of the network."""
        with self.cond:
            self._check_open()
            rows = self._weight_rows()
            k, i, j = self._weight_index(layer, to, frm, rows)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                    not math.isfinite(value) or abs(value) > 1e3:
                raise ConfigError(f"value: expected a finite number in [-1000, 1000], got "
                                  f"{value!r}"[:120])
            if self.perceptron is not None:
                if j < 0:
                    self.perceptron.bias = float(value)
                else:
                    self.perceptron.weights[j] = float(value)
            else:
                m = self.linears[k]
                with no_grad():
                    if j < 0:
                        m.bias[i] = float(value)
                    else:
                        m.weight[i, j] = float(value)
            self._losses_changed()
            self.cond.notify_all()
            return float(value)

    def _losses_changed(self) -> None:
        train, test = self._losses()
        self.history["train_loss"][-1], self.history["test_loss"][-1] = train, test
        self._frame_due = True

    def _weight_rows(self) -> list[tuple[int, int]]:
        if self.perceptron is not None:
            return [(1, self.perceptron.weights.size)]
        return [tuple(m.weight.shape) for m in self.linears]

    @staticmethod
    def _weight_index(layer: object, to: object, frm: object,
                      rows: list[tuple[int, int]]) -> tuple[int, int, int]:
        def integer(name: str, value: object, low: int, high: int) -> int:
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value < high:
                raise ConfigError(f"{name}: expected an integer from {low} to {high - 1}, got "
                                  f"{value!r}"[:120])
            return value
        k = integer("layer", layer, 0, len(rows))
        i = integer("to", to, 0, rows[k][0])
        j = integer("from", frm, -1, rows[k][1])
        return k, i, j

    def backprop(self, layer: object, to: object, frm: object, sample: object = 0
                 ) -> dict[str, Any]:
        """Pause and explain one weight's gradient on one training point (S16): the chain
        rule's local derivatives along each path, their products, and the engine's autograd
        value for the same point."""
        with self.cond:
            self._check_open()
            # Let the frame in training finish (a pause ends it at the next epoch), so that
            # the view is taken on the weights the next frame shows.
            self.playing = False
            deadline = time.monotonic() + BACKPROP_WAIT_SECONDS
            while self._working and not self.closed and time.monotonic() < deadline:
                self.cond.wait(deadline - time.monotonic())
            self._check_open()
            if self.model is None:
                raise ConfigError("backprop: the perceptron learns by Rosenblatt's rule, not "
                                  "by gradients; switch to network mode")
            k, i, j = self._weight_index(layer, to, frm, self._weight_rows())
            self._check_not_diverged("backprop")
            n = len(self.train_y)
            if isinstance(sample, bool) or not isinstance(sample, int) or not 0 <= sample < n:
                raise ConfigError(f"sample: expected a training point index from 0 to {n - 1}, "
                                  f"got {sample!r}"[:120])
            config = self.config
            x = self.train_x.numpy()[sample].astype(np.float64)
            target = self.train_y[sample]
            view = views.backprop_path(
                self._network_arrays(), list(config.activation),
                {"binary": "sigmoid", "multiclass": "softmax",
                 "regression": "identity"}[config.kind], config.loss, x, target, k, i, j)
            view["autograd"] = self._autograd_gradient(k, i, j, sample)
            view["sample"] = sample
            view["point"] = self.train_raw[sample].tolist()
            view["target"] = target.item()
            self.cond.notify_all()
            return view

    def _autograd_gradient(self, k: int, i: int, j: int, sample: int) -> float:
        """∂L/∂w for one training point by the engine itself, on a float64 copy of the network
        (eval mode: no dropout) — the precision of the chain-rule view, so the two agree to
        rounding instead of to float32's 1e-7 (or worse where tanh saturates)."""
        model = copy.deepcopy(self.model).double().eval()
        index = np.array([sample])
        x = Tensor(datasets.featurize(self.train_raw[index], self.config.features)
                   .astype(np.float64))
        target = self._target_tensor(self.train_y[index], np.float64)
        self.data_loss(model(x), target).backward()
        m = [layer for layer in model if isinstance(layer, nn.Linear)][k]
        return float(m.bias.grad.numpy()[i] if j < 0 else m.weight.grad.numpy()[i, j])

    def export(self) -> bytes:
        """The trained network as a ``.safetensors`` model file (``nl.load`` opens it)."""
        from .. import io

        with self.cond:
            self._check_open()
            if self.model is None:
                raise ConfigError("export: perceptron mode has no network to export; switch "
                                  "to network mode")
            self._check_not_diverged("export")
            layers = [nn.Dropout(m.p) if isinstance(m, SeededDropout) else m
                      for m in self.model]
            config = self.config
            metadata = {"playground": json.dumps(config.to_json(), separators=(",", ":")),
                        "features": ",".join(config.features), "kind": config.kind,
                        "epoch": str(self.epoch)}
            if config.kind != "regression":
                metadata["classes"] = ",".join(str(c) for c in range(config.classes))
            handle, path = tempfile.mkstemp(suffix=".safetensors")
            os.close(handle)
            try:
                io.save(nn.Sequential(*layers), path, metadata)
                with open(path, "rb") as file:
                    return file.read()
            finally:
                os.unlink(path)

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.playing = False
            self.cond.notify_all()

    def _check_open(self) -> None:
        if self.closed:
            raise SessionClosedError("this session has ended; reload the page")

    # ---- the event stream -------------------------------------------------------------------

    def events(self, max_fps: float = 30.0) -> Iterator[tuple[str, dict[str, Any] | None]]:
        """(event, data) pairs for the tab's stream: ``setup`` then ``frame`` after every
        trained frame or change; ``ping`` (data None) while idle. Training happens here, in the
        consumer's thread, only while the consumer keeps reading: closing the tab stops it."""
        period = 1.0 / max_fps
        with self.cond:  # a newer stream (the tab reconnected) takes over from an older one
            self._stream_id += 1
            mine = self._stream_id
            self.streaming = True
            self._setup_due = True
            self.cond.notify_all()
        try:
            while True:
                started = time.monotonic()
                events: list[tuple[str, dict[str, Any] | None]] = []
                work = None
                with self.cond:
                    while not (self.closed or self.playing or self._steps_wanted
                               or self._setup_due or self._frame_due
                               or self._stream_id != mine):
                        if not self.cond.wait(KEEPALIVE_SECONDS):
                            break
                    if self.closed or self._stream_id != mine:
                        return
                    self.last_seen = time.monotonic()
                    if self._setup_due:
                        events.append(("setup", self.setup_payload()))
                        events.append(("frame", self.frame(history=True)))
                        self._setup_due = self._frame_due = False
                    elif self.playing or self._steps_wanted:
                        stepping = not self.playing
                        self._steps_wanted = max(0, self._steps_wanted - 1)
                        work, generation = self.frame_steps(stepping), self._generation
                        self._working = True
                    elif self._frame_due:
                        events.append(("frame", self.frame()))
                        self._frame_due = False
                    else:
                        events.append(("ping", None))
                yield from events
                if work is not None:
                    frame = self._run(work, generation, mine)
                    if frame is _ENDED:
                        return
                    if frame is not None:
                        yield "frame", frame
                if self.playing:
                    time.sleep(max(0.0, period - (time.monotonic() - started)))
        finally:
            with self.cond:
                if self._stream_id == mine:
                    self.playing = False
                    self.streaming = False
                    self.last_seen = time.monotonic()

    def _run(self, work: Iterator[None], generation: int, mine: int) -> Any:
        """Drive a frame's training, holding the lock a few milliseconds at a time; then the
        frame (None when the run was rebuilt or re-set meanwhile: the next setup covers it;
        ``_ENDED`` when the stream must end)."""
        try:
            while True:
                with self.cond:
                    if self.closed or self._stream_id != mine:
                        return _ENDED
                    if self._generation != generation:  # rebuilt meanwhile: drop the old run
                        return None
                    deadline = time.monotonic() + WORK_SLICE_SECONDS
                    try:
                        while time.monotonic() < deadline:
                            next(work)
                    except StopIteration:
                        if self._setup_due:
                            return None
                        self._frame_due = False
                        return self.frame()
                time.sleep(0)  # let a waiting request take the lock
        finally:
            with self.cond:
                self._working = False
                self.cond.notify_all()
