"""Runs on a user's CSV series (issue 24, items 1 and 3): `train --data csv --csv FILE` (the file stored once by
its hash, the same run id and no training for the same file again, exit 2 and nothing stored for a bad file or
column), metrics in the data's units beside the baselines, and exports that carry the dataset or open without
it."""

import io
import json
import shutil
import zipfile

import numpy as np
import pytest

from rnnviz import cli
from rnnviz.config import CsvData, RunConfig
from rnnviz.data import loaders, userdata
from rnnviz.store import RunStore, export
from rnnviz.training.jobs import train_and_store

TINY = ["--epochs", "1", "--units", "4", "--batch-size", "16", "--set", "window=6"]


def series_csv(n: int = 80) -> bytes:
    t = np.arange(n)
    rows = "\n".join(f"2024-{1 + i // 28:02d}-{1 + i % 28:02d};{np.sin(2 * np.pi * i / 7):.5f};{i % 3}" for i in t)
    return ("date;level;flow\n" + rows + "\n").encode("utf-8-sig")  # a BOM and semicolons, as Excel writes


def cli_json(capsys, *args) -> tuple[int, dict | None, str]:
    code = cli.main(["train", *args, "--json"])
    out = capsys.readouterr()
    return code, (json.loads(out.out) if code == 0 else None), out.err


def test_cli_trains_on_a_csv_and_a_second_copy_trains_nothing(tmp_path, capsys, rnnviz_home):
    first, second = tmp_path / "a.csv", tmp_path / "copy of a.csv"
    first.write_bytes(series_csv())
    second.write_bytes(series_csv())
    code, out, err = cli_json(capsys, "--csv", str(first), "--set", "time=date", "--set", "inputs=flow", *TINY)
    assert code == 0, err
    name = userdata.digest(series_csv())
    assert out["config"]["data"] == {**out["config"]["data"], "name": "csv", "file": name, "target": "level",
                                     "inputs": "flow", "time": "date"}  # the target is recorded by name
    assert {"val_rmse", "val_mae", "persistence_rmse", "seasonal_rmse"} <= out["metrics"].keys()
    assert [p.name for p in (rnnviz_home / "datasets").iterdir()] == [f"{name}.csv"]
    code, again, err = cli_json(capsys, "--data", "csv", "--csv", str(second), "--set", "target=level",
                                "--set", "time=date", "--set", "inputs=flow", *TINY)
    assert code == 0 and again["cached"] is True and again["run_id"] == out["run_id"], err


@pytest.mark.parametrize("sets, says", [
    (["--set", "target=date"], "column 'date' (target) is not numbers"),
    (["--set", "target=nope"], "has no column 'nope' (target)"),
    (["--set", "window=70"], "too short for window=70"),
])
def test_cli_bad_column_choice_exits_2_and_stores_nothing(tmp_path, capsys, rnnviz_home, sets, says):
    path = tmp_path / "s.csv"
    path.write_bytes(series_csv())
    code = cli.main(["train", "--csv", str(path), "--epochs", "1", *sets])
    err = capsys.readouterr().err
    assert code == 2 and says in err and str(path) in err and err.count("\n") == 1, err
    assert not (rnnviz_home / "datasets").exists() and not (rnnviz_home / "runs").exists()


def test_cli_refuses_a_missing_or_binary_file(tmp_path, capsys, rnnviz_home):
    assert cli.main(["train", "--csv", str(tmp_path / "none.csv")]) == 2
    assert "cannot be read" in capsys.readouterr().err
    (tmp_path / "b.csv").write_bytes(b"\x00\x01\x02" * 100)
    assert cli.main(["train", "--csv", str(tmp_path / "b.csv")]) == 2
    assert "not a text file" in capsys.readouterr().err
    assert cli.main(["train", "--data", "csv"]) == 2
    assert "No CSV file is chosen yet" in capsys.readouterr().err
    assert not (rnnviz_home / "datasets").exists()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A `$RNNVIZ_HOME` with the CSV file and one tiny run on it, trained once for the module."""
    home = tmp_path_factory.mktemp("csv_runs") / "rnnviz_home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RNNVIZ_HOME", str(home))
        name = userdata.put(series_csv(), "csv")
        cfg = RunConfig(data=CsvData(file=name, target="level", time="date", window=6, horizon=2), units=4,
                        epochs=1, batch_size=16)
        return home, train_and_store(cfg, RunStore())[0].run_id


@pytest.fixture
def csv_run(seeded, rnnviz_home):
    """The seeded run, in this test's own `$RNNVIZ_HOME` (with its dataset)."""
    shutil.copytree(seeded[0], rnnviz_home)
    return RunStore().load(seeded[1])


