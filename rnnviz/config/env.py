"""The environment variables RNN Explorer reads, parsed in one place.

A bad value is an `EnvError` (a `ValueError`) that names the variable, the value received (cut to about 200
characters) and the fix, so the CLI exits 2 with one line and a page shows it instead of a traceback.

| variable                 | meaning                                            | default              |
|--------------------------|----------------------------------------------------|----------------------|
| `RNNVIZ_HOME`            | folder of the run store (`runs/`, `tensorboard/`)  | `~/.rnnviz`          |
| `RNNVIZ_DATA_DIR`        | folder holding the data sets' standard files       | none (Keras cache)   |
| `RNNVIZ_OFFLINE`         | 1/true/yes/on: never download                      | off                  |
| `RNNVIZ_MEMORY_LIMIT_MB` | memory one training may use, in MB                 | half the RAM/workers |
| `RNNVIZ_TRAIN_WORKERS`   | trainings the app runs at once                     | 1                    |
| `RNNVIZ_EXECUTOR`        | where trainings run: `process` or `thread`         | process on TF        |
| `RNNVIZ_WORKER_RUNS`     | runs a training process does before it is replaced | 25                   |
| `RNNVIZ_TEACHER_KEY`     | the teacher's key: classroom mode on               | `$RNNVIZ_HOME/teacher.key` |
| `RNNVIZ_SESSION_QUEUE`   | runs one browser session may have queued           | 12                   |
| `RNNVIZ_MAX_RUN_MINUTES` | longest training of one run, in minutes (0: none)  | 20 in classroom mode |
| `KERAS_HOME`             | Keras's folder (its `datasets/` cache)             | `~/.keras`           |
| `RNNVIZ_UPLOAD_LIMIT_MB` | the largest data file a user may upload or name    | 50                   |
"""

from __future__ import annotations

import math
import os

CUT = 200
"""About how many characters of a received value a message repeats (see `cut`)."""
MAX_PATH_CHARS = 4096  # Linux's PATH_MAX: a longer path cannot be opened anyway
TRUE, FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


class EnvError(ValueError):
    """An environment variable holds a value the app cannot use; the message names it and the fix."""


def cut(text: object, limit: int = CUT) -> str:
    """`text` as a string of at most about `limit` characters (the rest replaced by a count)."""
    text = str(text)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text) - limit:,} more characters)"


def _fail(name: str, raw: str, rule: str, fix: str) -> EnvError:
    return EnvError(f"`{name}` must be {rule}. Received: {name}={cut(raw)!r}. Fix: {fix}")


def integer(name: str, default: int, lo: int, hi: int) -> int:
    """An int environment variable in `[lo, hi]`; `default` when it is unset or empty."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not lo <= value <= hi:
        raise _fail(name, raw, f"a whole number from {lo} to {hi}", f"set it to e.g. {default}, or unset it "
                    f"(default {default}).")
    return value


def number(name: str, default_text: str, zero: bool = False, example: str = "4096") -> float | None:
    """A positive (with `zero`, non-negative), finite float environment variable; None when it is unset or empty."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and (value >= 0 if zero else value > 0)):
        raise _fail(name, raw, "a number, 0 or more" if zero else "a positive number",
                    f"set it to e.g. {example}, or unset it ({default_text}).")
    return value


def flag(name: str) -> bool:
    """An on/off environment variable: 1/true/yes/on, or 0/false/no/off/empty (unset: off)."""
    raw = os.environ.get(name, "")
    if raw.strip().lower() in TRUE:
        return True
    if raw.strip().lower() in FALSE:
        return False
    raise _fail(name, raw, "one of 1, true, yes, on (or 0, false, no, off)", f"set {name}=1 to turn it on, "
                "or unset it.")


def path_problem(text: str) -> str | None:
    """Why `text` cannot be a path on this machine (a NUL character, too long), or None when it can."""
    if "\x00" in text:
        return "it holds a NUL character"
    if len(text) > MAX_PATH_CHARS:
        return f"it is {len(text):,} characters long (at most {MAX_PATH_CHARS:,})"
    return None


