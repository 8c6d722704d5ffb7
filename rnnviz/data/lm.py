"""The language-model task on the IMDB reviews: text decoded offline from `imdb.npz` and
`imdb_word_index.json`, next-word or next-character windows, and a count-based baseline on the same split.

- **Text.** Reviews come from `rnnviz.data.standard.load_imdb` (Keras's order) and are decoded with the word index
  (`imdb.Vocabulary`): lower-case words without punctuation, as the dataset stores them. Training text is
  read from the training reviews, validation text from the test reviews (disjoint).
- **Tokens.** Word level: the dataset's own ids (0 padding, 1 start of a review, 2 a word outside the
  `vocab_size` most frequent, rank + 3 otherwise). Character level: a fixed alphabet (`ALPHABET`: space, a-z,
  0-9 and the apostrophe; ids 3...), 1 the start of a review, 2 any other character. Every review starts with
  the start token; reviews are joined into one stream per split.
- **Windows.** The stream cut into `(n, seq_len)` inputs and the same shifted by one as targets, so the model
  predicts every next token; `val_size` windows from the validation stream.
- **Baseline.** `ngram_nll`: an interpolated absolute-discounting n-gram (Kneser-Ney without the continuation
  counts: discount 0.75, down to an add-one unigram), fitted on the training stream and scored on exactly the
  validation targets the model is scored on: a bigram for words, a `CHAR_ORDER`-gram for characters.
- **Metrics.** Losses are in nats per token: perplexity `exp(loss)`, bits per character `loss / ln 2`.

No Keras here (`rnnviz.data.imdb` imports it only to pad), no Streamlit.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from rnnviz.config.kinds import CHAR_ALPHABET, CHAR_VOCAB
from rnnviz.data import imdb

PAD, START, UNK = 0, 1, 2
ALPHABET, CHAR_VOCAB = CHAR_ALPHABET, CHAR_VOCAB  # the character level's ids (`rnnviz.config.kinds`)
WORD_ORDER, CHAR_ORDER = 2, 5
DISCOUNT = 0.75
LN2 = math.log(2.0)


@dataclass(frozen=True)
class Tokens:
    """A run's vocabulary: ids to text and text to ids.

    Attributes:
        level: "word" or "char".
        symbols: id -> the token's text ("<pad>", "<start>", "<unk>", then words or characters).
        raw: the text keeps case and punctuation (the `text` kind: `raw_words` splits words); False: IMDB's
            lower-case words (`imdb.split_words`).
    """

    level: str
    symbols: tuple[str, ...]
    raw: bool = False

    @property
    def size(self) -> int:
        return len(self.symbols)

    def decode(self, ids) -> list[str]:
        """The text of each id (`<unk>` for ids outside the vocabulary)."""
        return [self.symbols[int(i)] if 0 <= int(i) < len(self.symbols) else "<unk>" for i in ids]

    def text(self, ids) -> str:
        """Ids as readable text: words joined by spaces, characters as they are; the start token as "¶ "."""
        parts = ["¶ " if int(i) == START else s for i, s in zip(ids, self.decode(ids)) if int(i) != PAD]
        text = " ".join(parts).replace(" \n ", "\n") if self.level == "word" else "".join(parts)
        return text.replace("¶  ", "¶ ")

    def encode(self, text: str) -> tuple[np.ndarray, list[str]]:
        """Typed text as ids (no start token), and what was dropped: words not in the vocabulary (word level,
        after the dataset's tokeniser) or characters outside `ALPHABET` (character level, after lower-casing).

        Returns:
            int32 `(n,)` ids, and the dropped words or characters in order.
        """
        if self.level == "char":
            lookup = {c: k for k, c in enumerate(self.symbols) if k > UNK}
            chars = text if self.raw else text.lower()
            return (np.asarray([lookup[c] for c in chars if c in lookup], "int32"),
                    [c for c in chars if c not in lookup])
        lookup = {w: k for k, w in enumerate(self.symbols) if k > UNK}
        words = raw_words(text) if self.raw else imdb.split_words(text)
        return (np.asarray([lookup[w] for w in words if w in lookup], "int32"),
                [w for w in words if w not in lookup])


WORDS = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]|\n")
"""A word of a raw text (with its apostrophes: "don't"), one punctuation mark, or a line break."""


def raw_words(text: str) -> list[str]:
    """A raw text's words, punctuation marks and line breaks, in order (case kept)."""
    return WORDS.findall(text)


def char_tokens() -> Tokens:
    """The character-level vocabulary: `<pad>`, `<start>`, `<unk>`, then `ALPHABET`."""
    return Tokens("char", ("<pad>", "<start>", "<unk>", *ALPHABET))


def word_tokens(word_index: dict[str, int], vocab_size: int) -> Tokens:
    """The word-level vocabulary of the dataset's ids below `vocab_size` (rank + 3; 2 is `<unk>`)."""
    words = {rank + imdb.INDEX_FROM: w for w, rank in word_index.items()
             if rank + imdb.INDEX_FROM < vocab_size}
    return Tokens("word", ("<pad>", "<start>", "<unk>", *(words.get(k, "<unk>") for k in range(3, vocab_size))))


def char_ids(words: list[str]) -> np.ndarray:
    """One decoded review (its words) as character ids, `[START, ...]`, int32."""
    table = np.full(256, UNK, "int32")  # a Latin-1 lookup; other characters -> UNK
    for k, c in enumerate(ALPHABET):
        table[ord(c)] = k + 3
    codes = np.frombuffer(" ".join(words).encode("latin-1", "replace"), np.uint8)
    return np.concatenate([[START], table[codes]]).astype("int32")


def streams(level: str, vocab_size: int, need: tuple[int, int], data_dir: str | None = None,
            progress=None) -> tuple[np.ndarray, np.ndarray, Tokens]:
    """The training and validation token streams, each long enough for `need` = (train, val) tokens.

    Args:
        level: "word" or "char".
        vocab_size: word level: the vocabulary cap (ids >= it become `UNK`).
        need: tokens wanted from the training and from the test reviews (reviews are taken in order until
            there are enough).
        data_dir: the data folder (see `rnnviz.data.standard`).

    Returns:
        `(train, val, tokens)`: int32 streams and the vocabulary.

    Raises:
        ValueError: the reviews hold fewer tokens than needed (names `train_size` or `val_size`).
    """
    word_level = level == "word"
    # character level: every word (no cap; with None Keras's loader would turn the largest id into OOV)
    (x_train, _), (x_test, _) = imdb.load_imdb(vocab_size if word_level else 2**62, data_dir, progress)
    index = imdb.word_index(data_dir, progress)
    vocab = imdb.Vocabulary(index)
    out = []
    for reviews, n, field in ((x_train, need[0], "train_size"), (x_test, need[1], "val_size")):
        parts, total = [], 0
        for ids in reviews:
            if total >= n:
                break
            ids = np.asarray(ids)
            if word_level:
                part = np.where(ids == imdb.OOV, UNK, ids).astype("int32")  # the dataset's own ids
            else:
                part = char_ids([w for w in vocab.decode(ids[1:]) if not w.startswith("<")])
            parts.append(part)
            total += len(part)
        if total < n:
            raise ValueError(f"`{field}` asks for more text than the reviews hold ({total:,} of {n:,} tokens). "
                             f"Received: {field} needing {n:,} tokens")
        out.append(np.concatenate(parts))
    tokens = word_tokens(index, vocab_size) if word_level else char_tokens()
    return out[0], out[1], tokens


def windows(stream: np.ndarray, seq_len: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` consecutive windows of the stream: inputs `(n, seq_len)` and next-token targets `(n, seq_len)`."""
    flat = np.asarray(stream[:n * seq_len + 1], "int32")
    if len(flat) < n * seq_len + 1:
        raise ValueError(f"`stream` must hold n * seq_len + 1 = {n * seq_len + 1} tokens. Received: {len(flat)}")
    return flat[:-1].reshape(n, seq_len), flat[1:].reshape(n, seq_len)


def _keys(stream: np.ndarray, j: int, base: int) -> np.ndarray:
    """Per position t >= j: the context `stream[t-j:t]` and the token `stream[t]` as one int64 number."""
    key = np.zeros(len(stream) - j, np.int64)
    for k in range(j + 1):
        key = key * base + stream[k:len(stream) - j + k]
    return key


def _count(keys: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """How often each query occurs in `keys`."""
    uniq, counts = np.unique(keys, return_counts=True)
    if not len(uniq):
        return np.zeros(len(queries), np.int64)
    pos = np.minimum(np.searchsorted(uniq, queries), len(uniq) - 1)
    return np.where(uniq[pos] == queries, counts[pos], 0)


def ngram_probs(train: np.ndarray, targets: np.ndarray, order: int, vocab_size: int,
                discount: float = DISCOUNT) -> np.ndarray:
    """P(targets[t] | the `order - 1` tokens before it in `targets`) under an interpolated absolute-discounting
    n-gram fitted on `train`, for t = 1 ... len(targets) - 1 (fewer context tokens near the start).

    `P_1(w) = (c(w) + 1) / (N + V)`; for a context `u` of length j >= 1 seen `c(u) > 0` times,
    `P(w | u) = max(c(u w) - d, 0) / c(u) + d * N1+(u) / c(u) * P(w | u without its first token)`, where
    N1+(u) is the number of different tokens seen after u; an unseen context falls back to the shorter one.

    Args:
        train, targets: 1-D int token streams (ids below `vocab_size`).
        order: n (2 = bigram).
        vocab_size: V, for the add-one unigram.
        discount: d, in (0, 1).

    Returns:
        float64 `(len(targets) - 1,)` probabilities.
    """
    train, targets = np.asarray(train, np.int64), np.asarray(targets, np.int64)
    base = vocab_size + 1
    p = (_count(train, targets[1:]) + 1.0) / (len(train) + vocab_size)  # add-one unigram
    for j in range(1, order):
        full = _keys(train, j, base)  # (context of length j, token) in training
        ctx_of_full = full // base  # the context alone
        if len(targets) <= j:
            break
        q_full = _keys(targets, j, base)  # for target positions t >= j
        q_ctx = q_full // base
        c_ctx = _count(ctx_of_full, q_ctx).astype(float)  # times the context was followed by a token
        c_full = _count(full, q_full).astype(float)
        n1 = _count(np.unique(full) // base, q_ctx).astype(float)  # distinct tokens after the context
        lower = p[j - 1:]
        seen = c_ctx > 0
        safe = np.where(seen, c_ctx, 1.0)
        mixed = np.maximum(c_full - discount, 0.0) / safe + discount * n1 / safe * lower
        p = np.concatenate([p[:j - 1], np.where(seen, mixed, lower)])
    return p


def ngram_nll(train: np.ndarray, targets: np.ndarray, order: int, vocab_size: int,
              discount: float = DISCOUNT) -> float:
    """Mean negative log-likelihood (nats per token) of `targets[1:]` under `ngram_probs`."""
    return float(-np.mean(np.log(ngram_probs(train, targets, order, vocab_size, discount))))


def perplexity(nll: float) -> float:
    """`exp(nll)`: the perplexity of a mean loss in nats per token."""
    return float(math.exp(nll))


def bits(nll: float) -> float:
    """`nll / ln 2`: a mean loss in nats as bits (per character at character level)."""
    return float(nll / LN2)


def tokens_for(opts, data_dir: str | None = None) -> Tokens:
    """The vocabulary of a language model's data options (`TextData`): the fixed alphabet, or the word index's
    `vocab_size` most frequent words (read from the data folder, as for training)."""
    if opts.level == "char":
        return char_tokens()
    return word_tokens(imdb.word_index(data_dir), opts.vocab_size)
