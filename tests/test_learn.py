"""rnnviz.learn.loop (and its figures): the numpy for-loop against Keras's SimpleRNN, activations against known
values and finite differences, eigenvalues and norms against numpy, gradient norms against the backend's autodiff."""

import numpy as np
import pytest

from rnnviz.learn import activations as learn_activations
from rnnviz.learn import forgetting
from rnnviz.learn import layers as learn_layers
from rnnviz.learn import loop as learn_loop
from rnnviz.plots import learn as learn_plots
from rnnviz.config import vocab

SHAPES = [(1, 1, 1), (5, 2, 3), (12, 4, 6), (30, 3, 16)]  # (steps, input_size, units)


# --- the for-loop ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("steps, input_size, units", SHAPES)
def test_numpy_loop_matches_keras_simple_rnn(steps, input_size, units):
    W, U, b = learn_loop.simple_rnn_weights(input_size, units, seed=steps)
    x = learn_loop.example_input(steps, input_size, seed=steps)
    trace = learn_loop.simple_rnn(x, W, U, b)
    h_keras = learn_layers.keras_states(learn_layers.keras_simple_rnn(W, U, b), x)
    assert trace.h.shape == h_keras.shape == (steps, units)
    np.testing.assert_allclose(trace.h, h_keras, atol=1e-5, rtol=0)


def test_numpy_loop_matches_keras_with_an_initial_state():
    import keras

    W, U, b = learn_loop.simple_rnn_weights(2, 4, seed=7)
    x, h0 = learn_loop.example_input(6, 2, seed=7), np.linspace(-0.9, 0.9, 4)
    layer = learn_layers.keras_simple_rnn(W, U, b)
    h_keras = keras.ops.convert_to_numpy(layer(x[None].astype("float32"), initial_state=[keras.ops.convert_to_tensor(
        h0[None].astype("float32"))]))[0]
    np.testing.assert_allclose(learn_loop.simple_rnn(x, W, U, b, h0=h0).h, h_keras, atol=1e-5, rtol=0)


def test_trace_pieces_add_up():
    W, U, b = learn_loop.simple_rnn_weights(3, 5, seed=1)
    x = learn_loop.example_input(4, 3, seed=1)
    tr = learn_loop.simple_rnn(x, W, U, b)
    np.testing.assert_allclose(tr.wx, x @ W.T)
    np.testing.assert_allclose(tr.uh, np.vstack([tr.h0, tr.h[:-1]]) @ U.T)
    np.testing.assert_allclose(tr.a, tr.wx + tr.uh + b)
    np.testing.assert_allclose(tr.h, np.tanh(tr.a))
    table = learn_loop.step_table(tr, 2, h_keras=tr.h)
    assert len(table) == 5
    np.testing.assert_allclose(table["b"], b, atol=1e-12)
    np.testing.assert_allclose(table["h_(t-1)"], tr.h[0])


def test_weights_are_seeded_and_float32_exact():
    a, b = learn_loop.simple_rnn_weights(2, 3, seed=4), learn_loop.simple_rnn_weights(2, 3, seed=4)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
        np.testing.assert_array_equal(u, u.astype(np.float32))
    assert not np.array_equal(a[0], learn_loop.simple_rnn_weights(2, 3, seed=5)[0])
    np.testing.assert_allclose(a[1] @ a[1].T, np.eye(3), atol=1e-6)  # U is orthogonal


def test_invalid_sizes_raise_keras_style():
    with pytest.raises(ValueError, match="`units` must be an int from 1"):
        learn_loop.simple_rnn_weights(2, 0)
    with pytest.raises(ValueError, match="`radius` must be a positive number"):
        forgetting.recurrent_matrix(4, 0.0)
    with pytest.raises(ValueError, match="`cell`"):
        learn_layers.keras_layer("transformer", 1, 1)


# --- activation functions --------------------------------------------------------------------------------


