"""Tests for rnnviz.plots.states and rnnviz.plots.predictions: every figure has the data's shape, one label per step,
a title, axis titles and titled colour scales."""

import numpy as np
import plotly.graph_objects as go
import pytest

from rnnviz.plots import predictions, states
from rnnviz.plots import style

T, U = 7, 5
TICKS = [f"{t + 1} w" for t in range(T)]
RNG = np.random.default_rng(0)


def axis_titles(fig: go.Figure) -> dict[str, str]:
    layout = fig.to_plotly_json()["layout"]
    return {k: (v.get("title") or {}).get("text") for k, v in layout.items() if k[1:5] == "axis"}


def assert_readable(fig: go.Figure) -> dict[str, str]:
    assert fig.layout.title.text
    axes = axis_titles(fig)
    assert any(t for k, t in axes.items() if k.startswith("x")), axes
    assert any(t for k, t in axes.items() if k.startswith("y")), axes
    for trace in fig.data:
        if isinstance(trace, go.Heatmap) or getattr(getattr(trace, "marker", None), "showscale", False):
            bar = trace.colorbar if isinstance(trace, go.Heatmap) else trace.marker.colorbar
            assert bar.title.text, "a colour scale without a title"
    fig.to_json()  # serialisable, as st.plotly_chart needs
    return axes


def test_step_ticks_unique():
    assert states.step_ticks(np.arange(3), ["row 1", "row 2", "row 3"]) == ["row 1", "row 2", "row 3"]
    assert states.step_ticks(np.array([4, 5, 6]), ["the", "film", "the"]) == ["5 the", "6 film", "7 the"]


def test_states_heatmap_is_units_by_time():
    h = RNG.uniform(-1, 1, (T, U))
    fig = states.states_heatmap(h, TICKS, "word read (time step)", value_range=(-1.0, 1.0))
    axes = assert_readable(fig)
    assert fig.data[0].z.shape == (U, T)
    np.testing.assert_allclose(fig.data[0].z, h.T.astype(np.float32))
    assert list(fig.data[0].x) == TICKS and fig.data[0].zmin == -1 and fig.data[0].zmax == 1
    assert axes["xaxis"] == "word read (time step)" and "unit" in axes["yaxis"]


def test_gates_heatmaps_one_panel_per_key_with_its_colour_bar():
    g = {"i": RNG.uniform(0, 1, (T, U)), "c_hat": RNG.uniform(-1, 1, (T, U)), "c": RNG.normal(0, 3, (T, U))}
    names = {"i": "input gate i", "c_hat": "candidate ĉ", "c": "cell state c"}
    ranges = {"i": (0.0, 1.0), "c_hat": (-1.0, 1.0), "c": (None, None)}
    fig = states.gates_heatmaps(g, list(g), names, ranges, TICKS, "step", "Gates")
    axes = assert_readable(fig)
    assert [t.z.shape for t in fig.data] == [(U, T)] * 3
    assert fig.data[0].colorscale[0][1] != fig.data[1].colorscale[0][1]  # gates and signed values differ
    assert (fig.data[0].zmin, fig.data[0].zmax) == (0, 1)
    assert fig.data[2].zmax == pytest.approx(np.abs(g["c"]).max(), rel=1e-6)  # unbounded: symmetric at the max
    assert [a.text for a in fig.layout.annotations][:3] == ["input gate i (0 to 1)", "candidate ĉ (−1 to 1)",
                                                            "cell state c (any value)"]
    assert all(axes[f"yaxis{k}"] == "unit" for k in ("", "2", "3")) and axes["xaxis3"] == "step"


def test_mean_curves_panels_and_ranges():
    fig = states.mean_curves([("gates", "mean (0 to 1)", {"i": np.full(T, 0.5), "f": np.full(T, 0.9)}, (0, 1)),
                              ("state", "mean", {"c": np.zeros(T)})], TICKS, "step", "Means")
    axes = assert_readable(fig)
    assert [t.name for t in fig.data] == ["i", "f", "c"] and len(fig.data[0].y) == T
    assert tuple(fig.layout.yaxis.range) == (0, 1) and fig.layout.yaxis2.range is None
    assert axes["yaxis"] == "mean (0 to 1)" and axes["xaxis2"] == "step"


