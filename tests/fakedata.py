"""Tiny IMDB and CIFAR-10 files in the exact standard layouts (Keras's downloads), built by the tests."""

from __future__ import annotations

import json
import pickle
import tarfile
from pathlib import Path

import numpy as np

WORDS = ["the", "and", "a", "of", "to", "is", "br", "in", "it", "i", "this", "movie", "great", "bad",
         "don't", "film", "awful", "loved", "boring", "fun"]
WORD_INDEX = {w: rank for rank, w in enumerate(WORDS, start=1)}
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def _objects(rows: list[list[int]]) -> np.ndarray:
    arr = np.empty(len(rows), dtype=object)
    arr[:] = [[int(w) for w in r] for r in rows]  # plain ints, as in the real file
    return arr


def imdb_reviews(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` reviews of word ranks (1-20, lengths 3-30) whose label depends on the words used."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    good, bad = [WORD_INDEX[w] for w in ("great", "loved", "fun")], [WORD_INDEX[w] for w in ("bad", "awful", "boring")]
    rows = []
    for label in y:
        words = list(rng.integers(1, 12, rng.integers(3, 30)))
        words[rng.integers(len(words))] = rng.choice(good if label else bad)
        rows.append(words)
    return _objects(rows), y.astype("int64")


def write_imdb(folder: Path, n_train: int = 40, n_test: int = 30, seed: int = 0, **override) -> Path:
    """`imdb.npz` (object arrays of raw word ranks) and `imdb_word_index.json` in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    x_train, y_train = imdb_reviews(n_train, seed)
    x_test, y_test = imdb_reviews(n_test, seed + 1)
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test, **override}
    np.savez(folder / "imdb.npz", **{k: v for k, v in arrays.items() if v is not None})
    (folder / "imdb_word_index.json").write_text(json.dumps(WORD_INDEX))
    return folder / "imdb.npz"


def cifar_batch(n: int, seed: int) -> dict:
    """A python batch as the CIFAR-10 files hold it: bytes keys, uint8 `(n, 3072)` data, a labels list."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
    return {b"batch_label": b"batch", b"labels": [int(v) for v in labels], b"data": data,
            b"filenames": [f"img{i}.png".encode() for i in range(n)]}


def write_cifar(folder: Path, train_sizes=(7, 5), n_test: int = 6, archive: bool = False, batches=None,
                protocol: int = 4) -> Path:
    """`cifar-10-batches-py/` (data_batch_1.., test_batch, batches.meta) in `folder`, or its `.tar.gz`."""
    root = folder / "cifar-10-batches-py"
    root.mkdir(parents=True, exist_ok=True)
    files = {f"data_batch_{i}": cifar_batch(n, i) for i, n in enumerate(train_sizes, start=1)}
    files["test_batch"] = cifar_batch(n_test, 99)
    files["batches.meta"] = {b"label_names": [c.encode() for c in CLASSES], b"num_vis": 3072}
    files.update(batches or {})
    for name, obj in files.items():
        blob = obj if isinstance(obj, bytes) else pickle.dumps(obj, protocol=protocol)
        (root / name).write_bytes(blob)
    if not archive:
        return root
    tar_path = folder / "cifar-10-python.tar.gz"
    with tarfile.open(tar_path, "w:gz") as tar:
        tar.add(root, arcname="cifar-10-batches-py")
    for p in root.iterdir():
        p.unlink()
    root.rmdir()
    return tar_path


def truncate(path: Path, keep: float = 0.5) -> None:
    """Cuts a file to a share of its length (a download that broke off)."""
    blob = path.read_bytes()
    path.write_bytes(blob[:int(len(blob) * keep)])


class Evil:
    """Unpickling this would run a command: loaders must refuse it."""

    def __reduce__(self):
        import os

        return (os.system, ("echo pwned",))


def evil_pickle() -> bytes:
    return pickle.dumps({b"data": Evil(), b"labels": [0]})


REVIEW_WORDS = ["The", "film", "was", "great", "awful", "(really)", '"fun"', "I", "loved", "it", "boring", "plot",
                "don't", "see", "this", "movie", "acting", "-", "a", "10/10"]


def acl_review(k: int, seed: int) -> str:
    """A raw review with case, punctuation, quotes, parentheses and an HTML line break, as aclImdb writes them."""
    rng = np.random.default_rng(seed * 10_000 + k)
    words = [REVIEW_WORDS[i] for i in rng.integers(0, len(REVIEW_WORDS), rng.integers(8, 30))]
    return " ".join(words[:4]) + ".<br /><br />" + " ".join(words[4:]) + "!"


def write_aclimdb(folder: Path, n_train: int = 30, n_test: int = 0, archive: bool = True, seed: int = 0) -> Path:
    """Stanford's layout, `aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt` (plus README and imdb.vocab, which are
    not reviews), as `aclImdb_v1.tar.gz` in `folder` or as the extracted `folder/aclImdb/`."""
    root = folder / "aclImdb"
    for split, n in (("train", n_train), ("test", n_test)):
        for k in range(n):
            label = ("pos", "neg")[k % 2]
            path = root / split / label / f"{k}_{7 if label == 'pos' else 2}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(acl_review(k, seed + (split == "test")), encoding="utf-8")
    (root / "README").write_text("Large Movie Review Dataset v1.0\n")
    (root / "imdb.vocab").write_text("the\nand\n")
    if not archive:
        return root
    target = folder / "aclImdb_v1.tar.gz"
    with tarfile.open(target, "w:gz") as tar:
        tar.add(root, arcname="aclImdb")
    import shutil

    shutil.rmtree(root)
    return target
