"""Tests for the colour language on every figure and for `rnnviz.plots.theme` (projector mode, dark theme):
every builder's every colour comes from `rnnviz.plots.style`; projector mode's text, lines and heatmap rows are as
large as promised; the themes' text contrast passes WCAG AA, computed from `.streamlit/config.toml`."""

import json
import re
import tomllib

import numpy as np
import plotly.graph_objects as go
import pytest

from rnnviz.config import vocab
from rnnviz.plots import charts as plots
from rnnviz.plots import learn as learn_plots
from rnnviz.plots import states as state_plots
from rnnviz.plots import style
from rnnviz.plots import theme as figure_style
from tests.figures import FIGURES, ROOT, builders


def _rgba(color: str) -> tuple[int, int, int, float] | None:
    """(r, g, b, alpha) of "#RGB", "#RRGGBB", "rgb(...)" or "rgba(...)"; None for anything else (a name)."""
    color = color.strip().lower()
    if re.fullmatch(r"#[0-9a-f]{6}", color):
        return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16), 1.0
    if re.fullmatch(r"#[0-9a-f]{3}", color):
        return int(color[1] * 2, 16), int(color[2] * 2, 16), int(color[3] * 2, 16), 1.0
    m = re.fullmatch(r"rgba?\(([^)]*)\)", color)
    if m:
        parts = [float(v) for v in m.group(1).split(",")]
        return int(parts[0]), int(parts[1]), int(parts[2]), parts[3] if len(parts) > 3 else 1.0
    return None


STYLE_COLORS = [*style.OKABE_ITO.values(), *style.CELL_COLORS.values(), style.UNKNOWN_CELL, style.POSITIVE,
                style.NEGATIVE, style.SEQUENTIAL_LOW, style.SEQUENTIAL_MID, style.SEQUENTIAL_HIGH, style.NEUTRAL,
                style.INK, style.INK_SOFT, style.REFERENCE, style.MARK_SPAN, style.OUTLINE, *style.ON_COLOUR]
ALLOWED_RGB = {_rgba(c)[:3] for c in STYLE_COLORS}


def _scale(name: str) -> tuple:
    return tuple((float(p), _rgba(c)[:3]) for p, c in go.Heatmap(colorscale=name).colorscale)


ALLOWED_SCALES = {_scale(s) for s in (style.DIVERGING, style.SEQUENTIAL, style.SEQUENTIAL + "_r")}


def strays(fig: go.Figure) -> list[str]:
    """Every colour or colour scale in the figure (its template aside) that `rnnviz.plots.style` does not define, and
    every line, marker or bar trace that sets no colour (it would take the chart theme's)."""
    out = []

    def walk(node, where):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "template":
                    continue
                if key == "colorscale" and value is not None:
                    scale = tuple((float(p), (_rgba(c) or (c,))[:3]) for p, c in value)
                    if scale not in ALLOWED_SCALES:
                        out.append(f"{where}.colorscale")
                elif key.endswith("color") and value is not None:
                    for c in (value if isinstance(value, (list, tuple)) else [value]):
                        if isinstance(c, str):
                            rgba = _rgba(c)
                            if rgba is None or (rgba[3] > 0 and rgba[:3] not in ALLOWED_RGB):
                                out.append(f"{where}.{key}={c}")
                else:
                    walk(value, f"{where}.{key}")
        elif isinstance(node, (list, tuple)):
            for k, value in enumerate(node):
                walk(value, f"{where}[{k}]")

    spec = fig.to_plotly_json()
    walk(spec["layout"], "layout")
    for k, trace in enumerate(spec["data"]):
        walk(trace, f"data[{k}] ({trace.get('name')})")
        mode = trace.get("mode", "lines") if trace["type"] in ("scatter", "scatter3d") else "markers"
        if trace["type"] in ("scatter", "scatter3d", "bar", "histogram") and mode != "text":
            own = (trace.get("line") or {}).get("color") or (trace.get("marker") or {}).get("color")
            if own is None:
                out.append(f"data[{k}] ({trace.get('name')}) sets no colour")
    return out


def test_every_figure_builder_has_an_example():
    assert builders() == set(FIGURES), "add an example for each new figure builder to tests/figures.py"




