"""The inner loop's list of slow tests names tests that exist (a renamed test would silently rejoin the loop)."""

import re
from pathlib import Path

from tests.conftest import SLOW, SLOW_MODULES

HERE = Path(__file__).resolve().parent


def test_every_listed_slow_test_exists():
    for module, names in SLOW.items():
        source = (HERE / module).read_text()
        defined = set(re.findall(r"^(?:async )?def (test_\w+)\(", source, flags=re.M))
        assert names <= defined, f"{module} has no {sorted(names - defined)}: update SLOW in tests/conftest.py"
    assert all((HERE / m).is_file() for m in SLOW_MODULES)
