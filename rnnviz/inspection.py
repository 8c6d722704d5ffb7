"""What the Inspect pages compute: samples and their step labels, PCA paths over many samples, gate summaries,
the prediction after each step ("when did it know?"), forecast error against the horizon, a model at an
earlier epoch from its stored weights, and typed reviews encoded as the dataset was. No Streamlit here.

Every number comes from `rnnviz.probe` (the exact recompute of each layer) or from the model's own layers.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from keras import layers

from rnnviz import datasets, probe, vocab
from rnnviz.config import ImdbData, RunConfig
from rnnviz.data import Dataset

_BLAS_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
                 "openblas_set_num_threads64_", "openblas_set_num_threads")


def limit_blas_threads(n: int = 1) -> bool:
    """Caps the OpenBLAS threads numpy uses (what `OPENBLAS_NUM_THREADS` does at start-up, but later).

    The probe's per-step matmuls are tiny; on a 2-core machine where TensorFlow's threads also run, OpenBLAS's
    spinning threads made `probe.gates` 3-20x slower and erratic (e.g. 18 vs 5 ms for 256 steps x 128 units,
    0.7 s vs 30 ms for a batch of 80). Streamlit imports numpy before the app's code, so the environment
    variable comes too late there.

    Returns:
        True when an OpenBLAS library was found and capped (False elsewhere, e.g. macOS Accelerate).
    """
    import ctypes
    from pathlib import Path

    maps = Path("/proc/self/maps")
    if not maps.is_file():
        return False
    libs = {line.split()[-1] for line in maps.read_text().splitlines()
            if "openblas" in line.lower() and line.split()[-1].startswith("/")}
    done = False
    for path in sorted(libs):
        lib = ctypes.CDLL(path)
        setter = next((getattr(lib, s) for s in _BLAS_SETTERS if hasattr(lib, s)), None)
        if setter is not None:
            setter(n)
            done = True
    return done


# ---------------------------------------------------------------- samples


def inspect_split(ds: Dataset) -> tuple[np.ndarray, np.ndarray, str]:
    """The samples the Inspect pages show: the test set when there is one, else the validation windows.

    Returns:
        `(x, y, name)`: inputs, targets and "test" or "validation".
    """
    if ds.x_test is not None:
        return ds.x_test, ds.y_test, "test"
    return ds.x_val, ds.y_val, "validation"


def class_indices(y: np.ndarray, cls: int | None) -> np.ndarray:
    """Indices of the samples of class `cls` (all samples when None)."""
    y = np.asarray(y).reshape(len(y), -1)[:, 0]
    return np.arange(len(y)) if cls is None else np.flatnonzero(y.astype(int) == cls)


def fit_indices(y: np.ndarray, n_classes: int, n: int = 80, seed: int = 0) -> np.ndarray:
    """A fixed set of samples to fit a PCA on and overlay: `n // n_classes` of each class, or `n` evenly
    spaced samples for regression (`n_classes` 0). Sorted int `(<= n,)`."""
    if not n_classes:
        return np.unique(np.linspace(0, len(y) - 1, min(n, len(y))).astype(int))
    rng = np.random.default_rng(seed)
    per = max(1, n // n_classes)
    picks = [rng.choice(idx, min(per, len(idx)), replace=False) for c in range(n_classes)
             if len(idx := class_indices(y, c))]
    return np.sort(np.concatenate(picks)) if picks else np.zeros(0, int)


def step_labels(cfg: RunConfig, x_one: np.ndarray, vocab: datasets.Vocabulary | None = None) -> list[str]:
    """What the RNN reads at each step of one sample: words, image rows or columns, or step numbers.

    Args:
        cfg: the run's config.
        x_one: one model input: `(maxlen,)` word ids, an image `(32, 32, 3)`, or a window `(window, 1)`.
        vocab: the IMDB vocabulary (ids are shown as numbers without it).
    """
    if cfg.data.name == "imdb":
        return vocab.decode(x_one) if vocab is not None else [str(int(i)) for i in x_one]
    if cfg.data.name == "cifar10":
        if cfg.front_end == "conv":  # 16 steps: each MaxPool row covers two image rows
            return [f"rows {2 * t + 1}–{2 * t + 2}" for t in range(len(x_one) // 2)]
        return [f"{'row' if cfg.data.by == 'rows' else 'column'} {t + 1}" for t in range(len(x_one))]
    return [str(t + 1) for t in range(len(x_one))]


def step_axis_title(cfg: RunConfig) -> str:
    """The time axis title for a run's data: what one step is."""
    if cfg.data.name == "imdb":
        return "word read (time step)"
    if cfg.data.name == "cifar10":
        if cfg.front_end == "conv":
            return "conv feature row read (time step; covers two image rows)"
        return f"image {'row' if cfg.data.by == 'rows' else 'column'} read (time step)"
    return "input step (1 = oldest value of the window)"


