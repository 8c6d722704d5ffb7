"""The Streamlit adapter: the shared trainer and store, config widgets, cached loaders, error display.

The only module of `rnnviz` that imports streamlit.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import streamlit as st

from rnnviz import presets
from rnnviz.config import ACTIVATIONS, CELLS, DATA_KINDS, OPTIMIZERS, RunConfig


def _keep_keras_state() -> None:
    """Stops Streamlit from calling `keras.backend.clear_session()` after every script run.

    Streamlit 1.67 does that (script_runner._clean_problem_modules) to free memory between runs. With
    training on a background thread it resets Keras's global state and TensorFlow's kernel cache in the
    middle of `fit`: training then runs ~30x slower and was seen to hang. Our models are owned by the
    trainer and the run store, so there is nothing for that clean-up to free.
    """
    from streamlit.runtime.scriptrunner import script_runner

    if hasattr(script_runner, "_clean_problem_modules"):
        script_runner._clean_problem_modules = lambda: None


_keep_keras_state()


def _leave_legacy_pages() -> None:
    """Switches a fresh server out of Streamlit's legacy `pages/` mode on the first page it runs.

    Streamlit starts every server in its old multipage mode when a `pages/` folder exists, until some
    session runs `st.navigation` (app.py does). A first visitor who opens a link to a page other than Home
    would get that page alone, with the old sidebar. Every page imports this module, so the first such run
    turns the old mode off and reruns through app.py's navigation (same URL, same page).
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


_leave_legacy_pages()

CELL_NAMES = {"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}
LEARNING_RATES = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]
BATCH_SIZES = [8, 16, 32, 64, 128, 256, 512]
CUSTOM = "(custom)"
VOCABS = [1000, 2000, 5000, 10000, 20000, 40000, 88000]
DATA_NAMES = {"cosine": "Cosine", "imdb": "IMDB reviews", "cifar10": "CIFAR-10"}
FRONT_END_NAMES = {"none": "none: the RNN reads pixels", "conv": "Conv2D -> BatchNorm -> MaxPool -> RNN",
                   "conv+rnn": "conv branch beside the row RNN"}


@st.cache_resource
def trainer():
    """The server-wide training queue over the run store (one per server process, shared by sessions)."""
    from rnnviz.jobs import Trainer
    from rnnviz.store import RunStore

    store = RunStore()
    store.cleanup()
    return Trainer(store, workers=int(os.environ.get("RNNVIZ_TRAIN_WORKERS", "1")),
                   data_dir=os.environ.get("RNNVIZ_DATA_DIR"))


@st.cache_resource
def device_line() -> str:
    """Which device trains, e.g. 'CPU (2 threads, no GPU found)'."""
    from rnnviz import device

    return device.describe()


@st.cache_resource(max_entries=8)
def load_model(run_id: str, created: str):
    """A stored run's Keras model, shared read-only by all sessions (`created` keys a retrained run)."""
    return trainer().store.load(run_id).load_model()


def _apply_preset() -> None:
    name = st.session_state["preset"]
    if name != CUSTOM:
        set_widgets(presets.get(name).config)


QUICK = {"cosine": "cosine-lstm", "imdb": "imdb-quick", "cifar10": "cifar-quick"}


def _switch_data() -> None:
    name = QUICK[st.session_state["w_data"]]
    set_widgets(presets.get(name).config)
    st.session_state["preset"] = name


def set_widgets(cfg: RunConfig) -> None:
    """Puts a config's values into the sidebar widgets (used by the preset picker and page switches)."""
    values = cfg.to_dict()
    data = values.pop("data")
    st.session_state["w_data"] = data.pop("name")
    for key, value in data.items():
        st.session_state[f"w_{cfg.data.name}_{key}"] = value
    for key, value in values.items():
        st.session_state[f"w_{key}"] = value


def _init(cfg: RunConfig) -> None:
    # Streamlit drops a widget's state when another page is shown: restore the last config this session made
    if "w_cell" not in st.session_state:
        set_widgets(st.session_state.get("last_config", cfg))
    for kind in DATA_KINDS.values():  # defaults for the options of data sets not chosen yet
        for key, value in dataclasses.asdict(kind()).items():
            st.session_state.setdefault(f"w_{kind.name}_{key}", value)


def _with(key: str, options: list) -> list:
    """Slider options plus the current value (a preset may use a value between the usual steps)."""
    return sorted({*options, st.session_state.get(key, options[0])})


