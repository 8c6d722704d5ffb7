"""Real browser, Inspect pages: the epoch slider's Play button steps through the snapshots on its own (a timed
fragment, which AppTest does not run), and a copied address reopens the same view (issue 16, item 5).
"""

import os
import shutil
import urllib.parse

import pytest

from rnnviz.training.jobs import train_and_store
from rnnviz.store import RunStore
from tests.browser import CHROMIUM, chromium_page, streamlit_server
from tests.conftest import tiny

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,  # a server, Keras and a few page runs: about 30 s
    pytest.mark.skipif(not os.path.exists(CHROMIUM) or shutil.which("chromium") is None,
                       reason="Debian's chromium is not installed (apt-get install -y chromium)"),
]
WAIT = 90_000  # ms: the first page run imports Keras on a busy machine
SETTLED = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def test_play_steps_through_the_epochs_and_the_address_reopens_the_view(rnnviz_home):
    from playwright.sync_api import expect

    cfg = tiny(cell="lstm", epochs=3)  # snapshots 0, 1, 2, 3
    train_and_store(cfg, RunStore(rnnviz_home))
    with streamlit_server(home=rnnviz_home) as url, chromium_page() as page:
        page.goto(f"{url}/inspect_states?run={cfg.run_id}&epoch=1&sample=4")
        slider = page.get_by_role("slider", name="Epoch")
        expect(slider).to_have_attribute("aria-valuetext", "1", timeout=WAIT)
        expect(page.get_by_text("Validation window 4")).to_have_count(1, timeout=WAIT)  # the linked sample

        page.get_by_role("button", name="Play").click()
        expect(page.get_by_role("button", name="Pause")).to_be_visible(timeout=WAIT)
        expect(slider).to_have_attribute("aria-valuetext", "3", timeout=WAIT)  # 2, then 3, by the timer alone
        expect(page.get_by_role("button", name="Play")).to_be_visible(timeout=WAIT)  # stopped at the last
        expect(page.locator(SETTLED)).to_have_count(1, timeout=WAIT)
        expect(page.locator('[data-testid="stException"]')).to_have_count(0)
        query = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
        assert query["epoch"] == ["3"] and query["sample"] == ["4"] and query["run"] == [cfg.run_id], page.url

        page.goto(page.url.replace("epoch=3", "epoch=2"))  # the copied address, in a new session
        expect(slider).to_have_attribute("aria-valuetext", "2", timeout=WAIT)
        expect(page.get_by_text("Validation window 4")).to_have_count(1, timeout=WAIT)
        expect(page.locator(SETTLED)).to_have_count(1, timeout=WAIT)
        expect(page.locator('[data-testid="stException"]')).to_have_count(0)
