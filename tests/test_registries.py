"""The cell and task registries are the one place that names cells and data kinds: outside them no code tests
a name (`cell == "lstm"`, `data.name == "imdb"`, `task == "regression"`), and every task row is complete (its
options' shapes match the data it loads, its quick preset trains it, its pages open it)."""

import re
from pathlib import Path

import numpy as np
import pytest

from rnnviz.config import cells, presets, tasks
from rnnviz.data import loaders as data
from rnnviz.models import budget, build_model

ROOT = Path(__file__).resolve().parent.parent
NAMES = "|".join(re.escape(n) for n in (*cells.CELLS, *tasks.TASKS, *tasks.OBJECTIVES))
TESTS = [
    re.compile(rf"""(cell|name|task|kind)\s*(==|!=)\s*["']({NAMES})["']"""),
    re.compile(rf"""["']({NAMES})["']\s*(==|!=)\s*\w"""),
    re.compile(rf"""(cell|name|task|kind)\s+(not\s+)?in\s*[(\[{{]\s*["']({NAMES})["']"""),
]
OWN_NAMES = {"rnnviz/config/cells.py", "rnnviz/config/tasks.py",  # the registries themselves
             "rnnviz/data/standard.py"}  # the reader of the standard files names its file sets ("imdb", "cifar10")


def _sources() -> list[Path]:
    return [p for p in [ROOT / "app.py", *sorted((ROOT / "rnnviz").rglob("*.py")), *sorted((ROOT / "pages").glob("*.py"))]
            if p.relative_to(ROOT).as_posix() not in OWN_NAMES]


def test_no_code_outside_the_registries_tests_a_cell_or_data_name():
    found = [f"{p.relative_to(ROOT)}:{k}: {line.strip()}" for p in _sources()
             for k, line in enumerate(p.read_text().splitlines(), 1)
             if not line.lstrip().startswith("#") and any(t.search(line) for t in TESTS)]
    assert found == [], "ask rnnviz.config.cells / rnnviz.config.tasks instead:\n" + "\n".join(found)


def test_the_name_check_finds_what_it_looks_for():  # the test above can fail
    for line in ('if cfg.cell == "lstm":', 'if data.name != "imdb":', "x = task == 'regression'",
                 'if cfg.data.name in ("cosine", "memory"):', 'if "gru" == cell:'):
        assert any(t.search(line) for t in TESTS), line
    assert not any(t.search('if cfg.cell == other.cell:') for t in TESTS)


@pytest.mark.parametrize("name", list(tasks.TASKS))
def test_each_task_row_is_complete(name):
    task = tasks.of(name)
    preset = presets.get(task.quick).config
    assert preset.data.name == name and task.kind is type(preset.data)
    assert task.objective.name == preset.data.task and name in data.LOADERS
    assert {f"pages/{p if p != 'review' else 'inspect_review'}.py" for p in task.pages if p in ("write", "review")} <= {
        p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py")}
    shape = task.kind().shape()
    empty = data.empty(task.kind())
    assert empty.x_train.shape[1:] == shape.inputs and empty.n_outputs == shape.outputs
    assert empty.x_train.dtype == (np.int32 if task.inputs == "ids" else np.float32)


@pytest.mark.parametrize("name", ["cosine", "memory"])
def test_generated_shapes_match_the_loaded_data(name):
    task = tasks.of(name)
    opts = presets.get(task.quick).config.data
    ds = data.load(opts, 0)
    shape = opts.shape()
    assert ds.x_train.shape[1:] == shape.inputs and ds.y_train.shape[1:] == shape.targets
    assert task.generated and name in data.GENERATED


@pytest.mark.parametrize("name", list(tasks.TASKS))
def test_the_parameter_count_from_the_shape_is_keras_count(name):
    cfg = presets.get(tasks.of(name).quick).config.replace(units=3, embedding_dim=4, layers=1)
    if tasks.of(name).inputs == "ids":
        cfg = cfg.replace(data=cfg.data.__class__(**{**cfg.data.__dict__, "vocab_size": 1000}))
    assert budget.param_count(cfg) == build_model(cfg, data.empty(cfg.data)).count_params()


def test_unknown_names_are_refused_with_the_known_ones():
    with pytest.raises(ValueError, match=r"`data` must be one of \['cosine'.*Received: data='mnist'"):
        tasks.of("mnist")
    with pytest.raises(ValueError, match="Received: cell='rnn'"):
        cells.row("rnn")
    assert tasks.with_pages("write") == ("imdb_lm", "text") and tasks.FILE_SETS == ("imdb", "cifar10", "aclImdb")


def test_the_names_scripts_import_stay_where_they_were():
    import rnnviz.config
    import rnnviz.models
    import rnnviz.probe
    import rnnviz.store

    assert rnnviz.config.RunConfig().data == rnnviz.config.CosineData()
    assert {"ImdbData", "CifarData", "MemoryData", "TextData"} <= set(dir(rnnviz.config))
    assert callable(rnnviz.probe.gates) and callable(rnnviz.probe.probe_model)
    assert callable(rnnviz.models.build_model) and callable(rnnviz.models.recurrent_layer)
    assert rnnviz.store.RunStore.__name__ == "RunStore"
