"""Tests for rnnviz.inspect.samples: balanced picks, step labels and visible steps, the surest predictions and grid
picks, typed reviews against the dataset's rules, and CIFAR inputs as pixels."""

import numpy as np
import pytest

from rnnviz.data import imdb as imdb_data
from rnnviz.inspect import samples
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
    vocab = imdb_data.Vocabulary(fakedata.WORD_INDEX, 10)
    imdb = RunConfig(data=ImdbData(vocab_size=100, maxlen=5))
    assert samples.step_labels(imdb, np.array([0, 1, 4, 2, 20]), vocab) == ["<pad>", "<start>", "the", "<oov>",
                                                                              "awful"]
    image = np.zeros((32, 32, 3))
    assert samples.step_labels(RunConfig(data=CifarData()), image)[:2] == ["row 1", "row 2"]
    assert samples.step_labels(RunConfig(data=CifarData(by="columns")), image)[-1] == "column 32"
    conv = samples.step_labels(RunConfig(data=CifarData(), front_end="conv"), image)
    assert len(conv) == 16 and conv[:2] == ["rows 1–3", "rows 2–5"] and conv[-1] == "rows 30–32"
    so_far = samples.step_labels(RunConfig(data=CifarData(), front_end="conv"), image, so_far=True)
    assert so_far[:2] == ["rows 1–3", "rows 1–5"] and so_far[-1] == "rows 1–32"
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
    vocab = imdb_data.Vocabulary(fakedata.WORD_INDEX, 13)  # ids >= 13 (ranks >= 10) become <oov>
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


def _conv_model(seed: int = 0):
    """An untrained CIFAR GRU behind the conv front end (the receptive field does not depend on training)."""
    import keras

    from rnnviz.data.loaders import Dataset
    from rnnviz.models import build_model

    cfg = RunConfig(data=CifarData(), front_end="conv", conv_filters=4, cell="gru", units=3)
    rng = np.random.default_rng(seed)
    images, labels = rng.random((2, 32, 32, 3)).astype("float32"), np.array([1, 4])
    keras.utils.set_random_seed(seed)
    return cfg, build_model(cfg, Dataset(images, labels, images, labels, "multiclass", 10)), images[0]


def _rows(label: str) -> tuple[int, int]:
    first, last = label.removeprefix("rows ").split("–")
    return int(first), int(last)


def test_conv_step_labels_name_the_rows_each_step_has_seen_by_perturbing_them():
    """Perturb one image row at a time: the steps of the sequence the RNN reads (the model's own `rows` layer)
    that change are exactly those whose label names that row; the model's own output "had the image ended after
    step t" changes exactly for the rows the so-far label names."""
    import keras

    from rnnviz import probe
    from rnnviz.inspect import readout

    cfg, model, image = _conv_model()
    batch = np.repeat(image[None], 33, axis=0)  # (33, 32, 32, 3): the image, then row r + 10 for r = 0..31
    for r in range(32):
        batch[r + 1, r] += 10.0
    seq = keras.ops.convert_to_numpy(keras.Model(model.input, model.get_layer("rows").output)(batch))
    moved = np.abs(seq[1:] - seq[:1]).max(axis=-1) > 1e-6  # (rows perturbed, steps): which steps changed
    for t, label in enumerate(samples.step_labels(cfg, image)):
        rows = np.flatnonzero(moved[:, t]) + 1  # 1-based image rows whose change reaches step t
        assert (rows.min(), rows.max()) == _rows(label) and len(rows) == rows.max() - rows.min() + 1, (t, label)
    out = readout.readout_over_time(model, probe.probe_model(model, batch))  # (33, 16, 10)
    change = np.abs(out[1:] - out[:1]).max(axis=-1)  # (rows perturbed, steps)
    for t, label in enumerate(samples.step_labels(cfg, image, so_far=True)):
        first, last = _rows(label)
        assert first == 1 and change[last - 1, t] > 1e-6, (t, label)  # the last row named reaches this point
        assert (change[last:, t] == 0).all(), (t, label)  # rows after it cannot (old memories may fade, though)


@pytest.mark.parametrize("by, later, backward", [("rows", "later rows", "bottom row up"),
                                                  ("columns", "later columns", "right-most column")])
def test_readout_caption_follows_the_reading_direction(by, later, backward):
    other = "columns" if by == "rows" else "rows"
    one = samples.readout_caption(RunConfig(data=CifarData(by=by)))
    assert later in one and f"later {other}" not in one
    both = samples.readout_caption(RunConfig(data=CifarData(by=by), bidirectional=True))
    assert backward in both and f"{by} only" in both and other not in both
    conv = samples.readout_caption(RunConfig(data=CifarData(by=by), front_end="conv"))
    assert "later rows" in conv and "4 image rows" in conv  # the conv front end always reads rows


@pytest.mark.parametrize("padding, mask, says", [
    ("pre", False, "pads at the front"), ("post", False, "pads at the end"), ("pre", True, None),
    ("post", True, None)])
def test_readout_caption_follows_the_padding(padding, mask, says):
    text = samples.readout_caption(RunConfig(data=ImdbData(vocab_size=100, maxlen=5, padding=padding, mask=mask)))
    assert ("padding first" in text) == (says == "pads at the front")
    assert ("followed by padding" in text) == (says == "pads at the end")
    assert says is None or says in text


def test_the_word_colour_caption_claims_exact_cuts_only_where_they_are():
    from rnnviz.config import ImdbData, RunConfig

    masked = samples.word_effect_caption(RunConfig(data=ImdbData(mask=True, padding="post")), 0.2)
    front = samples.word_effect_caption(RunConfig(data=ImdbData(mask=False, padding="pre")), 0.2)
    end = samples.word_effect_caption(RunConfig(data=ImdbData(mask=False, padding="post")), 0.2)
    assert "cut after the word minus its output cut just before it" in masked and "not" not in masked.split("**")[0]
    assert "close to, not exactly" in front
    assert "cut after the word" not in end and "not the outputs for the review cut" in end  # error 0.0079 there


def test_the_persistence_note_says_when_it_reaches_zero():
    from rnnviz.config import CosineData
    from rnnviz.data import loaders

    def error_a_period_ahead(opts):  # repeating the last value, one period later, from every start
        x = loaders.cosine_series(opts)
        p = int(round(opts.period))
        return float(np.abs(x[p:] - x[:-p]).max())

    exact, off, noisy = CosineData(period=50), CosineData(period=50.5), CosineData(period=50, noise=0.1)
    assert error_a_period_ahead(exact) < 1e-5 and "drops to 0" in samples.persistence_note(exact)
    assert error_a_period_ahead(off) > 1e-3 and "not to 0" in samples.persistence_note(off)
    assert error_a_period_ahead(noisy) > 0.1 and "not to 0" in samples.persistence_note(noisy)
