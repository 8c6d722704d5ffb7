"""The IMDB language model in the app (AppTest): its data-set choice opens on the imdb-char-lm preset with
its own controls (level, vocabulary cap, window, training-sample slider), builds valid configs, and a stored
language-model run shows its perplexity beside the n-gram's on Train."""

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from rnnviz.config import presets, tasks
from rnnviz.config import RunConfig, TextData
from rnnviz.training.jobs import train_and_store
from rnnviz.store import RunStore
from tests import fakedata

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TINY = RunConfig(data=TextData(level="char", seq_len=8, train_size=100, val_size=10), units=4, embedding_dim=4,
                 epochs=1, batch_size=32)


@pytest.fixture
def at(tmp_path, monkeypatch):
    fakedata.write_imdb(tmp_path / "data", n_train=60, n_test=40)
    monkeypatch.setenv("RNNVIZ_DATA_DIR", str(tmp_path / "data"))
    st.cache_resource.clear()
    st.cache_data.clear()
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    return app


def test_language_model_controls_build_its_config(at):
    at.switch_page("pages/train.py").run()
    at.sidebar.radio(key="w_data").set_value("text").run()  # one language-model entry: raw text first
    assert at.sidebar.radio(key="w_source").value == "text"
    assert at.sidebar.selectbox(key="preset").value == "reviews-char-lm"
    at.sidebar.radio(key="w_source").set_value("imdb_lm").run()  # Keras's IMDB word ids are its other source
    assert not at.exception, at.exception
    assert at.sidebar.radio(key="w_data").value == "text" and at.sidebar.radio(key="w_source").value == "imdb_lm"
    assert at.sidebar.selectbox(key="preset").value == "imdb-char-lm"
    assert at.session_state["last_config"] == presets.get("imdb-char-lm").config
    at.sidebar.radio(key="w_imdb_lm_level").set_value("word").run()
    at.sidebar.select_slider(key="w_imdb_lm_vocab_size").set_value(1000).run()
    at.sidebar.slider(key="w_imdb_lm_train_size").set_value(300).run()
    assert not at.exception and not at.sidebar.error
    cfg = at.session_state["last_config"]
    assert cfg.data == TextData(level="word", vocab_size=1000, seq_len=100, train_size=300, val_size=500)
    assert "w_pooling" not in [w.key for w in at.sidebar.radio]  # a language model predicts every step


def test_stored_language_model_shows_perplexity_beside_the_baseline(at, tmp_path, monkeypatch):
    monkeypatch.setenv("RNNVIZ_HOME", str(tmp_path / "home"))
    run, _ = train_and_store(TINY, RunStore(tmp_path / "home"), data_dir=str(tmp_path / "data"))
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(TINY.to_query())
    at.switch_page("pages/train.py").run()
    next(b for b in at.button if b.label == "Train").click().run()
    for _ in range(60):
        if {"Validation perplexity", "Bits per character"} <= {m.label for m in at.metric}:
            break
        at.run()
    assert not at.exception, at.exception
    shown = {m.label: m.value for m in at.metric}
    assert shown["Validation perplexity"] == f"{run.metrics['val_perplexity']:.2f}"
    assert shown["Bits per character"] == f"{run.metrics['val_bpc']:.3f}"
    deltas = {m.label: m.proto.delta for m in at.metric}  # each against the n-gram: a change in %, and its value
    ratio = run.metrics["val_bpc"] / run.metrics["baseline_bpc"]
    assert deltas["Bits per character"] == f"{ratio - 1:+.1%} vs the n-gram's {run.metrics['baseline_bpc']:.3f}"
    spec = " ".join(c.proto.spec for c in at.get("plotly_chart"))
    assert "perplexity e^loss" in spec


def test_the_data_picker_has_one_language_model_entry_with_imdb_word_ids_as_a_source():
    """Issue 24, item 2: the text kind is the one language-model kind; `imdb_lm` (Keras's word ids) is one of its
    sources, and its runs, presets and links keep their name."""
    assert [k for k in tasks.PICKED if tasks.of(k).objective.name == "lm"] == ["text"]
    assert tasks.sources("text") == ("text", "imdb_lm") and tasks.picked("imdb_lm") == "text"
    assert tasks.sources("cosine") == ("cosine",) and set(tasks.PICKED) | {"imdb_lm"} == set(tasks.TASKS)
