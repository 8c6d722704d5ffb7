"""Tests for rnnviz.inspection: readouts against Keras's own outputs (full and cut inputs), free runs against
`metrics.free_run`, PCA and saturation against numpy, snapshots, and typed reviews against the dataset's rules."""

import keras
import numpy as np
import pytest
from keras import layers

from rnnviz import datasets, inspection, metrics, probe
from rnnviz.config import CifarData, ImdbData, RunConfig
from rnnviz.data import Dataset, load
from rnnviz.jobs import train_and_store
from rnnviz.models import build_model
from rnnviz.store import RunStore
from tests import fakedata
from tests.conftest import tiny

TOL = 1e-5


def _out(model, x) -> np.ndarray:
    return keras.ops.convert_to_numpy(model(x, training=False))


def _cifar_model(seed: int = 0, **changes) -> tuple[keras.Model, np.ndarray]:
    """A tiny CIFAR rows model (untrained; speed and exactness do not depend on training) and 3 images."""
    cfg = RunConfig(data=CifarData(), units=3, **changes)
    rng = np.random.default_rng(seed)
    images, labels = rng.random((3, 32, 32, 3)).astype("float32"), np.array([1, 4, 7])
    keras.utils.set_random_seed(seed)
    return build_model(cfg, Dataset(images, labels, images, labels, "multiclass", 10)), images


def _on_rows(model: keras.Model, rows: np.ndarray) -> np.ndarray:
    """Keras running the model's own recurrent and Dense layers on `rows` `(batch, t, 96)` (any t)."""
    x = inp = keras.Input((None, rows.shape[-1]))
    for layer in model.layers[model.layers.index(model.get_layer("rnn_1")):]:
        x = layer(x)
    return _out(keras.Model(inp, x), rows)


@pytest.mark.parametrize("changes", [
    dict(cell="lstm"), dict(cell="gru", head_units=5), dict(cell="simple_rnn", layers=2),
    dict(cell="gru", bidirectional=True), dict(cell="lstm", bidirectional=True, layers=2, head_units=4),
    dict(cell="gru", pooling="mean", head_units=3), dict(cell="lstm", bidirectional=True, pooling="mean"),
], ids=["lstm", "gru_hidden", "simple_2_layers", "bigru", "bilstm_2_layers_hidden", "gru_mean", "bilstm_mean"])
def test_readout_matches_keras_on_the_full_and_the_cut_image(changes):
    model, images = _cifar_model(**changes)
    out = inspection.readout_over_time(model, probe.probe_model(model, images))
    assert out.shape == (3, 32, 10)
    np.testing.assert_allclose(out[:, -1], _out(model, images), atol=TOL, rtol=0)  # the model's own prediction
    rows = images.reshape(3, 32, 96)
    for t in (1, 9, 20):  # the model reading only the first t rows
        np.testing.assert_allclose(out[:, t - 1], _on_rows(model, rows[:, :t]), atol=TOL, rtol=0)


def test_readout_with_a_conv_front_end_and_its_refusal_beside_one():
    model, images = _cifar_model(cell="gru", front_end="conv", conv_filters=2)
    out = inspection.readout_over_time(model, probe.probe_model(model, images))
    assert out.shape == (3, 16, 10)
    np.testing.assert_allclose(out[:, -1], _out(model, images), atol=TOL, rtol=0)
    both, _ = _cifar_model(front_end="conv+rnn", conv_filters=2)
    assert "branches" in inspection.readout_problem(both)
    assert inspection.readout_problem(model) is None
    with pytest.raises(ValueError, match="after the last recurrent layer"):
        inspection.readout_over_time(both, probe.probe_model(both, images))


