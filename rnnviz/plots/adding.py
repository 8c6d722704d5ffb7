"""The adding problem's story on the pages: where the two marks were, what the gate did between them, and the
figures that show it (a sequence with its marks, predictions against the constant-answer baseline, marks drawn
on any time-axis figure and on a state's path). Arrays in, numbers or `go.Figure` out; no Streamlit here.

The lesson is at the marked steps: a network that solves the task must take the first marked value in, keep it
unchanged until the second mark (an LSTM's forget gate f near 1, a GRU's update gate z near 1: *keep*), then add.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from rnnviz.plots import style
from rnnviz.config import cells, vocab
from rnnviz.data.loaders import marked_steps

MARK_COLOR = style.INK  # dashed black marks: they show on the diverging heatmaps' red and blue alike
SPAN_COLOR = style.MARK_SPAN


def marks(x_one: np.ndarray) -> list[int]:
    """The two marked steps (0-based) of one adding-problem input `(steps, 2)`."""
    return [int(s) for s in marked_steps(np.asarray(x_one)[None])[0]]


def keep_between(gates: dict[str, np.ndarray], cell: str, steps: list[int]) -> dict[str, float] | None:
    """How much the keep gate held the state between the two marks (steps after the first, up to the second).

    Args:
        gates: key -> `(time, units)` arrays of one sample (e.g. `f` for an LSTM, `z` for a GRU).
        cell: a cell name; its row's keep gate is used (LSTM f, GRU z, MGU 1 - f); None for a cell without gates.
        steps: the two marked steps, 0-based.

    Returns:
        `mean` (the gate over those steps and all units), `kept` (the product over those steps of each unit's
        gate, averaged over units: the share of the first mark's state a unit would still hold from the gate
        alone) and `units_open` (share of units whose gate stayed above 0.9 on average), or None.
    """
    kept = cells.row(cell).kept(gates)
    if kept is None or steps[1] <= steps[0]:
        return None
    g = np.asarray(kept, np.float64)[steps[0] + 1:steps[1] + 1]  # (span, units)
    return {"mean": float(g.mean()), "kept": float(np.prod(g, axis=0).mean()),
            "units_open": float(np.mean(g.mean(axis=0) > 0.9)), "span": int(len(g))}


def keep_name(cell: str) -> str:
    """The keep gate as people read it, e.g. "forget gate f", or "keep share 1 − f" (the MGU, whose low f keeps)."""
    keep = cells.row(cell).keep or ""
    return f"keep share 1 − {keep[2:]}" if keep.startswith("1-") else vocab.NAMES.get(keep, "")


def mark_steps(fig: go.Figure, steps: list[int], ticks: list[str]) -> go.Figure:
    """Draws the two marked steps on every x axis of a time-axis figure: dashed lines, the span between shaded.

    Args:
        fig: a figure whose x axes are categorical, one category per step (as the Inspect figures' are).
        steps: the two marked steps, 0-based positions on that axis.
        ticks: the axis categories (for the check that `steps` are on the axis). The lines are placed by
            position: Plotly reads a shape's or annotation's x on a category axis as a position when it looks
            like a number, so the name "10" would mean position 10, the 11th step (the marks were drawn one
            step late).

    Returns:
        The same figure.
    """
    where = {"row": "all", "col": "all"} if fig._grid_ref is not None else {}  # make_subplots: every panel
    fig.add_vrect(x0=steps[0] + 0.5, x1=steps[1] + 0.5, fillcolor=SPAN_COLOR, line_width=0, layer="below",
                  **where)  # positions between categories (x.5 names no category)
    if max(steps) >= len(ticks):
        raise ValueError(f"`steps` must be positions on the axis (0 to {len(ticks) - 1}). Received: steps={steps}")
    for k, s in enumerate(steps, start=1):
        fig.add_vline(x=s, line_dash="dash", line_color=MARK_COLOR, line_width=2, **where)
        fig.add_annotation(x=s, y=1.0, xref="x", yref="paper", yanchor="top", xanchor="left", xshift=3,
                           text=f"mark {k}", showarrow=False, bgcolor=style.OUTLINE,  # inside the top panel,
                           font={"color": MARK_COLOR, "size": 12})  # under its title, not over it
    return fig


def mark_path(fig: go.Figure, coords: np.ndarray, steps: list[int], dims: int = 2) -> go.Figure:
    """Puts the two marked steps on a state's PCA path (`coords` `(time, k)`, one point per step)."""
    dims = min(dims, coords.shape[1])
    scatter = go.Scatter3d if dims == 3 else go.Scatter
    pts = coords[steps]  # (2, k)
    fig.add_trace(scatter(**{a: pts[:, j] for j, a in enumerate("xyz"[:dims])}, mode="markers+text",
                          name="marked steps (the values to add)", text=["mark 1", "mark 2"],
                          textposition="top center",
                          marker={"color": MARK_COLOR, "size": 8 if dims == 3 else 16, "symbol": "circle-open",
                                  "line": {"width": 3, "color": MARK_COLOR}}, hoverinfo="text"))
    return fig


def sequence_figure(x_one: np.ndarray, target: float, title: str, prediction: float | None = None) -> go.Figure:
    """One adding-problem sequence: the value at every step (grey), the two marked ones in black, and the target.

    Args:
        x_one: `(steps, 2)` (value, marker).
        target: the sum of the marked values (or the first, in the recall variant).
        title: the figure title.
        prediction: the model's answer, when known.
    """
    values = np.asarray(x_one[:, 0], np.float32)
    steps = marks(x_one)
    t = np.arange(1, len(values) + 1)
    colors = np.where(np.asarray(x_one[:, 1]) > 0.5, MARK_COLOR, style.SEQUENTIAL_MID)
    fig = go.Figure(go.Bar(x=t, y=values, marker_color=colors, name="value at each step",
                           hovertemplate="step %{x}<br>value %{y:.3f}<extra></extra>"))
    for k, s in enumerate(steps, start=1):
        fig.add_annotation(x=s + 1, y=values[s], text=f"mark {k}: {values[s]:.2f}", showarrow=True, arrowhead=2,
                           font={"color": MARK_COLOR})
    answer = f"target {float(target):.3f}" + ("" if prediction is None else f", the model answers {prediction:.3f}")
    fig.update_xaxes(title="step (1 = first read)")
    fig.update_yaxes(title="value (no unit)", range=[0, 1.25])
    fig.update_layout(title=f"{title}: {answer}", height=300, margin={"t": 60, "b": 10, "l": 10, "r": 10},
                      showlegend=False, bargap=0.1)
    return fig


def prediction_figure(pred: np.ndarray, true: np.ndarray, baseline: float, title: str,
                      cell: str | None = None) -> go.Figure:
    """Predicted against true targets on the validation sequences (in the run's `cell` colour), with the perfect
    line and the constant answer (the training mean) that scores the baseline MSE."""
    pred, true = np.asarray(pred, np.float32).ravel(), np.asarray(true, np.float32).ravel()
    mse = float(np.mean((pred.astype(np.float64) - true) ** 2))
    lo, hi = float(min(true.min(), pred.min())), float(max(true.max(), pred.max()))
    fig = go.Figure()
    fig.add_scatter(x=true, y=pred, mode="markers", name=f"validation sequences (MSE {mse:.4f})",
                    marker={"size": 4, "opacity": 0.5, "color": style.cell_color(cell)},
                    hovertemplate="target %{x:.3f}<br>answer %{y:.3f}<extra></extra>")
    fig.add_scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="perfect answer",
                    line={"color": style.REFERENCE, "dash": "dot"})
    mean = float(np.mean(true))
    fig.add_scatter(x=[lo, hi], y=[mean, mean], mode="lines", line={"color": MARK_COLOR, "dash": "dash"},
                    name=f"constant answer (baseline MSE {baseline:.4f})")
    fig.update_xaxes(title="target (no unit)")
    fig.update_yaxes(title="the model's answer (no unit)")
    fig.update_layout(title=title, height=420, margin={"t": 60, "b": 10, "l": 10, "r": 10},
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0})
    return fig


