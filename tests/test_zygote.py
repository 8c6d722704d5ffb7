"""Training processes forked from a zygote that imported Keras once (issue 21, item 7 b)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from rnnviz.config import ImdbData, MemoryData, RunConfig
from rnnviz.store import RunStore
from rnnviz.training import sweep, zygote
from rnnviz.training.jobs import Trainer
from rnnviz.training.processes import ProcessExecutor
from tests import fakedata

BASE = RunConfig(data=MemoryData(steps=8, samples=200), units=2, epochs=1, batch_size=32)
pytestmark = pytest.mark.skipif(not zygote.FORK, reason="training processes are forked on Linux only")


def _parent(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))


def _pids(job) -> list[int]:
    return [e["pid"] for e in job.events if e["kind"] == "note" and "pid" in e]


@pytest.mark.slow  # the zygote imports Keras, then two runs train: 10-40 s on a busy 2-core machine
def test_training_processes_are_forked_from_one_zygote_with_the_servers_environment_of_now(tmp_path, monkeypatch):
    """Each run here needs a new process (one run each): both are forked from the same zygote, which started only
    when the first run needed it, and the second sees an environment variable set after the zygote started."""
    monkeypatch.delenv("RNNVIZ_DATA_DIR", raising=False)
    ex = ProcessExecutor(1, runs=1)
    trainer = Trainer(RunStore(tmp_path / "store"), workers=1, executor=ex)
    try:
        assert ex.fork and ex._zygote is None  # nothing starts before a run needs it
        (first,) = sweep.wait(sweep.submit(trainer, [BASE]))
        assert first.state == "done", first.error
        assert first.events[0]["text"] == "Starting the training processes (Keras is imported once)"
        (pid,) = set(_pids(first))
        zygote_pid = ex._zygote.proc.pid
        fakedata.write_imdb(tmp_path / "data")
        monkeypatch.setenv("RNNVIZ_DATA_DIR", str(tmp_path / "data"))  # read by the child's loader
        imdb = BASE.replace(data=ImdbData(vocab_size=100, maxlen=16), embedding_dim=4)
        (second,) = sweep.wait(sweep.submit(trainer, [imdb]))
        assert second.state == "done", second.error
        (pid2,) = set(_pids(second))
        assert pid2 != pid and ex._zygote.proc.pid == zygote_pid
        for child in (pid, pid2):  # retired after its one run (it sees its pipe close, or is killed first) and
            assert ex._zygote.ended(child, timeout=60) in (0, -signal.SIGKILL)  # reaped by the zygote, its parent
        assert ex._zygote.forked == ex.started == 2
        assert not any("Starting the training processes" in e.get("text", "") for e in second.events)
    finally:
        trainer.shutdown()
    assert ex._zygote is None  # shut down with the executor


@pytest.mark.slow  # a zygote starts and is killed, then a run trains: 10-40 s on a busy 2-core machine
def test_a_zygote_that_died_is_replaced_when_the_next_run_needs_a_process(tmp_path):
    ex = ProcessExecutor(1, runs=1)
    trainer = Trainer(RunStore(tmp_path / "store"), workers=1, executor=ex)
    try:
        (first,) = sweep.wait(sweep.submit(trainer, [BASE]))
        assert first.state == "done", first.error
        dead = ex._zygote
        dead.proc.kill()
        dead.proc.wait()
        (second,) = sweep.wait(sweep.submit(trainer, [BASE.replace(seed=1)]))
        assert second.state == "done", second.error
        assert ex._zygote is not dead and ex._zygote.alive()  # a new one, for this run and the next
        (pid,) = set(_pids(second))
        assert ex._zygote.ended(pid, timeout=60) in (0, -signal.SIGKILL)  # retired after its run, reaped by the zygote
    finally:
        trainer.shutdown()


@pytest.mark.slow  # a training process starts from a fresh interpreter: 5-20 s on a busy 2-core machine
@pytest.mark.parametrize("failure", [signal.SIGKILL, signal.SIGSTOP])
def test_when_the_zygote_cannot_fork_or_hangs_the_run_trains_in_a_fresh_interpreter(tmp_path, monkeypatch, failure):
    """A zygote that ends before it forks (its imports failed, or it was killed), or that answers nothing, costs
    no run: the run trains in a fresh interpreter and a hung zygote is ended."""
    from rnnviz.training import processes

    class Failing(zygote.Zygote):
        def __init__(self, backend_name):
            super().__init__(backend_name)
            os.kill(self.proc.pid, failure)  # SIGSTOP: alive, but answers nothing

    monkeypatch.setattr(processes, "Zygote", Failing)
    monkeypatch.setattr(zygote, "FORK_TIMEOUT_S", 0.5)
    ex = ProcessExecutor(1)
    trainer = Trainer(RunStore(tmp_path / "store"), workers=1, executor=ex)
    try:
        (job,) = sweep.wait(sweep.submit(trainer, [BASE]))
        assert job.state == "done", job.error
        (pid,) = set(_pids(job))
        assert _parent(pid) == os.getpid() and ex._zygote.forked == 0
        assert ex._zygote.proc.wait(timeout=60) == -signal.SIGKILL  # killed, or given up and ended
    finally:
        trainer.shutdown()


@pytest.mark.slow  # the zygote imports Keras: 5-20 s on a busy 2-core machine
def test_the_zygote_ends_by_itself_when_the_server_goes_away():
    """A server killed outright never calls `close`: the zygote sees its socket close and exits (no orphan)."""
    from rnnviz import backend

    z = zygote.Zygote(backend.configured())
    z._sock.close()  # what the kernel does for a server that died
    assert z.proc.wait(timeout=120) == 0
