"""Classroom mode in the app (AppTest): a student's session does not see the teacher's controls, the teacher's link
unlocks them for the session's life and leaves the address bar, Stop is per session, and Home says how to turn
classroom mode on when the server is reachable."""

from pathlib import Path

import pytest
import streamlit as st
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest
from test_lesson import TINY, write

from rnnviz.learn import lessons as lesson
from rnnviz.store import classroom

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def home(rnnviz_home):
    write(rnnviz_home / "lessons", TINY)
    st.cache_resource.clear()
    st.cache_data.clear()
    return rnnviz_home


def open_step(step: int, **extra) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/lesson.py")
    at.query_params.update({"lesson": "tiny", "step": str(step), **extra})
    return at.run()


def answered(at: AppTest) -> AppTest:
    at.radio(key="lesson_pick_tiny_1").set_value(1).run()
    return at.button(key="lesson_lock_tiny_1").click().run()


def has_button(at: AppTest, key: str) -> bool:
    return any(b.key == key for b in at.button)


def test_a_student_does_not_see_clear_answers_and_the_teachers_link_unlocks_it(home):
    assert has_button(answered(open_step(1)), "lesson_clear_1")  # no key: one person, every right (as before)
    key, _ = classroom.ensure_key()
    student = answered(open_step(1))
    assert not student.exception, student.exception
    assert not has_button(student, "lesson_clear_1")  # not shown at all, nor the box that holds it:
    assert not [e for e in student.expander if e.proto.label == "For the teacher"]
    teacher = answered(open_step(1, teacher=key))
    assert "teacher" not in teacher.query_params  # the key left the address bar
    assert not teacher.exception and has_button(teacher, "lesson_clear_1")
    assert has_button(teacher.run(), "lesson_clear_1")  # still unlocked on a later rerun
    teacher.button(key="lesson_clear_1").click().run()
    assert not teacher.exception
    assert not has_button(student, "lesson_reset_1") and has_button(teacher, "lesson_reset_1")
    answered(open_step(1))  # another student's vote, then the teacher resets the whole lesson
    teacher.button(key="lesson_reset_1").click().run()
    assert not teacher.exception and lesson.Tally().counts("tiny", 0, 3) == [0, 0, 0]
    wrong = open_step(1, teacher="not-the-key-at-all")
    assert any("does not match this server's key" in w.value for w in wrong.warning)  # said as the link opens
    wrong = answered(wrong)
    assert "teacher" not in wrong.query_params and not has_button(wrong, "lesson_clear_1")


def _stop_page():
    import types

    import streamlit as st

    from rnnviz.ui import roles

    class Trainer:
        def stop(self, job, owner="", everyone=False):
            st.session_state.setdefault("stops", []).append((owner, everyone))

    roles.owner()
    job = types.SimpleNamespace(owners={st.session_state["rnnviz_owner"] if "me" in o else o
                                        for o in st.session_state["asked"]})
    roles.stop_controls(job, Trainer(), "stop")


@pytest.mark.parametrize("asked, unlocked, want", [
    (["me", "bob"], False, ["stop"]),  # a student's Stop: withdraws this session's interest only
    (["bob"], False, []),  # someone else's run: no Stop at all
    (["bob"], True, ["stop_all"]),  # the teacher may stop anyone's
    (["me"], True, ["stop"]),  # nobody else waits: a plain Stop
])
def test_stop_is_offered_for_this_sessions_runs_and_to_the_teacher_for_everyones(home, asked, unlocked, want):
    classroom.ensure_key()
    at = AppTest.from_function(_stop_page)
    at.session_state["asked"] = asked
    if unlocked:
        at.session_state["teacher_unlocked"] = True
    at.run()
    assert not at.exception and [b.key for b in at.button] == want
    if want:
        at.button(key=want[0]).click().run()
        me = at.session_state["rnnviz_owner"]
        assert at.session_state["stops"] == ([(me, False)] if want == ["stop"] else [("", True)])


@pytest.fixture
def cookie(monkeypatch):
    """The browser's id cookie as a reload sends it (AppTest has no cookies): set `cookie["id"]`."""
    from rnnviz.ui import roles

    sent = {"id": None}
    monkeypatch.setattr(roles, "_cookie", lambda: sent["id"])
    return sent


def test_a_reload_keeps_the_teachers_unlock_for_that_browser_only(home, cookie):
    """Issue 21: a reload is a new session of the same browser (its id cookie): the unlock, kept on the server,
    survives it; another browser, a made-up cookie or one holding the key is a student's."""
    key, _ = classroom.ensure_key()
    cookie["id"] = "a" * 32
    teacher = answered(open_step(1, teacher=key))
    assert not teacher.exception and has_button(teacher, "lesson_clear_1")
    again = open_step(1)  # the reload: no key in the link, the same cookie
    assert not again.exception and has_button(again, "lesson_clear_1")  # unlocked, and answered (its vote kept)
    for other in ("b" * 32, key, None):  # another browser, the key as a cookie, no cookie (a new browser)
        cookie["id"] = other
        assert not has_button(open_step(1), "lesson_clear_1")
    cookie["id"] = "a" * 32
    home_page = AppTest.from_file(APP, default_timeout=120).run()  # (AppTest shows app.py's sidebar on Home only)
    home_page.button(key="teacher_lock").click().run()  # the teacher locks this browser again
    assert not has_button(home_page, "teacher_lock") and not has_button(open_step(1), "lesson_clear_1")


