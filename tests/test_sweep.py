"""Sweeps: parsing `FIELD=V1,...`, the grid and its limits, the tidy table, figures, and `python -m rnnviz sweep`."""

import json

import numpy as np
import pandas as pd
import pytest

from rnnviz import cli
from rnnviz.config import MemoryData, RunConfig
from rnnviz.plots import sweep as sweep_plots
from rnnviz.store import RunStore
from rnnviz.training import sweep

BASE = RunConfig(data=MemoryData(steps=8, samples=200), units=2, epochs=1, batch_size=32)
TINY = ["--data", "memory", "--set", "steps=8", "--set", "samples=200", "--units", "2", "--epochs", "1",
        "--batch-size", "32"]


def test_values_are_typed_as_their_field():
    assert sweep.parse_vary("steps=10, 25,50", BASE) == ("steps", [10, 25, 50])
    assert sweep.parse_vary("learning-rate=1e-3,0.01", BASE) == ("learning_rate", [0.001, 0.01])
    assert sweep.parse_vary("recall=false,true", BASE) == ("recall", [False, True])
    assert sweep.parse_vary("cell=lstm,gru", BASE) == ("cell", ["lstm", "gru"])


@pytest.mark.parametrize("items, named", [
    (["nonsense=1,2"], "'nonsense'"),
    (["steps=10,x"], "`steps` must be a whole number. Received: steps='x'"),
    (["steps=10,2"], "`steps` must be an int from 5 to 1000. Received: steps=2"),
    (["cell=lstm,tree"], "`cell` must be one of .*Received: cell='tree'"),
    (["maxlen=10,20"], "'maxlen'"),  # an IMDB option, not one of the adding problem's
    (["steps"], "FIELD=V1,V2"),
    ([], "at least one field"),
    (["steps=10", "seed=1", "units=2"], "at most 2 fields"),
    (["steps=10", "steps=20"], "Received: steps twice"),
])
def test_bad_input_names_the_field_or_value(items, named):
    with pytest.raises(ValueError, match=named):
        sweep.from_items(BASE, items)


def test_more_than_sixty_runs_is_refused_with_the_count():
    with pytest.raises(ValueError, match=r"at most 60 runs\. Received: 7 x 9 = 63 runs"):
        sweep.from_items(BASE, ["steps=10,11,12,13,14,15,16", "seed=1,2,3,4,5,6,7,8,9"])
    vary, configs = sweep.from_items(BASE, ["steps=" + ",".join(map(str, range(10, 40))), "seed=1,2"])
    assert len(configs) == 60


def test_grid_is_every_combination_first_field_slowest_duplicates_once():
    vary, configs = sweep.from_items(BASE, ["cell=lstm,gru", "steps=10,20,10"])
    assert vary == {"cell": ["lstm", "gru"], "steps": [10, 20, 10]}
    assert [(c.cell, c.data.steps) for c in configs] == [("lstm", 10), ("lstm", 20), ("gru", 10), ("gru", 20)]
    assert all(c.replace(cell="lstm", data=BASE.data) == BASE.replace(cell="lstm") for c in configs)
    assert sweep.from_items(BASE, sweep.from_text(sweep.to_text(vary)))[0] == vary


def test_results_table_has_one_row_per_run_with_fields_and_metrics(tmp_path):
    from rnnviz.training.jobs import Trainer

    trainer = Trainer(RunStore(tmp_path), workers=1)
    vary, configs = sweep.from_items(BASE, ["cell=simple_rnn,gru"])
    jobs = sweep.wait(sweep.submit(trainer, configs))
    assert [j.state for j in jobs] == ["done", "done"] and not any(j.cached for j in jobs)
    df = sweep.results(jobs, vary)
    assert list(df["cell"]) == ["simple_rnn", "gru"] and list(df["steps"]) == [8, 8]
    assert {"val_mse", "baseline_mse", "run_id", "units", "learning_rate", "train_seconds"} <= set(df.columns)
    for job, (_, row) in zip(jobs, df.iterrows()):  # the numbers are the stored runs' own
        stored = RunStore(tmp_path).load(job.run_id)
        assert row["val_mse"] == stored.metrics["val_mse"] and row["run_id"] == stored.run_id
    again = sweep.wait(sweep.submit(Trainer(RunStore(tmp_path)), configs))
    assert all(j.cached for j in again)
    assert sweep.best(df, "val_mse")["val_mse"] == df["val_mse"].min()
    assert sweep.metric_of(df) == "val_mse"


