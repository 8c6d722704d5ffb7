"""Data for training runs: the cosine series and its windows, and the `Dataset` every model trains on."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from rnnviz.data import cifar
from rnnviz.data import imdb
from rnnviz.data import standard
from rnnviz.data import lm
from rnnviz.data import text
from rnnviz.data import timeseries
from rnnviz.config import CifarData, CosineData, CsvData, ImdbData, MemoryData, TextData, TextFileData, tasks


@dataclass
class Dataset:
    """Arrays ready for `model.fit`, and what kind of task they pose.

    Attributes:
        x_train, y_train, x_val, y_val: inputs `(n, time, features)` (or `(n, time)` token ids) and targets.
        task: "regression", "binary" or "multiclass".
        n_outputs: width of the model's output layer.
        x_test, y_test: a held-out test set, when the data set has one.
        extra: data-specific things the pages need (e.g. the cosine series and where validation starts).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    task: str
    n_outputs: int
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def cosine_series(opts: CosineData, seed: int = 0) -> np.ndarray:
    """The series `cos(2 pi t / period) + noise` for t = 0..length-1, float32 `(length,)`."""
    t = np.arange(opts.length)
    series = np.cos(2 * np.pi * t / opts.period)
    if opts.noise > 0:
        series = series + np.random.default_rng(seed).normal(0.0, opts.noise, opts.length)
    return series.astype("float32")


