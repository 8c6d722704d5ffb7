"""Plotly figures: arrays or tidy frames in, `go.Figure` out; never any Streamlit here.

Colours, dashes and scales come from `rnnviz.plots.style`: one colour per cell, training dashed and validation solid.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.colors as px_colors
import plotly.graph_objects as go

from rnnviz.config import tasks
from rnnviz.plots import style

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
    batches = pd.DataFrame([e for e in events if e["kind"] == "batch"]).drop(columns="kind", errors="ignore")
    return epochs, batch_frame(batches)


def batch_frame(batches: dict[str, list[float]] | pd.DataFrame) -> pd.DataFrame:
    """Per-batch values (`epoch`, `step`, `steps`, `loss`, ...; a stored run's `batches()` or the live
    events) with `x`, the fractional epoch, thinned to at most `MAX_BATCH_POINTS` rows (the newest kept)."""
    batches = pd.DataFrame(batches)
    if len(batches):
        batches["x"] = batches["epoch"] - 1 + batches["step"] / batches["steps"]
        keep = np.unique(np.r_[np.linspace(0, len(batches) - 1, MAX_BATCH_POINTS).astype(int), len(batches) - 1])
        batches = batches.iloc[keep]
    return batches


def loss_figure(history: dict[str, list[float]] | pd.DataFrame, batches: pd.DataFrame | None = None,
                task: str = "regression", metric: str = "loss", cell: str | None = None,
                ghosts: list[dict[str, Any]] | None = None, label: str | None = None) -> go.Figure:
    """Training (dashed) and validation (solid) loss (or accuracy) against epochs, in the cell's colour.

    Args:
        history: per-epoch `loss`, `val_loss` (and `accuracy`, `val_accuracy`): a dict of lists, or a frame
            with those columns and `epoch`.
        batches: optional frame with `x` (fractional epoch) and the metric: running means within each epoch.
        task: "regression" (MSE, log-scale axis), "binary" or "multiclass" (cross-entropy), or "lm" (a
            language model: the right axis and the hover read the loss as perplexity e^loss and as bits, loss / ln 2).
        metric: "loss" or "accuracy".
        cell: the run's cell (its colour, `style.cell_color`).
        ghosts: earlier runs drawn faint behind this one, each a dict with `label` (e.g. "GRU 32u · 20 ep",
            shown in the legend and at the curve's end), `cell` and `history` (as `history`): their validation
            curve (the training curve when there is none), in their cell's colour.
        label: this run's label, put before its curves' names (useful beside ghosts).
    """
    color = style.cell_color(cell)
    df = pd.DataFrame(history)
    if "epoch" not in df:
        df["epoch"] = np.arange(1, len(df) + 1)
    fig = go.Figure()
    for ghost in ghosts or ():
        _ghost(fig, ghost, metric)
    prefix = f"{label}: " if label else ""
    if batches is not None and len(batches) and metric in batches:
        fig.add_scatter(x=batches["x"], y=batches[metric], mode="lines", name=f"{prefix}training (per batch)",
                        line={"width": 1, "color": style.rgba(color, 0.4)})
    for col, split in ((metric, "training"), (f"val_{metric}", "validation")):
        if col in df:
            fig.add_scatter(x=df["epoch"], y=df[col], mode="lines+markers", name=f"{prefix}{split} (epoch end)",
                            line={"color": color, "dash": style.SPLIT_DASH[split]})
    log_y = metric == "loss" and tasks.objective(task).log_loss
    y_title = (f"loss ({tasks.objective(task).loss_name}{', log scale' if log_y else ''})" if metric == "loss"
               else "accuracy (share correct)")
    fig.update_layout(title=f"{metric.capitalize()} during training", xaxis_title="epoch", yaxis_title=y_title,
                      legend={"orientation": "h", "y": -0.25}, margin={"t": 50, "b": 10}, height=380)
    fig.update_yaxes(type="log" if log_y else "linear", exponentformat="power")
    if metric == "accuracy":
        fig.update_yaxes(tickformat=".0%")
    if tasks.objective(task).per_step and metric == "loss":  # a language model's loss: perplexity beside it
        _perplexity_axis(fig)
    if batches is not None and len(batches) and metric in batches:
        fig.update_xaxes(rangemode="tozero")  # fractional epochs: the batch curve starts at 0
    else:
        fig.update_xaxes(tick0=1, dtick=1 if len(df) <= 20 else None)  # whole epochs only
    return fig


GHOST_ALPHA = 0.35
"""How faint an earlier run's curve is drawn (its cell's colour at this opacity)."""


def _ghost(fig: go.Figure, ghost: dict[str, Any], metric: str) -> None:
    """One earlier run's curve, faint, named by its label in the legend and at its last point."""
    history = pd.DataFrame(ghost["history"])
    col, split = (f"val_{metric}", "validation") if f"val_{metric}" in history else (metric, "training")
    if col not in history or not len(history):
        return
    epoch = history["epoch"] if "epoch" in history else np.arange(1, len(history) + 1)
    cell_color = style.cell_color(ghost.get("cell"))
    fig.add_scatter(x=epoch, y=history[col], mode="lines", name=f"{ghost['label']} ({split}, earlier)",
                    legendgroup="earlier", line={"color": style.rgba(cell_color, GHOST_ALPHA), "width": 2,
                                                 "dash": style.SPLIT_DASH[split]})
    fig.add_scatter(x=[np.asarray(epoch)[-1]], y=[history[col].iloc[-1]], mode="text", text=[ghost["label"]],
                    textposition="top left", textfont={"color": style.rgba(cell_color, 0.75)}, showlegend=False,
                    hoverinfo="skip", legendgroup="earlier")


