"""Streamlit helpers of the Inspect pages: run, epoch, layer and sample pickers, cached models and probes."""

from __future__ import annotations

import dataclasses
from typing import Any

import streamlit as st

from rnnviz.config import vocab
from rnnviz.config import RunConfig
from rnnviz.ui import links, player
from rnnviz.ui.core import DATA_NAMES, data_dir, dataset, load_model, show_error, trainer


# Run, epoch, layer and sample pickers shared by the Inspect pages, and their cached models and probes. Widget
# values outlive page switches (`keep`), so a teacher moving from Hidden states to Gates keeps the same picture.
# Each picker also follows the page's URL (`links.follow`: ?run=...&epoch=...&sample=...&class=...&layer=...),
# so the address bar is a link to the same view.


@dataclasses.dataclass(frozen=True)
class Inspection:
    """What the Inspect pickers chose, and the chosen sample probed.

    Attributes:
        run: the `StoredRun`; ds: its `Dataset`; x, y: the samples shown (`samples.inspect_split`).
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
        from rnnviz.inspect import layers as inspection

        return {k: v[0, self.steps] for k, v in inspection.layer_gates(self.probe, self.direction).items()}


def _inspect_errors() -> tuple:
    import zipfile

    from rnnviz.data.standard import DataError, DataUnavailable
    from rnnviz.store.runs import StoreError

    return ValueError, DataError, DataUnavailable, StoreError, KeyError, OSError, zipfile.BadZipFile


@st.cache_resource
def _limit_blas() -> bool:
    """One BLAS thread for numpy in this server (see `device.limit_blas_threads`)."""
    from rnnviz.models import device

    return device.limit_blas_threads(1)


def _shared(name: str) -> str:
    """A widget key for a choice the Inspect pages share (run, epoch, sample, layer), mirrored in
    `st.session_state["inspect_" + name]`.

    `keep` is not enough across pages: Streamlit 1.67 puts the page into a widget's id, so one key on two pages
    is two widgets, and on the first run after a page switch the old page's value still sits under the key
    (`keep` then restores nothing) while the new widget starts at its default. So on the first run of each
    page visit the key is set from the mirror.
    """
    from rnnviz.ui.st_internals import page_id

    page, key, marker = page_id(), f"w_inspect_{name}", f"_inspect_page_{name}"
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


def inspect_run(kinds: tuple[str, ...] = ("cosine", "imdb", "cifar10", "memory")):
    """A run picker over the stored runs of these data sets; stops the page with a link to Train if none."""
    runs, problems = trainer().store.list()
    for problem in problems:
        st.caption(f"Skipped a damaged run: {problem}")
    runs = [r for r in runs if r.config.data.name in kinds]
    if not runs:
        names = " or ".join(DATA_NAMES[k] for k in kinds)
        if kinds == ("imdb_lm",):  # the language-model presets are the slow ones (README: 228 s and 268 s)
            hint = "the imdb-char-lm preset takes about 4 minutes on a 2-core CPU; it is kept, and this page can"
        else:
            hint = "a quick preset takes under a minute; it is kept, and every Inspect page can"
        st.info(f"No stored {names} run yet. Train one first ({hint} then open it).")
        st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")
        st.stop()
    by_id = {r.run_id: r for r in runs}
    key = _shared("run")
    _reset_if_invalid(key, list(by_id))
    links.follow("run", key, links.choice(list(by_id), what=f"the id of a stored run ({len(by_id)} here)"),
                 next(iter(by_id)), mirror="inspect_run",
                 display=lambda r: f"the run {vocab.run_label(by_id[r].config)}")
    labels = dict(zip(by_id, vocab.run_labels([r.config for r in by_id.values()])))
    run_id = st.selectbox("Stored run", list(by_id), key=key, help="Every run trained here (newest first).",
                          format_func=lambda r: f"{labels[r]} · {DATA_NAMES[by_id[r].config.data.name]} · "
                                                f"{_inspect_score(by_id[r])} · "
                                                f"{by_id[r].info.get('created', '')[:16].replace('T', ' ')}")
    return by_id[run_id]


def _inspect_score(run) -> str:
    m = run.metrics
    if "test_accuracy" in m:
        return f"test accuracy {m['test_accuracy']:.1%}"
    if "baseline_mse" in m:
        return f"val MSE {m['val_mse']:.4f} (baseline {m['baseline_mse']:.3f})"
    if "val_perplexity" in m:  # a language model
        return f"val perplexity {m['val_perplexity']:.2f} (n-gram {m['baseline_perplexity']:.2f})"
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
    mirror = f"inspect_epoch_{run.run_id}"
    player.step(key, epochs, mirror)
    links.follow("epoch", key, links.choice(epochs), epochs[-1], mirror=mirror)
    epoch = where.select_slider("Epoch (weights after this many epochs; 0 = untrained)", epochs, key=key,
                                help="Stored snapshots of the weights; nothing is retrained.")
    player.button(key, epochs, where)
    return None if epoch == epochs[-1] else int(epoch)


def pick_layer(cfg: RunConfig, where=st) -> tuple[str, str]:
    """Layer (and direction, for bidirectional runs) pickers: `("rnn_1", "" | "forward" | "backward")`."""
    names = [f"rnn_{k}" for k in range(1, cfg.layers + 1)]
    key = _shared("layer")
    _reset_if_invalid(key, names)
    links.follow("layer", key, links.choice(names), names[0], mirror="inspect_layer")
    layer = where.selectbox("Layer", names, key=key, disabled=len(names) == 1,
                            format_func=lambda n: f"layer {n[4:]}" + (" (reads the input)" if n == "rnn_1" else ""))
    direction = ""
    if not cfg.bidirectional:
        st.query_params.pop("direction", None)  # left by a bidirectional run picked before
    if cfg.bidirectional:
        key = _shared("direction")
        _reset_if_invalid(key, ["forward", "backward"])
        links.follow("direction", key, links.choice(["forward", "backward"]), "forward",
                     mirror="inspect_direction")
        direction = where.radio("Direction", ["forward", "backward"], key=key, horizontal=True,
                                help="A bidirectional layer has two RNNs: forward reads step 1 first, backward "
                                     "reads the last step first. Both are drawn in input order.")
    return layer, direction


@st.cache_resource(max_entries=2, show_spinner="Loading the vocabulary…")
def _vocabulary(vocab_size: int, folder: str | None):
    from rnnviz.data import standard as datasets

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
    from rnnviz.inspect import samples

    x, y, split = samples.inspect_split(ds)
    classes = ds.extra.get("classes")
    c1, c2 = where.columns(2)
    cls = None
    if not classes:
        st.query_params.pop("class", None)  # left by a run with classes picked before
    if classes:
        key = _shared(f"class_{run.config.data.name}")
        _reset_if_invalid(key, ["any", *classes])
        links.follow("class", key, links.choice(["any", *classes]), "any",
                     mirror=f"inspect_class_{run.config.data.name}")
        choice = c1.selectbox("Class", ["any", *classes], key=key,
                              help=f"Only {split} samples of this (true) class")
        cls = None if choice == "any" else classes.index(choice)
    pool = samples.class_indices(y, cls)
    if len(pool) == 0:  # a class absent from a small test set
        where.info(f"No {split} sample is of class {classes[cls]!r}; showing all classes.")
        pool = samples.class_indices(y, None)
    key = _shared(f"sample_{run.config.data.name}")
    if not isinstance(st.session_state.get(key), int) or not 0 <= st.session_state[key] < len(pool):
        st.session_state[key] = 0
    links.follow("sample", key, links.integer(0, len(pool) - 1), 0,
                 mirror=f"inspect_sample_{run.config.data.name}")
    k = (c2 if classes else c1).number_input(f"Sample (0 to {len(pool) - 1:,}, {split} set)", 0, len(pool) - 1,
                                             key=key, step=1)
    return int(pool[k])


def show_sample(run, ds, index: int, where=st) -> None:
    """The sample as a student recognises it: review text, image with row numbers, or the window's line."""
    from rnnviz.plots import inspect as inspect_plots
    from rnnviz.inspect import samples

    x, y, split = samples.inspect_split(ds)
    cfg, classes = run.config, ds.extra.get("classes")
    if cfg.data.name == "imdb":
        vocab = vocabulary(cfg)
        words = [w for w in samples.step_labels(cfg, x[index], vocab) if w != "<pad>"]
        where.markdown(f"**Review {index:,}** (true label: **{classes[int(y[index])]}**, {len(words)} tokens "
                       f"as the model reads them; `<oov>` = a word outside the {cfg.data.vocab_size:,}-word "
                       f"vocabulary)")
        where.text(" ".join(words))
    elif cfg.data.name == "cifar10":
        reading = "conv" if cfg.front_end == "conv" else cfg.data.by
        where.plotly_chart(inspect_plots.image_figure(samples.to_image(x[index]), reading,
                                                      f"Image {index:,}: {classes[int(y[index])]}"),
                           width="stretch", key="inspect_sample_image")
    elif cfg.data.name == "memory":
        from rnnviz.plots import adding as memory

        where.plotly_chart(memory.sequence_figure(x[index], float(y[index, 0]), f"Validation sequence {index:,}"),
                           width="stretch", key="inspect_sample_sequence")
    else:
        where.plotly_chart(inspect_plots.window_figure(x[index, :, 0], y[index], f"Validation window {index}"),
                           width="stretch", key="inspect_sample_window")


