"""The Inspect pages under Streamlit's AppTest, against tiny stored runs (cosine, IMDB and CIFAR-10 from the fake
files in tests/fakedata.py): every page renders its charts with titles and axis titles and no exception; the
review box changes the prediction; the epoch slider swaps the weights; no run or no data gives a message."""

import json
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from rnnviz.config import CifarData, ImdbData, RunConfig
from rnnviz.jobs import train_and_store
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
    "peephole": tiny(cell="lstm_peephole", bidirectional=True),  # the LSTM variants (rnnviz.cells)
    "cifg": RunConfig(data=ImdbData(vocab_size=100, maxlen=16), cell="lstm_cifg", units=4, embedding_dim=4,
                      epochs=2, batch_size=16),
}
CHARTS = {  # (data, page) -> number of charts
    ("cosine", "states"): 3, ("cosine", "gates"): 4, ("cosine", "predictions"): 2,
    ("imdb", "states"): 2, ("imdb", "gates"): 3, ("imdb", "review"): 3, ("imdb", "predictions"): 2,
    ("cifar10", "states"): 3, ("cifar10", "gates"): 4, ("cifar10", "predictions"): 4,
    ("peephole", "states"): 3, ("peephole", "gates"): 4, ("cifg", "gates"): 3, ("cifg", "review"): 3,
}


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


@pytest.mark.parametrize("run, page", sorted(CHARTS))
def test_page_renders_with_labelled_charts(at, run, page):
    at = open_page(at, f"pages/inspect_{page}.py", run)
    out = assert_readable(at, CHARTS[(run, page)])
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
    assert "rnnviz.cells" in " ".join(m.value for m in at.markdown)


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
    assert_readable(at, 4)
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
        assert_readable(at, 4)
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
