"""Tests for rnnviz.probe: every recomputed number is checked against Keras's own layers or numpy."""

import keras
import numpy as np
import pytest
from keras import layers

from rnnviz import backend
from rnnviz import probe
from rnnviz.config import CifarData, RunConfig
from rnnviz.data.loaders import Dataset, load
from rnnviz.models import build_model
from rnnviz.store import RunStore
from tests.autodiff import gradient
from tests.conftest import tiny

backend.full_float32()  # on a GPU: no TF32 matmuls, so the bar below is float32's (FACTS.md)
# PyTorch's cuDNN LSTM/GRU on CUDA stay near 2e-5 from a float64 recompute even at full float32 (FACTS.md)
TOL = 5e-5 if backend.name() == "torch" and backend.describe_device().startswith("GPU") else 1e-5
BATCH, TIME, FEATURES, UNITS = 3, 7, 5, 4


@pytest.fixture
def x():
    return np.random.default_rng(0).normal(size=(BATCH, TIME, FEATURES)).astype("float32")


@pytest.fixture
def mask():
    m = np.ones((BATCH, TIME), bool)
    m[0, :3] = False  # pre-padding
    m[1, 5:] = False  # post-padding
    return m


def keras_out(layer, x, mask=None) -> np.ndarray:
    return keras.ops.convert_to_numpy(layer(x, mask=mask))


LAYERS = {
    "simple_rnn": lambda: layers.SimpleRNN(UNITS, return_sequences=True),
    "simple_rnn_relu": lambda: layers.SimpleRNN(UNITS, activation="relu", return_sequences=True),
    "lstm": lambda: layers.LSTM(UNITS, return_sequences=True),
    "lstm_hard_sigmoid": lambda: layers.LSTM(UNITS, recurrent_activation="hard_sigmoid", return_sequences=True),
    "lstm_relu_no_bias": lambda: layers.LSTM(UNITS, activation="relu", use_bias=False, return_sequences=True),
    "lstm_go_backwards": lambda: layers.LSTM(UNITS, go_backwards=True, return_sequences=True),
    "gru": lambda: layers.GRU(UNITS, return_sequences=True),
    "gru_reset_before": lambda: layers.GRU(UNITS, reset_after=False, return_sequences=True),
    "gru_gelu": lambda: layers.GRU(UNITS, activation="gelu", return_sequences=True),  # through Keras
}


@pytest.mark.parametrize("masked", [False, True], ids=["no_mask", "mask"])
@pytest.mark.parametrize("kind", LAYERS)
def test_gates_h_matches_keras_output(kind, masked, x, mask):
    keras.utils.set_random_seed(1)
    layer = LAYERS[kind]()
    m = mask if masked else None
    expected = keras_out(layer, x, m)
    h = probe.gates(layer, x, m)["h"]
    if layer.go_backwards:
        expected = expected[:, ::-1]  # Keras emits in reading order; gates are in input order
    assert h.shape == (BATCH, TIME, UNITS)
    np.testing.assert_allclose(h, expected, atol=TOL, rtol=0)


@pytest.mark.parametrize("cell", [layers.SimpleRNN, layers.LSTM, layers.GRU])
def test_bidirectional_halves_match_keras(cell, x):
    keras.utils.set_random_seed(2)
    layer = layers.Bidirectional(cell(UNITS, return_sequences=True))
    expected = keras_out(layer, x)  # (batch, time, 2 * units): forward, then backward in input order
    g = probe.gates(layer, x)
    np.testing.assert_allclose(g["forward/h"], expected[..., :UNITS], atol=TOL, rtol=0)
    np.testing.assert_allclose(g["backward/h"], expected[..., UNITS:], atol=TOL, rtol=0)
    assert {k.split("/")[0] for k in g} == {"forward", "backward"}


