"""The data kinds a run can train on, one frozen dataclass each (`CosineData`, `ImdbData`, ...), validated.

`RunConfig.data` holds one of them; `DATA_KINDS` maps each `name` to its class.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar, NamedTuple

from rnnviz.config.checks import CUT, Bounds, ConfigError, limits, shorten  # noqa: F401  (part of this module's API)
from rnnviz.config.checks import check_bool as _bool
from rnnviz.config.checks import check_choice as _choice
from rnnviz.config.checks import check_float as _float
from rnnviz.config.checks import check_int as _int
from rnnviz.config.checks import check_text as _text
from rnnviz.config.checks import fail as _fail

CHAR_ALPHABET = " abcdefghijklmnopqrstuvwxyz0123456789'"
"""The characters of the character-level vocabulary (ids 3, 4, ...; 0 pads, 1 starts, 2 is unknown); the IMDB
text is lower case without punctuation, so these cover all but a few accented letters."""
CHAR_VOCAB = 3 + len(CHAR_ALPHABET)


class Shape(NamedTuple):
    """What a data kind's samples look like, known from its options without loading anything.

    Attributes:
        steps: time steps the first recurrent layer reads (before any conv front end).
        features: values per step (0 for token ids, which go through an embedding).
        ids: the number of distinct token ids (0 for values).
        outputs: the output layer's width.
        inputs, targets: one sample's input and target shapes.
        n_samples: samples held in memory (training, validation and test).
        sample_values: values one sample holds, input and target.
    """

    steps: int
    features: int
    ids: int
    outputs: int
    inputs: tuple[int, ...]
    targets: tuple[int, ...]
    n_samples: int
    sample_values: int


def _check_split(opts: Any) -> None:
    """A standard data set's `train_size` (0: all, else at least 20) and `val_split`; floats stored as floats."""
    _int("train_size", opts.train_size, 0, 10_000_000)
    if 0 < opts.train_size < 20:
        _fail("train_size", opts.train_size, "0 (all) or at least 20")
    _float("val_split", opts.val_split, 0.02, 0.5)
    _floats_as_float(opts)


def _floats_as_float(obj: Any) -> None:
    """Stores int values of float fields as floats, so 50 and 50.0 give one run id."""
    for f in fields(obj):
        value = getattr(obj, f.name)
        if f.type in ("float", float) and isinstance(value, int) and not isinstance(value, bool):
            object.__setattr__(obj, f.name, float(value))


def _file_hash(value: str) -> None:
    """A stored dataset's name: the first 16 hex digits of its sha256, or "" before a file is chosen."""
    _text("file", value, r"([0-9a-f]{16})?", 16, ("", "0" * 16), "16 hex digits (a file's hash) or ''")



@dataclass(frozen=True)
class CosineData:
    """A generated cosine series cut into windows.

    Attributes:
        length: number of points in the series.
        period: points per full cosine cycle.
        noise: standard deviation of Gaussian noise added to the series.
        window: input steps the network reads.
        horizon: future values predicted from each window.
        val_fraction: share of the series (its end) kept for validation.
    """

    name: ClassVar[str] = "cosine"
    task: ClassVar[str] = "regression"
    length: int = 2000
    period: float = 50.0
    noise: float = 0.0
    window: int = 50
    horizon: int = 1
    val_fraction: float = 0.2

    def __post_init__(self) -> None:
        _int("length", self.length, 100, 1_000_000)
        _float("period", self.period, 2.0, 100_000.0)
        _float("noise", self.noise, 0.0, 10.0)
        _int("window", self.window, 2, 1000)
        _int("horizon", self.horizon, 1, 100)
        _float("val_fraction", self.val_fraction, 0.05, 0.5)
        _floats_as_float(self)
        val_points = int(self.length * self.val_fraction)
        if val_points < self.horizon + 1 or self.length - val_points < self.window + self.horizon + 1:
            _fail("length", self.length, f"long enough for window={self.window}, horizon={self.horizon} "
                  f"and val_fraction={self.val_fraction} in both the training and validation span")

    def shape(self) -> Shape:
        return Shape(self.window, 1, 0, self.horizon, (self.window, 1), (self.horizon,), self.length,
                     self.window + self.horizon)


