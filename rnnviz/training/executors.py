"""Where trainings run: one interface (`Executor`), three implementations, picked once when a Trainer starts.

- `rnnviz.training.processes.ProcessExecutor` (the default on TensorFlow): trainings run in child processes on
  this machine, one per slot, each replaced after `RNNVIZ_WORKER_RUNS` runs, so Keras-on-TensorFlow's per-fit
  leak leaves with them; the server's memory stays flat however many runs a term brings.
- `rnnviz.training.local.LocalExecutor` (the default on JAX and PyTorch, or `RNNVIZ_EXECUTOR=thread`; also
  `python -m rnnviz train`'s one run): trainings run in this process, on the Trainer's worker threads
  (`RNNVIZ_TRAIN_WORKERS` at once).
- `rnnviz.training.ray.RayExecutor`, when `RNNVIZ_RAY_ADDRESS` names a cluster that answers: each training runs
  in a Ray actor on whichever node has room, streaming its events back and taking Stop.

This module is the one place that chooses: `make()` (Ray, or this machine with a one-line `note` saying why a
named cluster is not used, after at most `CONNECT_TIMEOUT_S` seconds) and `here()` (processes or threads, as
`RNNVIZ_EXECUTOR` and the backend say). The `rnnviz.training.jobs.Trainer` calls `make` unless it is handed an
executor; pages, the CLI and sweeps see only the Trainer's jobs. Ray is imported only in
`rnnviz.training.ray`, and only when an address is set.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from rnnviz import backend
from rnnviz.config import RunConfig, env
from rnnviz.training import ray
from rnnviz.training.fit import Event, TrainResult
from rnnviz.training.local import LocalExecutor
from rnnviz.training.packed import PackedModel, WorkerLost, node_name, train_packed
from rnnviz.training.processes import ProcessExecutor
from rnnviz.training.ray import RayExecutor

__all__ = ["CONNECT_TIMEOUT_S", "PROCESSES", "RAY_ADDRESS", "Executor", "LocalExecutor", "PackedModel",
           "ProcessExecutor", "RayExecutor", "WorkerLost", "here", "make", "node_name", "train_packed"]

RAY_ADDRESS = "RNNVIZ_RAY_ADDRESS"
CONNECT_TIMEOUT_S = 15.0  # the longest a page (or the CLI) waits for a named cluster
PROCESSES = os.name == "posix"  # training processes get their pipes by `pass_fds` (POSIX only)


@runtime_checkable
class Executor(Protocol):
    """Where the Trainer's trainings run. `LocalExecutor`, `ProcessExecutor` and `RayExecutor` implement it.

    Attributes:
        kind: "local", "process" or "ray".
        slots: trainings it runs at once (the Trainer starts that many worker threads).
        note: why a named Ray cluster is not used (one line, shown once by pages and the CLI), or None.
    """

    kind: str
    slots: int
    note: str | None

    def describe(self) -> str:
        """Where trainings run, in one line for pages and the CLI (never waits on a cluster).

        Returns:
            e.g. 'this server, lab-01 (10.0.0.1): 1 training at a time' or 'the Ray cluster at auto: 2 nodes,
            16 CPUs'.
        """
        ...

    def train(self, cfg: RunConfig, on_event: Callable[[Event], None] | None = None,
              stop: threading.Event | None = None, data_dir: str | None = None,
              log_dir: str | None = None, max_seconds: float | None = None) -> TrainResult:
        """Trains one run, as `rnnviz.training.fit.train` does, wherever this executor trains. Called on one of
        the Trainer's threads, `slots` at once; the caller (the Trainer) alone writes the run store.

        Args:
            cfg: the run's config.
            on_event: called with each note, batch and epoch event as it happens (see `rnnviz.training.fit.Forward`).
            stop: when set, training ends after the batch in progress (the result has `stopped=True`).
            data_dir: folder with the data set's standard files.
            log_dir: where the run's TensorBoard logs are written (if `tensorboard` is installed), or None.
            max_seconds: the ceiling on training time (`RNNVIZ_MAX_RUN_MINUTES`): training ends after the epoch
                that reaches it and the result says so in `details["stopped"]`; None: no ceiling.

        Returns:
            The `TrainResult`, with the training machine's name in `details["node"]`; a result from another
            process carries its model as `.keras` bytes in `packed` and builds `model` only when read.

        Raises:
            WorkerLost: the process or node training it died (only that run fails).
            Exception: whatever the training raised (`rnnviz.training.fit.Diverged`, a `DataError`...).
        """
        ...

    def shutdown(self) -> None:
        """Ends the idle workers it started (training processes, Ray actors); a later `train` starts new ones."""
        ...


def here(workers: int = 1, note: str | None = None, default: str | None = None) -> Executor:
    """The executor on this machine, as `RNNVIZ_EXECUTOR` says: `process` (`ProcessExecutor`, trainings in child
    processes replaced every `RNNVIZ_WORKER_RUNS` runs) or `thread` (`LocalExecutor`).

    Unset, it is `default` when given, else `process` on TensorFlow, whose Keras keeps about 12 MB per
    training for the life of the process (benchmarks/soak.py), and `thread` on the other backends and
    where training processes cannot be started (Windows: no `pass_fds`).

    Args:
        workers: trainings at once.
        note: why a named Ray cluster is not used, or None.
        default: `thread` or `process` when `RNNVIZ_EXECUTOR` is unset.

    Returns:
        A `ProcessExecutor` or a `LocalExecutor`.

    Raises:
        rnnviz.config.env.EnvError: `RNNVIZ_EXECUTOR` or `RNNVIZ_WORKER_RUNS` holds a bad value.
    """
    kind = env.executor() or default or ("process" if backend.configured() == "tensorflow" and PROCESSES
                                         else "thread")
    if kind == "process" and not PROCESSES:
        raise env.EnvError(f"`RNNVIZ_EXECUTOR` must be `thread` on this system ({os.name}): training processes "
                           "need POSIX file-descriptor passing. Fix: unset RNNVIZ_EXECUTOR.")
    if kind == "process":
        return ProcessExecutor(workers, runs=env.worker_runs(), note=note)
    return LocalExecutor(workers, note=note)


def make(workers: int = 1, address: str | None = None, timeout: float = CONNECT_TIMEOUT_S,
         default: str | None = None) -> Executor:
    """The executor for this server: Ray when `address` (default `$RNNVIZ_RAY_ADDRESS`) is set and answers.

    Args:
        workers: trainings at once for this machine's executor.
        address: `auto`, `ray://HOST:10001` or `HOST:6379`; empty or None reads `RNNVIZ_RAY_ADDRESS`.
        timeout: seconds to wait for the cluster.
        default: `thread` or `process` on this machine when `RNNVIZ_EXECUTOR` is unset (see `here`).

    Returns:
        A `RayExecutor`, or the executor on this machine (`here`; its `note` says, in one line, why the named
        cluster is not used) when no address is set, Ray is not installed, or the cluster cannot be reached.
    """
    address = (address or os.environ.get(RAY_ADDRESS, "")).strip()
    if not address:
        return here(workers, default=default)

    def note(why: str, again: bool) -> str:
        return (f"{RAY_ADDRESS}={env.cut(address, 80)!r} is not used: {why}. Trainings run on this server instead "
                f"({workers} at once){'; the cluster is asked again every minute' if again else ''}. Fix: "
                f"{'start the cluster (`ray start --head`) and check' if again else 'correct'} the address, or "
                f"unset {RAY_ADDRESS}.")

    if why := ray.malformed(address):  # never answers: no Ray import, no tries
        return here(workers, default=default, note=note(why, again=False))
    try:
        return ray.connect(address, timeout)
    except ray.NotInstalled as why:
        return here(workers, default=default, note=note(str(why), again=False))
    except ray.Unreachable as why:
        local = here(workers, default=default, note=note(str(why), again=True))
        return ray.Retrying(local, address, timeout, lambda why: note(why, again=True))
