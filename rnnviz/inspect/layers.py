"""What the Inspect pages compute about one recurrent layer: its directions and arrays, PCA paths over many
samples, the range of each array, saturation (the one definition, which Compare uses too), means over units,
the layer's equations, and a model at an earlier epoch from its stored weights. No Streamlit here.

Sample picking and step labels are in `rnnviz.inspect.samples`, "when did it know?" in `rnnviz.inspect.readout`, forecast
errors by horizon in `rnnviz.training.metrics`. Every number comes from `rnnviz.probe` (the exact recompute of each
layer) or from the model's own layers.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from rnnviz.models import keras_cells
from rnnviz import probe
from rnnviz.inspect import samples
from rnnviz.config import cells
from rnnviz.config import vocab
from rnnviz.config import RunConfig


def directions(cfg: RunConfig) -> list[str]:
    """The directions a layer can be looked at in: "forward" and "backward", or "" (one direction)."""
    return ["forward", "backward"] if cfg.bidirectional else [""]


def layer_gates(p: probe.LayerProbe, direction: str = "") -> dict[str, np.ndarray]:
    """One direction's arrays of a probed layer (keys without the `forward/` prefix), `(batch, time, units)`."""
    if not direction:
        return dict(p.gates)
    prefix = f"{direction}/"
    out = {k[len(prefix):]: v for k, v in p.gates.items() if k.startswith(prefix)}
    if not out:
        raise ValueError(f"`direction` must be 'forward' or 'backward' for layer {p.name!r}, which has keys "
                         f"{sorted(p.gates)}. Received: direction={direction!r}")
    return out


def fit_state_pca(h: np.ndarray, mask: np.ndarray | None = None, k: int = 3) -> probe.PCA:
    """A PCA of many samples' hidden states, fitted once so that every path is drawn on the same axes.

    Args:
        h: hidden states `(batch, time, units)`.
        mask: bool `(batch, time)`: only these steps are used (padding would pile up at the start state).
        k: components.
    """
    flat = h[np.asarray(mask, bool)] if mask is not None else h.reshape(-1, h.shape[-1])  # (steps, units)
    return probe.pca(flat, k=k)


