"""Tests for rnnviz.inspect.layers: PCA paths, directions, saturation (against numpy, and the same numbers in
Compare and on the Gates page), means over units, equations, and snapshots."""

import keras
import numpy as np
import pytest
from keras import layers

from rnnviz.inspect import layers as inspection
from rnnviz import probe
from rnnviz.data.loaders import load
from rnnviz.training.jobs import train_and_store
from rnnviz.store import RunStore
from tests.conftest import tiny


def _out(model, x) -> np.ndarray:
    return keras.ops.convert_to_numpy(model(x, training=False))


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


def test_variance_shares_of_other_states_on_fixed_axes():
    rng = np.random.default_rng(1)
    trained = rng.normal(size=(5, 8, 4)) * np.array([3.0, 1.0, 0.5, 0.1])  # (batch, time, units)
    mask = np.ones((5, 8), bool)
    mask[0, :3] = False
    trained[0, :3] = 50.0  # padding: left out
    fit = inspection.fit_state_pca(trained, mask, k=2)
    np.testing.assert_allclose(inspection.variance_shares(fit, trained, mask), fit.explained_variance_ratio)
    early = rng.normal(size=(5, 8, 4)) * np.array([0.1, 0.5, 1.0, 3.0]) + 7.0  # another cloud, another centre
    shares = inspection.variance_shares(fit, early, mask)
    flat = early[mask]
    coords = (flat - flat.mean(axis=0)) @ fit.components.T  # numpy: variance along each axis / total variance
    np.testing.assert_allclose(shares, coords.var(axis=0) / flat.var(axis=0).sum())
    assert shares.sum() < 0.2 < fit.explained_variance_ratio.sum()  # the trained axes show little of it
    np.testing.assert_array_equal(inspection.variance_shares(fit, np.ones((2, 3, 4))), [0.0, 0.0])


def test_share_text_never_rounds_to_a_whole_percent_it_is_not():
    from rnnviz.plots.states import share_text

    assert share_text(0.9958) == "99.6%" and share_text(0.62) == "62%" and share_text(0.004) == "0.4%"
    assert share_text(0.99999) == "99.999%" and share_text(1 - 1e-12) == "100%" and share_text(0.0) == "0%"


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


def test_compare_and_the_gates_page_give_the_same_saturation():
    """One definition: Compare's gate saturation and the Gates page's summary agree on the same run and samples,
    also where the recurrent activation is not a sigmoid (tanh gates: saturated beyond ±0.9, not below 0.1)."""
    from rnnviz.inspect import compare
    from rnnviz.config import vocab

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
