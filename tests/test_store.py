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


def _python(code: str, home) -> subprocess.Popen:
    env = {**os.environ, "RNNVIZ_HOME": str(home)}
    return subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE, text=True)


def test_sigkill_while_saving_leaves_no_run_that_looks_complete(tmp_path):
    """The process dies right after the model file is written, before the JSON files and the rename."""
    code = (
        "import os, signal, keras\n"
        "from rnnviz.jobs import train_and_store\nfrom rnnviz.store import RunStore\nfrom tests.conftest import tiny\n"
        "real = keras.Model.save\n"
        "def save_then_die(self, *a, **k):\n"
        "    real(self, *a, **k); os.kill(os.getpid(), signal.SIGKILL)\n"
        "keras.Model.save = save_then_die\n"
        "train_and_store(tiny(), RunStore())\n")
    proc = _python(code, tmp_path)
    proc.wait(timeout=300)
    assert proc.returncode == -9, proc.stderr.read()
    store = RunStore(tmp_path)
    leftovers = [p.name for p in store.runs.iterdir()]
    assert len(leftovers) == 1 and leftovers[0].startswith(".tmp-")  # only the hidden temporary folder
    assert store.list() == ([], []) and not store.has(tiny().run_id)
    assert store.cleanup() == leftovers and list(store.runs.iterdir()) == []  # the next start cleans up


def test_sigkill_while_training_stores_nothing(tmp_path):
    code = ("from rnnviz.jobs import train_and_store\nfrom rnnviz.store import RunStore\n"
            "from tests.conftest import tiny\n"
            "import sys\n"
            "train_and_store(tiny(epochs=500), RunStore(), on_event=lambda e: print(e['kind'], file=sys.stderr, "
            "flush=True))\n")
    proc = _python(code, tmp_path)
    for line in proc.stderr:  # wait until it trains
        if line.startswith("epoch"):
            break
    proc.kill()
    proc.wait(timeout=60)
    store = RunStore(tmp_path)
    assert store.list() == ([], []) and not store.has(tiny(epochs=500).run_id)
    assert not store.runs.exists() or list(store.runs.iterdir()) == []


def _copy(run, tmp_path) -> RunStore:
    store = RunStore(tmp_path)
    store.runs.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-r", str(run.path), str(store.runs / run.run_id)], check=True)
    return store


def test_killed_mid_swap_puts_the_previous_run_back(stored, tmp_path):
    _, run, _ = stored
    store = _copy(run, tmp_path)
    (store.runs / run.run_id).rename(store.runs / f".old-{run.run_id}-deadbeef")  # old moved, new not yet in
    assert not store.has(run.run_id)
    store.cleanup()
    assert store.has(run.run_id) and store.load(run.run_id).metrics == run.metrics


def test_a_damaged_run_is_trained_again_not_loaded(stored, tmp_path):
    from rnnviz.jobs import Trainer

    _, run, _ = stored
    store = _copy(run, tmp_path)
    (store.runs / run.run_id / "history.json").write_text("{broken")
    assert store.has(run.run_id)  # the files are there, but one is unreadable
    again, result = train_and_store(tiny(), store)
    assert result is not None and store.load(run.run_id).history == result.history
    (store.runs / run.run_id / "model.keras").unlink()
    assert not store.has(run.run_id)
    job = Trainer(store).submit(tiny())
    assert not job.cached
