"""Who this browser session is: the teacher (unlocked) or a student, and whose runs it may stop.

Classroom mode is on when a teacher key exists (`rnnviz.store.classroom`). A session opened with the teacher's
link (`?teacher=KEY`, from `python -m rnnviz teacher-link`) is unlocked for as long as it lives (its session
state), and the key leaves the address bar at once. In classroom mode only an unlocked session replaces a
stored run, clears answers, stops runs other sessions asked for, and changes or resets a lesson; a student's
session does not see those controls. With no key there is one person, with every right.

Every session also has an owner id (`owner`), under which the server's `Trainer` files its requests: Stop
withdraws only this session's interest, and the queue serves sessions in turn.
"""

from __future__ import annotations

import uuid

import streamlit as st

from rnnviz.config import env
from rnnviz.store import classroom

UNLOCKED = "teacher_unlocked"
OWNER = "rnnviz_owner"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def owner() -> str:
    """This session's id for the trainer's queue and its jobs' owners (one per browser session)."""
    return st.session_state.setdefault(OWNER, uuid.uuid4().hex)


def classroom_mode() -> bool:
    """True when a teacher key exists (a bad `RNNVIZ_TEACHER_KEY` counts as one: the server stays locked)."""
    try:
        return classroom.classroom()
    except env.EnvError:
        return True


def unlock() -> None:
    """Reads the link's `teacher` key once (app.py calls it on every run): the right key unlocks this session,
    a wrong one is named in one line; either way the key leaves the address bar."""
    given = st.query_params.get(classroom.LINK_KEY)
    if given is None:
        return
    del st.query_params[classroom.LINK_KEY]
    try:
        right = classroom.matches(given)
    except env.EnvError as e:
        st.error(str(e))
        return
    if right:
        st.session_state[UNLOCKED] = True
        st.toast("Teacher's controls unlocked for this browser session.", icon=":material/lock_open:")
    else:
        st.warning("This teacher link does not match this server's key: the teacher's controls stay locked. Run "
                   "`python -m rnnviz teacher-link` on the server for the right link.")


def is_teacher() -> bool:
    """True when this session has the teacher's rights: it was unlocked, or there is no key (one person)."""
    unlock()  # app.py unlocks on every run; a page run on its own (AppTest) unlocks here
    return bool(st.session_state.get(UNLOCKED)) or not classroom_mode()


def stop_controls(job, trainer, key: str) -> None:
    """The Stop buttons for one active job: "Stop" withdraws this session's interest (shown when it asked for the
    job); the teacher also gets "Stop for everyone" when other sessions wait for it."""
    me = owner()
    others = len(job.owners - {me})
    if me in job.owners and st.button("Stop", key=key, help="Stop after the current batch" + (
            f" (it keeps training for the {others} other session{'s' * (others > 1)} that wait for it)" if others
            else "")):
        trainer.stop(job, me)
    if others and is_teacher() and st.button("Stop for everyone", key=f"{key}_all",
                                             help=f"{others} other session{'s' * (others > 1)} wait for this run"):
        trainer.stop(job, everyone=True)


def reachable_note() -> str | None:
    """On a server without a key that other machines can reach, the one line saying how to turn classroom
    mode on; None otherwise."""
    if classroom_mode():
        return None
    address = (st.get_option("server.address") or "").strip()
    if address in LOOPBACK:
        return None
    return ("Sharing this server with a class? Run `python -m rnnviz teacher-link` on it to turn classroom mode "
            "on: then only the teacher's link can replace runs, clear answers or stop other people's runs.")
