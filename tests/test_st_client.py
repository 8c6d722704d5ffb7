"""The load benchmark's browserless client (`benchmarks/st_client.py`) drives a real server as a browser would:
it opens a lesson step, answers, locks in and sees the chart, and its answer is counted for the class once."""

import asyncio
import sys
import uuid
from pathlib import Path

import pytest

from tests.browser import streamlit_process

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))


@pytest.mark.slow  # a streamlit server: 10-30 s on a busy 2-core machine
def test_a_browserless_student_answers_a_lesson_step(rnnviz_home):
    import st_client
    from test_lesson import TINY, write

    from rnnviz.learn import tally
    from rnnviz.ui import roles

    write(rnnviz_home / "lessons", TINY)

    async def student(url: str) -> tuple[int, int, bool]:
        async with st_client.Session(url, cookie={roles.COOKIE: uuid.uuid4().hex}) as s:
            await s.open("lesson", {"lesson": "tiny", "step": 1})
            assert s.has_text("Predict before you see") and s.count("plotly_chart") == 0
            s.set_radio("Your answer", 1)
            await s.rerun()
            await s.click("Lock in my answer")
            charts = s.count("plotly_chart")
            await s.click("Next step")
            return charts, len(s.exceptions), "step=2" in s.query

    with streamlit_process(rnnviz_home, timeout=120) as (url, _):
        charts, exceptions, moved = asyncio.run(asyncio.wait_for(student(url), 120))
    assert charts >= 1 and exceptions == 0 and moved
    assert tally.Tally(rnnviz_home / "lesson_answers.json").counts("tiny", 0, 2) == [0, 1]  # counted once