def test_a_stray_colour_is_caught():
    fig = go.Figure(go.Scatter(x=[1, 2], y=[1, 2], line={"color": "#d62728"}))
    fig.add_scatter(x=[1, 2], y=[2, 1])
    fig.add_vline(x=1, line_color="gray")
    fig.add_heatmap(z=[[1, 2]], colorscale="Plasma")
    found = strays(fig)
    assert len(found) == 4 and "layout.shapes[0].line.color=gray" in found and "data[1] (None) sets no colour" in found
    assert strays(go.Figure(go.Scatter(x=[1], y=[1], line={"color": style.rgba(style.CELL_COLORS["gru"], 0.3)}))) == []


def test_learn_gates_take_the_sequential_scale_as_on_inspect():
    learn = learn_plots.gate_time_figure({k: np.zeros((4, 2)) for k in vocab.KEYS["lstm"]}, 1, "lstm")
    inspect = state_plots.gates_heatmaps({"f": np.zeros((4, 2)), "c": np.zeros((4, 2))}, ["f", "c"], vocab.NAMES,
                                         {"f": (0.0, 1.0), "c": (-1.0, 1.0)}, list("abcd"), "s", "t")
    axes = {t.name or vocab.KEYS["lstm"][k]: t.coloraxis for k, t in enumerate(learn.data)}
    scale = {"coloraxis": learn.layout.coloraxis.colorscale, "coloraxis2": learn.layout.coloraxis2.colorscale}
    for k, key in enumerate(vocab.KEYS["lstm"]):
        want = inspect.data[0].colorscale if key in vocab.GATES["lstm"] else inspect.data[1].colorscale
        assert scale[learn.data[k].coloraxis] == want, (key, axes)


# --- figure_style: projector mode and the dark theme ---

def _texts(fig: go.Figure) -> list[tuple[str, float | None]]:
    """(where, font size) of every text a figure shows: title, axis ticks and titles, legend, colour bars,
    annotations."""
    lay = fig.layout
    out = [("title", lay.title.font.size), ("legend", lay.legend.font.size)]
    out += [(f"{n} ticks", lay[n].tickfont.size) for n in lay if n.startswith(("xaxis", "yaxis"))]
    out += [(f"{n} title", lay[n].title.font.size) for n in lay
            if n.startswith(("xaxis", "yaxis")) and lay[n].title.text]
    out += [(f"annotation {a.text[:20]}", a.font.size) for a in lay.annotations]
    out += [(f"colorbar {t.name}", t.colorbar.tickfont.size) for t in fig.data
            if t.type == "heatmap" and t.showscale is not False and not t.coloraxis]
    return out


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_every_figure_takes_its_colours_from_style_and_grows_in_projector_mode(name):
    """Every colour from `rnnviz.plots.style`; in projector mode text >= 18 px, lines >= 3 px, heatmap rows >= 12 px."""
    fig = FIGURES[name]()
    assert strays(fig) == []
    before = json.loads(fig.to_json())
    big = figure_style.styled(fig, projector=True)
    assert json.loads(fig.to_json()) == before  # the figure itself is left as it was (figures are cached)
    small = [(where, size) for where, size in _texts(big) if size is None or size < style.PROJECTOR["font"]]
    assert small == []
    assert big.layout.title.font.size >= 22 or not big.layout.title.text
    assert big.layout.height >= 1.25 * (fig.layout.height or 450) - 1  # room for the larger text
    for trace in big.data:
        if trace.type == "scatter" and "lines" in (trace.mode or "lines"):
            assert trace.line.width >= 3, trace.name
        if trace.type == "heatmap":
            domain = big.layout["yaxis" + (trace.yaxis or "y")[1:]].domain or (0, 1)
            margin = big.layout.margin
            plot = big.layout.height - (100 if margin.t is None else margin.t) - (80 if margin.b is None else margin.b)
            rows = figure_style._rows(trace.z)
            assert plot * (domain[1] - domain[0]) / rows >= 12 - 1e-9, (trace.name, big.layout.height)


