"""Run exports: a zip re-imported gives the same predictions; bad uploads are refused with a reason."""

import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from rnnviz import data, export
from rnnviz.jobs import train_and_store
from rnnviz.store import RunStore
from tests.conftest import tiny


@pytest.fixture
def stored(tmp_path):
    return train_and_store(tiny(), RunStore(tmp_path / "a"))[0]


def test_zip_round_trip_gives_the_same_predictions(stored, tmp_path):
    blob = export.run_zip(stored)
    names = set(zipfile.ZipFile(io.BytesIO(blob)).namelist())
    assert set(export.MEMBERS) <= names and "snapshots.npz" in names
    history = pd.read_csv(io.BytesIO(zipfile.ZipFile(io.BytesIO(blob)).read("history.csv")))
    assert list(history["epoch"]) == [1, 2] and np.allclose(history["val_loss"], stored.history["val_loss"])
    other = RunStore(tmp_path / "b")
    run = export.import_zip(blob, other)
    assert run.run_id == stored.run_id and run.config == stored.config and run.metrics == stored.metrics
    assert run.history.keys() == stored.history.keys()  # pytest.approx refuses nested dicts since pytest 9
    for key, values in stored.history.items():
        assert run.history[key] == pytest.approx(values), key
    x = data.load(tiny().data).x_val
    np.testing.assert_allclose(run.load_model().predict(x, verbose=0), stored.load_model().predict(x, verbose=0),
                               atol=1e-6)
    assert sorted(run.snapshots()) == sorted(stored.snapshots())


def _edit(blob, **members):
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blob)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            if members.get(name, "") is not None:
                dst.writestr(name, members.get(name) or src.read(name))
    return out.getvalue()


@pytest.mark.parametrize("change, problem", [
    ({"model.keras": None}, "lacks model.keras"),
    ({"config.json": "{oops"}, "unreadable"),
    ({"config.json": json.dumps({"units": 0})}, "`units`"),
    ({"config.json": json.dumps({"units": 5})}, "do not belong together"),
    ({"model.keras": b"not a keras file"}, "does not load safely"),
])
def test_bad_uploads_are_refused_and_nothing_is_stored(stored, tmp_path, change, problem):
    other = RunStore(tmp_path / "b")
    with pytest.raises(export.RunImportError, match=problem):
        export.import_zip(_edit(export.run_zip(stored), **change), other)
    assert other.list() == ([], [])


def test_not_a_zip_and_too_big(tmp_path, monkeypatch):
    with pytest.raises(export.RunImportError, match="Not a zip"):
        export.import_zip(b"hello", RunStore(tmp_path))
    monkeypatch.setattr(export, "MAX_IMPORT_BYTES", 10)
    with pytest.raises(export.RunImportError, match="MB"):
        export.import_zip(b"x" * 11, RunStore(tmp_path))


def test_tensorboard_logs_are_written_per_run(stored, tmp_path):
    logs = RunStore(tmp_path / "a").tensorboard_dir(stored.run_id)
    events = list(logs.rglob("events.out.tfevents.*"))
    assert {p.parent.name for p in events} == {"train", "validation"}
