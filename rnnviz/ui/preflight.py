"""`prepare-lesson`'s pre-flight: every step of a lesson opened as a student would, before class.

Each step is rendered on the Lesson page by Streamlit's AppTest (the real page script, in this process, with
this server's run store and data folder), in normal and in projector mode, with the right answer locked in. A
step fails when the page raises, shows an error or a "not prepared" warning, or draws no chart. The data sets
the lesson's runs read must also be found without a download. A rehearsal's answers are not counted in the
class's tally.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from rnnviz.config import env, tasks
from rnnviz.data import standard as datasets
from rnnviz.learn import lessons as lesson
from rnnviz.store import settings

APP = Path(__file__).resolve().parents[2] / "app.py"
REHEARSAL = "lesson_rehearsal"
"""Session-state key of a pre-flight session: its answers are not counted (only AppTest can set it)."""
MODES = {"normal": {}, "projector": {"projector": "1"}}


@dataclass(frozen=True)
class Problem:
    """One thing that would go wrong in class: the step (1-based; 0 for the lesson as a whole), the mode, what."""

    step: int
    mode: str
    what: str

    def line(self, lsn: lesson.Lesson) -> str:
        if self.step == 0:
            return f"lesson {lsn.name}: {self.what}"
        return f"step {self.step} ({lsn.steps[self.step - 1].title}), {self.mode} mode: {self.what}"


def data_problems(lsn: lesson.Lesson, data_dir: str | None) -> list[Problem]:
    """The steps whose runs read a standard data set this server cannot find (it would try a download)."""
    out = []
    for k, step in enumerate(lsn.steps, start=1):
        for files in dict.fromkeys(tasks.of(cfg.data).files for cfg in step.runs):
            if files is not None and datasets.locate(files, data_dir) is None:
                where = f"the data folder {data_dir}" if data_dir else "no data folder"
                out.append(Problem(k, "data", f"the {files} files were not found ({where}, nor the Keras cache "
                                              f"{datasets.keras_cache_dir()}); give `--data-dir FOLDER`"))
    return out


def _page_problem(at) -> str | None:
    if at.exception:
        return f"the page raised {at.exception[0].message.splitlines()[0] if at.exception[0].message else 'an error'}"
    if at.error:
        return f"the page shows an error: {at.error[0].value.splitlines()[0]}"
    if at.warning:
        return f"the page shows a warning: {at.warning[0].value.splitlines()[0]}"
    charts = [c for c in at.get("plotly_chart") if "class's answers" not in c.proto.spec]
    if not charts:
        return "no chart was drawn after the answer was locked in"
    return None


def rehearse(lsn: lesson.Lesson, progress=lambda line: None, timeout: float = 300) -> list[Problem]:
    """Opens every step in both modes with the right answer locked in; the problems found (empty: all fine)."""
    from streamlit.testing.v1 import AppTest  # lazy: only the pre-flight drives the page

    for name in [n for n in logging.root.manager.loggerDict if n.startswith("streamlit")]:
        logging.getLogger(name).setLevel(logging.ERROR)  # AppTest's "missing ScriptRunContext" would bury the lines

    if lesson.available().get(lsn.name) != lsn.path:
        return [Problem(0, "", f"{lsn.path} is not in a lesson folder ({', '.join(map(str, lesson.folders()))}), "
                               "so the Lesson page cannot open it: copy it there")]
    out = []
    for k, step in enumerate(lsn.steps, start=1):
        for mode, params in MODES.items():
            at = AppTest.from_file(str(APP), default_timeout=timeout)
            at.session_state[REHEARSAL] = True
            try:
                at.run()
                at.switch_page("pages/lesson.py")
                at.query_params.update({"lesson": lsn.name, "step": str(k), **params})
                at.run()
                if not at.exception:
                    at.radio(key=f"lesson_pick_{lsn.name}_{k}").set_value(step.answer).run()
                    at.button(key=f"lesson_lock_{lsn.name}_{k}").click().run()
                problem = _page_problem(at)
            except Exception as e:  # noqa: BLE001 - a control missing, a timeout: still one line naming the step
                problem = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
            progress(f"pre-flight: step {k} ({step.title}), {mode} mode: {problem or 'ok'}")
            if problem:
                out.append(Problem(k, mode, problem))
    return out


def check(lsn: lesson.Lesson, say=print) -> dict:
    """The whole pre-flight: the data sets (in the folder the server will use: `$RNNVIZ_DATA_DIR`, else the one
    `prepare-lesson --data-dir` saved), then every step in both modes. Each problem is said as one line naming
    the step. Returns `{"preflight": {"ok", "problems"}}` (`prepare-lesson --json`'s key)."""
    problems = data_problems(lsn, env.folder("RNNVIZ_DATA_DIR") or settings.data_dir())
    problems += rehearse(lsn, say)
    lines = [p.line(lsn) for p in problems]
    for line in lines:
        say(f"error: pre-flight: {line}")
    if not lines:
        say(f"pre-flight: all {len(lsn.steps)} steps opened in normal and projector mode with an answer locked in")
    return {"preflight": {"ok": not lines, "problems": lines}}
