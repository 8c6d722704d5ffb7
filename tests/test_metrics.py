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
