"""Fuzzing every page of the app under Streamlit's AppTest: random valid widget values, never a traceback.

The pages are read from `app.py`'s `st.navigation` (a new page is fuzzed without touching this file). A session
opens one page (odd seeds: from a shared link to a stored run), then, combination after combination, gives a
random share of the widgets it shows (one to all) random valid values: slider and select-slider ends, first
and last options, empty, single and full multiselects, number-input min and max, short strings with
punctuation and unicode. Now and then it clicks a button that does not start a training. After each rerun
nothing may raise and no element may show a traceback. The run store holds tiny runs of every data set
(`tests/fakedata.py` files), so Train, Compare and Inspect have something to show.

- `test_fuzz_quick`: 3 combinations per page (the default run).
- `test_fuzz_slow` (marker `slow`): 8 sessions x 8 combinations per page; `test_fuzz_tour`: sessions that
  also move between pages (values kept in the session must suit the next page). About 700 combinations.
- `test_*` below them: what the fuzz found, pinned as plain, deterministic tests.

Everything follows from `random.Random(f"{page}:{seed}:{tour}")`: a failure names the page, the seed, the
step, the widget values set then and everything before in that session, and the command that replays it.

    RNNVIZ_FUZZ_SEED=7 python -m pytest tests/test_fuzz.py -k quick     # the quick run with other seeds
    python -m pytest tests/test_fuzz.py -m "not slow"                    # without the long run
"""

from __future__ import annotations

import ast
import os
import random
import string
import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

from tests import fakedata
from tests.conftest import tiny

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
TRAINING_BUTTONS = {"Train", "Train the trio", "Run the sweep",  # never clicked: they start trainings
                    "Train them on this server now (everyone waits in one queue)"}
QUICK_STEPS = 3  # combinations per page in the default run
SLOW_SESSIONS, SLOW_STEPS = 8, 8  # per page in the slow run: 10 pages -> 640 combinations
TOUR_SESSIONS, TOUR_STEPS = 6, 20  # and sessions wandering over all pages (about 60% of steps are combinations)
SEED = int(os.environ.get("RNNVIZ_FUZZ_SEED", "0"))
TEXT = (string.ascii_letters + string.digits + string.punctuation + "   "
        + "éüßñøçÅ—–…’“”«»¿¡€£°±×÷µ§¶ Ωπσ∑√∞≠≤≥ абвгд 你好世界 こんにちは 한국어 مرحبا שלום 😀🎬👍🔥 \u200b\u00a0")


def app_pages() -> list[str]:
    """The page files `app.py` names in `st.Page(...)`, in navigation order."""
    calls = [n for n in ast.walk(ast.parse(APP.read_text())) if isinstance(n, ast.Call)
             and getattr(n.func, "attr", None) == "Page" and n.args and isinstance(n.args[0], ast.Constant)]
    return [n.args[0].value for n in sorted(calls, key=lambda n: (n.lineno, n.col_offset))]


PAGES = app_pages()


# ---------------------------------------------------------------- a store with a few tiny runs


def seed_configs() -> list:
    """Tiny runs of every data set: a two-layer cosine trio (Compare draws everything; layer picker), a
    bidirectional masked IMDB GRU (direction picker, padding), a CIFAR-10 SimpleRNN (image grid),
    an adding-problem LSTM (marked steps) and the LSTM variants (a bidirectional peephole LSTM on cosine, a
    CIFG LSTM on the adding problem) and a character-level IMDB language model."""
    from rnnviz.config import CifarData, ImdbData, MemoryData, RunConfig, TextData

    return [
        *(tiny(cell=cell, layers=2) for cell in ("simple_rnn", "lstm", "gru")),  # a stored trio, two layers
        RunConfig(data=ImdbData(vocab_size=1000, maxlen=16), cell="gru", bidirectional=True, units=4,
                  embedding_dim=4, epochs=2, batch_size=16),
        RunConfig(data=CifarData(), cell="simple_rnn", units=4, epochs=2, batch_size=8),
        RunConfig(data=MemoryData(steps=8, samples=200), cell="lstm", units=3, epochs=2, batch_size=32),
        tiny(cell="lstm_peephole", bidirectional=True),
        RunConfig(data=MemoryData(steps=8, samples=200), cell="lstm_cifg", units=3, epochs=2, batch_size=32),
        RunConfig(data=TextData(level="char", seq_len=8, train_size=100, val_size=10), units=4, embedding_dim=4,
                  epochs=2, batch_size=32),
    ]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """`(run store folder, data folder)`: the tiny runs, trained once for the whole module."""
    from rnnviz.training.jobs import train_and_store
    from rnnviz.store import RunStore

    base = tmp_path_factory.mktemp("fuzz")
    data_dir = base / "data"
    fakedata.write_imdb(data_dir)
    fakedata.write_cifar(data_dir, n_test=50)  # every class in the test set (see test_empty_class_...)
    with pytest.MonkeyPatch.context() as mp:  # no download, no user cache
        mp.setenv("RNNVIZ_OFFLINE", "1")
        mp.setenv("KERAS_HOME", str(base / "keras_home"))
        store = RunStore(base / "rnnviz_home")
        for cfg in seed_configs():
            run, _ = train_and_store(cfg, store, data_dir=str(data_dir))
            assert run is not None, cfg
    return base / "rnnviz_home", data_dir


