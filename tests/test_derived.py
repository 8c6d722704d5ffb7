"""Results computed from a run's weights and kept beside them (`StoredRun.derived`): computed once, read back by
another process, computed again when the weights' files change or the kept file is damaged."""

import numpy as np

from rnnviz.config import RunConfig
from rnnviz.store.runs import StoredRun


def _run(tmp_path) -> StoredRun:
    (tmp_path / "model.keras").write_bytes(b"weights v1")
    (tmp_path / "info.json").write_text("{}")
    return StoredRun("abc", RunConfig(), {}, {}, {}, tmp_path)


def test_computed_once_then_read_back(tmp_path):
    run, calls = _run(tmp_path), []

    def compute():
        calls.append(1)
        return {"norms": np.arange(6.0).reshape(2, 3), "epochs": np.array([0, 5])}

    first = run.derived("looked", compute)
    again = StoredRun("abc", RunConfig(), {}, {}, {}, tmp_path).derived("looked", compute)  # another process
    assert len(calls) == 1
    for got in (first, again):
        np.testing.assert_array_equal(got["norms"], np.arange(6.0).reshape(2, 3))
        assert got["epochs"].tolist() == [0, 5]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["derived-looked.npz", "info.json", "model.keras"]


def test_recomputed_when_the_weights_change_or_the_file_is_damaged(tmp_path):
    run, calls = _run(tmp_path), []

    def compute():
        calls.append(1)
        return {"value": np.array([len(calls)])}

    assert run.derived("x", compute)["value"].tolist() == [1]
    (tmp_path / "model.keras").write_bytes(b"weights v2, retrained")  # another size and time
    assert run.derived("x", compute)["value"].tolist() == [2]
    assert run.derived("x", compute)["value"].tolist() == [2]
    (tmp_path / "derived-x.npz").write_bytes(b"not a zip")
    assert run.derived("x", compute)["value"].tolist() == [3]


def test_a_store_that_cannot_be_written_still_computes(tmp_path, monkeypatch):
    run = _run(tmp_path)

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied", str(dst))

    monkeypatch.setattr("rnnviz.store.runs.os.replace", refuse)
    assert run.derived("x", lambda: {"v": np.ones(2)})["v"].tolist() == [1.0, 1.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["info.json", "model.keras"]  # no temporary file left