def _data_widgets(sb, name: str) -> dict[str, Any]:
    """The option widgets of one data set; returns their values by option name."""
    k = f"w_{name}_"
    if name == "cosine":
        return dict(
            length=sb.slider("Series length (points)", 200, 10_000, step=100, key=k + "length"),
            period=sb.slider("Period (points per cycle)", 4.0, 200.0, step=1.0, key=k + "period"),
            noise=sb.slider("Noise (std of added Gaussian)", 0.0, 0.5, step=0.01, key=k + "noise"),
            window=sb.slider("Window (steps the network reads)", 5, 200, key=k + "window"),
            horizon=sb.slider("Horizon (values predicted per window)", 1, 20, key=k + "horizon"),
            val_fraction=sb.slider("Validation share (end of the series)", 0.1, 0.5, step=0.05,
                                   key=k + "val_fraction"))
    split = dict(
        train_size=int(sb.number_input("Training samples (0 = all)", 0, 1_000_000, step=1000,
                                       key=k + "train_size")),
        val_split=sb.slider("Validation share of the training samples", 0.05, 0.5, step=0.05,
                            key=k + "val_split"))
    if name == "imdb":
        opts = dict(
            vocab_size=sb.select_slider("Vocabulary (most frequent words)", _with(k + "vocab_size", VOCABS),
                                        key=k + "vocab_size"),
            maxlen=sb.slider("Words per review (padded / cut)", 16, 1000, step=8, key=k + "maxlen"),
            padding=sb.radio("Pad short reviews at the", ["pre", "post"], horizontal=True,
                             format_func={"pre": "front", "post": "end"}.get, key=k + "padding"),
            truncating=sb.radio("Cut long reviews at the", ["pre", "post"], horizontal=True,
                                format_func={"pre": "front (keep the end)", "post": "end (keep the start)"}.get,
                                key=k + "truncating"),
            mask=sb.toggle("Mask the padding", key=k + "mask",
                           help="Masked steps leave the RNN's state unchanged, so padding cannot wash out "
                                "what it read. Without a mask, pad at the front: then the padding comes "
                                "first and the last steps the RNN reads are real words."))
        sb.caption("Padding: " + ("masked, so the padding steps change nothing." if opts["mask"] else
                                  "not masked; at the front the RNN still ends on real words." if
                                  opts["padding"] == "pre" else "not masked and at the end: the RNN reads "
                                  "zeros last and may forget the review. Mask it or pad at the front."))
        return {**opts, **split}
    return dict(
        by=sb.radio("Read each image by", ["rows", "columns"], horizontal=True, key=k + "by",
                    help="32 steps of 32 pixels x 3 colours = 96 values each"),
        normalise=sb.toggle("Scale pixels to [0, 1]", key=k + "normalise"), **split)


def _apply_query(page_keys: tuple[str, ...]) -> None:
    """Sets the widgets from a shared link's query string (once per link); notes what it had to ignore."""
    params = {k: v for k, v in st.query_params.to_dict().items() if k not in page_keys}
    if not params or st.session_state.get("query_applied") == params:
        return
    cfg, notes = RunConfig.from_query(params, ignore=page_keys)
    set_widgets(cfg)
    st.session_state["preset"] = next((p.name for p in presets.PRESETS.values() if p.config == cfg), CUSTOM)
    st.session_state["query_applied"] = params
    if notes:
        st.warning("The link's settings were used, except: " + "; ".join(notes) + ".", icon=":material/link:")


def _write_query(cfg: RunConfig, page_keys: tuple[str, ...]) -> None:
    """Puts the config (and the page's own keys) in the URL, so the address bar is a shareable link."""
    params = {**{k: v for k, v in st.query_params.to_dict().items() if k in page_keys}, **cfg.to_query()}
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
    st.session_state["query_applied"] = cfg.to_query()


