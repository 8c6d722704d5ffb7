"""The run store: one folder per run id under `$RNNVIZ_HOME/runs` (default `~/.rnnviz/runs`).

A run folder holds `model.keras`, `config.json`, `history.json`, `metrics.json` and `info.json`, and
`snapshots.npz` (weights before training and after some epochs; runs stored before it existed lack it). It is
written in full into a hidden temporary folder first and then renamed into place, so a run is visible
only when it is complete; a process killed half-way leaves only a `.tmp-*` folder, removed by `cleanup`.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnnviz import env
from rnnviz.config import RunConfig

FILES = ("model.keras", "config.json", "history.json", "metrics.json", "info.json")


class StoreError(RuntimeError):
    """A run folder is missing files or holds unreadable ones."""


def default_root() -> Path:
    """`$RNNVIZ_HOME`, or `~/.rnnviz` when it is not set."""
    return Path(env.folder("RNNVIZ_HOME") or Path.home() / ".rnnviz")


@dataclass(frozen=True)
class StoredRun:
    """A complete run read from disk (the model itself is loaded on demand by `load_model`)."""

    run_id: str
    config: RunConfig
    history: dict[str, list[float]]
    metrics: dict[str, float]
    info: dict[str, Any]
    path: Path

    def load_model(self):
        """The trained Keras model, loaded with `safe_mode=True`."""
        import keras

        return keras.saving.load_model(self.path / "model.keras", safe_mode=True)

    def snapshots(self) -> dict[int, list[np.ndarray]]:
        """Epoch -> the model's weights then (0 = before training); empty when the run has none."""
        path = self.path / "snapshots.npz"
        if not path.is_file():
            return {}
        try:
            return read_snapshots(path)
        except (OSError, ValueError, KeyError) as e:
            raise StoreError(f"Run {self.run_id}: {path} is unreadable ({e}).") from e


def read_snapshots(path: Path) -> dict[int, list[np.ndarray]]:
    """Epoch -> weights from a `snapshots.npz` (no pickle). Raises OSError, ValueError or KeyError."""
    with np.load(path, allow_pickle=False) as z:
        n = sum(1 for k in z.files if k.startswith("e0_"))
        return {int(e): [z[f"e{e}_w{k}"] for k in range(n)] for e in z["epochs"]}


class RunStore:
    """Runs on disk, keyed by `RunConfig.run_id`."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else default_root()
        self.runs = self.root / "runs"

    def tensorboard_dir(self, run_id: str) -> Path:
        """Where a run's TensorBoard logs go: `<root>/tensorboard/<run_id>` (`tensorboard --logdir <root>/tensorboard`)."""
        return self.root / "tensorboard" / run_id

    def has(self, run_id: str) -> bool:
        """True if a complete run with this id is stored (all its files are there)."""
        return all((self.runs / run_id / name).is_file() for name in FILES)

    def save(self, cfg: RunConfig, model, history: dict[str, list[float]], metrics: dict[str, float],
             info: dict[str, Any], snapshots: dict[int, list] | None = None) -> StoredRun:
        """Writes a run atomically (temporary folder + rename), replacing any stored run with the same id.

        Args:
            snapshots: epoch -> the model's weights (`get_weights()` order) then, written to `snapshots.npz`.
        """
        run_id = cfg.run_id
        self.runs.mkdir(parents=True, exist_ok=True)
        tmp = self.runs / f".tmp-{run_id}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            model.save(tmp / "model.keras")
            if snapshots:
                np.savez(tmp / "snapshots.npz", epochs=np.array(sorted(snapshots)),
                         **{f"e{e}_w{k}": w for e, ws in snapshots.items() for k, w in enumerate(ws)})
            info = {"run_id": run_id, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "summary": cfg.summary(), **info}
            for name, obj in (("config", cfg.to_dict()), ("history", history), ("metrics", metrics),
                              ("info", info)):
                (tmp / f"{name}.json").write_text(json.dumps(obj, indent=1))
            final = self.runs / run_id
            old = self.runs / f".old-{run_id}-{uuid.uuid4().hex[:8]}"
            if final.exists():
                final.rename(old)
            tmp.rename(final)
            shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return self.load(run_id)

    def load(self, run_id: str) -> StoredRun:
        """Reads a stored run.

        Raises:
            KeyError: no run with this id is stored.
            StoreError: the folder exists but a file is missing or unreadable (named in the message).
        """
        path = self.runs / run_id
        if not path.is_dir():
            raise KeyError(run_id)
        parts = {}
        for name in FILES:
            if not (path / name).is_file():
                raise StoreError(f"Run {run_id} is incomplete: {path / name} is missing.")
            if name.endswith(".json"):
                try:
                    parts[name[:-5]] = json.loads((path / name).read_text())
                except (OSError, ValueError) as e:
                    raise StoreError(f"Run {run_id}: {path / name} is unreadable ({e}).") from e
        try:
            cfg = RunConfig.from_dict(parts["config"])
        except (ValueError, TypeError) as e:
            raise StoreError(f"Run {run_id}: {path / 'config.json'} is not a valid config ({e}).") from e
        return StoredRun(run_id, cfg, parts["history"], parts["metrics"], parts["info"], path)

    def list(self) -> tuple[list[StoredRun], list[str]]:
        """All complete runs, newest first, and one message per run folder that could not be read."""
        runs, problems = [], []
        if not self.runs.is_dir():
            return runs, problems
        for path in self.runs.iterdir():
            if path.name.startswith(".") or not path.is_dir():
                continue
            try:
                runs.append(self.load(path.name))
            except (StoreError, KeyError) as e:
                problems.append(str(e))
        runs.sort(key=lambda r: r.info.get("created", ""), reverse=True)
        return runs, problems

    def delete(self, run_id: str) -> None:
        """Removes a stored run (no error if it is absent)."""
        shutil.rmtree(self.runs / run_id, ignore_errors=True)

    def cleanup(self) -> list[str]:
        """Removes temporary folders left by processes that no longer run; returns their names."""
        removed = []
        if not self.runs.is_dir():
            return removed
        for path in self.runs.glob(".*-*"):
            parts = path.name.split("-")
            if path.name.startswith(".old-") and not (self.runs / parts[1]).exists():
                path.rename(self.runs / parts[1])  # killed mid-swap: put the previous run back
                continue
            pid = int(parts[2]) if path.name.startswith(".tmp-") and parts[2].isdigit() else None
            if pid is None or not _alive(pid):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path.name)
        return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
