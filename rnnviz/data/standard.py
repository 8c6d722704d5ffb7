"""Finding and fetching the standard data files (IMDB's, CIFAR-10's), read safely: the search order, the Keras
cache, downloads, the errors, bounded reads and an unpickler that only rebuilds numpy arrays.

Where files are looked for, in order:
1. a data folder the user names (`data_dir` argument, else `$RNNVIZ_DATA_DIR`): the files themselves, or
   the same files in a subfolder `imdb/`, `cifar10/` or `datasets/`;
2. the Keras cache: `$KERAS_HOME/datasets` (default `~/.keras/datasets`);
3. a download into the Keras cache through `keras.utils.get_file` (not when `$RNNVIZ_OFFLINE` is set).

Keras's own `load_data` deletes a cached file whose hash differs when it cannot download a fresh one, so the
files are read here (`rnnviz.data.imdb`, `rnnviz.data.cifar`). Pickled content (the IMDB object arrays, the
CIFAR batches) goes through `NumpyOnlyUnpickler`, which only rebuilds numpy arrays, never arbitrary objects.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Callable

from rnnviz.config import env
from rnnviz.data import files

CIFAR_DIR = "cifar-10-batches-py"
CIFAR_ARCHIVES = ("cifar-10-python.tar.gz", "cifar-10-batches-py.tar.gz")
ACLIMDB_ARCHIVE = "aclImdb_v1.tar.gz"
ACLIMDB = ("aclImdb", "aclImdb_v1/aclImdb", "aclImdb_v1_extracted/aclImdb", ACLIMDB_ARCHIVE)
"""The raw reviews' candidates: the folder `keras.utils.get_file(..., extract=True)` leaves, then the archive."""
SUBFOLDERS = {"imdb": ("", "imdb", "datasets"), "cifar10": ("", "cifar10", "cifar-10", "datasets",
                                                             "cifar-10-batches-py-target"),
              "aclImdb": ("", "imdb", "datasets")}
URLS = {
    "imdb.npz": ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz",
                 "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"),
    "imdb_word_index.json": ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb_word_index.json",
                             "bfafd718b763782e994055a2d397834f"),
    "cifar-10-python.tar.gz": ("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                               "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"),
    ACLIMDB_ARCHIVE: ("https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz", None),
}
WANTED = {"imdb": ("imdb.npz", "imdb_word_index.json"), "cifar10": ("cifar-10-python.tar.gz",),
          "aclImdb": (ACLIMDB_ARCHIVE,)}
"""Each file set's files (what `prefetch` fetches)."""


MAX_FILE_BYTES = 1 << 30  # the largest standard file, cifar-10-python.tar.gz, is 170 MB
MAX_MEMBER_BYTES = 512 << 20  # one array or batch unpacked (IMDB's x_train ~30 MB, a CIFAR batch 31 MB)


class DataError(ValueError):
    """A data file is malformed; the message names the file and the problem."""


class DataUnavailable(RuntimeError):
    """No files were found and the download failed; the message says what failed and the two fixes."""


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Rebuilds numpy arrays and plain Python values; refuses every other global (no code can run)."""

    ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
               ("numpy._core.multiarray", "_reconstruct"), ("_codecs", "encode")}  # encode: protocol-2 bytes

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} (only numpy arrays are allowed)")


def keras_cache_dir() -> Path:
    """Keras's dataset cache: `$KERAS_HOME/datasets`, default `~/.keras/datasets`."""
    return Path(env.folder("KERAS_HOME") or Path.home() / ".keras") / "datasets"


def _roots(data_dir: str | os.PathLike | None) -> list[Path]:
    """The folders searched, in order: the named data folder, then the Keras cache."""
    named = data_dir if data_dir else env.folder("RNNVIZ_DATA_DIR")
    return ([expand(named)] if named else []) + [keras_cache_dir()]


def expand(folder: str | os.PathLike) -> Path:
    """A folder the user typed, with `~` expanded where it names a home folder (left as typed otherwise)."""
    try:
        return Path(folder).expanduser()
    except RuntimeError:  # e.g. "~nosuchuser/data"
        return Path(folder)


def folder_problem(folder: str | os.PathLike) -> str | None:
    """Why a data folder the user named cannot be used, in one line naming it; None when it can.

    Covers impossible paths (a NUL character, 100,000 characters), a missing folder, a file where a folder is
    expected, and a folder that cannot be read (permission denied).
    """
    text = os.fspath(folder)
    shown = env.cut(text, 120)
    problem = env.path_problem(text)
    if problem:
        return f"The data folder {shown!r} cannot be used: {problem}. Name an existing folder."
    path = expand(text)
    try:
        if not path.exists():
            return f"No folder {shown!r} here: check the path (files are then looked for in the Keras cache)."
        if not path.is_dir():
            return f"{shown!r} is not a folder: name the folder that holds the data files, not a file."
        with os.scandir(path) as entries:
            next(entries, None)
    except (OSError, ValueError) as e:
        reason = getattr(e, "strerror", None) or type(e).__name__
        return f"The data folder {shown!r} cannot be read ({reason}): check its permissions or name another."
    return None