def with_goal(fig: go.Figure, goal: float, metric: str) -> go.Figure:
    """Adds a preset's goal (e.g. validation MSE 0.01) as a dotted horizontal line to a loss chart."""
    fig.add_hline(y=goal, line_dash="dot", line_color=style.REFERENCE,
                  annotation_text=f"goal: {metric.replace('val_', 'validation ').replace('mse', 'MSE')} {goal:g}",
                  annotation_position="bottom left")
    return fig


def with_baseline(fig: go.Figure, baseline: float) -> go.Figure:
    """Adds the constant-answer baseline MSE as a horizontal line to a loss (MSE) chart."""
    fig.add_hline(y=baseline, line_dash="dash", line_color=MARK_COLOR,
                  annotation_text=f"baseline MSE {baseline:.3f} (answering the mean)", annotation_position="top left")
    return fig


def share_figure(shares: pd.DataFrame, chance: float) -> go.Figure:
    """Each run's share of the answer's gradient on the marked steps, epoch by epoch (`connectivity.Looked`).

    Args:
        shares: columns `label`, `cell`, `epoch`, `share` (in [0, 1]).
        chance: the share of a gradient spread evenly over the steps (2/T).
    """
    fig = go.Figure()
    for label, rows in shares.groupby("label", sort=False):
        cell = rows["cell"].iloc[0]
        fig.add_scatter(x=rows["epoch"], y=rows["share"], mode="lines+markers", name=label,
                        line={"color": style.cell_color(cell), "width": 2.5, "dash": style.cell_dash(cell)},
                        marker={"symbol": style.cell_symbol(cell), "size": 9},
                        hovertemplate="epoch %{x}: %{y:.0%} on the marked steps<extra>" + label + "</extra>")
    fig.add_hline(y=1.0, line_dash="dot", line_color=style.REFERENCE, annotation_position="bottom left",
                  annotation_text="the exact answer: 100% on the marked steps")
    fig.add_hline(y=chance, line_dash="dash", line_color=MARK_COLOR, annotation_position="bottom right",
                  annotation_text=f"spread evenly over the steps: {chance:.0%}")
    fig.update_xaxes(title="epoch (0 = before training)", dtick=1 if shares["epoch"].max() <= 20 else None)
    fig.update_yaxes(title="share on the marked steps", tickformat=".0%", range=[0, 1.05])
    fig.update_layout(title="Share on the two marked steps, by epoch", height=420,
                      margin={"t": 60, "b": 10}, legend={"orientation": "h", "y": -0.25, "title": None})
    return fig


