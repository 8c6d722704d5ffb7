"""Where trainings run: one interface, three executors, picked once when the `rnnviz.training.jobs.Trainer` starts.

- `rnnviz.training.processes.ProcessExecutor` (the default on TensorFlow): trainings run in child processes on this
  machine, one per slot, each replaced after `RNNVIZ_WORKER_RUNS` runs, so Keras-on-TensorFlow's per-fit
  leak leaves with them; the server's memory stays flat however many runs a term brings.
- `LocalExecutor` (the default on JAX and PyTorch, or `RNNVIZ_EXECUTOR=thread`): trainings run in this
  process, on the Trainer's worker threads (`RNNVIZ_TRAIN_WORKERS` at once).
- `RayExecutor`, when `RNNVIZ_RAY_ADDRESS` names a cluster (`auto` after `ray start --head` here, or
  `ray://HOST:10001` for a head node that lab machines joined): each training runs in a Ray actor
  (`RunWorker`, one CPU) on whichever node has room; each of the Trainer's threads keeps its actor for its
  next runs, so Keras is imported once per slot, not once per run (a lost actor is replaced). The thread
  polls its actor for batch events and forwards Stop to it, so live charts and Stop work across machines.
  The actor sends back everything the run store needs (the model as `.keras` bytes, history, metrics,
  snapshots, batch curve, TensorBoard logs, its node's name); the server alone writes the store. Each data
  config (and seed) is loaded once on the server and put into Ray's object store, from which every node
  fetches it once. A worker lost mid-run (its process killed, its machine gone) fails that run with
  `WorkerLost`; the other runs go on.

All have `train(cfg, on_event, stop, data_dir, log_dir) -> TrainResult` (as `rnnviz.training.fit.train`),
`slots` (trainings at once), `describe()`, `note` (why a named cluster is not used, or None) and
`shutdown()`. `make()` picks one; an unreachable or malformed address, or Ray not installed, gives this
machine's executor (`here`) with a one-line `note` instead, after at most `CONNECT_TIMEOUT_S` seconds.
Ray is imported only in this module, and only when an address is set.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from collections import OrderedDict
from functools import cache
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from rnnviz.config import RunConfig

RAY_ADDRESS = "RNNVIZ_RAY_ADDRESS"
CONNECT_TIMEOUT_S = 15.0  # the longest a page (or the CLI) waits for a named cluster
PROBE_TIMEOUT_S = 3.0  # a TCP connect to the named host:port, before Ray is asked
POLL_S = 0.25  # how often a Ray run's events are fetched
DATA_KEPT = 4  # data configs kept in the object store (least recently used dropped)
PROCESSES = os.name == "posix"  # `procexec` hands its pipes to the child with `pass_fds` (POSIX only)
DESCRIBE_S = 30.0  # how often the pages' line about the cluster (nodes, CPUs) is refreshed


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


class LocalExecutor:
    """Trains in this process (the Trainer's threads); the default.

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
              data_dir: str | None = None, log_dir: str | None = None):
        """`rnnviz.training.fit.train`, with the node's name in the result's `details` (stored in info.json)."""
        from rnnviz.training import fit as training

        result = training.train(cfg, on_event=on_event, stop=stop, data_dir=data_dir, log_dir=log_dir)
        result.details["node"] = self.node
        return result

    def shutdown(self) -> None:
        """Nothing to release."""


class RunWorker:
    """Trainings on a Ray node, one at a time (made a Ray actor by `RayExecutor`; plain Python here).

    Its methods run on two threads (`max_concurrency=2`): `train` on one, `poll` and `stop` on the other,
    which name the run they mean (a call about an earlier or later run sees no events and stops nothing).
    """

    def __init__(self):
        self.run_id, self.events, self.stop_flag = None, [], threading.Event()
        self.node = node_name()

    def poll(self, run_id: str, since: int) -> tuple[str, int, list[dict[str, Any]]]:
        """The node, the process id and the run's events after the first `since`."""
        return self.node, os.getpid(), self.events[since:] if run_id == self.run_id else []

    def stop(self, run_id: str) -> None:
        """Stops the run's training after its current batch."""
        if run_id == self.run_id:
            self.stop_flag.set()

    def train(self, cfg_dict: dict[str, Any], ds, tensorboard: bool = False) -> dict[str, Any]:
        """Trains `cfg_dict`'s config on `ds`; returns `train_packed`'s dict (this node's name in `details`)."""
        cfg = RunConfig.from_dict(cfg_dict)
        self.events, self.stop_flag = [], threading.Event()
        self.run_id = cfg.run_id
        return train_packed(cfg, self.events.append, self.stop_flag, tensorboard, ds=ds, node=self.node)


