"""Sweep: the sidebar's config with one or two fields varied over lists of values; results as curves and a table."""

import streamlit as st

from rnnviz import ui
from rnnviz.config import vocab
from rnnviz.plots import sweep as sweep_plots
from rnnviz.store import export
from rnnviz.training import sweep
from rnnviz.training.jobs import ACTIVE

st.title("Sweep")
st.caption(f"Vary one or two settings of the sidebar's config over lists of values (at most {sweep.MAX_RUNS} runs). "
           "Every run is an ordinary stored run: a sweep run again loads, and each run opens in Inspect and "
           "Compare. The address bar is a shareable link to this sweep.")
cfg = ui.config_sidebar(page_keys=("vary",))
if cfg is None:
    st.stop()
ui.seed_note(cfg)

vary, configs = ui.sweep.picker(cfg)
if vary is None:
    st.stop()
stored = sum(ui.trainer().store.has(c.run_id) for c in configs)
st.markdown(f"**{' × '.join(str(len(v)) for v in vary.values())} = {len(configs)} runs**"
            + (f" ({stored} already stored: they load at once)" if stored else "") + f" · trained on {ui.where()}")
if st.button("Run the sweep", type="primary",
             help="Queues the runs on the server's trainer, which trains as many at once as the line above says"):
    ui.sweep.start(configs)

jobs = ui.sweep.jobs_of(configs)
active = any(j is not None and j.state in ACTIVE for j in jobs)
with st.container():  # a fixed slot for the fragment's reruns (see pages/train.py)
    st.fragment(ui.sweep.progress, run_every=1.0 if active else None)(configs, vary)

done = [j for j in jobs if j is not None and j.state == "done"]
if not done:
    st.info("The results appear here when this sweep's runs have ended." if active
            else "No run of this sweep is stored yet. Press **Run the sweep**.")
    st.stop()

st.subheader("Results")
df = sweep.results(done, vary)
numeric = [m for m in (*sweep.METRICS, "perplexity_ratio", "baseline_mse", "baseline_perplexity", "train_seconds")
           if m in df.columns]
default = sweep.metric_of(df)
metric = st.selectbox("Metric", numeric, index=numeric.index(default) if default in numeric else 0,
                      key=ui.keep("sweep_metric"))

st.plotly_chart(sweep_plots.metric_figure(df, list(vary), metric), width="stretch", key="sweep_line")
if len(vary) == 2 and all(sweep_plots.is_numeric(df, f) for f in vary):
    st.plotly_chart(sweep_plots.heatmap_figure(df, list(vary), metric), width="stretch", key="sweep_heatmap")
if metric in df and df[metric].notna().any():
    top = sweep.best(df, metric)
    best = next(j.cfg for j in done if j.run_id == top["run_id"])
    st.caption(f"Best {metric}: **{top[metric]:.4g}** ({vocab.run_label(best)}: "
               + ", ".join(f"{k} = {top[k]}" for k in vary) + ").", help=f"run id {top['run_id']}")
ui.memory.baseline_caption([j.run for j in done])
st.dataframe(export.safe_frame(df), hide_index=True)  # its toolbar downloads CSV too
left, right = st.columns(2)
left.download_button("Download the table (CSV)", export.table_csv(df), "sweep.csv", "text/csv")
if right.button("Open the finished runs in Compare", disabled=len(done) < 2):
    ui.sweep.open_in_compare([j.run_id for j in done])
