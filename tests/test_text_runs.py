"""Runs of the `text` data kind (issue 24 items 2-4): `train --text FILE` (stored once by its content hash, the
same run id and nothing trained for the same text again, exit 2 and nothing stored for a bad file), `--data text`
on the raw reviews from the data folder, exports that carry the text or open without it, and the Train and Write
pages on a tiny text run (AppTest)."""

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from rnnviz import cli
from rnnviz.config import RunConfig, TextFileData
from rnnviz.data import loaders, userdata
from rnnviz.store import RunStore, export
from rnnviz.training.jobs import train_and_store
from tests import fakedata

APP = str(Path(__file__).resolve().parent.parent / "app.py")
POEM = ("Roses are red (mostly),\nviolets are blue.\n\"Sugar is sweet\", she said; and so are you!\n" * 12)
TINY = ["--epochs", "1", "--units", "4", "--batch-size", "16", "--set", "seq_len=8", "--set", "train_size=20",
        "--set", "val_size=10", "--set", "chars=30"]


def cli_json(capsys, *args) -> tuple[int, dict | None, str]:
    code = cli.main(["train", *args, "--json"])
    out = capsys.readouterr()
    return code, (json.loads(out.out) if code == 0 else None), out.err


def test_cli_trains_on_a_text_and_a_second_copy_trains_nothing(tmp_path, capsys, rnnviz_home):
    first, second = tmp_path / "poem.txt", tmp_path / "copy.txt"
    first.write_text(POEM, encoding="utf-8")
    second.write_bytes(b"\xef\xbb\xbf" + POEM.replace("\n", "\r\n").encode())  # the same text, BOM and CRLF
    code, out, err = cli_json(capsys, "--text", str(first), *TINY)
    assert code == 0, err
    name = userdata.digest(POEM.strip("\n").encode())
    assert out["config"]["data"]["name"] == "text" and out["config"]["data"]["file"] == name
    assert {"val_bpc", "baseline_bpc", "bpc_ratio", "perplexity_ratio"} <= out["metrics"].keys()
    assert [p.name for p in (rnnviz_home / "datasets").iterdir()] == [f"{name}.text"]
    code, again, err = cli_json(capsys, "--data", "text", "--text", str(second), *TINY)
    assert code == 0 and again["cached"] is True and again["run_id"] == out["run_id"], err


def test_cli_bad_text_exits_2_and_stores_nothing(tmp_path, capsys, rnnviz_home):
    (tmp_path / "b.txt").write_bytes(bytes(range(256)) * 8)
    assert cli.main(["train", "--text", str(tmp_path / "b.txt")]) == 2
    err = capsys.readouterr().err
    assert "not a text file" in err and "b.txt" in err and err.count("\n") == 1, err
    (tmp_path / "p.txt").write_text(POEM)
    assert cli.main(["train", "--text", str(tmp_path / "p.txt"), "--set", "train_size=5000"]) == 2
    assert "lower train_size" in capsys.readouterr().err
    assert cli.main(["train", "--text", str(tmp_path / "none.txt")]) == 2
    assert "cannot be read" in capsys.readouterr().err
    assert not (rnnviz_home / "datasets").exists() and not (rnnviz_home / "runs").exists()


def test_cli_data_text_reads_the_raw_reviews_from_the_data_folder(tmp_path, capsys, rnnviz_home):
    fakedata.write_aclimdb(tmp_path / "data", n_train=40)
    code, out, err = cli_json(capsys, "--data", "text", "--data-dir", str(tmp_path / "data"), *TINY)
    assert code == 0, err
    assert out["config"]["data"]["file"] == "" and out["metrics"]["baseline_bpc"] > 0
    assert not (rnnviz_home / "datasets").exists()


