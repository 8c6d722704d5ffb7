"""Trainer: background jobs, one job per config, stored runs returned at once, Stop, failures reported."""

import re
import time

import numpy as np
import pytest

from rnnviz.data import loaders
from rnnviz.store import RunStore
from rnnviz.training.jobs import Trainer
from tests.conftest import tiny


def wait(job, seconds=120):
    end = time.time() + seconds
    while job.state in ("queued", "running") and time.time() < end:
        time.sleep(0.05)
    return job


def test_train_then_cached(tmp_path):
    trainer = Trainer(RunStore(tmp_path))
    job = trainer.submit(tiny())
    assert trainer.submit(tiny()) is job  # a second session joins the same training
    wait(job)
    assert job.state == "done" and not job.cached and job.progress()[0] == 1.0
    assert [e["epoch"] for e in job.events if e["kind"] == "epoch"] == [1, 2]
    again = trainer.submit(tiny())
    assert again.state == "done" and again.cached and again.run.history == job.run.history


def test_queue_and_stop(tmp_path):
    trainer = Trainer(RunStore(tmp_path), workers=1)
    first = trainer.submit(tiny(epochs=200))
    second = trainer.submit(tiny(seed=5))
    while first.state == "queued":  # until the worker takes it (a busy machine may take a while)
        time.sleep(0.05)
    assert second.state == "queued" and trainer.queue_position(second) == 0
    second.stop()  # cancelled while queued: never trains
    while not first.events:
        time.sleep(0.05)
    first.stop()
    wait(first), wait(second)
    assert first.state == "stopped" and first.result is not None and first.run is None
    assert re.fullmatch(r"Stopped in epoch \d+/200( · batch \d+/\d+)? · after \d+ s", first.progress()[1])
    assert second.state == "stopped" and not second.events
    assert not trainer.store.has(first.run_id)


def test_failure_is_a_state_with_a_reason(tmp_path, monkeypatch):
    def infinite_targets(opts, seed, data_dir=None, progress=None):
        ds = loaders.load_cosine(opts, seed)
        ds.y_train = ds.y_train * np.float32(np.inf)
        return ds

    monkeypatch.setitem(loaders.LOADERS, "cosine", infinite_targets)
    trainer = Trainer(RunStore(tmp_path))
    job = wait(trainer.submit(tiny()))
    assert job.state == "failed" and "diverged" in job.error.lower() and "learning rate" in job.error
    assert not trainer.store.has(job.run_id)


@pytest.mark.slow  # long: 10-60 s on a busy 2-core machine; the full run (README, CI) keeps it
def test_finished_jobs_are_forgotten_beyond_the_most_recently_used(tmp_path):
    """Issue 11 item 6: before, the trainer kept every job (model, snapshots, events) for the server's life."""
    trainer = Trainer(RunStore(tmp_path), keep=2)
    jobs = [wait(trainer.submit(tiny(epochs=1, seed=s))) for s in range(4)]
    assert all(j.state == "done" for j in jobs)
    assert trainer.held() == 2 and [trainer.get(j.run_id) for j in jobs] == [None, None, jobs[2], jobs[3]]
    assert trainer.get(jobs[2].run_id) is jobs[2]  # looked up last: jobs[3] is now the least recently used
    stopped = trainer.submit(tiny(epochs=200, seed=9))
    while not stopped.events:
        time.sleep(0.05)
    stopped.stop()
    wait(stopped)
    assert stopped.state == "stopped" and trainer.get(jobs[3].run_id) is None
    assert trainer.get(stopped.run_id) is stopped and trainer.get(jobs[2].run_id) is jobs[2]
    # a stored run comes back as a done job again once forgotten
    again = trainer.submit(jobs[0].cfg)
    assert again.cached and again.run.metrics == jobs[0].run.metrics and trainer.get(stopped.run_id) is None


