"""Real browser, Lesson page: a link opens a locked step; its chart stays hidden until an answer is locked in;
the answer is counted for the class; Next step changes the address (issue 16, items 4 and 6)."""

import os
import shutil

import pytest

from tests.browser import CHROMIUM, chromium_page, streamlit_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,  # a server and a few page runs: about 30 s
    pytest.mark.skipif(not os.path.exists(CHROMIUM) or shutil.which("chromium") is None,
                       reason="Debian's chromium is not installed (apt-get install -y chromium)"),
]
WAIT = 90_000  # ms: the first page run imports Keras on a busy machine
CHARTS = '[data-testid="stPlotlyChart"]'
SETTLED = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def test_a_linked_step_is_locked_shows_its_chart_after_the_answer_and_counts_it(rnnviz_home):
    from playwright.sync_api import expect

    with streamlit_server(home=rnnviz_home) as url, chromium_page() as page:
        page.goto(f"{url}/lesson?lesson=memory&step=2")  # step 2 needs no stored run
        expect(page.get_by_role("heading", name="Why plain RNNs forget")).to_be_visible(timeout=WAIT)
        expect(page.locator(SETTLED)).to_have_count(1, timeout=WAIT)
        locked = page.get_by_text("Locked by the lesson: Units 16 · Spectral radius of U 0.9")
        expect(locked).to_be_visible()  # the values in one line; the controls fold under it
        locked.click()
        radius = page.get_by_role("slider", name="radius")
        expect(radius).to_be_disabled()  # the step's settings are the lesson's
        expect(radius).to_have_attribute("aria-valuetext", "0.90")
        expect(page.get_by_text("Lock in your answer to see the chart")).to_be_visible()
        expect(page.locator(CHARTS)).to_have_count(0)  # predict before you see

        page.get_by_text("Less than 0.01%").click()
        page.get_by_role("button", name="Lock in my answer").click()
        expect(page.locator(CHARTS).first).to_be_visible(timeout=WAIT)
        expect(page.get_by_text("Right:").first).to_be_visible(timeout=WAIT)
        expect(page.get_by_text("The class's answers (1 so far)")).to_be_visible(timeout=WAIT)
        expect(page.locator('[data-testid="stException"]')).to_have_count(0)

        page.get_by_role("button", name="Next step").click()
        page.wait_for_url("**/lesson?*step=3*", timeout=WAIT)
        assert "lesson=memory" in page.url
        expect(page.get_by_text("step 3 of 5")).to_be_visible(timeout=WAIT)


def test_a_reload_does_not_vote_again_one_vote_per_browser(rnnviz_home):
    """Issue 21, item 4: a reload is a new session, but the same browser (its voter cookie): the step opens answered
    with its earlier answer, and the class's tally still counts it once; another browser counts as another vote."""
    from playwright.sync_api import expect

    from rnnviz.learn.tally import Tally

    def lock_in(page, choice: str, n: int) -> None:
        page.goto(f"{url}/lesson?lesson=memory&step=2")
        expect(page.get_by_role("heading", name="Why plain RNNs forget")).to_be_visible(timeout=WAIT)
        expect(page.locator(SETTLED)).to_have_count(1, timeout=WAIT)
        page.get_by_text(choice).click()
        page.get_by_role("button", name="Lock in my answer").click()
        expect(page.get_by_text(f"The class's answers ({n} so far)")).to_be_visible(timeout=WAIT)

    with streamlit_server(home=rnnviz_home) as url, chromium_page() as page:
        lock_in(page, "Less than 0.01%", 1)
        page.wait_for_function("document.cookie.includes('rnnviz_voter=')", timeout=WAIT)
        for _ in range(2):  # reloads: new sessions of the same browser
            page.reload()
            expect(page.get_by_role("heading", name="Why plain RNNs forget")).to_be_visible(timeout=WAIT)
            expect(page.locator(SETTLED)).to_have_count(1, timeout=WAIT)
            expect(page.get_by_role("button", name="Lock in my answer")).to_have_count(0)  # answered already
            expect(page.get_by_text("The class's answers (1 so far)")).to_be_visible(timeout=WAIT)
        assert sum(Tally(rnnviz_home / "lesson_answers.json").counts("memory", 1, 4)) == 1
        other = page.context.browser.new_context().new_page()  # a second browser: its own cookie, its own vote
        lock_in(other, "About 10%", 2)
        assert sum(Tally(rnnviz_home / "lesson_answers.json").counts("memory", 1, 4)) == 2
        expect(page.locator('[data-testid="stException"]')).to_have_count(0)
