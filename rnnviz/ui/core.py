"""Shared Streamlit plumbing: the server-wide trainer and store, cached models and data, session values,
errors shown instead of tracebacks."""

from __future__ import annotations

from typing import Any

import streamlit as st

from rnnviz import backend
from rnnviz.config import RunConfig, env, tasks
from rnnviz.data import loaders as data
from rnnviz.data import standard as datasets
from rnnviz.data import userdata
from rnnviz.models import device
from rnnviz.store import RunStore, classroom, settings
from rnnviz.store.runs import default_root
from rnnviz.training import metrics
from rnnviz.ui import st_internals

st_internals.keep_keras_state()  # see rnnviz/ui/st_internals.py: the only place that patches Streamlit
st_internals.leave_legacy_pages()

DATA_NAMES = {t.name: t.label for t in tasks.TASKS.values()}


def trainer():
    """The server-wide training queue over the run store (one per server process, shared by sessions).

    A bad environment variable (`RNNVIZ_TRAIN_WORKERS=x`, ...) is shown on the page, which then stops.
    """
    try:
        env.check()
        settings = (default_root(), env.folder("RNNVIZ_DATA_DIR"))
        classroom.train_workers(settings[0])  # checked here; `_trainer` reads it once, when it is created
    except env.EnvError as e:
        st.error(str(e))
        st.stop()
    return _trainer(*settings)


@st.cache_resource
def _trainer(root, data_dir: str | None):
    """Created on the server's first page run, which also caps numpy's BLAS threads for the whole server
    (see `rnnviz.models.device.limit_blas_threads`: the probe's small matmuls slow down a lot otherwise).

    Its workers are fixed then: `RNNVIZ_TRAIN_WORKERS`, else 4 if the server started in classroom mode, else 1.
    A teacher key made later locks the server and caps each session's share at once, but the workers stay."""
    from rnnviz.training.jobs import Trainer  # lazy: Keras; app.py imports rnnviz.ui before its backend check

    device.limit_blas_threads(1)
    store = RunStore(root)
    store.cleanup()
    # the ceiling on a run's training time is read at each submit: a key made later turns classroom mode on
    workers = classroom.train_workers(root)
    return Trainer(store, workers=workers, data_dir=data_dir, max_minutes=lambda: classroom.max_run_minutes(root),
                   running_cap=lambda: classroom.running_cap(workers, root))


def where() -> str:
    """Where trainings run, one line (this server, or the Ray cluster named by `RNNVIZ_RAY_ADDRESS`).

    A named cluster that could not be used is shown as a warning with the reason; trainings then run here.
    """
    jobs = trainer()
    if jobs.executor.note:
        st.warning(jobs.executor.note, icon=":material/cloud_off:")
    cap = jobs.cap()
    share = f"; each browser trains at most {cap} at once" if cap is not None and cap < jobs.executor.slots else ""
    return jobs.executor.describe() + share


@st.cache_resource
def device_line() -> str:
    """Keras, its backend and the device that trains, e.g. 'Keras 3.15 · TensorFlow 2.21 · CPU (2 threads)'."""
    return backend.describe()


@st.cache_resource(max_entries=8)
def load_model(run_id: str, created: str):
    """A stored run's Keras model, shared read-only by all sessions (`created` keys a retrained run)."""
    return trainer().store.load(run_id).load_model()


def show_error(e: BaseException, what: str) -> None:
    """An error box naming what failed and why, instead of a traceback."""
    st.error(f"{what} failed: {e}")


def session(key: str, default: Any = None) -> Any:
    """A per-session value (Streamlit session state)."""
    return st.session_state.get(key, default)


def keep(name: str) -> str:
    """A widget key whose value outlives page switches: it is mirrored into `st.session_state[name]`.

    Streamlit forgets a widget's state when a page without it is shown; use `key=ui.keep("x")` and read
    `st.session_state["x"]` anywhere.
    """
    key = f"w_keep_{name}"
    if key not in st.session_state and st.session_state.get(name) is not None:
        st.session_state[key] = st.session_state[name]  # the page came back: restore the widget's value
    if key in st.session_state:  # before the widget's first run there is nothing to mirror yet
        st.session_state[name] = st.session_state[key]
    return key


def data_dir() -> str | None:
    """The data folder this session named on the Home page, else `$RNNVIZ_DATA_DIR`, else the one
    `prepare-lesson --data-dir` saved for the server (None: the Keras cache)."""
    return st.session_state.get("data_dir") or trainer().data_dir or settings.data_dir()


def dataset(cfg: RunConfig):
    """The config's data, shared read-only by all sessions.

    Raises:
        rnnviz.data.standard.DataUnavailable, DataError: as `rnnviz.data.loaders.load` (show them with `show_error`).
    """
    return _dataset(cfg.data, cfg.seed, data_dir())


@st.cache_resource(max_entries=3, show_spinner="Loading the data…")
def _dataset(opts, seed: int, folder: str | None):
    return data.load(opts, seed, data_dir=folder)


def tokens(cfg: RunConfig):
    """A language model's vocabulary (`rnnviz.data.loaders.tokens_for`), shared read-only by all sessions.

    Raises:
        rnnviz.data.standard.DataUnavailable, DataError, ValueError: the text or word index is missing or bad.
    """
    return _tokens(cfg.data, data_dir())


@st.cache_resource(max_entries=8, show_spinner="Reading the vocabulary…")
def _tokens(opts, folder: str | None):
    return data.tokens_for(opts, folder)


def data_problem(cfg: RunConfig) -> str | None:
    """A warning when the data folder named on Home cannot be used (too long, unreadable, not a folder), or
    when the config's data set has no files here (training would try to download them)."""
    folder = st.session_state.get("data_dir")
    if folder and (problem := datasets.folder_problem(folder)):
        return f"{problem} (set on the Home page)"
    files = tasks.of(cfg.data).files  # (the language models read the IMDB files; `text` without a file too)
    upload = tasks.of(cfg.data).upload
    if upload and (cfg.data.file or files is None) and not userdata.has(cfg.data.file, upload):
        return (f"The {DATA_NAMES[cfg.data.name]} file {cfg.data.file} is not on this server: upload it in the "
                "sidebar (the same file gives the same runs)." if cfg.data.file else
                f"Upload a {upload.upper()} file in the sidebar (right under the data choice) to train on it.")
    if files is None or (upload and cfg.data.file) or datasets.locate(files, data_dir()) is not None:
        return None
    return (f"The {DATA_NAMES[cfg.data.name]} files were not found in the data folder or in "
            f"{datasets.keras_cache_dir()}. **Train** will try to download them (needs internet). Offline? "
            f"Run `python -m rnnviz prefetch {files}` on a machine with internet, or name a folder "
            f"holding the standard files on the Home page.")


@st.cache_data(max_entries=64, show_spinner="Predicting…")
def forecast(run_id: str, created: str, steps: int) -> dict:
    """A stored cosine run's one-step and free-running forecast (see `rnnviz.training.metrics.forecast`)."""
    run = trainer().store.load(run_id)
    return metrics.forecast(load_model(run_id, created), dataset(run.config), steps)


@st.cache_data(max_entries=16, show_spinner="Classifying the test set…")
def classify(run_id: str, created: str) -> dict:
    """A stored classifier's test-set probabilities, accuracy and confusion matrix."""
    run = trainer().store.load(run_id)
    ds = dataset(run.config)
    x, y = (ds.x_test, ds.y_test) if ds.x_test is not None else (ds.x_val, ds.y_val)
    return {**metrics.classify(load_model(run_id, created), x, y, len(ds.extra["classes"])),
            "classes": ds.extra["classes"]}
