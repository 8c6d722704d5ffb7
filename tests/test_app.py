"""Pages under Streamlit's AppTest: home renders; train trains a tiny cosine model live and shows results."""

import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TINY = {"w_data_length": 200, "w_data_window": 10, "w_units": 4, "w_epochs": 2}


@pytest.fixture
def app(rnnviz_home):
    st.cache_resource.clear()  # a fresh trainer over this test's run store
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    return at


def train_page(app):
    app.switch_page("pages/train.py").run()
    for key, value in TINY.items():
        app.sidebar.slider(key=key).set_value(value)
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
    end = time.time() + 120
    while not at.metric and time.time() < end:
        time.sleep(0.3)
        at.run()
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


def test_invalid_controls_show_error_not_traceback(app):
    at = train_page(app)
    at.sidebar.slider(key="w_data_window").set_value(200).run()  # window too long for 200 points
    assert not at.exception
    assert any("`length`" in e.value for e in at.sidebar.error)
