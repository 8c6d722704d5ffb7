"""Which samples the Inspect pages show, and what each step of one is called: the split shown, per-class
picks, step labels and time-axis titles, the visible (unmasked) steps, CIFAR inputs as pixels, the surest right
and wrong predictions, a grid's picks, and typed reviews encoded as the dataset was. No Streamlit here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz import datasets
from rnnviz.config import ImdbData, RunConfig
from rnnviz.data import Dataset


def inspect_split(ds: Dataset) -> tuple[np.ndarray, np.ndarray, str]:
    """The samples the Inspect pages show: the test set when there is one, else the validation windows.

    Returns:
        `(x, y, name)`: inputs, targets and "test" or "validation".
    """
    if ds.x_test is not None:
        return ds.x_test, ds.y_test, "test"
    return ds.x_val, ds.y_val, "validation"


def class_indices(y: np.ndarray, cls: int | None) -> np.ndarray:
    """Indices of the samples of class `cls` (all samples when None)."""
    y = np.asarray(y).reshape(len(y), -1)[:, 0]
    return np.arange(len(y)) if cls is None else np.flatnonzero(y.astype(int) == cls)


def fit_indices(y: np.ndarray, n_classes: int, n: int = 80, seed: int = 0) -> np.ndarray:
    """A fixed set of samples to fit a PCA on and overlay: `n // n_classes` of each class, or `n` evenly
    spaced samples for regression (`n_classes` 0). Sorted int `(<= n,)`."""
    if not n_classes:
        return np.unique(np.linspace(0, len(y) - 1, min(n, len(y))).astype(int))
    rng = np.random.default_rng(seed)
    per = max(1, n // n_classes)
    picks = [rng.choice(idx, min(per, len(idx)), replace=False) for c in range(n_classes)
             if len(idx := class_indices(y, c))]
    return np.sort(np.concatenate(picks)) if picks else np.zeros(0, int)


def step_labels(cfg: RunConfig, x_one: np.ndarray, vocab: datasets.Vocabulary | None = None) -> list[str]:
    """What the RNN reads at each step of one sample: words, image rows or columns, or step numbers.

    Args:
        cfg: the run's config.
        x_one: one model input: `(maxlen,)` word ids, an image `(32, 32, 3)`, or a window `(window, 1)`.
        vocab: the IMDB vocabulary (ids are shown as numbers without it).
    """
    if cfg.data.name == "imdb":
        return vocab.decode(x_one) if vocab is not None else [str(int(i)) for i in x_one]
    if cfg.data.name == "cifar10":
        if cfg.front_end == "conv":  # 16 steps: each MaxPool row covers two image rows
            return [f"rows {2 * t + 1}–{2 * t + 2}" for t in range(len(x_one) // 2)]
        return [f"{'row' if cfg.data.by == 'rows' else 'column'} {t + 1}" for t in range(len(x_one))]
    return [str(t + 1) for t in range(len(x_one))]


def step_axis_title(cfg: RunConfig) -> str:
    """The time axis title for a run's data: what one step is."""
    if cfg.data.name == "imdb":
        return "word read (time step)"
    if cfg.data.name == "cifar10":
        if cfg.front_end == "conv":
            return "conv feature row read (time step; covers two image rows)"
        return f"image {'row' if cfg.data.by == 'rows' else 'column'} read (time step)"
    return "input step (1 = oldest value of the window)"


def visible_steps(mask: np.ndarray | None, time: int) -> np.ndarray:
    """The steps worth showing: all, or the unmasked ones (masked padding leaves the state unchanged)."""
    return np.arange(time) if mask is None else np.flatnonzero(np.asarray(mask, bool))


def to_image(x: np.ndarray) -> np.ndarray:
    """A CIFAR input (`[0, 1]` or `[0, 255]` floats) as uint8 `(32, 32, 3)` pixels."""
    x = np.asarray(x, np.float64)
    scale = 255.0 if x.max(initial=0.0) <= 1.0 + 1e-6 else 1.0
    return np.clip(np.rint(x * scale), 0, 255).astype(np.uint8)


def most_confident(probs: np.ndarray, y: np.ndarray, k: int = 3) -> dict[str, np.ndarray]:
    """The `k` right and the `k` wrong predictions the model was surest of.

    Args:
        probs: class probabilities `(n, classes)`.
        y: true classes `(n,)`.

    Returns:
        `{"right": indices, "wrong": indices}`, most confident first.
    """
    pred = probs.argmax(axis=1)
    conf = probs[np.arange(len(probs)), pred]
    y = np.asarray(y).astype(int).ravel()
    order = np.argsort(-conf, kind="stable")
    return {"right": order[pred[order] == y[order]][:k], "wrong": order[pred[order] != y[order]][:k]}


def grid_indices(y: np.ndarray, pred: np.ndarray, which: str = "all", cls: int | None = None, n: int = 24
                 ) -> np.ndarray:
    """The first `n` test samples to show in a grid: "all", "right" or "wrong" ones, of true class `cls`."""
    y = np.asarray(y).astype(int).ravel()
    keep = np.ones(len(y), bool) if cls is None else y == cls
    if which != "all":
        keep &= (pred == y) if which == "right" else (pred != y)
    return np.flatnonzero(keep)[:n]


@dataclass(frozen=True)
class EncodedReview:
    """Typed text as the model reads it.

    Attributes:
        tokens: each typed word with its id (None: not in the word index, dropped as the dataset does).
        ids: the padded model input `(maxlen,)`, int32.
        cut: words (with `<start>`) dropped because the review is longer than `maxlen`.
    """

    tokens: list[datasets.Token]
    ids: np.ndarray
    cut: int


def encode_review(vocab: datasets.Vocabulary, text: str, opts: ImdbData) -> EncodedReview:
    """Encodes typed text exactly as the run's reviews were: `<start>`, ids, padding and cutting as in `opts`."""
    seq = vocab.encode(text)
    ids = datasets.pad([seq], opts.maxlen, opts.padding, opts.truncating)[0]
    return EncodedReview(vocab.tokens(text), ids, max(0, len(seq) - opts.maxlen))
