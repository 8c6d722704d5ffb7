"""Server-wide settings a teacher's command leaves for the app, in `$RNNVIZ_HOME/settings.json`.

Today one: the data folder given to `python -m rnnviz prepare-lesson --data-dir`, so that every student's page
finds the lesson's data without each browser typing the folder on Home. The app uses it when neither the Home
page's field nor `$RNNVIZ_DATA_DIR` names a folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from rnnviz.data import files
from rnnviz.store.runs import default_root

NAME = "settings.json"
MAX_BYTES = 64 << 10  # a few paths; anything bigger is not ours


def data_dir(root: Path | None = None) -> str | None:
    """The saved data folder, or None (no file, or a file that is damaged or not ours: it is ignored)."""
    path = (root or default_root()) / NAME
    try:
        files.regular(path, MAX_BYTES)
        saved = files.load_json(path.read_bytes(), str(path), max_depth=4).get("data_dir")
    except (OSError, ValueError, AttributeError):
        return None
    return saved if isinstance(saved, str) and saved else None


def save_data_dir(folder: str, root: Path | None = None) -> Path:
    """Saves the data folder for the app (written whole, then renamed into place). Returns the file."""
    root = root or default_root()
    root.mkdir(parents=True, exist_ok=True)
    path, tmp = root / NAME, root / f".{NAME}.{os.getpid()}"
    tmp.write_text(json.dumps({"data_dir": str(Path(folder).expanduser().resolve())}, indent=1))
    os.replace(tmp, path)
    return path
