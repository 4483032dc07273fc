"""Engines, sessions and the column types the custody tables share.

SQLite is the embedded default: WAL, foreign keys on, and a transaction starts
with ``BEGIN IMMEDIATE`` (SQLAlchemy's documented pysqlite recipe) so a
read-modify-write cannot interleave with another writer — with pysqlite's default
deferred transactions, concurrent processes silently lost updates. That takes
SQLite's one write lock, so request sessions (``reading``) begin deferred instead:
a read sees a WAL snapshot and neither waits for writers nor makes them wait, and
a write request switches to ``BEGIN IMMEDIATE`` for its own work (``write_transaction``).
PostgreSQL (psycopg 3) is the production database; there the services take row
locks or use conditional atomic updates.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import BigInteger, DateTime, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel, create_engine

QUANTUM = Decimal("0.001")
# Keys are INTEGER columns: 32-bit on PostgreSQL (ample: a school year writes ~270,000
# events). A larger id cannot name a row and would overflow the column or the driver.
MAX_ROW_ID = 2**31 - 1
# The largest amount of anything the platform counts (a trillion base units): what a
# request may state, and what a conversion from packages may reach.
MAX_QUANTITY = Decimal("999999999999.999")
T = TypeVar("T")


def normalize_database_url(url: str) -> str:
    """Accept the common spellings and pin PostgreSQL to psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def make_engine(url: str, *, pool: bool = True) -> Engine:
    url = normalize_database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=None if pool else NullPool,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, poolclass=None if pool else NullPool)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Up to 64 MiB of pages per connection (allocated as used): the event indexes
        # outgrow the 2 MiB default within weeks, and each insert then reads from the OS.
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(SQLITE_BEGIN) == "deferred":
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


# The execution option the "begin" event reads: "deferred" begins a transaction that
# takes SQLite's write lock only if it writes; anything else (the default, for the CLI,
# seeds, jobs and services called directly) begins IMMEDIATE. PostgreSQL ignores it.
SQLITE_BEGIN = "trace_sqlite_begin"


@lru_cache(maxsize=8)
def reading(engine: Engine) -> Engine:
    """The engine as request sessions use it: transactions begin deferred (see ``write_transaction``)."""
    return engine.execution_options(**{SQLITE_BEGIN: "deferred"})


@contextmanager
def write_transaction(session: Session) -> Iterator[None]:
    """End a request's read transaction and hold its write transaction for the block.

    On SQLite the write lock is taken here (``BEGIN IMMEDIATE``), not at the request's
    first read: authentication, validation and rendering run without it. The read
    snapshot is rolled back, which also expires every object loaded under it, so what
    the write decides on is read again under the lock. A deferred transaction that
    wrote would take the lock mid-way (and fail with SQLITE_BUSY if another writer
    committed since its snapshot), so writing before this point is refused.

    Writers of one process also queue on a lock of their own first: waiting on SQLite's
    busy handler means sleeping and polling, and with 8 writers that put p99 near 2 s;
    a thread waiting on the queue is woken as soon as the previous write ends. Writers in
    other processes still meet at SQLite's lock. Whatever the block leaves open is rolled
    back before the next writer's turn. On PostgreSQL nothing changes: the transaction
    goes on and row locks order writers.
    """
    if not is_sqlite(session):
        yield
        return
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a request changed rows before its write transaction began")
    with _writers_of(str(session.get_bind().url)):
        try:
            if session.in_transaction():
                session.rollback()
            session.connection(execution_options={SQLITE_BEGIN: "immediate"})
            yield
        finally:
            if session.in_transaction():
                session.rollback()


_WRITERS: dict[str, threading.Lock] = {}
_WRITERS_GUARD = threading.Lock()


def _writers_of(database: str) -> threading.Lock:
    with _WRITERS_GUARD:
        return _WRITERS.setdefault(database, threading.Lock())


def is_sqlite(engine_or_session: Engine | Session) -> bool:
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else engine_or_session
    return bind.dialect.name == "sqlite"


