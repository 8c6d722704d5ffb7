"""A user's CSV file read as a table, and the series a `CsvData` config picks from it.

pandas reads the file, its separator sniffed as pandas's `sep=None` does (`csv.Sniffer`, among , ; tab |); the text is UTF-8 (with or without
a byte-order mark) or, failing that, Latin-1. Columns of numbers are usable (a decimal comma is accepted); the
others are listed and left out. Every refusal is a `CsvError` of one line naming the file, the column and,
where there is one, the line of the file.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rnnviz.config.env import cut
from rnnviz.data.standard import DataError

MAX_COLUMNS = 1000
SEPARATORS = ",;\t|"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # also the start of UTF-32's
_TEXT = re.compile(rb"\S")
EMPTY = "empty"


class CsvError(DataError):
    """A CSV file, or a column chosen from it, that cannot be used; the message names which and why."""


@dataclass
class Table:
    """A parsed CSV file.

    Attributes:
        frame: its rows, as pandas read them (column names as text, stripped).
        encoding: "utf-8" or "latin-1".
        numeric: the columns of numbers (blank cells allowed), in the file's order.
        other: the columns left out, each with why (text, or empty), in the file's order.
    """

    frame: pd.DataFrame
    encoding: str
    numeric: list[str]
    other: dict[str, str]

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]


@dataclass
class Series:
    """The columns a config picks, in time order.

    Attributes:
        values: float64 `(rows, 1 + inputs)`: the target first, then the extra inputs.
        names: the columns of `values`.
        times: the time column's values after sorting (None without a time column).
        notes: what was found and done, one line each (gaps, duplicate times, filled values, columns left out).
    """

    values: np.ndarray
    names: list[str]
    times: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)


def decode(blob: bytes, where: str) -> tuple[str, str]:
    """The file's text and its encoding ("utf-8", a byte-order mark dropped, else "latin-1")."""
    if not blob.strip():
        raise CsvError(f"{where} is empty: a CSV file needs a header line and rows of values")
    if blob.startswith(UTF16_BOMS):
        raise CsvError(f"{where} is UTF-16 or UTF-32 text (its byte-order mark says so), not UTF-8 or Latin-1: save "
                       "the table as \"CSV UTF-8\" and upload that")
    if b"\x00" in blob[:65536]:
        raise CsvError(f"{where} is not a text file (it holds NUL bytes: binary, or UTF-16 text): save the table as "
                       "\"CSV UTF-8\" and upload that")
    try:
        return blob.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return blob.decode("latin-1"), "latin-1"


def read_table(blob: bytes, where: str = "the CSV file") -> Table:
    """Parses a CSV file's bytes.

    Raises:
        CsvError: empty, binary, unparseable, a header without rows, too many columns, or no column of numbers.
    """
    _check_width(blob, where)
    text, encoding = decode(blob, where)
    frame = _read(io.StringIO(text), where, sep=sniff(text))
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise CsvError(f"{where} has a header but no rows of values")
    numeric, other = [], {}
    for name in frame.columns:
        column = _numbers(frame[name])
        if column is None:
            sample = frame[name].dropna()
            other[name] = f"text, e.g. {str(sample.iloc[0])[:30]!r}" if len(sample) else EMPTY
        else:
            frame[name] = column
            numeric.append(name)
    if not numeric and all(why == EMPTY for why in other.values()):
        raise CsvError(f"{where} has no values: every cell is blank or NA (its columns: {_names(frame.columns)})")
    if not numeric:
        raise CsvError(f"{where} has no column of numbers (its columns: {_names(frame.columns)})")
    return Table(frame, encoding, numeric, other)


def _check_width(blob: bytes, where: str) -> None:
    """Refuses a file whose header, or first row, has `MAX_COLUMNS` columns or more, before anything is decoded or
    parsed: only those two lines are looked at (pandas would spend minutes on a first row far wider than the
    header, which it reads as row labels). Separators inside quotes count too: an overcount, never an undercount."""
    start = 0
    for line, what in ((1, "header"), (2, "first row")):
        found = _TEXT.search(blob, start)
        if found is None:
            return
        end = blob.find(b"\n", found.start())
        end = len(blob) if end < 0 else end
        if max(blob.count(s.encode(), found.start(), end) for s in SEPARATORS) >= MAX_COLUMNS:
            raise CsvError(f"{where} has more than {MAX_COLUMNS:,} columns in its {what}: keep the columns you need "
                           "(a time series needs a few)")
        start = end


def sniff(text: str) -> str:
    """The separator, as pandas's `sep=None` finds it (`csv.Sniffer`), but only among `SEPARATORS`; "," when
    there is nothing to sniff (a single column)."""
    try:
        return csv.Sniffer().sniff(text[:65536], delimiters=SEPARATORS).delimiter
    except csv.Error:
        return ","


def _read(source: io.StringIO, where: str, sep: str) -> pd.DataFrame:
    try:
        return pd.read_csv(source, sep=sep, engine="python")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as e:
        raise CsvError(f"{where} is not a readable CSV table ({_first_line(e)})") from e


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__


def _names(names) -> str:
    shown = ", ".join(repr(cut(str(n), 60)) for n in list(names)[:12])
    return shown + (f" and {len(names) - 12} more" if len(names) > 12 else "")


