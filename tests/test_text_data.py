"""The `text` data kind's data (issue 24 item 2): text files decoded and refused in one line, the raw IMDB reviews
read in place from Stanford's `.tar.gz` and from the extracted folder, found like the other standard files, the
token streams and vocabulary, and what "Find units" counts in a raw text, against a hand count."""

import numpy as np
import pytest

from rnnviz.config import TextFileData
from rnnviz.data import lm, loaders, reviews, standard, text, userdata
from rnnviz.inspect import write
from tests import fakedata

PROSE = ("It was a dark night (and stormy). She said \"Go!\"\nHe went; the door closed. " * 20).strip()


def test_utf8_bom_latin1_and_line_ends_decode_to_the_same_text():
    plain = "Café « crème » – naïve.\nDeux lignes.\n" * 5
    assert text.decode(plain.encode("utf-8"), "a.txt") == plain
    assert text.decode(b"\xef\xbb\xbf" + plain.encode("utf-8"), "a.txt") == plain  # the BOM is dropped
    assert text.decode(plain.replace("–", "-").encode("latin-1"), "a.txt") == plain.replace("–", "-")
    assert text.decode(plain.replace("\n", "\r\n").encode("utf-8"), "a.txt") == plain


@pytest.mark.parametrize("blob, says", [
    (b"", "is empty"), (b" \n\t\n", "is empty"),
    (bytes(range(256)) * 4, "NUL bytes"),  # binary
    (PROSE.encode("utf-16"), "NUL bytes"),  # a wrong encoding that is not text in UTF-8 or Latin-1
    (bytes(range(1, 32)) * 40, "control characters"),
    (b"short", "at least 100"),
    (b"a" * 5000, "one character repeated ('a')"),
])
def test_bad_text_files_are_refused_in_one_line(blob, says):
    with pytest.raises(text.TextError) as e:
        text.join([(blob, "bad.txt")])
    assert says in str(e.value) and "bad.txt" in str(e.value) and "\n" not in str(e.value)


def test_several_files_are_joined_and_the_size_cap_holds(monkeypatch):
    joined = text.join([(PROSE.encode(), "a.txt"), (b"\xef\xbb\xbf" + PROSE.encode(), "b.txt")])
    assert joined.decode("utf-8") == PROSE + "\n\n" + PROSE
    monkeypatch.setenv("RNNVIZ_UPLOAD_LIMIT_MB", "1")
    with pytest.raises(text.TextError, match=r"1\.[1-9] MB; up to 1 MB can be used \(RNNVIZ_UPLOAD_LIMIT_MB\)"):
        text.join([((PROSE + "\n").encode() * 800, "big.txt")])


def test_words_keep_case_punctuation_and_line_breaks():
    assert text.split_words("Don't stop (now)!\nOk 10/10") == ["Don't", "stop", "(", "now", ")", "!", "\n", "Ok",
                                                               "10", "/", "10"]


def test_a_file_becomes_windows_with_its_end_held_out():
    name = userdata.put(text.join([(PROSE.encode(), "p.txt")]), "text")
    opts = TextFileData(file=name, level="char", chars=20, seq_len=10, train_size=50, val_size=10, val_share=0.2)
    ds = loaders.load(opts)
    tokens = ds.extra["tokens"]
    assert ds.x_train.shape == (50, 10) and ds.n_outputs == opts.ids == 23 == tokens.size
    assert tokens.raw and list(tokens.symbols[3:]) == sorted(tokens.symbols[3:])
    cut = len(PROSE) - int(len(PROSE) * 0.2)
    cut = min(k for k in (PROSE.find(" ", cut), PROSE.find("\n", cut)) if k >= 0)  # at a space or line break
    counts = {c: PROSE[:cut].count(c) for c in set(PROSE)}
    kept = sorted(counts, key=lambda c: (-counts[c], c))[:20]
    assert set(tokens.symbols[3:]) == set(kept)  # the 20 most frequent characters of the training text
    first = tokens.decode(ds.x_train[0])
    assert first[0] == "<start>" and "".join(c if c in kept else "?" for c in PROSE[:9]) == "".join(
        s if s != "<unk>" else "?" for s in first[1:])
    assert np.array_equal(ds.y_train[0, :-1], ds.x_train[0, 1:])
    val_text = "".join(s if s != "<unk>" else "?" for s in tokens.decode(ds.x_val[0][1:]))
    assert val_text == "".join(c if c in kept else "?" for c in PROSE[cut:cut + 9])  # the held-out end
    assert ds.extra["baseline"] == "5-gram" and 0 < ds.extra["baseline_nll"] < np.log(23)
    with pytest.raises(ValueError, match="train_size=5000 windows of seq_len=10 need 50,001"):
        loaders.check_upload(TextFileData(file=name, train_size=5000, seq_len=10))


