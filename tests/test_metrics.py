"""Forecasts and scores against independent references (numpy, Keras's own evaluate, a known model)."""

import keras
import numpy as np
import pytest

from rnnviz import data, metrics
from rnnviz.config import CosineData


def last_value_model(window: int, horizon: int) -> keras.Model:
    """Predicts that the series stays at its last value (a model whose output we know exactly)."""
    x = keras.Input((window, 1))
    y = keras.layers.Lambda(lambda t: keras.ops.repeat(t[:, -1, :], horizon, axis=1))(x)
    return keras.Model(x, y)


def test_rmse_against_numpy():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 4.0])
    assert metrics.rmse(a, b) == pytest.approx(np.sqrt(5 / 3))


def test_forecasts_of_a_known_model():
    opts = CosineData(length=200, window=10, horizon=2)
    ds = data.load_cosine(opts)
    fc = metrics.forecast(last_value_model(10, 2), ds, steps=7)
    series, start = fc["series"], fc["start"]
    np.testing.assert_allclose(fc["one_step"], series[start - 1:start - 1 + len(fc["one_step"])], atol=1e-6)
    np.testing.assert_allclose(fc["free_run"], np.full(7, series[start - 1]), atol=1e-6)
    assert fc["rmse_free"] == pytest.approx(metrics.rmse(np.full(7, series[start - 1]), series[start:start + 7]))
    assert metrics.evaluate(last_value_model(10, 2), ds)["val_rmse"] == pytest.approx(
        metrics.rmse(ds.x_val[:, -1, :].repeat(2, axis=1), ds.y_val))


def test_free_run_is_clipped_to_the_validation_span():
    ds = data.load_cosine(CosineData(length=200, window=10))
    assert len(metrics.forecast(last_value_model(10, 1), ds, steps=10_000)["free_run"]) == 40


@pytest.mark.parametrize("n_out", [1, 3])
def test_classify_loss_accuracy_and_confusion_against_keras(n_out):
    keras.utils.set_random_seed(1)
    x = np.random.default_rng(0).normal(size=(50, 4)).astype("float32")
    y = np.random.default_rng(1).integers(0, max(2, n_out), 50)
    inp = keras.Input((4,))
    model = keras.Model(inp, keras.layers.Dense(n_out, activation="sigmoid" if n_out == 1 else "softmax")(inp))
    model.compile(loss="binary_crossentropy" if n_out == 1 else "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    cl = metrics.classify(model, x, y.astype("float32") if n_out == 1 else y, max(2, n_out))
    k_loss, k_acc = model.evaluate(x, y.astype("float32") if n_out == 1 else y, verbose=0)
    assert cl["loss"] == pytest.approx(k_loss, rel=1e-5) and cl["accuracy"] == pytest.approx(k_acc)
    assert cl["confusion"].sum() == 50 and np.trace(cl["confusion"]) == round(k_acc * 50)
    assert np.array_equal(cl["confusion"], [[np.sum((y == t) & (cl["pred"] == p)) for p in range(max(2, n_out))]
                                            for t in range(max(2, n_out))])