@st.cache_resource(max_entries=4, show_spinner="Setting the weights of that epoch…")
def model_at(run_id: str, created: str, epoch: int | None):
    """The stored model, or a copy holding the weights after `epoch` (read-only, shared by all sessions)."""
    from rnnviz.inspect import layers as inspection

    _limit_blas()
    model = load_model(run_id, created)
    if epoch is None:
        return model
    return inspection.model_at_epoch(model, _snapshots(run_id, created)[epoch])


@st.cache_data(max_entries=32, show_spinner="Probing the network…")
def probe_inputs(run_id: str, created: str, epoch: int | None, indices: tuple[int, ...]) -> list:
    """`probe.probe_model` of some samples of the run's inspection split (see `samples.inspect_split`)."""
    from rnnviz import probe
    from rnnviz.probe import core as probe_core
    from rnnviz.inspect import samples

    x, _, _ = samples.inspect_split(dataset(trainer().store.load(run_id).config))
    return probe.probe_model(model_at(run_id, created, epoch), x[list(indices)])


@st.cache_data(max_entries=32, show_spinner="Probing the network…")
def probe_ids(run_id: str, created: str, epoch: int | None, ids: tuple[int, ...]) -> tuple[list, float]:
    """`probe.probe_model` of one encoded review, and the model's own output for it."""
    import keras
    import numpy as np

    from rnnviz import probe
    from rnnviz.probe import core as probe_core

    model = model_at(run_id, created, epoch)
    x = np.asarray([ids], "int32")
    return probe.probe_model(model, x), float(keras.ops.convert_to_numpy(model(x, training=False))[0, 0])


