"""CLI: JSON contract, cache hit, exit codes (2 for each invalid field, nothing stored; 1 otherwise)."""

import json
import os
import subprocess
import sys
import time

import pytest

from rnnviz import cli
from rnnviz.store import RunStore

TINY = ["--epochs", "1", "--units", "4", "--batch-size", "64"]
KEYS = {"run_id", "cached", "config", "history", "metrics", "params", "train_seconds", "device", "backend"}


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "rnnviz", *args], capture_output=True, text=True,
                          env=os.environ, timeout=300)


def test_train_json_then_cached(rnnviz_home):
    first = run_cli("train", *TINY, "--cell", "gru", "--json")
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)  # exactly one JSON object on stdout
    assert KEYS <= out.keys() and out["cached"] is False
    assert out["config"]["cell"] == "gru" and out["config"]["units"] == 4
    assert len(out["history"]["loss"]) == len(out["history"]["val_loss"]) == 1
    assert out["metrics"]["val_rmse"] == pytest.approx(out["history"]["val_loss"][-1] ** 0.5, rel=1e-4)
    assert "epoch 1:" in first.stderr  # progress goes to stderr
    second = json.loads(run_cli("train", *TINY, "--cell", "gru", "--json").stdout)
    assert second["cached"] is True and second["run_id"] == out["run_id"] and second["history"] == out["history"]
    from rnnviz import backend

    assert out["backend"] == second["backend"] == backend.describe()  # e.g. "Keras 3.15 · JAX 0.10 · CPU (2 threads)"
    listed = json.loads(run_cli("runs", "--json").stdout)
    assert [r["run_id"] for r in listed] == [out["run_id"]]


