"""Training jobs: train-or-load for one config, and a server-wide queue of background trainings.

Streamlit stops a page's script whenever anyone touches a widget, so training never runs inside a page:
pages submit a config to one `Trainer` per server, which trains on worker threads and keeps each job's
live progress; pages poll it. Two sessions asking for the same config get the same job.

Each session owns its requests: a job remembers the owners (browser sessions; the command line is one) that
asked for it. `Trainer.stop` withdraws one owner's interest; a job that others still wait for keeps training,
and a job nobody waits for stops (a teacher stops it for everyone). The queue serves owners in turn, with a
cap on each one's queued runs (`rnnviz.training.shares`), and a run may train for at most the trainer's
`max_minutes` (then it stops after its epoch and is stored, saying so).

Memory: the trainer holds the jobs that are queued or running, and only the `keep` finished jobs most
recently submitted or looked up (`get`); older finished jobs are forgotten, with their model, snapshots
and events. A page that shows a finished job holds the `Job` itself (in its session state), so a stopped
run's result, which is not stored, stays while that page shows it and goes when the session moves on.
A server that runs all term therefore holds at most `keep` finished jobs plus one per open session.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from rnnviz.config import RunConfig, env
from rnnviz.models import budget
from rnnviz.store import RunStore
from rnnviz.store.runs import StoredRun, StoreError
from rnnviz.training import executors
from rnnviz.training import fit as training
from rnnviz.training.executors import Executor
from rnnviz.training.fit import Event, TrainResult
from rnnviz.training.shares import FairQueue

ACTIVE = ("queued", "running")
KEEP_FINISHED = 16
ANYONE = ""
"""The owner of a request that names none (the command line, scripts)."""


def train_and_store(cfg: RunConfig, store: RunStore, retrain: bool = False,
                    on_event: Callable[[Event], None] | None = None, stop: threading.Event | None = None,
                    data_dir: str | None = None, train: Callable[..., TrainResult] | None = None,
                    max_seconds: float | None = None) -> tuple[StoredRun | None, TrainResult | None]:
    """Loads the stored run for `cfg`, or trains it and stores it when complete.

    `train` trains it (default `rnnviz.training.fit.train`; a Trainer passes its executor's, which may train on a
    Ray node); whatever trains, this process alone writes the store.

    With `max_seconds`, training ends after the epoch that reaches that ceiling, and the run is stored with
    `info["stopped"]` saying so in one line.

    Returns:
        `(stored_run, None)` when it was already stored (and `retrain` is False); `(stored_run, result)`
        after a complete training (or one the ceiling ended); `(None, result)` when `stop` ended training early
        (nothing is stored).
    """
    stored = None if retrain else _stored(store, cfg.run_id)
    if stored is not None:
        return stored, None
    logs = store.tensorboard_dir(cfg.run_id)
    shutil.rmtree(logs, ignore_errors=True)
    try:
        ceiling = {"max_seconds": max_seconds} if max_seconds else {}
        result = (train or training.train)(cfg, on_event=on_event, stop=stop, data_dir=data_dir, log_dir=logs,
                                           **ceiling)
    except BaseException:
        shutil.rmtree(logs, ignore_errors=True)
        raise
    if result.stopped and "stopped" not in result.details:
        shutil.rmtree(logs, ignore_errors=True)  # a stopped run is not kept, nor are its logs
        return None, result
    info = {"params": result.params, "train_seconds": result.train_seconds, "device": result.device,
            "backend": result.backend, "epoch_seconds": result.epoch_seconds, **result.details}
    model = getattr(result, "packed", None) or result.model  # another process's model: stored as its bytes
    return store.save(cfg, model, result.history, result.metrics, info, result.snapshots,
                      batches=result.batches), result


def _stored(store: RunStore, run_id: str) -> StoredRun | None:
    """The stored run, or None when there is none or it is damaged (training again then replaces it).

    Every file is checked, the zips' CRCs too, so a damaged run is never reported as cached.
    """
    try:
        return store.load(run_id, verify=True)
    except (KeyError, StoreError):
        return None


@dataclass(eq=False)  # a job is itself: two jobs of one config are two requests
class Job:
    """One training (or cached load) of one config, as seen by every page that watches it.

    Attributes:
        state: "queued", "running", "done", "stopped" or "failed".
        events: batch and epoch events so far (see `rnnviz.training.fit.Forward`).
        run: the stored run once done.
        result: the in-memory result (its model too), also for a stopped run, which is not stored.
        error: one-line reason when failed, or the line saying the ceiling on training time stopped it.
        exception: the exception when failed (its traceback dropped), for callers that report it in full.
        cached: True when the run was already stored and nothing was trained.
        owners: the sessions that wait for it (`Trainer.stop` withdraws one).
        held: True while it waits for room in its owner's share of the queue (`RNNVIZ_SESSION_QUEUE`).
        max_seconds: the ceiling on its training time, or None.
    """

    cfg: RunConfig
    retrain: bool = False
    state: str = "queued"
    events: list[Event] = field(default_factory=list)
    run: StoredRun | None = None
    result: TrainResult | None = None
    error: str | None = None
    exception: Exception | None = None
    cached: bool = False
    data_dir: str | None = None
    stop_flag: threading.Event = field(default_factory=threading.Event)
    submitted: float = field(default_factory=time.time)
    owners: set[str] = field(default_factory=set)
    held: bool = False
    lane: str = ""  # the owner whose share of the queue it was taken from
    max_seconds: float | None = None

    @property
    def run_id(self) -> str:
        return self.cfg.run_id

    def stop(self) -> None:
        """Asks the training to stop after its current batch (or not to start, if queued), for everyone who waits
        for it. Pages call `Trainer.stop`, which withdraws one session's interest."""
        self.owners.clear()
        self.stop_flag.set()

    def progress(self) -> tuple[float, str]:
        """Fraction done in [0, 1] and a line such as 'Epoch 3/20 · batch 12/50 · ETA 8 s'."""
        epochs = self.cfg.epochs
        if self.state == "done":
            return 1.0, "Done" + (" (loaded from the run store)" if self.cached else "")
        last = next((e for e in reversed(self.events) if e["kind"] != "note"), None)
        if last is None:
            if self.events:
                return 0.0, self.events[-1]["text"]
            if self.state == "queued":
                return 0.0, ("Waiting for room in the queue (a session may have RNNVIZ_SESSION_QUEUE runs queued)"
                             if self.held else "Waiting in the queue")
            return 0.0, "Loading the data, building the model"
        if last["kind"] == "epoch":
            done = last["epoch"] / epochs
            where = f"Epoch {last['epoch']}/{epochs}"
        else:
            done = (last["epoch"] - 1 + last["step"] / last["steps"]) / epochs
            where = f"Epoch {last['epoch']}/{epochs} · batch {last['step']}/{last['steps']}"
        if self.state in ("stopped", "failed"):  # no time is left to estimate
            return min(done, 1.0), f"{self.state.capitalize()} in e{where[1:]} · after {last['seconds']:.0f} s"
        eta = last["seconds"] / done * (1 - done) if done > 0 else float("nan")
        return min(done, 1.0), f"{where} · {last['seconds']:.0f} s elapsed · ETA {eta:.0f} s"


