"""Inspect: the gates of a stored run's LSTM or GRU layer on one sample (SimpleRNN: its tanh saturation)."""

import streamlit as st

from rnnviz import ui

st.title("Gates")
st.caption("How open each gate of every unit was at every step of one sample, and how often gates sit at the "
           "flat ends of their range.")
sel = ui.inspect_controls()

from rnnviz.plots import states as state_plots
from rnnviz.inspect import layers as inspection
from rnnviz.config import vocab  # noqa: E402  (after the pickers: imports Keras)

cfg, layer = sel.run.config, sel.keras_layer()
g, ranges = sel.gates(), inspection.value_ranges(layer)
names = vocab.NAMES
when = "untrained" if sel.epoch == 0 else f"after epoch {sel.epoch}" if sel.epoch else "trained"
where = f"layer {sel.layer[4:]}{', ' + sel.direction if sel.direction else ''}, {when}"
NOTES = {
    "lstm": "Keras's `LSTM` has **no peepholes**: its gates read only $x_t$ and $h_{t-1}$, never the cell "
            "$c_{t-1}$ (textbook peephole LSTMs add $p \\odot c_{t-1}$ inside the gates). Its input and forget "
            "gates are separate (no coupling $i_t = 1 - f_t$); the forget bias starts at 1.",
    "gru": "Keras's `GRU` " + ("resets **after** the matrix product (`reset_after=True`, as cuDNN): "
                               "$r_t$ multiplies $U_h h_{t-1} + b'_h$." if getattr(inspection.cell_layer(layer),
                                                                                 "reset_after", True) else
                               "resets **before** the matrix product (`reset_after=False`, the original GRU).")
           + " Here $z_t$ near 1 means *keep the old state*.",
    "lstm_peephole": "A **peephole** LSTM (Gers and Schmidhuber, 2000; built in `rnnviz.models.cells`, not Keras): the "
                     "input and forget gates also read the old cell $c_{t-1}$, the output gate the new cell $c_t$, "
                     "each through one weight per unit ($p_i, p_f, p_o$).",
    "lstm_cifg": "A **CIFG** LSTM (coupled input and forget gate; `rnnviz.models.cells`): it has no input-gate weights, "
                 "$i_t = 1 - f_t$, so whatever the cell forgets is replaced by the candidate.",
    "simple_rnn": "A SimpleRNN has **no gates**: every step overwrites the state through one activation. "
                  "Where that activation is flat (tanh near ±1) its slope is near 0, so gradients shrink at "
                  "each step back: the plain RNN forgets.",
}

left, right = st.columns([2, 3])
left.markdown("**What is computed** (this layer's own activations; σ = sigmoid, ⊙ = element-wise):")
left.latex(inspection.cell_equations(layer))
left.markdown(NOTES[cfg.cell])
left.caption("Every number is recomputed from the layer's weights with these equations (`rnnviz.probe`), and "
             "checked against Keras's own outputs in the tests.")

if cfg.cell == "simple_rnn":
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
    gate_keys = list(vocab.GATES[cfg.cell])
    state_keys = ["c_hat", "c"] if vocab.is_lstm(cfg.cell) else ["h_hat", "h"]
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
        + ("A forget gate open (> 0.9) for many steps is long memory." if vocab.is_lstm(cfg.cell) else
           "An update gate z above 0.9 keeps the old state: long memory." if cfg.cell == "gru" else ""))
else:
    st.info(f"The activation `{cfg.activation}` has no flat end, so there is no saturation to measure.")
