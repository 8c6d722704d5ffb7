"""Tests for rnnviz.models.keras_cells, the peephole and CIFG LSTM cells: each checked against Keras's own LSTM (a peephole
LSTM with zero peepholes is an LSTM; a CIFG is an LSTM whose input-gate weights are minus its forget-gate
weights, since 1 - sigmoid(z) = sigmoid(-z)), parameter counts against a hand count, `probe.gates` (a float64
numpy recompute) against the layer's own outputs, masking, Bidirectional, stacking, config and `.keras` round
trips with `safe_mode=True`, and the models, budget and Learn tables built on them."""

import numpy as np
import pytest
from keras import layers

import keras
from rnnviz.models import budget
from rnnviz.models import keras_cells as cells
from rnnviz.data import loaders as data
from rnnviz.inspect import layers as inspection
from rnnviz.learn import layers as maths
from rnnviz import probe
from rnnviz.config import vocab
from rnnviz.config import cells as registry
from rnnviz.config import ImdbData, MemoryData, RunConfig
from rnnviz.models import build_model
from tests.conftest import tiny

TOL = 1e-5
numpy = keras.ops.convert_to_numpy  # a layer's output on any backend (PyTorch's needs a detach)
VARIANTS = ("lstm_peephole", "lstm_cifg")
BATCH, TIME, FEATURES, UNITS = 3, 7, 5, 4


@pytest.fixture
def x():
    return np.random.default_rng(0).normal(size=(BATCH, TIME, FEATURES)).astype("float32")


@pytest.fixture
def mask():
    m = np.ones((BATCH, TIME), bool)
    m[0, 5:] = False  # padding at the end
    m[1, 2] = False  # a masked step in the middle
    return m


def _randomise(layer, seed: int = 1) -> None:
    """Random weights everywhere (biases and peepholes too), large enough that every gate moves."""
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(0, 0.6, w.shape).astype("float32") for w in layer.get_weights()])


def _variant(cell: str, x, **kwargs):
    layer = cells.cell_layer(cell, UNITS, return_sequences=True, **kwargs)
    layer(x)
    _randomise(layer)
    return layer


def test_peephole_with_zero_peepholes_is_keras_lstm(x):
    peep = _variant("lstm_peephole", x)
    kernel, recurrent, bias = (w.numpy() for w in (peep.cell.kernel, peep.cell.recurrent_kernel, peep.cell.bias))
    for p in ("input", "forget", "output"):
        getattr(peep.cell, f"{p}_peephole").assign(np.zeros(UNITS, "float32"))
    lstm = layers.LSTM(UNITS, return_sequences=True)
    lstm(x)
    lstm.set_weights([kernel, recurrent, bias])
    np.testing.assert_allclose(numpy(peep(x)), numpy(lstm(x)), atol=TOL)


def test_cifg_is_keras_lstm_with_input_gate_minus_forget_gate(x):
    cifg = _variant("lstm_cifg", x)
    kernel, recurrent, bias = (w.numpy() for w in (cifg.cell.kernel, cifg.cell.recurrent_kernel, cifg.cell.bias))
    u = UNITS
    as_lstm = lambda w: np.concatenate([-w[..., :u], w], axis=-1)  # noqa: E731  (i = -f, then f, c, o)
    lstm = layers.LSTM(UNITS, return_sequences=True)
    lstm(x)
    lstm.set_weights([as_lstm(kernel), as_lstm(recurrent), as_lstm(bias)])
    np.testing.assert_allclose(numpy(cifg(x)), numpy(lstm(x)), atol=TOL)


def test_peepholes_change_the_output(x):
    peep = _variant("lstm_peephole", x)
    before = numpy(peep(x))
    peep.cell.output_peephole.assign(peep.cell.output_peephole.numpy() + 1.0)
    assert np.abs(numpy(peep(x)) - before).max() > 1e-3  # o reads c_t: the peephole is wired in


