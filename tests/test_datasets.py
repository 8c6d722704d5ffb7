"""IMDB and CIFAR-10 loading: the search order, Keras's conventions, the download branch, malformed files."""

import json
import os
import pathlib
import threading

import numpy as np
import pytest

from rnnviz.data import cifar
from rnnviz.data import imdb
from rnnviz.data import standard
from tests import fakedata


@pytest.fixture(autouse=True)
def no_network(tmp_path, monkeypatch):
    """An empty Keras cache (conftest), and a download that fails as it does offline, never reaching out."""
    monkeypatch.delenv("RNNVIZ_OFFLINE")
    import keras

    def offline(**kw):
        raise Exception(f"URL fetch failure on {kw['origin']}: None -- [Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(keras.utils, "get_file", offline)
    imdb._imdb_arrays.cache_clear()
    cifar._cifar_arrays.cache_clear()
    imdb._read_word_index.cache_clear()


def keras_imdb(monkeypatch, path, **kw):
    """`keras.datasets.imdb.load_data` itself, pointed at a local file (its download step bypassed)."""
    import keras.src.datasets.imdb as kimdb

    monkeypatch.setattr(kimdb, "get_file", lambda **_: str(path))
    return kimdb.load_data(**kw)


@pytest.mark.parametrize("num_words", [None, 12])
def test_imdb_matches_keras_load_data(tmp_path, monkeypatch, num_words):
    path = fakedata.write_imdb(tmp_path / "data")
    (x_tr, y_tr), (x_te, y_te) = imdb.load_imdb(num_words, tmp_path / "data")
    (kx_tr, ky_tr), (kx_te, ky_te) = keras_imdb(monkeypatch, path, num_words=num_words)
    assert len(x_tr) == 40 and len(x_te) == 30
    for mine, theirs in ((x_tr, kx_tr), (x_te, kx_te)):
        assert all(list(a) == list(b) for a, b in zip(mine, theirs, strict=True))
    assert np.array_equal(y_tr, ky_tr) and np.array_equal(y_te, ky_te)
    assert all(r[0] == imdb.START for r in x_tr)
    if num_words:
        assert max(max(r) for r in x_tr) < num_words and any(imdb.OOV in r for r in x_tr)


def test_search_order_data_dir_then_env_then_keras_cache(tmp_path, monkeypatch):
    cache = tmp_path / "keras_home" / "datasets"
    fakedata.write_imdb(cache, n_train=11)
    assert standard.locate("imdb") == cache / "imdb.npz"
    fakedata.write_imdb(tmp_path / "env" / "imdb", n_train=12)  # the `imdb/` subfolder layout
    monkeypatch.setenv("RNNVIZ_DATA_DIR", str(tmp_path / "env"))
    assert standard.locate("imdb") == tmp_path / "env" / "imdb" / "imdb.npz"
    fakedata.write_imdb(tmp_path / "named", n_train=13)
    assert standard.locate("imdb", tmp_path / "named") == tmp_path / "named" / "imdb.npz"
    assert len(imdb.load_imdb(None, tmp_path / "named")[0][0]) == 13
    assert len(imdb.load_imdb(None)[0][0]) == 12
    # a named folder (it takes the place of RNNVIZ_DATA_DIR) without the files falls through to the cache
    assert standard.locate("imdb", tmp_path / "empty") == cache / "imdb.npz"


def test_download_when_nothing_is_found(tmp_path, monkeypatch):
    import keras

    calls = []

    def fake_get_file(fname, origin, file_hash, cache_dir):
        calls.append((fname, origin))
        folder = tmp_path / "keras_home" / "datasets"
        fakedata.write_imdb(folder)
        return str(folder / fname)

    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    lines = []
    (x_tr, _), _ = imdb.load_imdb(None, progress=lines.append)
    assert calls == [("imdb.npz", standard.URLS["imdb.npz"][0])]
    assert len(x_tr) == 40 and "Downloading" in lines[0]
    assert imdb.load_imdb(None) is not None and len(calls) == 1  # now found in the cache


def test_offline_switch_refuses_downloads(monkeypatch):
    monkeypatch.setenv("RNNVIZ_OFFLINE", "1")
    with pytest.raises(standard.DataUnavailable, match="RNNVIZ_OFFLINE"):
        imdb.load_imdb()


def test_download_failure_names_both_fixes():
    with pytest.raises(standard.DataUnavailable) as e:
        imdb.load_imdb()
    msg = str(e.value)
    assert "imdb.npz" in msg and "URL fetch failure" in msg
    assert "python -m rnnviz prefetch imdb" in msg and "data folder" in msg
    with pytest.raises(standard.DataUnavailable, match="prefetch cifar10"):
        cifar.load_cifar10()


def test_vocabulary_encodes_like_the_dataset_and_round_trips(tmp_path):
    fakedata.write_imdb(tmp_path)
    vocab = imdb.Vocabulary(imdb.word_index(tmp_path), num_words=16)  # ids 3..15 = ranks 1..12
    tokens = vocab.tokens("This MOVIE is great!<br />I don't... zorblax fun")
    assert [t.word for t in tokens] == ["this", "movie", "is", "great", "br", "i", "don't", "zorblax", "fun"]
    by_word = {t.word: t for t in tokens}
    assert by_word["this"].id == fakedata.WORD_INDEX["this"] + 3 and by_word["this"].status == "known"
    assert by_word["great"].id == imdb.OOV and by_word["great"].status == "rare (out of vocabulary)"
    assert by_word["zorblax"].id is None and by_word["zorblax"].status == "unknown (dropped)"
    ids = vocab.encode("This movie is great, I don't zorblax")
    assert ids.tolist() == [imdb.START, 14, 15, 9, imdb.OOV, 13, imdb.OOV]  # zorblax dropped
    assert vocab.decode(ids) == ["<start>", "this", "movie", "is", "<oov>", "i", "<oov>"]
    full = imdb.Vocabulary(imdb.word_index(tmp_path))
    text = "the movie is great and i loved it"
    assert " ".join(full.decode(full.encode(text))[1:]) == text


def test_vocabulary_decodes_dataset_reviews(tmp_path):
    path = fakedata.write_imdb(tmp_path)
    raw = np.load(path, allow_pickle=True)["x_train"]
    (x_tr, _), _ = imdb.load_imdb(1000, tmp_path)
    vocab = imdb.Vocabulary(imdb.word_index(tmp_path))
    inverse = {r: w for w, r in fakedata.WORD_INDEX.items()}
    decoded = {tuple(vocab.decode(r)[1:]) for r in x_tr}
    assert decoded == {tuple(inverse[w] for w in row) for row in raw}


@pytest.mark.parametrize("override, problem", [
    ({"y_test": None}, "missing key(s) y_test"),
    ({"y_train": np.zeros(39, "int64")}, "has 40 reviews but y_train has 39 labels"),
    ({"y_train": np.full(40, 3)}, "labels other than 0 and 1"),
    ({"x_test": np.zeros((30, 4), "int64")}, "must be 1-D"),
    ({"x_train": fakedata._objects([[0, 1]] * 40)}, "word rank 0"),
])
def test_malformed_imdb_names_file_and_problem(tmp_path, override, problem):
    path = fakedata.write_imdb(tmp_path, **override)
    with pytest.raises(standard.DataError) as e:
        imdb.load_imdb(None, tmp_path)
    assert str(path) in str(e.value) and problem in str(e.value)


def test_truncated_npz_and_bad_word_index(tmp_path):
    path = fakedata.write_imdb(tmp_path)
    (tmp_path / "imdb_word_index.json").write_text("{not json")
    with pytest.raises(standard.DataError, match="imdb_word_index.json: not readable JSON"):
        imdb.word_index(tmp_path)
    fakedata.truncate(path)
    with pytest.raises(standard.DataError, match="truncated or corrupt"):
        imdb.load_imdb(None, tmp_path)


def test_cifar_reads_any_number_of_batches_like_keras(tmp_path):
    from keras.src.datasets.cifar import load_batch

    folder = fakedata.write_cifar(tmp_path, train_sizes=(7, 5, 3), n_test=6)
    (x_tr, y_tr), (x_te, y_te), names = cifar.load_cifar10(tmp_path)
    assert x_tr.shape == (15, 32, 32, 3) and x_tr.dtype == np.uint8 and x_te.shape == (6, 32, 32, 3)
    assert names == fakedata.CLASSES
    parts = [load_batch(str(folder / f"data_batch_{i}")) for i in (1, 2, 3)]
    assert np.array_equal(x_tr, np.concatenate([p[0] for p in parts]).transpose(0, 2, 3, 1))
    assert np.array_equal(y_tr, np.concatenate([p[1] for p in parts]))
    kx, ky = load_batch(str(folder / "test_batch"))
    assert np.array_equal(x_te, kx.transpose(0, 2, 3, 1)) and np.array_equal(y_te, ky)


def test_cifar_pickled_with_protocol_2(tmp_path):
    fakedata.write_cifar(tmp_path, protocol=2)  # numpy bytes then go through _codecs.encode
    assert cifar.load_cifar10(tmp_path)[1][0].shape == (6, 32, 32, 3)


def test_cifar_archive_gives_the_same_arrays(tmp_path):
    fakedata.write_cifar(tmp_path / "folder")
    fakedata.write_cifar(tmp_path / "archive", archive=True)
    a = cifar.load_cifar10(tmp_path / "folder")
    b = cifar.load_cifar10(tmp_path / "archive")
    assert standard.locate("cifar10", tmp_path / "archive").name == "cifar-10-python.tar.gz"
    for x, y in zip((*a[0], *a[1]), (*b[0], *b[1])):
        assert np.array_equal(x, y)


def test_cifar_in_keras_cache_layout(tmp_path):
    fakedata.write_cifar(tmp_path / "keras_home" / "datasets" / "cifar-10-batches-py-target")
    assert cifar.load_cifar10()[0][0].shape == (12, 32, 32, 3)


def _bad(tmp_path, name, obj):
    return fakedata.write_cifar(tmp_path, batches={name: obj})


@pytest.mark.parametrize("name, obj, problem", [
    ("data_batch_2", {b"data": np.zeros((5, 3072), np.uint8)}, "missing key(s) labels"),
    ("data_batch_1", {b"data": np.zeros((5, 3072), np.uint8), b"labels": [1, 2, 3]}, "5 images but 3 labels"),
    ("data_batch_1", {b"data": np.zeros((2, 3072), np.uint8), b"labels": [1, 10]}, "labels must be integers 0-9"),
    ("test_batch", {b"data": np.zeros((2, 1024), np.uint8), b"labels": [1, 2]}, "(n, 3072)"),
    ("test_batch", {b"data": np.zeros((2, 3072), np.float32), b"labels": [1, 2]}, "must be uint8"),
    ("test_batch", b"\x80\x02}q\x00(", "truncated or corrupt"),
    ("batches.meta", {b"label_names": [b"cat"]}, "10 class names"),
])
def test_malformed_cifar_names_file_and_problem(tmp_path, name, obj, problem):
    folder = _bad(tmp_path, name, obj)
    with pytest.raises(standard.DataError) as e:
        cifar.load_cifar10(tmp_path)
    assert str(folder / name) in str(e.value) and problem in str(e.value)


def test_cifar_missing_test_batch_and_truncated_archive(tmp_path):
    folder = fakedata.write_cifar(tmp_path / "a")
    (folder / "test_batch").unlink()
    with pytest.raises(standard.DataError, match="needs data_batch_\\* and test_batch"):
        cifar.load_cifar10(tmp_path / "a")
    tar = fakedata.write_cifar(tmp_path / "b", archive=True)
    fakedata.truncate(tar, 0.6)
    with pytest.raises(standard.DataError, match="cifar-10-python.tar.gz: not a readable .tar.gz"):
        cifar.load_cifar10(tmp_path / "b")


def test_pickled_code_is_never_run(tmp_path):
    _bad(tmp_path, "data_batch_1", fakedata.evil_pickle())
    with pytest.raises(standard.DataError, match="refusing to load posix.system|refusing to load os.system"):
        cifar.load_cifar10(tmp_path)


def test_prefetch_reports_paths_and_sizes(tmp_path, monkeypatch):
    import keras

    def fake_get_file(fname, origin, file_hash, cache_dir):
        path = tmp_path / "keras_home" / "datasets" / fname
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 1000)
        return str(path)

    fakedata.write_cifar(tmp_path / "keras_home" / "datasets")
    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    rows = standard.prefetch(["imdb", "cifar10"])
    assert [(r["dataset"], r["downloaded"]) for r in rows] == [("imdb", True), ("imdb", True), ("cifar10", False)]
    assert rows[0]["bytes"] == 1000 and rows[2]["path"].endswith("cifar-10-batches-py") and rows[2]["bytes"] > 3072 * 12
    assert json.dumps(rows)  # the CLI prints these as JSON


