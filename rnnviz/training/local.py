"""Trainings in this process, on the `rnnviz.training.jobs.Trainer`'s worker threads: the simplest executor.

The default on JAX and PyTorch (`RNNVIZ_EXECUTOR=thread` anywhere), and for `python -m rnnviz train`'s one
run, where a training process would only add a second Keras import (commit 7f63408: 13-17 s against 10 s).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from rnnviz.config import RunConfig
from rnnviz.training import fit
from rnnviz.training.fit import TrainResult
from rnnviz.training.packed import node_name


class LocalExecutor:
    """Trains in this process (the Trainer's threads).

    Args:
        workers: trainings at once (`RNNVIZ_TRAIN_WORKERS`).
        note: why a named Ray cluster is not used (shown by pages and the CLI), or None.
    """

    kind = "local"

    def __init__(self, workers: int = 1, note: str | None = None):
        self.slots, self.note, self.node = workers, note, node_name()

    def describe(self) -> str:
        """One line for pages, e.g. 'this server, lab-01 (10.0.0.1): 1 training at a time'."""
        at_once = "1 training at a time" if self.slots == 1 else f"{self.slots} trainings at once"
        return f"this server, {self.node}: {at_once}"

    def train(self, cfg: RunConfig, on_event: Callable | None = None, stop: threading.Event | None = None,
              data_dir: str | None = None, log_dir: str | None = None, max_seconds: float | None = None,
              ) -> TrainResult:
        """`rnnviz.training.fit.train`, with the node's name in the result's `details` (stored in info.json)."""
        result = fit.train(cfg, on_event=on_event, stop=stop, data_dir=data_dir, log_dir=log_dir,
                           max_seconds=max_seconds)
        result.details["node"] = self.node
        return result

    def shutdown(self) -> None:
        """Nothing to release."""