def _numbers(column: pd.Series) -> pd.Series | None:
    """The column as float64 when every non-blank cell is a number (a decimal comma allowed), else None."""
    if column.isna().all():
        return None
    if pd.api.types.is_bool_dtype(column):
        return None
    if pd.api.types.is_numeric_dtype(column):
        return column.astype("float64")
    text = column.astype("string").str.strip()
    for candidate in (text, text.str.replace(",", ".", regex=False)):
        values = pd.to_numeric(candidate, errors="coerce")
        if values.notna().sum() == candidate.replace("", pd.NA).notna().sum():
            return values.astype("float64")
    return None


def _column(table: Table, name: str, role: str, where: str) -> str:
    """A column chosen as `role` ("target", "input"), refused unless it is a column of numbers."""
    if name in table.numeric:
        return name
    if table.other.get(name) == EMPTY:
        raise CsvError(f"{where}: column {name!r} ({role}) has no values (every cell is blank or NA); choose one of "
                       f"{_names(table.numeric)}")
    if name in table.other:
        raise CsvError(f"{where}: column {name!r} ({role}) is not numbers ({table.other[name]}); choose one of "
                       f"{_names(table.numeric)}")
    raise CsvError(f"{where} has no column {name!r} ({role}); its columns: {_names(table.columns)}")


def pick(table: Table, target: str, inputs: tuple[str, ...] = (), time: str = "", fill: str = "none",
         where: str = "the CSV file") -> Series:
    """The target and input columns, sorted by the time column when there is one, missing values refused or
    interpolated.

    Args:
        table: the parsed file.
        target: the column to forecast ("": the first column of numbers).
        inputs: extra input columns.
        time: a column of dates, times or numbers to sort by ("": the file's order).
        fill: "none" (refuse missing values) or "interpolate" (linear, ends held).
        where: the file as messages name it.

    Raises:
        CsvError: a column that is missing or not numbers, a time column that does not parse, missing values.
    """
    target = _column(table, target or table.numeric[0], "target", where)
    names = [target]
    for name in inputs:
        name = _column(table, name, "input", where)
        if name in names:
            raise CsvError(f"{where}: column {name!r} is chosen twice (target and inputs must differ)")
        names.append(name)
    frame = table.frame
    left_out = [c for c in table.other if c != time]
    notes = [f"left out (not numbers): {_names(left_out)}"] if left_out else []
    times = None
    if time:
        if time not in table.columns:
            raise CsvError(f"{where} has no column {time!r} (time); its columns: {_names(table.columns)}")
        if time in names:
            raise CsvError(f"{where}: column {time!r} cannot be the time and a value column at once")
        times = _times(frame[time], time, where)
        order = np.argsort(times, kind="stable")
        if np.any(order != np.arange(len(order))):
            notes.append(f"rows sorted by {time!r}")
        frame, times = frame.iloc[order], times[order]
        notes += time_notes(times, time)
    values = frame[names].to_numpy("float64")  # (rows, features)
    missing = np.isnan(values)
    if missing.any():
        first = int(np.flatnonzero(missing.any(axis=1))[0])
        line = int(frame.index[first]) + 2  # the header is line 1
        counts = ", ".join(f"{int(n)} in {c!r}" for c, n in zip(names, missing.sum(axis=0)) if n)
        if fill != "interpolate":
            raise CsvError(f"{where} has {int(missing.sum())} missing values ({counts}; the first on line {line}): "
                           "fill them in the file, or set fill=interpolate")
        empty = [c for c, m in zip(names, missing.all(axis=0)) if m]
        if empty:
            raise CsvError(f"{where}: column {empty[0]!r} has no values at all")
        values = pd.DataFrame(values).interpolate(limit_direction="both").to_numpy("float64")
        notes.append(f"{int(missing.sum())} missing values interpolated ({counts})")
    return Series(values, names, times, notes)


def _times(column: pd.Series, name: str, where: str) -> np.ndarray:
    """A time column as sortable values: numbers as they are, else dates and times (refused when one fails)."""
    if pd.api.types.is_numeric_dtype(column):
        values = column.to_numpy("float64")
    else:
        parsed = pd.to_datetime(column.astype("string").str.strip(), errors="coerce", format="mixed")
        values = parsed.to_numpy("datetime64[ns]")
    bad = np.isnan(values) if values.dtype.kind == "f" else np.isnat(values)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise CsvError(f"{where}: column {name!r} (time) has {int(bad.sum())} values that are not dates or times "
                       f"(the first on line {first + 2}: {str(column.iloc[first])[:40]!r}); fix them or choose no "
                       "time column")
    return values


def time_notes(times: np.ndarray, name: str) -> list[str]:
    """Duplicate times and gaps (steps longer than the usual one, the median step) of sorted times, one line each."""
    if len(times) < 3:
        return []
    steps = np.diff(times)  # (rows - 1,): numbers or timedelta64
    notes = []
    dupes = int(np.sum(steps == steps.dtype.type(0)))
    if dupes:
        notes.append(f"{dupes} duplicate times in {name!r} (the first: {_when(times[1:][steps == 0][0])})")
    positive = steps[steps > steps.dtype.type(0)]
    if len(positive):
        usual = np.median(positive.astype("float64"))
        gaps = np.flatnonzero(steps.astype("float64") > 1.5 * usual)
        if len(gaps):
            notes.append(f"{len(gaps)} gaps in {name!r} longer than the usual step of {_step(usual, steps.dtype)} "
                         f"(the first after {_when(times[gaps[0]])})")
    return notes


def _when(value) -> str:
    return str(np.datetime_as_string(value, unit="s")).replace("T00:00:00", "") if isinstance(
        value, np.datetime64) else f"{float(value):g}"


def _step(usual: float, dtype) -> str:
    if dtype.kind != "m":
        return f"{usual:g}"
    return str(pd.Timedelta(int(usual), "ns"))