def looked_figure(per_step: pd.DataFrame, steps: list[int], title: str) -> go.Figure:
    """One sample: each run's share of the answer's gradient at every step, with the marked steps drawn.

    Args:
        per_step: columns `label`, `cell`, `step` (1-based) and `share` (the step's part of the run's gradient
            over all steps, so runs whose answers move by different amounts are drawn on one scale).
        steps: the sample's marked steps, 0-based.
    """
    fig = go.Figure()
    for label, rows in per_step.groupby("label", sort=False):
        cell = rows["cell"].iloc[0]
        fig.add_scatter(x=rows["step"], y=rows["share"], mode="lines+markers", name=label,
                        line={"color": style.cell_color(cell), "width": 2.5, "dash": style.cell_dash(cell)},
                        marker={"size": 6, "symbol": style.cell_symbol(cell)},
                        hovertemplate="step %{x}: %{y:.1%} of the gradient<extra>" + label + "</extra>")
    for k, s in enumerate(steps):
        fig.add_vline(x=s + 1, line_dash="dash", line_color=MARK_COLOR, annotation_position="top",
                      annotation_text=f"mark {k + 1} (step {s + 1})")
    fig.update_xaxes(title="input time step (1 = first read)")
    fig.update_yaxes(title="share of |d answer / d value|", tickformat=".0%", rangemode="tozero")
    fig.update_layout(title=title, height=420, margin={"t": 80, "b": 10},
                      legend={"orientation": "h", "y": -0.25, "title": None})
    return fig


def gap_figure(rows: list[dict], baseline: float, cell: str | None = None) -> go.Figure:
    """Validation MSE by the gap between the marks (`connectivity.error_by_gap`), beside the baseline."""
    names = [f"{r['lo']}–{r['hi']}" if r["hi"] > r["lo"] else str(r["lo"]) for r in rows]
    fig = go.Figure(go.Bar(x=names, y=[r["mse"] for r in rows], marker_color=style.cell_color(cell),
                           customdata=[r["n"] for r in rows], name="validation MSE",
                           hovertemplate="gap %{x} steps: MSE %{y:.4f} (%{customdata} sequences)<extra></extra>"))
    with_baseline(fig, baseline)
    fig.update_xaxes(title="gap between the two marks (steps the first value must be held)", type="category")
    fig.update_yaxes(title="validation MSE (log scale)", type="log", exponentformat="power")
    fig.update_layout(title="Error by how long the first value must be held", height=380,
                      margin={"t": 60, "b": 10, "l": 10, "r": 10}, showlegend=False)
    return fig
