"""The maths behind the Learn pages: a recurrent network written as a plain numpy for-loop, activation
functions and their derivatives, and why plain RNNs forget (powers of the recurrent matrix, gradients sent
back through time, an LSTM's cell path).

Everything here is numpy except the Keras builders (`keras_layer`, `keras_simple_rnn`) and `cell_gates`,
which import Keras (and `rnnviz.probe`) only when called. Conventions, as in the textbooks the pages show:
column vectors, `h_t = tanh(W x_t + U h_tm1 + b)` with `W` `(units, input_size)` and `U` `(units, units)`.
Keras stores the transposes: its `kernel` is `W.T` and its `recurrent_kernel` is `U.T` (it computes
`x_t @ kernel + h_tm1 @ recurrent_kernel + bias` on row vectors), which is the same arithmetic.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd

from rnnviz.config import cells, vocab
from rnnviz.config.vocab import CELLS  # noqa: F401  (learn.CELLS: the cells the Learn pages build)

if TYPE_CHECKING:
    import keras

ACTIVATION_NAMES = {"step": "step", "sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU",
                    "leaky_relu": "leaky ReLU"}


def _check_int(name: str, value: int, lo: int, hi: int = 10_000) -> None:
    """Raises ValueError in Keras's style unless `lo <= value <= hi` is an int."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
        raise ValueError(f"`{name}` must be an int from {lo} to {hi}. Received: {name}={value!r}")


# --- An RNN is a for-loop ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RNNTrace:
    """Everything a SimpleRNN computed, step by step (row `t - 1` is time step `t`).

    Attributes:
        x: the inputs `(time, input_size)`.
        wx: `W x_t` `(time, units)`.
        uh: `U h_tm1` `(time, units)`.
        a: the pre-activation `W x_t + U h_tm1 + b` `(time, units)`.
        h: the hidden states `h_t = tanh(a_t)` `(time, units)`.
        h0: the state before the first step `(units,)`.
    """

    x: np.ndarray
    wx: np.ndarray
    uh: np.ndarray
    a: np.ndarray
    h: np.ndarray
    h0: np.ndarray


def simple_rnn(x: np.ndarray, W: np.ndarray, U: np.ndarray, b: np.ndarray,
               h0: np.ndarray | None = None) -> RNNTrace:
    """Runs a SimpleRNN over one sequence with a plain for-loop: `h_t = tanh(W x_t + U h_tm1 + b)`.

    Args:
        x: the inputs `(time, input_size)`.
        W: input weights `(units, input_size)` (Keras's `kernel.T`).
        U: recurrent weights `(units, units)` (Keras's `recurrent_kernel.T`).
        b: bias `(units,)`.
        h0: the state before the first step `(units,)`; zeros (as in Keras) when None.

    Returns:
        An `RNNTrace` with every step's pieces: `W x_t`, `U h_tm1`, the pre-activation and `h_t`.
    """
    x = np.asarray(x, dtype=np.float64)
    units = U.shape[0]
    h0 = np.zeros(units) if h0 is None else np.asarray(h0, dtype=np.float64)
    h_tm1 = h0               # the state before the first step
    steps = []
    for x_t in x:            # one pass per step, same W, U, b
        wx = W @ x_t         # (units,)
        uh = U @ h_tm1       # (units,)
        a_t = wx + uh + b    # (units,) pre-activation
        h_t = np.tanh(a_t)   # (units,) new state
        steps.append((wx, uh, a_t, h_t))
        h_tm1 = h_t          # carried on to the next step
    wx, uh, a, h = (np.array([step[j] for step in steps]).reshape(len(x), units) for j in range(4))
    return RNNTrace(x=x, wx=wx, uh=uh, a=a, h=h, h0=h0)


def _float32(a: np.ndarray) -> np.ndarray:
    """Rounds to float32 and back, so numpy and Keras (float32) start from exactly the same numbers."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def simple_rnn_weights(input_size: int, units: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded random SimpleRNN weights (Glorot-uniform `W`, orthogonal `U`, small random `b`).

    Args:
        input_size: features per step.
        units: hidden units.
        seed: random seed.

    Returns:
        `(W, U, b)`: `(units, input_size)`, `(units, units)`, `(units,)`, float64 values that float32 holds
        exactly (so Keras gets the very same weights).
    """
    _check_int("input_size", input_size, 1)
    _check_int("units", units, 1)
    rng = np.random.default_rng(seed)
    limit = np.sqrt(6 / (input_size + units))
    W = rng.uniform(-limit, limit, (units, input_size))
    U, _ = np.linalg.qr(rng.standard_normal((units, units)))
    b = rng.uniform(-0.5, 0.5, units)
    return _float32(W), _float32(U), _float32(b)


