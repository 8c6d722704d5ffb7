"""The Train page for students under AppTest: earlier runs as ghost curves (pin and unpin), run labels instead
of hashes, data set, Cell and Units above the Advanced expander, and the last result kept (and marked) after a change."""

import base64
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import set_sidebar, tiny
from tests.test_app import wait_for

APP = str(Path(__file__).resolve().parent.parent / "app.py")


STORED = (4, 5, 6)
"""Units of the tiny cosine LSTMs (`tiny(units=...)`) in the store the tests start from; others are untrained."""


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A run store with the tiny runs of `STORED`, trained once for the module (the pages only load them)."""
    from rnnviz.store import RunStore
    from rnnviz.training.jobs import train_and_store

    home = tmp_path_factory.mktemp("train_page") / "rnnviz_home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RNNVIZ_OFFLINE", "1")
        for units in STORED:
            assert train_and_store(tiny(units=units), RunStore(home))[0] is not None
    return home


@pytest.fixture
def train(seeded, rnnviz_home):
    """The Train page of a new session over a copy of the seeded store, opened on a link to `tiny()`."""
    shutil.copytree(seeded, rnnviz_home)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/train.py")
    at.query_params.update(tiny().to_query())
    return wait_for(at.run(), shown)


def shown(at) -> bool:
    """Whether the page shows its result in full (or says its config has not been trained)."""
    return any("has not been trained yet" in i.value for i in at.info) or (
        any(m.label == "Validation RMSE, one step" for m in at.metric) and len(at.get("plotly_chart")) == 2)


def with_units(at, units: int):
    """Moves the Units slider and waits until the page has shown that config (a stored one loads)."""
    set_sidebar(at, {"w_units": units})
    return wait_for(at.run(), lambda a: shown(a) and a.session_state["job"].state == "done")


def loss_traces(at) -> list[dict]:
    """The traces of Train's loss chart (the first chart), as plotly JSON, `y` decoded to a list."""
    traces = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    for t in traces:  # plotly sends numpy arrays as {"dtype", "bdata": base64}
        if isinstance(t.get("y"), dict):
            t["y"] = np.frombuffer(base64.b64decode(t["y"]["bdata"]), t["y"]["dtype"]).tolist()
    return traces


def test_the_sidebar_shows_data_cell_and_units_first_and_the_rest_under_advanced(train):
    at = train
    assert not at.exception
    sidebar = list(at.sidebar.children.values())  # the sidebar's own elements, in order (not the expander's)
    keys = [e.key for e in sidebar if (getattr(e, "key", None) or "").startswith(("w_", "preset"))]
    # the config's widgets outside Advanced (a page may add its own): the data choice is not hidden (issue 22)
    assert keys == ["w_data", "w_cell", "w_units"]
    advanced = [e for e in sidebar if e.type == "expander" and e.proto.label == "Advanced"]
    assert len(advanced) == 1
    inside = {w.key for kind in ("slider", "select_slider", "number_input", "radio", "selectbox", "toggle")
              for w in getattr(advanced[0], kind)}
    assert {"preset", "w_cosine_length", "w_cosine_window", "w_layers", "w_bidirectional", "w_activation",
            "w_dropout", "w_epochs", "w_batch_size", "w_learning_rate", "w_optimizer", "w_seed"} <= inside
    assert not {"w_data", "w_cell", "w_units"} & inside
    assert not advanced[0].proto.expanded  # collapsed: a student sees the data set, Cell and Units


def test_a_changed_slider_keeps_the_last_result_marked_as_the_old_settings(train):
    at = train
    rmse = {m.label: m.value for m in at.metric}["Validation RMSE, one step"]
    assert not any("settings have changed" in c.value for c in at.caption)
    set_sidebar(at, {"w_units": 7})  # not stored
    at.run()
    assert not at.exception
    assert [i.value for i in at.info if "has not been trained yet" in i.value] == [
        "**LSTM 7u · 2 ep** has not been trained yet. Press **Train**."]
    notes = [c.value for c in at.caption if "settings have changed" in c.value]
    assert len(notes) == 1 and "**LSTM 4u · 2 ep**" in notes[0] and "now LSTM 7u · 2 ep" in notes[0], notes
    assert {m.label: m.value for m in at.metric}["Validation RMSE, one step"] == rmse  # the old result, as it was
    assert len(at.get("plotly_chart")) == 2  # its loss chart and its prediction
    assert at.slider(key="free_steps")  # and its controls
    set_sidebar(at, {"w_units": 4})  # back to the old settings: the result is theirs again, unmarked
    at.run()
    assert not any("settings have changed" in c.value for c in at.caption)
    assert not any("has not been trained yet" in i.value for i in at.info)


