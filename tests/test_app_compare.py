"""Compare page and shareable links under AppTest: the trio trains once, charts and exports appear."""

import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from rnnviz.models import budget
from rnnviz.config import vocab
from rnnviz.config import RunConfig
from tests.conftest import set_sidebar

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TINY = {"w_cosine_length": 200, "w_cosine_window": 10, "w_units": 4, "w_epochs": 2}


@pytest.fixture
def app(rnnviz_home):
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    return at


def test_trio_trains_and_compares(app):
    at = app.switch_page("pages/compare.py").run()
    assert at.sidebar.radio(key="w_data").value == "memory"  # Compare opens on the adding problem
    at.sidebar.radio(key="w_data").set_value("cosine").run()
    set_sidebar(at, TINY)
    at.run()
    assert not at.exception
    assert [r for r in at.dataframe[0].value["cell"]] == ["SimpleRNN", "LSTM", "GRU"]
    next(b for b in at.button if b.label == "Train the trio").click().run()
    end = time.time() + 180
    done = lambda a: len(a.dataframe) > 1 and len(a.dataframe[1].value) == 3 and a.get("plotly_chart")  # noqa: E731
    while not done(at) and time.time() < end:
        time.sleep(0.5)
        at.run()
    assert not at.exception, at.exception
    table = at.dataframe[1].value
    assert list(table["cell"]) == ["SimpleRNN", "LSTM", "GRU"] and (table["parameters"] > 0).all()
    assert list(table["run"]) == ["SimpleRNN 4u · 2 ep", "LSTM 4u · 2 ep", "GRU 4u · 2 ep"]  # labels; ids last
    assert ",".join(table["run id"]) == at.query_params["runs"]
    specs = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("Loss by epoch" in s for s in specs) and any("Loss by training time" in s for s in specs)
    assert any("input step" in s and '"log"' in s for s in specs)  # gradient flow on a log axis
    assert any("before training (epoch 0)" in s for s in specs)  # the untrained curve beside the trained one
    assert any("compare shapes, not heights" in c.value for c in at.caption)
    # the gates' saturation: a chart, or one line when every share is 0 (tiny runs often stay mid-range)
    assert any("Gate saturation" in s for s in specs) != any("No value is saturated" in c.value for c in at.caption)
    assert "reached the best validation RMSE" in " ".join(m.value for m in at.markdown)
    assert len(at.get("download_button")) == 4  # the table and one zip per run
    # the link carries the config and the runs: it reopens this comparison
    cfg, notes = RunConfig.from_query(at.query_params, ignore=("runs", "match", "cells"))
    assert notes == [] and cfg.units == 4 and cfg.data.length == 200
    assert at.query_params["runs"] == ",".join(cfg.replace(cell=c).run_id for c in ("simple_rnn", "lstm", "gru"))


def test_lstm_variants_in_one_click_and_in_the_link(app):
    at = app.switch_page("pages/compare.py").run()
    assert at.radio(key="w_keep_compare_cells").value == "trio"
    at.radio(key="w_keep_compare_cells").set_value("lstm_variants").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["cell"]) == ["LSTM", "peephole LSTM", "CIFG LSTM", "GRU", "MGU"]
    assert at.query_params["cells"] == "lstm_variants"
    cfg = RunConfig.from_query(at.query_params, ignore=("runs", "match", "cells"))[0]
    counts = [budget.param_count(cfg.replace(cell=c)) for c in ("lstm", "lstm_peephole", "lstm_cifg", "gru", "mgu")]
    assert list(table["parameters"]) == counts and counts[1] - counts[0] == 3 * cfg.units  # the peepholes
    linked = AppTest.from_file(APP, default_timeout=120)
    linked.query_params.update({"cells": "lstm_variants"})
    linked.switch_page("pages/compare.py").run()
    assert linked.radio(key="w_keep_compare_cells").value == "lstm_variants" and not linked.exception


def test_link_opens_its_settings_and_notes_what_it_ignored(rnnviz_home):
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"data": "cosine", "cell": "gru", "units": "12", "epochs": "banana", "zzz": "1"})
    at.switch_page("pages/train.py").run()
    assert not at.exception
    assert at.sidebar.radio(key="w_cell").value == "gru" and at.sidebar.slider(key="w_units").value == 12
    note = " ".join(w.value for w in at.warning)
    assert "epochs='banana'" in note and "zzz" in note
    # the URL carries the settings back out: the same config, and nothing else
    cfg, notes = RunConfig.from_query(at.query_params)
    assert notes == [] and cfg.cell == "gru" and cfg.units == 12 and cfg.epochs == RunConfig().epochs


def test_import_refuses_a_bad_zip_and_accepts_a_good_one(app, rnnviz_home):
    from rnnviz.store import export
    from rnnviz.training.jobs import train_and_store
    from rnnviz.store import RunStore
    from tests.conftest import tiny

    other = RunStore(rnnviz_home.parent / "elsewhere")
    run, _ = train_and_store(tiny(), other)
    at = app.switch_page("pages/compare.py").run()
    assert not at.exception
    assert len(at.get("file_uploader")) == 1
    # AppTest cannot upload files; the page calls export.import_zip, whose checks are tested in test_export
    imported = export.import_zip(export.run_zip(run), RunStore())
    at.run()
    options = at.multiselect(key="compare_runs").options
    assert options == [vocab.run_label(imported.config)] and imported.run_id not in options[0]  # a label, not the id


def test_run_import_refuses_in_one_line_and_replaces_only_when_asked(app):
    from rnnviz.store import export
    from rnnviz.training.jobs import train_and_store
    from rnnviz.store import RunStore
    from tests.conftest import tiny

    run = train_and_store(tiny(), RunStore())[0]  # stored in this app's run store
    at = app.switch_page("pages/compare.py").run()
    for name, blob in (("empty.zip", b"PK\x05\x06" + bytes(18)), ("junk.zip", b"not a zip at all"),
                       ("deep.zip", _with(export.run_zip(run), "metrics.json", b"[" * 50_000 + b"]" * 50_000))):
        at.file_uploader(key="import_zip").set_value((name, blob, "application/zip")).run()
        assert not at.exception, name
        assert [e.value.startswith("Import refused: ") and "\n" not in e.value for e in at.error] == [True], name
    at.file_uploader(key="import_zip").set_value(("run.zip", export.run_zip(run), "application/zip")).run()
    assert not at.exception and not at.success
    assert any(w.value.startswith("Import refused: ") and "stored here already" in w.value for w in at.warning)
    at.button(key="import_replace").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [f"Imported LSTM 4u · 2 ep ({run.config.summary()}). Pick it below."]


def _with(blob: bytes, name: str, data: bytes) -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blob)) as src, zipfile.ZipFile(out, "w") as dst:
        for member in src.namelist():
            dst.writestr(member, data if member == name else src.read(member))
    return out.getvalue()
