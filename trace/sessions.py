"""Web sessions: who a browser's cookie belongs to, until when.

The cookie carries a random 32-byte id; the table keeps only its SHA-256. A session
ends when signed out (revoked), after ``session_idle_minutes`` without a request, or
``session_absolute_hours`` after sign-in, whichever comes first. ``last_seen_at`` moves
at most once a minute, so reading pages does not write on every request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from sqlmodel import Session

from trace.db import utcnow
from trace.models import User, WebSession
from trace.settings import get_settings

COOKIE_NAME = "trace_session"
TOUCH_EVERY = timedelta(minutes=1)


def session_hash(plain_id: str) -> str:
    return hashlib.sha256(plain_id.encode()).hexdigest()


@dataclass(frozen=True)
class OpenedSession:
    """The plain id goes into the cookie once; the row keeps its hash."""

    plain_id: str
    row: WebSession


def session_open(session: Session, *, user: User, client_address: str, user_agent: str,
                 now: datetime | None = None) -> OpenedSession:
    now = now or utcnow()
    plain_id = secrets.token_urlsafe(32)
    row = WebSession(session_hash=session_hash(plain_id), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
                     created_at=now, last_seen_at=now, client_address=client_address[:64],
                     user_agent=user_agent[:300])
    session.add(row)
    session.flush()
    return OpenedSession(plain_id, row)


def session_expires_at(row: WebSession) -> datetime:
    settings = get_settings()
    return min(row.last_seen_at + timedelta(minutes=settings.session_idle_minutes),
               row.created_at + timedelta(hours=settings.session_absolute_hours))


_SESSION_AND_USER = (
    select(WebSession, User).join(User, User.id == WebSession.user_id)
    .where(WebSession.revoked_at.is_(None), User.active)
)


def session_for(session: Session, plain_id: str, now: datetime | None = None) -> tuple[WebSession, User] | None:
    """The live session a cookie names and its person; None when unknown, ended or expired."""
    now = now or utcnow()
    found = session.execute(_SESSION_AND_USER.where(WebSession.session_hash == session_hash(plain_id))).first()
    if found is None:
        return None
    row, user = found
    if now >= session_expires_at(row):
        return None
    return row, user


def session_needs_touch(row: WebSession, now: datetime | None = None) -> bool:
    return (now or utcnow()) - row.last_seen_at >= TOUCH_EVERY


def session_touch(connection: Connection, session_id: int, now: datetime | None = None) -> None:
    """Move ``last_seen_at`` in a short transaction of its own (the request's session only reads).

    Conditional, so concurrent requests of one browser move it once, and never back.
    """
    now = now or utcnow()
    connection.execute(update(WebSession).where(WebSession.id == session_id,
                                                WebSession.last_seen_at <= now - TOUCH_EVERY)
                       .values(last_seen_at=now))


def session_revoke(session: Session, row: WebSession, now: datetime | None = None) -> None:
    row.revoked_at = now or utcnow()
    session.add(row)
    session.flush()


def sessions_revoke_all(session: Session, user_id: int, now: datetime | None = None,
                        keep: int | None = None) -> int:
    """End every live session of a person (password reset, deactivation); ``keep`` one of them."""
    statement = update(WebSession).where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
    if keep is not None:
        statement = statement.where(WebSession.id != keep)
    result = session.execute(statement.values(revoked_at=now or utcnow()))
    return result.rowcount or 0
