"""The Inspect pages under Streamlit's AppTest, against tiny stored runs (cosine, IMDB and CIFAR-10 from the fake
files in tests/fakedata.py): every page renders its charts with titles and axis titles and no exception; the
review box changes the prediction; the epoch slider swaps the weights; no run or no data gives a message."""

import base64
import json
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from rnnviz.config import CifarData, ImdbData, RunConfig
from rnnviz.training.jobs import train_and_store
from rnnviz.store import RunStore
from tests import fakedata
from tests.conftest import tiny

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = ["pages/inspect_states.py", "pages/inspect_gates.py", "pages/inspect_review.py", "pages/inspect_predictions.py"]
CONFIGS = {
    "cosine": tiny(cell="lstm"),
    # lr 0.03: the review box test needs a model that has learned the fake data's sentiment words on every
    # backend (at Adam's default lr two epochs leave predictions within 1e-3 of each other under JAX)
    "imdb": RunConfig(data=ImdbData(vocab_size=100, maxlen=16), cell="gru", units=4, embedding_dim=4, epochs=2,
                      batch_size=16, learning_rate=0.03),
    "cifar10": RunConfig(data=CifarData(), cell="lstm", units=4, epochs=2, batch_size=8),
    "simple": tiny(cell="simple_rnn", bidirectional=True),
    "peephole": tiny(cell="lstm_peephole", bidirectional=True),  # the LSTM variants (rnnviz.models.keras_cells)
    "cifg": RunConfig(data=ImdbData(vocab_size=100, maxlen=16), cell="lstm_cifg", units=4, embedding_dim=4,
                      epochs=2, batch_size=16),
}
CHARTS = {  # (data, page) -> number of charts (Gates: without the saturation chart, see `gates_charts`)
    ("cosine", "states"): 3, ("cosine", "gates"): 3, ("cosine", "predictions"): 2,
    ("imdb", "states"): 2, ("imdb", "gates"): 2, ("imdb", "review"): 3, ("imdb", "predictions"): 2,
    ("cifar10", "states"): 3, ("cifar10", "gates"): 3, ("cifar10", "predictions"): 4,
    ("peephole", "states"): 3, ("peephole", "gates"): 3, ("cifg", "gates"): 2, ("cifg", "review"): 3,
}
NO_SATURATION = "No value is saturated"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A run store with one tiny run per data set (trained once for the module), and the fake data folder."""
    root = tmp_path_factory.mktemp("inspect")
    data = root / "data"
    fakedata.write_imdb(data, n_train=40, n_test=30)
    fakedata.write_cifar(data, train_sizes=(12, 8), n_test=10)
    store = RunStore(root / "home")
    for cfg in CONFIGS.values():
        train_and_store(cfg, store, data_dir=str(data))
    return root


@pytest.fixture
def at(seeded, monkeypatch):
    monkeypatch.setenv("RNNVIZ_HOME", str(seeded / "home"))
    monkeypatch.setenv("RNNVIZ_DATA_DIR", str(seeded / "data"))
    st.cache_resource.clear()
    st.cache_data.clear()
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    return app


def open_page(at, page: str, run: str):
    at.switch_page(page).run()
    at.selectbox(key="w_inspect_run").set_value(CONFIGS[run].run_id).run()
    return at


def specs(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def assert_readable(at, n_charts: int) -> list[dict]:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    out = specs(at)
    assert len(out) == n_charts, [s["layout"]["title"]["text"] for s in out]
    for spec in out:
        layout = spec["layout"]
        title = layout["title"]["text"]
        axes = {k: (v.get("title") or {}).get("text") for k, v in layout.items() if k[1:5] == "axis"}
        axes.update({f"scene.{k}": (v.get("title") or {}).get("text") for k, v in layout.get("scene", {}).items()
                     if k.endswith("axis")})
        assert title and any(t for k, t in axes.items() if "x" in k) and any(t for k, t in axes.items() if "y" in k), (
            title, axes)
    return out


def gates_charts(at, n: int) -> int:
    """The Gates page's chart count: `n`, plus the saturation chart unless one line says nothing is saturated
    (whether a tiny run's gates reach 0.1 or 0.9 may differ between backends)."""
    line = [m.value for m in at.markdown if m.value.startswith(NO_SATURATION)]
    titles = [s["layout"]["title"]["text"] for s in specs(at)]
    assert bool(line) != any(t.startswith("Saturation:") for t in titles), (line, titles)  # one or the other
    return n if line else n + 1


@pytest.mark.parametrize("run, page", sorted(CHARTS))
def test_page_renders_with_labelled_charts(at, run, page):
    at = open_page(at, f"pages/inspect_{page}.py", run)
    n = CHARTS[(run, page)]
    out = assert_readable(at, gates_charts(at, n) if page == "gates" else n)
    titles = " | ".join(s["layout"]["title"]["text"] for s in out)
    expected = {"states": "Hidden state h", "gates": "Gates and states of every unit", "review": "after each word",
                "predictions": {"cosine": "How the error grows", "imdb": "How sure the model is",
                                "cifar10": "had the image ended"}.get(run)}[page]
    assert expected in titles, titles


@pytest.mark.parametrize("run, shows", [("peephole", r"p_o \odot c_{t}"), ("cifg", r"i_t &= 1 - f_t")])
def test_variant_gates_page_shows_its_own_equations(at, run, shows):
    at = open_page(at, "pages/inspect_gates.py", run)
    assert not at.exception, at.exception
    assert any(shows in e.value for e in at.latex), [e.value for e in at.latex]
    assert "rnnviz.models.keras_cells" in " ".join(m.value for m in at.markdown)


def test_review_box_changes_the_prediction(at):
    at = open_page(at, "pages/inspect_review.py", "imdb")
    box = at.text_area(key="w_keep_inspect_review_text")
    probs = {}
    for text in ("great loved fun great fun", "bad awful boring bad the movie"):
        box.set_value(text).run()
        assert not at.exception, at.exception
        probs[text] = at.metric[0].delta
        assert any(text.split()[1] in m.value for m in at.markdown)  # the words as the model reads them
    assert len(set(probs.values())) == 2, probs
    box.set_value("great zorglub").run()
    assert any("~~zorglub~~" in m.value for m in at.markdown)  # unknown words shown as dropped
    titles = [s["layout"]["title"]["text"] for s in assert_readable(at, 3)]
    assert not any("Gates after each word" in t for t in titles)  # the GRU's chart also shows ĥ, not a gate
    assert any("update gate z, reset gate r, candidate ĥ" in t for t in titles), titles


def test_epoch_slider_swaps_the_weights(at):
    at = open_page(at, "pages/inspect_states.py", "cosine")
    slider = at.select_slider(key="w_inspect_epoch_" + CONFIGS["cosine"].run_id)
    assert slider.options == ["0", "1", "2"] and slider.value == 2
    trained = specs(at)[1]["data"][0]["z"]
    assert "of these states' variance" not in specs(at)[2]["layout"]["xaxis"]["title"]["text"]
    slider.set_value(0).run()
    assert_readable(at, 3)
    assert "(untrained)" in specs(at)[1]["layout"]["title"]["text"]
    assert "of these states' variance; " in specs(at)[2]["layout"]["xaxis"]["title"]["text"]  # the PCs' shares
    assert any("(untrained) are another cloud" in c.value for c in at.caption)  # of the states on screen
    assert specs(at)[1]["data"][0]["z"] != trained
    at.switch_page("pages/inspect_gates.py").run()  # the chosen epoch outlives the page switch
    assert "untrained" in specs(at)[-2]["layout"]["title"]["text"]


def test_bidirectional_simple_rnn_has_no_gates_and_a_direction(at):
    at = open_page(at, "pages/inspect_gates.py", "simple")
    at.radio(key="w_inspect_direction").set_value("backward").run()
    assert_readable(at, gates_charts(at, 3))
    assert any("no gates" in m.value for m in at.markdown)
    assert "backward" in specs(at)[-2]["layout"]["title"]["text"]


def test_states_in_3d_and_other_samples(at):
    at = open_page(at, "pages/inspect_states.py", "cifar10")
    at.radio(key="w_keep_inspect_dims").set_value(3)
    at.number_input(key="w_inspect_sample_cifar10").set_value(4).run()
    out = assert_readable(at, 3)
    assert out[2]["data"][-1]["type"] == "scatter3d"
    assert "Image 4" in out[0]["layout"]["title"]["text"]


def test_run_without_snapshots_has_a_note_instead_of_the_slider(at, seeded):
    snaps = seeded / "home" / "runs" / CONFIGS["cosine"].run_id / "snapshots.npz"
    info_path = snaps.parent / "info.json"
    info_text = info_path.read_text()
    info = json.loads(info_text)
    info["files"].pop("snapshots.npz")  # a run stored before snapshots existed lists no such file
    snaps.rename(snaps.with_suffix(".bak"))
    info_path.write_text(json.dumps(info))
    try:
        at = open_page(at, "pages/inspect_gates.py", "cosine")
        assert_readable(at, gates_charts(at, 3))
        assert not at.select_slider and any("before weight snapshots existed" in c.value for c in at.caption)
    finally:
        snaps.with_suffix(".bak").rename(snaps)
        info_path.write_text(info_text)


def test_unreadable_model_shows_the_fix(monkeypatch, tmp_path):
    import zipfile

    run, _ = train_and_store(tiny(epochs=1), RunStore(tmp_path / "home"))
    with zipfile.ZipFile(run.path / "model.keras", "w") as z:  # a sound zip (the store's checks pass) ...
        z.writestr("config.json", "not a Keras model")  # ... that Keras cannot load
    info = json.loads((run.path / "info.json").read_text())
    info["files"]["model.keras"] = (run.path / "model.keras").stat().st_size
    (run.path / "info.json").write_text(json.dumps(info))
    monkeypatch.setenv("RNNVIZ_HOME", str(tmp_path / "home"))
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    for page in ("pages/inspect_states.py", "pages/inspect_gates.py", "pages/inspect_predictions.py"):
        at.switch_page(page).run()
        assert not at.exception, at.exception
        assert any(f"Loading run {run.run_id} failed" in e.value for e in at.error)
        assert any("Retrain even if stored" in c.value for c in at.caption)


def test_no_stored_run_links_to_train(monkeypatch, tmp_path):
    monkeypatch.setenv("RNNVIZ_HOME", str(tmp_path / "empty"))
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, at.exception
        assert any("Train one first" in i.value for i in at.info)
        assert at.get("page_link")


def test_missing_data_shows_the_fix(at, monkeypatch):
    monkeypatch.delenv("RNNVIZ_DATA_DIR")
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at = open_page(at, "pages/inspect_predictions.py", "cifar10")
    assert not at.exception, at.exception
    assert any("prefetch cifar10" in e.value for e in at.error)


def test_damaged_runs_are_one_line_notes_on_every_picker(monkeypatch, tmp_path):
    """Issue 11 item 1: a mistyped info.json or a cut-short model.keras made Compare and Inspect raise."""
    import shutil

    store = RunStore(tmp_path / "home")
    good, _ = train_and_store(tiny(epochs=1), store)
    for name in ("number_created", "list_info", "cut_model"):
        shutil.copytree(good.path, store.runs / name)
    info = json.loads((good.path / "info.json").read_text())
    (store.runs / "number_created" / "info.json").write_text(json.dumps({**info, "created": 5}))
    (store.runs / "list_info" / "info.json").write_text("[1, 2]")
    model = store.runs / "cut_model" / "model.keras"
    model.write_bytes(model.read_bytes()[:100])
    (store.runs / ".tmp-notes").mkdir()
    monkeypatch.setenv("RNNVIZ_HOME", str(tmp_path / "home"))
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    for page in ("pages/inspect_states.py", "pages/compare.py"):
        at.switch_page(page).run()
        assert not at.exception, at.exception
        notes = [c.value for c in at.caption if c.value.startswith("Skipped a damaged run")]
        assert sorted(n.split(": ")[1] for n in notes) == [".tmp-notes", "cut_model", "list_info", "number_created"]
        assert all("\n" not in n for n in notes)
    assert (store.runs / ".tmp-notes").is_dir()  # the start-up clean-up left it alone


# ---------------------------------------------------------------- issue 16, item 5: Play, links, new figures


def open_link(at, page: str, link: dict[str, str]):
    """The page after a run with `link` as its query string (as a copied address opens it)."""
    at.switch_page(page)
    at.query_params.clear()
    at.query_params.update(link)
    return at.run()


def widget_values(at) -> dict:
    return {w.key: w.value for w in [*at.selectbox, *at.select_slider, *at.number_input, *at.radio, *at.slider,
                                      *at.text_area]}


def test_play_steps_the_epoch_slider_to_the_trained_model(at):
    """Play from the last epoch starts at 0; each tick of the player's timer (the timed fragment sets this
    flag; AppTest does not run timers, tests/test_browser_inspect.py does) moves one snapshot on, then it stops."""
    at = open_page(at, "pages/inspect_states.py", "cosine")
    key = "w_inspect_epoch_" + CONFIGS["cosine"].run_id
    assert at.select_slider(key=key).value == 2 and at.button(key=key + "_play").label == "Play"
    at.button(key=key + "_play").click().run()
    assert at.select_slider(key=key).value == 0 and at.button(key=key + "_play").label == "Pause"
    assert "(untrained)" in specs(at)[1]["layout"]["title"]["text"]
    for epoch, label in ((1, "Pause"), (2, "Play")):
        at.session_state[key + "_tick"] = True
        at.run()
        assert at.select_slider(key=key).value == epoch and at.button(key=key + "_play").label == label
        assert at.query_params["epoch"] == str(epoch)
    assert_readable(at, 3)
    at.session_state[key + "_tick"] = True  # a late tick after the last epoch changes nothing
    assert at.run().select_slider(key=key).value == 2
    at.button(key=key + "_play").click().run()  # Play again, then Pause: the slider stays where it is
    at.session_state[key + "_tick"] = True
    at.run()
    at.button(key=key + "_play").click().run()
    at.session_state[key + "_tick"] = True
    assert at.run().select_slider(key=key).value == 1 and at.button(key=key + "_play").label == "Play"


def test_inspect_links_reopen_the_same_view(at):
    cifar, imdb, cosine = (CONFIGS[k].run_id for k in ("cifar10", "imdb", "cosine"))
    link = {"run": cifar, "epoch": "1", "class": "cat", "sample": "1", "layer": "rnn_1", "dims": "3"}
    at = open_link(at, "pages/inspect_states.py", link)
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    values = widget_values(at)
    assert values["w_inspect_run"] == cifar and values["w_inspect_epoch_" + cifar] == 1
    assert values["w_inspect_class_cifar10"] == "cat" and values["w_inspect_sample_cifar10"] == 1
    assert values["w_keep_inspect_dims"] == 3 and specs(at)[2]["data"][-1]["type"] == "scatter3d"
    assert {k: at.query_params[k] for k in link} == link  # the address bar holds the view
    at.number_input(key="w_inspect_sample_cifar10").set_value(0).run()  # a change goes into the address
    assert at.query_params["sample"] == "0" and at.query_params["class"] == "cat"

    at = open_link(at, "pages/inspect_review.py", {"run": imdb, "text": "great fun", "epoch": "0"})
    assert widget_values(at)["w_keep_inspect_review_text"] == "great fun" and not at.warning
    assert at.query_params["text"] == "great fun" and at.query_params["epoch"] == "0"

    at = open_link(at, "pages/inspect_predictions.py", {"run": cosine, "steps": "9"})
    assert widget_values(at)["w_keep_inspect_free_steps"] == 9 and at.query_params["steps"] == "9"


@pytest.mark.parametrize("page, link, named", [
    ("pages/inspect_states.py", {"run": "nope"}, "`run` must be the id of a stored run"),
    ("pages/inspect_states.py", {"epoch": "banana"}, "`epoch` must be one of 0, 1, 2"),
    ("pages/inspect_states.py", {"epoch": "7"}, "Received: epoch='7'"),
    ("pages/inspect_states.py", {"sample": "-1"}, "`sample` must be a whole number from 0 to"),
    ("pages/inspect_states.py", {"sample": "1e9"}, "Received: sample='1e9'"),
    ("pages/inspect_states.py", {"layer": "rnn_9"}, "`layer` must be one of rnn_1"),
    ("pages/inspect_states.py", {"dims": "4"}, "`dims` must be one of 2, 3"),
    ("pages/inspect_gates.py", {"class": "zebra"}, "`class` must be one of any, airplane"),
    ("pages/inspect_gates.py", {"direction": "up"}, "`direction` must be one of forward, backward"),
    ("pages/inspect_predictions.py", {"steps": "0"}, "`steps` must be a whole number from 1 to"),
    ("pages/inspect_review.py", {"text": "x" * 3001}, "`text` must be at most 3000 characters"),
])
def test_bad_link_values_are_named_in_one_warning(at, page, link, named):
    run = {"class": "cifar10", "direction": "simple", "text": "imdb"}.get(next(iter(link)), "cosine")
    at = open_link(at, page, {"run": CONFIGS[run].run_id, **link} if "run" not in link else link)
    assert not at.exception, at.exception
    warned = [w.value for w in at.warning]
    assert len(warned) == 1 and named in warned[0] and "Showing" in warned[0], warned
    assert_readable(at, len(specs(at)))  # the page draws with the value it says it used instead


def test_review_words_coloured_by_their_change_in_p_positive(at):
    at = open_page(at, "pages/inspect_review.py", "imdb")
    at.text_area(key="w_keep_inspect_review_text").set_value("great fun bad awful").run()
    html = next(m.value for m in at.markdown if "<span" in m.value)
    assert [s.split(">")[-1] for s in html.split("</span>")[:-1]] == ["great", "fun", "bad", "awful"]
    y = specs(at)[0]["data"][0]["y"]  # P(positive) after <start> and each word (plotly may send it as bytes)
    readout = np.frombuffer(base64.b64decode(y["bdata"]), y["dtype"]) if isinstance(y, dict) else np.array(y)
    changes = [float(s.split('title="')[1].split('"')[0]) for s in html.split("</span>")[:-1]]
    np.testing.assert_allclose(changes, np.diff(readout), atol=6e-4)  # the hover numbers, to 3 decimals
    assert any("Red: the word raised P(positive); blue: it lowered it" in c.value for c in at.caption)


def test_error_by_horizon_is_drawn_against_repeating_the_last_value(at):
    at = open_page(at, "pages/inspect_predictions.py", "cosine")
    horizon = specs(at)[1]
    assert [t["name"] for t in horizon["data"]] == ["the model, running free", "repeat the last value (baseline)"]
    assert len(horizon["data"][1]["y"]) == len(horizon["data"][0]["y"])