def inspect_controls() -> Inspection:
    """The pickers of the Hidden states and Gates pages (run, epoch, sample, layer), the sample shown, and
    its probe. Stops the page (with the fix) when nothing can be shown."""
    import numpy as np

    from rnnviz.plots import inspect as inspect_plots
    from rnnviz.inspect import samples

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
    x, y, _ = samples.inspect_split(ds)
    p = next(p for p in probes if p.name == layer)
    steps = samples.visible_steps(None if p.mask is None else p.mask[0], p.inputs.shape[1])
    labels = samples.step_labels(run.config, x[index], vocabulary(run.config))
    masked = len(steps) < p.inputs.shape[1]
    ticks = inspect_plots.step_ticks(np.arange(len(steps)) if masked else steps, [labels[s] for s in steps])
    if masked:
        st.caption(f"{p.inputs.shape[1] - len(steps)} padding steps are masked (the state does not change "
                   "there) and left out of the charts; words are numbered from `<start>` = 1.")
    return Inspection(run, ds, x, y, index, layer, direction, epoch, probes, steps, ticks,
                      samples.step_axis_title(run.config))


@st.cache_data(max_entries=8, show_spinner="Probing many samples for the PCA…")
def _fit_set(run_id: str, created: str, epoch: int | None, layer: str, direction: str) -> tuple:
    """The fixed PCA sample set's hidden states `(n, time, units)`, mask and classes, for one layer."""
    import numpy as np

    from rnnviz.inspect import layers as inspection
    from rnnviz import probe
    from rnnviz.probe import core as probe_core
    from rnnviz.inspect import samples

    ds = dataset(trainer().store.load(run_id).config)
    _, y, _ = samples.inspect_split(ds)
    idx = samples.fit_indices(y, len(ds.extra.get("classes", [])))
    x, _, _ = samples.inspect_split(ds)
    p = next(p for p in probe.probe_model(model_at(run_id, created, epoch), x[idx]) if p.name == layer)
    h = inspection.layer_gates(p, direction)["h"].astype(np.float32)
    return h, p.mask, np.asarray(y)[idx].reshape(len(idx), -1)[:, 0]


@st.cache_data(max_entries=8, show_spinner="Fitting the PCA…")
def state_pca(run_id: str, created: str, layer: str, direction: str):
    """PCA of the trained model's states over the fixed sample set: the same axes for every epoch and sample."""
    from rnnviz.inspect import layers as inspection

    h, mask, _ = _fit_set(run_id, created, None, layer, direction)
    return inspection.fit_state_pca(h, mask)


def state_paths(sel: Inspection, classes: list | None, per_class: int) -> tuple:
    """The PCA, the fit set's paths to overlay (`(coords, group)` each, at the chosen epoch) and the fit set's size."""
    from rnnviz.inspect import layers as inspection

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


def shown_shares(sel: Inspection, fit):
    """At an earlier epoch, the share of the fit set's variance *then* along each of the trained PCA's axes
    (`inspection.variance_shares`); None for the trained model, where the PCA's own shares describe the states."""
    from rnnviz.inspect import layers as inspection

    if sel.epoch is None:
        return None
    h, mask, _ = _fit_set(sel.run.run_id, sel.run.info["created"], sel.epoch, sel.layer, sel.direction)
    return inspection.variance_shares(fit, h, mask)


@st.cache_data(max_entries=16, show_spinner="Running the model from several start windows…")
def horizon_error(run_id: str, created: str, steps: int) -> tuple:
    """Free-running RMSE for each number of steps ahead (`metrics.free_runs`), the same for repeating the last
    value (`metrics.persistence`, from the same starts), and the number of starts."""
    from rnnviz.training import metrics

    ds = dataset(trainer().store.load(run_id).config)
    pred, true, starts = metrics.free_runs(load_model(run_id, created), ds, steps)
    base = metrics.persistence(ds, starts, true.shape[1])
    return metrics.rmse_by_horizon(pred, true), metrics.rmse_by_horizon(base, true), len(starts)
