"""A user's series made ready for a forecasting RNN: split by time, scaled on the training part only, cut into
windows, and scored by the two naive forecasts every forecast is compared with.

- Split: the last `val_fraction` of the rows are validation targets; validation windows may read the last rows
  of the training span as input, never as a target (as the cosine series). Nothing is shuffled across the split.
- Scaling: each column's mean and standard deviation over the training rows only; results are turned back into
  the data's own units (`unscale`).
- Baselines, on the validation targets, in the data's units: persistence repeats each window's last value;
  seasonal-naive repeats the value one period back (`period` rows; estimated from the training part's
  autocorrelation when the config leaves it at 0).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from rnnviz.config import CsvData
from rnnviz.data import tables, userdata


def split_point(rows: int, val_fraction: float) -> int:
    """Index of the first row whose value is a validation target."""
    return rows - int(rows * val_fraction)


def scaler(values: np.ndarray, split: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each column over the training rows `values[:split]` (a constant column's
    deviation is taken as 1): `(features,)` each."""
    train = np.asarray(values[:split], "float64")
    mean, std = train.mean(axis=0), train.std(axis=0)
    return mean, np.where(std > 0, std, 1.0)


def windows(values: np.ndarray, window: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets from a `(rows, features)` array: x `(n, window, features)` and y `(n, horizon)` (the
    next values of column 0), n = rows - window - horizon + 1."""
    both = sliding_window_view(values, window + horizon, axis=0)  # (n, features, window + horizon)
    both = np.moveaxis(both, 2, 1)  # (n, window + horizon, features)
    return both[:, :window].astype("float32"), both[:, window:, 0].astype("float32")


def target_index(split: int, n_val: int, window: int, horizon: int) -> np.ndarray:
    """The row of each validation target: int `(n_val, horizon)` (window k predicts rows split + k ...)."""
    return split + np.arange(n_val)[:, None] + np.arange(horizon)[None, :]


def persistence(series: np.ndarray, index: np.ndarray) -> np.ndarray:
    """The "repeat the last value" forecast of the rows `index` `(n, horizon)`: the row before each window's first
    target, for every step ahead."""
    return np.repeat(series[index[:, :1] - 1], index.shape[1], axis=1)


def seasonal(series: np.ndarray, index: np.ndarray, period: int) -> np.ndarray:
    """The seasonal-naive forecast of the rows `index` `(n, horizon)`: for h steps ahead of a window's last row,
    the value `period * ceil(h / period)` rows before the target (the last season the window has seen)."""
    h = np.arange(1, index.shape[1] + 1)
    back = period * ((h - 1) // period + 1)  # (horizon,)
    return series[index - back[None, :]]


def estimate_period(train: np.ndarray, max_lag: int | None = None) -> int:
    """The period of a series from its autocorrelation: the lag of the highest correlation after it first turns
    negative (a season's trough comes before its next peak); 1 when it never turns negative or no lag fits.

    Args:
        train: the training part of the target `(rows,)`.
        max_lag: the longest period considered (default: half the rows).
    """
    x = np.asarray(train, "float64") - np.mean(train)
    n = len(x)
    max_lag = min(max_lag or n // 2, n // 2)
    if max_lag < 2 or not np.any(x):
        return 1
    spectrum = np.fft.rfft(x, 2 * n)
    acf = np.fft.irfft(spectrum * np.conj(spectrum))[:max_lag + 1]
    acf = acf / acf[0]
    negative = np.flatnonzero(acf < 0)
    if not len(negative):
        return 1
    lag = int(negative[0] + np.argmax(acf[negative[0]:]))
    return lag if acf[lag] > 0 else 1


def rmse(pred: np.ndarray, true: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(pred, "float64") - np.asarray(true, "float64")) ** 2)))


def mae(pred: np.ndarray, true: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(pred, "float64") - np.asarray(true, "float64"))))


def prepare(opts: CsvData, blob: bytes, where: str = "the CSV file") -> dict[str, Any]:
    """Everything a `Dataset` of this series holds (see `rnnviz.data.loaders.load_csv`).

    Returns:
        `x_train`, `y_train`, `x_val`, `y_val` (scaled, float32), and `extra`: `series` (the scaled target, as
        the cosine series), `inputs` (every scaled column `(rows, features)`, for free-running forecasts that read
        the true extra inputs), `val_start`, `scale` (the target's mean and deviation: original = scaled * std +
        mean), `names`, `times`, `notes`, `period` (and whether it was estimated), and the baselines
        `persistence_rmse`, `persistence_mae`, `seasonal_rmse`, `seasonal_mae` in the data's units.

    Raises:
        tables.CsvError: a bad file or column choice, or a series too short for the window, horizon and split.
    """
    series = tables.pick(tables.read_table(blob, where), opts.target, opts.input_columns, opts.time, opts.fill,
                         where)
    values, rows = series.values, len(series.values)
    split = split_point(rows, opts.val_fraction)
    need = opts.window + opts.horizon + 1
    if rows - split < opts.horizon + 1 or split < need:
        raise tables.CsvError(f"{where} has {rows:,} row{'s' * (rows != 1)}: too short for window={opts.window}, horizon="
                              f"{opts.horizon} and val_fraction={opts.val_fraction} (the training part needs at "
                              f"least {need} rows and validation {opts.horizon + 1}); shorten the window")
    mean, std = scaler(values, split)
    scaled = ((values - mean) / std).astype("float32")  # (rows, features)
    x_train, y_train = windows(scaled[:split], opts.window, opts.horizon)
    x_val, y_val = windows(scaled[split - opts.window:], opts.window, opts.horizon)
    target = values[:, 0]
    estimated = opts.period == 0
    period = estimate_period(target[:split]) if estimated else opts.period
    if period >= split:
        raise tables.CsvError(f"period={period} is not shorter than the training part ({split} rows): set a "
                              "shorter period")
    index = target_index(split, len(y_val), opts.window, opts.horizon)
    true = target[index]
    base = {"persistence": persistence(target, index), "seasonal": seasonal(target, index, period)}
    extra = {"series": scaled[:, 0].copy(), "inputs": scaled, "val_start": split,
             "scale": (float(mean[0]), float(std[0])), "names": series.names, "times": series.times,
             "notes": series.notes, "period": period, "period_estimated": estimated}
    for name, pred in base.items():
        extra[f"{name}_rmse"], extra[f"{name}_mae"] = rmse(pred, true), mae(pred, true)
    return {"x_train": x_train, "y_train": y_train, "x_val": x_val, "y_val": y_val, "extra": extra}


def load(opts: CsvData) -> dict[str, Any]:
    """`prepare` on the config's stored file (`rnnviz.data.userdata`).

    Raises:
        userdata.DatasetMissing: the file is not stored here; tables.CsvError: as `prepare`.
    """
    blob = userdata.read(opts.file, "csv", "CSV file")
    return prepare(opts, blob, f"the CSV file {opts.file}")


def resolve(opts: CsvData, blob: bytes | None = None, where: str | None = None) -> CsvData:
    """Checks a config against its file (`blob`, else the stored one) and names its target column when the config
    left it to the default (""), so the config records every column it uses.

    Raises:
        userdata.DatasetMissing: no blob and no stored file; tables.CsvError: as `prepare`.
    """
    if blob is None:
        blob, where = userdata.read(opts.file, "csv", "CSV file"), f"the CSV file {opts.file}"
    names = prepare(opts, blob, where or "the CSV file")["extra"]["names"]
    return dataclasses.replace(opts, target=names[0])


def unscale(values: np.ndarray, extra: dict[str, Any]) -> np.ndarray:
    """Scaled target values in the data's own units (unchanged when the data was not scaled)."""
    mean, std = extra.get("scale", (0.0, 1.0))
    return np.asarray(values, "float64") * std + mean
