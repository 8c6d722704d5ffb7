"""Projector mode and the look of every chart: a sidebar toggle, the query key `projector=1`, and the styling
that `rnnviz.plots.theme.styled` gives each figure as it is drawn.

- **The query key `projector=1` is a contract**: a link with it opens in projector mode, and the toggle keeps
  the address bar in step (on: `projector=1` is in it; off: it is not), on every page.
- In projector mode chart text is 18 px or more, data lines 3 px, heatmap rows 12 px or taller, captions at
  body size and in the body's colour, and the sidebar starts collapsed.
- **Dark theme**: `.streamlit/config.toml` defines a light and a dark theme (`[theme.light]`, `[theme.dark]`).
  The viewer picks one in the app menu (⋮ → Settings), or follows the system's; Streamlit's documented embed
  option `embed_options=dark_theme` in a link opens the app dark. The server cannot switch a viewer's theme;
  charts follow the one the browser reports (`st.context.theme.type`).

`install` has `st_internals.style_every_chart` wrap `st.plotly_chart` (and the same method on containers, e.g.
columns) once per process, so every chart on every page is styled for the session that draws it; pages call
`st.plotly_chart` as usual.
"""

from __future__ import annotations

import streamlit as st

from rnnviz.plots import theme as figure_style
from rnnviz.ui import st_internals

QUERY_KEY = "projector"
"""The query key (`?projector=1`) and the toggle's session-state key."""

DARK_LINK = "?projector=1&embed_options=dark_theme"
"""A link (relative to the page) that opens projector mode on the dark theme."""

_CSS = """<style>
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p {
  font-size: 1rem !important; color: inherit !important; opacity: 1 !important; }
[data-testid="stWidgetLabel"] p, [data-testid="stMetricLabel"] p { font-size: 1rem !important; }
[data-testid="stHorizontalBlock"]:has([data-testid="stImage"]) { flex-direction: column !important; }
[data-testid="stHorizontalBlock"]:has([data-testid="stImage"]) > [data-testid="stColumn"] {
  width: 100% !important; flex: 1 1 auto !important; }
[data-testid="stImage"] img { max-width: 1100px !important; }
[data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stMain"] label,
[data-testid="stMain"] button, [data-testid="stMain"] textarea, [data-testid="stMain"] input,
[data-testid="stMain"] [data-testid="stMetricValue"], [data-testid="stMain"] summary {
  font-size: 24px !important; line-height: 1.4 !important; }
[data-testid="stMain"] h1 { font-size: 40px !important; }
[data-testid="stMain"] h2, [data-testid="stMain"] h3 { font-size: 30px !important; }
[data-testid="stMain"] [data-testid="stRadioGroup"] *, [data-testid="stMain"] [data-testid="stSlider"] *,
[data-testid="stMain"] [data-testid="stCheckbox"] *, [data-testid="stMain"] [data-testid="stTable"] *,
[data-testid="stMain"] [data-testid="stWidgetLabel"],
[data-testid="stMain"] [data-testid="stWidgetLabel"] * {
  opacity: 1 !important; color: inherit !important; }
</style>"""
"""Projector mode's page styles: body text, answer choices, buttons and captions at 24 px, headings at 30-40 px,
and nothing a student must read faded (Streamlit draws captions at 60% opacity and a locked answer at about
40%); widget and metric labels in the body's colour; a row of columns holding a diagram (the cell
SVGs) stacks, so the diagram gets the page's width (its 12 px labels become about 17 px)."""


_PAGE_CSS = """<style>
[data-testid="stMain"] [data-testid="stRadioGroup"][aria-disabled="true"],
[data-testid="stMain"] [data-testid="stRadioGroup"][aria-disabled="true"] * {
  opacity: 1 !important; color: inherit !important; }
@media (max-width: 640px) {
  .modebar-container { display: none !important; }
  .gtitle { font-size: 14px !important; }
}
</style>"""
"""In every mode, a locked answer's choices in the body's colour (Streamlit draws a disabled radio's text at 40%
alpha, a contrast of about 2.2:1, and a student must read which answer they locked in). On a phone (390 px) a chart's
toolbar hid its title, and titles were cut: no toolbar there (pinch to zoom), and smaller titles."""


def is_on() -> bool:
    """Whether this session is in projector mode (the toggle, first set from the query key)."""
    if QUERY_KEY not in st.session_state:
        st.session_state[QUERY_KEY] = st.query_params.get(QUERY_KEY) == "1"
    return bool(st.session_state[QUERY_KEY])


def sidebar_state() -> str:
    """`initial_sidebar_state` for `st.set_page_config`: "collapsed" in projector mode, else "auto"."""
    return "collapsed" if is_on() else "auto"


def _sync_query() -> None:
    """Puts `projector=1` in the address bar when the mode is on, and takes it out when it is off."""
    if is_on():
        if st.query_params.get(QUERY_KEY) != "1":
            st.query_params[QUERY_KEY] = "1"
    elif QUERY_KEY in st.query_params:
        del st.query_params[QUERY_KEY]


def sidebar_toggle() -> bool:
    """The "Projector mode" toggle in the sidebar, with a link to the dark theme; returns whether it is on."""
    is_on()
    on = st.sidebar.toggle("Projector mode", key=QUERY_KEY, on_change=_sync_query,
                           help="Large chart text, thick lines, tall heatmap rows, captions at body size. "
                                "A link with ?projector=1 opens in it.")
    if on:
        st.sidebar.caption(f"Dark theme: the ⋮ menu → Settings, or [open this page dark]({DARK_LINK}) (a new tab).")
    return on


def _styled_figure(figure):
    """The figure as this session shows it (anything that is not a Plotly figure passes as it is)."""
    if not hasattr(figure, "to_plotly_json"):
        return figure
    return figure_style.styled(figure, projector=bool(st.session_state.get(QUERY_KEY, False)),
                               dark=st.context.theme.type == "dark")


def install() -> None:
    """Makes every `st.plotly_chart` and `<container>.plotly_chart` style its figure for the session drawing it
    (once per process; `st_internals.style_every_chart`)."""
    st_internals.style_every_chart(_styled_figure)


def setup() -> bool:
    """Everything projector mode needs on a page run: chart styling installed, the toggle in the sidebar, the
    address bar in step, and the page styles. Call it from `app.py` after `st.set_page_config`.

    Returns:
        Whether projector mode is on.
    """
    install()
    on = sidebar_toggle()
    _sync_query()
    st.html(_PAGE_CSS + (_CSS if on else ""))
    return on