@pytest.fixture
def fuzz_env(seeded, monkeypatch):
    """This test's environment points at the seeded store and the fake data; Streamlit caches are cleared."""
    home, data_dir = seeded
    monkeypatch.setenv("RNNVIZ_HOME", str(home))
    monkeypatch.setenv("RNNVIZ_DATA_DIR", str(data_dir))
    st.cache_resource.clear()  # a fresh trainer over the seeded store
    st.cache_data.clear()


# ---------------------------------------------------------------- random valid values, as a browser sends them


def _as_sent(widget, fill) -> None:
    """Makes the next run receive `fill(WidgetState)` for this widget, the way the frontend sends it.

    Radios, selectboxes, select sliders and multiselects send their options' labels (after `format_func`).
    AppTest's `set_value` wants the raw option and cannot map a label back through, e.g., `dict.get`, so
    the state is written directly.
    """
    ws = WidgetState()
    ws.id = widget.id
    fill(ws)
    widget._assert_can_interact()
    widget.__class__ = type(f"Sent{type(widget).__name__}", (type(widget),),
                            {"_widget_state": property(lambda self: ws)})


def _number(rng: random.Random, lo, hi, step, integer: bool):
    """A value on the step grid from `lo` to `hi`; a third of the time one of the ends."""
    if rng.random() < 1 / 3:
        return rng.choice([lo, hi])
    if integer:
        return rng.randrange(int(lo), int(hi) + 1, max(1, int(step or 1)))
    n = int(round((hi - lo) / step)) if step else 1000
    return min(hi, round(lo + (step or (hi - lo) / 1000) * rng.randint(0, n), 10))


def _text(rng: random.Random, max_chars: int = 0) -> str:
    n = rng.choice([0, 1, 2, 5, 12, 30, 80])
    s = "".join(rng.choice(TEXT) for _ in range(n))
    return s[:max_chars] if max_chars else s


def _pick(rng: random.Random, options: list[str]) -> str:
    """An option; a third of the time the first or the last."""
    return rng.choice([options[0], options[-1]]) if rng.random() < 1 / 3 else rng.choice(options)


def _widgets(at) -> list:
    """The enabled input widgets of an AppTest (main area and sidebar) or of one of its blocks."""
    kinds = ("slider", "select_slider", "radio", "selectbox", "multiselect", "toggle", "checkbox",
             "number_input", "text_input", "text_area")
    return [w for kind in kinds for w in getattr(at, kind) if not w.disabled]


def _set_random(w, rng: random.Random):
    """Gives one widget a random valid value; returns it (as the user sees it for option widgets)."""
    p = w.proto
    if w.type == "slider":
        integer = p.data_type == p.INT
        lo, hi = (int(p.min), int(p.max)) if integer else (p.min, p.max)
        v = _number(rng, lo, hi, p.step, integer)
        if isinstance(w.value, (tuple, list)):  # a range slider
            v = tuple(sorted([v, _number(rng, lo, hi, p.step, integer)]))
        w.set_value(v)
    elif w.type == "number_input":
        integer = p.data_type == p.INT
        lo = p.min if p.has_min else -1_000_000
        hi = p.max if p.has_max else 1_000_000
        v = _number(rng, int(lo) if integer else lo, int(hi) if integer else hi, p.step or 1, integer)
        w.set_value(v)
    elif w.type in ("toggle", "checkbox"):
        v = rng.random() < 0.5
        w.set_value(v)
    elif w.type in ("text_input", "text_area"):
        v = _text(rng, p.max_chars)
        w.set_value(v)
    elif w.type == "multiselect":
        n = len(w.options)
        k = min(rng.choice([0, 1, 2, n, rng.randint(0, n)]), n, p.max_selections or n)
        v = rng.sample(w.options, k)  # in the order a user would click them
        _as_sent(w, lambda ws: ws.string_array_value.data.extend(v))
    elif w.type == "select_slider":
        v = _pick(rng, w.options)
        _as_sent(w, lambda ws: ws.string_array_value.data.append(v))
    else:  # radio, selectbox
        v = _pick(rng, w.options)
        _as_sent(w, lambda ws: setattr(ws, "string_value", v))
    return v


