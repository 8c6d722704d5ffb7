"""The Streamlit internals the app relies on (rnnviz/ui/st_internals.py) are present, patched, and the only ones.

An upgrade of Streamlit that renames or drops one of them fails here, with a message naming the version.
"""

import ast
from pathlib import Path

import pytest
import streamlit as st

from rnnviz.ui import st_internals

ROOT = Path(__file__).resolve().parent.parent


def test_every_internal_is_present():
    assert st_internals.missing() == [], f"streamlit {st.__version__}: {st_internals.missing()}"
    st_internals.check()


def test_a_changed_internal_fails_loudly_naming_the_version(monkeypatch):
    from streamlit.runtime.pages_manager import PagesManager

    monkeypatch.delattr(PagesManager, "uses_pages_directory")
    with pytest.raises(st_internals.StreamlitInternalsChanged) as e:
        st_internals.check()
    assert f"streamlit {st.__version__}" in str(e.value) and "uses_pages_directory" in str(e.value)


def test_streamlit_no_longer_clears_the_keras_session():
    """The patch in effect: Streamlit's after-run clean-up leaves Keras's global state (its name counters)."""
    import keras
    from streamlit.runtime.scriptrunner import script_runner

    import rnnviz.ui.core  # noqa: F401  (applies the patch, as every page does)

    before = keras.backend.get_uid("st_internals_probe")
    script_runner._clean_problem_modules()
    assert keras.backend.get_uid("st_internals_probe") == before + 1  # clear_session() would restart at 1
    keras.backend.clear_session()  # what the original does, for contrast
    assert keras.backend.get_uid("st_internals_probe") == 1


def _streamlit_imports(path: Path) -> list[str]:
    """Modules under `streamlit.` that a file imports (other than `streamlit` itself)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("streamlit."):
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [a.name for a in node.names if a.name.startswith("streamlit.")]
    return names


def test_no_other_module_of_the_app_reaches_into_streamlit():
    files = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "rnnviz").rglob("*.py")]
    found = {str(f.relative_to(ROOT)): _streamlit_imports(f) for f in files if f.name != "st_internals.py"}
    public = {"streamlit.testing.v1", "streamlit.components.v1"}  # documented APIs (AppTest; the voter cookie)
    assert {f: [n for n in names if n not in public] for f, names in found.items()
            if set(names) - public} == {}


def test_every_chart_passes_through_the_styler():
    """`style_every_chart` (installed by app.py through rnnviz.ui.projector) wraps both ways of drawing a chart."""
    from streamlit.delta_generator import DeltaGenerator

    from rnnviz.ui import projector

    projector.install()
    assert st.plotly_chart._rnnviz_styled and DeltaGenerator.plotly_chart._rnnviz_styled
    assert st_internals._styling(st.plotly_chart, None) is st.plotly_chart  # once per process