def dialect_insert(session: Session) -> Any:
    """The dialect's own ``insert`` (for ON CONFLICT … DO UPDATE / DO NOTHING)."""
    if is_sqlite(session):
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert
    from sqlalchemy.dialects.postgresql import insert as postgresql_insert

    return postgresql_insert


def transaction_memo(session: Session, name: str) -> dict[Any, Any]:
    """A dict that lives as long as the session's current transaction.

    For rows a transaction has locked or that only its own writes can change (a chain
    head under ``FOR UPDATE``/``BEGIN IMMEDIATE``, a supplier's licences): reading them
    once per transaction is as correct as reading them every time. The memo is dropped
    when the transaction or a savepoint in it ends, so nothing outlives a commit or a
    rollback.
    """
    transaction = session.get_transaction()
    memos = session.info.get("transaction_memos")
    if memos is None or transaction is None or memos[0] is not transaction:
        memos = (transaction, {})
        session.info["transaction_memos"] = memos
        if not event.contains(session, "after_transaction_end", _drop_transaction_memo):
            # Only on the sessions that keep a memo, not on every session of the process.
            event.listen(session, "after_transaction_end", _drop_transaction_memo)
    return memos[1].setdefault(name, {})


def get_kept(session: Session, model: type[T], row_id: Any) -> T | None:
    """``session.get``, and the row kept in the session until the transaction ends.

    The identity map holds a row only while something references it, so a row read again
    and again within one transaction (the product of each order line, shipment, receipt and
    use; the supplier, school or batch a write locks or checks) would be loaded anew by every
    ``session.get`` once its last reference went. Keeping it for the transaction (the memo
    below) is what a caller holding the rows did, for every caller; it changes nothing the
    identity map would not already give while the row is referenced.
    """
    instance = session.get(model, row_id)
    if instance is not None:
        keep(session, instance)
    return instance


def keep(session: Session, instance: Any) -> None:
    """Keep a row the transaction loaded or wrote in the session until the transaction ends."""
    transaction_memo(session, "kept_rows")[id(instance)] = instance


def _drop_transaction_memo(session: OrmSession, transaction: SessionTransaction) -> None:
    # A savepoint shares its root transaction's memo; rolling it back undoes writes the
    # memo may have seen (a chain head it moved, a licence it added), so either end drops
    # it. The ORM's internal flush sub-transactions (not nested, with a parent) keep it.
    if transaction.nested or transaction.parent is None:
        session.info.pop("transaction_memos", None)


def run_prebuilt(session: Session, statement: Any, params: dict[str, Any] | list[dict[str, Any]]) -> Any:
    """Run a prebuilt Core statement in the session's transaction, after its pending writes.

    The ORM's ``session.execute`` adds work meant for ORM statements (autoflush aside,
    nothing a Core statement on a table uses); hot paths call this instead. A list of
    parameter sets runs it once per set (``executemany``).

    The high-volume, insert-once rows (orders and their revisions and lines, shipments,
    receipts, kitchen uses, test results) are written this way, as ``INSERT … RETURNING``,
    by functions named for what they write (``shipment_insert``…), which hand back the
    returned row: the ORM neither builds nor tracks them, so a rollback needs nothing
    undone in the session. Column defaults (``recorded_at``…) apply as in a flush.
    """
    session.flush()
    return session.connection().execute(statement, params)


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One transaction for a job or a CLI command: commit on success, else roll back."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def quantity(value: Any) -> Decimal:
    """Quantities are exact decimals with three places (grams of a kilogram)."""
    return Decimal(str(value)).quantize(QUANTUM, rounding=ROUND_HALF_UP)


class Quantity(TypeDecorator[Decimal]):
    """A Decimal with three places, stored as an integer count of thousandths.

    Integers keep sums and conditional updates exact on SQLite, whose NUMERIC is a float.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        return int(quantity(value) / QUANTUM)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) * QUANTUM).quantize(QUANTUM)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: custody times are UTC-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


# Named constraints make migrations reviewable and reversible on both databases.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
