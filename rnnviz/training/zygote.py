"""Training processes forked from one that has imported Keras once (Linux): a new one is ready at once.

Each fresh interpreter spends seconds importing Keras before it trains (about 5 s alone on a 2-core machine,
20 s for four starting together), so when a class presses Train together the first runs waited for imports,
not for training (issue 21, item 7 b). A `Zygote` is one interpreter, started by `subprocess` when the first
training process is needed, that imports Keras and the training code and never trains: each training process
is then `os.fork`ed from it in a few milliseconds and shares its imported pages until it writes them.

Forking is safe here because the zygote never runs a TensorFlow op or starts a thread of its own: the
runtime's thread pools, which do not survive a fork, are created in each child at its first op (a forked child's
run equals a thread run, tests/test_executors.py; four forked at once trained on TensorFlow and on JAX). macOS's
system frameworks refuse work after a fork, so `FORK` is Linux only; elsewhere each training process is a
fresh interpreter (`rnnviz.training.processes`).

Protocol. The server sends one `SOCK_SEQPACKET` message per training process it wants: the pickled environment
the child should have, with the child's two pipe ends as `SCM_RIGHTS` file descriptors. The zygote forks; the
child runs `rnnviz.training.processes._main` on those pipes. The zygote answers on its own pipe with
`("forked", pid)`, and `("ended", pid, wait_status)` when a child ends (it is their parent, so it reaps them).
Closing the socket ends the zygote; its children end when their own pipes close.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import select
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from pathlib import Path

FORK = sys.platform.startswith("linux")
ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding `rnnviz`, put on a new interpreter's path
REAP_S = 0.5  # how often the zygote looks for ended children when no request comes
NICE = 10
"""The training processes' (and the zygote's) CPU priority: below the server's, so on a machine whose cores the
trainings fill, pages and live charts still answer at once and trainings use what is left (measured with 4
trainings on 2 cores: the server got about 40% of a core and students' pages fell 20-50 s behind)."""
FORK_TIMEOUT_S = 300.0  # the longest a fork may take, the zygote's imports included (about 5 s; 20 s when busy)


def background() -> None:
    """Lowers this process's CPU priority to `NICE` (never raises it back: niceness only goes up unprivileged)."""
    with contextlib.suppress(OSError):
        if os.getpriority(os.PRIO_PROCESS, 0) < NICE:
            os.setpriority(os.PRIO_PROCESS, 0, NICE)


class Died(Exception):
    """The zygote's pipe closed or its process ended before it answered."""


def _serve(sock_fd: int, out_fd: int, child: Callable[[int, int], None]) -> None:
    """The zygote's loop: imports Keras and the training code, then forks a training process per request, which
    runs `child` on its two pipe ends (`rnnviz.training.processes._main`)."""
    os.dup2(2, 1)  # as a training process: stdout goes to stderr, never the server's stdout
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C ends the server, whose closed socket then ends this
    background()
    sock, out = socket.socket(fileno=sock_fd), Connection(out_fd, readable=False)
    from rnnviz.training import fit, packed  # noqa: F401  (imports Keras and the training code, once)

    while True:
        ready = select.select([sock], [], [], REAP_S)[0]
        try:
            _reap(out)
            if not ready:
                continue
            msg, fds, _, _ = socket.recv_fds(sock, 1 << 20, 2)
        except OSError:  # the server went away
            os._exit(0)
        if not msg:  # the server closed the socket: no more training processes
            os._exit(0)
        pid = os.fork()
        if pid == 0:
            sock.close(), out.close()
            os.environ.clear()
            os.environ.update(pickle.loads(msg))
            child(*fds)
            os._exit(0)
        for fd in fds:
            os.close(fd)
        try:
            out.send(("forked", pid))
        except OSError:
            os._exit(0)


def _reap(out: Connection) -> None:
    """Tells the server how each ended child ended (its wait status)."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:  # no children
            return
        if pid == 0:
            return
        out.send(("ended", pid, status))


class Zygote:
    """The server's end of one zygote process (module docstring); thread-safe.

    Args:
        backend_name: the Keras backend it imports (`KERAS_BACKEND`).
    """

    def __init__(self, backend_name: str):
        self._sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._replies, out_w = multiprocessing.Pipe(duplex=False)
        fds = (theirs.fileno(), out_w.fileno())
        boot = (f"import sys; sys.path.insert(0, {ROOT!r}); from rnnviz.training import processes, zygote; "
                f"zygote._serve({fds[0]}, {fds[1]}, processes._main)")
        self.proc = subprocess.Popen([sys.executable, "-c", boot], pass_fds=fds, stdin=subprocess.DEVNULL,
                                     env={**os.environ, "KERAS_BACKEND": backend_name})
        theirs.close(), out_w.close()
        self._ended: dict[int, int] = {}  # pid -> wait status, as the zygote reported
        self._lock = threading.Lock()
        self.forked = 0  # training processes forked so far

    def alive(self) -> bool:
        return self.proc.poll() is None

    def fork(self, fds: Sequence[int]) -> int:
        """A new training process running `processes._main(*fds)` with this server's environment; its pid.

        The first call waits for the zygote's imports. Raises `Died` when the zygote is gone, or has not answered
        in `FORK_TIMEOUT_S` (it is then ended).
        """
        with self._lock:
            try:
                socket.send_fds(self._sock, [pickle.dumps(dict(os.environ))], list(fds))
                while True:
                    if not self._replies.poll(FORK_TIMEOUT_S):  # stuck: given up, the next run gets a new one
                        self.proc.kill()
                        raise Died()
                    msg = self._replies.recv()
                    if msg[0] == "forked":
                        self.forked += 1
                        return msg[1]
                    self._ended[msg[1]] = msg[2]
            except (EOFError, OSError) as e:
                raise Died() from e

    def ended(self, pid: int, timeout: float = 0) -> int | None:
        """The exit code of training process `pid` (negative: the signal that killed it), or None while it runs
        (waiting up to `timeout` s for it to end)."""
        with self._lock:
            try:
                while pid not in self._ended and self._replies.poll(timeout):
                    msg = self._replies.recv()
                    if msg[0] == "ended":
                        self._ended[msg[1]] = msg[2]
            except (EOFError, OSError):  # the zygote is gone, and with it what it knew
                return None
            status = self._ended.get(pid)
        return None if status is None else os.waitstatus_to_exitcode(status)

    def close(self) -> None:
        """Ends the zygote (its training processes end when their own pipes close)."""
        self._sock.close()
        self._replies.close()
        self.proc.kill()
        threading.Thread(target=self.proc.wait, name="rnnviz-zygote-reap", daemon=True).start()
