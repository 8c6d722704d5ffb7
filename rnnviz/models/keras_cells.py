"""The cells Keras does not have, as Keras cells: peephole LSTM, CIFG LSTM and the minimal gated unit (MGU).

Each is a cell for `keras.layers.RNN(cell)` (so masking, `return_sequences`, `go_backwards`, stacking and
`Bidirectional` come from Keras's own RNN layer), written with `keras.ops` only, so it runs on every Keras
backend. All three are registered with `keras.saving.register_keras_serializable("rnnviz")`: a `.keras` file
holding them loads with `safe_mode=True` once this module is imported (`rnnviz.models` and `rnnviz.store`
import it).

- `PeepholeLSTMCell` (Gers and Schmidhuber, 2000): the input and forget gates also read the old cell
  `c_tm1`, the output gate reads the new cell `c`, each through a diagonal (one weight per unit) peephole:
  `i = rec_act(x W_i + h_tm1 U_i + b_i + p_i * c_tm1)`, `f = rec_act(... + p_f * c_tm1)`,
  `c_hat = act(x W_c + h_tm1 U_c + b_c)`, `c = f * c_tm1 + i * c_hat`, `o = rec_act(... + p_o * c)`,
  `h = o * act(c)`. Weights: kernel `(in, 4u)` and recurrent kernel `(u, 4u)` in Keras's gate order
  i, f, c, o; bias `(4u,)`; `input_peephole`, `forget_peephole`, `output_peephole` `(u,)` each:
  `4u(in + u) + 4u + 3u` parameters.
- `CIFGLSTMCell` (coupled input and forget gate): no input-gate weights, `i = 1 - f`: whatever is forgotten
  is replaced. Kernel `(in, 3u)` and recurrent kernel `(u, 3u)` in the order f, c, o; bias `(3u,)`:
  `3u(in + u) + 3u` parameters.

- `MGUCell` (minimal gated unit, Zhou et al., 2016): one forget gate and one state,
  `f = rec_act(x W_f + h_tm1 U_f + b_f)`, `h_hat = act(x W_h + (f * h_tm1) U_h + b_h)`,
  `h = (1 - f) * h_tm1 + f * h_hat`. Kernel `(in, 2u)` and recurrent kernel `(u, 2u)` in the order f, h;
  bias `(2u,)`: `2u(in + u) + 2u` parameters.

The LSTM variants start the forget-gate bias at 1 (`unit_forget_bias`, as Keras's LSTM) and take Keras's `dropout` and
`recurrent_dropout` (one mask per sequence, as Keras's cells).
"""

from __future__ import annotations

import keras
from keras import activations, initializers, layers, ops
# Keras's own mixin for cell dropout: `keras.layers.RNN` creates and resets the masks of cells that inherit
# it (before its step loop, which keeps the loop stateless on JAX); there is no public name for it
from keras.src.layers.rnn.dropout_rnn_cell import DropoutRNNCell

from rnnviz.config import cells


