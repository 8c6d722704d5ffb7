"""Tests for rnnviz.data.lm and the IMDB language-model data kind: text decoded from tiny files in the real formats
(checked against the raw word ranks the test wrote), the tokenisation round trip, windows, the n-gram
baseline against a direct count (and summing to 1), and a tiny model's perplexity and bits per character."""

import math
from collections import Counter

import numpy as np
import pytest

from rnnviz.models import budget
from rnnviz.data import loaders as data
from rnnviz.data import lm
from rnnviz.training import metrics
from rnnviz.config import RunConfig, TextData
from rnnviz.models import build_model
from tests import fakedata


@pytest.fixture
def data_dir(tmp_path):
    fakedata.write_imdb(tmp_path, n_train=60, n_test=40)
    return tmp_path


def _review_texts(split: str, seed: int, n: int) -> Counter:
    """The reviews the fake file holds, as text, from the raw ranks (independent of the loader)."""
    rows, _ = fakedata.imdb_reviews(n, seed)
    return Counter(" ".join(fakedata.WORDS[r - 1] for r in row) for row in rows)


def test_character_streams_decode_the_reviews(data_dir):
    train, val, tokens = lm.streams("char", 100, (2000, 500), str(data_dir))
    text = tokens.text(train)
    reviews = [r.strip() for r in text.split("¶") if r.strip()]
    assert Counter(reviews) <= _review_texts("train", 0, 60) and sum(map(len, reviews)) + len(reviews) >= 2000
    assert tokens.size == lm.CHAR_VOCAB and set(tokens.symbols[3:]) == set(lm.ALPHABET)
    val_reviews = [r.strip() for r in tokens.text(val).split("¶") if r.strip()]
    assert Counter(val_reviews) <= _review_texts("test", 1, 40)  # validation text: the test reviews
    with pytest.raises(ValueError, match="`train_size` asks for more text"):
        lm.streams("char", 100, (10**7, 10), str(data_dir))


def test_word_streams_are_the_dataset_ids(data_dir):
    train, _, tokens = lm.streams("word", 10, (300, 50), str(data_dir))  # cap 10: ranks >= 7 -> <unk>
    words = tokens.decode(train)
    assert words[0] == "<start>" and set(words) <= {"<start>", "<unk>", *fakedata.WORDS[:6]}
    rank = {w: r for r, w in enumerate(fakedata.WORDS, start=1)}
    assert all(i == lm.START or i == lm.UNK or i == rank[w] + 3 for i, w in zip(train, words))


@pytest.mark.parametrize("level", ["word", "char"])
def test_tokenisation_round_trip(level):
    index = {w: r for r, w in enumerate(fakedata.WORDS, start=1)}
    tokens = lm.word_tokens(index, 100) if level == "word" else lm.char_tokens()
    text = "the movie is great and fun"
    ids, dropped = tokens.encode(text)
    assert tokens.text(ids) == text and dropped == []
    ids, dropped = tokens.encode("The Zorblax movie, (great)!")
    if level == "word":
        assert tokens.decode(ids) == ["the", "movie", "great"] and dropped == ["zorblax"]
    else:
        assert tokens.text(ids) == "the zorblax movie great" and dropped == [",", "(", ")", "!"]
    assert tokens.text([lm.START, *ids[:3]]).startswith("¶ ")


def test_windows_shift_by_one():
    x, y = lm.windows(np.arange(20), 4, 3)
    assert x.tolist() == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    assert np.array_equal(y, x + 1)
    with pytest.raises(ValueError, match="Received: 12"):
        lm.windows(np.arange(12), 4, 3)


def _direct(train: list[int], targets: list[int], order: int, V: int, d: float) -> list[float]:
    """The n-gram probabilities written out with Counters, one position at a time."""
    grams = {j: Counter(tuple(train[t - j:t + 1]) for t in range(j, len(train))) for j in range(order)}

    def p(w, ctx):
        if not ctx:
            return (grams[0][(w,)] + 1) / (len(train) + V)
        lower = p(w, ctx[1:])
        j = len(ctx)
        c_ctx = sum(c for g, c in grams[j].items() if g[:-1] == ctx)
        if c_ctx == 0:
            return lower
        n1 = sum(1 for g in grams[j] if g[:-1] == ctx)
        return max(grams[j][(*ctx, w)] - d, 0) / c_ctx + d * n1 / c_ctx * lower

    return [p(targets[t], tuple(targets[max(0, t - order + 1):t])) for t in range(1, len(targets))]


