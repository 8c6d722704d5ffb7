"""Model builder: cells, bidirectional, stacking and heads, with parameter counts from the cell equations."""

import pytest

from rnnviz.data import loaders as data
from rnnviz.config import CosineData, RunConfig
from rnnviz.models import build_model
from tests.conftest import tiny

DS = data.load_cosine(CosineData(length=200, window=10, horizon=3))


def rnn_params(cell, n_in, u):
    gates = {"simple_rnn": 1, "lstm": 4, "gru": 3}[cell]
    bias = 2 * 3 * u if cell == "gru" else gates * u  # GRU reset_after: input and recurrent biases
    return gates * u * (n_in + u) + bias


@pytest.mark.parametrize("cell", ["simple_rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("layers", [1, 3])
def test_param_count_matches_equations(cell, bidirectional, layers):
    u, d = 5, 2 if bidirectional else 1
    model = build_model(RunConfig(cell=cell, bidirectional=bidirectional, layers=layers, units=u), DS)
    expected, n_in = 0, 1
    for _ in range(layers):
        expected += d * rnn_params(cell, n_in, u)
        n_in = d * u
    expected += n_in * 3 + 3  # Dense head: horizon 3 outputs
    assert model.count_params() == expected
    assert model.output_shape == (None, 3)
    assert [layer.name for layer in model.layers[1:]] == [f"rnn_{k}" for k in range(1, layers + 1)] + ["head"]


def test_dropout_and_activation_reach_the_cell():
    model = build_model(RunConfig(cell="gru", dropout=0.2, recurrent_dropout=0.3, activation="relu"), DS)
    cell = model.get_layer("rnn_1").cell
    assert (cell.dropout, cell.recurrent_dropout, cell.activation.__name__) == (0.2, 0.3, "relu")
    assert model.loss == "mse"


def _fake_ds(shape, task, n_out, dtype="float32"):
    import numpy as np

    x = np.zeros((4, *shape), dtype)
    return data.Dataset(x, np.zeros(4), x, np.zeros(4), task=task, n_outputs=n_out)


def test_imdb_model_embeds_masks_and_pools():
    from rnnviz.config import ImdbData

    ds = _fake_ds((20,), "binary", 1, "int32")
    cfg = RunConfig(data=ImdbData(vocab_size=100, maxlen=20), cell="lstm", bidirectional=True, units=3,
                    embedding_dim=5, head_units=7, pooling="mean")
    model = build_model(cfg, ds)
    assert model.get_layer("embedding").mask_zero is True
    expected = 100 * 5 + 2 * rnn_params("lstm", 5, 3) + (6 * 7 + 7) + (7 + 1)
    assert model.count_params() == expected and model.output_shape == (None, 1)
    assert model.get_layer("hidden").output.shape == (None, 20, 7)  # the Dense head runs per step
    assert model.loss == "binary_crossentropy"


@pytest.mark.parametrize("front_end, by, steps", [("none", "rows", 32), ("none", "columns", 32), ("conv", "rows", 16)])
def test_cifar_model_reads_images_as_sequences(front_end, by, steps):
    from rnnviz.config import CifarData

    cfg = RunConfig(data=CifarData(by=by), cell="gru", units=4, front_end=front_end, conv_filters=2)
    model = build_model(cfg, _fake_ds((32, 32, 3), "multiclass", 10))
    assert model.get_layer("rnn_1").input.shape[1:] == (steps, 96 if front_end == "none" else 16 * 2)
    assert model.output_shape == (None, 10)


def test_cifar_two_branch_model():
    import numpy as np
    from rnnviz.config import CifarData

    cfg = RunConfig(data=CifarData(), cell="lstm", bidirectional=True, units=4, front_end="conv+rnn",
                    conv_filters=2, head_units=6)
    model = build_model(cfg, _fake_ds((32, 32, 3), "multiclass", 10))
    assert model.get_layer("branches").output.shape == (None, 12)
    assert model.get_layer("rnn_1").input.shape[1:] == (32, 96)  # the RNN branch reads raw rows
    x = np.random.default_rng(0).random((2, 32, 32, 3), dtype=np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0).sum(axis=1), 1, rtol=1e-5)


def test_on_pytorch_each_recurrent_layer_gets_its_own_dropout_seed(monkeypatch):
    """Keras's PyTorch backend draws an unseeded layer's dropout masks from torch's global generator, which
    two trainings at once would share (tests/test_jobs.py's two-worker test fails under torch without it)."""
    from rnnviz import backend
    from rnnviz import models
    from rnnviz.models import build as models_build

    cfg = tiny(dropout=0.2)
    assert models_build.dropout_seed(cfg, "rnn_1") is None or backend.name() == "torch"
    monkeypatch.setattr(backend, "name", lambda: "torch")
    seeds = {models_build.dropout_seed(cfg, "rnn_1"), models_build.dropout_seed(cfg, "rnn_2"),
             models_build.dropout_seed(cfg.replace(seed=1), "rnn_1")}
    assert len(seeds) == 3 and all(0 <= s < 2**31 for s in seeds)
    assert models_build.dropout_seed(cfg, "rnn_1") == models_build.dropout_seed(cfg, "rnn_1")  # the same run, the same masks
    assert models_build.dropout_seed(tiny(), "rnn_1") is None  # no dropout, nothing to seed
    layer = models.recurrent_layer(cfg, return_sequences=False, name="rnn_1")
    assert layer.get_config()["seed"] == models_build.dropout_seed(cfg, "rnn_1")
