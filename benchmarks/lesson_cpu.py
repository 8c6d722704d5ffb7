"""The server's CPU per student for one lesson step: AppTest sessions one after another, in this process.

Issue 21 item 7 measured 0.36 s of server CPU per student at the built-in lesson's step 4 (the race): with 30
students revealing at once that queues about 11 s behind Python's lock. This opens the step in a first session
(it imports Keras and fills the server's caches, as the teacher's rehearsal does), then in `--students` more
sessions, each: open the step (the question), pick an answer and lock it in (the chart). It prints the process
CPU time (`time.process_time`, every thread of this process: the server's share, no browser) of each later
session's two page runs, and their median. The lesson's runs must be prepared in `--home`
(`python -m rnnviz prepare-lesson memory`).

    python benchmarks/lesson_cpu.py --home PREPARED_HOME [--lesson memory] [--step 4] [--students 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def student(app: str, lesson: str, step: int) -> tuple[float, float]:
    """One session: (CPU seconds to open the step, CPU seconds to lock in and see the chart)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(app, default_timeout=300)
    at.run()
    at.switch_page("pages/lesson.py")
    at.query_params.update({"lesson": lesson, "step": str(step)})
    t0 = time.process_time()
    at.run()
    opened = time.process_time() - t0
    at.radio(key=f"lesson_pick_{lesson}_{step}").set_value(0)
    t0 = time.process_time()
    at.run()
    at.button(key=f"lesson_lock_{lesson}_{step}").click().run()
    revealed = time.process_time() - t0
    if at.exception:
        raise SystemExit(f"the page failed: {at.exception[0].message}")
    if not at.get("plotly_chart"):
        raise SystemExit("no chart after Lock in: are the lesson's runs prepared in --home?")
    return opened, revealed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True, help="RNNVIZ_HOME with the lesson's runs prepared")
    parser.add_argument("--lesson", default="memory")
    parser.add_argument("--step", type=int, default=4)
    parser.add_argument("--students", type=int, default=5, help="sessions after the first (default 5)")
    args = parser.parse_args()
    os.environ["RNNVIZ_HOME"] = args.home
    os.environ.pop("RNNVIZ_TEACHER_KEY", None)
    key = Path(args.home) / "teacher.key"
    hidden = key.with_name("teacher.key.lesson_cpu")  # prepare-lesson locks the server: a student's pages then
    if key.exists():  # follow the teacher; these sessions are one person's, the key is put back after
        key.rename(hidden)
    try:
        app = str(ROOT / "app.py")
        first = student(app, args.lesson, args.step)
        print(f"first session (imports, caches): open {first[0]:.2f} s, lock in {first[1]:.2f} s CPU")
        rows = [student(app, args.lesson, args.step) for _ in range(args.students)]
    finally:
        if hidden.exists():
            hidden.rename(key)
    for k, (opened, revealed) in enumerate(rows, 2):
        print(f"session {k}: open {opened:.3f} s, lock in {revealed:.3f} s, total {opened + revealed:.3f} s CPU")
    totals = [o + r for o, r in rows]
    print(f"median per later student: open {statistics.median(o for o, _ in rows):.3f} s, lock in "
          f"{statistics.median(r for _, r in rows):.3f} s, total {statistics.median(totals):.3f} s CPU "
          f"(lesson {args.lesson}, step {args.step}, {len(rows)} sessions)")


if __name__ == "__main__":
    main()