def visible_steps(mask: np.ndarray | None, time: int) -> np.ndarray:
    """The steps worth showing: all, or the unmasked ones (masked padding leaves the state unchanged)."""
    return np.arange(time) if mask is None else np.flatnonzero(np.asarray(mask, bool))


def to_image(x: np.ndarray) -> np.ndarray:
    """A CIFAR input (`[0, 1]` or `[0, 255]` floats) as uint8 `(32, 32, 3)` pixels."""
    x = np.asarray(x, np.float64)
    scale = 255.0 if x.max(initial=0.0) <= 1.0 + 1e-6 else 1.0
    return np.clip(np.rint(x * scale), 0, 255).astype(np.uint8)


# ---------------------------------------------------------------- layers, gates, PCA


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
            for steps in [visible_steps(None if mask is None else mask[b], h.shape[1])]]


def activation_name(fn) -> str:
    """A Keras activation's name, e.g. "tanh"."""
    return getattr(fn, "__name__", str(fn))


def cell_layer(layer: layers.Layer) -> layers.Layer:
    """The SimpleRNN / LSTM / GRU layer itself (a Bidirectional wrapper's forward layer; both share settings)."""
    return layer.forward_layer if isinstance(layer, layers.Bidirectional) else layer


def value_ranges(layer: layers.Layer) -> dict[str, tuple[float | None, float | None]]:
    """The range each of the layer's arrays can take, from its activations: key -> `(low, high)`, None = open.

    E.g. an LSTM with tanh: gates `(0, 1)`, `c_hat` and `h` `(-1, 1)`, the cell state `c` unbounded.
    """
    cell = cell_layer(layer)
    act = vocab.RANGES.get(activation_name(cell.activation), (None, None))
    rec = vocab.RANGES.get(activation_name(getattr(cell, "recurrent_activation", None)), (None, None))
    kind = next(k for k, t in (("lstm", layers.LSTM), ("gru", layers.GRU), ("simple_rnn", layers.SimpleRNN))
                if isinstance(cell, t))
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
    kind = next(k for k, t in (("lstm", layers.LSTM), ("gru", layers.GRU), ("simple_rnn", layers.SimpleRNN))
                if isinstance(cell, t))
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
    cell = cell_layer(layer)
    tex = {"tanh": r"\tanh", "sigmoid": r"\sigma", "hard_sigmoid": r"\sigma_{\mathrm{hard}}",
           "relu": r"\mathrm{relu}", "linear": "", "softsign": r"\mathrm{softsign}"}
    act = tex.get(activation_name(cell.activation), rf"\mathrm{{{activation_name(cell.activation)}}}")
    if isinstance(cell, layers.SimpleRNN):
        return (r"\begin{aligned} a_t &= W x_t + U h_{t-1} + b \\ h_t &= " + act + r"(a_t) \end{aligned}")
    rec = tex.get(activation_name(cell.recurrent_activation), r"\sigma")
    if isinstance(cell, layers.LSTM):
        return (r"\begin{aligned} i_t &= " + rec + r"(W_i x_t + U_i h_{t-1} + b_i) \\ f_t &= " + rec
                + r"(W_f x_t + U_f h_{t-1} + b_f) \\ \hat c_t &= " + act + r"(W_c x_t + U_c h_{t-1} + b_c) \\ o_t &= "
                + rec + r"(W_o x_t + U_o h_{t-1} + b_o) \\ c_t &= f_t \odot c_{t-1} + i_t \odot \hat c_t \\ h_t &= o_t"
                r" \odot " + act + r"(c_t) \end{aligned}")
    cand = (r"(W_h x_t + b_h + r_t \odot (U_h h_{t-1} + b'_h))" if cell.reset_after
            else r"(W_h x_t + U_h (r_t \odot h_{t-1}) + b_h)")
    return (r"\begin{aligned} z_t &= " + rec + r"(W_z x_t + U_z h_{t-1} + b_z) \\ r_t &= " + rec
            + r"(W_r x_t + U_r h_{t-1} + b_r) \\ \hat h_t &= " + act + cand
            + r" \\ h_t &= z_t \odot h_{t-1} + (1 - z_t) \odot \hat h_t \end{aligned}")


