"""When did it know? The model's output had the input ended after each step, from the probe's exact recompute
of the recurrent layers (`rnnviz.probe`) and the model's own Dense layers. No Streamlit here.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from rnnviz import probe


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
