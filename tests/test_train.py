"""Training: events reach the callable in order, Stop ends training after the batch in training, the same config
gives the same curve."""

import threading

import numpy as np
import pytest

from rnnviz.data import loaders
from rnnviz.training.fit import Diverged, Forward, train
from tests.conftest import tiny


def test_events_and_history(tiny_cfg):
    events = []
    result = train(tiny_cfg, on_event=events.append)
    epochs = [e for e in events if e["kind"] == "epoch"]
    batches = [e for e in events if e["kind"] == "batch"]
    steps = int(np.ceil(len(loaders.load(tiny_cfg.data).x_train) / tiny_cfg.batch_size))
    assert [e["epoch"] for e in epochs] == [1, 2]
    assert len(batches) == 2 * steps and batches[-1]["step"] == steps == batches[-1]["steps"]
    assert [e["val_loss"] for e in epochs] == pytest.approx(result.history["val_loss"])
    assert not result.stopped and result.params == result.model.count_params()
    assert result.device.startswith(("CPU", "GPU"))
    # val RMSE of the one-step predictions equals sqrt of Keras's own validation MSE
    assert result.metrics["val_rmse"] == pytest.approx(np.sqrt(result.history["val_loss"][-1]), rel=1e-4)


def test_a_stop_flag_ends_training_after_the_batch_in_training(tiny_cfg, tmp_path):
    stop, seen = threading.Event(), []
    stop.set()  # seen at the first batch's start: that batch finishes, no other starts
    result = train(tiny_cfg.replace(epochs=50), on_event=seen.append, stop=stop, log_dir=str(tmp_path))
    assert result.stopped and [e["step"] for e in seen if e["kind"] == "batch"] == [1]
    assert len(result.history["loss"]) == 1
    assert not list(tmp_path.rglob("events.out.tfevents.*"))  # a stopped run is not kept: no logs written


def test_stop_set_by_a_batch_event_ends_training_in_that_epoch(tiny_cfg):
    """On JAX and PyTorch batch events trail training (`Forward`), so the event that sets the flag may come
    a few batches late; the epoch's end still sees the flag and no further epoch starts."""
    stop, seen = threading.Event(), []

    def on_event(e):
        seen.append(e)
        if e["kind"] == "batch" and e["epoch"] == 1 and e["step"] == 2:
            stop.set()

    result = train(tiny_cfg.replace(epochs=50), on_event=on_event, stop=stop)
    assert result.stopped and len(result.history["loss"]) == 1
    assert {e["epoch"] for e in seen if e["kind"] == "batch"} == {1}


def test_batch_events_leave_in_batch_order_when_keras_calls_back_out_of_order():
    """Keras may run an `async_safe` callback's batch calls on several threads at once."""
    sent = []
    forward = Forward(sent.append, None, steps=6)
    forward.on_epoch_begin(0)
    for batch in [2, 0, 5, 1, 4, 3]:
        forward.on_train_batch_end(batch, {"loss": float(batch)})
    assert [e["step"] for e in sent] == [1, 2, 3, 4, 5, 6] and forward.batches["loss"] == [0, 1, 2, 3, 4, 5]
    threads = [threading.Thread(target=forward.on_train_batch_end, args=(b, {"loss": 0.0})) for b in range(6)]
    forward.on_epoch_begin(1)
    for t in reversed(threads):
        t.start()
    for t in threads:
        t.join()
    assert [(e["epoch"], e["step"]) for e in sent[6:]] == [(2, s) for s in range(1, 7)]


@pytest.mark.slow  # long: 10-60 s on a busy 2-core machine; the full run (README, CI) keeps it
def test_same_config_same_curve():
    cfg = tiny(dropout=0.1, data_noise=0.05, cell="gru")
    a, b = train(cfg).history, train(cfg).history
    assert a == b
    assert train(cfg.replace(seed=1)).history != a


def test_diverging_loss_is_reported():
    ds = loaders.load(tiny().data)
    ds.y_train = ds.y_train * np.float32(np.inf)
    with pytest.raises(Diverged, match="learning rate"):
        train(tiny(), ds=ds)


def test_snapshots_hold_the_weights_of_their_epochs(tmp_path):
    import keras
    import numpy as np

    from rnnviz.store import RunStore
    from rnnviz.training.jobs import train_and_store

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
    from rnnviz.training.fit import MAX_SNAPSHOTS, Snapshots

    cb = Snapshots(epochs=95)
    kept = [e for e in range(1, 96) if (e % cb.every == 0 or e == 95)]
    assert cb.every == 5 and len(kept) <= MAX_SNAPSHOTS + 1 and kept[-1] == 95


def test_tensorboard_logs_hold_each_epochs_losses(tiny_cfg, tmp_path):
    """The logs are written after `fit` by Keras's own callback (`write_tensorboard`); TensorBoard reads
    back every epoch's training and validation loss."""
    from rnnviz.training.fit import tensorboard_available

    if not tensorboard_available():
        pytest.skip("TensorBoard logs need the tensorboard and tensorflow packages")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util.tensor_util import make_ndarray

    result = train(tiny_cfg.replace(epochs=3), log_dir=str(tmp_path))

    def read(folder):
        acc = EventAccumulator(str(tmp_path / folder))
        acc.Reload()
        return [(e.step, float(make_ndarray(e.tensor_proto))) for e in acc.Tensors("epoch_loss")]

    assert read("train") == [(e, pytest.approx(v)) for e, v in enumerate(result.history["loss"])]
    assert read("validation") == [(e, pytest.approx(v)) for e, v in enumerate(result.history["val_loss"])]