# ---------------------------------------------------------------- when did it know?


def _feed(layer) -> tuple:
    feed = layer.input
    return (feed[0], feed[1]) if isinstance(feed, (list, tuple)) else (feed, None)


def _readout_layers(model: keras.Model) -> tuple[list, list, list, bool]:
    """The recurrent chain and the layers after it, split at the mean pooling: `(rnns, per_step, after, pooled)`.

    Raises:
        ValueError: the model is not a chain of recurrent layers followed by Dense (and pooling) layers.
    """
    rnns = probe.recurrent_layers(model)
    for prev, layer in zip(rnns, rnns[1:]):
        if _feed(layer)[0] is not prev.output:
            raise ValueError(f"`model` must chain its recurrent layers directly; {layer.name!r} does not read "
                             f"{prev.name!r}. Received: model={model.name!r}")
    for layer in rnns:
        if isinstance(layer, layers.Bidirectional) and layer.merge_mode != "concat":
            raise ValueError(f"Bidirectional `merge_mode` must be 'concat'. Received: merge_mode={layer.merge_mode!r}")
        if not isinstance(layer, layers.Bidirectional) and layer.go_backwards:
            raise ValueError(f"Layer {layer.name!r} reads backwards alone; only forward layers are supported.")
    after = model.layers[model.layers.index(rnns[-1]) + 1:]
    bad = [layer.name for layer in after if not isinstance(layer, (layers.Dense, layers.Dropout,
                                                                    layers.GlobalAveragePooling1D))]
    if bad:
        raise ValueError(f"The layers after the last recurrent layer must be Dense (or mean pooling), so the "
                         f"prediction can be read after each step. Received: {', '.join(bad)}")
    pools = [k for k, layer in enumerate(after) if isinstance(layer, layers.GlobalAveragePooling1D)]
    if not pools:
        return rnns, [], after, False
    return rnns, after[:pools[0]], after[pools[0] + 1:], True


def readout_problem(model: keras.Model) -> str | None:
    """Why `readout_over_time` cannot apply to a model (e.g. a conv branch beside the RNN), or None."""
    try:
        _readout_layers(model)
    except ValueError as e:
        return str(e)
    return None


def _apply(stack: list, arr: np.ndarray) -> np.ndarray:
    """Dense layers (Dropout is off) applied to the last axis; float64 out."""
    for layer in stack:
        if isinstance(layer, layers.Dense):
            arr = keras.ops.convert_to_numpy(layer(np.asarray(arr, np.float32)))
    return np.asarray(arr, np.float64)


