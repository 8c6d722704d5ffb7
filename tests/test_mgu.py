"""The minimal gated unit (MGU, Zhou et al. 2016), the cell added through the cell registry alone: the Keras cell
against a numpy transcription of the paper's equations, the probe against the layer's own outputs (masked,
Bidirectional), its parameter count, a `.keras` round trip with `safe_mode=True`, and a training run through
the CLI. Also: every registry row has what the house needs (a Keras cell, a probe step, equations)."""

import json

import keras
import numpy as np
import pytest

from rnnviz import cli, probe
from rnnviz.config import MemoryData, cells
from rnnviz.data import loaders as data
from rnnviz.learn import layers as learn_layers
from rnnviz.learn import loop
from rnnviz.models import build, build_model
from rnnviz.models import keras_cells
from rnnviz.probe import steps
from rnnviz.store import RunStore
from tests.conftest import tiny

numpy = keras.ops.convert_to_numpy
BATCH, TIME, FEATURES, UNITS = 3, 7, 5, 4


def _paper(x: np.ndarray, kernel, recurrent_kernel, bias) -> np.ndarray:
    """Zhou et al. (2016), eq. (5)-(7), written out per step from the layer's weights (blocks f, h)."""
    u = recurrent_kernel.shape[0]
    W_f, W_h, U_f, U_h = kernel[:, :u], kernel[:, u:], recurrent_kernel[:, :u], recurrent_kernel[:, u:]
    b_f, b_h = bias[:u], bias[u:]
    h = np.zeros((x.shape[0], u))
    out = []
    for t in range(x.shape[1]):
        f = 1.0 / (1.0 + np.exp(-(x[:, t] @ W_f + h @ U_f + b_f)))
        h_hat = np.tanh(x[:, t] @ W_h + (f * h) @ U_h + b_h)
        h = (1.0 - f) * h + f * h_hat
        out.append(h)
    return np.stack(out, axis=1)


@pytest.fixture
def x():
    return np.random.default_rng(0).normal(size=(BATCH, TIME, FEATURES)).astype(np.float32)


def _mgu(**kwargs):
    layer = keras_cells.cell_layer("mgu", UNITS, return_sequences=True, **kwargs)
    layer.build((None, TIME, FEATURES))
    rng = np.random.default_rng(1)  # a non-zero bias, so a swapped block would show
    layer.cell.bias.assign(rng.uniform(-0.5, 0.5, layer.cell.bias.shape).astype("float32"))
    return layer


def test_the_keras_cell_computes_the_papers_equations(x):
    layer = _mgu()
    kernel, recurrent_kernel, bias = (np.asarray(w, np.float64) for w in layer.get_weights())
    np.testing.assert_allclose(numpy(layer(x)), _paper(x.astype(np.float64), kernel, recurrent_kernel, bias),
                               atol=1e-5)


@pytest.mark.parametrize("masked", [False, True])
def test_the_probe_matches_the_layer(x, masked):
    layer = _mgu()
    mask = None
    if masked:
        mask = np.ones((BATCH, TIME), bool)
        mask[0, :3] = False  # front padding
        mask[1, -2:] = False  # end padding
    out = numpy(layer(x, mask=mask))
    g = probe.gates(layer, x, mask)
    assert set(g) == set(cells.row("mgu").keys)
    real = np.ones((BATCH, TIME), bool) if mask is None else mask
    np.testing.assert_allclose(g["h"][real], out[real], atol=1e-5)
    if masked:
        assert np.isnan(g["f"][0, :3]).all() and np.isnan(g["h_hat"][1, -2:]).all()
        np.testing.assert_allclose(g["h"][1, -1], g["h"][1, -3], atol=0)  # the state is carried


def test_the_probe_reads_both_directions(x):
    bi = keras.layers.Bidirectional(keras_cells.cell_layer("mgu", UNITS, return_sequences=True))
    out = numpy(bi(x))
    g = probe.gates(bi, x)
    np.testing.assert_allclose(np.concatenate([g["forward/h"], g["backward/h"]], axis=-1), out, atol=1e-5)


@pytest.mark.parametrize("n_in,units", [(1, 1), (3, 4), (7, 5)])
def test_parameters_counted_by_hand(n_in, units):
    layer = keras_cells.cell_layer("mgu", units)
    layer.build((None, 6, n_in))
    assert layer.count_params() == 2 * units * (n_in + units) + 2 * units == cells.row("mgu").params(n_in, units)
    assert cells.row("mgu").formula == "2u(n+u) + 2u"


def test_a_model_round_trips_through_a_keras_file_in_safe_mode(tmp_path):
    cfg = tiny(cell="mgu", data=MemoryData(steps=6, samples=100), units=3, epochs=1)
    ds = data.load(cfg.data, cfg.seed)
    model = build_model(cfg, ds)
    path = tmp_path / "mgu.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(ds.x_val[:4], verbose=0), model.predict(ds.x_val[:4], verbose=0),
                               atol=1e-6)
    assert keras_cells.cell_kind(probe.recurrent_layers(loaded)[0]) == "mgu"


def test_learn_shows_its_gate_and_update():
    g = learn_layers.cell_gates("mgu", loop.example_input(4, 2, 0), 3, 0)
    f, h_hat, h = g["f"][1, 0], g["h_hat"][1, 0], g["h"][1, 0]
    np.testing.assert_allclose(h, (1 - f) * g["h"][0, 0] + f * h_hat, atol=1e-6)
    tex = learn_layers.step_equations("mgu", g, 2, 1)
    assert f"{h:.3f}" in tex and f"{1 - f:.3f}" in tex


def test_train_with_the_cli(rnnviz_home, capsys):
    assert cli.main(["train", "--data", "memory", "--set", "steps=6", "--set", "samples=200", "--cell", "mgu",
                     "--units", "3", "--epochs", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    run = RunStore().load(out["run_id"])
    assert run.config.cell == "mgu" and np.isfinite(run.metrics["val_mse"])


@pytest.mark.parametrize("name", list(cells.CELLS))
def test_every_registry_row_has_a_keras_cell_a_probe_step_and_equations(name):
    row = cells.row(name)
    layer = build.cell_layers(name)(2)
    layer.build((None, 3, 2))
    assert keras_cells.cell_kind(layer) == name and type(layer.cell).__name__ == row.keras_cell
    assert callable(getattr(steps, row.step))
    assert set(row.gates) | set(row.candidates) | {row.memory} <= set(row.keys)
    assert layer.count_params() == row.params(2, 2)
    assert row.latex().startswith(r"\begin{aligned}") and "<act>" not in row.latex()
