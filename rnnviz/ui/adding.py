"""Streamlit helpers for the adding problem (data kind `memory`): its results beside the baseline MSE, and the
marked steps on the Inspect pages' charts (see `rnnviz.plots.adding` for the figures themselves)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from rnnviz.config import cells, tasks
from rnnviz.data import loaders as data
from rnnviz.plots import adding as memory
from rnnviz.ui.core import dataset, load_model, trainer


def is_memory(cfg) -> bool:
    """True for a run of the adding problem."""
    return tasks.of(cfg.data).sample == "marks"


def marks_of(sel) -> list[int] | None:
    """The chosen sample's two marked steps on an Inspect page (None for other data)."""
    return memory.marks(sel.x[sel.index]) if is_memory(sel.run.config) else None


def marked(fig, sel):
    """The figure with the sample's marked steps drawn on its time axis (unchanged for other data)."""
    steps = marks_of(sel)
    return fig if steps is None else memory.mark_steps(fig, steps, sel.ticks)


def marked_path(fig, sel, coords, dims: int):
    """The state's PCA path figure with the marked steps circled (unchanged for other data)."""
    steps = marks_of(sel)
    return fig if steps is None else memory.mark_path(fig, coords, steps, dims)


def keep_gate_note(sel, gates: dict) -> None:
    """Says what the keep gate (LSTM f, GRU z, MGU 1 − f) did between the marks; nothing for other data or a SimpleRNN."""
    steps = marks_of(sel)
    if steps is None:
        return
    cell = sel.run.config.cell
    keep = memory.keep_between(gates, cell, steps)
    if keep is None:
        if not cells.row(cell).gated:  # (a gated cell with adjacent marks has no steps between them to show)
            st.info(f"Marks at steps {steps[0] + 1} and {steps[1] + 1}. A {cells.row(cell).label} has no gate to "
                    "hold the first value: every step rewrites its whole state, so the first mark fades.")
        return
    name = memory.keep_name(cell)
    st.info(f"Between the marks (steps {steps[0] + 2} to {steps[1] + 1}, {keep['span']} steps) the {name} "
            f"averaged **{keep['mean']:.2f}** (1 = keep the state); {keep['units_open']:.0%} of the units held it "
            f"above 0.9. Through the gate alone a unit keeps on average **{keep['kept']:.1%}** of what it held "
            "at the first mark (the product of its gate values over those steps).")


def baseline_caption(runs: list) -> None:
    """The constant-answer baseline beside adding-problem results (nothing when no run has one)."""
    values = sorted({round(r.metrics["baseline_mse"], 4) for r in runs if "baseline_mse" in r.metrics})
    if values:
        st.caption(f"Baseline MSE (answering the training mean every time): **{', '.join(map(str, values))}** "
                   "(1/6 ≈ 0.167 for the sum of two U(0, 1) values, 1/12 ≈ 0.083 for recalling one). A run near "
                   "it has learned nothing; the goal is 1/16 of it.")


def baseline_line(fig, runs: list, metric: str):
    """A loss (MSE) chart with the baseline drawn across it, when the runs are adding-problem runs."""
    values = [r.metrics["baseline_mse"] for r in runs if "baseline_mse" in r.metrics]
    return memory.with_baseline(fig, max(values)) if metric == "loss" and values else fig


@st.cache_data(max_entries=16, show_spinner="Predicting…")
def _predictions(run_id: str, created: str):
    ds = dataset(trainer().store.load(run_id).config)
    pred = np.asarray(load_model(run_id, created).predict(ds.x_val, verbose=0, batch_size=512))
    return pred, ds.y_val, float(ds.extra["baseline_mse"])


def results(run, model=None, cfg=None) -> None:
    """Validation MSE beside the baseline, and predictions against targets (a stored run, or a stopped run's
    in-memory `model` with its `cfg`)."""
    if run is not None:
        pred, true, baseline = _predictions(run.run_id, run.info["created"])
    else:
        ds = data.load(cfg.data, cfg.seed)
        pred, true = np.asarray(model.predict(ds.x_val, verbose=0, batch_size=512)), ds.y_val
        baseline = float(ds.extra["baseline_mse"])
    mse = float(np.mean((pred.astype("float64") - true) ** 2))
    a, b = st.columns(2)
    a.metric("Validation MSE", f"{mse:.4f}", help="mean squared error on the validation sequences")
    b.metric("Baseline MSE (constant answer)", f"{baseline:.4f}",
             help="the MSE of answering the training targets' mean every time: about 1/6 for the sum")
    cell = (run.config if run is not None else cfg).cell
    st.plotly_chart(memory.prediction_figure(pred, true, baseline, f"Answers on {len(true):,} validation "
                                             f"sequences: {mse / baseline:.1%} of the baseline error", cell),
                    width="stretch", key="memory_predictions")