def test_stop_after_a_reload_stops_this_browsers_runs_and_never_another_browsers(home, cookie):
    """Issue 21: jobs are owned by the browser's id, so a reload (a new session, the same cookie) still has the
    Stop of its own runs, and another browser has none."""
    classroom.ensure_key()
    cookie["id"] = "c" * 32
    first = AppTest.from_function(_stop_page)
    first.session_state["asked"] = ["me"]
    first.run()
    assert first.session_state["rnnviz_owner"] == "c" * 32
    reloaded = AppTest.from_function(_stop_page)
    reloaded.session_state["asked"] = ["c" * 32, "bob"]  # the job asked for before the reload, and bob's
    reloaded.run()
    assert [b.key for b in reloaded.button] == ["stop"]
    reloaded.button(key="stop").click().run()
    assert reloaded.session_state["stops"] == [("c" * 32, False)]
    cookie["id"] = "d" * 32  # another browser: no Stop for either run
    other = AppTest.from_function(_stop_page)
    other.session_state["asked"] = ["c" * 32, "bob"]
    assert not [b.key for b in other.run().button]


def test_home_says_how_to_turn_classroom_mode_on_only_where_it_is_reachable_and_off(home):
    def note(at: AppTest) -> bool:
        return any("teacher-link" in i.value for i in at.info)

    before = st_config.get_option("server.address")
    try:
        st_config.set_option("server.address", "0.0.0.0")  # reachable from other machines
        assert note(AppTest.from_file(APP, default_timeout=120).run())
        classroom.ensure_key()
        assert not note(AppTest.from_file(APP, default_timeout=120).run())  # classroom mode is on already
        (home / "teacher.key").unlink()
        st_config.set_option("server.address", "127.0.0.1")  # this machine only
        assert not note(AppTest.from_file(APP, default_timeout=120).run())
    finally:
        st_config.set_option("server.address", before)


@pytest.mark.slow  # trains a tiny run and opens Compare: about 10-20 s with the Keras import
def test_a_student_cannot_replace_a_stored_run_by_import(home):
    from rnnviz.store import RunStore, export
    from rnnviz.training.jobs import train_and_store
    from tests.conftest import tiny

    run = train_and_store(tiny(), RunStore())[0]
    classroom.ensure_key()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at = at.switch_page("pages/compare.py").run()
    at.file_uploader(key="import_zip").set_value(("run.zip", export.run_zip(run), "application/zip")).run()
    assert not at.exception and not has_button(at, "import_replace")
    want = (f"Import refused: run {run.run_id} ({run.config.summary()}) is stored here already: in this class only "
            "the teacher replaces a stored run.")
    assert [e.value for e in at.error] == [want]


def test_a_student_cannot_retrain_a_stored_run_for_everyone(home):
    """A retrain replaces a stored run (a lesson's pinned one too) for every session: the teacher's call."""
    def train_page(**extra) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=120)
        at.query_params.update(extra)
        at.run()
        return at.switch_page("pages/train.py").run()

    assert any(c.key == "retrain" for c in train_page().checkbox)  # no key: one person, every right
    key, _ = classroom.ensure_key()
    student = train_page()
    assert not student.exception and not any(c.key == "retrain" for c in student.checkbox)
    assert any("only the teacher retrains" in c.value for c in student.caption)
    assert any(c.key == "retrain" for c in train_page(teacher=key).checkbox)


@pytest.mark.slow  # starts a trio training in the background: about 10 s with the Keras import
def test_the_trio_keeps_its_stop_after_a_reload_and_no_other_browser_gets_it(home, cookie):
    """Issue 21: Compare after a reload shows "Stop the trio" for this browser's runs (the trio is read from the
    link), and another browser's session has none."""
    from tests.conftest import set_sidebar

    def compare_page(query: dict | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=120)
        at.run()
        at.switch_page("pages/compare.py")
        at.query_params.update(query or {})
        return at.run()

    classroom.ensure_key()
    cookie["id"] = "e" * 32
    at = compare_page()
    at.sidebar.radio(key="w_data").set_value("cosine").run()
    set_sidebar(at, {"w_cosine_length": 200, "w_cosine_window": 10, "w_units": 4, "w_epochs": 1000})
    at.run()
    next(b for b in at.button if b.label == "Train the trio").click().run()
    link = {k: at.query_params[k] for k in at.query_params}
    stop = "Stop the trio"
    cookie["id"] = "f" * 32  # another browser on the same link: the runs train, no Stop
    assert not [b for b in compare_page(link).button if b.label == stop]
    cookie["id"] = "e" * 32  # the reload
    again = compare_page(link)
    assert not again.exception, again.exception
    next(b for b in again.button if b.label == stop).click().run()
    from rnnviz.config import RunConfig
    from rnnviz.inspect import compare
    from rnnviz.ui.core import trainer

    cfg, _ = RunConfig.from_query(link, ignore=("runs", "match", "cells"))
    trio = compare.trio(cfg, link.get("match") == "1", compare.CELL_SETS["trio"])
    jobs = [trainer().get(c.run_id) for c in trio]
    assert any(j is not None for j in jobs)
    assert all(j is None or "e" * 32 not in j.owners for j in jobs)  # this browser asked for none of them now


def test_a_server_started_in_classroom_mode_says_it_trains_4_at_once_and_each_browser_at_most_2(home):
    classroom.ensure_key()
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/train.py").run()
    assert not at.exception, at.exception
    (line,) = [c.value for c in at.caption if c.value.startswith("Trainings run on")]
    assert "4 trainings at once" in line and "each browser trains at most 2 at once" in line
