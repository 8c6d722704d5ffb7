"""The house vocabulary, written once: cell names and their display labels, each cell's arrays (gates,
candidates, states) in the order of its equations, the value range of each activation and where it counts
as saturated, and readable run labels ("LSTM 32u · 20 ep").

Everything here is plain data and string formatting; the per-cell tables are views of the cell registry
(`rnnviz.config.cells`), the one place a cell is described.
"""

from __future__ import annotations

from typing import Any

from rnnviz.config import cells

CELLS = tuple(cells.CELLS)
"""The recurrent cells a `RunConfig` can use, in the order every list and chart shows them (`rnnviz.config.cells`)."""

TRIO, LSTM_FAMILY = cells.TRIO, cells.LSTM_FAMILY
CELL_LABELS = {c.name: c.label for c in cells.CELLS.values()}
"""Cell -> the name people read (Keras's class name for Keras's own cells)."""

KEYS = {c.name: c.keys for c in cells.CELLS.values()}
"""Cell -> every array `probe.gates` returns for it, in the order of the cell's equations."""

GATES = {c.name: c.gates for c in cells.CELLS.values()}
"""Cell -> its gates (the arrays that go through `recurrent_activation`, a sigmoid by default)."""

CANDIDATES = {c.name: c.candidates for c in cells.CELLS.values()}
"""Cell -> the arrays that go through `activation` (tanh by default): candidates, or a SimpleRNN's state."""

NAMES = {"i": "input gate i", "f": "forget gate f", "c_hat": "candidate ĉ", "o": "output gate o",
         "c": "cell state c", "h": "hidden state h", "z": "update gate z", "r": "reset gate r",
         "h_hat": "candidate ĥ", "a": "pre-activation a"}
"""Array key -> the name people read, e.g. "forget gate f"."""

RANGES: dict[str, tuple[float | None, float | None]] = {
    "sigmoid": (0.0, 1.0), "hard_sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "softsign": (-1.0, 1.0),
    "relu": (0.0, None), "linear": (None, None)}
"""Activation name -> the range of its values, `(low, high)` (None: unbounded on that side)."""

SATURATION: dict[str, tuple[float, float, str, str]] = {
    "sigmoid": (0.1, 0.9, "< 0.1", "> 0.9"), "hard_sigmoid": (0.1, 0.9, "< 0.1", "> 0.9"),
    "tanh": (-0.9, 0.9, "< −0.9", "> 0.9"), "softsign": (-0.9, 0.9, "< −0.9", "> 0.9"),
    "relu": (1e-12, float("inf"), "= 0 (off)", "—")}
"""Activation name -> `(low, high, low label, high label)`: a value below `low` or above `high` sits at a flat
end of the activation (sigmoid below 0.1 or above 0.9, tanh beyond ±0.9: slope below 0.2, little gradient
passes). This is the one definition of "saturated"; activations without a flat end (linear) are missing."""


def check_cell(cell: str) -> str:
    """`cell` itself if it is one of `CELLS`.

    Raises:
        ValueError: any other value, e.g. "`cell` must be one of ['simple_rnn', 'lstm', ...]. Received: cell='rnn'".
    """
    return cells.row(cell).name


def cell_label(cell: str, bidirectional: bool = False) -> str:
    """The readable name of a cell, e.g. "LSTM", or "BiLSTM" for a bidirectional layer (unknown names as given)."""
    return ("Bi" if bidirectional else "") + CELL_LABELS.get(cell, str(cell))


def run_label(cfg: Any, epochs: bool = True) -> str:
    """A run as people read it, instead of its hash: e.g. "LSTM 32u · 20 ep", "BiGRU 2×64u · 5 ep", and a seed
    other than 0: "LSTM 32u · 20 ep · seed 3".

    Args:
        cfg: a `RunConfig` (anything with `cell`, `bidirectional`, `layers`, `units` and `epochs`).
        epochs: add the number of epochs trained (" · 20 ep").

    Returns:
        The label: cell, units per layer (with the layer count when more than one), epochs.
    """
    layers = getattr(cfg, "layers", 1)
    units = f"{layers}×{cfg.units}u" if layers > 1 else f"{cfg.units}u"
    text = f"{cell_label(cfg.cell, getattr(cfg, 'bidirectional', False))} {units}"
    text = f"{text} · {cfg.epochs} ep" if epochs else text
    seed = getattr(cfg, "seed", 0)
    return f"{text} · seed {seed}" if seed else text  # two seeds of one config are two different runs


def run_labels(cfgs: list[Any]) -> list[str]:
    """Labels for runs listed or drawn together, each one different: `run_label`, and for runs whose labels
    collide, the settings that set them apart, e.g. "LSTM 32u · 20 ep · learning_rate 0.01".

    Args:
        cfgs: `RunConfig`s (for the settings that differ, anything with `to_dict()`).

    Returns:
        One label per config, in order; configs that differ in nothing shown are numbered (" #2").
    """
    labels = [run_label(c) for c in cfgs]
    flats = [_flat(c) for c in cfgs]
    out = []
    for k, label in enumerate(labels):
        group = [j for j, other in enumerate(labels) if other == label]
        if len(group) > 1:
            differ = [f for f in flats[k] if len({repr(flats[j].get(f)) for j in group}) > 1]
            differ = ["data"] if "data" in differ else differ[:2]  # another data set: its options differ too
            label += "".join(f" · {f} {flats[k][f]}" for f in differ)
        out.append(label)
    seen: dict[str, int] = {}
    for k, label in enumerate(out):  # still equal: number them in order
        seen[label] = seen.get(label, 0) + 1
        out[k] = label if seen[label] == 1 else f"{label} #{seen[label]}"
    return out


def _flat(cfg: Any) -> dict[str, Any]:
    """A config's settings in one level (`data` is the data set's name), or {} for an object without `to_dict`."""
    d = dict(cfg.to_dict()) if hasattr(cfg, "to_dict") else {}
    data = dict(d.pop("data", {}))
    return {"data": data.pop("name", None), **data, **d} if data else d
