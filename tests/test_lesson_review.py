"""Lesson step "review" (the built-in lesson's step 5): P(positive) after each word of the lesson's review, drawn
once per server for the whole class, before anyone reveals it, and equal to what the stored model says."""

import base64
import json

import fakedata
import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from test_app_lesson import APP
from test_lesson import write

from rnnviz.config import ImdbData, RunConfig
from rnnviz.data import imdb
from rnnviz.store.runs import RunStore
from rnnviz.training.jobs import train_and_store

RUN = RunConfig(data=ImdbData(vocab_size=100, maxlen=16), cell="gru", units=4, embedding_dim=4, epochs=1,
                batch_size=16)
TEXT = "great fun but the movie was bad"
LESSON = f"""title = "Review"
summary = "One review step."
[[steps]]
title = "Your own review"
text = "A tiny IMDB run reads a review."
view = "review"
runs = [{{data = "imdb", vocab_size = 100, maxlen = 16, cell = "gru", units = 4, embedding_dim = 4, epochs = 1, \
batch_size = 16}}]
question = "Which way?"
choices = ["positive", "negative"]
answer = 1
explanation = "It depends."
[steps.settings]
text = "{TEXT}"
"""


@pytest.fixture
def home(rnnviz_home, tmp_path, monkeypatch):
    data = tmp_path / "data"
    fakedata.write_imdb(data, n_train=40, n_test=30)
    monkeypatch.setenv("RNNVIZ_DATA_DIR", str(data))
    write(rnnviz_home / "lessons", LESSON, "review")
    train_and_store(RUN, RunStore(rnnviz_home), data_dir=str(data))
    st.cache_resource.clear()
    st.cache_data.clear()
    return rnnviz_home


def opened() -> AppTest:
    """A student's session on the step, the answer not locked in yet."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/lesson.py")
    at.query_params.update({"lesson": "review", "step": "1"})
    at.run()
    assert not at.error, [e.value for e in at.error]
    return at


def revealed(at: AppTest | None = None) -> AppTest:
    """A student's session on the step, answer locked in."""
    at = at or opened()
    at.radio(key="lesson_pick_review_1").set_value(0).run()
    return at.button(key="lesson_lock_review_1").click().run()


@pytest.mark.slow  # trains a tiny IMDB run and opens two sessions with Keras: 15-40 s on a busy 2-core machine
def test_the_review_curve_is_the_models_and_one_drawing_serves_the_class(home, monkeypatch):
    from rnnviz.plots import predictions
    from rnnviz.ui.probes import vocabulary

    drawn = []
    real = predictions.readout_figure
    monkeypatch.setattr(predictions, "readout_figure", lambda *a, **k: drawn.append(1) or real(*a, **k))
    first = opened()
    assert not first.get("plotly_chart") and len(drawn) == 1  # drawn for the class when the lesson was opened
    first = revealed(first)
    assert not first.exception, first.exception
    spec = json.loads(first.get("plotly_chart")[0].proto.spec)
    y = spec["data"][0]["y"]  # plotly sends numpy arrays as {"dtype", "bdata": base64}
    curve = np.frombuffer(base64.b64decode(y["bdata"]), y["dtype"]) if isinstance(y, dict) else np.array(y)
    verdict = float(first.metric[0].delta.split("=")[1])
    assert curve[-1] == pytest.approx(verdict, abs=1e-3)  # the last word's readout is the verdict (3 decimals)
    # every point against Keras directly: the model's answer on the review cut after that word (a masked run);
    # the curve's points are the last tokens' (words the run's vocabulary lacks are dropped, as in training)
    model = RunStore(home).load(RUN.run_id).load_model()
    seq = vocabulary(RUN).encode(TEXT)
    assert 1 < len(curve) <= len(seq)
    for k, p in enumerate(curve):
        cut = imdb.pad([seq[: len(seq) - len(curve) + k + 1]], RUN.data.maxlen, RUN.data.padding, RUN.data.truncating)
        assert p == pytest.approx(float(np.ravel(model(np.asarray(cut)))[-1]), abs=1e-4), k
    second = revealed()  # another student: the same figure, from the server's cache
    assert json.loads(second.get("plotly_chart")[0].proto.spec)["data"][0]["y"] == spec["data"][0]["y"]
    assert len(drawn) == 1


@pytest.mark.slow  # trains a tiny IMDB run and opens a session with Keras: 10-30 s on a busy 2-core machine
def test_preparing_a_lesson_whose_word_index_is_missing_draws_nothing_on_the_page(home, monkeypatch, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("RNNVIZ_DATA_DIR", str(empty))  # the run is stored; its word index is not found
    at = opened()
    assert not at.exception, at.exception
    assert not [c.value for c in at.caption if "Words are shown as ids" in c.value]  # only a revealed step says so
