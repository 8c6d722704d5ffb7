"""Figures of what a network reads and what it predicts: the sample (a cosine window, a CIFAR image), class
probabilities over time and each word's effect on them, and, over many samples, the probability histogram, test
images with their predictions and the forecast error by horizon. Arrays in, `go.Figure` out, never Streamlit.

The same conventions as `rnnviz.plots.states` (its frame, step labels and colours from `rnnviz.plots.style`).
"""

from __future__ import annotations

from html import escape

import numpy as np
import plotly.graph_objects as go
from plotly.colors import get_colorscale, sample_colorscale
from plotly.subplots import make_subplots

from rnnviz.plots import style
from rnnviz.plots.states import TOP_LEGEND, _layout

COLORS = style.CATEGORY_COLORS


def word_effects(p_after: np.ndarray) -> np.ndarray:
    """How much each word moved P(positive): the model's output after the word minus its output before it.

    Args:
        p_after: P(positive) had the text ended after each step `(steps,)` (`readout.readout_over_time`), the
            first step being `<start>`.

    Returns:
        `(steps - 1,)` changes, one per word after `<start>` (positive: the word pushed toward "positive").
    """
    return np.diff(np.asarray(p_after, np.float64))


def word_effect_html(words: list[str], effects: np.ndarray) -> str:
    """The review's words on the diverging scale (`style.DIVERGING`): red raised P(positive), blue lowered it,
    white left it; the strongest change in either direction gets the deepest colour. Hover a word for its number.

    Args:
        words: the words read, one per effect.
        effects: `word_effects` `(len(words),)`.

    Returns:
        HTML: one `<span>` per word (escaped), for a Markdown element that allows HTML.
    """
    effects = np.asarray(effects, np.float64)
    top = float(np.nanmax(np.abs(effects))) if effects.size else 0.0
    where = 0.5 + 0.5 * np.nan_to_num(effects) / (top or 1.0)  # 0 (most negative) .. 0.5 (none) .. 1
    colors = sample_colorscale(get_colorscale(style.DIVERGING), list(np.clip(where, 0, 1)), colortype="rgb")
    ink = ["#FFFFFF" if abs(w - 0.5) > 0.35 else "#000000" for w in where]  # light text on the deep ends
    spans = [f'<span title="{e:+.3f}" style="background-color:{c};color:{k};padding:0.1em 0.25em;'
             f'border-radius:0.25em;line-height:2">{escape(word)}</span>'
             for word, e, k, c in zip(words, effects, ink, colors)]
    return " ".join(spans)

def window_figure(window: np.ndarray, target: np.ndarray, title: str) -> go.Figure:
    """A cosine window (what the network reads) and the value(s) it must predict next."""
    t = np.arange(1, len(window) + 1)
    fig = go.Figure()
    fig.add_scatter(x=t, y=window, mode="lines+markers", name="input window (read step by step)",
                    marker={"size": 5}, line={"color": style.category_color(0)})
    fig.add_scatter(x=len(window) + np.arange(1, len(target) + 1), y=target, mode="markers",
                    name="target (the next value)", marker={"size": 11, "symbol": "star", "color": style.category_color(1)})
    fig.update_xaxes(title="input step (1 = oldest value)")
    fig.update_yaxes(title="value of the series (no unit)")
    return _layout(fig, title, 300)


def image_figure(image: np.ndarray, reading: str, title: str, tick_every: int = 2) -> go.Figure:
    """A CIFAR image with its row (or column) numbers beside it, in the order the RNN reads them.

    Args:
        image: uint8 `(32, 32, 3)`.
        reading: "rows", "columns" or "conv" (16 steps, each seeing 4 overlapping rows: `samples.conv_step_rows`).
        title: the figure title.
        tick_every: number every this many rows (or columns).
    """
    fig = go.Figure(go.Image(z=image, hovertemplate="row %{y}, column %{x}<br>RGB %{z}<extra></extra>",
                             x0=1, y0=1))
    ticks = list(range(1, 33, max(tick_every, 2 if reading == "conv" else 1)))
    fig.update_yaxes(title="image row (read top to bottom)" if reading != "columns" else "image row",
                     tickvals=ticks if reading != "columns" else None, tickfont={"size": 10})
    fig.update_xaxes(title="pixel column" if reading != "columns" else "image column (read left to right)",
                     tickvals=ticks if reading == "columns" else None, tickfont={"size": 10})
    return _layout(fig, title, 420, margin={"t": 50, "b": 10, "l": 10, "r": 10})