def project_paths(fit: probe.PCA, h: np.ndarray, mask: np.ndarray | None = None
                  ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each sample's path on the PCA axes: `(steps kept (n,), coordinates (n, k))`, masked steps left out."""
    coords = fit.transform(h)  # (batch, time, k)
    return [(steps, coords[b, steps]) for b in range(len(h))
            for steps in [samples.visible_steps(None if mask is None else mask[b], h.shape[1])]]


def variance_shares(fit: probe.PCA, h: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """The share of these states' own variance that lies along each of a PCA's (fixed) axes.

    For the states the PCA was fitted on this is its `explained_variance_ratio`; for other states (e.g. the
    same samples at an earlier epoch, drawn on the trained model's axes) it says how much of *them* the axes
    show, which may be far less.

    Args:
        fit: a PCA (`fit_state_pca`).
        h: hidden states `(batch, time, units)`.
        mask: bool `(batch, time)`: only these steps count.

    Returns:
        `(k,)` shares in [0, 1] (their sum is at most 1); zeros for states that do not vary.
    """
    flat = np.asarray(h[np.asarray(mask, bool)] if mask is not None else h.reshape(-1, h.shape[-1]), np.float64)
    centred = flat - flat.mean(axis=0)  # (steps, units), about these states' own mean
    total = (centred ** 2).sum()
    along = ((centred @ fit.components.T) ** 2).sum(axis=0)  # (k,)
    return along / total if total > 0 else np.zeros(len(fit.components))


def activation_name(fn) -> str:
    """A Keras activation's name, e.g. "tanh"."""
    return getattr(fn, "__name__", str(fn))


def cell_layer(layer: layers.Layer) -> layers.Layer:
    """The layer's Keras cell (`LSTMCell`, ..., `rnnviz.models.keras_cells.CIFGLSTMCell`): its units, activations and weights
    (a Bidirectional wrapper's forward cell; both directions share settings)."""
    return (layer.forward_layer if isinstance(layer, layers.Bidirectional) else layer).cell


def _kind(layer: layers.Layer) -> str:
    """The layer's `vocab.CELLS` name (`keras_cells.cell_kind`), or a ValueError naming the layer."""
    kind = keras_cells.cell_kind(layer)
    if kind is None:
        raise ValueError(f"`layer` must be a recurrent layer of a known cell. Received: layer={layer.name!r}")
    return kind


def value_ranges(layer: layers.Layer) -> dict[str, tuple[float | None, float | None]]:
    """The range each of the layer's arrays can take, from its activations: key -> `(low, high)`, None = open.

    E.g. an LSTM with tanh: gates `(0, 1)`, `c_hat` and `h` `(-1, 1)`, the cell state `c` unbounded.
    """
    cell = cell_layer(layer)
    act = vocab.RANGES.get(activation_name(cell.activation), (None, None))
    rec = vocab.RANGES.get(activation_name(getattr(cell, "recurrent_activation", None)), (None, None))
    kind = _kind(layer)
    out = {key: rec for key in vocab.GATES[kind]}
    out.update({key: act for key in vocab.CANDIDATES[kind]})
    out.update(h=act, c=(None, None), a=(None, None))  # LSTM: h = o * act(c) with o in (0, 1)
    return out


def saturation_rows(g: dict[str, np.ndarray], layer: layers.Layer, gates_only: bool = False) -> list[dict]:
    """How often each gate (and candidate) sits at the flat ends of its activation, NaN (masked) left out.

    The one definition of saturation, used by the Gates page and by Compare (`compare.gate_saturation`).
    Gates use their `recurrent_activation` (sigmoid: < 0.1 closed, > 0.9 open); candidates and a SimpleRNN's
    state use `activation` (tanh: < −0.9 and > 0.9, where the slope is below 0.2 and gradients fade); the
    thresholds are `vocab.SATURATION`'s.

    Args:
        g: key -> values of one layer and direction (`layer_gates`), any shape.
        layer: the Keras layer (its activations pick the thresholds).
        gates_only: leave out the candidates (and a SimpleRNN's state).

    Returns:
        One dict per array: `key`, `name`, `activation`, `low`, `high` (shares in [0, 1]), `low_label`,
        `high_label`. Arrays whose activation has no flat end (linear) are left out.
    """
    cell = cell_layer(layer)
    kind = _kind(layer)
    rows = []
    for keys, fn in ((vocab.GATES[kind], getattr(cell, "recurrent_activation", None)),
                     (() if gates_only else vocab.CANDIDATES[kind], cell.activation)):
        name = activation_name(fn)
        if name not in vocab.SATURATION:
            continue
        lo, hi, lo_label, hi_label = vocab.SATURATION[name]
        for key in keys:
            low, high = probe.saturation(g[key], lo, hi)
            rows.append({"key": key, "name": vocab.NAMES[key], "activation": name, "low": low, "high": high,
                         "low_label": lo_label, "high_label": hi_label})
    return rows


def saturated_share(arr: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Per step, the share of units outside `[lo, hi]`: `(time,)` from `(time, units)` (NaN where masked)."""
    arr = np.asarray(arr, np.float64)
    valid = ~np.isnan(arr)
    n = valid.sum(axis=-1)
    out = ((arr < lo) | (arr > hi)).sum(axis=-1) / np.maximum(n, 1)
    return np.where(n > 0, out, np.nan)


def unit_means(g: dict[str, np.ndarray], keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Mean over units at each step, `(time,)` per key, from `(time, units)` arrays (NaN where masked)."""
    out = {}
    for key in keys:
        arr = np.asarray(g[key], np.float64)
        n = (~np.isnan(arr)).sum(axis=-1)
        out[key] = np.where(n > 0, np.nansum(arr, axis=-1) / np.maximum(n, 1), np.nan)
    return out


def cell_equations(layer: layers.Layer) -> str:
    """The equations `probe.gates` computes for this layer, in LaTeX, with its own activations."""
    cell, kind = cell_layer(layer), _kind(layer)
    tex = {"tanh": r"\tanh", "sigmoid": r"\sigma", "hard_sigmoid": r"\sigma_{\mathrm{hard}}",
           "relu": r"\mathrm{relu}", "linear": "", "softsign": r"\mathrm{softsign}"}
    act = tex.get(activation_name(cell.activation), rf"\mathrm{{{activation_name(cell.activation)}}}")
    rec = tex.get(activation_name(getattr(cell, "recurrent_activation", None)), r"\sigma")
    row = cells.row(kind)
    off = tuple(a for a in ((row.alternative or ("",))[0],) if a and not getattr(cell, a, True))
    return row.latex(act, rec, off=off)


def model_at_epoch(model: keras.Model, weights: list[np.ndarray]) -> keras.Model:
    """A copy of `model` holding the weights a snapshot stored (`model.get_weights()` order); no training.

    Raises:
        ValueError: the snapshot does not fit the model (another architecture).
    """
    shapes = [w.shape for w in model.get_weights()]
    if [np.shape(w) for w in weights] != shapes:
        raise ValueError(f"`weights` must match the model's {len(shapes)} weight arrays. "
                         f"Received: {len(weights)} arrays")
    copy = keras.models.clone_model(model)
    copy.set_weights(weights)
    return copy