def config_sidebar(page_keys: tuple[str, ...] = ()) -> RunConfig | None:
    """Sidebar widgets for every config field that matters for the chosen data; the config they make.

    The page's URL carries the config (`RunConfig.to_query`): a link opens the same settings.

    Args:
        page_keys: query keys that belong to the page, not to the config (kept in the URL as they are).

    Returns:
        The config, or None (after showing an error that names the field) when the values are invalid.
    """
    default_name = "cosine-lstm"
    _init(presets.get(default_name).config)
    _apply_query(page_keys)
    sb = st.sidebar
    st.session_state.setdefault("preset", default_name)
    sb.selectbox("Preset", [CUSTOM, *presets.PRESETS], key="preset", on_change=_apply_preset,
                 help="Start from a named configuration; every control below stays editable.")
    preset_note = sb.empty()
    sb.subheader("Data")
    name = sb.radio("Data set", list(DATA_KINDS), horizontal=True, key="w_data", format_func=DATA_NAMES.get,
                    on_change=_switch_data, help="Switching data set starts from its quick preset.")
    data = _data_widgets(sb, name)
    sb.subheader("Model")
    model = dict(
        cell=sb.radio("Cell", CELLS, format_func=CELL_NAMES.get, horizontal=True, key="w_cell"),
        bidirectional=sb.toggle("Bidirectional", key="w_bidirectional"),
        layers=sb.slider("Stacked layers", 1, 3, key="w_layers"),
        units=sb.slider("Units per layer", 1, 256, key="w_units"),
        activation=sb.selectbox("Activation", ACTIVATIONS, key="w_activation"),
        dropout=sb.slider("Dropout (inputs)", 0.0, 0.9, step=0.05, key="w_dropout"),
        recurrent_dropout=sb.slider("Recurrent dropout (state)", 0.0, 0.9, step=0.05, key="w_recurrent_dropout"),
    )
    cudnn_note = sb.empty()
    if name == "imdb":
        model["embedding_dim"] = sb.slider("Word embedding size", 4, 256, key="w_embedding_dim")
    if name != "cosine":
        model["head_units"] = sb.slider("Dense layer before the output (0 = none)", 0, 256, key="w_head_units")
        model["pooling"] = sb.radio("Read out", ["last", "mean"], horizontal=True, key="w_pooling",
                                    format_func={"last": "last step", "mean": "mean over steps"}.get)
    if name == "cifar10":
        model["front_end"] = sb.radio("Front end", ["none", "conv", "conv+rnn"], key="w_front_end",
                                      format_func=FRONT_END_NAMES.get)
        if model["front_end"] != "none":
            model["conv_filters"] = sb.slider("Conv2D filters (3x3)", 4, 128, key="w_conv_filters")
    sb.subheader("Training")
    fit = dict(
        epochs=sb.slider("Epochs", 1, 200, key="w_epochs"),
        batch_size=sb.select_slider("Batch size", _with("w_batch_size", BATCH_SIZES), key="w_batch_size"),
        learning_rate=sb.select_slider("Learning rate", _with("w_learning_rate", LEARNING_RATES),
                                       key="w_learning_rate"),
        optimizer=sb.selectbox("Optimizer", OPTIMIZERS, key="w_optimizer"),
        seed=int(sb.number_input("Seed", 0, 2**31 - 1, step=1, key="w_seed")),
    )
    try:
        cfg = RunConfig(data=DATA_KINDS[name](**data), **model, **fit)
    except ValueError as e:
        sb.error(f"{e}. Change that control to train.")
        return None
    st.session_state["last_config"] = cfg
    _write_query(cfg, page_keys)
    same = [p for p in presets.PRESETS.values() if p.config == cfg]
    if same:
        p = same[0]
        source = f" Source: {p.source}." if p.source != "-" else ""
        preset_note.caption(f"Preset **{p.name}**: {p.description}.{source} Target: {p.target}.")
    else:
        preset_note.caption("Custom settings (no preset has exactly these).")
    from rnnviz.device import cudnn_blockers

    blockers = cudnn_blockers(cfg)
    if blockers:
        cudnn_note.caption("On a GPU these settings leave the fast cuDNN kernel (slower training): "
                           + "; ".join(blockers) + ".")
    return cfg


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
    if key not in st.session_state and name in st.session_state:
        st.session_state[key] = st.session_state[name]
    st.session_state[name] = st.session_state.get(key, st.session_state.get(name))
    return key


def data_dir() -> str | None:
    """The data folder this session named on the Home page, else `$RNNVIZ_DATA_DIR` (None: Keras cache)."""
    return st.session_state.get("data_dir") or trainer().data_dir


def dataset(cfg: RunConfig):
    """The config's data, shared read-only by all sessions.

    Raises:
        rnnviz.datasets.DataUnavailable, DataError: as `rnnviz.data.load` (show them with `show_error`).
    """
    return _dataset(cfg.data, cfg.seed, data_dir())


