"""Figures: the right traces, titles and axis labels for what the pages draw."""

import numpy as np

from rnnviz.plots import charts as plots


def events(n_epochs=3, steps=4):
    out = []
    for e in range(1, n_epochs + 1):
        out += [{"kind": "batch", "epoch": e, "step": s, "steps": steps, "seconds": e + s / 10, "loss": 1 / e}
                for s in range(1, steps + 1)]
        out.append({"kind": "epoch", "epoch": e, "seconds": e, "loss": 1 / e, "val_loss": 1.1 / e})
    return out


def test_event_frames_and_loss_figure():
    epochs, batches = plots.event_frames(events())
    assert epochs["epoch"].tolist() == [1, 2, 3] and epochs["val_loss"].tolist() == [1.1, 0.55, 1.1 / 3]
    assert batches["x"].tolist()[:2] == [0.25, 0.5] and batches["x"].iloc[-1] == 3.0
    fig = plots.loss_figure(epochs, batches)
    assert [t.name for t in fig.data] == ["training (per batch)", "training (epoch end)", "validation (epoch end)"]
    assert fig.layout.xaxis.title.text == "epoch" and "mean squared error" in fig.layout.yaxis.title.text
    assert fig.layout.yaxis.type == "log"


def test_batch_points_are_thinned_but_keep_the_newest():
    _, batches = plots.event_frames(events(n_epochs=50, steps=100))
    assert len(batches) <= plots.MAX_BATCH_POINTS and batches["x"].iloc[-1] == 50.0


def test_loss_figure_from_stored_history():
    fig = plots.loss_figure({"loss": [0.5, 0.2], "val_loss": [0.6, 0.3]})
    assert list(fig.data[0].x) == [1, 2] and list(fig.data[1].y) == [0.6, 0.3]


def test_prediction_figure():
    series = np.cos(np.arange(100) / 5)
    fig = plots.prediction_figure(series, 80, series[80:] + 0.01, series[80:90], 0.01, 0.0)
    assert [t.name.split(" ")[0] for t in fig.data] == ["actual", "one-step", "free-running"]
    assert "RMSE 0.0100" in fig.data[1].name and len(fig.data[2].x) == 10 and fig.data[2].x[0] == 80
    assert fig.layout.xaxis.title.text == "time step" and fig.layout.yaxis.title.text == "value"


def test_compare_figures_have_labelled_axes():
    import pandas as pd

    curves = pd.DataFrame({"label": ["LSTM 4u"] * 4, "epoch": [1, 2, 1, 2], "seconds": [0.5, 1.0, 0.5, 1.0],
                           "split": ["training", "training", "validation", "validation"],
                           "value": [0.5, 0.2, 0.6, 0.3]})
    fig = plots.compare_figure(curves, "seconds", "loss", "regression")
    assert fig.layout.xaxis.title.text.startswith("training time (seconds") and fig.layout.yaxis.type == "log"
    assert [t.name for t in fig.data] == ["LSTM 4u (training)", "LSTM 4u (validation)"]
    grads = pd.DataFrame({"label": ["GRU"] * 3, "epoch": [None] * 3, "step": [1, 2, 3], "norm": [1e-4, 1e-3, 1e-2]})
    g = plots.gradient_figure(grads, "t")
    assert g.layout.yaxis.type == "log" and "log scale" in g.layout.yaxis.title.text and len(g.data) == 1
    sat = pd.DataFrame({"label": ["LSTM"] * 2, "gate": ["input gate i", "forget gate f"], "activation": ["sigmoid"] * 2,
                        "low": [0.0, 0.0], "high": [0.0, 0.0], "low_label": ["< 0.1"] * 2, "high_label": ["> 0.9"] * 2})
    s = plots.saturation_figure(sat)
    assert s.layout.yaxis.tickformat == ".0%" and not s.layout.annotations  # all zero: the page writes one line
    from rnnviz.plots.states import no_saturation_text

    twice = pd.concat([sat, sat.assign(label="GRU")]).rename(columns={"gate": "name"}).to_dict("records")
    assert no_saturation_text(twice, "in every run") == ("No value is saturated: input gate i and forget gate f "
                                                         "(sigmoid) stay between 0.1 and 0.9, in every run.")
    assert [t.name for t in s.data] == ["low end: < 0.1 (sigmoid)", "high end: > 0.9 (sigmoid)"]
    sat.loc[1, "high"] = 0.4
    assert not plots.saturation_figure(sat).layout.annotations


def test_epoch_only_charts_tick_whole_epochs():
    fig = plots.loss_figure({"accuracy": [0.6, 0.8], "val_accuracy": [0.65, 0.81]}, None, "binary", "accuracy")
    assert fig.layout.xaxis.dtick == 1 and fig.layout.xaxis.tick0 == 1
    assert fig.layout.yaxis.tickformat == ".0%"


def test_loss_figure_draws_earlier_runs_faint_behind_the_current_one():
    from rnnviz.plots import style

    ghosts = [{"label": "GRU 8u · 3 ep", "cell": "gru", "history": {"loss": [0.5, 0.3, 0.2], "val_loss": [0.6, 0.4, 0.3]}},
              {"label": "SimpleRNN 8u · 2 ep", "cell": "simple_rnn", "history": {"loss": [0.9, 0.8]}},  # no validation
              {"label": "empty", "cell": "lstm", "history": {}}]
    fig = plots.loss_figure({"loss": [0.4, 0.2], "val_loss": [0.5, 0.25]}, None, "lm", cell="lstm", ghosts=ghosts,
                            label="LSTM 8u · 2 ep")
    lines = [t for t in fig.data if t.legendgroup == "earlier" and t.mode == "lines"]
    assert [t.name for t in lines] == ["GRU 8u · 3 ep (validation, earlier)", "SimpleRNN 8u · 2 ep (training, earlier)"]
    assert list(lines[0].y) == [0.6, 0.4, 0.3] and list(lines[0].x) == [1, 2, 3]
    assert lines[0].line.color == style.rgba(style.cell_color("gru"), plots.GHOST_ALPHA) and lines[0].line.dash == "solid"
    assert lines[1].line.dash == style.SPLIT_DASH["training"]
    ends = [t for t in fig.data if t.mode == "text"]
    assert [(list(t.text), t.x[0], t.y[0]) for t in ends] == [(["GRU 8u · 3 ep"], 3, 0.3), (["SimpleRNN 8u · 2 ep"], 2, 0.8)]
    assert fig.data.index(lines[0]) < min(i for i, t in enumerate(fig.data) if t.name == "LSTM 8u · 2 ep: training (epoch end)")
    assert not any(t.name == "empty" or "empty" in (t.text or ()) for t in fig.data)
    assert plots.loss_figure({"loss": [0.4]}, None, "lm").data[0].name == "training (epoch end)"  # no ghosts, no label