class Trainer:
    """A server-wide pool of training workers over one run store.

    Where the trainings run is its executor's business (an `rnnviz.training.executors.Executor`, picked once
    here): this process, training processes on this machine, or a Ray cluster named by `RNNVIZ_RAY_ADDRESS`.
    Either way its threads store the results. The pages, `python -m rnnviz train`, `sweep` and
    `prepare-lesson` all train through a Trainer. Its worker threads start when there is a run to train and
    end when the queue is empty, at most `executor.slots` at once.

    Args:
        store: where finished runs are kept and looked up.
        workers: trainings that may run at once; others wait in a queue (1 suits a CPU-only machine).
        data_dir: folder with data set files, passed to the loaders.
        keep: finished jobs kept for `get`, the most recently used ones (see the module's docstring).
        executor: where trainings run (default `rnnviz.training.executors.make(workers)`: a Ray cluster when
            `RNNVIZ_RAY_ADDRESS` names one that answers, else this machine's, `executors.here`); its `slots`
            trainings run at once.
        session_queue: runs one owner may have queued (default `RNNVIZ_SESSION_QUEUE`, 12); more wait for room.
        max_minutes: the ceiling on one run's training time in minutes, or a function giving it when a run is
            submitted (the app's: `RNNVIZ_MAX_RUN_MINUTES`, 20 in classroom mode); None: no ceiling.
        running_cap: runs one owner may have training at once, or a function giving it when a worker is free
            (the app's: half the workers, rounded up, in classroom mode, so a sweep leaves workers for the
            class); None: no cap (a lone sweep uses every worker).
    """

    def __init__(self, store: RunStore, workers: int = 1, data_dir: str | None = None,
                 keep: int = KEEP_FINISHED, executor: Executor | None = None, session_queue: int | None = None,
                 max_minutes: float | Callable[[], float | None] | None = None,
                 running_cap: int | Callable[[], int | None] | None = None):
        self.store, self.data_dir, self.workers, self.keep = store, data_dir, workers, keep
        self.executor = executor if executor is not None else executors.make(workers)
        self.max_minutes, self.running_cap = max_minutes, running_cap
        self._queue = FairQueue(session_queue or env.session_queue())
        self._threads = 0  # worker threads alive (at most `executor.slots`)
        self._closed = False
        self._jobs: OrderedDict[str, Job] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()

    def check(self, cfg: RunConfig) -> budget.Estimate:
        """The memory guard for `cfg` on this trainer: its workers, and its training processes' own memory.

        Raises:
            rnnviz.models.budget.TooBig: it would not fit.
        """
        reserved = self.executor.reserved_mb() if self.executor.kind == "process" else 0
        return budget.check(cfg, self.workers, reserved)

    def submit(self, cfg: RunConfig, retrain: bool = False, data_dir: str | None = None,
               owner: str = ANYONE) -> Job:
        """Starts (or joins) the training of `cfg` for `owner`; a stored run is returned at once as a done job.

        Args:
            cfg: the config to train.
            retrain: train even if the run is stored.
            data_dir: folder with the data set's files for this job (default: the trainer's).
            owner: who asks (a browser session's id): the job waits in that owner's share of the queue, and
                `stop(job, owner)` withdraws only that owner's interest.

        Raises:
            rnnviz.models.budget.TooBig: the config would not fit in memory (nothing is queued).
            RuntimeError: after `shutdown`.
        """
        with self._lock:
            job = self._jobs.get(cfg.run_id)
            if job is not None and job.state in ACTIVE:
                job.owners.add(owner)
                return job
            job = Job(cfg, retrain, data_dir=data_dir or self.data_dir, owners={owner})
            stored = None if retrain else _stored(self.store, cfg.run_id)
            if stored is not None:
                job.run, job.state, job.cached = stored, "done", True
            else:
                if self._closed:
                    raise RuntimeError("cannot train after shutdown: this trainer takes no more jobs")
                self.check(cfg)
                minutes = self.max_minutes() if callable(self.max_minutes) else self.max_minutes
                job.max_seconds = minutes * 60 if minutes else None
                self._queue.put(job, owner)
                self._dispatch()
            self._jobs[cfg.run_id] = job
            self._jobs.move_to_end(cfg.run_id)
            self._forget()
            return job

    def stop(self, job: Job, owner: str = ANYONE, everyone: bool = False) -> bool:
        """Withdraws `owner`'s interest in `job` (or everyone's, a teacher's Stop). A job nobody waits for any
        more stops: a queued one leaves the queue, a running one ends after its current batch.

        Returns:
            True when the job stops; False when others still wait for it (it keeps training).
        """
        with self._lock:
            if everyone:
                job.owners.clear()
            else:
                job.owners.discard(owner)
            if job.owners or job.state not in ACTIVE:
                return not job.owners
            job.stop_flag.set()
            if job.state == "queued" and self._queue.remove(job):
                job.state = "stopped"
                self._forget()
            return True

    def get(self, run_id: str) -> Job | None:
        """The latest job for a run id, if it is active or among the `keep` finished jobs used last."""
        with self._lock:
            job = self._jobs.get(run_id)
            if job is not None:
                self._jobs.move_to_end(run_id)
            return job

    def held(self) -> int:
        """How many jobs the trainer holds: the active ones and at most `keep` finished ones."""
        return len(self._jobs)

    def _forget(self) -> None:
        """Drops the least recently used finished jobs beyond `keep` (call with the lock held)."""
        finished = [run_id for run_id, job in self._jobs.items() if job.state not in ACTIVE]
        for run_id in finished[:max(0, len(finished) - self.keep)]:
            del self._jobs[run_id]

    def cap(self) -> int | None:
        """Runs one owner may have training at once now (`running_cap`), or None: no cap."""
        return self.running_cap() if callable(self.running_cap) else self.running_cap

    def queue_position(self, job: Job) -> int:
        """How many queued jobs will start before this one, owners served in turn (0 when it runs or is next)."""
        with self._lock:
            order = self._queue.order(self.cap())
            return next((k for k, j in enumerate(order) if j is job), 0)

    def _dispatch(self) -> None:
        """Starts worker threads while runs wait and slots are free (call with the lock held)."""
        while not self._closed and self._threads < self.executor.slots and len(self._queue):
            self._threads += 1
            threading.Thread(target=self._serve, name="rnnviz-train", daemon=False).start()

    def _serve(self) -> None:
        """A worker thread: trains the queue's next run in turn until none may start (the queue is empty, or its
        owners are at their `running_cap`)."""
        while True:
            with self._lock:
                job = None if self._closed else self._queue.take(self.cap())
                if job is None:
                    self._threads -= 1
                    return
            try:
                self._work(job)
            finally:
                with self._lock:
                    self._queue.finished(job)
                    self._dispatch()  # a slot left idle for this owner's cap may serve them now

    def _work(self, job: Job) -> None:
        if job.stop_flag.is_set():
            job.state = "stopped"
            return
        job.state = "running"
        try:
            job.run, job.result = train_and_store(job.cfg, self.store, job.retrain, job.events.append,
                                                  job.stop_flag, job.data_dir, train=self.executor.train,
                                                  max_seconds=job.max_seconds)
            job.state = "done" if job.run is not None and "stopped" not in job.run.info else "stopped"
            if job.run is not None and job.state == "stopped":  # the ceiling: stored, and the line says why
                job.error = job.run.info["stopped"]
        except Exception as e:  # shown to the user as the job's reason; the server keeps running
            job.error, job.exception = f"{type(e).__name__}: {e}".splitlines()[0], _bare(e)
            job.state = "failed"
        finally:
            with self._lock:
                self._forget()

    def shutdown(self) -> None:
        """Takes no more jobs (the queued ones are stopped) and ends the executor's idle workers (training
        processes, Ray actors); jobs that are running finish first (stop them to end them sooner)."""
        with self._lock:
            self._closed = True
            while (job := self._queue.take()) is not None:
                job.stop_flag.set()
                job.state = "stopped"
        self.executor.shutdown()


def _bare(e: Exception) -> Exception:
    """`e` without its tracebacks (and its chained exceptions' ones), whose frames would keep a run's data."""
    chained: BaseException | None = e
    seen: set[int] = set()
    while chained is not None and id(chained) not in seen:
        seen.add(id(chained))
        chained.__traceback__ = None
        chained = chained.__cause__ or chained.__context__
    return e
