"""Users' own data files (a CSV series, later texts), stored once in `$RNNVIZ_HOME/datasets/` and named by their
content hash: `<first 16 hex digits of the sha256>.<kind>`, e.g. `3f9a0c1d2e4b5a67.csv`.

A config records the hash (`CsvData.file`), so the same file uploaded twice, or named twice with `--csv`, is
one dataset and one run id. Files are written atomically (a temporary name renamed into place) and never
changed afterwards: a file's name is its content. Any data kind with an `upload` in its task row uses this
store; nothing here knows what the files hold.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from rnnviz.config import env
from rnnviz.data import files
from rnnviz.data.standard import DataUnavailable

DIGITS = 16  # hex digits of the sha256 kept in names and configs (64 bits)


class DatasetMissing(DataUnavailable):
    """A run names a dataset that is not in this server's store; the message says how to bring it back."""


def root() -> Path:
    """The store's folder, `$RNNVIZ_HOME/datasets` (not created here)."""
    return Path(env.home()) / "datasets"


def limit() -> int:
    """The largest file a user may upload or name, in bytes (`$RNNVIZ_UPLOAD_LIMIT_MB`)."""
    return env.upload_limit_mb() << 20


def digest(blob: bytes) -> str:
    """The name a file's content gets: the first `DIGITS` hex digits of its sha256."""
    return hashlib.sha256(blob).hexdigest()[:DIGITS]


def path(name: str, kind: str) -> Path:
    """Where the dataset `name` of this kind ("csv") lives (it may be missing)."""
    return root() / f"{name}.{kind}"


def has(name: str, kind: str) -> bool:
    """True when the dataset is stored here."""
    return bool(name) and path(name, kind).is_file()


def put(blob: bytes, kind: str) -> str:
    """Stores a file's bytes once (nothing is written when the same content is there already).

    Returns:
        Its name (`digest(blob)`).
    """
    name = digest(blob)
    dest = path(name, kind)
    if dest.is_file():
        return name
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".rnnviz-tmp-", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return name


def read(name: str, kind: str, label: str = "dataset") -> bytes:
    """A stored dataset's bytes.

    Raises:
        DatasetMissing: it is not stored here (e.g. a run imported without its data), in one line with the fix.
    """
    where = path(name, kind)
    if not name:
        raise DatasetMissing(f"No {label} is chosen yet: upload one on the Train page, or name it with --{kind} FILE.")
    if not where.is_file():
        raise DatasetMissing(f"The {label} {name} of this run is not on this server (imported without its data?): "
                             f"upload the same .{kind} file again, or import the run with its data.")
    files.regular(where, limit() + 1, DatasetMissing)
    blob = where.read_bytes()
    if digest(blob) != name:
        raise DatasetMissing(f"{where} does not hold the {label} it is named after (changed on disk?): upload the "
                             "file again.")
    return blob


def read_file(where: str | os.PathLike, error: type[Exception] = ValueError) -> bytes:
    """A file a user names (`--csv FILE`), refused in one line when it is not a regular file or is over the
    upload limit."""
    where = Path(where).expanduser()
    files.regular(where, limit(), error)
    try:
        return where.read_bytes()
    except OSError as e:
        raise error(f"{where}: cannot be read ({e.strerror or e})") from e
