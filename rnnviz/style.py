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

No Streamlit, no Plotly import here: plain values the figure modules use.
"""

from __future__ import annotations

OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73",
             "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish purple": "#CC79A7"}
"""The eight colours of Okabe and Ito (2008), "Color Universal Design"."""

CELL_COLORS = {"simple_rnn": OKABE_ITO["blue"], "lstm": OKABE_ITO["vermillion"], "gru": OKABE_ITO["bluish green"],
               "lstm_peephole": OKABE_ITO["reddish purple"], "lstm_cifg": OKABE_ITO["orange"]}
"""Cell (a `vocab.CELLS` name, or an LSTM variant) -> its colour on every chart."""

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


def cell_color(cell: str | None) -> str:
    """The colour of a cell on every chart (`UNKNOWN_CELL` for None or a name not in `CELL_COLORS`)."""
    return CELL_COLORS.get(cell, UNKNOWN_CELL) if cell is not None else UNKNOWN_CELL


def category_color(k: int) -> str:
    """The `k`-th colour for categories that are not cells (wraps around)."""
    return CATEGORY_COLORS[k % len(CATEGORY_COLORS)]


def rgba(color: str, alpha: float) -> str:
    """A `#RRGGBB` colour with transparency, e.g. for a faint per-batch curve under its epoch curve."""
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"
