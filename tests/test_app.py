"""Pages under Streamlit's AppTest: home renders; train trains a tiny cosine model live and shows results."""

import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import set_sidebar

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TINY = {"w_cosine_length": 200, "w_cosine_window": 10, "w_units": 4, "w_epochs": 2}


@pytest.fixture
def app(rnnviz_home):
    st.cache_resource.clear()  # a fresh trainer over this test's run store
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    return at


def train_page(app):
    app.switch_page("pages/train.py").run()
    set_sidebar(app, TINY)
    return app.run()


def test_home(app):
    assert not app.exception
    assert app.title[0].value == "RNN Explorer"
    text = " ".join(m.value for m in app.markdown)
    assert "Train" in text and ("CPU" in text or "GPU" in text)
    assert "cosine" in app.dataframe[0].value["data set"].tolist()


def test_train_tiny_model_shows_chart_and_rmse(app):
    at = train_page(app)
    assert not at.exception
    assert any("has not been trained yet" in i.value for i in at.info)
    at.button[0].click().run()  # Train
    # wait for the result itself, not for the first metric: "Training time" can arrive in a run that a
    # finishing job's rerun cuts short, before the RMSE below it
    wait_for(at, lambda at: any(m.label == "Validation RMSE, one step" for m in at.metric)
             and len(at.get("plotly_chart")) == 2)
    assert not at.exception, at.exception
    labels = {m.label: m.value for m in at.metric}
    rmse = float(labels["Validation RMSE, one step"])
    assert 0 <= rmse < 1
    charts = at.get("plotly_chart")
    assert len(charts) == 2  # loss chart and prediction chart
    assert "Loss during training" in charts[0].proto.spec and "Prediction vs actual" in charts[1].proto.spec
    # the stored run reloads instantly in a new session
    again = train_page(AppTest.from_file(APP, default_timeout=120))
    again.run()
    assert {m.label: m.value for m in again.metric}["Validation RMSE, one step"] == labels[
        "Validation RMSE, one step"]
    assert again.get("progress")[0].proto.text == "Done (loaded from the run store)"
    # the stored run draws the per-batch curve the live chart drew, not only its 2 epoch points (issue 11 item 9)
    assert "training (per batch)" in again.get("plotly_chart")[0].proto.spec


def test_invalid_controls_show_error_not_traceback(app):
    at = train_page(app)
    at.sidebar.slider(key="w_cosine_window").set_value(200).run()  # window too long for 200 points
    assert not at.exception
    assert any("`length`" in e.value for e in at.sidebar.error)


def wait_for(at, done, timeout=120):
    end = time.time() + timeout
    while not done(at) and time.time() < end:
        time.sleep(0.3)
        at.run()
    return at


def test_train_tiny_imdb_model_shows_accuracy_and_confusion(tmp_path, monkeypatch, rnnviz_home):
    from tests import fakedata

    fakedata.write_imdb(tmp_path / "data")
    monkeypatch.setenv("RNNVIZ_DATA_DIR", str(tmp_path / "data"))
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/train.py").run()
    at.sidebar.radio(key="w_data").set_value("imdb").run()
    assert at.sidebar.selectbox(key="preset").value == "imdb-quick"  # switching data starts from its quick preset
    at.sidebar.slider(key="w_imdb_maxlen").set_value(16)
    at.sidebar.slider(key="w_units").set_value(4)
    at.sidebar.slider(key="w_epochs").set_value(1)
    at.run()
    assert not at.exception and not at.warning  # the files were found
    at.button[0].click().run()
    wait_for(at, lambda a: any(m.label == "Test accuracy" for m in a.metric)
             and any("Confusion matrix" in c.proto.spec for c in a.get("plotly_chart")))
    assert not at.exception, at.exception
    acc = {m.label: m.value for m in at.metric}["Test accuracy"]
    assert acc.endswith("%") and 0 <= float(acc[:-1]) <= 100
    specs = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("Accuracy during training" in s for s in specs)
    assert any("Confusion matrix on the test set" in s and "positive" in s for s in specs)


def test_missing_data_warns_with_the_fixes_and_training_fails_cleanly(app):
    at = app.switch_page("pages/train.py").run()
    at.sidebar.radio(key="w_data").set_value("cifar10").run()
    assert not at.exception
    assert any("prefetch cifar10" in w.value for w in at.warning)
    at.button[0].click().run()
    wait_for(at, lambda a: bool(a.error), timeout=60)
    assert not at.exception
    assert any("Training failed" in e.value and "prefetch cifar10" in e.value for e in at.error)


@pytest.mark.parametrize("folder, problem", [("x" * 100_000, "100,000 characters"), ("a\x00b", "NUL"),
                                            (__file__, "not a folder")])
def test_impossible_data_folder_is_a_message_on_home_and_train(app, folder, problem):
    app.text_input(key="w_keep_data_dir").set_value(folder).run()
    assert not app.exception
    assert any(problem in e.value and len(e.value) < 600 for e in app.error)
    at = app.switch_page("pages/train.py").run()
    assert not at.exception
    assert any(problem in w.value for w in at.warning)


def test_unknown_backend_is_one_error_line_not_a_traceback(monkeypatch, rnnviz_home):
    from rnnviz import backend

    monkeypatch.setattr(backend, "configured", lambda: "tensorfloe")
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert len(at.error) == 1 and "KERAS_BACKEND" in at.error[0].value and "pip install" in at.error[0].value
    assert not at.title  # no page ran


def test_home_names_the_backend_and_lists_what_each_reaches(app):
    import keras

    from rnnviz import backend

    assert backend.BACKENDS[keras.backend.backend()].label in " ".join(m.value for m in app.markdown)
    reach = app.dataframe[1].value
    assert list(reach["KERAS_BACKEND"]) == ["tensorflow", "jax", "torch"]
    assert reach["GPU it reaches (CPU everywhere)"].str.contains("CUDA").all()
