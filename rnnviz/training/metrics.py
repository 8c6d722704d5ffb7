"""Predictions and scores of a trained model: one-step and free-running forecasts, RMSE (also by horizon, beside
the "repeat the last value" baseline; a user's series in its own units beside persistence and seasonal-naive),
accuracy."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rnnviz.config import tasks
from rnnviz.data import lm, timeseries
from rnnviz.data.loaders import Dataset


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

    Each call predicts `horizon` values, which are appended to the window for the next call (beside the true
    values of any extra input columns, `ds.extra["inputs"]`).

    Returns:
        `(steps,)` predicted values (as the model gives them, scaled) for the series points after the first
        validation window's inputs, i.e. aligned with `ds.extra["series"][ds.extra["val_start"]:][:steps]`.
    """
    window = ds.x_val[:1].astype("float32")  # (1, window, features)
    start = np.asarray([ds.extra["val_start"]])
    out: list[float] = []
    while len(out) < steps:
        pred = np.asarray(model.predict_on_batch(window), "float32")  # (1, horizon), compiled: ~2 ms
        rows = _next_rows(ds, pred, start + len(out))
        out.extend(pred[0].tolist())
        window = np.concatenate([window, rows], axis=1)[:, -window.shape[1]:]
    return np.asarray(out[:steps], "float32")


def _next_rows(ds: Dataset, pred: np.ndarray, first: np.ndarray) -> np.ndarray:
    """The rows a free-running model reads next `(n, horizon, features)`: its predictions `(n, horizon)` of the
    rows from `first` `(n,)` on, beside those rows' true extra inputs (when the data has any)."""
    rows = pred[..., None].astype("float32")
    inputs = ds.extra.get("inputs")
    if inputs is None or inputs.shape[1] == 1:
        return rows
    t = np.minimum(np.asarray(first)[:, None] + np.arange(pred.shape[1]), len(inputs) - 1)  # (n, horizon)
    return np.concatenate([rows, inputs[t, 1:].astype("float32")], axis=-1)


def naive_scores(pred: np.ndarray, ds: Dataset) -> dict[str, float]:
    """A forecast's validation RMSE and MAE in the data's own units (over every predicted step) beside the
    persistence and seasonal-naive forecasts' (`rnnviz.data.timeseries`), and the period used."""
    pred, true = timeseries.unscale(pred, ds.extra), timeseries.unscale(ds.y_val, ds.extra)
    out = {"val_rmse": timeseries.rmse(pred, true), "val_mae": timeseries.mae(pred, true)}
    for key in ("persistence_rmse", "persistence_mae", "seasonal_rmse", "seasonal_mae"):
        out[key] = float(ds.extra[key])
    return {**out, "period": float(ds.extra["period"])}


def beats_persistence(m: dict[str, float]) -> bool | None:
    """Whether a forecast's validation RMSE is below persistence's (None when the run has no such baseline)."""
    if "persistence_rmse" not in m or "val_rmse" not in m:
        return None
    return m["val_rmse"] < m["persistence_rmse"]


def evaluate(model, ds: Dataset, details: dict[str, Any] | None = None) -> dict[str, float]:
    """Scores on the validation (and test, if any) data: `val_rmse` for regression (and, for the adding
    problem, `val_mse` beside `baseline_mse`, the constant-answer MSE); a language model's `lm_scores`
    (perplexity, bits per character, the n-gram baseline's); otherwise `val_loss`,
    `val_accuracy`, `test_loss`, `test_accuracy`.

    Args:
        details: when given, a classifier's test confusion matrix (`confusion`, a list of lists) and
            class names (`classes`) are put there, so they are stored with the run.
    """
    objective = tasks.objective(ds.task)
    if objective.per_step:  # a language model
        return lm_scores(float(model.evaluate(ds.x_val, ds.y_val, verbose=0, batch_size=256)), ds)
    if not objective.classes:
        pred = one_step(model, ds)
        if "persistence_rmse" in ds.extra:
            return naive_scores(pred, ds)
        error = rmse(pred, ds.y_val)
        if "baseline_mse" in ds.extra:
            return {"val_mse": error**2, "baseline_mse": float(ds.extra["baseline_mse"]), "val_rmse": error}
        return {"val_rmse": error}
    n_classes = len(ds.extra["classes"])
    out = {}
    for split, x, y in (("val", ds.x_val, ds.y_val), ("test", ds.x_test, ds.y_test)):
        if x is None:
            continue
        cl = classify(model, x, y, n_classes)
        out[f"{split}_loss"], out[f"{split}_accuracy"] = cl["loss"], cl["accuracy"]
        if details is not None and split == "test":
            details.update(confusion=cl["confusion"].tolist(), classes=list(ds.extra["classes"]))
    return out


def lm_scores(val_loss: float, ds: Dataset) -> dict[str, float]:
    """A language model's scores beside its count-based baseline on the same validation targets.

    Returns:
        `val_loss` (nats per token), `val_perplexity` = exp(loss), `baseline_perplexity`, `baseline_nll`,
        `perplexity_ratio` (the model's perplexity over the baseline's: below 1 beats it, 0.75 is 25% below)
        and, at character level, `val_bpc` = loss / ln 2, `baseline_bpc` and `bpc_ratio` (the model's bits per
        character over the baseline's: 0.95 is 5% fewer).
    """
    base = float(ds.extra["baseline_nll"])
    out = {"val_loss": val_loss, "val_perplexity": lm.perplexity(val_loss), "baseline_nll": base,
           "baseline_perplexity": lm.perplexity(base), "perplexity_ratio": math.exp(val_loss - base)}
    if ds.extra.get("level") == "char":
        out.update(val_bpc=lm.bits(val_loss), baseline_bpc=lm.bits(base), bpc_ratio=val_loss / base)
    return out


