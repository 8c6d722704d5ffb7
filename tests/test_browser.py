"""Real browser: `streamlit run app.py` on 127.0.0.1 driven by Playwright in Debian's Chromium.

Every page `app.py`'s navigation names is opened by its URL, before any run is stored and again after the
default cosine run has trained: each must show its own title and no exception.
"""

import ast
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.browser import CHROMIUM, ROOT, chromium_page, streamlit_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,  # about 3 minutes on two busy cores; the README's command and CI run it
    pytest.mark.skipif(not os.path.exists(CHROMIUM) or shutil.which("chromium") is None,
                       reason="Debian's chromium is not installed (apt-get install -y chromium)"),
]


def _const(node):
    return node.value if isinstance(node, ast.Constant) else None


def app_pages() -> list[tuple[str, str, str]]:
    """`(page file, URL path, title the page shows)` for each `st.Page` in app.py, in navigation order.

    The URL path is Streamlit's: "" for the default page, else `url_path=` or the name inferred from the file
    (`page_icon_and_name`). The title is the page's own `st.title("...")`, else its navigation title.
    """
    from streamlit.source_util import page_icon_and_name

    pages = []
    calls = [n for n in ast.walk(ast.parse((ROOT / "app.py").read_text())) if isinstance(n, ast.Call)
             and getattr(n.func, "attr", None) == "Page" and n.args and isinstance(n.args[0], ast.Constant)]
    for call in sorted(calls, key=lambda n: (n.lineno, n.col_offset)):
        file, kw = call.args[0].value, {k.arg: _const(k.value) for k in call.keywords}
        url = "" if kw.get("default") else (kw.get("url_path") or page_icon_and_name(Path(file))[1]).strip("/")
        titles = [_const(n.args[0]) for n in ast.walk(ast.parse((ROOT / file).read_text()))
                  if isinstance(n, ast.Call) and getattr(n.func, "attr", None) == "title" and n.args]
        pages.append((file, url, next((t for t in titles if t), kw.get("title"))))
    return pages


WAIT = 180_000  # ms for anything the server does: generous, a busy 2-core machine trains and renders slowly
CHARTS = '[data-testid="stPlotlyChart"]'
SETTLED = '[data-testid="stApp"][data-test-script-state="notRunning"]'  # no script or fragment run going on


def settled(page) -> None:
    """Waits until the app has no script run going on, then checks that no exception is shown."""
    from playwright.sync_api import expect

    expect(page.locator(SETTLED)).to_have_count(1, timeout=WAIT)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def open_every_page(page, url: str, when: str) -> None:
    """Opens each page by its URL (a new session each); its title must render, with no exception."""
    from playwright.sync_api import expect

    for file, path, title in app_pages():
        page.goto(f"{url}/{path}")
        heading = page.locator('[data-testid="stHeading"] h1', has_text=title)
        try:
            expect(heading).to_have_count(1, timeout=WAIT)
        except AssertionError:
            shown = page.locator("h1").all_inner_texts()
            raise AssertionError(f"{when}: /{path} ({file}) did not show its title {title!r}; h1s: {shown}") from None
        settled(page)
        expect(heading, f"{when}: /{path} ({file})").to_have_count(1)


def test_pages_train_and_stop(rnnviz_home, tmp_path):
    pytest.importorskip("playwright")
    from playwright.sync_api import expect

    assert len(app_pages()) >= 3 and app_pages()[0][1] == ""  # Home is the default page
    with streamlit_server(home=rnnviz_home) as url, chromium_page() as page:
        page.goto(url)  # "/" first: a fresh server's first request decides the navigation mode
        expect(page.locator('[data-testid="stHeading"] h1')).not_to_have_count(0, timeout=WAIT)
        settled(page)
        open_every_page(page, url, "empty run store")

        page.goto(url + "/train")
        expect(page.get_by_text("has not been trained yet")).to_be_visible(timeout=WAIT)
        settled(page)

        # the default cosine run: the loss chart draws, then the prediction and its RMSE appear
        page.get_by_role("button", name="Train", exact=True).click()
        expect(page.get_by_text("Validation RMSE, one step")).to_be_visible(timeout=WAIT)
        expect(page.locator(CHARTS)).to_have_count(2, timeout=WAIT)  # the loss chart and the prediction chart
        settled(page)
        expect(page.locator(CHARTS)).to_have_count(2)
        page.screenshot(path=str(tmp_path / "trained.png"))

        # a long run (the most epochs the slider offers): Stop ends it and says it was not stored
        page.get_by_text("Advanced", exact=True).click()  # the sidebar shows Cell and Units; Epochs is under it
        epochs = page.get_by_role("slider", name="Epochs")
        top = epochs.get_attribute("max")  # a native <input type="range">
        epochs.focus()
        epochs.press("End")
        expect(epochs).to_have_value(top, timeout=WAIT)
        expect(page.get_by_text("has not been trained yet")).to_be_visible(timeout=WAIT)
        settled(page)  # the last result stays, marked as the old settings'
        expect(page.get_by_text("the settings have changed")).to_be_visible()
        expect(page.locator(CHARTS)).to_have_count(2)
        page.get_by_role("button", name="Train", exact=True).click()
        page.get_by_role("button", name="Stop").click(timeout=WAIT)
        expect(page.get_by_text("Stopped before the last epoch")).to_be_visible(timeout=WAIT)
        settled(page)

        # with a stored run, the Inspect and Compare pages have something to show
        open_every_page(page, url, "one stored cosine run")


