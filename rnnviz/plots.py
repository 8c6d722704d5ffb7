"""Plotly figures: arrays or tidy frames in, `go.Figure` out; never any Streamlit here."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

LOSS_NAMES = {"regression": "mean squared error", "binary": "binary cross-entropy",
              "multiclass": "cross-entropy"}
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
                task: str = "regression", metric: str = "loss") -> go.Figure:
    """Training and validation loss (or accuracy) against epochs.

    Args:
        history: per-epoch `loss`, `val_loss` (and `accuracy`, `val_accuracy`): a dict of lists, or a frame
            with those columns and `epoch`.
        batches: optional frame with `x` (fractional epoch) and the metric: running means within each epoch.
        task: "regression" (MSE, log-scale axis), "binary" or "multiclass" (cross-entropy).
        metric: "loss" or "accuracy".
    """
    df = pd.DataFrame(history)
    if "epoch" not in df:
        df["epoch"] = np.arange(1, len(df) + 1)
    fig = go.Figure()
    if batches is not None and len(batches) and metric in batches:
        fig.add_scatter(x=batches["x"], y=batches[metric], mode="lines", name="training (per batch)",
                        line={"width": 1, "color": "rgba(31,119,180,0.45)"})
    for col, label, color in ((metric, "training", "#1f77b4"), (f"val_{metric}", "validation", "#d62728")):
        if col in df:
            fig.add_scatter(x=df["epoch"], y=df[col], mode="lines+markers", name=f"{label} (epoch end)",
                            line={"color": color})
    log_y = metric == "loss" and task == "regression"
    y_title = (f"loss ({LOSS_NAMES[task]}{', log scale' if log_y else ''})" if metric == "loss"
               else "accuracy (share correct)")
    fig.update_layout(title=f"{metric.capitalize()} during training", xaxis_title="epoch", yaxis_title=y_title,
                      legend={"orientation": "h", "y": -0.25}, margin={"t": 50, "b": 10}, height=380)
    fig.update_yaxes(type="log" if log_y else "linear", exponentformat="power")
    if metric == "accuracy":
        fig.update_yaxes(tickformat=".0%")
    if batches is not None and len(batches) and metric in batches:
        fig.update_xaxes(rangemode="tozero")  # fractional epochs: the batch curve starts at 0
    else:
        fig.update_xaxes(tick0=1, dtick=1 if len(df) <= 20 else None)  # whole epochs only
    return fig


def confusion_figure(confusion: np.ndarray, classes: list[str], title: str) -> go.Figure:
    """A confusion matrix heatmap: rows true class, columns predicted, each cell's count written in it."""
    fig = go.Figure(go.Heatmap(z=confusion, x=classes, y=classes, colorscale="Blues", text=confusion,
                               texttemplate="%{text}", hovertemplate="true %{y}<br>predicted %{x}<br>%{z} samples"
                               "<extra></extra>", colorbar={"title": "samples"}))
    fig.update_layout(title=title, xaxis_title="predicted class", yaxis_title="true class",
                      height=260 + 30 * len(classes), margin={"t": 50, "b": 10})
    fig.update_yaxes(autorange="reversed")
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


def compare_figure(curves: pd.DataFrame, x: str = "epoch", metric: str = "loss", task: str = "regression"
                   ) -> go.Figure:
    """Overlaid training (dashed) and validation (solid) curves of several runs.

    Args:
        curves: `rnnviz.compare.curves` output (label, epoch, seconds, split, value).
        x: "epoch" or "seconds" (wall clock since training started).
        metric: "loss" or "accuracy" (names the y axis).
        task: the runs' task, for the loss's name and scale.
    """
    fig = go.Figure()
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
    for k, (label, df) in enumerate(curves.groupby("label", sort=False)):
        for split, dash in (("training", "dash"), ("validation", "solid")):
            part = df[df["split"] == split]
            fig.add_scatter(x=part[x], y=part["value"], mode="lines+markers", name=f"{label} ({split})",
                            line={"color": colors[k % len(colors)], "dash": dash}, legendgroup=label)
    log_y = metric == "loss" and task == "regression"
    y_title = (f"loss ({LOSS_NAMES[task]}{', log scale' if log_y else ''})" if metric == "loss"
               else "accuracy (share correct)")
    fig.update_layout(title=f"{metric.capitalize()} by {'epoch' if x == 'epoch' else 'training time'}",
                      xaxis_title="epoch" if x == "epoch" else "training time (seconds since the start)",
                      yaxis_title=y_title, height=400, margin={"t": 50, "b": 10},
                      legend={"orientation": "h", "y": -0.25})
    fig.update_yaxes(type="log" if log_y else "linear", exponentformat="power")
    if metric == "accuracy":
        fig.update_yaxes(tickformat=".0%")
    return fig


def gradient_figure(df: pd.DataFrame, title: str) -> go.Figure:
    """Gradient norm against time step (log scale); one line per run (`label`) and epoch, if given."""
    fig = go.Figure()
    for (label, epoch), part in df.groupby(["label", df["epoch"].fillna(-1)], sort=False):
        name = label if epoch < 0 else f"{label}, epoch {int(epoch)}"
        fig.add_scatter(x=part["step"], y=part["norm"], mode="lines", name=name)
    fig.update_layout(title=title, xaxis_title="input time step (1 = first read)",
                      yaxis_title="|d loss / d input| (mean over samples, log scale)", height=400,
                      margin={"t": 50, "b": 10}, legend={"orientation": "h", "y": -0.25})
    fig.update_yaxes(type="log", exponentformat="power")
    return fig


def saturation_figure(df: pd.DataFrame) -> go.Figure:
    """Grouped bars: each run's and gate's share of values near 0 (< 0.1) and near 1 (> 0.9)."""
    fig = go.Figure()
    for col, color in (("below 0.1", "#1f77b4"), ("above 0.9", "#d62728")):
        fig.add_bar(x=[df["label"], df["gate"]], y=df[col], name=f"share {col}", marker_color=color,
                    text=df[col], texttemplate="%{text:.0%}", textposition="outside")
    if len(df) and not (df[["below 0.1", "above 0.9"]].to_numpy() > 0).any():
        fig.add_annotation(text="No gate value is below 0.1 or above 0.9: every gate works in its middle range "
                                "(partly open), none is saturated.", x=0.5, y=0.6, xref="paper", yref="paper",
                           showarrow=False, font={"size": 14})
    fig.update_layout(title="Gate saturation (share of values near 0 or 1, probe samples)", barmode="group",
                      xaxis_title="run and gate", yaxis_title="share of gate values", height=400,
                      margin={"t": 50, "b": 10})
    fig.update_yaxes(tickformat=".0%", range=[0, 1])
    return fig
