"""Imports only point down the four floors of docs/style.md: the import-linter contracts in
pyproject.toml hold, and every module of `trace/` stands on a named floor."""

from __future__ import annotations

import importlib.util
import tomllib

from tests.conftest import skip_or_fail
from trace.settings import PROJECT_ROOT

CONFIG = PROJECT_ROOT / "pyproject.toml"


def _floors() -> list[str]:
    contracts = tomllib.loads(CONFIG.read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    (floors,) = [c for c in contracts if c["id"] == "floors"]
    return floors["layers"]


def test_import_contracts_are_kept(capsys) -> None:
    if importlib.util.find_spec("importlinter") is None:
        skip_or_fail("import-linter is not installed (./dev setup installs it)")
    from importlinter.cli import lint_imports

    # In process, so `trace` is the project's package (pytest puts the root first on sys.path),
    # never the standard library's module of that name.
    exit_code = lint_imports(config_filename=str(CONFIG), no_cache=True, no_logo=True)

    assert exit_code == 0, capsys.readouterr().out


def test_every_trace_module_stands_on_a_floor() -> None:
    named = {m.strip() for layer in _floors() for m in layer.replace("|", ":").split(":")}
    modules = {f"trace.{p.stem}" for p in (PROJECT_ROOT / "trace").glob("*.py") if p.stem != "__init__"}

    assert modules - named == set(), "add these modules to a floor in pyproject.toml [tool.importlinter]"