KERAS_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'  # keras.preprocessing.text's documented default


def keras_text_to_word_sequence(text: str) -> list[str]:
    """Keras's `text_to_word_sequence` with its defaults (Keras 3 no longer ships `keras.preprocessing.text`,
    so its documented algorithm: lower-case, each filter character -> " ", `split(" ")`, drop empty strings)."""
    try:
        from keras.preprocessing.text import text_to_word_sequence
    except ImportError:
        text = text.lower().translate(str.maketrans(KERAS_FILTERS, " " * len(KERAS_FILTERS)))
        return [w for w in text.split(" ") if w]
    return text_to_word_sequence(text)


@pytest.mark.parametrize("text", [
    "fine\x85film", "great\u00a0movie", "a\u2028b\u2029c", "x\x0by\x0cz\x1cw\x1dv\x1eu\x1ft",
    "tab\there new\nline", "carriage\r\nreturn", "  spaces   between  ", "I DON'T 'quote' it's",
    "<br />The End.", "em\u2003space\u3000ideographic", "", "!!!", "\x85",
])
def test_tokens_split_exactly_like_keras(text):
    vocab = imdb.Vocabulary(fakedata.WORD_INDEX)
    assert [t.word for t in vocab.tokens(text)] == keras_text_to_word_sequence(text)


