"""A language model on any text (the `text` data kind): a user's text file, or the raw IMDB reviews, as next-character
or next-word windows with the same count-based baseline as the IMDB language model (`rnnviz.data.lm`).

- **Files.** A user's `.txt` files are decoded (UTF-8 with or without a byte-order mark, else Latin-1 when it reads
  as text), their line ends made `\\n`, joined by a blank line, and stored once as UTF-8 in
  `$RNNVIZ_HOME/datasets/<hash>.text` (`rnnviz.data.userdata`). Bad files are refused in one line: empty, binary
  (NUL bytes: also UTF-16), control characters where text should be, one character repeated, too large.
- **Documents.** A file is one document: its end (`val_share`, cut at a space or line break) is the validation
  text. The raw reviews (`rnnviz.data.reviews`) are one document each: training text from the training reviews,
  validation text from the test reviews, or, without a test split, from the last `val_share` of the (shuffled)
  training reviews. Case, punctuation and line breaks are kept.
- **Tokens.** Character level: the `chars` most frequent characters of the training text (ids 3...), 1 starts a
  document, 2 any other character. Word level: `WORDS` splits words, punctuation marks and line breaks; the
  `vocab_size - 3` most frequent of the training text are kept. Unused ids (a text with fewer distinct
  characters) decode as "".
- **Windows and baseline**: `lm.windows` and `lm.ngram_nll` on the two streams, as for the IMDB language model.

No Keras, no Streamlit.
"""

from __future__ import annotations

import collections
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from rnnviz.config import TextFileData
from rnnviz.data import lm, reviews, userdata
from rnnviz.data.standard import DataError

KIND = "text"
MIN_CHARS = 100
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class TextError(DataError):
    """A text file cannot be used; the message names the file and what is wrong (one line)."""