def test_figures_draw_one_line_per_cell_and_a_heatmap_of_two_numbers():
    df = pd.DataFrame({"cell": ["lstm", "lstm", "gru", "gru"], "steps": [10, 50, 10, 50],
                       "val_mse": [0.01, 0.1, 0.02, 0.03], "baseline_mse": [0.16] * 4, "run_id": list("abcd")})
    fig = sweep_plots.metric_figure(df, ["cell", "steps"], "val_mse")
    lines = {t.name: list(t.y) for t in fig.data}
    assert lines == {"LSTM": [0.01, 0.1], "GRU": [0.02, 0.03]}  # the names people read, not simple_rnn or lstm
    assert fig.layout.shapes[0].y0 == 0.16  # the baseline
    df2 = df.assign(units=[2, 2, 4, 4]).drop(columns="cell").assign(cell="gru")
    heat = sweep_plots.heatmap_figure(df2, ["steps", "units"], "val_mse")
    np.testing.assert_allclose(heat.data[0].z, [[0.01, 0.1], [0.02, 0.03]])


def test_cli_invalid_input_exits_2_and_runs_nothing(rnnviz_home, capsys):
    assert cli.main(["sweep", *TINY, "--vary", "bogus=1,2"]) == 2
    assert "bogus" in capsys.readouterr().err
    assert cli.main(["sweep", *TINY, "--vary", "units=2,0"]) == 2
    assert "Received: units=0" in capsys.readouterr().err
    assert cli.main(["sweep", *TINY, "--vary", "seed=" + ",".join(map(str, range(61)))]) == 2
    assert "61 runs" in capsys.readouterr().err
    assert RunStore().list() == ([], [])


def test_cli_sweep_json_then_cached(rnnviz_home, capsys):
    argv = ["sweep", *TINY, "--vary", "cell=simple_rnn,lstm", "--json"]
    assert cli.main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["vary"] == {"cell": ["simple_rnn", "lstm"]}
    assert [r["config"]["cell"] for r in out["runs"]] == ["simple_rnn", "lstm"]
    for run in out["runs"]:
        assert {"run_id", "cached", "config", "metrics", "train_seconds", "device"} <= set(run)
        assert run["cached"] is False and run["run_id"] == RunConfig.from_dict(run["config"]).run_id
        assert RunStore().load(run["run_id"]).metrics == run["metrics"]  # an ordinary stored run
        assert {"val_mse", "baseline_mse"} <= set(run["metrics"])
    assert cli.main(argv) == 0
    again = json.loads(capsys.readouterr().out)
    assert [r["run_id"] for r in again["runs"]] == [r["run_id"] for r in out["runs"]]
    assert all(r["cached"] for r in again["runs"])


def test_stop_all_stops_the_running_run_and_the_queued_ones(tmp_path):
    from rnnviz.training.jobs import Trainer

    store = RunStore(tmp_path)
    vary, configs = sweep.from_items(BASE.replace(epochs=50), ["seed=1,2,3"])
    jobs = sweep.submit(Trainer(store, workers=1), configs)
    sweep.stop_all(jobs)  # the first is still building its model, the others queued
    sweep.wait(jobs)
    assert [j.state for j in jobs] == ["stopped"] * 3
    assert store.list()[0] == []  # a stopped run is not stored
    assert [r["state"] for r in map(sweep.run_record, jobs)] == ["stopped"] * 3


def test_a_recall_sweep_draws_each_values_own_baseline_and_log_axes_say_so():
    df = pd.DataFrame({"cell": ["lstm", "lstm", "gru", "gru"], "recall": [False, True, False, True],
                       "val_mse": [0.15, 0.07, 0.01, 0.005], "baseline_mse": [0.163, 0.080, 0.163, 0.080],
                       "run_id": list("abcd")})
    fig = sweep_plots.metric_figure(df, ["cell", "recall"], "val_mse")
    base = [t for t in fig.data if t.name and t.name.startswith("baseline")]
    assert len(base) == 1 and list(base[0].y) == pytest.approx([0.163, 0.080])  # recall False, True
    assert not fig.layout.shapes  # no single line across at one of them
    assert "log scale" in fig.layout.yaxis.title.text
    same = sweep_plots.metric_figure(df.assign(baseline_mse=0.163), ["cell", "recall"], "val_mse")
    assert len(same.layout.shapes) == 1 and not [t for t in same.data if t.name.startswith("baseline")]


def test_a_language_model_sweep_is_judged_by_perplexity():
    df = pd.DataFrame({"cell": ["lstm", "lstm"], "units": [8, 16], "val_perplexity": [9.0, 7.5],
                       "val_loss": [2.2, 2.0], "train_seconds": [1.0, 2.0], "run_id": ["a", "b"]})
    assert sweep.metric_of(df) == "val_perplexity" and sweep.best(df, "val_perplexity")["units"] == 16
    fig = sweep_plots.metric_figure(df, ["units"], "val_perplexity")
    assert fig.layout.yaxis.title.text.startswith("validation perplexity")