def test_every_page_in_projector_mode(rnnviz_home, tmp_path):
    """Each page opened with `?projector=1`: the sidebar collapsed, chart text 18 px or more, captions at body
    size with contrast 4.5:1 or more, the query key kept; a screenshot of each (in `$RNNVIZ_SCREENSHOTS` when
    set). Then the dark theme (`embed_options=dark_theme`), and the toggle turning the mode off."""
    pytest.importorskip("playwright")
    from playwright.sync_api import expect

    from rnnviz.plots import style
    from rnnviz.training.jobs import train_and_store
    from rnnviz.store import RunStore
    from tests.browser import TEXT_STYLES, rgb_hex, seen_color
    from tests.conftest import tiny

    runs = [tiny(cell=cell, epochs=2) for cell in ("lstm", "gru")]  # so Inspect and Compare draw their charts
    for cfg in runs:
        train_and_store(cfg, RunStore(rnnviz_home))
    extra = {"compare": f"&runs={runs[0].run_id},{runs[1].run_id}"}  # Compare's link to two stored runs
    shots = Path(os.environ.get("RNNVIZ_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    ticks = f"{CHARTS} .xtick text, {CHARTS} .ytick text, {CHARTS} .gtitle, {CHARTS} .g-xtitle text"
    with streamlit_server(home=rnnviz_home) as url, chromium_page(1400, 2400) as page:
        page.goto(url)
        settled(page)
        for file, path, title in app_pages():
            page.goto(f"{url}/{path}?projector=1{extra.get(path, '')}")
            expect(page.locator('[data-testid="stHeading"] h1', has_text=title)).to_have_count(1, timeout=WAIT)
            settled(page)
            page.wait_for_timeout(300)  # charts draw after the run ends
            where = f"/{path} ({file})"
            page.screenshot(path=str(shots / f"projector_{path or 'home'}.png"))  # before the checks: to see why
            expect(page.locator('[data-testid="stExpandSidebarButton"]'), where).to_be_visible()  # collapsed
            assert "projector=1" in page.url, where
            background = rgb_hex(page.evaluate(
                "() => getComputedStyle(document.querySelector('[data-testid=\"stApp\"]')).backgroundColor"))
            small = [t for t in page.evaluate(TEXT_STYLES, ticks) if t["size"] < style.PROJECTOR["font"]]
            assert small == [], (where, small[:3])
            captions = page.evaluate(TEXT_STYLES, '[data-testid="stCaptionContainer"] p')
            assert all(c["size"] >= 16 for c in captions), (where, captions[:3])
            faint = [c for c in captions
                     if style.contrast_ratio(seen_color(c["color"], c["alpha"], background), background) < 4.5]
            assert faint == [], (where, faint[:3])

        page.goto(f"{url}/learn_memory?projector=1&embed_options=dark_theme")  # Streamlit's dark-theme link
        expect(page.locator(CHARTS).first).to_be_visible(timeout=WAIT)
        settled(page)
        page.wait_for_timeout(300)
        background = rgb_hex(page.evaluate(
            "() => getComputedStyle(document.querySelector('[data-testid=\"stApp\"]')).backgroundColor"))
        assert background == style.THEMES["dark"]["backgroundColor"]
        tick_colors = {rgb_hex(t["fill"]) for t in page.evaluate(TEXT_STYLES, ticks)}
        assert tick_colors and all(style.contrast_ratio(c, background) >= 4.5 for c in tick_colors), tick_colors
        page.screenshot(path=str(shots / "projector_dark_learn_memory.png"))

        page.locator('[data-testid="stExpandSidebarButton"]').click()  # the toggle turns the mode off
        page.get_by_text("Projector mode", exact=True).click()
        expect(page).not_to_have_url(re.compile(r"projector=1"), timeout=WAIT)
        settled(page)
        page.wait_for_timeout(300)
        assert max(t["size"] for t in page.evaluate(TEXT_STYLES, ticks)) < style.PROJECTOR["font"]
