"""Fair comparisons of runs: the SimpleRNN / LSTM / GRU trio, parameter matching, tables and summaries.

A trio shares everything but the cell: data options (so the same split), seed (so the same data order,
`data.epoch_orders`, and the same seeding of the weights) and every other setting. With parameter
matching, the units of the other two cells are chosen so the three models have parameter counts within
5% of each other (the chosen config's cell keeps its units).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from rnnviz.config import RunConfig, tasks, vocab
from rnnviz.inspect import connectivity
from rnnviz.models import budget

MATCH_TOLERANCE = 0.05
CELL_SETS = {"trio": vocab.TRIO, "lstm_variants": vocab.LSTM_FAMILY}
"""Compare's one-click sets: Keras's SimpleRNN / LSTM / GRU, or the gated family (`rnnviz.config.cells.LSTM_FAMILY`)."""
CELL_SET_LABELS = {name: ", ".join(vocab.CELL_LABELS[c] for c in cells[:-1]) + " and " + vocab.CELL_LABELS[cells[-1]]
                   for name, cells in CELL_SETS.items()}


param_count = budget.param_count  # the model's weights, from its architecture (equal to Keras's count)


def _units_for(cfg: RunConfig, target: int) -> int:
    """The units (1-1024) whose parameter count is closest to `target` (counts grow with units)."""
    lo, hi = 1, 1024
    while lo < hi:  # smallest units with count >= target
        mid = (lo + hi) // 2
        if param_count(cfg.replace(units=mid)) < target:
            lo = mid + 1
        else:
            hi = mid
    best = min({max(1, lo - 1), lo}, key=lambda u: abs(param_count(cfg.replace(units=u)) - target))
    return best


def trio(cfg: RunConfig, match_params: bool = False, cells: tuple[str, ...] = vocab.TRIO) -> list[RunConfig]:
    """Versions of `cfg` with each of `cells`, differing only in the cell (and units when matching).

    Args:
        cfg: the reference config; its cell keeps its units when matching.
        match_params: choose the other cells' units so the parameter counts are as close as possible (to
            `cfg`'s count).
        cells: the cells, by default SimpleRNN, LSTM, GRU; e.g. `CELL_SETS["lstm_variants"]`.

    Returns:
        One config per cell, in the order of `cells`.
    """
    for c in cells:
        vocab.check_cell(c)
    if not match_params:
        return [cfg.replace(cell=c) for c in cells]
    target = param_count(cfg)
    return [cfg if c == cfg.cell else cfg.replace(cell=c, units=_units_for(cfg.replace(cell=c), target))
            for c in cells]


def spread(counts: list[int]) -> float:
    """How far apart parameter counts are: max / min - 1 (0.05 = within 5%)."""
    return max(counts) / min(counts) - 1


def _task_metric(run) -> tuple[str, str, bool]:
    """(history key, label, higher is better) of the validation metric a run is judged by."""
    if "baseline_mse" in run.metrics:  # the adding problem: MSE, beside the constant answer's
        return "val_loss", "validation MSE", False
    objective = tasks.objective(run.config.data.task)
    if not objective.classes and not objective.per_step:
        return "val_loss", "validation RMSE", False
    if objective.per_step:  # a language model: cross-entropy per token (perplexity = e^loss)
        return "val_loss", "validation loss (nats per token)", False
    return "val_accuracy", "validation accuracy", True


FINAL = (("test_accuracy", "test accuracy"), ("val_mse", "final validation MSE"),
         ("val_rmse", "final validation RMSE"), ("val_perplexity", "final validation perplexity"))
"""The score a table shows after training, by the first of these metrics a run has."""


def table(runs: list) -> pd.DataFrame:
    """One row per stored run: its label (`vocab.run_labels`, e.g. "LSTM 32u · 20 ep"), cell, parameters, seconds
    per epoch, best validation metric and its epoch, the test (or final validation) metric, and the run id last.
    """
    rows = []
    for run, run_label in zip(runs, vocab.run_labels([r.config for r in runs])):
        key, label, higher = _task_metric(run)
        values = np.asarray(run.history.get(key, []), float)
        if label.endswith("RMSE"):
            values = np.sqrt(values)  # RMSE
        best = int(np.argmax(values) if higher else np.argmin(values)) if len(values) else None
        epochs = len(run.history.get("loss", []))
        final = next(((k, name) for k, name in FINAL if k in run.metrics), None)  # a stopped run has none
        baseline = {"baseline MSE": run.metrics["baseline_mse"]} if "baseline_mse" in run.metrics else {}
        rows.append({
            "run": run_label,
            "cell": vocab.cell_label(run.config.cell, run.config.bidirectional),
            "units": run.config.units,
            "parameters": int(run.info.get("params", 0)),
            "seconds per epoch": run.info.get("train_seconds", float("nan")) / max(epochs, 1),
            f"best {label}": float(values[best]) if best is not None else float("nan"),
            "best at epoch": (best + 1) if best is not None else None,
            **({final[1]: float(run.metrics[final[0]])} if final else {}),
            **baseline,
            "run id": run.run_id,
        })
    return pd.DataFrame(rows)


def summary(runs: list, matching: bool = True) -> str:
    """The comparison in words, e.g. 'GRU reached 86.1% validation accuracy in 3 epochs (12 s), LSTM ...'.

    Args:
        runs: stored runs.
        matching: the page has the "match parameter count" control (Compare), so the text may point to it.
    """
    if not runs:
        return ""
    df = table(runs)
    key, label, higher = _task_metric(runs[0])
    col = f"best {label}"
    df = df.sort_values(col, ascending=not higher)
    fmt = (lambda v: f"{v:.1%}") if higher else (lambda v: f"{v:.4f}")
    clocks = {r.run_id: r.info.get("epoch_seconds") or [] for r in runs}

    def when(r) -> float:  # the wall clock at that epoch's end, as the curves by training time draw it
        epoch, clock = r["best at epoch"], clocks.get(r["run id"], [])
        return clock[epoch - 1] if 0 < epoch <= len(clock) else r["seconds per epoch"] * epoch

    parts = [f"{r.run} ({r.parameters:,} parameters) reached {fmt(r[col])} in {r['best at epoch']} "
             f"epoch{'s' if r['best at epoch'] != 1 else ''} ({when(r):.0f} s)" for _, r in df.iterrows()]
    first = parts[0].replace(" reached ", f" reached the best {label}, ", 1)
    text = "; ".join([first, *parts[1:]]) + "."
    counts = df["parameters"].tolist()
    if len(counts) > 1 and min(counts) > 0:
        text += (f" Parameter counts differ by {spread(counts):.0%}"
                 + (" (within 5%: a like-for-like comparison)." if spread(counts) <= MATCH_TOLERANCE else
                    ": bigger models may win by size alone" + ("; try \u201cmatch parameter count\u201d." if matching
                                                                 else ".")))
    return text


def curves(runs: list, metric: str = "loss") -> pd.DataFrame:
    """A tidy frame for overlaid curves: run, label (`vocab.run_label`), cell, epoch, seconds (wall clock at
    the epoch's end), split (training / validation) and value.
    """
    rows: list[dict[str, Any]] = []
    for run in runs:
        label = vocab.run_label(run.config)
        seconds = run.info.get("epoch_seconds") or []
        for split, key in (("training", metric), ("validation", f"val_{metric}")):
            for i, v in enumerate(run.history.get(key, [])):
                rows.append({"run": run.run_id, "label": label, "cell": run.config.cell, "epoch": i + 1,
                             "seconds": seconds[i] if i < len(seconds) else float("nan"), "split": split,
                             "value": float(v)})
    return pd.DataFrame(rows, columns=["run", "label", "cell", "epoch", "seconds", "split", "value"])


def probe_batch(ds, n: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """The samples every run of a comparison is probed on: the first `n` validation samples."""
    return ds.x_val[:n], ds.y_val[:n]


def gradient_epochs(snapshot_epochs: list[int], across: bool = False) -> list[int | None]:
    """Which weights Compare's gradient chart is drawn for (None: the run's trained model).

    Args:
        snapshot_epochs: the epochs of the run's weight snapshots (`StoredRun.snapshots()`; 0 = before training).
        across: several epochs (up to five, spread over the snapshots, the first and last included) instead of
            the untrained weights beside the trained ones.

    Returns:
        `[0, None]` (untrained beside trained) by default, `[None]` for a run without an epoch-0 snapshot, or the
        spread of snapshot epochs when `across`.
    """
    epochs = sorted(snapshot_epochs)
    if across and len(epochs) > 1:
        step = max(1, len(epochs) // 4)
        return sorted(set(epochs[::step]) | {epochs[-1]})
    return [0, None] if 0 in epochs else [None]


LOOKED_CAPTION = (
    "The adding problem's answer depends on exactly the two marked values, so where a run looks can be graded: "
    "how much the model's answer (its output, not its loss, which fades as the error does) moves when the value "
    "at each step changes. The number per epoch is the share of that gradient on the marked steps, averaged over "
    f"the first {connectivity.SAMPLES} validation sequences; only the value feature counts (the exact answer "
    "moves with every step's marker). Below it, one sample at one epoch.")


def gradient_caption(data_opts) -> str:
    """What Compare's gradient-over-time chart shows and what it cannot tell by itself, for the runs' data."""
    text = ("How much the loss moves when the input at each step changes, averaged over the same validation "
            "samples for every run (log scale). A curve that falls toward the early steps says those inputs "
            "barely move the loss: either the gradient vanishes on its way back through the steps, or the model "
            "learned that it does not need them. The untrained weights (epoch 0) cannot tell those two apart, nor "
            "whether a cell can learn from the early steps: gated cells may start with almost no gradient from "
            "them and learn to open their gates (on the adding problem, whose answer is known, Compare grades "
            "where each run looked instead). Each curve's height also scales with that run's error, so a better "
            "run draws a lower curve: compare shapes, not heights.")
    if getattr(data_opts, "period", None) and getattr(data_opts, "noise", None) == 0:  # a noise-free cosine
        text += (f" On this noise-free cosine the next value is exactly 2·cos(2π/{data_opts.period:g})·x_t − "
                 "x_(t−1): a perfect model needs only the last two steps and may rightly ignore the rest.")
    return text


def gradient_over_time(model, x: np.ndarray, y: np.ndarray, snapshots: dict[int, list] | None = None,
                       epochs: list[int | None] | None = None) -> pd.DataFrame:
    """How much the loss moves with the input at each step: mean over samples of |d loss / d input at step t|.

    A fall toward the early steps means those inputs barely move the loss: the gradient vanished on the way
    back, or the model learned not to need them (the untrained weights, epoch 0, do not tell which).

    Args:
        model: a run's model (its weights are restored afterwards when snapshots are used).
        x, y: the probe batch (`probe_batch`), the same for every run compared.
        snapshots: epoch -> weights (`StoredRun.snapshots()`); with `epochs`, one curve per epoch.
        epochs: which weights to compute: snapshot epochs, and None for the model's own (trained) weights
            (None or empty: only the model's own weights).

    Returns:
        Columns `epoch` (None for the model's own weights), `step` (1 = first input step) and `norm`: the mean
        over samples of `probe.input_gradients`; masked (padding) steps are left out of the mean.
    """
    from rnnviz import probe  # lazy: Keras; rnnviz.ui imports this before app.py's backend check

    fn = probe.input_gradient_fn(model)
    final = model.get_weights()
    frames = []
    try:
        for epoch in (epochs if epochs and (snapshots or epochs == [None]) else [None]):
            model.set_weights(final if epoch is None else snapshots[epoch])
            norms = fn(x, y).astype(float)  # (batch, time)
            if norms.shape[1] == x.shape[1] and np.issubdtype(x.dtype, np.integer):
                norms[x == 0] = np.nan  # padding ids: the masked steps
            with np.errstate(all="ignore"):
                mean = np.nanmean(norms, axis=0)
            frames.append(pd.DataFrame({"epoch": epoch, "step": np.arange(1, len(mean) + 1), "norm": mean}))
    finally:
        model.set_weights(final)
    return pd.concat(frames, ignore_index=True)


SATURATION_COLUMNS = ("layer", "gate", "activation", "low", "high", "low_label", "high_label")


def gate_saturation(model, x: np.ndarray) -> pd.DataFrame:
    """How often each gate of each recurrent layer (and direction) sits at a flat end of its activation, on
    a probe batch: the Gates page's definition (`inspection.saturation_rows`, thresholds `vocab.SATURATION`).

    Returns:
        Columns `layer` (e.g. "rnn_1 (forward)"), `gate` (e.g. "forget gate f"), `activation`, `low` and
        `high` (shares in [0, 1] below and above the thresholds), `low_label` and `high_label` (e.g. "< 0.1");
        no rows for SimpleRNN layers.
    """
    from rnnviz import probe  # lazy: Keras; rnnviz.ui imports this before app.py's backend check
    from rnnviz.inspect import layers as inspection  # lazy: Keras; rnnviz.ui imports this before app.py's backend check

    rows = []
    for p in probe.probe_model(model, x):
        layer = model.get_layer(p.name)
        for direction in ("forward", "backward") if "forward/h" in p.gates else ("",):
            for r in inspection.saturation_rows(inspection.layer_gates(p, direction), layer, gates_only=True):
                rows.append({"layer": p.name + (f" ({direction})" if direction else ""), "gate": r["name"],
                             **{k: r[k] for k in SATURATION_COLUMNS[2:]}})
    return pd.DataFrame(rows, columns=list(SATURATION_COLUMNS))

