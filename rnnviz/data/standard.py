"""IMDB and CIFAR-10 from their standard files, found the way a classroom needs, read without Keras's loader.

Where files are looked for, in order:
1. a data folder the user names (`data_dir` argument, else `$RNNVIZ_DATA_DIR`): the files themselves, or
   the same files in a subfolder `imdb/`, `cifar10/` or `datasets/`;
2. the Keras cache: `$KERAS_HOME/datasets` (default `~/.keras/datasets`);
3. a download into the Keras cache through `keras.utils.get_file` (not when `$RNNVIZ_OFFLINE` is set).

Keras's own `load_data` deletes a cached file whose hash differs when it cannot download a fresh one, so the
files are read here. Pickled content (the IMDB object arrays, the CIFAR batches) goes through an unpickler
that only rebuilds numpy arrays, never arbitrary objects.

IMDB follows `keras.datasets.imdb.load_data`: shuffle with seed 113, start_char 1, oov_char 2, word ranks
+ index_from 3, ids >= `num_words` become 2. Encoding typed text follows the dataset's tokeniser: lower
case, the Keras filter characters (all punctuation but the apostrophe) replaced by spaces.
"""

from __future__ import annotations

import functools
import io
import json
import os
import pickle
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from rnnviz.config import env
from rnnviz.data import files

START, OOV, INDEX_FROM, PAD = 1, 2, 3, 0
IMDB_SEED = 113
FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'  # keras Tokenizer's default filters: the apostrophe stays
CIFAR_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
CIFAR_DIR = "cifar-10-batches-py"
CIFAR_ARCHIVES = ("cifar-10-python.tar.gz", "cifar-10-batches-py.tar.gz")
SUBFOLDERS = {"imdb": ("", "imdb", "datasets"), "cifar10": ("", "cifar10", "cifar-10", "datasets",
                                                             "cifar-10-batches-py-target")}
URLS = {
    "imdb.npz": ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz",
                 "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"),
    "imdb_word_index.json": ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb_word_index.json",
                             "bfafd718b763782e994055a2d397834f"),
    "cifar-10-python.tar.gz": ("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                               "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"),
}


MAX_FILE_BYTES = 1 << 30  # the largest standard file, cifar-10-python.tar.gz, is 170 MB
MAX_MEMBER_BYTES = 512 << 20  # one array or batch unpacked (IMDB's x_train ~30 MB, a CIFAR batch 31 MB)
MAX_INDEX_BYTES = 64 << 20  # imdb_word_index.json is 1.6 MB
MAX_RANK = 2**31 - 1 - INDEX_FROM  # word ids go into the model as int32


class DataError(ValueError):
    """A data file is malformed; the message names the file and the problem."""


class DataUnavailable(RuntimeError):
    """No files were found and the download failed; the message says what failed and the two fixes."""


class _NumpyOnlyUnpickler(pickle.Unpickler):
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


def _find(name: str, candidates: tuple[str, ...], data_dir) -> Path | None:
    for root in _roots(data_dir):
        for sub in SUBFOLDERS[name]:
            for cand in candidates:
                path = root / sub / cand
                if _is_there(path):
                    return path
    return None


def _regular(path: Path, limit: int | None = None) -> None:
    """Refuses anything but a regular file of at most `limit` bytes (default `MAX_FILE_BYTES`), unopened."""
    files.regular(path, MAX_FILE_BYTES if limit is None else limit, DataError)


def _capped(source, size: int, where: str) -> bytes:
    """One archive member, at most `MAX_MEMBER_BYTES` (see `rnnviz.data.files.read_capped`)."""
    return files.read_capped(source, size, where, MAX_MEMBER_BYTES, DataError)


def locate(name: str, data_dir: str | os.PathLike | None = None) -> Path | None:
    """Where a data set's files would be read from (no download), or None.

    Args:
        name: "imdb" (its `imdb.npz`) or "cifar10" (the batches folder, or the archive).
    """
    if name == "imdb":
        return _find("imdb", ("imdb.npz",), data_dir)
    folder = _find("cifar10", (CIFAR_DIR,), data_dir)
    return folder if folder is not None else _find("cifar10", CIFAR_ARCHIVES, data_dir)


def _download(fname: str, progress: Callable[[str], None] | None = None) -> Path:
    """Downloads one standard file into the Keras cache (`keras.utils.get_file`)."""
    import keras

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
    name = "imdb" if fname.startswith("imdb") else "cifar10"
    reason = str(e).splitlines()[0] if str(e) else type(e).__name__
    return (f"{fname} was not found (looked in the data folder and {keras_cache_dir()}) and the download "
            f"failed: {reason}. Fix: run `python -m rnnviz prefetch {name}` on a machine with internet "
            f"(it fills {keras_cache_dir()}), or set a data folder holding the standard files "
            f"(`--data-dir`, `RNNVIZ_DATA_DIR`, or the field on the Home page).")


