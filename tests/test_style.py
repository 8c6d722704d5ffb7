"""Tests for rnnviz.plots.style as the figures use it: the same colour for the same cell on every chart that shows
cells, training and validation told apart by dash (not colour), one diverging and one sequential scale."""

import numpy as np
import pandas as pd
import pytest

from rnnviz.plots import predictions as prediction_plots
from rnnviz.plots import states as state_plots
from rnnviz.plots import learn as learn_plots
from rnnviz.plots import charts as plots
from rnnviz.plots import style
from rnnviz.plots import sweep as sweep_plots
from rnnviz.config import vocab

T = 6


def _hex(color: str) -> str:
    """A colour as "#rrggbb" (alpha dropped), from "#RRGGBB" or "rgba(r,g,b,a)"."""
    if color.startswith("rgb"):
        r, g, b = (int(float(v)) for v in color[color.index("(") + 1:-1].split(",")[:3])
        return f"#{r:02x}{g:02x}{b:02x}"
    return color.lower()


def _curves() -> pd.DataFrame:
    rows = [{"run": f"r{k}", "label": f"{vocab.CELL_LABELS[cell]} {units}u", "cell": cell, "epoch": e,
             "seconds": e / 2, "split": split, "value": 1 / (e + k + 1)}
            for k, (cell, units) in enumerate([("simple_rnn", 4), ("lstm", 4), ("gru", 4), ("lstm", 8)])
            for split in ("training", "validation") for e in (1, 2, 3)]
    return pd.DataFrame(rows)


def _gradients() -> pd.DataFrame:
    return pd.DataFrame([{"label": vocab.CELL_LABELS[cell], "cell": cell, "epoch": epoch, "step": s,
                          "norm": 10.0 ** -s} for cell in vocab.CELLS for epoch in (0, None) for s in range(1, T)])


def _figures_with_cells() -> list[tuple[str, object, dict[str, str]]]:
    """(name, figure, {trace name: the cell it draws}) for every figure that shows cells."""
    out = []
    curves, grads = _curves(), _gradients()
    for x in ("epoch", "seconds"):
        fig = plots.compare_figure(curves, x, "loss", "regression")
        labels = dict(zip(curves["label"], curves["cell"]))
        out.append((f"compare_figure {x}", fig, {t.name: labels[t.name.rsplit(" (", 1)[0]] for t in fig.data}))
    fig = plots.gradient_figure(grads, "g")
    out.append(("gradient_figure", fig, {t.name: next(c for c in vocab.CELLS if t.name.split(",")[0] ==
                                                      vocab.CELL_LABELS[c]) for t in fig.data}))
    history = {"loss": [0.5, 0.3], "val_loss": [0.6, 0.4]}
    batches = pd.DataFrame({"x": [0.5, 1.0, 1.5, 2.0], "loss": [0.7, 0.5, 0.4, 0.3]})
    series = np.cos(np.arange(40) / 3)
    for cell in vocab.CELLS:
        fig = plots.loss_figure(history, batches, "regression", cell=cell)
        out.append((f"loss_figure {cell}", fig, {t.name: cell for t in fig.data}))
        fig = plots.prediction_figure(series, 30, series[30:], series[30:], 0.1, 0.2, cell=cell)
        out.append((f"prediction_figure {cell}", fig, {t.name: cell for t in fig.data[1:]}))  # [0]: the series
        fig = prediction_plots.horizon_error_figure(np.linspace(0.1, 1, 5), 3, cell)
        out.append((f"horizon_error_figure {cell}", fig, {t.name: cell for t in fig.data}))
    fig = learn_plots.forget_path_figure(np.full((T, 2), 0.9) ** np.arange(1, T + 1)[:, None], 0.5 ** np.arange(T))
    out.append(("forget_path_figure", fig, {t.name: "simple_rnn" if "plain" in t.name else "lstm" for t in fig.data}))
    fig = learn_plots.norm_figure({"matrix": np.ones(T), "rnn": np.ones(T)}, "t", "y", cells={"rnn": "simple_rnn"})
    out.append(("norm_figure", fig, {"rnn": "simple_rnn"}))
    n = len(vocab.CELLS)
    sweep = pd.DataFrame({"cell": [c for c in vocab.CELLS for _ in (10, 50)], "steps": [10, 50] * n,
                          "val_mse": np.linspace(0.01, 0.1, 2 * n), "run_id": [f"r{k}" for k in range(2 * n)]})
    fig = sweep_plots.metric_figure(sweep, ["cell", "steps"], "val_mse")
    out.append(("sweep metric_figure", fig, {vocab.CELL_LABELS[c]: c for c in vocab.CELLS}))  # labels, not names
    return out


