"""Real browsers, classroom mode: students' pages follow the teacher through the lesson (issue 23 item 2)."""

import os
import shutil

import pytest

from tests.browser import CHROMIUM, chromium_pages, streamlit_process

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.long,  # a server and three browsers: about a minute
    pytest.mark.skipif(not os.path.exists(CHROMIUM) or shutil.which("chromium") is None,
                       reason="Debian's chromium is not installed (apt-get install -y chromium)"),
]
WAIT = 90_000  # ms: the first page run imports Keras on a busy machine
KEY = "a-teacher-key-for-tests"
SETTLED = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def test_two_students_follow_the_teacher_and_may_look_back(rnnviz_home):
    from playwright.sync_api import expect

    with streamlit_process(rnnviz_home, env={"RNNVIZ_TEACHER_KEY": KEY}) as (url, _), \
            chromium_pages(3) as (teacher, *students):
        for student in students:
            student.goto(f"{url}/lesson?lesson=memory&step=1")
            expect(student.get_by_text("step 1 of 5")).to_be_visible(timeout=WAIT)
        teacher.goto(f"{url}/lesson?lesson=memory&step=1&teacher={KEY}")
        expect(teacher.get_by_text("step 1 of 5")).to_be_visible(timeout=WAIT)
        expect(teacher.locator(SETTLED)).to_have_count(1, timeout=WAIT)
        for k in (2, 3):
            teacher.get_by_role("button", name="Next step").click()
            expect(teacher.get_by_text(f"step {k} of 5")).to_be_visible(timeout=WAIT)
            for student in students:  # within the 3 s poll (and a busy machine's page run)
                expect(student.get_by_text(f"step {k} of 5")).to_be_visible(timeout=30_000)
                assert f"step={k}" in student.url
        looker = students[0]
        looker.get_by_role("button", name="Previous step").click()  # a student looks back
        expect(looker.get_by_text("step 2 of 5")).to_be_visible(timeout=WAIT)
        teacher.wait_for_timeout(4_000)  # more than one poll: the teacher has not moved, so neither does she
        expect(looker.get_by_text("step 2 of 5")).to_be_visible()
        teacher.get_by_role("button", name="Next step").click()
        expect(teacher.get_by_text("step 4 of 5")).to_be_visible(timeout=WAIT)
        for student in students:
            expect(student.get_by_text("step 4 of 5")).to_be_visible(timeout=30_000)
        for page in (teacher, *students):
            expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def test_without_a_teacher_key_nobody_leads(rnnviz_home):
    from playwright.sync_api import expect

    with streamlit_process(rnnviz_home) as (url, _), chromium_pages(2) as (one, other):
        for page in (one, other):
            page.goto(f"{url}/lesson?lesson=memory&step=1")
            expect(page.get_by_text("step 1 of 5")).to_be_visible(timeout=WAIT)
        one.get_by_role("button", name="Next step").click()
        expect(one.get_by_text("step 2 of 5")).to_be_visible(timeout=WAIT)
        one.wait_for_timeout(4_000)  # more than one poll
        expect(other.get_by_text("step 1 of 5")).to_be_visible()


READABLE = """() => { const out = [];
  for (const e of document.querySelectorAll('[data-testid="stMain"] p, [data-testid="stMain"] label, [data-testid="stMain"] button')) {
    if (!e.getClientRects().length || !(e.textContent || '').trim()) continue;
    let alpha = 1; for (let x = e; x; x = x.parentElement) alpha *= parseFloat(getComputedStyle(x).opacity);
    if (alpha === 0 || e.closest('details:not([open])')) continue;  // folded away: not on screen
    if (e.closest('button:disabled')) continue;  // "Previous step" on step 1: faded to say it does nothing
    const s = getComputedStyle(e); const c = s.color.match(/[\\d.]+/g).map(Number);
    out.push({text: e.textContent.slice(0, 30), size: parseFloat(s.fontSize), alpha: alpha * (c.length > 3 ? c[3] : 1)});
  } return out; }"""
LOCKED = """() => [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stRadioGroup"] label p')]
  .filter(e => e.getClientRects().length && !e.closest('details:not([open])')).map(e => {
    let alpha = 1; for (let x = e; x; x = x.parentElement) alpha *= parseFloat(getComputedStyle(x).opacity);
    const c = getComputedStyle(e).color.match(/[\\d.]+/g).map(Number);
    return alpha * (c.length > 3 ? c[3] : 1); })"""
