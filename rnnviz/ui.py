"""The Streamlit adapter: the shared trainer and store, config widgets, cached loaders, error display.

The only module of `rnnviz` that imports streamlit.
"""

from __future__ import annotations

import os
from typing import Any

import streamlit as st

from rnnviz import presets
from rnnviz.config import ACTIVATIONS, CELLS, OPTIMIZERS, CosineData, RunConfig


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


def set_widgets(cfg: RunConfig) -> None:
    """Puts a config's values into the sidebar widgets (used by the preset picker)."""
    values = {**cfg.to_dict(), **{f"data_{k}": v for k, v in cfg.to_dict()["data"].items()}}
    values.pop("data")
    for key, value in values.items():
        st.session_state[f"w_{key}"] = value


def _init(cfg: RunConfig) -> None:
    # Streamlit drops a widget's state when another page is shown: restore the last config this session made
    if "w_cell" not in st.session_state:
        set_widgets(st.session_state.get("last_config", cfg))


def _with(key: str, options: list) -> list:
    """Slider options plus the current value (a preset may use a value between the usual steps)."""
    return sorted({*options, st.session_state.get(key, options[0])})


def config_sidebar() -> RunConfig | None:
    """Sidebar widgets for every config field that matters for the chosen data; the config they make.

    Returns:
        The config, or None (after showing an error that names the field) when the values are invalid.
    """
    default_name = "cosine-lstm"
    default = presets.get(default_name).config
    _init(default)
    sb = st.sidebar
    st.session_state.setdefault("preset", default_name)
    sb.selectbox("Preset", [CUSTOM, *presets.PRESETS], key="preset", on_change=_apply_preset,
                 help="Start from a named configuration; every control below stays editable.")
    preset_note = sb.empty()
    sb.subheader("Data: cosine series")
    data = dict(
        length=sb.slider("Series length (points)", 200, 10_000, step=100, key="w_data_length"),
        period=sb.slider("Period (points per cycle)", 4.0, 200.0, step=1.0, key="w_data_period"),
        noise=sb.slider("Noise (std of added Gaussian)", 0.0, 0.5, step=0.01, key="w_data_noise"),
        window=sb.slider("Window (steps the network reads)", 5, 200, key="w_data_window"),
        horizon=sb.slider("Horizon (values predicted per window)", 1, 20, key="w_data_horizon"),
        val_fraction=sb.slider("Validation share (end of the series)", 0.1, 0.5, step=0.05,
                               key="w_data_val_fraction"),
    )
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
        cfg = RunConfig(data=CosineData(**data), **model, **fit)
    except ValueError as e:
        sb.error(f"{e}. Change that control to train.")
        return None
    st.session_state["last_config"] = cfg
    same = [p.name for p in presets.PRESETS.values() if p.config == cfg]
    preset_note.caption(f"These settings are preset **{same[0]}**." if same else
                        "Custom settings (no preset has exactly these).")
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


@st.cache_data(max_entries=64, show_spinner="Predicting…")
def forecast(run_id: str, created: str, steps: int) -> dict:
    """A stored cosine run's one-step and free-running forecast (see `rnnviz.metrics.forecast`)."""
    from rnnviz import data, metrics

    run = trainer().store.load(run_id)
    return metrics.forecast(load_model(run_id, created), data.load(run.config.data, run.config.seed), steps)
