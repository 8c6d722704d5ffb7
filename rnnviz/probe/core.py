"""Looks inside trained recurrent layers: gates, hidden states, input gradients, PCA of states.

`gates` recomputes a SimpleRNN, LSTM or GRU layer, an LSTM variant of `rnnviz.models.keras_cells` (peephole, CIFG),
or a Bidirectional wrapper of one, step by step in float64 numpy from the layer's own weights, activations
and padding mask, with the equations of Keras's cells (and of ours), so every picture shows what the network computed (the tests check it against Keras's outputs).
`layer_inputs` reads what each recurrent layer of a model receives, with its mask, from the model's graph.

Masked (padding) steps: Keras leaves the state unchanged there, and a layer's output at a masked step is
its previous output (the carried `h`), or zeros when `zero_output_for_mask` is set (Bidirectional sets it
on both directions when it returns sequences). `gates` carries `h` and `c` through masked steps and fills
the per-step values the cell discarded (gates, candidates, pre-activations) with NaN.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np
from keras import layers

from rnnviz import backend
from rnnviz.config import cells
from rnnviz.models import keras_cells
from rnnviz.probe import steps


def _check_layer(layer) -> None:
    inner = layer.forward_layer if isinstance(layer, layers.Bidirectional) else layer
    if keras_cells.cell_kind(layer) is None:
        raise ValueError("`layer` must be a SimpleRNN, LSTM or GRU layer, an `rnnviz.models.keras_cells` LSTM variant, or a "
                         f"Bidirectional wrapper of one. Received: layer={layer!r}")
    if not inner.built:
        raise ValueError(f"`layer` must be built (called on data) first. Received: layer={layer.name!r}")


def _check_inputs(inputs, mask) -> tuple[np.ndarray, np.ndarray | None]:
    inputs = np.asarray(inputs, np.float64)
    if inputs.ndim != 3:
        raise ValueError(f"`inputs` must be an array (batch, time, features). Received: inputs.shape={inputs.shape}")
    if mask is not None:
        mask = np.asarray(mask, bool)
        if mask.shape != inputs.shape[:2]:
            raise ValueError(f"`mask` must be a bool array (batch, time) = {inputs.shape[:2]}. "
                             f"Received: mask.shape={mask.shape}")
    return inputs, mask


def gates(layer: layers.Layer, inputs: np.ndarray, mask: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Every gate and state of a recurrent layer at every step, recomputed from its weights.

    Equations (Keras's; `act` and `rec_act` are the layer's `activation` and `recurrent_activation`,
    `W` kernel, `U` recurrent kernel, `b` bias, `x_t` input, `h_tm1` and `c_tm1` the previous state):

    - SimpleRNN: `a = x_t W + h_tm1 U + b` (key `a`, the pre-activation), `h = act(a)`.
    - LSTM (gate order i, f, c, o in W, U, b): `i = rec_act(.)`, `f = rec_act(.)`, `c_hat = act(.)`,
      `o = rec_act(.)`, `c = f * c_tm1 + i * c_hat`, `h = o * act(c)`.
    - peephole LSTM (`rnnviz.models.keras_cells.PeepholeLSTMCell`): as the LSTM, with `p_i * c_tm1` added to i's and
      `p_f * c_tm1` to f's pre-activation, and `p_o * c` to o's (c: the new cell state).
    - CIFG LSTM (`rnnviz.models.keras_cells.CIFGLSTMCell`, order f, c, o): as the LSTM with `i = 1 - f`.
    - GRU (order z, r, h): `z`, `r = rec_act(.)`; with `reset_after=True` (bias rows: input, recurrent)
      `h_hat = act(x_t W_h + b_xh + r * (h_tm1 U_h + b_hh))`, else `h_hat = act(x_t W_h + (r * h_tm1) U_h + b_h)`;
      `h = z * h_tm1 + (1 - z) * h_hat`.

    The state starts at zero. At a masked step `h` (and `c`) keep their previous values and every other
    key is NaN (the cell's values there are discarded). Arrays are in input time order, also for
    `go_backwards` layers. Dropout is off, as in inference.

    Args:
        layer: a built `SimpleRNN`, `LSTM` or `GRU` layer, a `keras.layers.RNN` of an `rnnviz.models.keras_cells` variant,
            or a `Bidirectional` wrapper of one.
        inputs: what the layer receives, `(batch, time, features)`.
        mask: optional bool `(batch, time)`, False at padding steps.

    Returns:
        Arrays `(batch, time, units)`: LSTM and its variants `i, f, c_hat, o, c, h`; GRU `z, r, h_hat, h`;
        SimpleRNN `a, h`.
        For a Bidirectional layer the keys are `forward/<key>` and `backward/<key>`, both in input time order.

    Raises:
        ValueError: the layer is not a supported recurrent layer, or the shapes are wrong.
    """
    _check_layer(layer)
    inputs, mask = _check_inputs(inputs, mask)
    if isinstance(layer, layers.Bidirectional):
        return {f"{side}/{key}": value
                for side, sub in (("forward", layer.forward_layer), ("backward", layer.backward_layer))
                for key, value in _layer_gates(sub, inputs, mask).items()}
    return _layer_gates(layer, inputs, mask)


