"""Tests for rnnviz.inspect.write and the Write page: sampling is reproducible for a fixed seed, temperature 0 is
greedy, out-of-range temperatures are clamped with a note, an empty prompt starts from the start token,
unknown words are dropped and listed, writing steps the model exactly as its own outputs (each token drawn from
the distribution before it, each state read after it), the letters stay readable on their squares, and
`find_units` finds a planted unit."""

import json
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from rnnviz.config import RunConfig, TextData
from rnnviz.data import lm
from rnnviz.data import loaders as data
from rnnviz.inspect import write
from rnnviz.store import RunStore
from rnnviz.training.jobs import train_and_store
from tests import fakedata

APP = str(Path(__file__).resolve().parent.parent / "app.py")
CFG = RunConfig(data=TextData(level="char", seq_len=8, train_size=100, val_size=10), units=4, embedding_dim=4,
                epochs=2, batch_size=32)


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    root = tmp_path_factory.mktemp("write")
    fakedata.write_imdb(root / "data", n_train=60, n_test=40)
    run, _ = train_and_store(CFG, RunStore(root / "home"), data_dir=str(root / "data"))
    return root, run


def test_sampling_is_reproducible_and_greedy_at_zero(stored):
    _, run = stored
    model, tokens = run.load_model(), lm.char_tokens()
    a = write.generate(model, tokens, "the movie", 12, temperature=1.5, seed=3)
    b = write.generate(model, tokens, "the movie", 12, temperature=1.5, seed=3)
    assert a.ids == b.ids and np.array_equal(a.states, b.states) and a.note == ""
    greedy = write.generate(model, tokens, "the movie", 12, temperature=0, seed=99)
    assert greedy.ids == [tokens.symbols.index(top[0][0]) for top in greedy.top]  # always the most likely
    assert all(abs(sum(p for _, p in top)) <= 1 + 1e-6 and top[0][1] >= top[-1][1] for top in greedy.top)
    assert greedy.states.shape == (12, CFG.units)


def test_bad_input_is_named_not_raised(stored):
    _, run = stored
    model, tokens = run.load_model(), lm.char_tokens()
    hot = write.generate(model, tokens, "hello, wörld!", 2, temperature=9)
    assert hot.temperature == 5.0 and "outside [0, 5]" in hot.note
    assert hot.dropped == [",", "ö", "!"] and tokens.text(hot.prompt) == "hello wrld"
    assert write.clamp_temperature(-1)[0] == 0.0 and write.clamp_temperature(float("nan"))[0] == 0.0
    with pytest.raises(ValueError, match="Received: length=0"):
        write.generate(model, tokens, "", 0)
    words = lm.word_tokens({w: r for r, w in enumerate(fakedata.WORDS, 1)}, 100)
    ids, dropped = words.encode("the zorblax movie")
    assert words.decode(ids) == ["the", "movie"] and dropped == ["zorblax"]


def test_find_units_ranks_a_planted_unit_first():
    tokens = lm.char_tokens()
    ids, _ = tokens.encode("the cat sat on the mat and then it ran away")
    feats = write.features(tokens, ids.tolist())
    rng = np.random.default_rng(0)
    states = rng.normal(size=(len(ids), 6))
    states[:, 4] = feats["position in the word"] * 0.3 + rng.normal(0, 0.01, len(ids))
    rows = [r for r in write.find_units(states, feats) if r["feature"] == "position in the word"]
    assert rows[0]["unit"] == 4 and rows[0]["r"] > 0.99
    assert feats["position in the word"][:5].tolist() == [1, 2, 3, 0, 1]  # "the c": counts restart at spaces


def test_write_page(stored, monkeypatch):
    root, _run = stored
    monkeypatch.setenv("RNNVIZ_HOME", str(root / "home"))
    monkeypatch.setenv("RNNVIZ_DATA_DIR", str(root / "data"))
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/write.py").run()
    assert not at.exception, at.exception
    assert "Empty prompt" in " ".join(c.value for c in at.caption)
    assert "`None`" not in [m.value for m in at.markdown], "a bare expression printed by Streamlit's magic"
    at.text_input(key="w_keep_write_prompt").set_value("the movie!").run()
    at.number_input(key="w_keep_write_temperature").set_value(7.0).run()
    assert not at.exception, at.exception
    assert "outside [0, 5]" in " ".join(i.value for i in at.info)
    assert "'!'" in " ".join(w.value for w in at.warning)
    assert len(at.get("plotly_chart")) == 1 and len(at.dataframe) == 1
    at.number_input(key="w_keep_write_temperature").set_value(0.0).run()  # greedy: each token is its top choice
    assert not at.exception, at.exception
    hover = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["hovertext"]
    for text in hover:  # the hover names the distribution the token was drawn from (it said "after" the token)
        token, listed = text.split(" was drawn from: ")
        assert listed.startswith(token + " "), text
    epochs = next(s for s in at.select_slider if s.label.startswith("Epoch"))
    epochs.set_value(0).run()  # what the untrained model writes
    assert not at.exception, at.exception
    assert data.empty(CFG.data).n_outputs == lm.CHAR_VOCAB


def test_writing_steps_the_model_as_its_own_outputs_at_every_position(stored):
    _, run = stored
    model, tokens = run.load_model(), lm.char_tokens()
    w = write.generate(model, tokens, "", 7, temperature=0)  # with the start token: one window of seq_len = 8
    seq = np.asarray([[lm.START, *w.ids]], "int32")
    import keras

    from rnnviz import probe

    probs = keras.ops.convert_to_numpy(model(seq))[0]  # (8, vocab): the model's own next-token probabilities
    for i, top in enumerate(w.top):  # token i was drawn from the distribution after the tokens before it
        assert top[0][0] == tokens.symbols[int(np.argmax(probs[i]))]
        np.testing.assert_allclose(top[0][1], probs[i].max(), atol=1e-6)
    h = probe.probe_model(model, seq)[0].states  # the float64 recompute, (1, 8, units)
    np.testing.assert_allclose(w.states, h[0, 1:], atol=1e-5)  # the state AFTER reading each written token


def test_text_on_every_square_is_readable():
    from rnnviz.plots import charts, style

    fig = charts.writing_figure(list("abcde"), np.array([-1.0, -0.3, 0.0, 0.4, 1.0]), ["h"] * 5, "t")
    colours = charts.px_colors.sample_colorscale(style.DIVERGING, [0.0, 0.35, 0.5, 0.7, 1.0])
    for text, square in zip(fig.data[0].textfont.color, colours):
        assert style.contrast_ratio(text, charts._hex(square)) >= 4.5, (text, square)
