"""Cosine data: values, windows and a chronological split without target leakage."""

import numpy as np

from rnnviz.data import loaders as data
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


def test_imdb_dataset_pads_splits_and_masks(tmp_path, monkeypatch):
    from rnnviz.config import ImdbData
    from tests import fakedata

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "none"))
    fakedata.write_imdb(tmp_path, n_train=40, n_test=30)
    ds = data.load(ImdbData(vocab_size=100, maxlen=12, train_size=20, val_split=0.25), data_dir=tmp_path)
    assert ds.x_train.shape == (15, 12) and ds.x_val.shape == (5, 12) and ds.x_test.shape == (30, 12)
    assert ds.x_train.dtype == np.int32 and ds.task == "binary" and ds.extra["classes"] == ["negative", "positive"]
    short = [r for r in ds.x_test if r[0] == 0]  # "pre" padding: zeros in front, the review's end kept
    assert short and all(r[np.argmax(r != 0)] == 1 for r in short)
    post = data.load(ImdbData(vocab_size=100, maxlen=12, padding="post", truncating="post"), data_dir=tmp_path)
    assert (post.x_test[:, 0] == 1).all()  # every review starts with the start id, padding at the end


def test_cifar_dataset_scales_and_splits(tmp_path, monkeypatch):
    from rnnviz.config import CifarData
    from tests import fakedata

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "none"))
    fakedata.write_cifar(tmp_path, train_sizes=(10, 10), n_test=6)
    ds = data.load(CifarData(val_split=0.2), data_dir=tmp_path)
    assert ds.x_train.shape == (16, 32, 32, 3) and ds.x_val.shape == (4, 32, 32, 3) and ds.n_outputs == 10
    assert 0 <= ds.x_train.min() and ds.x_train.max() <= 1 and ds.x_train.dtype == np.float32
    raw = data.load(CifarData(normalise=False, train_size=20), data_dir=tmp_path)
    np.testing.assert_allclose(raw.x_test / 255, ds.x_test, rtol=1e-6)