def _layer_gates(layer, inputs: np.ndarray, mask: np.ndarray | None) -> dict[str, np.ndarray]:
    """`gates` for one direction: runs the steps in the layer's reading order, returns input order."""
    if layer.go_backwards:
        inputs, mask = inputs[:, ::-1], None if mask is None else mask[:, ::-1]
    step = getattr(steps, cells.row(keras_cells.cell_kind(layer)).step)
    out = step(layer.cell, inputs, mask)
    if layer.go_backwards:
        out = {key: value[:, ::-1] for key, value in out.items()}
    return {key: np.ascontiguousarray(value) for key, value in out.items()}


def recurrent_layers(model: keras.Model) -> list[layers.Layer]:
    """The model's recurrent layers (SimpleRNN / LSTM / GRU / a variant, or Bidirectional) in graph order
    (`rnn_1`, `rnn_2`, ...)."""
    found = [layer for layer in model.layers if keras_cells.cell_kind(layer) is not None]
    if not found:
        raise ValueError(f"`model` has no SimpleRNN, LSTM or GRU layer. Received: model={model.name!r}")
    return found


def _graph_feed(layer):
    """The symbolic sequence a recurrent layer reads and its mask (None when it gets none)."""
    feed = layer.input  # Keras 3 lists the mask a layer was called with after its input
    if not isinstance(feed, (list, tuple)):
        return feed, None
    if len(feed) != 2 or feed[1].dtype != "bool":
        raise ValueError(f"Layer {layer.name!r} was called with extra inputs (initial states?), which "
                         f"`probe` does not support. Received: {len(feed)} inputs")
    return feed[0], feed[1]


def _as_list(x) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _graph_values(model: keras.Model, x, wanted: list, known: dict[int, tuple]) -> None:
    """Adds the values of symbolic tensors `wanted` to `known` (id -> (tensor, value)), using a Keras
    sub-model of the model's graph fed with the model input and the already `known` tensors."""
    wanted = [t for t in wanted if t is not None and id(t) not in known]
    if wanted:
        given = [tensor for tensor, _ in known.values()]
        sub = keras.Model([*model.inputs, *given], wanted)
        outs = _as_list(sub([*_as_list(x), *(value for _, value in known.values())], training=False))
        known.update({id(t): (t, keras.ops.convert_to_numpy(v)) for t, v in zip(wanted, outs, strict=True)})


