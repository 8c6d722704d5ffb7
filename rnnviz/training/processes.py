"""Trainings in child processes that are replaced after some runs: the server's memory stays flat on TensorFlow.

Keras on TensorFlow keeps about 12 MB per `fit` for the life of the process, whatever is cleared
(`benchmarks/soak.py`), so a server that trains in its own threads grows all term. `ProcessExecutor` trains
each run in a child process instead, one per slot, and replaces a child after `runs` trainings
(`RNNVIZ_WORKER_RUNS`), which gives its memory back to the system. On Linux a child is forked from a zygote
(`rnnviz.training.zygote`): one interpreter, started with the first child, that has imported Keras and never
trains, so a new child is ready at once instead of after a Keras import of its own (seconds; four at once took
20 s on 2 cores). Elsewhere, or when the zygote cannot fork, a child is a fresh interpreter (forking the server
itself, which has run TensorFlow ops and threads, would be unsafe) started by `subprocess` with two
`multiprocessing` pipes, so unlike `spawn` it never re-runs the server's `__main__` script, which a script or
notebook without an `if __name__ == "__main__"` guard would not survive. A child starts only when a training
needs one; an idle one is kept for the next run. The memory guard counts what they hold
(`ProcessExecutor.reserved_mb`). Children get their pipes by `pass_fds`, so this executor runs on POSIX only
(`rnnviz.training.executors.PROCESSES`).

It works like the Ray executor on one machine: the child trains with `rnnviz.training.packed.train_packed` and
sends back what the run store needs (the model as `.keras` bytes, history, metrics, snapshots, batch curve,
TensorBoard logs); batch events stream over a pipe as they happen, so live charts work; Stop is forwarded;
the server alone writes the store. A child that dies mid-run (killed, out of memory) fails only that run,
with `rnnviz.training.packed.WorkerLost`; the slot gets a new child and the other runs go on.

Protocol (one pipe each way). Server to child: `("train", run_id, cfg_dict, data_dir, tensorboard, max_seconds)`,
`("stop", run_id)`; closing the pipe ends the child (an idle one is killed when replaced). Child to server:
`("ready",)` once Keras is imported, then per run `("event", event)`... and `("done", packed)` or
`("error", exception)`.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from rnnviz import backend
from rnnviz.config import RunConfig
from rnnviz.models import budget
from rnnviz.training.packed import WorkerLost, node_name, train_packed, unpack
from rnnviz.training.zygote import FORK, ROOT, Died, Zygote, background

if TYPE_CHECKING:
    from rnnviz.training.fit import TrainResult  # types only: Keras; a training child imports this before ignoring SIGINT

POLL_S = 0.05  # the longest a Stop waits before it is forwarded
RUNS = 25  # trainings per child before it is replaced (`RNNVIZ_WORKER_RUNS`)


class _Died(Exception):
    """The child's pipe closed or its process ended before it answered."""


def _portable(e: Exception) -> Exception:
    """`e` if it survives pickling (so the server raises the same type), else a RuntimeError naming it."""
    try:
        pickle.loads(pickle.dumps(e))
        return e
    except Exception:  # noqa: BLE001 - any exception the child cannot send becomes its text
        return RuntimeError(f"{type(e).__name__}: {e}")


def _main(cmds_fd: int, out_fd: int) -> None:
    """The child process's loop: imports Keras, says it is ready, then trains each run the server sends."""
    os.dup2(2, 1)  # the child's stdout (Keras's download bars, prints) goes to stderr, never the server's stdout
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C ends the server, whose closed pipe then ends this
    background()  # below the server's priority: pages answer while trainings fill the cores
    cmds, out = Connection(cmds_fd, writable=False), Connection(out_fd, readable=False)

    from rnnviz.training import fit  # noqa: F401  (lazy: imports Keras now, after SIGINT is ignored, before "ready")

    todo: queue.SimpleQueue = queue.SimpleQueue()
    current: list = [None, threading.Event()]  # the run id last sent, and its stop flag

    def listen() -> None:
        while True:
            try:
                msg = cmds.recv()
            except (EOFError, OSError):  # the server closed the pipe (replacing this child) or died
                os._exit(0)
            if msg[0] == "train":
                current[:] = [msg[1], threading.Event()]
                todo.put((msg, current[1]))
            elif msg[0] == "stop" and msg[1] == current[0]:
                current[1].set()

    threading.Thread(target=listen, name="rnnviz-child-listen", daemon=True).start()
    node = node_name()
    try:
        out.send(("ready",))
        while True:
            (_, _, cfg_dict, data_dir, tensorboard, max_seconds), stop = todo.get()
            try:
                packed = train_packed(RunConfig.from_dict(cfg_dict), lambda e: out.send(("event", e)), stop,
                                      tensorboard, data_dir=data_dir, node=node, max_seconds=max_seconds)
                reply: tuple = ("done", packed)
            except Exception as e:  # noqa: BLE001 - raised on the server, as the thread executor would
                reply = ("error", _portable(e))
            out.send(reply)
    except OSError:  # BrokenPipeError: the server went away (or gave this child up); nobody to answer
        os._exit(0)