@pytest.mark.parametrize("order", [1, 2, 3])
def test_ngram_against_a_direct_count(order):
    rng = np.random.default_rng(order)
    train, targets = rng.integers(0, 6, 300), rng.integers(0, 7, 40)  # 6 is never seen in training
    got = lm.ngram_probs(train, targets, order, vocab_size=7, discount=0.75)
    np.testing.assert_allclose(got, _direct(list(train), list(targets), order, 7, 0.75), rtol=1e-12)
    nll = lm.ngram_nll(train, targets, order, 7)
    assert nll == pytest.approx(-np.mean(np.log(got)))
    assert lm.perplexity(nll) == pytest.approx(math.exp(nll)) and lm.bits(nll) == pytest.approx(nll / math.log(2))


@pytest.mark.parametrize("order", [2, 3])
def test_ngram_is_a_distribution(order):
    rng = np.random.default_rng(7)
    train, V = rng.integers(0, 5, 200), 6
    for ctx in ([1, 2], [4, 4], [5, 5]):  # seen, and never seen
        probs = [lm.ngram_probs(train, np.array([*ctx, w]), order, V)[-1] for w in range(V)]
        assert sum(probs) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("level", ["word", "char"])
def test_a_tiny_language_model_trains_and_scores_against_the_baseline(level, data_dir):
    cfg = RunConfig(data=TextData(level=level, vocab_size=100, seq_len=8, train_size=100, val_size=10),
                    cell="lstm_cifg", units=8, embedding_dim=4, epochs=1, batch_size=16)
    ds = data.load(cfg.data, data_dir=str(data_dir))
    assert ds.x_train.shape == ds.y_train.shape == (100, 8) and ds.x_val.shape == (10, 8) and ds.task == "lm"
    assert np.array_equal(ds.x_train[1:, 0], ds.y_train[:-1, -1])  # windows continue one another
    model = build_model(cfg, ds)
    assert model.count_params() == budget.param_count(cfg) and model.output.shape[1:] == (8, ds.n_outputs)
    assert ds.n_outputs == data.empty(cfg.data).n_outputs
    model.fit(ds.x_train, ds.y_train, epochs=1, verbose=0)
    scores = metrics.evaluate(model, ds)
    probs = np.asarray(model.predict(ds.x_val, verbose=0), np.float64)
    nll = -np.mean(np.log(np.take_along_axis(probs, ds.y_val[..., None], -1)))  # the loss, counted directly
    assert scores["val_loss"] == pytest.approx(nll, rel=1e-4)
    assert scores["val_perplexity"] == pytest.approx(math.exp(nll), rel=1e-4)
    assert ("val_bpc" in scores) == (level == "char")
    order = lm.WORD_ORDER if level == "word" else lm.CHAR_ORDER
    train, val, _ = lm.streams(level, 100, (100 * 8 + 1, 10 * 8 + 1), str(data_dir))
    assert scores["baseline_nll"] == pytest.approx(lm.ngram_nll(train[:801], val[:81], order, ds.n_outputs))


def test_config_refuses_what_a_language_model_cannot_do():
    with pytest.raises(ValueError, match="Received: pooling='mean'"):
        RunConfig(data=TextData(), pooling="mean")
    with pytest.raises(ValueError, match="Received: bidirectional=True"):
        RunConfig(data=TextData(), bidirectional=True)
    with pytest.raises(ValueError, match="Received: level='byte'"):
        TextData(level="byte")


def test_loss_chart_reads_the_loss_as_perplexity_and_bits():
    from rnnviz.plots import charts as plots

    fig = plots.loss_figure({"loss": [3.0, 2.0], "val_loss": [2.5, 1.9]}, None, "lm", cell="lstm")
    axis = fig.layout.yaxis2
    assert axis.title.text == "perplexity e^loss" and axis.matches == "y"
    assert [float(t) for t in axis.ticktext] == pytest.approx(np.exp(axis.tickvals), rel=1e-2)  # 3 digits shown
    val = next(t for t in fig.data if t.name.startswith("validation"))
    np.testing.assert_allclose(np.asarray(val.customdata), [[math.exp(2.5), 2.5 / math.log(2)],
                                                            [math.exp(1.9), 1.9 / math.log(2)]])
    assert "perplexity" in val.hovertemplate and "bits per token" in val.hovertemplate
