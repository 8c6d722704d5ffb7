"""Fair comparisons: the trio shares split, order and seed; parameter matching; table and summary."""

import keras
import numpy as np
import pytest

from rnnviz import backend
from rnnviz.inspect import compare
from rnnviz.data import loaders as data
from rnnviz.training import fit as train
from rnnviz.config import CosineData, ImdbData
from rnnviz.training.jobs import train_and_store
from rnnviz.models import build_model
from rnnviz.store import RunStore
from rnnviz.config.vocab import TRIO
from tests.autodiff import gradient
from tests.conftest import tiny


def test_trio_differs_only_in_the_cell():
    cfg = tiny(units=6, dropout=0.1, seed=7)
    configs = compare.trio(cfg)
    assert [c.cell for c in configs] == list(TRIO)
    for c in configs:
        assert c.replace(cell=cfg.cell) == cfg  # everything else equal: data options, seed, settings


def test_trio_reads_the_same_split_and_order_with_the_same_seed(monkeypatch):
    seen = []
    real = backend.batches

    def spy(x, y, orders, batch_size):
        seen.append((x.copy(), y.copy(), orders.copy(), batch_size))
        return real(x, y, orders, batch_size)

    monkeypatch.setattr(backend, "batches", spy)  # the feeder train() reads through
    for cfg in compare.trio(tiny(epochs=2)):
        train.train(cfg)
    (x0, y0, o0, b0), *rest = seen
    assert o0.shape == (2, len(x0)) and not np.array_equal(o0[0], o0[1])  # reshuffled each epoch
    for x, y, o, b in rest:
        assert np.array_equal(x, x0) and np.array_equal(y, y0) and np.array_equal(o, o0) and b == b0


def test_data_order_depends_on_the_seed_only():
    a, b = data.epoch_orders(50, 3, seed=1), data.epoch_orders(50, 3, seed=1)
    assert np.array_equal(a, b) and not np.array_equal(a, data.epoch_orders(50, 3, seed=2))
    assert all(sorted(row) == list(range(50)) for row in a)  # each epoch reads every sample once


@pytest.mark.parametrize("cfg", [tiny(units=16), tiny(units=40, layers=2, bidirectional=True),
                                 tiny(data=ImdbData(vocab_size=500, maxlen=20), cell="gru", units=24)])
def test_matched_trio_is_within_5_percent(cfg):
    configs = compare.trio(cfg, match_params=True)
    counts = [build_model(c, data.empty(c.data)).count_params() for c in configs]  # independent count
    assert counts == [compare.param_count(c) for c in configs]
    assert compare.spread(counts) <= compare.MATCH_TOLERANCE, counts
    assert configs[TRIO.index(cfg.cell)] == cfg  # the reference keeps its units
    assert configs[0].units > configs[1].units  # SimpleRNN needs more units than LSTM for as many weights


@pytest.mark.parametrize("cfg", [tiny(units=32), tiny(cell="gru", units=48, bidirectional=True)])
def test_lstm_variants_set_matched_within_5_percent(cfg):
    configs = compare.trio(cfg, match_params=True, cells=compare.CELL_SETS["lstm_variants"])
    assert [c.cell for c in configs] == ["lstm", "lstm_peephole", "lstm_cifg", "gru", "mgu"]
    counts = [build_model(c, data.empty(c.data)).count_params() for c in configs]  # independent count
    assert counts == [compare.param_count(c) for c in configs]
    assert compare.spread(counts + [compare.param_count(cfg)]) <= compare.MATCH_TOLERANCE, counts
    assert [c.cell for c in compare.trio(cfg, cells=("lstm_cifg",))] == ["lstm_cifg"]
    with pytest.raises(ValueError, match="Received: cell='rnn'"):
        compare.trio(cfg, cells=("rnn",))


def test_table_and_summary_from_stored_runs(tmp_path):
    store = RunStore(tmp_path)
    runs = [train_and_store(c, store)[0] for c in compare.trio(tiny(epochs=3))]
    df = compare.table(runs)
    assert list(df["cell"]) == ["SimpleRNN", "LSTM", "GRU"]
    for run, (_, row) in zip(runs, df.iterrows()):
        rmse = np.sqrt(run.history["val_loss"])
        assert row["best validation RMSE"] == pytest.approx(rmse.min())
        assert row["best at epoch"] == int(np.argmin(rmse)) + 1
        assert row["parameters"] == run.info["params"]
        assert row["seconds per epoch"] == pytest.approx(run.info["train_seconds"] / 3)
    text = compare.summary(runs)
    best = df.sort_values("best validation RMSE").iloc[0]
    assert text.startswith(f"{best['cell']} ") and "best validation RMSE" in text and "Parameter counts differ" in text
    curves = compare.curves(runs)
    assert len(curves) == 3 * 2 * 3 and set(curves["split"]) == {"training", "validation"}
    assert curves["seconds"].notna().all()


def test_gradient_over_time_against_a_direct_gradient_tape(tmp_path):
    run, _ = train_and_store(tiny(epochs=2), RunStore(tmp_path))
    model = run.load_model()
    x, y = compare.probe_batch(data.load(run.config.data), n=8)
    df = compare.gradient_over_time(model, x, y)
    # independent: d(sum of per-sample MSE)/d input, for the cosine model, by the backend's autodiff
    yt = keras.ops.convert_to_tensor(y)
    grad = gradient(lambda xt: keras.ops.mean((model(xt) - yt) ** 2, axis=-1), x)
    expected = np.abs(grad[..., 0]).mean(axis=0)  # one feature: norm = |.|
    np.testing.assert_allclose(df["norm"], expected, rtol=1e-4, atol=1e-8)
    assert list(df["step"]) == list(range(1, x.shape[1] + 1))
    snaps = run.snapshots()
    by_epoch = compare.gradient_over_time(model, x, y, snaps, [0, 2])
    assert set(by_epoch["epoch"]) == {0, 2}
    np.testing.assert_allclose(by_epoch[by_epoch["epoch"] == 2]["norm"], expected, rtol=1e-4, atol=1e-8)
    assert np.array_equal(model.get_weights()[0], snaps[2][0])  # the final weights are back in place


