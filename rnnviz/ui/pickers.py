"""The pickers of the Inspect pages (run, epoch, layer, sample), the sample shown as a student recognises it,
and `inspect_controls`, which puts them together into an `Inspection`.

Widget values outlive page switches (`keep`), so a teacher moving from Hidden states to Gates keeps the same
picture. Each picker also follows the page's URL (`links.follow`: ?run=...&epoch=...&sample=...&class=...&layer=...),
so the address bar is a link to the same view. Models, data and probes come cached from `rnnviz.ui.probes`.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from rnnviz.config import RunConfig, tasks, vocab
from rnnviz.inspect import samples
from rnnviz.plots import adding as memory
from rnnviz.plots import predictions as prediction_plots
from rnnviz.plots import states as state_plots
from rnnviz.ui import links, player
from rnnviz.ui.core import DATA_NAMES, show_error, trainer
from rnnviz.ui.probes import (Inspection, inspect_dataset, inspect_errors, inspect_model, probe_inputs, snapshots,
                              vocabulary)
from rnnviz.ui.st_internals import page_id


def _shared(name: str) -> str:
    """A widget key for a choice the Inspect pages share (run, epoch, sample, layer), mirrored in
    `st.session_state["inspect_" + name]`.

    `keep` is not enough across pages: Streamlit 1.67 puts the page into a widget's id, so one key on two pages
    is two widgets, and on the first run after a page switch the old page's value still sits under the key
    (`keep` then restores nothing) while the new widget starts at its default. So on the first run of each
    page visit the key is set from the mirror.
    """
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


def inspect_run(kinds: tuple[str, ...] = tasks.with_pages("states", "gates", "predictions")):
    """A run picker over the stored runs of these data sets; stops the page with a link to Train if none."""
    runs, problems = trainer().store.list()
    for problem in problems:
        st.caption(f"Skipped a damaged run: {problem}")
    runs = [r for r in runs if r.config.data.name in kinds]
    if not runs:
        names = " or ".join(DATA_NAMES[k] for k in kinds)
        if all(tasks.of(k).baseline == "ngram" for k in kinds):  # the language-model presets are the slow ones
            # (docs/data-and-presets.md: 228 s and 268 s)
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

def pick_epoch(run, where=st) -> int | None:
    """An epoch slider over the run's weight snapshots (0 = before training); None means the trained model."""
    try:
        epochs = sorted(snapshots(run.run_id, run.info["created"]))
    except inspect_errors() as e:
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

def pick_sample(run, ds, where=st) -> int:
    """Class filter and sample number; shows the sample (review text, image or window). Returns its index."""
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
    x, y, split = samples.inspect_split(ds)
    cfg, classes = run.config, ds.extra.get("classes")
    sample = tasks.of(cfg.data).sample
    if sample == "text":
        vocab = vocabulary(cfg)
        words = [w for w in samples.step_labels(cfg, x[index], vocab) if w != "<pad>"]
        where.markdown(f"**Review {index:,}** (true label: **{classes[int(y[index])]}**, {len(words)} tokens "
                       f"as the model reads them; `<oov>` = a word outside the {cfg.data.vocab_size:,}-word "
                       f"vocabulary)")
        where.text(" ".join(words))
    elif sample == "image":
        reading = "conv" if cfg.front_end == "conv" else cfg.data.by
        where.plotly_chart(prediction_plots.image_figure(samples.to_image(x[index]), reading,
                                                         f"Image {index:,}: {classes[int(y[index])]}"),
                           width="stretch", key="inspect_sample_image")
    elif sample == "marks":
        where.plotly_chart(memory.sequence_figure(x[index], float(y[index, 0]), f"Validation sequence {index:,}"),
                           width="stretch", key="inspect_sample_sequence")
    else:
        where.plotly_chart(prediction_plots.window_figure(x[index, :, 0], y[index], f"Validation window {index}"),
                           width="stretch", key="inspect_sample_window")

def inspect_controls() -> Inspection:
    """The pickers of the Hidden states and Gates pages (run, epoch, sample, layer), the sample shown, and
    its probe. Stops the page (with the fix) when nothing can be shown."""
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
    except inspect_errors() as e:
        show_error(e, "Probing this run")
        st.stop()
    x, y, _ = samples.inspect_split(ds)
    p = next(p for p in probes if p.name == layer)
    steps = samples.visible_steps(None if p.mask is None else p.mask[0], p.inputs.shape[1])
    labels = samples.step_labels(run.config, x[index], vocabulary(run.config))
    masked = len(steps) < p.inputs.shape[1]
    ticks = state_plots.step_ticks(np.arange(len(steps)) if masked else steps, [labels[s] for s in steps])
    if masked:
        st.caption(f"{p.inputs.shape[1] - len(steps)} padding steps are masked (the state does not change "
                   "there) and left out of the charts; words are numbered from `<start>` = 1.")
    return Inspection(run, ds, x, y, index, layer, direction, epoch, probes, steps, ticks,
                      samples.step_axis_title(run.config))
