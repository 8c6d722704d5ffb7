"""Exports and imports of runs: one zip per run (config, history CSV, metrics, model), checked on the way in.

An uploaded zip is untrusted and is read within bounds: the member list is checked before Python parses
it, every member's declared size before it is read, and every read stops one byte past its limit (headers
can lie); the archives inside it (`model.keras`, `snapshots.npz`) are checked the same way and re-packed
from those capped reads, so Keras and numpy only ever see checked bytes. JSON is refused when it nests
deeper than `MAX_JSON_DEPTH`. Nothing is unpickled; the model is loaded with `safe_mode=True`.

A run trained on a user's file (a CSV series) carries that file as `dataset.csv` when it is at most 20 MB; an
import stores it in `$RNNVIZ_HOME/datasets/` when its hash is the config's. A run imported without it opens,
and the pages that need the data say in one line that it is missing.

An import is then checked as fully as a stored run: the JSON types (`rnnviz.store.runfiles`), the run id against
the config, the model's input, output and weight shapes against a model built from the config, and every
snapshot's shapes against the model's weights. A run id that is stored here already is refused
(`RunExists`) unless the caller passes `replace=True`, after asking the user.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from rnnviz import models
from rnnviz.config import RunConfig, env, tasks
from rnnviz.data import files, userdata
from rnnviz.data import loaders as data
from rnnviz.store import RunStore, classroom
from rnnviz.store.runfiles import check_batches, check_parts
from rnnviz.store.runs import StoredRun, read_snapshots

MAX_IMPORT_BYTES = 200 * 1024 * 1024  # the upload itself (Streamlit's default upload limit too)
MAX_UNPACKED_BYTES = 512 << 20  # all members of the upload together, as declared and as read
MAX_TEXT_BYTES = 16 << 20  # one JSON or CSV member (a 1,000-epoch history is ~50 KB)
MAX_BINARY_BYTES = 256 << 20  # model.keras, snapshots.npz, and each file inside them
MAX_MEMBERS = 16  # an export holds 5 to 7
MAX_MODEL_MEMBERS = 32  # a .keras file holds metadata.json, config.json, model.weights.h5 (and assets)
MAX_SNAPSHOT_MEMBERS = 4096  # (epochs kept, at most 21) x (weight arrays) + 1
MAX_JSON_DEPTH = 64  # a Keras model config nests about 11 deep
MAX_HISTORY_ROWS = 10_000  # one row per epoch; a config allows at most 1,000 epochs
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
MEMBERS = ("config.json", "metrics.json", "info.json", "history.csv", "model.keras")
MAX_DATASET_BYTES = 20 << 20  # a user's data file travels with its run up to this size
DATASETS = tuple(f"dataset.{t.upload}" for t in tasks.TASKS.values() if t.upload)  # e.g. "dataset.csv"
OPTIONAL = ("snapshots.npz", "batches.json", *DATASETS)
LIMITS = {"": MAX_TEXT_BYTES, "model.keras": MAX_BINARY_BYTES, "snapshots.npz": MAX_BINARY_BYTES,
          ".h5": MAX_BINARY_BYTES, ".npy": MAX_BINARY_BYTES, **dict.fromkeys(DATASETS, MAX_DATASET_BYTES)}


class RunImportError(ValueError):
    """An uploaded run zip is not acceptable; the message says what is wrong with it (one line)."""


class RunExists(RunImportError):
    """The upload is a run whose id is stored here already; import it with `replace=True` to replace it."""

    def __init__(self, run_id: str, summary: str):
        super().__init__(f"run {run_id} ({summary}) is stored here already. Confirm to replace it with the "
                         "imported one, or keep yours.")
        self.run_id = run_id


def run_zip(run: StoredRun) -> bytes:
    """A stored run as a zip: `config.json`, `history.csv` (one row per epoch), `metrics.json`, `info.json`,
    `model.keras` (and `snapshots.npz`, `batches.json` when the run has them; `dataset.csv` when it trained on a
    user's file that is stored here and at most `MAX_DATASET_BYTES`)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("config.json", json.dumps(run.config.to_dict(), indent=1))
        z.writestr("metrics.json", json.dumps(run.metrics, indent=1))
        z.writestr("info.json", json.dumps(run.info, indent=1))
        z.writestr("history.csv", table_csv(history_frame(run.history)))
        z.write(run.path / "model.keras", "model.keras")
        for name in OPTIONAL:
            if (run.path / name).is_file():
                z.write(run.path / name, name)
        if (dataset := carried_dataset(run.config)) is not None:
            z.write(dataset, f"dataset.{tasks.of(run.config.data).upload}")
    return buf.getvalue()


def carried_dataset(cfg: RunConfig) -> Path | None:
    """The user's data file a run's export carries: stored here and at most `MAX_DATASET_BYTES` (else None)."""
    upload = tasks.of(cfg.data).upload
    if not upload or not userdata.has(cfg.data.file, upload):
        return None
    where = userdata.path(cfg.data.file, upload)
    return where if where.stat().st_size <= MAX_DATASET_BYTES else None


def history_frame(history: dict[str, list[float]]) -> pd.DataFrame:
    """Per-epoch history as a table: `epoch`, then `loss`, `val_loss`, ... ."""
    df = pd.DataFrame(history)
    df.insert(0, "epoch", range(1, len(df) + 1))
    return df


def import_zip(blob: bytes, store: RunStore, replace: bool = False,
               dataset_allowed: Callable[[bytes, str], str | None] | None = None) -> StoredRun:
    """Stores a run from a zip made by `run_zip`, after checking every part (see the module's docstring).

    Args:
        blob: the uploaded bytes.
        store: where the run goes.
        replace: replace a stored run with the same id (ask the user first); False refuses with `RunExists`.
        dataset_allowed: asked before anything is stored about the dataset the zip carries (its bytes and kind):
            a line that refuses the import, or None (the app: classroom mode's allowance per student session).

    Raises:
        RunExists: the run id is stored here and `replace` is False. Nothing is stored then.
        RunImportError: also for a run `prepare-lesson` pinned (`rnnviz.store.classroom`), whatever `replace` says.
        RunImportError: anything else wrong: too large, too many members, not a zip, a member missing or too
            large, malformed or deeply nested JSON, a bad history.csv, wrong types, a run id that does not
            match the config, a model Keras will not load safely or that does not fit the config, snapshots
            that do not fit the model. Nothing is stored then.
    """
    if len(blob) > MAX_IMPORT_BYTES:
        raise RunImportError(f"the file is {files.mb(len(blob))}; runs up to {files.mb(MAX_IMPORT_BYTES)} can "
                             "be imported.")
    members = _unpack(blob)
    cfg, parts = _check_parts(members)
    if (store.runs / cfg.run_id).exists() and classroom.pinned(cfg.run_id, store.root):
        raise RunImportError(f"run {cfg.run_id} ({cfg.summary()}) was prepared for a lesson (`prepare-lesson` "
                             "pinned it), so an import never replaces it.")
    if not replace and (store.runs / cfg.run_id).exists():
        raise RunExists(cfg.run_id, cfg.summary())
    with tempfile.TemporaryDirectory() as tmp:
        model = _load_model(cfg, members["model.keras"], Path(tmp))
        snapshots = _snapshots(members.get("snapshots.npz"), model, cfg, Path(tmp))
        info = {k: v for k, v in parts["info"].items() if k not in ("run_id", "created", "summary", "files")}
        dataset = _dataset(cfg, members)
        refused = dataset_allowed(*dataset) if dataset is not None and dataset_allowed is not None else None
        if refused:
            raise RunImportError(refused)
        try:
            run = store.save(cfg, model, parts["history"], parts["metrics"], info, snapshots,
                             batches=parts.get("batches"))
        except ValueError as e:  # the store's own checks
            raise RunImportError(f"the run does not store: {env.cut(e)}") from e
    if dataset is not None:
        userdata.put(*dataset)
    return run


def _dataset(cfg: RunConfig, members: dict[str, bytes]) -> tuple[bytes, str] | None:
    """The data file an import carries and its kind, for `rnnviz.data.userdata.put`; refused unless it is the
    run's own (its hash is the config's)."""
    upload = tasks.of(cfg.data).upload
    names = [n for n in DATASETS if n in members]
    if not names:
        return None
    if names != [f"dataset.{upload}"] or userdata.digest(members[names[0]]) != cfg.data.file:
        raise RunImportError(f"the zip's {names[0]} is not the file this run trained on (its hash differs from "
                             "the config's): the files do not belong together.")
    return members[names[0]], upload


def _unpack(blob: bytes) -> dict[str, bytes]:
    """The upload's members, each read capped, after checking the member list and the declared sizes."""
    archive = files.open_zip(blob, "the upload", MAX_MEMBERS, RunImportError)
    names = set(archive.namelist())
    missing = [m for m in MEMBERS if m not in names]
    if missing:
        raise RunImportError(f"the zip lacks {', '.join(missing)}; a run export holds {', '.join(MEMBERS)}.")
    extra = sorted(names - set(MEMBERS) - set(OPTIONAL))
    if extra:
        raise RunImportError(f"the zip holds {env.cut(', '.join(extra), 120)}, which a run export does not.")
    return files.read_members(archive, "the zip", LIMITS, MAX_UNPACKED_BYTES, RunImportError)


def _check_parts(members: dict[str, bytes]) -> tuple[RunConfig, dict]:
    """The config and the checked JSON/CSV parts (`config`, `history`, `metrics`, `info`, maybe `batches`)."""
    parts = {name[:-5]: files.load_json(members[name], name, MAX_JSON_DEPTH, RunImportError)
             for name in ("config.json", "metrics.json", "info.json", "batches.json") if name in members}
    parts["history"] = _history(members["history.csv"])
    try:
        cfg = check_parts(parts)
        if "batches" in parts:
            check_batches(parts["batches"])
    except ValueError as e:
        raise RunImportError(env.cut(e, 300)) from e
    claimed = parts["info"].get("run_id")
    if claimed != cfg.run_id:
        raise RunImportError(f"info.json says run {env.cut(repr(claimed), 40)} but config.json is run "
                             f"{cfg.run_id}: the files do not belong together.")
    return cfg, parts


def _history(blob: bytes) -> dict[str, list[float]]:
    """`history.csv` as per-epoch columns: a header `epoch,<metric>,...`, then one row of numbers per epoch."""
    try:
        rows = list(csv.reader(io.StringIO(blob.decode("utf-8"), newline="")))
    except (UnicodeDecodeError, csv.Error) as e:
        raise RunImportError(f"history.csv is not a CSV text ({e}).") from e
    if not rows or rows[0][:1] != ["epoch"] or len(rows[0]) < 2 or len(set(rows[0])) != len(rows[0]):
        raise RunImportError(f"history.csv must start with a header `epoch,loss,...`. Received: "
                             f"{env.cut(','.join(rows[0]) if rows else '(empty)', 80)}")
    if len(rows) - 1 > MAX_HISTORY_ROWS:
        raise RunImportError(f"history.csv has {len(rows) - 1:,} rows; at most {MAX_HISTORY_ROWS:,} epochs.")
    columns: dict[str, list[float]] = {name: [] for name in rows[0]}
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(rows[0]):
            raise RunImportError(f"history.csv line {line} has {len(row)} values; the header names {len(rows[0])}.")
        for name, text in zip(rows[0], row):
            try:
                columns[name].append(float(text))
            except ValueError:
                raise RunImportError(f"history.csv line {line}: `{env.cut(name, 40)}` must be a number. "
                                     f"Received: {env.cut(repr(text), 40)}") from None
    if columns.pop("epoch") != [float(k) for k in range(1, len(rows))]:
        raise RunImportError("history.csv: `epoch` must count 1, 2, 3, ... one row per epoch.")
    if not all(math.isfinite(v) or math.isnan(v) for c in columns.values() for v in c):
        raise RunImportError("history.csv holds an infinite value.")
    return columns


def _repack(blob: bytes, where: str, max_members: int, dest: Path) -> Path:
    """A nested archive re-written to `dest` from capped reads of its members (nothing else is read)."""
    archive = files.open_zip(blob, where, max_members, RunImportError)
    members = files.read_members(archive, where, LIMITS, MAX_BINARY_BYTES, RunImportError)
    for name in (n for n in members if n.endswith(".json")):
        files.load_json(members[name], f"{where}: {name}", MAX_JSON_DEPTH, RunImportError)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_STORED) as out:
        for name, data in members.items():
            out.writestr(name, data)
    return dest


