"""Tests for rnnviz.inspect.readout ("when did it know?"): the output after each step against Keras running the model's
own layers on the input cut there (full and cut images, conv front ends, masked reviews), and its refusals."""

import keras
import numpy as np
import pytest

from rnnviz.data import imdb
from rnnviz import probe
from rnnviz.inspect import readout
from rnnviz.config import CifarData, ImdbData, RunConfig
from rnnviz.data.loaders import Dataset
from rnnviz.models import build_model


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
    out = readout.readout_over_time(model, probe.probe_model(model, images))
    assert out.shape == (3, 32, 10)
    np.testing.assert_allclose(out[:, -1], _out(model, images), atol=TOL, rtol=0)  # the model's own prediction
    rows = images.reshape(3, 32, 96)
    for t in (1, 9, 20):  # the model reading only the first t rows
        np.testing.assert_allclose(out[:, t - 1], _on_rows(model, rows[:, :t]), atol=TOL, rtol=0)


def test_readout_with_a_conv_front_end_and_its_refusal_beside_one():
    model, images = _cifar_model(cell="gru", front_end="conv", conv_filters=2)
    out = readout.readout_over_time(model, probe.probe_model(model, images))
    assert out.shape == (3, 16, 10)
    np.testing.assert_allclose(out[:, -1], _out(model, images), atol=TOL, rtol=0)
    both, _ = _cifar_model(front_end="conv+rnn", conv_filters=2)
    assert "branches" in readout.readout_problem(both)
    assert readout.readout_problem(model) is None
    with pytest.raises(ValueError, match="after the last recurrent layer"):
        readout.readout_over_time(both, probe.probe_model(both, images))


@pytest.mark.parametrize("bidirectional, pooling", [(False, "last"), (True, "last"), (False, "mean"), (True, "mean")])
def test_readout_of_a_masked_review_equals_the_model_on_the_cut_review(bidirectional, pooling):
    cfg = RunConfig(data=ImdbData(vocab_size=100, maxlen=12), cell="gru", units=3, embedding_dim=4,
                    bidirectional=bidirectional, pooling=pooling, head_units=2 if pooling == "mean" else 0)
    ids = np.zeros((2, 12), "int32")
    ids[0, 4:] = [1, 5, 9, 33, 2, 40, 7, 8]  # pre-padded: 4 padding steps
    ids[1, :] = np.arange(1, 13)
    keras.utils.set_random_seed(1)
    model = build_model(cfg, Dataset(ids, np.array([0.0, 1.0]), ids, np.array([0.0, 1.0]), "binary", 1))
    out = readout.readout_over_time(model, probe.probe_model(model, ids))
    np.testing.assert_allclose(out[:, -1], _out(model, ids), atol=TOL, rtol=0)
    assert np.isnan(out[0, :4]).all() and not np.isnan(out[0, 4:]).any()  # nothing read yet: no prediction
    for t in (5, 8):  # the review cut after word t, padded again as the dataset does
        cut = imdb.pad([ids[0, 4:t + 1]], 12)
        np.testing.assert_allclose(out[0, t], _out(model, cut)[0], atol=TOL, rtol=0)
    probs = readout.class_probabilities(out)
    np.testing.assert_allclose(probs.sum(axis=-1)[:, -1], 1.0)
