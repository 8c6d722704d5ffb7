"""The raw IMDB reviews in Stanford's `aclImdb` layout (Maas et al., 2011), case and punctuation kept, read in place
from `aclImdb_v1.tar.gz` or from an extracted `aclImdb/` folder.

The layout: `aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt`, one review per file (UTF-8, its line breaks
written as `<br />`, turned back into line breaks here). `unsup/` and the other files are not read. The reviews
of a split are put in the order of their paths, then shuffled with a fixed seed (`SHUFFLE_SEED`), so the first
reviews mix positive and negative ones and mix movies; the order is the same from the archive and the folder.

Where the files are looked for, and the download, is `rnnviz.data.standard`'s (`locate("aclImdb")`).
"""

from __future__ import annotations

import functools
import re
import tarfile
from pathlib import Path

import numpy as np

from rnnviz.data import files, standard

FILE_SET = "aclImdb"
SPLITS = ("train", "test")
SHUFFLE_SEED = 113  # Keras's IMDB loader shuffles with this seed too
MAX_REVIEW_BYTES = 1 << 20  # the longest real review is ~14 KB
MAX_REVIEWS = 200_000  # the real layout holds 50,000 labelled reviews
MAX_MEMBERS = 200_000  # members of any kind (the real archive: 100,000 files, unsup/ included); tarfile keeps each
MAX_TEXT_BYTES = 1 << 30  # all reviews together (the real ones: 66 MB)
_MEMBER = re.compile(r"(?:.*/)?aclImdb/(train|test)/(pos|neg)/\d+_\d+\.txt")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _clean(blob: bytes) -> str:
    """One review's text: UTF-8 (undecodable bytes replaced), `<br />` as a line break."""
    return _BREAK.sub("\n", blob.decode("utf-8", "replace")).strip()


def _from_archive(path: Path) -> dict[str, list[tuple[str, str]]]:
    """(relative path, text) of every labelled review in a `.tar.gz`, by split, read without extracting."""
    out: dict[str, list[tuple[str, str]]] = {s: [] for s in SPLITS}
    try:
        with tarfile.open(path, "r:*") as archive:
            count = total = 0
            for member in archive:
                count += 1
                match = _MEMBER.fullmatch(member.name)
                if not member.isfile() or match is None:
                    if count > MAX_MEMBERS:
                        raise standard.DataError(f"{path} holds more than {MAX_MEMBERS:,} members: not the aclImdb "
                                                 "file")
                    continue
                if sum(map(len, out.values())) >= MAX_REVIEWS or total > MAX_TEXT_BYTES:
                    raise standard.DataError(f"{path} holds more than {MAX_REVIEWS:,} reviews or "
                                             f"{files.mb(MAX_TEXT_BYTES)} of them: not the aclImdb file")
                with archive.extractfile(member) as f:
                    blob = files.read_capped(f, member.size, f"{path}: {member.name}", MAX_REVIEW_BYTES,
                                             standard.DataError)
                total += len(blob)
                out[match.group(1)].append((member.name[match.start(1):], _clean(blob)))
    except (tarfile.TarError, OSError, EOFError) as e:
        raise standard.DataError(f"{path} is not a readable .tar.gz archive ({e}): download it again") from e
    return out


def _from_folder(path: Path) -> dict[str, list[tuple[str, str]]]:
    """(relative path, text) of every labelled review in an extracted `aclImdb/` folder, by split."""
    out: dict[str, list[tuple[str, str]]] = {s: [] for s in SPLITS}
    for split in SPLITS:
        for label in ("pos", "neg"):
            for file in sorted((path / split / label).glob("*_*.txt")):
                standard.regular(file, MAX_REVIEW_BYTES)
                out[split].append((f"{split}/{label}/{file.name}", _clean(file.read_bytes())))
    return out


@functools.lru_cache(maxsize=2)
def _read(where: str, stamp: tuple[int, int]) -> dict[str, tuple[str, ...]]:
    path = Path(where)
    found = _from_folder(path) if path.is_dir() else _from_archive(path)
    rng = np.random.default_rng(SHUFFLE_SEED)
    out = {}
    for split, items in found.items():
        texts = [text for _, text in sorted(items)]
        out[split] = tuple(texts[k] for k in rng.permutation(len(texts)))
    return out


def read(path: Path) -> dict[str, tuple[str, ...]]:
    """The reviews of each split ("train", "test": the test split may be empty), shuffled with `SHUFFLE_SEED`.

    Args:
        path: `aclImdb_v1.tar.gz` (any tar archive holding `aclImdb/`) or the extracted `aclImdb/` folder.

    Raises:
        rnnviz.data.standard.DataError: an unreadable archive, an oversized member, or no training reviews.
    """
    if not path.is_dir():
        standard.regular(path)
    info = path.stat()
    out = _read(str(path), (info.st_mtime_ns, info.st_size))
    if not out["train"]:
        raise standard.DataError(f"{path} holds no training reviews (aclImdb/train/pos/*.txt, aclImdb/train/neg/"
                                 "*.txt): is it Stanford's aclImdb_v1.tar.gz?")
    return out


def load(data_dir: str | None = None, progress=None) -> dict[str, tuple[str, ...]]:
    """The reviews from the data folder, the Keras cache, or a download (`rnnviz.data.standard`).

    Raises:
        rnnviz.data.standard.DataUnavailable: not found and not downloadable; DataError: a malformed file.
    """
    path = standard.locate(FILE_SET, data_dir) or standard.download(standard.ACLIMDB_ARCHIVE, progress)
    return read(path)