def test_stored_batch_curve_is_what_the_live_events_carried(tmp_path):
    """Issue 11 item 9: a stored run keeps the per-batch curve the live chart drew (before: epochs only)."""
    from rnnviz.plots import charts as plots

    trainer = Trainer(RunStore(tmp_path))
    job = wait(trainer.submit(tiny(epochs=3)))
    assert job.state == "done"
    live = [e for e in job.events if e["kind"] == "batch"]
    stored = trainer.store.load(job.run_id).batches()
    steps = live[0]["steps"]
    assert len(live) == 3 * steps and stored["loss"] == [e["loss"] for e in live]
    assert {k: v for k, v in stored.items()} == {k: [e[k] for e in live] for k in live[0] if k != "kind"}
    _, live_frame = plots.event_frames(job.events)
    replayed = plots.batch_frame(stored)
    np.testing.assert_array_equal(replayed["x"], live_frame["x"])
    np.testing.assert_array_equal(replayed["loss"], live_frame["loss"])
    # the epoch-end points are Keras's own history, and the last batch's running mean is the epoch's loss
    np.testing.assert_allclose([e["loss"] for e in live if e["step"] == steps], job.run.history["loss"], rtol=1e-6)
    cached = trainer.submit(tiny(epochs=3))
    assert cached.cached and cached.run.batches() == stored


def test_two_workers_train_what_one_worker_trains(tmp_path):
    """Concurrent trainings in one process each get their own seed's weights and dropout masks."""
    configs = [tiny(cell="simple_rnn", dropout=0.2, units=8, epochs=3, seed=s) for s in (1, 2)]
    alone = Trainer(RunStore(tmp_path / "one"), workers=1)
    expected = [wait(alone.submit(c)).run.history["val_loss"] for c in configs]
    together = Trainer(RunStore(tmp_path / "two"), workers=2)
    jobs = [together.submit(c) for c in configs]  # both start at once
    for job, want in zip(jobs, expected):
        assert wait(job).state == "done"
        assert job.run.history["val_loss"] == pytest.approx(want, rel=1e-5)


def test_a_failed_job_keeps_its_exception_without_traceback_and_shutdown_ends_the_pool(tmp_path):
    """The CLI prints a failed run's full message from `job.exception`; its traceback (whose frames would hold
    the run's data) is dropped. After `shutdown` the trainer takes no more jobs."""
    from rnnviz.config import ImdbData
    from rnnviz.data.standard import DataUnavailable

    trainer = Trainer(RunStore(tmp_path))
    job = wait(trainer.submit(tiny(data=ImdbData())))  # conftest: no data folder, downloads off
    assert job.state == "failed" and isinstance(job.exception, DataUnavailable)
    assert job.error == f"DataUnavailable: {job.exception}".splitlines()[0]
    assert job.exception.__traceback__ is None
    trainer.shutdown()
    with pytest.raises(RuntimeError, match="shutdown"):
        trainer.submit(tiny(seed=4))


def test_a_run_reaching_the_ceiling_on_training_time_stops_after_its_epoch_and_is_stored_as_stopped(tmp_path):
    """RNNVIZ_MAX_RUN_MINUTES (here a tiny fraction of a minute, a function read at each submit, as the app's):
    the first epoch passes it, so training ends after that epoch, and the run is stored with one line saying so."""
    trainer = Trainer(RunStore(tmp_path), max_minutes=lambda: 1e-6)
    job = wait(trainer.submit(tiny(epochs=50)))
    assert job.state == "stopped" and job.run is not None and job.error == job.run.info["stopped"]
    assert len(job.run.history["loss"]) == 1 and len(job.result.epoch_seconds) == 1  # whole epochs only
    assert job.run.info["stopped"] == ("Stopped after epoch 1 of 50: it reached this server's ceiling of 1e-06 "
                                       "minutes of training per run (RNNVIZ_MAX_RUN_MINUTES).")
    assert trainer.store.has(job.run_id) and "val_rmse" in job.run.metrics
    again = trainer.submit(tiny(epochs=50))  # stored: loads, still saying it was stopped
    assert again.cached and again.run.info["stopped"] == job.run.info["stopped"]
    free = wait(Trainer(RunStore(tmp_path / "other")).submit(tiny(epochs=2)))  # no ceiling: as before
    assert free.state == "done" and "stopped" not in free.run.info and len(free.run.history["loss"]) == 2
