"""Training: Keras `fit` with a callback that forwards logs to a plain callable and honours a stop flag."""

from __future__ import annotations

import importlib.util
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import keras

from rnnviz import backend
from rnnviz.config import RunConfig
from rnnviz.data import loaders as data
from rnnviz.data.loaders import Dataset
from rnnviz.models import build_model, device
from rnnviz.training import metrics

Event = dict[str, Any]


# `keras.utils.set_random_seed` is process-wide: two trainings building their models at once (the local
# pool with 2 workers) would interleave their draws and neither would get its seed's weights.
_SEEDING = threading.Lock()


class Diverged(RuntimeError):
    """The loss became NaN or infinite; training stopped."""


@dataclass
class TrainResult:
    """What a finished (or stopped) training produced.

    Attributes:
        model: the trained Keras model.
        history: per-epoch lists, e.g. `loss`, `val_loss` (and `accuracy`, `val_accuracy`).
        metrics: final scores, e.g. `val_rmse` or `test_accuracy`.
        params: number of trainable and non-trainable weights.
        train_seconds: wall-clock seconds spent in `fit`.
        device: the device line (`rnnviz.models.device.describe()`).
        backend: Keras, its backend and the device (`rnnviz.backend.describe()`).
        stopped: True when the stop flag or the ceiling on training time ended training before the last epoch.
        epoch_seconds: wall-clock seconds at the end of each epoch, from the start of `fit`.
        details: for classifiers, the test `confusion` matrix and the `classes`; for a run the ceiling on
            training time stopped, `stopped`: one line saying so (such a run is stored; stored in info.json).
        snapshots: epoch -> all weights (`model.get_weights()`), from epoch 0 (before training); see
            `Snapshots`.
        batches: every batch event's values as columns (`epoch`, `step`, `steps`, `seconds`, `loss`, ...),
            exactly what the live chart was sent (stored as `batches.json`; see `Forward`).
    """

    model: keras.Model
    history: dict[str, list[float]]
    metrics: dict[str, float]
    params: int
    train_seconds: float
    device: str
    backend: str = ""
    stopped: bool = False
    epoch_seconds: list[float] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    snapshots: dict[int, list] = field(default_factory=dict)
    batches: dict[str, list[float]] = field(default_factory=dict)


MAX_SNAPSHOTS = 20


class Snapshots(keras.callbacks.Callback):
    """Keeps copies of all weights before training and after some epochs (at most `MAX_SNAPSHOTS` + 1).

    With E epochs it keeps every ceil(E / 20)-th epoch and the last, so an epoch slider can show how the
    network's gates and states changed as it learned. `weights[epoch]` is a list like `get_weights()`.
    """

    def __init__(self, epochs: int):
        super().__init__()
        self.every = max(1, math.ceil(epochs / MAX_SNAPSHOTS))
        self.epochs, self.weights = epochs, {}

    def on_train_begin(self, logs=None):
        self.weights[0] = [w.copy() for w in self.model.get_weights()]

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0 or epoch + 1 == self.epochs:
            self.weights[epoch + 1] = [w.copy() for w in self.model.get_weights()]


