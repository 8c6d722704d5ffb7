"""Training overhead: the app's training path against a plain `model.fit` of the identical model and data.

Both sides build the same model from the same config and data and train it for the same epochs; we time
the `fit` part of each (the app's side forwards every batch's logs to a callable, as the Train page does,
and runs in the server-wide Trainer's executor), and also the whole job: plain = build, fit, score and save
the model; app = submit until the run is stored. Alternating runs; prints medians and the ratios.
Target: fit ratio <= 1.05.  Usage: python benchmarks/training_overhead.py [--repeats 3] [--preset cosine-lstm]

Measured 2026-11-26 on the 2-core CPU machine, quiet, cosine-lstm (20 epochs), fit ratio (whole-job ratio):
TensorFlow (the app in its training process) 0.88 (0.89), 3 repeats; JAX 0.94 (0.95), 5 repeats; PyTorch 0.98
(0.98), 3 repeats. JAX was 1.19-1.29 before the batch events became `async_safe` and TensorBoard moved after `fit`.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras  # noqa: E402

from rnnviz.data import loaders as data
from rnnviz.training import metrics
from rnnviz.config import presets  # noqa: E402
from rnnviz.training.jobs import Trainer  # noqa: E402
from rnnviz.models import build_model  # noqa: E402
from rnnviz.store import RunStore  # noqa: E402


def plain_fit(cfg, ds) -> tuple[float, float]:
    """Seconds in `fit`, and from building the model to a scored, saved model."""
    t0 = time.perf_counter()
    keras.utils.set_random_seed(cfg.seed)
    model = build_model(cfg, ds)
    t1 = time.perf_counter()
    model.fit(ds.x_train, ds.y_train, validation_data=(ds.x_val, ds.y_val), epochs=cfg.epochs,
              batch_size=cfg.batch_size, shuffle=True, verbose=0)
    t2 = time.perf_counter()
    metrics.evaluate(model, ds, {})
    model.save(Path(tempfile.mkdtemp()) / "model.keras")
    return t2 - t1, time.perf_counter() - t0


def app_fit(cfg, trainer) -> tuple[float, float]:
    """Seconds in the app's `fit`, and from submitting the job to its run being stored."""
    t0 = time.perf_counter()
    job = trainer.submit(cfg, retrain=True)
    while job.state in ("queued", "running"):
        time.sleep(0.01)
    assert job.state == "done", job.error
    return job.run.info["train_seconds"], time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--preset", default="cosine-lstm")
    args = ap.parse_args()
    cfg = presets.get(args.preset).config
    ds = data.load(cfg.data, cfg.seed)
    trainer = Trainer(RunStore(tempfile.mkdtemp()))
    plain_fit(cfg.replace(epochs=1), ds), app_fit(cfg.replace(epochs=1), trainer)  # warm-up
    plain, app = [], []
    for _ in range(args.repeats):
        plain.append(plain_fit(cfg, ds))
        app.append(app_fit(cfg, trainer))
    print(f"preset {args.preset}: {cfg.summary()}, {len(ds.x_train)} training windows, "
          f"Keras backend {keras.backend.backend()}")
    for i, what in enumerate(["fit", "whole"]):
        p, a = statistics.median(r[i] for r in plain), statistics.median(r[i] for r in app)
        print(f"{what}: plain median {p:.2f} s {[round(r[i], 2) for r in plain]}, "
              f"app median {a:.2f} s {[round(r[i], 2) for r in app]}, ratio app/plain {a / p:.3f}")
    print("fit: time in model.fit (target: ratio <= 1.05). whole: plain = build, fit, score, save the model;"
          " app = submit the job until its run is stored (also snapshots, batch curve, TensorBoard logs).")


if __name__ == "__main__":
    main()