@pytest.mark.parametrize("cell", ["lstm_peephole", "lstm_cifg"])
@pytest.mark.slow  # long: 10-60 s on a busy 2-core machine; the full run (README, CI) keeps it
def test_train_an_lstm_variant_then_load_it_safely(cell, rnnviz_home):
    from rnnviz import probe
    from rnnviz.models import budget
    from rnnviz.models import keras_cells

    done = run_cli("train", *TINY, "--cell", cell, "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    run = RunStore().load(out["run_id"])
    assert run.config.cell == cell and out["params"] == budget.param_count(run.config)
    model = run.load_model()  # safe_mode=True: the cell classes are registered
    assert [keras_cells.cell_kind(layer) for layer in probe.recurrent_layers(model)] == [cell]


@pytest.mark.parametrize("flag,value,field", [
    ("--units", "0", "units"), ("--layers", "7", "layers"), ("--dropout", "1.5", "dropout"),
    ("--recurrent-dropout", "-0.2", "recurrent_dropout"), ("--epochs", "0", "epochs"),
    ("--batch-size", "0", "batch_size"), ("--lr", "0", "learning_rate"), ("--seed", "-4", "seed"),
    ("--preset", "no-such-preset", "preset"), ("--activation", "gelu", "activation"),
    ("--cell", "transformer", "cell"), ("--units", "many", "units"), ("--data", "mnist", "data"),
])
def test_invalid_input_exits_2_names_field_stores_nothing(flag, value, field, rnnviz_home, capsys):
    assert exit_code(["train", flag, value]) == 2
    assert field.replace("_", "-") in capsys.readouterr().err.replace("_", "-")
    assert RunStore().list() == ([], [])


def exit_code(argv):
    """`cli.main`'s exit code, also when argparse exits on a value it cannot parse."""
    try:
        return cli.main(argv)
    except SystemExit as e:
        return e.code


def test_presets_and_failure_exit_1(monkeypatch, capsys):
    assert cli.main(["presets", "--json"]) == 0
    presets = json.loads(capsys.readouterr().out)
    assert "cosine-lstm" in [p["name"] for p in presets]

    def boom(*a, **k):
        raise OSError("disk full\nsecond line")

    monkeypatch.setattr("rnnviz.training.jobs.train_and_store", boom)
    assert cli.main(["train", *TINY]) == 1
    err = capsys.readouterr().err
    assert "disk full" in err and "second line" not in err


def test_train_imdb_from_a_data_folder(tmp_path, rnnviz_home):
    from tests import fakedata

    fakedata.write_imdb(tmp_path / "data")
    res = run_cli("train", "--data", "imdb", "--data-dir", str(tmp_path / "data"), "--set", "maxlen=16",
                  "--set", "vocab_size=100", "--set", "embedding_dim=4", *TINY, "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["config"]["data"] == {"name": "imdb", "vocab_size": 100, "maxlen": 16, "padding": "pre",
                                      "truncating": "pre", "mask": True, "train_size": 0, "val_split": 0.1}
    assert out["config"]["embedding_dim"] == 4
    assert {"test_accuracy", "test_loss", "val_accuracy", "val_loss"} <= out["metrics"].keys()
    assert "accuracy" in out["history"] and "val_accuracy" in out["history"]


def test_missing_data_exits_1_with_the_fixes(tmp_path, rnnviz_home, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty"))
    monkeypatch.setenv("RNNVIZ_DATA_DIR", str(tmp_path / "nothing here"))
    # conftest sets RNNVIZ_OFFLINE: the download fails at once instead of touching the network
    res = run_cli("train", "--preset", "cifar-quick", "--json")
    assert res.returncode == 1 and res.stdout == ""
    assert "prefetch cifar10" in res.stderr and "data folder" in res.stderr
    assert RunStore().list() == ([], [])


@pytest.mark.parametrize("item, field", [("maxlen=2", "maxlen"), ("nonsense=3", "nonsense"), ("units", "--set"),
                                         ("front_end=conv", "front_end")])
def test_invalid_set_exits_2(item, field, rnnviz_home, capsys):
    assert exit_code(["train", "--data", "imdb", "--set", item]) == 2
    assert field in capsys.readouterr().err


def test_prefetch_json(tmp_path, monkeypatch, capsys):
    from tests import fakedata

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    fakedata.write_imdb(tmp_path / "datasets")
    assert cli.main(["prefetch", "imdb", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["path"].rsplit("/", 1)[1] for r in rows] == ["imdb.npz", "imdb_word_index.json"]
    assert all(r["bytes"] > 0 and r["downloaded"] is False for r in rows)


def test_prefetch_with_no_names_fetches_every_data_set(tmp_path, monkeypatch, capsys):
    from tests import fakedata

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    fakedata.write_imdb(tmp_path / "datasets")
    fakedata.write_cifar(tmp_path / "datasets")
    fakedata.write_aclimdb(tmp_path / "datasets", n_train=4)
    assert exit_code(["prefetch", "--json"]) == 0  # exactly as the README writes it (argparse exited 2 on 3.11)
    rows = json.loads(capsys.readouterr().out)
    assert [r["dataset"] for r in rows] == ["imdb", "imdb", "cifar10", "aclImdb"]


def test_prefetch_unknown_name_exits_2_naming_the_choices(capsys):
    assert exit_code(["prefetch", "imdb", "mnist"]) == 2
    err = capsys.readouterr().err
    assert "mnist" in err and "imdb" in err and "cifar10" in err


def test_cut_short_model_is_trained_again_and_stray_folders_kept(rnnviz_home, capsys):
    """Issue 11 item 1: a cut-short model.keras answered `cached: true`; a `.tmp-notes` folder made `train`
    exit 1 (and the clean-up deleted hidden folders it never made)."""
    from pathlib import Path

    args = ["train", *TINY, "--json"]
    assert cli.main(args) == 0
    first = json.loads(capsys.readouterr().out)
    model = Path(first["path"]) / "model.keras"
    model.write_bytes(model.read_bytes()[: model.stat().st_size // 2])
    notes = rnnviz_home / "runs" / ".tmp-notes"
    notes.mkdir()
    assert cli.main(args) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["cached"] is False and again["run_id"] == first["run_id"] and notes.is_dir()
    assert cli.main(args) == 0 and json.loads(capsys.readouterr().out)["cached"] is True


def test_train_goes_through_the_trainer_on_this_process(monkeypatch, capsys):
    """Issue 20: `train`'s one run takes the pages' path (a Trainer and its executor), on this process's
    local executor (a training process would only add a second Keras import), not a second code path."""
    import threading

    from rnnviz.training import jobs
    from rnnviz.training.local import LocalExecutor

    monkeypatch.delenv("RNNVIZ_EXECUTOR")  # unset: TensorFlow's server default would be processes
    seen = []
    submit, train = jobs.Trainer.submit, LocalExecutor.train
    monkeypatch.setattr(jobs.Trainer, "submit", lambda self, *a, **k: seen.append(self.executor.kind)
                        or submit(self, *a, **k))
    monkeypatch.setattr(LocalExecutor, "train", lambda self, *a, **k: seen.append(
        threading.current_thread().name) or train(self, *a, **k))
    assert cli.main(["train", *TINY, "--seed", "11", "--json"]) == 0
    out, err = capsys.readouterr()
    assert seen[0] == "local" and seen[1].startswith("rnnviz-train") and len(seen) == 2
    assert json.loads(out)["cached"] is False and "1 training at a time" in err and "epoch 1:" in err


def test_interrupted_train_stops_its_job_and_exits_1(monkeypatch, capsys):
    """Ctrl-C while the Trainer's thread trains: the job is stopped (after its batch), not left running."""
    from rnnviz.training import sweep

    jobs = []

    def interrupted(submitted, on_progress=None, poll=0.2):
        jobs.extend(submitted)
        while not any(e["kind"] == "batch" for e in submitted[0].events):
            assert submitted[0].state in ("queued", "running"), submitted[0].error
            time.sleep(0.05)
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep, "wait", interrupted)
    assert cli.main(["train", *TINY, "--epochs", "500"]) == 1
    assert "error: interrupted" in capsys.readouterr().err
    (job,) = jobs
    end = time.monotonic() + 60
    while job.state in ("queued", "running") and time.monotonic() < end:
        time.sleep(0.05)
    assert job.state == "stopped" and not RunStore().has(job.run_id)


def test_ctrl_c_while_a_sweep_is_submitted_trains_none_of_its_runs(monkeypatch, capsys):
    """Issue 21, item 6: Ctrl-C that lands inside `Trainer.submit` (a job queued, not yet listed) still stops every run:
    'interrupted', exit 1, and nothing trains or is stored afterwards."""
    import signal

    from rnnviz.training.jobs import Trainer

    made = []
    real_submit = Trainer.submit

    def submit(self, cfg, **kwargs):
        made.append(self)
        if len(made) == 1:  # the first submission: Ctrl-C arrives once its job is queued and dispatched
            dispatch = self._dispatch
            sent = []

            def dispatched_then_ctrl_c():  # once: a worker thread dispatches again when a run ends
                dispatch()
                if not sent:
                    sent.append(True)
                    os.kill(os.getpid(), signal.SIGINT)
            monkeypatch.setattr(self, "_dispatch", dispatched_then_ctrl_c)
        return real_submit(self, cfg, **kwargs)

    monkeypatch.setattr(Trainer, "submit", submit)
    assert cli.main(["sweep", *TINY, "--data", "memory", "--set", "steps=8", "--set", "samples=200",
                     "--vary", "seed=0,1,2"]) == 1
    assert "error: interrupted" in capsys.readouterr().err
    end = time.monotonic() + 120
    while made[0]._threads and time.monotonic() < end:  # whatever was left to train has trained by then
        time.sleep(0.05)
    assert made[0]._threads == 0
    assert not RunStore().list()[0]