# ---------------------------------------------------------------- IMDB


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an `.npz` archive; object arrays through the numpy-only unpickler."""
    arrays = {}
    _regular(path)
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                member = info.filename
                if member.endswith(".npy"):
                    with archive.open(info) as f:
                        buf = io.BytesIO(_capped(f, info.file_size, f"{path}:{member}"))
                    try:
                        arrays[member[:-4]] = np.lib.format.read_array(buf, allow_pickle=False)
                    except ValueError:  # an object array: skip the header, then unpickle numpy only
                        buf.seek(0)
                        major, _ = np.lib.format.read_magic(buf)
                        (np.lib.format.read_array_header_1_0 if major == 1 else
                         np.lib.format.read_array_header_2_0)(buf)
                        arrays[member[:-4]] = _NumpyOnlyUnpickler(buf).load()
    except DataError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, pickle.UnpicklingError, ValueError, KeyError) as e:
        raise DataError(f"{path}: not a readable .npz archive (truncated or corrupt?): {e}") from e
    return arrays


@functools.lru_cache(maxsize=2)
def _imdb_arrays(path: Path, mtime: float) -> tuple[np.ndarray, ...]:
    """Validated, flattened IMDB splits: for train and test, all ranks, row offsets and labels."""
    arrays = _read_npz(path)
    missing = [k for k in ("x_train", "y_train", "x_test", "y_test") if k not in arrays]
    if missing:
        raise DataError(f"{path}: missing key(s) {', '.join(missing)} (expected x_train, y_train, x_test, y_test)")
    out = []
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], np.asarray(arrays[f"y_{split}"])
        if x.ndim != 1 or y.ndim != 1:
            raise DataError(f"{path}: x_{split} and y_{split} must be 1-D (one entry per review). "
                            f"Received shapes {x.shape} and {y.shape}")
        if len(x) != len(y):
            raise DataError(f"{path}: x_{split} has {len(x)} reviews but y_{split} has {len(y)} labels")
        if len(x) == 0:
            raise DataError(f"{path}: x_{split} is empty")
        if not np.isin(y, (0, 1)).all():
            raise DataError(f"{path}: y_{split} holds labels other than 0 and 1 (e.g. {y[~np.isin(y, (0, 1))][0]})")
        try:
            seqs = [np.asarray(s, dtype="int64").reshape(-1) for s in x]
        except (TypeError, ValueError) as e:
            raise DataError(f"{path}: x_{split} must hold lists of integer word ranks ({e})") from e
        flat = np.concatenate(seqs) if seqs else np.zeros(0, "int64")
        if len(flat) and flat.min() < 1:
            raise DataError(f"{path}: x_{split} holds word rank {flat.min()}; ranks start at 1")
        if len(flat) and flat.max() > MAX_RANK:
            raise DataError(f"{path}: x_{split} holds word rank {flat.max()}; ranks go up to {MAX_RANK:,}")
        out += [flat, np.cumsum([0] + [len(s) for s in seqs]), y.astype("int64")]
    return tuple(out)


def load_imdb(num_words: int | None = 10000, data_dir: str | os.PathLike | None = None,
              progress: Callable[[str], None] | None = None) -> tuple[tuple[list, np.ndarray], tuple[list, np.ndarray]]:
    """IMDB reviews as `keras.datasets.imdb.load_data(num_words=...)` returns them.

    Args:
        num_words: ids >= this become `OOV` (2), as Keras does; None: Keras's cap, the largest id.
        data_dir: a folder with `imdb.npz` (else `$RNNVIZ_DATA_DIR`, the Keras cache, then a download).
        progress: called with a line before a download starts.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: x a list of int64 arrays (1 = start, 2 = out of vocabulary,
        word rank + 3 otherwise), y int64 `(n,)` labels (1 = positive).

    Raises:
        DataUnavailable: no file and no download. DataError: the file is malformed (named in the message).
    """
    path = locate("imdb", data_dir) or _download("imdb.npz", progress)
    parts = _imdb_arrays(path, path.stat().st_mtime)
    if not num_words:  # Keras then caps at the largest id, which itself becomes OOV: kept for parity
        num_words = int(max(parts[0].max(initial=0), parts[3].max(initial=0))) + INDEX_FROM
    rng = np.random.RandomState(IMDB_SEED)  # one generator for both splits, as in Keras
    out = []
    for flat, offsets, y in (parts[:3], parts[3:]):
        order = np.arange(len(y))
        rng.shuffle(order)
        ids = flat + INDEX_FROM
        ids = np.where(ids < num_words, ids, OOV)
        rows = np.split(ids, offsets[1:-1])
        out.append(([np.concatenate([[START], rows[k]]) for k in order], y[order]))
    return out[0], out[1]


def pad(seqs: list, maxlen: int, padding: str = "pre", truncating: str = "pre") -> np.ndarray:
    """`keras.utils.pad_sequences` with the padding id 0: int32 `(n, maxlen)`."""
    import keras

    return keras.utils.pad_sequences(seqs, maxlen=maxlen, dtype="int32", padding=padding,
                                     truncating=truncating, value=PAD)


def split_words(text: str) -> list[str]:
    """Keras's `text_to_word_sequence` with its defaults: lower case, each `FILTERS` character -> " ", then
    `split(" ")` without the empty strings. Only " " separates words: U+0085, U+00A0, U+2028, "\\r" ... stay
    inside a word, as in Keras (`str.split()` with no argument would break words there)."""
    return [w for w in text.lower().translate(str.maketrans(FILTERS, " " * len(FILTERS))).split(" ") if w]


@dataclass(frozen=True)
class Token:
    """One word of typed text and what the dataset's encoding makes of it.

    Attributes:
        word: the token after lower-casing and removing punctuation.
        id: the model's input id: rank + 3, or 2 when rarer than the vocabulary allows; None when the word
            is not in the IMDB word index at all (the dataset drops such words, and so does `encode`).
    """

    word: str
    id: int | None

    @property
    def status(self) -> str:
        return "unknown (dropped)" if self.id is None else "rare (out of vocabulary)" if self.id == OOV else "known"


class Vocabulary:
    """The IMDB word index with Keras's offsets: ids to words and typed text to ids.

    Args:
        word_index: word -> rank (1 = most frequent), as in `imdb_word_index.json`.
        num_words: the vocabulary cap the model was trained with (ids >= it are `OOV`).
    """

    def __init__(self, word_index: dict[str, int], num_words: int | None = None):
        self.word_index, self.num_words = word_index, num_words
        self.words = {rank + INDEX_FROM: word for word, rank in word_index.items()}
        self.words.update({PAD: "<pad>", START: "<start>", OOV: "<oov>"})

    def decode(self, ids) -> list[str]:
        """The word for each id (`<pad>`, `<start>`, `<oov>` for the reserved ids)."""
        return [self.words.get(int(i), "<oov>") for i in ids]

    def tokens(self, text: str) -> list[Token]:
        """Each word of `text` as the dataset's tokeniser splits it, with its id (see `Token`)."""
        words = split_words(text)
        out = []
        for w in words:
            rank = self.word_index.get(w)
            i = None if rank is None else rank + INDEX_FROM
            out.append(Token(w, i if i is None or not self.num_words or i < self.num_words else OOV))
        return out

    def encode(self, text: str) -> np.ndarray:
        """Typed text as the dataset encodes a review: `[1, id, id, ...]`, unknown words dropped. int32 `(n,)`."""
        return np.asarray([START] + [t.id for t in self.tokens(text) if t.id is not None], "int32")