def randomize(at: AppTest, rng: random.Random) -> dict[str, object]:
    """One combination: a random share of the page's widgets (from one to all of them; a third of the time
    only those of the main area, as when a student plays with a result) get random valid values, and
    sometimes a button that does not start a training is clicked. Returns what was set."""
    scope = at.main if rng.random() < 0.35 else at  # sometimes only the page's own controls, not the sidebar
    widgets = [w for w in _widgets(scope) if w.type not in ("radio", "selectbox", "select_slider", "multiselect")
               or w.options]
    share = rng.choice([0.0, 0.1, 0.3, 0.6, 1.0])  # 0: exactly one widget
    changed = [w for w in widgets if rng.random() < share] or rng.sample(widgets, min(1, len(widgets)))
    chosen = {(w.key or f"{w.type} {w.label!r}"): _set_random(w, rng) for w in changed}
    buttons = [b for b in [*at.button, *at.get("download_button")]
               if not b.disabled and b.label not in TRAINING_BUTTONS]
    if buttons and rng.random() < 0.25:
        b = rng.choice(buttons)
        b.click()
        chosen[f"clicked {b.type}"] = b.label
    return chosen


# ---------------------------------------------------------------- the checks


def problems(at: AppTest) -> list[str]:
    """Exceptions shown, and any element whose text is a Python traceback."""
    found = [f"exception: {e.proto.message}\n" + "\n".join(e.stack_trace) for e in at.exception]
    for node in [*at.main, *at.sidebar]:  # every element (a block yields itself and all below it)
        try:
            text = str(getattr(node, "value", "") or "")
        except Exception:  # elements without a value (charts, blocks)
            continue
        if "Traceback (most recent call last)" in text:
            found.append(f"{node.type} showing a traceback: {text[:2000]}")
    return found


PAGE_LINK_KEYS = {  # the Inspect and Learn pages' own query keys (rnnviz.ui.links), fuzzed with odd seeds' links
    "inspect": ("epoch", "sample", "class", "layer", "direction"), "inspect_states": ("dims",),
    "inspect_predictions": ("steps",), "inspect_review": ("text",),
    "learn_rnn": ("steps", "input", "units", "seed", "t", "functions", "slope", "xmax"),
    "learn_cells": ("cell", "steps", "input", "units", "seed", "t", "unit"),
    "learn_memory": ("radius", "units", "steps", "input", "seed", "forget_bias"),
}
LINK_VALUES = ["0", "1", "2", "3", "-1", "0.5", "1e999", "nan", "banana", "", "rnn_1", "rnn_2", "backward", "cat",
               "gru", "tanh,relu", "9999", "😀 x"]  # values some key takes, and values none takes


def page_link(page: str, run_id: str, rng: random.Random) -> dict[str, str]:
    """A link to the stored run (Inspect and Write pages) with some of the page's own keys at random values."""
    stem = Path(page).stem
    keys = [*PAGE_LINK_KEYS.get(stem, ()), *(PAGE_LINK_KEYS["inspect"] if stem.startswith("inspect") else ())]
    out = {"run": run_id} if stem.startswith("inspect") or stem == "write" else {}
    return {**out, **{k: rng.choice(LINK_VALUES) for k in keys if rng.random() < 0.5}}