@st.cache_resource(max_entries=3, show_spinner="Loading the data…")
def _dataset(opts, seed: int, folder: str | None):
    from rnnviz import data

    return data.load(opts, seed, data_dir=folder)


def data_problem(cfg: RunConfig) -> str | None:
    """A warning when the config's data set has no files here (training would try to download them)."""
    from rnnviz import datasets

    if cfg.data.name == "cosine" or datasets.locate(cfg.data.name, data_dir()) is not None:
        return None
    return (f"The {DATA_NAMES[cfg.data.name]} files were not found in the data folder or in "
            f"{datasets.keras_cache_dir()}. **Train** will try to download them (needs internet). Offline? "
            f"Run `python -m rnnviz prefetch {cfg.data.name}` on a machine with internet, or name a folder "
            f"holding the standard files on the Home page.")


@st.cache_data(max_entries=64, show_spinner="Predicting…")
def forecast(run_id: str, created: str, steps: int) -> dict:
    """A stored cosine run's one-step and free-running forecast (see `rnnviz.metrics.forecast`)."""
    from rnnviz import metrics

    run = trainer().store.load(run_id)
    return metrics.forecast(load_model(run_id, created), dataset(run.config), steps)


@st.cache_data(max_entries=16, show_spinner="Classifying the test set…")
def classify(run_id: str, created: str) -> dict:
    """A stored classifier's test-set probabilities, accuracy and confusion matrix."""
    from rnnviz import metrics

    run = trainer().store.load(run_id)
    ds = dataset(run.config)
    x, y = (ds.x_test, ds.y_test) if ds.x_test is not None else (ds.x_val, ds.y_val)
    return {**metrics.classify(load_model(run_id, created), x, y, len(ds.extra["classes"])),
            "classes": ds.extra["classes"]}


# ---------------------------------------------------------------- Compare page


def trio(cfg: RunConfig, match: bool) -> list[RunConfig]:
    """The SimpleRNN / LSTM / GRU trio of a config (see `rnnviz.compare.trio`), with a spinner."""
    from rnnviz import compare

    with st.spinner("Counting parameters…"):
        return compare.trio(cfg, match)


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
    if "compare_runs" not in st.session_state:
        wanted = [r for r in st.query_params.get("runs", "").split(",") if r]
        unknown = [r for r in wanted if r not in by_id]
        if unknown:
            st.warning(f"The link names runs not stored here: {', '.join(unknown)} (train them first).")
        st.session_state["compare_runs"] = [r for r in wanted if r in by_id] or [
            c.run_id for c in trio_configs if c.run_id in by_id]
    st.session_state["compare_runs"] = [r for r in st.session_state["compare_runs"] if r in by_id]
    chosen = st.multiselect("Stored runs to compare", list(by_id), key="compare_runs",
                            format_func=lambda r: f"{by_id[r].config.summary()} ({r})")
    st.query_params["runs"] = ",".join(chosen)
    return [by_id[r] for r in chosen]


def _label(run) -> str:
    from rnnviz.compare import CELL_NAMES

    return f"{'Bi' if run.config.bidirectional else ''}{CELL_NAMES[run.config.cell]} {run.config.units}u"