def train_packed(cfg: RunConfig, on_event: Callable | None, stop: threading.Event | None, tensorboard: bool,
                 ds=None, data_dir: str | None = None, node: str = "") -> dict[str, Any]:
    """Trains `cfg` in this process and packs the result for another process (a Ray actor's or a child's).

    Args:
        cfg: the run's config.
        on_event: called with each event (see `rnnviz.training.fit.Forward`).
        stop: ends training after the current batch when set.
        tensorboard: also write TensorBoard logs (into a temporary folder, sent back as bytes).
        ds: the run's data (loaded from `cfg.data` and `data_dir` when None).
        data_dir: folder with the data set's files.
        node: this machine's name, put into `details["node"]`.

    Returns:
        The `TrainResult`'s fields except the model, plus the model as `.keras` bytes (`model_bytes`) and
        the TensorBoard log files (relative path -> bytes) under `logs`: what `_unpack` reads.
    """
    from rnnviz.training import fit as training

    with tempfile.TemporaryDirectory(prefix="rnnviz-worker-") as tmp:
        logs = Path(tmp) / "logs"
        result = training.train(cfg, ds=ds, on_event=on_event, stop=stop, data_dir=data_dir,
                                log_dir=str(logs) if tensorboard else None)
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
        import keras

        from rnnviz.models import cells  # noqa: F401  (registers the LSTM variants' cells, so their models load)

        with tempfile.TemporaryDirectory(prefix="rnnviz-model-") as tmp:
            path = Path(tmp) / "model.keras"
            path.write_bytes(self.blob)
            return keras.saving.load_model(path, safe_mode=True)


def _unpack(out: dict[str, Any], log_dir: str | None):
    """A `TrainResult` from `train_packed`'s dict, its model built only when first read (see `_Unpacked`);
    its TensorBoard log files are written under `log_dir`."""
    for rel, blob in out.pop("logs").items():
        if log_dir is not None and not Path(rel).is_absolute() and ".." not in Path(rel).parts:
            (Path(log_dir) / rel).parent.mkdir(parents=True, exist_ok=True)
            (Path(log_dir) / rel).write_bytes(blob)
    return _unpacked(PackedModel(out.pop("model_bytes")), out)


def _unpacked(packed: PackedModel, fields: dict[str, Any]):
    """A `TrainResult` whose `model` is built from `packed` when first read; `packed` is kept for the store.

    Each Keras model built in the server keeps about 0.2 MB on TensorFlow (measured), and the store needs only
    the bytes, so a finished run's model is never built here; a stopped run's is, when its page shows it.
    """
    result = _lazy_result_type()(model=None, **fields)
    result.packed = packed
    return result


@cache
def _lazy_result_type() -> type:
    """`rnnviz.training.fit.TrainResult` with a `model` built from its `packed` bytes on first read (made once,
    lazily: `rnnviz.training.fit` imports Keras)."""
    from rnnviz.training.fit import TrainResult

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