def test_unicode_separators_are_not_word_breaks_in_encode():
    vocab = imdb.Vocabulary(fakedata.WORD_INDEX)
    great, movie = fakedata.WORD_INDEX["great"] + 3, fakedata.WORD_INDEX["movie"] + 3
    assert vocab.encode("great movie").tolist() == [imdb.START, great, movie]
    assert vocab.encode("great\x85movie").tolist() == [imdb.START]  # one unknown word, as Keras reads it
    assert vocab.encode("great\tmovie\n").tolist() == [imdb.START, great, movie]  # tab, newline: filters


def _in_thread(fn, timeout=60):
    """`fn()`'s exception (or None), from a thread given `timeout` seconds: a read that blocks fails the test."""
    out = []

    def target():
        try:
            fn()
            out.append(None)
        except Exception as e:  # noqa: BLE001 - handed to the test
            out.append(e)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "the read blocked"
    return out[0]


@pytest.mark.parametrize("name", ["imdb.npz", "imdb_word_index.json"])
def test_imdb_fifo_is_refused_without_blocking(tmp_path, name):
    fakedata.write_imdb(tmp_path)
    (tmp_path / name).unlink()
    os.mkfifo(tmp_path / name)
    e = _in_thread(lambda: (imdb.word_index(tmp_path), imdb.load_imdb(None, tmp_path)))
    assert isinstance(e, standard.DataError) and str(tmp_path / name) in str(e) and "not a regular file" in str(e)