SPAN = """() => { const q = [...document.querySelectorAll('h3')].find(h => h.textContent.includes('Predict before you see'));
  const c = document.querySelector('[data-testid="stPlotlyChart"]');
  return c.getBoundingClientRect().bottom - q.getBoundingClientRect().top; }"""
CUT = """() => { const w = window.innerWidth, out = [];
  const seen = (e, what) => { const r = e.getBoundingClientRect();
    if (r.width && (r.left < -1 || r.right > w + 1)) out.push(what + ': ' + (e.textContent || '').slice(0, 40)); };
  document.querySelectorAll('[data-testid="stPlotlyChart"] .gtitle, [data-testid="stPlotlyChart"] .g-xtitle text, [data-testid="stPlotlyChart"] .g-ytitle text, [data-testid="stPlotlyChart"] .textpoint text').forEach(e => seen(e, 'chart text'));
  document.querySelectorAll('[data-testid="stTable"], [data-testid="stMain"] h3, [data-testid="stMain"] [data-testid="stRadio"]').forEach(e => seen(e, 'block'));
  document.querySelectorAll('[data-testid="stPlotlyChart"]').forEach(c => { const t = c.querySelector('.gtitle'), m = c.querySelector('.modebar-container');
    if (t && m && getComputedStyle(m).display !== 'none') { const a = t.getBoundingClientRect(), b = m.getBoundingClientRect();
      if (a.right > b.left && a.left < b.right && a.bottom > b.top && a.top < b.bottom) out.push('toolbar over ' + t.textContent); } });
  document.querySelectorAll('[data-testid="stPlotlyChart"]').forEach(c => { const box = c.getBoundingClientRect();
    c.querySelectorAll('.g-ytitle text').forEach(e => { const r = e.getBoundingClientRect();
      if (r.height && (r.top < box.top - 1 || r.bottom > box.bottom + 1)) out.push('axis title cut: ' + e.textContent.slice(0, 40)); });
    c.querySelectorAll('.g-xtitle text').forEach(x => { const a = x.getBoundingClientRect();
      c.querySelectorAll('.legendtext').forEach(l => { const b = l.getBoundingClientRect();
        if (a.right > b.left && a.left < b.right && a.bottom > b.top && a.top < b.bottom) out.push('legend over ' + x.textContent); }); }); });
  return out; }"""


@pytest.fixture
def prepared(rnnviz_home):
    """The tiny lesson (the forgetting chart, then a race of two tiny stored runs), prepared as before class."""
    from test_lesson import TINY, write

    from rnnviz import cli

    write(rnnviz_home / "lessons", TINY)
    assert cli.main(["prepare-lesson", "tiny", "--skip-preflight"]) == 0
    (rnnviz_home / "teacher.key").unlink()  # prepare-lesson locks the server; these pages are one person's
    return rnnviz_home


def _lock_in(page, url: str, step: int, extra: str = "", lesson: str = "tiny", steps: int = 2) -> None:
    from playwright.sync_api import expect

    page.goto(f"{url}/lesson?lesson={lesson}&step={step}{extra}")
    expect(page.get_by_text(f"step {step} of {steps}")).to_be_visible(timeout=WAIT)
    expect(page.locator(SETTLED)).to_have_count(1, timeout=WAIT)
    page.get_by_role("radiogroup").last.get_by_role("radio").first.check(force=True)
    page.get_by_role("button", name="Lock in my answer").click()
    expect(page.locator('[data-testid="stPlotlyChart"]').first).to_be_visible(timeout=WAIT)
    expect(page.locator(SETTLED)).to_have_count(1, timeout=WAIT)
    page.wait_for_timeout(1000)  # Plotly lays out its text after the element shows
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_projector_steps_are_readable_from_the_back(prepared, theme):
    """Issue 23 item 1: at 1920 x 1080, with the answer locked in, every step's text, choices and buttons are 24 px
    or more, nothing a student reads is faded below 0.8, and the question, choices and chart fit one screen."""
    from tests.browser import chromium_page

    extra = "&projector=1" + ("&embed_options=dark_theme" if theme == "dark" else "")
    with streamlit_process(prepared) as (url, _), chromium_page(1920, 1080) as page:
        for step in (1, 2):
            _lock_in(page, url, step, extra)
            texts = page.evaluate(READABLE)
            assert texts and min(t["size"] for t in texts) >= 24, [t for t in texts if t["size"] < 24][:3]
            assert min(t["alpha"] for t in texts) >= 0.8, [t for t in texts if t["alpha"] < 0.8][:3]
            assert page.evaluate(SPAN) <= 1080