class RayExecutor:
    """Trains each run in a Ray actor on a cluster (see the module's docstring). Made by `make`.

    Args:
        ray: the imported, initialised `ray` module.
        address: the address it was given (for messages).
    """

    kind = "ray"
    note = None

    def __init__(self, ray, address: str):
        self.ray, self.address = ray, address
        self._actor = ray.remote(num_cpus=1, max_concurrency=2)(RunWorker)
        self._data: OrderedDict[str, Any] = OrderedDict()
        self._data_lock = threading.Lock()
        self._slot = threading.local()  # each Trainer thread keeps its actor for its next runs
        self._actors: list = []
        self.slots = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self._line, self._asked = "", 0.0
        self._count()

    def describe(self) -> str:
        """One line for pages, e.g. 'the Ray cluster at ray://head:10001: 5 nodes, 40 CPUs'.

        Never waits on the cluster: the line is refreshed in the background at most every `DESCRIBE_S` s.
        """
        if time.monotonic() - self._asked > DESCRIBE_S:
            self._asked = time.monotonic()
            threading.Thread(target=self._count, name="rnnviz-ray-describe", daemon=True).start()
        return self._line

    def _count(self) -> None:
        """Counts the cluster's live nodes and CPUs into the `describe` line."""
        self._asked = time.monotonic()
        try:
            nodes = sum(1 for n in self.ray.nodes() if n.get("Alive"))
            cpus = int(self.ray.cluster_resources().get("CPU", 0))
        except Exception as e:  # the cluster went away after start
            self._line = f"the Ray cluster at {self.address} (not answering: {type(e).__name__})"
            return
        self._line = f"the Ray cluster at {self.address}: {nodes} node{'s' * (nodes != 1)}, {cpus} CPUs"

    def _dataset(self, cfg: RunConfig, data_dir: str | None, on_event: Callable | None):
        """The object-store reference to `cfg`'s data (loaded here once per data config, seed and folder)."""
        from rnnviz.data import loaders as data

        key = f"{cfg.data!r}|{cfg.seed}|{data_dir}"
        with self._data_lock:
            if key not in self._data:
                note = (lambda text: on_event({"kind": "note", "text": text})) if on_event else None
                self._data[key] = self.ray.put(data.load(cfg.data, cfg.seed, data_dir=data_dir, progress=note))
                while len(self._data) > DATA_KEPT:
                    self._data.popitem(last=False)
            self._data.move_to_end(key)
            return self._data[key]

    def train(self, cfg: RunConfig, on_event: Callable | None = None, stop: threading.Event | None = None,
              data_dir: str | None = None, log_dir: str | None = None):
        """Trains `cfg` in this thread's actor (started on its first run), forwarding its events to `on_event`
        and `stop` to it.

        The actor (a process that has imported Keras) trains this thread's next runs too, unless it was lost.
        With `log_dir` (and `tensorboard` installed here), the worker's TensorBoard logs are written there.

        Raises:
            WorkerLost: the actor's process or node died before the run ended.
        """
        from rnnviz.training.fit import tensorboard_available

        ray = self.ray
        ds_ref = self._dataset(cfg, data_dir, on_event)
        actor = getattr(self._slot, "actor", None)
        if actor is None:
            actor = self._slot.actor = self._actor.remote()
            with self._data_lock:
                self._actors.append(actor)
        done = actor.train.remote(cfg.to_dict(), ds_ref, log_dir is not None and tensorboard_available())
        node, seen, announced = None, 0, False
        try:
            while True:
                ready, _ = ray.wait([done], timeout=POLL_S)
                node, pid, events = ray.get(actor.poll.remote(cfg.run_id, seen))
                if not announced and on_event is not None:
                    on_event({"kind": "note", "text": f"Training on {node}", "node": node, "pid": pid})
                announced = True
                seen += len(events)
                for event in events:
                    if on_event is not None:
                        on_event(event)
                if stop is not None and stop.is_set():
                    actor.stop.remote(cfg.run_id)  # again each poll: the run may not have begun yet
                if ready:
                    return _unpack(ray.get(done), log_dir)
        except ray.exceptions.RayActorError as e:
            self._slot.actor = None  # the next run starts a new one
            ray.kill(actor)
            where = f"on {node}" if node else "before it started"
            reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise WorkerLost(f"The Ray worker training run {cfg.run_id} was lost {where} ({reason[:200]}). "
                             "The other runs go on; submit this one again to retrain it.") from None
        except ray.exceptions.RayTaskError as e:
            cause = getattr(e, "cause", None)
            raise (cause if isinstance(cause, Exception) else RuntimeError(str(e).splitlines()[0])) from None

    def shutdown(self) -> None:
        """Ends this executor's actors and drops the data it put into the object store."""
        with self._data_lock:
            actors, self._actors = self._actors, []
            self._data.clear()
        for actor in actors:
            try:
                self.ray.kill(actor)
            except Exception:  # already gone with its node: nothing to end
                pass


def _probe(address: str) -> str | None:
    """Why `address` cannot be a Ray cluster (malformed, or nothing listens there), or None."""
    if address == "auto":
        return None
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("ray", "tcp") or not parts.hostname or parts.path not in ("", "/"):
        return "it must be `auto`, `ray://HOST:10001` or `HOST:6379`"
    try:
        port = parts.port or (10001 if parts.scheme == "ray" else 6379)
    except ValueError:
        return "its port is not a number from 1 to 65535"
    try:
        with socket.create_connection((parts.hostname, port), timeout=PROBE_TIMEOUT_S):
            return None
    except OSError as e:
        return f"nothing answered at {parts.hostname}:{port} within {PROBE_TIMEOUT_S:.0f} s ({e.strerror or e})"


