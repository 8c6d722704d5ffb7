"""Which samples the Inspect pages show, and what each step of one is called: the split shown, per-class
picks, step labels and time-axis titles, the visible (unmasked) steps, CIFAR inputs as pixels, the surest right
and wrong predictions, a grid's picks, and typed reviews encoded as the dataset was. No Streamlit here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.data import imdb
from rnnviz.config import ImdbData, RunConfig, tasks
from rnnviz.data.loaders import Dataset


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


CONV_ROWS = 32
"""Image rows of a CIFAR input (the conv front end's 3×3 'same' convolution and 2×2 max pool make 16 steps)."""


def conv_step_rows(t: int, so_far: bool = False) -> tuple[int, int]:
    """The image rows (1-based, inclusive) behind step `t` (0-based) of the conv front end.

    The 3×3 convolution ('same' padding) gives conv row r the image rows r − 1 to r + 1, and the 2×2 max pool
    gives feature row t the conv rows 2t and 2t + 1: so step t sees image rows 2t to 2t + 3 (1-based; 1 to 3
    for the first step, 30 to 32 for the last). Neighbouring steps overlap by two rows.

    Args:
        t: the step, 0-based.
        so_far: the rows read up to and including step t (from row 1), as a forward RNN has seen them.
    """
    first, last = max(1, 2 * t), min(CONV_ROWS, 2 * t + 3)
    return (1 if so_far else first), last


def step_labels(cfg: RunConfig, x_one: np.ndarray, vocab: imdb.Vocabulary | None = None,
                so_far: bool = False) -> list[str]:
    """What the RNN reads at each step of one sample: words, image rows or columns, or step numbers.

    Args:
        cfg: the run's config.
        x_one: one model input: `(maxlen,)` word ids, an image `(32, 32, 3)`, or a window `(window, 1)`.
        vocab: the IMDB vocabulary (ids are shown as numbers without it).
        so_far: for the conv front end, label each step by all the image rows read up to it ("rows 1–5"), as
            "had the image ended here" needs; otherwise by the rows that step itself sees ("rows 2–5").
    """
    if tasks.of(cfg.data).inputs == "ids":
        return vocab.decode(x_one) if vocab is not None else [str(int(i)) for i in x_one]
    if tasks.of(cfg.data).inputs == "image":
        if cfg.front_end == "conv":  # 16 steps, each seeing 4 image rows (`conv_step_rows`)
            return ["rows {}–{}".format(*conv_step_rows(t, so_far)) for t in range(len(x_one) // 2)]
        return [f"{'row' if cfg.data.by == 'rows' else 'column'} {t + 1}" for t in range(len(x_one))]
    return [str(t + 1) for t in range(len(x_one))]


def step_axis_title(cfg: RunConfig) -> str:
    """The time axis title for a run's data: what one step is."""
    if tasks.of(cfg.data).inputs == "ids":
        return "word read (time step)"
    if tasks.of(cfg.data).inputs == "image":
        if cfg.front_end == "conv":
            return "conv feature row read (time step; each sees 4 image rows through the 3×3 conv and 2×2 pool)"
        return f"image {'row' if cfg.data.by == 'rows' else 'column'} read (time step)"
    return "input step (1 = oldest value of the window)"


def reading(cfg: RunConfig) -> dict[str, str]:
    """Words for captions about the order a run reads its input in, so no caption assumes rows.

    Returns:
        `step` ("word", "row", "column", "step"), `steps` (plural), `later` (e.g. "later columns") and `rest`
        (what a bidirectional layer's backward half reads first, e.g. "reads from the bottom row up").
    """
    data, inputs = cfg.data, tasks.of(cfg.data).inputs
    if inputs == "ids":
        step, rest = "word", "reads from the review's last token back"
    elif inputs == "image" and cfg.front_end != "conv" and data.by == "columns":
        step, rest = "column", "reads from the right-most column leftwards"
    elif inputs == "image":  # rows, also behind the conv front end (which always reads rows)
        step, rest = "row", "reads from the bottom row up"
    else:
        step, rest = "step", "reads from the last step back"
    return {"step": step, "steps": step + "s", "later": f"later {step}s", "rest": rest}


def readout_caption(cfg: RunConfig) -> str:
    """The caption under "had the input ended after each step": how each point is computed, in the run's own
    reading order (rows or columns; the conv front end's overlapping rows) and padding (front or end, masked
    or not)."""
    r = reading(cfg)
    if tasks.of(cfg.data).inputs == "ids":
        text = "The model's own output for the text cut after each word" + (
            " (the network re-run on the words so far: a bidirectional layer's backward half would otherwise "
            "have read the rest)." if cfg.bidirectional else ": the head applied to the state after that word.")
        if cfg.data.mask:
            return text
        if cfg.data.padding == "pre":
            return text + (" This run pads at the front without a mask, so a shorter review would read more "
                           "padding first: each point is close to, not exactly, that review's output.")
        return text + (" This run pads at the end without a mask, so the cut review would be followed by padding "
                       "steps that still change the state: each point is the output right after that word, not "
                       "the model's output on the cut (padded) review.")
    one, many = r["step"], r["steps"]
    text = "Each point is what the model would output had it read only the steps up to there: " + (
        f"the head applied to the recurrent state after that step ({r['later']} cannot change it). "
        if not cfg.bidirectional else
        f"the whole network re-run on those {many} only, because the backward half of a bidirectional layer "
        f"{r['rest']}: its state at {one} t has already seen the {many} after t, so reading it off there would "
        "be cheating. ")
    if tasks.of(cfg.data).inputs == "image" and cfg.front_end == "conv":
        text += ("With the conv front end each step already sees 4 image rows (step t, from 1, sees rows 2t − 2 "
                 "to 2t + 1): the labels name every row read so far. ")
    return text + "The last point is the model's own prediction."


def persistence_note(data) -> str:
    """When the "repeat the last value" forecast of a cosine series is exact: a whole period ahead on a noise-free
    series with a whole-number period; otherwise it only dips there (to about the noise, √2·noise, with noise)."""
    if not hasattr(data, "noise"):  # a user's series: no period known to be exact
        return "on a series with a season it dips one season ahead, as the seasonal-naive forecast does"
    period, noise = float(data.period), float(data.noise)
    if noise == 0 and period.is_integer():
        return f"on this noise-free series it drops to 0 every whole period, {period:g} steps, ahead"
    if noise == 0:
        return f"it dips near every period ({period:g} steps) but not to 0: the period is not a whole number of steps"
    return f"it dips near every period ({period:g} steps), to about √2·noise = {2 ** 0.5 * noise:.3g}, not to 0"


def word_effect_caption(cfg: RunConfig, largest: float) -> str:
    """The caption under the word colours of "Type your own review": what a colour measures, and how exactly for
    this run's padding (the same conditions as `readout_caption`).

    Args:
        cfg: the run's config (IMDB).
        largest: the largest change shown.
    """
    what = ("A word's colour is the change in P(positive) on reading it: the model's output for the text cut after "
            "the word minus its output cut just before it (the curve above, step by step; no word is deleted). ")
    if not cfg.data.mask and cfg.data.padding == "post":
        what = ("A word's colour is the change in P(positive) right after reading it (the curve above, step by "
                "step). This run pads at the end without a mask, so these are not the outputs for the review cut "
                "there: the padding after a cut review would still change the state. ")
    elif not cfg.data.mask:
        what += "(This run pads at the front without a mask: the outputs are close to, not exactly, the cut review's.) "
    return (what + "**Red: the word raised P(positive); blue: it lowered it**; white: no change. The deepest "
            f"colours are the largest change, {largest:.3f}; hover a word for its number.")


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

    tokens: list[imdb.Token]
    ids: np.ndarray
    cut: int


def encode_review(vocab: imdb.Vocabulary, text: str, opts: ImdbData) -> EncodedReview:
    """Encodes typed text exactly as the run's reviews were: `<start>`, ids, padding and cutting as in `opts`."""
    seq = vocab.encode(text)
    ids = imdb.pad([seq], opts.maxlen, opts.padding, opts.truncating)[0]
    return EncodedReview(vocab.tokens(text), ids, max(0, len(seq) - opts.maxlen))
