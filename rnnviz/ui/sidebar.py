"""The config sidebar: widgets for every RunConfig field that matters, presets, and the config in the URL."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import streamlit as st

from rnnviz.config import DATA_KINDS, RunConfig, checks, presets, tasks, vocab
from rnnviz.config.run import ACTIVATIONS, CELLS, OPTIMIZERS
from rnnviz.models.device import cudnn_blockers
from rnnviz.ui import uploads
from rnnviz.ui.core import DATA_NAMES
from rnnviz.ui.projector import QUERY_KEY as PROJECTOR_KEY

CELL_NAMES = vocab.CELL_LABELS  # kept for importers of rnnviz.ui.CELL_NAMES
LEARNING_RATES = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]
BATCH_SIZES = [8, 16, 32, 64, 128, 256, 512]
CUSTOM = "(custom)"
APP_QUERY_KEYS = (PROJECTOR_KEY,)
"""Query keys of the whole app, not of a config (`projector=1`): every page's link keeps them as they are."""
VOCABS = [1000, 2000, 5000, 10000, 20000, 40000, 88000]
FRONT_END_NAMES = {"none": "none: the RNN reads pixels", "conv": "Conv2D -> BatchNorm -> MaxPool -> RNN",
                   "conv+rnn": "conv branch beside the row RNN"}


def _apply_preset() -> None:
    name = st.session_state["preset"]
    if name != CUSTOM:
        set_widgets(presets.get(name).config)


def _switch_data(key: str = "w_data") -> None:
    """A data set (or source) picked: its quick preset."""
    name = tasks.of(st.session_state[key]).quick
    set_widgets(presets.get(name).config)
    st.session_state["preset"] = name


def set_widgets(cfg: RunConfig) -> None:
    """Puts a config's values into the sidebar widgets (used by the preset picker and page switches)."""
    values = cfg.to_dict()
    data = values.pop("data")
    st.session_state["w_source"] = data.pop("name")
    st.session_state["w_data"] = tasks.picked(cfg.data.name)
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


class _Fitting:
    """`st.sidebar`, whose sliders and number inputs first move a session value that lies outside their range
    to the nearest end: a link (or an old session) may hold any value the config accepts, and Streamlit
    raises for a value beyond a widget's range. `config_sidebar` then names each value it moved."""

    def __init__(self, dg) -> None:
        self._dg = dg

    def __getattr__(self, name: str) -> Any:
        return getattr(self._dg, name)

    def _fit(self, lo: Any, hi: Any, key: str | None) -> None:
        value = st.session_state.get(key) if key else None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and lo is not None and hi is not None:
            st.session_state[key] = min(max(value, lo), hi)

    def slider(self, label: str, min_value: Any = None, max_value: Any = None, *args: Any, **kwargs: Any) -> Any:
        self._fit(min_value, max_value, kwargs.get("key"))
        return self._dg.slider(label, min_value, max_value, *args, **kwargs)

    def number_input(self, label: str, min_value: Any = None, max_value: Any = None, *args: Any,
                     **kwargs: Any) -> Any:
        self._fit(min_value, max_value, kwargs.get("key"))
        return self._dg.number_input(label, min_value, max_value, *args, **kwargs)


def _number(sb, kind: type, name: str, label: str, step: int | float = 1, *, slider: bool = True,
            key: str | None = None, **kwargs: Any) -> Any:
    """A slider (or number input) for a numeric config field over the range the config accepts
    (`checks.limits`); an open end (dropout < 1) stops one step short of it."""
    accepts = checks.limits(kind)[name]
    lo = accepts.lo + step if accepts.lo_open else accepts.lo
    hi = round(accepts.hi - step, 10) if accepts.hi_open else accepts.hi
    widget = sb.slider if slider else sb.number_input
    return widget(label, lo, hi, step=step, key=key or f"w_{name}", **kwargs)


def _options(kind: type, name: str) -> list:
    """The choices a config field accepts, in the config's order."""
    return list(checks.limits(kind)[name])


def _cosine_widgets(sb, kind: type, k: str) -> dict[str, Any]:
    return dict(
        length=_number(sb, kind, "length", "Series length (points)", 100, slider=False, key=k + "length"),
        period=_number(sb, kind, "period", "Period (points per cycle)", 1.0, slider=False, key=k + "period"),
        noise=_number(sb, kind, "noise", "Noise (std of added Gaussian)", 0.01, slider=False, key=k + "noise"),
        window=_number(sb, kind, "window", "Window (steps the network reads)", key=k + "window"),
        horizon=_number(sb, kind, "horizon", "Horizon (values predicted per window)", key=k + "horizon"),
        val_fraction=_number(sb, kind, "val_fraction", "Validation share (end of the series)", 0.05,
                             key=k + "val_fraction"))


