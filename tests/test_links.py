"""Shared links under AppTest: every value a `RunConfig` accepts opens Train and Compare (issue 11, item 2).

Each field of `RunConfig` and of every data kind is linked (`?data=...&field=value`) at the minimum and the
maximum its own checks accept (`rnnviz.config.checks.limits`; first and last option for choices and flags). The page
must open without an exception, and the config it then puts in the URL must be the linked one, or a warning
must name each field it could not take, with the linked value and the value it used.

The fast cases link each field with the data kind it belongs to (`RunConfig` fields with cosine, the CIFAR-10
front end with CIFAR-10); the `slow` ones link every `RunConfig` field with every other data kind too, and open
every case on the Sweep page as well (its sidebar is the same).
One AppTest per page is reused from case to case: a new link is applied on the next run, as in a browser.
"""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from rnnviz.config import checks as config_checks
from rnnviz.config import DATA_KINDS, RunConfig

ROOT = Path(__file__).resolve().parent.parent


def page_keys(page: str) -> tuple[str, ...]:
    """The query keys a page keeps for itself: the `page_keys=` it passes to `ui.config_sidebar`."""
    for node in ast.walk(ast.parse((ROOT / page).read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "config_sidebar":
            keys = [k.value for k in node.keywords if k.arg == "page_keys"]
            return tuple(ast.literal_eval(keys[0])) if keys else ()
    raise AssertionError(f"{page} has no config sidebar")


PAGE_KEYS = {page: page_keys(page) for page in ("pages/train.py", "pages/compare.py", "pages/sweep.py")}
APP = str(ROOT / "app.py")
FAST_PAGES = ("pages/train.py", "pages/compare.py")  # the Sweep page's sidebar is the same: slow cases only
COMPANIONS = {"conv_filters": {"front_end": "conv"}}  # shown only with a conv front end (CIFAR-10 only)


def _text(value: Any) -> str:
    """A value as a link writes it (`RunConfig.to_query`)."""
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _ends(accepts: Any) -> list[Any]:
    if isinstance(accepts, config_checks.Text):  # names: the shortest and a longest accepted one
        return list(accepts.ends)
    return [accepts.min, accepts.max] if isinstance(accepts, config_checks.Bounds) else [accepts[0], accepts[-1]]


def _fast(data: str, owner: type, name: str) -> bool:
    """A field with the data kind it belongs to: data options, `RunConfig` with cosine, the front end with CIFAR."""
    if owner is not RunConfig:
        return True
    return data == ("cifar10" if name in ("front_end", "conv_filters") else "cosine")


def _pages(fast: bool, slow: bool) -> list[str]:
    """The pages a case opens: the fast run takes a field's own data kind on Train and Compare; the slow run
    takes the rest (other data kinds, and the Sweep page, whose sidebar is the same)."""
    if not slow:
        return list(FAST_PAGES) if fast else []
    return [p for p in PAGE_KEYS if not fast or p not in FAST_PAGES]


def link_cases(slow: bool) -> list:
    """`pytest.param(page, link)` for every field at both ends (see the module's doc and `_pages`)."""
    cases = []
    for data, kind in DATA_KINDS.items():
        for owner in (kind, RunConfig):
            for name, accepts in config_checks.limits(owner).items():
                pages = _pages(_fast(data, owner, name), slow)
                for end, value in zip(("min", "max"), _ends(accepts)):
                    link = {"data": data, **COMPANIONS.get(name, {}), name: _text(value)}
                    if RunConfig.from_query(link)[1]:
                        continue  # not accepted with this data (e.g. a front end with cosine)
                    for page in pages:
                        cases.append(pytest.param(page, link, id=f"{Path(page).stem}-{data}-{name}-{end}"))
    return cases


def _flat(cfg: RunConfig) -> dict[str, Any]:
    d = cfg.to_dict()
    return {**{k: v for k, v in d.pop("data").items() if k != "name"}, **d}


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    """One AppTest per page, shared by the module's cases (a fresh trainer over an empty store)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RNNVIZ_HOME", str(tmp_path_factory.mktemp("links")))
        st.cache_resource.clear()
        st.cache_data.clear()
        yield {}


def open_link(apps: dict, page: str, link: dict[str, str]) -> AppTest:
    """The page's AppTest after a run with `link` as its query string."""
    if page not in apps:
        apps[page] = AppTest.from_file(APP, default_timeout=120)
        apps[page].run()
        apps[page].switch_page(page)
    at = apps[page]
    at.query_params.clear()
    at.query_params.update(link)
    return at.run()


def check_link(apps: dict, page: str, link: dict[str, str]) -> None:
    try:
        _check_link(apps, page, link)
    except BaseException:
        apps.pop(page, None)  # the next case starts from a fresh session
        raise


def _check_link(apps: dict, page: str, link: dict[str, str]) -> None:
    at = open_link(apps, page, link)
    assert not at.exception, at.exception[0].message
    assert not at.sidebar.error, at.sidebar.error[0].value  # the controls make a valid config
    want, notes = RunConfig.from_query(link)
    assert notes == []
    got, notes = RunConfig.from_query({k: v for k, v in at.query_params.items()}, ignore=PAGE_KEYS[page])
    assert notes == [], f"the page's URL holds a config it cannot read back: {notes}"
    warned = " ".join(w.value for w in at.warning)
    for name, value in _flat(want).items():
        used = _flat(got)[name]
        if used != value:
            assert f"{name}={_text(value)}" in warned and _text(used) in warned, (
                f"{name}: linked {value!r}, the page used {used!r} without saying so (warnings: {warned!r})")


@pytest.mark.parametrize("page,link", link_cases(slow=False))
def test_link_opens_at_each_end(apps, page, link):
    check_link(apps, page, link)


@pytest.mark.slow
@pytest.mark.parametrize("page,link", link_cases(slow=True))
def test_link_opens_at_each_end_with_every_data_kind(apps, page, link):
    check_link(apps, page, link)


def test_every_field_has_a_rule():
    """`limits` reads the checks; a field checked only under some condition would be missing from the walk."""
    for kind in (RunConfig, *DATA_KINDS.values()):
        names = {f.name for f in dataclasses.fields(kind)} - {"data"}
        assert set(config_checks.limits(kind)) == names, kind.__name__


def test_clamped_link_value_is_named_with_the_value_used(apps):
    """A dropout just below 1 (accepted) is beyond the slider's last step: the page says what it used."""
    link = {"data": "cosine", "dropout": "0.999"}
    check_link(apps, "pages/train.py", link)
    warned = " ".join(w.value for w in apps["pages/train.py"].warning)
    assert "dropout=0.999" in warned



# ---------------------------------------------------------------- the Learn pages (issue 16, item 5)

LEARN_LINKS = {  # page -> a link giving every key of the page a value other than its default
    "pages/learn_rnn.py": {"steps": "7", "input": "3", "units": "4", "seed": "12", "t": "6",
                           "functions": "tanh,relu", "slope": "0.37", "xmax": "2.5"},
    "pages/learn_cells.py": {"cell": "gru", "steps": "9", "input": "2", "units": "4", "seed": "5", "t": "8",
                             "unit": "3"},
    "pages/learn_memory.py": {"radius": "1.55", "units": "8", "steps": "60", "input": "1.2", "seed": "3",
                              "forget_bias": "4"},
}
LEARN_WIDGETS = {  # a few keys -> (widget kind, key), to check what the page shows, not only what it writes
    "pages/learn_rnn.py": {"steps": ("slider", "learn_rnn_steps"), "slope": ("slider", "learn_rnn_slope"),
                           "functions": ("multiselect", "learn_rnn_acts")},
    "pages/learn_cells.py": {"cell": ("radio", "learn_cells_cell"), "unit": ("slider", "learn_cells_unit")},
    "pages/learn_memory.py": {"radius": ("slider", "learn_mem_radius"), "seed": ("number_input", "learn_mem_seed")},
}
NOT_A_VALUE = ["banana", "nan", "-1e9", "1e999", "7,8", "😀", " "]  # taken by no key of any Learn page


@pytest.mark.parametrize("page", LEARN_LINKS)
def test_learn_link_reopens_the_same_view(apps, page):
    link = LEARN_LINKS[page]
    at = open_link(apps, page, link)
    assert not at.exception, at.exception[0].message
    assert not at.warning, [w.value for w in at.warning]
    assert {k: at.query_params[k] for k in link} == link  # every key is written back as linked
    for name, (kind, key) in LEARN_WIDGETS[page].items():
        value = getattr(at, kind)(key=key).value
        shown = ",".join(value) if isinstance(value, list) else f"{value:g}" if isinstance(value, float) else str(value)
        assert shown == link[name], (name, value)
    slider = at.slider(key=next(k for kind, k in LEARN_WIDGETS[page].values() if kind == "slider"))
    slider.set_value(slider.min).run()  # a change reaches the address bar
    name = next(n for n, (kind, k) in LEARN_WIDGETS[page].items() if k == slider.key)
    assert float(at.query_params[name]) == slider.min


def _check_bad_values(apps, page: str, bad: str) -> None:
    link = {name: bad for name in LEARN_LINKS[page]}
    at = open_link(apps, page, link)
    assert not at.exception, at.exception[0].message
    warned = [w.value for w in at.warning]
    assert sorted(w.split("`")[1] for w in warned) == sorted(link), warned  # one warning per key, naming it
    assert all(f"Received: {w.split('`')[1]}={bad!r}" in w and "Showing" in w for w in warned), warned
    assert all(at.query_params[name] != bad for name in link)  # the URL holds what is shown instead


@pytest.mark.parametrize("page", LEARN_LINKS)
def test_learn_link_with_bad_values_warns_once_per_key(apps, page):
    _check_bad_values(apps, page, "banana")


@pytest.mark.slow
@pytest.mark.parametrize("page", LEARN_LINKS)
@pytest.mark.parametrize("bad", NOT_A_VALUE[1:])
def test_learn_link_fuzzed_with_values_no_key_takes(apps, page, bad):
    _check_bad_values(apps, page, bad)


LONG = "9" * 100_000  # Streamlit takes query strings up to 524,288 characters


@pytest.mark.parametrize("page", ["pages/learn_rnn.py", "pages/train.py", "pages/compare.py"])
def test_a_long_linked_value_is_cut_in_its_warning(apps, page):
    """Issue 21, item 6: a warning repeated a 100,000-character value in full."""
    link = ({name: LONG for name in list(LEARN_LINKS[page])[:3]} if page in LEARN_LINKS else
            {"units": LONG, LONG: "1", "runs": f"{LONG},{LONG}x"})
    at = open_link(apps, page, link)
    assert not at.exception, at.exception[0].message
    warned = [w.value for w in at.warning]
    assert warned and all(len(w) < 1000 and "…" in w for w in warned), [w[:300] for w in warned]


def test_a_sweep_link_with_an_unknown_field_is_named_and_no_other_field_is_swept_in_its_place(apps):
    # The data kind is named: the shared AppTest keeps the last link's data kind, as one browser tab would.
    at = open_link(apps, "pages/sweep.py", {"data": "cosine", "vary": "colour=1,2;units=8,16"})
    assert not at.exception, at.exception[0].message
    (note,) = [w.value for w in at.warning if "`vary`" in w.value]
    assert "names `colour`, which is no field of cosine runs" in note and "nothing runs until" in note
    assert at.selectbox(key="sweep_field_0").value == "units" and at.text_input(key="sweep_values_0").value == "8,16"
    assert at.selectbox(key="sweep_field_1").value == "(none)"  # not the other field in colour's place
    at = open_link(apps, "pages/sweep.py", {"vary": f"{LONG}=1,2"})
    (note,) = [w.value for w in at.warning if "`vary`" in w.value]
    assert "The page's usual sweep is shown below" in note and len(note) < 1000