def example_input(steps: int, input_size: int, seed: int = 0) -> np.ndarray:
    """A small seeded input `(steps, input_size)`, values in [-1, 1] rounded to one decimal (easy to read)."""
    _check_int("steps", steps, 1)
    _check_int("input_size", input_size, 1)
    return np.round(np.random.default_rng([seed, 1]).uniform(-1, 1, (steps, input_size)), 1) + 0.0  # no -0.0


def largest_difference(a: np.ndarray, b: np.ndarray) -> float:
    """The largest absolute difference between two arrays of one shape (e.g. numpy's and Keras's states)."""
    return float(np.abs(np.asarray(a) - np.asarray(b)).max(initial=0.0))


def step_table(trace: RNNTrace, t: int, h_keras: np.ndarray | None = None) -> pd.DataFrame:
    """One time step's arithmetic, one row per unit.

    Args:
        trace: a `simple_rnn` result.
        t: the time step, 1-based.
        h_keras: Keras's hidden states `(time, units)`, shown beside numpy's when given.

    Returns:
        Columns `unit`, `h_(t-1)`, `W x_t`, `U h_(t-1)`, `b`, `a_t = sum`, `h_t = tanh(a_t)` (and `Keras h_t`).
    """
    _check_int("t", t, 1, len(trace.h))
    i = t - 1
    h_tm1 = trace.h[i - 1] if i else trace.h0
    b = trace.a[i] - trace.wx[i] - trace.uh[i]
    table = pd.DataFrame({"unit": np.arange(1, trace.h.shape[1] + 1), "h_(t-1)": h_tm1, "W x_t": trace.wx[i],
                          "U h_(t-1)": trace.uh[i], "b": b, "a_t = sum": trace.a[i], "h_t = tanh(a_t)": trace.h[i]})
    if h_keras is not None:
        table["Keras h_t"] = h_keras[i]
    return table


def loop_source() -> str:
    """The lines of `simple_rnn` that do the work (its for-loop), as source text to show beside the numbers."""
    lines = inspect.getsource(simple_rnn).splitlines()
    start = next(k for k, line in enumerate(lines) if "h_tm1 = h0" in line)
    end = next(k for k, line in enumerate(lines) if "h_tm1 = h_t" in line)
    return inspect.cleandoc("\n".join(lines[start:end + 1]))


# --- Activation functions --------------------------------------------------------------------------------


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


# --- Why plain RNNs forget -------------------------------------------------------------------------------


def leaky_relu_note(slope: float) -> str:
    """What leaky ReLU with this negative-side slope does for learning, in one sentence or two (the Learn page's
    bullet): no dead units only for a slope above 0, no bend at all at slope 1."""
    if slope <= 0:
        return ("**Leaky ReLU** keeps a slope for x < 0 (the slider), but at slope 0 it *is* ReLU: a unit whose "
                "input stays negative gets no gradient and can die. Any slope above 0 keeps every unit learning.")
    if slope >= 1:
        return ("**Leaky ReLU** keeps a slope for x < 0 (the slider). With slope 1 it is a straight line: no unit "
                "dies, but there is no bend at all, and stacked layers collapse into one.")
    return (f"**Leaky ReLU** keeps a small slope for x < 0 (the slider, {slope:g}), so no unit is ever completely "
            "dead: every input still passes some gradient. At slope 0 it would be ReLU again; at slope 1 a "
            "straight line, with no bend at all.")


def recurrent_matrix(units: int, radius: float, seed: int = 0) -> np.ndarray:
    """A seeded random recurrent matrix scaled to a given spectral radius.

    Args:
        units: its size.
        radius: the spectral radius wanted (the largest |eigenvalue|), > 0.
        seed: random seed.

    Returns:
        `U` `(units, units)`: Gaussian entries (std 1 / sqrt(units)) times `radius / max|eig|`.
    """
    _check_int("units", units, 1)
    if not radius > 0:
        raise ValueError(f"`radius` must be a positive number. Received: radius={radius!r}")
    W = np.random.default_rng(seed).standard_normal((units, units)) / np.sqrt(units)
    return W * (radius / spectral_radius(W))


def eigenvalues(W: np.ndarray) -> np.ndarray:
    """The eigenvalues of a square matrix `(n, n)`: complex `(n,)`, sorted by decreasing |eigenvalue|."""
    eig = np.linalg.eigvals(W)
    return eig[np.argsort(-np.abs(eig), kind="stable")]


