"""Train: build a config in the sidebar, train it live (loss chart, progress, Stop), see its results."""

import numpy as np
import streamlit as st

from rnnviz import ui
from rnnviz.config import tasks, vocab
from rnnviz.plots import charts as plots
from rnnviz.store.runs import StoreError
from rnnviz.training.jobs import ACTIVE
from rnnviz.ui import train as train_ui

st.title("Train")
st.caption("Pick data and a recurrent network in the sidebar, train it, and watch it learn.")
cfg = ui.config_sidebar()
slots = ui.trainer().executor.slots
st.caption(f"Trains on: **{ui.device_line()}**, {'one training' if slots == 1 else f'{slots} trainings'} at a time.")
with st.expander("Where it trains (for the teacher)"):
    st.caption(f"Trainings run on {ui.where()}. Set `KERAS_BACKEND` to change the backend (see Home).")
if cfg is None:
    st.stop()
trainer = ui.trainer()
task = cfg.data.task
if problem := ui.data_problem(cfg):
    st.warning(problem)

left, mid, _ = st.columns([1, 2, 3], vertical_alignment="center")
if ui.roles.is_teacher():  # a retrain replaces a stored run for everyone: in classroom mode, the teacher's call
    retrain = mid.checkbox("Retrain even if stored", key="retrain")
else:
    retrain = False
    mid.caption("Stored runs load; in classroom mode only the teacher retrains them.")
if left.button("Train", type="primary", help="Train this configuration (or load it if it is stored)"):
    try:
        st.session_state["job"] = trainer.submit(cfg, retrain=retrain, data_dir=ui.data_dir(), owner=ui.roles.owner())
    except ValueError as e:  # e.g. too big for this machine's memory
        ui.show_error(e, "Starting the training")

mine = ui.session("job")  # the job this page shows: held here, a stopped run's result outlives the trainer's LRU
job = (trainer.get(mine.run_id) or mine) if mine is not None else None
kept = None  # the settings changed: the last result stays, marked as the old settings'
if job is not None and job.run_id != cfg.run_id and job.state in ACTIVE:
    st.info(f"Training **{vocab.run_label(job.cfg)}**. Control changes apply to the next run.",
            icon=":material/model_training:")
    cfg, task = job.cfg, job.cfg.data.task
elif job is None or job.run_id != cfg.run_id:
    last, job = job, trainer.get(cfg.run_id)
    if (job is None or job.state == "done") and trainer.store.has(cfg.run_id):
        job = trainer.submit(cfg)  # stored: loads instantly
    elif job is None:
        if damage := trainer.store.problem(cfg.run_id):
            st.warning(f"The stored run is damaged ({damage}); **Train** trains it again.")
        st.info(f"**{vocab.run_label(cfg)}** has not been trained yet. Press **Train**.")
        if last is None or last.result is None and last.run is None:
            st.stop()
        kept, job, cfg, task = cfg, last, last.cfg, last.cfg.data.task
st.session_state["job"] = job
train_ui.remember(job)


def live(run_id: str, was_active: bool, had_events: bool, was_queued: bool, ghosts: list) -> None:
    """Progress, Stop and the loss chart; polls the job while it waits behind others (each second: its place in
    the queue) and trains (fast from when it is next until the first point, then twice a second)."""
    job = trainer.get(run_id) or ui.session("job")
    fraction, text = job.progress()
    behind = trainer.queue_position(job) if job.state == "queued" else 0  # queued runs that start before it
    if job.state == "queued":
        text += f" (position {behind + 1})"
    st.progress(fraction, text=text)
    if job.state in ACTIVE:
        ui.roles.stop_controls(job, trainer, "stop")
    epochs, batches = plots.event_frames(job.events)
    history = job.run.history if job.run is not None else epochs
    if job.run is not None and not len(batches):  # a stored run: the per-batch curve kept with it
        try:
            batches = plots.batch_frame(job.run.batches())
        except StoreError as e:
            st.caption(f"The per-batch curve is not shown: {e}")
    if len(history) or len(batches):
        st.plotly_chart(plots.loss_figure(history, batches, task, cell=job.cfg.cell, ghosts=ghosts,
                                          label=vocab.run_label(job.cfg) if ghosts else None),
                        key="loss_chart", width="stretch")
    if was_active and (job.state not in ACTIVE or (job.events and not had_events) or (was_queued and not behind)):
        st.rerun(scope="app")  # show the results below, or poll at the pace of the job's new state