def test_cifar_batch_fifo_is_refused_without_blocking(tmp_path):
    folder = fakedata.write_cifar(tmp_path)
    (folder / "data_batch_2").unlink()
    os.mkfifo(folder / "data_batch_2")
    e = _in_thread(lambda: cifar.load_cifar10(tmp_path))
    assert isinstance(e, standard.DataError) and str(folder / "data_batch_2") in str(e)


@pytest.mark.parametrize("train_sizes, n_test, empty", [((0,), 4, "data_batch_1"), ((3, 0), 4, "data_batch_2"),
                                                         ((3,), 0, "test_batch")])
def test_cifar_file_with_no_images_names_the_file(tmp_path, train_sizes, n_test, empty):
    folder = fakedata.write_cifar(tmp_path, train_sizes=train_sizes, n_test=n_test)
    with pytest.raises(standard.DataError) as e:
        cifar.load_cifar10(tmp_path)
    assert str(folder / empty) in str(e.value) and "no images" in str(e.value)


def test_word_ranks_and_index_out_of_range_name_the_file(tmp_path):
    path = fakedata.write_imdb(tmp_path, x_train=fakedata._objects([[1, 2**40]] * 40))
    with pytest.raises(standard.DataError, match="word rank 1099511627776") as e:
        imdb.load_imdb(100, tmp_path)
    assert str(path) in str(e.value)
    (tmp_path / "imdb_word_index.json").write_text(json.dumps({"the": 1, "and": 2**40}))
    with pytest.raises(standard.DataError, match="imdb_word_index.json"):
        imdb.word_index(tmp_path)


