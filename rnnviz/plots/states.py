"""Figures of what happens inside a recurrent layer, step by step: hidden-state and gate heatmaps, mean curves,
saturation, and the state's path on PCA axes; arrays in, `go.Figure` out, never any Streamlit here.

Written for a class: every axis says what it shows (and its unit, or "no unit" for pure numbers), every colour
scale has a title, and each title says what to look at. Time axes are categorical with one label per step
("12 the" = step 12 read "the"), so repeated words stay separate columns; Plotly thins the tick labels itself.
Colours and scales come from `rnnviz.plots.style` (gates: the sequential scale; signed values: the diverging one,
positive red). `_layout` and `TOP_LEGEND` give every Inspect figure (these and `rnnviz.plots.predictions`) the
same frame.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rnnviz.plots import style
from rnnviz.config import vocab

COLORS = style.CATEGORY_COLORS
GATE_SCALE = style.SEQUENTIAL  # 0 (closed) dark ... 1 (open) bright
SIGNED_SCALE = style.DIVERGING  # negative blue, 0 white, positive red


TOP_LEGEND = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0}


def _layout(fig: go.Figure, title: str, height: int, **kw) -> go.Figure:
    """Title, height, font and margins; legends go right of the plot (never under rotated tick labels)."""
    kw = {"margin": {"t": 70, "b": 10, "l": 10, "r": 10}, "legend": {"x": 1.02, "xanchor": "left", "y": 1}, **kw}
    fig.update_layout(title=title, height=height, font={"size": 13}, **kw)
    return fig


def step_ticks(steps: np.ndarray, labels: list[str]) -> list[str]:
    """One unique label per shown step: the labels themselves when they differ ("row 12"), else the step
    number first ("12 the"), so a repeated word keeps its own column.

    Args:
        steps: the 0-based steps shown `(n,)`.
        labels: what was read at each of them `(n,)`.
    """
    if len(set(labels)) == len(labels):
        return list(labels)
    return [f"{s + 1} {lab}" for s, lab in zip(np.asarray(steps).tolist(), labels)]


def _heatmap(values: np.ndarray, ticks: list[str], scale_range: tuple, colorbar: dict, name: str) -> go.Heatmap:
    """A units x time heatmap trace of `(time, units)` values."""
    lo, hi = scale_range
    z = np.asarray(values, np.float32).T  # (units, time)
    if lo is not None and hi is not None and lo >= 0:
        scale = {"colorscale": GATE_SCALE, "zmin": lo, "zmax": hi}
    else:
        finite = np.abs(z[np.isfinite(z)])
        top = float(finite.max()) if finite.size else 1.0
        top = hi if hi is not None and lo is not None else max(top, 1e-6)
        scale = {"colorscale": SIGNED_SCALE, "zmin": -top, "zmax": top}
    return go.Heatmap(z=z, x=ticks, y=np.arange(1, z.shape[0] + 1), colorbar=colorbar, name=name,
                      hovertemplate="step %{x}<br>unit %{y}<br>value %{z:.3f}<extra>" + name + "</extra>", **scale)


def states_heatmap(h: np.ndarray, ticks: list[str], step_title: str, title: str = "",
                   value_range: tuple = (-1.0, 1.0)) -> go.Figure:
    """The hidden state of every unit after every step.

    Args:
        h: `(time, units)` states.
        ticks: one label per step (`step_ticks`).
        step_title: what a step is, for the time axis.
        title: the figure title.
        value_range: the activation's range (tanh: −1 to 1), for the colour scale.
    """
    fig = go.Figure(_heatmap(h, ticks, value_range, {"title": {"text": "h<br>(no unit)"}}, "hidden state h"))
    fig.update_xaxes(title=step_title, type="category", tickangle=-60)
    fig.update_yaxes(title="unit (one row each)", autorange="reversed")
    return _layout(fig, title or "Hidden state h of every unit after every step (red +, blue −)",
                   max(320, min(900, 160 + 6 * h.shape[1])))


def gates_heatmaps(g: dict[str, np.ndarray], keys: list[str], names: dict[str, str], ranges: dict[str, tuple],
                   ticks: list[str], step_title: str, title: str) -> go.Figure:
    """One units x time heatmap per gate or state, stacked on a shared time axis, each with its colour bar.

    Args:
        g: key -> `(time, units)` values.
        keys: which keys to draw, top to bottom.
        names: key -> readable name, e.g. "forget gate f".
        ranges: key -> `(low, high)` of its activation (None: unbounded), e.g. `(0, 1)` for a sigmoid gate.
        ticks, step_title: time axis labels and title.
        title: the figure title.
    """
    n = len(keys)
    fig = make_subplots(rows=n, cols=1, shared_xaxes=True, vertical_spacing=0.06 if n > 1 else 0.0,
                        subplot_titles=[f"{names[k]} ({_range_text(ranges[k])})" for k in keys])
    for row, key in enumerate(keys, start=1):
        domain = fig.layout[f"yaxis{row if row > 1 else ''}"].domain
        colorbar = {"title": {"text": names[key].split()[-1]}, "y": (domain[0] + domain[1]) / 2,
                    "len": (domain[1] - domain[0]) * 1.05, "thickness": 14}
        fig.add_trace(_heatmap(g[key], ticks, ranges[key], colorbar, names[key]), row=row, col=1)
        fig.update_yaxes(title="unit", autorange="reversed", row=row, col=1)
    fig.update_xaxes(type="category", tickangle=-60)
    fig.update_xaxes(title=step_title, row=n, col=1)
    units = next(iter(g.values())).shape[1]
    return _layout(fig, title, 120 + n * max(150, min(260, 60 + 3 * units)))


def _range_text(r: tuple) -> str:
    lo, hi = r
    if lo is None and hi is None:
        return "any value"
    if hi is None:
        return f"{lo:g} or more"
    return f"{lo:g} to {hi:g}".replace("-", "−")


def mean_curves(panels: list[tuple], ticks: list[str], step_title: str, title: str) -> go.Figure:
    """Curves over time in stacked panels, e.g. each gate's mean over units.

    Args:
        panels: per panel `(subtitle, y axis title, {curve name: (time,) values})`, optionally with a fourth
            item, the y range `(low, high)` (e.g. `(0, 1)` for gates, so small wiggles are not blown up).
        ticks, step_title: time axis labels and title.
        title: the figure title.
    """
    fig = make_subplots(rows=len(panels), cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        subplot_titles=[p[0] for p in panels])
    k = 0
    for row, (_, y_title, curves, *y_range) in enumerate(panels, start=1):
        for name, values in curves.items():
            fig.add_scatter(x=ticks, y=np.asarray(values, np.float32), mode="lines", name=name,
                            line={"color": COLORS[k % len(COLORS)], "width": 2}, row=row, col=1,
                            hovertemplate="step %{x}<br>%{y:.3f}<extra>" + name + "</extra>")
            k += 1
        fig.update_yaxes(title=y_title, range=y_range[0] if y_range else None, row=row, col=1)
    fig.update_xaxes(type="category", tickangle=-60)
    fig.update_xaxes(title=step_title, row=len(panels), col=1)
    return _layout(fig, title, 240 + 230 * len(panels), legend={**TOP_LEGEND, "y": 1.04 + 0.04 / len(panels)},
                   margin={"t": 130, "b": 10, "l": 10, "r": 10})


def saturation_figure(rows: list[dict]) -> go.Figure:
    """Stacked bars per gate: the share of values at the low end, in between, and at the high end.

    Args:
        rows: `inspection.saturation_rows` output (`name`, `low`, `high`, `low_label`, `high_label`).
    """
    names = [f"{r['name']} ({r['activation']})" for r in rows]
    low = np.array([r["low"] for r in rows])
    high = np.array([r["high"] for r in rows])

    def legend(end: str) -> str:  # e.g. "low end: < 0.1 (sigmoid), < −0.9 (tanh)"
        pairs = dict.fromkeys((r[f"{end}_label"], r["activation"]) for r in rows if r[f"{end}_label"] != "—")
        return f"{end} end: " + ", ".join(f"{lab} ({act})" for lab, act in pairs)

    fig = go.Figure()
    for label, values, color, ends in ((legend("low"), low, style.SEQUENTIAL_LOW, [r["low_label"] for r in rows]),
                                       ("in between", 1 - low - high, style.SEQUENTIAL_MID, ["" for _ in rows]),
                                       (legend("high"), high, style.SEQUENTIAL_HIGH, [r["high_label"] for r in rows])):
        fig.add_bar(y=names, x=100 * values, orientation="h", name=label, marker_color=color,
                    text=[f"{100 * v:.0f}%" if v >= 0.06 else "" for v in values], textangle=0,
                    textposition="inside", insidetextanchor="middle", customdata=ends,
                    hovertemplate="%{y}<br>%{customdata}: %{x:.1f}%<extra></extra>")
    fig.update_xaxes(title="share of all values, every unit and step (%)", range=[0, 100])
    fig.update_yaxes(title="array (its activation)", autorange="reversed")
    return _layout(fig, "Saturation: how often values sit at the flat ends of their activation (little gradient "
                        "passes there)", 190 + 55 * len(rows), barmode="stack",
                   legend={**TOP_LEGEND, "traceorder": "normal"}, margin={"t": 100, "b": 10, "l": 10, "r": 10})


def no_saturation_text(rows: list[dict], scope: str = "on every unit and step of this sample") -> str | None:
    """One line instead of a saturation chart whose bars would all be 0, else None.

    Args:
        rows: `inspection.saturation_rows` output; the thresholds are `vocab.SATURATION`'s (the one definition).
            Rows of several runs (Compare's) may repeat a gate: each is named once.
        scope: what was probed, ending the line.

    Returns:
        E.g. "No value is saturated: input gate i, forget gate f and output gate o (sigmoid) stay between 0.1
        and 0.9; ...", or None when some value sits at a flat end (or there are no rows).
    """
    if not rows or any(r["low"] > 0 or r["high"] > 0 for r in rows):
        return None
    parts = []
    for act in dict.fromkeys(r["activation"] for r in rows):
        names = list(dict.fromkeys(r["name"] for r in rows if r["activation"] == act))
        lo, hi = vocab.SATURATION[act][:2]
        where = f"above {max(lo, 0):g}" if hi == float("inf") else f"between {lo:g} and {hi:g}".replace("-", "−")
        listed = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        parts.append(f"{listed} ({act}) stay{'s' if len(names) == 1 else ''} {where}")
    return "No value is saturated: " + "; ".join(parts) + f", {scope}."



def trajectory_figure(main: tuple[np.ndarray, np.ndarray], main_ticks: list[str],
                      others: list[tuple[np.ndarray, str]], explained: np.ndarray, dims: int = 2,
                      main_name: str = "this sample", shown: np.ndarray | None = None) -> go.Figure:
    """The path a sample's hidden state takes, on fixed PCA axes, with other samples' paths behind it.

    Args:
        main: `(steps (n,), coordinates (n, k))` of the chosen sample.
        main_ticks: one label per point of `main` (what was read there).
        others: `(coordinates (m, k), group name)` per overlaid sample, drawn thin, one colour per group.
        explained: share of variance of each PCA axis `(k,)` (of the states the PCA was fitted on).
        dims: 2 or 3.
        main_name: legend name of the chosen sample.
        shown: when the states drawn are not the fitted ones (an earlier epoch on the trained axes), the share of
            *their* variance along each axis `(k,)` (`inspection.variance_shares`); both are then named.
    """
    dims = min(dims, main[1].shape[1])
    axes = [f"PC{j + 1} ({share_text(explained[j])} of the variance)" if shown is None else
            f"PC{j + 1} ({share_text(shown[j])} of these states' variance; {share_text(explained[j])} of the trained)"
            for j in range(dims)]
    scatter = go.Scatter3d if dims == 3 else go.Scatter
    xyz = ("x", "y", "z")[:dims]
    groups = list(dict.fromkeys(name for _, name in others))
    fig = go.Figure()
    for coords, group in others:
        color = COLORS[groups.index(group) % len(COLORS)]
        first = not any(t.legendgroup == group for t in fig.data)
        fig.add_trace(scatter(**{a: coords[:, j] for j, a in enumerate(xyz)}, mode="lines", name=group,
                              legendgroup=group, showlegend=first, opacity=0.3, hoverinfo="skip",
                              line={"color": color, "width": 2 if dims == 3 else 1.2}))
        end = scatter(**{a: coords[-1:, j] for j, a in enumerate(xyz)}, mode="markers", legendgroup=group,
                      showlegend=False, hoverinfo="skip",
                      marker={"color": color, "size": 5 if dims == 3 else 11, "symbol": "diamond" if dims == 3 else "x",
                              "line": {"width": 0 if dims == 3 else 1, "color": style.OUTLINE}})
        fig.add_trace(end)
    _, coords = main
    marker = {"color": np.arange(1, len(coords) + 1), "colorscale": style.SEQUENTIAL, "size": 4 if dims == 3 else 8,
              "colorbar": {"title": {"text": "step shown<br>(1 = first)"}}, "showscale": True}
    fig.add_trace(scatter(**{a: coords[:, j] for j, a in enumerate(xyz)}, mode="lines+markers", name=main_name,
                          text=main_ticks, marker=marker, line={"color": style.INK_SOFT, "width": 3},
                          hovertemplate="step %{text}<extra>" + main_name + "</extra>"))
    title = ("The hidden state's path, step by step, on fixed PCA axes "
             f"({'◆' if dims == 3 else '×'} marks where each path ends)")
    if dims == 3:
        fig.update_layout(scene={"xaxis_title": axes[0], "yaxis_title": axes[1], "zaxis_title": axes[2],
                                 "aspectmode": "cube", "camera": {"eye": {"x": 1.7, "y": 1.7, "z": 1.1}}})
        fig.update_xaxes(title=axes[0])  # also on the (unused) 2-D axes, for readers of the spec
        fig.update_yaxes(title=axes[1])
    else:
        fig.update_xaxes(title=axes[0])
        fig.update_yaxes(title=axes[1])
    return _layout(fig, title, 660 if dims == 3 else 560, legend=TOP_LEGEND,
                   margin={"t": 110, "b": 10, "l": 10, "r": 10})


def share_text(share: float) -> str:
    """A share as a percentage that never rounds to 100% (or 0%) unless it is that (to 1e-9): 0.9958 -> "99.6%"."""
    if abs(share - 1) < 1e-9 or abs(share) < 1e-9:
        return f"{100 * round(share):.0f}%"
    for digits in range(0, 5):
        text = f"{100 * share:.{digits}f}"
        if (float(text) < 100 or share >= 1) and (float(text) > 0 or share <= 0):
            return text + "%"
    return f"{100 * share:.4f}%"
