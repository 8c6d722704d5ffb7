"""Bad files (issue 24, item 4): every case the issue lists is refused through the command line with exit 2 and one
line that names the file and what to do, and nothing is stored; a file of a million columns is refused from its
first two lines, before it is decoded or parsed (a small memory peak); the Train page refuses an upload over
`RNNVIZ_UPLOAD_LIMIT_MB` in one line and stores nothing."""

import tracemalloc
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from rnnviz import cli
from rnnviz.data import tables

APP = str(Path(__file__).resolve().parent.parent / "app.py")
MILLION = 1_000_000


def rows(n: int) -> bytes:
    return ("t,y\n" + "".join(f"{i},{i % 5}\n" for i in range(n))).encode()


CSV_CASES = {  # name: (file bytes, extra flags, what the line says)
    "empty": (b"", [], "is empty"),
    "header only": (b"t,y\n", [], "header but no rows"),
    "one row": (b"t,y\n1,2\n", [], "has 1 row: too short for window="),
    "binary renamed .csv": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), [], "not a text file"),
    "a million columns": (b"," * (MILLION - 1) + b"\n1\n", [], "more than 1,000 columns in its header"),
    "a million columns in the first row": (b"y\n" + b"1," * MILLION + b"\n", [],
                                           "more than 1,000 columns in its first row"),
    "wrong encoding (UTF-16)": (rows(30).decode().encode("utf-16"), [], "UTF-16"),
    "NA everywhere": (b"t,y\nNA,NA\nNA,\n,NA\n", [], "has no values: every cell is blank or NA"),
    "NA in the target": (b"t,y\n1,NA\n2,NA\n3,\n", ["--set", "target=y"], "column 'y' (target) has no values"),
    "a text column as the target": (b"t,y,label\n" + b"".join(b"%d,%d,x%d\n" % (i, i, i) for i in range(40)),
                                    ["--set", "target=label"], "column 'label' (target) is not numbers"),
    "a series shorter than the window": (rows(20), ["--set", "window=24"], "20 rows: too short for window=24"),
}


@pytest.mark.parametrize("case", list(CSV_CASES))
def test_a_bad_csv_file_exits_2_with_one_line_and_stores_nothing(tmp_path, capsys, rnnviz_home, case):
    blob, flags, says = CSV_CASES[case]
    path = tmp_path / "bad.csv"
    path.write_bytes(blob)
    assert cli.main(["train", "--csv", str(path), "--epochs", "1", *flags]) == 2
    err = capsys.readouterr().err
    assert says in err and str(path) in err and err.count("\n") == 1, err
    assert not (rnnviz_home / "datasets").exists() and not (rnnviz_home / "runs").exists()


def test_a_csv_file_over_the_size_cap_exits_2(tmp_path, capsys, rnnviz_home, monkeypatch):
    monkeypatch.setenv("RNNVIZ_UPLOAD_LIMIT_MB", "1")
    path = tmp_path / "big.csv"
    path.write_bytes(rows(130_000))  # about 1.2 MB
    assert cli.main(["train", "--csv", str(path)]) == 2
    err = capsys.readouterr().err
    assert "big.csv" in err and "more than the 1 MB allowed" in err and err.count("\n") == 1, err
    assert not (rnnviz_home / "datasets").exists()


@pytest.mark.parametrize("blob, says", [(b"", "is empty"), (b"a" * 5000, "one character repeated ('a')"),
                                        (bytes(range(256)) * 8, "not a text file")])
def test_a_bad_text_file_exits_2_with_one_line_and_stores_nothing(tmp_path, capsys, rnnviz_home, blob, says):
    path = tmp_path / "bad.txt"
    path.write_bytes(blob)
    assert cli.main(["train", "--text", str(path), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert says in err and str(path) in err and err.count("\n") == 1, err
    assert not (rnnviz_home / "datasets").exists() and not (rnnviz_home / "runs").exists()


@pytest.mark.parametrize("case", ["a million columns", "a million columns in the first row"])
def test_a_million_columns_are_refused_before_the_file_is_decoded(case):
    blob = CSV_CASES[case][0]
    tracemalloc.start()
    try:
        with pytest.raises(tables.CsvError, match="more than 1,000 columns"):
            tables.read_table(blob, "wide.csv")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < len(blob) // 4, f"{peak:,} bytes allocated for a {len(blob):,}-byte file"  # nothing decoded


def test_a_csv_of_a_thousand_columns_still_reads():
    header = ",".join(f"c{i}" for i in range(1000))
    assert len(tables.read_table(f"{header}\n{','.join('1' * 1000)}\n".encode()).numeric) == 1000


def test_the_train_page_refuses_an_upload_over_the_size_cap(rnnviz_home, monkeypatch):
    monkeypatch.setenv("RNNVIZ_UPLOAD_LIMIT_MB", "1")
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/train.py").run()
    at.sidebar.radio(key="w_data").set_value("csv").run()
    at.file_uploader(key="w_csv_upload").set_value(("big.csv", rows(130_000), "text/csv")).run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.sidebar.error]
    assert errors == ["Not used: big.csv is 1.1 MB; files up to 1 MB can be used (RNNVIZ_UPLOAD_LIMIT_MB)"], errors
    assert not (rnnviz_home / "datasets").exists()
