"""Learn: LSTM (and its peephole and CIFG variants), GRU and MGU cell by cell: the equations, a diagram, the weights
each cell costs, and every gate of a real run, step by step."""

from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from rnnviz import ui
from rnnviz.config import cells
from rnnviz.learn import layers as learn_layers
from rnnviz.learn import loop
from rnnviz.models import keras_cells
from rnnviz.plots import learn as learn_plots

ASSETS = Path(__file__).resolve().parent.parent / "assets"
NAMES = {c: cells.row(c).label for c in cells.LSTM_FAMILY}


@st.cache_data(max_entries=64, show_spinner="Running a Keras layer and probing its gates…")
def gates(cell: str, steps: int, input_size: int, units: int, seed: int) -> tuple[np.ndarray, dict]:
    """The example input and every gate of a seeded Keras layer on it (`learn_layers.cell_gates`)."""
    x = loop.example_input(steps, input_size, seed)
    return x, learn_layers.cell_gates(cell, x, units, seed)


st.title("Gated cells, cell by cell")
st.caption("The equations Keras computes, and every gate of a real Keras layer on a small input, one step at a time.")

cell = st.radio("Cell", list(NAMES), format_func=NAMES.get, horizontal=True,
                key=ui.links.follow("cell", "learn_cells_cell", ui.links.choice(list(NAMES)), "lstm"))
row = cells.row(cell)
left, right = st.columns([3, 2]) if row.diagram else (None, st.container())  # no picture: the text spans the page
if row.diagram:
    left.image(str(ASSETS / row.diagram), width="stretch", caption=row.diagram_note or None, alt=row.diagram_alt)
right.markdown(row.about)
right.caption("σ is the sigmoid, ⊙ multiplies element by element (unit by unit). Every W, U, b is a separate "
              "weight matrix or vector; Keras stores them side by side in one `kernel`, `recurrent_kernel` "
              "and `bias`.")
st.latex(row.latex(notes=True))

c1, c2, c3, c4 = st.columns(4)
steps = c1.slider("Time steps", **ui.links.ranged("steps", "learn_cells_steps", 2, 12, 6))
input_size = c2.slider("Input size", **ui.links.ranged("input", "learn_cells_input", 1, 4, 1))
units = c3.slider("Units", **ui.links.ranged("units", "learn_cells_units", 1, 6, 3))
seed = int(c4.number_input("Seed (weights and input)", **ui.links.ranged("seed", "learn_cells_seed", 0, 9999, 0)))
x, g = gates(cell, steps, input_size, units, seed)
st.markdown(f"**Weights of one layer** with n = {input_size} inputs and u = {units} units, beside Keras's LSTM:")
st.dataframe(keras_cells.param_rows(input_size, units), hide_index=True)
with st.expander("The input x"):
    st.dataframe(pd.DataFrame(x, index=pd.RangeIndex(1, steps + 1, name="t"),
                              columns=[f"x[{j + 1}]" for j in range(input_size)]), width="stretch")

t = st.slider("Time step t (drag to step through the sequence)", **ui.links.ranged("t", "learn_cells_t", 1, steps, 1))
unit = (st.slider("Unit whose numbers to show", **ui.links.ranged("unit", "learn_cells_unit", 1, units, 1))
        if units > 1 else 1)
st.latex(learn_layers.step_equations(cell, g, t, unit))
st.plotly_chart(learn_plots.gate_step_figure(g, t, cell), width="stretch", key="learn_cells_step")
st.plotly_chart(learn_plots.gate_time_figure(g, t, cell), width="stretch", key="learn_cells_time")
st.caption("Weights: Keras's seeded initialisers (Glorot-uniform kernel, orthogonal recurrent kernel), biases "
           "random in [−0.5, 0.5]" + (", forget-gate biases 1 as Keras's `unit_forget_bias`" if row.keep == "f"
                                       else "") + ". The gate values come from `rnnviz.probe.gates`, the same code "
           "the Inspect pages use, which recomputes the layer from its weights.")
if row.variants:
    st.info(row.variants)