active, started = job.state in ACTIVE, bool(job.events)
if kept is not None:
    st.caption(train_ui.kept_result_note(cfg, kept))
chart = st.container()  # a fixed slot: the fragment's reruns never collide with the results below
ghosts = train_ui.ghosts(cfg)  # the pin control, under the chart
with chart:
    # behind others in the queue: once a second (30 waiting students polled the server 7 times a second each);
    # next or starting: fast until the first point; training: twice a second
    queued = job.state == "queued" and trainer.queue_position(job) > 0
    pace = (1.0 if queued else 0.5 if started else 0.15) if active else None
    st.fragment(live, run_every=pace)(job.run_id, active, started, queued, ghosts)

if job.state == "failed":
    st.error(f"Training failed: {job.error}")
elif job.state == "stopped" and job.run is None:
    st.warning("Stopped before the last epoch: this run is not stored. Press **Train** to train it fully.")
if job.run is not None and job.run.info.get("stopped"):  # the ceiling on training time ended it; it is stored
    st.warning(job.run.info["stopped"], icon=":material/timer_off:")
if job.state != "done" and (job.state != "stopped" or job.result is None):
    st.stop()

run = job.run
a, b, c = st.columns(3)
if run is not None:
    c.metric("Training time", f"{run.info['train_seconds']:.1f} s",
             help=f"{run.info['params']:,} parameters, trained on "
                  f"{run.info.get('backend') or run.info['device']}")
    if run.info.get("node"):
        c.caption(f"Trained on {run.info['node']}")
results = tasks.of(cfg.data).results
if results == "adding":  # the adding problem: MSE beside the constant answer's
    ui.memory.results(run, job.result.model if run is None else None, cfg)
elif results == "lm":  # a language model: perplexity (and bits per character) beside the n-gram's
    m = (run.metrics if run is not None else job.result.metrics) or {}
    if "val_perplexity" in m:
        a.metric("Validation perplexity", f"{m['val_perplexity']:.2f}", delta_color="inverse",
                 delta=f"{m['val_perplexity'] / m['baseline_perplexity'] - 1:+.1%} vs the n-gram's "
                       f"{m['baseline_perplexity']:.2f}", help="e^loss: as unsure as a uniform choice among this "
                       "many tokens. The baseline is a count-based n-gram on the same split.")
        if "val_bpc" in m:
            b.metric("Bits per character", f"{m['val_bpc']:.3f}", delta_color="inverse",
                     delta=f"{m['val_bpc'] / m['baseline_bpc'] - 1:+.1%} vs the n-gram's {m['baseline_bpc']:.3f}",
                     help="loss / ln 2: fewer bits, a better guess of the next character.")
elif results == "forecast":
    train_ui.forecast_results(cfg, run, job.result, (a, b))
else:
    history = run.history if run is not None else job.result.history
    if history.get("val_accuracy"):
        b.metric("Best validation accuracy", f"{max(history['val_accuracy']):.1%}")
    st.plotly_chart(plots.loss_figure(history, None, task, metric="accuracy", cell=cfg.cell), width="stretch")
    if run is not None and "confusion" in run.info:  # a stopped run is not scored on the test set
        confusion = np.asarray(run.info["confusion"])
        a.metric("Test accuracy", f"{run.metrics['test_accuracy']:.1%}",
                 help=f"on {confusion.sum():,} test samples never used in training; test loss "
                      f"{run.metrics['test_loss']:.3f} ({tasks.objective(task).loss_name})")
        st.plotly_chart(plots.confusion_figure(confusion, run.info["classes"], "Confusion matrix on the test set"),
                        width="stretch")
