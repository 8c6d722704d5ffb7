"""IMDB reviews from their standard files (`imdb.npz`, `imdb_word_index.json`), as Keras gives them, and typed
text encoded the same way.

IMDB follows `keras.datasets.imdb.load_data`: shuffle with seed 113, start_char 1, oov_char 2, word ranks
+ index_from 3, ids >= `num_words` become 2. Encoding typed text follows the dataset's tokeniser: lower
case, the Keras filter characters (all punctuation but the apostrophe) replaced by spaces. The files are found
(and downloaded) by `rnnviz.data.standard`.
"""

from __future__ import annotations

import functools
import io
import json
import os
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from rnnviz.data import standard
from rnnviz.data.standard import DataError

START, OOV, INDEX_FROM, PAD = 1, 2, 3, 0
IMDB_SEED = 113
FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'  # keras Tokenizer's default filters: the apostrophe stays
MAX_INDEX_BYTES = 64 << 20  # imdb_word_index.json is 1.6 MB
MAX_RANK = 2**31 - 1 - INDEX_FROM  # word ids go into the model as int32


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an `.npz` archive; object arrays through the numpy-only unpickler."""
    arrays = {}
    standard.regular(path)
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                member = info.filename
                if member.endswith(".npy"):
                    with archive.open(info) as f:
                        buf = io.BytesIO(standard.capped(f, info.file_size, f"{path}:{member}"))
                    try:
                        arrays[member[:-4]] = np.lib.format.read_array(buf, allow_pickle=False)
                    except ValueError:  # an object array: skip the header, then unpickle numpy only
                        buf.seek(0)
                        major, _ = np.lib.format.read_magic(buf)
                        (np.lib.format.read_array_header_1_0 if major == 1 else
                         np.lib.format.read_array_header_2_0)(buf)
                        arrays[member[:-4]] = standard.NumpyOnlyUnpickler(buf).load()
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
    path = standard.locate("imdb", data_dir) or standard.download("imdb.npz", progress)
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
    import keras  # lazy: rnnviz.ui imports this before app.py's backend check

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
    path = (standard.find("imdb", ("imdb_word_index.json",), data_dir)
            or standard.download("imdb_word_index.json", progress))
    return _read_word_index(path, path.stat().st_mtime)


@functools.lru_cache(maxsize=2)
def _read_word_index(path: Path, mtime: float) -> dict[str, int]:
    standard.regular(path, MAX_INDEX_BYTES)
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: not readable JSON ({e})") from e
    if not isinstance(index, dict) or not all(isinstance(k, str) and type(v) is int and 1 <= v <= MAX_RANK
                                              for k, v in index.items()):
        raise DataError(f"{path}: must be a JSON object mapping words to ranks from 1 to {MAX_RANK:,}")
    return index

