"""Shared fixtures: an isolated run store, and tiny configs that train in about a second."""

import pytest

from rnnviz.config import CosineData, RunConfig


@pytest.fixture(autouse=True)
def rnnviz_home(tmp_path, monkeypatch):
    """Every test gets its own empty `$RNNVIZ_HOME` and Keras cache, no data folder, no downloads, and
    trainings on the Trainer's own threads."""
    home = tmp_path / "rnnviz_home"
    monkeypatch.setenv("RNNVIZ_HOME", str(home))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.delenv("RNNVIZ_DATA_DIR", raising=False)
    monkeypatch.delenv("RNNVIZ_RAY_ADDRESS", raising=False)  # tests that want a Ray cluster name their own
    monkeypatch.setenv("RNNVIZ_OFFLINE", "1")
    # trainings in this process (tests monkeypatch loaders and spy on the trainer); tests of the training
    # processes (tests/test_executors.py) make a `ProcessExecutor` themselves
    monkeypatch.setenv("RNNVIZ_EXECUTOR", "thread")
    return home


def tiny(**changes) -> RunConfig:
    """A cosine config small enough to train in about a second."""
    base = RunConfig(data=CosineData(length=200, window=10), units=4, epochs=2, batch_size=16)
    return base.replace(**changes)


@pytest.fixture
def tiny_cfg() -> RunConfig:
    return tiny()


def set_sidebar(at, values: dict) -> None:
    """Sets sidebar sliders or number inputs by key (which kind a config field gets is the sidebar's business)."""
    widgets = {w.key: w for w in [*at.sidebar.slider, *at.sidebar.number_input]}
    for key, value in values.items():
        widgets[key].set_value(value)
