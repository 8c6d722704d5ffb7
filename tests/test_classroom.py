"""Classroom mode's plain-Python part: the teacher's key and link, the `teacher-link` command, the ceiling's
default, and the runs `prepare-lesson` pins (an import never replaces them; a changed one is trained again)."""

import json
import os
import stat
import subprocess
import sys

import pytest

from rnnviz import cli
from rnnviz.config import env
from rnnviz.store import RunStore, classroom, export


def test_teacher_link_makes_the_key_file_once_and_prints_the_link(rnnviz_home, capsys):
    assert not classroom.classroom()  # no key: one person, every right
    assert cli.main(["teacher-link"]) == 0
    out, err = capsys.readouterr()
    key = (rnnviz_home / "teacher.key").read_text().strip()
    assert out == f"http://localhost:8501/?teacher={key}\n" and len(key) >= 32
    assert "classroom mode is on" in err and key not in err  # the key only in the printed link
    assert stat.S_IMODE(os.stat(rnnviz_home / "teacher.key").st_mode) == 0o600
    assert classroom.classroom() and classroom.key() == key
    assert cli.main(["teacher-link", "--url", "http://lab-07:8502/app"]) == 0  # the same key, another base
    out, err = capsys.readouterr()
    assert out == f"http://lab-07:8502/app?teacher={key}\n" and err == ""


def test_teacher_link_works_with_no_server_and_refuses_a_bad_url_with_exit_2(rnnviz_home):
    bad = subprocess.run([sys.executable, "-m", "rnnviz", "teacher-link", "--url", "lab-07"],
                         check=False, capture_output=True, text=True, env=os.environ, timeout=120)
    assert bad.returncode == 2 and bad.stdout == "" and "http://localhost:8501" in bad.stderr
    assert not (rnnviz_home / "teacher.key").exists()  # nothing made for a bad address
    good = subprocess.run([sys.executable, "-m", "rnnviz", "teacher-link"], check=False, capture_output=True,
                          text=True, env=os.environ, timeout=120)
    assert good.returncode == 0 and good.stdout.startswith("http://localhost:8501/?teacher=")