def _load_model(cfg: RunConfig, blob: bytes, tmp: Path):
    """The Keras model, loaded safely from the re-packed archive, checked against a model built from `cfg`."""
    import keras  # lazy: rnnviz.ui imports this before app.py's backend check

    path = _repack(blob, "model.keras", MAX_MODEL_MEMBERS, tmp / "model.keras")
    try:
        model = keras.saving.load_model(path, safe_mode=True)
    except Exception as e:  # noqa: BLE001 - Keras raises many kinds; all mean "not this model"
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise RunImportError(f"model.keras does not load safely: {env.cut(reason)}") from e
    if not isinstance(model, keras.Model):
        raise RunImportError(f"model.keras holds a {type(model).__name__}, not a Keras model.")
    want = models.build_model(cfg, data.empty(cfg.data))
    for what, got, need in (("input shape", _shape(model.input_shape), _shape(want.input_shape)),
                            ("output shape", _shape(model.output_shape), _shape(want.output_shape)),
                            ("weight shapes", _weights(model), _weights(want))):
        if got != need:
            raise RunImportError(f"model.keras does not fit config.json: its {what} is {env.cut(got, 120)}, "
                                 f"the config's model has {env.cut(need, 120)}.")
    return model


def _shape(shape) -> object:
    return [tuple(s) for s in shape] if isinstance(shape, list) else tuple(shape)