def _perplexity_axis(fig: go.Figure) -> None:
    """A language model's loss read as perplexity (right axis, e^loss) and bits (hover, loss / ln 2)."""
    values = [v for trace in fig.data for v in trace.y if v is not None and np.isfinite(v)]
    if not values:
        return
    lo, hi = min(values), max(values)
    ticks = np.linspace(lo, hi, 5) if hi > lo else np.array([lo])
    for trace in fig.data:
        trace.customdata = np.stack([np.exp(trace.y), np.asarray(trace.y) / np.log(2)], axis=-1)
        trace.hovertemplate = ("epoch %{x:.2f}<br>loss %{y:.3f} nats<br>perplexity %{customdata[0]:.2f}"
                               "<br>%{customdata[1]:.3f} bits per token<extra>%{fullData.name}</extra>")
    fig.add_scatter(x=[fig.data[0].x[0]], y=[lo], yaxis="y2", showlegend=False, hoverinfo="skip",
                    mode="markers", marker={"opacity": 0})  # gives the right axis something to hold
    fig.update_layout(yaxis2={"title": {"text": "perplexity e^loss"}, "overlaying": "y", "side": "right",
                              "tickvals": ticks,
                              "ticktext": [f"{np.exp(t):.3g}" for t in ticks], "matches": "y"})


def confusion_figure(confusion: np.ndarray, classes: list[str], title: str) -> go.Figure:
    """A confusion matrix heatmap: rows true class, columns predicted, each cell's count written in it."""
    fig = go.Figure(go.Heatmap(z=confusion, x=classes, y=classes, colorscale=style.SEQUENTIAL, text=confusion,
                               texttemplate="%{text}", hovertemplate="true %{y}<br>predicted %{x}<br>%{z} samples"
                               "<extra></extra>", colorbar={"title": "samples"}))
    fig.update_layout(title=title, xaxis_title="predicted class", yaxis_title="true class",
                      height=260 + 30 * len(classes), margin={"t": 50, "b": 10})
    fig.update_yaxes(autorange="reversed")
    return fig