def test_untrained_curve_comes_from_the_epoch_0_weights(tmp_path):
    """Compare's default gradient chart: epoch 0 (untrained) beside the trained weights, each checked against
    an independent gradient of a fresh model holding those weights."""
    run, _ = train_and_store(tiny(epochs=2), RunStore(tmp_path))
    snaps = run.snapshots()
    assert compare.gradient_epochs(list(snaps)) == [0, None]
    assert compare.gradient_epochs([]) == [None]  # a run stored before snapshots: only its trained curve
    assert compare.gradient_epochs(list(range(11)), across=True) == [0, 2, 4, 6, 8, 10]
    model = run.load_model()
    x, y = compare.probe_batch(data.load(run.config.data), n=8)
    df = compare.gradient_over_time(model, x, y, snaps, compare.gradient_epochs(list(snaps)))
    assert list(df["epoch"].drop_duplicates()) == [0, None]
    yt = keras.ops.convert_to_tensor(y)
    for epoch, weights in ((0, snaps[0]), (None, model.get_weights())):
        fresh = run.load_model()
        fresh.set_weights(weights)
        grad = gradient(lambda xt: keras.ops.mean((fresh(xt) - yt) ** 2, axis=-1), x)
        got = df[df["epoch"].isna()] if epoch is None else df[df["epoch"] == 0]
        np.testing.assert_allclose(got["norm"], np.abs(grad[..., 0]).mean(axis=0), rtol=1e-4, atol=1e-8)
    assert not np.allclose(df[df["epoch"] == 0]["norm"], df[df["epoch"].isna()]["norm"], rtol=1e-3)
    assert np.array_equal(model.get_weights()[0], snaps[2][0])  # the trained weights are back in place


def test_gradient_figure_puts_the_untrained_panel_beside_the_trained_one():
    import pandas as pd

    from rnnviz.plots import charts as plots

    df = pd.DataFrame({"epoch": [0, 0, None, None], "step": [1, 2, 1, 2], "norm": [1e-3, 1e-2, 1e-4, 1e-1],
                       "label": "GRU 4u · 2 ep", "cell": "gru"})
    fig = plots.gradient_figure(df, "t")
    assert [a.text for a in fig.layout.annotations] == ["before training (epoch 0)", "trained"]
    assert [list(t.y) for t in fig.data] == [[1e-3, 1e-2], [1e-4, 1e-1]]
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis2.type == "log"
    assert sum(bool(t.showlegend) for t in fig.data) == 1
    text = compare.gradient_caption(tiny().data)
    assert "vanishing gradient:" not in text and "compare shapes, not heights" in text
    assert "2·cos(2π/50)·x_t − x_(t−1)" in text
    assert "2·cos" not in compare.gradient_caption(CosineData(length=200, window=10, noise=0.1))


def test_a_language_models_row_shows_its_perplexity_not_an_empty_rmse():
    from types import SimpleNamespace

    from rnnviz.config import RunConfig, TextData

    cfg = RunConfig(data=TextData(level="char"), units=8)
    run = SimpleNamespace(config=cfg, run_id=cfg.run_id, history={"loss": [2.5, 2.2], "val_loss": [2.4, 2.1]},
                          metrics={"val_loss": 2.1, "val_perplexity": 8.17, "baseline_perplexity": 9.0},
                          info={"params": 100, "train_seconds": 4.0})
    df = compare.table([run])
    assert df["final validation perplexity"].tolist() == [8.17]
    assert not [c for c in df.columns if "RMSE" in c] and not df.drop(columns=["best at epoch"]).isna().any().any()


def test_the_summary_points_to_match_parameter_count_only_where_it_is():
    from types import SimpleNamespace

    def run(cell, params):
        cfg = tiny(cell=cell)
        return SimpleNamespace(config=cfg, run_id=cfg.run_id, history={"loss": [1.0], "val_loss": [0.5]},
                               metrics={"val_rmse": 0.7}, info={"params": params, "train_seconds": 1.0})

    runs = [run("simple_rnn", 100), run("gru", 300)]
    assert "match parameter count" in compare.summary(runs)  # Compare has the control
    text = compare.summary(runs, matching=False)  # the lesson page has not
    assert "match parameter count" not in text and "bigger models may win by size alone." in text


def test_the_summary_time_is_where_the_curve_by_training_time_reaches_that_epoch():
    from types import SimpleNamespace

    cfg = tiny(cell="gru")
    run = SimpleNamespace(config=cfg, run_id=cfg.run_id, history={"loss": [1.0, 0.5], "val_loss": [0.6, 0.2]},
                          metrics={"val_rmse": 0.45}, info={"params": 300, "train_seconds": 43.0,
                                                            "epoch_seconds": [14.0, 29.0]})
    curve = compare.curves([run])
    assert "(29 s)" in compare.summary([run]) and curve["seconds"].max() == 29.0  # not 43 / 2 x 2 = 43 s
