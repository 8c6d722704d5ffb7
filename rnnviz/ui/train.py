"""Streamlit helpers for the Train page: this session's earlier runs as faint "ghost" curves (the recent ones,
and the ones a student pins), the words that mark a result kept after the settings changed, and a forecast's
results (beside the naive baselines when the data has them).

The session remembers each finished run the page showed (its config and per-epoch history, newest last), so
drawing ghosts reads nothing from the run store.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from rnnviz.config import vocab
from rnnviz.data import loaders as data
from rnnviz.plots import charts as plots
from rnnviz.training import metrics
from rnnviz.ui.core import dataset, show_error
from rnnviz.ui.core import forecast as stored_forecast
from rnnviz.ui.probes import inspect_errors

RECENT = 3
"""Earlier runs drawn without a pin: the most recent ones (pinned runs are drawn as well)."""
KEPT = 20
"""Earlier runs the session remembers (the oldest unpinned ones are forgotten first)."""
PINS = "train_pins"
"""Session key of the pinned run ids (of every data set; it outlives page switches, unlike a widget's state)."""
PICKER = "w_train_pins"
"""Widget key of the pin control (it lists the pinned runs of the current data set)."""


def remember(job) -> None:
    """Adds a finished, stored run to this session's Train history (newest last; a run shown again moves last)."""
    if job.state != "done" or job.run is None:
        return
    runs = [r for r in st.session_state.get("train_runs", []) if r["run_id"] != job.run_id]
    runs.append({"run_id": job.run_id, "cfg": job.cfg, "history": job.run.history})
    pinned = set(st.session_state.get(PINS) or ())
    while len(runs) > KEPT and (old := next((r for r in runs if r["run_id"] not in pinned), None)):
        runs.remove(old)
    st.session_state["train_runs"] = runs


def earlier(current) -> list[dict[str, Any]]:
    """The session's earlier runs on the same data set as `current` (a `RunConfig`), newest first, each with
    `run_id`, `cfg`, `history` and `label` (`vocab.run_labels`: distinct among them)."""
    runs = [r for r in reversed(st.session_state.get("train_runs", []))
            if r["run_id"] != current.run_id and r["cfg"].data.name == current.data.name]
    labels = vocab.run_labels([r["cfg"] for r in runs])
    return [{**r, "label": label} for r, label in zip(runs, labels)]


def ghosts(current) -> list[dict[str, Any]]:
    """The pin control (when there are earlier runs) and the ghosts to draw behind `current`'s curves: every
    pinned run, and the `RECENT` newest unpinned ones.

    Returns:
        Dicts with `label`, `cell` and `history`, as `plots.loss_figure(ghosts=...)` takes them.
    """
    runs = earlier(current)
    if not runs:
        return []
    by_id = {r["run_id"]: r for r in runs}
    pinned = st.session_state.get(PINS) or []
    st.session_state[PICKER] = [r for r in pinned if r in by_id]
    chosen = st.multiselect(
        "Pinned earlier runs", list(by_id), key=PICKER, format_func=lambda r: by_id[r]["label"],
        on_change=_keep_unseen_pins, args=(pinned, list(by_id)),
        placeholder="Pin a run to keep its curve",
        help=f"Faint curves: your last {RECENT} runs on this data set, and every run you pin here (they "
             "stay until you unpin them).")
    shown = [*chosen, *[r for r in by_id if r not in chosen][:RECENT]]
    return [{"label": by_id[r]["label"], "cell": by_id[r]["cfg"].cell, "history": by_id[r]["history"]}
            for r in shown]


def _keep_unseen_pins(before: list[str], listed: list[str]) -> None:
    """After the pin control changed: pins it did not list (another data set's runs) stay pinned."""
    st.session_state[PINS] = [r for r in before if r not in listed] + list(st.session_state[PICKER])


def kept_result_note(shown, wanted) -> str:
    """The line above a result kept after the controls changed: whose result it is, and what to do."""
    return (f":material/history: Results of **{vocab.run_label(shown)}**: the settings have changed (now "
            f"{vocab.run_label(wanted)}); press **Train** for the new ones.")


def free_steps(ds) -> int:
    """How many free-running steps the validation span of a forecast's data allows."""
    return len(ds.extra["series"]) - ds.extra["val_start"]


def naive_lines(m: dict[str, float]) -> tuple[str, str | None]:
    """A caption comparing a forecast's validation RMSE and MAE (the data's units) with persistence and
    seasonal-naive, and a warning line when it does no better than persistence (None otherwise)."""
    period = int(m.get("period", 1))
    text = (f"Validation RMSE **{m['val_rmse']:.4g}** (MAE {m['val_mae']:.4g}) in the data's units, against "
            f"persistence (repeat the last value) {m['persistence_rmse']:.4g} (MAE {m['persistence_mae']:.4g}) "
            f"and seasonal-naive (the value {period} rows back) {m['seasonal_rmse']:.4g} "
            f"(MAE {m['seasonal_mae']:.4g}).")
    if metrics.beats_persistence(m):
        return text, None
    return text, (f"This model does no better than repeating the last value (RMSE {m['val_rmse']:.4g} against "
                  f"persistence's {m['persistence_rmse']:.4g}): it has not learned where the series goes next.")


def forecast_results(cfg, run, result, columns) -> None:
    """The Train page's results for a forecast: RMSE one step and free-running, the naive baselines when the
    data has them, and the prediction chart."""
    a, b = columns
    m = (run.metrics if run is not None else result.metrics) or {}
    if "persistence_rmse" in m:
        text, warning = naive_lines(m)
        st.caption(text)
        if warning:
            st.warning(warning, icon=":material/trending_flat:")
    try:
        ds = dataset(cfg)
    except inspect_errors() as e:
        show_error(e, "Loading the data for the forecast chart")
        return
    steps_max = free_steps(ds)
    steps = st.slider("Free-running steps (how far the model runs on its own predictions)", 1, steps_max,
                      min(200, steps_max), key="free_steps")
    if run is not None:
        fc = stored_forecast(run.run_id, run.info["created"], steps)
    else:
        fc = metrics.forecast(result.model, data.load(cfg.data, cfg.seed), steps)
    a.metric("Validation RMSE, one step", f"{fc['rmse_one']:.4g}")
    b.metric(f"RMSE free-running, {steps} steps", f"{fc['rmse_free']:.4g}")
    st.plotly_chart(plots.prediction_figure(fc["series"], fc["start"], fc["one_step"], fc["free_run"],
                                            fc["rmse_one"], fc["rmse_free"], cell=cfg.cell), width="stretch")
