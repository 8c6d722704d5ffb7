"""Model builder: cells, bidirectional, stacking and heads, with parameter counts from the cell equations."""

import pytest

from rnnviz import data
from rnnviz.config import CosineData, RunConfig
from rnnviz.models import build_model

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
