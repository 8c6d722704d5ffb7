"""Forecasts and scores against independent references (numpy, Keras's own evaluate, a known model)."""

import keras
import numpy as np
import pytest

from rnnviz.data import loaders
from rnnviz.training import metrics
from rnnviz.config import CosineData
from rnnviz.models import build_model
from tests.conftest import tiny


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
    ds = loaders.load_cosine(opts)
    fc = metrics.forecast(last_value_model(10, 2), ds, steps=7)
    series, start = fc["series"], fc["start"]
    np.testing.assert_allclose(fc["one_step"], series[start - 1:start - 1 + len(fc["one_step"])], atol=1e-6)
    np.testing.assert_allclose(fc["free_run"], np.full(7, series[start - 1]), atol=1e-6)
    assert fc["rmse_free"] == pytest.approx(metrics.rmse(np.full(7, series[start - 1]), series[start:start + 7]))
    assert metrics.evaluate(last_value_model(10, 2), ds)["val_rmse"] == pytest.approx(
        metrics.rmse(ds.x_val[:, -1, :].repeat(2, axis=1), ds.y_val))


def test_free_run_is_clipped_to_the_validation_span():
    ds = loaders.load_cosine(CosineData(length=200, window=10))
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


def test_free_runs_start_like_metrics_free_run_and_error_by_horizon():
    cfg = tiny(data_horizon=2)
    keras.utils.set_random_seed(0)
    ds = loaders.load(cfg.data, cfg.seed)
    model = build_model(cfg, ds)
    pred, true, starts = metrics.free_runs(model, ds, 7, n_starts=5)
    assert pred.shape == true.shape == (len(starts), 7) and starts[0] == 0
    np.testing.assert_allclose(pred[0], metrics.free_run(model, ds, 7), atol=1e-6)
    series, start = ds.extra["series"], ds.extra["val_start"]
    np.testing.assert_array_equal(true[1], series[start + starts[1]:start + starts[1] + 7])
    assert starts[-1] + 7 <= len(series) - start  # every run ends inside the series
    rmse = metrics.rmse_by_horizon(pred, true)
    np.testing.assert_allclose(rmse[3], np.sqrt(np.mean((pred[:, 3] - true[:, 3]) ** 2)))
    assert metrics.free_runs(model, ds, 10_000)[0].shape[1] == len(series) - start  # capped


def test_persistence_baseline_against_numpy_and_a_last_value_model():
    """The "repeat the last value" baseline of the error-by-horizon chart (issue 16): each start window's last
    value held; checked against the series itself, a Keras model that does the same, and a numpy RMSE."""
    ds = loaders.load_cosine(CosineData(length=200, window=10, horizon=1))
    pred, true, starts = metrics.free_runs(last_value_model(10, 1), ds, 9, n_starts=6)
    base = metrics.persistence(ds, starts, 9)
    series, start = ds.extra["series"], ds.extra["val_start"]
    assert base.shape == true.shape == (len(starts), 9)
    np.testing.assert_array_equal(base, np.repeat(series[start + starts - 1][:, None], 9, axis=1))
    np.testing.assert_allclose(base, pred, atol=1e-6)  # what a model that repeats its last input predicts
    by_hand = [np.sqrt(np.mean([(base[i, k] - series[start + s + k]) ** 2 for i, s in enumerate(starts)]))
               for k in range(9)]
    np.testing.assert_allclose(metrics.rmse_by_horizon(base, true), by_hand, rtol=1e-12)
    assert by_hand[0] < by_hand[-1]  # on a cosine the last value drifts further off, step by step