def _outputs(layer, g: dict[str, np.ndarray], mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """A layer's per-step outputs (as its `return_sequences=True` output holds them) and its last output."""
    def one(sub, h) -> tuple[np.ndarray, np.ndarray]:  # h: (batch, time, units), input time order
        if mask is not None and sub.zero_output_for_mask:
            h = np.where(mask[..., None], h, 0.0)
        reading = h[:, ::-1] if sub.go_backwards else h
        return (reading if sub is layer else h), reading[:, -1]  # Bidirectional flips backward back

    if not isinstance(layer, layers.Bidirectional):
        return one(layer, g["h"])
    (y, y_last), (y_rev, y_rev_last) = one(layer.forward_layer, g["forward/h"]), one(
        layer.backward_layer, g["backward/h"])
    merge = {"concat": lambda a, b: np.concatenate([a, b], axis=-1), "sum": np.add,
             "ave": lambda a, b: (a + b) / 2, "mul": np.multiply}
    if layer.merge_mode not in merge:
        raise ValueError(f"Bidirectional `merge_mode` must be one of {', '.join(merge)}. "
                         f"Received: merge_mode={layer.merge_mode!r}")
    return merge[layer.merge_mode](y, y_rev), merge[layer.merge_mode](y_last, y_rev_last)


@dataclass(frozen=True)
class LayerProbe:
    """What `probe_model` recomputed for one recurrent layer and one batch.

    Attributes:
        name: the layer's name, e.g. "rnn_1".
        inputs: what the layer receives, `(batch, time, features)`.
        mask: bool `(batch, time)` (False at padding) or None.
        gates: `gates(layer, inputs, mask)`.
        states: per-step outputs `(batch, time, units)` (`2 * units` for Bidirectional concat), as the
            layer's `return_sequences=True` output holds them.
        output: what the layer outputs: `states`, or its last output `(batch, units)` when it does not
            return sequences.
    """

    name: str
    inputs: np.ndarray
    mask: np.ndarray | None
    gates: dict[str, np.ndarray]
    states: np.ndarray
    output: np.ndarray


def probe_model(model: keras.Model, x) -> list[LayerProbe]:
    """Inputs, mask, gates and states of every recurrent layer of a model, in one pass.

    Each layer's input and mask come from a Keras sub-model of the model's own graph (the mask is the
    one Keras passes the layer, e.g. from `Embedding(mask_zero=True)`); recurrent layers are not run by
    Keras: their outputs are recomputed with `gates` and fed on to the layers after them.

    Args:
        model: a functional model (e.g. `StoredRun.load_model()`).
        x: a batch of model inputs, e.g. `(batch, time)` word ids or `(batch, time, features)` values.

    Returns:
        One `LayerProbe` per layer of `recurrent_layers(model)`, in order.
    """
    known: dict[int, tuple] = {}  # id(symbolic tensor) -> (tensor, value)
    probes = []
    for layer in recurrent_layers(model):
        seq_t, mask_t = _graph_feed(layer)
        _graph_values(model, x, [seq_t, mask_t], known)
        seq, mask = known[id(seq_t)][1], None if mask_t is None else known[id(mask_t)][1]
        g = gates(layer, seq, mask)
        states, last = _outputs(layer, g, np.asarray(mask, bool) if mask is not None else None)
        output = states if layer.return_sequences else last
        known[id(layer.output)] = (layer.output, output.astype(np.float32))
        probes.append(LayerProbe(layer.name, seq, mask, g, states, output))
    return probes


def layer_inputs(model: keras.Model, x) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Per recurrent layer: `(inputs (batch, time, features), mask (batch, time) or None)`; see `probe_model`."""
    return [(p.inputs, p.mask) for p in probe_model(model, x)]


def hidden_states(model: keras.Model, inputs) -> list[np.ndarray]:
    """The per-step outputs of every recurrent layer, recomputed with `gates` from the layer inputs.

    Also for layers with `return_sequences=False` (whose last step is then the layer's output; for a
    Bidirectional layer the backward half of that output is its step 0 instead). Masked steps hold the
    previous output, or zeros where `zero_output_for_mask` is on (Bidirectional with return_sequences).

    Args:
        model: a functional model (see `probe_model`).
        inputs: a batch of model inputs (as for `model.predict`).

    Returns:
        Per recurrent layer `(batch, time, units)`; `(batch, time, 2 * units)` for a Bidirectional
        layer (forward, then backward, both in input time order, like Keras's concat).
    """
    return [p.states for p in probe_model(model, inputs)]


OUTPUT = "output"
"""`loss=OUTPUT`: differentiate the model's output itself (its sum over output units), not a loss."""


def _output_sum(y_true, y_pred):
    """The model's output summed over its units, per sample: `(batch,)` (the "loss" whose gradient is the output's)."""
    return keras.ops.sum(keras.ops.reshape(y_pred, (keras.ops.shape(y_pred)[0], -1)), axis=-1)


def input_gradient_fn(model: keras.Model, loss: str | Callable | None = None, features=None
                      ) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """`fn(x, y)` = `input_gradients(model, x, y, loss, features)`, compiled once by the backend and then reused.

    The first call compiles (about a second); later calls run compiled (tens of ms for 256 steps). Pages
    should cache the function per run (it holds no per-user state).
    """
    if loss == OUTPUT:
        per_sample = _output_sum
    else:
        loss = model.loss if loss is None else loss
        if loss is None:
            raise ValueError("`loss` must be given for a model that is not compiled. Received: loss=None")
        loss_fn = keras.losses.get(loss)
        per_sample = loss_fn.call if isinstance(loss_fn, keras.losses.Loss) else loss_fn  # (batch,) losses
    seq_t, mask_t = _graph_feed(recurrent_layers(model)[0])
    feeds = [t for t in (seq_t, mask_t) if t is not None]
    try:
        sub, with_model_input = keras.Model(feeds, model.output), False
    except ValueError:  # the output also depends on the model input through another branch
        sub, with_model_input = keras.Model([*model.inputs, *feeds], model.output), True
    seq_index = len(sub.inputs) - len(feeds)
    gradient = backend.gradient_fn(sub, seq_index, per_sample)  # (batch, time, features)
    pick = slice(None) if features is None else [features] if isinstance(features, int) else features

    def fn(x, y=None) -> np.ndarray:
        known: dict[int, tuple] = {}
        _graph_values(model, x, feeds, known)
        values = [*(_as_list(x) if with_model_input else []), *(known[id(t)][1] for t in feeds)]
        out_shape = (len(values[seq_index]), *model.output.shape[1:])
        y_true = np.zeros(out_shape, np.float32) if y is None else np.asarray(y, np.float32)  # Keras's losses take float targets, also for class ids
        if y_true.size == np.prod(out_shape):  # e.g. (batch,) against (batch, 1), aligned as Keras does
            y_true = y_true.reshape(out_shape)
        return np.linalg.norm(gradient([np.asarray(v) for v in values], y_true)[..., pick], axis=-1)

    return fn


def input_gradients(model: keras.Model, x, y=None, loss: str | Callable | None = None, features=None) -> np.ndarray:
    """How strongly each time step of the first recurrent layer's input moves the loss (or the output).

    The L2 norm over features of d loss / d (input of `rnn_1`), for each sample's own loss (a sum over
    the batch, not the mean, so a sample's values do not depend on the batch it is in). Computed by the
    backend's autodiff (`rnnviz.backend.gradient_fn`) on a Keras sub-model from `rnn_1`'s input (and
    mask) to the model's output; models
    with another branch (e.g. a conv branch beside the RNN) also get the model input. Inference mode
    (no dropout). For repeated calls on one model use `input_gradient_fn`.

    Args:
        model, x, y: a functional model, a batch of its inputs and their targets (as for `model.fit`; `y` is
            not needed with `loss=OUTPUT`).
        loss: a Keras loss name, function or `Loss`; default the model's compiled loss; `OUTPUT` ("output"):
            the model's output itself (summed over its units), which does not fade as the error does.
        features: which input features the norm is taken over (an index, a list or a slice; default all).

    Returns:
        Float32 `(batch, time)`; zero at masked steps (the layer does not read them).
    """
    return input_gradient_fn(model, loss, features)(x, y)


@dataclass(frozen=True)
class PCA:
    """Principal axes of a set of states (fit once, then `transform` anything of the same width).

    Attributes:
        mean: `(units,)`.
        components: `(k, units)`, unit rows, strongest first.
        explained_variance_ratio: `(k,)`, share of the total variance along each component.
    """

    mean: np.ndarray
    components: np.ndarray
    explained_variance_ratio: np.ndarray

    def transform(self, states: np.ndarray) -> np.ndarray:
        """Coordinates of states `(..., units)` on the components: `(..., k)`."""
        return (np.asarray(states, np.float64) - self.mean) @ self.components.T


def pca(states: np.ndarray, k: int = 3) -> PCA:
    """Fits a PCA (`np.linalg.svd` of the centred states) to states `(..., units)`.

    Args:
        states: e.g. hidden states `(batch, time, units)`; all leading axes are pooled into samples.
        k: number of components; fewer when there are fewer units or samples.

    Returns:
        A `PCA` with `k` components.
    """
    flat = np.asarray(states, np.float64).reshape(-1, np.shape(states)[-1])  # (samples, units)
    if flat.shape[0] < 2 or np.isnan(flat).any():
        raise ValueError(f"`states` must hold at least 2 samples and no NaN. Received: shape={np.shape(states)}")
    mean = flat.mean(axis=0)
    _, s, vt = np.linalg.svd(flat - mean, full_matrices=False)
    k = min(k, vt.shape[0])
    variance = s**2
    total = variance.sum()
    ratio = variance[:k] / total if total > 0 else np.zeros(k)
    return PCA(mean, vt[:k], ratio)


def saturation(arr: np.ndarray, lo: float = 0.1, hi: float = 0.9) -> tuple[float, float]:
    """Shares of values below `lo` and above `hi` (NaN, i.e. masked steps, left out).

    Args:
        arr: any array of gate values, e.g. `gates(...)["f"]`; use `lo=-0.9` for tanh-valued arrays.
        lo, hi: the thresholds.

    Returns:
        `(share < lo, share > hi)`, each in [0, 1] (0 and 0 for an array that is all NaN).
    """
    values = np.asarray(arr, np.float64)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return 0.0, 0.0
    return float(np.mean(values < lo)), float(np.mean(values > hi))
