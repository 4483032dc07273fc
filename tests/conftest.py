"""Test harness: a fresh database per test, on SQLite by default or on PostgreSQL
when ``TRACE_TEST_DATABASE_URL`` names one.

``TRACE_NO_SKIP=1`` (set by ``.ci/run``) turns every skip into a failure, so a
missing part (PostgreSQL, a browser, a font) can never pass silently in CI.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from trace.guard import ensure_project_trace

ensure_project_trace()

# Keys and generated files of a test run stay out of the developer's var/.
if "TRACE_DATA_DIR" not in os.environ:
    os.environ["TRACE_DATA_DIR"] = tempfile.mkdtemp(prefix="trace-test-")
    atexit.register(shutil.rmtree, os.environ["TRACE_DATA_DIR"], ignore_errors=True)
# Tests call jobs directly; no background scheduler in test apps.
os.environ.setdefault("TRACE_SCHEDULER", "0")

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402

from trace import registry  # noqa: E402
from trace.db import make_engine, normalize_database_url  # noqa: E402

PG_URL = os.environ.get("TRACE_TEST_DATABASE_URL", "")
NO_SKIP = os.environ.get("TRACE_NO_SKIP") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip on a user's machine that lacks a part; fail in CI, where nothing may be skipped."""
    if NO_SKIP:
        pytest.fail(f"required in CI (TRACE_NO_SKIP=1): {reason}")
    pytest.skip(reason)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if NO_SKIP and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every test must run (TRACE_NO_SKIP=1): {report.longrepr}"


def pytest_report_header(config):  # type: ignore[no-untyped-def]
    return f"database under test: {'PostgreSQL ' + PG_URL if PG_URL else 'SQLite (a fresh file per test)'}"


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine | None]:
    if not PG_URL:
        yield None
        return
    engine = make_engine(PG_URL)
    registry.metadata.drop_all(engine)
    registry.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _truncate_all(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in registry.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def database_url(tmp_path: Path, pg_engine: Engine | None) -> str:
    return PG_URL if pg_engine is not None else f"sqlite:///{tmp_path / 'trace.db'}"


@pytest.fixture
def engine(database_url: str, pg_engine: Engine | None) -> Iterator[Engine]:
    if pg_engine is not None:
        _truncate_all(pg_engine)
        yield pg_engine
        return
    engine = make_engine(database_url)
    registry.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session
        session.rollback()


@pytest.fixture
def app(engine: Engine):  # type: ignore[no-untyped-def]
    from trace.app import create_app

    return create_app(engine)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as test_client:
        yield test_client


@contextmanager
def new_empty_database(directory: Path) -> Iterator[str]:
    """A database with no tables at all, as a fresh install has: a new SQLite file, or
    a new PostgreSQL database beside the test one (dropped afterwards)."""
    if not PG_URL:
        yield f"sqlite:///{directory / f'empty-{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"trace_empty_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(normalize_database_url(PG_URL)).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    with new_empty_database(tmp_path) as url:
        yield url