CFG = RunConfig(data=TextFileData(file=userdata.digest(POEM.strip("\n").encode()), level="char", chars=30,
                                  seq_len=8, train_size=20, val_size=10), units=4, embedding_dim=4, epochs=1,
                batch_size=16)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A `$RNNVIZ_HOME` with the text and one tiny run on it, trained once for the module."""
    home = tmp_path_factory.mktemp("text_runs") / "rnnviz_home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RNNVIZ_HOME", str(home))
        assert userdata.put(POEM.strip("\n").encode(), "text") == CFG.data.file
        return home, train_and_store(CFG, RunStore())[0].run_id


@pytest.fixture
def text_run(seeded, rnnviz_home):
    shutil.copytree(seeded[0], rnnviz_home)
    return RunStore().load(seeded[1])


def test_export_carries_the_text_and_import_stores_it(text_run, tmp_path, monkeypatch):
    blob = export.run_zip(text_run)
    assert "dataset.text" in zipfile.ZipFile(io.BytesIO(blob)).namelist()
    monkeypatch.setenv("RNNVIZ_HOME", str(tmp_path / "other"))
    run = export.import_zip(blob, RunStore())
    assert run.run_id == text_run.run_id and userdata.has(run.config.data.file, "text")
    assert loaders.tokens_for(run.config.data) == loaders.tokens_for(text_run.config.data)


def test_import_without_the_text_opens_and_says_what_is_missing(text_run, tmp_path, monkeypatch, rnnviz_home):
    (rnnviz_home / "datasets" / f"{text_run.config.data.file}.text").unlink()
    blob = export.run_zip(text_run)
    assert "dataset.text" not in zipfile.ZipFile(io.BytesIO(blob)).namelist()
    monkeypatch.setenv("RNNVIZ_HOME", str(tmp_path / "other"))
    run = export.import_zip(blob, RunStore())
    assert run.metrics == text_run.metrics
    with pytest.raises(userdata.DatasetMissing, match="upload the same .text file again"):
        loaders.tokens_for(run.config.data)


def app(page: str) -> AppTest:
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(page).run()
    return at


def test_train_page_upload_stores_the_text_once_and_refuses_a_bad_one(rnnviz_home):
    at = app("pages/train.py")
    at.sidebar.radio(key="w_data").set_value("text").run()
    assert not at.exception, at.exception
    assert at.sidebar.selectbox(key="preset").value == "reviews-char-lm"
    at.file_uploader(key="w_text_upload").set_value([("poem.txt", POEM.encode(), "text/plain")]).run()
    assert not at.exception and not at.sidebar.error, at.exception
    assert at.session_state["last_config"].data.file == CFG.data.file
    assert [p.name for p in (rnnviz_home / "datasets").iterdir()] == [f"{CFG.data.file}.text"]
    bad = app("pages/train.py")
    bad.sidebar.radio(key="w_data").set_value("text").run()
    bad.file_uploader(key="w_text_upload").set_value([("bad.txt", b"\x00\x01" * 50, "text/plain")]).run()
    errors = [e.value for e in bad.sidebar.error]
    assert len(errors) == 1 and "bad.txt" in errors[0] and "NUL bytes" in errors[0], errors
    assert len(list((rnnviz_home / "datasets").iterdir())) == 1


def test_write_page_opens_a_text_run_and_finds_units(text_run):
    at = app("pages/write.py")
    assert not at.exception, at.exception
    assert "Quotes, parentheses, sentences" in " ".join(c.value for c in at.caption)
    at.text_input(key="w_keep_write_prompt").set_value('Roses "are').run()
    assert not at.exception, at.exception
    assert len(at.get("plotly_chart")) == 1 and len(at.dataframe) == 1
    features = set(at.dataframe[0].value["feature"])
    assert features & {"inside quotes", "position in the sentence", "position in the document"}


def test_cli_text_over_the_upload_limit_exits_2(tmp_path, capsys, rnnviz_home, monkeypatch):
    monkeypatch.setenv("RNNVIZ_UPLOAD_LIMIT_MB", "1")
    (tmp_path / "big.txt").write_text(POEM * 1200)
    assert cli.main(["train", "--text", str(tmp_path / "big.txt")]) == 2
    err = capsys.readouterr().err
    assert "big.txt" in err and "more than the 1 MB allowed" in err and err.count("\n") == 1, err
    assert not (rnnviz_home / "datasets").exists()


def test_train_page_shows_a_text_run_beside_its_ngram(text_run):
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(CFG.to_query())
    at.switch_page("pages/train.py").run()
    next(b for b in at.button if b.label == "Train").click().run()
    for _ in range(60):
        if {"Validation perplexity", "Bits per character"} <= {m.label for m in at.metric}:
            break
        at.run()
    assert not at.exception, at.exception
    shown = {m.label: m.value for m in at.metric}
    assert shown["Validation perplexity"] == f"{text_run.metrics['val_perplexity']:.2f}"
    assert shown["Bits per character"] == f"{text_run.metrics['val_bpc']:.3f}"
    assert at.session_state["job"].cached


def test_write_page_without_the_text_says_so_in_one_line(text_run, rnnviz_home):
    (rnnviz_home / "datasets" / f"{CFG.data.file}.text").unlink()
    at = app("pages/write.py")
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "is not on this server" in errors[0], errors


def test_several_text_files_are_joined_into_one_dataset(tmp_path, rnnviz_home):
    from rnnviz.cli import core

    (tmp_path / "a.txt").write_text(POEM)
    (tmp_path / "b.txt").write_bytes(POEM.encode("latin-1"))
    args = core.parser().parse_args(["train", "--text", str(tmp_path / "a.txt"), "--text", str(tmp_path / "b.txt"),
                                     "--set", "level=word", "--set", "vocab_size=100", "--set", "seq_len=8",
                                     "--set", "train_size=20", "--set", "val_size=10", "--set", "val_share=0.2"])
    cfg = core.config_from_args(args)
    joined = (POEM.strip("\n") + "\n\n" + POEM.strip("\n")).encode()
    assert cfg.data.name == "text" and cfg.data.file == userdata.digest(joined) and cfg.data.level == "word"
    assert userdata.read(cfg.data.file, "text") == joined
    with pytest.raises(ValueError, match="give one of them"):
        core.config_from_args(core.parser().parse_args(["train", "--text", str(tmp_path / "a.txt"), "--csv",
                                                        str(tmp_path / "b.txt")]))
