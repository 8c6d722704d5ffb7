"""The lesson commands: `prepare-lesson` (train, rehearse and pin every run a lesson needs, before class, and lock the
server) and `teacher-link` (the link that unlocks the teacher's browser session)."""

from __future__ import annotations

import argparse
import contextlib
import sys

from rnnviz.cli.core import _checked, _train_all
from rnnviz.data import standard as datasets
from rnnviz.learn import lessons as lesson
from rnnviz.store import RunStore, classroom, settings


def cmd_prepare_lesson(args: argparse.Namespace) -> int:
    """Trains (or loads) every run of a lesson through the Trainer, one after another; students then only load."""
    try:
        lsn = lesson.find(args.lesson, paths=True)  # the teacher, on the server: a lesson file's path too
        configs = lsn.configs()
        _checked(configs)
    except ValueError as e:  # an unknown lesson, an invalid lesson file (file, line, fix), a run too big
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.data_dir:  # remembered for the app: students' pages find the lesson's data without typing it
        if problem := datasets.folder_problem(args.data_dir):
            print(f"error: --data-dir: {problem}", file=sys.stderr)
            return 2
        print(f"data folder for the app: {args.data_dir} (saved in {settings.save_data_dir(args.data_dir)})",
              file=sys.stderr)
    store, ids = RunStore(), [c.run_id for c in configs]
    for run_id in classroom.drop_changed(store, ids):  # e.g. replaced by an edited import: trained again
        print(f"warning: run {run_id} changed since prepare-lesson stored it; training it again", file=sys.stderr)
    code = _train_all(configs, args, f"lesson {lsn.name} ({lsn.path})", {"lesson": lsn.name}, "stored",
                      None if args.skip_preflight else lambda: _preflight(lsn))
    classroom.pin(store, [r for r in ids if store.has(r)])
    return cmd_teacher_link(args, prepared=True) or code


def _preflight(lsn) -> dict:
    from rnnviz.ui import preflight  # lazy: Streamlit's AppTest; the other commands must not wait for it

    with contextlib.redirect_stdout(sys.stderr):  # the page's own prints must not reach --json's stdout
        return preflight.check(lsn, lambda line: print(line, file=sys.stderr, flush=True))


def cmd_teacher_link(args: argparse.Namespace, prepared: bool = False) -> int:
    """Prints the link that unlocks the teacher's session (stderr after prepare-lesson); makes a key when none."""
    link, made = classroom.teacher_link(args.url)  # --url was checked by argparse (`classroom.url`)
    if made:
        print(f"made {classroom.key_path()}: classroom mode is on", file=sys.stderr)
    print(f"teacher link (keep it private): {link}" if prepared else link, file=sys.stderr if prepared else sys.stdout)
    return 0