def word_index(data_dir: str | os.PathLike | None = None,
               progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """The IMDB word index (`imdb_word_index.json`: word -> rank), found like `imdb.npz`.

    Raises:
        DataUnavailable, DataError: as for `load_imdb`.
    """
    path = _find("imdb", ("imdb_word_index.json",), data_dir) or _download("imdb_word_index.json", progress)
    return _read_word_index(path, path.stat().st_mtime)


@functools.lru_cache(maxsize=2)
def _read_word_index(path: Path, mtime: float) -> dict[str, int]:
    _regular(path, MAX_INDEX_BYTES)
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: not readable JSON ({e})") from e
    if not isinstance(index, dict) or not all(isinstance(k, str) and type(v) is int and 1 <= v <= MAX_RANK
                                              for k, v in index.items()):
        raise DataError(f"{path}: must be a JSON object mapping words to ranks from 1 to {MAX_RANK:,}")
    return index


# ---------------------------------------------------------------- CIFAR-10


def _unpickle(blob: bytes, where: str) -> dict:
    try:
        d = _NumpyOnlyUnpickler(io.BytesIO(blob), encoding="bytes").load()
    except Exception as e:
        raise DataError(f"{where}: not a readable CIFAR-10 python batch (truncated or corrupt?): {e}") from e
    if not isinstance(d, dict):
        raise DataError(f"{where}: must hold a pickled dict, not {type(d).__name__}")
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in d.items()}