class _Child:
    """One training process and its two pipe ends (see the module's docstring): forked from `zygote` when one is
    given (`rnnviz.training.zygote`), else a fresh interpreter."""

    def __init__(self, backend_name: str, zygote: Zygote | None = None):
        cmds_r, self.cmds = multiprocessing.Pipe(duplex=False)
        self.out, out_w = multiprocessing.Pipe(duplex=False)
        fds = (cmds_r.fileno(), out_w.fileno())
        self.zygote, self.proc = zygote, None
        try:
            if zygote is not None:
                self.pid = zygote.fork(fds)
            else:
                boot = (f"import sys; sys.path.insert(0, {ROOT!r}); from rnnviz.training import processes; "
                        f"processes._main({fds[0]}, {fds[1]})")
                self.proc = subprocess.Popen([sys.executable, "-c", boot], pass_fds=fds, stdin=subprocess.DEVNULL,
                                             env={**os.environ, "KERAS_BACKEND": backend_name})
                self.pid = self.proc.pid
        finally:
            cmds_r.close(), out_w.close()  # the child's ends: closed here, so the child's death reads as EOF
        self.ready, self.runs = False, 0

    def exit_code(self, timeout: float = 0) -> int | None:
        """The process's exit code (negative: the signal that ended it), or None while it runs."""
        if self.proc is None:
            return self.zygote.ended(self.pid, timeout)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def send(self, msg: tuple) -> None:
        try:
            self.cmds.send(msg)
        except OSError as e:  # BrokenPipeError: the child is gone
            raise _Died() from e

    def messages(self, timeout: float):
        """Yields what the child sent within `timeout` s; raises `_Died` once it is gone (its pipe's EOF)."""
        try:
            while self.out.poll(timeout):
                timeout = 0
                yield self.out.recv()
        except (EOFError, OSError) as e:
            raise _Died() from e

    def how_it_ended(self) -> str:
        """'killed by SIGKILL (...)' or 'exit code 1', once the process has ended."""
        code = self.exit_code(5)
        if code is None:
            return "its pipe closed"
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else f"signal {-code}"
            return f"killed by {name}" + (", perhaps for lack of memory" if -code == signal.SIGKILL else "")
        return f"exit code {code}"

    def retire(self) -> None:
        """Ends the child (idle, or dead already: nothing is lost); its parent (this server or the zygote) reaps it."""
        self.cmds.close()
        self.out.close()
        if self.proc is None:
            if self.exit_code() is None:  # not known to have ended, so its pid is still its own
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
            return
        self.proc.kill()
        threading.Thread(target=self.proc.wait, name="rnnviz-child-reap", daemon=True).start()


