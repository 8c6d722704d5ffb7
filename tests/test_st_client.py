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


@pytest.mark.slow  # a streamlit server and three small trainings: 20-60 s on a busy 2-core machine
def test_a_run_behind_others_polls_each_second_and_fast_once_it_is_next(rnnviz_home):
    """While a run waits behind others its page asks once a second (30 waiting students used to poll 7 times a
    second each, taking the server's CPU from the trainings); once it is next, fast until its first point."""
    import st_client

    from rnnviz.ui import roles
    from tests.conftest import tiny

    def progress(s) -> str:  # the last progress bar that arrived (the live fragment redraws it)
        bars = [e.progress.text for e in s.elements if e.WhichOneof("type") == "progress"]
        return bars[-1] if bars else ""

    def waiting(s) -> bool:
        return "Waiting in the queue" in progress(s)

    async def go(url: str) -> tuple[list[float], list[float]]:
        async with st_client.Session(url, cookie={roles.COOKIE: "a" * 32}) as a, \
                st_client.Session(url, cookie={roles.COOKIE: "c" * 32}) as c, \
                st_client.Session(url, cookie={roles.COOKIE: "b" * 32}) as b:
            for session, cfg in ((a, tiny(epochs=1000)), (c, tiny(epochs=1000, seed=7))):
                await session.open("train", cfg.to_query())
                await session.click("Train")
            await a.wait_for(lambda s: s.find("button", "Stop") is not None, 60)
            await c.wait_for(waiting, 60)  # next in the queue
            await b.open("train", tiny(seed=5).to_query())
            await b.click("Train")
            await b.wait_for(waiting, 60)  # behind c's run
            behind = list(b.paces)
            await a.click("Stop")  # c's run starts: b's is next
            await c.wait_for(lambda s: progress(s) and not waiting(s) and s.find("button", "Stop"), 60)
            await c.click("Stop")
            await b.wait_for(lambda s: s.find("metric", "Validation RMSE, one step") is not None, 120)
            return behind, b.paces

    with streamlit_process(rnnviz_home, timeout=120, env={"RNNVIZ_TRAIN_WORKERS": "1"}) as (url, _):
        behind, paces = asyncio.run(asyncio.wait_for(go(url), 300))
    assert behind and behind[-1] == 1.0  # behind another queued run: once a second
    assert pytest.approx(0.15) in paces[len(behind):]  # next, then started: fast until the first point
