"""Learn: why plain RNNs forget (powers of the recurrent matrix, gradients through time) and the LSTM's cell path."""

import numpy as np
import streamlit as st

from rnnviz import ui
from rnnviz.learn import forgetting
from rnnviz.learn import layers as learn_layers
from rnnviz.learn import loop as learn_loop
from rnnviz.plots import learn as learn_plots  # noqa: F401  (ui: leaves the legacy pages/ mode)


@st.cache_data(max_entries=64)
def plain_rnn(units: int, radius: float, steps: int, input_scale: float, seed: int) -> dict:
    """The recurrent matrix, its eigenvalues, ||U^n|| and the gradient gains of a real tanh-RNN run."""
    x, W, U, b = forgetting.memory_rnn(units, radius, steps, input_scale, seed)
    h = learn_loop.simple_rnn(x, W, U, b).h
    return {"x": x, "eig": forgetting.eigenvalues(U), "radius": forgetting.spectral_radius(U),
            "power": forgetting.power_norms(U, steps), "gradient": forgetting.jacobian_norms(h, U)}


@st.cache_data(max_entries=32, show_spinner="Running a Keras LSTM…")
def lstm_path(x: np.ndarray, units: int, seed: int, forget_bias: float) -> np.ndarray:
    """Products of an LSTM's forget gates (`forgetting.forget_path`) on input `x` `(steps, 1)`."""
    return forgetting.forget_path(learn_layers.cell_gates("lstm", x, units, seed, forget_bias)["f"])


st.title("Why plain RNNs forget")
st.caption("To learn from something n steps back, a gradient must travel n steps back. Each step multiplies it "
           "by the same matrix: see what that does.")
st.markdown(
    "Training asks: *how would the loss change if the state $n$ steps ago had been a little different?* "
    "The answer (the gradient) is passed back one step at a time, and every step back multiplies it by the "
    "recurrent matrix $U$ (transposed) and by tanh's slope. Multiply by the same matrix $n$ times and its "
    "**eigenvalues** λ decide what happens: the biggest |λ|, the **spectral radius** ρ, is raised to the "
    "power $n$. For the matrix alone, below 1 the gradient **vanishes** (0.9¹⁰⁰ ≈ 0.00003) and above 1 it "
    "**explodes** (1.1¹⁰⁰ ≈ 14 000). With tanh in the loop, every step also multiplies by tanh's slope "
    "(at most 1, near 0 where the state saturates), so ρ > 1 only makes exploding *possible*: the gradient "
    "may still fade. Vanishing or exploding, long-range links are hard to learn.")

c1, c2, c3, c4, c5 = st.columns(5)
radius = c1.slider("Spectral radius of U", **ui.links.ranged("radius", "learn_mem_radius", 0.5, 3.0, 0.9, 0.05))
units = c2.slider("Units (U is units × units)", **ui.links.ranged("units", "learn_mem_units", 2, 64, 16))
steps = c3.slider("Steps back n (up to)", **ui.links.ranged("steps", "learn_mem_steps", 10, 200, 100, 10))
input_scale = c4.slider("Input strength", **ui.links.ranged("input", "learn_mem_input", 0.0, 2.0, 0.5, 0.1),
                        help="Std of the input weights. 0: the state stays at 0, where tanh's slope is 1.")
seed = int(c5.number_input("Seed", **ui.links.ranged("seed", "learn_mem_seed", 0, 9999, 0)))

r = plain_rnn(units, radius, steps, input_scale, seed)
left, right = st.columns([2, 3])
left.plotly_chart(learn_plots.eigen_figure(r["eig"], r["radius"]), width="stretch", key="learn_mem_eig")
right.plotly_chart(learn_plots.norm_figure(
    {"matrix alone: ‖Uⁿ‖": r["power"], "through the tanh RNN: ‖∂h_T / ∂h_(T−n)‖": r["gradient"]},
    "A gradient sent back n steps: how much is left?", "gain (no unit)", {"matrix alone: ‖Uⁿ‖": "dash"},
    cells={"through the tanh RNN: ‖∂h_T / ∂h_(T−n)‖": "simple_rnn"}),
    width="stretch", key="learn_mem_norms")