@pytest.mark.parametrize("top, want", [(1e-3, [1e-3, 1e-2, 1e-1]), (0.5, [0.1, 0.2, 0.5])])
def test_projector_log_axes_have_only_full_size_labels(top, want):
    """Plotly draws a log axis's 2s and 5s at 3/4 size (13.5 px): projector mode names its ticks instead."""
    fig = go.Figure(go.Scatter(x=[1, 2, 3], y=[top, 0.3 * top + 0.07, 0.1], line={"color": style.INK}))
    fig.update_yaxes(type="log")
    big = figure_style.styled(fig, projector=True)
    assert big.layout.yaxis.tickmode == "array" and list(big.layout.yaxis.tickvals) == pytest.approx(want)
    assert figure_style.styled(fig).layout.yaxis.tickvals is None  # normal mode leaves Plotly's ticks


def test_projector_heatmap_of_many_rows_grows_tall_enough():
    fig = state_plots.states_heatmap(np.zeros((10, 64)), [str(t) for t in range(10)], "step")
    big = figure_style.styled(fig, projector=True)
    margin = big.layout.margin
    assert (big.layout.height - margin.t - margin.b) / 64 >= 12 and big.layout.height > (fig.layout.height or 450)


def test_normal_mode_ticks_in_the_theme_text_colour_and_dark_theme_turns_ink_light():
    fig = learn_plots.gate_time_figure({k: np.zeros((4, 2)) for k in vocab.KEYS["gru"]}, 1, "gru")
    light = figure_style.styled(fig)
    assert light.layout.xaxis.tickfont.color == style.THEMES["light"]["textColor"]
    assert light.layout.xaxis.tickfont.size is None
    assert light.layout.shapes[0].line.color == style.INK
    dark = figure_style.styled(fig, dark=True)
    assert dark.layout.yaxis.tickfont.color == style.THEMES["dark"]["textColor"]
    assert dark.layout.shapes[0].line.color == "#FFFFFF"  # the black step line turns white
    pred = figure_style.styled(plots.prediction_figure(np.cos(np.arange(40.0)), 30, np.zeros(10), np.zeros(10), .1, .2,
                                                       cell="lstm"), dark=True)
    assert pred.data[0].line.color == style.DARK_INK[style.NEUTRAL]  # the true series behind the forecast
    assert pred.data[1].line.color == style.CELL_COLORS["lstm"]  # data colours stay


def _config_themes() -> dict[str, dict[str, str]]:
    theme = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["theme"]
    return {name: theme[name] for name in ("light", "dark")}


@pytest.mark.parametrize("fg, bg, ratio", [("#FFFFFF", "#000000", 21.0), ("#808495", "#FFFFFF", 3.72),
                                           ("#777777", "#FFFFFF", 4.48), ("#31333F", "#31333F", 1.0)])
def test_contrast_ratio_matches_known_wcag_values(fg, bg, ratio):
    assert style.contrast_ratio(fg, bg) == pytest.approx(ratio, abs=0.01)
    assert style.contrast_ratio(bg, fg) == pytest.approx(ratio, abs=0.01)


def test_relative_luminance_rejects_a_colour_name():
    with pytest.raises(ValueError, match="color='gray'"):
        style.relative_luminance("gray")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_theme_text_contrast_passes_wcag_aa(theme):
    config = _config_themes()[theme]
    for key in ("backgroundColor", "secondaryBackgroundColor", "textColor"):
        assert config[key] == style.THEMES[theme][key]  # one source for the charts and the app
    text = config["textColor"]
    for background in (config["backgroundColor"], config["secondaryBackgroundColor"]):  # page, sidebar
        assert style.contrast_ratio(text, background) >= 4.5
    chart = figure_style.styled(FIGURES["charts.loss_figure"](), projector=True, dark=theme == "dark")
    for font in (chart.layout.xaxis.tickfont, chart.layout.yaxis.title.font, chart.layout.legend.font):
        assert style.contrast_ratio(font.color, config["backgroundColor"]) >= 4.5
    assert style.contrast_ratio(config["primaryColor"], config["backgroundColor"]) >= 4.5  # links, buttons
    assert style.contrast_ratio("#808495", style.THEMES["light"]["backgroundColor"]) < 4.5  # Streamlit's tick grey


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_a_figure_drawn_again_from_streamlits_cache_is_styled_as_the_first_time(name):
    """On a chart's second drawing its arrays come back as Plotly's typed-array dicts ({"dtype", "bdata"}); in
    Chromium that crashed lesson steps 2-3 in projector mode (float() of a dict in the log-axis ticks)."""
    fig = FIGURES[name]()
    cached = go.Figure(json.loads(fig.to_json()))
    for dark in (False, True):
        first = figure_style.styled(fig, projector=True, dark=dark).to_dict()["layout"]
        again = figure_style.styled(cached, projector=True, dark=dark).to_dict()["layout"]
        assert again == first


