"""The sidebar's controls for a user's own data: a CSV series (the upload, stored once in `$RNNVIZ_HOME/datasets/`,
named by its content hash; the columns to use; the window, horizon, period and split) and a text for a language
model (`.txt` uploads joined and stored the same way, or the raw IMDB reviews; the level and the windows).

The upload is read before it is stored: a file that is not a usable table is refused in one line and nothing
is written. The chosen columns are read at once too, so missing values, gaps and duplicate times are reported
before anyone trains.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from rnnviz.config import checks
from rnnviz.data import tables, text, userdata

KIND = "csv"
NONE = ""


@st.cache_data(max_entries=8, show_spinner=False)
def _table(name: str) -> dict[str, Any]:
    """A stored file's columns: `columns`, `numeric`, `other` (name -> why left out), `rows`, `encoding`."""
    table = tables.read_table(userdata.read(name, KIND, "CSV file"), f"the CSV file {name}")
    return {"columns": table.columns, "numeric": table.numeric, "other": table.other, "rows": len(table.frame),
            "encoding": table.encoding}


@st.cache_data(max_entries=16, show_spinner=False)
def _notes(name: str, target: str, inputs: tuple[str, ...], time: str, fill: str) -> list[str]:
    """What reading these columns finds (gaps, duplicates, filled values); raises `tables.CsvError`."""
    blob = userdata.read(name, KIND, "CSV file")
    return tables.pick(tables.read_table(blob, f"the CSV file {name}"), target, inputs, time, fill).notes


def _store_upload(sb, upload, k: str) -> None:
    """Reads a new upload and stores it (once per file); a file that cannot be used is refused, not stored."""
    blob = upload.getvalue()
    name = userdata.digest(blob)
    if st.session_state.get(k + "uploaded") == name:
        if not st.session_state.get(k + "file") and k + "refused" not in st.session_state:
            st.session_state[k + "file"] = name  # a preset cleared the choice; the upload is still there
        return
    st.session_state[k + "uploaded"] = name
    try:
        if len(blob) > userdata.limit():
            raise tables.CsvError(f"{upload.name} is {len(blob) / 2**20:,.1f} MB; files up to "
                                  f"{userdata.limit() >> 20} MB can be used (RNNVIZ_UPLOAD_LIMIT_MB)")
        table = tables.read_table(blob, upload.name)
    except tables.CsvError as e:
        st.session_state[k + "refused"] = str(e)
        return
    st.session_state.pop(k + "refused", None)
    userdata.put(blob, KIND)
    if st.session_state.get(k + "file") != name:
        st.session_state[k + "file"] = name
        st.session_state[k + "target"] = table.numeric[0]
        st.session_state[k + "inputs"] = st.session_state[k + "time"] = NONE


def _number(sb, kind: type, name: str, label: str, key: str, step: float = 1, **kwargs: Any) -> Any:
    accepts = checks.limits(kind)[name]
    value = st.session_state.get(key)
    if isinstance(value, (int, float)):
        st.session_state[key] = min(max(value, accepts.lo), accepts.hi)
    return sb.number_input(label, accepts.lo, accepts.hi, step=step, key=key, **kwargs)


def _choice(sb, label: str, options: list[str], key: str, **kwargs: Any) -> str:
    """A selectbox over `options` that keeps a value from a link or an older file (listed, then refused at
    training with the reason)."""
    value = st.session_state.get(key, NONE)
    if value == NONE and options:  # "": the first option (the target: the first column of numbers)
        value = st.session_state[key] = options[0]
    if value not in options:
        options = [*options, value]
    return sb.selectbox(label, options, key=key, **kwargs)


def csv_widgets(sb, kind: type, k: str) -> dict[str, Any]:
    """The CSV kind's controls (`rnnviz.ui.sidebar.DATA_WIDGETS`); returns the `CsvData` options."""
    upload = sb.file_uploader(f"CSV file (a time series, up to {userdata.limit() >> 20} MB)",
                              type=["csv", "tsv", "txt"], key=k + "upload",
                              help="Stored once on this server, named by its content: the same file uploaded "
                                   "again is the same data, and its runs load instead of training.")
    if upload is not None:
        _store_upload(sb, upload, k)
    if refused := st.session_state.get(k + "refused"):
        sb.error(f"Not used: {refused}")
    name = st.session_state.get(k + "file", NONE)
    opts = {f: st.session_state.get(k + f, d) for f, d in (("file", NONE), ("target", NONE), ("inputs", NONE),
                                                           ("time", NONE))}
    table = None
    if name:
        try:
            table = _table(name)
        except (userdata.DatasetMissing, tables.CsvError) as e:
            sb.warning(str(e))
    else:
        sb.info("Upload a CSV file with a column of numbers (and, if it has one, a column of dates).")
    if table is not None:
        sb.caption(f"File {name}: {table['rows']:,} rows, {table['encoding']}; columns of numbers: "
                   f"{', '.join(table['numeric'])}" + (f"; left out (not numbers): {', '.join(table['other'])}"
                                                       if table["other"] else ""))
        target = _choice(sb, "Target (the column to forecast)", table["numeric"], k + "target")
        others = [c for c in table["numeric"] if c != target]
        if st.session_state.get(k + "inputs_shown") != opts["inputs"]:  # set by a preset or a link: show it
            st.session_state[k + "inputs_pick"] = [c for c in opts["inputs"].split("+") if c in others]
        st.session_state[k + "inputs_pick"] = [c for c in st.session_state.get(k + "inputs_pick", []) if c in others]
        inputs = sb.multiselect("Extra input columns (read beside the target)", others, key=k + "inputs_pick",
                                help="Their true values are read when the model runs free on its own forecasts.")
        time = _choice(sb, "Time column (sorted by it; gaps reported)",
                       [NONE, *[c for c in table["columns"] if c != target and c not in inputs]], k + "time",
                       format_func=lambda c: c or "(none: the file's order)")
        opts.update(target=target, inputs="+".join(inputs), time=time)
        st.session_state[k + "inputs"] = st.session_state[k + "inputs_shown"] = opts["inputs"]
    fill = sb.radio("Missing values", ["none", "interpolate"], horizontal=True, key=k + "fill",
                    format_func={"none": "refuse", "interpolate": "interpolate"}.get)
    if table is not None:
        try:
            notes = _notes(name, opts["target"], tuple(c for c in opts["inputs"].split("+") if c), opts["time"],
                           fill)
            if notes:
                sb.caption("; ".join(notes) + ".")
        except (userdata.DatasetMissing, tables.CsvError) as e:
            sb.warning(str(e))
    return dict(
        **opts, fill=fill,
        window=_number(sb, kind, "window", "Window (rows the network reads)", k + "window"),
        horizon=_number(sb, kind, "horizon", "Horizon (values predicted per window)", k + "horizon"),
        period=_number(sb, kind, "period", "Season (rows; 0 = estimate) for the seasonal-naive baseline",
                       k + "period"),
        val_fraction=_number(sb, kind, "val_fraction", "Validation share (the end of the series, by time)",
                             k + "val_fraction", 0.05))


