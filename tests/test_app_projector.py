"""Projector mode under AppTest: the query key `projector=1` (a contract) opens it, the sidebar toggle keeps the
address bar in step, and every chart on a page comes out styled (18 px text, 3 px lines; otherwise tick labels
in the theme's text colour)."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rnnviz.plots import style

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _app(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def _specs(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def _line_widths(spec: dict) -> list[float]:
    return [(t.get("line") or {}).get("width") for t in spec["data"]
            if t["type"] == "scatter" and "lines" in t.get("mode", "lines")]


def test_a_link_with_projector_1_opens_in_projector_mode_and_every_chart_is_large():
    at = _app(projector="1")
    assert not at.exception
    assert at.toggle(key="projector").value is True and at.query_params["projector"] == "1"
    at.switch_page("pages/learn_memory.py").run()
    assert not at.exception
    assert at.query_params["projector"] == "1"  # the page's own link keys come beside it
    specs = _specs(at)
    assert len(specs) >= 2
    for spec in specs:
        lay = spec["layout"]
        assert lay["xaxis"]["tickfont"]["size"] >= style.PROJECTOR["font"]
        assert lay["yaxis"]["title"]["font"]["size"] >= style.PROJECTOR["font"]
        assert lay["title"]["font"]["size"] >= style.PROJECTOR["title"]
        assert all(w >= style.PROJECTOR["line"] for w in _line_widths(spec)), _line_widths(spec)


def test_without_the_key_charts_keep_their_size_with_dark_tick_labels():
    at = _app()
    assert at.toggle(key="projector").value is False and "projector" not in at.query_params
    at.switch_page("pages/learn_memory.py").run()
    spec = _specs(at)[0]
    assert spec["layout"]["xaxis"]["tickfont"] == {"color": style.THEMES["light"]["textColor"]}  # not pale grey
    assert "projector" not in at.query_params


@pytest.mark.parametrize("other", ["0", "yes"])
def test_only_projector_1_turns_it_on(other):
    assert _app(projector=other).toggle(key="projector").value is False


def test_the_toggle_keeps_the_query_key_in_step():
    # AppTest keeps the entry script's sidebar widgets in its element tree on the first run only (the browser
    # test flips the toggle on a live page), so each direction starts a fresh session
    at = _app()
    at.toggle(key="projector").set_value(True).run()
    assert at.query_params["projector"] == "1" and not at.exception
    at = _app(projector="1")
    at.toggle(key="projector").set_value(False).run()
    assert "projector" not in at.query_params and not at.exception


def test_a_page_that_writes_its_config_link_keeps_projector_1():
    at = _app(projector="1")
    at.switch_page("pages/train.py").run()
    assert not at.exception
    assert at.query_params["projector"] == "1" and "data" in at.query_params  # the config's link, and the mode
    assert not [w for w in at.warning if "projector" in w.value]  # not read as an unknown config setting
