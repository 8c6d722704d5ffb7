"""Server time to probe one sample and build every figure of the Hidden states and Gates pages.

The target: <= 300 ms of server time for a 256-step, 128-unit layer. The model is IMDB-shaped (word ids ->
Embedding(10000, 64, mask_zero) -> LSTM(128) -> Dense(1, sigmoid)), one review of 256 real words, untrained
weights (speed does not depend on them). Timed per sample, as the pages do it on a new sample or epoch:
`probe.probe_model`, the states heatmap, the PCA path (axes fitted once per run and cached, timed apart) with
8 overlaid paths, the gate means, the gate heatmaps (i, f, c_hat, o, c), the saturation summary, and
`plotly.io.to_json` of each figure (what `st.plotly_chart` sends). Numpy's BLAS is capped at one thread, as
the app does (`device.limit_blas_threads`); `--blas-threads 0` leaves OpenBLAS's default for comparison.
Usage: python benchmarks/inspect_speed.py [--repeats 15] [--blas-threads 1]
"""

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import plotly.io  # noqa: E402
from keras import layers  # noqa: E402

from probe_speed import median_ms  # noqa: E402  (this folder: the same timing helper)
from rnnviz.models import device
from rnnviz.plots import states as state_plots
from rnnviz.inspect import layers as inspection
from rnnviz import probe
from rnnviz.inspect import samples
from rnnviz.config import vocab  # noqa: E402
from rnnviz.config import ImdbData, RunConfig  # noqa: E402

TIME, UNITS, FEATURES, VOCAB = 256, 128, 64, 10_000
BUDGET_MS = 300.0
NAMES = vocab.NAMES


def model_and_reviews(n: int) -> tuple[keras.Model, np.ndarray]:
    ids = keras.Input((TIME,), dtype="int32", name="inputs")
    x = layers.Embedding(VOCAB, FEATURES, mask_zero=True, name="embedding")(ids)
    x = layers.LSTM(UNITS, name="rnn_1")(x)
    model = keras.Model(ids, layers.Dense(1, activation="sigmoid", name="head")(x))
    return model, np.random.default_rng(1).integers(4, VOCAB, size=(n, TIME)).astype("int32")


def page_figures(model, x_one, fit, others, cfg, words) -> list:
    """What the two pages compute for one sample, figures serialised; returns the figures."""
    layer = model.get_layer("rnn_1")
    p = probe.probe_model(model, x_one)[0]
    steps = samples.visible_steps(None if p.mask is None else p.mask[0], TIME)
    ticks = state_plots.step_ticks(steps, [words[s] for s in steps])
    g = {k: v[0, steps] for k, v in inspection.layer_gates(p).items()}
    ranges, title = inspection.value_ranges(layer), samples.step_axis_title(cfg)
    figs = [state_plots.states_heatmap(g["h"], ticks, title, "Hidden state h", ranges["h"])]
    main = inspection.project_paths(fit, inspection.layer_gates(p)["h"], p.mask)[0]
    figs.append(state_plots.trajectory_figure(main, ticks, others, fit.explained_variance_ratio, 2))
    curves = [("gates", "mean (0 to 1)", {NAMES[k]: v for k, v in inspection.unit_means(g, ("i", "f", "o")).items()},
               (0, 1)), ("state", "mean", {NAMES[k]: v for k, v in inspection.unit_means(g, ("c_hat", "c")).items()})]
    figs.append(state_plots.mean_curves(curves, ticks, title, "Gate means"))
    figs.append(state_plots.gates_heatmaps(g, ["i", "f", "c_hat", "o", "c"], NAMES, ranges, ticks, title, "Gates"))
    figs.append(state_plots.saturation_figure(inspection.saturation_rows(g, layer)))
    inspection.cell_equations(layer)
    for fig in figs:
        plotly.io.to_json(fig, validate=False)
    return figs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--blas-threads", type=int, default=1, help="0: OpenBLAS's default")
    args = ap.parse_args()
    if args.blas_threads:
        device.limit_blas_threads(args.blas_threads)
    keras.utils.set_random_seed(0)
    model, reviews = model_and_reviews(81)
    cfg = RunConfig(data=ImdbData(vocab_size=VOCAB, maxlen=TIME), units=UNITS)
    words = [f"w{i}" for i in reviews[0]]
    t0 = time.perf_counter()
    fit_probe = probe.probe_model(model, reviews[1:])[0]  # the PCA sample set: once per run (cached)
    fit = inspection.fit_state_pca(fit_probe.gates["h"], fit_probe.mask)
    others = [(c, "positive" if k % 2 else "negative")
              for k, (_, c) in enumerate(inspection.project_paths(fit, fit_probe.gates["h"][:8]))]
    fit_ms = (time.perf_counter() - t0) * 1e3
    med, low = median_ms(lambda: page_figures(model, reviews[:1], fit, others, cfg, words), args.repeats)
    probe_med, probe_low = median_ms(lambda: probe.probe_model(model, reviews[:1]), args.repeats)
    figs = page_figures(model, reviews[:1], fit, others, cfg, words)
    size = sum(len(plotly.io.to_json(f, validate=False)) for f in figs) / 1e6
    blas = f"{args.blas_threads} BLAS thread(s)" if args.blas_threads else "OpenBLAS default threads"
    print(f"one sample, {TIME} steps x {UNITS} units (LSTM), {args.repeats} repeats, {blas} (median / min ms):")
    print(f"  {'probe + all States and Gates figures':<44} {med:7.1f} / {low:6.1f}   ratio to {BUDGET_MS:.0f} ms: "
          f"{med / BUDGET_MS:.3f}  ({'meets' if med <= BUDGET_MS else 'MISSES'} the target)")
    print(f"  {'  of which probe_model':<44} {probe_med:7.1f} / {probe_low:6.1f}")
    print(f"  {len(figs)} figures, {size:.2f} MB of JSON sent to the browser")
    print(f"  once per run and layer (cached): PCA over 80 samples {fit_ms:7.1f} ms")


if __name__ == "__main__":
    main()
