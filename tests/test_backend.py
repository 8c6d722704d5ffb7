"""rnnviz.backend: the batch feeder, input gradients, the device line and bad-backend messages, on the
running backend (run the suite with KERAS_BACKEND=tensorflow, jax or torch), and runs moving between
backends in subprocesses."""

import importlib.util
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from rnnviz import backend
from rnnviz.data import loaders as data
from tests.autodiff import gradient

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_batches_follow_the_orders_epoch_by_epoch():
    x = np.arange(11 * 2, dtype="float32").reshape(11, 2)
    y = np.arange(11, dtype="float32") * 10
    orders = data.epoch_orders(11, 3, seed=5)  # (epochs, n)
    stream = iter(backend.batches(x, y, orders, batch_size=4))
    for order in orders:  # 3 batches per epoch: 4, 4 and 3 samples
        for start in (0, 4, 8):
            bx, by = (keras.ops.convert_to_numpy(v) for v in next(stream))
            np.testing.assert_array_equal(bx, x[order[start:start + 4]])
            np.testing.assert_array_equal(by, y[order[start:start + 4]])
    with pytest.raises(StopIteration):
        next(stream)


def test_fit_reads_the_stream_in_order():
    """`model.fit` with `steps_per_epoch` consumes the stream batch after batch across epochs."""
    x = np.arange(6, dtype="float32").reshape(6, 1)
    seen = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(batch)

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="zeros",
                                                                     bias_initializer="zeros")])
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mae")  # lr 0: the weights stay zero
    orders = data.epoch_orders(6, 2, seed=1)
    fit = model.fit(backend.batches(x, x[:, 0], orders, 3), steps_per_epoch=2, epochs=2, verbose=0,
                    callbacks=[Record()], shuffle=False)
    # mae of a zero model = mean |y| over the epoch's batches = mean of all targets, in any order
    np.testing.assert_allclose(fit.history["loss"], [x.mean()] * 2, rtol=1e-6)
    assert seen == [0, 1, 0, 1]


def test_gradient_fn_matches_a_direct_gradient():
    keras.utils.set_random_seed(0)
    seq, aux = keras.Input((5, 3)), keras.Input((2,))
    h = keras.layers.GRU(4)(seq)
    out = keras.layers.Dense(1, activation="sigmoid")(keras.layers.Concatenate()([h, aux]))
    model = keras.Model([aux, seq], out)
    rng = np.random.default_rng(0)
    xs, xa, y = rng.normal(size=(2, 5, 3)).astype("float32"), rng.normal(size=(2, 2)).astype("float32"), \
        np.array([[0.0], [1.0]], "float32")
    bce = keras.losses.BinaryCrossentropy().call
    ours = backend.gradient_fn(model, 1, bce)([xa, xs], y)
    expected = gradient(lambda v: bce(y, model([keras.ops.convert_to_tensor(xa), v], training=False)), xs)
    assert ours.shape == xs.shape
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-7)
    model.set_weights([w * 2 for w in model.get_weights()])  # new weights are seen by the same function
    expected = gradient(lambda v: bce(y, model([keras.ops.convert_to_tensor(xa), v], training=False)), xs)
    np.testing.assert_allclose(backend.gradient_fn(model, 1, bce)([xa, xs], y), expected, rtol=1e-5, atol=1e-7)


def test_describe_names_keras_the_backend_and_the_device():
    line = backend.describe()
    label = backend.BACKENDS[keras.backend.backend()].label
    parts = line.split(" · ")
    assert parts[0] == f"Keras {'.'.join(keras.__version__.split('.')[:2])}"
    assert parts[1].startswith(label + " ") and parts[1][len(label) + 1].isdigit()
    assert parts[2].startswith(("CPU (", "GPU: "))
    assert backend.configured() == keras.backend.backend()


def test_unknown_backend_is_one_line_naming_keras_backend(monkeypatch):
    monkeypatch.setattr(backend, "configured", lambda: "tensorfloe")
    why = backend.problem()
    assert "KERAS_BACKEND" in why and "'tensorfloe'" in why and "pip install" in why and "\n" not in why
    with pytest.raises(ValueError, match="KERAS_BACKEND"):
        backend.check()


def test_uninstalled_backend_names_the_install_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(backend, "configured", lambda: "torch")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    why = backend.problem()
    assert why.startswith("KERAS_BACKEND='torch' but PyTorch is not installed") and "`pip install torch`" in why
    assert "torch" not in backend.installed()


