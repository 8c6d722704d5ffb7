"""Where trainings run: the local pool, a real local Ray cluster (no mocks), and an unreachable address.

The Ray tests start one local cluster for the module (`ray.init(num_cpus=2, include_dashboard=False)`) and
stop it after; they skip when Ray is not installed (`pip install -r requirements-ray.txt`).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rnnviz import cli
from rnnviz.config import MemoryData, RunConfig
from rnnviz.store import RunStore
from rnnviz.training import executors, sweep
from rnnviz.training.fit import tensorboard_available
from rnnviz.training.jobs import ACTIVE, Trainer

BASE = RunConfig(data=MemoryData(steps=8, samples=200), units=2, epochs=1, batch_size=32)
LONG = BASE.replace(epochs=1000)  # stopped or killed long before its end
TINY = ["--data", "memory", "--set", "steps=8", "--set", "samples=200", "--units", "2", "--epochs", "1",
        "--batch-size", "32"]
ROOT = Path(__file__).resolve().parents[1]


def _closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _until(condition, what: str, limit: float = 120.0) -> None:
    """Waits until `condition()` holds (fails naming `what` if it never does)."""
    end = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_the_three_executors_implement_the_declared_interface():
    """`Executor` is the interface the Trainer uses; each implementation has its members, with its signatures."""
    import inspect

    from rnnviz.training.local import LocalExecutor
    from rnnviz.training.processes import ProcessExecutor
    from rnnviz.training.ray import RayExecutor

    assert executors.LocalExecutor is LocalExecutor and executors.ProcessExecutor is ProcessExecutor
    assert executors.RayExecutor is RayExecutor
    params = lambda f: [(p.name, p.kind, p.default) for p in inspect.signature(f).parameters.values()]  # noqa: E731
    for cls in (LocalExecutor, ProcessExecutor, RayExecutor):
        for name in ("describe", "train", "shutdown"):
            assert params(getattr(cls, name)) == params(getattr(executors.Executor, name)), (cls.__name__, name)
    assert [c.kind for c in (LocalExecutor, ProcessExecutor, RayExecutor)] == ["local", "process", "ray"]
    ex = executors.LocalExecutor(2)
    assert isinstance(ex, executors.Executor) and (ex.kind, ex.slots, ex.note) == ("local", 2, None)


def test_no_address_is_the_local_pool(monkeypatch):
    monkeypatch.delenv(executors.RAY_ADDRESS, raising=False)
    ex = executors.make(workers=2)
    assert (ex.kind, ex.slots, ex.note) == ("local", 2, None)
    assert "2 trainings at once" in ex.describe()


@pytest.mark.parametrize("address, why", [
    ("127.0.0.1:{port}", "nothing answered at 127.0.0.1:{port}"),
    ("ray://127.0.0.1:{port}", "nothing answered at 127.0.0.1:{port}"),
    ("http://somewhere:80", "it must be `auto`, `ray://HOST:10001` or `HOST:6379`"),
    ("ray://host:port", "its port is not a number"),
])
def test_unreachable_or_malformed_address_falls_back_with_one_note(monkeypatch, address, why):
    pytest.importorskip("ray")
    port = _closed_port()
    monkeypatch.setenv(executors.RAY_ADDRESS, address.format(port=port))
    ex = executors.make(workers=1)
    assert ex.kind == "local" and ex.slots == 1
    assert ex.note.startswith(f"RNNVIZ_RAY_ADDRESS={address.format(port=port)!r} is not used: "
                              f"{why.format(port=port)}")
    assert "Trainings run on this server instead" in ex.note and len(ex.note.splitlines()) == 1


def test_a_port_that_is_not_ray_falls_back_within_the_timeout():
    """Something listens but never answers as Ray: the connect is abandoned after `timeout` (in a subprocess,
    which must also exit although the abandoned attempt goes on in its thread)."""
    pytest.importorskip("ray")
    code = ("import socket\n"
            "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(5)\n"
            "from rnnviz.training import executors\n"
            "ex = executors.make(1, f'127.0.0.1:{s.getsockname()[1]}', timeout=2)\n"
            "print(ex.kind, ex.note)\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    kind, note = proc.stdout.split(" ", 1)  # the note names the abandoned wait, not a connection error
    assert kind == "local" and "is not used: no answer within 2 s. Trainings run on this server instead" in note


def test_cli_sweep_with_unreachable_address_says_so_once_and_trains_here(monkeypatch, capsys):
    pytest.importorskip("ray")
    monkeypatch.setenv(executors.RAY_ADDRESS, f"127.0.0.1:{_closed_port()}")
    assert cli.main(["sweep", *TINY, "--vary", "seed=1", "--json"]) == 0
    out, err = capsys.readouterr()
    assert err.count("RNNVIZ_RAY_ADDRESS=") == 1 and "is not used: nothing answered" in err
    (run,) = json.loads(out)["runs"]
    assert run["state"] == "done" and run["node"] == executors.node_name()


def test_app_with_unreachable_address_shows_one_note_and_trains_here(monkeypatch, rnnviz_home):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv(executors.RAY_ADDRESS, f"127.0.0.1:{_closed_port()}")
    st.cache_resource.clear()  # a fresh trainer, which picks its executor from the address
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    for page in (at, at.switch_page("pages/train.py").run()):
        notes = [w.value for w in page.warning if "RNNVIZ_RAY_ADDRESS" in w.value]
        assert len(notes) == 1 and "is not used" in notes[0] and "Trainings run on this server instead" in notes[0]
    assert any(f"on this server, {executors.node_name()}" in c.value for c in at.caption)
    st.cache_resource.clear()


MALFORMED = ["head..school:6379", f"ray://{'a' * 64}.school:10001", "[::1:6379"]


@pytest.mark.parametrize("address", MALFORMED)
def test_a_malformed_address_falls_back_with_one_note_and_no_ray(monkeypatch, address):
    """Issue 21, item 6: an empty or over-long host label raised UnicodeError from the resolver."""
    monkeypatch.setenv(executors.RAY_ADDRESS, address)
    ex = executors.make(workers=1)
    assert ex.kind == "local" and len(ex.note.splitlines()) == 1
    assert "is not used: " in ex.note and ("is malformed" in ex.note or "it must be `auto`" in ex.note)
    assert "asked again" not in ex.note  # a malformed address never answers: not tried again


@pytest.mark.parametrize("command", ["train", "sweep"])
def test_cli_train_and_sweep_with_a_malformed_address_say_so_once_and_exit_0(monkeypatch, capsys, command):
    monkeypatch.setenv(executors.RAY_ADDRESS, MALFORMED[0])
    assert cli.main([command, *TINY, *(["--vary", "seed=1"] if command == "sweep" else [])]) == 0
    err = capsys.readouterr().err
    assert err.count("RNNVIZ_RAY_ADDRESS=") == 1 and "'head..school' is malformed" in err


def test_app_with_a_malformed_address_shows_one_note_on_home_and_train(monkeypatch, rnnviz_home):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv(executors.RAY_ADDRESS, MALFORMED[0])
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    for page in (at, at.switch_page("pages/train.py").run()):
        assert not page.exception, page.exception
        notes = [w.value for w in page.warning if "RNNVIZ_RAY_ADDRESS" in w.value]
        assert len(notes) == 1 and "is malformed" in notes[0]
    st.cache_resource.clear()


def test_a_cluster_that_did_not_answer_is_asked_again_and_then_used(monkeypatch):
    """The cluster was tried once per server and never again: now it is asked again (every `RETRY_S` s, in the
    background) and, once it answers, the next trainings go there."""
    from rnnviz.training import ray as ray_executor

    class Cluster:
        kind, slots, note = "ray", 4, None

        def describe(self):
            return "the Ray cluster at head:6379: 2 nodes, 4 CPUs"

        def train(self, cfg, on_event=None, stop=None, data_dir=None, log_dir=None):
            return "trained on the cluster"

        def shutdown(self):
            pass

    answers = [ray_executor.Unreachable("nothing answered"), ray_executor.Unreachable("still nothing"), Cluster()]
    tries = []

    def connect(address, timeout):
        tries.append(address)
        answer = answers[len(tries) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(ray_executor, "connect", connect)
    monkeypatch.setattr(ray_executor, "RETRY_S", 0.0)
    ex = executors.make(workers=1, address="head:6379", default="thread")
    assert ex.kind == "local" and "nothing answered" in ex.note and "asked again every minute" in ex.note
    assert isinstance(ex, executors.Executor)
    end = time.monotonic() + 30
    while ex.kind != "ray" and time.monotonic() < end:
        ex.describe()  # a page asking where trainings run: starts a try when one is due, never waits
        time.sleep(0.01)
    assert ex.kind == "ray" and ex.note is None and len(tries) == 3
    assert ex.describe().startswith("the Ray cluster") and ex.train(RunConfig()) == "trained on the cluster"


@pytest.fixture(scope="module")
def cluster():
    """A local Ray cluster with 2 CPUs for this module; yields its address (`HOST:PORT`)."""
    ray = pytest.importorskip("ray")
    old = os.environ.get("RAY_AUTH_MODE")
    os.environ["RAY_AUTH_MODE"] = "disabled"  # a private test cluster: no token
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()
        if old is None:
            os.environ.pop("RAY_AUTH_MODE", None)
        else:
            os.environ["RAY_AUTH_MODE"] = old


@pytest.fixture
def ray_trainer(cluster, monkeypatch, tmp_path):
    """A Trainer whose executor is the module's cluster (picked through `RNNVIZ_RAY_ADDRESS`)."""
    monkeypatch.setenv(executors.RAY_ADDRESS, cluster)
    trainer = Trainer(RunStore(tmp_path / "ray_store"))
    assert trainer.executor.kind == "ray" and trainer.executor.slots == 2
    assert trainer.executor.describe() == f"the Ray cluster at {cluster}: 1 node, 2 CPUs"
    yield trainer
    trainer.executor.shutdown()  # its actors hold the cluster's CPUs