def _batch(blob: bytes, where: str) -> tuple[np.ndarray, np.ndarray]:
    """One python batch: uint8 images `(n, 32, 32, 3)` and int64 labels `(n,)`."""
    d = _unpickle(blob, where)
    missing = [k for k in ("data", "labels") if k not in d]
    if missing:
        raise DataError(f"{where}: missing key(s) {', '.join(missing)} (expected b'data' and b'labels')")
    x, y = np.asarray(d["data"]), np.asarray(d["labels"])
    if x.dtype != np.uint8 or x.ndim != 2 or x.shape[1] != 3072:
        raise DataError(f"{where}: b'data' must be uint8 of shape (n, 3072). Received {x.dtype} {x.shape}")
    if y.ndim != 1 or len(y) != len(x):
        raise DataError(f"{where}: {len(x)} images but {y.size} labels")
    if len(x) == 0:
        raise DataError(f"{where}: holds no images (an empty or cut-down batch); put the standard file there")
    if len(y) and (not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() > 9):
        raise DataError(f"{where}: labels must be integers 0-9. Received values from {y.min()} to {y.max()}")
    return x.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), y.astype("int64")


def _cifar_members(path: Path) -> dict[str, tuple[bytes, str]]:
    """The batch files by name (`data_batch_1`, ..., `test_batch`, `batches.meta`): bytes and where from."""
    names = lambda n: n.startswith("data_batch_") or n in ("test_batch", "batches.meta")  # noqa: E731
    if path.is_dir():
        out = {}
        for p in sorted(path.iterdir()):
            if names(p.name):
                _regular(p, limit=MAX_MEMBER_BYTES)
                out[p.name] = (p.read_bytes(), str(p))
        return out
    _regular(path)
    out = {}
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar:
                base = member.name.rsplit("/", 1)[-1]
                if member.isfile() and names(base):
                    where = f"{path}:{member.name}"
                    out[base] = (_capped(tar.extractfile(member), member.size, where), where)
    except (tarfile.TarError, EOFError, OSError, zlib.error) as e:
        raise DataError(f"{path}: not a readable .tar.gz archive (truncated or corrupt?): {e}") from e
    return out


@functools.lru_cache(maxsize=1)
def _cifar_arrays(path: Path, mtime: float):
    members = _cifar_members(path)
    train = sorted((n for n in members if n.startswith("data_batch_")),
                   key=lambda n: int(n.rsplit("_", 1)[1]) if n.rsplit("_", 1)[1].isdigit() else 0)
    if not train or "test_batch" not in members:
        raise DataError(f"{path}: needs data_batch_* and test_batch files. Found: "
                        f"{', '.join(sorted(members)) or 'none'}")
    parts = [_batch(*members[n]) for n in train]
    x_test, y_test = _batch(*members["test_batch"])
    names = list(CIFAR_CLASSES)
    if "batches.meta" in members:
        meta = _unpickle(*members["batches.meta"])
        got = meta.get("label_names")
        if not isinstance(got, list) or len(got) != 10:
            raise DataError(f"{members['batches.meta'][1]}: b'label_names' must list the 10 class names")
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in got]
    x_train = np.concatenate([p[0] for p in parts])
    y_train = np.concatenate([p[1] for p in parts])
    return (x_train, y_train), (x_test, y_test), names


def load_cifar10(data_dir: str | os.PathLike | None = None, progress: Callable[[str], None] | None = None):
    """CIFAR-10 as `keras.datasets.cifar10.load_data` gives it (channels last), with the class names.

    Reads every `data_batch_*` there is (not necessarily five, nor 10,000 images each) and `test_batch`,
    from the `cifar-10-batches-py` folder or a `.tar.gz` holding it.

    Returns:
        `(x_train, y_train), (x_test, y_test), class_names`: x uint8 `(n, 32, 32, 3)`, y int64 `(n,)`.

    Raises:
        DataUnavailable: no files and no download. DataError: malformed files (named in the message).
    """
    path = locate("cifar10", data_dir) or _download("cifar-10-python.tar.gz", progress)
    return _cifar_arrays(path, path.stat().st_mtime)


# ---------------------------------------------------------------- prefetch


def prefetch(names: list[str], progress: Callable[[str], None] | None = None) -> list[dict[str, object]]:
    """Makes sure each data set's files are in the Keras cache or data folder, downloading what is missing.

    Returns:
        One row per file: `dataset`, `path`, `bytes`, `downloaded` (False: it was already there).

    Raises:
        DataUnavailable: a download failed.
    """
    rows = []
    for name in names:
        wanted = ("imdb.npz", "imdb_word_index.json") if name == "imdb" else ("cifar-10-python.tar.gz",)
        for fname in wanted:
            found = (locate("cifar10") if name == "cifar10" else _find("imdb", (fname,), None))
            path = found or _download(fname, progress)
            size = (sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir()
                    else path.stat().st_size)
            rows.append({"dataset": name, "path": str(path), "bytes": size, "downloaded": found is None})
    return rows
