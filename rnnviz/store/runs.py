"""The run store: one folder per run id under `$RNNVIZ_HOME/runs` (default `~/.rnnviz/runs`).

A run folder holds `model.keras`, `config.json`, `history.json`, `metrics.json` and `info.json`, and
optionally `snapshots.npz` (weights before training and after some epochs) and `batches.json` (the loss after
every batch, as the live chart drew it); runs stored before those existed lack them. Results computed from a
run's weights may be kept beside them (`derived-<name>.npz`, see `StoredRun.derived`); they are not part of the
run. A run is written in full into a temporary folder named `.rnnviz-tmp-<run id>-<pid>-<tag>` and then renamed
into place, so it is visible only when complete; `cleanup` removes such folders of processes that no longer
run, and never anything else. Every file is checked when a run is read (JSON types, and the sizes recorded in
`info.json` under `files`), so a damaged run is reported in one line and skipped, never half-shown; `load(verify=True)`
also checks every zip member's CRC before a run counts as stored.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnnviz.config import RunConfig, env
from rnnviz.store.runfiles import check_batches, check_parts

FILES = ("model.keras", "config.json", "history.json", "metrics.json", "info.json")
ZIPS = ("model.keras", "snapshots.npz")
# the store's own temporary names (and those of earlier versions); nothing else in runs/ is ever removed
_TEMP = re.compile(r"^\.rnnviz-(?P<kind>tmp|old)-(?P<run>\w+)-(?P<pid>\d+)-[0-9a-f]{8}$"
                   r"|^\.(?P<legacy>tmp|old)-(?P<legacy_run>[0-9a-f]{12})(-(?P<legacy_pid>\d+))?-[0-9a-f]{8}$")
PUBLISH_TRIES = 20


class StoreError(RuntimeError):
    """A run folder is missing files or holds unreadable or mistyped ones.

    Attributes:
        run_id: the folder's name.
        reason: what is wrong, one line.
    """

    def __init__(self, run_id: str, reason: str):
        self.run_id, self.reason = run_id, " ".join(str(reason).split())
        super().__init__(f"Run {run_id}: {self.reason}")

    @property
    def line(self) -> str:
        """`<run id>: <what is wrong>`, cut to about 200 characters."""
        return env.cut(f"{self.run_id}: {self.reason}")


def default_root() -> Path:
    """`$RNNVIZ_HOME`, or `~/.rnnviz` when it is not set."""
    return Path(env.folder("RNNVIZ_HOME") or Path.home() / ".rnnviz")


@dataclass(frozen=True)
class StoredRun:
    """A complete run read from disk (the model, snapshots and batch curve are read on demand)."""

    run_id: str
    config: RunConfig
    history: dict[str, list[float]]
    metrics: dict[str, float]
    info: dict[str, Any]
    path: Path

    def load_model(self):
        """The trained Keras model, loaded with `safe_mode=True`."""
        import keras  # lazy: `python -m rnnviz runs` and rnnviz.ui (before app.py's backend check) read runs without it

        from rnnviz.models import keras_cells  # noqa: F401  (registers our cells, so their runs load; lazy like keras)

        return keras.saving.load_model(self.path / "model.keras", safe_mode=True)

    def snapshots(self) -> dict[int, list[np.ndarray]]:
        """Epoch -> the model's weights then (0 = before training); empty when the run has none."""
        path = self.path / "snapshots.npz"
        if not path.is_file():
            return {}
        try:
            return read_snapshots(path)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as e:
            raise StoreError(self.run_id, f"snapshots.npz is unreadable ({e}).") from e

    def batches(self) -> dict[str, list[float]]:
        """The loss (and other running metrics) after every batch, one list per column (`epoch`, `step`,
        `steps`, `seconds`, `loss`, ...; see `rnnviz.training.fit.Forward`); empty for runs stored without it."""
        path = self.path / "batches.json"
        if not path.is_file():
            return {}
        try:
            return check_batches(json.loads(path.read_text()))
        except (OSError, ValueError) as e:
            raise StoreError(self.run_id, f"batches.json is unreadable ({e}).") from e

    def _stamp(self) -> str:
        """The weights' files as they are now (name, mtime, size): what a derived result was computed from."""
        parts = []
        for name in ("model.keras", "snapshots.npz", "info.json"):
            try:
                st = (self.path / name).stat()
                parts.append(f"{name}:{st.st_mtime_ns}:{st.st_size}")
            except OSError:
                parts.append(f"{name}:-")
        return ";".join(parts)

    def derived(self, name: str, compute) -> dict[str, np.ndarray]:
        """Arrays computed from this run's weights, kept beside them in `derived-<name>.npz` so that a server
        restart or another process (`prepare-lesson`'s pre-flight) does not compute them again: `compute()`
        (a dict of arrays) runs only when the kept file is missing, unreadable or was computed from other files
        (a retrained or imported run). A read-only store just computes."""
        path, stamp = self.path / f"derived-{name}.npz", self._stamp()
        try:
            with np.load(path, allow_pickle=False) as z:
                if str(z["_stamp"]) == stamp:
                    return {k: z[k] for k in z.files if k != "_stamp"}
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            pass
        arrays = compute()
        tmp = path.with_name(f".{path.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}.npz")
        try:
            np.savez(tmp, _stamp=np.array(stamp), **arrays)
            os.replace(tmp, path)
        except OSError:
            tmp.unlink(missing_ok=True)
        return arrays