def _pid(job) -> int:
    """The process id of the Ray worker training `job` (from its first note)."""
    return next(e["pid"] for e in job.events if e["kind"] == "note" and "pid" in e)


@pytest.mark.slow  # long: 10-60 s on a busy 2-core machine; the full run (README, CI) keeps it
def test_six_run_sweep_through_ray_stores_the_same_runs_as_the_local_pool(ray_trainer, tmp_path):
    vary, configs = sweep.from_items(BASE, ["cell=simple_rnn,lstm,gru", "steps=8,10"])
    assert len(configs) == 6
    local = Trainer(RunStore(tmp_path / "local_store"), workers=1, executor=executors.LocalExecutor(1))
    here = sweep.wait(sweep.submit(local, configs))
    there = sweep.wait(sweep.submit(ray_trainer, configs))
    assert [j.state for j in here + there] == ["done"] * 12, [j.error for j in here + there]
    for a, b in zip(here, there):
        assert a.run_id == b.run_id
        assert b.run.history["loss"][-1] == pytest.approx(a.run.history["loss"][-1], rel=1e-4)
        assert b.run.metrics["val_mse"] == pytest.approx(a.run.metrics["val_mse"], rel=1e-4)
        assert b.run.info["node"].startswith(socket.gethostname() + " (")
        assert len(b.run.history["loss"]) == 1 and b.run.snapshots().keys() == a.run.snapshots().keys()
    stored, problems = ray_trainer.store.list()
    assert problems == [] and sorted(r.run_id for r in stored) == sorted(c.run_id for c in configs)
    # the batch events came back live, as the local pool's did
    assert [e["loss"] for e in there[0].events if e["kind"] == "batch"] == pytest.approx(
        [e["loss"] for e in here[0].events if e["kind"] == "batch"], rel=1e-4)
    assert len(ray_trainer.executor._data) == 2  # one object-store copy per data config (steps 8 and 10)
    assert len({_pid(j) for j in there}) == 2  # one worker process per slot, each training 3 runs
    # the worker's TensorBoard logs were sent back and written here, in the local pool's layout
    layout = lambda store, run_id: sorted(p.parent.relative_to(store.tensorboard_dir(run_id)).as_posix()  # noqa: E731
                                          for p in store.tensorboard_dir(run_id).rglob("events.out.tfevents.*"))
    for a, b in zip(here, there):
        assert layout(ray_trainer.store, b.run_id) == layout(local.store, a.run_id)
        assert (layout(local.store, a.run_id) != []) == tensorboard_available()
    # run again: every run is loaded from the store, nothing trains
    assert all(j.cached for j in sweep.submit(ray_trainer, configs))


