"""Tests for rnnviz.samples: balanced picks, step labels and visible steps, the surest predictions and grid
picks, typed reviews against the dataset's rules, and CIFAR inputs as pixels."""

import numpy as np

from rnnviz import datasets, samples
from rnnviz.config import CifarData, ImdbData, RunConfig
from tests import fakedata
from tests.conftest import tiny


def test_fit_indices_balanced_and_class_indices():
    y = np.array([0] * 50 + [1] * 10 + [2] * 3)
    idx = samples.fit_indices(y, 3, n=30)
    assert np.bincount(y[idx]).tolist() == [10, 10, 3]
    assert (np.diff(idx) > 0).all()
    np.testing.assert_array_equal(samples.fit_indices(np.zeros(5), 0, n=3), [0, 2, 4])
    np.testing.assert_array_equal(samples.class_indices(y, 2), [60, 61, 62])
    assert len(samples.class_indices(y[:, None], None)) == 63


def test_step_labels_and_visible_steps():
    vocab = datasets.Vocabulary(fakedata.WORD_INDEX, 10)
    imdb = RunConfig(data=ImdbData(vocab_size=100, maxlen=5))
    assert samples.step_labels(imdb, np.array([0, 1, 4, 2, 20]), vocab) == ["<pad>", "<start>", "the", "<oov>",
                                                                              "awful"]
    image = np.zeros((32, 32, 3))
    assert samples.step_labels(RunConfig(data=CifarData()), image)[:2] == ["row 1", "row 2"]
    assert samples.step_labels(RunConfig(data=CifarData(by="columns")), image)[-1] == "column 32"
    conv = samples.step_labels(RunConfig(data=CifarData(), front_end="conv"), image)
    assert len(conv) == 16 and conv[0] == "rows 1–2"
    assert samples.step_labels(tiny(), np.zeros((10, 1)))[-1] == "10"
    assert "word" in samples.step_axis_title(imdb)
    np.testing.assert_array_equal(samples.visible_steps(np.array([False, True, True]), 3), [1, 2])
    np.testing.assert_array_equal(samples.visible_steps(None, 3), [0, 1, 2])


def test_most_confident_and_grid_indices():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.99, 0.01], [0.6, 0.4], [0.3, 0.7]])
    y = np.array([0, 0, 1, 0, 1])
    sure = samples.most_confident(probs, y, k=2)
    np.testing.assert_array_equal(sure["right"], [0, 4])
    np.testing.assert_array_equal(sure["wrong"], [2, 1])
    pred = probs.argmax(axis=1)
    np.testing.assert_array_equal(samples.grid_indices(y, pred, "wrong"), [1, 2])
    np.testing.assert_array_equal(samples.grid_indices(y, pred, "right", cls=0, n=1), [0])


def test_encode_review_as_the_dataset_does():
    vocab = datasets.Vocabulary(fakedata.WORD_INDEX, 13)  # ids >= 13 (ranks >= 10) become <oov>
    enc = samples.encode_review(vocab, "The movie, GREAT! zorglub", ImdbData(vocab_size=100, maxlen=6))
    assert [(t.word, t.status) for t in enc.tokens] == [
        ("the", "known"), ("movie", "rare (out of vocabulary)"), ("great", "rare (out of vocabulary)"),
        ("zorglub", "unknown (dropped)")]
    np.testing.assert_array_equal(enc.ids, [0, 0, 1, 4, 2, 2])  # pre-padded, <start>, the, <oov>, <oov>
    assert enc.cut == 0
    long = samples.encode_review(vocab, "the " * 9, ImdbData(vocab_size=100, maxlen=4, truncating="post"))
    assert long.cut == 6 and long.ids[0] == 1  # kept the start


def test_to_image_scales_to_pixels():
    x = np.zeros((32, 32, 3), "float32")
    x[0, 0] = [1.0, 0.5, 0.0]
    img = samples.to_image(x)
    assert img.dtype == np.uint8 and img[0, 0].tolist() == [255, 128, 0]
    assert samples.to_image(x * 255)[0, 0].tolist() == [255, 128, 0]
