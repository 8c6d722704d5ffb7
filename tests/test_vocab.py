"""Tests for rnnviz.config.vocab: the names agree with what the code builds (Keras layers, the probe's arrays),
the ranges and saturation thresholds with the activations' own values, the labels people read, and the
module stays free of imports that could make a cycle."""

import ast
from pathlib import Path

import numpy as np
import pytest

from rnnviz import config
from rnnviz.config import run as config_run
from rnnviz.config import vocab
from tests.conftest import tiny


def _rnnviz_imports(module) -> list[str]:
    tree = ast.parse(Path(module.__file__).read_text())
    imported = [n.module + "." + a.name if n.module == "rnnviz.config" else n.module or ""
                for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    return [m for m in imported if m.startswith("rnnviz")]


def test_vocab_imports_only_the_cell_registry_which_imports_nothing_from_rnnviz():
    from rnnviz.config import cells

    assert _rnnviz_imports(vocab) == ["rnnviz.config.cells"] and _rnnviz_imports(cells) == []


def test_cells_are_the_ones_config_models_and_learn_use():
    from rnnviz.learn import loop
    from rnnviz.models import build as models

    assert config_run.CELLS is vocab.CELLS and loop.CELLS is vocab.CELLS  # the old names still import
    assert [vocab.CELL_LABELS[c] for c in vocab.TRIO] == [models.cell_layers(c).__name__ for c in vocab.TRIO]
    assert set(vocab.TRIO) | set(vocab.LSTM_FAMILY) <= set(vocab.CELLS)
    for cell in vocab.CELLS:
        config.RunConfig(cell=cell)  # every listed cell is accepted
        assert vocab.check_cell(cell) == cell
    with pytest.raises(ValueError, match="Received: cell='rnn'"):
        vocab.check_cell("rnn")


@pytest.mark.parametrize("cell", vocab.CELLS)
def test_keys_are_the_arrays_the_probe_returns(cell):
    from rnnviz.learn import layers as learn_layers
    from rnnviz import probe

    layer = learn_layers.keras_layer(cell, 2, 3, seed=1)
    g = probe.gates(layer, np.random.default_rng(0).normal(size=(1, 4, 2)).astype("float32"))
    assert set(g) == set(vocab.KEYS[cell])
    assert set(vocab.GATES[cell]) | set(vocab.CANDIDATES[cell]) <= set(vocab.KEYS[cell])
    assert all(key in vocab.NAMES for key in vocab.KEYS[cell])
    if vocab.GATES[cell]:  # gates go through the recurrent activation: within its range
        lo, hi = vocab.RANGES[layer.cell.recurrent_activation.__name__]
        assert all(lo <= g[k].min() and g[k].max() <= hi for k in vocab.GATES[cell])


@pytest.mark.parametrize("name", sorted(vocab.RANGES))
def test_ranges_and_saturation_thresholds_against_keras_activations(name):
    import keras

    fn = keras.activations.get(name)
    x = np.linspace(-50, 50, 20000, dtype="float32")  # an even count: no point on the kink of relu at 0
    y = keras.ops.convert_to_numpy(fn(x)).astype(np.float64)
    lo, hi = vocab.RANGES[name]
    assert (lo is None or y.min() >= lo - 1e-6) and (hi is None or y.max() <= hi + 1e-6)
    ends = keras.ops.convert_to_numpy(fn(np.array([-1e5, 1e5], "float32")))
    assert (lo is None or ends[0] <= lo + 1e-3) and (hi is None or ends[1] >= hi - 1e-3)  # the bounds are reached
    if name not in vocab.SATURATION:
        assert name == "linear"  # the only activation without a flat end
        return
    low, high, _, _ = vocab.SATURATION[name]
    y_step = keras.ops.convert_to_numpy(fn(x + np.float32(1e-3))).astype(np.float64)
    slope = (y_step - y) / 1e-3  # forward difference: never across relu's kink at 0
    flat = (y < low) | (y > high)
    assert flat.any() and slope[flat].max() < 0.2 + 1e-3  # "saturated": the slope (the gradient passed) is small
    if name in ("sigmoid", "tanh", "hard_sigmoid"):  # (softsign and relu fade out gradually or not at all)
        assert slope[~flat].min() > 0.05  # and in between it is not


def test_run_labels():
    assert vocab.run_label(tiny(cell="lstm", units=32, epochs=20)) == "LSTM 32u · 20 ep"
    assert vocab.run_label(tiny(cell="gru", units=64, epochs=5, layers=2, bidirectional=True)) == "BiGRU 2×64u · 5 ep"
    assert vocab.run_label(tiny(cell="simple_rnn", units=8), epochs=False) == "SimpleRNN 8u"
    assert vocab.cell_label("lstm", bidirectional=True) == "BiLSTM"
    assert "BiLSTM 1x4" in tiny(cell="lstm", bidirectional=True).summary()


def test_run_labels_set_apart_runs_with_the_same_label():
    from rnnviz.config import MemoryData

    a, b, c = tiny(cell="lstm"), tiny(cell="lstm", learning_rate=0.01), tiny(cell="gru")
    assert vocab.run_labels([a, c]) == [vocab.run_label(a), vocab.run_label(c)]  # no collision: plain labels
    la, lb, lc = vocab.run_labels([a, b, c])
    assert lc == "GRU 4u · 2 ep"
    assert la == f"LSTM 4u · 2 ep · learning_rate {a.learning_rate}" and lb == "LSTM 4u · 2 ep · learning_rate 0.01"
    memory = a.replace(data=MemoryData())
    assert vocab.run_labels([a, memory]) == ["LSTM 4u · 2 ep · data cosine", "LSTM 4u · 2 ep · data memory"]
    assert vocab.run_labels([a, a]) == ["LSTM 4u · 2 ep", "LSTM 4u · 2 ep #2"]


def test_a_run_label_names_a_seed_other_than_the_default():
    cfg = config.RunConfig(units=64, epochs=9)
    assert vocab.run_label(cfg) == "LSTM 64u · 9 ep" and vocab.run_label(cfg.replace(seed=3)) == "LSTM 64u · 9 ep · seed 3"
    assert vocab.run_label(cfg.replace(seed=3), epochs=False) == "LSTM 64u · seed 3"
