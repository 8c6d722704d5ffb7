"""Plotly figures: arrays or tidy frames in, `go.Figure` out; never any Streamlit here."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

LOSS_NAMES = {"mse": "mean squared error", "binary_crossentropy": "binary cross-entropy",
              "sparse_categorical_crossentropy": "cross-entropy"}
MAX_BATCH_POINTS = 600


def event_frames(events: list[dict[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Splits training events into per-epoch and per-batch frames.

    Returns:
        `(epochs, batches)`: `epochs` has one row per finished epoch (`epoch`, `loss`, `val_loss`, ...);
        `batches` has `x` (fractional epoch, e.g. 2.5 = half-way through epoch 3) and `loss`, thinned
        to at most `MAX_BATCH_POINTS` rows (the newest point is always kept).
    """
    events = list(events)  # the worker may append while we read
    epochs = pd.DataFrame([e for e in events if e["kind"] == "epoch"]).drop(columns="kind", errors="ignore")
    batches = pd.DataFrame([e for e in events if e["kind"] == "batch"])
    if len(batches):
        batches["x"] = batches["epoch"] - 1 + batches["step"] / batches["steps"]
        keep = np.unique(np.r_[np.linspace(0, len(batches) - 1, MAX_BATCH_POINTS).astype(int), len(batches) - 1])
        batches = batches.iloc[keep]
    return epochs, batches


def loss_figure(history: dict[str, list[float]] | pd.DataFrame, batches: pd.DataFrame | None = None,
                loss_name: str = "mse", log_y: bool = True) -> go.Figure:
    """Training and validation loss against epochs.

    Args:
        history: per-epoch `loss` and `val_loss` (dict of lists, or a frame with those columns and `epoch`).
        batches: optional frame with `x` (fractional epoch) and `loss`: the running mean within each epoch.
        loss_name: the Keras loss, named on the y axis.
        log_y: log-scale y axis (MSE spans orders of magnitude).
    """
    df = pd.DataFrame(history)
    if "epoch" not in df:
        df["epoch"] = np.arange(1, len(df) + 1)
    fig = go.Figure()
    if batches is not None and len(batches):
        fig.add_scatter(x=batches["x"], y=batches["loss"], mode="lines", name="training (per batch)",
                        line={"width": 1, "color": "rgba(31,119,180,0.45)"})
    for col, label, color in (("loss", "training", "#1f77b4"), ("val_loss", "validation", "#d62728")):
        if col in df:
            fig.add_scatter(x=df["epoch"], y=df[col], mode="lines+markers", name=f"{label} (epoch end)",
                            line={"color": color})
    fig.update_layout(title="Loss during training", xaxis_title="epoch",
                      yaxis_title=f"loss ({LOSS_NAMES.get(loss_name, loss_name)}{', log scale' if log_y else ''})",
                      legend={"orientation": "h", "y": -0.25}, margin={"t": 50, "b": 10}, height=380)
    fig.update_yaxes(type="log" if log_y else "linear", exponentformat="power")
    fig.update_xaxes(rangemode="tozero")
    return fig


def prediction_figure(series: np.ndarray, start: int, one_step: np.ndarray, free_run: np.ndarray,
                      rmse_one: float, rmse_free: float, train_tail: int = 100) -> go.Figure:
    """Prediction against the actual series over the validation span.

    Args:
        series: the whole series `(length,)`.
        start: index of the first validation target.
        one_step: `(n,)` teacher-forced predictions for `series[start:start + n]`.
        free_run: `(m,)` free-running predictions for `series[start:start + m]`.
        rmse_one, rmse_free: their errors, shown in the legend.
        train_tail: how many points before `start` to show, for context.
    """
    t = np.arange(len(series))
    lo = max(0, start - train_tail)
    fig = go.Figure()
    fig.add_scatter(x=t[lo:], y=series[lo:], mode="lines", name="actual", line={"color": "rgba(0,0,0,0.25)", "width": 6})
    fig.add_scatter(x=t[start:start + len(one_step)], y=one_step, mode="lines",
                    name=f"one-step (reads the true past) · RMSE {rmse_one:.4f}",
                    line={"color": "#1f77b4", "width": 1.5})
    fig.add_scatter(x=t[start:start + len(free_run)], y=free_run, mode="lines",
                    name=f"free-running (reads its own output) · RMSE {rmse_free:.4f}",
                    line={"color": "#ff7f0e", "dash": "dash", "width": 2.5})
    fig.add_vline(x=start, line_dash="dash", line_color="gray",
                  annotation_text="validation starts", annotation_position="top left")
    fig.update_layout(title="Prediction vs actual on the validation span", xaxis_title="time step",
                      yaxis_title="value", legend={"orientation": "h", "y": -0.25}, height=420,
                      margin={"t": 50, "b": 10})
    return fig