def test_keras_masked_step_outputs(x, mask):
    """What Keras returns at masked steps: the previous output, but zeros inside a Bidirectional."""
    keras.utils.set_random_seed(3)
    y = keras_out(layers.GRU(UNITS, return_sequences=True), x, mask)
    np.testing.assert_array_equal(y[0, :3], 0.0)  # nothing read yet: the zero initial state
    np.testing.assert_array_equal(y[1, 5], y[1, 4])
    np.testing.assert_array_equal(y[1, 6], y[1, 4])
    y = keras_out(layers.Bidirectional(layers.GRU(UNITS, return_sequences=True)), x, mask)
    np.testing.assert_array_equal(y[1, 5:], 0.0)
    assert np.abs(y[1, :5]).min() > 0


def test_bidirectional_masked_matches_keras(x, mask):
    keras.utils.set_random_seed(4)
    layer = layers.Bidirectional(layers.LSTM(UNITS, return_sequences=True))
    expected = keras_out(layer, x, mask)
    g = probe.gates(layer, x, mask)
    for side, half in (("forward", expected[..., :UNITS]), ("backward", expected[..., UNITS:])):
        np.testing.assert_allclose(g[f"{side}/h"][mask], half[mask], atol=TOL, rtol=0)
    # the backward direction reads the pre-padded row from its end, so at t=0..2 it has already stopped
    np.testing.assert_array_equal(g["backward/h"][0, :3], g["backward/h"][0, 3:4].repeat(3, axis=0))


def test_lstm_gate_ranges_and_cell_update(x):
    keras.utils.set_random_seed(5)
    layer = layers.LSTM(UNITS, return_sequences=True)
    layer(x)
    g = probe.gates(layer, x * 3)
    for key in ("i", "f", "o"):
        assert ((g[key] > 0) & (g[key] < 1)).all()
    assert (np.abs(g["c_hat"]) < 1).all()
    c_tm1 = np.concatenate([np.zeros((BATCH, 1, UNITS)), g["c"][:, :-1]], axis=1)
    np.testing.assert_allclose(g["c"], g["f"] * c_tm1 + g["i"] * g["c_hat"], atol=1e-12)
    np.testing.assert_allclose(g["h"], g["o"] * np.tanh(g["c"]), atol=1e-12)
    assert set(g) == {"i", "f", "c_hat", "o", "c", "h"}


def test_gru_and_simple_rnn_internals(x):
    keras.utils.set_random_seed(6)
    gru, simple = layers.GRU(UNITS), layers.SimpleRNN(UNITS)
    gru(x), simple(x)
    g = probe.gates(gru, x)
    h_tm1 = np.concatenate([np.zeros((BATCH, 1, UNITS)), g["h"][:, :-1]], axis=1)
    np.testing.assert_allclose(g["h"], g["z"] * h_tm1 + (1 - g["z"]) * g["h_hat"], atol=1e-12)
    s = probe.gates(simple, x)
    np.testing.assert_allclose(s["h"], np.tanh(s["a"]), atol=1e-12)


def test_masked_steps_carry_state(x, mask):
    keras.utils.set_random_seed(7)
    layer = layers.LSTM(UNITS, return_sequences=True)
    layer(x)
    g = probe.gates(layer, x, mask)
    np.testing.assert_array_equal(g["h"][0, :3], 0.0)  # pre-padding: state still the zero initial state
    np.testing.assert_array_equal(g["c"][0, :3], 0.0)
    for t in (5, 6):  # post-padding: the last real state carried on
        np.testing.assert_array_equal(g["h"][1, t], g["h"][1, 4])
        np.testing.assert_array_equal(g["c"][1, t], g["c"][1, 4])
    for key in ("i", "f", "c_hat", "o"):
        assert np.isnan(g[key][~mask]).all() and not np.isnan(g[key][mask]).any()
    # a pre-padded row gives the same states as the unpadded row alone
    alone = probe.gates(layer, x[:1, 3:])
    np.testing.assert_allclose(g["h"][0, 3:], alone["h"][0], atol=1e-12)