@pytest.mark.parametrize("n_in, units", [(1, 1), (3, 4), (7, 5)])
def test_parameter_counts_by_hand(n_in, units):
    hand = {"lstm_peephole": 4 * units * n_in + 4 * units * units + 4 * units + 3 * units,
            "lstm_cifg": 3 * units * n_in + 3 * units * units + 3 * units,
            "lstm": 4 * units * n_in + 4 * units * units + 4 * units}
    for cell, n in hand.items():
        layer = layers.LSTM(units) if cell == "lstm" else cells.cell_layer(cell, units)
        layer.build((None, 6, n_in))
        assert layer.count_params() == n == budget.rnn_params(cell, n_in, units)
    rows = {r["cell"]: r["parameters"] for r in cells.param_rows(n_in, units)}
    assert rows == {"LSTM": hand["lstm"], "peephole LSTM": hand["lstm_peephole"], "CIFG LSTM": hand["lstm_cifg"],
                    "GRU": 3 * units * (n_in + units) + 6 * units, "MGU": 2 * units * (n_in + units) + 2 * units}
    assert budget.rnn_params("lstm_peephole", 3, 4) == 140 and budget.rnn_params("lstm_cifg", 3, 4) == 96


@pytest.mark.parametrize("cell", VARIANTS)
@pytest.mark.parametrize("masked", [False, True])
def test_gates_h_matches_the_layer_output(cell, masked, x, mask):
    layer = _variant(cell, x)
    m = mask if masked else None
    g = probe.gates(layer, x, m)
    assert set(g) == set(vocab.KEYS[cell])
    want = numpy(layer(x, mask=m))
    np.testing.assert_allclose(g["h"], want, atol=TOL)
    real = ~np.isnan(g["f"])
    if cell == "lstm_cifg":
        np.testing.assert_allclose(g["i"][real], 1.0 - g["f"][real], atol=1e-12)
    assert masked == (not real.all())  # masked steps: NaN gates
    # the cell state recomputed step by step from the returned gates (c_0 = 0), where no step is masked
    c = np.zeros((BATCH, UNITS))
    for t in range(TIME):
        c = np.where(real[:, t, :], g["f"][:, t] * c + g["i"][:, t] * g["c_hat"][:, t], c)
        np.testing.assert_allclose(g["c"][:, t], c, atol=1e-12)


@pytest.mark.parametrize("cell", VARIANTS)
def test_peephole_gates_by_hand(cell, x):
    layer = _variant(cell, x)
    g = probe.gates(layer, x[:1, :2])
    w = {v.name: np.asarray(v.numpy(), np.float64) for v in layer.cell.weights}
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    z = x[0, 1].astype(np.float64) @ w["kernel"] + g["h"][0, 0] @ w["recurrent_kernel"] + w["bias"]
    c_tm1, u = g["c"][0, 0], UNITS
    if cell == "lstm_peephole":
        i = sig(z[:u] + w["input_peephole"] * c_tm1)
        f = sig(z[u:2 * u] + w["forget_peephole"] * c_tm1)
        c = f * c_tm1 + i * np.tanh(z[2 * u:3 * u])
        o = sig(z[3 * u:] + w["output_peephole"] * c)
    else:
        f = sig(z[:u])
        c = f * c_tm1 + (1 - f) * np.tanh(z[u:2 * u])
        o = sig(z[2 * u:])
    np.testing.assert_allclose(g["o"][0, 1], o, atol=1e-12)
    np.testing.assert_allclose(g["h"][0, 1], o * np.tanh(c), atol=1e-12)


