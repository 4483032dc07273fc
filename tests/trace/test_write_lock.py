"""SQLite has one write lock: a request holds it only for its own write, and a read never.

Each test asks, just before every statement the app runs, whether another process could
begin a write at that moment (``BEGIN IMMEDIATE`` with no waiting). These run on SQLite
whatever the suite's database is: PostgreSQL has no database-wide write lock.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from suppliers.models import Batch, BatchStatus
from tests.factories import bearer, make_world, today
from trace import registry
from trace.db import make_engine, reading, write_transaction


@pytest.fixture
def sqlite_engine(tmp_path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'lock.db'}")
    registry.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def world(sqlite_engine):
    with Session(sqlite_engine, expire_on_commit=False) as session:
        world = make_world(session)
        world.headers = bearer(session, world.supplier_user)
        return world


@pytest.fixture
def client(sqlite_engine) -> Iterator[TestClient]:
    from trace.app import create_app

    with TestClient(create_app(sqlite_engine)) as test_client:
        yield test_client


def _another_writer_would_wait(engine: Engine) -> bool:
    other = sqlite3.connect(engine.url.database, isolation_level=None, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as busy:
        assert "locked" in str(busy)
        return True
    else:
        other.execute("ROLLBACK")
        return False
    finally:
        other.close()


@contextmanager
def probing(engine: Engine) -> Iterator[list[tuple[str, bool]]]:
    """(statement, whether another writer would have had to wait) for each statement run."""
    seen: list[tuple[str, bool]] = []

    def probe(_connection, _cursor, statement, _parameters, _context, _executemany) -> None:  # type: ignore[no-untyped-def]
        seen.append((" ".join(statement.split()), _another_writer_would_wait(engine)))

    event.listen(engine, "before_cursor_execute", probe)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", probe)


def _ship(client, world, **headers):
    return client.post("/api/v1/shipments", headers={**world.headers, **headers}, json={
        "batch_id": world.batch.id, "order_line_id": world.line.id, "quantity": "10", "unit": "kg",
        "ship_date": today().isoformat()})


def test_a_public_batch_page_view_never_holds_the_write_lock(client, world, sqlite_engine):
    with probing(sqlite_engine) as seen:
        assert client.get(f"/public/batches/{world.batch.id}?lang=zh-CN").status_code == 200
    assert any("FROM batch" in statement for statement, _ in seen)
    assert [statement for statement, locked in seen if locked] == []


def test_the_resolver_never_holds_the_write_lock(client, world, sqlite_engine):
    from trace.resolver import batch_uri
    from trace.settings import get_settings

    path = batch_uri(world.batch).removeprefix(get_settings().resolver_base_url.rstrip("/"))
    with probing(sqlite_engine) as seen:
        assert client.get(path, headers={"Accept": "text/html"}, follow_redirects=False).status_code == 307
    assert seen and [statement for statement, locked in seen if locked] == []


def _token_use_noted(client, world) -> None:
    # A token's use is noted at most once a minute, in a short write of its own before the
    # request's work (trace.deps): note it first, so what is probed is the request alone.
    assert client.get("/api/v1/products", headers=world.headers).status_code == 200


def test_an_authenticated_read_never_holds_the_write_lock(client, world, sqlite_engine):
    _token_use_noted(client, world)
    with probing(sqlite_engine) as seen:
        assert client.get(f"/api/v1/batches/{world.batch.id}", headers=world.headers).status_code == 200
    assert any("api_token" in statement for statement, _ in seen)
    assert [statement for statement, locked in seen if locked] == []


def test_a_write_authenticates_without_the_write_lock(client, world, sqlite_engine):
    _token_use_noted(client, world)
    with probing(sqlite_engine) as seen:
        assert _ship(client, world).status_code == 201
    token_lookup = [locked for statement, locked in seen if "api_token" in statement]
    assert token_lookup == [False]


def test_a_write_begins_immediate_before_its_idempotency_lookup_and_holds_the_lock_to_the_commit(
        client, world, sqlite_engine):
    _token_use_noted(client, world)
    with probing(sqlite_engine) as seen:
        assert _ship(client, world, **{"Idempotency-Key": "ship-lock-1"}).status_code == 201
    statements = [statement for statement, _ in seen]
    begin = statements.index("BEGIN IMMEDIATE")
    assert "idempotency_record" in statements[begin + 1]
    assert all(locked for _, locked in seen[begin + 1:])
    assert any(statement.startswith("INSERT INTO shipment") for statement in statements[begin + 1:])


def test_a_replayed_write_answers_from_the_record_taken_under_the_lock(client, world, sqlite_engine):
    first = _ship(client, world, **{"Idempotency-Key": "ship-lock-2"})
    with probing(sqlite_engine) as seen:
        again = _ship(client, world, **{"Idempotency-Key": "ship-lock-2"})
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert not any(statement.startswith("INSERT") for statement, _ in seen)
    assert not _another_writer_would_wait(sqlite_engine)


def test_a_request_session_reads_without_the_lock_until_its_write_begins(world, sqlite_engine):
    with Session(reading(sqlite_engine)) as session:
        session.get(Batch, world.batch.id)
        assert not _another_writer_would_wait(sqlite_engine)
        with write_transaction(session):
            assert _another_writer_would_wait(sqlite_engine)
        assert not _another_writer_would_wait(sqlite_engine)


def test_rows_read_before_the_write_begins_are_read_again_under_the_lock(world, sqlite_engine):
    with Session(reading(sqlite_engine), expire_on_commit=False) as session:
        batch = session.get(Batch, world.batch.id)
        assert batch.status == BatchStatus.active
        with sqlite_engine.begin() as other:  # e.g. an inspector's hold commits meanwhile
            other.execute(text("UPDATE batch SET status = 'on_hold' WHERE id = :id"), {"id": world.batch.id})
        with write_transaction(session):
            assert session.get(Batch, world.batch.id).status == BatchStatus.on_hold


def test_a_change_made_before_the_write_begins_is_refused(world, sqlite_engine):
    with Session(reading(sqlite_engine)) as session:
        session.get(Batch, world.batch.id).origin = "elsewhere"
        with pytest.raises(RuntimeError, match="before its write transaction"), write_transaction(session):
            pass


def test_a_tokens_use_is_noted_once_a_minute_not_on_every_request(client, world, sqlite_engine):
    with probing(sqlite_engine) as first:
        assert client.get("/api/v1/products", headers=world.headers).status_code == 200
    with probing(sqlite_engine) as second:
        assert client.get("/api/v1/products", headers=world.headers).status_code == 200

    assert any(statement.startswith("UPDATE api_token SET last_used_at") for statement, _ in first)
    assert not any(statement.startswith("UPDATE") for statement, _ in second)
    assert [statement for statement, locked in second if locked] == []


def test_sessions_outside_requests_still_begin_immediate(sqlite_engine):
    with Session(sqlite_engine) as session:
        session.execute(text("SELECT 1"))
        assert _another_writer_would_wait(sqlite_engine)


def test_writers_of_one_process_queue_for_their_turn_instead_of_polling_sqlite(world, sqlite_engine):
    # SQLite's busy handler sleeps and polls (up to 100 ms a time); a writer that waits
    # in the process's own queue has not begun its transaction yet and is woken at once.
    entered = threading.Event()

    def second_writer() -> None:
        with Session(reading(sqlite_engine)) as session, write_transaction(session):
            entered.set()

    with Session(reading(sqlite_engine)) as session, write_transaction(session), \
            probing(sqlite_engine) as seen:
        thread = threading.Thread(target=second_writer)
        thread.start()
        assert not entered.wait(0.3)
        assert "BEGIN IMMEDIATE" not in [statement for statement, _ in seen]
    assert entered.wait(10)
    thread.join()


def test_a_sign_in_verifies_the_password_before_it_takes_the_write_lock(client, sqlite_engine):
    from tests.factories import make_person
    from tests.helpers import TEST_PASSWORD, form_token
    from trace.models import Role

    with Session(sqlite_engine) as session:
        make_person(session, Role.inspector, username="jianguan")
        session.commit()
    token = form_token(client.get("/signin").text)
    with probing(sqlite_engine) as seen:
        response = client.post("/signin", data={"username": "jianguan", "password": TEST_PASSWORD,
                                                "csrf_token": token}, follow_redirects=False)

    assert response.status_code == 303
    statements = [statement for statement, _ in seen]
    begin = statements.index("BEGIN IMMEDIATE")
    assert any("FROM app_user" in statement for statement in statements[:begin])  # argon2 ran here, unlocked
    assert not any(locked for _, locked in seen[:begin])