def _masked_mean(y: np.ndarray, mask: np.ndarray, axis: int) -> np.ndarray:
    w = np.asarray(mask, np.float64)[..., None]
    return (y * w).sum(axis=axis) / np.maximum(w.sum(axis=axis), 1e-12)


def _outputs(layer, g: dict[str, np.ndarray], mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A chained layer's per-step outputs (zeros at masked steps inside Bidirectional) and its last output."""
    if not isinstance(layer, layers.Bidirectional):
        return g["h"], g["h"][:, -1]
    seq = np.concatenate([g["forward/h"], g["backward/h"]], axis=-1) * mask[..., None]
    return seq, np.concatenate([g["forward/h"][:, -1], g["backward/h"][:, 0]], axis=-1)


def _prefix_features(rnns: list, per_step: list, inputs: np.ndarray, mask: np.ndarray, pooled: bool
                     ) -> np.ndarray:
    """For one sample `(time, features)`: the pooled features of each prefix (steps 0..t), `(time, f)`.

    All prefixes are run as one batch, right-aligned behind masked steps (which change no state), so the
    backward half of a Bidirectional layer reads only the prefix, as if the input ended at step t.
    """
    time = len(inputs)
    rows = np.arange(time)[:, None]  # prefix t
    src = np.arange(time)[None, :] - (time - 1 - rows)  # (time, time): source step of each position
    valid = src >= 0
    seq = np.where(valid[..., None], inputs[np.clip(src, 0, None)], 0.0)  # (prefixes, time, features)
    m = valid & mask[np.clip(src, 0, None)]
    last = None
    for layer in rnns:
        seq, last = _outputs(layer, probe.gates(layer, seq, m), m)
    return _masked_mean(_apply(per_step, seq), m, axis=1) if pooled else last


def readout_over_time(model: keras.Model, probes: list[probe.LayerProbe]) -> np.ndarray:
    """What the model would output had the input ended after each step ("when did it know?").

    For one-directional layers this is the head (and the optional `hidden` Dense) applied to the last
    layer's state after each step (with mean pooling: to the mean of the steps so far), which is exactly
    the output for the input cut there, since later steps cannot change earlier states. A Bidirectional
    layer's backward half reads the input from its end, so its state at step t has seen the future:
    there every prefix is re-run through all recurrent layers (`probe.gates`). Masked steps change nothing.
    At the last step the result is the model's own output.

    Args:
        model: a model whose recurrent layers form a chain followed by Dense layers (and mean pooling).
        probes: `probe.probe_model(model, x)` for a batch.

    Returns:
        The model's output after each step, float64 `(batch, time, outputs)` (NaN before the first unmasked step).

    Raises:
        ValueError: see `readout_problem`.
    """
    rnns, per_step, after, pooled = _readout_layers(model)
    first = probes[0]
    batch, time = first.inputs.shape[:2]
    mask = np.ones((batch, time), bool) if first.mask is None else np.asarray(first.mask, bool)
    if any(isinstance(layer, layers.Bidirectional) for layer in rnns):
        feats = np.stack([_prefix_features(rnns, per_step, first.inputs[b], mask[b], pooled) for b in range(batch)])
    else:
        h = probes[-1].gates["h"]  # (batch, time, units), carried through masked steps
        if pooled:
            y, w = _apply(per_step, h), mask[..., None].astype(np.float64)
            feats = np.cumsum(y * w, axis=1) / np.maximum(np.cumsum(w, axis=1), 1e-12)
        else:
            feats = h
    out = _apply(after, feats)
    seen = np.cumsum(mask, axis=1) > 0
    return np.where(seen[..., None], out, np.nan)


def class_probabilities(out: np.ndarray) -> np.ndarray:
    """Model outputs `(..., 1)` (sigmoid) or `(..., classes)` (softmax) as class probabilities `(..., classes)`."""
    out = np.asarray(out, np.float64)
    return np.concatenate([1 - out, out], axis=-1) if out.shape[-1] == 1 else out


# ---------------------------------------------------------------- predictions


def free_runs(model: keras.Model, ds: Dataset, steps: int, n_starts: int = 20
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Free-running forecasts from several validation windows (as `metrics.free_run`, all in one batch).

    Args:
        model: a cosine model.
        ds: its data.
        steps: values to predict from each start.
        n_starts: start windows, spread evenly over the validation span.

    Returns:
        `(pred, true, starts)`: predictions and actual values `(n, steps)`, and each start's offset from
        the first validation target `(n,)`.
    """
    series, start = ds.extra["series"], ds.extra["val_start"]
    n_val = len(series) - start
    steps = int(np.clip(steps, 1, n_val))
    starts = np.unique(np.linspace(0, min(n_val - steps, len(ds.x_val) - 1), n_starts).astype(int))
    window = ds.x_val[starts, :, 0].astype(np.float32)  # (n, window)
    out: list[np.ndarray] = []
    done = 0
    while done < steps:
        pred = np.asarray(model.predict_on_batch(window[..., None]), np.float32)  # (n, horizon)
        out.append(pred)
        done += pred.shape[1]
        window = np.concatenate([window, pred], axis=1)[:, -window.shape[1]:]
    pred = np.concatenate(out, axis=1)[:, :steps]
    true = series[start + starts[:, None] + np.arange(steps)]
    return pred.astype(np.float64), true.astype(np.float64), starts


def rmse_by_horizon(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Root mean squared error over the starts for each number of steps ahead: `(steps,)` from `(n, steps)`."""
    return np.sqrt(np.mean((np.asarray(pred, np.float64) - np.asarray(true, np.float64)) ** 2, axis=0))


def most_confident(probs: np.ndarray, y: np.ndarray, k: int = 3) -> dict[str, np.ndarray]:
    """The `k` right and the `k` wrong predictions the model was surest of.

    Args:
        probs: class probabilities `(n, classes)`.
        y: true classes `(n,)`.

    Returns:
        `{"right": indices, "wrong": indices}`, most confident first.
    """
    pred = probs.argmax(axis=1)
    conf = probs[np.arange(len(probs)), pred]
    y = np.asarray(y).astype(int).ravel()
    order = np.argsort(-conf, kind="stable")
    return {"right": order[pred[order] == y[order]][:k], "wrong": order[pred[order] != y[order]][:k]}


def grid_indices(y: np.ndarray, pred: np.ndarray, which: str = "all", cls: int | None = None, n: int = 24
                 ) -> np.ndarray:
    """The first `n` test samples to show in a grid: "all", "right" or "wrong" ones, of true class `cls`."""
    y = np.asarray(y).astype(int).ravel()
    keep = np.ones(len(y), bool) if cls is None else y == cls
    if which != "all":
        keep &= (pred == y) if which == "right" else (pred != y)
    return np.flatnonzero(keep)[:n]


# ---------------------------------------------------------------- epochs and typed reviews


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


@dataclass(frozen=True)
class EncodedReview:
    """Typed text as the model reads it.

    Attributes:
        tokens: each typed word with its id (None: not in the word index, dropped as the dataset does).
        ids: the padded model input `(maxlen,)`, int32.
        cut: words (with `<start>`) dropped because the review is longer than `maxlen`.
    """

    tokens: list[datasets.Token]
    ids: np.ndarray
    cut: int


def encode_review(vocab: datasets.Vocabulary, text: str, opts: ImdbData) -> EncodedReview:
    """Encodes typed text exactly as the run's reviews were: `<start>`, ids, padding and cutting as in `opts`."""
    seq = vocab.encode(text)
    ids = datasets.pad([seq], opts.maxlen, opts.padding, opts.truncating)[0]
    return EncodedReview(vocab.tokens(text), ids, max(0, len(seq) - opts.maxlen))
