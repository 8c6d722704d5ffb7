"""Classroom mode: the teacher's key, the link that unlocks a browser session, and the runs `prepare-lesson` pins.

Classroom mode is on when a teacher key exists: `$RNNVIZ_TEACHER_KEY`, or the key file
`$RNNVIZ_HOME/teacher.key` (made by `python -m rnnviz teacher-link` or `prepare-lesson`, readable by its owner
only). A session opened with the teacher's link (`?teacher=KEY`) is unlocked; every other session is a
student's. With no key the app is one person's, with every right (`rnnviz.ui.roles` decides what a session may
do; this module is the plain-Python part, so the command line uses it too).

A browser the link unlocked stays unlocked across reloads: `Unlocks` keeps, in the server's memory, an HMAC of
the browser's random id under the key (never the key, nor anything derived from it, in the browser), for
`UNLOCK_HOURS`; a changed key or a server restart locks every browser again.

Pinned runs (`$RNNVIZ_HOME/pinned.json`): every run `prepare-lesson` stored or found, with a fingerprint of its
files. An import never replaces a pinned run (`rnnviz.store.export.import_zip`), and `prepare-lesson` trains
again a pinned run whose files no longer match (`changed_pins`).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
import urllib.parse
from pathlib import Path

from rnnviz.config import env
from rnnviz.store.runs import FILES, RunStore, default_root

KEY_FILE = "teacher.key"
PINS_FILE = "pinned.json"
LINK_KEY = "teacher"
"""The link key that carries the teacher's key (`?teacher=KEY`)."""
DEFAULT_URL = "http://localhost:8501"
CLASSROOM_MINUTES = 20.0
"""The ceiling on one run's training time in classroom mode when `RNNVIZ_MAX_RUN_MINUTES` is unset."""
CLASSROOM_WORKERS = 4
"""Trainings a server started in classroom mode runs at once when `RNNVIZ_TRAIN_WORKERS` is unset: enough that
10 students who press Train beside a classmate's sweep all start within 3 runs' time on a 2-core machine
(`benchmarks/class_load.py --part b`); one alone still has the whole machine."""
MAX_KEY_BYTES = 1024
UNLOCK_HOURS = 12.0
"""How long a browser the teacher's link unlocked stays unlocked (a school day)."""
SESSION_DATASETS = 3
"""In classroom mode, the most datasets one student's browser session may store by uploading (`rnnviz.ui.uploads`);
the teacher's session and the command line have no such limit, nor has an app without a key."""
SESSION_DATASET_MB = 100
"""In classroom mode, the most megabytes of datasets one student's browser session may store by uploading."""


def key_path(root: Path | None = None) -> Path:
    """`$RNNVIZ_HOME/teacher.key`."""
    return (root or default_root()) / KEY_FILE


def key(root: Path | None = None) -> str | None:
    """The teacher's key: `$RNNVIZ_TEACHER_KEY`, else the key file's (None: no key, the app is one person's).

    Raises:
        rnnviz.config.env.EnvError: `RNNVIZ_TEACHER_KEY` holds an unusable value.
    """
    given = env.teacher_key()
    if given is not None:
        return given
    try:
        with open(key_path(root), "rb") as f:
            text = f.read(MAX_KEY_BYTES).decode("ascii", "replace").strip()
    except OSError:
        return None
    return text or None


def classroom(root: Path | None = None) -> bool:
    """True when a teacher key exists (classroom mode)."""
    return key(root) is not None


def ensure_key(root: Path | None = None) -> tuple[str, bool]:
    """The teacher's key, made (and written to the key file, mode 0600) when there is none.

    Returns:
        `(key, made)`: `made` is True when this call wrote the key file.
    """
    existing = key(root)
    if existing is not None:
        return existing, False
    path = key_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = secrets.token_urlsafe(24)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another command made it a moment ago: theirs is the key
        return key(root) or new, False
    with os.fdopen(fd, "w") as f:
        f.write(new + "\n")
    return new, True


def matches(given: str | None, root: Path | None = None) -> bool:
    """True when `given` is the teacher's key (compared in constant time)."""
    expected = key(root)
    if not given or expected is None:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8", "replace"))


class Unlocks:
    """The browsers the teacher's link unlocked (one per server process; thread-safe).

    Each is kept as an HMAC of its id under the teacher's key, so a changed key locks them all, with the time it
    was unlocked (`hours` later it is locked again).

    Args:
        hours: how long an unlock lasts.
        root: the run store's folder whose key file counts (default `$RNNVIZ_HOME`).
    """

    def __init__(self, hours: float = UNLOCK_HOURS, root: Path | None = None):
        self.hours, self.root = hours, root
        self._lock, self._since = threading.Lock(), {}

    def _token(self, browser: str) -> str | None:
        """The browser's entry under the current key (None: no key).

        Raises:
            rnnviz.config.env.EnvError: `RNNVIZ_TEACHER_KEY` holds an unusable value.
        """
        teacher_key = key(self.root)
        if teacher_key is None or not browser:
            return None
        return hmac.new(teacher_key.encode("utf-8", "replace"), f"unlock:{browser}".encode("utf-8", "replace"),
                        hashlib.sha256).hexdigest()

    def add(self, browser: str) -> None:
        """Unlocks `browser` (the caller checked the teacher's key)."""
        if (token := self._token(browser)) is not None:
            with self._lock:
                now = time.time()
                self._since = {t: s for t, s in self._since.items() if now - s < self.hours * 3600}
                self._since[token] = now

    def has(self, browser: str) -> bool:
        """True when `browser` was unlocked under the current key less than `hours` ago."""
        token = self._token(browser)
        with self._lock:
            since = self._since.get(token) if token is not None else None
        return since is not None and time.time() - since < self.hours * 3600

    def drop(self, browser: str) -> None:
        """Locks `browser` again."""
        if (token := self._token(browser)) is not None:
            with self._lock:
                self._since.pop(token, None)


