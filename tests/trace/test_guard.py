"""The name ``trace``: ours wins from the project root; elsewhere the guard says why it failed."""

from __future__ import annotations

import subprocess
import sys

from trace.guard import PROJECT_ROOT, ensure_project_trace


def test_trace_resolves_to_the_project_package_in_the_test_run():
    import trace

    assert hasattr(trace, "__path__")
    assert trace.__path__[0] == str(PROJECT_ROOT / "trace")
    ensure_project_trace()


def test_guard_fails_fast_with_a_clear_message_when_the_standard_library_wins(tmp_path):
    # -I isolates: the project root is not on sys.path, so `import trace` finds the stdlib.
    code = (
        f"import sys; sys.path.append({str(PROJECT_ROOT)!r}); "
        "import importlib.util, trace; "
        f"spec = importlib.util.spec_from_file_location('g', {str(PROJECT_ROOT / 'trace' / 'guard.py')!r}); "
        "g = importlib.util.module_from_spec(spec); spec.loader.exec_module(g); g.ensure_project_trace()"
    )
    result = subprocess.run([sys.executable, "-I", "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode != 0
    assert "standard library" in result.stderr
    assert "project root" in result.stderr


def test_the_cli_runs_from_the_project_root():
    result = subprocess.run([sys.executable, "-m", "trace", "--help"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "verify" in result.stdout