def prediction_figure(series: np.ndarray, start: int, one_step: np.ndarray, free_run: np.ndarray,
                      rmse_one: float, rmse_free: float, train_tail: int = 100, cell: str | None = None
                      ) -> go.Figure:
    """Prediction against the actual series over the validation span.

    Args:
        series: the whole series `(length,)`.
        start: index of the first validation target.
        one_step: `(n,)` teacher-forced predictions for `series[start:start + n]`.
        free_run: `(m,)` free-running predictions for `series[start:start + m]`.
        rmse_one, rmse_free: their errors, shown in the legend.
        train_tail: how many points before `start` to show, for context.
        cell: the run's cell: both predictions are drawn in its colour (one-step solid, free-running dotted).
    """
    color = style.cell_color(cell)
    t = np.arange(len(series))
    lo = max(0, start - train_tail)
    fig = go.Figure()
    fig.add_scatter(x=t[lo:], y=series[lo:], mode="lines", name="actual", line={"color": style.NEUTRAL, "width": 6})
    fig.add_scatter(x=t[start:start + len(one_step)], y=one_step, mode="lines",
                    name=f"one-step (reads the true past) · RMSE {rmse_one:.4f}",
                    line={"color": color, "width": 1.5})
    fig.add_scatter(x=t[start:start + len(free_run)], y=free_run, mode="lines",
                    name=f"free-running (reads its own output) · RMSE {rmse_free:.4f}",
                    line={"color": color, "dash": "dot", "width": 3})
    fig.add_vline(x=start, line_dash="dash", line_color=style.REFERENCE,
                  annotation_text="validation starts", annotation_position="top left")
    fig.update_layout(title="Prediction vs actual on the validation span", xaxis_title="time step",
                      yaxis_title="value", legend={"orientation": "h", "y": -0.25}, height=420,
                      margin={"t": 50, "b": 10})
    return fig


def _cell_colors(df: pd.DataFrame) -> dict[str, str]:
    """Legend label -> its cell's colour (`cell` column; labels without one get `style.UNKNOWN_CELL`)."""
    cells = df["cell"] if "cell" in df else pd.Series([None] * len(df), index=df.index)
    return {label: style.cell_color(cell) for label, cell in zip(df["label"], cells)}


EXTRA_SYMBOLS = ("circle-open", "square-open", "diamond-open", "triangle-down", "cross", "hexagon", "pentagon")
"""Markers for a second (third, ...) run of one cell: the cells' own symbols are taken by the cells."""


def _symbols(df: pd.DataFrame) -> dict[str, str]:
    """Legend label -> marker symbol: each cell's own (`style.cell_symbol`); further runs of one cell (same colour)
    get other symbols."""
    cells = df["cell"] if "cell" in df else pd.Series([None] * len(df), index=df.index)
    seen: dict = {}
    out = {}
    for label, cell in dict(zip(df["label"], cells)).items():
        k = seen[cell] = seen.get(cell, -1) + 1
        out[label] = style.cell_symbol(cell) if k == 0 else EXTRA_SYMBOLS[(k - 1) % len(EXTRA_SYMBOLS)]
    return out


