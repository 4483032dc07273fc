"""The audit log of accounts: read from the events on every account's chain (``user:<id>``).

Nothing is written here. The events themselves are written by trace.accounts,
trace.account_admin, trace.credentials and trace.sign_in, in the transaction of what
they record; a failed sign-in for a username that names no account has no chain, so
the failures counted per client address (``sign_in_failure``) are summarised beside it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from trace.account_admin import accounts_by_id
from trace.clock import local_zone
from trace.db import utcnow
from trace.errors import Invalid
from trace.i18n import N_
from trace.models import CustodyEvent, SignInFailure, User
from trace.sign_in import ADDRESS, throttle_of

# Every kind of account event (trace.accounts' table), as an admin reads it.
AUDIT_KINDS: dict[str, str] = {
    "signing_in": N_("Signed in"),
    "sign_in_refused": N_("Sign-in refused (wrong password)"),
    "locking_out": N_("Locked out after failures"),
    "signing_out": N_("Signed out"),
    "cosigning": N_("Confirmed a receipt as second checker (password on another's device)"),
    "password_changing": N_("Changed own password"),
    "password_setting": N_("Password set by an operator"),
    "password_resetting": N_("One-time password issued"),
    "token_issuing": N_("API token issued"),
    "token_using": N_("API token used (first use of the day)"),
    "token_revoking": N_("API token revoked"),
    "rebinding": N_("Role or binding changed"),
    "commissioning": N_("Account created"),
    "decommissioning": N_("Account deactivated"),
    "reactivating": N_("Account reactivated"),
}
# Kinds that are a warning sign, shown so.
ALARMING = frozenset({"sign_in_refused", "locking_out"})
STREAM_PREFIX = "user:"


@dataclass(frozen=True)
class AuditFilter:
    """What the log is narrowed to; None or empty: any. Dates are local (TRACE_TIMEZONE), both included."""

    user_id: int | None = None
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    address: str = ""

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise Invalid("date_range_invalid", "开始日期不能晚于结束日期", "The start date is after the end date",
                          date_from=self.date_from.isoformat(), date_to=self.date_to.isoformat())
        if self.kind is not None and self.kind not in AUDIT_KINDS:
            raise Invalid("audit_kind_unknown", f"没有“{self.kind}”这类事件", f"No event kind {self.kind!r}")


@dataclass(frozen=True)
class AuditEntry:
    event: CustodyEvent
    account: User | None
    actor: User | None
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def kind_label(self) -> str:
        return AUDIT_KINDS.get(self.event.biz_step, self.event.biz_step)

    @property
    def alarming(self) -> bool:
        return self.event.biz_step in ALARMING

    @property
    def address(self) -> str:
        return str(self.payload.get("client_address") or "")


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=local_zone())


def _filtered(statement: Any, where: AuditFilter) -> Any:
    if where.user_id is not None:
        statement = statement.where(CustodyEvent.stream == f"{STREAM_PREFIX}{where.user_id}")
    else:
        statement = statement.where(CustodyEvent.stream.startswith(STREAM_PREFIX, autoescape=True))
    if where.kind:
        statement = statement.where(CustodyEvent.biz_step == where.kind)
    if where.date_from:
        statement = statement.where(CustodyEvent.occurred_at >= _start_of(where.date_from))
    if where.date_to:
        statement = statement.where(CustodyEvent.occurred_at < _start_of(where.date_to + timedelta(days=1)))
    if address := where.address.strip():
        # The payload is canonical JSON (sorted keys, no spaces): the pair reads exactly so.
        statement = statement.where(CustodyEvent.payload.contains(
            '"client_address":' + json.dumps(address, ensure_ascii=False), autoescape=True))
    return statement


def audit_events(session: Session, where: AuditFilter, *, limit: int = 50, offset: int = 0) -> AuditPage:
    """Account events matching ``where``, newest first, with the accounts and actors they name."""
    total = session.execute(_filtered(select(func.count()).select_from(CustodyEvent), where)).scalar_one()
    events = session.execute(_filtered(select(CustodyEvent), where)
                             .order_by(CustodyEvent.id.desc()).limit(limit).offset(offset)).scalars().all()
    accounts = {int(e.stream.removeprefix(STREAM_PREFIX)) for e in events}
    actors = {e.actor_user_id for e in events if e.actor_user_id is not None}
    people = accounts_by_id(session, accounts | actors)
    entries = [AuditEntry(event=e, account=people.get(int(e.stream.removeprefix(STREAM_PREFIX))),
                          actor=people.get(e.actor_user_id) if e.actor_user_id else None,
                          payload=json.loads(e.payload)) for e in events]
    return AuditPage(entries, total)


@dataclass(frozen=True)
class AddressFailures:
    """Failed sign-ins from one client address (known usernames or not), and whether it is held back now."""

    address: str
    failures: int
    last_at: datetime
    locked: bool
    slowed: bool


def sign_in_failures_by_address(session: Session, where: AuditFilter, *, limit: int = 20,
                                now: datetime | None = None) -> list[AddressFailures]:
    """The client addresses with failed sign-ins in the filter's dates, most recent first."""
    statement = (select(SignInFailure.key, func.count(), func.max(SignInFailure.failed_at))
                 .where(SignInFailure.scope == ADDRESS).group_by(SignInFailure.key))
    if where.date_from:
        statement = statement.where(SignInFailure.failed_at >= _start_of(where.date_from))
    if where.date_to:
        statement = statement.where(SignInFailure.failed_at < _start_of(where.date_to + timedelta(days=1)))
    if address := where.address.strip():
        statement = statement.where(SignInFailure.key == address)
    rows = session.execute(statement.order_by(func.max(SignInFailure.failed_at).desc()).limit(limit)).all()
    now = now or utcnow()
    summary = []
    for key, count, last_at in rows:
        wait = throttle_of(session, ADDRESS, key, now)
        held = wait.retry_at is not None
        summary.append(AddressFailures(key, count, last_at, locked=held and wait.locked,
                                       slowed=held and not wait.locked))
    return summary