def test_every_figure_that_shows_cells_uses_the_same_colour_for_the_same_cell():
    seen: dict[str, set[str]] = {}
    for name, fig, cells in _figures_with_cells():
        traces = {t.name: t for t in fig.data}
        assert set(cells) <= set(traces), name
        for trace_name, cell in cells.items():
            trace = traces[trace_name]
            color = trace.line.color if trace.line.color is not None else trace.marker.color
            seen.setdefault(cell, set()).add(_hex(color))
            assert _hex(color) == style.CELL_COLORS[cell].lower(), (name, trace_name, color)
    assert {cell: len(colors) for cell, colors in seen.items()} == {cell: 1 for cell in vocab.CELLS}
    colors = [style.CELL_COLORS[c] for c in style.CELL_COLORS]
    assert len(set(colors)) == len(colors) and set(colors) <= set(style.OKABE_ITO.values())  # distinct, CB-safe
    assert {c: style.CELL_COLORS[c] for c in vocab.CELLS} == {"simple_rnn": "#0072B2", "lstm": "#D55E00",
                                                              "gru": "#009E73", "lstm_peephole": "#CC79A7",
                                                              "lstm_cifg": "#E69F00", "mgu": "#56B4E9"}


def test_a_plain_rnn_curve_never_takes_another_cells_colour():
    fig = learn_plots.norm_figure({"a": np.ones(T), "b": np.ones(T), "rnn": np.ones(T)}, "t", "y",
                                  cells={"rnn": "simple_rnn"})
    others = [t.line.color for t in fig.data if t.name != "rnn"]
    assert style.cell_color("simple_rnn") not in others and len(set(others)) == 2


def test_training_and_validation_differ_by_dash_not_colour():
    fig = plots.loss_figure({"loss": [0.5, 0.3], "val_loss": [0.6, 0.4]}, None, "regression", cell="gru")
    train, val = fig.data
    assert train.line.color == val.line.color and (train.line.dash, val.line.dash) == ("dash", "solid")
    fig = plots.compare_figure(_curves(), "epoch")
    by_name = {t.name: t for t in fig.data}
    for label in _curves()["label"].unique():
        train, val = by_name[f"{label} (training)"], by_name[f"{label} (validation)"]
        assert train.line.color == val.line.color and (train.line.dash, val.line.dash) == ("dash", "solid")
    lstm = [t for t in fig.data if t.name.startswith("LSTM") and "validation" in t.name]
    assert len({t.marker.symbol for t in lstm}) == 2  # two LSTM runs: one colour, told apart by marker


def test_one_diverging_scale_positive_red_and_one_sequential_scale_for_gates():
    import plotly.colors
    import plotly.graph_objects as go

    diverging = go.Heatmap(colorscale=style.DIVERGING).colorscale  # as Plotly resolves the name
    sequential = go.Heatmap(colorscale=style.SEQUENTIAL).colorscale
    def rgb(color: str) -> tuple:
        return plotly.colors.unlabel_rgb(plotly.colors.convert_colors_to_same_type(color, "rgb")[0][0])

    (r, g, b), (r0, g0, b0) = rgb(diverging[-1][1]), rgb(diverging[0][1])
    assert r > 2 * max(g, b) and b0 > 2 * max(r0, g0)  # the positive end is red, the negative end blue
    h = np.linspace(-1, 1, T * 3).reshape(T, 3)
    ticks = [str(t) for t in range(T)]
    states = state_plots.states_heatmap(h, ticks, "step")
    gates = state_plots.gates_heatmaps({"f": (h + 1) / 2, "c_hat": h}, ["f", "c_hat"], vocab.NAMES,
                                       {"f": (0.0, 1.0), "c_hat": (-1.0, 1.0)}, ticks, "s", "t")
    learn = learn_plots.gate_time_figure({k: h[:, :2] for k in vocab.KEYS["gru"]}, 2, "gru")
    assert states.data[0].colorscale == diverging and gates.data[1].colorscale == diverging
    assert learn.layout.coloraxis.colorscale == diverging  # the Learn pages: positive red too
    assert gates.data[0].colorscale == sequential  # gates (0 to 1)