def compare_figure(curves: pd.DataFrame, x: str = "epoch", metric: str = "loss", task: str = "regression"
                   ) -> go.Figure:
    """Overlaid training (dashed) and validation (solid) curves of several runs, one colour per cell.

    Args:
        curves: `rnnviz.inspect.compare.curves` output (run, label, cell, epoch, seconds, split, value).
        x: "epoch" or "seconds" (wall clock since training started).
        metric: "loss" or "accuracy" (names the y axis).
        task: the runs' task, for the loss's name and scale.
    """
    df = curves.assign(run=curves["run"] if "run" in curves else curves["label"])
    fig = px.line(df, x=x, y="value", color="label", line_dash="split", line_group="run", symbol="label",
                  markers=True, color_discrete_map=_cell_colors(df), line_dash_map=style.SPLIT_DASH,
                  symbol_map=_symbols(df), category_orders={"split": list(style.SPLIT_DASH)})
    for trace in fig.data:  # px names traces "label, split"
        label, split = trace.name.rsplit(", ", 1)
        trace.update(name=f"{label} ({split})", legendgroup=label)
    log_y = metric == "loss" and tasks.objective(task).log_loss
    y_title = (f"loss ({tasks.objective(task).loss_name}{', log scale' if log_y else ''})" if metric == "loss"
               else "accuracy (share correct)")
    fig.update_layout(title=f"{metric.capitalize()} by {'epoch' if x == 'epoch' else 'training time'}",
                      xaxis_title="epoch" if x == "epoch" else "training time (seconds since the start)",
                      yaxis_title=y_title, height=400, margin={"t": 50, "b": 10},
                      legend={"orientation": "h", "y": -0.25, "title": None})
    fig.update_yaxes(type="log" if log_y else "linear", exponentformat="power")
    if metric == "accuracy":
        fig.update_yaxes(tickformat=".0%")
    return fig


def gradient_figure(df: pd.DataFrame, title: str) -> go.Figure:
    """Gradient norm against time step (log scale); one line per run (`label`, coloured by `cell`) and epoch.

    With exactly the untrained weights (epoch 0) and the trained ones, they are drawn side by side in two
    panels sharing the log axis ("before training" | "trained"), so a fall that the cell causes and one the
    model learned can be told apart. Any other set of epochs is drawn in one panel, epochs told apart by dash
    (the latest solid).

    Args:
        df: `compare.gradient_over_time` frames with `label` (and `cell`) added: epoch (None: the final
            weights), step, norm.
        title: the figure title.
    """
    df = df.assign(when=[("trained" if pd.isna(e) else f"epoch {int(e)}") for e in df["epoch"]])
    order = sorted(df["when"].unique(), key=lambda w: (w == "trained", int(w.split()[-1]) if w != "trained" else 0))
    beside = order == ["epoch 0", "trained"]
    dashes = ["dot", "dashdot", "dash", "longdash", "solid"]
    symbols = _symbols(df)
    shared = len(set(symbols.values())) > 1  # two runs of one cell: one colour, told apart by marker
    styling = {"line_dash": "when", "line_dash_map": {w: dashes[max(0, len(dashes) - len(order) + k)]
                                                      for k, w in enumerate(order)}}
    if beside:  # the dash is free: each cell's own
        cells = df["cell"] if "cell" in df else [None] * len(df)
        styling = {"facet_col": "when", "facet_col_spacing": 0.06, "line_dash": "label",
                   "line_dash_map": {label: style.cell_dash(c) for label, c in zip(df["label"], cells)}}
    fig = px.line(df, x="step", y="norm", color="label", color_discrete_map=_cell_colors(df),
                  category_orders={"when": order}, symbol="label" if shared else None,
                  symbol_map=symbols if shared else {}, markers=shared, **styling)
    for trace in fig.data:  # px names traces "label, when" (and ", label" again with markers), or "label" in panels
        label, when = (trace.name.split(", ") + ["trained"])[:2]
        trace.update(name=label if beside or (len(order) == 1 and when == "trained") else f"{label}, {when}",
                     legendgroup=label, showlegend=not beside or trace.xaxis in ("x", None))
    if beside:
        names = {"when=epoch 0": "before training (epoch 0)", "when=trained": "trained"}
        fig.for_each_annotation(lambda a: a.update(text=names.get(a.text, a.text), font={"size": 14}))
        fig.update_xaxes(title="input time step (1 = first read)")
        fig.update_yaxes(title=None)
        fig.update_yaxes(title="|d loss / d input| (mean over samples, log scale)", col=1)
    else:
        fig.update_layout(xaxis_title="input time step (1 = first read)",
                          yaxis_title="|d loss / d input| (mean over samples, log scale)")
    fig.update_layout(title=title, height=420 if beside else 400, margin={"t": 70 if beside else 50, "b": 10},
                      legend={"orientation": "h", "y": -0.25, "title": None})
    fig.update_yaxes(type="log", exponentformat="power")
    return fig