def test_saturation_figure_bars_add_up_to_100():
    rows = [{"name": "forget gate f", "activation": "sigmoid", "low": 0.1, "high": 0.6, "low_label": "< 0.1",
             "high_label": "> 0.9"}, {"name": "candidate ĉ", "activation": "tanh", "low": 0.0, "high": 0.0,
                                      "low_label": "< −0.9", "high_label": "> 0.9"}]
    fig = states.saturation_figure(rows)
    assert_readable(fig)
    total = sum(np.asarray(t.x) for t in fig.data)
    np.testing.assert_allclose(total, [100, 100])
    assert [t.name for t in fig.data] == ["low end: < 0.1 (sigmoid), < −0.9 (tanh)", "in between",
                                          "high end: > 0.9 (sigmoid), > 0.9 (tanh)"]
    assert fig.data[2].text[0] == "60%" and fig.data[0].text[1] == ""


@pytest.mark.parametrize("dims", [2, 3])
def test_trajectory_figure(dims):
    main = (np.arange(2, 2 + T), RNG.normal(size=(T, 3)))
    others = [(RNG.normal(size=(4, 3)), "negative"), (RNG.normal(size=(5, 3)), "positive"),
              (RNG.normal(size=(3, 3)), "negative")]
    fig = states.trajectory_figure(main, TICKS, others, np.array([0.5, 0.3, 0.1]), dims, "this review")
    assert_readable(fig)
    assert len(fig.data) == 2 * len(others) + 1
    assert [t.name for t in fig.data if t.showlegend is not False] == ["negative", "positive", "this review"]
    last = fig.data[-1]
    assert len(last.x) == T and list(last.text) == TICKS and list(last.marker.color) == list(range(1, T + 1))
    if dims == 3:
        assert isinstance(last, go.Scatter3d) and fig.layout.scene.zaxis.title.text.startswith("PC3 (10%")
    else:
        assert fig.layout.xaxis.title.text == "PC1 (50% of the variance)"


def test_sample_figures():
    fig = predictions.window_figure(np.linspace(-1, 1, 10), np.array([1.0]), "Window 3")
    assert_readable(fig)
    assert list(fig.data[1].x) == [11]
    img = RNG.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    for reading in ("rows", "columns", "conv"):
        fig = predictions.image_figure(img, reading, "Image 1: cat")
        axes = assert_readable(fig)
        assert fig.data[0].z.shape == (32, 32, 3)
        assert "read" in (axes["yaxis"] if reading != "columns" else axes["xaxis"])
    grid = predictions.image_grid_figure([img] * 7, ["cat"] * 7, ["cat", "dog"] * 3 + ["cat"], [0.5] * 7, cols=3)
    assert_readable(grid)
    assert len(grid.data) == 7 and grid.layout.annotations[1].font.color == style.OKABE_ITO["vermillion"]  # wrong
    assert grid.layout.annotations[0].text.startswith("✓ cat (50%)")


def test_readout_figure_binary_and_multiclass():
    binary = predictions.readout_figure(np.column_stack([np.full(T, 0.3), np.full(T, 0.7)]), TICKS,
                                        ["negative", "positive"], None, "word read", "After each word")
    axes = assert_readable(binary)
    assert len(binary.data) == 1 and binary.data[0].name == "positive" and axes["yaxis"] == "probability of positive"
    probs = RNG.dirichlet(np.ones(10), T)
    probs[-1] = np.eye(10)[5]
    multi = predictions.readout_figure(probs, TICKS, [f"c{k}" for k in range(10)], 3, "row read", "When")
    assert_readable(multi)
    assert len(multi.data) == 10 and multi.data[3].name == "c3 (true class)" and multi.data[3].line.width == 4
    assert multi.data[5].name == "c5 (final prediction)"


def test_prediction_figures():
    fig = predictions.horizon_error_figure(np.linspace(0, 1, 20), 12)
    assert_readable(fig)
    assert len(fig.data[0].x) == 20 and "12 start windows" in fig.layout.title.text
    hist = predictions.probability_histogram(RNG.uniform(size=50), RNG.integers(0, 2, 50), ["negative", "positive"])
    axes = assert_readable(hist)
    assert [t.name for t in hist.data] == ["truly negative", "truly positive"]
    assert axes["xaxis"] == "predicted probability of positive"