class Forward(keras.callbacks.Callback):
    """Sends every batch's and epoch's logs to `on_event`; once `stop` is set, training ends after the batch
    it is in (seen at the next batch's start or at the epoch's end). With `max_seconds`, training ends after
    the epoch during which that much time passed (`ceiling` is then that epoch).

    Events are dicts (a download before training may also send `{"kind": "note", "text"}`):
    `{"kind": "batch", "epoch", "step", "steps", "seconds", "loss", ...}` after each batch
    (running means over the epoch so far, as Keras reports them) and `{"kind": "epoch", "epoch",
    "seconds", "loss", "val_loss", ...}` after each epoch; `epoch` counts from 1. The batch events are
    also kept as columns in `batches` (one list per key), so a stored run can redraw the live chart.

    The callback is `async_safe`: on JAX and PyTorch Keras then hands each batch's logs to it on its own
    threads while the next batch trains, instead of waiting for the loss after every batch (on JAX that
    wait cost 15% of a small model's training time; TensorFlow's Keras always calls it in line). So batch
    events may trail the batch in training by a few. They still leave in batch order: one that arrives
    early waits in `_pending` for those before it. Keras waits for all of an epoch's batch calls before
    its `on_epoch_end`, so `epoch` is right in each of them.
    """

    async_safe = True

    def __init__(self, on_event: Callable[[Event], None] | None, stop: threading.Event | None, steps: int,
                 max_seconds: float | None = None):
        super().__init__()
        self.on_event, self.stop, self.steps, self.max_seconds, self.ceiling = on_event, stop, steps, max_seconds, 0
        self.epoch, self.t0, self.epoch_seconds, self.diverged = 0, 0.0, [], None
        self.batches: dict[str, list[float]] = {}
        self._lock, self._pending, self._next = threading.Lock(), {}, 0

    def on_train_begin(self, logs=None):
        self.t0 = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self._next = epoch + 1, 0

    def _halt(self) -> None:
        """Ends training after the batch in training if the flag is set or the loss diverged. Called on the
        training thread only: Keras 3.15 on JAX fails ("Array has been deleted") when an `async_safe`
        callback sets `stop_training` from its own thread."""
        if self.diverged or (self.stop is not None and self.stop.is_set()):
            self.model.stop_training = True

    def on_train_batch_begin(self, batch, logs=None):
        self._halt()

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        if not math.isfinite(logs.get("loss", 0.0)):
            self.diverged = self.diverged or f"loss became {logs['loss']} in epoch {self.epoch}, batch {batch + 1}"
            return
        event = {"kind": "batch", "epoch": self.epoch, "step": batch + 1, "steps": self.steps,
                 "seconds": time.perf_counter() - self.t0, **{k: float(v) for k, v in logs.items()}}
        with self._lock:
            self._pending[batch] = event
            while self._next in self._pending and self.diverged is None:
                self._send(self._pending.pop(self._next))
                self._next += 1

    def _send(self, event: Event):
        for key, value in event.items():
            if key != "kind":
                self.batches.setdefault(key, []).append(value)
        if self.on_event is not None:
            self.on_event(event)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.epoch_seconds.append(time.perf_counter() - self.t0)
        bad = [k for k, v in logs.items() if not math.isfinite(v)]
        if bad and self.diverged is None:
            self.diverged = f"{bad[0]} became {logs[bad[0]]} in epoch {epoch + 1}"
        self._halt()  # also a flag set by a batch event that came after the epoch's last batch
        if self.max_seconds is not None and self.epoch_seconds[-1] >= self.max_seconds and not self.model.stop_training:
            self.ceiling, self.model.stop_training = epoch + 1, True
        if self.on_event is not None and self.diverged is None:
            self.on_event({"kind": "epoch", "epoch": epoch + 1, "seconds": self.epoch_seconds[-1], **logs})


def tensorboard_available() -> bool:
    """True when TensorBoard logs can be written: Keras's `TensorBoard` callback writes them with
    `tf.summary` on every backend, so it needs the `tensorboard` and `tensorflow` packages."""
    return all(importlib.util.find_spec(name) is not None for name in ("tensorboard", "tensorflow"))


def write_tensorboard(model: keras.Model, history: dict[str, list[float]], log_dir) -> None:
    """Writes the per-epoch scalars of a finished training as standard TensorBoard logs, with Keras's own
    `TensorBoard` callback fed the history epoch by epoch after `fit`.

    Inside `fit` that callback costs more than it writes: it handles every batch's end, so Keras must wait
    for each batch's loss before starting the next (15% of a small model's training on JAX). The files
    are the same (`train/` and `validation/` folders, `epoch_loss` and each metric); only their wall times are
    the replay's.
    """
    board = keras.callbacks.TensorBoard(log_dir=str(log_dir), write_graph=False, profile_batch=0)
    board.set_model(model)
    board.on_train_begin()
    for epoch in range(len(history.get("loss", []))):
        board.on_epoch_begin(epoch)
        board.on_epoch_end(epoch, {key: values[epoch] for key, values in history.items()})
    board.on_train_end()


