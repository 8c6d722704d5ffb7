"""The pages on a user's CSV series under AppTest (issue 24): upload in the sidebar (stored once, refused in one
line when unusable), train, the same file uploaded in a new session loads the stored run; Train, Compare, Sweep
and the Inspect pages open a tiny stored CSV run; without its dataset a run still opens and the pages that need
the data say so in one line."""

import shutil
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from rnnviz.config import CsvData, RunConfig
from rnnviz.data import userdata
from rnnviz.store import RunStore
from rnnviz.training.jobs import train_and_store
from tests.conftest import set_sidebar
from tests.test_app import wait_for

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def series_csv(n: int = 90) -> bytes:
    rows = "\n".join(f"{i},{np.cos(2 * np.pi * i / 9):.5f},{i % 4}" for i in range(n))
    return ("step,temp,wind\n" + rows + "\n").encode()


def app(page: str) -> AppTest:
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(page).run()
    return at


def upload(at: AppTest, blob: bytes, name: str = "series.csv") -> AppTest:
    at.sidebar.radio(key="w_data").set_value("csv").run()
    at.file_uploader(key="w_csv_upload").set_value((name, blob, "text/csv")).run()
    return at


def done(at) -> bool:
    try:
        job = at.session_state["job"]
    except KeyError:
        return False
    return job is not None and job.state == "done" and any("persistence" in c.value for c in at.caption)


def test_upload_train_and_the_same_file_again_trains_nothing(rnnviz_home):
    at = upload(app("pages/train.py"), series_csv())
    assert not at.exception, at.exception
    name = userdata.digest(series_csv())
    assert [p.name for p in (rnnviz_home / "datasets").iterdir()] == [f"{name}.csv"]
    assert at.selectbox(key="w_csv_target").value == "step"  # the first column of numbers, until chosen
    at.selectbox(key="w_csv_target").set_value("temp").run()
    at.multiselect(key="w_csv_inputs_pick").set_value(["wind"]).run()
    set_sidebar(at, {"w_units": 4, "w_epochs": 1, "w_csv_window": 6})
    at.run()
    at.button[0].click().run()  # Train
    at = wait_for(at, done)
    assert not at.exception and done(at), [e.value for e in at.error]
    cfg = at.session_state["job"].cfg
    assert (cfg.data.file, cfg.data.target, cfg.data.inputs) == (name, "temp", "wind")
    assert any("in the data's units" in c.value for c in at.caption)

    again = upload(app("pages/train.py"), series_csv(), "the same file, renamed.csv")
    again.selectbox(key="w_csv_target").set_value("temp").run()
    again.multiselect(key="w_csv_inputs_pick").set_value(["wind"]).run()
    set_sidebar(again, {"w_units": 4, "w_epochs": 1, "w_csv_window": 6})
    again = wait_for(again.run(), done)
    job = again.session_state["job"]
    assert job.run_id == cfg.run_id and job.cached, "the stored run loads: nothing is trained"
    assert len(list((rnnviz_home / "datasets").iterdir())) == 1


@pytest.mark.parametrize("blob, says", [(b"\x00\x01binary", "not a text file"), (b"a,b\n", "header but no rows"),
                                        (b"name\nann\nbob\n", "no column of numbers")])
def test_an_unusable_upload_is_refused_in_one_line_and_not_stored(rnnviz_home, blob, says):
    at = upload(app("pages/train.py"), blob, "bad.csv")
    assert not at.exception, at.exception
    errors = [e.value for e in at.sidebar.error]
    assert len(errors) == 1 and says in errors[0] and "bad.csv" in errors[0] and "\n" not in errors[0], errors
    assert not (rnnviz_home / "datasets").exists()


CFG = RunConfig(data=CsvData(file=userdata.digest(series_csv()), target="temp", inputs="wind", time="step",
                             window=6, horizon=2), units=4, epochs=2, batch_size=16)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A `$RNNVIZ_HOME` with the CSV file and one tiny run on it, trained once for the module."""
    home = tmp_path_factory.mktemp("csv_pages") / "rnnviz_home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RNNVIZ_HOME", str(home))
        userdata.put(series_csv(), "csv")
        assert train_and_store(CFG, RunStore())[0] is not None
    return home


@pytest.fixture
def stored_run(seeded, rnnviz_home):
    shutil.copytree(seeded, rnnviz_home)
    return CFG


@pytest.mark.parametrize("page, charts", [("pages/inspect_states.py", 3), ("pages/inspect_gates.py", 3),
                                          ("pages/inspect_predictions.py", 2)])
def test_inspect_pages_open_a_csv_run(stored_run, page, charts):
    at = app(page)
    at.selectbox(key="w_inspect_run").set_value(stored_run.run_id).run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    assert len(at.get("plotly_chart")) >= charts


@pytest.mark.parametrize("page", ["pages/train.py", "pages/compare.py", "pages/sweep.py"])
def test_train_compare_and_sweep_open_a_csv_link(stored_run, page):
    at = app(page)
    at.query_params.update(stored_run.to_query())
    at = wait_for(at.run(), lambda a: not a.exception and (page != "pages/train.py" or done(a)))
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    if page == "pages/train.py":
        assert [m.label for m in at.metric][:2] == ["Validation RMSE, one step", "RMSE free-running, 18 steps"]  # 20% of 90 rows


def test_without_its_dataset_a_run_opens_and_the_pages_say_so(stored_run, rnnviz_home):
    (rnnviz_home / "datasets" / f"{stored_run.data.file}.csv").unlink()
    at = app("pages/train.py")
    at.query_params.update(stored_run.to_query())
    at = wait_for(at.run(), done)
    assert not at.exception and done(at)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "is not on this server" in errors[0] and "\n" not in errors[0], errors
    at = app("pages/inspect_predictions.py")
    at.selectbox(key="w_inspect_run").set_value(stored_run.run_id).run()
    assert not at.exception and [e.value for e in at.error] == [(
        f"Loading the CSV time series data failed: The CSV file {stored_run.data.file} of this run is not on this "
        "server (imported without its data?): upload the same .csv file again, or import the run with its data.")]
