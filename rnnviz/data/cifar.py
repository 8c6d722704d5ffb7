"""CIFAR-10 from its standard python batches (the `cifar-10-batches-py` folder or its `.tar.gz`), as Keras
gives it, read without Keras's loader; the files are found (and downloaded) by `rnnviz.data.standard`."""

from __future__ import annotations

import functools
import io
import os
import tarfile
import zlib
from pathlib import Path
from typing import Callable

import numpy as np

from rnnviz.data import standard
from rnnviz.data.standard import DataError

CIFAR_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def _unpickle(blob: bytes, where: str) -> dict:
    try:
        d = standard.NumpyOnlyUnpickler(io.BytesIO(blob), encoding="bytes").load()
    except Exception as e:
        raise DataError(f"{where}: not a readable CIFAR-10 python batch (truncated or corrupt?): {e}") from e
    if not isinstance(d, dict):
        raise DataError(f"{where}: must hold a pickled dict, not {type(d).__name__}")
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in d.items()}


def _batch(blob: bytes, where: str) -> tuple[np.ndarray, np.ndarray]:
    """One python batch: uint8 images `(n, 32, 32, 3)` and int64 labels `(n,)`."""
    d = _unpickle(blob, where)
    missing = [k for k in ("data", "labels") if k not in d]
    if missing:
        raise DataError(f"{where}: missing key(s) {', '.join(missing)} (expected b'data' and b'labels')")
    x, y = np.asarray(d["data"]), np.asarray(d["labels"])
    if x.dtype != np.uint8 or x.ndim != 2 or x.shape[1] != 3072:
        raise DataError(f"{where}: b'data' must be uint8 of shape (n, 3072). Received {x.dtype} {x.shape}")
    if y.ndim != 1 or len(y) != len(x):
        raise DataError(f"{where}: {len(x)} images but {y.size} labels")
    if len(x) == 0:
        raise DataError(f"{where}: holds no images (an empty or cut-down batch); put the standard file there")
    if len(y) and (not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() > 9):
        raise DataError(f"{where}: labels must be integers 0-9. Received values from {y.min()} to {y.max()}")
    return x.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), y.astype("int64")


def _cifar_members(path: Path) -> dict[str, tuple[bytes, str]]:
    """The batch files by name (`data_batch_1`, ..., `test_batch`, `batches.meta`): bytes and where from."""
    names = lambda n: n.startswith("data_batch_") or n in ("test_batch", "batches.meta")  # noqa: E731
    if path.is_dir():
        out = {}
        for p in sorted(path.iterdir()):
            if names(p.name):
                standard.regular(p, limit=standard.MAX_MEMBER_BYTES)
                out[p.name] = (p.read_bytes(), str(p))
        return out
    standard.regular(path)
    out = {}
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar:
                base = member.name.rsplit("/", 1)[-1]
                if member.isfile() and names(base):
                    where = f"{path}:{member.name}"
                    out[base] = (standard.capped(tar.extractfile(member), member.size, where), where)
    except (tarfile.TarError, EOFError, OSError, zlib.error) as e:
        raise DataError(f"{path}: not a readable .tar.gz archive (truncated or corrupt?): {e}") from e
    return out


@functools.lru_cache(maxsize=1)
def _cifar_arrays(path: Path, mtime: float):
    members = _cifar_members(path)
    train = sorted((n for n in members if n.startswith("data_batch_")),
                   key=lambda n: int(n.rsplit("_", 1)[1]) if n.rsplit("_", 1)[1].isdigit() else 0)
    if not train or "test_batch" not in members:
        raise DataError(f"{path}: needs data_batch_* and test_batch files. Found: "
                        f"{', '.join(sorted(members)) or 'none'}")
    parts = [_batch(*members[n]) for n in train]
    x_test, y_test = _batch(*members["test_batch"])
    names = list(CIFAR_CLASSES)
    if "batches.meta" in members:
        meta = _unpickle(*members["batches.meta"])
        got = meta.get("label_names")
        if not isinstance(got, list) or len(got) != 10:
            raise DataError(f"{members['batches.meta'][1]}: b'label_names' must list the 10 class names")
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in got]
    x_train = np.concatenate([p[0] for p in parts])
    y_train = np.concatenate([p[1] for p in parts])
    return (x_train, y_train), (x_test, y_test), names


def load_cifar10(data_dir: str | os.PathLike | None = None, progress: Callable[[str], None] | None = None):
    """CIFAR-10 as `keras.datasets.cifar10.load_data` gives it (channels last), with the class names.

    Reads every `data_batch_*` there is (not necessarily five, nor 10,000 images each) and `test_batch`,
    from the `cifar-10-batches-py` folder or a `.tar.gz` holding it.

    Returns:
        `(x_train, y_train), (x_test, y_test), class_names`: x uint8 `(n, 32, 32, 3)`, y int64 `(n,)`.

    Raises:
        DataUnavailable: no files and no download. DataError: malformed files (named in the message).
    """
    path = standard.locate("cifar10", data_dir) or standard.download("cifar-10-python.tar.gz", progress)
    return _cifar_arrays(path, path.stat().st_mtime)