class _VariantCell(layers.Layer, DropoutRNNCell):
    """What both variants share: settings, dropout, the two states (h, c), the config."""

    n_blocks = 4  # weight blocks side by side in the kernel, recurrent kernel and bias
    forget_block = 1  # the block whose bias starts at 1 with `unit_forget_bias`

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid", use_bias: bool = True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias: bool = True, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, seed: int | None = None, **kwargs):
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"`units` must be a positive int. Received: units={units!r}")
        super().__init__(**kwargs)
        self.units = units
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.unit_forget_bias = unit_forget_bias
        self.dropout = min(1.0, max(0.0, dropout))
        self.recurrent_dropout = min(1.0, max(0.0, recurrent_dropout))
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed=seed)
        self.state_size = [units, units]  # h, c
        self.output_size = units

    def build(self, input_shape) -> None:
        super().build(input_shape)
        u, n = self.units, self.n_blocks
        self.kernel = self.add_weight(shape=(input_shape[-1], n * u), name="kernel",
                                      initializer=self.kernel_initializer)
        self.recurrent_kernel = self.add_weight(shape=(u, n * u), name="recurrent_kernel",
                                                initializer=self.recurrent_initializer)
        self.bias = None
        if self.use_bias:
            def bias_init(shape, dtype=None):  # zeros (the initializer), ones for the forget gate
                blocks = [self.bias_initializer((u,), dtype=dtype) for _ in range(n)]
                if self.unit_forget_bias:
                    blocks[self.forget_block] = ops.ones((u,), dtype=dtype)
                return ops.concatenate(blocks)

            self.bias = self.add_weight(shape=(n * u,), name="bias", initializer=bias_init)

    def _projections(self, inputs, h_tm1, training: bool) -> list:
        """`x W + h_tm1 U + b`, split into the cell's blocks, with dropout when training."""
        if training and 0.0 < self.dropout < 1.0:
            inputs = inputs * self.get_dropout_mask(inputs)
        if training and 0.0 < self.recurrent_dropout < 1.0:
            h_tm1 = h_tm1 * self.get_recurrent_dropout_mask(h_tm1)
        z = ops.matmul(inputs, self.kernel) + ops.matmul(h_tm1, self.recurrent_kernel)  # (batch, n*u)
        if self.use_bias:
            z = z + self.bias
        return ops.split(z, self.n_blocks, axis=-1)

    def get_initial_state(self, batch_size=None) -> list:
        return [ops.zeros((batch_size, d), dtype=self.compute_dtype) for d in self.state_size]

    def get_config(self) -> dict:
        config = {"units": self.units, "activation": activations.serialize(self.activation),
                  "recurrent_activation": activations.serialize(self.recurrent_activation),
                  "use_bias": self.use_bias, "unit_forget_bias": self.unit_forget_bias,
                  "kernel_initializer": initializers.serialize(self.kernel_initializer),
                  "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                  "bias_initializer": initializers.serialize(self.bias_initializer),
                  "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout, "seed": self.seed}
        return {**super().get_config(), **config}


@keras.saving.register_keras_serializable(package="rnnviz")
class PeepholeLSTMCell(_VariantCell):
    """An LSTM cell whose gates see the cell state through diagonal peepholes (see the module docstring).

    Args: as `keras.layers.LSTMCell` (units, activation, recurrent_activation, use_bias, initializers,
    unit_forget_bias, dropout, recurrent_dropout, seed), plus `peephole_initializer` (default the
    kernel's, Glorot uniform, as TensorFlow's old `PeepholeLSTMCell`).
    """

    def __init__(self, units: int, peephole_initializer=None, **kwargs):
        super().__init__(units, **kwargs)
        self.peephole_initializer = initializers.get(peephole_initializer or self.kernel_initializer)

    def build(self, input_shape) -> None:
        super().build(input_shape)
        for k, name in enumerate(("input_peephole", "forget_peephole", "output_peephole")):  # (u,) each: diagonal
            setattr(self, name, self.add_weight(shape=(self.units,), name=name,
                                                initializer=_own_draw(self.peephole_initializer, k)))

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        z_i, z_f, z_c, z_o = self._projections(inputs, h_tm1, training)
        i = self.recurrent_activation(z_i + self.input_peephole * c_tm1)
        f = self.recurrent_activation(z_f + self.forget_peephole * c_tm1)
        c = f * c_tm1 + i * self.activation(z_c)
        o = self.recurrent_activation(z_o + self.output_peephole * c)
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self) -> dict:
        return {**super().get_config(), "peephole_initializer": initializers.serialize(self.peephole_initializer)}


def _own_draw(initializer, k: int):
    """A copy of `initializer` that draws its own values: one initializer object gives the same values at every
    call (Keras fixes an unseeded one's seed when it is made), so three peepholes would start equal."""
    config = initializer.get_config()
    if "seed" not in config:  # zeros, ones, constants: nothing to draw
        return initializer
    seed = config["seed"]
    return type(initializer).from_config({**config, "seed": None if seed is None else seed + k})


@keras.saving.register_keras_serializable(package="rnnviz")
class CIFGLSTMCell(_VariantCell):
    """An LSTM cell with coupled input and forget gates, `i = 1 - f` (see the module docstring).

    Args: as `keras.layers.LSTMCell`. The kernel, recurrent kernel and bias hold the blocks f, c, o.
    """

    n_blocks = 3
    forget_block = 0

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        z_f, z_c, z_o = self._projections(inputs, h_tm1, training)
        f = self.recurrent_activation(z_f)
        c = f * c_tm1 + (1.0 - f) * self.activation(z_c)  # i = 1 - f
        o = self.recurrent_activation(z_o)
        h = o * self.activation(c)
        return h, [h, c]