def test_word_level_keeps_the_most_frequent_words_and_marks():
    name = userdata.put(text.join([(PROSE.encode(), "p.txt")]), "text")
    opts = TextFileData(file=name, level="word", vocab_size=100, seq_len=5, train_size=20, val_size=10,
                        val_share=0.2)
    ds = loaders.load(opts)
    tokens = ds.extra["tokens"]
    assert tokens.size == 100 and {".", "(", ")", "\n", '"', "She", "It"} <= set(tokens.symbols)
    assert tokens.text(ds.x_train[0]) == "¶ It was a dark"
    assert loaders.tokens_for(opts) == tokens  # the Write page's vocabulary is training's


@pytest.mark.parametrize("archive", [True, False])
def test_the_reviews_are_read_in_place_from_the_archive_or_the_folder(tmp_path, archive):
    where = fakedata.write_aclimdb(tmp_path, n_train=12, n_test=4, archive=archive)
    found = reviews.read(where)
    assert len(found["train"]) == 12 and len(found["test"]) == 4
    expected = sorted(fakedata.acl_review(k, 0).replace("<br /><br />", "\n\n") for k in range(12))
    assert sorted(found["train"]) == expected  # case, punctuation, quotes kept; <br /> as line breaks
    assert list(found["train"]) != expected  # shuffled: positive and negative reviews mix


def test_archive_and_folder_give_the_same_order(tmp_path):
    a = reviews.read(fakedata.write_aclimdb(tmp_path / "a", n_train=10, archive=True))
    b = reviews.read(fakedata.write_aclimdb(tmp_path / "b", n_train=10, archive=False))
    assert a == b


def test_reviews_are_found_like_the_standard_files(tmp_path, monkeypatch):
    assert standard.locate("aclImdb", tmp_path) is None
    fakedata.write_aclimdb(standard.keras_cache_dir() / "aclImdb_v1_extracted", archive=False)
    assert standard.locate("aclImdb").name == "aclImdb"  # the folder Keras's get_file(extract=True) leaves
    archive = fakedata.write_aclimdb(tmp_path / "data", n_train=8)
    assert standard.locate("aclImdb", tmp_path / "data") == archive  # the data folder first
    with pytest.raises(standard.DataUnavailable, match="prefetch aclImdb"):
        standard.download(standard.ACLIMDB_ARCHIVE)  # offline in tests: the message names the fix


def test_without_a_test_split_validation_is_a_held_out_share(tmp_path):
    fakedata.write_aclimdb(tmp_path, n_train=20)
    train, val = text.documents(TextFileData(val_share=0.25), str(tmp_path))
    assert len(train) == 15 and len(val) == 5 and not set(train) & set(val)
    fakedata.write_aclimdb(tmp_path / "both", n_train=20, n_test=6)
    train, val = text.documents(TextFileData(val_share=0.25), str(tmp_path / "both"))
    assert len(train) == 20 and len(val) == 6  # the test reviews


def test_a_damaged_archive_is_one_line(tmp_path):
    archive = fakedata.write_aclimdb(tmp_path, n_train=8)
    fakedata.truncate(archive, 0.5)
    with pytest.raises(standard.DataError, match="not a readable .tar.gz archive") as e:
        reviews.read(archive)
    assert "\n" not in str(e.value)


def test_find_units_counts_quotes_parentheses_words_sentences_and_line_breaks_by_hand():
    s = 'a "b (c)." d\ne'
    tokens = lm.Tokens("char", ("<pad>", "<start>", "<unk>", *sorted(set(s))), raw=True)
    ids, dropped = tokens.encode(s)
    assert dropped == []
    f = write.features(tokens, ids.tolist(), [lm.START])
    #                    a  _  "  b  _  (  c  )  .  "  _  d  \n e
    hand = {"inside quotes": [0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
            "inside parentheses": [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0],
            "position in the word": [1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1],
            "position in the sentence": [1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3, 4, 5],
            "after a line break": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            "position in the document": list(range(1, 15)),
            "a space (word boundary)": [0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0]}
    assert {k: v.tolist() for k, v in f.items()} == hand
    # the prompt sets the state: after an opening quote and "(" the written text is inside both
    tail = write.features(tokens, ids[3:4].tolist(), [lm.START, *ids[:3].tolist(), *ids[5:6].tolist()])
    assert tail["inside quotes"].tolist() == [1] and tail["inside parentheses"].tolist() == [1]