@pytest.mark.slow  # long: 10-60 s on a busy 2-core machine; the full run (README, CI) keeps it
def test_stop_reaches_the_ray_worker(ray_trainer):
    job = ray_trainer.submit(LONG)
    _until(lambda: any(e["kind"] == "batch" for e in job.events), "the first batch event")
    job.stop()
    _until(lambda: job.state not in ACTIVE, "the stopped run to end")
    assert job.state == "stopped" and job.run is None and job.error is None
    assert len(job.result.history["loss"]) < LONG.epochs
    assert not ray_trainer.store.has(LONG.run_id)


@pytest.mark.slow  # long: 10-60 s on a busy 2-core machine; the full run (README, CI) keeps it
def test_killed_worker_fails_its_run_the_others_finish_and_the_store_is_intact(ray_trainer):
    doomed = ray_trainer.submit(LONG.replace(seed=7))
    _until(lambda: any(e["kind"] == "batch" for e in doomed.events), "the doomed run's first batch")
    others = sweep.submit(ray_trainer, [BASE.replace(seed=s) for s in (1, 2)])
    os.kill(_pid(doomed), signal.SIGKILL)
    sweep.wait([doomed, *others])
    assert doomed.state == "failed"
    assert doomed.error.startswith(f"WorkerLost: The Ray worker training run {doomed.run_id} was lost on "
                                   f"{socket.gethostname()} (")
    assert [j.state for j in others] == ["done", "done"]
    stored, problems = ray_trainer.store.list()
    assert problems == [] and sorted(r.run_id for r in stored) == sorted(j.run_id for j in others)
    for job in others:
        ray_trainer.store.load(job.run_id, verify=True)


