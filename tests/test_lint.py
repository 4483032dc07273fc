"""The code stays free of unused or undefined names and keeps one import order
(ruff, configured in pyproject.toml)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

from tests.conftest import skip_or_fail
from trace.settings import PROJECT_ROOT


def test_ruff_finds_nothing() -> None:
    if importlib.util.find_spec("ruff") is None:
        skip_or_fail("ruff is not installed (./dev setup installs it)")
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stdout + result.stderr