@pytest.mark.parametrize("bidirectional, pooling", [(False, "last"), (True, "last"), (False, "mean"), (True, "mean")])
def test_readout_of_a_masked_review_equals_the_model_on_the_cut_review(bidirectional, pooling):
    cfg = RunConfig(data=ImdbData(vocab_size=100, maxlen=12), cell="gru", units=3, embedding_dim=4,
                    bidirectional=bidirectional, pooling=pooling, head_units=2 if pooling == "mean" else 0)
    ids = np.zeros((2, 12), "int32")
    ids[0, 4:] = [1, 5, 9, 33, 2, 40, 7, 8]  # pre-padded: 4 padding steps
    ids[1, :] = np.arange(1, 13)
    keras.utils.set_random_seed(1)
    model = build_model(cfg, Dataset(ids, np.array([0.0, 1.0]), ids, np.array([0.0, 1.0]), "binary", 1))
    out = inspection.readout_over_time(model, probe.probe_model(model, ids))
    np.testing.assert_allclose(out[:, -1], _out(model, ids), atol=TOL, rtol=0)
    assert np.isnan(out[0, :4]).all() and not np.isnan(out[0, 4:]).any()  # nothing read yet: no prediction
    for t in (5, 8):  # the review cut after word t, padded again as the dataset does
        cut = datasets.pad([ids[0, 4:t + 1]], 12)
        np.testing.assert_allclose(out[0, t], _out(model, cut)[0], atol=TOL, rtol=0)
    probs = inspection.class_probabilities(out)
    np.testing.assert_allclose(probs.sum(axis=-1)[:, -1], 1.0)


def test_free_runs_start_like_metrics_free_run_and_error_by_horizon():
    cfg = tiny(data_horizon=2)
    keras.utils.set_random_seed(0)
    ds = load(cfg.data, cfg.seed)
    model = build_model(cfg, ds)
    pred, true, starts = inspection.free_runs(model, ds, 7, n_starts=5)
    assert pred.shape == true.shape == (len(starts), 7) and starts[0] == 0
    np.testing.assert_allclose(pred[0], metrics.free_run(model, ds, 7), atol=1e-6)
    series, start = ds.extra["series"], ds.extra["val_start"]
    np.testing.assert_array_equal(true[1], series[start + starts[1]:start + starts[1] + 7])
    assert starts[-1] + 7 <= len(series) - start  # every run ends inside the series
    rmse = inspection.rmse_by_horizon(pred, true)
    np.testing.assert_allclose(rmse[3], np.sqrt(np.mean((pred[:, 3] - true[:, 3]) ** 2)))
    assert inspection.free_runs(model, ds, 10_000)[0].shape[1] == len(series) - start  # capped


def test_fit_indices_balanced_and_class_indices():
    y = np.array([0] * 50 + [1] * 10 + [2] * 3)
    idx = inspection.fit_indices(y, 3, n=30)
    assert np.bincount(y[idx]).tolist() == [10, 10, 3]
    assert (np.diff(idx) > 0).all()
    np.testing.assert_array_equal(inspection.fit_indices(np.zeros(5), 0, n=3), [0, 2, 4])
    np.testing.assert_array_equal(inspection.class_indices(y, 2), [60, 61, 62])
    assert len(inspection.class_indices(y[:, None], None)) == 63


def test_step_labels_and_visible_steps():
    vocab = datasets.Vocabulary(fakedata.WORD_INDEX, 10)
    imdb = RunConfig(data=ImdbData(vocab_size=100, maxlen=5))
    assert inspection.step_labels(imdb, np.array([0, 1, 4, 2, 20]), vocab) == ["<pad>", "<start>", "the", "<oov>",
                                                                              "awful"]
    image = np.zeros((32, 32, 3))
    assert inspection.step_labels(RunConfig(data=CifarData()), image)[:2] == ["row 1", "row 2"]
    assert inspection.step_labels(RunConfig(data=CifarData(by="columns")), image)[-1] == "column 32"
    conv = inspection.step_labels(RunConfig(data=CifarData(), front_end="conv"), image)
    assert len(conv) == 16 and conv[0] == "rows 1–2"
    assert inspection.step_labels(tiny(), np.zeros((10, 1)))[-1] == "10"
    assert "word" in inspection.step_axis_title(imdb)
    np.testing.assert_array_equal(inspection.visible_steps(np.array([False, True, True]), 3), [1, 2])
    np.testing.assert_array_equal(inspection.visible_steps(None, 3), [0, 1, 2])


