"""One small example of every figure the figure modules build, for tests that check all of them at once
(`tests/test_figure_style.py`): name ("module.function") -> a function that draws it from tiny arrays."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import numpy as np
import pandas as pd

from rnnviz.plots import predictions as prediction_plots
from rnnviz.plots import states as state_plots
from rnnviz.plots import learn as learn_plots
from rnnviz.plots import adding
from rnnviz.plots import charts as plots
from rnnviz.plots import sweep as sweep_plots
from rnnviz.config import vocab

T, U = 6, 3
TICKS = [str(t + 1) for t in range(T)]
RNG = np.random.default_rng(0)
ROOT = Path(__file__).resolve().parent.parent


def _curves() -> pd.DataFrame:
    return pd.DataFrame([{"run": f"r{k}", "label": f"{vocab.CELL_LABELS[c]} 4u", "cell": c, "epoch": e,
                          "seconds": e / 2, "split": s, "value": 1 / (e + k + 1)}
                         for k, c in enumerate(vocab.CELLS) for s in ("training", "validation") for e in (1, 2)])


def _saturation_rows() -> list[dict]:
    return [{"name": "forget gate f", "activation": "sigmoid", "low": 0.1, "high": 0.6, "low_label": "< 0.1",
             "high_label": "> 0.9"}, {"name": "candidate ĉ", "activation": "tanh", "low": 0.2, "high": 0.1,
                                      "low_label": "< −0.9", "high_label": "> 0.9"}]


def _sequence() -> np.ndarray:
    x = np.zeros((T, 2), np.float32)
    x[:, 0] = np.linspace(0.1, 0.9, T)
    x[[1, 4], 1] = 1
    return x


def _gates(cell: str) -> dict[str, np.ndarray]:
    return {k: RNG.uniform(-1, 1, (T, U)) if k not in vocab.GATES[cell] else RNG.uniform(0, 1, (T, U))
            for k in vocab.KEYS[cell]}


def _sweep(two_numbers: bool) -> pd.DataFrame:
    n = len(vocab.CELLS)
    df = pd.DataFrame({"cell": [c for c in vocab.CELLS for _ in (10, 50)], "steps": [10, 50] * n,
                       "val_mse": np.linspace(0.01, 0.1, 2 * n), "baseline_mse": [0.16] * 2 * n,
                       "run_id": [f"r{k}" for k in range(2 * n)]})
    return df.assign(units=[2, 4] * n) if two_numbers else df


def _heatmap():
    return state_plots.gates_heatmaps(_gates("lstm"), ["f", "c_hat"], vocab.NAMES,
                                      {"f": (0.0, 1.0), "c_hat": (-1.0, 1.0)}, TICKS, "step", "t")


FIGURES = {
    "charts.loss_figure": lambda: plots.loss_figure(
        {"loss": [0.5, 0.3], "val_loss": [0.6, 0.4]}, pd.DataFrame({"x": [0.5, 1, 1.5, 2], "loss": [.7, .5, .4, .3]}),
        "regression", cell="gru", ghosts=[{"history": {"loss": [0.6, 0.5], "val_loss": [0.7, 0.6]}, "cell": "lstm",
                                           "label": "LSTM 4u · 2 ep"}]),
    "charts.prediction_figure": lambda: plots.prediction_figure(np.cos(np.arange(40) / 3), 30, np.zeros(10),
                                                               np.zeros(10), 0.1, 0.2, cell="lstm"),
    "charts.confusion_figure": lambda: plots.confusion_figure(np.array([[5, 1], [2, 7]]), ["neg", "pos"], "c"),
    "charts.compare_figure": lambda: plots.compare_figure(_curves(), "epoch", "loss", "regression"),
    "charts.gradient_figure": lambda: plots.gradient_figure(pd.DataFrame(
        [{"label": vocab.CELL_LABELS[c], "cell": c, "epoch": e, "step": s, "norm": 10.0 ** -s}
         for c in vocab.TRIO for e in (0, None) for s in range(1, T)]), "g"),
    "charts.saturation_figure": lambda: plots.saturation_figure(pd.DataFrame(
        [{**r, "label": "LSTM 4u", "gate": r["name"]} for r in _saturation_rows()])),
    "charts.writing_figure": lambda: plots.writing_figure(list("hello world"), np.linspace(-1, 1, 11),
                                                         list("hello world"), "w"),
    "states.states_heatmap": lambda: state_plots.states_heatmap(RNG.uniform(-1, 1, (T, U)), TICKS, "step"),
    "states.gates_heatmaps": _heatmap,
    "states.mean_curves": lambda: state_plots.mean_curves(
        [("gates", "mean (0 to 1)", {"i": np.full(T, 0.5), "f": np.full(T, 0.9)}, (0, 1)),
         ("state", "mean", {"c": np.zeros(T)})], TICKS, "step", "Means"),
    "states.saturation_figure": lambda: state_plots.saturation_figure(_saturation_rows()),
    "states.trajectory_figure": lambda: state_plots.trajectory_figure(
        (np.arange(2, 2 + T), RNG.normal(size=(T, 3))), TICKS,
        [(RNG.normal(size=(4, 3)), "negative"), (RNG.normal(size=(5, 3)), "positive")], np.array([.5, .3, .1])),
    "predictions.window_figure": lambda: prediction_plots.window_figure(np.linspace(-1, 1, 10), np.array([1.0]), "w"),
    "predictions.image_figure": lambda: prediction_plots.image_figure(
        RNG.integers(0, 256, (8, 8, 3), dtype=np.uint8), "rows", "i"),
    "predictions.image_grid_figure": lambda: prediction_plots.image_grid_figure(
        [RNG.integers(0, 256, (8, 8, 3), dtype=np.uint8)] * 3, ["cat"] * 3, ["cat", "dog", "cat"], [.5] * 3, cols=3),
    "predictions.readout_figure": lambda: prediction_plots.readout_figure(
        RNG.dirichlet(np.ones(3), T), TICKS, ["a", "b", "c"], 1, "row read", "When"),
    "predictions.horizon_error_figure": lambda: prediction_plots.horizon_error_figure(
        np.linspace(0.1, 1, 5), 3, "lstm", baseline=np.linspace(0.2, 1.2, 5)),
    "predictions.probability_histogram": lambda: prediction_plots.probability_histogram(
        RNG.uniform(size=20), RNG.integers(0, 2, 20), ["negative", "positive"]),
    "learn.rnn_states_figure": lambda: learn_plots.rnn_states_figure(np.zeros((T, 2)), np.zeros((T, 2)), 2),
    "learn.activation_figure": lambda: learn_plots.activation_figure(
        np.linspace(-3, 3, 7), {"tanh": np.tanh(np.linspace(-3, 3, 7))}, {"tanh": np.ones(7)}),
    "learn.eigen_figure": lambda: learn_plots.eigen_figure(np.array([0.5 + 0.5j, 0.5 - 0.5j, -0.9]), 0.9),
    "learn.norm_figure": lambda: learn_plots.norm_figure({"a": np.ones(T), "rnn": np.ones(T)}, "t", "y",
                                                               cells={"rnn": "simple_rnn"}),
    "learn.forget_path_figure": lambda: learn_plots.forget_path_figure(np.full((T, 2), 0.9), np.ones(T)),
    "learn.gate_step_figure": lambda: learn_plots.gate_step_figure(_gates("lstm"), 2, "lstm"),
    "learn.gate_time_figure": lambda: learn_plots.gate_time_figure(_gates("gru"), 2, "gru"),
    "sweep.metric_figure": lambda: sweep_plots.metric_figure(_sweep(False), ["cell", "steps"], "val_mse"),
    "sweep.heatmap_figure": lambda: sweep_plots.heatmap_figure(
        _sweep(True).query("cell == 'gru'"), ["steps", "units"], "val_mse"),
    "adding.sequence_figure": lambda: adding.sequence_figure(_sequence(), 0.5, "s", 0.4),
    "adding.prediction_figure": lambda: adding.prediction_figure(RNG.uniform(size=9), RNG.uniform(size=9), 0.16, "p",
                                                                 "gru"),
    "adding.mark_steps": lambda: adding.mark_steps(_heatmap(), [1, 4], TICKS),
    "adding.mark_path": lambda: adding.mark_path(adding.sequence_figure(_sequence(), 0.5, "s"),
                                                 RNG.normal(size=(T, 2)), [1, 4]),
    "adding.with_goal": lambda: adding.with_goal(plots.loss_figure({"loss": [0.5, 0.3]}, cell="lstm"), 0.01, "val_mse"),
    "adding.with_baseline": lambda: adding.with_baseline(plots.loss_figure({"loss": [0.5, 0.3]}, cell="lstm"), 0.16),
    "adding.share_figure": lambda: adding.share_figure(pd.DataFrame(
        [{"label": f"{vocab.CELL_LABELS[c]} 4u", "cell": c, "epoch": e, "share": 0.1 * (e + 1)}
         for c in vocab.TRIO for e in (0, 1, 2)]), 2 / T),
    "adding.looked_figure": lambda: adding.looked_figure(pd.DataFrame(
        [{"label": f"{vocab.CELL_LABELS[c]} 4u", "cell": c, "step": t + 1, "share": 1 / T}
         for c in vocab.TRIO for t in range(T)]), [1, 4], "sample 1 at epoch 2"),
    "adding.gap_figure": lambda: adding.gap_figure([{"lo": 1, "hi": 2, "mse": 0.05, "n": 10},
                                                    {"lo": 3, "hi": 3, "mse": 0.1, "n": 4}], 0.16, "gru"),
    "lesson.answers_figure": lambda: importlib.import_module("rnnviz.plots.lesson").answers_figure(
        ["a", "b", "c"], [3, 5, 1], 1, 0),
}
"""Every figure builder: "module.function" -> a function drawing a small example of it."""


def builders() -> set[str]:
    """"module.function" (the module's last name) for every public function of an `rnnviz` module (not `rnnviz.ui`) that imports Plotly
    and returns a `go.Figure`, found by reading the package (a new figure module or builder is found too)."""
    found = set()
    for path in sorted((ROOT / "rnnviz").rglob("*.py")):
        if "plotly" not in path.read_text() or path.parent.name == "ui" or path.stem in ("theme", "__init__"):
            continue
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for name, f in inspect.getmembers(module, inspect.isfunction):
            if f.__module__ == module.__name__ and not name.startswith("_") and \
                    str(inspect.signature(f).return_annotation) in ("go.Figure", "Figure"):
                found.add(f"{path.stem}.{name}")
    return found