def fuzz_session(page: str, seed: int, steps: int, kind: str, tour: bool = False) -> tuple[int, str | None]:
    """One browser-like session on `page`: `steps` random combinations, each checked.

    Odd seeds open the page from a shared link to one of the stored runs (its config in the URL, and on the
    Inspect, Write and Learn pages their own keys at random, often invalid, values: `page_link`), so the
    Train and Compare pages start on results rather than on "not trained yet". A `tour` also moves to a
    random page of the app before a combination, now and then (values kept across pages get checked too).

    Returns:
        `(combinations run, None)`, or the failure report (page, seed, widget values, replay command).
    """
    rng = random.Random(f"{page}:{seed}:{tour}")
    at = AppTest.from_file(str(APP), default_timeout=120)
    link = rng.choice(seed_configs()) if seed % 2 else None
    if link is not None:
        at.query_params.update({**link.to_query(), **page_link(page, link.run_id, rng)})
    at.run()
    at.switch_page(page).run()
    history = [f"opened {page}" + (f" from a link to run {link.run_id} ({link.summary()})" if link else "")]
    start, combinations = page, 0
    for step in range(steps + 1):
        if step and tour and rng.random() < 0.4:
            page = rng.choice(PAGES)
            history.append(f"went to {page}")
            try:
                at.switch_page(page).run()
            except Exception as e:  # a timeout
                found = [f"{type(e).__name__}: {e}"]
            else:
                found = problems(at)
        elif step:
            history.append(f"{page}: {randomize(at, rng)}")
            combinations += 1
            try:
                at.run()
            except Exception as e:  # a timeout, or AppTest refusing a value
                found = [f"{type(e).__name__}: {e}"]
            else:
                found = problems(at)
        else:
            found = problems(at)
        if found:
            earlier = "".join(f"\n  {i}. {c}" for i, c in enumerate(history[:-1]))
            test = kind if tour else f"{kind} and {Path(start).stem}"
            return combinations, ("\n".join(found) + f"\npage {page}, seed {seed}, step {step} of {steps}"
                                  f"{' of a tour' if tour else ''}\nwidget values set (or page switch): "
                                  f"{history[-1]}\nbefore, in the same session:{earlier}"
                                  f"\nreplay: RNNVIZ_FUZZ_SEED={SEED} python -m pytest tests/test_fuzz.py -k '{test}'")
    return combinations, None


def fuzz(page: str, seeds: range, steps: int, kind: str, tour: bool = False) -> None:
    """Runs a session per seed and fails with every failing session's report."""
    t0 = time.perf_counter()
    results = [fuzz_session(page, seed, steps, kind, tour) for seed in seeds]
    failures = [report for _, report in results if report]
    print(f"{'tour from ' if tour else ''}{page}: {sum(n for n, _ in results)} combinations in {len(seeds)} "
          f"session(s), {time.perf_counter() - t0:.1f} s, {len(failures)} failed")
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)


@pytest.mark.parametrize("page", PAGES)
def test_fuzz_quick(page, fuzz_env):
    fuzz(page, range(SEED, SEED + 1), QUICK_STEPS, "quick")


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_fuzz_slow(page, fuzz_env):
    fuzz(page, range(SEED + 1, SEED + 1 + SLOW_SESSIONS), SLOW_STEPS, "slow")


@pytest.mark.slow
def test_fuzz_tour(fuzz_env):
    """Sessions that wander over the pages: what one page keeps in the session, another must accept."""
    fuzz(PAGES[0], range(SEED + 1, SEED + 1 + TOUR_SESSIONS), TOUR_STEPS, "tour", tour=True)


# ---------------------------------------------------------------- what the fuzz found, pinned as plain tests


def _run_ids() -> dict[str, str]:
    return {f"{c.data.name}_{c.cell}": c.run_id for c in seed_configs()}


def _labelled(widgets, label: str):
    """The widget with this label (keys are the pages' business; labels are what a user sees)."""
    return next(w for w in widgets if w.label == label)


def _checked(at: AppTest, where: str) -> AppTest:
    assert not problems(at), f"{where}: {problems(at)[0]}"
    return at


def test_hidden_states_after_switching_runs_and_pages(fuzz_env):
    """Found by the fuzz: a CIFAR-10 (or IMDB) run's "Overlay samples" multiselect came back as None."""
    ids = _run_ids()
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    _checked(at.switch_page("pages/inspect_states.py").run(), "Hidden states opened")
    _checked(_labelled(at.selectbox, "Stored run").set_value(ids["cosine_lstm"]).run(), "cosine run picked")
    _checked(_labelled(at.selectbox, "Stored run").set_value(ids["cifar10_simple_rnn"]).run(), "CIFAR run picked")
    _checked(at.switch_page("pages/home.py").run(), "Home")
    _checked(at.switch_page("pages/inspect_states.py").run(), "back on Hidden states")


@pytest.mark.parametrize("page", PAGES)
def test_page_after_leaving_and_coming_back(page, fuzz_env):
    """Found by the fuzz: a page opened once, left, and opened again in the same session (values kept with
    `ui.keep` came back as None: "Type your own review" text, Compare's "Match parameter count", ...)."""
    other = next(p for p in PAGES if p != page)
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    _checked(at.switch_page(page).run(), f"{page} opened")
    _checked(at.switch_page(other).run(), f"{other}")
    _checked(at.switch_page(page).run(), f"back on {page}")


