"""``python -m trace …`` — the admin CLI (run from the project root)."""

from trace.guard import ensure_project_trace

ensure_project_trace()

from trace.cli import main  # noqa: E402

main()
