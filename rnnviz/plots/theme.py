"""The last touch every chart gets before it is drawn: text in the theme's text colour, ink that suits a dark
page, and in projector mode large text, thick lines and tall heatmap rows.

The figure modules (`plots`, `inspect_plots`, `learn_plots`, `sweep_plots`, `memory`) build figures for a
white page at normal size, with colours from `rnnviz.plots.style`. `styled` adapts a copy of one of them to how it
is shown; `rnnviz.ui.projector` applies it to every `st.plotly_chart`, so no page does it itself.

No Streamlit here: figure in, figure out.
"""

from __future__ import annotations

import base64
import math

import numpy as np
import plotly.graph_objects as go

from rnnviz.plots import style

_PLOTLY_MARGIN = {"t": 100, "b": 80}
"""Plotly's default top and bottom margins (px), for figures that set none."""
_SCALED = ("heatmap", "histogram2d", "contour")
"""Trace types that draw their own colour bar (unless they share a layout colour axis)."""


def _get(node: dict, *keys: str) -> dict:
    """`node[k1][k2]...`, made (as empty dicts) where missing."""
    for key in keys:
        node = node.setdefault(key, {})
    return node


def _font(font: dict, size: int | None, color: str) -> None:
    """Sets a font's colour (where not set already) and raises its size to at least `size`."""
    font.setdefault("color", color)
    if size is not None and (font.get("size") or 0) < size:
        font["size"] = size


def _ink(color, dark: bool):
    """A colour as it is drawn: on the dark theme, `style.DARK_INK`'s light counterpart of an ink colour."""
    if not dark or not isinstance(color, str):
        return color
    return style.DARK_INK.get(color, style.DARK_INK.get(color.replace(" ", ""), color))


def _swap(node: dict, key: str, dark: bool) -> None:
    """Turns an ink colour at `node[key]` light on the dark theme."""
    if key in node:
        node[key] = _ink(node[key], dark)


def _axes(layout: dict, data: list[dict]) -> list[dict]:
    """Every 2-D axis the figure uses (made in the layout where only a trace names it) and every 3-D scene axis."""
    names = {n for n in layout if n.startswith(("xaxis", "yaxis"))} | {"xaxis", "yaxis"}
    for trace in data:
        for ref in (trace.get("xaxis"), trace.get("yaxis")):
            if ref:
                names.add(ref[0] + "axis" + ref[1:])
    axes = [_get(layout, n) for n in sorted(names)]
    for scene in [n for n in layout if n.startswith("scene")] + (["scene"] if any(
            t.get("type") == "scatter3d" for t in data) else []):
        axes += [_get(layout, scene, a) for a in ("xaxis", "yaxis", "zaxis")]
    return axes


def _colorbars(layout: dict, data: list[dict]) -> list[dict]:
    """Every colour bar: of the layout's colour axes and of traces (heatmaps, markers coloured by value)."""
    bars = [_get(layout, n, "colorbar") for n in list(layout) if n.startswith("coloraxis")]
    for trace in data:
        if trace.get("type") in _SCALED and not trace.get("coloraxis"):
            bars.append(_get(trace, "colorbar"))
        marker = trace.get("marker") or {}
        if "colorscale" in marker or marker.get("showscale"):
            bars.append(_get(marker, "colorbar"))
    return bars


def _log_ticks(fig: go.Figure, layout: dict) -> None:
    """Full-size tick labels on log axes: Plotly draws the 2s and 5s between powers of ten at 3/4 of the font
    size, so an axis spanning two decades or more gets only powers of ten, a shorter one 1-2-5 values."""
    for name, axis in list(layout.items()):
        if not name.startswith(("xaxis", "yaxis")) or axis.get("type") != "log" or "dtick" in axis \
                or "tickvals" in axis:
            continue
        ref, values = name[0] + name[5:], []
        for trace in fig.data:
            if (getattr(trace, name[0] + "axis", None) or name[0]) == ref and getattr(trace, name[0], None) is not None:
                v = _values(getattr(trace, name[0]))
                values.append(v[np.isfinite(v) & (v > 0)])
        v = np.concatenate(values) if values else np.array([])
        if not len(v):
            continue
        lo, hi = math.floor(math.log10(v.min())), math.ceil(math.log10(v.max()))
        steps = (1,) if hi - lo >= 2 else (1, 2, 5)
        ticks = [m * 10.0 ** e for e in range(lo, hi + 1) for m in steps]
        ticks = [t for t in ticks if v.min() / 1.5 <= t <= v.max() * 1.5]
        if len(ticks) >= 2:
            axis.update(tickmode="array", tickvals=ticks)


def _line_labels(layout: dict) -> None:
    """Moves the label that `add_hline` / `add_vline` put beside a reference line onto its line on a log axis.

    Plotly reads an annotation's data coordinate on a log axis as log10 of the value (plotly.py #2580) while the
    line's shape takes the value itself: the lesson race's baseline at 0.163 was labelled at 10^0.163 ≈ 1.46, its
    goal 0.01 at 1.02, and the axis stretched up to 2 to hold them. A label is one whose other coordinate spans the
    axis's domain, with a line across at exactly its value (so a label already moved is left alone)."""
    lines = [s for s in layout.get("shapes", ()) if s.get("type") == "line"]
    for label in layout.get("annotations", ()):
        for coord, other in (("y", "x"), ("x", "y")):
            ref, value = label.get(coord + "ref") or coord, label.get(coord)
            if not str(label.get(other + "ref", "")).endswith("domain") or ref.endswith(("domain", "paper")) \
                    or not isinstance(value, (int, float)) or value <= 0 \
                    or (layout.get(ref[0] + "axis" + ref[1:]) or {}).get("type") != "log":
                continue
            if any((s.get(coord + "ref") or coord) == ref and s.get(coord + "0") == value == s.get(coord + "1")
                   for s in lines):
                label[coord] = math.log10(value)


