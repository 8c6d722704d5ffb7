"""Data for training runs: the cosine series and its windows, and the `Dataset` every model trains on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from rnnviz.config import CosineData


@dataclass
class Dataset:
    """Arrays ready for `model.fit`, and what kind of task they pose.

    Attributes:
        x_train, y_train, x_val, y_val: inputs `(n, time, features)` (or `(n, time)` token ids) and targets.
        task: "regression", "binary" or "multiclass".
        n_outputs: width of the model's output layer.
        x_test, y_test: a held-out test set, when the data set has one.
        extra: data-specific things the pages need (e.g. the cosine series and where validation starts).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    task: str
    n_outputs: int
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def cosine_series(opts: CosineData, seed: int = 0) -> np.ndarray:
    """The series `cos(2 pi t / period) + noise` for t = 0..length-1, float32 `(length,)`."""
    t = np.arange(opts.length)
    series = np.cos(2 * np.pi * t / opts.period)
    if opts.noise > 0:
        series = series + np.random.default_rng(seed).normal(0.0, opts.noise, opts.length)
    return series.astype("float32")


def windows(series: np.ndarray, window: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Cuts a series into inputs and targets.

    Args:
        series: `(length,)` values.
        window: input steps per sample.
        horizon: values to predict after each window.

    Returns:
        x `(n, window, 1)` and y `(n, horizon)`, with n = length - window - horizon + 1.
    """
    both = sliding_window_view(series, window + horizon)  # (n, window + horizon)
    return both[:, :window, None].copy(), both[:, window:].copy()


def val_start(opts: CosineData) -> int:
    """Index of the first series point whose value is a validation target."""
    return opts.length - int(opts.length * opts.val_fraction)


def load_cosine(opts: CosineData, seed: int = 0) -> Dataset:
    """Windows of the cosine series, split chronologically: validation targets all lie after training.

    Validation windows may read the last points of the training span as input, never as a target.
    """
    series = cosine_series(opts, seed)
    split = val_start(opts)
    x_train, y_train = windows(series[:split], opts.window, opts.horizon)
    x_val, y_val = windows(series[split - opts.window:], opts.window, opts.horizon)
    return Dataset(x_train, y_train, x_val, y_val, task="regression", n_outputs=opts.horizon,
                   extra={"series": series, "val_start": split})


LOADERS: dict[str, Callable[..., Dataset]] = {"cosine": lambda opts, seed, data_dir=None: load_cosine(opts, seed)}


def availability() -> list[dict[str, str]]:
    """One row per data set: its name and whether it can be used here (and from where)."""
    return [{"data set": "cosine", "status": "available (generated)"}]


def load(opts: Any, seed: int = 0, data_dir: str | None = None) -> Dataset:
    """The `Dataset` for a config's data options (`cfg.data`), whatever the data set."""
    return LOADERS[opts.name](opts, seed, data_dir=data_dir)