class ProcessExecutor:
    """Trains each run in a child process on this machine, replaced after `runs` runs (module docstring).

    Args:
        workers: trainings at once (one child each).
        runs: trainings per child before it is replaced (`RNNVIZ_WORKER_RUNS`).
        note: why a named Ray cluster is not used (shown by pages and the CLI), or None.
    """

    kind = "process"

    def __init__(self, workers: int = 1, runs: int = RUNS, note: str | None = None, fork: bool = FORK):
        if runs < 1:
            raise ValueError(f"`runs` must be a positive int. Received: runs={runs!r}")
        self.slots, self.runs, self.note, self.node, self.fork = workers, runs, note, node_name(), fork
        self.backend = backend.configured()
        self._lock = threading.Lock()
        self._idle: list[_Child] = []  # started only when a training needs one
        self._zygote: Zygote | None = None  # started with the first training process (`fork`)
        self.started = 0  # children started so far (replacements included)

    def reserved_mb(self) -> int:
        """Memory its processes may hold besides the trainings, for the memory guard: the zygote and each forked
        process's own pages, or a whole interpreter with Keras per slot."""
        if self.fork:
            return budget.PROCESS_MB + self.slots * budget.FORKED_MB
        return self.slots * budget.PROCESS_MB

    def _start(self) -> _Child:
        """A new training process: forked from the zygote (started now if there is none, or it died), or a fresh
        interpreter where forking is not used or the zygote failed."""
        if not self.fork:
            return _Child(self.backend)
        with self._lock:
            if self._zygote is None or not self._zygote.alive():
                if self._zygote is not None:
                    self._zygote.close()
                self._zygote = Zygote(self.backend)
            zygote = self._zygote
        try:
            return _Child(self.backend, zygote)
        except Died:  # killed, or its imports failed: this run gets a fresh interpreter (which says why it fails)
            return _Child(self.backend)

    def describe(self) -> str:
        """One line for pages, e.g. 'this server, lab-01 (10.0.0.1): 1 training at a time, in a training
        process renewed every 25 runs'."""
        at_once = "1 training at a time" if self.slots == 1 else f"{self.slots} trainings at once"
        return f"this server, {self.node}: {at_once}, in a training process renewed every {self.runs} runs"

    def pids(self) -> list[int]:
        """The process ids of the idle children (for tests and benchmarks)."""
        with self._lock:
            return [c.pid for c in self._idle]

    def _take(self) -> _Child:
        """An idle child, or a new one; a child that died while idle (killed, out of memory) is replaced here, so
        the run it would have failed does not notice."""
        with self._lock:
            while self._idle:
                child = self._idle.pop(0)
                if child.exit_code() is None:
                    return child
                child.retire()
            self.started += 1
        return self._start()  # no idle child: start one now (its Keras import is the run's first note)

    def _give_back(self, child: _Child, healthy: bool) -> None:
        """Keeps `child` for the next run, or ends it (dead, broken, or done `runs` runs); the next run that needs
        a process starts one."""
        if healthy and child.runs < self.runs:
            with self._lock:
                if len(self._idle) < self.slots:
                    self._idle.append(child)
                    return
        child.retire()

    def train(self, cfg: RunConfig, on_event: Callable | None = None, stop: threading.Event | None = None,
              data_dir: str | None = None, log_dir: str | None = None, max_seconds: float | None = None,
              ) -> TrainResult:
        """Trains `cfg` in a child process, forwarding its events to `on_event` and `stop` to it.

        With `log_dir` (and `tensorboard` installed), the run's TensorBoard logs are written there.

        Raises:
            WorkerLost: the child process died before the run ended (the next run gets a new one).
            Exception: whatever the training raised in the child (`rnnviz.training.fit.Diverged`, a `DataError`...).
        """
        from rnnviz.training.fit import tensorboard_available  # lazy: Keras; a training child imports this before ignoring SIGINT

        emit = on_event if on_event is not None else (lambda event: None)
        if self.fork and not self._idle and (self._zygote is None or not self._zygote.forked):
            emit({"kind": "note", "text": "Starting the training processes (Keras is imported once)",
                  "node": self.node})
        child, healthy = self._take(), False
        try:
            result = self._run(child, cfg, emit, stop, data_dir, log_dir is not None and tensorboard_available(),
                               max_seconds)
            healthy = True
        except _Died:
            where = "during" if child.ready else "before"
            raise WorkerLost(f"The training process (pid {child.pid}) ended {where} run {cfg.run_id}: "
                             f"{child.how_it_ended()}. The other runs go on; submit this one again to retrain "
                             "it.") from None
        except _Failed as e:
            healthy = True
            raise e.error from None
        finally:
            child.runs += 1
            self._give_back(child, healthy)
        return unpack(result, log_dir)

    def _run(self, child: _Child, cfg: RunConfig, emit: Callable, stop: threading.Event | None, data_dir,
             tensorboard: bool, max_seconds: float | None = None) -> dict[str, Any]:
        """Sends one run to `child` and relays its messages until it answers; its packed result."""
        def note(text: str) -> None:
            emit({"kind": "note", "text": text, "pid": child.pid, "node": self.node})

        for msg in child.messages(0):
            child.ready = child.ready or msg[0] == "ready"
        note("Loading the data, building the model" if child.ready else
             "Starting the training process (it imports Keras once)")
        child.send(("train", cfg.run_id, cfg.to_dict(), data_dir, tensorboard, max_seconds))
        stop_sent = False
        while True:
            if stop is not None and stop.is_set() and not stop_sent:
                child.send(("stop", cfg.run_id))
                stop_sent = True
            for msg in child.messages(POLL_S):
                if msg[0] == "ready":
                    child.ready = True
                    note("Loading the data, building the model")
                elif msg[0] == "event":
                    emit(msg[1])
                elif msg[0] == "done":
                    return msg[1]
                elif msg[0] == "error":
                    raise _Failed(msg[1])

    def shutdown(self) -> None:
        """Ends the idle children and the zygote (a later `train` starts new ones)."""
        with self._lock:
            idle, self._idle, zygote, self._zygote = self._idle, [], self._zygote, None
        for child in idle:
            child.retire()
        if zygote is not None:
            zygote.close()


class _Failed(Exception):
    """The training raised in the child; `error` is its exception (raised on the server)."""

    def __init__(self, error: Exception):
        super().__init__(str(error))
        self.error = error
