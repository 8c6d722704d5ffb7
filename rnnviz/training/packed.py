"""What crosses a process or cluster boundary: a training packed for the trip back, and the error of a lost worker.

A training process (`rnnviz.training.processes`) or a Ray actor (`rnnviz.training.ray`) trains with
`train_packed`, which returns plain data a pipe or Ray's object store can carry: the `TrainResult`'s fields
except the model, the model as `.keras` bytes and the TensorBoard log files as bytes. On the server, `unpack`
turns that back into a `TrainResult` whose model is built only when first read (`PackedModel`): the run
store needs only the bytes. A worker that dies mid-run fails that run with `WorkerLost`.
"""

from __future__ import annotations

import socket
import tempfile
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from rnnviz.config import RunConfig


class WorkerLost(RuntimeError):
    """The worker training a run died: a Ray actor (its process killed, its node gone) or a training process
    of `rnnviz.training.processes` (killed, out of memory, crashed)."""


def node_name() -> str:
    """This machine's name and address on its network, e.g. 'lab-07 (10.0.0.17)' (as Ray names nodes)."""
    host = socket.gethostname()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:  # a UDP connect sends nothing
            s.connect(("10.255.255.255", 1))
            ip = s.getsockname()[0]
    except OSError:
        ip = "127.0.0.1"
    return f"{host} ({ip})"


def train_packed(cfg: RunConfig, on_event: Callable | None, stop: threading.Event | None, tensorboard: bool,
                 ds=None, data_dir: str | None = None, node: str = "",
                 max_seconds: float | None = None) -> dict[str, Any]:
    """Trains `cfg` in this process and packs the result for another process (a Ray actor's or a child's).

    Args:
        cfg: the run's config.
        on_event: called with each event (see `rnnviz.training.fit.Forward`).
        stop: ends training after the current batch when set.
        tensorboard: also write TensorBoard logs (into a temporary folder, sent back as bytes).
        ds: the run's data (loaded from `cfg.data` and `data_dir` when None).
        data_dir: folder with the data set's files.
        node: this machine's name, put into `details["node"]`.
        max_seconds: the ceiling on training time (see `rnnviz.training.fit.train`), or None.

    Returns:
        The `TrainResult`'s fields except the model, plus the model as `.keras` bytes (`model_bytes`) and
        the TensorBoard log files (relative path -> bytes) under `logs`: what `unpack` reads.
    """
    from rnnviz.training import fit  # lazy: Keras; a training child imports this before ignoring SIGINT

    with tempfile.TemporaryDirectory(prefix="rnnviz-worker-") as tmp:
        logs = Path(tmp) / "logs"
        result = fit.train(cfg, ds=ds, on_event=on_event, stop=stop, data_dir=data_dir,
                           log_dir=str(logs) if tensorboard else None, max_seconds=max_seconds)
        out = {k: v for k, v in vars(result).items() if k != "model"}
        result.model.save(Path(tmp) / "model.keras")
        out["model_bytes"] = (Path(tmp) / "model.keras").read_bytes()
        out["logs"] = {p.relative_to(logs).as_posix(): p.read_bytes() for p in logs.rglob("*") if p.is_file()}
    out["details"] = {**result.details, "node": node}
    return out


class PackedModel:
    """A trained model as `.keras` bytes from another process. `save(path)` writes the bytes (all the run
    store asks of a model), so a finished run is stored without building its model here; `load()` builds it.
    """

    def __init__(self, blob: bytes):
        self.blob = blob

    def save(self, path) -> None:
        Path(path).write_bytes(self.blob)

    def load(self):
        """The Keras model (`safe_mode=True`)."""
        import keras  # lazy: a training child imports this before ignoring SIGINT

        from rnnviz.models import keras_cells  # noqa: F401  (registers our cells, so their models load; lazy like keras)

        with tempfile.TemporaryDirectory(prefix="rnnviz-model-") as tmp:
            path = Path(tmp) / "model.keras"
            path.write_bytes(self.blob)
            return keras.saving.load_model(path, safe_mode=True)


def unpack(out: dict[str, Any], log_dir: str | None):
    """A `TrainResult` from `train_packed`'s dict, its model built only when first read.

    Args:
        out: `train_packed`'s dict (consumed: its `logs` and `model_bytes` are taken out).
        log_dir: where its TensorBoard log files are written (paths that would leave it are skipped), or None.

    Returns:
        A `rnnviz.training.fit.TrainResult` with `packed` (the `PackedModel`, which the store copies) and a
        `model` built from it on first read. Each Keras model built in the server keeps about 0.2 MB on
        TensorFlow (measured), so a finished run's model is never built here; a stopped run's is, when its
        page shows it.
    """
    for rel, blob in out.pop("logs").items():
        if log_dir is not None and not Path(rel).is_absolute() and ".." not in Path(rel).parts:
            (Path(log_dir) / rel).parent.mkdir(parents=True, exist_ok=True)
            (Path(log_dir) / rel).write_bytes(blob)
    packed = PackedModel(out.pop("model_bytes"))
    result = _lazy_result_type()(model=None, **out)
    result.packed = packed
    return result


@cache
def _lazy_result_type() -> type:
    """`TrainResult` with a `model` built from its `packed` bytes on first read (made once, lazily: `fit`
    imports Keras)."""
    from rnnviz.training.fit import TrainResult  # lazy: Keras; a training child imports this before ignoring SIGINT

    class UnpackedResult(TrainResult):
        @property
        def model(self):
            if self._model is None:
                self._model = self.packed.load()
            return self._model

        @model.setter
        def model(self, value):
            self._model = value

    return UnpackedResult
