"""RunConfig: validation names the field and value; the run id is stable and ignores representation."""

import subprocess
import sys

import pytest

from rnnviz.config import CosineData, RunConfig

BAD = [
    ("cell", "rnn"), ("bidirectional", 1), ("layers", 0), ("layers", 4), ("units", 0), ("units", 2.5),
    ("activation", "gelu"), ("dropout", -0.1), ("dropout", 1.0), ("recurrent_dropout", 1.5),
    ("epochs", 0), ("batch_size", 0), ("learning_rate", 0.0), ("learning_rate", float("nan")),
    ("optimizer", "adagrad"), ("seed", -1), ("seed", True),
]


@pytest.mark.parametrize("name,value", BAD)
def test_invalid_field_names_field_and_value(name, value):
    with pytest.raises(ValueError) as e:
        RunConfig(**{name: value})
    assert f"`{name}`" in str(e.value) and f"{name}={value!r}" in str(e.value)


@pytest.mark.parametrize("name,value", [("length", 50), ("period", 1.0), ("noise", -1.0), ("window", 1),
                                        ("horizon", 0), ("val_fraction", 0.9)])
def test_invalid_cosine_option(name, value):
    with pytest.raises(ValueError, match=f"`{name}`"):
        CosineData(**{name: value})


def test_window_must_fit_in_both_spans():
    with pytest.raises(ValueError, match="long enough"):
        CosineData(length=200, window=180)


def test_round_trip_and_unknown_field():
    cfg = RunConfig(cell="gru", bidirectional=True, layers=2, data=CosineData(noise=0.1))
    assert RunConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="`colour`"):
        RunConfig.from_dict({**cfg.to_dict(), "colour": "red"})


def test_run_id_is_a_fixed_value_in_a_fresh_process():
    # sha256 of the canonical JSON: the same on every machine, process and hash seed
    code = "from rnnviz.config import RunConfig; print(RunConfig().run_id, RunConfig(units=64).run_id)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "123", "PATH": ""}, cwd=".").stdout.split()
    assert out == [RunConfig().run_id, RunConfig(units=64).run_id]
    assert RunConfig().run_id == "bec57ef0bfd8"  # pinned: changing it orphans every stored run


def test_run_id_ignores_int_vs_float_and_changes_with_any_field():
    assert RunConfig(data=CosineData(period=60)).run_id == RunConfig(data=CosineData(period=60.0)).run_id
    ids = {RunConfig().run_id, RunConfig(seed=1).run_id, RunConfig(data=CosineData(noise=0.05)).run_id,
           RunConfig(cell="gru").run_id, RunConfig(learning_rate=0.01).run_id}
    assert len(ids) == 5


def test_replace_changes_data_options():
    cfg = RunConfig().replace(units=8, data_window=20)
    assert cfg.units == 8 and cfg.data.window == 20 and cfg.data.length == 2000


def test_query_round_trip_for_every_preset():
    from rnnviz.config import presets

    for p in presets.PRESETS.values():
        q = p.config.to_query()
        assert all(isinstance(v, str) for v in q.values())
        assert RunConfig.from_query(q) == (p.config, [])


def test_query_ignores_what_it_cannot_use_and_says_so():
    cfg, notes = RunConfig.from_query({"data": "imdb", "cell": "gru", "units": "abc", "maxlen": "2",
                                       "zzz": "1", "mask": "false", "page": "x"}, ignore=("page",))
    assert cfg.cell == "gru" and cfg.data.mask is False
    assert cfg.units == RunConfig().units and cfg.data.maxlen == 200  # invalid values fall back to defaults
    assert any("units='abc'" in n and "whole number" in n for n in notes)
    assert any("maxlen='2'" in n for n in notes) and any("zzz" in n for n in notes)
    assert RunConfig.from_query({"data": "mnist"})[0] == RunConfig()


def test_config_error_carries_the_field_and_the_value():
    import pickle

    from rnnviz.config.checks import ConfigError

    with pytest.raises(ConfigError) as e:
        RunConfig(units=5000)
    assert isinstance(e.value, ValueError) and (e.value.field, e.value.value) == ("units", 5000)
    assert str(e.value) == "`units` must be an int from 1 to 1024. Received: units=5000"  # Keras's style
    again = pickle.loads(pickle.dumps(e.value))
    assert (again.field, again.value, str(again)) == ("units", 5000, str(e.value))
    with pytest.raises(ConfigError) as e:  # a rule across fields names the field it blames
        CosineData(length=200, window=180)
    assert e.value.field == "length"


def test_messages_cut_a_long_received_value():
    from rnnviz.config.checks import shorten

    huge = "x" * 100_000
    with pytest.raises(ValueError) as e:
        RunConfig(cell=huge)
    assert e.value.value == huge and len(str(e.value)) < 400 and "(99,8" in str(e.value)
    with pytest.raises(ValueError) as e:
        RunConfig.from_dict({huge: 1})
    assert len(str(e.value)) < 1000
    notes = RunConfig.from_query({"units": huge, huge: "1", "cell": huge, "data": huge})[1]
    assert len(notes) == 4 and all(len(n) < 500 for n in notes)
    assert shorten("abc") == "'abc'" and shorten(list(range(10))) == repr(list(range(10)))
    assert len(shorten(huge)) < 250 and shorten(huge).startswith("'xxx")