def test_horizon_error_figure_draws_the_repeat_the_last_value_baseline():
    fig = predictions.horizon_error_figure(np.linspace(0, 1, 20), 12, "gru", baseline=np.linspace(0, 2, 20))
    assert_readable(fig)
    model, base = fig.data
    assert base.name == "repeat the last value (baseline)" and base.line.dash == "dot"
    assert model.line.color == style.cell_color("gru") and list(base.y) == list(np.linspace(0, 2, 20))
    assert "against repeating the last value" in fig.layout.title.text
    assert fig.layout.yaxis.type != "log"  # comparable errors: a linear axis from 0
    good = np.linspace(1e-3, 1e-2, 20)  # a model 100x better than the baseline would be a flat line at 0
    fig = predictions.horizon_error_figure(good, 12, "gru", baseline=np.linspace(0, 1.5, 20))
    assert fig.layout.yaxis.type == "log" and "log scale" in fig.layout.yaxis.title.text
    low, high = fig.layout.yaxis.range
    assert 10 ** low < good.min() and 10 ** high > 1.5  # both curves inside the axis


def test_an_all_zero_saturation_chart_is_one_line_with_the_one_definition():
    from rnnviz.config import vocab

    rows = [{"key": k, "name": vocab.NAMES[k], "activation": act, "low": 0.0, "high": 0.0}
            for k, act in (("i", "sigmoid"), ("f", "sigmoid"), ("c_hat", "tanh"))]
    text = states.no_saturation_text(rows)
    lo, hi = vocab.SATURATION["sigmoid"][:2]
    assert text.count("\n") == 0 and f"input gate i and forget gate f (sigmoid) stay between {lo:g} and {hi:g}" in text
    assert "candidate ĉ (tanh) stays between −0.9 and 0.9" in text
    assert states.no_saturation_text([{**rows[0], "high": 0.001}, *rows[1:]]) is None  # a value at a flat end: a chart
    assert states.no_saturation_text([]) is None


def test_word_effects_against_keras_on_the_review_cut_after_each_word():
    """Issue 16: each word coloured by how much it moved P(positive). The numbers (from the readout of the probe's
    recompute) must equal Keras's own outputs on the review cut after the word minus cut before it."""
    import keras

    from rnnviz.data import imdb
    from rnnviz import probe
    from rnnviz.inspect import readout
    from rnnviz.config import ImdbData, RunConfig
    from rnnviz.data.loaders import Dataset
    from rnnviz.models import build_model

    cfg = RunConfig(data=ImdbData(vocab_size=100, maxlen=12), cell="lstm", units=3, embedding_dim=4)
    review = [1, 5, 9, 33, 2, 40, 7]  # <start> and six words
    ids = imdb.pad([review], 12)
    keras.utils.set_random_seed(3)
    model = build_model(cfg, Dataset(ids, np.array([1.0]), ids, np.array([1.0]), "binary", 1))
    p_after = readout.readout_over_time(model, probe.probe_model(model, ids))[0, 12 - len(review):, 0]
    effects = predictions.word_effects(p_after)
    cut = imdb.pad([review[:n] for n in range(1, len(review) + 1)], 12)  # after <start>, after word 1, ...
    keras_p = keras.ops.convert_to_numpy(model(cut, training=False))[:, 0].astype(np.float64)
    np.testing.assert_allclose(effects, np.diff(keras_p), atol=1e-5, rtol=0)
    assert effects.shape == (6,) and np.abs(effects).max() > 1e-4  # not all zero: the test can tell them apart


def test_word_effect_html_colours_by_sign_on_the_diverging_scale():
    from plotly.colors import get_colorscale, sample_colorscale

    html = predictions.word_effect_html(["great", "<b>bad</b>", "the"], np.array([0.2, -0.1, 0.0]))
    spans = html.split("</span>")[:-1]
    assert len(spans) == 3 and "&lt;b&gt;bad&lt;/b&gt;" in spans[1]  # words are escaped
    red, blue, white = (sample_colorscale(get_colorscale(style.DIVERGING), [v], colortype="rgb")[0]
                        for v in (1.0, 0.25, 0.5))  # the largest change takes the deepest colour
    assert red in spans[0] and blue in spans[1] and white in spans[2]
    assert 'title="+0.200"' in spans[0] and 'title="-0.100"' in spans[1]
    r, g, b = (int(v) for v in red[4:-1].split(","))
    assert r > b  # positive is red, as on every chart (style.DIVERGING)
