"""`lr_decay`: the learning rate a run trains with, step by step, against the half-cosine written out in numpy."""

from __future__ import annotations

import math

import keras
import numpy as np

from rnnviz.config import RunConfig
from rnnviz.data import loaders as data
from rnnviz.models import build_model
from rnnviz.models.build import LR_FLOOR, learning_rate
from rnnviz.training.fit import train
from tests.conftest import tiny


def _rate(model) -> float:
    return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))


def test_no_decay_keeps_the_rate_and_the_run_ids_of_older_configs():
    assert RunConfig().lr_decay == "none" and "lr_decay" not in RunConfig().to_query()
    assert RunConfig().run_id == RunConfig(lr_decay="none").run_id != RunConfig(lr_decay="cosine").run_id
    ds = data.load(tiny().data)
    assert _rate(build_model(tiny(learning_rate=0.01), ds)) == np.float32(0.01)


def test_cosine_decay_falls_along_a_half_cosine_over_every_batch_of_the_run():
    cfg = tiny(lr_decay="cosine", learning_rate=0.01, epochs=3, batch_size=16)
    ds = data.load(cfg.data)
    total = cfg.epochs * math.ceil(len(ds.x_train) / cfg.batch_size)
    schedule = learning_rate(cfg, len(ds.x_train))
    assert _rate(build_model(cfg, ds)) == np.float32(0.01)  # the compiled model starts at the full rate
    t = np.arange(total + 1)
    expected = 0.01 * (LR_FLOOR + (1 - LR_FLOOR) * 0.5 * (1 + np.cos(np.pi * t / total)))
    got = [float(keras.ops.convert_to_numpy(schedule(s))) for s in t]
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    model = train(cfg, ds).model  # after the run: every batch taken, the rate at its floor
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == total
    assert math.isclose(_rate(model), 0.01 * LR_FLOOR, rel_tol=1e-5)