def saturation_figure(df: pd.DataFrame) -> go.Figure:
    """Grouped bars: each run's and gate's share of values at the low and the high end of its activation.

    Args:
        df: `compare.gate_saturation` rows with `label` added (`gate`, `low`, `high`, `low_label`,
            `high_label`, `activation`); the one definition of saturation (`inspection.saturation_rows`).
    """
    fig = go.Figure()
    for end, color in (("low", style.SEQUENTIAL_LOW), ("high", style.SEQUENTIAL_HIGH)):
        ends = ", ".join(dict.fromkeys(f"{lab} ({act})" for lab, act in zip(df[f"{end}_label"], df["activation"])))
        fig.add_bar(x=[df["label"], df["gate"]], y=df[end], name=f"{end} end: {ends}", marker_color=color,
                    marker_line={"color": style.INK_SOFT, "width": 0.5}, text=df[end], texttemplate="%{text:.0%}",
                    textposition="outside")
    fig.update_layout(title="Gate saturation (share of values at the flat ends of the gate's activation, probe "
                            "samples)", barmode="group", xaxis_title="run and gate", yaxis_title="share of gate values",
                      height=400, margin={"t": 50, "b": 10}, legend={"orientation": "h", "y": -0.3})
    fig.update_yaxes(tickformat=".0%", range=[0, 1])
    return fig


def _hex(rgb: str) -> str:
    """"rgb(r, g, b)" (as Plotly's colour scales give them) -> "#RRGGBB"."""
    return "#" + "".join(f"{round(v):02X}" for v in px_colors.unlabel_rgb(rgb))


def writing_figure(symbols: list[str], activation: np.ndarray, hover: list[str], title: str,
                   per_line: int = 60) -> go.Figure:
    """Generated text, each token on a square coloured by one unit's activation (blue −, red +), the hover
    listing the most likely next tokens.

    Args:
        symbols: the generated tokens' text (a character, or a word).
        activation: `(len(symbols),)` the unit's value after each token.
        hover: one text per token (e.g. its top 5 next tokens with probabilities).
        title: the figure's title.
        per_line: characters per line before wrapping.
    """
    xs, ys, x, y = [], [], 0, 0
    for s in symbols:
        width = max(1, len(s))
        if x and x + width > per_line:
            x, y = 0, y + 1
        xs.append(x + width / 2)
        ys.append(y)
        x += width + (1 if len(s) > 1 else 0)
    limit = float(np.nanmax(np.abs(activation))) if len(activation) else 1.0
    limit = limit or 1.0
    squares = px_colors.sample_colorscale(style.DIVERGING, list((np.clip(np.nan_to_num(activation), -limit, limit)
                                                                 / limit + 1) / 2)) if len(activation) else []
    ink = [max(style.ON_COLOUR, key=lambda c, b=b: style.contrast_ratio(c, _hex(b))) for b in squares]
    fig = go.Figure(go.Scatter(
        x=xs, y=ys, mode="markers+text", text=[s if s != " " else "·" for s in symbols], hovertext=hover,
        hoverinfo="text", textfont={"family": "monospace", "size": 14, "color": ink},  # dark or light: 4.5:1
        marker={"symbol": "square", "size": 18, "color": activation, "colorscale": style.DIVERGING,
                "cmin": -(limit or 1.0), "cmax": limit or 1.0, "colorbar": {"title": "activation"}}))
    fig.update_layout(title=title, xaxis_title="position in the line", yaxis_title="line", height=120 + 26 * (y + 1),
                      margin={"t": 50, "b": 10})
    fig.update_yaxes(autorange="reversed", showticklabels=False)
    fig.update_xaxes(showticklabels=False)
    return fig
