"""Inspect: a stored run's predictions: forecasts and their error by horizon, confusion, sure and wrong cases,
and "when did it know?" for images read row by row."""

import streamlit as st

from rnnviz import ui
from rnnviz.config import tasks
from rnnviz.inspect import readout, samples
from rnnviz.plots import charts as plots
from rnnviz.plots import predictions as prediction_plots
from rnnviz.ui import train as train_ui

st.title("Predictions")
st.caption("What a stored run predicts on data it never trained on, where it is right, and where it is wrong.")
run = ui.inspect_run()
ds = ui.inspect_dataset(run)
model = ui.inspect_model(run)
cfg, created = run.config, run.info["created"]

task = tasks.of(cfg.data)
if task.results == "adding":
    ui.memory.inspect_results(run)
    st.stop()
if task.results == "forecast":
    steps_max = train_ui.free_steps(ds)
    if "persistence_rmse" in run.metrics:
        text, warning = train_ui.naive_lines(run.metrics)
        st.caption(text)
        if warning:
            st.warning(warning, icon=":material/trending_flat:")
    key = ui.keep("inspect_free_steps")
    st.session_state[key] = min(st.session_state.get(key) or 200, steps_max)  # this run may be shorter
    ui.links.follow("steps", key, ui.links.integer(1, steps_max), min(200, steps_max), mirror="inspect_free_steps")
    steps = st.slider("Free-running steps (how far the model runs on its own predictions)", 1, steps_max, key=key)
    fc = ui.forecast(run.run_id, created, steps)
    a, b = st.columns(2)
    a.metric("Validation RMSE, one step", f"{fc['rmse_one']:.4f}")
    b.metric(f"RMSE free-running, {steps} steps", f"{fc['rmse_free']:.4f}")
    st.plotly_chart(plots.prediction_figure(fc["series"], fc["start"], fc["one_step"], fc["free_run"],
                                            fc["rmse_one"], fc["rmse_free"], cell=cfg.cell), width="stretch",
                    key="inspect_pred_forecast")
    rmse, base, n_starts = ui.horizon_error(run.run_id, created, steps)
    st.plotly_chart(prediction_plots.horizon_error_figure(rmse, n_starts, cfg.cell, base), width="stretch",
                    key="inspect_pred_horizon")
    st.caption("One step ahead the model reads the true past; running free, each prediction becomes the next "
               "input, so small errors feed on themselves. Each point is the RMSE over free runs started from "
               f"{n_starts} windows spread over the validation span, that many steps after their start. Dotted: "
               f"the same windows forecast by repeating each one's last value ({samples.persistence_note(cfg.data)}); "
               "a model below it has learned where the series goes next.")
    st.stop()

cl = ui.classify(run.run_id, created)
x, y, split = samples.inspect_split(ds)
classes = cl["classes"]
st.metric(f"Accuracy on the {split} set", f"{(cl['pred'] == y.astype(int)).mean():.1%}",
          help=f"{len(y):,} samples never used in training")
left, right = st.columns(2)
left.plotly_chart(plots.confusion_figure(cl["confusion"], classes, f"Confusion matrix on the {split} set"),
                  width="stretch", key="inspect_pred_confusion")

if task.sample == "text":
    right.plotly_chart(prediction_plots.probability_histogram(cl["probs"][:, 1], y, classes), width="stretch",
                       key="inspect_pred_histogram")
    vocab = ui.vocabulary(cfg)
    sure = samples.most_confident(cl["probs"], y, k=3)
    for kind, col in zip(("right", "wrong"), st.columns(2)):
        col.subheader(f"Most confident {kind} predictions")
        for i in sure[kind]:
            words = [w for w in samples.step_labels(cfg, x[i], vocab) if w not in ("<pad>", "<start>")]
            col.markdown(f"**Review {i:,}**: predicted **{classes[cl['pred'][i]]}** with "
                         f"{cl['probs'][i].max():.1%}; truly **{classes[int(y[i])]}**")
            col.text(" ".join(words[:120]) + (" …" if len(words) > 120 else ""))
    st.stop()

st.subheader("Test images")
c1, c2 = st.columns(2)
which = c1.radio("Show", ["all", "right", "wrong"], horizontal=True, key=ui.keep("inspect_grid_which"),
                 format_func={"all": "all", "right": "right only", "wrong": "wrong only"}.get)
cls = c2.selectbox("True class", ["any", *classes], key=ui.keep("inspect_grid_class"))
idx = samples.grid_indices(y, cl["pred"], which, None if cls == "any" else classes.index(cls), n=24)
if len(idx):
    st.plotly_chart(prediction_plots.image_grid_figure(
        [samples.to_image(x[i]) for i in idx], [classes[int(y[i])] for i in idx],
        [classes[cl["pred"][i]] for i in idx], [float(cl["probs"][i].max()) for i in idx]),
        width="stretch", key="inspect_pred_grid")
else:
    st.info("No test image matches: choose another class or show all.")

st.subheader("When did it know?")
if problem := readout.readout_problem(model):
    st.info(f"Not for this model: {problem}. (A conv branch beside the RNN sees the whole image at once.)")
    st.stop()
index = ui.pick_sample(run, ds)
probes = ui.probe_inputs(run.run_id, created, None, (index,))
curve = readout.readout_over_time(model, probes)[0]  # (time, classes)
ticks = samples.step_labels(cfg, x[index], so_far=True)  # the rows read up to each step
pic, chart = st.columns([1, 3])
ui.show_sample(run, ds, index, pic)
chart.plotly_chart(prediction_plots.readout_figure(curve, ticks, classes, int(y[index]), samples.step_axis_title(cfg),
                                                   "Class probabilities had the image ended after each step"),
                   width="stretch", key="inspect_pred_readout")
st.caption(samples.readout_caption(cfg))
