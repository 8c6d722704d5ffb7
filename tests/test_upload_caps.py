"""Classroom mode's allowance for uploads (issue 24, item 3), under AppTest: a student's browser session stores at
most `classroom.SESSION_DATASETS` datasets and `classroom.SESSION_DATASET_MB` MB (a small cap is patched in here
so the files stay tiny); an upload over it is refused in one line and stores nothing; the same file again is not
counted; the teacher's session and an app without a key have no limit; the upload control sits right under the
data choice, outside Advanced, and hands the browser the app's per-file cap."""

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from rnnviz.data import userdata
from rnnviz.store import classroom

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def series(n: int) -> bytes:
    """A small CSV series, different for every `n` (about 10 bytes a row)."""
    return ("t,y\n" + "".join(f"{i},{(i * 7 + n) % 11}\n" for i in range(n))).encode()


def page(teacher: str | None = None, kind: str = "csv") -> AppTest:
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    if teacher:
        at.query_params["teacher"] = teacher
    at.run()
    at.switch_page("pages/train.py").run()
    return at.sidebar.radio(key="w_data").set_value(kind).run()


def upload(at: AppTest, blob: bytes, name: str) -> list[str]:
    """Uploads one CSV file; returns the sidebar's errors."""
    at.file_uploader(key="w_csv_upload").set_value((name, blob, "text/csv")).run()
    assert not at.exception, at.exception
    return [e.value for e in at.sidebar.error]


def stored(home: Path) -> set[str]:
    folder = home / "datasets"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def test_a_student_stores_three_datasets_and_the_fourth_is_refused(rnnviz_home):
    classroom.ensure_key()
    at = page()
    files = [series(30 + i) for i in range(4)]
    for i, blob in enumerate(files[:3]):
        assert upload(at, blob, f"s{i}.csv") == []
    assert len(stored(rnnviz_home)) == 3
    assert upload(at, files[0], "s0 again.csv") == []  # the same content: not counted again
    errors = upload(at, files[3], "fourth.csv")
    assert len(errors) == 1 and "\n" not in errors[0], errors
    assert errors[0].startswith("Not used: fourth.csv") and "3 datasets and 100 MB" in errors[0]
    assert "this browser has stored 3" in errors[0] and "ask the teacher" in errors[0]
    assert len(stored(rnnviz_home)) == 3, "a refused file stores nothing"
    assert at.session_state["w_csv_file"] == userdata.digest(files[0]), "the last usable file stays chosen"
    other = page()  # another student's session has its own allowance
    assert upload(other, files[3], "fourth.csv") == [] and len(stored(rnnviz_home)) == 4


def test_a_student_session_is_capped_in_megabytes(rnnviz_home, monkeypatch):
    classroom.ensure_key()
    small, big = series(40), series(300)
    monkeypatch.setattr(classroom, "SESSION_DATASET_MB", (len(big) + len(small) // 2) / 2**20)
    at = page()
    assert upload(at, small, "small.csv") == []
    errors = upload(at, big, "big.csv")
    assert len(errors) == 1 and "big.csv" in errors[0] and "this browser has stored 1" in errors[0], errors
    assert stored(rnnviz_home) == {f"{userdata.digest(small)}.csv"}
    shared = page()  # a file another session stored already costs nothing
    assert upload(shared, big, "big.csv") == []
    assert upload(at, big, "big, once more.csv") == [] and len(stored(rnnviz_home)) == 2
    assert any("Classroom mode: this browser may store" in c.value for c in at.sidebar.caption)


@pytest.mark.parametrize("who", ["teacher", "no key"])
def test_the_teacher_and_an_app_without_a_key_have_no_limit(rnnviz_home, monkeypatch, who):
    monkeypatch.setattr(classroom, "SESSION_DATASETS", 1)
    at = page(teacher=classroom.ensure_key()[0]) if who == "teacher" else page()
    for i in range(3):
        assert upload(at, series(30 + i), f"s{i}.csv") == []
    assert len(stored(rnnviz_home)) == 3
    assert not any("Classroom mode" in c.value for c in at.sidebar.caption)


def test_the_text_upload_counts_against_the_same_allowance(rnnviz_home, monkeypatch):
    classroom.ensure_key()
    monkeypatch.setattr(classroom, "SESSION_DATASETS", 1)
    at = page()
    assert upload(at, series(30), "s.csv") == []
    at.sidebar.radio(key="w_data").set_value("text").run()
    poem = ("Roses are red, violets are blue (mostly).\n" * 5).encode()
    at.file_uploader(key="w_text_upload").set_value([("poem.txt", poem, "text/plain")]).run()
    errors = [e.value for e in at.sidebar.error]
    assert len(errors) == 1 and "poem.txt" in errors[0] and "1 datasets" in errors[0], errors
    assert len(stored(rnnviz_home)) == 1


@pytest.mark.parametrize("kind", ["csv", "text"])
def test_the_upload_sits_under_the_data_choice_with_the_apps_cap(rnnviz_home, monkeypatch, kind):
    monkeypatch.setenv("RNNVIZ_UPLOAD_LIMIT_MB", "7")
    at = page(kind=kind)
    uploader = at.file_uploader(key=f"w_{kind}_upload")
    assert uploader.proto.max_upload_size_mb == 7 and "up to 7 MB" in uploader.proto.label
    keys = [getattr(n, "key", None) for n in at.sidebar.children.values()]
    above = keys.index("w_source") if "w_source" in keys else keys.index("w_data")  # the text kind: its source
    assert keys.index(f"w_{kind}_upload") == above + 1, keys  # right under the data choice
    advanced = next(e for e in at.sidebar.expander if e.proto.label == "Advanced")
    assert len(advanced.get("file_uploader")) == 0 and len(at.sidebar.get("file_uploader")) == 1


def test_a_reload_does_not_renew_a_students_allowance(rnnviz_home, monkeypatch):
    """The allowance is kept on the server by the browser's id (its cookie, `roles.browser`): a reload is a new
    session of the same browser and has nothing more to store; another browser has its own allowance."""
    from rnnviz.ui import roles

    classroom.ensure_key()
    sent = {"id": "d" * 32}
    monkeypatch.setattr(roles, "_cookie", lambda: sent["id"])
    at = page()
    for i in range(3):
        assert upload(at, series(40 + i), f"s{i}.csv") == []
    reloaded = AppTest.from_file(APP, default_timeout=120)  # no cache cleared: the same server
    reloaded.run()
    reloaded.switch_page("pages/train.py").run()
    reloaded.sidebar.radio(key="w_data").set_value("csv").run()
    errors = upload(reloaded, series(50), "after the reload.csv")
    assert len(errors) == 1 and "this browser has stored 3" in errors[0], errors
    sent["id"] = "e" * 32  # another browser
    other = AppTest.from_file(APP, default_timeout=120)
    other.run()
    other.switch_page("pages/train.py").run()
    other.sidebar.radio(key="w_data").set_value("csv").run()
    assert upload(other, series(50), "another browser.csv") == []
