"""Compare: SimpleRNN vs LSTM vs GRU (or the LSTM variants), trained fairly (same split, order and seed), side by side."""

import streamlit as st

from rnnviz import ui
from rnnviz.config import tasks, vocab
from rnnviz.inspect import compare
from rnnviz.plots import charts as plots
from rnnviz.plots import states as state_plots
from rnnviz.store import export
from rnnviz.training.jobs import ACTIVE

st.title("Compare")
st.caption("Train the SimpleRNN / LSTM / GRU trio of the sidebar's settings (only the cell differs), or the gated "
           f"cells ({compare.CELL_SET_LABELS['lstm_variants']}), or pick stored runs, and compare their learning "
           "side by side.")
cfg = ui.config_sidebar(page_keys=("runs", "match", "cells"), default_preset="memory-lstm")  # the memory-span lesson
if cfg is None:
    st.stop()
trainer = ui.trainer()

st.subheader("The trio")
ui.seed_note(cfg)
linked = st.query_params.get("cells")
cell_set = st.radio("Cells", list(compare.CELL_SETS), format_func=compare.CELL_SET_LABELS.get, horizontal=True,
                    key=ui.keep("compare_cells"), index=list(compare.CELL_SETS).index(linked)
                    if linked in compare.CELL_SETS else 0)
st.query_params["cells"] = cell_set
match = st.toggle("Match parameter count", key=ui.keep("match_params"), value=st.query_params.get("match") == "1",
                  help="Pick each cell's units so the three models have about as many weights (within 5%): "
                       "then a win is not just a bigger model.")
st.query_params["match"] = "1" if match else "0"
configs = ui.trio(cfg, match, cell_set)
counts = [compare.param_count(c) for c in configs]
st.dataframe([{"cell": vocab.cell_label(c.cell, c.bidirectional), "units": c.units, "parameters": n,
               "stored": "yes" if trainer.store.has(c.run_id) else "no"} for c, n in zip(configs, counts)],
             hide_index=True)
if match and compare.spread(counts) > compare.MATCH_TOLERANCE:
    st.warning(f"With so few units the counts still differ by {compare.spread(counts):.0%}: raise the units "
               "to match them within 5%.")
if st.button("Train the trio", type="primary", help="Stored runs are reused; the others train one after another"):
    try:
        st.session_state["trio"] = [trainer.submit(c, data_dir=ui.data_dir(), owner=ui.roles.owner()).run_id
                                    for c in configs]
        st.session_state["compare_want"] = [c.run_id for c in configs]
    except ValueError as e:  # e.g. too big for this machine's memory
        ui.show_error(e, "Starting the trio")


def trio_ids() -> list[str]:
    """This session's trio; after a reload (a new session of the same browser), the members of the page's trio that
    this browser's requests still train."""
    return ui.session("trio") or [c.run_id for c in configs if (j := trainer.get(c.run_id)) is not None
                                  and j.state in ACTIVE and ui.roles.owner() in j.owners]


@st.fragment(run_every=1.0)
def trio_progress() -> None:
    """One progress bar per trio member while any of them trains."""
    jobs = [trainer.get(r) for r in trio_ids()]
    for job in (j for j in jobs if j is not None):
        fraction, text = job.progress()
        st.progress(fraction, text=f"{vocab.run_label(job.cfg)}: {text}"
                    + (f" (failed: {job.error})" if job.state == "failed" else ""))
    if jobs and not any(j is not None and j.state in ACTIVE for j in jobs) and ui.session("trio_active"):
        st.session_state["trio_active"] = False
        st.rerun(scope="app")
    st.session_state["trio_active"] = any(j is not None and j.state in ACTIVE for j in jobs)
    mine = [j for j in jobs if j is not None and j.state in ACTIVE and ui.roles.owner() in j.owners]
    if mine and st.button("Stop the trio", help="Stop the runs you asked for (others waiting for one keep it)"):
        for job in mine:
            trainer.stop(job, ui.roles.owner())


with st.container():  # a fixed slot for the fragment (see pages/train.py)
    trio_progress()

st.subheader("Runs side by side")
ui.import_run()
runs = ui.compare_picker(configs)
if len(runs) < 2:
    st.info("Pick two or more stored runs above, or train the trio.")
    st.stop()
objectives = {r.config.data.task for r in runs}
if len(objectives) > 1:
    st.warning("These runs solve different tasks; only the table compares them.")
st.markdown(compare.summary(runs) if len(objectives) == 1 else "")
ui.memory.baseline_caption(runs)
table = compare.table(runs)
st.dataframe(export.safe_frame(table), hide_index=True,  # its toolbar downloads CSV too: neutralised as below
             column_config={"seconds per epoch": st.column_config.NumberColumn(format="%.2f")})
st.download_button("Download the table (CSV)", export.table_csv(table), "comparison.csv", "text/csv")
if len(objectives) > 1:
    st.stop()
task = objectives.pop()
metrics = ["loss", *tasks.objective(task).metrics]
for metric in metrics:
    left, right = st.columns(2)
    curves = compare.curves(runs, metric)
    for col, axis in ((left, "epoch"), (right, "seconds")):
        col.plotly_chart(ui.memory.baseline_line(plots.compare_figure(curves, axis, metric, task), runs, metric),
                         width="stretch")

graded = all(ui.memory.is_memory(r.config) for r in runs)
if graded:  # the adding problem's answer is known: grade where each run looked against it
    st.subheader("What did it look at?")
    st.caption(compare.LOOKED_CAPTION)
    ui.memory.connectivity_view(runs, "compare_looked")
else:
    st.subheader("Gradient flow over time")
    st.caption(compare.gradient_caption(runs[0].config.data))
    across = st.toggle("Across epochs (from the runs' snapshots)", key="grad_epochs",
                       help="Off: the untrained weights (epoch 0) beside the trained ones. On: up to five epochs.")
try:
    if not graded:
        st.plotly_chart(plots.gradient_figure(ui.gradients(runs, across), "Gradient of the loss with respect to "
                                              "each input step"), width="stretch")
    sat = ui.saturations(runs)
    if none := state_plots.no_saturation_text(sat.rename(columns={"gate": "name"}).to_dict("records"),
                                              "in every run, unit and step of the probe samples"):
        st.caption(none)  # an all-zero chart says less than one line
    elif len(sat):
        st.plotly_chart(plots.saturation_figure(sat), width="stretch")
except Exception as e:  # data missing, an old run: say so, keep the page
    ui.show_error(e, "Probing the runs")

st.subheader("Export")
cols = st.columns(len(runs))
for col, run in zip(cols, runs):
    col.download_button(f"{vocab.run_label(run.config)} (zip)", ui.run_zip(run.run_id, run.info["created"]),
                        f"run-{run.run_id}.zip", "application/zip", key=f"zip_{run.run_id}")
st.caption(ui.tensorboard_note())
