"""Checks for the fields of config dataclasses, with messages in Keras's style, and what each field accepts.

A failed check raises `ConfigError(field, value)` ("`units` must be an int from 1 to 1024. Received: units=0",
the value cut by `shorten`). `limits(kind)` reads the accepted range of every field from the class's own checks,
so widgets and tests never keep a second copy of the bounds. `rnnviz.config` uses these checks and re-exports
`ConfigError`, `Bounds`, `limits` and `shorten`.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import math
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from rnnviz.config.env import CUT, cut


def shorten(value: Any, limit: int = CUT) -> str:
    """`repr(value)` for an error message, cut by `rnnviz.config.env.cut` to about `limit` characters.

    A 100,000-character input is not echoed in full: the rest is replaced by a count, e.g.
    `'aaaa…' (99,802 more characters)`. Short values come back as `repr` gives them.
    """
    return cut(repr(value), limit)


def cut_name(text: Any) -> str:
    """A field name as a message shows it (an unknown key from a link or a file can be any length)."""
    text = str(text)
    return text if len(text) <= CUT else f"{text[:CUT]}…"


class ConfigError(ValueError):
    """A config value that is not accepted: `.field` names the field, `.value` is what was received.

    The message is in Keras's style, e.g. "`units` must be an int from 1 to 1024. Received: units=0"
    (the value cut by `shorten`); `.rule` is the part after "must be".
    """

    def __init__(self, field: str, value: Any, rule: str = "valid") -> None:
        self.field, self.value, self.rule = field, value, rule
        name = cut_name(field)
        super().__init__(f"`{name}` must be {rule}. Received: {name}={shorten(value)}")

    def __reduce__(self):  # pickles (to another process) with its attributes
        return type(self), (self.field, self.value, self.rule)


@dataclass(frozen=True)
class Bounds:
    """The numbers a field accepts: `lo` to `hi`, each end included unless open; whole numbers if `integer`."""

    lo: float
    hi: float
    integer: bool = False
    lo_open: bool = False
    hi_open: bool = False

    @property
    def min(self) -> float:
        """The smallest accepted value (the next float above `lo` when that end is open)."""
        return math.nextafter(self.lo, math.inf) if self.lo_open else self.lo

    @property
    def max(self) -> float:
        """The largest accepted value (the next float below `hi` when that end is open)."""
        return math.nextafter(self.hi, -math.inf) if self.hi_open else self.hi


@dataclass(frozen=True)
class Text:
    """The strings a field accepts: at most `max_chars` characters matching `pattern` (a full match).

    `ends` holds the shortest accepted value and a longest one, for tests that walk every field to its ends.
    """

    pattern: str
    max_chars: int
    ends: tuple[str, str]


_RULES: contextvars.ContextVar[dict | None] = contextvars.ContextVar("rnnviz_config_rules", default=None)


def _rule(name: str, accepts: Any) -> None:
    """Notes what a field accepts while `limits` reads a class's checks (does nothing otherwise)."""
    seen = _RULES.get()
    if seen is not None:
        seen.setdefault(name, accepts)


@functools.cache
def limits(kind: type) -> Mapping[str, Any]:
    """What each field of a config class accepts, read from the class's own checks (so they cannot disagree).

    Widgets take their ranges from here, and tests walk every field from its minimum to its maximum.

    Args:
        kind: `RunConfig` or a data-options class such as `CosineData`.

    Returns:
        Field name -> `Bounds` (numbers), `Text` (names), or the tuple of accepted values (choices; `(False, True)` for flags).
        Rules across fields (a cosine window must fit in its series, `front_end` needs CIFAR-10) are not here.
    """
    defaults = {f.name: f.default if f.default_factory is dataclasses.MISSING else f.default_factory()
                for f in fields(kind)}  # made first: a RunConfig's data is not recorded
    seen: dict[str, Any] = {}
    token = _RULES.set(seen)
    try:
        kind(**defaults)
    finally:
        _RULES.reset(token)
    return types.MappingProxyType(seen)


def fail(name: str, value: Any, rule: str) -> None:
    """Raises `ConfigError(name, value, rule)`."""
    raise ConfigError(name, value, rule)


def check_int(name: str, value: Any, lo: int, hi: int) -> None:
    """`value` must be an int from `lo` to `hi` (not a bool)."""
    _rule(name, Bounds(lo, hi, integer=True))
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        fail(name, value, f"an int from {lo} to {hi}")


def check_float(name: str, value: Any, lo: float, hi: float, *, lo_open=False, hi_open=False) -> None:
    """`value` must be a finite number from `lo` to `hi` (an end excluded when open)."""
    _rule(name, Bounds(lo, hi, lo_open=lo_open, hi_open=hi_open))
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > lo if lo_open else value >= lo) and (value < hi if hi_open else value <= hi)
    if not ok:
        rule = f"a number in {'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"
        fail(name, value, rule)


def check_choice(name: str, value: Any, options: tuple[str, ...]) -> None:
    """`value` must be one of `options`."""
    _rule(name, tuple(options))
    if value not in options:
        fail(name, value, "one of " + ", ".join(repr(o) for o in options))


def check_text(name: str, value: Any, pattern: str, max_chars: int, ends: tuple[str, str], rule: str) -> None:
    """`value` must be a string of at most `max_chars` characters that `pattern` matches in full (`rule` says
    so in words)."""
    _rule(name, Text(pattern, max_chars, ends))
    if not isinstance(value, str) or len(value) > max_chars or re.fullmatch(pattern, value) is None:
        fail(name, value, rule)


def check_bool(name: str, value: Any) -> None:
    """`value` must be True or False."""
    _rule(name, (False, True))
    if not isinstance(value, bool):
        fail(name, value, "True or False")