def _layer_outputs(model, inputs) -> list[np.ndarray]:
    """Keras's own outputs of every recurrent layer (a sub-model of the same graph)."""
    sub = keras.Model(model.input, [layer.output for layer in probe.recurrent_layers(model)])
    outs = sub(inputs)
    return [keras.ops.convert_to_numpy(v) for v in (outs if isinstance(outs, list) else [outs])]


def _check_hidden_states(model, inputs):
    ours, theirs = probe.hidden_states(model, inputs), _layer_outputs(model, inputs)
    assert len(ours) == len(theirs)
    for layer, h, expected in zip(probe.recurrent_layers(model), ours, theirs):
        if expected.ndim == 2 and isinstance(layer, layers.Bidirectional):  # the backward pass ends at t=0
            units = h.shape[-1] // 2
            h = np.concatenate([h[:, -1, :units], h[:, 0, units:]], axis=-1)
        elif expected.ndim == 2:  # return_sequences=False: the layer's output is our last step
            h = h[:, -1]
        np.testing.assert_allclose(h, expected, atol=TOL, rtol=0)


@pytest.mark.parametrize("cell, bidirectional", [("lstm", False), ("gru", True), ("simple_rnn", True)])
def test_hidden_states_of_trained_stacked_model(cell, bidirectional):
    cfg = tiny(cell=cell, bidirectional=bidirectional, layers=2, seed=3)
    keras.utils.set_random_seed(cfg.seed)
    ds = load(cfg.data, cfg.seed)
    model = build_model(cfg, ds)
    before = [w.copy() for w in model.get_layer("rnn_1").get_weights()]
    model.fit(ds.x_train, ds.y_train, epochs=2, batch_size=cfg.batch_size, verbose=0)
    assert any(np.abs(b - a).max() > 1e-4 for b, a in zip(before, model.get_layer("rnn_1").get_weights()))
    assert [layer.name for layer in probe.recurrent_layers(model)] == ["rnn_1", "rnn_2"]
    _check_hidden_states(model, ds.x_val[:4])
    states = probe.hidden_states(model, ds.x_val[:4])
    assert states[1].shape == (4, cfg.data.window, cfg.units * (2 if bidirectional else 1))


def test_hidden_states_untrained_model_last_layer_without_sequences():
    cfg = tiny(cell="gru", layers=3)
    keras.utils.set_random_seed(0)
    ds = load(cfg.data, cfg.seed)
    model = build_model(cfg, ds)
    assert model.get_layer("rnn_3").return_sequences is False
    states = probe.hidden_states(model, ds.x_val[:3])
    last = keras.ops.convert_to_numpy(keras.Model(model.input, model.get_layer("rnn_3").output)(ds.x_val[:3]))
    np.testing.assert_allclose(states[2][:, -1], last, atol=TOL, rtol=0)


def _imdb_like(vocab: int = 30, maxlen: int = 9) -> keras.Model:
    """Word ids -> Embedding(mask_zero) -> LSTM -> Dropout -> Bidirectional GRU -> GRU (last step) -> sigmoid."""
    ids = keras.Input((maxlen,), dtype="int32", name="inputs")
    x = layers.Embedding(vocab, 3, mask_zero=True, name="embedding")(ids)
    x = layers.LSTM(4, return_sequences=True, name="rnn_1")(x)
    x = layers.Dropout(0.2, name="between")(x)  # a layer between two RNNs: read through the graph
    x = layers.Bidirectional(layers.GRU(3, return_sequences=True, name="rnn_2_cell"), name="rnn_2")(x)
    x = layers.GRU(2, name="rnn_3")(x)
    model = keras.Model(ids, layers.Dense(1, activation="sigmoid", name="head")(x))
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy")
    return model


