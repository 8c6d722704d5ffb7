"""A process body for the run store's race test: saves one run id many times (imports no Keras, so the
spawned processes start fast)."""

import json
import zipfile

from rnnviz.store import RunStore
from tests.conftest import tiny

INFO = {"created": "2026-01-01T00:00:00+0000", "params": 5, "train_seconds": 1.0, "device": "CPU"}


class ZipModel:
    """Stands in for a Keras model: `save` writes a small valid zip."""

    def __init__(self, tag: str):
        self.tag = tag

    def save(self, path) -> None:
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("config.json", json.dumps({"tag": self.tag}))


def race(root: str, tag: str, rounds: int, barrier, errors) -> None:
    """Saves the same run id `rounds` times, meeting the other process at `barrier` before each save; puts
    one line per failed save on the `errors` queue."""
    store = RunStore(root)
    for k in range(rounds):
        barrier.wait(timeout=60)
        try:
            store.save(tiny(), ZipModel(f"{tag}{k}"), {"loss": [0.5]}, {"val_rmse": 0.1}, dict(INFO))
        except BaseException as e:  # reported to the parent, which fails the test
            errors.put(f"{tag} round {k}: {type(e).__name__}: {e}")
