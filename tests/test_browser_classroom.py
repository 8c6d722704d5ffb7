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
