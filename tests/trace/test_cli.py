"""The admin CLI, as an operator uses it on a fresh database: seed the demo, verify the
chains (and catch a tampered row), hold a checkpoint, issue tokens, print labels, export."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from suppliers.models import Batch
from tests.conftest import new_empty_database
from trace.cli import app as cli
from trace.db import make_engine
from trace.models import CustodyEvent
from trace.settings import PROJECT_ROOT, get_settings

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One school day of demo data in a database that started empty."""
    with new_empty_database(tmp_path_factory.mktemp("cli")) as url:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("DATABASE_URL", url)
            get_settings.cache_clear()
            result = runner.invoke(cli, ["seed", "--days", "1", "--start", "2025-09-01"])
            assert result.exit_code == 0, result.output
        get_settings.cache_clear()
        yield url


@pytest.fixture
def operator(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", demo_url)
    get_settings.cache_clear()
    yield demo_url
    get_settings.cache_clear()


def invoke(*args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_seed_reports_what_it_loaded(operator: str) -> None:
    engine = make_engine(operator)
    with engine.connect() as connection:
        events = connection.execute(select(func.count()).select_from(CustodyEvent)).scalar_one()
    engine.dispose()
    assert events > 1000


def test_seed_refuses_to_mix_two_demos(operator: str) -> None:
    result = runner.invoke(cli, ["seed", "--days", "1", "--start", "2025-09-02"])

    assert result.exit_code == 1
    assert "--reset" in result.output and "已有业务数据" in result.output


def test_seed_refuses_a_malformed_start_date(operator: str) -> None:
    result = runner.invoke(cli, ["seed", "--days", "1", "--start", "2025/09/01"])

    assert result.exit_code == 1 and "YYYY-MM-DD" in result.output


def test_verify_passes_then_names_a_tampered_event(operator: str, tmp_path: Path) -> None:
    assert "OK" in invoke("verify")
    invoke("checkpoint", "--out", str(tmp_path / "held.json"))
    assert "OK" in invoke("verify", "--checkpoint", str(tmp_path / "held.json"))

    engine = make_engine(operator)
    with engine.begin() as connection:
        row = connection.execute(text("SELECT id, stream, seq FROM custody_event WHERE biz_step = 'receiving' "
                                      "ORDER BY id LIMIT 1")).one()
        original = connection.execute(text("SELECT payload FROM custody_event WHERE id = :id"),
                                      {"id": row.id}).scalar_one()
        connection.execute(text("UPDATE custody_event SET payload = :p WHERE id = :id"),
                           {"p": original.replace('"accepted_quantity":"', '"accepted_quantity":"1'), "id": row.id})
    try:
        result = runner.invoke(cli, ["verify"])
        assert result.exit_code == 2, result.output
        assert f"{row.stream} seq {row.seq}" in result.output
        assert f"row {row.id}" in result.output
    finally:
        with engine.begin() as connection:
            connection.execute(text("UPDATE custody_event SET payload = :p WHERE id = :id"),
                               {"p": original, "id": row.id})
        engine.dispose()
    assert "OK" in invoke("verify")


def test_a_token_from_the_cli_opens_the_api(operator: str) -> None:
    from fastapi.testclient import TestClient

    from trace.app import create_app

    invoke("user", "create", "inspector-wang", "inspector", "--name", "王监管")
    token = invoke("token", "create", "inspector-wang", "--name", "执法记录仪").strip().splitlines()[-1]

    engine = make_engine(operator)
    try:
        with TestClient(create_app(engine)) as client:
            response = client.get("/api/v1/suppliers", headers={"Authorization": f"Bearer {token}"})
    finally:
        engine.dispose()
    assert response.status_code == 200, response.text
    assert len(response.json()) == 12


def test_labels_for_a_date_range_are_written_with_an_a4_sheet(operator: str, tmp_path: Path) -> None:
    engine = make_engine(operator)
    with engine.connect() as connection:
        supplier_id, produced = connection.execute(
            select(Batch.supplier_id, func.count()).group_by(Batch.supplier_id).order_by(func.count())).first()
    engine.dispose()

    output = invoke("labels", "--out", str(tmp_path), "--from", "2025-06-01", "--to", "2025-09-01",
                    "--supplier-id", str(supplier_id))

    pngs = sorted(tmp_path.glob("*.png"))
    assert len(pngs) == produced and f"wrote {produced} labels" in output
    assert (tmp_path / "labels.pdf").read_bytes().startswith(b"%PDF")


def test_export_writes_every_event_as_a_json_line(operator: str, tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    invoke("export", "events", str(out))

    lines = out.read_text(encoding="utf-8").splitlines()
    engine = make_engine(operator)
    with engine.connect() as connection:
        assert len(lines) == connection.execute(select(func.count()).select_from(CustodyEvent)).scalar_one()
    engine.dispose()
    first = json.loads(lines[0])
    assert {"event_id", "stream", "seq", "hash", "prev_hash"} <= first.keys()


def test_a_refusal_prints_its_reason_not_a_traceback(operator: str) -> None:
    """Run as an operator does, ``python -m trace`` from the checkout."""
    result = subprocess.run(
        [sys.executable, "-m", "trace", "token", "create", "nobody-here"],
        cwd=PROJECT_ROOT, env={**os.environ, "DATABASE_URL": operator},
        capture_output=True, text=True, timeout=120,
    )

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "user_not_found" in result.stdout


def test_serve_points_labels_at_itself_unless_a_resolver_is_configured(
        operator: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    served: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: served.append(get_settings().resolver_base_url))
    monkeypatch.setenv("TRACE_RESOLVER_BASE_URL", "unset-below")  # restored (removed) after the test
    monkeypatch.delenv("TRACE_RESOLVER_BASE_URL")
    get_settings.cache_clear()

    invoke("serve", "--port", "8123", "--demo-days", "0")
    monkeypatch.delenv("TRACE_RESOLVER_BASE_URL")  # each serve is its own process in real life
    get_settings.cache_clear()
    invoke("serve", "--host", "::1", "--port", "8125", "--demo-days", "0")
    monkeypatch.setenv("TRACE_RESOLVER_BASE_URL", "https://trace.zhangqiu.example")
    get_settings.cache_clear()
    invoke("serve", "--port", "8124", "--demo-days", "0")

    assert served == ["http://127.0.0.1:8123", "http://[::1]:8125", "https://trace.zhangqiu.example"]


def test_serve_on_every_address_asks_for_the_address_phones_reach(
        operator: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    served: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: served.append(get_settings().resolver_base_url))
    monkeypatch.setenv("TRACE_RESOLVER_BASE_URL", "unset-below")
    monkeypatch.delenv("TRACE_RESOLVER_BASE_URL")
    get_settings.cache_clear()

    output = invoke("serve", "--host", "0.0.0.0", "--port", "8126", "--demo-days", "0")

    assert "TRACE_RESOLVER_BASE_URL" in output
    assert served == ["http://127.0.0.1:8000"]  # the documented default, not http://0.0.0.0:8126