@keras.saving.register_keras_serializable(package="rnnviz")
class MGUCell(_VariantCell):
    """A minimal gated unit (Zhou et al., 2016): one forget gate, one state (see the module docstring).

    Args: as `keras.layers.GRUCell` (units, activation, recurrent_activation, use_bias, initializers, dropout,
    recurrent_dropout, seed). The kernel, recurrent kernel and bias hold the blocks f, h. The bias starts at 0
    (`unit_forget_bias=False`: f near 0.5).
    """

    n_blocks = 2
    forget_block = 0

    def __init__(self, units: int, unit_forget_bias: bool = False, **kwargs):
        super().__init__(units, unit_forget_bias=unit_forget_bias, **kwargs)
        self.state_size = [units]

    def call(self, inputs, states, training=False):
        h_tm1 = states[0]
        if training and 0.0 < self.dropout < 1.0:
            inputs = inputs * self.get_dropout_mask(inputs)
        if training and 0.0 < self.recurrent_dropout < 1.0:
            h_tm1 = h_tm1 * self.get_recurrent_dropout_mask(h_tm1)
        x_f, x_h = ops.split(ops.matmul(inputs, self.kernel) + (self.bias if self.use_bias else 0.0), 2, axis=-1)
        u_f, u_h = ops.split(self.recurrent_kernel, 2, axis=-1)  # (u, u) each
        f = self.recurrent_activation(x_f + ops.matmul(h_tm1, u_f))
        h_hat = self.activation(x_h + ops.matmul(f * h_tm1, u_h))
        h = (1.0 - f) * states[0] + f * h_hat
        return h, [h]


def cell_layer(cell: str, units: int, return_sequences: bool = False, name: str | None = None,
               **cell_kwargs) -> layers.RNN:
    """`keras.layers.RNN` around a new cell of ours (a registry row whose `keras` names a registered cell).

    Args:
        cell: a `rnnviz.config.cells` name whose row is `ours`, e.g. "lstm_peephole" or "mgu".
        units: units of the cell.
        return_sequences, name: as for any Keras RNN layer.
        **cell_kwargs: the cell's other arguments (activation, dropout, recurrent_dropout, initializers, ...).

    Returns:
        The (unbuilt) layer.
    """
    ours = [c.name for c in cells.CELLS.values() if c.ours]
    if cell not in ours:
        raise ValueError(f"`cell` must be one of {ours}. Received: cell={cell!r}")
    cls = keras.saving.get_registered_object(cells.CELLS[cell].keras)
    return layers.RNN(cls(units, **cell_kwargs), return_sequences=return_sequences, name=name)


def cell_kind(layer) -> str | None:
    """The cell name of a recurrent layer ("lstm", ..., "mgu"), looking through a `Bidirectional` wrapper;
    None for anything else (a non-recurrent layer, a cell of another kind)."""
    inner = layer.forward_layer if isinstance(layer, layers.Bidirectional) else layer
    if not isinstance(inner, layers.RNN):
        return None
    found = cells.by_keras_cell(type(inner.cell).__name__)
    return found.name if found is not None and type(inner.cell).__module__.startswith(
        ("keras.", "rnnviz.")) else None


def param_rows(input_size: int, units: int, kinds: tuple[str, ...] = cells.LSTM_FAMILY) -> list[dict]:
    """Weights of one layer of each cell, side by side (Keras's LSTM beside its variants), for the Learn page.

    Args:
        input_size: features per step (n).
        units: hidden units (u).
        kinds: `vocab.CELLS` names, in the order of the rows.

    Returns:
        One dict per cell: `cell` (label), `formula` (in n and u), `parameters` (equal to Keras's `count_params`).
    """
    for name, value in (("input_size", input_size), ("units", units)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"`{name}` must be a positive int. Received: {name}={value!r}")
    return [{"cell": cells.row(c).label, "formula": cells.row(c).formula,
             "parameters": cells.row(c).params(input_size, units)} for c in kinds]
