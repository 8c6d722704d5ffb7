"""What every session computes alike, done once per server and shared read-only (issue 21 item 7): stored runs,
keyed by their files' stamps (a retrain, a replace or an import makes a new key), and the figures built from them.

A shared figure is the same object for every session. Nothing changes it after it is made: every chart is
styled for its session on a copy (`rnnviz.plots.theme.styled`, installed by `rnnviz.ui.projector`), and
Streamlit's `plotly_chart` reads it without changing it. Code that wants to add to a shared figure copies it
first (`go.Figure(fig)`).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from rnnviz.inspect import compare
from rnnviz.learn import lessons as lesson
from rnnviz.plots import adding as memory_plots
from rnnviz.plots import charts as plots
from rnnviz.store import RunStore
from rnnviz.store.runs import StoredRun, StoreError
from rnnviz.ui.core import trainer


@st.cache_resource(max_entries=64)
def _run(root: str, run_id: str, stamp: tuple) -> StoredRun:
    """`stamp`: the run's files now (`RunStore.stamp`), so a retrained or replaced run is read again."""
    return RunStore(root).load(run_id)


def stored_run(run_id: str) -> StoredRun | None:
    """A stored run, read once per version of its files and shared read-only by every session (None when it is not
    stored, or damaged: `RunStore.problem` names what is wrong)."""
    store = trainer().store
    stamp = store.stamp(run_id)
    if stamp is None:
        return None
    try:
        return _run(str(store.root), run_id, stamp)
    except (KeyError, StoreError):
        return None


def key(runs: list[StoredRun]) -> tuple:
    """A cache key for figures drawn from `runs`: their ids and their files' stamps."""
    store = trainer().store
    return tuple((r.run_id, store.stamp(r.run_id)) for r in runs)


def race(runs: list[StoredRun]) -> tuple[str, go.Figure, pd.DataFrame]:
    """The lesson's race of `runs` (read-only, shared): the one-line summary, the loss curves by epoch with the
    adding problem's baseline and the lesson's goal, and the table of best values (index `run`, columns
    `best ...`; values to 4 decimals as text)."""
    return _race(key(runs), runs)


@st.cache_resource(max_entries=16, show_spinner=False)
def _race(runs_key: tuple, _runs: list[StoredRun]) -> tuple[str, go.Figure, pd.DataFrame]:
    runs = _runs  # (`runs_key` stands for them in the cache key)
    task = runs[0].config.data.task
    fig = plots.compare_figure(compare.curves(runs, "loss"), "epoch", "loss", task)
    if values := [r.metrics["baseline_mse"] for r in runs if "baseline_mse" in r.metrics]:
        fig = memory_plots.with_baseline(fig, max(values))
    if (goal := lesson.shared_goal([r.config for r in runs])) and goal[0] == "val_mse":  # the question's threshold
        fig = memory_plots.with_goal(fig, goal[1], goal[0])
    table = compare.table(runs)  # the lesson's few columns, as a table that wraps: a phone shows it whole
    table = table[["run", *[c for c in table.columns if c.startswith("best ")]]].set_index("run")
    for column in table.columns:  # numbers as text once, here: a Styler per session cost each reveal ~6 ms
        if pd.api.types.is_float_dtype(table[column]):
            table[column] = [f"{v:.4f}" for v in table[column]]
    return compare.summary(runs, matching=False), fig, table
