"""Shareable links for the Inspect and Learn pages: a widget's value is read from the page's URL when a link
arrives, and written back to the URL on every run, so the address bar always reopens the same view.

A page names each linked widget once, just before drawing it, and draws it without a `value=` (the value is
in the session state):

    steps = c1.slider("Time steps", 2, 10, key=ui.follow("steps", "learn_rnn_steps", ui.integer(2, 10), 5))

A linked value the widget cannot take (`steps=banana`, `steps=99`) is not used: one warning names the key,
the value received and the value shown instead (never a traceback). Query keys the page does not link
(the projector mode's, a lesson's) are left as they are. Streamlit clears the query string on a page switch,
so each page's keys are its own.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import streamlit as st

from rnnviz.config.checks import shorten
from rnnviz.ui.st_internals import page_id

CUT = 80
"""About how many characters of a linked value a warning repeats (the rest: an ellipsis and a count)."""
SEEN = "_links_seen"  # query key -> the texts this session read or wrote for it on this page (a request can
# carry an address the browser had before the last run's change arrived: that is no new link)
PAGE = "\0page"  # SEEN's entry naming the page it belongs to


def plain(value: Any) -> str:
    """A value as the URL holds it: numbers without trailing zeros ("0.1", "3"), anything else as `str`."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def integer(lo: int, hi: int, step: int = 1) -> Callable[[str], int]:
    """A parser of whole numbers from `lo` to `hi`, put on the widget's grid of `step` (sliders, number inputs)."""
    def parse(text: str, name: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            value = None
        if value is None or not lo <= value <= hi:
            raise ValueError(f"`{name}` must be a whole number from {lo} to {hi}. Received: {name}={shorten(text, CUT)}")
        return min(hi, lo + round((value - lo) / step) * step)
    return parse


def number(lo: float, hi: float, step: float) -> Callable[[str], float]:
    """A parser of numbers from `lo` to `hi`, put on the widget's grid of `step`."""
    def parse(text: str, name: str) -> float:
        try:
            value = float(text.strip())
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or not lo <= value <= hi:
            raise ValueError(f"`{name}` must be a number from {lo:g} to {hi:g}. Received: {name}={shorten(text, CUT)}")
        return min(hi, round(lo + round((value - lo) / step) * step, 10))
    return parse


def ranged(name: str, key: str, lo: float, hi: float, default: float, step: float | None = None,
           mirror: str | None = None) -> dict[str, Any]:
    """`follow` for a slider or number input from `lo` to `hi` (whole numbers unless `step` is a float).

    Returns:
        The widget's `min_value`, `max_value`, `step` and `key`, e.g. `st.slider("Steps", **ranged(...))`.
    """
    parse = number(lo, hi, step) if isinstance(step, float) else integer(int(lo), int(hi), int(step or 1))
    follow(name, key, parse, default, mirror=mirror)
    return {"min_value": lo, "max_value": hi, "step": step, "key": key}


def choice(options: list, label: Callable[[Any], str] = plain, what: str | None = None) -> Callable[[str], Any]:
    """A parser of one of `options`, each written in the URL as `label(option)`.

    Args:
        what: the options in words for the message (e.g. "the id of a stored run"), instead of listing them.
    """
    def parse(text: str, name: str) -> Any:
        for option in options:
            if label(option) == text:
                return option
        listed = what or f"one of {_listed(options, label)}"
        raise ValueError(f"`{name}` must be {listed}. Received: {name}={shorten(text, CUT)}")
    return parse


def choices(options: list, label: Callable[[Any], str] = plain) -> Callable[[str], list]:
    """A parser of a comma-separated list of `options` (a multiselect; empty text is the empty list)."""
    one = choice(options, label)

    def parse(text: str, name: str) -> list:
        try:
            return list(dict.fromkeys(one(part, name) for part in text.split(",") if part)) if text else []
        except ValueError:
            raise ValueError(f"`{name}` must be a comma-separated list of {_listed(options, label)}. "
                             f"Received: {name}={shorten(text, CUT)}") from None
    return parse


def text(max_chars: int) -> Callable[[str], str]:
    """A parser of free text up to `max_chars` characters (e.g. a typed review)."""
    def parse(value: str, name: str) -> str:
        if len(value) > max_chars:
            raise ValueError(f"`{name}` must be at most {max_chars} characters. Received: {len(value)} characters")
        return value
    return parse


def _listed(options: list, label: Callable[[Any], str]) -> str:
    shown = [label(o) for o in options[:8]]
    return ", ".join(shown) + (f", … ({len(options)} in all)" if len(options) > 8 else "")


def _show(value: Any, label: Callable[[Any], str]) -> str:
    return ",".join(label(v) for v in value) if isinstance(value, list) else label(value)


def follow(name: str, key: str, parse: Callable[[str, str], Any], default: Any,
           label: Callable[[Any], str] = plain, mirror: str | None = None,
           display: Callable[[Any], str] | None = None) -> str:
    """Links the widget `key` to the query key `name`; call it just before drawing the widget.

    A new link (a query value this session has not written itself on this page) sets the widget; then the
    widget's value goes into the URL (so a linked epoch is not carried over to the next run picked). A kept
    value the widget can no longer take (a range that shrank) falls back to `default`.

    Args:
        name: the query key, e.g. "steps" (`?steps=7`).
        key: the widget's key.
        parse: `(text, name) -> value`, raising ValueError with a message that names `name` (`integer`,
            `number`, `choice`, `choices`, `text`).
        default: the widget's value when neither the link nor the session has one.
        label: how a value is written in the URL (options: the text `choice` compares with).
        mirror: a session key that holds a copy of the value (`ui.keep` and the Inspect pages' shared pickers).
        display: how the warning names the value shown instead (default: as in the URL).

    Returns:
        `key`, for the widget's `key=`.
    """
    seen = st.session_state.get(SEEN)
    if seen is None or seen.get(PAGE) != page_id():  # a page switch: what the last page wrote is not ours
        seen = st.session_state[SEEN] = {PAGE: page_id()}
    incoming, known = st.query_params.get(name), seen.setdefault(name, set())
    if incoming is not None and incoming not in known:
        try:
            st.session_state[key] = parse(incoming, name)
        except ValueError as e:
            shown = st.session_state.get(key, default)
            shown = display(shown) if display else f"{name}={_show(shown, label)}"
            st.warning(f"This link's `{name}` was not used: {e}. Showing {shown} instead.", icon=":material/link:")
        known.add(incoming)
    if key in st.session_state:
        try:
            parse(_show(st.session_state[key], label), name)
        except ValueError:
            st.session_state[key] = default
    else:
        st.session_state[key] = default
    if mirror is not None:
        st.session_state[mirror] = st.session_state[key]
    written = _show(st.session_state[key], label)
    known.add(written)
    if st.query_params.get(name) != written:
        st.query_params[name] = written
    return key
