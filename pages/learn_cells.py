"""Learn: LSTM (and its peephole and CIFG variants) and GRU cell by cell: the equations, a diagram, the weights
each cell costs, and every gate of a real run, step by step."""

from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from rnnviz import ui
from rnnviz.models import cells
from rnnviz.learn import maths
from rnnviz.plots import learn as learn_plots
from rnnviz.config import vocab  # noqa: F401  (ui: leaves the legacy pages/ mode)

ASSETS = Path(__file__).resolve().parent.parent / "assets"
NAMES = {c: vocab.CELL_LABELS[c] for c in vocab.LSTM_FAMILY}
EQUATIONS = {
    "lstm": r"""\begin{aligned}
i_t &= \sigma(W_i x_t + U_i h_{t-1} + b_i) && \text{input gate: how much of the candidate to write}\\
f_t &= \sigma(W_f x_t + U_f h_{t-1} + b_f) && \text{forget gate: how much of the old cell to keep}\\
\hat c_t &= \tanh(W_c x_t + U_c h_{t-1} + b_c) && \text{candidate: what could be written}\\
o_t &= \sigma(W_o x_t + U_o h_{t-1} + b_o) && \text{output gate: how much of the cell to show}\\
c_t &= f_t \odot c_{t-1} + i_t \odot \hat c_t && \text{cell state: the long-term memory}\\
h_t &= o_t \odot \tanh(c_t) && \text{hidden state: the output}
\end{aligned}""",
    "lstm_peephole": r"""\begin{aligned}
i_t &= \sigma(W_i x_t + U_i h_{t-1} + p_i \odot c_{t-1} + b_i) && \text{input gate, peeking at the old cell}\\
f_t &= \sigma(W_f x_t + U_f h_{t-1} + p_f \odot c_{t-1} + b_f) && \text{forget gate, peeking at the old cell}\\
\hat c_t &= \tanh(W_c x_t + U_c h_{t-1} + b_c) && \text{candidate}\\
c_t &= f_t \odot c_{t-1} + i_t \odot \hat c_t && \text{cell state}\\
o_t &= \sigma(W_o x_t + U_o h_{t-1} + p_o \odot c_t + b_o) && \text{output gate, peeking at the new cell}\\
h_t &= o_t \odot \tanh(c_t) && \text{hidden state}
\end{aligned}""",
    "lstm_cifg": r"""\begin{aligned}
f_t &= \sigma(W_f x_t + U_f h_{t-1} + b_f) && \text{forget gate}\\
i_t &= 1 - f_t && \text{input gate, coupled: no weights of its own}\\
\hat c_t &= \tanh(W_c x_t + U_c h_{t-1} + b_c) && \text{candidate}\\
c_t &= f_t \odot c_{t-1} + (1 - f_t) \odot \hat c_t && \text{cell state: forget and replace in one}\\
o_t &= \sigma(W_o x_t + U_o h_{t-1} + b_o) && \text{output gate}\\
h_t &= o_t \odot \tanh(c_t) && \text{hidden state}
\end{aligned}""",
    "gru": r"""\begin{aligned}
z_t &= \sigma(W_z x_t + U_z h_{t-1} + b_z) && \text{update gate: how much of the old state to keep}\\
r_t &= \sigma(W_r x_t + U_r h_{t-1} + b_r) && \text{reset gate: how much of the old state the candidate sees}\\
\hat h_t &= \tanh\big(W_h x_t + b_h + r_t \odot (U_h h_{t-1} + b'_h)\big) && \text{candidate}\\
h_t &= z_t \odot h_{t-1} + (1 - z_t) \odot \hat h_t && \text{new state: a mix of old and candidate}
\end{aligned}""",
}
INTRO = {
    "lstm": "An LSTM carries two states: the **cell** $c_t$ (long-term memory) and the **hidden state** $h_t$ "
            "(what it outputs). Three **gates**, each a sigmoid between 0 (closed) and 1 (open), decide what "
            "to forget, what to write and what to show. The cell is updated by *adding*, which lets "
            "information (and gradients) pass many steps unchanged.",
    "lstm_peephole": "A **peephole** LSTM (Gers and Schmidhuber, 2000) lets the gates look at the cell itself: the "
                     "input and forget gates read $c_{t-1}$, the output gate reads the new $c_t$, each through "
                     "one weight per unit ($p$ is a vector, not a matrix). That helps with precise timing, e.g. "
                     "counting steps. Keras has no such layer; this one is `rnnviz.models.cells.PeepholeLSTMCell`.",
    "lstm_cifg": "A **CIFG** LSTM couples the input and forget gates: $i_t = 1 - f_t$, so the cell forgets "
                 "exactly as much as it writes. One gate fewer (a quarter fewer weights), often as good "
                 "(Greff et al., 2017, *LSTM: A Search Space Odyssey*). Keras has no such layer; this one is "
                 "`rnnviz.models.cells.CIFGLSTMCell`.",
    "gru": "A GRU is a lighter LSTM: one state $h_t$ and two gates. The **update gate** $z_t$ mixes the old "
           "state with a new candidate (keep vs replace, in one number per unit); the **reset gate** $r_t$ "
           "decides how much of the old state the candidate may look at.",
}
VARIANTS = {
    "lstm": "**Variants in textbooks, not in Keras.** *Peephole* LSTMs (Gers and Schmidhuber, 2000) let the "
            "gates also read the cell: $i_t = \\sigma(W_i x_t + U_i h_{t-1} + p_i \\odot c_{t-1} + b_i)$, and "
            "the same for $f_t$ (with $c_{t-1}$) and $o_t$ (with $c_t$). The *coupled* input and forget gate "
            "(CIFG) drops the input gate and writes $i_t = 1 - f_t$: whatever is forgotten is replaced. "
            "Keras's `LSTM` has **neither**: its gates read only $x_t$ and $h_{t-1}$, and $i_t$ and $f_t$ are "
            "separate. (A coupled gate is what the GRU's $z_t$ does.)",
    "gru": "**Variants.** Keras's `GRU` uses `reset_after=True` (the default, as in cuDNN): the reset gate "
           "multiplies $U_h h_{t-1} + b'_h$, *after* the matrix. The original GRU (Cho et al., 2014) resets "
           "before: $\\tanh(W_h x_t + U_h (r_t \\odot h_{t-1}) + b_h)$ (`reset_after=False`). Some books "
           "swap the roles of $z$ and $1 - z$ ($h_t = (1 - z_t) h_{t-1} + z_t \\hat h_t$): same cell, $z$ "
           "then means 'replace' instead of 'keep'.",
}