def spectral_radius(W: np.ndarray) -> float:
    """The largest |eigenvalue| of a square matrix."""
    return float(np.abs(np.linalg.eigvals(W)).max())


def power_norms(W: np.ndarray, n_max: int) -> np.ndarray:
    """The spectral norm (largest singular value) of each power of a matrix.

    Args:
        W: a square matrix `(units, units)`.
        n_max: the highest power.

    Returns:
        `(n_max,)`: entry `n - 1` is `||W^n||_2` for n = 1..n_max. For large n it behaves like
        `spectral_radius(W)^n`: it shrinks to 0 below radius 1 and grows without bound above it.
    """
    _check_int("n_max", n_max, 1)
    norms, P = [], np.eye(len(W))
    for _ in range(n_max):  # one matrix product per power
        P = P @ W
        norms.append(np.linalg.norm(P, 2))
    return np.array(norms)


def jacobian_norms(h: np.ndarray, U: np.ndarray) -> np.ndarray:
    """How much a gradient can grow or shrink when sent back n steps through a tanh RNN.

    For `h_t = tanh(W x_t + U h_tm1 + b)` the Jacobian of one step is `J_t = d h_t / d h_tm1 =
    diag(1 - h_t^2) U`. A gradient at the last step T reaches step T - n as
    `dL/dh_(T-n) = (J_T J_(T-1) ... J_(T-n+1))^T dL/dh_T` (each factor transposed is `U^T diag(1 - h_t^2)`).
    This returns the spectral norm of that product, i.e. the largest factor by which the length of any
    gradient vector at step T is multiplied on its way back to step T - n.

    Args:
        h: the hidden states of a real forward run `(time, units)` (`RNNTrace.h`).
        U: the recurrent weights `(units, units)`.

    Returns:
        `(time,)`: entry `n - 1` is `||d h_T / d h_(T-n)||_2` for n = 1..time.
    """
    norms, P = [], np.eye(len(U))
    for h_t in h[::-1]:                    # from the last step backwards
        P = P @ ((1 - h_t ** 2)[:, None] * U)  # P = J_T ... J_t
        norms.append(np.linalg.norm(P, 2))
    return np.array(norms)


