"""The probe's recurrences: one function per cell, recomputing a layer's every array step by step in float64
numpy from its own weights and activations, with the equations of the cell (Keras's, or ours in
`rnnviz.models.keras_cells`).

Each takes `(cell, inputs, mask)`: the layer's Keras cell, inputs `(batch, time, features)` in reading order,
and the padding mask `(batch, time)` or None; it returns the row's `keys` (`rnnviz.config.cells`), each
`(batch, time, units)`. At masked steps the states are carried and the per-step values are NaN. A cell's
registry row names its function (`step`); `rnnviz.probe.core` calls it.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np

from rnnviz.models import keras_cells

_NUMPY_ACTIVATIONS: dict[Callable, Callable[[np.ndarray], np.ndarray]] = {
    keras.activations.tanh: np.tanh,
    keras.activations.sigmoid: lambda a: 0.5 * (1.0 + np.tanh(0.5 * a)),  # = 1 / (1 + exp(-a)), no overflow
    keras.activations.hard_sigmoid: lambda a: np.clip(a / 6.0 + 0.5, 0.0, 1.0),  # Keras 3: relu6(a + 3) / 6
    keras.activations.relu: lambda a: np.maximum(a, 0.0),
    keras.activations.linear: lambda a: a,
    keras.activations.softsign: lambda a: a / (1.0 + np.abs(a)),
}


def _numpy_activation(fn: Callable) -> Callable[[np.ndarray], np.ndarray]:
    """The numpy twin of a Keras activation; any other activation is run through Keras itself."""
    if fn in _NUMPY_ACTIVATIONS:
        return _NUMPY_ACTIVATIONS[fn]
    return lambda a: np.asarray(keras.ops.convert_to_numpy(fn(keras.ops.convert_to_tensor(a))), np.float64)


def _f64(variable) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(variable), np.float64)


def _weights(cell) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The cell's kernel, recurrent kernel and bias (None without bias) as float64 arrays."""
    return _f64(cell.kernel), _f64(cell.recurrent_kernel), _f64(cell.bias) if cell.use_bias else None


def _carry(mask_t: np.ndarray | None, new: np.ndarray, old: np.ndarray) -> np.ndarray:
    """The new state where the step is real, the old one where it is masked."""
    return new if mask_t is None else np.where(mask_t, new, old)


def _blank_masked(out: dict[str, np.ndarray], mask: np.ndarray | None, keys: tuple[str, ...]) -> None:
    if mask is not None:
        for key in keys:
            out[key][~mask] = np.nan


def lstm_steps(cell, inputs: np.ndarray, mask: np.ndarray | None) -> dict[str, np.ndarray]:
    """Keras's LSTM and the `rnnviz.models.keras_cells` variants (peepholes; CIFG's kernel holds only f, c, o)."""
    kernel, recurrent_kernel, bias = _weights(cell)  # (in, 4u), (u, 4u), (4u,); CIFG 3u
    act, rec_act = _numpy_activation(cell.activation), _numpy_activation(cell.recurrent_activation)
    batch, time, _ = inputs.shape
    u = cell.units
    cifg = isinstance(cell, keras_cells.CIFGLSTMCell)
    peep = [_f64(getattr(cell, f"{g}_peephole")) for g in ("input", "forget", "output")] if isinstance(
        cell, keras_cells.PeepholeLSTMCell) else [0.0, 0.0, 0.0]  # (u,) each
    x_proj = inputs @ kernel + (0.0 if bias is None else bias)  # (batch, time, 4u) or CIFG (batch, time, 3u)
    ifco = np.empty((batch, time, 4 * u))  # i, f, c_hat, o side by side, like the kernel's columns
    c_all, h_all = np.empty((batch, time, u)), np.empty((batch, time, u))
    h_tm1, c_tm1 = np.zeros((batch, u)), np.zeros((batch, u))
    for t in range(time):
        pre = x_proj[:, t] + h_tm1 @ recurrent_kernel  # (batch, 4u), CIFG (batch, 3u)
        if cifg:
            pre = np.concatenate([np.zeros((batch, u)), pre], axis=1)  # an unused i block: i = 1 - f below
        f = rec_act(pre[:, u:2 * u] + peep[1] * c_tm1)
        i = 1.0 - f if cifg else rec_act(pre[:, :u] + peep[0] * c_tm1)
        c_hat = act(pre[:, 2 * u:3 * u])
        c = f * c_tm1 + i * c_hat
        o = rec_act(pre[:, 3 * u:] + peep[2] * c)
        h = o * act(c)
        gates_t = np.concatenate([i, f, c_hat, o], axis=1)
        mask_t = None if mask is None else mask[:, t, None]  # (batch, 1)
        c_tm1, h_tm1 = _carry(mask_t, c, c_tm1), _carry(mask_t, h, h_tm1)
        ifco[:, t], c_all[:, t], h_all[:, t] = gates_t, c_tm1, h_tm1
    out = {key: ifco[..., k * u:(k + 1) * u] for k, key in enumerate(("i", "f", "c_hat", "o"))}
    out.update(c=c_all, h=h_all)
    _blank_masked(out, mask, ("i", "f", "c_hat", "o"))
    return out


