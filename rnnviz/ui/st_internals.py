"""The Streamlit internals RNN Explorer relies on, in one guarded place.

Streamlit has no public API for three things the app needs, so it reaches into private names:

- `keep_keras_state`: after every script run Streamlit calls `script_runner._clean_problem_modules`, which
  calls `keras.backend.clear_session()`. With training on a background thread that resets Keras's global
  state in the middle of `fit` (training ~30x slower, and seen to hang), so the app replaces it.
- `leave_legacy_pages`: `PagesManager.uses_pages_directory` says a fresh server is still in the legacy
  `pages/` mode (before any session ran `st.navigation`); a deep link would show its page alone.
- `page_id`: the running page's script hash (`ScriptRunContext.page_script_hash`), which tells a page's first
  run after a switch from its reruns.
- `style_every_chart`: wraps `DeltaGenerator.plotly_chart` (what `st.columns(...)[k].plotly_chart` calls) and
  `st.plotly_chart` (bound to the main container when Streamlit is imported), so every chart is styled for
  its session (projector mode, dark theme: `rnnviz.ui.projector`) without each page doing it.

Nothing else in `rnnviz/ui` or `pages/` may touch private Streamlit names. Importing this module checks that
every internal above is still there and still used the way the patches assume; when an upgrade changed one,
it raises `StreamlitInternalsChanged` naming the Streamlit version and the internal, at the server's first
page run and in `tests/test_st_internals.py`, instead of silently slowing training or losing deep links.
The check passes on Streamlit 1.50.0 and 1.67.0 (`TESTED`); the app and its tests run on 1.67.
"""

from __future__ import annotations

import functools
import importlib
import inspect

import streamlit as st

TESTED = ("1.50.0", "1.67.0")
"""The oldest and newest Streamlit versions these internals were checked on."""


class StreamlitInternalsChanged(RuntimeError):
    """A Streamlit internal the app patches or reads is gone or changed (the message names the version)."""


def _get(path: str):
    """The object at "package.module:attr.attr", or None when any part is missing."""
    module, _, attrs = path.partition(":")
    try:
        obj = importlib.import_module(module)
    except ImportError:
        return None
    for name in attrs.split(".") if attrs else ():
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj


def _source(obj) -> str:
    """The source of a class, or "_clean_problem_modules" when it is not available (installed without .py)."""
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return "_clean_problem_modules"


_RUNNER = "streamlit.runtime.scriptrunner.script_runner"
_PAGES = "streamlit.runtime.pages_manager:PagesManager"
_CTX = "streamlit.runtime.scriptrunner:get_script_run_ctx"
_CTX_CLASS = "streamlit.runtime.scriptrunner_utils.script_run_context:ScriptRunContext"
_DG = "streamlit.delta_generator:DeltaGenerator"


def missing() -> list[str]:
    """Each internal the app relies on that this Streamlit lacks or uses differently (empty: all is well)."""
    out = []
    runner = _get(_RUNNER)
    if runner is None or not callable(getattr(runner, "_clean_problem_modules", None)):
        out.append(f"{_RUNNER}._clean_problem_modules (a function)")
    elif "_clean_problem_modules" not in _source(runner.ScriptRunner):  # a global, looked up when called
        out.append(f"{_RUNNER}.ScriptRunner calling _clean_problem_modules after each run")
    pages = _get(_PAGES)
    if pages is None or not hasattr(pages, "uses_pages_directory"):
        out.append(f"{_PAGES.replace(':', '.')}.uses_pages_directory (a class attribute)")
    if not callable(_get(_CTX)):
        out.append(_CTX.replace(":", "."))
    ctx_class = _get(_CTX_CLASS)
    if ctx_class is None or not isinstance(getattr(ctx_class, "page_script_hash", None), property):
        out.append(f"{_CTX_CLASS.replace(':', '.')}.page_script_hash (a property)")
    dg = _get(_DG)
    bound = getattr(st.plotly_chart, "_rnnviz_styled", False) or isinstance(getattr(st.plotly_chart, "__self__", None),
                                                                             dg or ())
    if dg is None or not callable(getattr(dg, "plotly_chart", None)) or not bound:
        out.append(f"{_DG.replace(':', '.')}.plotly_chart (a method; st.plotly_chart bound to a DeltaGenerator)")
    return out


def check() -> None:
    """Raises `StreamlitInternalsChanged` naming the Streamlit version and each internal that changed."""
    gone = missing()
    if gone:
        raise StreamlitInternalsChanged(
            f"RNN Explorer patches Streamlit internals that streamlit {st.__version__} does not have as expected: "
            f"{'; '.join(gone)}. They were checked on streamlit {TESTED[0]} to {TESTED[1]}: install the version "
            f"requirements.txt names (`pip install -r requirements.txt`), or update rnnviz/ui/st_internals.py.")


check()

# after check(): a Streamlit that lacks one of these is named there (version and fix), not by an ImportError here
from streamlit.delta_generator import DeltaGenerator  # noqa: E402
from streamlit.runtime.pages_manager import PagesManager  # noqa: E402
from streamlit.runtime.scriptrunner import get_script_run_ctx, script_runner  # noqa: E402


def keep_keras_state() -> None:
    """Stops Streamlit from calling `keras.backend.clear_session()` after every script run (see the module doc).

    Our models are owned by the trainer and the run store, so there is nothing for that clean-up to free.
    """
    script_runner._clean_problem_modules = lambda: None


def leave_legacy_pages() -> None:
    """Switches a fresh server out of Streamlit's legacy `pages/` mode on the first page it runs.

    Streamlit starts every server in its old multipage mode when a `pages/` folder exists, until some session
    runs `st.navigation` (app.py does). A first visitor who opens a link to a page other than Home would get
    that page alone, with the old sidebar. Every page imports `rnnviz.ui.core`, which calls this: the first such
    run turns the old mode off and reruns through app.py's navigation (same URL, same page).
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def page_id() -> str:
    """The running page's id (its script hash); "" outside a script run."""
    ctx = get_script_run_ctx()
    return ctx.page_script_hash if ctx else ""


def _styling(plotly_chart, styler):
    """`plotly_chart` (the method, or `st.plotly_chart`) with its figure passed through `styler` first."""
    if getattr(plotly_chart, "_rnnviz_styled", False):
        return plotly_chart

    @functools.wraps(plotly_chart)
    def styled_chart(*args, **kwargs):
        k = 1 if args and isinstance(args[0], DeltaGenerator) else 0  # the method: (self, figure, ...)
        if len(args) > k:
            args = (*args[:k], styler(args[k]), *args[k + 1:])
        if "figure_or_data" in kwargs:
            kwargs["figure_or_data"] = styler(kwargs["figure_or_data"])
        return plotly_chart(*args, **kwargs)

    styled_chart._rnnviz_styled = True
    return styled_chart


def style_every_chart(styler) -> None:
    """Makes every `st.plotly_chart` and `<container>.plotly_chart` pass its figure through `styler` first
    (once per process; later calls keep the first styler)."""
    DeltaGenerator.plotly_chart = _styling(DeltaGenerator.plotly_chart, styler)
    st.plotly_chart = _styling(st.plotly_chart, styler)
