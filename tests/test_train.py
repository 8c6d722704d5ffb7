"""Training: events reach the callable, Stop stops within one batch, the same config gives the same curve."""

import threading

import numpy as np
import pytest

from rnnviz import data
from rnnviz.train import Diverged, train
from tests.conftest import tiny


def test_events_and_history(tiny_cfg):
    events = []
    result = train(tiny_cfg, on_event=events.append)
    epochs = [e for e in events if e["kind"] == "epoch"]
    batches = [e for e in events if e["kind"] == "batch"]
    steps = int(np.ceil(len(data.load(tiny_cfg.data).x_train) / tiny_cfg.batch_size))
    assert [e["epoch"] for e in epochs] == [1, 2]
    assert len(batches) == 2 * steps and batches[-1]["step"] == steps == batches[-1]["steps"]
    assert [e["val_loss"] for e in epochs] == pytest.approx(result.history["val_loss"])
    assert not result.stopped and result.params == result.model.count_params()
    assert result.device.startswith(("CPU", "GPU"))
    # val RMSE of the one-step predictions equals sqrt of Keras's own validation MSE
    assert result.metrics["val_rmse"] == pytest.approx(np.sqrt(result.history["val_loss"][-1]), rel=1e-4)


def test_stop_flag_stops_within_one_batch(tiny_cfg):
    stop, seen = threading.Event(), []

    def on_event(e):
        seen.append(e)
        if e["kind"] == "batch" and e["step"] == 3:
            stop.set()

    result = train(tiny_cfg.replace(epochs=50), on_event=on_event, stop=stop)
    batches = [e for e in seen if e["kind"] == "batch"]
    assert result.stopped
    assert len(batches) <= 4  # the batch that saw the flag may finish; no further batch starts
    assert len(result.history.get("loss", [])) <= 1


@pytest.mark.slow  # long: 10-60 s on a busy 2-core machine; the full run (README, CI) keeps it
def test_same_config_same_curve():
    cfg = tiny(dropout=0.1, data_noise=0.05, cell="gru")
    a, b = train(cfg).history, train(cfg).history
    assert a == b
    assert train(cfg.replace(seed=1)).history != a


def test_diverging_loss_is_reported():
    ds = data.load(tiny().data)
    ds.y_train = ds.y_train * np.float32(np.inf)
    with pytest.raises(Diverged, match="learning rate"):
        train(tiny(), ds=ds)


def test_snapshots_hold_the_weights_of_their_epochs(tmp_path):
    import keras
    import numpy as np

    from rnnviz.jobs import train_and_store
    from rnnviz.store import RunStore

    cfg = tiny(epochs=3)
    keras.utils.set_random_seed(cfg.seed)
    run, result = train_and_store(cfg, RunStore(tmp_path))
    snaps = run.snapshots()
    assert sorted(snaps) == [0, 1, 2, 3]
    final = result.model.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(snaps[3], final, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(snaps[0], final))  # training changed the weights
    model = run.load_model()
    model.set_weights(snaps[0])  # an epoch's weights fit the stored model
    assert model.count_params() == result.model.count_params()


def test_snapshots_are_thinned_for_long_runs():
    from rnnviz.train import MAX_SNAPSHOTS, Snapshots

    cb = Snapshots(epochs=95)
    kept = [e for e in range(1, 96) if (e % cb.every == 0 or e == 95)]
    assert cb.every == 5 and len(kept) <= MAX_SNAPSHOTS + 1 and kept[-1] == 95