@pytest.mark.slow  # long: 10-60 s on a busy 2-core machine; the full run (README, CI) keeps it
def test_cli_sweep_json_on_the_cluster(cluster, rnnviz_home):
    env = {**os.environ, executors.RAY_ADDRESS: cluster, "RNNVIZ_HOME": str(rnnviz_home)}
    proc = subprocess.run([sys.executable, "-m", "rnnviz", "sweep", *TINY, "--vary", "cell=lstm,gru", "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "is not used" not in proc.stderr and f"on the Ray cluster at {cluster}" in proc.stderr
    out = json.loads(proc.stdout)
    assert out["vary"] == {"cell": ["lstm", "gru"]}
    assert [(r["config"]["cell"], r["state"], r["cached"]) for r in out["runs"]] == [
        ("lstm", "done", False), ("gru", "done", False)]
    for r in out["runs"]:
        assert r["node"].startswith(socket.gethostname() + " (") and 0 < r["metrics"]["val_mse"] < 10
        assert {"run_id", "cached", "config", "metrics", "train_seconds", "device"} <= r.keys()
    stored, problems = RunStore(rnnviz_home).list()
    assert problems == [] and sorted(r.run_id for r in stored) == sorted(r["run_id"] for r in out["runs"])


@pytest.mark.slow  # long: 10-60 s on a busy 2-core machine; the full run (README, CI) keeps it
def test_cli_train_runs_on_the_cluster(cluster, monkeypatch, capsys, rnnviz_home):
    monkeypatch.setenv(executors.RAY_ADDRESS, cluster)
    assert cli.main(["train", *TINY, "--seed", "5", "--json"]) == 0
    out, err = capsys.readouterr()
    assert f"on the Ray cluster at {cluster}" in err and "is not used" not in err
    run = json.loads(out)
    assert run["cached"] is False and run["node"] == executors.node_name()
    assert RunStore(rnnviz_home).load(run["run_id"], verify=True).info["node"] == run["node"]


# --- training processes (rnnviz.training.processes): issue 11 item 6, the server's memory stays flat on TensorFlow ---

def _proc_pids(job) -> list[int]:
    """The training processes' ids named by `job`'s notes."""
    return [e["pid"] for e in job.events if e["kind"] == "note" and "pid" in e]


@pytest.fixture
def proc_trainer(tmp_path):
    """A one-slot Trainer whose runs go to a `ProcessExecutor` (ended after the test)."""
    from rnnviz.training.processes import ProcessExecutor

    trainer = Trainer(RunStore(tmp_path / "proc_store"), workers=1, executor=ProcessExecutor(1, runs=25))
    yield trainer
    trainer.executor.shutdown()


def test_on_tensorflow_the_default_is_the_process_executor(monkeypatch):
    from rnnviz import backend

    monkeypatch.delenv("RNNVIZ_EXECUTOR")
    monkeypatch.setattr(backend, "configured", lambda: "tensorflow")  # whichever backend this pass imported
    ex = executors.make(workers=1)
    try:
        assert ex.kind == "process" and ex.slots == 1 and ex.note is None
        assert ex.pids() == [] and ex.started == 0  # a training process starts only when a run needs one
        assert ex.describe().endswith("1 training at a time, in a training process renewed every 25 runs")
    finally:
        ex.shutdown()
    monkeypatch.setenv("RNNVIZ_WORKER_RUNS", "3")
    ex = executors.make(workers=2)
    try:
        assert ex.kind == "process" and (ex.slots, ex.runs) == (2, 3) and ex.pids() == []
    finally:
        ex.shutdown()
    assert executors.make(workers=1, default="thread").kind == "local"  # `python -m rnnviz train`'s one run
    monkeypatch.setenv("RNNVIZ_EXECUTOR", "thread")
    assert executors.make(workers=1).kind == "local"
    monkeypatch.delenv("RNNVIZ_EXECUTOR")
    monkeypatch.setattr(backend, "configured", lambda: "jax")  # no per-fit leak to escape: threads
    assert executors.make(workers=1).kind == "local"


def test_without_fd_passing_tensorflow_trains_on_threads_and_asking_for_processes_is_a_message(monkeypatch):
    from rnnviz import backend
    from rnnviz.config import env

    monkeypatch.delenv("RNNVIZ_EXECUTOR")
    monkeypatch.setattr(backend, "configured", lambda: "tensorflow")
    monkeypatch.setattr(executors, "PROCESSES", False)  # as on Windows
    assert executors.make(workers=1).kind == "local"
    monkeypatch.setenv("RNNVIZ_EXECUTOR", "process")
    with pytest.raises(env.EnvError, match="RNNVIZ_EXECUTOR.*thread"):
        executors.make(workers=1)


def test_a_process_run_equals_a_thread_run(proc_trainer, tmp_path):
    """Same seed, same run: the history, metrics, weights, snapshots and the live batch events match the thread
    executor's; the server stored what the child sent."""
    cfg = BASE.replace(seed=3, epochs=2)
    local = Trainer(RunStore(tmp_path / "local_store"), workers=1, executor=executors.LocalExecutor(1))
    here = sweep.wait(sweep.submit(local, [cfg]))[0]
    there = sweep.wait(sweep.submit(proc_trainer, [cfg]))[0]
    assert (here.state, there.state) == ("done", "done"), (here.error, there.error)
    assert there.run.history.keys() == here.run.history.keys() == {"loss", "val_loss"}
    for key, curve in here.run.history.items():
        assert there.run.history[key] == pytest.approx(curve, rel=1e-5)
    assert there.run.metrics == pytest.approx(here.run.metrics, rel=1e-5)
    for a, b in zip(here.run.load_model().get_weights(), there.run.load_model().get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-7)
    assert there.run.snapshots().keys() == here.run.snapshots().keys() == {0, 1, 2}
    # the server stored the child's bytes without building the model (each build keeps memory on TF) ...
    assert there.result._model is None and there.result.packed.blob == (there.run.path / "model.keras").read_bytes()
    # ... and builds it only when asked (a stopped run's page does)
    for a, b in zip(here.result.model.get_weights(), there.result.model.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-7)
    live = lambda job: [e["loss"] for e in job.events if e["kind"] == "batch"]  # noqa: E731
    assert len(live(there)) == len(live(here)) > 2 and live(there) == pytest.approx(live(here), rel=1e-5)
    assert there.run.batches()["loss"] == live(there)  # the stored curve is what streamed live
    (pid,) = set(_proc_pids(there))
    assert pid != os.getpid() and there.run.info["node"] == executors.node_name()
    assert proc_trainer.executor.pids() == [pid]  # kept for the next run
    # an error in the child is raised here with its own type and text
    from rnnviz.config import ImdbData
    from rnnviz.data.standard import DataUnavailable

    with pytest.raises(DataUnavailable, match="RNNVIZ_OFFLINE"):
        proc_trainer.executor.train(BASE.replace(data=ImdbData()))
    assert proc_trainer.executor.pids() == [pid]  # a failed run does not cost the process


@pytest.mark.slow  # a training process starts (its Keras import): 5-20 s on a busy 2-core machine
def test_stop_reaches_the_training_process(proc_trainer):
    job = proc_trainer.submit(LONG)
    _until(lambda: any(e["kind"] == "batch" for e in job.events), "the first batch event")
    job.stop()
    _until(lambda: job.state not in ACTIVE, "the stopped run to end")
    assert job.state == "stopped" and job.run is None and job.error is None
    assert 1 <= len(job.result.history.get("loss", [])) < LONG.epochs
    assert not proc_trainer.store.has(LONG.run_id)


@pytest.mark.slow  # a training process starts (its Keras import): 5-20 s on a busy 2-core machine
def test_the_ceiling_on_training_time_reaches_the_training_process(tmp_path):
    from rnnviz.training.processes import ProcessExecutor

    trainer = Trainer(RunStore(tmp_path), workers=1, executor=ProcessExecutor(1), max_minutes=1e-6)
    try:
        job = trainer.submit(LONG.replace(seed=9))
        _until(lambda: job.state not in ACTIVE, "the run to reach its ceiling")
        assert job.state == "stopped" and job.error == job.run.info["stopped"]
        assert len(job.run.history["loss"]) == 1 and job.run.info["stopped"].startswith("Stopped after epoch 1 of 1000")
        assert set(_proc_pids(job)) == set(trainer.executor.pids())  # trained in the child, which is kept
    finally:
        trainer.executor.shutdown()


@pytest.mark.slow  # a training process is killed and replaced: 10-40 s on a busy 2-core machine
def test_killed_training_process_fails_its_run_the_others_finish(proc_trainer):
    doomed = proc_trainer.submit(LONG.replace(seed=7))
    _until(lambda: any(e["kind"] == "batch" for e in doomed.events), "the doomed run's first batch")
    others = sweep.submit(proc_trainer, [BASE.replace(seed=s) for s in (1, 2)])
    (pid,) = set(_proc_pids(doomed))
    os.kill(pid, signal.SIGKILL)
    sweep.wait([doomed, *others])
    assert doomed.state == "failed"
    assert doomed.error == (f"WorkerLost: The training process (pid {pid}) ended during run {doomed.run_id}: "
                            "killed by SIGKILL, perhaps for lack of memory. The other runs go on; submit this "
                            "one again to retrain it.")
    assert [j.state for j in others] == ["done", "done"]
    assert pid not in {p for j in others for p in _proc_pids(j)}
    stored, problems = proc_trainer.store.list()
    assert problems == [] and sorted(r.run_id for r in stored) == sorted(j.run_id for j in others)


@pytest.mark.slow  # two training processes start: 10-40 s on a busy 2-core machine
def test_a_training_process_that_died_while_idle_is_replaced_and_the_next_run_trains(tmp_path):
    """Issue 21, item 6: a child killed while it waited for work (out of memory, an operator) failed the next run."""
    from rnnviz.training.processes import ProcessExecutor

    trainer = Trainer(RunStore(tmp_path), workers=1, executor=ProcessExecutor(1))
    try:
        assert trainer.executor.pids() == []  # processes start only when a run needs one
        (first,) = sweep.wait(sweep.submit(trainer, [BASE.replace(seed=20)]))
        assert first.state == "done", first.error
        (idle,) = trainer.executor.pids()  # the child that trained it, now waiting for work
        os.kill(idle, signal.SIGKILL)
        _until(lambda: trainer.executor._idle[0].exit_code() is not None, "the idle process to be gone")
        (job,) = sweep.wait(sweep.submit(trainer, [BASE.replace(seed=21)]))
        assert job.state == "done", job.error
        assert idle not in set(_proc_pids(job)) and trainer.executor.started == 2
    finally:
        trainer.shutdown()


@pytest.mark.slow  # three training processes start: 15-60 s on a busy 2-core machine
def test_training_process_is_replaced_after_its_runs(tmp_path):
    from rnnviz.training.processes import ProcessExecutor

    trainer = Trainer(RunStore(tmp_path), workers=1, executor=ProcessExecutor(1, runs=2))
    try:
        jobs = [sweep.wait(sweep.submit(trainer, [BASE.replace(seed=s)]))[0] for s in range(3)]
        assert [j.state for j in jobs] == ["done"] * 3, [j.error for j in jobs]
        first, second, third = (set(_proc_pids(j)) for j in jobs)
        assert first == second and len(first | third) == 2  # two runs in one process, the third in a new one
        (retired,) = first
        _until(lambda: not Path(f"/proc/{retired}").exists(), "the retired process to be gone")
        assert trainer.executor.started == 2 and trainer.executor.pids() == list(third)  # kept: 1 run of 2
    finally:
        trainer.executor.shutdown()


@pytest.mark.slow  # the app, a training process and one tiny training: 20-60 s on a busy 2-core machine
def test_train_page_trains_through_a_training_process(monkeypatch, rnnviz_home):
    """The app's default on TensorFlow, as a student meets it: Train, a live curve, the result, no traceback."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from tests.conftest import tiny
    from tests.test_app import wait_for

    monkeypatch.setenv("RNNVIZ_EXECUTOR", "process")
    st.cache_resource.clear()  # a fresh trainer, which picks the process executor
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    pids = []
    try:
        at.switch_page("pages/train.py")
        at.query_params.update(tiny(epochs=1).to_query())
        at.run()
        assert any("in a training process renewed every 25 runs" in c.value for c in at.caption)
        at.button[0].click().run()
        wait_for(at, lambda a: any(m.label == "Validation RMSE, one step" for m in a.metric))
        assert not at.exception, at.exception
        job = at.session_state["job"]
        pids = _proc_pids(job)
        assert job.state == "done" and not job.cached and job.result._model is None  # stored as the child's bytes
        assert any(e["kind"] == "batch" for e in job.events) and job.run.info["node"] == executors.node_name()
    finally:
        st.cache_resource.clear()
        for pid in set(pids):  # the app's training process (its trainer is gone with the cache)
            os.kill(pid, signal.SIGKILL)