TEXT = "text"
TEXT_LEVELS = {"char": "character", "word": "word"}


@st.cache_data(max_entries=8, show_spinner=False)
def _text_info(name: str) -> dict[str, int]:
    """A stored text's size: `chars`, `words` (words, punctuation marks and line breaks), `lines`."""
    body = userdata.read(name, TEXT, "text file").decode("utf-8")
    return {"chars": len(body), "words": len(text.split_words(body)), "lines": body.count("\n") + 1}


def _store_texts(uploaded: list, k: str) -> None:
    """Joins and stores new uploads (once per set of files); files that cannot be used are refused, not stored."""
    blobs = [(f.getvalue(), f.name) for f in uploaded]
    seen = userdata.digest(b"".join(userdata.digest(b).encode() + n.encode() for b, n in blobs))
    if st.session_state.get(k + "uploaded") == seen:
        return
    st.session_state[k + "uploaded"] = seen
    try:
        for blob, where in blobs:
            if len(blob) > userdata.limit():
                raise text.TextError(f"{where} is {len(blob) / 2**20:,.1f} MB; files up to {userdata.limit() >> 20} "
                                     "MB can be used (RNNVIZ_UPLOAD_LIMIT_MB)")
        joined = text.join(blobs)
    except text.TextError as e:
        st.session_state[k + "refused"] = str(e)
        return
    st.session_state.pop(k + "refused", None)
    st.session_state[k + "file"] = userdata.put(joined, TEXT)


def _use_reviews(k: str) -> None:
    st.session_state[k + "file"] = NONE


def text_widgets(sb, kind: type, k: str) -> dict[str, Any]:
    """The text kind's controls (`rnnviz.ui.sidebar.DATA_WIDGETS`); returns the `TextFileData` options."""
    uploaded = sb.file_uploader(f"Text files (.txt, joined; up to {userdata.limit() >> 20} MB)", type=["txt"],
                                accept_multiple_files=True, key=k + "upload",
                                help="Stored once on this server, named by its content: the same text uploaded "
                                     "again is the same data, and its runs load instead of training. Without a "
                                     "file the model reads the raw IMDB reviews (aclImdb).")
    if uploaded:
        _store_texts(uploaded, k)
    if refused := st.session_state.get(k + "refused"):
        sb.error(f"Not used: {refused}")
    name = st.session_state.get(k + "file", NONE)
    if name:
        try:
            info = _text_info(name)
            sb.caption(f"Text {name}: {info['chars']:,} characters, {info['words']:,} words and marks, "
                       f"{info['lines']:,} lines.")
        except userdata.DatasetMissing as e:
            sb.warning(str(e))
        sb.button("Use the raw IMDB reviews instead", key=k + "reviews", on_click=_use_reviews, args=(k,))
    else:
        sb.caption("Source: the raw IMDB reviews (Stanford's aclImdb, case and punctuation kept). Upload .txt "
                   "files to use your own text.")
    level = sb.radio("Predict the next", list(TEXT_LEVELS), horizontal=True, key=k + "level",
                     format_func=TEXT_LEVELS.get)
    size = (_number(sb, kind, "chars", "Characters kept (the most frequent; others are <unk>)", k + "chars")
            if level == "char" else
            _number(sb, kind, "vocab_size", "Vocabulary (the most frequent words and marks)", k + "vocab_size", 100))
    hidden = "vocab_size" if level == "char" else "chars"  # kept as the preset or link set it
    return dict(
        file=name, level=level, **{"chars" if level == "char" else "vocab_size": size},
        **{hidden: st.session_state.get(k + hidden, getattr(kind(), hidden))},
        seq_len=_number(sb, kind, "seq_len", "Tokens per training window", k + "seq_len"),
        train_size=_number(sb, kind, "train_size", "Training windows (from the start of the text)",
                           k + "train_size", 100),
        val_size=_number(sb, kind, "val_size", "Validation windows", k + "val_size", 10),
        val_share=_number(sb, kind, "val_share", "Held-out share (the end of a file; of the reviews without a "
                          "test split)", k + "val_share", 0.05))
