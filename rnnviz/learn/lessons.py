"""Lessons as data: a small TOML file per lesson (steps, texts, a "predict before you see" question per step, the
view each step shows and its settings or runs), read and checked here, and the class's answers counted.

A lesson file (`assets/lessons/NAME.toml`, or a teacher's own in `$RNNVIZ_HOME/lessons/NAME.toml`, which wins)::

    title = "Why LSTM and GRU remember"
    summary = "One line for the lesson picker."

    [[steps]]
    title = "The memory-span race"
    text = "Markdown shown above the question."
    view = "race"                       # one of VIEWS: what the step shows once answered
    runs = ["memory-simple-rnn", "memory-lstm", {preset = "memory-gru", epochs = 3}]
    question = "Which cells get below 1/16 of the baseline?"
    choices = ["all three", "LSTM and GRU", "none"]
    answer = 2                          # the right choice: its position (1 = first) or its text
    explanation = "Shown after the answer, with the class's answers."

    [steps.settings]                    # the view's settings (see VIEWS), locked while the step is shown
    steps = 50

A run is a preset name, or a table of a `preset` (optional) and config fields / data options (`data` switches
the data set), checked through `RunConfig`. A bad file is a `LessonError` naming the file, the line (TOML
syntax errors and, where it can be found, the offending key's line), the step and key, and the fix.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnnviz.config import DATA_KINDS, RunConfig, presets
from rnnviz.learn.tally import Tally  # noqa: F401  (the class's answers; here too for older imports)
from rnnviz.store.runs import default_root

BUILT_IN = Path(__file__).resolve().parents[2] / "assets" / "lessons"
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_BYTES = 256 * 1024
"""The largest lesson file read (the built-in one is about 6 KB)."""


@dataclass(frozen=True)
class View:
    """What a step can show. `settings`: name -> `(low, high, default)` for numbers (ints when all three are
    ints), a tuple of choices, or a default string; `runs`: how many runs it needs, `(at least, at most)`."""

    label: str
    settings: dict[str, Any]
    runs: tuple[int, int] = (0, 0)
    data: str | None = None  # the data set its runs must use


_RNN = {"units": (2, 64, 16), "radius": (0.5, 3.0, 0.9), "steps": (10, 200, 100), "input_scale": (0.0, 2.0, 0.5),
        "seed": (0, 9999, 0)}
VIEWS: dict[str, View] = {
    "for_loop": View("an RNN as a numpy for-loop beside Keras's SimpleRNN",
                     {"steps": (2, 10, 5), "input_size": (1, 4, 2), "units": (1, 6, 3), "seed": (0, 9999, 0)}),
    "forgetting": View("a gradient sent back n steps through a tanh RNN (and ‖Uⁿ‖)", dict(_RNN)),
    "cell_path": View("the LSTM's cell path beside the plain RNN's gradient", {**_RNN, "forget_bias": (-2.0, 8.0, 1.0)}),
    "gates": View("every gate of a seeded Keras cell over time",
                  {"cell": ("lstm", "gru"), "steps": (2, 12, 6), "input_size": (1, 4, 1), "units": (1, 6, 3),
                   "seed": (0, 9999, 0)}),
    "race": View("stored runs' validation loss side by side", {}, (2, 6)),
    "review": View("a stored IMDB run reading a review word by word",
                   {"text": "This movie was not good at all, but the ending was wonderful."}, (1, 1), "imdb"),
}
STEP_KEYS = ("title", "text", "view", "settings", "runs", "question", "choices", "answer", "explanation")


class LessonError(ValueError):
    """A lesson that cannot be used; the message names the file, the line where known, the key and the fix."""


@dataclass(frozen=True)
class Step:
    """One step: text, a multiple-choice question (`answer` is the 0-based right choice), and what it shows."""

    title: str
    text: str
    view: str
    settings: dict[str, Any]
    runs: tuple[RunConfig, ...]
    question: str
    choices: tuple[str, ...]
    answer: int
    explanation: str


@dataclass(frozen=True)
class Lesson:
    """A lesson read from its file."""

    name: str
    title: str
    summary: str
    path: Path
    steps: tuple[Step, ...]

    def configs(self) -> list[RunConfig]:
        """Every run the lesson needs, each once, in the order the steps use them."""
        seen: dict[str, RunConfig] = {}
        for step in self.steps:
            for cfg in step.runs:
                seen.setdefault(cfg.run_id, cfg)
        return list(seen.values())


def folders() -> list[Path]:
    """Where lessons are looked for: the teacher's `$RNNVIZ_HOME/lessons` first, then the built-in ones."""
    return [default_root() / "lessons", BUILT_IN]


