"""Keras layers with seeded weights for the Learn pages: any cell of the registry built and seeded, a SimpleRNN
holding given numpy weights, and every gate of a gated cell on one sequence (through `rnnviz.probe`)."""

from __future__ import annotations

import keras
import numpy as np

from rnnviz import probe
from rnnviz.config import cells, vocab
from rnnviz.learn.loop import check_size
from rnnviz.models.build import cell_layers


def keras_layer(cell: str, input_size: int, units: int, seed: int = 0, forget_bias: float | None = None,
                return_sequences: bool = True) -> "keras.layers.Layer":
    """A built Keras SimpleRNN, LSTM or GRU layer, or an LSTM variant (`rnnviz.models.keras_cells`), with seeded weights.

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
    vocab.check_cell(cell)
    check_size("input_size", input_size, 1)
    check_size("units", units, 1)
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