def gru_steps(cell, inputs: np.ndarray, mask: np.ndarray | None) -> dict[str, np.ndarray]:
    kernel, recurrent_kernel, bias = _weights(cell)  # (in, 3u), (u, 3u), (2, 3u) or (3u,)
    act, rec_act = _numpy_activation(cell.activation), _numpy_activation(cell.recurrent_activation)
    batch, time, _ = inputs.shape
    u = cell.units
    input_bias, recurrent_bias = 0.0, np.zeros(3 * u)
    if bias is not None and cell.reset_after:
        input_bias, recurrent_bias = bias  # rows: input bias (3u,), recurrent bias (3u,)
    elif bias is not None:
        input_bias = bias  # (3u,)
    x_proj = inputs @ kernel + input_bias  # (batch, time, 3u)
    zrh = np.empty((batch, time, 3 * u))  # z, r, h_hat side by side, like the kernel's columns
    h_all = np.empty((batch, time, u))
    h_tm1 = np.zeros((batch, u))
    for t in range(time):
        x_t = x_proj[:, t]  # (batch, 3u), already projected
        if cell.reset_after:
            h_proj = h_tm1 @ recurrent_kernel + recurrent_bias  # (batch, 3u)
            zr = rec_act(x_t[:, :2 * u] + h_proj[:, :2 * u])
            z, r = zr[:, :u], zr[:, u:]
            h_hat = act(x_t[:, 2 * u:] + r * h_proj[:, 2 * u:])
        else:
            zr = rec_act(x_t[:, :2 * u] + h_tm1 @ recurrent_kernel[:, :2 * u])
            z, r = zr[:, :u], zr[:, u:]
            h_hat = act(x_t[:, 2 * u:] + (r * h_tm1) @ recurrent_kernel[:, 2 * u:])
        h = z * h_tm1 + (1.0 - z) * h_hat
        h_tm1 = _carry(None if mask is None else mask[:, t, None], h, h_tm1)
        zrh[:, t, :2 * u], zrh[:, t, 2 * u:], h_all[:, t] = zr, h_hat, h_tm1
    out = {key: zrh[..., k * u:(k + 1) * u] for k, key in enumerate(("z", "r", "h_hat"))}
    out["h"] = h_all
    _blank_masked(out, mask, ("z", "r", "h_hat"))
    return out


def simple_steps(cell, inputs: np.ndarray, mask: np.ndarray | None) -> dict[str, np.ndarray]:
    kernel, recurrent_kernel, bias = _weights(cell)  # (in, u), (u, u), (u,)
    act = _numpy_activation(cell.activation)
    batch, time, _ = inputs.shape
    x_proj = inputs @ kernel + (0.0 if bias is None else bias)  # (batch, time, u)
    out = {"a": np.empty((batch, time, cell.units)), "h": np.empty((batch, time, cell.units))}
    h_tm1 = np.zeros((batch, cell.units))
    for t in range(time):
        a = x_proj[:, t] + h_tm1 @ recurrent_kernel  # (batch, u)
        h_tm1 = _carry(None if mask is None else mask[:, t, None], act(a), h_tm1)
        out["a"][:, t], out["h"][:, t] = a, h_tm1
    _blank_masked(out, mask, ("a",))
    return out


def mgu_steps(cell, inputs: np.ndarray, mask: np.ndarray | None) -> dict[str, np.ndarray]:
    """The minimal gated unit (`rnnviz.models.keras_cells.MGUCell`): kernel blocks f, h."""
    kernel, recurrent_kernel, bias = _weights(cell)  # (in, 2u), (u, 2u), (2u,)
    act, rec_act = _numpy_activation(cell.activation), _numpy_activation(cell.recurrent_activation)
    batch, time, _ = inputs.shape
    u = cell.units
    x_proj = inputs @ kernel + (0.0 if bias is None else bias)  # (batch, time, 2u)
    u_f, u_h = recurrent_kernel[:, :u], recurrent_kernel[:, u:]  # (u, u) each
    out = {key: np.empty((batch, time, u)) for key in ("f", "h_hat", "h")}
    h_tm1 = np.zeros((batch, u))
    for t in range(time):
        f = rec_act(x_proj[:, t, :u] + h_tm1 @ u_f)
        h_hat = act(x_proj[:, t, u:] + (f * h_tm1) @ u_h)
        h = (1.0 - f) * h_tm1 + f * h_hat
        h_tm1 = _carry(None if mask is None else mask[:, t, None], h, h_tm1)
        out["f"][:, t], out["h_hat"][:, t], out["h"][:, t] = f, h_hat, h_tm1
    _blank_masked(out, mask, ("f", "h_hat"))
    return out