def windows(series: np.ndarray, window: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Cuts a series into inputs and targets.

    Args:
        series: `(length,)` values.
        window: input steps per sample.
        horizon: values to predict after each window.

    Returns:
        x `(n, window, 1)` and y `(n, horizon)`, with n = length - window - horizon + 1.
    """
    both = sliding_window_view(series, window + horizon)  # (n, window + horizon)
    return both[:, :window, None].copy(), both[:, window:].copy()


def val_start(opts: CosineData) -> int:
    """Index of the first series point whose value is a validation target."""
    return opts.length - int(opts.length * opts.val_fraction)


def load_cosine(opts: CosineData, seed: int = 0) -> Dataset:
    """Windows of the cosine series, split chronologically: validation targets all lie after training.

    Validation windows may read the last points of the training span as input, never as a target.
    """
    series = cosine_series(opts, seed)
    split = val_start(opts)
    x_train, y_train = windows(series[:split], opts.window, opts.horizon)
    x_val, y_val = windows(series[split - opts.window:], opts.window, opts.horizon)
    return Dataset(x_train, y_train, x_val, y_val, task="regression", n_outputs=opts.horizon,
                   extra={"series": series, "val_start": split})


def adding_problem(opts: MemoryData, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem's sequences, all `opts.samples` of them, generated from `seed`.

    Returns:
        x float32 `(samples, steps, 2)`: channel 0 the values ~ U(0, 1), channel 1 the markers (exactly two 1s
        per sequence, one in each half: the first at a step < steps // 2, the second at or after it);
        y float32 `(samples, 1)`: the sum of the two marked values (with `opts.recall`, the first one).
    """
    rng = np.random.default_rng(seed)
    n, t, half = opts.samples, opts.steps, opts.steps // 2
    values = rng.random((n, t), dtype=np.float32)  # (samples, steps)
    rows = np.arange(n)
    first, second = rng.integers(0, half, n), rng.integers(half, t, n)  # (samples,) each
    markers = np.zeros((n, t), np.float32)
    markers[rows, first] = markers[rows, second] = 1.0
    y = values[rows, first] if opts.recall else values[rows, first] + values[rows, second]
    return np.stack([values, markers], axis=-1), y[:, None].astype(np.float32)


VALUE_FEATURE = 0
"""The adding problem's input feature that holds the values (feature 1 holds the markers)."""


def marked_steps(x: np.ndarray) -> np.ndarray:
    """The marked steps of adding-problem inputs `(n, steps, 2)`: int `(n, 2)`, 0-based, in order."""
    return np.nonzero(x[..., 1 - VALUE_FEATURE] > 0.5)[1].reshape(len(x), 2)  # row-major: each row's two steps, in order


def baseline_mse(y_train: np.ndarray, y_val: np.ndarray) -> float:
    """The validation MSE of answering the training targets' mean every time (a model that learned nothing)."""
    return float(np.mean((np.asarray(y_val, "float64") - np.mean(y_train, dtype="float64")) ** 2))


def load_memory(opts: MemoryData, seed: int = 0) -> Dataset:
    """The adding problem split into training and validation sequences (the last `val_fraction` of them).

    `extra["baseline_mse"]` is the constant-answer MSE on the validation split (about 1/6 for the sum).
    """
    x, y = adding_problem(opts, seed)
    n_val = max(1, int(round(opts.samples * opts.val_fraction)))
    x_tr, y_tr, x_val, y_val = x[:-n_val], y[:-n_val], x[-n_val:], y[-n_val:]
    return Dataset(x_tr, y_tr, x_val, y_val, task="regression", n_outputs=1,
                   extra={"baseline_mse": baseline_mse(y_tr, y_val)})


def _split(x: np.ndarray, y: np.ndarray, train_size: int, val_split: float):
    """First `train_size` samples (0: all), the last `val_split` of them for validation (Keras's rule)."""
    if train_size:
        x, y = x[:train_size], y[:train_size]
    n_val = max(1, int(round(len(x) * val_split)))
    return x[:-n_val], y[:-n_val], x[-n_val:], y[-n_val:]


def load_imdb(opts: ImdbData, seed: int = 0, data_dir: str | None = None,
              progress: Callable[[str], None] | None = None) -> Dataset:
    """IMDB reviews as Keras's `imdb.load_data` gives them (start 1, unknown 2, ranks + 3), padded.

    Raises:
        rnnviz.data.standard.DataUnavailable: no files and no download; DataError: malformed files.
    """
    (x_train, y_train), (x_test, y_test) = imdb.load_imdb(opts.vocab_size, data_dir, progress)
    pad = functools.partial(imdb.pad, maxlen=opts.maxlen, padding=opts.padding, truncating=opts.truncating)
    n = opts.train_size or len(x_train)
    x_tr, y_tr, x_val, y_val = _split(pad(x_train[:n]), np.asarray(y_train[:n], "float32"), 0, opts.val_split)
    return Dataset(x_tr, y_tr, x_val, y_val, task="binary", n_outputs=1, x_test=pad(x_test),
                   y_test=np.asarray(y_test, "float32"), extra={"classes": ["negative", "positive"]})


def load_cifar(opts: CifarData, seed: int = 0, data_dir: str | None = None,
               progress: Callable[[str], None] | None = None) -> Dataset:
    """CIFAR-10 images `(n, 32, 32, 3)`; the model reads them as rows or columns (see models.py).

    Raises:
        rnnviz.data.standard.DataUnavailable: no files and no download; DataError: malformed files.
    """
    (x_train, y_train), (x_test, y_test), names = cifar.load_cifar10(data_dir, progress)
    scale = np.float32(1 / 255 if opts.normalise else 1)
    x_tr, y_tr, x_val, y_val = _split(x_train, np.asarray(y_train, "int32"), opts.train_size, opts.val_split)
    return Dataset(x_tr * scale, y_tr, x_val * scale, y_val, task="multiclass", n_outputs=10,
                   x_test=x_test * scale, y_test=np.asarray(y_test, "int32"), extra={"classes": list(names)})


def load_text(opts: TextData, seed: int = 0, data_dir: str | None = None,
              progress: Callable[[str], None] | None = None) -> Dataset:
    """The IMDB language model's windows (`rnnviz.data.lm`): int32 `(n, seq_len)` inputs and next-token targets.

    `extra` holds `tokens` (the `lm.Tokens` vocabulary), `level`, `baseline_nll` (nats per token of the
    count-based n-gram on the same validation targets, fitted on the training stream) and `baseline`
    (its name, e.g. "bigram").

    Raises:
        rnnviz.data.standard.DataUnavailable: no files and no download; DataError: malformed files; ValueError:
        the reviews hold too little text for `train_size` / `val_size`.
    """
    n_train, n_val, L = opts.train_size, opts.val_size, opts.seq_len
    train, val, tokens = lm.streams(opts.level, opts.vocab_size, (n_train * L + 1, n_val * L + 1), data_dir,
                                    progress)
    return _lm_dataset(opts, train, val, tokens)


def load_textfile(opts: TextFileData, seed: int = 0, data_dir: str | None = None,
                  progress: Callable[[str], None] | None = None) -> Dataset:
    """A language model on a user's text or the raw IMDB reviews (`rnnviz.data.text`), as `load_text`'s windows
    and `extra`.

    Raises:
        rnnviz.data.userdata.DatasetMissing: the file is not stored here; DataUnavailable: no reviews found;
        ValueError: too little text for `train_size` / `val_size`.
    """
    return _lm_dataset(opts, *text.streams(opts, data_dir, progress))


def _lm_dataset(opts: Any, train: np.ndarray, val: np.ndarray, tokens: lm.Tokens) -> Dataset:
    """A language model's windows from its two streams, and the n-gram's loss on the validation targets."""
    n_train, n_val, L = opts.train_size, opts.val_size, opts.seq_len
    x_tr, y_tr = lm.windows(train, L, n_train)
    x_val, y_val = lm.windows(val, L, n_val)
    order = lm.WORD_ORDER if opts.level == "word" else lm.CHAR_ORDER
    nll = lm.ngram_nll(train[:n_train * L + 1], val[:n_val * L + 1], order, tokens.size)
    name = "bigram" if order == 2 else f"{order}-gram"
    return Dataset(x_tr, y_tr, x_val, y_val, task="lm", n_outputs=tokens.size,
                   extra={"tokens": tokens, "level": opts.level, "baseline_nll": nll, "baseline": name})


def load_csv(opts: CsvData, seed: int = 0, data_dir: str | None = None,
             progress: Callable[[str], None] | None = None) -> Dataset:
    """A user's CSV series (`rnnviz.data.timeseries`): scaled windows split by time, with the persistence and
    seasonal-naive baselines in `extra`.

    Raises:
        rnnviz.data.userdata.DatasetMissing: the file is not stored here; rnnviz.data.tables.CsvError: a bad file
        or column choice.
    """
    return Dataset(**timeseries.load(opts), task="regression", n_outputs=opts.horizon)


UPLOADED: dict[str, Callable[..., Any]] = {"csv": timeseries.resolve, "text": text.resolve}
"""Data kind -> how a config is checked against its user file (`(opts, blob, where) -> opts`, the defaults it
leaves to the file named), for the kinds with an `upload`."""


def check_upload(opts: Any, blob: bytes | None = None, where: str | None = None) -> Any:
    """Reads a user's file for a config of an upload kind (`blob`, else the file stored under the config's hash),
    so a bad file or column choice is refused before anything is stored or trained. Other kinds pass unchanged.

    Returns:
        The options with what they leave to the file named (a CSV's target column).

    Raises:
        ValueError: the file or a chosen column cannot be used, or the stored file is missing (one line each).
    """
    if not tasks.of(opts).upload:
        return opts
    try:
        return UPLOADED[opts.name](opts, blob, where)
    except standard.DataUnavailable as e:
        raise ValueError(str(e)) from e


def empty(opts: Any) -> Dataset:
    """A `Dataset` with no samples but the right shapes, task and width: enough to build a model."""
    shape = opts.shape()
    x = np.zeros((0, *shape.inputs), "int32" if shape.ids else "float32")
    y = np.zeros((0, *shape.targets))
    return Dataset(x, y, x, y, task=opts.task, n_outputs=shape.outputs)


def epoch_orders(n: int, epochs: int, seed: int) -> np.ndarray:
    """The order training reads its `n` samples in, each epoch: int64 `(epochs, n)`.

    A pure function of `(n, epochs, seed)`, not of the model, so runs that differ only in their cell (the
    Compare page's trio) read the same samples in the same order.
    """
    rng = np.random.default_rng(seed)
    return np.stack([rng.permutation(n) for _ in range(epochs)]) if epochs else np.zeros((0, n), "int64")


LOADERS: dict[str, Callable[..., Dataset]] = {
    "cosine": lambda opts, seed, data_dir=None, progress=None: load_cosine(opts, seed),
    "imdb": load_imdb,
    "cifar10": load_cifar,
    "memory": lambda opts, seed, data_dir=None, progress=None: load_memory(opts, seed),
    "imdb_lm": load_text,
    "csv": load_csv,
    "text": load_textfile,
}
VOCABULARIES: dict[str, Callable[..., lm.Tokens]] = {"imdb_lm": lm.tokens_for, "text": text.tokens_for}
"""Language-model kind -> its vocabulary from its options (`(opts, data_dir) -> lm.Tokens`), as training makes it."""


def tokens_for(opts: Any, data_dir: str | None = None) -> lm.Tokens:
    """A language model's vocabulary (the Write page's), from its data options.

    Raises:
        rnnviz.data.standard.DataUnavailable, DataError, ValueError: the files it is made from are missing or bad.
    """
    return VOCABULARIES[opts.name](opts, data_dir)


GENERATED = tuple(t.name for t in tasks.TASKS.values() if t.generated)  # made from the seed: no files


def availability(data_dir: str | None = None) -> list[dict[str, str]]:
    """One row per data set: its name and whether its files are here (and where), without loading it."""
    rows = [{"data set": name, "status": "available (generated)"} for name in GENERATED]
    for name in tasks.FILE_SETS:  # (the IMDB language model reads the IMDB files)
        where = standard.locate(name, data_dir)
        rows.append({"data set": name, "status": f"available ({where})" if where else
                     f"not found: run `python -m rnnviz prefetch {name}` or set a data folder"})
    return rows


def load(opts: Any, seed: int = 0, data_dir: str | None = None,
         progress: Callable[[str], None] | None = None) -> Dataset:
    """The `Dataset` for a config's data options (`cfg.data`), whatever the data set.

    Args:
        opts: the data options.
        seed: seeds generated data (cosine noise, the adding problem's sequences).
        data_dir: a folder with the standard files (IMDB, CIFAR-10); see `rnnviz.data.standard`.
        progress: called with a line when files must be downloaded first.

    Raises:
        rnnviz.data.standard.DataUnavailable: no files and no download; DataError: malformed files.
    """
    return LOADERS[opts.name](opts, seed, data_dir=data_dir, progress=progress)