def test_activation_known_values():
    x = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(learn_activations.activation("step", x), [0, 1, 1])
    np.testing.assert_allclose(learn_activations.activation("sigmoid", x), 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(learn_activations.activation("tanh", x), np.tanh(x))
    np.testing.assert_array_equal(learn_activations.activation("relu", x), [0, 0, 3])
    np.testing.assert_allclose(learn_activations.activation("leaky_relu", x, slope=0.2), [-0.4, 0, 3])
    assert learn_activations.activation("sigmoid", np.array([-1000.0, 1000.0])).tolist() == [0.0, 1.0]  # no overflow
    with pytest.raises(ValueError, match="`name`"):
        learn_activations.activation("softmax", x)


@pytest.mark.parametrize("name", list(learn_activations.ACTIVATION_NAMES))
@pytest.mark.parametrize("slope", [0.0, 0.1, 0.5])
def test_derivatives_match_finite_differences(name, slope):
    x = np.linspace(-4, 4, 81) + 0.0123  # keeps away from the kinks at 0
    eps = 1e-6
    numeric = (learn_activations.activation(name, x + eps, slope) - learn_activations.activation(name, x - eps, slope)) / (2 * eps)
    np.testing.assert_allclose(learn_activations.derivative(name, x, slope), numeric, atol=1e-6)


def test_step_derivative_gives_no_gradient():
    d = learn_activations.derivative("step", np.array([-1.0, 0.0, 1.0]))
    assert d[0] == d[2] == 0 and np.isnan(d[1])  # zero everywhere, undefined at the jump


def test_derivatives_match_keras_autodiff():
    import keras

    from tests.autodiff import gradient

    x = np.linspace(-3, 3, 13) + 0.01  # elementwise: d sum(f(x)) / dx_i = f'(x_i)
    for name, fn in {"sigmoid": keras.activations.sigmoid, "tanh": keras.activations.tanh,
                     "relu": keras.activations.relu,
                     "leaky_relu": lambda v: keras.activations.leaky_relu(v, negative_slope=0.3)}.items():
        np.testing.assert_allclose(gradient(fn, x), learn_activations.derivative(name, x, 0.3), atol=1e-6)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(fn(x)), learn_activations.activation(name, x, 0.3), atol=1e-6)


# --- why plain RNNs forget -------------------------------------------------------------------------------


@pytest.mark.parametrize("units, radius", [(1, 0.5), (8, 0.9), (32, 1.0), (16, 1.7)])
def test_recurrent_matrix_has_the_radius(units, radius):
    W = forgetting.recurrent_matrix(units, radius, seed=3)
    assert W.shape == (units, units)
    assert np.isclose(np.abs(np.linalg.eigvals(W)).max(), radius)
    assert np.isclose(forgetting.spectral_radius(W), radius)
    np.testing.assert_array_equal(W, forgetting.recurrent_matrix(units, radius, seed=3))


def test_eigenvalues_are_numpys_sorted():
    W = forgetting.recurrent_matrix(10, 1.2, seed=0)
    eig = forgetting.eigenvalues(W)
    np.testing.assert_allclose(np.sort_complex(eig), np.sort_complex(np.linalg.eigvals(W)))
    assert np.all(np.diff(np.abs(eig)) <= 1e-12)
    assert np.isclose(np.abs(eig[0]), 1.2)


@pytest.mark.parametrize("radius", [0.6, 1.0, 1.4])
def test_power_norms_match_numpy(radius):
    W = forgetting.recurrent_matrix(12, radius, seed=2)
    norms = forgetting.power_norms(W, 40)
    expected = [np.linalg.norm(np.linalg.matrix_power(W, n), 2) for n in range(1, 41)]
    np.testing.assert_allclose(norms, expected, rtol=1e-9)
    # Gelfand's formula: ||W^n||^(1/n) -> spectral radius
    assert abs(norms[-1] ** (1 / 40) - radius) < 0.15 * radius


def test_vanishing_below_one_exploding_above():
    assert forgetting.power_norms(forgetting.recurrent_matrix(16, 0.8, seed=0), 100)[-1] < 1e-6
    assert forgetting.power_norms(forgetting.recurrent_matrix(16, 1.2, seed=0), 100)[-1] > 1e6


