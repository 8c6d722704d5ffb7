"""The adding problem (data kind `memory`): generation, baseline, metrics, presets and the marks on the figures."""

import json

import numpy as np
import pytest

from rnnviz.models import budget
from rnnviz.data import loaders as data
from rnnviz.plots import adding as memory
from rnnviz.training import metrics
from rnnviz.config import presets
from rnnviz.config import MemoryData, RunConfig


def test_sequences_have_one_mark_per_half_and_the_target_is_their_sum():
    opts = MemoryData(steps=7, samples=300)
    x, y = data.adding_problem(opts, seed=3)
    assert x.shape == (300, 7, 2) and y.shape == (300, 1) and x.dtype == y.dtype == np.float32
    assert ((x[..., 0] >= 0) & (x[..., 0] < 1)).all()
    assert set(np.unique(x[..., 1])) == {0.0, 1.0}
    for xi, yi in zip(x, y):  # a plain loop as the reference for the vectorised generation
        marked = [t for t in range(7) if xi[t, 1] == 1.0]
        assert len(marked) == 2 and marked[0] < 7 // 2 <= marked[1]
        assert yi[0] == pytest.approx(xi[marked[0], 0] + xi[marked[1], 0], abs=1e-6)
        assert list(data.marked_steps(xi[None])[0]) == marked


def test_recall_answers_the_first_mark_and_the_seed_decides_the_data():
    x, y = data.adding_problem(MemoryData(steps=10, samples=200, recall=True), seed=1)
    first = data.marked_steps(x)[:, 0]
    np.testing.assert_array_equal(y[:, 0], x[np.arange(200), first, 0])
    again, _ = data.adding_problem(MemoryData(steps=10, samples=200, recall=True), seed=1)
    other, _ = data.adding_problem(MemoryData(steps=10, samples=200, recall=True), seed=2)
    np.testing.assert_array_equal(x, again)
    assert not np.array_equal(x, other)


@pytest.mark.parametrize("recall, expected", [(False, 1 / 6), (True, 1 / 12)])
def test_baseline_is_the_variance_of_the_target(recall, expected):
    # Var(U1 + U2) = 2/12 = 1/6 and Var(U1) = 1/12; 10,000 validation sequences: standard error about 0.002
    ds = data.load(MemoryData(steps=20, samples=20_000, val_fraction=0.5, recall=recall), seed=0)
    assert len(ds.x_train) == len(ds.x_val) == 10_000
    assert ds.extra["baseline_mse"] == pytest.approx(expected, abs=0.01)
    manual = np.mean((ds.y_val.astype(np.float64) - ds.y_train.astype(np.float64).mean()) ** 2)
    assert ds.extra["baseline_mse"] == pytest.approx(manual, rel=1e-9)


@pytest.mark.parametrize("field, value", [("steps", 4), ("steps", 1001), ("samples", 99), ("val_fraction", 0.6),
                                          ("recall", "yes")])
def test_invalid_options_name_the_field(field, value):
    with pytest.raises(ValueError, match=f"`{field}`.*Received: {field}="):
        MemoryData(**{field: value})


def test_config_round_trips_and_old_run_ids_stay():
    cfg = RunConfig(data=MemoryData(steps=30, recall=True), cell="gru")
    assert RunConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    assert RunConfig.from_query(cfg.to_query())[0] == cfg
    assert RunConfig().run_id == RunConfig.from_dict({"data": {"name": "cosine"}}).run_id


def test_a_constant_answer_scores_the_baseline_and_evaluate_reports_both():
    """A model whose head answers the training mean whatever it reads must score exactly the baseline."""
    from rnnviz.models import build_model

    cfg = RunConfig(data=MemoryData(steps=8, samples=400), units=3, epochs=1)
    ds = data.load(cfg.data, cfg.seed)
    model = build_model(cfg, ds)
    head = model.get_layer("head")
    head.set_weights([np.zeros_like(head.get_weights()[0]), np.array([ds.y_train.mean()], np.float32)])
    scores = metrics.evaluate(model, ds)
    assert set(scores) >= {"val_mse", "baseline_mse"}
    assert scores["val_mse"] == pytest.approx(scores["baseline_mse"], rel=1e-5)
    assert model.count_params() == budget.param_count(cfg)


def test_presets_are_one_trio_at_fifty_steps():
    names = ["memory-simple-rnn", "memory-lstm", "memory-gru"]
    configs = [presets.get(n).config for n in names]
    assert [c.cell for c in configs] == ["simple_rnn", "lstm", "gru"]
    assert all(c.data == MemoryData(steps=50) for c in configs)
    assert len({c.replace(cell="lstm") for c in configs}) == 1  # only the cell differs
    lstm = presets.get("memory-lstm")
    assert lstm.meets({"val_mse": 0.009}, 80) and not lstm.meets({"val_mse": 0.02}, 80)
    assert not lstm.meets({"val_mse": 0.009}, 95)


def test_keep_between_is_the_gate_over_the_span():
    f = np.full((10, 4), 0.9)  # (time, units)
    f[:, 0] = 0.5
    keep = memory.keep_between({"f": f}, "lstm", [2, 6])  # steps 3..6 (0-based): 4 steps
    assert keep["span"] == 4
    assert keep["mean"] == pytest.approx((0.5 + 3 * 0.9) / 4)
    assert keep["kept"] == pytest.approx((0.5**4 + 3 * 0.9**4) / 4)
    assert keep["units_open"] == 0.0  # 0.9 is not above 0.9
    assert memory.keep_between({"h": f}, "simple_rnn", [2, 6]) is None


def test_marks_are_drawn_at_their_steps_on_every_panel():
    from rnnviz.plots import states as state_plots

    ticks = [str(t + 1) for t in range(12)]
    g = {"f": np.random.default_rng(0).random((12, 3)), "i": np.zeros((12, 3))}
    fig = state_plots.gates_heatmaps(g, ["i", "f"], {"i": "input gate i", "f": "forget gate f"},
                                     {"i": (0, 1), "f": (0, 1)}, ticks, "step", "t")
    memory.mark_steps(fig, [2, 9], ticks)
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    # positions, not names: Plotly reads "10" on a category axis as position 10, the 11th step (Chromium showed
    # the marks one step late); position 9 is the step named "10"
    assert sorted({s.x0 for s in lines}) == [2, 9] and [ticks[x] for x in sorted({s.x0 for s in lines})] == ["3", "10"]
    assert {s.xref for s in lines} == {"x", "x2"}  # both panels
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert {(s.x0, s.x1) for s in rects} == {(2.5, 9.5)}
    x = np.zeros((12, 2), np.float32)
    x[[2, 9], 1] = 1
    assert memory.marks(x) == [2, 9]
    path = memory.mark_path(memory.sequence_figure(x, 0.5, "s"), np.arange(24.0).reshape(12, 2), [2, 9])
    np.testing.assert_array_equal(path.data[-1].x, [4.0, 18.0])