@pytest.mark.parametrize("folder, problem", [("x" * 100_000, "100,000 characters"), ("a\x00b", "NUL"),
                                            ("~" + "y" * 5000, "characters")])
def test_impossible_folders_are_a_problem_not_an_exception(folder, problem):
    assert standard.locate("imdb", folder) is None and standard.locate("cifar10", folder) is None
    message = standard.folder_problem(folder)
    assert problem in message and len(message) < 600


def test_unreadable_folder_is_a_problem_and_is_skipped(tmp_path, monkeypatch):
    fakedata.write_imdb(tmp_path / "keras_home" / "datasets")
    locked = tmp_path / "locked"
    fakedata.write_imdb(locked)
    (tmp_path / "file").write_text("not a folder")
    assert "not a folder" in standard.folder_problem(tmp_path / "file")
    assert "No folder" in standard.folder_problem(tmp_path / "missing")
    assert standard.folder_problem(locked) is None
    real_stat = pathlib.Path.stat

    def denied(self, *a, **kw):  # tests run as root, who may read anything: deny as the OS would
        if str(self).startswith(str(locked)):
            raise PermissionError(13, "Permission denied", str(self))
        return real_stat(self, *a, **kw)

    monkeypatch.setattr(pathlib.Path, "stat", denied)
    monkeypatch.setattr(os, "scandir", lambda p: (_ for _ in ()).throw(PermissionError(13, "Permission denied", p)))
    assert "cannot be read" in standard.folder_problem(locked)
    assert standard.locate("imdb", locked) == tmp_path / "keras_home" / "datasets" / "imdb.npz"  # falls through


def test_a_device_in_place_of_a_data_file_is_refused_unread(tmp_path):
    fakedata.write_imdb(tmp_path / "imdb")
    (tmp_path / "imdb" / "imdb_word_index.json").unlink()
    (tmp_path / "imdb" / "imdb_word_index.json").symlink_to("/dev/zero")  # endless: reading it exhausts memory
    folder = fakedata.write_cifar(tmp_path / "cifar10")
    (folder / "test_batch").unlink()
    (folder / "test_batch").symlink_to("/dev/zero")
    e = _in_thread(lambda: imdb.word_index(tmp_path / "imdb"))
    assert isinstance(e, standard.DataError) and "not a regular file" in str(e)
    e = _in_thread(lambda: cifar.load_cifar10(tmp_path / "cifar10"))
    assert isinstance(e, standard.DataError) and str(folder / "test_batch") in str(e)


def test_archive_member_larger_than_allowed_is_refused_before_reading(tmp_path, monkeypatch):
    fakedata.write_imdb(tmp_path)
    monkeypatch.setattr(standard, "MAX_MEMBER_BYTES", 100)
    with pytest.raises(standard.DataError, match="unpacks to"):
        imdb.load_imdb(None, tmp_path)
