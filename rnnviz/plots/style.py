"""One look for every figure (`plots`, `inspect_plots`, `learn_plots`): colours, dashes and colour scales.

- **One colour per cell**, the same on every chart, from the Okabe–Ito palette (safe for the common forms of
  colour blindness): SimpleRNN blue, LSTM vermillion, GRU bluish green; the LSTM variants, if charts ever
  show them, reddish purple (peephole) and orange (CIFG).
- **Training and validation are told apart by dash, not colour**: training dashed, validation solid, both
  in the run's colour.
- **One diverging scale** for signed values (hidden states, candidates, pre-activations): negative blue,
  zero white, **positive red**, symmetric about 0.
- **One sequential scale** for gates (and shares of saturated values): 0 (closed) dark purple, 1 (open)
  bright yellow (viridis).
- Other categories (units, classes, curves of one run) take the rest of the Okabe–Ito palette in order.
- **Ink** (marks over the data, reference lines) is black or grey on the light theme and turns light on the
  dark one (`DARK_INK`); chart text takes the theme's text colour (`THEMES`, the same colours as
  `.streamlit/config.toml`). `rnnviz.plots.theme` applies both, and projector mode's sizes (`PROJECTOR`).
- Text contrast is measured with WCAG's formula (`relative_luminance`, `contrast_ratio`; AA needs 4.5:1).

No Streamlit, no Plotly import here: plain values the figure modules use.
"""

from __future__ import annotations

from rnnviz.config import cells

OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73",
             "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish purple": "#CC79A7"}
"""The eight colours of Okabe and Ito (2008), "Color Universal Design"."""

CELL_COLORS = {c.name: c.color for c in cells.CELLS.values()}
"""Cell -> its colour on every chart (each row of `rnnviz.config.cells` names one of the Okabe-Ito colours)."""

UNKNOWN_CELL = "#666666"
"""The colour of a curve whose cell is not known."""

CATEGORY_COLORS = [OKABE_ITO[k] for k in ("blue", "vermillion", "bluish green", "reddish purple", "orange",
                                           "sky blue", "black", "yellow")]
"""Colours for other categories (units, classes, activations), in order; yellow last (pale on white)."""

SPLIT_DASH = {"training": "dash", "validation": "solid"}
"""Training dashed, validation solid (one colour per run)."""

DIVERGING = "RdBu_r"
"""Signed values: negative blue, 0 white, positive red (ColorBrewer RdBu reversed; colour-blind safe)."""
POSITIVE, NEGATIVE = "#B2182B", "#2166AC"
"""The two ends of `DIVERGING`, for marks outside heatmaps (e.g. a growing vs a shrinking norm)."""

SEQUENTIAL = "Viridis"
"""Gates and shares: 0 (closed) dark purple ... 1 (open) bright yellow."""
SEQUENTIAL_LOW, SEQUENTIAL_MID, SEQUENTIAL_HIGH = "#3B528B", "#D9D9D9", "#FDE725"
"""Bar colours for "at the low end" / "in between" (neutral grey) / "at the high end" of a gate's range,
matching the dark and bright ends of `SEQUENTIAL`."""

NEUTRAL = "rgba(0,0,0,0.25)"
"""Context drawn behind the data (the true series, reference lines)."""
INK, INK_SOFT = "#000000", "rgba(0,0,0,0.6)"
"""Marks drawn over the data: the step shown, the adding problem's marked steps, a baseline; a state's path."""
REFERENCE = "#808080"
"""Thin reference lines with a label (a threshold, norm 1, where the forecast starts)."""
MARK_SPAN = "rgba(0,0,0,0.06)"
"""The shaded span between the adding problem's two marked steps."""
OUTLINE = "#FFFFFF"
"""Thin outlines around markers and bars, so touching marks stay apart."""

ON_COLOUR = ("#1A1A1A", "#FAFAFA")
"""Text drawn on a coloured mark (Write's letters on their squares): whichever of the two contrasts more with
that mark's colour (at least 4.5:1 on every colour of `DIVERGING`). The mark decides, not the page: the dark theme
leaves them as they are."""

DARK_INK = {INK: "#FFFFFF", INK_SOFT: "rgba(255,255,255,0.7)", NEUTRAL: "rgba(255,255,255,0.35)",
            MARK_SPAN: "rgba(255,255,255,0.08)", OUTLINE: "#0E1117", "black": "#FFFFFF"}
"""On the dark theme, each ink colour above -> its light counterpart (black on a dark page would vanish)."""

THEMES = {"light": {"backgroundColor": "#FFFFFF", "secondaryBackgroundColor": "#F0F2F6", "textColor": "#31333F"},
          "dark": {"backgroundColor": "#0E1117", "secondaryBackgroundColor": "#262730", "textColor": "#FAFAFA"}}
"""The app's two themes, as `.streamlit/config.toml` sets them (`[theme.light]`, `[theme.dark]`). Chart text
(ticks, axis titles, legends) is drawn in `textColor`, not Streamlit's paler grey."""

PROJECTOR = {"font": 18, "title": 22, "line": 3, "heatmap_row": 12, "height": 1.25}
"""Projector mode: chart text at least 18 px (titles 22 px), data lines 3 px wide, heatmap rows at least
12 px tall, figures 1.25 times as tall (room for the larger text)."""


def relative_luminance(color: str) -> float:
    """WCAG 2.x relative luminance of a `#RRGGBB` colour: 0 (black) to 1 (white).

    Each sRGB channel c in [0, 1] is linearised (c / 12.92 if c <= 0.04045, else ((c + 0.055) / 1.055) ** 2.4),
    then L = 0.2126 R + 0.7152 G + 0.0722 B.
    """
    if not (isinstance(color, str) and len(color) == 7 and color.startswith("#")):
        raise ValueError(f"`color` must be a '#RRGGBB' string. Received: color={color!r}")
    linear = [(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
              for c in (int(color[i:i + 2], 16) / 255 for i in (1, 3, 5))]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG contrast ratio (L1 + 0.05) / (L2 + 0.05) of two `#RRGGBB` colours, L1 the lighter: 1 to 21.
    Text needs 4.5 or more (level AA)."""
    light, dark = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def cell_color(cell: str | None) -> str:
    """The colour of a cell on every chart (`UNKNOWN_CELL` for None or a name not in `CELL_COLORS`)."""
    return CELL_COLORS.get(cell, UNKNOWN_CELL) if cell is not None else UNKNOWN_CELL


def cell_symbol(cell: str | None) -> str:
    """The marker symbol of a cell on every chart, with its colour ("circle" for None or an unknown name)."""
    return cells.CELLS[cell].symbol if cell in cells.CELLS else "circle"


def cell_dash(cell: str | None) -> str:
    """The line dash of a cell where a chart's dash means nothing else ("solid" for None or an unknown name)."""
    return cells.CELLS[cell].dash if cell in cells.CELLS else "solid"


def category_color(k: int) -> str:
    """The `k`-th colour for categories that are not cells (wraps around)."""
    return CATEGORY_COLORS[k % len(CATEGORY_COLORS)]


def rgba(color: str, alpha: float) -> str:
    """A `#RRGGBB` colour with transparency, e.g. for a faint per-batch curve under its epoch curve."""
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"
