"""The class's answers (rnnviz/learn/tally.py): one vote per voter, bounded storage, atomic writes, a damaged file
set aside with the other steps' answers kept, wrong-typed entries dropped alone (issue 21, item 4)."""

import json
import os

from rnnviz.learn import tally as tally_module
from rnnviz.learn.tally import Tally


def test_a_voter_counts_once_and_a_fresh_server_reads_the_same_answers(tmp_path):
    t = Tally(tmp_path / "answers.json")
    for choice in (1, 0, 2):  # the same browser voting again (a reload): its vote moves
        t.vote("tiny", 0, "browser-a", choice)
    t.vote("tiny", 0, "browser-b", 2)
    assert t.counts("tiny", 0, 3) == [0, 0, 2]
    assert Tally(tmp_path / "answers.json").counts("tiny", 0, 3) == [0, 0, 2]
    assert t.mine("tiny", 0, "browser-a") == 2 and t.mine("tiny", 0, "browser-c") is None


def test_the_first_format_is_still_read(tmp_path):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"tiny/0": {"s1": 1, "s2": 0}, "tiny/1": {"s1": 1}}))
    t = Tally(path)
    assert t.counts("tiny", 0, 2) == [1, 1] and t.counts("tiny", 1, 2) == [0, 1]
    t.vote("tiny", 1, "s2", 0)
    assert Tally(path).counts("tiny", 0, 2) == [1, 1] and Tally(path).counts("tiny", 1, 2) == [1, 1]


def test_a_truncated_file_is_set_aside_once_and_the_other_steps_answers_are_kept(tmp_path, caplog):
    path = tmp_path / "answers.json"
    t = Tally(path)
    t.vote("tiny", 0, "a", 1)
    t.vote("tiny", 1, "a", 0)
    text = path.read_text()
    path.write_text(text[: len(text) // 2])  # a crash elsewhere, a full disk: half a file
    t.vote("tiny", 2, "b", 1)
    t.vote("tiny", 2, "c", 1)
    assert [r.levelname for r in caplog.records] == ["WARNING"]  # logged once
    assert t.counts("tiny", 0, 2) == [0, 1] and t.counts("tiny", 1, 2) == [1, 0] and t.counts("tiny", 2, 2) == [0, 2]
    assert Tally(path).counts("tiny", 0, 2) == [0, 1]  # written back: a fresh server reads them too
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("answers.json.damaged-")]
    assert len(aside) == 1 and aside[0].read_text() == text[: len(text) // 2]  # kept for a person to look at
    problem = t.problem()
    assert "set aside as answers.json.damaged-" in problem and "\n" not in problem
    assert t.problem() == problem  # kept for the teacher's view


def test_a_wrong_typed_entry_is_dropped_alone_and_never_stops_a_vote(tmp_path):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"version": 2, "resets": {"tiny": "soon"},
                                "votes": {"tiny/0": {"a": [1, 5.0], "b": "x", "c": [True, 1.0], "d": [0, None]},
                                          "tiny/1": [1, 2], "nokey": {"a": [0, 1.0]}}}))
    t = Tally(path)
    t.vote("tiny", 1, "e", 0)
    assert t.counts("tiny", 0, 2) == [0, 1] and t.counts("tiny", 1, 2) == [1, 0]
    for doc in ([1, 2], "text", 3, None):  # a file of the wrong type altogether: set aside, the vote counted
        path.write_text(json.dumps(doc))
        t.vote("tiny", 1, "f", 1)
        assert t.counts("tiny", 1, 2) == [1, 1] and t.counts("tiny", 0, 2) == [0, 1]


def test_storage_is_bounded_by_resets_and_the_caps(tmp_path, monkeypatch):
    path = tmp_path / "answers.json"
    t = Tally(path)
    t.vote("old", 0, "a", 1)
    t.vote("tiny", 0, "a", 1)
    t.reset("old")  # the lesson's last reset: its earlier votes are dropped, other lessons' kept
    t.vote("old", 1, "b", 0)
    assert t.counts("old", 0, 2) == [0, 0] and t.counts("old", 1, 2) == [1, 0] and t.counts("tiny", 0, 2) == [0, 1]
    assert "old/0" not in json.loads(path.read_text())["votes"]
    monkeypatch.setattr(tally_module, "MAX_VOTERS", 3)
    monkeypatch.setattr(tally_module, "MAX_STEPS", 2)
    for n in range(10):
        t.vote("tiny", 0, f"v{n}", 0)
    doc = json.loads(path.read_text())["votes"]
    assert sorted(doc["tiny/0"]) == ["v7", "v8", "v9"]  # the latest votes
    assert len(doc) == 2 and "tiny/0" in doc  # the steps answered last
    t.vote("tiny", 0, "x" * 10_000, 1)  # a voter id no browser of this app sends is cut, not stored whole
    assert max(len(v) for v in json.loads(path.read_text())["votes"]["tiny/0"]) <= tally_module.MAX_KEY


def test_writes_are_atomic_and_leave_no_temporary_files(tmp_path, monkeypatch):
    path = tmp_path / "answers.json"
    t = Tally(path)
    t.vote("tiny", 0, "a", 1)
    before = path.read_text()

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tally_module.os, "replace", fail)
    try:
        t.vote("tiny", 0, "b", 0)
    except OSError:
        pass
    assert path.read_text() == before  # the file is the old one, whole
    assert sorted(os.listdir(tmp_path)) == ["answers.json"]  # no temporary file left behind