def test_the_environment_key_wins_and_keys_are_compared_in_constant_time(rnnviz_home, monkeypatch):
    monkeypatch.setenv("RNNVIZ_TEACHER_KEY", "letmein-please")
    assert classroom.ensure_key() == ("letmein-please", False) and not (rnnviz_home / "teacher.key").exists()
    calls = []
    real = classroom.hmac.compare_digest
    monkeypatch.setattr(classroom.hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    assert classroom.matches("letmein-please") and not classroom.matches("letmein-pleasE")
    assert not classroom.matches("") and not classroom.matches(None) and len(calls) == 2
    monkeypatch.setenv("RNNVIZ_TEACHER_KEY", "short")
    with pytest.raises(env.EnvError, match="RNNVIZ_TEACHER_KEY") as e:
        env.check()
    assert "short" not in str(e.value)  # a key is never repeated in a message


def test_an_unlocked_browser_stays_unlocked_until_locked_the_key_changes_or_the_hours_pass(rnnviz_home, monkeypatch):
    """Issue 21: a reload keeps the teacher's unlock; it is kept on the server, keyed under the key."""
    browser, other = "a" * 32, "b" * 32
    unlocks = classroom.Unlocks()
    unlocks.add(browser)  # no key: nothing to unlock (one person has every right anyway)
    assert not unlocks.has(browser)
    key, _ = classroom.ensure_key()
    unlocks.add(browser)
    assert unlocks.has(browser) and not unlocks.has(other) and not unlocks.has("") and not unlocks.has(key)
    assert browser not in repr(unlocks._since) and key not in repr(unlocks._since)  # an HMAC, not the id or key
    unlocks.drop(browser)
    assert not unlocks.has(browser)
    unlocks.add(browser)
    (rnnviz_home / "teacher.key").write_text("a-new-key-for-the-next-class\n")  # a changed key locks it
    assert not unlocks.has(browser)
    clock = [1000.0]
    monkeypatch.setattr(classroom.time, "time", lambda: clock[0])
    unlocks.add(other)
    clock[0] += classroom.UNLOCK_HOURS * 3600 - 1
    assert unlocks.has(other)
    clock[0] += 2  # a school day later
    assert not unlocks.has(other)


def test_the_ceiling_on_training_time_is_20_minutes_in_classroom_mode_only(rnnviz_home, monkeypatch):
    assert classroom.max_run_minutes() is None
    classroom.ensure_key()
    assert classroom.max_run_minutes() == 20.0
    monkeypatch.setenv("RNNVIZ_MAX_RUN_MINUTES", "0.5")
    assert classroom.max_run_minutes() == 0.5
    monkeypatch.setenv("RNNVIZ_MAX_RUN_MINUTES", "0")  # no ceiling, even in classroom mode
    assert classroom.max_run_minutes() is None
    monkeypatch.setenv("RNNVIZ_MAX_RUN_MINUTES", "-3")
    with pytest.raises(env.EnvError, match="RNNVIZ_MAX_RUN_MINUTES.*0 or more"):
        env.check()


def test_an_import_never_replaces_a_pinned_run(rnnviz_home, tiny_cfg):
    from rnnviz.training.jobs import train_and_store

    store = RunStore()
    run, _ = train_and_store(tiny_cfg, store)
    blob = export.run_zip(run)
    assert export.import_zip(blob, store, replace=True).run_id == run.run_id  # not pinned: the user may replace
    classroom.pin(store, [run.run_id])
    assert classroom.pinned(run.run_id) and classroom.changed_pins(store, [run.run_id]) == []
    created = store.load(run.run_id).info["created"]
    with pytest.raises(export.RunImportError, match="prepare-lesson.*never replaces"):
        export.import_zip(blob, store, replace=True)
    assert store.load(run.run_id).info["created"] == created  # untouched


@pytest.mark.slow  # trains two tiny runs, then one again: about 10-30 s with the Keras import
def test_prepare_lesson_pins_its_runs_trains_a_changed_one_again_and_prints_the_link(rnnviz_home, capsys):
    from test_lesson import TINY, write

    write(rnnviz_home / "lessons", TINY)
    assert cli.main(["prepare-lesson", "tiny", "--json"]) == 0
    out, err = capsys.readouterr()
    runs = json.loads(out)["runs"]
    key = (rnnviz_home / "teacher.key").read_text().strip()  # a server prepared for a class is locked
    assert f"teacher link (keep it private): http://localhost:8501/?teacher={key}" in err and key not in out
    assert set(classroom.pins()) == {r["run_id"] for r in runs}
    store, victim = RunStore(), runs[0]["run_id"]
    stored = store.load(victim)  # a student's edited import, as "Replace my stored run" stored it before
    store.save(stored.config, stored.load_model(), stored.history, {**stored.metrics, "val_mse": 99.0},
               {k: v for k, v in stored.info.items() if k not in ("run_id", "created", "summary", "files")})
    assert store.load(victim).metrics["val_mse"] == 99.0
    assert cli.main(["prepare-lesson", "tiny", "--json"]) == 0
    out, err = capsys.readouterr()
    assert f"warning: run {victim} changed since prepare-lesson stored it; training it again" in err
    again = {r["run_id"]: r for r in json.loads(out)["runs"]}
    assert again[victim]["cached"] is False and again[victim]["metrics"] == runs[0]["metrics"]
    assert again[runs[1]["run_id"]]["cached"] is True
    assert classroom.changed_pins(store, list(again)) == []


@pytest.mark.slow  # trains one tiny run in-process: about 5-15 s with the Keras import
def test_a_ceiling_set_for_the_command_line_stops_its_run_and_keeps_it(rnnviz_home, monkeypatch, capsys):
    classroom.ensure_key()  # classroom mode alone gives the app's runs 20 minutes, not the teacher's commands
    monkeypatch.setenv("RNNVIZ_MAX_RUN_MINUTES", "1e-6")
    assert cli.main(["train", "--epochs", "30", "--units", "4", "--json"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "error: Stopped after epoch 1 of 30: it reached this server's ceiling" in err
    stored, _ = RunStore().list()
    assert len(stored) == 1 and len(stored[0].history["loss"]) == 1  # kept, as stopped