def test_empty_class_on_inspect_pages(fuzz_env, seeded, tmp_path, monkeypatch):
    """Found by the fuzz: a class with no test sample (files in the standard layout, but few images) made the
    sample number input's range 0..-1. The real CIFAR-10 test set has 1,000 images per class."""
    fakedata.write_cifar(tmp_path / "few")  # 6 test images: no airplane
    monkeypatch.setenv("RNNVIZ_DATA_DIR", str(tmp_path / "few"))
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    at.switch_page("pages/inspect_gates.py").run()
    _checked(_labelled(at.selectbox, "Stored run").set_value(_run_ids()["cifar10_simple_rnn"]).run(), "CIFAR run")
    _checked(_labelled(at.selectbox, "Class").set_value("airplane").run(), "class airplane (no test image)")


def test_data_folder_starting_with_tilde(fuzz_env):
    """Found by the fuzz: "~data" (a tilde, then no known user name) in the Home page's data folder raised
    RuntimeError from `Path.expanduser` on Home, and, kept in the session, on Train once IMDB is picked."""
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    _checked(_labelled(at.text_input, "Data folder (optional)").set_value("~data").run(), "Home, data folder ~data")
    at.switch_page("pages/train.py").run()
    _checked(_labelled(at.sidebar.radio, "Data set").set_value("imdb").run(), "Train, IMDB, data folder ~data")


@pytest.mark.parametrize("page", ["pages/train.py", "pages/compare.py", "pages/sweep.py"])
def test_fuzz_language_model_controls(page, fuzz_env):
    """The IMDB language model's sidebar controls (and the model's) at random valid values, on every page
    with the sidebar: never a traceback."""
    rng = random.Random(f"lm:{page}:{SEED}")
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    at.switch_page(page).run()
    _checked(_labelled(at.sidebar.radio, "Data set").set_value("text").run(), f"{page}: Text language model")
    _checked(_labelled(at.sidebar.radio, "Source").set_value("imdb_lm").run(), f"{page}: IMDB word ids")
    for step in range(2 * QUICK_STEPS):
        widgets = [w for w in [*at.sidebar.slider, *at.sidebar.select_slider, *at.sidebar.radio,
                               *at.sidebar.number_input, *at.sidebar.toggle] if (w.key or "").startswith(
                   ("w_imdb_lm_", "w_cell", "w_units", "w_layers", "w_embedding_dim", "w_bidirectional"))]
        chosen = {w.key: _set_random(w, rng) for w in rng.sample(widgets, rng.randint(1, len(widgets)))}
        _checked(at.run(), f"{page}, step {step}: {chosen}")


def test_fuzz_train_with_earlier_runs(fuzz_env):
    """Train with earlier runs of the session on its chart (ghost curves and the pin control), then random
    valid values for its widgets: never a traceback."""
    rng = random.Random(f"train-ghosts:{SEED}")
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params.update(tiny(cell="simple_rnn", layers=2).to_query())  # a stored run of the trio
    at.run()
    at.switch_page("pages/train.py").run()
    for cell in ("simple_rnn", "lstm", "gru"):  # stored: each loads, the ones before stay as ghosts
        if at.sidebar.radio(key="w_cell").value != cell:
            at.sidebar.radio(key="w_cell").set_value(cell).run()
        end = time.time() + 60
        while not (ui_job(at) and ui_job(at).cfg.cell == cell and ui_job(at).state == "done") and time.time() < end:
            time.sleep(0.2)
            at.run()
    pins = at.multiselect(key="w_train_pins")
    assert pins.options == ["LSTM 2×4u · 2 ep", "SimpleRNN 2×4u · 2 ep"]  # newest first
    _checked(at.run(), f"Train, pinned {_set_random(pins, rng)} (as the browser sends the labels)")
    for step in range(QUICK_STEPS):
        chosen = randomize(at, rng)
        _checked(at.run(), f"Train with earlier runs, step {step}: {chosen}")


def ui_job(at: AppTest):
    """The job the Train page shows (None before the first)."""
    return at.session_state["job"] if "job" in at.session_state else None


def test_pages_are_read_from_app():
    assert "pages/home.py" in PAGES and "pages/train.py" in PAGES and len(PAGES) == len(set(PAGES))
    assert all((ROOT / p).is_file() for p in PAGES)
