"""Predictions and scores of a trained model: one-step and free-running forecasts, RMSE, accuracy."""

from __future__ import annotations

import numpy as np

from rnnviz.data import Dataset


def rmse(pred: np.ndarray, true: np.ndarray) -> float:
    """Root mean squared error over all values."""
    return float(np.sqrt(np.mean((np.asarray(pred, "float64") - np.asarray(true, "float64")) ** 2)))


def one_step(model, ds: Dataset) -> np.ndarray:
    """Teacher-forced predictions on the validation windows: each reads the true past.

    Returns:
        `(n_val, horizon)` predictions aligned with `ds.y_val`.
    """
    return np.asarray(model.predict(ds.x_val, verbose=0, batch_size=512))


def free_run(model, ds: Dataset, steps: int) -> np.ndarray:
    """Free-running forecast: from the first validation window on, the model reads its own predictions.

    Each call predicts `horizon` values, which are appended to the window for the next call.

    Returns:
        `(steps,)` predicted values for the series points after the first validation window's inputs,
        i.e. aligned with `ds.extra["series"][ds.extra["val_start"]:][:steps]`.
    """
    window = ds.x_val[0, :, 0].astype("float32")  # (window,)
    out: list[float] = []
    while len(out) < steps:
        pred = np.asarray(model.predict_on_batch(window[None, :, None]))[0]  # (horizon,), compiled: ~2 ms
        out.extend(pred.tolist())
        window = np.concatenate([window, pred.astype("float32")])[-len(window):]
    return np.asarray(out[:steps], "float32")


def evaluate(model, ds: Dataset) -> dict[str, float]:
    """Scores on the validation (and test, if any) data: `val_rmse` for regression, accuracy otherwise."""
    if ds.task == "regression":
        return {"val_rmse": rmse(one_step(model, ds), ds.y_val)}
    out = {}
    for split, x, y in (("val", ds.x_val, ds.y_val), ("test", ds.x_test, ds.y_test)):
        if x is None:
            continue
        loss, acc = model.evaluate(x, y, verbose=0, batch_size=256)[:2]
        out[f"{split}_loss"], out[f"{split}_accuracy"] = float(loss), float(acc)
    return out


def forecast(model, ds: Dataset, steps: int) -> dict[str, np.ndarray | float | int]:
    """One-step and free-running predictions over the validation span, with their RMSE.

    Returns:
        `series`, `start` (first validation target), `one_step` `(n,)` (the first predicted value of each
        validation window), `free_run` `(steps,)`, `rmse_one`, `rmse_free`.
    """
    series, start = ds.extra["series"], ds.extra["val_start"]
    steps = max(1, min(steps, len(series) - start))
    one = one_step(model, ds)[:, 0]
    free = free_run(model, ds, steps)
    return {"series": series, "start": start, "one_step": one, "free_run": free,
            "rmse_one": rmse(one, series[start:start + len(one)]),
            "rmse_free": rmse(free, series[start:start + steps])}
