"""Bounded reading: zip member lists and sizes checked before reading, capped reads, JSON nesting depth."""

import io
import json
import zipfile

import numpy as np
import pytest

from rnnviz.data import files


def _depth(obj) -> int:
    """Nesting depth of a parsed JSON value (the independent reference for `json_depth`)."""
    if isinstance(obj, dict):
        return 1 + max((_depth(v) for v in obj.values()), default=0)
    if isinstance(obj, list):
        return 1 + max((_depth(v) for v in obj), default=0)
    return 0


def _random_json(rng, depth: int):
    if depth == 0 or rng.random() < 0.2:
        return rng.choice(["a]b{c", 'quote " and \\\\ [', 1.5, None, True, "}}}"])
    items = [_random_json(rng, depth - 1) for _ in range(rng.integers(0, 4))]
    return items if rng.random() < 0.5 else {f"k{i}[": v for i, v in enumerate(items)}


def test_json_depth_matches_the_parsed_structure():
    rng = np.random.default_rng(0)
    for _ in range(300):
        obj = _random_json(rng, int(rng.integers(0, 8)))
        assert files.json_depth(json.dumps(obj).encode()) == _depth(obj)


def test_load_json_refuses_deep_nesting_without_recursion():
    with pytest.raises(ValueError, match="nests 200,000 levels"):
        files.load_json(b"[" * 200_000 + b"]" * 200_000, "x.json", 64)
    assert files.load_json(b'{"a": [[1]]}', "x.json", 3) == {"a": [[1]]}
    with pytest.raises(ValueError, match="x.json is unreadable"):
        files.load_json(b"{oops", "x.json", 64)


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def test_open_zip_counts_members_before_parsing_them():
    blob = _zip({f"{i}.txt": b"" for i in range(40)})
    assert len(files.open_zip(blob, "z", 40).namelist()) == 40
    with pytest.raises(ValueError, match="40 members; at most 39"):
        files.open_zip(blob, "z", 39)
    with pytest.raises(ValueError, match="not a zip"):
        files.open_zip(b"hello", "z", 10)


def test_read_members_caps_each_member_and_the_total():
    archive = files.open_zip(_zip({"a.json": b"x" * 100, "b.h5": b"y" * 1000}), "z", 10)
    assert files.read_members(archive, "z", {"": 100, ".h5": 1000}, 1100) == {"a.json": b"x" * 100,
                                                                               "b.h5": b"y" * 1000}
    with pytest.raises(ValueError, match="z: a.json unpacks to 100 bytes, more than the 99 bytes"):
        files.read_members(archive, "z", {"": 99, ".h5": 1000}, 1100)
    with pytest.raises(ValueError, match="z unpacks to 1,100 bytes"):
        files.read_members(archive, "z", {"": 1000}, 1099)


def test_read_capped_stops_one_byte_past_the_limit():
    source = io.BytesIO(b"z" * 10_000)
    with pytest.raises(ValueError, match="header says 5 bytes"):
        files.read_capped(source, 5, "m", 100)
    assert source.tell() == 101
