"""The memory guard: parameter counts equal Keras's, estimates grow as they should, big configs are refused."""

import os

import pytest

from rnnviz.models import budget
from rnnviz.data import loaders as data
from rnnviz.config import CifarData, CosineData, ImdbData, RunConfig, TextData
from rnnviz.models import build_model

CONFIGS = [
    RunConfig(data=CosineData(window=12, horizon=3), cell=c, bidirectional=b, layers=n, units=5)
    for c in ("simple_rnn", "lstm", "gru", "lstm_peephole", "lstm_cifg") for b in (False, True) for n in (1, 2)
] + [
    RunConfig(data=ImdbData(vocab_size=300, maxlen=20), cell="lstm_peephole", units=4, embedding_dim=6),
    RunConfig(data=TextData(vocab_size=300, seq_len=9), cell="gru", units=4, embedding_dim=6, head_units=5),
    RunConfig(data=TextData(level="char", seq_len=9), cell="lstm", units=4, embedding_dim=3, layers=2),
    RunConfig(data=CifarData(), cell="lstm_cifg", bidirectional=True, units=4, head_units=3),
    RunConfig(data=ImdbData(vocab_size=300, maxlen=20), cell="lstm", bidirectional=True, units=4, embedding_dim=6,
              head_units=7, pooling="mean", layers=2),
    RunConfig(data=ImdbData(vocab_size=300, maxlen=20), cell="gru", units=3, embedding_dim=5),
    RunConfig(data=CifarData(), cell="gru", units=4, front_end="conv", conv_filters=3),
    RunConfig(data=CifarData(by="columns"), cell="simple_rnn", units=4, head_units=5),
    RunConfig(data=CifarData(), cell="lstm", bidirectional=True, units=4, front_end="conv+rnn", conv_filters=2),
    RunConfig(data=CifarData(), cell="lstm", units=4, front_end="conv+rnn", conv_filters=2, head_units=9),
]


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: c.summary() + f" {c.front_end} {c.head_units}")
def test_param_count_equals_keras(cfg):
    assert budget.param_count(cfg) == build_model(cfg, data.empty(cfg.data)).count_params()


def test_estimate_grows_with_batch_units_and_layers():
    base = budget.estimate(RunConfig(units=32))
    assert budget.estimate(RunConfig(units=32, batch_size=64)).activations == pytest.approx(2 * base.activations)
    assert budget.estimate(RunConfig(units=64)).weights > 3 * base.weights
    assert budget.estimate(RunConfig(units=32, layers=2)).total > base.total
    assert base.weights == 4 * 4 * base.params  # weights, gradients, two Adam moments, 4 bytes each


def test_too_big_is_refused_with_estimate_and_limit(monkeypatch):
    monkeypatch.setenv("RNNVIZ_MEMORY_LIMIT_MB", "1024")
    huge = RunConfig(data=ImdbData(vocab_size=100_000, maxlen=2500), units=1024, layers=3, bidirectional=True,
                     embedding_dim=1024, batch_size=4096)
    with pytest.raises(budget.TooBig) as e:
        budget.check(huge)
    msg = str(e.value)
    assert "1.0 GB allowed" in msg and f"{budget.param_count(huge):,} weights" in msg and "GB to train" in msg
    assert budget.check(RunConfig()).total < 1024 * 2**20  # the default cosine run fits easily


def test_cli_refuses_a_config_too_big(monkeypatch, capsys, rnnviz_home):
    from rnnviz import cli
    from rnnviz.store import RunStore

    monkeypatch.setenv("RNNVIZ_MEMORY_LIMIT_MB", "1")
    assert cli.main(["train", "--units", "512", "--layers", "3"]) == 2
    assert "allowed here" in capsys.readouterr().err
    assert RunStore().list() == ([], [])


def test_the_guard_sets_aside_each_training_processs_own_memory(monkeypatch):
    monkeypatch.delenv("RNNVIZ_MEMORY_LIMIT_MB", raising=False)
    half = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    assert budget.limit_bytes(workers=1) == half
    assert budget.limit_bytes(workers=2, reserved_mb=1800) == (half - 1800 * 2**20) // 2
    from rnnviz.store import RunStore
    from rnnviz.training.jobs import Trainer
    from rnnviz.training.processes import ProcessExecutor

    seen = []
    monkeypatch.setattr(budget, "check", lambda cfg, workers=1, reserved_mb=0: seen.append((workers, reserved_mb)))
    for fork, reserved in ((False, 2 * budget.PROCESS_MB), (True, budget.PROCESS_MB + 2 * budget.FORKED_MB)):
        ex = ProcessExecutor(2, fork=fork)  # starts no process
        Trainer(RunStore(), workers=2, executor=ex).check(RunConfig())
        assert seen.pop() == (2, reserved) and ex.pids() == [] and ex._zygote is None
