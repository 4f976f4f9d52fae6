"""Lesson 7, backpropagation (S16): the chain rule by hand, a layer's backward, finite
differences."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..checking import Wrong, exercise
from ..checking import number as _number


def _sigmoid(z: Any) -> Any:
    return 1 / (1 + np.exp(-z))


def _array(value: Any, shape: tuple[int, ...], name: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise Wrong(en=f"{name} should be a NumPy array of numbers",
                    ko=f"{name}은(는) 숫자로 된 NumPy 배열이어야 합니다") from None
    if array.shape != shape:
        raise Wrong(en=f"{name} should have the shape {shape} (like the parameter), got "
                       f"{array.shape}",
                    ko=f"{name}의 모양은 (매개변수와 같은) {shape}이어야 합니다. 받은 모양: "
                       f"{array.shape}")
    return array


# ------------------------------------------------------------------------- tiny-chain-rule
TINY = {"x": 2.0, "w": -0.5, "b": 0.3, "t": 0.0}


def tiny_gradient(x: float, w: float, b: float, t: float) -> float:
    """∂L/∂w of L = (σ(w·x + b) − t)²: 2(y − t) · y(1 − y) · x."""
    y = _sigmoid(w * x + b)
    return float(2 * (y - t) * y * (1 - y) * x)


def _tiny_without_sigmoid() -> dict[str, Any]:
    y = _sigmoid(TINY["w"] * TINY["x"] + TINY["b"])
    return {"dL_dw": float(2 * (y - TINY["t"]) * TINY["x"])}  # forgot ∂y/∂z = σ′(z)


@exercise("tiny-chain-rule", solution="""
z = -0.5 * 2.0 + 0.3
y = 1 / (1 + np.exp(-z))
dL_dw = 2 * (y - 0.0) * y * (1 - y) * 2.0  # ∂L/∂y · ∂y/∂z · ∂z/∂w
""", wrong=_tiny_without_sigmoid)
def tiny_chain_rule(dL_dw: Any) -> None:
    """∂L/∂w of the exercise's neuron (x = 2, w = −0.5, b = 0.3, t = 0)."""
    got = _number(dL_dw, "dL_dw")
    expected = tiny_gradient(**TINY)
    if math.isclose(got, expected, rel_tol=1e-4, abs_tol=1e-9):
        return
    if math.isclose(got, -expected, rel_tol=1e-4):
        raise Wrong(en="Right size, wrong sign: ∂L/∂y = 2(y − t), with y − t, not t − y.",
                    ko="크기는 맞지만 부호가 틀립니다. "
                       "∂L/∂y = 2(y − t)입니다 (t − y가 아닙니다).")
    raise Wrong(en=f"Not yet ({got:.6g}). Multiply three local derivatives: ∂L/∂y = 2(y − t), "
                   f"∂y/∂z = y(1 − y), ∂z/∂w = x, with z = w·x + b and y = σ(z).",
                ko=f"아직 아닙니다 ({got:.6g}). 국소 미분 세 개를 곱하세요: ∂L/∂y = 2(y − t), "
                   f"∂y/∂z = y(1 − y), ∂z/∂w = x (z = w·x + b, y = σ(z)).")


