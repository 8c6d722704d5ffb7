"""Learn: an RNN is a for-loop (numpy next to Keras's SimpleRNN, step by step), and activation functions."""

from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from rnnviz import ui
from rnnviz.config import cells
from rnnviz.learn import activations, forgetting
from rnnviz.learn import layers as learn_layers
from rnnviz.learn import loop as learn_loop
from rnnviz.plots import learn as learn_plots  # noqa: F401  (ui: leaves the legacy pages/ mode)

ASSETS = Path(__file__).resolve().parent.parent / "assets"


@st.cache_data(max_entries=64, show_spinner="Running Keras's SimpleRNN…")
def keras_states(x: np.ndarray, W: np.ndarray, U: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Keras's SimpleRNN with these weights, run on `x` `(time, input_size)`: `(time, units)`."""
    return learn_layers.keras_states(learn_layers.keras_simple_rnn(W, U, b), x)


st.title("An RNN is a for-loop")
st.caption("A recurrent network written as a few lines of numpy, next to Keras's SimpleRNN with the same weights.")

left, right = st.columns([3, 2])
left.image(str(ASSETS / cells.row("simple_rnn").diagram), width="stretch", alt=cells.row("simple_rnn").diagram_alt)
right.markdown(
    "A recurrent network reads a sequence **one step at a time**. At step *t* it takes the new input "
    "$x_t$ and what it remembered from the step before, $h_{t-1}$, mixes them with weights, and squashes "
    "the sum with tanh into its new memory $h_t$:")
right.latex(r"h_t = \tanh(W x_t + U h_{t-1} + b)")
right.markdown(
    "The **same** $W$, $U$ and $b$ are used at every step, so the whole network is a for-loop. "
    "$h_0$ is all zeros. Change the sizes below, or type your own numbers into the input table: "
    "the loop and Keras always agree.")

c1, c2, c3, c4 = st.columns(4)
steps = c1.slider("Time steps", **ui.links.ranged("steps", "learn_rnn_steps", 2, 10, 5))
input_size = c2.slider("Input size (numbers per step)", **ui.links.ranged("input", "learn_rnn_input", 1, 4, 2))
units = c3.slider("Units (size of h)", **ui.links.ranged("units", "learn_rnn_units", 1, 6, 3))
seed = int(c4.number_input("Seed (weights and input)", **ui.links.ranged("seed", "learn_rnn_seed", 0, 9999, 0)))

st.subheader("The input x (edit me)")
x0 = pd.DataFrame(learn_loop.example_input(steps, input_size, seed), index=pd.RangeIndex(1, steps + 1, name="t"),
                  columns=[f"x[{j + 1}]" for j in range(input_size)])
edited = st.data_editor(x0, key=f"learn_rnn_x_{steps}_{input_size}_{seed}", width="stretch")
x = edited.fillna(0.0).to_numpy(dtype=float)  # (time, input_size); an emptied cell counts as 0

W, U, b = learn_loop.simple_rnn_weights(input_size, units, seed)
trace = learn_loop.simple_rnn(x, W, U, b)
h_keras = keras_states(x, W, U, b)

code, numbers = st.columns([3, 2])
code.markdown("**The for-loop** (this is the code that ran, from `rnnviz/learn.py`):")
code.code(learn_loop.loop_source(), language="python")
with numbers:
    st.metric("Largest difference, numpy loop vs Keras", f"{learn_loop.largest_difference(trace.h, h_keras):.1e}",
              help="Keras computes in float32 (about 7 significant digits), numpy here in float64.")
    st.caption("Keras stores the same weights transposed: its `kernel` is Wᵀ and its `recurrent_kernel` is Uᵀ, "
               "because it multiplies row vectors (`x_t @ kernel`).")
    with st.expander("The weights W, U, b (the same numbers go into Keras)"):
        st.write("W (units × input size)")
        st.dataframe(pd.DataFrame(W).round(3), width="stretch")
        st.write("U (units × units)")
        st.dataframe(pd.DataFrame(U).round(3), width="stretch")
        st.write("b (units)")
        st.dataframe(pd.DataFrame([b]).round(3), hide_index=True, width="stretch")

st.subheader("Step by step")
t = st.slider("Time step t", **ui.links.ranged("t", "learn_rnn_t", 1, steps, 1))
st.markdown(f"Step {t}: each row is one unit. Add the three middle columns to get the pre-activation "
            f"$a_{{{t}}}$, then tanh squashes it into $h_{{{t}}}$, which the next step reads as $h_{{t-1}}$.")
st.dataframe(learn_loop.step_table(trace, t, h_keras).round(4), hide_index=True, width="stretch")
st.plotly_chart(learn_plots.rnn_states_figure(trace.h, h_keras, t), width="stretch", key="learn_rnn_states")

st.header("Activation functions")
st.markdown(
    "The squashing function is the **activation**. It keeps numbers in range and bends straight lines, "
    "so that stacked layers can learn curved shapes. Training uses its **slope** (derivative): gradient "
    "descent nudges every weight in the direction that lowers the error, and by the chain rule that "
    "direction is multiplied by f′(x) at every unit it passes.")
a1, a2, a3 = st.columns([2, 1, 1])
functions = list(activations.ACTIVATION_NAMES)
names = a1.multiselect("Functions", functions, format_func=activations.ACTIVATION_NAMES.get,
                       key=ui.links.follow("functions", "learn_rnn_acts", ui.links.choices(functions), functions))
slope = a2.slider("Leaky ReLU slope for x < 0", **ui.links.ranged("slope", "learn_rnn_slope", 0.0, 1.0, 0.1, 0.01))
x_max = a3.slider("Show x from −… to …", **ui.links.ranged("xmax", "learn_rnn_xmax", 1.0, 10.0, 5.0, 0.5))
if names:
    st.plotly_chart(learn_plots.activation_figure(*activations.activation_curves(names, x_max, slope)),
                    width="stretch", key="learn_rnn_activations")
else:
    st.info("Pick at least one function.")
st.markdown(
    "- **Step** (1 if x ≥ 0, else 0): the first artificial neurons used it. It is flat everywhere except "
    "at 0, where it jumps, so its slope is **0 wherever it exists**. Every gradient that passes through it "
    "is multiplied by 0: nudging a weight changes nothing, and gradient descent gets no hint which way "
    "to go. That is why it cannot be trained this way.\n"
    "- **Sigmoid** σ(x) = 1 / (1 + e⁻ˣ) is a smoothed step, from 0 to 1, with a slope everywhere (at most "
    "0.25). LSTM and GRU gates use it: a gate is a soft switch between 'block' (0) and 'let through' (1).\n"
    "- **tanh** goes from −1 to 1, with slope at most 1 (at x = 0). SimpleRNN, LSTM and GRU squash their "
    "states with it. A gradient sent back one step is multiplied by tanh's slope *and* by the recurrent "
    "matrix: the slope alone would shrink it, but a matrix that grows vectors enough can outweigh that and "
    "make it explode. See *Why plain RNNs forget*.\n"
    "- **ReLU** max(x, 0) has slope 1 for x > 0 (gradients pass unchanged) but 0 for x < 0: a unit whose "
    "input stays negative stops learning (a 'dead' unit).\n"
    "- " + forgetting.leaky_relu_note(slope))
