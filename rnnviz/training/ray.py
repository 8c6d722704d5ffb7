"""Trainings on a Ray cluster: an actor per Trainer thread on whichever node has room. Ray is imported only here.

`connect(address)` joins the cluster that `RNNVIZ_RAY_ADDRESS` names (`auto` after `ray start --head` here, or
`ray://HOST:10001` for a head node that lab machines joined) and gives a `RayExecutor`, or raises
`Unreachable` with the reason in a few words (malformed, nothing listening, no answer within the timeout, Ray
not installed); `rnnviz.training.executors.make` then falls back to this machine with a one-line note.

Each training runs in a Ray actor (`RunWorker`, one CPU); each of the Trainer's threads keeps its actor for
its next runs, so Keras is imported once per slot, not once per run (a lost actor is replaced). The thread
polls its actor for batch events and forwards Stop to it, so live charts and Stop work across machines. The
actor sends back everything the run store needs (`rnnviz.training.packed.train_packed`: the model as `.keras`
bytes, history, metrics, snapshots, batch curve, TensorBoard logs, its node's name); the server alone writes
the store. Each data config (and seed) is loaded once on the server and put into Ray's object store, from
which every node fetches it once. A worker lost mid-run (its process killed, its machine gone) fails that run
with `WorkerLost`; the other runs go on.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import rnnviz
from rnnviz.config import RunConfig
from rnnviz.data import loaders as data
from rnnviz.training.fit import TrainResult, tensorboard_available
from rnnviz.training.packed import WorkerLost, node_name, train_packed, unpack

PROBE_TIMEOUT_S = 3.0  # a TCP connect to the named host:port, before Ray is asked
POLL_S = 0.25  # how often a Ray run's events are fetched
DATA_KEPT = 4  # data configs kept in the object store (least recently used dropped)
DESCRIBE_S = 30.0  # how often the pages' line about the cluster (nodes, CPUs) is refreshed
RETRY_S = 60.0  # how often a named cluster that did not answer is asked again (`Retrying`)


class Unreachable(Exception):
    """The named cluster cannot be used; the message says why in a few words (for the fallback's note)."""


class NotInstalled(Unreachable):
    """Ray is not installed here (asking the cluster again would not help)."""


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

    def train(self, cfg_dict: dict[str, Any], ds, tensorboard: bool = False,
              max_seconds: float | None = None) -> dict[str, Any]:
        """Trains `cfg_dict`'s config on `ds`; returns `train_packed`'s dict (this node's name in `details`)."""
        cfg = RunConfig.from_dict(cfg_dict)
        self.events, self.stop_flag = [], threading.Event()
        self.run_id = cfg.run_id
        return train_packed(cfg, self.events.append, self.stop_flag, tensorboard, ds=ds, node=self.node,
                            max_seconds=max_seconds)


class RayExecutor:
    """Trains each run in a Ray actor on a cluster (see the module's docstring). Made by `connect`.

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
              data_dir: str | None = None, log_dir: str | None = None, max_seconds: float | None = None,
              ) -> TrainResult:
        """Trains `cfg` in this thread's actor (started on its first run), forwarding its events to `on_event`
        and `stop` to it.

        The actor (a process that has imported Keras) trains this thread's next runs too, unless it was lost.
        With `log_dir` (and `tensorboard` installed here), the worker's TensorBoard logs are written there.

        Raises:
            WorkerLost: the actor's process or node died before the run ended.
        """
        ray = self.ray
        ds_ref = self._dataset(cfg, data_dir, on_event)
        actor = getattr(self._slot, "actor", None)
        if actor is None:
            actor = self._slot.actor = self._actor.remote()
            with self._data_lock:
                self._actors.append(actor)
        done = actor.train.remote(cfg.to_dict(), ds_ref, log_dir is not None and tensorboard_available(), max_seconds)
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
                    return unpack(ray.get(done), log_dir)
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


def connect(address: str, timeout: float) -> RayExecutor:
    """Joins the Ray cluster at `address` (or the one this process already joined) within `timeout` seconds.

    Args:
        address: `auto`, `ray://HOST:10001` or `HOST:6379`.
        timeout: seconds to wait for the cluster to answer.

    Returns:
        The `RayExecutor` on that cluster.

    Raises:
        Unreachable: Ray is not installed, the address is malformed, nothing answers there in time, or the
            cluster stopped answering once joined (the message says which, in a few words).
    """
    try:
        import ray  # lazy: Ray is optional (requirements-ray.txt) and slow to import; only a named cluster needs it
    except ImportError:
        raise NotInstalled("Ray is not installed (pip install -r requirements-ray.txt)") from None
    if ray.is_initialized():  # this process already joined a cluster (e.g. a test's local one)
        return RayExecutor(ray, address)
    why = malformed(address) or _probe(address)
    started = time.monotonic()
    if why is None:
        why = _join(ray, address, timeout)
    if why is not None:
        raise Unreachable(why)
    try:
        return RayExecutor(ray, address)
    except Exception as e:  # connected, then the cluster did not answer
        raise Unreachable(f"{type(e).__name__} {time.monotonic() - started:.0f} s after connecting") from None


def malformed(address: str) -> str | None:
    """Why `address` cannot name a Ray cluster (`auto`, `ray://HOST:10001` or `HOST:6379`), or None."""
    if address == "auto":
        return None
    try:
        parts = urlsplit(address if "://" in address else f"tcp://{address}")
        host = parts.hostname
    except ValueError:  # e.g. an unclosed [IPv6 bracket
        parts = host = None
    if not host or parts.scheme not in ("ray", "tcp") or parts.path not in ("", "/"):
        return "it must be `auto`, `ray://HOST:10001` or `HOST:6379`"
    try:
        host.encode("idna")  # the resolver's own check: an empty or over-long part between dots fails here
    except UnicodeError:
        return f"its host name {host[:80]!r} is malformed (an empty or over-long part between dots)"
    try:
        parts.port  # noqa: B018  (a property that checks the port)
    except ValueError:
        return "its port is not a number from 1 to 65535"
    return None


def _probe(address: str) -> str | None:
    """Why nothing answers at `address` (a well-formed one, see `malformed`), or None."""
    if address == "auto":
        return None
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    port = parts.port or (10001 if parts.scheme == "ray" else 6379)
    try:
        with socket.create_connection((parts.hostname, port), timeout=PROBE_TIMEOUT_S):
            return None
    except (OSError, UnicodeError) as e:
        return f"nothing answered at {parts.hostname}:{port} within {PROBE_TIMEOUT_S:.0f} s ({e.strerror or e})" \
            if isinstance(e, OSError) else f"its host name cannot be looked up ({e})"


def _join(ray, address: str, timeout: float) -> str | None:
    """`ray.init(address)` on a thread, waited for at most `timeout` s; why it failed, or None."""
    outcome: dict[str, BaseException | None] = {}

    def init():
        try:
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


class Retrying:
    """This machine's executor while the named cluster does not answer; the cluster is asked again in the
    background, at most every `RETRY_S` seconds (when a training starts or a page asks where trainings run), and
    once it answers the next trainings go there. Made by `rnnviz.training.executors.make`.

    Args:
        local: the executor on this machine (a `ProcessExecutor` or `LocalExecutor`), whose `note` says why
            the cluster is not used.
        address: the cluster's address.
        timeout: seconds each try waits for the cluster.
        note_for: the note for a reason the cluster did not answer.
    """

    def __init__(self, local, address: str, timeout: float, note_for: Callable[[str], str]):
        self.local, self.address, self.timeout, self._note_for = local, address, timeout, note_for
        self.kind, self.slots, self.note = local.kind, local.slots, local.note
        self.cluster: RayExecutor | None = None
        self._next, self._trying = time.monotonic() + RETRY_S, False
        self._lock = threading.Lock()

    def _current(self):
        """The cluster's executor once it answered, else this machine's (starting a try when one is due)."""
        with self._lock:
            due = self.cluster is None and not self._trying and time.monotonic() >= self._next
            self._trying = self._trying or due
        if due:
            threading.Thread(target=self._retry, name="rnnviz-ray-retry", daemon=True).start()
        return self.cluster or self.local

    def _retry(self) -> None:
        try:
            cluster = connect(self.address, self.timeout)
        except Exception as why:  # noqa: BLE001 - Unreachable, or whatever else a half-started cluster raises
            self.note = self._note_for(str(why) if isinstance(why, Unreachable) else type(why).__name__)
            cluster = None
        with self._lock:
            self._next, self._trying = time.monotonic() + RETRY_S, False
        if cluster is not None:
            self.cluster, self.kind, self.note = cluster, cluster.kind, None
            self.local.shutdown()  # its idle training processes are not needed any more

    def describe(self) -> str:
        """Where trainings run now (never waits on the cluster)."""
        return self._current().describe()

    def train(self, cfg: RunConfig, on_event: Callable | None = None, stop: threading.Event | None = None,
              data_dir: str | None = None, log_dir: str | None = None) -> TrainResult:
        """Trains on the cluster once it answered, else on this machine (see `Executor.train`)."""
        return self._current().train(cfg, on_event, stop, data_dir, log_dir)

    def shutdown(self) -> None:
        """Ends the idle workers of both."""
        self.local.shutdown()
        if self.cluster is not None:
            self.cluster.shutdown()