def memory_rnn(units: int, radius: float, steps: int, input_scale: float = 0.1, seed: int = 0
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A tanh RNN for the forgetting experiment: random recurrent weights of a given spectral radius, one
    random input per step, no bias.

    Args:
        units: hidden units.
        radius: spectral radius of `U`.
        steps: sequence length.
        input_scale: std of the input weights `W` (0: the state stays at 0 and the RNN acts linearly).
        seed: random seed.

    Returns:
        `(x, W, U, b)`: inputs `(steps, 1)` drawn from N(0, 1), `W` `(units, 1)`, `U` `(units, units)`,
        `b` zeros `(units,)`; ready for `simple_rnn`.
    """
    _check_int("steps", steps, 1)
    U = recurrent_matrix(units, radius, seed)
    rng = np.random.default_rng(seed + 1)
    return rng.standard_normal((steps, 1)), input_scale * rng.standard_normal((units, 1)), U, np.zeros(units)


def forget_path(f: np.ndarray) -> np.ndarray:
    """An LSTM's cell path: `d c_T / d c_(T-n)` along the cell state alone, for n = 1..time.

    `c_t = f_t * c_tm1 + i_t * c_hat_t`, so along the cell state (ignoring the paths through `h`, which
    the gates read) `d c_t / d c_tm1 = diag(f_t)` and n steps back it is the product of n forget gates.

    Args:
        f: the forget gates of a real run `(time, units)`.

    Returns:
        `(time, units)`: row `n - 1` is `f_T * f_(T-1) * ... * f_(T-n+1)` for each unit; the norm of that
        diagonal Jacobian is the row's maximum.
    """
    return np.cumprod(np.asarray(f, dtype=np.float64)[::-1], axis=0)


# --- Keras layers with seeded weights --------------------------------------------------------------------


def keras_layer(cell: str, input_size: int, units: int, seed: int = 0, forget_bias: float | None = None,
                return_sequences: bool = True) -> "keras.layers.Layer":
    """A built Keras SimpleRNN, LSTM or GRU layer, or an LSTM variant (`rnnviz.models.cells`), with seeded weights.

    Args:
        cell: a `rnnviz.config.cells` name ("simple_rnn", "lstm", "gru", "lstm_peephole", "lstm_cifg", "mgu").
        input_size: features per step.
        units: hidden units.
        seed: seeds the kernel (Glorot uniform), recurrent kernel (orthogonal) and bias (uniform in
            [-0.5, 0.5], so the gates differ from the start; Keras would start the biases at 0).
        forget_bias: LSTM (and variants) only: the value every forget-gate bias is set to; None means 1, as
            Keras's `unit_forget_bias=True` does. A peephole LSTM's peepholes are seeded like the kernel.
        return_sequences: return every step's output (True) or only the last.

    Returns:
        The layer, built for inputs `(batch, time, input_size)`.
    """
    import keras

    from rnnviz.models.build import cell_layers

    vocab.check_cell(cell)
    _check_int("input_size", input_size, 1)
    _check_int("units", units, 1)
    layer = cell_layers(cell)(units, return_sequences=return_sequences,
                 kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
                 recurrent_initializer=keras.initializers.Orthogonal(seed=seed + 1))
    layer.build((None, None, input_size))
    bias = np.random.default_rng(seed + 2).uniform(-0.5, 0.5, layer.cell.bias.shape)
    if cells.row(cell).keep == "f":  # an LSTM's forget gate: Keras's block order i, f, c, o (a CIFG's f, c, o)
        f = getattr(layer.cell, "forget_block", 1) * units
        bias[f:f + units] = 1.0 if forget_bias is None else forget_bias
    layer.cell.bias.assign(bias.astype("float32"))
    return layer


def keras_simple_rnn(W: np.ndarray, U: np.ndarray, b: np.ndarray) -> "keras.layers.Layer":
    """A Keras `SimpleRNN` (tanh, `return_sequences=True`) holding the given numpy weights.

    Args:
        W: `(units, input_size)`; U: `(units, units)`; b: `(units,)` (the column-vector convention of
            `simple_rnn`; Keras receives the transposes).

    Returns:
        The built layer; `layer(x[None])[0]` is `simple_rnn(x, W, U, b).h` up to float32 rounding.
    """
    layer = keras_layer("simple_rnn", W.shape[1], W.shape[0])
    layer.set_weights([W.T, U.T, b])
    return layer


def keras_states(layer: "keras.layers.Layer", x: np.ndarray) -> np.ndarray:
    """A layer's outputs for one sequence: `x` `(time, input_size)` -> `(time, units)` float64."""
    import keras

    out = layer(np.asarray(x, dtype=np.float32)[None])
    return keras.ops.convert_to_numpy(out).astype(np.float64)[0]  # PyTorch's output needs a detach first


def cell_gates(cell: str, x: np.ndarray, units: int, seed: int = 0,
               forget_bias: float | None = None) -> dict[str, np.ndarray]:
    """A seeded Keras layer of a gated cell run on one sequence, with every gate (via `rnnviz.probe.gates`).

    Args:
        cell: a cell with gates ("lstm", "lstm_peephole", "lstm_cifg", "gru", "mgu").
        x: the inputs `(time, input_size)`.
        units: hidden units.
        seed: weight seed (see `keras_layer`).
        forget_bias: LSTM only, see `keras_layer`.

    Returns:
        `(time, units)` arrays, the cell's `keys`: e.g. LSTM `i, f, c_hat, o, c, h`; GRU `z, r, h_hat, h`.
    """
    from rnnviz import probe

    gated = [c.name for c in cells.CELLS.values() if c.gated]
    if cell not in gated:
        raise ValueError(f"`cell` must be a cell with gates, one of {gated}. Received: cell={cell!r}")
    x = np.asarray(x, dtype=np.float32)
    layer = keras_layer(cell, x.shape[1], units, seed, forget_bias)
    return {k: np.asarray(v, dtype=np.float64)[0] for k, v in probe.gates(layer, x[None]).items()}


def step_equations(cell: str, gates: dict[str, np.ndarray], t: int, unit: int) -> str:
    """LaTeX for one unit's state update at step t with the numbers filled in (the cell's `update`).

    Args:
        cell: a cell with gates (see `cell_gates`).
        gates: `cell_gates`' result, `(time, units)` arrays.
        t: the time step, 1-based.
        unit: the unit, 1-based.
    """
    row = cells.row(cell)
    i, k = t - 1, unit - 1
    values = {name: float(value[i, k]) for name, value in gates.items()}
    values[f"{row.memory}_tm1"] = float(gates[row.memory][i - 1, k]) if i else 0.0
    return row.step_latex(values, t)
