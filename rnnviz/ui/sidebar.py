"""The config sidebar: widgets for every RunConfig field that matters, presets, and the config in the URL."""

from __future__ import annotations

import dataclasses
from typing import Any

import streamlit as st

from rnnviz import presets, vocab
from rnnviz.config import ACTIVATIONS, CELLS, DATA_KINDS, OPTIMIZERS, RunConfig
from rnnviz.ui.core import DATA_NAMES

CELL_NAMES = vocab.CELL_LABELS  # kept for importers of rnnviz.ui.CELL_NAMES
LEARNING_RATES = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]
BATCH_SIZES = [8, 16, 32, 64, 128, 256, 512]
CUSTOM = "(custom)"
VOCABS = [1000, 2000, 5000, 10000, 20000, 40000, 88000]
FRONT_END_NAMES = {"none": "none: the RNN reads pixels", "conv": "Conv2D -> BatchNorm -> MaxPool -> RNN",
                   "conv+rnn": "conv branch beside the row RNN"}


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
