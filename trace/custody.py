"""Writing custody events onto their chains, and reading them back.

Every service that changes custody state calls :func:`record_event` in the same
transaction as the change. Chains are per aggregate (``batch:42``, ``supplier:7``,
``school:3``, ``order:15``…): a writer locks only its own chain's head row, so
receipts at different canteens for different batches never wait on each other.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, select
from sqlmodel import Session

from trace.chain import GENESIS_HASH, canonical_json, event_hash, hashed_view
from trace.db import dialect_insert, run_prebuilt, transaction_memo, utcnow
from trace.models import ChainHead, CustodyEvent, Role, User
from trace.settings import get_settings


@dataclass(frozen=True)
class Actor:
    """Who is acting: the authenticated user, or the platform itself for jobs and seeds."""

    user_id: int | None
    role: str
    supplier_id: int | None = None
    school_id: int | None = None
    name: str = ""

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.id, user.role.value, user.supplier_id, user.school_id, user.display_name)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin


def tz_offset(at: datetime) -> str:
    """The local UTC offset at an instant, as EPCIS writes it (``+08:00``)."""
    offset = at.astimezone(ZoneInfo(get_settings().timezone)).utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def stream_of(kind: str, key: int | str) -> str:
    return f"{kind}:{key}"


@dataclass(frozen=True)
class RecordedEvent:
    """What a writer learns of the event it appended (the row itself is never edited)."""

    id: int
    event_id: str
    stream: str
    seq: int
    hash: str
    occurred_at: datetime


@dataclass
class _Head:
    seq: int
    hash: str


def _locked_head(session: Session, stream: str) -> _Head:
    """The chain's head, locked for the rest of the transaction.

    Once locked (``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) no other
    transaction can move it, so later events of the same transaction on the same chain
    reuse the values read the first time.
    """
    heads = transaction_memo(session, "chain_heads")
    head = heads.get(stream)
    if head is None:
        row = run_prebuilt(session, _LOCK_HEAD, {"head_stream": stream}).first()
        if row is None:
            # A new chain has no head row to lock, so two first writers would both take
            # seq 1 and one would fail on the unique key. Create the empty head (seq 0)
            # first: a second writer's insert waits for the first writer's transaction
            # and then does nothing, and its lock then reads the head the first one left.
            # The first event moves the head on in the same transaction (the trigger), so
            # an empty head is never committed on its own.
            run_prebuilt(session, _insert_empty_head(session), {"stream": stream, "seq": 0, "hash": GENESIS_HASH,
                                                                 "updated_at": utcnow()})
            row = run_prebuilt(session, _LOCK_HEAD, {"head_stream": stream}).first()
        head = _Head(row.seq, row.hash)
        heads[stream] = head
    return head


def _insert_empty_head(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    statement = _INSERT_EMPTY_HEAD.get(dialect)
    if statement is None:
        statement = _INSERT_EMPTY_HEAD[dialect] = dialect_insert(session)(_HEADS).on_conflict_do_nothing(
            index_elements=[_HEADS.c.stream])
    return statement


_INSERT_EMPTY_HEAD: dict[str, Any] = {}


def record_event(
    session: Session,
    *,
    stream: str,
    biz_step: str,
    action: str,
    actor: Actor,
    subject_type: str,
    subject_id: int | str,
    payload: dict[str, Any],
    occurred_at: datetime | None = None,
    disposition: str | None = None,
    school_id: int | None = None,
    supplier_id: int | None = None,
    batch_id: int | None = None,
    corrects_event_id: str | None = None,
) -> RecordedEvent:
    """Append one event to its chain, in the caller's transaction (which commits).

    The event is written with one prebuilt INSERT rather than through the ORM's unit
    of work (the log is append-only, nothing edits an event after it is written, and
    this is the hottest write path); the database moves the chain's head with it.
    """
    recorded_at = utcnow()
    # Hash the instant in UTC: that is how both databases hand it back.
    occurred_at = (occurred_at or recorded_at).astimezone(UTC)
    head = _locked_head(session, stream)
    row: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "stream": stream,
        "seq": head.seq + 1,
        "biz_step": biz_step,
        "action": action,
        "disposition": disposition,
        "occurred_at": occurred_at,
        "tz_offset": tz_offset(occurred_at),
        "recorded_at": recorded_at,
        "actor_user_id": actor.user_id,
        "actor_role": actor.role,
        "school_id": school_id,
        "supplier_id": supplier_id,
        "batch_id": batch_id,
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        "corrects_event_id": corrects_event_id,
        "payload": canonical_json(payload),
        "prev_hash": head.hash,
    }
    row["hash"] = event_hash(hashed_view(SimpleNamespace(**row)), head.hash)
    # Every column, by name: a column added to CustodyEvent without a value here fails
    # loudly (KeyError) instead of being written as NULL.
    row = {name: row[name] for name in _EVENT_COLUMNS}
    # After the rows the event points at (its batch, school…); the insert moves the
    # chain's head too (a trigger: see trace.models).
    event_row_id = run_prebuilt(session, _INSERT_EVENT, row).inserted_primary_key[0]
    head.seq, head.hash = row["seq"], row["hash"]
    # A ChainHead loaded earlier in this session (by a checkpoint, say) is now stale.
    loaded = session.identity_map.get((ChainHead, (stream,), None))
    if loaded is not None:
        session.expire(loaded)
    return RecordedEvent(event_row_id, row["event_id"], stream, row["seq"], row["hash"], occurred_at)


_EVENTS, _HEADS = CustodyEvent.__table__, ChainHead.__table__
_EVENT_COLUMNS = [column.name for column in _EVENTS.columns if column.name != "id"]
# Built once: statements with bound parameters compile once and hit SQLAlchemy's cache.
_INSERT_EVENT = insert(_EVENTS)
_LOCK_HEAD = select(_HEADS.c.seq, _HEADS.c.hash).where(_HEADS.c.stream == bindparam("head_stream")).with_for_update()


def events_for_batch(session: Session, batch_id: int) -> list[CustodyEvent]:
    statement = (
        select(CustodyEvent).where(CustodyEvent.batch_id == batch_id).order_by(CustodyEvent.id)
    )
    return list(session.execute(statement).scalars())


def events_after(session: Session, *, after_id: int, limit: int, stream: str | None = None) -> list[CustodyEvent]:
    """Events after ``after_id``, oldest first: one chain, or every chain (paging through the log)."""
    statement = select(CustodyEvent).where(CustodyEvent.id > after_id)
    if stream:
        statement = statement.where(CustodyEvent.stream == stream)
    return list(session.execute(statement.order_by(CustodyEvent.id).limit(limit)).scalars())


def events_in_stream(session: Session, stream: str) -> list[CustodyEvent]:
    statement = select(CustodyEvent).where(CustodyEvent.stream == stream).order_by(CustodyEvent.seq)
    return list(session.execute(statement).scalars())