def _memory_widgets(sb, kind: type, k: str) -> dict[str, Any]:
    return dict(
        steps=_number(sb, kind, "steps", "Steps T (one mark in each half)", key=k + "steps",
                      help="The network must carry the first marked value over up to T steps."),
        samples=_number(sb, kind, "samples", "Sequences (training + validation)", 100, key=k + "samples"),
        val_fraction=_number(sb, kind, "val_fraction", "Validation share of the sequences", 0.05,
                             key=k + "val_fraction"),
        recall=sb.toggle("Recall: answer the first marked value (not the sum)", key=k + "recall",
                         help="An easier variant: one value to remember instead of two to add. Its "
                              "constant-answer baseline is 1/12 instead of 1/6."))


def _lm_widgets(sb, kind: type, k: str) -> dict[str, Any]:
    return dict(
        level=sb.radio("Predict the next", _options(kind, "level"), horizontal=True, key=k + "level",
                       format_func={"word": "word", "char": "character"}.get),
        vocab_size=sb.select_slider("Vocabulary cap (most frequent words; word level)",
                                    _with(k + "vocab_size", VOCABS), key=k + "vocab_size",
                                    help="Rarer words become <unk>. The character level has a fixed alphabet."),
        seq_len=_number(sb, kind, "seq_len", "Tokens per training window", 4, key=k + "seq_len"),
        train_size=_number(sb, kind, "train_size", "Training samples (windows)", 100, key=k + "train_size",
                           help="Windows of text read from the training reviews: fewer train faster."),
        val_size=_number(sb, kind, "val_size", "Validation windows (from the test reviews)", 10,
                         key=k + "val_size"))


def _split_widgets(sb, kind: type, k: str) -> dict[str, Any]:
    """A standard data set's training subset and validation share."""
    return dict(
        train_size=int(_number(sb, kind, "train_size", "Training samples (0 = all)", 1000, slider=False,
                               key=k + "train_size")),
        val_split=_number(sb, kind, "val_split", "Validation share of the training samples", 0.01,
                          key=k + "val_split"))


