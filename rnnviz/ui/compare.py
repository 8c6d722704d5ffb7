"""Streamlit helpers of the Compare page: run picker, cached gradients, saturations and zips."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from rnnviz.config import RunConfig, env, vocab
from rnnviz.data import userdata
from rnnviz.inspect import compare
from rnnviz.store import export
from rnnviz.ui import roles, uploads
from rnnviz.ui.core import dataset, load_model, trainer


def trio(cfg: RunConfig, match: bool, cell_set: str = "trio") -> list[RunConfig]:
    """The configs of one of `compare.CELL_SETS` (default the SimpleRNN / LSTM / GRU trio; see
    `rnnviz.inspect.compare.trio`), with a spinner."""
    with st.spinner("Counting parameters…"):
        return compare.trio(cfg, match, compare.CELL_SETS[cell_set])


def compare_picker(trio_configs: list[RunConfig]) -> list:
    """A multiselect of stored runs (default: the link's `runs`, else the stored trio); the chosen runs.

    Writes the choice to the URL (`?runs=id,id`), so a link reopens the same comparison.
    """
    runs, problems = trainer().store.list()
    for problem in problems:
        st.caption(f"Skipped a damaged run: {problem}")
    by_id = {r.run_id: r for r in runs}
    want = st.session_state.get("compare_want")
    if want is not None:  # the trio just submitted: show its runs as they get stored
        st.session_state["compare_runs"] = [r for r in want if r in by_id]
        if len(st.session_state["compare_runs"]) == len(want):
            del st.session_state["compare_want"]
    stored_trio = [c.run_id for c in trio_configs if c.run_id in by_id]
    if "compare_runs" not in st.session_state:
        wanted = [r for r in st.query_params.get("runs", "").split(",") if r]
        unknown = [r for r in wanted if r not in by_id]
        if unknown:
            st.warning(f"The link names runs not stored here: {env.cut(', '.join(unknown), 80)} (train them first).")
        st.session_state["compare_runs"] = [r for r in wanted if r in by_id] or stored_trio
    elif st.session_state["compare_runs"] == st.session_state.get("compare_default") != stored_trio:
        st.session_state["compare_runs"] = stored_trio  # untouched since it was the trio's: follow the sidebar
    st.session_state["compare_default"] = stored_trio
    st.session_state["compare_runs"] = [r for r in st.session_state["compare_runs"] if r in by_id]
    labels = dict(zip(by_id, vocab.run_labels([r.config for r in runs])))
    chosen = st.multiselect("Stored runs to compare", list(by_id), key="compare_runs", format_func=labels.get,
                            help="Each run's id is in the table's last column (and the address bar).")
    st.query_params["runs"] = ",".join(chosen)
    return [by_id[r] for r in chosen]


def _label(run) -> str:
    return vocab.run_label(run.config)


@st.cache_data(max_entries=16, show_spinner="Computing gradients over time…")
def _gradients(keys: tuple, across: bool):
    store, frames = trainer().store, []
    for run_id, created in keys:
        run = store.load(run_id)
        x, y = compare.probe_batch(dataset(run.config))
        snaps = run.snapshots()  # {} for a run stored before snapshots existed: only its trained curve
        epochs = compare.gradient_epochs(list(snaps), across)
        df = compare.gradient_over_time(_fresh_model(run_id, created), x, y, snaps, epochs)
        frames.append(df.assign(label=_label(run), cell=run.config.cell))
    return pd.concat(frames, ignore_index=True)


def gradients(runs: list, across: bool):
    """Gradient norm per input step for each run, on the same probe samples (see `compare.gradient_over_time`):
    the untrained weights (epoch 0) beside the trained ones, or several epochs when `across`
    (`compare.gradient_epochs`).

    Raises:
        ValueError: the runs read different data, so there are no common samples.
    """
    if len({(r.config.data, r.config.seed) for r in runs}) > 1:
        raise ValueError("the runs read different data (or seeds), so they cannot be probed on the same "
                         "samples: compare runs of one data setting")
    return _gradients(tuple((r.run_id, r.info["created"]) for r in runs), across)


@st.cache_data(max_entries=16, show_spinner="Probing the gates…")
def _saturations(keys: tuple):
    frames = []
    for run_id, created in keys:
        run = trainer().store.load(run_id)
        x, _ = compare.probe_batch(dataset(run.config))
        frames.append(compare.gate_saturation(load_model(run_id, created), x).assign(label=_label(run),
                                                                                    cell=run.config.cell))
    return pd.concat(frames, ignore_index=True)


def saturations(runs: list):
    """Gate saturation shares for each gated run, on the probe samples (empty for SimpleRNN runs)."""
    return _saturations(tuple((r.run_id, r.info["created"]) for r in runs))


def _fresh_model(run_id: str, created: str):
    """A private copy of a stored model (its weights may be swapped for snapshots)."""
    return trainer().store.load(run_id).load_model()


@st.cache_data(max_entries=8, show_spinner="Packing the run…")
def run_zip(run_id: str, created: str) -> bytes:
    """A stored run as a zip (see `rnnviz.store.export.run_zip`)."""
    return export.run_zip(trainer().store.load(run_id))


def tensorboard_note() -> str:
    """Where the runs' TensorBoard logs are, and how to open them."""
    from rnnviz.training.fit import tensorboard_available  # lazy: Keras; app.py imports rnnviz.ui before its backend check

    folder = trainer().store.root / "tensorboard"
    if not tensorboard_available():
        return (f"TensorBoard logs: install TensorBoard (`pip install tensorboard`) and new runs write them to "
                f"`{folder}/<run id>`.")
    return f"TensorBoard logs of every run trained here: `{folder}/<run id>`. Open them with `tensorboard --logdir {folder}`."


def import_run() -> None:
    """The "Import a run (zip)" box: every refusal is one line ("Import refused: ..."), never a traceback, and
    a run whose id is stored here is replaced only after the user presses the button that says so."""
    with st.expander("Import a run (zip)"):
        upload = st.file_uploader("A run zip exported here, up to 200 MB", type=["zip"], key="import_zip",
                                  help="Its files are checked (sizes, types, the model against its config) and "
                                       "its model is loaded in Keras's safe mode before it is stored; nothing in "
                                       "it is unpickled.")
        if upload is None:
            return
        seen = st.session_state.get("import_outcome")
        if seen is None or seen[0] != upload.file_id:  # each upload is checked once, not on every rerun
            seen = (upload.file_id, *_import(upload.getvalue(), replace=False))
            st.session_state["import_outcome"] = seen
        _, kind, message = seen
        if kind != "exists":
            (st.success if kind == "done" else st.error)(message)
            return
        if not roles.is_teacher():  # classroom mode: a student never replaces a stored run
            st.error(f"{message.split('. Confirm')[0]}: in this class only the teacher replaces a stored run.")
            return
        st.warning(message)
        if st.button("Replace my stored run with the imported one", key="import_replace"):
            kind, message = _import(upload.getvalue(), replace=True)
            st.session_state["import_outcome"] = (upload.file_id, kind, message)
            (st.success if kind == "done" else st.error)(message)


def _import(blob: bytes, replace: bool) -> tuple[str, str]:
    """("done" | "exists" | "refused", the line to show) for one import attempt. Classroom mode's allowance per
    student session holds for the dataset a run zip carries too (`rnnviz.ui.uploads`)."""
    new = []

    def allowed(data: bytes, kind: str) -> str | None:
        if not userdata.has(userdata.digest(data), kind):
            new.append((data, kind))
        return uploads.over_allowance(data, kind, "the run's dataset", fix="Ask the teacher to import this run")

    try:
        run = export.import_zip(blob, trainer().store, replace=replace, dataset_allowed=allowed)
    except export.RunExists as e:
        return "exists", f"Import refused: {e}"
    except export.RunImportError as e:
        return "refused", f"Import refused: {e}"
    except Exception as e:  # noqa: BLE001 - whatever else goes wrong is still one line, not a traceback
        return "refused", f"Import refused: {type(e).__name__}: {env.cut(str(e).splitlines()[0] if str(e) else '')}"
    for data, kind in new:
        uploads.record(data, kind)
    return "done", f"Imported {vocab.run_label(run.config)} ({run.config.summary()}). Pick it below."
