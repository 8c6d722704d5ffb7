"""Start-up paths import no framework: what app.py imports before its KERAS_BACKEND check (`rnnviz.backend`,
`rnnviz.ui`), the CLI's quick commands, and a training child before it ignores SIGINT.

Each path runs in a fresh interpreter, so what this test process has imported does not count. These are what the
imports left inside functions (each with its `# lazy:` reason) are for; a module-level import that pulls Keras
into one of these paths fails here instead of slowing `presets` down or turning a bad `KERAS_BACKEND` into a
traceback.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = ("keras", "tensorflow", "jax", "torch")
# modules imported before a backend check, or by commands that must answer at once: no framework may load
KERAS_FREE = ("rnnviz.config", "rnnviz.backend", "rnnviz.ui", "rnnviz.cli", "rnnviz.store", "rnnviz.models.budget",
              "rnnviz.models.device", "rnnviz.data.loaders", "rnnviz.training.sweep", "rnnviz.training.processes")


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=120)


def _imported(importtime_log: str) -> set[str]:
    """The top-level packages in a `python -X importtime` log (its stderr)."""
    return {line.rsplit("|", 1)[1].strip().split(".")[0] for line in importtime_log.splitlines()
            if line.startswith("import time:") and line.count("|") == 2}


def test_modules_on_start_up_paths_import_no_framework():
    code = f"import sys; import {', '.join(KERAS_FREE)}; print(*sorted(set(sys.modules) & set({FRAMEWORKS!r})))"
    out = _run(["-c", code])
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "", f"imported while importing {KERAS_FREE}: {out.stdout}"


@pytest.mark.parametrize("command", [["presets", "--json"], ["runs", "--json"], ["--help"]])
def test_quick_cli_commands_import_no_framework_pandas_or_plotly(command):
    out = _run(["-X", "importtime", "-m", "rnnviz", *command])
    assert out.returncode == 0, out.stderr[-2000:]
    heavy = _imported(out.stderr) & {*FRAMEWORKS, "pandas", "plotly", "ray", "streamlit"}
    assert heavy == set(), f"`python -m rnnviz {' '.join(command)}` imported {sorted(heavy)}"


@pytest.mark.parametrize("command", [["sweep", "--vary", "cell=lstm,gru"], ["prepare-lesson", "memory"]])
def test_cli_names_an_unknown_backend_before_importing_keras(command):
    """As `train` does (tests/test_backend.py): `sweep` and `prepare-lesson` import the sweep and lesson modules first."""
    out = _run(["-m", "rnnviz", *command, "--json"], KERAS_BACKEND="tensorfloe")
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2 and out.stdout == "", out.stderr[-2000:]
    assert len(lines) == 1 and "KERAS_BACKEND" in lines[0] and "pip install" in lines[0], out.stderr


APP_WITH_UNKNOWN_BACKEND = """
import json, sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("app.py", default_timeout=60).run()
print(json.dumps({"exceptions": len(at.exception), "errors": [e.value for e in at.error],
                  "frameworks": sorted(set(sys.modules) & {"keras", "tensorflow", "jax", "torch"})}))
"""


def test_app_names_an_unknown_backend_in_one_line():
    """app.py imports `rnnviz.ui` before it checks KERAS_BACKEND: a Keras import there would be a traceback."""
    out = _run(["-c", APP_WITH_UNKNOWN_BACKEND], KERAS_BACKEND="tensorfloe")
    assert out.returncode == 0, out.stderr[-2000:]
    page = json.loads(out.stdout.strip().splitlines()[-1])
    assert page["exceptions"] == 0 and page["frameworks"] == [], page
    assert len(page["errors"]) == 1 and "KERAS_BACKEND='tensorfloe'" in page["errors"][0], page
