"""The layering written down in `.importlinter` holds, and no module under rnnviz/ grows past 400 lines.

`lint-imports` runs from this interpreter's environment (requirements-dev.txt installs import-linter), so the
README's one test command checks the contracts as CI's `lint-imports` step does.
"""

import configparser
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 400  # STYLE.md: small modules with one job each, 100-400 lines


def test_import_contracts_are_kept():
    contracts = [s for s in _config().sections() if s.startswith("importlinter:contract:")]
    assert len(contracts) >= 5  # layers, training's layers, acyclic, no streamlit, no framework
    lint = Path(sys.executable).parent / "lint-imports"
    proc = subprocess.run([str(lint), "--no-cache", "--no-logo"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert f"Contracts: {len(contracts)} kept, 0 broken." in out, out[-4000:]
    assert "BROKEN" not in out and out.count("KEPT") == len(contracts)


def test_every_package_and_top_level_module_has_its_layer():
    """The layers contract is exhaustive over rnnviz/'s children, so a new package gets a place; the two
    forbidden contracts name every child except the one allowed to import (ui: streamlit; backend: frameworks)."""
    config = _config()
    children = {p.stem for p in (ROOT / "rnnviz").iterdir()
                if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()}
    layers = set(config["importlinter:contract:layers"]["layers"].split())
    assert layers | {"__main__"} == children
    for section, allowed in (("streamlit", "ui"), ("frameworks", "backend")):
        sources = config[f"importlinter:contract:{section}"]["source_modules"].split()
        assert sorted(sources) == sorted(f"rnnviz.{c}" for c in children - {allowed}), section


def test_no_module_is_longer_than_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in sorted((ROOT / "rnnviz").rglob("*.py"))
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}, f"modules over {MAX_LINES} lines (split them by purpose): {long}"


def _config() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter", encoding="utf-8")
    return config


def test_no_page_script_has_a_bare_value_that_streamlit_magic_would_print():
    """Streamlit's magic writes the value of any bare expression in a page script (a conditional expression on
    the Write page printed `None`); calls and docstrings are left alone."""
    import ast

    bare = []
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Expr) and not isinstance(node.value, (ast.Call, ast.Constant, ast.Await)):
                bare.append(f"{path.name}:{node.lineno}")
    assert not bare, bare
