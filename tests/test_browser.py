"""Real browser: `streamlit run app.py` on 127.0.0.1 driven by Playwright in Debian's Chromium."""

import os
import shutil

import pytest

from tests.browser import CHROMIUM, chromium_page, streamlit_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM) or shutil.which("chromium") is None,
                       reason="Debian's chromium is not installed (apt-get install -y chromium)"),
]
PAGES = ["", "/train"]


def no_exception(page):
    page.wait_for_selector('[data-testid="stApp"]')
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_pages_train_and_stop(rnnviz_home, tmp_path):
    pytest.importorskip("playwright")
    with streamlit_server(home=rnnviz_home) as url, chromium_page() as page:
        for path in PAGES:
            page.goto(url + path)
            no_exception(page)
        page.get_by_text("has not been trained yet").wait_for(timeout=60_000)

        # the default cosine run: the loss chart draws, then the prediction and its RMSE appear
        page.get_by_role("button", name="Train", exact=True).click()
        page.locator('[data-testid="stPlotlyChart"]').first.wait_for(timeout=60_000)
        page.get_by_text("Validation RMSE, one step").wait_for(timeout=180_000)
        assert page.locator('[data-testid="stPlotlyChart"]').count() == 2
        no_exception(page)
        page.screenshot(path=str(tmp_path / "trained.png"))

        # a longer run: Stop ends it and says it was not stored
        epochs = page.get_by_role("slider", name="Epochs")
        epochs.focus()
        for _ in range(30):
            epochs.press("ArrowRight")
        page.get_by_text("has not been trained yet").wait_for(timeout=30_000)
        page.get_by_role("button", name="Train", exact=True).click()
        page.get_by_role("button", name="Stop").click(timeout=60_000)
        page.get_by_text("Stopped before the last epoch").wait_for(timeout=60_000)
        no_exception(page)
