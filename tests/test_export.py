"""Run exports: a zip re-imported gives the same predictions; bad uploads are refused with a reason."""

import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from rnnviz.data import loaders as data
from rnnviz.store import export
from rnnviz.training.jobs import train_and_store
from rnnviz.store import RunStore
from tests.conftest import tiny


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny trained run for the whole module (tests copy it, or import it into other stores)."""
    return train_and_store(tiny(), RunStore(tmp_path_factory.mktemp("trained")))[0]


@pytest.fixture
def stored(trained, tmp_path):
    """The trained run, in this test's own store `tmp_path / "a"`."""
    import shutil

    store = RunStore(tmp_path / "a")
    shutil.copytree(trained.path, store.runs / trained.run_id)
    shutil.copytree(RunStore(trained.path.parent.parent).tensorboard_dir(trained.run_id),
                    store.tensorboard_dir(trained.run_id))
    return store.load(trained.run_id)


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
    assert stored.batches() and run.batches() == stored.batches()  # the per-batch curve travels too


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
    ({"model.keras": b"not a keras file"}, "model.keras is not a zip"),
])
def test_bad_uploads_are_refused_and_nothing_is_stored(stored, tmp_path, change, problem):
    other = RunStore(tmp_path / "b")
    with pytest.raises(export.RunImportError, match=problem):
        export.import_zip(_edit(export.run_zip(stored), **change), other)
    assert other.list() == ([], [])


def test_not_a_zip_and_too_big(tmp_path, monkeypatch):
    with pytest.raises(export.RunImportError, match="not a zip"):
        export.import_zip(b"hello", RunStore(tmp_path))
    monkeypatch.setattr(export, "MAX_IMPORT_BYTES", 10)
    with pytest.raises(export.RunImportError, match="can be imported"):
        export.import_zip(b"x" * 11, RunStore(tmp_path))


def test_tensorboard_logs_are_written_per_run(stored, tmp_path):
    logs = RunStore(tmp_path / "a").tensorboard_dir(stored.run_id)
    events = list(logs.rglob("events.out.tfevents.*"))
    assert {p.parent.name for p in events} == {"train", "validation"}


def _members(blob) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        return {n: z.read(n) for n in z.namelist()}


def _zip(members: dict[str, bytes], level: int = 6) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for name, content in members.items():
            z.writestr(name, content)
    return out.getvalue()


def _refused(blob, store, *words):
    """The import is refused with a RunImportError naming `words`, and nothing is stored."""
    with pytest.raises(export.RunImportError) as e:
        export.import_zip(blob, store)
    assert all(w in str(e.value) for w in words), str(e.value)
    assert "\n" not in str(e.value) and len(str(e.value)) < 700
    assert store.list()[0] == []
    return str(e.value)


def _bomb(name: str, size: int, **others) -> bytes:
    """A zip whose member `name` inflates to `size` spaces (deflate shrinks them ~1000 times)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for other, content in others.items():
            z.writestr(other, content)
        with z.open(name, "w") as f:
            for _ in range(size >> 24):
                f.write(b" " * (1 << 24))
    return out.getvalue()


def test_nested_model_archive_hiding_a_huge_config_is_refused_uninflated(stored, tmp_path, monkeypatch):
    import tracemalloc

    monkeypatch.setattr(export, "MAX_TEXT_BYTES", 1 << 20)
    monkeypatch.setitem(export.LIMITS, "", 1 << 20)
    model = _members(_members(export.run_zip(stored))["model.keras"])
    bomb = _bomb("config.json", 64 << 20, **{k: v for k, v in model.items() if k != "config.json"})
    blob = _zip({**_members(export.run_zip(stored)), "model.keras": bomb})
    tracemalloc.start()
    try:
        _refused(blob, RunStore(tmp_path / "b"), "model.keras", "config.json", "unpacks to")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20  # the 64 MB were never inflated


@pytest.mark.slow
def test_a_small_upload_hiding_a_1_gb_config_is_refused(stored, tmp_path):
    model = _members(_members(export.run_zip(stored))["model.keras"])
    bomb = _bomb("config.json", 1 << 30, **{k: v for k, v in model.items() if k != "config.json"})
    blob = _zip({**_members(export.run_zip(stored)), "model.keras": bomb}, level=0)
    assert len(blob) < 2 << 20
    _refused(blob, RunStore(tmp_path / "b"), "model.keras unpacks to", "config.json 1,024 MB")


def _lie_about_size(blob: bytes, name: bytes, size: int) -> bytes:
    """The zip with `name`'s declared uncompressed size (local and central headers) set to `size`."""
    data = bytearray(blob)
    for sig, offset, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        at = data.find(sig)
        while at >= 0:
            n = int.from_bytes(data[at + name_at - (4 if sig == b"PK\x03\x04" else 18):][:2], "little")
            if bytes(data[at + name_at:at + name_at + n]) == name:
                data[at + offset:at + offset + 4] = size.to_bytes(4, "little")
            at = data.find(sig, at + 4)
    return bytes(data)


def test_a_member_whose_header_lies_about_its_size_is_refused(stored, tmp_path):
    members = _members(export.run_zip(stored))
    members["metrics.json"] = b" " * (4 << 20) + members["metrics.json"]
    blob = _lie_about_size(_zip(members), b"metrics.json", 100)
    _refused(blob, RunStore(tmp_path / "b"), "metrics.json")


@pytest.mark.parametrize("where", ["upload", "model.keras"])
def test_too_many_members_are_refused_before_reading(stored, tmp_path, where):
    members = _members(export.run_zip(stored))
    many = {f"junk/{i}.txt": b"" for i in range(5000)}
    if where == "upload":
        members.update(many)
    else:
        members["model.keras"] = _zip({**_members(members["model.keras"]), **many})
    _refused(_zip(members), RunStore(tmp_path / "b"), "5,0", "members")