def test_jacobian_norms_of_a_linear_run_are_power_norms():
    x, W, U, b = forgetting.memory_rnn(8, 1.1, 30, input_scale=0.0, seed=1)
    h = learn_loop.simple_rnn(x, W, U, b).h
    assert np.all(h == 0)  # zero input: the state stays at 0, where tanh has slope 1
    np.testing.assert_allclose(forgetting.jacobian_norms(h, U), forgetting.power_norms(U, 30), rtol=1e-9)


@pytest.mark.parametrize("radius", [0.8, 1.5])
def test_gradient_norms_match_gradient_tape_through_keras(radius):
    """||d h_T / d h_(T-n)||_2 from the numpy Jacobian product equals the spectral norm of the Jacobian
    the backend's autodiff computes through a Keras SimpleRNN with the same weights, started at h_(T-n)."""
    from tests.autodiff import jacobian

    steps, units = 20, 6
    x, W, U, b = forgetting.memory_rnn(units, radius, steps, input_scale=0.5, seed=4)
    h = learn_loop.simple_rnn(x, W, U, b).h
    ours = forgetting.jacobian_norms(h, U)
    layer = learn_layers.keras_simple_rnn(W, U, b)
    for n in (1, 3, 10, steps):
        h_start = (h[steps - n - 1] if n < steps else np.zeros(units))[None].astype("float32")
        x_n = x[steps - n:][None].astype("float32")
        jac = jacobian(lambda h0, x_n=x_n: layer(x_n, initial_state=[h0])[0, -1], h_start).reshape(units, units)
        assert np.isclose(np.linalg.norm(jac, 2), ours[n - 1], rtol=1e-3, atol=1e-7), n


def test_forget_path_is_a_product_of_forget_gates():
    f = np.random.default_rng(0).uniform(0.5, 1.0, (7, 3))
    path = forgetting.forget_path(f)
    for n in range(1, 8):
        np.testing.assert_allclose(path[n - 1], np.prod(f[7 - n:], axis=0))


# --- Keras layers and the probe --------------------------------------------------------------------------


@pytest.mark.parametrize("cell", learn_loop.CELLS)
def test_keras_layer_is_seeded(cell):
    a = learn_layers.keras_layer(cell, 2, 3, seed=5)
    b = learn_layers.keras_layer(cell, 2, 3, seed=5)
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a.get_weights()[0], learn_layers.keras_layer(cell, 2, 3, seed=6).get_weights()[0])


def test_lstm_forget_bias():
    layer = learn_layers.keras_layer("lstm", 2, 3, forget_bias=4.0)
    bias = layer.cell.bias.numpy()
    np.testing.assert_array_equal(bias[3:6], 4.0)
    assert np.all(np.abs(np.r_[bias[:3], bias[6:]]) <= 0.5)
    np.testing.assert_array_equal(learn_layers.keras_layer("lstm", 2, 3).cell.bias.numpy()[3:6], 1.0)


@pytest.mark.parametrize("cell, keys", [("lstm", {"i", "f", "c_hat", "o", "c", "h"}),
                                        ("gru", {"z", "r", "h_hat", "h"})])
def test_cell_gates_from_the_probe(cell, keys):
    pytest.importorskip("rnnviz.probe")
    x = learn_loop.example_input(6, 2, seed=0)
    gates = learn_layers.cell_gates(cell, x, 3, seed=0)
    assert keys <= set(gates)
    assert all(gates[k].shape == (6, 3) for k in keys)
    layer_h = learn_layers.keras_states(learn_layers.keras_layer(cell, 2, 3, seed=0), x)
    np.testing.assert_allclose(gates["h"], layer_h, atol=1e-5)
    if cell == "lstm":
        high = learn_layers.cell_gates("lstm", x, 3, seed=0, forget_bias=8.0)["f"]
        assert high.min() > 0.99  # a large forget bias keeps the cell path open
        np.testing.assert_allclose(forgetting.forget_path(high)[-1], np.prod(high, axis=0))


# --- figures ---------------------------------------------------------------------------------------------


