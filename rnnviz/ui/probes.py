"""Cached models, data and probes of stored runs for the Inspect pages (shared by every session), and the
`Inspection` their pickers (`rnnviz.ui.pickers`) make; loaders here stop the page with the fix when a run cannot
be read."""

from __future__ import annotations

import dataclasses
import zipfile
from typing import Any

import numpy as np
import streamlit as st

from rnnviz.config import RunConfig, tasks
from rnnviz.data import imdb
from rnnviz.data.standard import DataError, DataUnavailable
from rnnviz.inspect import samples
from rnnviz.models import device
from rnnviz.store.runs import StoreError
from rnnviz.training import metrics
from rnnviz.ui.core import DATA_NAMES, data_dir, dataset, load_model, show_error, trainer


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
        from rnnviz.inspect import layers as inspection  # lazy: Keras; app.py imports rnnviz.ui before its backend check

        return {k: v[0, self.steps] for k, v in inspection.layer_gates(self.probe, self.direction).items()}


def inspect_errors() -> tuple:
    """The exceptions a damaged or unreadable run raises while it is loaded or probed (caught to show the fix)."""
    return ValueError, DataError, DataUnavailable, StoreError, KeyError, OSError, zipfile.BadZipFile


@st.cache_resource
def _limit_blas() -> bool:
    """One BLAS thread for numpy in this server (see `device.limit_blas_threads`)."""
    return device.limit_blas_threads(1)


def inspect_model(run, epoch: int | None = None):
    """The run's model at `epoch` (cached), or an error box with the fix and a stopped page."""
    try:
        return model_at(run.run_id, run.info["created"], epoch)
    except inspect_errors() as e:
        show_error(e, f"Loading run {run.run_id}")
        st.caption("Fix: retrain it on the Train page (*Retrain even if stored*), or pick another run.")
        st.stop()


def inspect_dataset(run):
    """The run's data (cached), or an error box with the fix and a stopped page."""
    try:
        return dataset(run.config)
    except inspect_errors() as e:
        show_error(e, f"Loading the {DATA_NAMES[run.config.data.name]} data")
        st.stop()


@st.cache_resource(max_entries=2)
def snapshots(run_id: str, created: str) -> dict:
    """The run's weight snapshots, epoch -> weights (`StoredRun.snapshots`), read once for all sessions."""
    return trainer().store.load(run_id).snapshots()


@st.cache_resource(max_entries=2, show_spinner="Loading the vocabulary…")
def _vocabulary(vocab_size: int, folder: str | None):
    return imdb.Vocabulary(imdb.word_index(folder), vocab_size)


def vocabulary(cfg: RunConfig, quiet: bool = False):
    """The IMDB word index with the run's vocabulary cap (None for other data, or when the file is missing, which
    a caption says unless `quiet`)."""
    if tasks.of(cfg.data).vocabulary != "imdb":
        return None
    try:
        return _vocabulary(cfg.data.vocab_size, data_dir())
    except inspect_errors() as e:
        if not quiet:
            st.caption(f"Words are shown as ids: the word index could not be read ({e}).")
        return None


@st.cache_resource(max_entries=4, show_spinner="Setting the weights of that epoch…")
def model_at(run_id: str, created: str, epoch: int | None):
    """The stored model, or a copy holding the weights after `epoch` (read-only, shared by all sessions)."""
    from rnnviz.inspect import layers as inspection  # lazy: Keras; app.py imports rnnviz.ui before its backend check

    _limit_blas()
    model = load_model(run_id, created)
    if epoch is None:
        return model
    return inspection.model_at_epoch(model, snapshots(run_id, created)[epoch])


@st.cache_data(max_entries=32, show_spinner="Probing the network…")
def probe_inputs(run_id: str, created: str, epoch: int | None, indices: tuple[int, ...]) -> list:
    """`probe.probe_model` of some samples of the run's inspection split (see `samples.inspect_split`)."""
    from rnnviz import probe  # lazy: Keras; app.py imports rnnviz.ui before its backend check

    x, _, _ = samples.inspect_split(dataset(trainer().store.load(run_id).config))
    return probe.probe_model(model_at(run_id, created, epoch), x[list(indices)])


@st.cache_data(max_entries=32, show_spinner="Probing the network…")
def probe_ids(run_id: str, created: str, epoch: int | None, ids: tuple[int, ...]) -> tuple[list, float]:
    """`probe.probe_model` of one encoded review, and the model's own output for it."""
    import keras  # lazy: app.py imports rnnviz.ui before its backend check

    from rnnviz import probe  # lazy: Keras; app.py imports rnnviz.ui before its backend check

    model = model_at(run_id, created, epoch)
    x = np.asarray([ids], "int32")
    return probe.probe_model(model, x), float(keras.ops.convert_to_numpy(model(x, training=False))[0, 0])


@st.cache_data(max_entries=8, show_spinner="Probing many samples for the PCA…")
def _fit_set(run_id: str, created: str, epoch: int | None, layer: str, direction: str) -> tuple:
    """The fixed PCA sample set's hidden states `(n, time, units)`, mask and classes, for one layer."""
    from rnnviz import probe  # lazy: Keras; app.py imports rnnviz.ui before its backend check
    from rnnviz.inspect import layers as inspection  # lazy: Keras; app.py imports rnnviz.ui before its backend check

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
    from rnnviz.inspect import layers as inspection  # lazy: Keras; app.py imports rnnviz.ui before its backend check

    h, mask, _ = _fit_set(run_id, created, None, layer, direction)
    return inspection.fit_state_pca(h, mask)


def state_paths(sel: Inspection, classes: list | None, per_class: int) -> tuple:
    """The PCA, the fit set's paths to overlay (`(coords, group)` each, at the chosen epoch) and the fit set's size."""
    from rnnviz.inspect import layers as inspection  # lazy: Keras; app.py imports rnnviz.ui before its backend check

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
    from rnnviz.inspect import layers as inspection  # lazy: Keras; app.py imports rnnviz.ui before its backend check

    if sel.epoch is None:
        return None
    h, mask, _ = _fit_set(sel.run.run_id, sel.run.info["created"], sel.epoch, sel.layer, sel.direction)
    return inspection.variance_shares(fit, h, mask)


@st.cache_data(max_entries=16, show_spinner="Running the model from several start windows…")
def horizon_error(run_id: str, created: str, steps: int) -> tuple:
    """Free-running RMSE for each number of steps ahead (`metrics.free_runs`), the same for repeating the last
    value (`metrics.persistence`, from the same starts), and the number of starts."""
    ds = dataset(trainer().store.load(run_id).config)
    pred, true, starts = metrics.free_runs(load_model(run_id, created), ds, steps)
    base = metrics.persistence(ds, starts, true.shape[1])
    return metrics.rmse_by_horizon(pred, true), metrics.rmse_by_horizon(base, true), len(starts)
