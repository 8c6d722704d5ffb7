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


def config_sidebar() -> RunConfig | None:
    """Sidebar widgets for every config field that matters for the chosen data; the config they make.

    Returns:
        The config, or None (after showing an error that names the field) when the values are invalid.
    """
    default_name = "cosine-lstm"
    _init(presets.get(default_name).config)
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
    same = [p for p in presets.PRESETS.values() if p.config == cfg]
    preset_note.caption(f"Preset **{same[0].name}**: {same[0].description}. Source: {same[0].source}. "
                        f"Target: {same[0].target}." if same else "Custom settings (no preset has exactly these).")
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