def _values(values) -> np.ndarray:
    """A trace's x or y as a flat float array, from a list, an array, or Plotly's typed-array dict
    (`{"dtype": "f8", "bdata": <base64>, "shape": ...}`: how a figure's arrays come back from Streamlit's cache,
    that is on a chart's second drawing)."""
    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values.get("dtype", "f8"))).astype(float)
    return np.asarray(values, dtype=float).ravel()


def _rows(z) -> int:
    """The number of rows of a heatmap's z: a nested list, an array, or Plotly's typed-array dict."""
    if isinstance(z, dict) and "shape" in z:
        return int(str(z["shape"]).split(",")[0])
    return int(z.shape[0]) if hasattr(z, "shape") else len(z)


def _heatmap_height(layout: dict, data: list[dict], row_px: int) -> int | None:
    """The figure height (px) at which every heatmap row is at least `row_px` tall, or None without heatmaps."""
    margin = layout.get("margin") or {}
    top, bottom = margin.get("t", _PLOTLY_MARGIN["t"]), margin.get("b", _PLOTLY_MARGIN["b"])
    need = None
    for trace in data:
        if trace.get("type") != "heatmap" or trace.get("z") is None:
            continue
        axis = layout.get("yaxis" + (trace.get("yaxis") or "y")[1:]) or {}
        lo, hi = axis.get("domain") or (0.0, 1.0)
        need = max(need or 0, int(top + bottom + _rows(trace["z"]) * row_px / max(hi - lo, 1e-3) + 0.999))
    return need


def styled(fig: go.Figure, projector: bool = False, dark: bool = False) -> go.Figure:
    """A copy of `fig` styled for the page it is shown on.

    Always: titles, tick labels, axis titles, legends, colour bars and annotations without a colour of their
    own in the theme's text colour (`style.THEMES`; Streamlit's own chart theme draws tick labels in a pale
    grey). On the dark theme, ink colours (`style.DARK_INK`: black marks, grey context) turn light. A reference
    line's label sits on its line on a log axis too (Plotly places it at 10^value there).

    Projector mode (`style.PROJECTOR`): all chart text at least 18 px (titles 22 px; log axes without Plotly's
    small in-between labels), data lines at least 3 px wide, reference lines 2 px, the figure a quarter
    taller (long axis titles at 18 px), and tall enough for every heatmap row to be 12 px.

    Works on the figure's plain dict (Plotly's validated objects take ~0.3 s per figure; this takes ~20 ms).

    Args:
        fig: a figure from one of the figure modules (left unchanged).
        projector: projector mode.
        dark: the dark theme.

    Returns:
        The styled copy.
    """
    spec = fig.to_plotly_json()  # a deep copy
    layout, data = spec.setdefault("layout", {}), spec.setdefault("data", [])
    text = style.THEMES["dark" if dark else "light"]["textColor"]
    size = style.PROJECTOR["font"] if projector else None
    _font(_get(layout, "title", "font"), style.PROJECTOR["title"] if projector else None, text)
    _font(_get(layout, "legend", "font"), size, text)
    _font(_get(layout, "legend", "title", "font"), size, text)
    if projector:
        _font(_get(layout, "font"), size, text)
        _font(_get(layout, "hoverlabel", "font"), size, text)
    for axis in _axes(layout, data):
        _font(_get(axis, "tickfont"), size, text)
        _font(_get(axis, "title", "font"), size, text)
        if axis.get("type") == "log":
            axis.setdefault("exponentformat", "power")  # 10⁻⁴, not Plotly's SI "100µ" on a number without a unit
    for bar in _colorbars(layout, data):
        _font(_get(bar, "tickfont"), size, text)
        _font(_get(bar, "title", "font"), size, text)
    _line_labels(layout)
    for annotation in layout.get("annotations", ()):
        font = _get(annotation, "font")
        _swap(font, "color", dark)
        _font(font, size, text)
    for shape in layout.get("shapes", ()):
        _swap(_get(shape, "line"), "color", dark)
        _swap(shape, "fillcolor", dark)
        if projector and shape.get("type") == "line":
            shape["line"]["width"] = max(shape["line"].get("width") or 2, 2)
    for trace in data:
        for part in ("line", "marker"):
            if part in trace:
                _swap(trace[part], "color", dark)
        if "line" in trace.get("marker", {}):
            _swap(trace["marker"]["line"], "color", dark)
        if projector and ("text" in trace or "texttemplate" in trace):  # size only: Plotly picks a colour that
            font = _get(trace, "textfont")                                   # shows on each cell or bar
            font["size"] = max(font.get("size") or 0, size)
        if projector and trace.get("type") in ("scatter", "scattergl") and "lines" in trace.get("mode", "lines"):
            line = _get(trace, "line")
            line["width"] = max(line.get("width") or 2, style.PROJECTOR["line"])
    if layout.get("title") and (layout.get("legend", {}).get("y") or 0) > 1:  # a legend above the plot sits
        layout["title"].update(yref="container", y=0.99, yanchor="top")  # at a share of the plot's height: a
        if projector:                                                   # wrapped or larger legend ran into a
            margin = _get(layout, "margin")                             # title placed mid-margin
            margin["t"] = (margin.get("t") or 100) + 50
    if projector:
        _log_ticks(fig, layout)
        layout["height"] = round((layout.get("height") or 450) * style.PROJECTOR["height"])  # room for the text
        need = _heatmap_height(layout, data, style.PROJECTOR["heatmap_row"])
        if need is not None and need > layout["height"]:
            layout["height"] = need
    return go.Figure(spec, _validate=False)
