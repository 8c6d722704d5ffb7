"""Server time to probe one sample: `probe.gates` on 256-step, 128-unit layers, and a whole IMDB-shaped model.

Times `gates` for one sample through an LSTM, a GRU and a Bidirectional LSTM (128 units, 256 steps,
64 input features), then `probe_model` (inputs, masks, gates and states of every layer in one pass) for
one review through Embedding(mask_zero) -> LSTM(128) -> LSTM(128) with 56 padding steps. Untrained
weights (speed does not depend on them). The product target is <= 300 ms to probe one sample AND draw
all its charts; this reports the probe part and its share of that budget. `input_gradient_fn`
(tf.GradientTape through Keras's own layers) is timed for its first call (the trace), then reused.
On a busy machine, compare with OPENBLAS_NUM_THREADS=1 (the per-step matmuls are tiny).
Usage: python benchmarks/probe_speed.py [--repeats 15]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from rnnviz import probe

TIME, UNITS, FEATURES = 256, 128, 64
BUDGET_MS = 300.0


def median_ms(fn, repeats: int) -> tuple[float, float]:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), min(times)


def imdb_shaped() -> tuple[keras.Model, np.ndarray]:
    ids = keras.Input((TIME,), dtype="int32")
    x = layers.Embedding(10_000, FEATURES, mask_zero=True, name="embedding")(ids)
    x = layers.LSTM(UNITS, return_sequences=True, name="rnn_1")(x)
    x = layers.LSTM(UNITS, name="rnn_2")(x)
    model = keras.Model(ids, layers.Dense(1, activation="sigmoid", name="head")(x))
    review = np.random.default_rng(1).integers(1, 10_000, size=(1, TIME))
    review[:, :56] = 0  # pre-padding
    return model, review


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(1, TIME, FEATURES)).astype("float32")
    rows = []
    for name, layer in (("LSTM", layers.LSTM(UNITS)), ("GRU", layers.GRU(UNITS)),
                        ("Bidirectional LSTM", layers.Bidirectional(layers.LSTM(UNITS)))):
        layer(x)  # build
        rows.append((f"gates, {name}", *median_ms(lambda layer=layer: probe.gates(layer, x), args.repeats)))

    model, review = imdb_shaped()
    rows.append(("probe_model, 2-layer IMDB model", *median_ms(lambda: probe.probe_model(model, review),
                                                              args.repeats)))
    rows.append(("hidden_states, 2-layer IMDB model", *median_ms(lambda: probe.hidden_states(model, review),
                                                                args.repeats)))
    t0 = time.perf_counter()
    grad_fn = probe.input_gradient_fn(model, loss="binary_crossentropy")
    grad_fn(review, np.ones(1))
    rows.append(("input_gradient_fn: build + first call", *(2 * [(time.perf_counter() - t0) * 1e3])))
    rows.append(("input_gradient_fn: later calls", *median_ms(lambda: grad_fn(review, np.ones(1)), args.repeats)))
    print(f"one sample, {TIME} steps x {UNITS} units, {args.repeats} repeats (median / min ms):")
    for label, med, low in rows:
        print(f"  {label:<40} {med:7.1f} / {low:6.1f}   ratio to {BUDGET_MS:.0f} ms budget: {med / BUDGET_MS:.3f}")


if __name__ == "__main__":
    main()