# ------------------------------------------------------------------ sigmoid-layer-backward
def sigmoid_layer_grads(X: np.ndarray, W: np.ndarray, b: np.ndarray,
                        dout: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(∂L/∂W, ∂L/∂X) of h = σ(X @ W + b) given dout = ∂L/∂h."""
    h = _sigmoid(X @ W + b)
    dz = dout * h * (1 - h)
    return X.T @ dz, dz @ W.T


_LAYER = {"X": np.array([[1.0, 2.0], [0.5, -1.0], [-1.5, 0.0]]),
          "W": np.array([[0.2, -0.3], [0.4, 0.1]]), "b": np.array([0.1, -0.2]),
          "dout": np.array([[1.0, 0.0], [0.5, -1.0], [0.0, 2.0]])}


def _layer_without_sigmoid() -> dict[str, Any]:
    data = {k: v.copy() for k, v in _LAYER.items()}
    return {**data, "dW": data["X"].T @ data["dout"], "dX": data["dout"] @ data["W"].T}


@exercise("sigmoid-layer-backward", solution="""
dz = dout * h_layer * (1 - h_layer)  # σ′ = h(1 − h)
dW = X_layer.T @ dz
dX = dz @ W_layer.T
""", wrong=_layer_without_sigmoid)
def sigmoid_layer_backward(X: Any, W: Any, b: Any, dout: Any, dW: Any, dX: Any) -> None:
    """∂L/∂W and ∂L/∂X of a sigmoid layer, given ∂L/∂h."""
    X, W, b, dout = (np.asarray(v, dtype=np.float64) for v in (X, W, b, dout))
    expected_dW, expected_dX = sigmoid_layer_grads(X, W, b, dout)
    got_dW = _array(dW, W.shape, "dW")
    got_dX = _array(dX, X.shape, "dX")
    skipped_dW, skipped_dX = X.T @ dout, dout @ W.T
    for name, got, expected, skipped in (("dW", got_dW, expected_dW, skipped_dW),
                                         ("dX", got_dX, expected_dX, skipped_dX)):
        if np.allclose(got, expected, rtol=1e-6, atol=1e-9):
            continue
        if np.allclose(got, skipped, rtol=1e-6, atol=1e-9):
            raise Wrong(en=f"{name} skips the sigmoid: first multiply dout by σ′ = h(1 − h), "
                           f"element by element, then go through the matrix product.",
                        ko=f"{name}에서 시그모이드를 건너뛰었습니다. 먼저 dout에 σ′ = h(1 − h)를 "
                           f"원소별로 곱한 다음 행렬 곱을 거슬러 가세요.")
        raise Wrong(en=f"{name} is not right yet. With dz = dout · h(1 − h): ∂L/∂W = Xᵀ @ dz "
                       f"and ∂L/∂X = dz @ Wᵀ (check the shapes: dW like W, dX like X).",
                    ko=f"{name}이(가) 아직 맞지 않습니다. dz = dout · h(1 − h) 라 하면 "
                       f"∂L/∂W = Xᵀ @ dz, ∂L/∂X = dz @ Wᵀ입니다 (모양 확인: dW는 W와, dX는 X와 "
                       f"같아야 합니다).")


# ----------------------------------------------------------------------- finite-difference
def _tiny_loss(w: float) -> float:
    return float((_sigmoid(w * 1.5 - 0.5) - 1.0) ** 2)  # the lesson's neuron, as a function of w


_CASES = ((math.sin, 0.3, math.cos(0.3)), (lambda v: v ** 3, 2.0, 12.0),
          (math.exp, -1.0, math.exp(-1.0)),
          (_tiny_loss, 0.8, tiny_gradient(x=1.5, w=0.8, b=-0.5, t=1.0)))


@exercise("finite-difference", solution="""
def numerical_derivative(f, v, eps=1e-5):
    return (f(v + eps) - f(v - eps)) / (2 * eps)
""", wrong={"numerical_derivative": lambda f, v, eps=0.1: (f(v + eps) - f(v)) / eps})
def finite_difference(numerical_derivative: Any) -> None:
    """A central difference, tried on sin, v³, exp and the lesson's one-neuron loss."""
    if not callable(numerical_derivative):
        raise Wrong(en="numerical_derivative should be a function: def numerical_derivative(f, "
                       "v, eps=1e-5): ...",
                    ko="numerical_derivative는 함수여야 합니다: def numerical_derivative(f, v, "
                       "eps=1e-5): ...")
    for f, v, exact in _CASES:
        try:
            got = numerical_derivative(f, v)
        except Exception as error:  # the learner's code: show what went wrong
            raise Wrong(en=f"numerical_derivative(f, {v}) raised {type(error).__name__}: {error}",
                        ko=f"numerical_derivative(f, {v})에서 {type(error).__name__} 오류: "
                           f"{error}") from None
        got = _number(got, f"numerical_derivative(f, {v})")
        if abs(got - exact) > 1e-6 * max(1.0, abs(exact)):
            raise Wrong(en=f"At v = {v} the estimate is {got:.8g}, the derivative {exact:.8g}. "
                           f"Use a central difference (f(v + ε) − f(v − ε)) / 2ε with a small ε: "
                           f"it is far more accurate than (f(v + ε) − f(v)) / ε.",
                        ko=f"v = {v}에서 추정값은 {got:.8g}, 실제 미분은 {exact:.8g}입니다. "
                           f"작은 ε으로 중앙 차분 (f(v + ε) − f(v − ε)) / 2ε 을 쓰세요. "
                           f"(f(v + ε) − f(v)) / ε 보다 훨씬 정확합니다.")
