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
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session

from trace.chain import GENESIS_HASH, canonical_json, event_hash, hashed_view
from trace.db import utcnow
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


def _locked_head(session: Session, stream: str) -> ChainHead | None:
    statement = select(ChainHead).where(ChainHead.stream == stream).with_for_update()
    return session.execute(statement).scalar_one_or_none()


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
) -> CustodyEvent:
    """Append one event to its chain. Flushes; the caller's transaction commits."""
    recorded_at = utcnow()
    # Hash the instant in UTC: that is how both databases hand it back.
    occurred_at = (occurred_at or recorded_at).astimezone(UTC)
    head = _locked_head(session, stream)
    if head is None:
        head = ChainHead(stream=stream, seq=0, hash=GENESIS_HASH)
        session.add(head)
    event = CustodyEvent(
        event_id=str(uuid.uuid4()),
        stream=stream,
        seq=head.seq + 1,
        biz_step=biz_step,
        action=action,
        disposition=disposition,
        occurred_at=occurred_at,
        tz_offset=tz_offset(occurred_at),
        recorded_at=recorded_at,
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        school_id=school_id,
        supplier_id=supplier_id,
        batch_id=batch_id,
        subject_type=subject_type,
        subject_id=str(subject_id),
        corrects_event_id=corrects_event_id,
        payload=canonical_json(payload),
        prev_hash=head.hash,
        hash="",
    )
    event.hash = event_hash(hashed_view(event), event.prev_hash)
    head.seq, head.hash, head.updated_at = event.seq, event.hash, recorded_at
    session.add(event)
    session.flush()
    return event


def events_for_batch(session: Session, batch_id: int) -> list[CustodyEvent]:
    statement = (
        select(CustodyEvent).where(CustodyEvent.batch_id == batch_id).order_by(CustodyEvent.id)
    )
    return list(session.execute(statement).scalars())


def events_in_stream(session: Session, stream: str) -> list[CustodyEvent]:
    statement = select(CustodyEvent).where(CustodyEvent.stream == stream).order_by(CustodyEvent.seq)
    return list(session.execute(statement).scalars())
