"""The Learn pages under Streamlit's AppTest: each renders its charts with axis titles, and every slider and
number input at its minimum and at its maximum raises nothing."""

import json
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = {  # page -> (title, number of charts)
    "pages/learn_rnn.py": ("An RNN is a for-loop", 2),
    "pages/learn_cells.py": ("Gated cells, cell by cell", 2),
    "pages/learn_memory.py": ("Why plain RNNs forget", 3),
}


@pytest.fixture
def app(rnnviz_home):
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    return at


def charts(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def assert_readable(at, n_charts: int) -> None:
    assert not at.exception, at.exception
    specs = charts(at)
    assert len(specs) == n_charts
    for spec in specs:
        layout = spec["layout"]
        assert layout["title"]["text"]
        axes = {k: v.get("title", {}).get("text") for k, v in layout.items() if k[1:5] == "axis"}
        assert all(title for k, title in axes.items() if k.startswith("y")), (layout["title"]["text"], axes)
        assert any(title for k, title in axes.items() if k.startswith("x")), (layout["title"]["text"], axes)


def set_all(at, end: str) -> None:
    """Every slider and number input to its minimum or maximum ("min" / "max")."""
    for s in at.slider:
        s.set_value(type(s.value)(getattr(s.proto, end)))
    for n in at.number_input:
        n.set_value(type(n.value)(getattr(n.proto, end)))


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_with_labelled_charts(app, page):
    at = app.switch_page(page).run()
    title, n_charts = PAGES[page]
    assert at.title[0].value == title
    assert_readable(at, n_charts)
    assert len(at.get("imgs")) <= 1  # the cell diagram (memory page has none)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("end", ["min", "max"])
def test_controls_at_their_extremes(app, page, end):
    at = app.switch_page(page).run()
    cells = ["lstm", "lstm_peephole", "lstm_cifg", "gru", "mgu"] if page == "pages/learn_cells.py" else [None]
    for cell in cells:
        if cell:
            at.radio(key="learn_cells_cell").set_value(cell).run()
        for _ in range(2):  # twice: some ranges (time step t, unit) follow other sliders
            set_all(at, end)
            at.run()
            assert_readable(at, PAGES[page][1])


def test_rnn_page_numpy_and_keras_agree(app):
    at = app.switch_page("pages/learn_rnn.py").run()
    metric = next(m for m in at.metric if m.label.startswith("Largest difference"))
    assert float(metric.value) < 1e-5
    assert "for x_t in x:" in at.code[0].value
    at.slider(key="learn_rnn_t").set_value(3).run()
    assert any(a["text"] == "step 3" for a in charts(at)[0]["layout"]["annotations"])
    assert not at.exception


def test_memory_page_radius_crosses_one(app):
    at = app.switch_page("pages/learn_memory.py").run()
    gains = {}
    for radius in (0.7, 1.5):
        at.slider(key="learn_mem_radius").set_value(radius)
        at.slider(key="learn_mem_input").set_value(0.0).run()
        gains[radius] = float({m.label: m.value for m in at.metric}["‖Uⁿ‖ at n = 100"])
        assert not at.exception
    assert gains[0.7] < 1e-6 < 1e6 < gains[1.5]


def test_cells_page_step_equations_follow_the_slider(app):
    at = app.switch_page("pages/learn_cells.py").run()
    at.slider(key="learn_cells_t").set_value(4).run()
    assert any("c_{4}" in e.value for e in at.latex)
    at.radio(key="learn_cells_cell").set_value("gru").run()
    assert any("h_{4}" in e.value and r"\hat h" in e.value for e in at.latex)
    assert not at.exception


def test_memory_page_shows_the_norm_of_the_matrix_power_as_numpy_computes_it(app):
    import numpy as np

    from rnnviz.learn import forgetting

    at = app.switch_page("pages/learn_memory.py").run()
    at.slider(key="learn_mem_radius").set_value(0.9).run()
    shown = float({m.label: m.value for m in at.metric}["‖Uⁿ‖ at n = 100"])
    _, _, U, _ = forgetting.memory_rnn(16, 0.9, 100, 0.5, 0)  # the page's defaults: 16 units, input 0.5, seed 0
    expected = np.linalg.svd(np.linalg.matrix_power(U, 100), compute_uv=False)[0]  # largest singular value of Uⁿ
    assert shown == pytest.approx(expected, rel=5e-3)  # shown with 3 significant digits
    assert np.linalg.norm(U, 2) ** 100 > 1e6 * shown  # ‖U‖ⁿ, the misreading, is far larger
    text = " ".join(c.value for c in [*at.caption, *at.markdown])
    assert "the largest singular value of the matrix Uⁿ" in text and "of U to the power n" not in text
    assert "ρ > 1 only makes exploding *possible*" in text


def test_rnn_page_tanh_and_leaky_relu_sentences(app):
    at = app.switch_page("pages/learn_rnn.py").run()
    text = lambda: " ".join(m.value for m in at.markdown)  # noqa: E731
    assert "Because its slope is below 1 almost everywhere" not in text()
    assert "no unit is ever completely dead" in text()
    at.slider(key="learn_rnn_slope").set_value(0.0).run()
    assert "no unit is ever completely dead" not in text() and "can die" in text()
    assert not at.exception


def test_memory_page_says_which_path_keeps_more_for_the_numbers_on_screen(app):
    import re

    at = app.switch_page("pages/learn_memory.py").run()
    assert at.slider(key="learn_mem_fbias").value == 4.0  # the LSTM's way out opens where it is one
    for bias in (4.0, 1.0):  # at Keras's starting bias 1 the cell path fades as fast as the plain RNN, or faster
        at.slider(key="learn_mem_fbias").set_value(bias).run()
        assert not at.exception, at.exception
        text = next(m.value for m in at.markdown if "At this bias the cell path keeps" in m.value)
        kept, plain = (float(v) for v in re.findall(r"\*\*([-0-9.e+]+)\*\*", text)[:2])
        assert ("**: more" in text) == (kept > plain) and ("**: less" in text) == (kept <= plain), text


def test_the_learn_diagrams_say_what_they_show(app):
    from rnnviz.config import cells

    for page, cell in (("pages/learn_rnn.py", None), ("pages/learn_cells.py", "gru")):
        at = app.switch_page(page).run()
        if cell:
            at.radio(key="learn_cells_cell").set_value(cell).run()
        assert not at.exception, at.exception
        alts = [img.alt for element in at.get("image") for img in element.proto.imgs]
        want = cells.row(cell or "simple_rnn").diagram_alt
        assert want and want in alts, alts