def available() -> dict[str, Path]:
    """Lesson name -> its file, for every `*.toml` in `folders()` (a teacher's file shadows a built-in one)."""
    found: dict[str, Path] = {}
    for folder in reversed(folders()):
        if folder.is_dir():
            found.update({p.stem: p for p in sorted(folder.glob("*.toml")) if NAME.match(p.stem)})
    return dict(sorted(found.items()))


def shown(path: Path) -> str:
    """How messages name a lesson file: by its folder's name (`$RNNVIZ_HOME/lessons/NAME.toml`,
    `assets/lessons/NAME.toml`) for the lesson folders, never the server's full path; else the path as given."""
    for folder, label in zip(folders(), ("$RNNVIZ_HOME/lessons", "assets/lessons")):
        if path.parent == folder:
            return f"{label}/{path.name}"
    return str(path)


def find(name: str, paths: bool = False) -> Lesson:
    """The lesson named `name`, read and checked: a name from the lesson folders (`folders()`) only.

    Args:
        name: a lesson's name (letters, digits, `-`, `_`; at most 64 characters).
        paths: also take the path of a `.toml` file (the CLI, run by the teacher on the server; never a page).

    Raises:
        LessonError: an unknown name, a path (unless `paths`), a long name or odd characters (one line naming
            the known lessons and no folder), or an invalid file (see `read`).
    """
    if paths and name.endswith(".toml") and Path(name).exists():
        return read(Path(name))
    lessons = available()
    if name not in lessons:
        known = ", ".join(lessons) or "none"
        raise LessonError(f"`lesson` must be the name of a lesson. Received: lesson={_cut(name)!r}. Known lessons: "
                          f"{known}.")
    return read(lessons[name])


