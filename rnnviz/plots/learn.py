"""Figures for the Learn pages: arrays in, `go.Figure` out, never any Streamlit here.

Written for students: every axis says what it shows and in which unit ("no unit" where a value is a pure
number), log-scale axes say so, and each figure's title says what to look at. Colours and scales come from
`rnnviz.plots.style` (a plain RNN in SimpleRNN's colour, an LSTM in LSTM's; signed values: positive red).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rnnviz.config import vocab
from rnnviz.plots import style

COLORS = style.CATEGORY_COLORS
ACTIVATION_COLORS = {name: style.category_color(k) for k, name in
                     enumerate(("step", "sigmoid", "tanh", "ReLU", "leaky ReLU"))}


def _layout(fig: go.Figure, title: str, height: int, **kw) -> go.Figure:
    fig.update_layout(title=title, height=height, margin={"t": 60, "b": 10, "l": 10, "r": 10}, font={"size": 14},
                      legend={"orientation": "h", "y": -0.2}, **kw)
    return fig


def rnn_states_figure(h_numpy: np.ndarray, h_keras: np.ndarray, t: int | None = None) -> go.Figure:
    """The hidden state of each unit over time: the numpy for-loop (lines) and Keras (circles) on top.

    Args:
        h_numpy: `(time, units)` from `learn.simple_rnn`.
        h_keras: `(time, units)` from Keras's SimpleRNN with the same weights.
        t: a time step (1-based) to mark, or None.
    """
    steps = np.arange(1, len(h_numpy) + 1)
    fig = go.Figure()
    for k in range(h_numpy.shape[1]):
        color = COLORS[k % len(COLORS)]
        fig.add_scatter(x=steps, y=h_numpy[:, k], mode="lines", name=f"unit {k + 1}", legendgroup=str(k),
                        line={"color": color, "width": 2}, hovertemplate="numpy loop: %{y:.4f}")
        fig.add_scatter(x=steps, y=h_keras[:, k], mode="markers", name=f"unit {k + 1}", legendgroup=str(k),
                        marker={"color": color, "size": 11, "symbol": "circle-open", "line": {"width": 2}},
                        hovertemplate="Keras: %{y:.4f}", showlegend=False)  # one legend entry per unit (the title
    # says lines are the loop, circles Keras): six entries wrapped into six rows over the axis title on a phone
    if t is not None:
        fig.add_vline(x=t, line_dash="dot", line_color=style.REFERENCE, annotation_text=f"step {t}",
                      annotation_position="top")
    fig.update_xaxes(title="time step t", dtick=1, range=[0.5, len(steps) + 0.5])
    fig.update_yaxes(title="hidden state h_t (no unit, −1 to 1)", range=[-1.05, 1.05])
    return _layout(fig, "The numpy loop (lines) and Keras (circles) agree", 420)  # short: it fits a phone's 390 px


def activation_figure(x: np.ndarray, values: dict[str, np.ndarray], derivatives: dict[str, np.ndarray]
                      ) -> go.Figure:
    """Activation functions (left) and their derivatives (right) over the same inputs.

    Args:
        x: the inputs `(n,)`.
        values: label -> f(x) `(n,)`.
        derivatives: label -> f'(x) `(n,)` (NaN where undefined), same labels.

    Labels starting with a name of `ACTIVATION_COLORS` get its colour, on both panels.
    """
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.08,
                        subplot_titles=("the function f(x)", "its derivative f′(x): what gradient descent sees"))
    for k, label in enumerate(values):  # earlier curves drawn wider, so that curves lying on top of each other
        color = ACTIVATION_COLORS.get(label.split(" (")[0], COLORS[k % len(COLORS)])  # all stay visible
        width = 2.5 + 4.5 * (len(values) - 1 - k) / max(len(values) - 1, 1)
        fig.add_scatter(x=x, y=values[label], mode="lines", name=label, line={"color": color, "width": width},
                        legendgroup=label, row=1, col=1)
        fig.add_scatter(x=x, y=derivatives[label], mode="lines", name=label, showlegend=False,
                        line={"color": color, "width": width}, legendgroup=label, row=1, col=2)
    for col in (1, 2):
        fig.update_xaxes(title="input x (pre-activation, no unit)", zeroline=True, row=1, col=col)
    fig.update_yaxes(title="f(x) (no unit)", row=1, col=1)
    fig.update_yaxes(title="f′(x) (slope, no unit)", row=1, col=2)
    return _layout(fig, "Activation functions and their derivatives", 420)


def _circle(radius: float, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    angle = np.linspace(0, 2 * np.pi, n)
    return radius * np.cos(angle), radius * np.sin(angle)


def eigen_figure(eigs: np.ndarray, radius: float) -> go.Figure:
    """A matrix's eigenvalues in the complex plane with the unit circle and the spectral-radius circle.

    Args:
        eigs: complex eigenvalues `(n,)`.
        radius: the spectral radius (max |eigenvalue|), drawn as a circle.
    """
    fig = go.Figure()
    cx, cy = _circle(1.0)
    fig.add_scatter(x=cx, y=cy, mode="lines", name="unit circle |λ| = 1",
                    line={"color": style.INK, "dash": "dash", "width": 1.5}, hoverinfo="skip")
    rx, ry = _circle(radius)
    fig.add_scatter(x=rx, y=ry, mode="lines", name=f"spectral radius {radius:.2f}",
                    line={"color": style.POSITIVE if radius > 1 else style.NEGATIVE, "width": 1.5},
                    hoverinfo="skip")
    fig.add_scatter(x=eigs.real, y=eigs.imag, mode="markers", name="eigenvalues λ",
                    marker={"color": style.OKABE_ITO["orange"], "size": 8, "line": {"color": style.INK, "width": 0.5}},
                    customdata=np.abs(eigs), hovertemplate="λ = %{x:.3f} %{y:+.3f}i<br>|λ| = %{customdata:.3f}"
                    "<extra></extra>")
    lim = 1.1 * max(1.0, radius)
    fig.update_xaxes(title="real part of λ", range=[-lim, lim], zeroline=True, constrain="domain")
    fig.update_yaxes(title="imaginary part of λ", range=[-lim, lim], zeroline=True, scaleanchor="x",
                     scaleratio=1)
    return _layout(fig, "Eigenvalues λ of U in the complex plane", 480)


def norm_figure(curves: dict[str, np.ndarray], title: str, y_title: str,
                dashes: dict[str, str] | None = None, cells: dict[str, str] | None = None) -> go.Figure:
    """Norms against the number of steps n, on a log-scale y axis, with the line "norm = 1".

    Args:
        curves: label -> values `(n_max,)` for n = 1..n_max (zeros are left out: log scale).
        title: the figure's title.
        y_title: what the y axis shows; ", log scale" is appended.
        dashes: label -> plotly dash style, optional.
        cells: label -> the cell a curve belongs to (drawn in that cell's colour), optional; other curves
            take `style.CATEGORY_COLORS` in order, after the colours of the cells shown.
    """
    fig = go.Figure()
    cells = cells or {}
    taken = {style.cell_color(c) for c in cells.values()}
    free = iter([c for c in COLORS if c not in taken] * len(curves))
    for label, values in curves.items():
        values = np.where(np.asarray(values) > 0, values, np.nan)
        color = style.cell_color(cells[label]) if label in cells else next(free)
        fig.add_scatter(x=np.arange(1, len(values) + 1), y=values, mode="lines", name=label,
                        line={"color": color, "width": 2.5,
                              "dash": (dashes or {}).get(label, "solid")})
    fig.add_hline(y=1, line_color=style.REFERENCE, line_dash="dot", annotation_text="norm 1: kept as is",
                  annotation_position="bottom right")
    fig.update_xaxes(title="steps back in time n", rangemode="tozero")
    fig.update_yaxes(title=f"{y_title} (log scale)", type="log", exponentformat="power")
    return _layout(fig, title, 420)


def forget_path_figure(path: np.ndarray, rnn_gradient: np.ndarray | None = None) -> go.Figure:
    """An LSTM's cell path (products of forget gates) against n, per unit and at most, log-scale y.

    Args:
        path: `(n_max, units)` from `learn.forget_path`.
        rnn_gradient: optional `(n_max,)` gradient norms of a plain tanh RNN, for comparison.
    """
    n = np.arange(1, len(path) + 1)
    fig = go.Figure()
    for k in range(path.shape[1]):
        fig.add_scatter(x=n, y=path[:, k], mode="lines", name="one unit" if k == 0 else f"unit {k + 1}",
                        showlegend=k == 0, legendgroup="units",
                        line={"color": style.rgba(style.cell_color("lstm"), 0.35), "width": 1.2})
    fig.add_scatter(x=n, y=path.max(axis=1), mode="lines", name="LSTM cell path",  # short names: the legend
                    hovertemplate="||d c_T / d c_(T−n)|| = %{y:.3g}",  # wrapped over the axis title on a phone
                    line={"color": style.cell_color("lstm"), "width": 3})
    if rnn_gradient is not None:
        fig.add_scatter(x=np.arange(1, len(rnn_gradient) + 1), y=np.where(rnn_gradient > 0, rnn_gradient, np.nan),
                        mode="lines", name="plain tanh RNN", hovertemplate="||d h_T / d h_(T−n)|| = %{y:.3g}",
                        line={"color": style.cell_color("simple_rnn"), "width": 2.5, "dash": "dash"})
    fig.add_hline(y=1, line_color=style.REFERENCE, line_dash="dot")
    fig.update_xaxes(title="steps back in time n", rangemode="tozero")
    fig.update_yaxes(title="gradient gain (no unit, log scale)", type="log", exponentformat="power")
    return _layout(fig, "What survives n steps back: cell path vs RNN", 420)  # short: it fits a phone's 390 px


def gate_step_figure(gates: dict[str, np.ndarray], t: int, cell: str) -> go.Figure:
    """Every gate, candidate and state of each unit at one time step, as grouped bars.

    Args:
        gates: name -> `(time, units)` (from `learn.cell_gates`).
        t: the time step, 1-based.
        cell: a cell with gates (the order and labels of the bars).
    """
    names = vocab.KEYS[cell]
    labels = [vocab.NAMES[k] for k in names]
    fig = go.Figure()
    for k in range(gates[names[0]].shape[1]):
        values = [gates[name][t - 1, k] for name in names]
        fig.add_bar(x=labels, y=values, name=f"unit {k + 1}", marker_color=COLORS[k % len(COLORS)],
                    text=[f"{v:.2f}" for v in values], textposition="outside")
    top = max(1.0, max(float(np.abs(gates[n][t - 1]).max()) for n in names))
    fig.update_xaxes(title="quantity (gates are σ: between 0 and 1; candidates and h are tanh: −1 to 1"
                           + ("; the cell state c is a sum and may pass ±1)" if "c" in names else ")"))
    fig.update_yaxes(title="value at this step (no unit)", range=[-1.2 * top, 1.2 * top])
    return _layout(fig, f"Step t = {t}: every gate and state, one bar per unit", 440, barmode="group")


def gate_time_figure(gates: dict[str, np.ndarray], t: int, cell: str) -> go.Figure:
    """Heatmaps of every gate and state over time (one row of panels per quantity), step `t` marked.

    Gates (0 to 1) take the sequential scale (`style.SEQUENTIAL`, as on the Inspect pages); candidates and
    states (−1 to 1) the diverging one (`style.DIVERGING`: positive red).

    Args:
        gates: name -> `(time, units)`.
        t: the time step to mark, 1-based.
        cell: a cell with gates.
    """
    names = vocab.KEYS[cell]
    steps = np.arange(1, len(gates[names[0]]) + 1)
    units = np.arange(1, gates[names[0]].shape[1] + 1)
    fig = make_subplots(rows=len(names), cols=1, shared_xaxes=True, vertical_spacing=0.04,
                        subplot_titles=[vocab.NAMES[k] for k in names])
    for row, name in enumerate(names, start=1):
        scale = "coloraxis2" if name in vocab.GATES.get(cell, ()) else "coloraxis"  # gates: sequential
        fig.add_heatmap(x=steps, y=units, z=gates[name].T, coloraxis=scale,
                        hovertemplate=f"{vocab.NAMES[name]}<br>step %{{x}}, unit %{{y}}<br>value %{{z:.3f}}"
                        "<extra></extra>", row=row, col=1)
        fig.update_yaxes(title="unit", dtick=1, autorange="reversed", row=row, col=1)
        fig.add_vline(x=t, line_color=style.INK, line_width=2, row=row, col=1)
    fig.update_xaxes(title="time step t", dtick=1, row=len(names), col=1)
    others = [np.abs(gates[n]).max() for n in names if n not in vocab.GATES.get(cell, ())]
    top = max(1.0, float(np.nanmax(others))) if others else 1.0  # an LSTM's cell state c passes ±1: not clipped
    fig.update_layout(coloraxis={"colorscale": style.DIVERGING, "cmin": -top, "cmax": top,
                                 "colorbar": {"title": f"others<br>(±{top:.3g})", "y": 0.25, "len": 0.48}},
                      coloraxis2={"colorscale": style.SEQUENTIAL, "cmin": 0, "cmax": 1,
                                  "colorbar": {"title": "gates<br>(0 to 1)", "y": 0.75, "len": 0.48}})
    return _layout(fig, "All steps at once (gates: dark 0 closed, yellow 1 open; others: red +, blue −; "
                   "the vertical line: the step shown above)", 130 + 120 * len(names))