@st.cache_data(max_entries=16, show_spinner="Computing gradients over time…")
def _gradients(keys: tuple, across: bool):
    import pandas as pd

    from rnnviz import compare

    store, frames = trainer().store, []
    for run_id, created in keys:
        run = store.load(run_id)
        x, y = compare.probe_batch(dataset(run.config))
        snaps = run.snapshots() if across else None
        epochs = sorted(snaps)[:: max(1, len(snaps) // 4)] if snaps else None
        df = compare.gradient_over_time(_fresh_model(run_id, created), x, y, snaps, epochs)
        frames.append(df.assign(label=_label(run)))
    return pd.concat(frames, ignore_index=True)


def gradients(runs: list, across: bool):
    """Gradient norm per input step for each run, on the same probe samples (see `compare.gradient_over_time`).

    Raises:
        ValueError: the runs read different data, so there are no common samples.
    """
    if len({(r.config.data, r.config.seed) for r in runs}) > 1:
        raise ValueError("the runs read different data (or seeds), so they cannot be probed on the same "
                         "samples: compare runs of one data setting")
    return _gradients(tuple((r.run_id, r.info["created"]) for r in runs), across)


@st.cache_data(max_entries=16, show_spinner="Probing the gates…")
def _saturations(keys: tuple):
    import pandas as pd

    from rnnviz import compare

    frames = []
    for run_id, created in keys:
        run = trainer().store.load(run_id)
        x, _ = compare.probe_batch(dataset(run.config))
        frames.append(compare.gate_saturation(load_model(run_id, created), x).assign(label=_label(run)))
    return pd.concat(frames, ignore_index=True)


def saturations(runs: list):
    """Gate saturation shares for each gated run, on the probe samples (empty for SimpleRNN runs)."""
    return _saturations(tuple((r.run_id, r.info["created"]) for r in runs))


def _fresh_model(run_id: str, created: str):
    """A private copy of a stored model (its weights may be swapped for snapshots)."""
    return trainer().store.load(run_id).load_model()


@st.cache_data(max_entries=8, show_spinner="Packing the run…")
def run_zip(run_id: str, created: str) -> bytes:
    """A stored run as a zip (see `rnnviz.export.run_zip`)."""
    from rnnviz import export

    return export.run_zip(trainer().store.load(run_id))


def tensorboard_note() -> str:
    """Where the runs' TensorBoard logs are, and how to open them."""
    from rnnviz.train import tensorboard_available

    folder = trainer().store.root / "tensorboard"
    if not tensorboard_available():
        return (f"TensorBoard logs: install TensorBoard (`pip install tensorboard`) and new runs write them to "
                f"`{folder}/<run id>`.")
    return f"TensorBoard logs of every run trained here: `{folder}/<run id>`. Open them with `tensorboard --logdir {folder}`."


# ---------------------------------------------------------------- Inspect pages
# Run, epoch, layer and sample pickers shared by the Inspect pages, and their cached models and probes. Widget
# values outlive page switches (`keep`), so a teacher moving from Hidden states to Gates keeps the same picture.


@dataclasses.dataclass(frozen=True)
class Inspection:
    """What the Inspect pickers chose, and the chosen sample probed.

    Attributes:
        run: the `StoredRun`; ds: its `Dataset`; x, y: the samples shown (`inspection.inspect_split`).
        index: the chosen sample; layer: e.g. "rnn_1"; direction: "", "forward" or "backward".
        epoch: the snapshot used (None: the trained model).
        probes: `probe.probe_model` of the sample (batch of 1), one per recurrent layer.
        steps: the steps shown (padding left out when masked); ticks: their axis labels; step_title: axis title.
    """

    run: Any
    ds: Any
    x: Any
    y: Any
    index: int
    layer: str
    direction: str
    epoch: int | None
    probes: list
    steps: Any
    ticks: list[str]
    step_title: str

    @property
    def probe(self):
        """The chosen layer's `LayerProbe`."""
        return next(p for p in self.probes if p.name == self.layer)

    def keras_layer(self):
        """The chosen Keras layer (of the model at the chosen epoch)."""
        return model_at(self.run.run_id, self.run.info["created"], self.epoch).get_layer(self.layer)

    def gates(self) -> dict:
        """The chosen layer and direction's arrays for the shown steps: key -> `(steps, units)`."""
        from rnnviz import inspection

        return {k: v[0, self.steps] for k, v in inspection.layer_gates(self.probe, self.direction).items()}


def _inspect_errors() -> tuple:
    import zipfile

    from rnnviz.datasets import DataError, DataUnavailable
    from rnnviz.store import StoreError

    return ValueError, DataError, DataUnavailable, StoreError, KeyError, OSError, zipfile.BadZipFile


@st.cache_resource
def _limit_blas() -> bool:
    """One BLAS thread for numpy in this server (see `inspection.limit_blas_threads`)."""
    from rnnviz import inspection

    return inspection.limit_blas_threads(1)


def _shared(name: str) -> str:
    """A widget key for a choice the Inspect pages share (run, epoch, sample, layer), mirrored in
    `st.session_state["inspect_" + name]`.

    `keep` is not enough across pages: Streamlit 1.67 puts the page into a widget's id, so one key on two pages
    is two widgets, and on the first run after a page switch the old page's value still sits under the key
    (`keep` then restores nothing) while the new widget starts at its default. So on the first run of each
    page visit the key is set from the mirror.
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    page, key, marker = (ctx.page_script_hash if ctx else ""), f"w_inspect_{name}", f"_inspect_page_{name}"
    name = f"inspect_{name}"
    if name in st.session_state and (st.session_state.get(marker) != page or key not in st.session_state):
        st.session_state[key] = st.session_state[name]
    st.session_state[marker] = page
    st.session_state[name] = st.session_state.get(key, st.session_state.get(name))
    return key


def _reset_if_invalid(key: str, options: list) -> None:
    """Drops a kept widget value that is no longer an option (e.g. a deleted run), before the widget is drawn."""
    if st.session_state.get(key) not in options:
        st.session_state.pop(key, None)


def inspect_run(kinds: tuple[str, ...] = ("cosine", "imdb", "cifar10")):
    """A run picker over the stored runs of these data sets; stops the page with a link to Train if none."""
    runs, problems = trainer().store.list()
    for problem in problems:
        st.caption(f"Skipped a damaged run: {problem}")
    runs = [r for r in runs if r.config.data.name in kinds]
    if not runs:
        names = " or ".join(DATA_NAMES[k] for k in kinds)
        st.info(f"No stored {names} run yet. Train one first (a quick preset takes under a minute); it is "
                "kept, and every Inspect page can then open it.")
        st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")
        st.stop()
    by_id = {r.run_id: r for r in runs}
    key = _shared("run")
    _reset_if_invalid(key, list(by_id))
    run_id = st.selectbox("Stored run", list(by_id), key=key, help="Every run trained here (newest first).",
                          format_func=lambda r: f"{by_id[r].config.summary()} · {_inspect_score(by_id[r])} · "
                                                f"{by_id[r].info.get('created', '')[:16].replace('T', ' ')}")
    return by_id[run_id]


def _inspect_score(run) -> str:
    m = run.metrics
    if "test_accuracy" in m:
        return f"test accuracy {m['test_accuracy']:.1%}"
    return f"val RMSE {m['val_rmse']:.4f}" if "val_rmse" in m else "no score"


def inspect_model(run, epoch: int | None = None):
    """The run's model at `epoch` (cached), or an error box with the fix and a stopped page."""
    try:
        return model_at(run.run_id, run.info["created"], epoch)
    except _inspect_errors() as e:
        show_error(e, f"Loading run {run.run_id}")
        st.caption("Fix: retrain it on the Train page (*Retrain even if stored*), or pick another run.")
        st.stop()


def inspect_dataset(run):
    """The run's data (cached), or an error box with the fix and a stopped page."""
    try:
        return dataset(run.config)
    except _inspect_errors() as e:
        show_error(e, f"Loading the {DATA_NAMES[run.config.data.name]} data")
        st.stop()


@st.cache_resource(max_entries=2)
def _snapshots(run_id: str, created: str) -> dict:
    return trainer().store.load(run_id).snapshots()


def pick_epoch(run, where=st) -> int | None:
    """An epoch slider over the run's weight snapshots (0 = before training); None means the trained model."""
    try:
        epochs = sorted(_snapshots(run.run_id, run.info["created"]))
    except _inspect_errors() as e:
        where.caption(f"Epoch slider off: {e}")
        return None
    if len(epochs) < 2:
        where.caption("This run was stored before weight snapshots existed, so there is no epoch slider: "
                      "retrain it (Train, *Retrain even if stored*) to see how it learned.")
        return None
    key = _shared(f"epoch_{run.run_id}")
    _reset_if_invalid(key, epochs)
    st.session_state.setdefault(key, epochs[-1])
    epoch = where.select_slider("Epoch (weights after this many epochs; 0 = untrained)", epochs, key=key,
                                help="Stored snapshots of the weights; nothing is retrained.")
    return None if epoch == epochs[-1] else int(epoch)


def pick_layer(cfg: RunConfig, where=st) -> tuple[str, str]:
    """Layer (and direction, for bidirectional runs) pickers: `("rnn_1", "" | "forward" | "backward")`."""
    names = [f"rnn_{k}" for k in range(1, cfg.layers + 1)]
    key = _shared("layer")
    _reset_if_invalid(key, names)
    layer = where.selectbox("Layer", names, key=key, disabled=len(names) == 1,
                            format_func=lambda n: f"layer {n[4:]}" + (" (reads the input)" if n == "rnn_1" else ""))
    direction = ""
    if cfg.bidirectional:
        key = _shared("direction")
        _reset_if_invalid(key, ["forward", "backward"])
        direction = where.radio("Direction", ["forward", "backward"], key=key, horizontal=True,
                                help="A bidirectional layer has two RNNs: forward reads step 1 first, backward "
                                     "reads the last step first. Both are drawn in input order.")
    return layer, direction


@st.cache_resource(max_entries=2, show_spinner="Loading the vocabulary…")
def _vocabulary(vocab_size: int, folder: str | None):
    from rnnviz import datasets

    return datasets.Vocabulary(datasets.word_index(folder), vocab_size)


def vocabulary(cfg: RunConfig):
    """The IMDB word index with the run's vocabulary cap (None for other data, or when the file is missing)."""
    if cfg.data.name != "imdb":
        return None
    try:
        return _vocabulary(cfg.data.vocab_size, data_dir())
    except _inspect_errors() as e:
        st.caption(f"Words are shown as ids: the word index could not be read ({e}).")
        return None


def pick_sample(run, ds, where=st) -> int:
    """Class filter and sample number; shows the sample (review text, image or window). Returns its index."""
    from rnnviz import inspection

    x, y, split = inspection.inspect_split(ds)
    classes = ds.extra.get("classes")
    c1, c2 = where.columns(2)
    cls = None
    if classes:
        key = _shared(f"class_{run.config.data.name}")
        _reset_if_invalid(key, ["any", *classes])
        choice = c1.selectbox("Class", ["any", *classes], key=key,
                              help=f"Only {split} samples of this (true) class")
        cls = None if choice == "any" else classes.index(choice)
    pool = inspection.class_indices(y, cls)
    key = _shared(f"sample_{run.config.data.name}")
    if not isinstance(st.session_state.get(key), int) or not 0 <= st.session_state[key] < len(pool):
        st.session_state[key] = 0
    k = (c2 if classes else c1).number_input(f"Sample (0 to {len(pool) - 1:,}, {split} set)", 0, len(pool) - 1,
                                             key=key, step=1)
    return int(pool[k])


def show_sample(run, ds, index: int, where=st) -> None:
    """The sample as a student recognises it: review text, image with row numbers, or the window's line."""
    from rnnviz import inspect_plots, inspection

    x, y, split = inspection.inspect_split(ds)
    cfg, classes = run.config, ds.extra.get("classes")
    if cfg.data.name == "imdb":
        vocab = vocabulary(cfg)
        words = [w for w in inspection.step_labels(cfg, x[index], vocab) if w != "<pad>"]
        where.markdown(f"**Review {index:,}** (true label: **{classes[int(y[index])]}**, {len(words)} tokens "
                       f"as the model reads them; `<oov>` = a word outside the {cfg.data.vocab_size:,}-word "
                       f"vocabulary)")
        where.text(" ".join(words))
    elif cfg.data.name == "cifar10":
        reading = "conv" if cfg.front_end == "conv" else cfg.data.by
        where.plotly_chart(inspect_plots.image_figure(inspection.to_image(x[index]), reading,
                                                      f"Image {index:,}: {classes[int(y[index])]}"),
                           width="stretch", key="inspect_sample_image")
    else:
        where.plotly_chart(inspect_plots.window_figure(x[index, :, 0], y[index], f"Validation window {index}"),
                           width="stretch", key="inspect_sample_window")


@st.cache_resource(max_entries=4, show_spinner="Setting the weights of that epoch…")
def model_at(run_id: str, created: str, epoch: int | None):
    """The stored model, or a copy holding the weights after `epoch` (read-only, shared by all sessions)."""
    from rnnviz import inspection

    _limit_blas()
    model = load_model(run_id, created)
    if epoch is None:
        return model
    return inspection.model_at_epoch(model, _snapshots(run_id, created)[epoch])


@st.cache_data(max_entries=32, show_spinner="Probing the network…")
def probe_inputs(run_id: str, created: str, epoch: int | None, indices: tuple[int, ...]) -> list:
    """`probe.probe_model` of some samples of the run's inspection split (see `inspection.inspect_split`)."""
    from rnnviz import inspection, probe

    x, _, _ = inspection.inspect_split(dataset(trainer().store.load(run_id).config))
    return probe.probe_model(model_at(run_id, created, epoch), x[list(indices)])


@st.cache_data(max_entries=32, show_spinner="Probing the network…")
def probe_ids(run_id: str, created: str, epoch: int | None, ids: tuple[int, ...]) -> tuple[list, float]:
    """`probe.probe_model` of one encoded review, and the model's own output for it."""
    import keras
    import numpy as np

    from rnnviz import probe

    model = model_at(run_id, created, epoch)
    x = np.asarray([ids], "int32")
    return probe.probe_model(model, x), float(keras.ops.convert_to_numpy(model(x, training=False))[0, 0])


def inspect_controls() -> Inspection:
    """The pickers of the Hidden states and Gates pages (run, epoch, sample, layer), the sample shown, and
    its probe. Stops the page (with the fix) when nothing can be shown."""
    import numpy as np

    from rnnviz import inspect_plots, inspection

    run = inspect_run()
    ds = inspect_dataset(run)
    top = st.columns([2, 2, 1.2])
    with top[0]:
        index = pick_sample(run, ds)
    with top[1]:
        epoch = pick_epoch(run)
    layer, direction = pick_layer(run.config, top[2])
    with st.expander("The sample", expanded=True):
        show_sample(run, ds, index)
    inspect_model(run, epoch)
    try:
        probes = probe_inputs(run.run_id, run.info["created"], epoch, (index,))
    except _inspect_errors() as e:
        show_error(e, "Probing this run")
        st.stop()
    x, y, _ = inspection.inspect_split(ds)
    p = next(p for p in probes if p.name == layer)
    steps = inspection.visible_steps(None if p.mask is None else p.mask[0], p.inputs.shape[1])
    labels = inspection.step_labels(run.config, x[index], vocabulary(run.config))
    masked = len(steps) < p.inputs.shape[1]
    ticks = inspect_plots.step_ticks(np.arange(len(steps)) if masked else steps, [labels[s] for s in steps])
    if masked:
        st.caption(f"{p.inputs.shape[1] - len(steps)} padding steps are masked (the state does not change "
                   "there) and left out of the charts; words are numbered from `<start>` = 1.")
    return Inspection(run, ds, x, y, index, layer, direction, epoch, probes, steps, ticks,
                      inspection.step_axis_title(run.config))


@st.cache_data(max_entries=8, show_spinner="Probing many samples for the PCA…")
def _fit_set(run_id: str, created: str, epoch: int | None, layer: str, direction: str) -> tuple:
    """The fixed PCA sample set's hidden states `(n, time, units)`, mask and classes, for one layer."""
    import numpy as np

    from rnnviz import inspection, probe

    ds = dataset(trainer().store.load(run_id).config)
    _, y, _ = inspection.inspect_split(ds)
    idx = inspection.fit_indices(y, len(ds.extra.get("classes", [])))
    x, _, _ = inspection.inspect_split(ds)
    p = next(p for p in probe.probe_model(model_at(run_id, created, epoch), x[idx]) if p.name == layer)
    h = inspection.layer_gates(p, direction)["h"].astype(np.float32)
    return h, p.mask, np.asarray(y)[idx].reshape(len(idx), -1)[:, 0]


@st.cache_data(max_entries=8, show_spinner="Fitting the PCA…")
def state_pca(run_id: str, created: str, layer: str, direction: str):
    """PCA of the trained model's states over the fixed sample set: the same axes for every epoch and sample."""
    from rnnviz import inspection

    h, mask, _ = _fit_set(run_id, created, None, layer, direction)
    return inspection.fit_state_pca(h, mask)


def state_paths(sel: Inspection, classes: list | None, per_class: int) -> tuple:
    """The PCA, the fit set's paths to overlay (`(coords, group)` each, at the chosen epoch) and the fit set's size."""
    from rnnviz import inspection

    created = sel.run.info["created"]
    fit = state_pca(sel.run.run_id, created, sel.layer, sel.direction)
    h, mask, y = _fit_set(sel.run.run_id, created, sel.epoch, sel.layer, sel.direction)
    names = sel.ds.extra.get("classes")
    paths, counts = [], {}
    for (_, coords), cls in zip(inspection.project_paths(fit, h, mask), y):
        group = names[int(cls)] if names else "other windows"
        if (names and group not in (classes or [])) or counts.get(group, 0) >= per_class or not len(coords):
            continue
        counts[group] = counts.get(group, 0) + 1
        paths.append((coords, group))
    return fit, paths, len(y)


@st.cache_data(max_entries=16, show_spinner="Running the model from several start windows…")
def horizon_error(run_id: str, created: str, steps: int) -> tuple:
    """Free-running RMSE for each number of steps ahead (`inspection.free_runs`), and the number of starts."""
    from rnnviz import inspection

    pred, true, starts = inspection.free_runs(load_model(run_id, created), dataset(trainer().store.load(run_id).config),
                                              steps)
    return inspection.rmse_by_horizon(pred, true), len(starts)