@dataclass(frozen=True)
class ImdbData:
    """IMDB movie reviews (Keras's `imdb.npz`, word ranks) as padded sequences of word ids.

    Attributes:
        vocab_size: keep the `vocab_size` most frequent words (Keras's `num_words`); others become "<unk>".
        maxlen: tokens per review after padding or truncation.
        padding: "pre" pads at the front, so the last steps the RNN reads are real words.
        truncating: "pre" keeps a long review's end, "post" its beginning.
        mask: the padding id 0 is masked (Embedding `mask_zero`): a masked step leaves the state unchanged.
        train_size: training reviews used (0: all 25,000), before the validation split.
        val_split: share of the training reviews held out for validation.
    """

    name: ClassVar[str] = "imdb"
    task: ClassVar[str] = "binary"
    vocab_size: int = 10000
    maxlen: int = 200
    padding: str = "pre"
    truncating: str = "pre"
    mask: bool = True
    train_size: int = 0
    val_split: float = 0.1

    def __post_init__(self) -> None:
        _int("vocab_size", self.vocab_size, 100, 100_000)
        _int("maxlen", self.maxlen, 4, 2500)
        _choice("padding", self.padding, ("pre", "post"))
        _choice("truncating", self.truncating, ("pre", "post"))
        _bool("mask", self.mask)
        _check_split(self)

    def shape(self) -> Shape:
        return Shape(self.maxlen, 0, self.vocab_size, 1, (self.maxlen,), (), 50_000, self.maxlen)


@dataclass(frozen=True)
class CifarData:
    """CIFAR-10 images read as sequences: 32 rows of 32 pixels x 3 colours (or columns).

    Attributes:
        by: "rows" (32 steps x 96 features) or "columns".
        normalise: scale pixels to [0, 1].
        train_size: training images used (0: all there are), before the validation split.
        val_split: share of the training images held out for validation.
    """

    name: ClassVar[str] = "cifar10"
    task: ClassVar[str] = "multiclass"
    by: str = "rows"
    normalise: bool = True
    train_size: int = 0
    val_split: float = 0.1

    def __post_init__(self) -> None:
        _choice("by", self.by, ("rows", "columns"))
        _bool("normalise", self.normalise)
        _check_split(self)

    def shape(self) -> Shape:
        return Shape(32, 96, 0, 10, (32, 32, 3), (), 60_000, 3072)  # a row: 32 pixels x 3 colours


@dataclass(frozen=True)
class MemoryData:
    """The adding problem (Hochreiter & Schmidhuber 1997): remember two marked values over many steps.

    Each sequence has `steps` steps of `(value, marker)`: values ~ U(0, 1), and exactly two steps marked 1,
    one in each half. The target is the sum of the two marked values (with `recall`, the first marked value
    alone). Sequences are generated from the run's seed. Answering the training mean every time scores
    MSE Var = 1/6 for the sum (1/12 for recall): the baseline every result is shown beside.

    Attributes:
        steps: T, steps per sequence.
        samples: sequences generated, training and validation together.
        val_fraction: share of them held out for validation.
        recall: answer the first marked value instead of the sum.
    """

    name: ClassVar[str] = "memory"
    task: ClassVar[str] = "regression"
    steps: int = 50
    samples: int = 12500
    val_fraction: float = 0.2
    recall: bool = False

    def __post_init__(self) -> None:
        _int("steps", self.steps, 5, 1000)
        _int("samples", self.samples, 100, 1_000_000)
        _float("val_fraction", self.val_fraction, 0.05, 0.5)
        _bool("recall", self.recall)
        _floats_as_float(self)

    def shape(self) -> Shape:
        return Shape(self.steps, 2, 0, 1, (self.steps, 2), (1,), self.samples, 2 * self.steps + 1)  # value, mark


@dataclass(frozen=True)
class TextData:
    """A language model on the IMDB reviews: predict the next word or character (see `rnnviz.data.lm`).

    Attributes:
        level: "word" (next word) or "char" (next character).
        vocab_size: word level: the most frequent words kept (rarer ones become "<unk>"); the character
            level has a fixed alphabet and ignores it.
        seq_len: tokens per training window (the model predicts each window's next tokens).
        train_size: training windows, read from the training reviews in order.
        val_size: validation windows, read from the test reviews.
    """

    name: ClassVar[str] = "imdb_lm"
    task: ClassVar[str] = "lm"
    level: str = "word"
    vocab_size: int = 5000
    seq_len: int = 32
    train_size: int = 2000
    val_size: int = 200

    def __post_init__(self) -> None:
        _choice("level", self.level, ("word", "char"))
        _int("vocab_size", self.vocab_size, 100, 88_000)
        _int("seq_len", self.seq_len, 4, 1000)
        _int("train_size", self.train_size, 100, 100_000)
        _int("val_size", self.val_size, 10, 10_000)
        _floats_as_float(self)

    def shape(self) -> Shape:
        ids = self.vocab_size if self.level == "word" else CHAR_VOCAB
        return Shape(self.seq_len, 0, ids, ids, (self.seq_len,), (self.seq_len,), self.train_size + self.val_size,
                     2 * self.seq_len)