def test_the_cached_copy_of_a_log_axis_chart_has_typed_arrays_and_the_same_ticks():
    fig = plots.loss_figure({"loss": [0.5, 0.05, 0.004], "val_loss": [0.6, 0.07, 0.005]}, task="regression")
    cached = go.Figure(json.loads(fig.to_json()))
    assert isinstance(cached.data[0].y, dict) and "bdata" in cached.data[0].y  # what the second drawing gets
    first = figure_style.styled(fig, projector=True).layout.yaxis.tickvals
    assert first and figure_style.styled(cached, projector=True).layout.yaxis.tickvals == first


@pytest.mark.parametrize("projector", [False, True])
def test_every_log_axis_reads_in_powers_of_ten_not_si_prefixes(projector):
    found = 0
    for name, draw in FIGURES.items():
        layout = figure_style.styled(draw(), projector=projector).to_dict()["layout"]
        for key, axis in layout.items():
            if key.startswith(("xaxis", "yaxis")) and axis.get("type") == "log":
                found += 1
                assert axis.get("exponentformat") == "power", (name, key)  # Plotly's default drew "100µ"
    assert found >= 3


def _line_labels(layout: dict) -> list[tuple[str, float, float, str]]:
    """(figure axis, where the label is, where its line is in that axis's own coordinates, text) of every label
    that `add_hline` / `add_vline` put beside a reference line across the plot."""
    out = []
    for a in layout.get("annotations", ()):
        for coord, other in (("y", "x"), ("x", "y")):
            ref = a.get(coord + "ref") or coord
            if not str(a.get(other + "ref", "")).endswith("domain") or ref.endswith(("domain", "paper")):
                continue
            lines = [s for s in layout.get("shapes", ()) if s.get("type") == "line"
                     and (s.get(coord + "ref") or coord) == ref and s.get(coord + "0") == s.get(coord + "1")
                     and str(s.get(other + "ref", "")).endswith("domain")]
            log = (layout.get(ref[0] + "axis" + ref[1:]) or {}).get("type") == "log"
            at = [np.log10(s[coord + "0"]) if log else s[coord + "0"] for s in lines]
            if at:
                out.append((ref, a[coord], min(at, key=lambda v: abs(v - a[coord])), a["text"]))
    return out


def test_a_reference_lines_label_sits_on_its_line_on_a_log_axis_too():
    """Plotly reads an annotation's data coordinate on a log axis as log10 of the value (plotly.py #2580) while the
    line takes the value itself: the lesson race's 'goal: validation MSE 0.01' label was drawn at 10^0.01 ≈ 1.02,
    and the baseline's at 10^0.163 ≈ 1.46, far above their lines, stretching the axis to 2 (seen in Chromium)."""
    fig = plots.loss_figure({"loss": [0.5, 0.05, 0.004], "val_loss": [0.6, 0.07, 0.005]}, task="regression")
    fig.add_hline(y=0.163, annotation_text="baseline")
    fig.add_hline(y=0.01, annotation_text="goal", annotation_position="bottom left")
    fig.add_vline(x=2, annotation_text="a mark")  # a linear axis keeps its value
    assert fig.layout.yaxis.type == "log"
    for projector in (False, True):
        labels = _line_labels(figure_style.styled(fig, projector=projector).to_dict()["layout"])
        assert len(labels) == 3
        for _, at, line, text in labels:
            assert at == pytest.approx(line), text
    found = 0
    for name, draw in FIGURES.items():
        for _, at, line, text in _line_labels(figure_style.styled(draw()).to_dict()["layout"]):
            found += 1
            assert at == pytest.approx(line), (name, text)
    assert found >= 3