def _connect(ray, address: str, timeout: float) -> str | None:
    """`ray.init(address)` on a thread, waited for at most `timeout` s; why it failed, or None."""
    outcome: dict[str, BaseException | None] = {}

    def init():
        try:
            import rnnviz

            ray.init(address=address, logging_level="WARNING", log_to_driver=False,
                     runtime_env={"py_modules": [os.path.dirname(rnnviz.__file__)],
                                  "excludes": ["__pycache__"]})
            outcome["error"] = None
        except BaseException as e:  # reported as the reason; the app carries on locally
            outcome["error"] = e

    thread = threading.Thread(target=init, name="rnnviz-ray-connect", daemon=True)
    thread.start()
    thread.join(timeout)
    if "error" not in outcome:
        return f"no answer within {timeout:.0f} s"
    e = outcome["error"]
    return None if e is None else f"{type(e).__name__}: {(str(e).strip().splitlines() or [''])[0][:200]}"


def here(workers: int = 1, note: str | None = None, default: str | None = None):
    """The executor on this machine, as `RNNVIZ_EXECUTOR` says: `process` (`rnnviz.training.processes.ProcessExecutor`,
    trainings in child processes replaced every `RNNVIZ_WORKER_RUNS` runs) or `thread` (`LocalExecutor`).

    Unset, it is `default` when given, else `process` on TensorFlow, whose Keras keeps about 12 MB per
    training for the life of the process (benchmarks/soak.py), and `thread` on the other backends and
    where child processes cannot be started the way `procexec` starts them (Windows: no `pass_fds`).

    Raises:
        rnnviz.config.env.EnvError: `RNNVIZ_EXECUTOR` or `RNNVIZ_WORKER_RUNS` holds a bad value.
    """
    from rnnviz import backend
    from rnnviz.config import env

    kind = env.executor() or default or ("process" if backend.configured() == "tensorflow" and PROCESSES
                                         else "thread")
    if kind == "process" and not PROCESSES:
        raise env.EnvError(f"`RNNVIZ_EXECUTOR` must be `thread` on this system ({os.name}): training processes "
                           "need POSIX file-descriptor passing. Fix: unset RNNVIZ_EXECUTOR.")
    if kind == "process":
        from rnnviz.training.processes import ProcessExecutor

        return ProcessExecutor(workers, runs=env.worker_runs(), note=note)
    return LocalExecutor(workers, note=note)


def make(workers: int = 1, address: str | None = None, timeout: float = CONNECT_TIMEOUT_S,
         default: str | None = None):
    """The executor for this server: Ray when `address` (default `$RNNVIZ_RAY_ADDRESS`) is set and answers.

    Args:
        workers: trainings at once for the local pool.
        address: `auto`, `ray://HOST:10001` or `HOST:6379`; empty or None reads `RNNVIZ_RAY_ADDRESS`.
        timeout: seconds to wait for the cluster.
        default: `thread` or `process` on this machine when `RNNVIZ_EXECUTOR` is unset (see `here`).

    Returns:
        A `RayExecutor`, or the executor on this machine (`here`; its `note` says, in one line, why the named
        cluster is not used) when no address is set, Ray is not installed, or the cluster cannot be reached.
    """
    from rnnviz.config import env

    address = (address or os.environ.get(RAY_ADDRESS, "")).strip()
    if not address:
        return here(workers, default=default)

    def fallback(why: str):
        return here(workers, default=default,
                    note=f"{RAY_ADDRESS}={env.cut(address)!r} is not used: {why}. Trainings run on this server "
                         f"instead ({workers} at once). Fix: start the cluster (`ray start --head`) and check the "
                         f"address, or unset {RAY_ADDRESS}.")

    try:
        import ray
    except ImportError:
        return fallback("Ray is not installed (pip install -r requirements-ray.txt)")
    if ray.is_initialized():  # this process already joined a cluster (e.g. a test's local one)
        return RayExecutor(ray, address)
    why = _probe(address)
    started = time.monotonic()
    if why is None:
        why = _connect(ray, address, timeout)
    if why is not None:
        return fallback(why)
    try:
        return RayExecutor(ray, address)
    except Exception as e:  # connected, then the cluster did not answer
        return fallback(f"{type(e).__name__} {time.monotonic() - started:.0f} s after connecting")