def test_a_new_session_on_untrained_settings_shows_no_result(train):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/train.py")
    at.query_params.update(tiny(units=7).to_query())
    at.run()
    assert not at.exception
    assert any("**LSTM 7u · 2 ep** has not been trained yet" in i.value for i in at.info)
    assert not at.get("plotly_chart") and not any("settings have changed" in c.value for c in at.caption)


def test_earlier_runs_stay_as_labelled_ghosts_and_can_be_pinned(train, monkeypatch, rnnviz_home):
    from rnnviz.plots import charts as plots
    from rnnviz.plots import style
    from rnnviz.store import RunStore
    from rnnviz.ui import train as train_ui

    monkeypatch.setattr(train_ui, "RECENT", 1)  # one recent ghost: three stored runs show pinning
    at, first = train, tiny().run_id
    assert not at.multiselect  # the first run has no earlier run to pin
    assert not any("earlier" in t.get("name", "") for t in loss_traces(at))
    at = with_units(at, 5)  # a second run: the first one stays as a ghost
    assert not at.exception
    traces = loss_traces(at)
    ghosts = [t for t in traces if t.get("legendgroup") == "earlier"]
    assert [t["name"] for t in ghosts if t.get("showlegend", True)] == ["LSTM 4u · 2 ep (validation, earlier)"]
    assert any(t.get("text") == ["LSTM 4u · 2 ep"] for t in ghosts)  # the label at the curve's end
    curve = next(t for t in ghosts if t["mode"] == "lines")
    assert curve["line"]["color"] == style.rgba(style.cell_color("lstm"), plots.GHOST_ALPHA)  # LSTM's, faint
    assert curve["y"] == pytest.approx(RunStore(rnnviz_home).load(first).history["val_loss"])  # its own curve
    assert any(t.get("name") == "LSTM 5u · 2 ep: validation (epoch end)" for t in traces)  # the current run's
    pins = at.multiselect(key="w_train_pins")
    assert pins.value == [] and pins.options == ["LSTM 4u · 2 ep"]  # labels, not run ids
    pins.set_value([first]).run()
    at = with_units(at, 6)  # the 4-unit run is no longer the most recent earlier run, but it is pinned
    assert ghost_names(at) == ["LSTM 4u · 2 ep", "LSTM 5u · 2 ep"]
    at.multiselect(key="w_train_pins").set_value([]).run()  # unpinned: only the most recent one stays
    assert ghost_names(at) == ["LSTM 5u · 2 ep"]
    at = with_units(at, 4)  # the current run is never its own ghost
    assert ghost_names(at) == ["LSTM 6u · 2 ep"]
    assert not at.exception


def ghost_names(at) -> list[str]:
    """The labels of the ghost curves on the loss chart, in drawing order."""
    return [t["name"].removesuffix(" (validation, earlier)") for t in loss_traces(at)
            if t.get("legendgroup") == "earlier" and t["mode"] == "lines"]


@pytest.mark.parametrize("page, key", [("pages/inspect_states.py", None), ("pages/compare.py", "compare_runs")])
def test_runs_are_named_by_labels_not_ids_where_people_pick_them(train, page, key):
    at = train.switch_page(page).run()
    assert not at.exception
    picker = at.multiselect(key=key) if key else next(s for s in at.selectbox if s.label == "Stored run")
    ids = [tiny(units=u).run_id for u in STORED]
    for units in STORED:
        assert any(o.startswith(f"LSTM {units}u · 2 ep") for o in picker.options), picker.options
    assert not any(i in o for o in picker.options for i in ids)


def test_the_train_page_speaks_to_students_and_keeps_server_details_folded(rnnviz_home):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120).run()
    assert not at.exception, at.exception  # Home: KERAS_BACKEND and the training process only in the folded part
    home_folded = [e for e in at.expander if "for the teacher" in e.label]
    assert home_folded and "KERAS_BACKEND" in " ".join(c.value for c in home_folded[0].caption)
    folded = {e.value for e in [*home_folded[0].caption, *home_folded[0].markdown]}
    shown = [e.value for e in [*at.caption, *at.markdown] if e.value not in folded]
    assert not [t for t in shown if "KERAS_BACKEND" in t or "renewed" in t], shown
    at.switch_page("pages/train.py").run()
    assert not at.exception, at.exception
    top = next(c.value for c in at.caption if c.value.startswith("Trains on:"))
    assert "KERAS_BACKEND" not in top and "process" not in top and "at a time" in top
    folded = " ".join(c.value for e in at.expander if e.label.startswith("Where it trains") for c in e.caption)
    assert "KERAS_BACKEND" in folded and "this server" in folded