@pytest.mark.parametrize("alpha", [0.0, 0.4, 1.0])
def test_rgba(alpha):
    assert style.rgba("#D55E00", alpha) == f"rgba(213,94,0,{alpha})"


def test_gradient_runs_of_one_cell_share_its_colour_and_differ_by_marker():
    rows = [{"label": label, "cell": cell, "epoch": None, "step": s, "norm": 1.0 / s}
            for label, cell in (("LSTM 4u", "lstm"), ("LSTM 8u", "lstm"), ("GRU 4u", "gru")) for s in (1, 2, 3)]
    fig = plots.gradient_figure(pd.DataFrame(rows), "t")
    lstm = [t for t in fig.data if t.name.startswith("LSTM")]
    assert {t.line.color for t in lstm} == {style.CELL_COLORS["lstm"]} and len({t.marker.symbol for t in lstm}) == 2
    assert [t.name for t in fig.data] == ["LSTM 4u", "LSTM 8u", "GRU 4u"]


def _look(trace) -> tuple:
    """What tells a trace apart without colour: its marker symbol (when markers are drawn) and its line dash."""
    symbol = trace.marker.symbol if trace.mode is None or "markers" in (trace.mode or "") else None
    return symbol, trace.line.dash or "solid"


def test_each_cell_has_its_own_marker_and_dash_defined_with_its_colour():
    """Issue 23 item 4: shapes as well as colours, one row per cell."""
    from rnnviz.config import cells

    rows = list(cells.CELLS.values())
    assert len({c.symbol for c in rows}) == len(rows) and len({c.dash for c in rows}) == len(rows)
    for c in rows:
        assert style.cell_symbol(c.name) == c.symbol and style.cell_dash(c.name) == c.dash


def test_the_four_cell_comparison_stays_apart_without_colour():
    """LSTM, peephole, CIFG and GRU: under deuteranopia peephole and GRU turn into near-identical greys, LSTM
    and CIFG into two yellows, so every pair must differ in marker or dash, on every chart that shows them."""
    from rnnviz.plots import adding

    four = [("LSTM 8u", "lstm"), ("peephole LSTM 8u", "lstm_peephole"), ("CIFG LSTM 8u", "lstm_cifg"),
            ("GRU 8u", "gru")]
    curves = pd.DataFrame([{"run": label, "label": label, "cell": cell, "epoch": e, "seconds": e, "split": split,
                            "value": 1.0 / e} for label, cell in four for e in (1, 2, 3)
                           for split in ("training", "validation")])
    fig = plots.compare_figure(curves, "epoch")
    for split in ("training", "validation"):
        looks = [_look(t) for t in fig.data if t.name.endswith(f"({split})")]
        assert len(looks) == 4 and len(set(looks)) == 4, (split, looks)
        assert all(symbol is not None for symbol, _ in looks)
    shares = pd.DataFrame([{"label": label, "cell": cell, "epoch": e, "share": 0.1 * e}
                           for label, cell in four for e in (0, 1)])
    looks = [_look(t) for t in adding.share_figure(shares, 0.04).data]
    assert len(set(looks)) == 4
    rows = [{"label": label, "cell": cell, "epoch": epoch, "step": s, "norm": 1.0 / s}
            for label, cell in four for epoch in (0, None) for s in (1, 2)]
    looks = {_look(t) for t in plots.gradient_figure(pd.DataFrame(rows), "t").data if t.showlegend is not False}
    assert len(looks) == 4
    sweep = pd.DataFrame({"cell": [c for _, c in four for _ in (10, 50)], "steps": [10, 50] * 4,
                          "val_mse": np.linspace(0.01, 0.1, 8), "run_id": [f"r{k}" for k in range(8)]})
    looks = [_look(t) for t in sweep_plots.metric_figure(sweep, ["cell", "steps"], "val_mse").data
             if t.name in {vocab.CELL_LABELS[c] for _, c in four}]
    assert len(looks) == 4 and len(set(looks)) == 4