def test_a_phone_shows_the_question_first_and_nothing_cut(prepared):
    """Issue 23 item 3: at 390 x 844 the question is on the first screen, and no chart title, axis title, bar
    label, table or choice runs off the screen or under a chart's toolbar."""
    from playwright.sync_api import expect

    from tests.browser import chromium_page

    with streamlit_process(prepared) as (url, _), chromium_page(390, 844) as page:
        for step in (1, 2):
            page.goto(f"{url}/lesson?lesson=tiny&step={step}")
            question = page.get_by_role("heading", name="Predict before you see")
            expect(question).to_be_visible(timeout=WAIT)
            expect(page.locator(SETTLED)).to_have_count(1, timeout=WAIT)
            assert question.bounding_box()["y"] < 844  # on the first screen, before any scrolling
            _lock_in(page, url, step)
            assert page.evaluate(CUT) == []
            locked = page.evaluate(LOCKED)  # the locked answer's choices, read on a phone as on the projector
            assert locked and min(locked) >= 0.8, locked


def test_a_phone_shows_the_built_in_lessons_charts_whole(rnnviz_home):
    """Issue 23 item 3 on the built-in lesson's steps that need no stored runs (the for-loop, forgetting and
    cell-path charts): at 390 x 844, with the answer locked in, no chart title, axis title or legend is cut or
    drawn over another (steps 1 and 3 had titles cut at the right, step 1 its y-axis title and a six-row legend
    over the x-axis title)."""
    from tests.browser import chromium_page

    with streamlit_process(rnnviz_home) as (url, _), chromium_page(390, 844) as page:
        for step in (1, 2, 3):
            _lock_in(page, url, step, lesson="memory", steps=5)
            assert page.evaluate(CUT) == [], step


def test_a_reload_keeps_the_teachers_unlock_and_a_students_stop(rnnviz_home):
    """Issue 21: a reload is a new session of the same browser (its id cookie). The teacher's unlock survives it;
    a student's Stop for the run they started before the reload is still there and stops it; another student's
    browser has no Stop for that run."""
    import urllib.parse

    from playwright.sync_api import expect

    from rnnviz.config import CosineData, RunConfig

    cfg = RunConfig(data=CosineData(), cell="lstm", units=32, epochs=1000)  # far longer than the test: Stop ends it
    train = "/train?" + urllib.parse.urlencode(cfg.to_query())
    retrain = "Retrain even if stored"  # the teacher's control on Train
    with streamlit_process(rnnviz_home, env={"RNNVIZ_TEACHER_KEY": KEY}) as (url, _), \
            chromium_pages(3) as (teacher, student, other):
        teacher.goto(f"{url}{train}&teacher={KEY}")
        expect(teacher.get_by_text(retrain)).to_be_visible(timeout=WAIT)
        assert KEY not in teacher.url  # the key left the address bar
        teacher.wait_for_function("document.cookie.includes('rnnviz_voter=')", timeout=WAIT)
        assert KEY not in teacher.evaluate("document.cookie")  # the cookie holds the browser's random id only
        teacher.reload()
        expect(teacher.get_by_text("has not been trained yet")).to_be_visible(timeout=WAIT)
        expect(teacher.get_by_text(retrain)).to_be_visible(timeout=WAIT)  # still unlocked after the reload

        student.goto(url + train)
        expect(student.get_by_text("only the teacher retrains")).to_be_visible(timeout=WAIT)
        expect(student.locator(SETTLED)).to_have_count(1, timeout=WAIT)
        student.wait_for_function("document.cookie.includes('rnnviz_voter=')", timeout=WAIT)
        student.get_by_role("button", name="Train", exact=True).click()
        expect(student.get_by_role("button", name="Stop", exact=True).first).to_be_visible(timeout=WAIT)
        student.reload()  # a new session: the run started before it is still this browser's
        stop = student.get_by_role("button", name="Stop", exact=True).first  # (a fragment redraw may show two briefly)
        expect(stop).to_be_visible(timeout=WAIT)

        other.goto(url + train)  # another student sees the run train, with no Stop
        expect(other.locator('[data-testid="stProgress"]').first).to_be_visible(timeout=WAIT)
        expect(other.locator(SETTLED)).to_have_count(1, timeout=WAIT)
        expect(other.get_by_role("button", name="Stop", exact=True)).to_have_count(0)
        expect(other.get_by_text("only the teacher retrains")).to_be_visible()

        stop.click()
        expect(student.get_by_text("Stopped before the last epoch")).to_be_visible(timeout=WAIT)
        for page in (teacher, student, other):
            expect(page.locator('[data-testid="stException"]')).to_have_count(0)
