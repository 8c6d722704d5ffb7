"""Environment variables: a bad value names the variable, the (cut) value and the fix; good values work."""

import pytest

from rnnviz import cli
from rnnviz.models import budget
from rnnviz.data import standard as datasets
from rnnviz.config import env
from rnnviz.store.runs import default_root


def exit_code(argv):
    try:
        return cli.main(argv)
    except SystemExit as e:
        return e.code


@pytest.mark.parametrize("value", ["abc", "0", "-5", "nan", "inf", "12MB"])
def test_memory_limit_that_is_not_a_positive_number_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("RNNVIZ_MEMORY_LIMIT_MB", value)
    with pytest.raises(ValueError, match="RNNVIZ_MEMORY_LIMIT_MB") as e:
        budget.limit_bytes()
    assert repr(value) in str(e.value) and "Fix:" in str(e.value)


def test_memory_limit_good_values(monkeypatch):
    monkeypatch.setenv("RNNVIZ_MEMORY_LIMIT_MB", " 1536 ")
    assert budget.limit_bytes() == 1536 * 2**20
    monkeypatch.setenv("RNNVIZ_MEMORY_LIMIT_MB", "")  # empty: the default
    assert budget.limit_bytes(workers=2) * 4 == pytest.approx(budget.limit_bytes(workers=1) * 2, abs=4)


@pytest.mark.parametrize("name, value", [
    ("RNNVIZ_MEMORY_LIMIT_MB", "abc"), ("RNNVIZ_HOME", "h" * 100_000), ("RNNVIZ_OFFLINE", "perhaps"),
    ("RNNVIZ_DATA_DIR", "d" * 100_000), ("KERAS_HOME", "k" * 100_000), ("RNNVIZ_EXECUTOR", "fork"),
    ("RNNVIZ_WORKER_RUNS", "0"), ("RNNVIZ_WORKER_RUNS", "many"),
])
def test_cli_train_with_a_bad_variable_exits_2_with_one_short_line(monkeypatch, capsys, name, value):
    monkeypatch.setenv(name, value)
    assert exit_code(["train", "--epochs", "1", "--units", "4"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: ") and name in err and "Fix:" in err
    assert len(err) < 600  # the 100,000 characters are cut


@pytest.mark.parametrize("value", ["x", "0", "2.5", "9" * 100_000])
def test_train_workers_must_be_a_whole_number(monkeypatch, value):
    monkeypatch.setenv("RNNVIZ_TRAIN_WORKERS", value)
    with pytest.raises(env.EnvError, match="RNNVIZ_TRAIN_WORKERS") as e:
        env.integer("RNNVIZ_TRAIN_WORKERS", 1, 1, 64)
    assert len(str(e.value)) < 600


def test_offline_flag_and_folders(monkeypatch, tmp_path):
    for value, on in (("1", True), ("TRUE", True), ("yes", True), ("0", False), ("off", False), ("", False)):
        monkeypatch.setenv("RNNVIZ_OFFLINE", value)
        assert env.flag("RNNVIZ_OFFLINE") is on
    monkeypatch.setenv("RNNVIZ_HOME", str(tmp_path / "h"))
    assert default_root() == tmp_path / "h"
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "k"))
    assert datasets.keras_cache_dir() == tmp_path / "k" / "datasets"


def test_cut_keeps_short_text_and_counts_the_rest():
    assert env.cut("short") == "short"
    long = env.cut("x" * 100_000)
    assert long.startswith("x" * 200) and "99,800 more characters" in long and len(long) < 250


def test_pages_show_a_bad_variable_instead_of_a_traceback(monkeypatch, rnnviz_home):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from tests.test_app import APP

    monkeypatch.setenv("RNNVIZ_TRAIN_WORKERS", "x")
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception
    assert any("RNNVIZ_TRAIN_WORKERS" in e.value and "Fix:" in e.value for e in at.error)
    at.switch_page("pages/train.py").run()
    assert not at.exception
    assert any("RNNVIZ_TRAIN_WORKERS" in e.value for e in at.error)
    st.cache_resource.clear()