def decode(blob: bytes, where: str) -> str:
    """A text file's text: UTF-8 (a byte-order mark dropped) or Latin-1, line ends as `\\n`.

    Raises:
        TextError: empty, binary or UTF-16 (NUL bytes), control characters (a wrong encoding), too short, or one
        character repeated.
    """
    if not blob.strip():
        raise TextError(f"{where} is empty: a language model needs text to read")
    if b"\x00" in blob[:65536]:
        raise TextError(f"{where} is not a text file (it holds NUL bytes: binary, or UTF-16): save it as UTF-8 "
                        "text (.txt)")
    try:
        text = blob.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = blob.decode("latin-1")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    bad = len(CONTROL.findall(text[:1_000_000]))
    if bad > max(10, len(text[:1_000_000]) // 1000):
        raise TextError(f"{where} holds {bad:,} control characters: not text in UTF-8 or Latin-1 (binary, or "
                        "another encoding?). Save it as UTF-8 text (.txt)")
    if len(text.strip()) < MIN_CHARS:
        raise TextError(f"{where} holds {len(text.strip())} characters of text; a language model needs at least "
                        f"{MIN_CHARS}")
    if len(set(text.strip())) < 2:
        raise TextError(f"{where} holds one character repeated ({text.strip()[0]!r}): there is nothing to learn "
                        "from it")
    return text


def join(blobs: list[tuple[bytes, str]]) -> bytes:
    """Several text files as the one UTF-8 text that is stored: each decoded (`decode`), joined by a blank line.

    Args:
        blobs: (bytes, name shown in errors) per file, in order.

    Raises:
        TextError: a file that cannot be used (naming it), or the text together over the upload limit.
    """
    if not blobs:
        raise TextError("No text file was given: name a .txt file")
    blob = "\n\n".join(decode(b, where).strip("\n") for b, where in blobs).encode("utf-8")
    if len(blob) > userdata.limit():
        raise TextError(f"the text files together are {len(blob) / 2**20:,.1f} MB; up to {userdata.limit() >> 20} "
                        "MB can be used (RNNVIZ_UPLOAD_LIMIT_MB)")
    return blob


split_words = lm.raw_words


def documents(opts: TextFileData, data_dir: str | None = None,
              progress: Callable[[str], None] | None = None) -> tuple[list[str], list[str]]:
    """The training and validation documents (texts, in order) of a config's source.

    Raises:
        rnnviz.data.userdata.DatasetMissing: the file is not stored here; DataUnavailable: no reviews found.
    """
    if not opts.file:
        found = reviews.load(data_dir, progress)
        if found["test"]:
            return list(found["train"]), list(found["test"])
        n_val = max(1, int(len(found["train"]) * opts.val_share))
        return list(found["train"][:-n_val]), list(found["train"][-n_val:])
    text = userdata.read(opts.file, KIND, "text file").decode("utf-8")
    cut = len(text) - int(len(text) * opts.val_share)
    ends = [k for k in (text.find(" ", cut), text.find("\n", cut)) if k >= 0]
    cut = min(ends) if ends else cut
    return [text[:cut]], [text[cut:]]


def _pieces(docs: list[str], level: str, need: int) -> list[list[str]]:
    """Each document's tokens (characters or words) until `need` tokens (with a start token each) are there."""
    out, total = [], 0
    for doc in docs:
        if total >= need:
            break
        part = list(doc) if level == "char" else split_words(doc)
        out.append(part)
        total += len(part) + 1
    return out


def vocabulary(pieces: list[list[str]], opts: TextFileData) -> lm.Tokens:
    """The vocabulary of the training text: the most frequent characters or words, `opts.ids` ids in all."""
    counts = collections.Counter(t for part in pieces for t in part)
    keep = opts.ids - 3
    kept = [t for t, _ in sorted(counts.items(), key=lambda tc: (-tc[1], tc[0]))[:keep]]
    kept = sorted(kept) if opts.level == "char" else kept  # characters in code-point order; words by frequency
    return lm.Tokens(opts.level, ("<pad>", "<start>", "<unk>", *kept, *[""] * (keep - len(kept))), raw=True)


def _ids(pieces: list[list[str]], tokens: lm.Tokens) -> np.ndarray:
    """Documents' tokens as one int32 stream, each document after a start token."""
    lookup = {s: k for k, s in enumerate(tokens.symbols) if k > lm.UNK and s}
    return np.asarray([i for part in pieces for i in (lm.START, *(lookup.get(t, lm.UNK) for t in part))], "int32")


def streams(opts: TextFileData, data_dir: str | None = None,
            progress: Callable[[str], None] | None = None) -> tuple[np.ndarray, np.ndarray, lm.Tokens]:
    """The training and validation token streams, each long enough for the config's windows, and the vocabulary.

    Raises:
        ValueError: the text holds fewer tokens than `train_size` or `val_size` windows need (naming the field).
    """
    train_docs, val_docs = documents(opts, data_dir, progress)
    need = (opts.train_size * opts.seq_len + 1, opts.val_size * opts.seq_len + 1)
    train_pieces = _pieces(train_docs, opts.level, need[0])
    tokens = vocabulary(train_pieces, opts)
    out = []
    for pieces, n, field in ((train_pieces, need[0], "train_size"),
                             (_pieces(val_docs, opts.level, need[1]), need[1], "val_size")):
        stream = _ids(pieces, tokens)
        if len(stream) < n:
            raise ValueError(f"`{field}` asks for more text than there is ({len(stream):,} of {n:,} tokens): lower "
                             f"it, or shorten seq_len. Received: {field}={getattr(opts, field)}")
        out.append(stream[:n])
    return out[0], out[1], tokens


def tokens_for(opts: TextFileData, data_dir: str | None = None) -> lm.Tokens:
    """A config's vocabulary, as training makes it (reads the training text)."""
    train_docs, _ = documents(opts, data_dir)
    return vocabulary(_pieces(train_docs, opts.level, opts.train_size * opts.seq_len + 1), opts)


def resolve(opts: TextFileData, blob: bytes | None = None, where: str | None = None) -> Any:
    """Checks a config against its text (`blob`, else the stored file): the text must be usable and hold the
    windows asked for. The raw reviews are not read here (training says when they are missing).

    Raises:
        ValueError: a bad file, or too little text for `train_size` / `val_size` (one line each).
    """
    if blob is None and not opts.file:
        return opts
    text = (blob if blob is not None else userdata.read(opts.file, KIND, "text file")).decode("utf-8")
    n = len(text) if opts.level == "char" else len(split_words(text))
    n_val = int(n * opts.val_share)
    for field, have, part in (("train_size", n - n_val, "first"), ("val_size", n_val, "last")):
        need = getattr(opts, field) * opts.seq_len + 1
        if have < need:
            raise TextError(f"{where or 'the text file'} holds {n:,} {opts.level}s; {field}={getattr(opts, field)} "
                            f"windows of seq_len={opts.seq_len} need {need:,} in its {part} "
                            f"{1 - opts.val_share if part == 'first' else opts.val_share:.0%}: lower {field} or "
                            "seq_len, or use a longer text")
    return opts