@pytest.mark.parametrize("change, words", [
    ({"metrics.json": b"[" * 100_000 + b"]" * 100_000}, ("metrics.json", "nests 100,000 levels")),
    ({"info.json": b'{"a":' * 50_000 + b"1" + b"}" * 50_000}, ("info.json", "nests")),
    ({"history.csv": b"epoch,loss\n1,abc\n"}, ("history.csv", "`loss` must be a number", "'abc'")),
    ({"history.csv": b"epoch,loss\n1\n"}, ("history.csv line 2",)),
    ({"history.csv": b""}, ("history.csv", "header")),
    ({"history.csv": b"\xff\xfe\x00garbage"}, ("history.csv", "not a CSV text")),
    ({"history.csv": b"epoch,loss\n3,0.5\n"}, ("history.csv", "`epoch` must count")),
    ({"metrics.json": b'{"val_rmse": "low"}'}, ("metrics.json", "val_rmse")),
    ({"metrics.json": b"[1, 2]"}, ("metrics.json",)),
    ({"config.json": b'"just a string"'}, ("config.json",)),
    ({"snapshots.npz": b"PK\x05\x06" + bytes(18)}, ("snapshots.npz",)),
    ({"extra.py": b"import os"}, ("extra.py", "does not")),
])
def test_malformed_members_are_one_line_refusals(stored, tmp_path, change, words):
    _refused(_zip({**_members(export.run_zip(stored)), **change}), RunStore(tmp_path / "b"), *words)


def test_wrong_info_types_are_refused(stored, tmp_path):
    members = _members(export.run_zip(stored))
    info = json.loads(members["info.json"])
    for key, bad in (("created", 5), ("params", "many"), ("epoch_seconds", "fast")):
        changed = {**members, "info.json": json.dumps({**info, key: bad}).encode()}
        _refused(_zip(changed), RunStore(tmp_path / "b"), "info.json", key)


def _model_bytes(cfg, tmp_path) -> bytes:
    from rnnviz.models import build_model

    path = tmp_path / f"m{cfg.run_id}.keras"
    build_model(cfg, data.empty(cfg.data)).save(path)
    return path.read_bytes()


@pytest.mark.parametrize("other, what", [({"units": 5}, "weight shapes"), ({"data_window": 12}, "input shape"),
                                         ({"data_horizon": 3}, "output shape")])
def test_a_model_that_does_not_fit_its_config_is_refused(stored, tmp_path, other, what):
    members = _members(export.run_zip(stored))
    members["model.keras"] = _model_bytes(stored.config.replace(**other), tmp_path)
    _refused(_zip(members), RunStore(tmp_path / "b"), "does not fit config.json", what)


def test_snapshots_that_do_not_fit_the_model_are_refused(stored, tmp_path):
    members = _members(export.run_zip(stored))
    snaps = stored.snapshots()
    buf = io.BytesIO()
    np.savez(buf, epochs=np.array(sorted(snaps)),
             **{f"e{e}_w{k}": (w.reshape(-1) if k == 0 else w) for e, ws in snaps.items() for k, w in enumerate(ws)})
    members["snapshots.npz"] = buf.getvalue()
    _refused(_zip(members), RunStore(tmp_path / "b"), "snapshots.npz", "do not fit the model")


def test_a_run_stored_here_is_replaced_only_when_asked(stored, tmp_path):
    store = RunStore(tmp_path / "a")
    before = store.load(stored.run_id).info["created"]
    blob = export.run_zip(stored)
    with pytest.raises(export.RunExists, match="stored here already") as e:
        export.import_zip(blob, store)
    assert e.value.run_id == stored.run_id and isinstance(e.value, export.RunImportError)
    assert store.load(stored.run_id).info["created"] == before and len(store.list()[0]) == 1
    run = export.import_zip(blob, store, replace=True)
    assert run.run_id == stored.run_id and len(store.list()[0]) == 1


def test_csv_downloads_neutralise_formulas_and_keep_numbers():
    import csv
    from pathlib import Path

    df = pd.DataFrame({"=HYPERLINK(\"http://x\")": ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", "plain", "-1.5"],
                       "value": [-1.5, 2.0, -3e-5, 4, 5, 6, 7, 8], "run": ["a-b"] * 8})
    rows = list(csv.reader(io.StringIO(export.table_csv(df).decode(), newline="")))  # read back by Python's csv
    assert rows[0] == ["'=HYPERLINK(\"http://x\")", "value", "run"]
    assert [r[0] for r in rows[1:]] == ["'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd", "'\tx", "'\rx", "plain", "-1.5"]
    assert [float(r[1]) for r in rows[1:]] == df["value"].tolist()  # numbers stay numbers, -1.5 and -3e-05 too
    assert rows[1][1] == "-1.5" and {r[2] for r in rows[1:]} == {"a-b"}
    shown = export.safe_frame(df)  # what st.dataframe shows (its toolbar downloads CSV too)
    assert shown.columns[0].startswith("'=") and shown["value"].dtype == df["value"].dtype
    assert df.columns[0].startswith("="), "the caller's frame is left as it was"
    root = Path(__file__).resolve().parent.parent  # every CSV a user downloads goes through table_csv
    writers = [p.relative_to(root).as_posix() for p in [*root.glob("pages/*.py"), *root.glob("rnnviz/**/*.py")]
               if ".to_csv(" in p.read_text()]
    assert writers == ["rnnviz/store/export.py"], writers
