"""IMDB language-model runs stored before the `text` data kind (issue 24) still list, load, keep their ids, and write.

`tests/data/store-imdb-lm-2026-12-07/` was written by the code of main at 5cca338 (before `text`), Keras 3.15 on
TensorFlow 2.21, on `tests.fakedata.write_imdb(DIR, n_train=60, n_test=40)`, with these commands:

    TINY="--units 2 --set embedding_dim=4 --epochs 1 --batch-size 16 --set seq_len=8 --set train_size=100 --set val_size=10"
    python -m rnnviz train --data imdb_lm --set level=char $TINY --data-dir DIR
    python -m rnnviz train --data imdb_lm --set level=word --set vocab_size=100 $TINY --data-dir DIR
"""

import json
import shutil
from pathlib import Path

import pytest

from rnnviz import cli
from rnnviz.config import RunConfig, tasks
from rnnviz.data import loaders
from rnnviz.inspect import write
from rnnviz.store import RunStore
from tests import fakedata

OLD_STORE = Path(__file__).parent / "data" / "store-imdb-lm-2026-12-07"
OLD_RUNS = {"e2f72a984c70": "char", "0dc84cb210e3": "word"}  # the ids the old code gave them: never to change


@pytest.fixture
def old_store(rnnviz_home, tmp_path) -> Path:
    shutil.copytree(OLD_STORE, rnnviz_home, dirs_exist_ok=True)
    return fakedata.write_imdb(tmp_path / "data", n_train=60, n_test=40).parent


def test_old_language_model_runs_list_with_their_ids(old_store, capsys):
    runs, problems = RunStore().list()
    assert problems == [] and {r.run_id for r in runs} == set(OLD_RUNS)
    for run in runs:
        assert RunConfig.from_dict(run.config.to_dict()).run_id == run.run_id
        assert run.config.data.level == OLD_RUNS[run.run_id] and "write" in tasks.of(run.config.data).pages
    assert cli.main(["runs", "--json"]) == 0
    assert {r["run_id"] for r in json.loads(capsys.readouterr().out)} == set(OLD_RUNS)


@pytest.mark.parametrize("run_id", list(OLD_RUNS))
def test_old_language_model_runs_load_and_write(old_store, run_id):
    run = RunStore().load(run_id)
    tokens = loaders.tokens_for(run.config.data, str(old_store))
    assert not tokens.raw and tokens.size == loaders.empty(run.config.data).n_outputs
    w = write.generate(run.load_model(), tokens, "the movie", 5, temperature=0)
    assert len(w.ids) == 5 and w.states.shape == (5, 2)
    assert set(write.features(tokens, w.ids)) == {"position in the word", "position in the review",
                                                   "a space (word boundary)"}
