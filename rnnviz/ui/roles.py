"""Who this browser is: the teacher (unlocked) or a student, and whose runs it may stop.

Every browser has one random id (`browser`), kept in the `rnnviz_voter` cookie (set from the page, so a reload,
a new Streamlit session, is the same browser). It is the browser's vote on the Lesson page (hashed, `voter`) and
the owner (`owner`) under which the server's `Trainer` files its requests: Stop withdraws only this browser's
interest, also after a reload, and the queue serves browsers in turn.

Classroom mode is on when a teacher key exists (`rnnviz.store.classroom`). A browser that opens the teacher's
link (`?teacher=KEY`, from `python -m rnnviz teacher-link`) is unlocked, and the key leaves the address bar at
once. The unlock is kept on the server (`classroom.Unlocks`, in memory, keyed by an HMAC of the browser's id
under the key), never in the cookie: a reload of that browser stays unlocked for `classroom.UNLOCK_HOURS`, until
the teacher locks it again, the key changes or the server restarts. The cookie holds only the random id, so a
student who edits their cookie gains nothing, and copying the teacher's cookie needs the teacher's browser.
In classroom mode only an unlocked browser replaces a stored run, clears answers, stops runs other browsers
asked for, and changes or resets a lesson; a student's session does not see those controls. With no key there
is one person, with every right.
"""

from __future__ import annotations

import hashlib
import re
import uuid

import streamlit as st

from rnnviz.config import env
from rnnviz.store import classroom

UNLOCKED = "teacher_unlocked"
OWNER = "rnnviz_owner"
BROWSER = "rnnviz_browser"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
COOKIE = "rnnviz_voter"
"""The cookie holding this browser's random id (named for its first use, the Lesson page's votes)."""
BROWSER_ID = re.compile(r"^[0-9a-f]{32}$")


def _cookie() -> str | None:
    """The browser's id cookie as this session's first request sent it (None in AppTest: no cookies)."""
    return st.context.cookies.get(COOKIE)


def browser() -> str:
    """This browser's id: the cookie's, else a new random one for this session (which `remember_browser` puts in
    the cookie for the browser's next sessions)."""
    if BROWSER not in st.session_state:
        cookie = _cookie()
        known = isinstance(cookie, str) and bool(BROWSER_ID.match(cookie))
        st.session_state[BROWSER] = cookie if known else uuid.uuid4().hex
        st.session_state[f"{BROWSER}_new"] = not known
    return st.session_state[BROWSER]


def remember_browser() -> None:
    """Sets the id cookie from a one-pixel `st.iframe` (an HTML string is embedded same-origin, so `document.cookie`
    there is the app's), for a session that came without one (app.py calls it on every run). `st.iframe` replaces
    `components.v1.html`, which Streamlit deprecated as of 2026-06-01."""
    browser()
    if st.session_state.get(f"{BROWSER}_new"):
        st.iframe(f"<script>document.cookie = '{COOKIE}={browser()}; path=/; max-age=31536000; "
                  "SameSite=Lax';</script>", height=1)


def voter() -> str:
    """This browser's voter id for the class's answers: a hash of its id, so the answers file never holds the id
    that an unlocked teacher's browser is known by."""
    return hashlib.sha256(f"voter:{browser()}".encode()).hexdigest()[:32]


def owner() -> str:
    """This browser's id for the trainer's queue and its jobs' owners (a reload keeps it)."""
    return st.session_state.setdefault(OWNER, browser())


@st.cache_resource
def unlocks() -> classroom.Unlocks:
    """The browsers the teacher's link unlocked (one registry per server process)."""
    return classroom.Unlocks()


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
        unlocks().add(browser())
        st.toast("Teacher's controls unlocked for this browser (a reload keeps them).", icon=":material/lock_open:")
    else:
        st.warning("This teacher link does not match this server's key: the teacher's controls stay locked. Run "
                   "`python -m rnnviz teacher-link` on the server for the right link.")


def unlocked() -> bool:
    """True when the teacher's link unlocked this session or, before a reload, this browser."""
    if st.session_state.get(UNLOCKED):
        return True
    try:
        return unlocks().has(browser())
    except env.EnvError:  # a bad `RNNVIZ_TEACHER_KEY`: nobody is unlocked
        return False


def is_teacher() -> bool:
    """True when this session has the teacher's rights: it was unlocked, or there is no key (one person)."""
    unlock()  # app.py unlocks on every run; a page run on its own (AppTest) unlocks here
    return not classroom_mode() or unlocked()


def lock_control() -> None:
    """In the sidebar of an unlocked browser in classroom mode: a button that locks the teacher's controls in this
    browser again (a shared computer after class)."""
    if not classroom_mode() or not unlocked():
        return

    def lock() -> None:
        st.session_state[UNLOCKED] = False
        unlocks().drop(browser())

    st.sidebar.button("Lock the teacher's controls", key="teacher_lock", on_click=lock, icon=":material/lock:",
                      help="This browser becomes a student's again, reloads included; the teacher's link unlocks "
                           "it again.")


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
