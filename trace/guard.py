"""Fail fast when ``import trace`` resolves to the standard library.

Our package shares its name with the standard library's ``trace`` module. Ours
wins only when the project root is first on ``sys.path`` (``python -m trace``,
``uvicorn trace.app:app`` or ``pytest`` run from the root). After ``pip install``,
under ``python -I``/``-P`` or from another directory, the standard library wins and
every ``import trace.x`` would fail with a confusing message, so entry points call
:func:`ensure_project_trace` first. It cannot live in ``trace/__init__.py``: that
file never runs when the standard library wins.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def ensure_project_trace() -> None:
    """Raise a clear error unless ``trace`` is this project's package."""
    module = sys.modules.get("trace") or importlib.import_module("trace")
    if not hasattr(module, "__path__"):
        raise RuntimeError(
            f"'trace' resolved to {getattr(module, '__file__', module)!r}, the standard library "
            f"module, not this project's package. Run from the project root ({PROJECT_ROOT}), "
            "e.g. `cd <project> && .venv/bin/python -m trace …`; never `pip install` the project. "
            "/ 'trace' 解析成了标准库模块：请在项目根目录下运行，不要 pip install 本项目。"
        )