def folder(name: str) -> str | None:
    """A folder environment variable as typed (None when unset or empty), refused when it cannot be a path."""
    raw = os.environ.get(name, "")
    if not raw.strip():
        return None
    problem = path_problem(raw)
    if problem:
        raise _fail(name, raw, f"a folder path, but {problem}", "set it to an existing folder, or unset it.")
    return raw


def memory_limit_mb() -> float | None:
    """`$RNNVIZ_MEMORY_LIMIT_MB`: memory one training may use (None: half the RAM over the workers)."""
    return number("RNNVIZ_MEMORY_LIMIT_MB", "default: half the machine's RAM over the training workers")


def train_workers(default: int = 1) -> int:
    """`$RNNVIZ_TRAIN_WORKERS`: trainings the app runs at once (1 to 64; `default` when unset: the app's is 4 in
    classroom mode, `rnnviz.store.classroom.train_workers`)."""
    return integer("RNNVIZ_TRAIN_WORKERS", default, 1, 64)


def executor() -> str | None:
    """`$RNNVIZ_EXECUTOR`: `process` or `thread` (None when unset: `rnnviz.training.executors.here` decides)."""
    raw = os.environ.get("RNNVIZ_EXECUTOR", "")
    if not raw.strip():
        return None
    if raw.strip().lower() not in ("process", "thread"):
        raise _fail("RNNVIZ_EXECUTOR", raw, "`process` or `thread`", "set RNNVIZ_EXECUTOR=process (trainings in "
                    "child processes, the default on TensorFlow) or thread, or unset it.")
    return raw.strip().lower()


def worker_runs() -> int:
    """`$RNNVIZ_WORKER_RUNS`: runs one training process does before it is replaced (1 to 100,000, default 25)."""
    return integer("RNNVIZ_WORKER_RUNS", 25, 1, 100_000)


def teacher_key() -> str | None:
    """`$RNNVIZ_TEACHER_KEY`: the teacher's key (None when unset or blank: the key file decides). Never echoed.

    Raises:
        EnvError: the key is shorter than 8 characters or holds characters a link cannot carry as they are.
    """
    raw = os.environ.get("RNNVIZ_TEACHER_KEY", "").strip()
    if not raw:
        return None
    if len(raw) < 8 or len(raw) > 256 or not all(c.isascii() and (c.isalnum() or c in "-_.~") for c in raw):
        raise EnvError("`RNNVIZ_TEACHER_KEY` must be 8 to 256 letters, digits or `-_.~` (its value is not "
                       "repeated here). Fix: unset it and run `python -m rnnviz teacher-link`, which makes one.")
    return raw


def session_queue() -> int:
    """`$RNNVIZ_SESSION_QUEUE`: runs one browser session may have waiting in the queue (1 to 10,000, default 12);
    a session's further runs wait for room."""
    return integer("RNNVIZ_SESSION_QUEUE", 12, 1, 10_000)


def max_run_minutes() -> float | None:
    """`$RNNVIZ_MAX_RUN_MINUTES`: the longest one run may train, in minutes (fractions allowed); None when unset,
    0.0 when set to 0 (no ceiling, even in classroom mode)."""
    return number("RNNVIZ_MAX_RUN_MINUTES", "0: no ceiling; default: 20 in classroom mode, none otherwise",
                  zero=True, example="20")


def home() -> str:
    """`$RNNVIZ_HOME` (the run store, `datasets/`, ...), or `~/.rnnviz` when it is not set."""
    return folder("RNNVIZ_HOME") or os.path.join(os.path.expanduser("~"), ".rnnviz")


def upload_limit_mb() -> int:
    """`$RNNVIZ_UPLOAD_LIMIT_MB`: the largest data file (CSV) a user may upload or name, in MB (default 50)."""
    return integer("RNNVIZ_UPLOAD_LIMIT_MB", 50, 1, 100_000)


def check() -> None:
    """Parses every variable in the table above, so a bad one is reported at start-up, not when first used.

    Raises:
        EnvError: the first bad variable, named with its fix.
    """
    for name in ("RNNVIZ_HOME", "RNNVIZ_DATA_DIR", "KERAS_HOME"):
        folder(name)
    flag("RNNVIZ_OFFLINE")
    memory_limit_mb()
    train_workers()
    executor()
    worker_runs()
    teacher_key()
    session_queue()
    max_run_minutes()
    upload_limit_mb()