def _padded_ids(n: int, vocab: int = 30, maxlen: int = 9, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    seqs = [rng.integers(1, vocab, size=rng.integers(2, maxlen + 1)) for _ in range(n)]
    return keras.utils.pad_sequences(seqs, maxlen=maxlen, padding="pre")


def test_masked_stacked_imdb_like_model_trained_and_reloaded(tmp_path):
    keras.utils.set_random_seed(8)
    model = _imdb_like()
    ids, y = _padded_ids(32), np.random.default_rng(1).integers(0, 2, size=32)
    model.fit(ids, y, epochs=2, batch_size=16, verbose=0)
    sample = _padded_ids(4, seed=2)
    assert (sample == 0).any() and (sample != 0).any()
    feeds = probe.layer_inputs(model, sample)
    for _, m in feeds:
        np.testing.assert_array_equal(m, sample != 0)
    _check_hidden_states(model, sample)  # masked steps included: repeats (LSTM), zeros (Bidirectional)
    probes = probe.probe_model(model, sample)
    assert [p.name for p in probes] == ["rnn_1", "rnn_2", "rnn_3"]
    embedded = keras.ops.convert_to_numpy(model.get_layer("embedding")(sample))
    np.testing.assert_array_equal(probes[0].inputs, embedded)
    np.testing.assert_allclose(probes[1].inputs, probes[0].states, atol=1e-6)  # Dropout is off
    assert probes[2].output.shape == (4, 2) and probes[1].output.shape == (4, 9, 6)
    assert {k.split("/")[0] for k in probes[1].gates} == {"forward", "backward"}
    model.save(tmp_path / "model.keras")
    reloaded = keras.saving.load_model(tmp_path / "model.keras")
    for ours, again in zip(probe.hidden_states(model, sample), probe.hidden_states(reloaded, sample)):
        np.testing.assert_allclose(again, ours, atol=1e-12)


def test_hidden_states_of_a_stored_run():
    cfg = tiny(cell="lstm", epochs=1)
    keras.utils.set_random_seed(0)
    ds = load(cfg.data, cfg.seed)
    model = build_model(cfg, ds)
    model.fit(ds.x_train, ds.y_train, epochs=1, verbose=0)
    info = {"params": model.count_params(), "train_seconds": 0.0, "device": "CPU"}  # what the store requires
    run = RunStore().save(cfg, model, history={}, metrics={}, info=info)
    _check_hidden_states(run.load_model(), ds.x_val[:2])


def test_input_gradients_of_float_input_model():
    cfg = tiny(layers=2)
    keras.utils.set_random_seed(0)
    ds = load(cfg.data, cfg.seed)
    model = build_model(cfg, ds)
    x, y = ds.x_val[:3], ds.y_val[:3]
    # rnn_1 reads the model input directly here; per-sample mse, horizon 1
    yt = keras.ops.convert_to_tensor(y)  # a tensor: numpy on the left of a torch tensor fails under PyTorch
    expected = np.linalg.norm(gradient(lambda xt: keras.ops.square(model(xt, training=False) - yt), x), axis=-1)
    grads = probe.input_gradients(model, x, y)
    assert grads.shape == (3, cfg.data.window)
    np.testing.assert_allclose(grads, expected, rtol=1e-4, atol=1e-7)


def test_input_gradients_of_embedding_model():
    keras.utils.set_random_seed(9)
    model = _imdb_like()
    ids, y = _padded_ids(3, seed=4), np.array([0, 1, 1])
    mask = keras.ops.convert_to_tensor(ids != 0)
    emb = keras.ops.convert_to_numpy(model.get_layer("embedding")(ids))

    def loss(emb):  # the same network, called layer by layer from the embedding output
        h = model.get_layer("rnn_1")(emb, mask=mask)
        h = model.get_layer("rnn_2")(model.get_layer("between")(h, training=False), mask=mask)
        p = model.get_layer("head")(model.get_layer("rnn_3")(h, mask=mask))[:, 0]
        yt = keras.ops.convert_to_tensor(y, "float32")
        return -(yt * keras.ops.log(p) + (1 - yt) * keras.ops.log(1 - p))

    expected = np.linalg.norm(gradient(loss, emb), axis=-1)
    grads = probe.input_gradients(model, ids, y)
    np.testing.assert_allclose(grads, expected, rtol=1e-3, atol=1e-7)
    np.testing.assert_array_equal(grads[ids == 0], 0.0)
    assert (grads[ids != 0] > 0).all()


def test_input_gradients_with_a_conv_branch_beside_the_rnn():
    cfg = RunConfig(data=CifarData(), front_end="conv+rnn", units=3, conv_filters=2)
    rng = np.random.default_rng(0)
    images, labels = rng.random((2, 32, 32, 3)).astype("float32"), np.array([3, 7])
    keras.utils.set_random_seed(0)
    model = build_model(cfg, Dataset(images, labels, images, labels, "multiclass", 10))
    rows = images.reshape(2, 32, 96)  # the "rows" Reshape: rnn_1's input

    def loss(rows):  # the two branches called layer by layer
        conv = images
        for name in ("conv", "conv_bn", "conv_pool", "conv_flat", "conv_dense"):
            conv = model.get_layer(name)(conv, training=False)
        both = model.get_layer("branches")([conv, model.get_layer("rnn_1")(rows)])
        p = model.get_layer("head")(both)
        return -keras.ops.log(keras.ops.take_along_axis(p, labels[:, None], axis=1))

    expected = np.linalg.norm(gradient(loss, rows), axis=-1)
    np.testing.assert_allclose(probe.input_gradients(model, images, labels), expected, rtol=1e-4, atol=1e-8)


def test_input_gradient_fn_is_reusable_across_batches():
    cfg = tiny()
    keras.utils.set_random_seed(0)
    ds = load(cfg.data, cfg.seed)
    model = build_model(cfg, ds)
    fn = probe.input_gradient_fn(model)
    both = fn(ds.x_val[:4], ds.y_val[:4])
    np.testing.assert_allclose(fn(ds.x_val[:1], ds.y_val[:1]), both[:1], rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(fn(ds.x_val[1:4], ds.y_val[1:4]), both[1:], rtol=1e-5, atol=1e-8)


def test_pca_against_covariance_eigenvectors():
    rng = np.random.default_rng(0)
    states = rng.normal(size=(5, 40, 6)) @ rng.normal(size=(6, 6))  # (batch, time, units), correlated
    fit = probe.pca(states, k=3)
    flat = states.reshape(-1, 6)
    eigval, eigvec = np.linalg.eigh(np.cov(flat, rowvar=False))
    order = np.argsort(eigval)[::-1]
    for k in range(3):
        assert abs(abs(fit.components[k] @ eigvec[:, order[k]]) - 1) < 1e-8  # same axis up to sign
    np.testing.assert_allclose(fit.explained_variance_ratio, eigval[order[:3]] / eigval.sum(), rtol=1e-8)
    assert fit.explained_variance_ratio.sum() <= 1
    np.testing.assert_allclose(fit.transform(fit.mean), 0, atol=1e-12)
    assert fit.transform(states).shape == (5, 40, 3)
    assert probe.pca(states[..., :2], k=3).components.shape == (2, 2)


def test_saturation_counts_and_ignores_nan():
    arr = np.array([0.05, 0.5, 0.95, 0.99, np.nan])
    assert probe.saturation(arr) == (0.25, 0.5)
    assert probe.saturation(np.full(3, np.nan)) == (0.0, 0.0)


def test_errors_name_the_argument(x):
    dense = layers.Dense(2)
    dense(x)
    with pytest.raises(ValueError, match="`layer` must be"):
        probe.gates(dense, x)
    with pytest.raises(ValueError, match="must be built"):
        probe.gates(layers.LSTM(2), x)
    lstm = layers.LSTM(2)
    lstm(x)
    with pytest.raises(ValueError, match="`inputs` must be"):
        probe.gates(lstm, x[0])
    with pytest.raises(ValueError, match="`mask` must be"):
        probe.gates(lstm, x, np.ones((BATCH, TIME + 1), bool))