def train(cfg: RunConfig, ds: Dataset | None = None, on_event: Callable[[Event], None] | None = None,
          stop: threading.Event | None = None, data_dir: str | None = None,
          log_dir: str | None = None, max_seconds: float | None = None) -> TrainResult:
    """Trains the model a config describes, seeded so the same config gives the same curve on CPU.

    The weights are seeded by `keras.utils.set_random_seed(cfg.seed)`; the order the samples are read in
    is `data.epoch_orders(n, epochs, seed)`, the same for every model of the same data and seed.

    Args:
        cfg: the run's config.
        ds: its data (loaded from `cfg.data` when None).
        on_event: called with each batch and epoch event (see `Forward`), one call at a time: on the training
            thread, or for batch events on JAX and PyTorch on Keras's callback threads.
        stop: when set, training stops at the end of the batch in training.
        data_dir: folder with the data set's standard files, for the data sets that need files.
        log_dir: when given, standard TensorBoard logs (per-epoch scalars) of a run not stopped are written
            there, if the `tensorboard` package is installed.
        max_seconds: the ceiling on training time (`RNNVIZ_MAX_RUN_MINUTES`): training ends after the epoch
            that reaches it, and `details["stopped"]` says so in one line.

    Returns:
        The `TrainResult`, with `stopped=True` if `stop` or the ceiling ended it early.

    Raises:
        Diverged: the loss became NaN or infinite.
    """
    if ds is None:  # the loaders draw from generators seeded by `cfg.seed`, not from the global seed
        note = (lambda text: on_event({"kind": "note", "text": text})) if on_event else None
        ds = data.load(cfg.data, cfg.seed, data_dir=data_dir, progress=note)
    with _SEEDING:
        keras.utils.set_random_seed(cfg.seed)
        model = build_model(cfg, ds)  # weights and each layer's dropout seed generator drawn here
    steps = math.ceil(len(ds.x_train) / cfg.batch_size)
    forward, snapshots = Forward(on_event, stop, steps, max_seconds), Snapshots(cfg.epochs)
    t0 = time.perf_counter()
    batches = backend.batches(ds.x_train, ds.y_train, data.epoch_orders(len(ds.x_train), cfg.epochs, cfg.seed),
                              cfg.batch_size)
    fit = model.fit(batches, steps_per_epoch=steps, validation_data=(ds.x_val, ds.y_val), epochs=cfg.epochs,
                    shuffle=False, verbose=0, callbacks=[forward, snapshots])  # `batches` sets the order
    seconds = time.perf_counter() - t0
    if forward.diverged:
        raise Diverged(f"Training diverged: {forward.diverged}. Try a lower learning rate "
                       f"(now {cfg.learning_rate}) or fewer units.")
    history = {k: [float(v) for v in vs] for k, vs in fit.history.items()}
    # a stop during the last epoch ends it after a batch too: that epoch is partial (Keras still records it)
    stopped = len(history.get("loss", [])) < cfg.epochs or (stop is not None and stop.is_set())
    details: dict[str, Any] = {}
    if stopped and forward.ceiling:  # stopped by the ceiling, not by Stop: the run is kept
        details["stopped"] = (f"Stopped after epoch {forward.ceiling} of {cfg.epochs}: it reached this server's "
                              f"ceiling of {max_seconds / 60:g} minutes of training per run (RNNVIZ_MAX_RUN_MINUTES).")
    if log_dir is not None and (not stopped or forward.ceiling) and tensorboard_available():  # Stop: not kept
        write_tensorboard(model, history, log_dir)
    scores = metrics.evaluate(model, ds, details)
    return TrainResult(model=model, history=history, metrics=scores, details=details,
                       params=int(model.count_params()), train_seconds=seconds, device=device.describe(),
                       backend=backend.describe(), stopped=stopped,
                       epoch_seconds=forward.epoch_seconds, snapshots=snapshots.weights,
                       batches=forward.batches)