def _cut(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else f"{text[:limit]}…"


def _text(path: Path) -> str:
    """A lesson file's text: a regular file of at most MAX_BYTES (never waits on a FIFO), UTF-8 with or without a
    byte-order mark."""
    where = shown(path)
    try:  # O_NONBLOCK: opening a FIFO returns at once; fstat then refuses it
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise LessonError(f"{where}: cannot be read ({e.strerror or e}). Fix: check the file exists and "
                          "can be read.") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise LessonError(f"{where}: is not a regular file (a folder, a FIFO or a device). Fix: save the "
                          "lesson as a plain .toml file.")
    with os.fdopen(fd, "rb") as f:
        data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise LessonError(f"{where}: is over {MAX_BYTES // 1024} KB. Fix: a lesson is a short text file; shorten "
                          "its texts.")
    try:
        return data.decode("utf-8-sig")  # a byte-order mark (Windows editors) is dropped
    except UnicodeDecodeError as e:
        raise LessonError(f"{where}: is not UTF-8 text ({e.reason} at byte {e.start}). Fix: save the lesson "
                          "as a UTF-8 text file.") from None


def read(path: str | Path) -> Lesson:
    """Reads and checks one lesson file.

    Raises:
        LessonError: naming the file and line (TOML syntax; the key's line where it can be found), the step and
            key, what was received and what is expected.
    """
    path = Path(path)
    text = _text(path)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:  # its message ends "(at line L, column C)"
        raise LessonError(f"{shown(path)}: not valid TOML: {e}. Fix: check the quotes, brackets and `key = value` "
                          "syntax on that line (texts in \"...\" or \"\"\"...\"\"\").") from None
    except RecursionError:
        raise LessonError(f"{shown(path)}: nested too deeply to read. Fix: a lesson's values are texts, numbers "
                          "and short lists or tables.") from None
    return parse(doc, path, text)


def parse(doc: dict[str, Any], path: Path, text: str = "") -> Lesson:
    """A lesson from a parsed TOML document (`text`, the file's source, finds the lines of bad keys).

    Raises:
        LessonError: as `read`.
    """
    def fail(where: str, message: str, step: int | None = None, key: str | None = None) -> LessonError:
        line = _line_of(text, step, key)
        return LessonError(f"{shown(path)}{f', line {line}' if line else ''}: {where}: {message}")

    for key in doc:
        if key not in ("title", "summary", "steps"):
            raise fail(f"`{key}`", "is not a lesson key (title, summary, steps). Fix: remove it or move it into a "
                       "[[steps]] table.", key=key)
    title = doc.get("title")
    if not isinstance(title, str) or not title.strip():
        raise fail("`title`", f"must be a text. Received: {_cut(repr(title))}. Fix: add title = \"...\" at the top.",
                   key="title")
    steps = doc.get("steps")
    if not isinstance(steps, list) or not steps or not all(isinstance(s, dict) for s in steps):
        raise fail("`steps`", "must be one or more [[steps]] tables. Fix: add a [[steps]] table per step.",
                   key="steps")
    summary = doc.get("summary", "")
    if not isinstance(summary, str):
        raise fail("`summary`", f"must be a text. Received: {_cut(repr(summary))}.", key="summary")
    return Lesson(path.stem, title.strip(), summary.strip(), path,
                  tuple(_checked_step(s, k, fail) for k, s in enumerate(steps)))


def _checked_step(s: dict[str, Any], k: int, fail) -> Step:
    """`_step`, with any wrong type it did not foresee named as the step's error (never a TypeError)."""
    try:
        return _step(s, k, fail)
    except (TypeError, AttributeError, RecursionError) as e:
        raise fail(f"step {k + 1}", f"a value has the wrong type ({_cut(str(e))}). Fix: texts in \"...\", "
                   "numbers, and lists as the docstring of rnnviz/learn/lessons.py shows.", k, None) from None


def _step(s: dict[str, Any], k: int, fail) -> Step:
    """One [[steps]] table checked (k: 0-based); `fail(where, message, step, key)` makes the error."""
    def bad(key: str, message: str) -> LessonError:
        return fail(f"step {k + 1} ({s.get('title', 'untitled')!s:.60}), `{key}`", message, k, key)

    for key in s:
        if key not in STEP_KEYS:
            raise bad(key, f"is not a step key (one of {', '.join(STEP_KEYS)}). Fix: remove it or correct its name.")
    for key in ("title", "text", "question", "explanation"):
        if not isinstance(s.get(key), str) or not s[key].strip():
            raise bad(key, f"must be a non-empty text. Received: {s.get(key)!r}. Fix: add {key} = \"...\".")
    view = s.get("view")
    if not isinstance(view, str) or view not in VIEWS:
        raise bad("view", f"must be one of {', '.join(VIEWS)}. Received: {_cut(repr(view))}.")
    choices = s.get("choices")
    if not isinstance(choices, list) or not 2 <= len(choices) <= 6 or not all(
            isinstance(c, str) and c.strip() for c in choices):
        raise bad("choices", f"must be a list of 2 to 6 texts. Received: {choices!r}. Fix: choices = [\"...\", \"...\"].")
    if len(set(choices)) < len(choices):
        raise bad("choices", "must all differ. Fix: reword the repeated choice.")
    answer = s.get("answer")
    if isinstance(answer, str) and answer in choices:
        answer = choices.index(answer) + 1
    if isinstance(answer, bool) or not isinstance(answer, int) or not 1 <= answer <= len(choices):
        raise bad("answer", f"must be the right choice's position, 1 to {len(choices)}, or its exact text. "
                  f"Received: {answer!r}.")
    spec = VIEWS[view]
    settings = s.get("settings", {})
    if not isinstance(settings, dict):
        raise bad("settings", f"must be a table ([steps.settings] or {{name = value}}). Received: {settings!r}.")
    checked = {}
    for name, rule in spec.settings.items():
        try:
            checked[name] = _setting(name, settings.get(name, _default(rule)), rule)
        except ValueError as e:
            raise bad(f"settings.{name}", f"{e}.") from None
    for name in settings:
        if name not in spec.settings:
            known = ", ".join(spec.settings) or "none"
            raise bad(f"settings.{name}", f"is not a setting of the {view} view (its settings: {known}).")
    runs = s.get("runs", [])
    if not isinstance(runs, list):
        raise bad("runs", f"must be a list of preset names or tables. Received: {runs!r}.")
    configs = []
    for j, item in enumerate(runs, start=1):
        try:
            configs.append(run_config(item))
        except (ValueError, TypeError) as e:
            raise bad("runs", f"run {j}: {_cut(str(e), 200)}. Fix: a preset name (python -m rnnviz presets) or a table of "
                      "config fields, e.g. {preset = \"memory-lstm\", epochs = 3}.") from None
    lo, hi = spec.runs
    if not lo <= len(configs) <= hi:
        raise bad("runs", f"the {view} view needs {lo if lo == hi else f'{lo} to {hi}'} runs. "
                  f"Received: {len(configs)}.")
    if len({c.data.task for c in configs}) > 1:
        raise bad("runs", "the runs of one step must solve one task, to be drawn on one chart. Received: "
                  f"{', '.join(f'{c.data.name} ({c.data.task})' for c in configs)}.")
    if spec.data and any(c.data.name != spec.data for c in configs):
        raise bad("runs", f"the {view} view needs {spec.data} runs. Received: "
                  f"{', '.join(c.data.name for c in configs)}.")
    return Step(s["title"].strip(), s["text"].strip(), view, checked, tuple(configs), s["question"].strip(),
                tuple(c.strip() for c in choices), answer - 1, s["explanation"].strip())


def _default(rule: Any) -> Any:
    return rule[0] if isinstance(rule, tuple) and isinstance(rule[0], str) else rule[2] if isinstance(
        rule, tuple) else rule


def _setting(name: str, value: Any, rule: Any) -> Any:
    """A setting's value checked against its rule (see `View`). Raises ValueError naming the rule."""
    if isinstance(rule, str):
        if not isinstance(value, str):
            raise ValueError(f"must be a text. Received: {value!r}")
        return value
    if isinstance(rule[0], str):
        if value not in rule:
            raise ValueError(f"must be one of {', '.join(rule)}. Received: {value!r}")
        return value
    lo, hi, _ = rule
    integer = all(isinstance(v, int) for v in rule)
    ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok or not lo <= value <= hi:
        raise ValueError(f"must be {'a whole number' if integer else 'a number'} from {lo} to {hi}. "
                         f"Received: {value!r}")
    return value if integer else float(value)


def run_config(item: Any) -> RunConfig:
    """A run of a lesson: a preset name, or a table of `preset` (optional), `data` (a data set name) and config
    fields or data options, e.g. `{preset = "memory-lstm", epochs = 3, steps = 20}`.

    Raises:
        ValueError: naming the unknown preset, field or invalid value.
    """
    if isinstance(item, str):
        return presets.get(item).config
    if not isinstance(item, dict):
        raise ValueError(f"a run must be a preset name or a table. Received: {item!r}")
    fields = dict(item)
    preset = fields.pop("preset", None)
    if preset is not None and not isinstance(preset, str):
        raise ValueError(f"`preset` must be a preset's name. Received: preset={preset!r:.80}")
    cfg = presets.get(preset).config if preset is not None else RunConfig()
    name = fields.pop("data", cfg.data.name)
    if not isinstance(name, str) or name not in DATA_KINDS:
        raise ValueError(f"`data` must be one of {', '.join(DATA_KINDS)}. Received: data={name!r}")
    if name != cfg.data.name:
        cfg = cfg.replace(data=DATA_KINDS[name]())
    data_fields = {f.name for f in dataclasses.fields(cfg.data)}
    run_fields = {f.name for f in dataclasses.fields(RunConfig)} - {"data"}
    for key in fields:
        if key not in data_fields | run_fields:
            raise ValueError(f"`{key}` is no config field or {name} option. Received: {key}={fields[key]!r}")
    return cfg.replace(**{f"data_{k}" if k in data_fields else k: v for k, v in fields.items()})


def _line_of(text: str, step: int | None, key: str | None) -> int | None:
    """The 1-based line of `key` (its first dotted part) in the file, inside the `step`-th [[steps]] table when
    given (0-based); None when it cannot be found (e.g. the key is missing)."""
    if not text or key is None:
        return None
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if re.match(r"\s*\[\[\s*steps\s*\]\]", line)]
    if step is None:
        lo, hi = 0, starts[0] if starts else len(lines)
    elif step < len(starts):
        lo, hi = starts[step], starts[step + 1] if step + 1 < len(starts) else len(lines)
    else:
        return None
    head, _, sub = key.partition(".")
    pattern = re.compile(rf"\s*({re.escape(sub)}|\"{re.escape(sub)}\")\s*=" if sub else
                         rf"\s*({re.escape(head)}|\"{re.escape(head)}\")\s*[=.]")
    for i in range(lo, hi):
        if pattern.match(lines[i]):
            return i + 1
    if step is not None and lo < len(lines):
        return lo + 1  # at least the step's own [[steps]] line
    return None


def shared_goal(configs: list[RunConfig]) -> tuple[str, float] | None:
    """The goal `(metric, value)` that the presets of these runs share (the race's 0.01), or None."""
    goals = {(p.metric, p.goal) for p in presets.PRESETS.values() for c in configs if p.config == c and p.goal}
    return next(iter(goals)) if len(goals) == 1 else None