def read_snapshots(path: Path) -> dict[int, list[np.ndarray]]:
    """Epoch -> weights from a `snapshots.npz` (no pickle). Raises OSError, ValueError, KeyError or BadZipFile."""
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
        """True if a complete, readable run with this id is stored (the cheap checks of `load` pass)."""
        try:
            self.load(run_id)
        except (KeyError, StoreError):
            return False
        return True

    def stamp(self, run_id: str) -> tuple | None:
        """The run's files as they are now, `((name, mtime_ns, size), ...)`, without reading them: a cache key that
        changes when the run is trained again, replaced or imported (None when a required file is missing)."""
        if not run_id or "/" in run_id or run_id in (".", ".."):
            return None
        out = []
        for name in (*FILES, "snapshots.npz", "batches.json"):
            try:
                st = (self.runs / run_id / name).stat()
            except OSError:
                if name in FILES:
                    return None
                continue
            out.append((name, st.st_mtime_ns, st.st_size))
        return tuple(out)

    def problem(self, run_id: str) -> str | None:
        """What is wrong with a stored run, in one line (`<run id>: <what>`); None when it is sound or absent."""
        try:
            self.load(run_id)
        except KeyError:
            return None
        except StoreError as e:
            return e.line
        return None

    def save(self, cfg: RunConfig, model, history: dict[str, list[float]], metrics: dict[str, float],
             info: dict[str, Any], snapshots: dict[int, list] | None = None,
             batches: dict[str, list[float]] | None = None) -> StoredRun:
        """Writes a run atomically (temporary folder + rename), replacing any stored run with the same id.

        When another process stores the same run id at the same moment, both calls succeed: one of the two
        complete runs stays (when the other arrives between this call's two renames, the other's), and
        this call returns the run that is stored.

        Args:
            snapshots: epoch -> the model's weights (`get_weights()` order) then, written to `snapshots.npz`.
            batches: the per-batch curve as columns (see `StoredRun.batches`), written to `batches.json`.

        Raises:
            ValueError: a part has the wrong type (named in the message); nothing is stored.
        """
        run_id = cfg.run_id
        self.runs.mkdir(parents=True, exist_ok=True)
        tmp = self.runs / f".rnnviz-tmp-{run_id}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            model.save(tmp / "model.keras")
            if snapshots:
                np.savez(tmp / "snapshots.npz", epochs=np.array(sorted(snapshots)),
                         **{f"e{e}_w{k}": w for e, ws in snapshots.items() for k, w in enumerate(ws)})
            if batches:
                (tmp / "batches.json").write_text(json.dumps(check_batches(batches)))
            files = {p.name: p.stat().st_size for p in tmp.iterdir()}
            info = {"run_id": run_id, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "summary": cfg.summary(), **info, "files": files}
            parts = {"config": cfg.to_dict(), "history": history, "metrics": metrics, "info": info}
            check_parts(parts)
            for name, obj in parts.items():
                (tmp / f"{name}.json").write_text(json.dumps(obj, indent=1))
            self._publish(tmp, run_id)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return self._load_settled(run_id)

    def _publish(self, tmp: Path, run_id: str) -> None:
        """Renames `tmp` to the run's folder; a racing saver's complete run that got there first is kept."""
        final, moved = self.runs / run_id, []
        try:
            for _ in range(PUBLISH_TRIES):
                if os.path.lexists(final):
                    old = self.runs / f".rnnviz-old-{run_id}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
                    try:
                        final.rename(old)
                        moved.append(old)
                    except FileNotFoundError:  # another saver moved it aside first
                        pass
                try:
                    tmp.rename(final)
                    return
                except OSError as e:
                    if e.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
                        raise
                if self.has(run_id):  # another saver's complete run arrived between our two renames
                    shutil.rmtree(tmp, ignore_errors=True)
                    return
            raise StoreError(run_id, f"could not be stored: other processes kept replacing it "
                                     f"({PUBLISH_TRIES} tries)")
        except BaseException:
            if moved and not os.path.lexists(final):
                moved.pop(0).rename(final)  # failed: put the previous run back
            raise
        finally:
            for old in moved:  # versions replaced by a complete run
                shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(missing_ok=True)

    def _load_settled(self, run_id: str, seconds: float = 10.0) -> StoredRun:
        """`load`, waiting out another saver's swap (its run moved aside, the new one not yet in place)."""
        end = time.monotonic() + seconds
        while True:
            try:
                return self.load(run_id)
            except (KeyError, StoreError):
                if time.monotonic() > end:
                    raise
                time.sleep(0.01)

    def load(self, run_id: str, verify: bool = False) -> StoredRun:
        """Reads a stored run and checks it: JSON types, recorded sizes, and that its zips open.

        Args:
            verify: also read every member of `model.keras` and `snapshots.npz` and check its CRC (reads
                the whole files; used before a run counts as stored instead of being trained).

        Raises:
            KeyError: no run with this id is stored.
            StoreError: the folder exists but a file is missing, unreadable or mistyped (named in the message).
        """
        if not run_id or "/" in run_id or run_id in (".", ".."):
            raise KeyError(run_id)
        path = self.runs / run_id
        try:
            if not path.is_dir():
                raise KeyError(run_id)
            return self._read(run_id, path, verify)
        except OSError as e:
            raise StoreError(run_id, f"unreadable ({e.strerror or e})") from e

    def _read(self, run_id: str, path: Path, verify: bool) -> StoredRun:
        parts = {}
        for name in FILES:
            if not (path / name).is_file():
                raise StoreError(run_id, f"is incomplete: {name} is missing.")
            if name.endswith(".json"):
                try:
                    parts[name[:-5]] = json.loads((path / name).read_text())
                except ValueError as e:
                    raise StoreError(run_id, f"{name} is unreadable ({e}).") from e
        try:
            cfg = check_parts(parts)
        except ValueError as e:
            raise StoreError(run_id, str(e)) from e
        for name, size in parts["info"].get("files", {}).items():
            if not (path / name).is_file():
                raise StoreError(run_id, f"is incomplete: {name} is missing.")
            if (actual := (path / name).stat().st_size) != size:
                raise StoreError(run_id, f"{name} is cut short or changed ({actual:,} bytes; {size:,} were stored).")
        sized = parts["info"].get("files", {})
        for name in ZIPS:  # sizes recorded: they catch a cut-short file; older runs: the zip must open
            if (path / name).is_file() and (verify or name not in sized):
                try:
                    with zipfile.ZipFile(path / name) as z:
                        bad = z.testzip() if verify else None
                except (zipfile.BadZipFile, EOFError) as e:
                    raise StoreError(run_id, f"{name} is damaged or cut short ({e}).") from e
                if bad is not None:
                    raise StoreError(run_id, f"{name} is damaged: its member {bad} fails its CRC check.")
        return StoredRun(run_id, cfg, parts["history"], parts["metrics"], parts["info"], path)

    def list(self) -> tuple[list[StoredRun], list[str]]:
        """All complete runs, newest first, and one line per other entry of the runs folder
        (`<name>: <what is wrong>`): damaged runs, stray files and folders. The store's own temporary
        folders are left out."""
        runs, problems = [], []
        try:
            entries = sorted(self.runs.iterdir()) if self.runs.is_dir() else []
        except OSError as e:
            return runs, [env.cut(f"{self.runs}: unreadable ({e.strerror or e})")]
        for path in entries:
            if _TEMP.match(path.name):
                continue
            try:
                runs.append(self.load(path.name))
            except StoreError as e:
                problems.append(e.line)
            except KeyError:
                problems.append(env.cut(f"{path.name}: not a run folder (a stray file or link in {self.runs})"))
        runs.sort(key=lambda r: r.info["created"], reverse=True)
        return runs, problems

    def delete(self, run_id: str) -> None:
        """Removes a stored run (no error if it is absent)."""
        shutil.rmtree(self.runs / run_id, ignore_errors=True)

    def cleanup(self) -> list[str]:
        """Removes the store's temporary folders left by processes that no longer run; returns their names.

        A previous run moved aside by a process killed mid-replace is put back. Nothing else is touched.
        """
        removed = []
        try:
            entries = list(self.runs.iterdir()) if self.runs.is_dir() else []
        except OSError:
            return removed
        for path in entries:
            m = _TEMP.match(path.name)
            if m is None:
                continue
            kind, run_id = m["kind"] or m["legacy"], m["run"] or m["legacy_run"]
            pid = m["pid"] or m["legacy_pid"]
            if pid is not None and _alive(int(pid)):
                continue
            if kind == "old" and not os.path.lexists(self.runs / run_id):
                path.rename(self.runs / run_id)  # killed mid-swap: put the previous run back
                continue
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