def test_configured_reads_keras_json_without_keras(tmp_path):
    """In a fresh process: KERAS_BACKEND wins, else keras.json in $KERAS_HOME, else tensorflow."""
    (tmp_path / "keras.json").write_text(json.dumps({"backend": "jax"}))
    code = "import sys; from rnnviz import backend; print(backend.configured(), 'keras' in sys.modules)"
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    for extra, expected in (({}, "jax False"), ({"KERAS_BACKEND": "torch"}, "torch False")):
        out = subprocess.run([sys.executable, "-c", code], env={**env, "KERAS_HOME": str(tmp_path), **extra},
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert out.stdout.strip() == expected, out.stderr


def test_cli_refuses_an_unknown_backend_in_one_line():
    env = {**os.environ, "KERAS_BACKEND": "tensorfloe"}
    out = subprocess.run([sys.executable, "-m", "rnnviz", "train", "--preset", "cosine-lstm", "--json"], env=env,
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "KERAS_BACKEND" in lines[0] and "pip install" in lines[0], out.stderr


STORE_TWO_RUNS = """
from rnnviz.training.jobs import train_and_store
from rnnviz.store import RunStore
from tests.conftest import tiny
for cell in ("lstm", "gru"):
    run, _ = train_and_store(tiny(cell=cell, epochs=2), RunStore())
    print(run.run_id, run.info["backend"])
"""


@pytest.mark.parametrize("other", ["tensorflow", "jax", "torch"])
@pytest.mark.slow  # long: 10-60 s on a busy 2-core machine; the full run (README, CI) keeps it
def test_a_run_stored_under_another_backend_opens_probes_and_compares(other):
    """Train and store under another installed backend (a subprocess), then use the runs here."""
    from rnnviz.inspect import compare
    from rnnviz import probe
    from rnnviz.store import RunStore
    from tests.conftest import tiny

    if other == keras.backend.backend():
        pytest.skip("the running backend")
    pytest.importorskip(backend.BACKENDS[other].module)  # PyTorch only where it is installed
    out = subprocess.run([sys.executable, "-c", STORE_TWO_RUNS], env={**os.environ, "KERAS_BACKEND": other},
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.strip().splitlines()
    assert all(f" · {backend.BACKENDS[other].label} " in line for line in lines), lines
    store = RunStore()
    runs = [store.load(line.split()[0]) for line in lines]
    assert [r.config for r in runs] == [tiny(cell="lstm", epochs=2), tiny(cell="gru", epochs=2)]
    x, y = compare.probe_batch(data.load(runs[0].config.data), n=4)
    for run in runs:
        model = run.load_model()
        layer = probe.recurrent_layers(model)[0]
        expected = keras.ops.convert_to_numpy(keras.Model(model.input, layer.output)(x))
        np.testing.assert_allclose(probe.probe_model(model, x)[0].output, expected, atol=1e-5, rtol=0)
        grads = compare.gradient_over_time(model, x, y, run.snapshots(), [0, 2])
        assert set(grads["epoch"]) == {0, 2} and np.isfinite(grads["norm"]).all()
    assert len(compare.table(runs)) == 2


def test_a_classifier_trains_and_is_scored_on_the_running_backend():
    """The app's training path end to end for a classifier (under PyTorch its scores once failed on a tensor)."""
    from rnnviz.training import fit as train
    from rnnviz.config import ImdbData, RunConfig

    rng = np.random.default_rng(0)
    ids = lambda n: rng.integers(1, 100, (n, 8)).astype("int32")  # noqa: E731
    ds = data.Dataset(ids(24), rng.integers(0, 2, 24).astype("float32"), ids(8), rng.integers(0, 2, 8).astype("float32"),
                      "binary", 1, extra={"classes": ["negative", "positive"]})
    cfg = RunConfig(data=ImdbData(vocab_size=100, maxlen=8), cell="gru", units=2, embedding_dim=2, epochs=1, batch_size=8)
    result = train.train(cfg, ds=ds)
    loss, accuracy = result.model.evaluate(ds.x_val, ds.y_val, verbose=0)
    assert result.metrics["val_loss"] == pytest.approx(loss, rel=1e-5)
    assert result.metrics["val_accuracy"] == pytest.approx(accuracy)
    assert result.backend == backend.describe()
