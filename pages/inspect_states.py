"""Inspect: hidden states of a stored run, as a units x time heatmap and as a path on fixed PCA axes."""

import streamlit as st

from rnnviz import ui
from rnnviz.config import cells
from rnnviz.inspect import layers as inspection
from rnnviz.plots import states as state_plots

st.title("Hidden states")
st.caption("What every unit of a recurrent layer holds after each step of one sample, and the path the whole "
           "state takes while the network reads.")
sel = ui.inspect_controls()

cfg = sel.run.config
h = sel.gates()["h"]  # (steps, units)
where = f"layer {sel.layer[4:]}{', ' + sel.direction if sel.direction else ''}"
when = "untrained" if sel.epoch == 0 else f"after epoch {sel.epoch}" if sel.epoch else "trained"
st.subheader("Every unit, every step")
st.plotly_chart(ui.memory.marked(state_plots.states_heatmap(
    h, sel.ticks, sel.step_title, f"Hidden state h of {where} ({when}): one row per unit, red +, blue −",
    inspection.value_ranges(sel.keras_layer())["h"]), sel), width="stretch", key="inspect_states_heatmap")
st.caption("Each column is the state after reading that step. A unit that keeps its colour over many steps "
           "remembers something; one that flips with each step follows the input. "
           + ("An LSTM's h is its output o ⊙ tanh(c); its memory c is on the Gates page." if cells.row(cfg.cell).memory == "c"
              else ""))

st.subheader("The path of the whole state")
left, right = st.columns([1, 3])
dims = left.radio("Axes", [2, 3], horizontal=True, key=ui.links.follow("dims", ui.keep("inspect_dims"),
                                                                      ui.links.choice([2, 3]), 2, mirror="inspect_dims"),
                  format_func=lambda d: f"{d}-D")
classes = sel.ds.extra.get("classes")
chosen = None
if classes:
    key = ui.keep(f"inspect_overlay_{cfg.data.name}")
    if key not in st.session_state:  # the sample's class and the next one
        own = int(sel.y[sel.index])
        st.session_state[key] = [*classes] if len(classes) <= 2 else [classes[own], classes[(own + 1) % len(classes)]]
    chosen = left.multiselect("Overlay samples of these classes", classes, key=key)
st.session_state.setdefault(key := ui.keep("inspect_overlay_n"), 4)
per_class = left.slider("Overlaid samples per class" if classes else "Overlaid windows", 0, 10, key=key)
try:
    fit, others, n_fit = ui.state_paths(sel, chosen, per_class)
except (ValueError, KeyError) as e:
    st.error(f"The PCA could not be fitted: {e}. Pick another layer or run.")
    st.stop()
mask = None if sel.probe.mask is None else sel.probe.mask
full_h = inspection.layer_gates(sel.probe, sel.direction)["h"]  # (1, time, units)
main = inspection.project_paths(fit, full_h, mask)[0]
true = f"{classes[int(sel.y[sel.index])]}, " if classes else ""
shown = ui.shown_shares(sel, fit)  # None for the trained model, whose states the PCA was fitted on
right.plotly_chart(ui.memory.marked_path(state_plots.trajectory_figure(
    main, sel.ticks, others, fit.explained_variance_ratio, dims, f"this sample ({true}coloured by step)", shown),
    sel, main[1], dims), width="stretch", key="inspect_states_path")
left.caption(f"The axes are the {len(fit.explained_variance_ratio)} directions in which the trained model's "
             f"states vary most (PCA over {n_fit} {'test' if classes else 'validation'} "
             "samples), fitted once: every sample and every epoch is drawn on the same axes. "
             f"Together they hold {state_plots.share_text(fit.explained_variance_ratio.sum())} of the trained "
             "states' variance" + ("." if shown is None else
                                   f"; the states drawn here ({when}) are another cloud: these axes hold "
                                   f"{state_plots.share_text(shown.sum())} of their variance."))