@st.cache_data(max_entries=64, show_spinner="Running a Keras layer and probing its gates…")
def gates(cell: str, steps: int, input_size: int, units: int, seed: int) -> tuple[np.ndarray, dict]:
    """The example input and every gate of a seeded Keras layer on it (`maths.cell_gates`)."""
    x = maths.example_input(steps, input_size, seed)
    return x, maths.cell_gates(cell, x, units, seed)


VARIANTS["lstm_peephole"] = VARIANTS["lstm_cifg"] = VARIANTS["lstm"]
st.title("LSTM and GRU, cell by cell")
st.caption("The equations Keras computes, and every gate of a real Keras layer on a small input, one step at a time.")

cell = st.radio("Cell", list(NAMES), format_func=NAMES.get, horizontal=True,
                key=ui.links.follow("cell", "learn_cells_cell", ui.links.choice(list(NAMES)), "lstm"))
left, right = st.columns([3, 2])
left.image(str(ASSETS / f"{'lstm' if vocab.is_lstm(cell) else cell}_cell.svg"), width="stretch",
           caption="Keras's LSTM: the variant changes the gates as its equations below say" if cell in
           vocab.LSTM_VARIANTS else None)
right.markdown(INTRO[cell])
right.caption("σ is the sigmoid, ⊙ multiplies element by element (unit by unit). Every W, U, b is a separate "
              "weight matrix or vector; Keras stores them side by side in one `kernel`, `recurrent_kernel` "
              "and `bias`.")
st.latex(EQUATIONS[cell])

c1, c2, c3, c4 = st.columns(4)
steps = c1.slider("Time steps", **ui.links.ranged("steps", "learn_cells_steps", 2, 12, 6))
input_size = c2.slider("Input size", **ui.links.ranged("input", "learn_cells_input", 1, 4, 1))
units = c3.slider("Units", **ui.links.ranged("units", "learn_cells_units", 1, 6, 3))
seed = int(c4.number_input("Seed (weights and input)", **ui.links.ranged("seed", "learn_cells_seed", 0, 9999, 0)))
x, g = gates(cell, steps, input_size, units, seed)
st.markdown(f"**Weights of one layer** with n = {input_size} inputs and u = {units} units, beside Keras's LSTM:")
st.dataframe(cells.param_rows(input_size, units), hide_index=True)
with st.expander("The input x"):
    st.dataframe(pd.DataFrame(x, index=pd.RangeIndex(1, steps + 1, name="t"),
                              columns=[f"x[{j + 1}]" for j in range(input_size)]), width="stretch")

t = st.slider("Time step t (drag to step through the sequence)", **ui.links.ranged("t", "learn_cells_t", 1, steps, 1))
unit = (st.slider("Unit whose numbers to show", **ui.links.ranged("unit", "learn_cells_unit", 1, units, 1))
        if units > 1 else 1)
st.latex(maths.step_equations(cell, g, t, unit))
st.plotly_chart(learn_plots.gate_step_figure(g, t, cell), width="stretch", key="learn_cells_step")
st.plotly_chart(learn_plots.gate_time_figure(g, t, cell), width="stretch", key="learn_cells_time")
st.caption("Weights: Keras's seeded initialisers (Glorot-uniform kernel, orthogonal recurrent kernel), biases "
           "random in [−0.5, 0.5]" + (", forget-gate biases 1 as Keras's `unit_forget_bias`" if vocab.is_lstm(cell)
                                       else "") + ". The gate values come from `rnnviz.probe.gates`, the same code "
           "the Inspect pages use, which recomputes the layer from its weights.")
st.info(VARIANTS[cell])