m1, m2, m3 = st.columns(3)
m1.metric("Spectral radius (largest |λ|)", f"{r['radius']:.3f}")
m2.metric(f"‖Uⁿ‖ at n = {steps}", f"{r['power'][-1]:.2e}")
m3.metric(f"Gradient gain at n = {steps}", f"{r['gradient'][-1]:.2e}")
st.caption(
    "What is computed. Left: the eigenvalues of a random matrix U (Gaussian entries, scaled so that its largest "
    "|λ| is the slider's value); dashed: the unit circle. Right, dashed: the spectral norm ‖Uⁿ‖₂, the largest "
    "singular value of the matrix Uⁿ (not ‖U‖ⁿ, the n-th power of U's largest singular value, which is far "
    "larger) for n = 1, 2, …. Solid: a tanh RNN "
    "h_t = tanh(W x_t + U h_(t−1)) is run forward on one random input per step; each step back multiplies by "
    "its Jacobian ∂h_t/∂h_(t−1) = diag(1 − h_t²) U, and the curve is the spectral norm of the product of the "
    "last n Jacobians, ‖∂h_T / ∂h_(T−n)‖₂: the most that any gradient at the last step T can be scaled by on its "
    "way back to step T − n.")
st.markdown(
    "**Try it.** Slide the radius across 1 and watch the dashed line tip from falling to rising. The solid "
    "line usually lies below it: each step back also multiplies by tanh's slope 1 − h², which is below 1 "
    "wherever the state is not 0. Turn the input strength up and the states saturate (h near ±1, slope "
    "near 0): just above radius 1 the gradient still fades, although the matrix alone explodes. Push the "
    "radius toward 3 and the solid line rises too: tanh's slope damps the gradient, but a large enough U "
    "outgrows it. Set the input strength to 0 and the two lines coincide (the state stays at 0, slope 1).")

st.header("The LSTM's way out: the cell path")
st.markdown(
    "An LSTM keeps a second state, the cell $c_t$, updated by **adding**: "
    "$c_t = f_t \\odot c_{t-1} + i_t \\odot \\hat c_t$. Along the cell state a gradient is multiplied only by "
    "the forget gate $f_t$: no matrix, no tanh slope. So $\\partial c_T / \\partial c_{T-n}$ along that path is "
    "the product of $n$ forget gates. When the gates stay near 1 the gradient survives hundreds of steps; "
    "the network *learns* when to let it fade (f near 0: forget).")
b1, b2 = st.columns([1, 3])
forget_bias = b1.slider("Forget-gate bias", **ui.links.ranged("forget_bias", "learn_mem_fbias", -2.0, 8.0, 4.0, 0.5),
                        help="Keras starts it at 1 (unit_forget_bias=True). Larger: f closer to 1.")
path = lstm_path(r["x"], units, seed, forget_bias)
kept, plain = float(path[-1].max()), float(r["gradient"][-1])
b1.markdown(f"At this bias the cell path keeps **{kept:.2g}** after {steps} steps back, the plain RNN above "
            f"**{plain:.2g}**: {'more' if kept > plain else 'less'} survives along the cell. With Keras's starting "
            "bias 1, f ≈ σ(1) ≈ 0.73 and the path fades like 0.73ⁿ; training can push f toward 1 (a bias of 4 "
            "gives f ≈ 0.98).")
b1.caption("A seeded Keras LSTM with the units above reads the same inputs; its forget gates come from the "
           "probe the Inspect pages use.")
b2.plotly_chart(learn_plots.forget_path_figure(path, r["gradient"]), width="stretch", key="learn_mem_lstm")
st.caption(
    "Thin faint lines (LSTM's colour): for each unit, f_T · f_(T−1) ⋯ f_(T−n+1) = ∂c_T/∂c_(T−n) along the cell "
    "state alone (the paths through h, which the gates also read, are left out). Thick line: the largest of them, "
    "the norm of that diagonal Jacobian. Dashed, in SimpleRNN's blue: the plain tanh RNN above, for comparison. "
    "Raise the forget-gate bias and the LSTM lines flatten out toward 1.")
