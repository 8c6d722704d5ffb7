"""The task registry: one row per data kind (what it is called, what it trains for, what it reads, which
settings and pages suit it), and one row per objective (its loss, metrics and how its loss is drawn).

Pages, plots and the library ask a row (`of(cfg.data)`, `objective(ds.task)`) instead of testing names. A data
kind's options are its dataclass in `rnnviz.config.kinds` (with its shape methods); its loader is the row of
`rnnviz.data.loaders.LOADERS`.

Plain data only: this module imports nothing of `rnnviz` but the kinds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rnnviz.config.kinds import DATA_KINDS


@dataclass(frozen=True)
class Objective:
    """What a model trains for, whatever the data.

    Attributes:
        name: "regression", "binary", "multiclass" or "lm" (a data kind's `task`).
        activation, loss, metrics: the output layer's activation and Keras's loss and metrics.
        loss_name: the loss as people read it.
        log_loss: draw the loss on a log axis (an error that falls by decades).
        per_step: predicts at every step (the recurrent layers return sequences).
        classes: predicts classes (accuracy, a confusion matrix, a dense head and pooling make sense).
    """

    name: str
    activation: str | None
    loss: str
    metrics: tuple[str, ...]
    loss_name: str
    log_loss: bool = False
    per_step: bool = False
    classes: bool = False


OBJECTIVES: dict[str, Objective] = {o.name: o for o in (
    Objective("regression", None, "mse", (), "mean squared error", log_loss=True),
    Objective("binary", "sigmoid", "binary_crossentropy", ("accuracy",), "binary cross-entropy", classes=True),
    Objective("multiclass", "softmax", "sparse_categorical_crossentropy", ("accuracy",), "cross-entropy",
              classes=True),
    Objective("lm", "softmax", "sparse_categorical_crossentropy", (), "cross-entropy, nats per token",
              per_step=True),  # loss in nats per token
)}


@dataclass(frozen=True)
class Task:
    """One data kind.

    Attributes:
        name: the data kind (`RunConfig.data.name`), e.g. "cosine".
        label: what people read, e.g. "Cosine".
        quick: the preset the Train page switches to when this data is picked.
        files: the standard file set it reads ("imdb", "cifar10"), None when generated from the seed.
        inputs: "values" (numbers per step), "ids" (token ids: an embedding first) or "image" (read row by row).
        pages: the Inspect pages that open its runs ("states", "gates", "predictions", "review", "write").
        sweep_axis: the data option a sweep varies first beside the cell (None: none).
        sample: how one sample is shown: "window" (a line), "text", "image", "marks" (values with two marked
            steps).
        results: how a trained run's results are shown: "forecast" (one-step and free-running), "classes"
            (accuracy, confusion), "adding" (MSE beside the constant answer), "lm" (perplexity beside the n-gram).
        vocabulary: the word index its token ids come from ("imdb"), None when it has none of its own.
        baseline: "constant" (the constant answer's MSE), "ngram" (a count-based n-gram), "naive" (persistence
            and seasonal-naive forecasts), or None.
        upload: the kind of file a user uploads or names for it ("csv", "text"), kept in `$RNNVIZ_HOME/datasets/`
            (`rnnviz.data.userdata`); None when it reads no user file. A kind with both `files` and `upload`
            reads its standard files when no user file is chosen (`text`: the raw IMDB reviews).
        source_of: the kind whose data-picker entry this kind is a source of (`imdb_lm`: a source of `text`, the
            one language-model kind people pick); None: its own entry. Its runs, presets and links keep its name.
        source: how the source picker names it (None: `label`).
    """

    name: str
    label: str
    quick: str
    files: str | None
    inputs: str
    pages: tuple[str, ...]
    sample: str
    results: str
    vocabulary: str | None = None
    sweep_axis: str | None = None
    baseline: str | None = None
    upload: str | None = None
    source_of: str | None = None
    source: str | None = None

    @property
    def kind(self) -> type:
        """Its options' dataclass (`rnnviz.config.kinds`)."""
        return DATA_KINDS[self.name]

    @property
    def objective(self) -> Objective:
        return OBJECTIVES[self.kind.task]

    @property
    def generated(self) -> bool:
        """Made from the seed: always available, no files."""
        return self.files is None and self.upload is None


INSPECT = ("states", "gates", "predictions")
TASKS: dict[str, Task] = {t.name: t for t in (
    Task("cosine", "Cosine", "cosine-lstm", None, "values", INSPECT, "window", "forecast"),
    Task("imdb", "IMDB reviews", "imdb-quick", "imdb", "ids", INSPECT + ("review",), "text", "classes",
         vocabulary="imdb"),
    Task("cifar10", "CIFAR-10", "cifar-quick", "cifar10", "image", INSPECT, "image", "classes"),
    Task("memory", "Adding problem", "memory-lstm", None, "values", INSPECT, "marks", "adding", sweep_axis="steps",
         baseline="constant"),
    Task("imdb_lm", "IMDB language model", "imdb-char-lm", "imdb", "ids", ("write",), "text", "lm",
         baseline="ngram", source_of="text", source="Keras's IMDB word ids (lowercase, no punctuation)"),
    Task("csv", "CSV time series", "csv-lstm", None, "values", INSPECT, "window", "forecast", baseline="naive",
         upload="csv"),
    Task("text", "Text language model", "reviews-char-lm", "aclImdb", "ids", ("write",), "text", "lm",
         baseline="ngram", upload="text", source="Raw text: the IMDB reviews or your own .txt files"),
)}
"""Data kind -> its row, in the order the data picker lists them."""

PICKED = tuple(name for name, t in TASKS.items() if t.source_of is None)
"""The data picker's entries: every kind that is not a source of another."""


def picked(name: str) -> str:
    """The data-picker entry a kind is shown under: itself, or the kind it is a source of."""
    return of(name).source_of or name


def sources(name: str) -> tuple[str, ...]:
    """A picker entry's sources, itself first (`("text", "imdb_lm")`); one entry when it has no other."""
    return (name, *(k for k, t in TASKS.items() if t.source_of == name))

FILE_SETS = tuple(dict.fromkeys(t.files for t in TASKS.values() if t.files))
"""The standard file sets the data kinds read (what `python -m rnnviz prefetch` fetches)."""


def of(data: Any) -> Task:
    """The row of a data kind: its options (`cfg.data`) or its name.

    Raises:
        ValueError: an unknown kind, e.g. "`data` must be one of ['cosine', ...]. Received: data='mnist'".
    """
    name = data if isinstance(data, str) else getattr(data, "name", data)
    if name not in TASKS:
        raise ValueError(f"`data` must be one of {list(TASKS)}. Received: data={name!r}")
    return TASKS[name]


def objective(task: str) -> Objective:
    """The row of an objective ("regression", "binary", "multiclass", "lm")."""
    if task not in OBJECTIVES:
        raise ValueError(f"`task` must be one of {list(OBJECTIVES)}. Received: task={task!r}")
    return OBJECTIVES[task]


def with_inputs(inputs: str) -> tuple[str, ...]:
    """The data kinds whose inputs are of this kind ("values", "ids", "image"), in the registry's order."""
    return tuple(t.name for t in TASKS.values() if t.inputs == inputs)


def with_upload(upload: str) -> tuple[str, ...]:
    """The data kinds that read a user's file of this kind ("csv"), in the registry's order."""
    return tuple(t.name for t in TASKS.values() if t.upload == upload)


def with_pages(*pages: str) -> tuple[str, ...]:
    """The data kinds whose runs open on any of these Inspect pages, in the registry's order."""
    return tuple(t.name for t in TASKS.values() if set(pages) & set(t.pages))