def forecast(model, ds: Dataset, steps: int) -> dict[str, np.ndarray | float | int]:
    """One-step and free-running predictions over the validation span, with their RMSE, in the data's units.

    Returns:
        `series`, `start` (first validation target), `one_step` `(n,)` (the first predicted value of each
        validation window), `free_run` `(steps,)`, `rmse_one`, `rmse_free`.
    """
    series, start = ds.extra["series"], ds.extra["val_start"]
    steps = max(1, min(steps, len(series) - start))
    one = timeseries.unscale(one_step(model, ds)[:, 0], ds.extra)
    free = timeseries.unscale(free_run(model, ds, steps), ds.extra)
    series = timeseries.unscale(series, ds.extra)
    return {"series": series, "start": start, "one_step": one, "free_run": free,
            "rmse_one": rmse(one, series[start:start + len(one)]),
            "rmse_free": rmse(free, series[start:start + steps])}


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts `(n_classes, n_classes)`: row = true class, column = predicted class."""
    return np.bincount(np.asarray(y_true, int) * n_classes + np.asarray(y_pred, int),
                       minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def classify(model, x: np.ndarray, y: np.ndarray, n_classes: int) -> dict[str, Any]:
    """Class probabilities, predicted classes, loss, accuracy and confusion matrix on `(x, y)`, one pass.

    Returns:
        `probs` `(n, n_classes)` (binary models: `[1 - p, p]`), `pred` `(n,)`, `loss` (the model's own
        Keras loss on these outputs), `accuracy`, `confusion` `(n_classes, n_classes)`.
    """
    import keras  # lazy: rnnviz.ui imports this before app.py's backend check

    out = np.asarray(model.predict(x, verbose=0, batch_size=256))
    y_true = np.asarray(y, "float32").reshape(len(y), -1) if out.shape[1] == 1 else np.asarray(y)
    loss = float(np.mean(keras.ops.convert_to_numpy(keras.losses.get(model.loss)(y_true, out))))  # a tensor on torch
    out = out.astype("float64")
    probs = np.concatenate([1 - out, out], axis=1) if out.shape[1] == 1 else out
    pred = probs.argmax(axis=1)
    y = np.asarray(y).astype(int).ravel()
    return {"probs": probs, "pred": pred, "loss": loss, "accuracy": float(np.mean(pred == y)),
            "confusion": confusion_matrix(y, pred, n_classes)}


def free_runs(model, ds: Dataset, steps: int, n_starts: int = 20
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Free-running forecasts from several validation windows (as `free_run`, all in one batch).

    Args:
        model: a cosine model.
        ds: its data.
        steps: values to predict from each start.
        n_starts: start windows, spread evenly over the validation span.

    Returns:
        `(pred, true, starts)`: predictions and actual values `(n, steps)`, and each start's offset from
        the first validation target `(n,)`.
    """
    series, start = ds.extra["series"], ds.extra["val_start"]
    n_val = len(series) - start
    steps = int(np.clip(steps, 1, n_val))
    starts = np.unique(np.linspace(0, min(n_val - steps, len(ds.x_val) - 1), n_starts).astype(int))
    window = ds.x_val[starts].astype(np.float32)  # (n, window, features)
    out: list[np.ndarray] = []
    done = 0
    while done < steps:
        pred = np.asarray(model.predict_on_batch(window), np.float32)  # (n, horizon)
        out.append(pred)
        window = np.concatenate([window, _next_rows(ds, pred, start + starts + done)], axis=1)[:, -window.shape[1]:]
        done += pred.shape[1]
    pred = np.concatenate(out, axis=1)[:, :steps]
    true = series[start + starts[:, None] + np.arange(steps)]
    return timeseries.unscale(pred, ds.extra), timeseries.unscale(true, ds.extra), starts


def persistence(ds: Dataset, starts: np.ndarray, steps: int) -> np.ndarray:
    """The "repeat the last value" forecast (persistence) from the start windows of `free_runs`: each
    window's last input value, held for `steps` steps. A model that cannot beat it has learned nothing about
    where the series goes next.

    Args:
        ds: a cosine `Dataset`.
        starts: offsets of the start windows from the first validation target `(n,)` (`free_runs`).
        steps: values to predict from each start.

    Returns:
        `(n, steps)` predictions, aligned with `free_runs`' `true`.
    """
    last = timeseries.unscale(ds.x_val[np.asarray(starts, int), -1, 0], ds.extra)  # the value just before each start
    return np.repeat(last[:, None], int(steps), axis=1)


def rmse_by_horizon(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Root mean squared error over the starts for each number of steps ahead: `(steps,)` from `(n, steps)`."""
    return np.sqrt(np.mean((np.asarray(pred, np.float64) - np.asarray(true, np.float64)) ** 2, axis=0))
