"""Runs on disk: one folder per run id, its files checked whenever read or written, and run zips.

Lives here: `runs` (`RunStore`, the one writer of `$RNNVIZ_HOME/runs`), `runfiles` (the types of a run's
files), `export` (a run as one zip, checked on the way in), `settings` (what a teacher's command leaves for the
app), `classroom` (the teacher's key and link, and the runs `prepare-lesson` pins).

May import: `rnnviz.config`, `rnnviz.data`, `rnnviz.models`.
"""

from rnnviz.store.runs import RunStore

__all__ = ["RunStore"]
