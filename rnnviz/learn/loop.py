"""An RNN is a for-loop: a plain numpy SimpleRNN step by step, its seeded weights and example input, the
table of one step, and the loop's own source (the "An RNN is a for-loop" page).

Conventions, as in the textbooks the pages show: column vectors, `h_t = tanh(W x_t + U h_tm1 + b)` with `W`
`(units, input_size)` and `U` `(units, units)`. Keras stores the transposes: its `kernel` is `W.T` and its
`recurrent_kernel` is `U.T` (it computes `x_t @ kernel + h_tm1 @ recurrent_kernel + bias` on row vectors), which
is the same arithmetic.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rnnviz.config.vocab import CELLS  # noqa: F401  (the cells the Learn pages build)


def check_size(name: str, value: int, lo: int, hi: int = 10_000) -> None:
    """Raises ValueError in Keras's style unless `lo <= value <= hi` is an int."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
        raise ValueError(f"`{name}` must be an int from {lo} to {hi}. Received: {name}={value!r}")


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
    check_size("input_size", input_size, 1)
    check_size("units", units, 1)
    rng = np.random.default_rng(seed)
    limit = np.sqrt(6 / (input_size + units))
    W = rng.uniform(-limit, limit, (units, input_size))
    U, _ = np.linalg.qr(rng.standard_normal((units, units)))
    b = rng.uniform(-0.5, 0.5, units)
    return _float32(W), _float32(U), _float32(b)


def example_input(steps: int, input_size: int, seed: int = 0) -> np.ndarray:
    """A small seeded input `(steps, input_size)`, values in [-1, 1] rounded to one decimal (easy to read)."""
    check_size("steps", steps, 1)
    check_size("input_size", input_size, 1)
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
    check_size("t", t, 1, len(trace.h))
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
