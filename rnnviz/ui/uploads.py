"""The sidebar's controls for a user's own data: a CSV series (the upload, stored once in `$RNNVIZ_HOME/datasets/`,
named by its content hash; the columns to use; the window, horizon, period and split) and a text for a language
model (`.txt` uploads joined and stored the same way, or the raw IMDB reviews; the level and the windows).

The upload control sits right under the sidebar's data choice (`UPLOADS`, by the task row's `upload`); the
options sit under Advanced (`csv_widgets`, `text_widgets`). The upload is read before it is stored: a file that
is not a usable table is refused in one line and nothing is written. The chosen columns are read at once too,
so missing values, gaps and duplicate times are reported before anyone trains.

Sizes: each file is capped at `RNNVIZ_UPLOAD_LIMIT_MB` by the app, and the same cap goes to the browser as the
uploader's own `max_upload_size` (Streamlit's per-widget limit, which only the browser enforces; the server
enforces `server.maxUploadSize` for every uploader, run zips included). In classroom mode a student's browser
stores at most `classroom.SESSION_DATASETS` datasets and `classroom.SESSION_DATASET_MB` MB in all (a file
already stored here costs nothing; a run zip's dataset imported on Compare counts too, `rnnviz.ui.compare`); the
teacher has no limit. The allowance is kept on the server by the browser's id (`roles.browser`), so a reload does
not renew it.
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from rnnviz.config import checks
from rnnviz.data import tables, text, userdata
from rnnviz.store import classroom
from rnnviz.ui import roles

KIND = "csv"
NONE = ""


def widget_mb() -> int:
    """The per-file cap the data uploaders hand the browser (`st.file_uploader(max_upload_size=)`), in MB: the
    app's `RNNVIZ_UPLOAD_LIMIT_MB`, never above Streamlit's `server.maxUploadSize` (the server's own cap)."""
    return max(1, min(userdata.limit() >> 20, int(st.get_option("server.maxUploadSize"))))


def _mb(n: int) -> str:
    return f"{n / 2**20:,.1f} MB"


def _room() -> int:
    return int(classroom.SESSION_DATASET_MB * 2**20)


@st.cache_resource(show_spinner=False)
def _ledger() -> dict[str, dict[str, int]]:
    """Browser id -> the datasets that browser wrote to the store ("<hash>.<kind>" -> bytes), for this server's
    life (a few entries per browser)."""
    return {}


def _stored() -> dict[str, int]:
    return _ledger().setdefault(roles.browser(), {})


def over_allowance(blob: bytes, kind: str, where: str,
                   fix: str = "Pick a file stored already (uploading it again costs nothing), or ask the teacher "
                              "to upload this one") -> str | None:
    """The one line that refuses a file this browser may not store (classroom mode, a student's browser over its
    allowance), or None. A file already stored here, by anyone, costs nothing and is never refused."""
    if roles.is_teacher():  # the teacher's session, or no key (one person)
        return None
    name = userdata.digest(blob)
    mine = _stored()
    if userdata.has(name, kind) or f"{name}.{kind}" in mine:
        return None
    count, used = len(mine), sum(mine.values())
    most, room = classroom.SESSION_DATASETS, _room()
    if count < most and used + len(blob) <= room:
        return None
    return (f"{where} ({_mb(len(blob))}) is not stored: in classroom mode a student's browser may store "
            f"{most} datasets and {classroom.SESSION_DATASET_MB:g} MB in all, and this browser has stored {count} "
            f"({_mb(used)}). {fix}")


def record(blob: bytes, kind: str) -> None:
    """Counts a file this browser stored against its allowance."""
    _stored()[f"{userdata.digest(blob)}.{kind}"] = len(blob)


def put(blob: bytes, kind: str) -> str:
    """Stores a file (`userdata.put`), counted against this browser's allowance when it is new here."""
    if not userdata.has(userdata.digest(blob), kind):
        record(blob, kind)
    return userdata.put(blob, kind)


def allowance_note(sb) -> None:
    """For a student in classroom mode, one caption with what this browser may still store."""
    if roles.is_teacher():
        return
    mine = _stored()
    most = classroom.SESSION_DATASETS
    sb.caption(f"Classroom mode: this browser may store {max(0, most - len(mine))} more of its {most} datasets "
               f"({_mb(max(0, _room() - sum(mine.values())))} of {classroom.SESSION_DATASET_MB:g} MB left); files "
               "stored already are free.")


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


def too_big(size: int, where: str) -> str | None:
    """The one line that refuses a file over `RNNVIZ_UPLOAD_LIMIT_MB`, or None."""
    if size <= userdata.limit():
        return None
    over = math.ceil(size / 2**20 * 10) / 10  # rounded up: never "1.0 MB; up to 1 MB"
    return f"{where} is {over:,.1f} MB; files up to {userdata.limit() >> 20} MB can be used (RNNVIZ_UPLOAD_LIMIT_MB)"


def _store_upload(upload, k: str) -> None:
    """Reads a new upload and stores it (once per file); a file that cannot be used, or that this browser may not
    store (classroom mode), is refused, not stored."""
    blob = upload.getvalue()
    name = userdata.digest(blob)
    if st.session_state.get(k + "uploaded") == upload.file_id:  # each upload is checked once, not on every rerun
        if not st.session_state.get(k + "file") and k + "refused" not in st.session_state:
            st.session_state[k + "file"] = name  # a preset cleared the choice; the upload is still there
        return
    st.session_state[k + "uploaded"] = upload.file_id
    try:
        refused = too_big(len(blob), upload.name) or over_allowance(blob, KIND, upload.name)
        if refused:
            raise tables.CsvError(refused)
        table = tables.read_table(blob, upload.name)
    except tables.CsvError as e:
        st.session_state[k + "refused"] = str(e)
        return
    st.session_state.pop(k + "refused", None)
    put(blob, KIND)
    if st.session_state.get(k + "file") != name:
        st.session_state[k + "file"] = name
        st.session_state[k + "target"] = table.numeric[0]
        st.session_state[k + "inputs"] = st.session_state[k + "time"] = NONE


def csv_upload(sb, k: str) -> None:
    """The CSV upload, right under the sidebar's data choice (`UPLOADS`): stored once, or refused in one line."""
    upload = sb.file_uploader(f"CSV file (a time series, up to {widget_mb()} MB)", type=["csv", "tsv", "txt"],
                              key=k + "upload", max_upload_size=widget_mb(),
                              help="Stored once on this server, named by its content: the same file uploaded "
                                   "again is the same data, and its runs load instead of training. Columns, "
                                   "window and horizon are under Advanced.")
    if upload is not None:
        _store_upload(upload, k)
    if refused := st.session_state.get(k + "refused"):
        sb.error(f"Not used: {refused}")
    if not st.session_state.get(k + "file", NONE):
        sb.info("Upload a CSV file with a column of numbers (and, if it has one, a column of dates).")
    allowance_note(sb)


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
    """The CSV kind's options under Advanced (`rnnviz.ui.sidebar.DATA_WIDGETS`); returns the `CsvData` options."""
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
        sb.caption("No CSV file yet: upload one under the data choice.")
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
    seen = " ".join(f.file_id for f in uploaded)  # each set of uploads is checked once, not on every rerun
    if st.session_state.get(k + "uploaded") == seen:
        return
    st.session_state[k + "uploaded"] = seen
    blobs = [(f.getvalue(), f.name) for f in uploaded]
    try:
        for blob, where in blobs:
            if refused := too_big(len(blob), where):
                raise text.TextError(refused)
        joined = text.join(blobs)
        if refused := over_allowance(joined, TEXT, " + ".join(n for _, n in blobs)):
            raise text.TextError(refused)
    except text.TextError as e:
        st.session_state[k + "refused"] = str(e)
        return
    st.session_state.pop(k + "refused", None)
    st.session_state[k + "file"] = put(joined, TEXT)


def _use_reviews(k: str) -> None:
    st.session_state[k + "file"] = NONE


def text_upload(sb, k: str) -> None:
    """The text upload and the source in use, right under the sidebar's data choice (`UPLOADS`)."""
    uploaded = sb.file_uploader(f"Text files (.txt, joined; up to {widget_mb()} MB each)", type=["txt"],
                                accept_multiple_files=True, key=k + "upload", max_upload_size=widget_mb(),
                                help="Stored once on this server, named by its content: the same text uploaded "
                                     "again is the same data, and its runs load instead of training. Without a "
                                     "file the model reads the raw IMDB reviews (aclImdb). Level and windows "
                                     "are under Advanced.")
    if uploaded:
        _store_texts(uploaded, k)
    if refused := st.session_state.get(k + "refused"):
        sb.error(f"Not used: {refused}")
    if name := st.session_state.get(k + "file", NONE):
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
    allowance_note(sb)


UPLOADS = {KIND: csv_upload, TEXT: text_upload}
"""A task row's `upload` -> its upload control (`rnnviz.ui.sidebar` puts it right under the data choice)."""


def text_widgets(sb, kind: type, k: str) -> dict[str, Any]:
    """The text kind's options under Advanced (`rnnviz.ui.sidebar.DATA_WIDGETS`); returns the `TextFileData`
    options."""
    name = st.session_state.get(k + "file", NONE)
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
