"""Runs stored before the library moved into packages (issue 20) still list, load and probe with today's code.

`tests/data/store-2026-12-07/` is a run store written by the old flat layout (commit ced641f, the last one before
the move), Keras 3.15 on TensorFlow 2.21, with `RNNVIZ_HOME` pointed at a fresh folder and these commands:

    TINY="--units 2 --epochs 1 --batch-size 16"
    python -m rnnviz train --data cosine --cell lstm $TINY --set length=200 --set window=10
    python -m rnnviz train --data cosine --cell lstm_peephole $TINY --set length=200 --set window=10
    python -m rnnviz train --data memory --cell gru $TINY --set steps=5 --set samples=100

(TensorBoard logs left out.) The peephole run is the case that matters most: its `model.keras` names the cell
`rnnviz>PeepholeLSTMCell` from the module `rnnviz.cells`, which no longer exists.
"""

import json
import shutil
from pathlib import Path

import keras
import numpy as np
import pytest

from rnnviz import cli, probe
from rnnviz.config import RunConfig
from rnnviz.data import loaders
from rnnviz.store import RunStore

OLD_STORE = Path(__file__).parent / "data" / "store-2026-12-07"
# run id -> (data, cell, Keras cell class): the ids the old code gave these configs, which must never change
OLD_RUNS = {
    "8122997b6634": ("cosine", "lstm", "LSTMCell"),
    "a0ee465189c4": ("cosine", "lstm_peephole", "PeepholeLSTMCell"),
    "76d8966ca931": ("memory", "gru", "GRUCell"),
}


@pytest.fixture
def old_store(rnnviz_home) -> RunStore:
    """A copy of the old run store as this test's `$RNNVIZ_HOME`."""
    shutil.copytree(OLD_STORE, rnnviz_home)
    return RunStore()


def test_the_store_lists_every_old_run_without_a_problem(old_store):
    runs, problems = old_store.list()
    assert problems == []
    assert {r.run_id for r in runs} == set(OLD_RUNS)


@pytest.mark.parametrize("run_id", sorted(OLD_RUNS))
def test_an_old_run_keeps_its_id_loads_and_probes_as_its_own_layer_computes(old_store, run_id):
    data, cell, cell_class = OLD_RUNS[run_id]
    run = old_store.load(run_id, verify=True)
    stored = json.loads((run.path / "config.json").read_text())
    assert run.config.run_id == RunConfig.from_dict(stored).run_id == run_id == run.info["run_id"]
    assert (run.config.data.name, run.config.cell) == (data, cell)
    assert sorted(run.snapshots()) == [0, 1]  # the epoch slider's weights: before training and after epoch 1

    model = run.load_model()  # safe_mode=True
    layer = probe.recurrent_layers(model)[0]
    assert type(getattr(layer, "cell", None)).__name__ == cell_class
    x = loaders.load(run.config.data, run.config.seed).x_val[:3]  # a few of the run's own validation samples
    feed = keras.Model(model.input, layer.input)(x)
    expected = keras.ops.convert_to_numpy(keras.Model(model.input, layer.output)(x))  # (batch, units)
    got = probe.gates(layer, keras.ops.convert_to_numpy(feed))["h"][:, -1]
    np.testing.assert_allclose(got, expected, atol=1e-5)
    probes = probe.probe_model(model, x)
    np.testing.assert_allclose(probes[0].output, expected, atol=1e-5)


def test_the_cli_lists_the_old_runs(old_store, capsys):
    assert cli.main(["runs", "--json"]) == 0
    out = capsys.readouterr()
    rows = json.loads(out.out)
    assert {r["run_id"]: r["config"]["cell"] for r in rows} == {k: v[1] for k, v in OLD_RUNS.items()}
    assert "warning" not in out.err
