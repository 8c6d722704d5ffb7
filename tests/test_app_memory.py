"""The adding problem and the Sweep page under Streamlit's AppTest: Compare opens on it, Train shows the baseline
beside the MSE, the Inspect pages mark the two marked steps, and a sweep trains, shows, links and reloads."""

import base64
import json
import time
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from rnnviz.config import MemoryData, RunConfig
from rnnviz.store import RunStore
from rnnviz.training import sweep
from rnnviz.training.jobs import train_and_store

APP = str(Path(__file__).resolve().parent.parent / "app.py")
MEMORY = RunConfig(data=MemoryData(steps=8, samples=200), units=3, epochs=2, batch_size=32)
TINY = {"w_memory_steps": 8, "w_memory_samples": 200, "w_units": 3, "w_epochs": 1, "w_batch_size": 32}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A run store with a tiny adding-problem trio (trained once for the module)."""
    root = tmp_path_factory.mktemp("memory")
    store = RunStore(root / "home")
    for cell in ("simple_rnn", "lstm", "gru"):
        train_and_store(MEMORY.replace(cell=cell), store)
    return root


@pytest.fixture
def at(seeded, monkeypatch):
    monkeypatch.setenv("RNNVIZ_HOME", str(seeded / "home"))
    st.cache_resource.clear()
    st.cache_data.clear()
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    return app


def specs(at) -> str:
    return " ".join(c.proto.spec for c in at.get("plotly_chart"))


def test_compare_opens_on_the_memory_trio(at):
    at.switch_page("pages/compare.py").run()
    assert not at.exception
    assert at.sidebar.radio(key="w_data").value == "memory" and at.session_state["preset"] == "memory-lstm"
    assert at.sidebar.slider(key="w_memory_steps").value == 50
    for key, value in {"w_memory_steps": 8, "w_memory_samples": 200, "w_units": 3, "w_epochs": 2}.items():
        at.sidebar.slider(key=key).set_value(value)
    at.sidebar.select_slider(key="w_batch_size").set_value(32).run()
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value["stored"]).count("yes") == 3  # the seeded trio is this one
    at.multiselect(key="compare_runs").set_value([MEMORY.replace(cell=c).run_id for c in ("simple_rnn", "lstm",
                                                                                         "gru")]).run()
    assert not at.exception, at.exception
    table = at.dataframe[1].value
    assert {"best validation MSE", "baseline MSE"} <= set(table.columns)
    captions = " ".join(c.value for c in at.caption)
    assert "Baseline MSE (answering the training mean" in captions
    assert "the goal is 1/16 of it" in captions and "target is 1/16" not in captions  # 'target' means the sum here
    assert "baseline MSE" in specs(at)  # the baseline drawn across the loss curves
    # the answer is known, so Compare grades where each run looked instead of the epoch-0 gradient rule
    assert "What did it look at?" in [h.value for h in at.subheader]
    assert "Gradient flow over time" not in [h.value for h in at.subheader]
    assert "cannot tell" not in " ".join(c.value for c in at.caption)
    at.select_slider(key="compare_looked_epoch").set_value(0)
    at.number_input(key="compare_looked_sample").set_value(3).run()
    assert not at.exception, at.exception
    steps = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "Sample 3 at epoch 0" in c.proto.spec)
    x = steps["data"][0]["x"]  # plotly sends numpy arrays as {"dtype", "bdata": base64}
    x = np.frombuffer(base64.b64decode(x["bdata"]), x["dtype"]) if isinstance(x, dict) else x
    assert len(steps["data"]) == 3 and list(x) == list(range(1, 9))  # three runs, eight steps
    assert sum(1 for a in steps["layout"]["annotations"] if a["text"].startswith("mark ")) == 2


def test_train_shows_the_mse_beside_the_baseline(at):
    at.switch_page("pages/train.py").run()
    at.sidebar.radio(key="w_data").set_value("memory").run()
    assert at.session_state["preset"] == "memory-lstm"
    for key, value in {"w_memory_steps": 8, "w_memory_samples": 200, "w_units": 3, "w_epochs": 2}.items():
        at.sidebar.slider(key=key).set_value(value)
    at.sidebar.select_slider(key="w_batch_size").set_value(32).run()
    assert not at.exception, at.exception
    run = RunStore().load(MEMORY.replace(cell="lstm").run_id)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Validation MSE"] == f"{run.metrics['val_mse']:.4f}"
    assert metrics["Baseline MSE (constant answer)"] == f"{run.metrics['baseline_mse']:.4f}"
    assert "constant answer (baseline MSE" in specs(at)


@pytest.mark.parametrize("cell", ["lstm", "gru", "simple_rnn"])
def test_inspect_pages_mark_the_two_steps(at, cell):
    cfg = MEMORY.replace(cell=cell)
    for page in ("pages/inspect_states.py", "pages/inspect_gates.py", "pages/inspect_predictions.py"):
        at.switch_page(page).run()
        at.selectbox(key="w_inspect_run").set_value(cfg.run_id).run()
        assert not at.exception, (page, at.exception)
        text = specs(at)
        if page.endswith("predictions.py"):  # not Train's scatter again: the error by gap, and one sequence
            assert "baseline MSE" in text and "Error by how long the first value must be held" in text
            assert "validation sequences:" not in text and '"text":"mark 1: ' in text
            continue
        assert '"text":"mark 1: ' in text  # the sample, its marked values labelled
        if page.endswith("states.py"):  # the heatmap's time axis, and the state's path
            assert '"text":"mark 1"' in text and '"text":["mark 1","mark 2"]' in text
        else:  # the gate curves' and the heatmaps' time axes
            assert text.count('"text":"mark 1"') == 2 and '"dash":"dash"' in text
    info = " ".join(i.value for i in at.switch_page("pages/inspect_gates.py").run().info)
    assert ("forget gate f averaged" if cell == "lstm" else "update gate z averaged" if cell == "gru"
            else "no gate to hold the first value") in info


@pytest.mark.slow  # long: 10-60 s on a busy 2-core machine; the full run (README, CI) keeps it
def test_sweep_page_trains_shows_and_reloads(at):
    at.switch_page("pages/sweep.py").run()
    assert not at.exception
    at.sidebar.radio(key="w_data").set_value("memory").run()
    for key, value in TINY.items():
        (at.sidebar.select_slider if key == "w_batch_size" else at.sidebar.slider)(key=key).set_value(value)
    at.run()
    assert at.selectbox(key="sweep_field_0").value == "cell"
    at.selectbox(key="sweep_field_1").set_value("steps").run()
    assert at.text_input(key="sweep_values_1").value == "10,25,50,100"  # suggested for the field
    at.text_input(key="sweep_values_0").set_value("simple_rnn,gru")
    at.text_input(key="sweep_values_1").set_value("8,10").run()
    assert not at.exception, at.exception
    assert "2 × 2 = 4 runs" in " ".join(m.value for m in at.markdown)
    assert at.query_params["vary"] == "cell=simple_rnn,gru;steps=8,10"  # the shareable link
    next(b for b in at.button if b.label == "Run the sweep").click().run()
    info = " ".join(i.value for i in at.info)  # just queued: not "Press Run the sweep" while it runs
    assert "The results appear here when this sweep's runs have ended." in info and "Press" not in info
    end = time.time() + 240
    while not (at.dataframe and len(at.dataframe[0].value) == 4):
        assert time.time() < end, "the sweep did not finish"
        time.sleep(0.5)
        at.run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert len(table) == 4 and list(table["cell"]) == ["simple_rnn", "simple_rnn", "gru", "gru"]
    assert (table["state"] == "done").all() and table["val_mse"].notna().all()
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    lines = {t["name"] for t in chart["data"] if not t["name"].startswith("baseline")}  # (tiny data sets: each
    assert lines == {"SimpleRNN", "GRU"}  # steps value's own baseline may differ by more than 10%) one line per cell
    assert at.get("download_button")[0].proto.label == "Download the table (CSV)"
    _vary, configs = sweep.from_items(MEMORY.replace(epochs=1), ["cell=simple_rnn,gru", "steps=8,10"])
    assert all(RunStore().has(c.run_id) for c in configs)  # ordinary stored runs
    # the same link in a new session: the grid comes back and the stored results show without training
    st.cache_resource.clear()
    again = AppTest.from_file(APP, default_timeout=120)
    again.query_params.update({**at.query_params})
    again.switch_page("pages/sweep.py").run()
    assert not again.exception, again.exception
    assert again.text_input(key="sweep_values_1").value == "8,10"
    assert len(again.dataframe[0].value) == 4 and not again.dataframe[0].value["cached"].eq(False).any()


def test_sweep_page_names_a_bad_value(at):
    at.switch_page("pages/sweep.py").run()
    at.text_input(key="sweep_values_0").set_value("lstm,tree").run()
    assert not at.exception
    assert "`cell` must be one of" in at.error[0].value and "tree" in at.error[0].value
    assert not any(b.label == "Run the sweep" for b in at.button)


def test_sweep_picker_suggests_values_and_drops_the_second_field(at):
    at.switch_page("pages/sweep.py").run()
    at.selectbox(key="sweep_field_0").set_value("units").run()
    assert at.text_input(key="sweep_values_0").value == "16,32,64"  # half, the value, double (cosine-lstm: 32)
    at.selectbox(key="sweep_field_1").set_value("seed").run()
    at.selectbox(key="sweep_field_1").set_value("(none)").run()
    assert not at.exception, at.exception
    assert at.text_input(key="sweep_values_1").value == "" and at.text_input(key="sweep_values_1").disabled
    assert "3 = 3 runs" in " ".join(m.value for m in at.markdown)
    assert at.query_params["vary"] == "units=16,32,64"


def test_compare_says_when_the_seed_is_not_the_default_and_sets_it_back(at):
    """Issue 22: Compare and Sweep silently took Train's seed, so the prepared trio was not shown."""
    at.switch_page("pages/compare.py").run()
    at.sidebar.number_input(key="w_seed").set_value(3)  # as a student's Train page leaves it (checked in Chromium)
    for key, value in {"w_memory_steps": 8, "w_memory_samples": 200, "w_units": 3, "w_epochs": 2}.items():
        at.sidebar.slider(key=key).set_value(value)
    at.sidebar.select_slider(key="w_batch_size").set_value(32).run()
    assert not at.exception, at.exception
    note = next(i.value for i in at.info if "Seed **3**" in i.value)
    assert "not shown as stored" in note
    assert list(at.dataframe[0].value["stored"]) == ["no"] * 3  # seed 3: other runs
    at.button(key="seed_default").click().run()
    assert not at.exception, at.exception
    assert at.sidebar.number_input(key="w_seed").value == 0
    assert not [i for i in at.info if "Seed **" in i.value]
    assert list(at.dataframe[0].value["stored"]) == ["yes"] * 3  # the seeded trio, seed 0
    assert len(at.multiselect(key="compare_runs").value) == 3  # the untouched picker follows to the stored trio


def test_sweep_says_when_the_seed_is_not_the_default_and_sets_it_back(at):
    """Issue 22: Sweep, like Compare, silently took Train's seed; it now says so, with a button to set it back."""
    at.switch_page("pages/sweep.py").run()
    at.sidebar.number_input(key="w_seed").set_value(3).run()
    assert not at.exception, at.exception
    note = next(i.value for i in at.info if "Seed **3**" in i.value)
    assert "not shown as stored" in note
    at.button(key="seed_default").click().run()
    assert not at.exception, at.exception
    assert at.sidebar.number_input(key="w_seed").value == 0
    assert not [i for i in at.info if "Seed **" in i.value]
