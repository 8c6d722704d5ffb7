"""Command line: `python -m rnnviz train|sweep|prepare-lesson|teacher-link|runs|presets|prefetch` for teachers
who pre-train (`prepare-lesson` trains and pins every run a lesson needs before class, and locks the server).

`train`, `sweep` and `prepare-lesson` train as the pages do: through a `rnnviz.training.jobs.Trainer` and the
executor `rnnviz.training.executors.make` picks (`_trainer`, `_run`); `train`'s one run stays in this process.

Exit codes: 0 success, 2 invalid input (the message names the field; nothing is stored), 1 any other
failure (a one-line reason on stderr). Progress goes to stderr; `--json` prints one object on stdout.
"""

from __future__ import annotations

import sys

from rnnviz.cli import core, lesson
from rnnviz.config import env

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Runs one command; returns the exit code."""
    args = core.parser().parse_args(argv)
    try:
        env.check()
        return {"train": core.cmd_train, "sweep": core.cmd_sweep, "runs": core.cmd_runs, "presets": core.cmd_presets,
                "prefetch": core.cmd_prefetch, "prepare-lesson": lesson.cmd_prepare_lesson,
                "teacher-link": lesson.cmd_teacher_link}[args.command](args)
    except env.EnvError as e:  # e.g. RNNVIZ_MEMORY_LIMIT_MB=abc: invalid input, named in the message
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 1
    except Exception as e:  # any other failure: one line, exit 1
        print(f"error: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}", file=sys.stderr)
        return 1