def test_metrics_are_in_the_data_units(csv_run):
    ds = loaders.load(csv_run.config.data)
    model = csv_run.load_model()
    mean, std = ds.extra["scale"]
    pred = model.predict(ds.x_val, verbose=0) * std + mean
    true = ds.y_val * std + mean
    assert csv_run.metrics["val_rmse"] == pytest.approx(np.sqrt(np.mean((pred - true) ** 2)), rel=1e-4)
    assert csv_run.metrics["val_mae"] == pytest.approx(np.mean(np.abs(pred - true)), rel=1e-4)


def test_export_carries_the_dataset_and_import_stores_it(csv_run, tmp_path, monkeypatch):
    blob = export.run_zip(csv_run)
    assert "dataset.csv" in zipfile.ZipFile(io.BytesIO(blob)).namelist()
    monkeypatch.setenv("RNNVIZ_HOME", str(tmp_path / "other"))
    run = export.import_zip(blob, RunStore())
    assert userdata.has(run.config.data.file, "csv")
    assert loaders.load(run.config.data).x_val.shape == loaders.load(csv_run.config.data).x_val.shape


def test_import_without_the_dataset_opens_and_says_what_is_missing(csv_run, tmp_path, monkeypatch, rnnviz_home):
    (rnnviz_home / "datasets" / f"{csv_run.config.data.file}.csv").unlink()
    blob = export.run_zip(csv_run)
    assert "dataset.csv" not in zipfile.ZipFile(io.BytesIO(blob)).namelist()
    monkeypatch.setenv("RNNVIZ_HOME", str(tmp_path / "other"))
    run = export.import_zip(blob, RunStore())
    assert run.metrics == csv_run.metrics and RunStore().load(run.run_id).load_model() is not None
    with pytest.raises(userdata.DatasetMissing, match="not on this server") as e:
        loaders.load(run.config.data)
    assert "\n" not in str(e.value)


def test_import_refuses_a_dataset_that_is_not_the_runs(csv_run, tmp_path, monkeypatch):
    members = {i.filename: zipfile.ZipFile(io.BytesIO(export.run_zip(csv_run))).read(i)
               for i in zipfile.ZipFile(io.BytesIO(export.run_zip(csv_run))).infolist()}
    members["dataset.csv"] = b"t,y\n1,2\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    monkeypatch.setenv("RNNVIZ_HOME", str(tmp_path / "other"))
    with pytest.raises(export.RunImportError, match="dataset.csv is not the file this run trained on"):
        export.import_zip(buf.getvalue(), RunStore())
    assert not (tmp_path / "other" / "datasets").exists() and RunStore().list()[0] == []


def test_a_dataset_over_20_mb_stays_out_of_the_export(csv_run, monkeypatch):
    monkeypatch.setattr(export, "MAX_DATASET_BYTES", 100)
    assert "dataset.csv" not in zipfile.ZipFile(io.BytesIO(export.run_zip(csv_run))).namelist()


def test_a_student_over_the_upload_allowance_cannot_import_a_runs_dataset(csv_run, tmp_path, monkeypatch):
    from pathlib import Path

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from rnnviz.store import classroom

    blob = export.run_zip(csv_run)
    monkeypatch.setenv("RNNVIZ_HOME", str(tmp_path / "other"))
    asked = []
    with pytest.raises(export.RunImportError, match="^no room$"):
        export.import_zip(blob, RunStore(), dataset_allowed=lambda data, kind: asked.append(kind) or "no room")
    assert asked == ["csv"] and not (tmp_path / "other" / "datasets").exists() and RunStore().list()[0] == []
    classroom.ensure_key()  # classroom mode, and this student's session has no room left
    monkeypatch.setattr(classroom, "SESSION_DATASETS", 0)
    st.cache_resource.clear()
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/compare.py").run()
    at.file_uploader(key="import_zip").set_value(("run.zip", blob, "application/zip")).run()
    errors = [e.value for e in at.error]
    assert not at.exception and len(errors) == 1 and "\n" not in errors[0], (at.exception, errors)
    assert errors[0].startswith("Import refused: the run's dataset") and "Ask the teacher to import" in errors[0]
    assert not (tmp_path / "other" / "datasets").exists() and RunStore().list()[0] == []
