"""The class's answers to the lessons' questions, counted for every session of the server in one small JSON file.

One vote per voter and step: a voter is a browser (the Lesson page keeps a random id in a cookie, so a reload
does not make a new voter) or, without that cookie, a browser session. A second vote moves the first.

The file, `$RNNVIZ_HOME/lesson_answers.json`::

    {"version": 2,
     "votes": {"LESSON/STEP": {"VOTER": [CHOICE, UNIX_TIME], ...}, ...},
     "resets": {"LESSON": UNIX_TIME, ...}}

(the first format, `{"LESSON/STEP": {"VOTER": CHOICE}}`, is still read). Storage is bounded: a vote older than
its lesson's last reset (`reset`) is dropped, a step keeps its `MAX_VOTERS` latest votes and the file its
`MAX_STEPS` most recently answered steps. Every write replaces the file atomically (a temporary file in the same
folder, then `os.replace`) under a lock. A file that cannot be read as answers (truncated, not JSON) is set
aside as `lesson_answers.json.damaged-TIME` and reported once (`problem`); the answers this server had read
before are kept and written back. A wrong-typed entry is dropped alone.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from rnnviz.store.runs import default_root

MAX_VOTERS = 2000
"""Votes kept per step (the latest ones): a class many times over."""
MAX_STEPS = 500
"""Steps kept in the file (the most recently answered ones)."""
MAX_KEY = 200
"""The longest lesson/step key or voter id kept (longer ones are no answers this app wrote)."""

log = logging.getLogger(__name__)
Votes = dict[str, dict[str, list]]  # "lesson/step" -> voter -> [choice, time]


class Tally:
    """The class's answers (see the module's docstring).

    Args:
        path: the JSON file (default `$RNNVIZ_HOME/lesson_answers.json`).
    """

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else default_root() / "lesson_answers.json"
        self._lock = threading.Lock()
        self._votes: Votes = {}
        self._resets: dict[str, float] = {}
        self._seen: tuple | None = None  # the file's (mtime_ns, size) when it was last read
        self._problem: str | None = None

    def problem(self) -> str | None:
        """The last thing that went wrong with the file on this server (it was damaged and set aside), or None.

        It is logged once when it happens (Python's `logging`, the server's console); pages show it to the teacher.
        """
        return self._problem

    def _load(self) -> None:
        """Reads the file when it changed since the last read (call with the lock held)."""
        try:
            st = self.path.stat()
        except OSError:
            self._seen = None
            return
        if self._seen == (st.st_mtime_ns, st.st_size):
            return
        try:
            doc = json.loads(self.path.read_bytes())
            if not isinstance(doc, dict):
                raise ValueError(f"it holds a {type(doc).__name__}, not an object")  # noqa: TRY004 (set aside below)
        except (OSError, ValueError, RecursionError) as e:
            self._set_aside(e)
            return
        self._votes, self._resets = _votes(doc), _resets(doc)
        self._seen = (st.st_mtime_ns, st.st_size)

    def _set_aside(self, why: BaseException) -> None:
        """Renames a damaged file out of the way (kept for a person to look at) and notes it once."""
        aside = self.path.with_name(f"{self.path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            os.replace(self.path, aside)
            where = f"set aside as {aside.name}"
        except OSError as e:
            where = f"could not be set aside ({e.strerror or e})"
        self._seen = None
        self._problem = (f"The class's answers file {self.path.name} could not be read ({str(why)[:80]}): "
                         f"{where}; the answers this server had read are kept.")
        log.warning(self._problem)

    def _write(self) -> None:
        """Drops what is past its reset or over the bounds, then replaces the file atomically (lock held)."""
        votes = {}
        for key, voters in self._votes.items():
            since = self._resets.get(key.rpartition("/")[0], 0.0)
            kept = sorted(((v, cv) for v, cv in voters.items() if cv[1] >= since), key=lambda item: item[1][1])
            if kept:
                votes[key] = dict(kept[-MAX_VOTERS:])
        recent = sorted(votes, key=lambda key: max(cv[1] for cv in votes[key].values()))[-MAX_STEPS:]
        self._votes = {key: votes[key] for key in recent}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w") as f:
                json.dump({"version": 2, "votes": self._votes, "resets": self._resets}, f)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        st = self.path.stat()
        self._seen = (st.st_mtime_ns, st.st_size)

    def vote(self, lesson: str, step: int, voter: str, choice: int) -> None:
        """Records `voter`'s answer (0-based `choice`) to a step (0-based), replacing its earlier one."""
        with self._lock:
            self._load()
            self._votes.setdefault(f"{lesson}/{step}", {})[str(voter)[:MAX_KEY]] = [int(choice), time.time()]
            self._write()

    def mine(self, lesson: str, step: int, voter: str) -> int | None:
        """`voter`'s answer to a step (0-based), or None."""
        with self._lock:
            self._load()
            vote = self._votes.get(f"{lesson}/{step}", {}).get(str(voter)[:MAX_KEY])
        return None if vote is None else vote[0]

    def counts(self, lesson: str, step: int, n_choices: int) -> list[int]:
        """How many voters picked each choice of a step."""
        with self._lock:
            self._load()
            picks = [cv[0] for cv in self._votes.get(f"{lesson}/{step}", {}).values()]
        return [picks.count(k) for k in range(n_choices)]

    def clear(self, lesson: str, step: int) -> None:
        """Forgets every answer to a step (a new class)."""
        with self._lock:
            self._load()
            if self._votes.pop(f"{lesson}/{step}", None) is not None:
                self._write()

    def reset(self, lesson: str) -> None:
        """Forgets every answer to a lesson's steps: votes older than now are dropped."""
        with self._lock:
            self._load()
            self._resets[lesson] = time.time()
            self._write()


def _votes(doc: dict[str, Any]) -> Votes:
    """The well-typed votes of a parsed file (either format); a wrong-typed entry is dropped alone."""
    raw = doc.get("votes") if doc.get("version") == 2 else doc
    votes: Votes = {}
    for key, voters in (raw.items() if isinstance(raw, dict) else ()):
        if not isinstance(key, str) or "/" not in key or len(key) > MAX_KEY or not isinstance(voters, dict):
            continue
        kept = {}
        for voter, entry in voters.items():
            choice, at = entry if isinstance(entry, list) and len(entry) == 2 else (entry, 0.0)
            if (isinstance(choice, int) and not isinstance(choice, bool) and 0 <= choice < 100
                    and _finite(at) and len(voter) <= MAX_KEY):
                kept[voter] = [choice, float(at)]
        if kept:
            votes[key] = kept
    return votes


def _resets(doc: dict[str, Any]) -> dict[str, float]:
    raw = doc.get("resets") if doc.get("version") == 2 else None
    return {k: float(v) for k, v in (raw.items() if isinstance(raw, dict) else ()) if _finite(v)}


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