def readout_figure(probs: np.ndarray, ticks: list[str], classes: list[str], true_class: int | None,
                   step_title: str, title: str) -> go.Figure:
    """The model's class probabilities had the input ended after each step.

    Args:
        probs: `(time, classes)`; for two classes only the second (e.g. "positive") is drawn.
        ticks, step_title: time axis labels and title.
        classes: class names.
        true_class: drawn thicker (None: unknown, e.g. typed text).
        title: the figure title.
    """
    fig = go.Figure()
    shown = [1] if len(classes) == 2 else range(len(classes))
    final = int(np.nanargmax(probs[-1]))
    for c in shown:
        bold = c == true_class or len(classes) == 2
        notes = [n for n, yes in (("true class", c == true_class), ("final prediction", c == final and len(shown) > 1))
                 if yes]
        fig.add_scatter(x=ticks, y=np.asarray(probs[:, c], np.float32), mode="lines+markers" if bold else "lines",
                        name=classes[c] + (f" ({', '.join(notes)})" if notes else ""),
                        line={"color": COLORS[c % len(COLORS)], "width": 4 if bold else 1.5},
                        marker={"size": 5}, hovertemplate="step %{x}<br>%{y:.3f}<extra>" + classes[c] + "</extra>")
    if len(classes) == 2:
        fig.add_hline(y=0.5, line_dash="dot", line_color=style.REFERENCE, annotation_text="undecided (0.5)")
    fig.update_xaxes(title=step_title, type="category", tickangle=-60)
    fig.update_yaxes(title=f"probability of {classes[1]}" if len(classes) == 2 else "probability of each class",
                     range=[-0.02, 1.02])
    return _layout(fig, title, 420)


def horizon_error_figure(rmse: np.ndarray, n_starts: int, cell: str | None = None,
                         baseline: np.ndarray | None = None) -> go.Figure:
    """Free-running RMSE against the number of steps ahead (over several start windows), in the cell's colour,
    beside the RMSE of repeating the last value (`metrics.persistence`, dotted, when given)."""
    steps = np.arange(1, len(rmse) + 1)
    fig = go.Figure(go.Scatter(x=steps, y=rmse, mode="lines", line={"color": style.cell_color(cell), "width": 2.5},
                               name="the model, running free",
                               hovertemplate="%{x} steps ahead<br>RMSE %{y:.4f}<extra>the model</extra>"))
    if baseline is not None:
        fig.add_scatter(x=steps, y=baseline, mode="lines", name="repeat the last value (baseline)",
                        line={"color": style.INK_SOFT, "width": 3, "dash": "dot"},
                        hovertemplate="%{x} steps ahead<br>RMSE %{y:.4f}<extra>repeat the last value</extra>")
    fig.update_xaxes(title="steps ahead (how long the model has run on its own predictions)")
    fig.update_yaxes(title="RMSE (same unit as the series)", rangemode="tozero")
    model = np.asarray(rmse, np.float64)
    if baseline is not None and (model > 0).any() and np.max(baseline) > 10 * np.max(model):
        # a good model's error would be a flat line at 0 under the baseline's: a log axis shows both; the axis
        # starts below the model's smallest error (the baseline's near-zero dips run off its bottom)
        low, high = np.min(model[model > 0]) / 3, max(np.max(baseline), np.max(model)) * 1.5
        fig.update_yaxes(type="log", range=[np.log10(low), np.log10(high)], rangemode=None,
                         title="RMSE (same unit as the series, log scale)")
    against = ", against repeating the last value" if baseline is not None else ""
    return _layout(fig, f"How the error grows with the horizon{against} (RMSE over {n_starts} start windows)", 360,
                   legend=TOP_LEGEND)


def probability_histogram(p_positive: np.ndarray, y: np.ndarray, classes: list[str]) -> go.Figure:
    """How sure the model is: predicted probability of the positive class, one colour per true class."""
    fig = go.Figure()
    y = np.asarray(y).astype(int).ravel()
    for c, name in enumerate(classes):
        fig.add_histogram(x=p_positive[y == c], name=f"truly {name}", opacity=0.65,
                          xbins={"start": 0, "end": 1.0001, "size": 0.05}, marker_color=COLORS[c])
    fig.add_vline(x=0.5, line_dash="dot", line_color=style.REFERENCE, annotation_text="decision threshold 0.5")
    fig.update_xaxes(title=f"predicted probability of {classes[1]}", range=[0, 1])
    fig.update_yaxes(title="reviews (count)")
    return _layout(fig, "How sure the model is on the test reviews", 380, barmode="overlay")


def image_grid_figure(images: list[np.ndarray], true: list[str], pred: list[str], confidence: list[float],
                      cols: int = 6) -> go.Figure:
    """Test images with their true and predicted class (wrong predictions titled in red).

    Args:
        images: uint8 `(32, 32, 3)` each.
        true, pred: class names per image.
        confidence: the predicted class's probability per image.
        cols: images per row.
    """
    n = max(1, len(images))
    rows = -(-n // cols)
    titles = [f"{'✓' if t == p else '✗'} {p} ({100 * c:.0f}%)<br>true: {t}"
              for t, p, c in zip(true, pred, confidence)]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, vertical_spacing=0.3 / rows,
                        horizontal_spacing=0.02)
    for k, img in enumerate(images):
        fig.add_trace(go.Image(z=img, hoverinfo="skip"), row=k // cols + 1, col=k % cols + 1)
    for ann, t, p in zip(fig.layout.annotations, true, pred):
        ann.font = {"size": 12, "color": style.OKABE_ITO["bluish green"] if t == p else style.OKABE_ITO["vermillion"]}
    fig.update_xaxes(showticklabels=False, title="")
    fig.update_yaxes(showticklabels=False)
    fig.update_xaxes(title="predicted class (probability) · true class", row=rows, col=1)
    fig.update_yaxes(title="test image", col=1)
    return _layout(fig, "Test images with the model's prediction (green: right, red: wrong)", 90 + 190 * rows)
