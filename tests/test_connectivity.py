""""What did it look at?": the answer's gradient per step on the adding problem, graded against the known answer,
checked against a gradient computed by hand (numpy backpropagation through a tiny SimpleRNN)."""

import keras
import numpy as np
import pytest

from rnnviz import probe
from rnnviz.config import MemoryData
from rnnviz.data import loaders
from rnnviz.inspect import connectivity


def tiny_model(seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((6, 2))
    h = keras.layers.SimpleRNN(3, name="rnn_1", kernel_initializer=keras.initializers.RandomNormal(stddev=0.8),
                               recurrent_initializer=keras.initializers.RandomNormal(stddev=0.8),
                               bias_initializer=keras.initializers.RandomNormal(stddev=0.3))(inputs)
    out = keras.layers.Dense(1, name="head")(h)
    model = keras.Model(inputs, out)
    model.compile(loss="mse")
    return model


def by_hand(model: keras.Model, x: np.ndarray) -> np.ndarray:
    """d output / d input by backpropagation in float64 numpy: `(n, steps, features)`."""
    w, u, b = (np.asarray(v, np.float64) for v in model.get_layer("rnn_1").get_weights())
    v = np.asarray(model.get_layer("head").get_weights()[0], np.float64)[:, 0]
    n, steps, _ = x.shape
    hs = [np.zeros((n, len(b)))]
    for t in range(steps):
        hs.append(np.tanh(x[:, t] @ w + hs[-1] @ u + b))
    grads = np.zeros(x.shape)
    dh = np.tile(v, (n, 1))  # d output / d h_T
    for t in reversed(range(steps)):
        da = dh * (1 - hs[t + 1] ** 2)
        grads[:, t] = da @ w.T
        dh = da @ u.T
    return grads


def adding_inputs(n: int = 8, steps: int = 6, seed: int = 1) -> np.ndarray:
    x, _ = loaders.adding_problem(MemoryData(steps=steps, samples=100), seed)
    return x[:n]


def test_the_share_matches_a_hand_computed_gradient():
    model, x = tiny_model(), adding_inputs()
    expected = np.abs(by_hand(model, x.astype(np.float64))[..., loaders.VALUE_FEATURE])  # (n, steps)
    np.testing.assert_allclose(probe.input_gradients(model, x, loss=probe.OUTPUT, features=loaders.VALUE_FEATURE),
                               expected, rtol=1e-4, atol=1e-7)
    marks = loaders.marked_steps(x)
    by_hand_share = np.mean([expected[i, marks[i]].sum() / expected[i].sum() for i in range(len(x))])
    looked = connectivity.looked_at(model, x, {}, trained=3)
    assert looked.epochs == [3]
    np.testing.assert_allclose(looked.shares, [by_hand_share], rtol=1e-4)
    assert 0 < looked.shares[0] < 1


def test_both_features_differ_from_the_value_feature_alone():
    model, x = tiny_model(), adding_inputs()
    full = np.linalg.norm(by_hand(model, x.astype(np.float64)), axis=-1)
    np.testing.assert_allclose(probe.input_gradients(model, x, loss=probe.OUTPUT), full, rtol=1e-4, atol=1e-7)
    assert not np.allclose(full, probe.input_gradients(model, x, loss=probe.OUTPUT, features=0))


def test_the_output_gradient_is_not_the_loss_gradient():
    """At a perfect answer the loss's gradient is zero at every step; the output's is not."""
    model, x = tiny_model(), adding_inputs()
    y = model.predict(x, verbose=0)
    assert np.allclose(probe.input_gradients(model, x, y), 0, atol=1e-6)
    assert probe.input_gradients(model, x, loss=probe.OUTPUT).min() > 0


def test_each_snapshot_is_graded_and_the_weights_come_back():
    model, x = tiny_model(), adding_inputs()
    other = tiny_model(seed=5).get_weights()
    own = [w.copy() for w in model.get_weights()]
    looked = connectivity.looked_at(model, x, {0: other, 4: own})
    assert looked.epochs == [0, 4] and looked.norms.shape == (2, len(x), 6)
    for w, kept in zip(model.get_weights(), own):
        np.testing.assert_array_equal(w, kept)
    alone = connectivity.looked_at(tiny_model(seed=5), x, {})
    np.testing.assert_allclose(looked.shares[0], alone.shares[0], rtol=1e-5)
    assert abs(looked.shares[0] - looked.shares[1]) > 1e-3


def test_the_exact_answer_scores_one_and_an_even_spread_scores_chance():
    x = adding_inputs(n=20, steps=10)
    deps = connectivity.dependency(x)
    assert deps.sum(axis=1).tolist() == [2] * 20
    # the exact answer sum(v_t * m_t): d answer / d v_t = m_t, so its value gradient is the marker channel
    exact = connectivity.marked_share(np.abs(x[..., 1]), deps)
    np.testing.assert_array_equal(exact, 1.0)
    even = connectivity.marked_share(np.ones((20, 10)), deps)
    np.testing.assert_allclose(even, 0.2)
    looked = connectivity.Looked([0], np.ones((1, 20, 10)), deps)
    assert looked.chance == pytest.approx(0.2) and looked.shares == pytest.approx([0.2])


def test_recall_depends_on_the_first_mark_only():
    x = adding_inputs(n=5, steps=10)
    deps = connectivity.dependency(x, recall=True)
    assert deps.sum(axis=1).tolist() == [1] * 5
    assert (np.flatnonzero(deps[0]) == loaders.marked_steps(x)[0, :1]).all()


def test_a_sample_with_no_gradient_is_left_out_not_counted_as_zero():
    deps = np.array([[True, False, True], [False, True, True]])
    shares = connectivity.marked_share(np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 2.0]]), deps)
    assert np.isnan(shares[0]) and shares[1] == pytest.approx(0.75)
    assert connectivity.Looked([1], np.array([[[0.0, 0.0, 0.0], [1.0, 1.0, 2.0]]]), deps).shares == \
        pytest.approx([0.75])


def test_the_error_by_gap_matches_a_direct_count():
    x = adding_inputs(n=100, steps=10)
    rng = np.random.default_rng(0)
    y, pred = rng.random(100), rng.random((100, 1))
    rows = connectivity.error_by_gap(x, y, pred, bins=3)
    gaps = np.diff(loaders.marked_steps(x), axis=1).ravel()
    assert sum(r["n"] for r in rows) == 100 and rows[0]["lo"] == gaps.min() and rows[-1]["hi"] == gaps.max()
    for r in rows:
        inside = (gaps >= r["lo"]) & (gaps <= r["hi"])
        assert r["n"] == inside.sum()
        assert r["mse"] == pytest.approx(np.mean((pred.ravel()[inside] - y[inside]) ** 2))
    assert all(a["hi"] < b["lo"] for a, b in zip(rows, rows[1:]))
