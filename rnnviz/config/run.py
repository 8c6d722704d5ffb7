"""RunConfig: everything that defines a training run, validated, and its stable id.

A run is identified by the hash of its config. The hash is computed from a canonical JSON form in which
fields still at their default value are left out, so that adding a new field with a default that keeps
the old behaviour leaves every stored run id valid. Defaults must therefore never change meaning.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field, fields
from typing import Any

from rnnviz.config import tasks, vocab
from rnnviz.config.checks import CUT, Bounds, ConfigError, limits, shorten  # noqa: F401  (part of this module's API)
from rnnviz.config.checks import check_bool as _bool
from rnnviz.config.checks import check_choice as _choice
from rnnviz.config.checks import check_float as _float
from rnnviz.config.checks import check_int as _int
from rnnviz.config.checks import cut_name as _name
from rnnviz.config.checks import fail as _fail
from rnnviz.config.kinds import (DATA_KINDS, CifarData, CosineData, ImdbData, MemoryData,  # noqa: F401
                                 TextData, _floats_as_float)

CELLS = vocab.CELLS  # kept here too: the names every config field check and the CLI use
OPTIMIZERS = ("adam", "rmsprop", "sgd", "adamw")
LR_DECAYS = ("none", "cosine")
ACTIVATIONS = ("tanh", "relu", "sigmoid")

FRONT_ENDS = ("none", "conv", "conv+rnn")
POOLINGS = ("last", "mean")


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines one training run; its `run_id` is the stable hash of these values.

    Attributes:
        data: the data set and its options (e.g. `CosineData()`).
        cell: recurrent cell, one of "simple_rnn", "lstm", "gru".
        bidirectional: wrap every recurrent layer in `keras.layers.Bidirectional`.
        layers: number of stacked recurrent layers (1-3).
        units: units per recurrent layer (per direction).
        activation: the cell's output activation (Keras default "tanh").
        dropout: dropout on the inputs of each recurrent layer.
        recurrent_dropout: dropout on the recurrent state (leaves the cuDNN fast path on a GPU).
        epochs, batch_size, learning_rate, optimizer: training settings.
        seed: seeds weights, dropout and data order (`keras.utils.set_random_seed`).
        embedding_dim: width of the word (or character) embedding (IMDB and the IMDB language model).
        head_units: a Dense(relu) layer of this width before the output (0: none).
        pooling: "last" reads the last layer's final state; "mean" applies the head to every step and
            averages over (unmasked) time.
        front_end: CIFAR only: "conv" puts Conv2D -> BatchNorm -> MaxPool in front of the RNN (its rows
            become the sequence); "conv+rnn" runs a conv branch beside the row-RNN and concatenates.
        conv_filters: filters of the Conv2D front end.
        lr_decay: "none" keeps `learning_rate` all through; "cosine" lowers it along a half cosine over all
            the run's batches, to 5% of it at the end (`keras.optimizers.schedules.CosineDecay`).
    """

    data: Any = field(default_factory=CosineData)
    cell: str = "lstm"
    bidirectional: bool = False
    layers: int = 1
    units: int = 32
    activation: str = "tanh"
    dropout: float = 0.0
    recurrent_dropout: float = 0.0
    epochs: int = 20
    batch_size: int = 32
    learning_rate: float = 0.003
    optimizer: str = "adam"
    seed: int = 0
    embedding_dim: int = 32
    head_units: int = 0
    pooling: str = "last"
    front_end: str = "none"
    conv_filters: int = 32
    lr_decay: str = "none"

    def __post_init__(self) -> None:
        if not isinstance(self.data, tuple(DATA_KINDS.values())):
            _fail("data", self.data, "data options such as CosineData()")
        _choice("cell", self.cell, CELLS)
        _bool("bidirectional", self.bidirectional)
        _int("layers", self.layers, 1, 3)
        _int("units", self.units, 1, 1024)
        _choice("activation", self.activation, ACTIVATIONS)
        _float("dropout", self.dropout, 0.0, 1.0, hi_open=True)
        _float("recurrent_dropout", self.recurrent_dropout, 0.0, 1.0, hi_open=True)
        _int("epochs", self.epochs, 1, 1000)
        _int("batch_size", self.batch_size, 1, 4096)
        _float("learning_rate", self.learning_rate, 0.0, 1.0, lo_open=True)
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _int("seed", self.seed, 0, 2**31 - 1)
        _int("embedding_dim", self.embedding_dim, 1, 1024)
        _int("head_units", self.head_units, 0, 4096)
        _choice("pooling", self.pooling, POOLINGS)
        _choice("front_end", self.front_end, FRONT_ENDS)
        _int("conv_filters", self.conv_filters, 1, 512)
        _choice("lr_decay", self.lr_decay, LR_DECAYS)
        task = tasks.of(self.data)
        if self.front_end != "none" and task.inputs != "image":
            _fail("front_end", self.front_end, f"'none' unless data is images ({', '.join(tasks.with_inputs('image'))})")
        if task.objective.per_step and (self.pooling != "last" or self.bidirectional):
            bad = ("pooling", self.pooling, "'last' for the language model (it predicts at every step)") if (
                self.pooling != "last") else ("bidirectional", True, "False for the language model (a backward "
                                                                   "layer would read the token to predict)")
            _fail(*bad)
        _floats_as_float(self)

    def to_dict(self) -> dict[str, Any]:
        """All fields as plain JSON values; `data` holds its `name` and options."""
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "data"}
        return {"data": {"name": self.data.name, **dataclasses.asdict(self.data)}, **d}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunConfig:
        """Builds a config from `to_dict` output (missing fields take their defaults).

        Raises:
            ValueError: naming the unknown or invalid field.
        """
        if not isinstance(d, dict):
            _fail("config", d, "a JSON object")
        d = dict(d)
        data = d.pop("data", {"name": "cosine"})
        if isinstance(data, str):
            data = {"name": data}
        if not isinstance(data, dict):
            _fail("data", data, "a JSON object with a `name`")
        data = dict(data)
        kind = DATA_KINDS.get(data.pop("name", "cosine"))
        if kind is None:
            _fail("data", data, "one of " + ", ".join(DATA_KINDS))
        return cls(data=_build(kind, data), **_known(cls, d))

    def replace(self, **changes: Any) -> RunConfig:
        """A copy with some fields changed; `data_<option>=` keys change data options."""
        data_changes = {k[5:]: v for k, v in changes.items() if k.startswith("data_")}
        changes = {k: v for k, v in changes.items() if not k.startswith("data_")}
        if data_changes:
            changes["data"] = _build(type(changes.get("data", self.data)),
                                     {**dataclasses.asdict(changes.get("data", self.data)), **data_changes})
        return dataclasses.replace(self, **changes)

    def to_query(self) -> dict[str, str]:
        """The config as flat URL query values: `data` plus every field and data option that differs from
        its default, e.g. `{"data": "imdb", "cell": "gru", "maxlen": "256"}` (see `from_query`)."""
        out = {"data": self.data.name}
        for obj in (self.data, self):
            for f in fields(obj):
                value = getattr(obj, f.name)
                if f.name != "data" and value != _default(f):
                    out[f.name] = json.dumps(value) if isinstance(value, bool) else str(value)
        return out

    @classmethod
    def from_query(cls, query: dict[str, str], ignore: tuple[str, ...] = ()) -> tuple[RunConfig, list[str]]:
        """A config from `to_query` values; what cannot be used is left at its default and noted.

        Args:
            query: URL query values (strings).
            ignore: keys that belong to the page, not to the config.

        Returns:
            The config and one note per ignored value (unknown key, unreadable or invalid value).
        """
        notes = []
        kind = DATA_KINDS.get(query.get("data", "cosine"))
        if kind is None:
            notes.append(f"data={shorten(query['data'])} (not one of {', '.join(DATA_KINDS)})")
            kind = CosineData
        types = {f.name: f.type for obj in (kind, cls) for f in fields(obj) if f.name != "data"}
        data_names = {f.name for f in fields(kind)}
        values: dict[str, Any] = {}
        for key, text in query.items():
            if key in ("data", *ignore):
                continue
            if key not in types:
                notes.append(f"{_name(key)}={shorten(text)} (not a setting of {kind.name} runs)")
                continue
            try:
                values[key] = _parse(types[key], text)
            except ValueError:
                words = _TYPE_WORDS.get(getattr(types[key], "__name__", types[key]), "valid")
                notes.append(f"{key}={shorten(text)} (not {words})")
        while True:
            try:
                data = kind(**{k: v for k, v in values.items() if k in data_names})
                return cls(data=data, **{k: v for k, v in values.items() if k not in data_names}), notes
            except ConfigError as e:
                if e.field not in values:  # a rule across fields names another one: start from the defaults
                    return cls(data=kind()), [*notes, str(e)]
                notes.append(f"{e.field}={shorten(query[e.field])} ({e.field} must be {e.rule})")
                values.pop(e.field)

    @property
    def run_id(self) -> str:
        """Stable 12-hex-digit id: sha256 of the canonical JSON of the non-default values."""
        text = json.dumps(_non_default(self), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def summary(self) -> str:
        """One human line, e.g. 'cosine · BiLSTM 2x32 · 20 epochs · seed 0'."""
        name = vocab.cell_label(self.cell, self.bidirectional)
        return (f"{self.data.name} · {name} {self.layers}x{self.units}"
                f" · {self.epochs} epochs · seed {self.seed}")


def _known(cls: type, d: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    for key in d:
        if key not in names:
            _fail(key, d[key], f"a known field of {cls.__name__} (one of {', '.join(sorted(names))})")
    return d


def _build(kind: type, d: dict[str, Any]) -> Any:
    """Builds a data-options dataclass; JSON floats like 50.0 for int fields are accepted."""
    d = _known(kind, d)
    ints = {f.name for f in fields(kind) if f.type in ("int", int)}
    d = {k: int(v) if k in ints and isinstance(v, float) and v.is_integer() else v for k, v in d.items()}
    return kind(**d)


def _default(f: dataclasses.Field) -> Any:
    return f.default if f.default_factory is dataclasses.MISSING else f.default_factory()


_TYPE_WORDS = {"int": "a whole number", "float": "a number", "bool": "true or false", "str": "valid"}


def _parse(kind: Any, text: str) -> Any:
    """A query string value as the field's type ("int", "float", "bool" or "str"). Raises ValueError."""
    kind = getattr(kind, "__name__", kind)
    if kind == "bool":
        if text.lower() not in ("true", "false", "1", "0"):
            raise ValueError(text)
        return text.lower() in ("true", "1")
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    return text


def _non_default(cfg: RunConfig) -> dict[str, Any]:
    def strip(obj: Any) -> dict[str, Any]:
        out = {}
        for f in fields(obj):
            value = getattr(obj, f.name)
            default = _default(f)
            if dataclasses.is_dataclass(value):
                out[f.name] = {"name": value.name, **strip(value)}
            elif value != default:
                out[f.name] = value
        return out

    return strip(cfg)