@dataclass(frozen=True)
class TextFileData:
    """A language model on any text, case and punctuation kept: a user's text file stored in
    `$RNNVIZ_HOME/datasets/` (see `rnnviz.data.userdata`), or the raw IMDB reviews (Stanford's `aclImdb`).

    The file is named by its content hash, so the run id stays the same for the same text.

    Attributes:
        file: the first 16 hex digits of the text's sha256; "" reads the raw IMDB reviews (`aclImdb`).
        level: "word" (next word or punctuation mark) or "char" (next character).
        vocab_size: word level: the ids kept (3 special ids, then the most frequent words of the training text).
        chars: character level: the most frequent characters of the training text kept (others are "<unk>").
        seq_len: tokens per training window.
        train_size: training windows, read from the start of the training text.
        val_size: validation windows, read from the validation text (the test reviews, else the held-out share).
        val_share: the share of the text (its end; for the reviews, of the shuffled reviews) held out for
            validation when there is no test split.
    """

    name: ClassVar[str] = "text"
    task: ClassVar[str] = "lm"
    file: str = ""
    level: str = "char"
    vocab_size: int = 5000
    chars: int = 96
    seq_len: int = 100
    train_size: int = 2000
    val_size: int = 200
    val_share: float = 0.1

    def __post_init__(self) -> None:
        _file_hash(self.file)
        _choice("level", self.level, ("char", "word"))
        _int("vocab_size", self.vocab_size, 100, 88_000)
        _int("chars", self.chars, 2, 1000)
        _int("seq_len", self.seq_len, 4, 1000)
        _int("train_size", self.train_size, 10, 100_000)
        _int("val_size", self.val_size, 10, 10_000)
        _float("val_share", self.val_share, 0.02, 0.5)
        _floats_as_float(self)

    @property
    def ids(self) -> int:
        """The vocabulary's size: the model's input ids and output width."""
        return self.vocab_size if self.level == "word" else 3 + self.chars

    def shape(self) -> Shape:
        return Shape(self.seq_len, 0, self.ids, self.ids, (self.seq_len,), (self.seq_len,),
                     self.train_size + self.val_size, 2 * self.seq_len)


COLUMN = r"[^+\x00-\x1f\x7f]*"  # a column name: no control character, no "+" (it joins several)
COLUMNS = r"([^+\x00-\x1f\x7f]+(\+[^+\x00-\x1f\x7f]+)*)?"
MAX_COLUMN_CHARS = 200
CSV_ROWS_GUESS = 20_000
"""The rows `CsvData.shape()` assumes for the memory guard (the file is not read there); the two real series in
the docs have 2,820 and 3,650."""


@dataclass(frozen=True)
class CsvData:
    """A time series from a CSV file stored in `$RNNVIZ_HOME/datasets/` (see `rnnviz.data.userdata`), forecast from
    windows of its past like the cosine series.

    The file is named by its content hash, so the run id stays the same for the same file and columns.

    Attributes:
        file: the first 16 hex digits of the file's sha256 ("" until a file is chosen).
        target: the column to forecast ("": the first numeric column).
        inputs: extra input columns read beside the target, joined with "+" ("": the target alone).
        time: a column of dates or times to sort by ("": the file's row order); gaps and duplicates are reported.
        fill: "none" refuses missing values (with their count and first row); "interpolate" fills them.
        window: input steps the network reads.
        horizon: future values predicted from each window.
        period: the seasonal-naive baseline's period in rows (0: estimated from the autocorrelation).
        val_fraction: share of the series (its end, by time) kept for validation.
    """

    name: ClassVar[str] = "csv"
    task: ClassVar[str] = "regression"
    file: str = ""
    target: str = ""
    inputs: str = ""
    time: str = ""
    fill: str = "none"
    window: int = 24
    horizon: int = 1
    period: int = 0
    val_fraction: float = 0.2

    def __post_init__(self) -> None:
        _file_hash(self.file)
        names = "a column name without '+' or control characters, at most 200 characters"
        _text("target", self.target, COLUMN, MAX_COLUMN_CHARS, ("", "y" * MAX_COLUMN_CHARS), names)
        _text("inputs", self.inputs, COLUMNS, MAX_COLUMN_CHARS, ("", "x" * MAX_COLUMN_CHARS),
              "column names joined with '+', at most 200 characters")
        _text("time", self.time, COLUMN, MAX_COLUMN_CHARS, ("", "t" * MAX_COLUMN_CHARS), names)
        _choice("fill", self.fill, ("none", "interpolate"))
        _int("window", self.window, 2, 1000)
        _int("horizon", self.horizon, 1, 100)
        _int("period", self.period, 0, 100_000)
        _float("val_fraction", self.val_fraction, 0.05, 0.5)
        _floats_as_float(self)

    @property
    def input_columns(self) -> tuple[str, ...]:
        """The extra input columns, in order."""
        return tuple(self.inputs.split("+")) if self.inputs else ()

    def shape(self) -> Shape:
        features = 1 + len(self.input_columns)
        return Shape(self.window, features, 0, self.horizon, (self.window, features), (self.horizon,),
                     CSV_ROWS_GUESS, self.window * features + self.horizon)


DATA_KINDS: dict[str, type] = {k.name: k for k in (CosineData, ImdbData, CifarData, MemoryData, TextData, CsvData,
                                                    TextFileData)}