def _imdb_widgets(sb, kind: type, k: str) -> dict[str, Any]:
    opts = dict(
        vocab_size=sb.select_slider("Vocabulary (most frequent words)", _with(k + "vocab_size", VOCABS),
                                    key=k + "vocab_size"),
        maxlen=_number(sb, kind, "maxlen", "Words per review (padded / cut)", 4, key=k + "maxlen"),
        padding=sb.radio("Pad short reviews at the", _options(kind, "padding"), horizontal=True,
                         format_func={"pre": "front", "post": "end"}.get, key=k + "padding"),
        truncating=sb.radio("Cut long reviews at the", _options(kind, "truncating"), horizontal=True,
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
    return {**opts, **_split_widgets(sb, kind, k)}


def _cifar_widgets(sb, kind: type, k: str) -> dict[str, Any]:
    return dict(
        by=sb.radio("Read each image by", _options(kind, "by"), horizontal=True, key=k + "by",
                    help="32 steps of 32 pixels x 3 colours = 96 values each"),
        normalise=sb.toggle("Scale pixels to [0, 1]", key=k + "normalise"), **_split_widgets(sb, kind, k))


DATA_WIDGETS = {"cosine": _cosine_widgets, "memory": _memory_widgets, "imdb_lm": _lm_widgets,
                "imdb": _imdb_widgets, "cifar10": _cifar_widgets, "csv": uploads.csv_widgets,
                "text": uploads.text_widgets}
"""Data kind -> the labelled widgets of its options; a kind without an entry gets one plain control per option."""


def _data_widgets(sb, name: str) -> dict[str, Any]:
    """The option widgets of one data set; returns their values by option name."""
    return DATA_WIDGETS.get(name, _plain_widgets)(sb, DATA_KINDS[name], f"w_{name}_")


def _plain_widgets(sb, kind: type, k: str) -> dict[str, Any]:
    """One plain control per option, named by the option, for a data set without widgets of its own."""
    out = {}
    for name, accepts in checks.limits(kind).items():
        if accepts == (False, True):
            out[name] = sb.toggle(name, key=k + name)
        elif isinstance(accepts, tuple):
            out[name] = sb.radio(name, list(accepts), horizontal=True, key=k + name)
        else:
            out[name] = _number(sb, kind, name, name, 1 if accepts.integer else 0.01, slider=False, key=k + name)
    return out


def _apply_query(page_keys: tuple[str, ...]) -> tuple[RunConfig, list[str]] | None:
    """Sets the widgets from a shared link's query string (once per link).

    Returns:
        The link's config and what it had to ignore, or None when there is no new link.
    """
    params = {k: v for k, v in st.query_params.to_dict().items() if k not in page_keys}
    if not params or st.session_state.get("query_applied") == params:
        return None
    cfg, notes = RunConfig.from_query(params, ignore=page_keys)
    set_widgets(cfg)
    st.session_state["preset"] = next((p.name for p in presets.PRESETS.values() if p.config == cfg), CUSTOM)
    st.session_state["query_applied"] = params
    return cfg, notes


def _link_text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _not_taken(linked: RunConfig, used: dict[str, Any], data_name: str) -> list[str]:
    """One note per value of a link's config that the sidebar could not take: the linked value, the one used."""
    flat = linked.to_dict()
    flat = {**{k: v for k, v in flat.pop("data").items() if k != "name"}, **flat}
    notes = []
    for name, value in flat.items():
        linked_text = f"{name}={_link_text(value)}"
        if name not in used:
            default = dataclasses.asdict(DATA_KINDS[data_name]()).get(name, getattr(RunConfig(), name, None))
            if value != default:
                notes.append(f"{linked_text} (no control for it with {DATA_NAMES.get(data_name, data_name)} "
                             f"data here: {_link_text(default)} is used)")
        elif used[name] != value:
            notes.append(f"{linked_text} (beyond what its control offers: {_link_text(used[name])} is used)")
    return notes


def _write_query(cfg: RunConfig, page_keys: tuple[str, ...]) -> None:
    """Puts the config (and the page's own keys) in the URL, so the address bar is a shareable link."""
    params = {**{k: v for k, v in st.query_params.to_dict().items() if k in page_keys}, **cfg.to_query()}
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
    st.session_state["query_applied"] = cfg.to_query()


def config_sidebar(page_keys: tuple[str, ...] = (), default_preset: str = "cosine-lstm") -> RunConfig | None:
    """Sidebar widgets for every config field that matters for the chosen data; the config they make.

    The page's URL carries the config (`RunConfig.to_query`): a link opens the same settings.

    Args:
        page_keys: query keys that belong to the page, not to the config (kept in the URL as they are).
        default_preset: the preset a new session starts from (Compare opens on the memory task).

    Returns:
        The config, or None (after showing an error that names the field) when the values are invalid.
    """
    default_name = default_preset
    page_keys = (*page_keys, *APP_QUERY_KEYS)
    _init(presets.get(default_name).config)
    link = _apply_query(page_keys)
    top = sb = _Fitting(st.sidebar)
    entry = sb.radio("Data set", tasks.PICKED, horizontal=True, key="w_data", format_func=DATA_NAMES.get,
                     on_change=_switch_data, help="Switching data set starts from its quick preset; its options "
                                                  "are under Advanced.")
    name = _source(sb, entry)
    task = tasks.of(name)
    if task.upload:  # a user's own file: its upload right under the data choice, its options under Advanced
        uploads.UPLOADS[task.upload](top, f"w_{name}_")
    cell = sb.radio("Cell", CELLS, format_func=CELL_NAMES.get, horizontal=True, key="w_cell")
    units = _number(sb, RunConfig, "units", "Units per layer")
    preset_note = sb.empty()
    sb = _Fitting(st.sidebar.expander("Advanced", icon=":material/tune:"))  # everything but data, cell and units
    st.session_state.setdefault("preset", default_name)
    sb.selectbox("Preset", [CUSTOM, *presets.PRESETS], key="preset", on_change=_apply_preset,
                 help="Start from a named configuration; every control below stays editable.")
    sb.subheader(f"Data: {DATA_NAMES.get(name, name)}")
    data = _data_widgets(sb, name)
    sb.subheader("Model")
    model = dict(
        cell=cell,
        bidirectional=sb.toggle("Bidirectional", key="w_bidirectional"),
        layers=_number(sb, RunConfig, "layers", "Stacked layers"),
        units=units,
        activation=sb.selectbox("Activation", ACTIVATIONS, key="w_activation"),
        dropout=_number(sb, RunConfig, "dropout", "Dropout (inputs)", 0.05),
        recurrent_dropout=_number(sb, RunConfig, "recurrent_dropout", "Recurrent dropout (state)", 0.05),
    )
    cudnn_note = sb.empty()
    if task.inputs == "ids":
        model["embedding_dim"] = _number(sb, RunConfig, "embedding_dim", "Word embedding size")
    if task.objective.classes:
        model["head_units"] = _number(sb, RunConfig, "head_units", "Dense layer before the output (0 = none)")
        model["pooling"] = sb.radio("Read out", _options(RunConfig, "pooling"), horizontal=True, key="w_pooling",
                                    format_func={"last": "last step", "mean": "mean over steps"}.get)
    if task.inputs == "image":
        model["front_end"] = sb.radio("Front end", _options(RunConfig, "front_end"), key="w_front_end",
                                      format_func=FRONT_END_NAMES.get)
        if model["front_end"] != "none":
            model["conv_filters"] = _number(sb, RunConfig, "conv_filters", "Conv2D filters (3x3)")
    sb.subheader("Training")
    fit = dict(
        epochs=_number(sb, RunConfig, "epochs", "Epochs"),
        batch_size=sb.select_slider("Batch size", _with("w_batch_size", BATCH_SIZES), key="w_batch_size"),
        learning_rate=sb.select_slider("Learning rate", _with("w_learning_rate", LEARNING_RATES),
                                       key="w_learning_rate"),
        optimizer=sb.selectbox("Optimizer", OPTIMIZERS, key="w_optimizer"),
        seed=int(_number(sb, RunConfig, "seed", "Seed", slider=False)),
    )
    if link is not None:
        notes = link[1] + _not_taken(link[0], {**data, **model, **fit}, name)
        if notes:
            st.warning("The link's settings were used, except: " + "; ".join(notes) + ".", icon=":material/link:")
    try:
        cfg = RunConfig(data=DATA_KINDS[name](**data), **model, **fit)
    except ValueError as e:
        top.error(f"{e}. Change that control to train.")
        return None
    st.session_state["last_config"] = cfg
    _write_query(cfg, page_keys)
    same = [p for p in presets.PRESETS.values() if p.config == cfg]
    if same:
        p = same[0]
        source = f" Source: {p.source}." if p.source != "-" else ""
        preset_note.caption(f"Preset **{p.name}**: {p.description}.{source} Target: {p.target}.")
    else:
        preset_note.caption(f"Custom settings: {DATA_NAMES.get(name, name)} data, {cfg.epochs} epochs (no preset "
                            "has exactly these; the rest is under Advanced).")
    blockers = cudnn_blockers(cfg)
    if blockers:
        cudnn_note.caption("On a GPU these settings leave the fast cuDNN kernel (slower training): "
                           + "; ".join(blockers) + ".")
    return cfg


def _source(sb, entry: str) -> str:
    """The data kind: the picker's entry, or one of its sources (the text language model reads raw text or
    Keras's IMDB word ids) picked right under it."""
    choices = tasks.sources(entry)
    if st.session_state.get("w_source") not in choices:
        st.session_state["w_source"] = entry
    if len(choices) == 1:
        return entry
    return sb.radio("Source", choices, key="w_source", format_func=lambda k: tasks.of(k).source or DATA_NAMES[k],
                    on_change=_switch_data, args=("w_source",), help="Each source starts from its own quick preset.")


def _default_seed() -> None:
    st.session_state["w_seed"] = RunConfig().seed


def seed_note(cfg: RunConfig) -> None:
    """Says so when the sidebar's seed (under Advanced, kept from another page) is not the default, which the
    presets and lessons use: their stored runs are then other runs. A button sets it back."""
    default = RunConfig().seed
    if cfg.seed == default:
        return
    left, right = st.columns([4, 1], vertical_alignment="center")
    left.info(f"Seed **{cfg.seed}** (under Advanced, kept from another page): runs trained with seed {default}, "
              "like the presets' and a lesson's, are other runs and are not shown as stored.",
              icon=":material/casino:")
    right.button(f"Use seed {default}", key="seed_default", on_click=_default_seed)