def test_pca_leaves_masked_steps_out_and_paths_keep_real_steps():
    rng = np.random.default_rng(0)
    h = rng.normal(size=(4, 6, 3))
    mask = np.ones((4, 6), bool)
    mask[0, :2] = False
    h[0, :2] = 100.0  # padding: must not move the axes
    fit = inspection.fit_state_pca(h, mask, k=2)
    ref = probe.pca(h[mask], k=2)
    np.testing.assert_allclose(fit.mean, ref.mean)
    np.testing.assert_allclose(np.abs(fit.components), np.abs(ref.components))
    paths = inspection.project_paths(fit, h, mask)
    assert [len(s) for s, _ in paths] == [4, 6, 6, 6]
    np.testing.assert_allclose(paths[0][1], fit.transform(h[0, 2:]))


def test_layer_gates_split_directions():
    p = probe.LayerProbe("rnn_1", np.zeros((1, 2, 1)), None, {"forward/h": np.ones((1, 2, 3)),
                                                                "backward/h": np.zeros((1, 2, 3))}, None, None)
    assert inspection.layer_gates(p, "backward")["h"].sum() == 0
    with pytest.raises(ValueError, match="`direction`"):
        inspection.layer_gates(p, "sideways")


@pytest.mark.parametrize("cell", [layers.LSTM, layers.GRU, layers.SimpleRNN])
def test_saturation_rows_count_like_numpy(cell):
    keras.utils.set_random_seed(0)
    layer = cell(4, return_sequences=True)
    x = 3 * np.random.default_rng(0).normal(size=(2, 9, 3)).astype("float32")
    layer(x)
    mask = np.ones((2, 9), bool)
    mask[0, :3] = False
    g = probe.gates(layer, x, mask)
    rows = {r["key"]: r for r in inspection.saturation_rows(g, layer)}
    expected = {layers.LSTM: {"i", "f", "o", "c_hat"}, layers.GRU: {"z", "r", "h_hat"}, layers.SimpleRNN: {"h"}}
    assert set(rows) == expected[cell]
    for key, r in rows.items():
        values = g[key][~np.isnan(g[key])]
        lo, hi = (0.1, 0.9) if r["activation"] == "sigmoid" else (-0.9, 0.9)
        assert r["low"] == pytest.approx(np.mean(values < lo)) and r["high"] == pytest.approx(np.mean(values > hi))
    ranges = inspection.value_ranges(layer)
    assert ranges["h"] == (-1.0, 1.0) and ranges["c"] == (None, None)


def test_unit_means_and_saturated_share_ignore_nan():
    arr = np.array([[0.0, 1.0, np.nan], [np.nan, np.nan, np.nan], [0.95, -0.95, 0.5]])
    np.testing.assert_allclose(inspection.unit_means({"a": arr}, ("a",))["a"], [0.5, np.nan, 0.5 / 3])
    np.testing.assert_allclose(inspection.saturated_share(arr, -0.9, 0.9), [0.5, np.nan, 2 / 3])


def test_equations_follow_the_layer():
    assert r"\mathrm{relu}(c_t)" in inspection.cell_equations(layers.LSTM(2, activation="relu"))
    assert r"U_h (r_t \odot h_{t-1})" in inspection.cell_equations(layers.GRU(2, reset_after=False))
    assert r"r_t \odot (U_h h_{t-1}" in inspection.cell_equations(layers.Bidirectional(layers.GRU(2)))
    assert r"\tanh(a_t)" in inspection.cell_equations(layers.SimpleRNN(2))


def test_most_confident_and_grid_indices():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.99, 0.01], [0.6, 0.4], [0.3, 0.7]])
    y = np.array([0, 0, 1, 0, 1])
    sure = inspection.most_confident(probs, y, k=2)
    np.testing.assert_array_equal(sure["right"], [0, 4])
    np.testing.assert_array_equal(sure["wrong"], [2, 1])
    pred = probs.argmax(axis=1)
    np.testing.assert_array_equal(inspection.grid_indices(y, pred, "wrong"), [1, 2])
    np.testing.assert_array_equal(inspection.grid_indices(y, pred, "right", cls=0, n=1), [0])