class AddressError(ValueError, argparse.ArgumentTypeError):
    """Not an http(s) address (as `--url`'s type, argparse prints this message and exits 2)."""


def url(base: str) -> str:
    """`base` stripped, if it is an http(s) address (the `--url` of `teacher-link` and `prepare-lesson`).

    Raises:
        AddressError: it is not.
    """
    parts = urllib.parse.urlsplit(base.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise AddressError(f"the app's address must look like {DEFAULT_URL}. Received: {env.cut(base)!r}")
    return base.strip()


def link(teacher_key: str, base: str = DEFAULT_URL) -> str:
    """The link that unlocks a browser session: `base` with `?teacher=KEY` (other query values kept).

    Raises:
        ValueError: `base` is not an http(s) address.
    """
    parts = urllib.parse.urlsplit(url(base))
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k != LINK_KEY] + [(LINK_KEY, teacher_key)]
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path or "/", urllib.parse.urlencode(query),
                                    ""))


def teacher_link(base: str = DEFAULT_URL, root: Path | None = None) -> tuple[str, bool]:
    """The teacher's link on `base`, the key file made first when there is no key.

    Returns:
        `(link, made)`: `made` is True when this call wrote the key file.

    Raises:
        ValueError: `base` is not an http(s) address (nothing is made then).
    """
    url(base)  # checked before any key file is made
    teacher_key, made = ensure_key(root)
    return link(teacher_key, base), made


def max_run_minutes(root: Path | None = None) -> float | None:
    """The ceiling on one run's training time for the app's runs: `$RNNVIZ_MAX_RUN_MINUTES` (0: none), else
    `CLASSROOM_MINUTES` in classroom mode, else None."""
    given = env.max_run_minutes()
    if given is not None:
        return given or None
    return CLASSROOM_MINUTES if classroom(root) else None


def train_workers(root: Path | None = None) -> int:
    """Trainings the app runs at once: `$RNNVIZ_TRAIN_WORKERS`, else `CLASSROOM_WORKERS` in classroom mode, else 1.

    Raises:
        rnnviz.config.env.EnvError: `RNNVIZ_TRAIN_WORKERS` (or `RNNVIZ_TEACHER_KEY`) holds a bad value.
    """
    return env.train_workers(default=CLASSROOM_WORKERS if classroom(root) else 1)


def running_cap(workers: int, root: Path | None = None) -> int | None:
    """Runs one session may train at once: half the `workers`, rounded up, in classroom mode (so a sweep leaves
    workers free for the class); None (no cap) otherwise. A bad `RNNVIZ_TEACHER_KEY` counts as classroom mode."""
    try:
        on = classroom(root)
    except env.EnvError:
        on = True
    return (workers + 1) // 2 if on else None


def fingerprint(store: RunStore, run_id: str) -> str | None:
    """A sha256 over a stored run's files (None when it is not stored)."""
    digest = hashlib.sha256()
    folder = store.runs / run_id
    for name in (*FILES, "snapshots.npz", "batches.json"):
        try:
            with open(folder / name, "rb") as f:
                digest.update(name.encode() + b"\0")
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
        except FileNotFoundError:
            if name in FILES:
                return None
        except OSError:
            return None
    return digest.hexdigest()


def pins(root: Path | None = None) -> dict[str, str]:
    """Pinned run id -> fingerprint (empty when there is no pin file or it is unreadable)."""
    try:
        data = json.loads(((root or default_root()) / PINS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def pinned(run_id: str, root: Path | None = None) -> bool:
    """True when `prepare-lesson` pinned this run (an import may not replace it)."""
    return run_id in pins(root)


def pin(store: RunStore, run_ids: list[str]) -> None:
    """Pins these stored runs with their files' fingerprints (written whole, then renamed into place)."""
    current = pins(store.root)
    for run_id in run_ids:
        if (print_ := fingerprint(store, run_id)) is not None:
            current[run_id] = print_
    store.root.mkdir(parents=True, exist_ok=True)
    path, tmp = store.root / PINS_FILE, store.root / f".{PINS_FILE}.{os.getpid()}"
    tmp.write_text(json.dumps(current, indent=1))
    os.replace(tmp, path)


def changed_pins(store: RunStore, run_ids: list[str]) -> list[str]:
    """The pinned runs among `run_ids` whose stored files no longer match their pin (edited, replaced)."""
    current = pins(store.root)
    return [r for r in run_ids if r in current and (store.runs / r).exists()
            and fingerprint(store, r) != current[r]]


def drop_changed(store: RunStore, run_ids: list[str]) -> list[str]:
    """Deletes the pinned runs among `run_ids` whose files changed (`changed_pins`), so they are trained again.

    Returns:
        Their run ids.
    """
    changed = changed_pins(store, run_ids)
    for run_id in changed:
        store.delete(run_id)
    return changed
