"""Exports and imports of runs: one zip per run (config, history CSV, metrics, model), checked on the way in.

An imported zip is never unpickled: its JSON is parsed, its config validated (its run id must match the
one it claims), and its model loaded with `safe_mode=True` before the run is stored.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path

import pandas as pd

from rnnviz.config import RunConfig
from rnnviz.store import RunStore, StoredRun, read_snapshots

MAX_IMPORT_BYTES = 200 * 1024 * 1024
MEMBERS = ("config.json", "metrics.json", "info.json", "history.csv", "model.keras")


class RunImportError(ValueError):
    """An uploaded run zip is not acceptable; the message says what is wrong with it."""


def run_zip(run: StoredRun) -> bytes:
    """A stored run as a zip: `config.json`, `history.csv` (one row per epoch), `metrics.json`, `info.json`,
    `model.keras` (and `snapshots.npz` when the run has it)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("config.json", json.dumps(run.config.to_dict(), indent=1))
        z.writestr("metrics.json", json.dumps(run.metrics, indent=1))
        z.writestr("info.json", json.dumps(run.info, indent=1))
        z.writestr("history.csv", history_frame(run.history).to_csv(index=False))
        z.write(run.path / "model.keras", "model.keras")
        if (run.path / "snapshots.npz").is_file():
            z.write(run.path / "snapshots.npz", "snapshots.npz")
    return buf.getvalue()


def history_frame(history: dict[str, list[float]]) -> pd.DataFrame:
    """Per-epoch history as a table: `epoch`, then `loss`, `val_loss`, ... ."""
    df = pd.DataFrame(history)
    df.insert(0, "epoch", range(1, len(df) + 1))
    return df


def import_zip(blob: bytes, store: RunStore) -> StoredRun:
    """Stores a run from a zip made by `run_zip`, after checking every part.

    Raises:
        RunImportError: too large, not a zip, a member missing, invalid JSON or config, a run id that does not
            match the config, or a model that Keras will not load safely. Nothing is stored then.
    """
    if len(blob) > MAX_IMPORT_BYTES:
        raise RunImportError(f"The file is {len(blob) / 1e6:.0f} MB; runs up to {MAX_IMPORT_BYTES / 1e6:.0f} MB "
                           "can be imported.")
    try:
        z = zipfile.ZipFile(io.BytesIO(blob))
        names = set(z.namelist())
    except zipfile.BadZipFile as e:
        raise RunImportError(f"Not a zip file ({e}). Upload a zip made by this app's run export.") from e
    missing = [m for m in MEMBERS if m not in names]
    if missing:
        raise RunImportError(f"The zip lacks {', '.join(missing)}; a run export holds {', '.join(MEMBERS)}.")
    if sum(i.file_size for i in z.infolist()) > 4 * MAX_IMPORT_BYTES:
        raise RunImportError("The zip unpacks to more than 800 MB; refusing it.")
    try:
        parts = {m: json.loads(z.read(m)) for m in ("config.json", "metrics.json", "info.json")}
        history = pd.read_csv(io.BytesIO(z.read("history.csv"))).drop(columns="epoch", errors="ignore")
    except (ValueError, UnicodeDecodeError) as e:
        raise RunImportError(f"A JSON or CSV member is unreadable ({e}).") from e
    try:
        cfg = RunConfig.from_dict(parts["config.json"])
    except (ValueError, TypeError) as e:
        raise RunImportError(f"config.json is not a valid run config: {e}") from e
    claimed = parts["info.json"].get("run_id") if isinstance(parts["info.json"], dict) else None
    if claimed != cfg.run_id:
        raise RunImportError(f"info.json says run {claimed!r} but config.json is run {cfg.run_id}: the files do "
                           "not belong together.")
    with tempfile.TemporaryDirectory() as tmp:
        model_path = Path(tmp) / "model.keras"
        model_path.write_bytes(z.read("model.keras"))
        try:
            import keras

            model = keras.saving.load_model(model_path, safe_mode=True)
        except Exception as e:
            raise RunImportError(f"model.keras does not load safely: {str(e).splitlines()[0]}") from e
        snapshots = None
        if "snapshots.npz" in names:
            (Path(tmp) / "snapshots.npz").write_bytes(z.read("snapshots.npz"))
            try:
                snapshots = read_snapshots(Path(tmp) / "snapshots.npz")
            except (ValueError, KeyError, OSError) as e:
                raise RunImportError(f"snapshots.npz is unreadable ({e}).") from e
        info = {k: v for k, v in parts["info.json"].items() if k not in ("run_id", "created", "summary")}
        hist = {c: [float(v) for v in history[c]] for c in history.columns}
        return store.save(cfg, model, hist, parts["metrics.json"], info, snapshots)


def table_csv(df: pd.DataFrame) -> bytes:
    """A comparison table as CSV bytes (for a download button)."""
    return df.to_csv(index=False).encode()
