"""Inspect: the gates of a stored run's LSTM or GRU layer on one sample (SimpleRNN: its tanh saturation)."""

import streamlit as st

from rnnviz import ui
from rnnviz.config import cells, vocab
from rnnviz.inspect import layers as inspection
from rnnviz.plots import adding as memory_plots
from rnnviz.plots import states as state_plots

st.title("Gates")
st.caption("How open each gate of every unit was at every step of one sample, and how often gates sit at the "
           "flat ends of their range.")
sel = ui.inspect_controls()

cfg, layer = sel.run.config, sel.keras_layer()
g, ranges = sel.gates(), inspection.value_ranges(layer)
names = vocab.NAMES
when = "untrained" if sel.epoch == 0 else f"after epoch {sel.epoch}" if sel.epoch else "trained"
where = f"layer {sel.layer[4:]}{', ' + sel.direction if sel.direction else ''}, {when}"
row = cells.row(cfg.cell)

left, right = st.columns([2, 3])
left.markdown("**What is computed** (this layer's own activations; σ = sigmoid, ⊙ = element-wise):")
left.latex(inspection.cell_equations(layer))
left.markdown(row.gates_note)
left.caption("Every number is recomputed from the layer's weights with these equations (`rnnviz.probe`), and "
             "checked against Keras's own outputs in the tests.")

if not row.gated:  # a SimpleRNN: the saturation of its one activation
    lo, hi, lo_label, hi_label = vocab.SATURATION.get(inspection.activation_name(
        inspection.cell_layer(layer).activation), (-0.9, 0.9, "", ""))
    curves = [("share of units at a flat end of the activation", "share of units (0 to 1)",
               {f"h {lo_label} or {hi_label}": inspection.saturated_share(g["h"], lo, hi)}, (0, 1)),
              ("mean over units", "value (no unit)",
               {names[k]: v for k, v in inspection.unit_means(g, ("a", "h")).items()})]
    right.plotly_chart(ui.memory.marked(state_plots.mean_curves(curves, sel.ticks, sel.step_title,
                                                                f"Saturation over time ({where})"), sel),
                       width="stretch", key="inspect_gates_curves")
    heat_keys, gate_keys = ["a", "h"], []
else:
    gate_keys, state_keys = list(row.gates), [*row.candidates, row.memory]  # LSTM: c_hat and c; GRU: h_hat and h
    curves = [("gates: 0 = closed, 1 = open", "mean over units (0 to 1)",
               {names[k]: v for k, v in inspection.unit_means(g, gate_keys).items()}, ranges[gate_keys[0]]),
              ("candidate and state", "mean over units (no unit)",
               {names[k]: v for k, v in inspection.unit_means(g, state_keys).items()})]
    right.plotly_chart(ui.memory.marked(state_plots.mean_curves(
        curves, sel.ticks, sel.step_title, f"Each gate's mean over the units, step by step ({where})"), sel),
        width="stretch", key="inspect_gates_curves")
    heat_keys = gate_keys[:2] + state_keys[:1] + gate_keys[2:] + state_keys[1:]  # LSTM: i, f, c_hat, o, c

ui.memory.keep_gate_note(sel, g)  # the adding problem: what the keep gate did between the marks
st.subheader("Every unit, every step")
st.plotly_chart(ui.memory.marked(state_plots.gates_heatmaps(
    g, heat_keys, names, ranges, sel.ticks, sel.step_title,
    f"{'Gates' if gate_keys else 'Pre-activation'} and states of every unit ({where})"), sel),
    width="stretch", key="inspect_gates_heatmaps")

st.subheader("Saturation summary")
rows = inspection.saturation_rows(g, layer)
if none := state_plots.no_saturation_text(rows):  # an all-zero chart says less than one line
    st.markdown(none)
elif rows:
    st.plotly_chart(state_plots.saturation_figure(rows), width="stretch", key="inspect_gates_saturation")
    st.caption("Over this sample's steps and all units. " + (
        "A gate mostly below 0.1 or above 0.9 acts as a switch (closed / open); the share in between is where it "
        "still weighs things up. " if gate_keys else "Where h is near ±1, tanh is flat: the step passes almost no "
        "gradient back, and a long run of such steps is why a plain RNN forgets. ")
        + (f"A keep gate ({memory_plots.keep_name(cfg.cell)}) above 0.9 for many steps is long memory."
           if row.gated else ""))
else:
    st.info(f"The activation `{cfg.activation}` has no flat end, so there is no saturation to measure.")
