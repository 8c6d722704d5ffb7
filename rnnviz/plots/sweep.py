"""Figures of a sweep's tidy table (`rnnviz.training.sweep.results`): tidy DataFrame in, `go.Figure` out, no Streamlit.

- `metric_figure`: the metric against the swept value, one line per cell (for cell x T: the memory-span curve).
- `heatmap_figure`: the metric over two numeric swept fields.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from rnnviz.config import vocab
from rnnviz.plots import style
from rnnviz.training.sweep import LOWER_IS_BETTER

LABELS = {"val_mse": "validation MSE", "val_rmse": "validation RMSE", "baseline_mse": "baseline MSE",
          "test_accuracy": "test accuracy", "val_accuracy": "validation accuracy", "val_loss": "validation loss",
          "test_loss": "test loss", "train_seconds": "training time (s)", "steps": "steps T", "cell": "cell",
          "val_perplexity": "validation perplexity", "val_bpc": "validation bits per character",
          "perplexity_ratio": "perplexity over the n-gram's", "baseline_perplexity": "n-gram perplexity"}


def is_numeric(df: pd.DataFrame, field: str) -> bool:
    """True for an int or float column (not a bool, not text)."""
    return pd.api.types.is_numeric_dtype(df[field]) and not pd.api.types.is_bool_dtype(df[field])


def axes(vary: list[str]) -> tuple[str, str | None]:
    """(x, colour) for the line chart: x is the first swept field that is not `cell`; lines are cells, or the
    other swept field when `cell` is not swept."""
    x = next((f for f in vary if f != "cell"), vary[0])
    color = "cell" if x != "cell" else None
    if "cell" not in vary and len(vary) > 1:
        color = next(f for f in vary if f != x)
    return x, color


def metric_figure(df: pd.DataFrame, vary: list[str], metric: str) -> go.Figure:
    """The metric against the swept value, one line per cell (or per value of the second field).

    Args:
        df: the sweep's table (rows without the metric, e.g. runs still training, are left out).
        vary: the swept fields, in order.
        metric: a metric column, e.g. "val_mse".
    """
    x, color = axes(vary)
    done = df[df[metric].notna()].sort_values(x) if metric in df else df.iloc[:0]
    if color == "cell":  # the names people read ("SimpleRNN"), in the cells' own colours
        done = done.assign(cell=done["cell"].map(lambda c: vocab.CELL_LABELS.get(c, c)))
    elif color is not None:
        done = done.assign(**{color: done[color].astype(str)})
    log = metric in LOWER_IS_BETTER and len(done) and bool((done[metric] > 0).all())
    labels = {k: v for k, v in LABELS.items() if k in (x, metric, color)}
    labels[metric] = LABELS.get(metric, metric) + (" (log scale)" if log else "")
    by_cell = color == "cell"  # one colour, marker and dash per cell
    fig = px.line(done, x=x, y=metric, color=color, markers=True, log_y=log, hover_data=["run_id"], labels=labels,
                  color_discrete_map={vocab.CELL_LABELS[c]: v for c, v in style.CELL_COLORS.items()}
                  if by_cell else {}, color_discrete_sequence=style.CATEGORY_COLORS,
                  symbol=color if by_cell else None, line_dash=color if by_cell else None,
                  symbol_map={vocab.CELL_LABELS[c]: style.cell_symbol(c) for c in style.CELL_COLORS} if by_cell else {},
                  line_dash_map={vocab.CELL_LABELS[c]: style.cell_dash(c) for c in style.CELL_COLORS} if by_cell else {})
    if metric == "val_mse" and "baseline_mse" in done and done["baseline_mse"].notna().any():
        _baselines(fig, done, x)
    if not len(done) or not is_numeric(done, x):
        fig.update_xaxes(type="category")
    fig.update_layout(title=f"{LABELS.get(metric, metric)} against {LABELS.get(x, x)}"
                      + (f", one line per {LABELS.get(color, color)}" if color else ""), height=420,
                      margin={"t": 60, "b": 10, "l": 10, "r": 10})
    return fig


def _baselines(fig: go.Figure, done: pd.DataFrame, x: str) -> None:
    """The constant answer's MSE: one line across when the runs' baselines agree within 10% (each data set's own
    training mean gives a slightly different one), else a dashed line over the swept values (e.g. a sweep of
    `recall`: 1/6 for the sum, 1/12 for recalling one value)."""
    base = done.dropna(subset=["baseline_mse"]).groupby(x, sort=True)["baseline_mse"]
    if done["baseline_mse"].max() <= 1.1 * done["baseline_mse"].min():  # one baseline, up to sampling noise
        value = float(done["baseline_mse"].max())
        fig.add_hline(y=value, line_dash="dash", line_color=style.INK,
                      annotation_text=f"baseline MSE {value:.3f} (answering the mean)", annotation_position="top left")
        return
    means = base.mean()
    xs = [str(v) for v in means.index] if not is_numeric(done, x) else list(means.index)
    fig.add_scatter(x=xs, y=means.to_numpy(), mode="lines+markers", name="baseline MSE (answering the mean)",
                    line={"color": style.INK, "dash": "dash"}, marker={"color": style.INK, "symbol": "x"})


def heatmap_figure(df: pd.DataFrame, vary: list[str], metric: str) -> go.Figure:
    """The metric over two swept fields (first across, second down), the mean where runs repeat a cell."""
    a, b = vary[:2]
    done = df[df[metric].notna()]
    grid = done.pivot_table(index=b, columns=a, values=metric, aggfunc="mean")  # (b values, a values)
    fig = px.imshow(grid.to_numpy(dtype=np.float64), x=[str(v) for v in grid.columns],
                    y=[str(v) for v in grid.index], text_auto=".3g", aspect="auto",
                    color_continuous_scale=style.SEQUENTIAL + ("_r" if metric in LOWER_IS_BETTER else ""),
                    labels={"x": LABELS.get(a, a), "y": LABELS.get(b, b), "color": LABELS.get(metric, metric)})
    fig.update_xaxes(type="category", title=LABELS.get(a, a))
    fig.update_yaxes(type="category", title=LABELS.get(b, b))
    fig.update_layout(title=f"{LABELS.get(metric, metric)} over {LABELS.get(a, a)} and {LABELS.get(b, b)}",
                      height=420, margin={"t": 60, "b": 10, "l": 10, "r": 10})
    return fig
