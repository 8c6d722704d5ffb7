"""Run store: atomic, complete runs only; corrupt folders are reported and skipped; killed writes cleaned."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from rnnviz import data
from rnnviz.jobs import train_and_store
from rnnviz.store import RunStore, StoreError
from tests.conftest import tiny


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    store = RunStore(tmp_path_factory.mktemp("store"))
    run, result = train_and_store(tiny(), store)
    return store, run, result


def test_round_trip(stored):
    store, run, result = stored
    loaded = store.load(run.run_id)
    assert loaded.config == tiny() and loaded.run_id == tiny().run_id
    assert loaded.history == result.history and loaded.metrics == result.metrics
    assert loaded.info["params"] == result.params
    x = data.load(tiny().data).x_val
    np.testing.assert_allclose(loaded.load_model().predict(x, verbose=0), result.model.predict(x, verbose=0),
                               atol=1e-6)
    assert sorted(p.name for p in run.path.iterdir()) == sorted(
        ["model.keras", "config.json", "history.json", "metrics.json", "info.json", "snapshots.npz"])


def test_stored_config_loads_instead_of_training(stored):
    store, run, _ = stored
    again, result = train_and_store(tiny(), store)
    assert result is None and again.info["created"] == run.info["created"]


def test_corrupt_and_incomplete_runs_are_skipped(stored, tmp_path):
    _, run, _ = stored
    store = RunStore(tmp_path)
    for name in ("good", "no_model", "bad_json", "bad_config"):
        (store.runs / name).parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["cp", "-r", str(run.path), str(store.runs / name)], check=True)
    (store.runs / "no_model" / "model.keras").unlink()
    (store.runs / "bad_json" / "metrics.json").write_text("{not json")
    (store.runs / "bad_config" / "config.json").write_text(json.dumps({"units": -3}))
    runs, problems = store.list()
    assert [r.run_id for r in runs] == ["good"]
    assert len(problems) == 3 and any("model.keras is missing" in p for p in problems)
    assert any("metrics.json is unreadable" in p for p in problems)
    with pytest.raises(StoreError, match="units"):
        store.load("bad_config")


def test_half_written_run_is_invisible_and_cleaned(tmp_path):
    store = RunStore(tmp_path)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    half = store.runs / f".tmp-{tiny().run_id}-{dead}-abcd1234"
    half.mkdir(parents=True)
    (half / "config.json").write_text("{}")
    mine = store.runs / f".tmp-{tiny().run_id}-{os.getpid()}-abcd1234"
    mine.mkdir()
    assert store.list() == ([], []) and not store.has(tiny().run_id)
    assert store.cleanup() == [half.name]
    assert not half.exists() and mine.exists()


def test_retrain_replaces_atomically(stored, tmp_path):
    _, run, _ = stored
    store = RunStore(tmp_path)
    again, result = train_and_store(tiny(), store, retrain=True)
    assert result is not None and store.has(again.run_id)
    assert [p.name for p in store.runs.iterdir()] == [again.run_id]