def test_figures_have_axis_titles_and_log_scale():
    W = forgetting.recurrent_matrix(8, 1.2, seed=0)
    fig = learn_plots.eigen_figure(forgetting.eigenvalues(W), 1.2)
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    assert fig.layout.yaxis.scaleanchor == "x"
    fig = learn_plots.norm_figure({"||W^n||": forgetting.power_norms(W, 20)}, "t", "norm")
    assert fig.layout.yaxis.type == "log" and "log scale" in fig.layout.yaxis.title.text
    x = np.linspace(-3, 3, 7)
    fig = learn_plots.activation_figure(x, {"tanh": np.tanh(x)}, {"tanh": 1 - np.tanh(x) ** 2})
    assert fig.layout.xaxis.title.text and fig.layout.yaxis2.title.text
    gates = {k: np.zeros((4, 2)) for k in vocab.KEYS["lstm"]}
    assert len(learn_plots.gate_step_figure(gates, 2, "lstm").data) == 2
    assert len(learn_plots.gate_time_figure(gates, 2, "lstm").data) == 6
    path = forgetting.forget_path(np.full((5, 2), 0.9))
    fig = learn_plots.forget_path_figure(path, np.ones(5))
    assert fig.layout.yaxis.type == "log"


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_step_equations_arithmetic_holds(cell):
    import re

    pytest.importorskip("rnnviz.probe")
    gates = learn_layers.cell_gates(cell, learn_loop.example_input(5, 2, seed=1), 3, seed=1)
    text = learn_layers.step_equations(cell, gates, 4, 2)
    nums = [float(v) for v in re.findall(r"-?\d+\.\d{3}", text)]
    a, b, c, d, result = nums[:5]  # c_4 = f c_3 + i c_hat (LSTM) or h_4 = z h_3 + (1 - z) h_hat (GRU)
    assert abs(a * b + c * d - result) < 2e-3
    assert abs(result - gates["c" if cell == "lstm" else "h"][3, 1]) < 1e-3


@pytest.mark.parametrize("slope,says,never", [(0.0, "can die", "no unit is ever"), (0.1, "no unit is ever completely "
                                              "dead", "can die"), (1.0, "straight line", "can die")])
def test_leaky_relu_note_promises_no_dead_units_only_for_a_positive_slope(slope, says, never):
    note = forgetting.leaky_relu_note(slope)
    assert says in note and never not in note
    assert (learn_activations.derivative("leaky_relu", np.array([-1.0]), slope)[0] > 0) == (slope > 0)  # the fact behind it


def test_gru_diagram_legend_keeps_both_biases():
    """Keras's GRU (reset_after=True) adds an input-side bias outside the reset gate and a recurrent one inside:
    ĥ = tanh(W x + b + r ⊙ (U h + b′)); the diagram's legend must not drop the first."""
    import xml.etree.ElementTree as ET
    from pathlib import Path

    svg = Path(__file__).resolve().parent.parent / "assets" / "gru_cell.svg"
    texts = ["".join(t.itertext()) for t in ET.parse(svg).getroot().iter("{http://www.w3.org/2000/svg}text")]
    candidate = next(t for t in texts if t.startswith("tanh("))
    assert "W x + b + r × (U h + b′)" in candidate, candidate
    gate = next(t for t in texts if t.startswith("gate: σ("))
    assert "W x + b + U h + b′" in gate, gate


def test_the_cell_state_is_not_clipped_at_one():
    g = {k: np.full((4, 2), 0.5) for k in ("i", "f", "c_hat", "o", "h")}
    g["c"] = np.array([[0.3, 2.17], [0.1, -0.4], [1.5, 0.0], [0.2, 0.2]])  # a sum of gated candidates passes 1
    fig = learn_plots.gate_time_figure(g, 1, "lstm")
    assert fig.layout.coloraxis.cmax == pytest.approx(2.17) and fig.layout.coloraxis.cmin == pytest.approx(-2.17)
    assert fig.layout.coloraxis2.cmax == 1  # gates keep 0 to 1
    assert "may pass ±1" in learn_plots.gate_step_figure(g, 1, "lstm").layout.xaxis.title.text
