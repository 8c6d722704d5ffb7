"""Activation functions and their derivatives, as the Learn pages draw them (step, sigmoid, tanh, ReLU,
leaky ReLU)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


ACTIVATION_NAMES = {"step": "step", "sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU",
                    "leaky_relu": "leaky ReLU"}


def _step(x, slope):
    return np.where(x >= 0, 1.0, 0.0)


def _d_step(x, slope):
    return np.where(x == 0, np.nan, 0.0)  # 0 everywhere, undefined at the jump


def _sigmoid(x, slope):
    return 0.5 * (1 + np.tanh(x / 2))  # = 1 / (1 + exp(-x)), without overflow


def _d_sigmoid(x, slope):
    s = _sigmoid(x, slope)
    return s * (1 - s)


def _d_tanh(x, slope):
    return 1 - np.tanh(x) ** 2


def _relu(x, slope):
    return np.maximum(x, 0.0)


def _d_relu(x, slope):
    return np.where(x > 0, 1.0, 0.0)  # Keras's convention at 0: 0


def _leaky(x, slope):
    return np.where(x > 0, x, slope * x)


def _d_leaky(x, slope):
    return np.where(x > 0, 1.0, slope)


_ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "step": (_step, _d_step), "sigmoid": (_sigmoid, _d_sigmoid), "tanh": (lambda x, s: np.tanh(x), _d_tanh),
    "relu": (_relu, _d_relu), "leaky_relu": (_leaky, _d_leaky)}


def _activation_pair(name: str) -> tuple[Callable, Callable]:
    if name not in _ACTIVATIONS:
        raise ValueError(f"`name` must be one of {list(_ACTIVATIONS)}. Received: name={name!r}")
    return _ACTIVATIONS[name]


def activation(name: str, x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """An activation function applied element-wise.

    Args:
        name: "step" (1 where x >= 0, else 0), "sigmoid" (1 / (1 + e^-x)), "tanh", "relu" (max(x, 0)) or
            "leaky_relu" (x where x > 0, else slope * x).
        x: any shape.
        slope: the leaky ReLU's slope for negative x (ignored by the others).

    Returns:
        An array of `x`'s shape.
    """
    return _activation_pair(name)[0](np.asarray(x, dtype=np.float64), slope)


def derivative(name: str, x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """The derivative of `activation(name, x, slope)` with respect to `x`, element-wise.

    At the kink x = 0 the derivative from the left is used, as TensorFlow's gradients do: 0 for ReLU, `slope`
    for leaky ReLU. The step function's derivative is 0 everywhere and undefined (NaN) at x = 0.

    Returns:
        An array of `x`'s shape.
    """
    return _activation_pair(name)[1](np.asarray(x, dtype=np.float64), slope)


def activation_curves(names: list[str], x_max: float = 5.0, slope: float = 0.01, n: int = 401
                      ) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Activation functions and their derivatives on a grid, ready to plot.

    Args:
        names: keys of `ACTIVATION_NAMES`.
        x_max: the grid runs from -x_max to x_max (it always contains 0).
        slope: the leaky ReLU's negative slope.
        n: grid points (odd, so that 0 is one of them).

    Returns:
        `(x, values, derivatives)`: `x` `(n,)`; display name -> `(n,)` arrays. The derivatives of step, ReLU
        and leaky ReLU are NaN at x = 0, where they jump (a gap in a plotted line).
    """
    x = np.linspace(-x_max, x_max, n | 1)
    labels = {name: ACTIVATION_NAMES[name] + (f" (slope {slope:g})" if name == "leaky_relu" else "")
              for name in names}
    slopes = {}
    for k in names:
        slopes[labels[k]] = derivative(k, x, slope)
        if k in ("step", "relu", "leaky_relu"):
            slopes[labels[k]][x == 0] = np.nan  # the slope jumps at 0: leave a gap rather than a vertical line
    return x, {labels[k]: activation(k, x, slope) for k in names}, slopes