@pytest.mark.parametrize("cell", VARIANTS)
def test_bidirectional_masked_and_config_round_trip(cell, x, mask):
    bi = layers.Bidirectional(cells.cell_layer(cell, UNITS, return_sequences=True))
    bi(x)
    _randomise(bi, seed=3)
    g = probe.gates(bi, x, mask)
    want = numpy(bi(x, mask=mask))  # zero_output_for_mask: zeros at masked steps
    got = np.concatenate([g["forward/h"], g["backward/h"]], axis=-1)
    np.testing.assert_allclose(np.where(mask[..., None], got, 0.0), want, atol=TOL)
    clone = layers.Bidirectional.from_config(bi.get_config())
    clone(x)
    clone.set_weights(bi.get_weights())
    np.testing.assert_allclose(numpy(clone(x, mask=mask)), want, atol=TOL)
    assert cells.cell_kind(clone) == cell and cells.cell_kind(layers.Dense(2)) is None


@pytest.mark.parametrize("cell", VARIANTS)
@pytest.mark.slow  # long: 10-60 s on a busy 2-core machine; the full run (README, CI) keeps it
def test_stacked_masked_model_saves_and_loads_safely(cell, tmp_path):
    cfg = RunConfig(data=ImdbData(vocab_size=100, maxlen=9), cell=cell, layers=2, bidirectional=True, units=3,
                    embedding_dim=4, dropout=0.2, recurrent_dropout=0.2, epochs=1)
    model = build_model(cfg, data.empty(cfg.data))
    assert model.count_params() == budget.param_count(cfg)
    ids = np.random.default_rng(0).integers(1, 100, size=(6, 9))
    ids[:2, 6:] = 0  # padding, masked by the embedding
    model.fit(ids, np.array([0, 1] * 3, "float32"), epochs=1, verbose=0)  # dropout on while training
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    want = np.asarray(model.predict(ids, verbose=0))
    np.testing.assert_allclose(np.asarray(loaded.predict(ids, verbose=0)), want, atol=1e-6)
    for p, layer in zip(probe.probe_model(loaded, ids), probe.recurrent_layers(loaded)):
        sub = keras.Model(loaded.inputs[0], layer.output)
        np.testing.assert_allclose(p.output, numpy(sub(ids)), atol=TOL)


@pytest.mark.parametrize("cell", VARIANTS)
def test_models_of_a_variant_build_and_inspect(cell):
    cfg = tiny(cell=cell, data=MemoryData(steps=6, samples=100), units=3, epochs=1)
    model = build_model(cfg, data.empty(cfg.data))
    layer = probe.recurrent_layers(model)[0]
    assert isinstance(inspection.cell_layer(layer), keras.saving.get_registered_object(registry.row(cell).keras))
    assert set(inspection.value_ranges(layer)) >= set(vocab.KEYS[cell])
    tex = inspection.cell_equations(layer)
    assert (r"p_o \odot c_{t}" in tex) == (cell == "lstm_peephole") and (r"1 - f_t" in tex) == (cell == "lstm_cifg")
    g = maths.cell_gates(cell, np.ones((3, 2)), 2)
    assert set(g) == set(vocab.KEYS[cell]) and "c_{3}" in maths.step_equations(cell, g, 3, 1)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="`cell` must be one of .*Received: cell='lstm'"):
        cells.cell_layer("lstm", 3)
    with pytest.raises(ValueError, match="Received: units=0"):
        cells.PeepholeLSTMCell(0)
    with pytest.raises(ValueError, match="Received: units=0"):
        cells.param_rows(2, 0)


def test_the_three_peepholes_start_from_their_own_draws():
    keras.utils.set_random_seed(1)
    cell = cells.cell_layer("lstm_peephole", 16)
    cell.build((None, 3, 2))
    p = [numpy(w) for w in (cell.cell.input_peephole, cell.cell.forget_peephole, cell.cell.output_peephole)]
    assert not np.allclose(p[0], p[1]) and not np.allclose(p[1], p[2])  # one shared draw made p_i = p_f = p_o
    keras.utils.set_random_seed(1)
    again = cells.cell_layer("lstm_peephole", 16)
    again.build((None, 3, 2))
    np.testing.assert_array_equal(numpy(again.cell.forget_peephole), p[1])  # still reproducible from the seed