def _weights(model) -> list[tuple[int, ...]]:
    return [tuple(w.shape) for w in model.weights]


def _snapshots(blob: bytes | None, model, cfg: RunConfig, tmp: Path) -> dict | None:
    """The snapshots (epoch -> weights), each epoch's shapes checked against the model's weights."""
    if blob is None:
        return None
    path = _repack(blob, "snapshots.npz", MAX_SNAPSHOT_MEMBERS, tmp / "snapshots.npz")
    try:
        snapshots = read_snapshots(path)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
        raise RunImportError(f"snapshots.npz is unreadable ({env.cut(e, 120)}).") from e
    need = [tuple(s) for s in _weights(model)]
    for epoch, weights in snapshots.items():
        if not 0 <= epoch <= cfg.epochs:
            raise RunImportError(f"snapshots.npz holds epoch {epoch}; the run has epochs 0 to {cfg.epochs}.")
        got = [tuple(w.shape) for w in weights]
        if got != need or not all(w.dtype.kind == "f" for w in weights):
            raise RunImportError(f"snapshots.npz: the weights of epoch {epoch} do not fit the model "
                                 f"({env.cut(got, 120)}, the model has {env.cut(need, 120)}).")
    return snapshots


def safe_cell(value: Any) -> Any:
    """A text that a spreadsheet would run as a formula (it starts with =, +, -, @, a tab or a carriage return),
    prefixed with an apostrophe, as OWASP's "CSV injection" advice has it; other values, and texts that are plain
    numbers such as "-1.5", unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of a table whose column names and text cells are `safe_cell`s; columns of numbers are left as they
    are (-1.5 stays a number). For every table a user may download as CSV, and for those `st.dataframe` shows,
    whose toolbar downloads them as CSV too."""
    out = df.rename(columns=safe_cell)
    for name in out.columns[[not pd.api.types.is_numeric_dtype(t) for t in out.dtypes]]:
        out[name] = out[name].map(safe_cell)
    return out


def table_csv(df: pd.DataFrame) -> bytes:
    """A table (comparison, sweep, history) as CSV bytes for a download, neutralised against formula injection
    (`safe_frame`). Lines end in CRLF, as RFC 4180 has it: then pandas also quotes a cell holding a lone CR."""
    return safe_frame(df).to_csv(index=False, lineterminator="\r\n").encode()
