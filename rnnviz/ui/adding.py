"""Streamlit helpers for the adding problem (data kind `memory`): its results beside the baseline MSE, and the
marked steps on the Inspect pages' charts (see `rnnviz.plots.adding` for the figures themselves)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from rnnviz.config import cells, tasks, vocab
from rnnviz.data import loaders as data
from rnnviz.inspect import connectivity
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


@st.cache_resource(max_entries=16, show_spinner="Working out where each run looked…")
def _looked(run_id: str, created: str) -> connectivity.Looked:
    """Shared read-only by every session (not copied per session): the same run always gives the same answer."""
    run = trainer().store.load(run_id)
    x = dataset(run.config).x_val[:connectivity.SAMPLES]

    def compute() -> dict[str, np.ndarray]:
        looked = connectivity.looked_at(run.load_model(), x, run.snapshots(), run.config.data.recall,
                                        len(run.history.get("loss", [])))
        return {"epochs": np.array(looked.epochs), "norms": looked.norms}

    kept = run.derived(f"looked-{connectivity.SAMPLES}", compute)  # prepare-lesson's pre-flight computes it
    deps = connectivity.dependency(x, run.config.data.recall)
    return connectivity.Looked(kept["epochs"].tolist(), kept["norms"], deps)


def looked_at(runs: list) -> dict[str, connectivity.Looked]:
    """Run id -> where its answer looked, for adding-problem runs of one data setting (see
    `rnnviz.inspect.connectivity`).

    Raises:
        ValueError: the runs are not all adding-problem runs of one data setting (and seed).
    """
    if not all(is_memory(r.config) for r in runs) or len({(r.config.data, r.config.seed) for r in runs}) > 1:
        raise ValueError("the connectivity view needs adding-problem runs of one data setting and seed: they are "
                         "graded on the same validation samples")
    return {r.run_id: _looked(r.run_id, r.info["created"]) for r in runs}


def shares_sentence(runs: list, looked: dict, epoch: int | None = None) -> str:
    """One line with each run's share on the marked steps at `epoch` (default each run's last), beside chance."""
    parts = []
    for r in runs:
        lk = looked[r.run_id]
        k = len(lk.epochs) - 1 if epoch is None or epoch not in lk.epochs else lk.epochs.index(epoch)
        parts.append(f"{vocab.run_label(r.config)} **{lk.shares[k]:.0%}**"
                     + ("" if epoch is not None else f" (epoch {lk.epochs[k]})"))
    chance = next(iter(looked.values())).chance
    when = f"At epoch {epoch}" if epoch is not None else "After training"
    return (f"{when}, share of the answer's gradient on the marked steps: {', '.join(parts)}. Spread evenly it "
            f"would be {chance:.0%}; the exact answer puts 100% there.")


@st.cache_resource(max_entries=16)
def _share_figure(rows: tuple, _looked: dict):
    """The share on the marked steps over the epochs for the runs `rows` names ((run id, created, label, cell)),
    shared read-only by every session (`rnnviz.ui.shared`)."""
    shares = pd.DataFrame([{"label": label, "cell": cell, "epoch": e, "share": s} for run_id, _, label, cell in rows
                           for e, s in zip(_looked[run_id].epochs, _looked[run_id].shares)])
    return memory.share_figure(shares, next(iter(_looked.values())).chance)


def connectivity_view(runs: list, key: str, detail: bool = True) -> None:
    """"What did it look at?": the share on the marked steps over the epochs (all runs on one chart), then (with
    `detail`) one sample's gradient per step at a chosen epoch, with its marks drawn."""
    try:
        looked = looked_at(runs)
    except ValueError as e:
        st.info(f"What did it look at: {e}.")
        return
    labels = {r.run_id: vocab.run_label(r.config) for r in runs}
    st.plotly_chart(_share_figure(tuple((r.run_id, r.info["created"], labels[r.run_id], r.config.cell) for r in runs),
                                  looked), width="stretch", key=f"{key}_shares")
    st.markdown(shares_sentence(runs, looked))
    if not detail:
        return
    epochs = sorted(set().union(*(lk.epochs for lk in looked.values())))
    left, right = st.columns(2)
    epoch = left.select_slider("Epoch (0 = before training)", epochs, value=epochs[-1], key=f"{key}_epoch")
    n = len(next(iter(looked.values())).deps)
    sample = right.number_input(f"Validation sample (1 to {n})", 1, n, 1, key=f"{key}_sample")
    rows = []
    for r in runs:
        lk = looked[r.run_id]
        if epoch in lk.epochs:
            norms = lk.norms[lk.epochs.index(epoch), sample - 1]
            share = norms / norms.sum() if norms.sum() > 0 else norms
            rows += [{"label": labels[r.run_id], "cell": r.config.cell, "step": t + 1, "share": v}
                     for t, v in enumerate(share)]
    marks = [int(s) for s in np.flatnonzero(next(iter(looked.values())).deps[sample - 1])]
    st.plotly_chart(memory.looked_figure(pd.DataFrame(rows), marks, f"Sample {sample} at epoch {epoch}: where "
                                         "a change of the input value moves the answer"),
                    width="stretch", key=f"{key}_steps")


def inspect_results(run) -> None:
    """The Predictions page for the adding problem: the error by the gap between the marks (what Train does not
    show), and one validation sequence with the model's answer."""
    pred, true, baseline = _predictions(run.run_id, run.info["created"])
    x = dataset(run.config).x_val
    mse = float(np.mean((pred.astype("float64") - true) ** 2))
    a, b = st.columns(2)
    a.metric("Validation MSE", f"{mse:.4f}", help="mean squared error on the validation sequences")
    b.metric("Baseline MSE (constant answer)", f"{baseline:.4f}",
             help="the MSE of answering the training targets' mean every time: about 1/6 for the sum")
    st.plotly_chart(memory.gap_figure(connectivity.error_by_gap(x, true, pred), baseline, run.config.cell),
                    width="stretch", key="memory_gap")
    st.caption("Each bar is the validation MSE of the sequences whose marks are that many steps apart (log scale), "
               "beside the baseline of answering the mean. Does this run's error depend on how long it must hold "
               "the first value? Compare another cell's run here.")
    k = st.number_input(f"Validation sequence (1 to {len(x):,})", 1, len(x), 1, key="memory_sequence")
    st.plotly_chart(memory.sequence_figure(x[k - 1], float(true[k - 1].ravel()[0]), f"Sequence {k:,}",
                                           float(pred[k - 1].ravel()[0])), width="stretch", key="memory_one")