def _is_there(path: Path) -> bool:
    """`path.exists()`, False for paths the OS refuses (too long, permission denied, a NUL character)."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def find(name: str, candidates: tuple[str, ...], data_dir: str | os.PathLike | None) -> Path | None:
    """The first of a data set's candidate files found in the searched folders (see the module doc), or None.

    Args:
        name: "imdb" or "cifar10" (which subfolders are searched).
        candidates: file or folder names, in order of preference.
        data_dir: the folder the user named (None: `$RNNVIZ_DATA_DIR`, then the Keras cache only).
    """
    for root in _roots(data_dir):
        for sub in SUBFOLDERS[name]:
            for cand in candidates:
                path = root / sub / cand
                if _is_there(path):
                    return path
    return None



def regular(path: Path, limit: int | None = None) -> None:
    """Refuses anything but a regular file of at most `limit` bytes (default `MAX_FILE_BYTES`), unopened.

    Raises:
        DataError: naming the file and what it is instead.
    """
    files.regular(path, MAX_FILE_BYTES if limit is None else limit, DataError)


def capped(source, size: int, where: str) -> bytes:
    """One archive member of `size` bytes, at most `MAX_MEMBER_BYTES` (see `rnnviz.data.files.read_capped`).

    Raises:
        DataError: the member is larger, or shorter than announced; the message names `where`.
    """
    return files.read_capped(source, size, where, MAX_MEMBER_BYTES, DataError)


def locate(name: str, data_dir: str | os.PathLike | None = None) -> Path | None:
    """Where a data set's files would be read from (no download), or None.

    Args:
        name: "imdb" (its `imdb.npz`), "cifar10" (the batches folder, or the archive) or "aclImdb" (the raw
            reviews' folder, or the archive).
    """
    if name == "imdb":
        return find("imdb", ("imdb.npz",), data_dir)
    if name == "aclImdb":
        return find("aclImdb", ACLIMDB, data_dir)
    folder = find("cifar10", (CIFAR_DIR,), data_dir)
    return folder if folder is not None else find("cifar10", CIFAR_ARCHIVES, data_dir)



def download(fname: str, progress: Callable[[str], None] | None = None) -> Path:
    """Downloads one standard file (a key of `URLS`) into the Keras cache (`keras.utils.get_file`).

    Args:
        fname: e.g. "imdb.npz".
        progress: called with a line before the download starts.

    Raises:
        DataUnavailable: downloads are off (`$RNNVIZ_OFFLINE`) or the download failed; the message gives the fixes.
    """
    import keras  # lazy: only a download needs it; rnnviz.ui imports this before app.py's backend check

    origin, file_hash = URLS[fname]
    if env.flag("RNNVIZ_OFFLINE"):
        raise DataUnavailable(_unavailable_message(fname, RuntimeError("downloads are off (RNNVIZ_OFFLINE is set)")))
    if progress:
        progress(f"Downloading {origin} into {keras_cache_dir()} …")
    try:
        return Path(keras.utils.get_file(fname=fname, origin=origin, file_hash=file_hash,
                                         cache_dir=str(keras_cache_dir().parent)))
    except Exception as e:
        raise DataUnavailable(_unavailable_message(fname, e)) from e


def _unavailable_message(fname: str, e: BaseException) -> str:
    name = next(n for n, wanted in WANTED.items() if fname in wanted)
    reason = str(e).splitlines()[0] if str(e) else type(e).__name__
    return (f"{fname} was not found (looked in the data folder and {keras_cache_dir()}) and the download "
            f"failed: {reason}. Fix: run `python -m rnnviz prefetch {name}` on a machine with internet "
            f"(it fills {keras_cache_dir()}), or set a data folder holding the standard files "
            f"(`--data-dir`, `RNNVIZ_DATA_DIR`, or the field on the Home page).")


def prefetch(names: list[str], progress: Callable[[str], None] | None = None) -> list[dict[str, object]]:
    """Makes sure each data set's files are in the Keras cache or data folder, downloading what is missing.

    Returns:
        One row per file: `dataset`, `path`, `bytes`, `downloaded` (False: it was already there).

    Raises:
        DataUnavailable: a download failed.
    """
    rows = []
    for name in names:
        for fname in WANTED[name]:
            found = locate(name) if name != "imdb" else find("imdb", (fname,), None)
            path = found or download(fname, progress)
            size = (sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir()
                    else path.stat().st_size)
            rows.append({"dataset": name, "path": str(path), "bytes": size, "downloaded": found is None})
    return rows