def test_model_at_epoch_sets_snapshot_weights_without_training():
    run, _ = train_and_store(tiny(epochs=2), RunStore())
    model, snaps = run.load_model(), run.snapshots()
    assert sorted(snaps) == [0, 1, 2]
    x = load(run.config.data).x_val[:3]
    np.testing.assert_allclose(_out(inspection.model_at_epoch(model, snaps[2]), x), _out(model, x), atol=1e-7)
    untrained = inspection.model_at_epoch(model, snaps[0])
    assert np.abs(_out(untrained, x) - _out(model, x)).max() > 1e-4
    assert [w.shape for w in untrained.get_weights()] == [w.shape for w in model.get_weights()]
    assert np.abs(model.get_weights()[0] - snaps[2][0]).max() == 0  # the shared model is untouched
    with pytest.raises(ValueError, match="`weights` must match"):
        inspection.model_at_epoch(model, snaps[0][:-1])


def test_encode_review_as_the_dataset_does():
    vocab = datasets.Vocabulary(fakedata.WORD_INDEX, 13)  # ids >= 13 (ranks >= 10) become <oov>
    enc = inspection.encode_review(vocab, "The movie, GREAT! zorglub", ImdbData(vocab_size=100, maxlen=6))
    assert [(t.word, t.status) for t in enc.tokens] == [
        ("the", "known"), ("movie", "rare (out of vocabulary)"), ("great", "rare (out of vocabulary)"),
        ("zorglub", "unknown (dropped)")]
    np.testing.assert_array_equal(enc.ids, [0, 0, 1, 4, 2, 2])  # pre-padded, <start>, the, <oov>, <oov>
    assert enc.cut == 0
    long = inspection.encode_review(vocab, "the " * 9, ImdbData(vocab_size=100, maxlen=4, truncating="post"))
    assert long.cut == 6 and long.ids[0] == 1  # kept the start


def test_to_image_scales_to_pixels():
    x = np.zeros((32, 32, 3), "float32")
    x[0, 0] = [1.0, 0.5, 0.0]
    img = inspection.to_image(x)
    assert img.dtype == np.uint8 and img[0, 0].tolist() == [255, 128, 0]
    assert inspection.to_image(x * 255)[0, 0].tolist() == [255, 128, 0]


def test_limit_blas_threads_runs():
    assert isinstance(inspection.limit_blas_threads(1), bool)


def test_compare_and_the_gates_page_give_the_same_saturation():
    """One definition: Compare's gate saturation and the Gates page's summary agree on the same run and samples,
    also where the recurrent activation is not a sigmoid (tanh gates: saturated beyond ±0.9, not below 0.1)."""
    from rnnviz import compare, vocab

    keras.utils.set_random_seed(3)
    inp = keras.Input((7, 2))
    seq = layers.Bidirectional(layers.LSTM(3, recurrent_activation="tanh", return_sequences=True), name="rnn_1")(inp)
    out = layers.Dense(1)(layers.GRU(4, name="rnn_2")(seq))
    model = keras.Model(inp, out)
    x = 2 * np.random.default_rng(1).normal(size=(5, 7, 2)).astype("float32")
    table = compare.gate_saturation(model, x)
    assert len(table) == 2 * 3 + 2  # i, f, o per direction; z, r
    for p in probe.probe_model(model, x):
        layer = model.get_layer(p.name)
        for direction in (["forward", "backward"] if isinstance(layer, layers.Bidirectional) else [""]):
            g = inspection.layer_gates(p, direction)
            page = {r["name"]: r for r in inspection.saturation_rows(g, layer)}  # what the Gates page draws
            name = p.name + (f" ({direction})" if direction else "")
            for _, row in table[table["layer"] == name].iterrows():
                key = next(k for k, v in vocab.NAMES.items() if v == row["gate"])
                lo, hi = (-0.9, 0.9) if p.name == "rnn_1" else (0.1, 0.9)  # tanh gates; sigmoid gates
                values = g[key][~np.isnan(g[key])]
                assert row["low"] == pytest.approx(np.mean(values < lo)) == pytest.approx(page[row["gate"]]["low"])
                assert row["high"] == pytest.approx(np.mean(values > hi)) == pytest.approx(page[row["gate"]]["high"])
