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

from sqlalchemy import BigInteger, DateTime, event, insert
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction, make_transient_to_detached
from sqlalchemy.orm.attributes import manager_of_class
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
    return memos[1].setdefault(name, {})


@event.listens_for(OrmSession, "after_transaction_end")
def _drop_transaction_memo(session: OrmSession, transaction: SessionTransaction) -> None:
    # A savepoint shares its root transaction's memo; rolling it back undoes writes the
    # memo may have seen (a chain head it moved, a licence it added), so either end drops
    # it. The ORM's internal flush sub-transactions (not nested, with a parent) keep it.
    if transaction.nested or transaction.parent is None:
        session.info.pop("transaction_memos", None)


def run_prebuilt(session: Session, statement: Any, params: dict[str, Any]) -> Any:
    """Run a prebuilt Core statement in the session's transaction, after its pending writes.

    The ORM's ``session.execute`` adds work meant for ORM statements (autoflush aside,
    nothing a Core statement on a table uses); hot paths call this instead.
    """
    session.flush()
    return session.connection().execute(statement, params)


def insert_now(session: Session, model: type[T], **values: Any) -> T:
    """INSERT one new row with a prebuilt statement and return it as if just loaded.

    For the high-volume, insert-once rows (shipments, receipts, kitchen uses, test
    results, orders and their lines): the row the ORM would write, without a
    unit-of-work flush per row. Field defaults apply as in the model's constructor; the
    new key comes back as the driver reports it (``lastrowid`` on SQLite, ``RETURNING``
    on PostgreSQL). The instance is built the way the ORM builds loaded rows, since
    running the model's constructor cost more than the INSERT itself.
    """
    prepared = _PREPARED_INSERTS.get(model)
    if prepared is None:
        prepared = _PREPARED_INSERTS[model] = _prepare_insert(model)
    statement, keys, defaults = prepared
    row = {key: values[key] if key in values else _default(defaults, model, key) for key in keys}
    if unknown := values.keys() - row.keys():
        raise TypeError(f"{model.__name__} has no column(s) {sorted(unknown)}")
    row["id"] = run_prebuilt(session, statement, row).inserted_primary_key[0]  # after what it refers to
    instance = manager_of_class(model).new_instance()
    instance.__dict__.update(row)
    make_transient_to_detached(instance)
    session.add(instance)
    # Added as already persistent, the ORM would not forget it on a rollback as it does
    # a pending row: remember which transaction wrote it (see _forget_rolled_back_rows).
    innermost = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault("inserted_now", []).append((innermost, instance))
    return instance  # type: ignore[no-any-return]


@event.listens_for(OrmSession, "after_soft_rollback")
def _forget_rolled_back_rows(session: OrmSession, previous_transaction: SessionTransaction) -> None:
    """Rows insert_now wrote inside a rolled-back transaction or savepoint leave the session."""
    written = session.info.get("inserted_now")
    if not written:
        return
    kept = []
    for transaction, instance in written:
        if _within(transaction, previous_transaction):
            if instance in session:
                session.expunge(instance)
        else:
            kept.append((transaction, instance))
    session.info["inserted_now"] = kept


@event.listens_for(OrmSession, "after_commit")
def _committed_rows_are_ordinary(session: OrmSession) -> None:
    # Releasing a savepoint also "commits"; its rows stay undone by an outer rollback.
    if session.get_nested_transaction() is None:
        session.info.pop("inserted_now", None)


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def _prepare_insert(model: type) -> tuple[Any, list[str], dict[str, Any]]:
    table = model.__table__  # type: ignore[attr-defined]
    keys = [column.key for column in table.columns if column.key != "id"]
    defaults = {key: model.model_fields[key] for key in keys}  # type: ignore[attr-defined]
    return insert(table), keys, defaults


def _default(fields: dict[str, Any], model: type, key: str) -> Any:
    field = fields[key]
    if field.default_factory is not None:
        return field.default_factory()
    if field.is_required():
        raise TypeError(f"{model.__name__}.{key} is required")
    return field.default


_PREPARED_INSERTS: dict[type, tuple[Any, list[str], dict[str, Any]]] = {}


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
