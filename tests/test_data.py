"""Cosine data: values, windows and a chronological split without target leakage."""

import numpy as np

from rnnviz import data
from rnnviz.config import CosineData


def test_series_matches_cosine_constants():
    s = data.cosine_series(CosineData(length=200, period=8.0))
    np.testing.assert_allclose(s[:9], [1, np.sqrt(0.5), 0, -np.sqrt(0.5), -1, -np.sqrt(0.5), 0, np.sqrt(0.5), 1],
                               atol=1e-6)


def test_noise_is_seeded():
    opts = CosineData(length=200, noise=0.1)
    assert np.array_equal(data.cosine_series(opts, 1), data.cosine_series(opts, 1))
    assert not np.array_equal(data.cosine_series(opts, 1), data.cosine_series(opts, 2))
    assert 0.05 < np.std(data.cosine_series(opts, 1) - data.cosine_series(CosineData(length=200))) < 0.15


def test_windows_by_hand():
    x, y = data.windows(np.arange(7.0), window=3, horizon=2)
    assert x.shape == (3, 3, 1) and y.shape == (3, 2)
    assert x[1, :, 0].tolist() == [1, 2, 3] and y[1].tolist() == [4, 5]


def test_split_is_chronological():
    opts = CosineData(length=300, window=10, horizon=2, val_fraction=0.2)
    ds = data.load_cosine(opts)
    series, start = ds.extra["series"], ds.extra["val_start"]
    assert start == 240
    # every training target lies before the split, every validation target after it
    assert ds.y_train.shape == (240 - 10 - 2 + 1, 2) and ds.y_val.shape == (60 - 2 + 1, 2)
    np.testing.assert_array_equal(ds.y_train[-1], series[238:240])
    np.testing.assert_array_equal(ds.y_val[0], series[240:242])
    np.testing.assert_array_equal(ds.x_val[0, :, 0], series[230:240])
    assert ds.task == "regression" and ds.n_outputs == 2
