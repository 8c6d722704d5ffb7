"""Trainer: background jobs, one job per config, stored runs returned at once, Stop, failures reported."""

import time

import numpy as np

from rnnviz import data
from rnnviz.jobs import Trainer
from rnnviz.store import RunStore
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
    assert second.state == "queued" and trainer.queue_position(second) == 0
    second.stop()  # cancelled while queued: never trains
    while not first.events:
        time.sleep(0.05)
    first.stop()
    wait(first), wait(second)
    assert first.state == "stopped" and first.result is not None and first.run is None
    assert second.state == "stopped" and not second.events
    assert not trainer.store.has(first.run_id)


def test_failure_is_a_state_with_a_reason(tmp_path, monkeypatch):
    def infinite_targets(opts, seed, data_dir=None, progress=None):
        ds = data.load_cosine(opts, seed)
        ds.y_train = ds.y_train * np.float32(np.inf)
        return ds

    monkeypatch.setitem(data.LOADERS, "cosine", infinite_targets)
    trainer = Trainer(RunStore(tmp_path))
    job = wait(trainer.submit(tiny()))
    assert job.state == "failed" and "diverged" in job.error.lower() and "learning rate" in job.error
    assert not trainer.store.has(job.run_id)
