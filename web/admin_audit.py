"""The audit log page: every account's events, newest first, with filters, and as CSV.

The events are read from the accounts' own chains (trace.audit); this page only
narrows and shows them. The failed sign-ins counted per client address stand beside
them, since a username that names no account has no chain to record them on.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from trace.accounts import user_by_username
from trace.audit import AUDIT_KINDS, AuditEntry, AuditFilter, audit_events, sign_in_failures_by_address
from trace.deps import SessionDep
from trace.errors import NotFound
from trace.fields import Offset
from trace.i18n import translations
from trace.pages import page_locale, render_page
from trace.policy import allow
from web.admin import local_time

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
CSV_LIMIT = 10_000

Text = Annotated[str, Query(max_length=100)]
DateFrom = Annotated[date | None, Query(alias="from")]
DateTo = Annotated[date | None, Query(alias="to")]


def entry_details(entry: AuditEntry) -> list[str]:
    """The facts of an event worth a line: the token's name, the reason, the count, the change."""
    p = entry.payload
    lines = []
    if entry.event.biz_step == "rebinding":
        before, after = p.get("before") or {}, p.get("after") or {}
        lines += [f"{key}: {before.get(key) or '—'} → {after.get(key) or '—'}" for key in ("role", "school_id",
                  "supplier_id") if before.get(key) != after.get(key)]
    if entry.event.biz_step == "commissioning":
        lines.append(f"role: {p.get('role')}")
    for key in ("name", "reason", "failures", "until", "sessions_ended", "tokens_revoked", "must_change"):
        if p.get(key) not in (None, ""):
            lines.append(f"{key}: {p[key]}")
    return lines


def _cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _filter(session: Session, account: str, kind: str, date_from: date | None, date_to: date | None,
            address: str) -> tuple[AuditFilter, str | None]:
    """The filter the query asks for, and the account name that names no one (shown as such)."""
    user_id, unknown = None, None
    if account.strip():
        try:
            user_id = user_by_username(session, account.strip()).id
        except NotFound:
            unknown = account.strip()
    return AuditFilter(user_id=user_id, kind=kind or None, date_from=date_from, date_to=date_to,
                       address=address), unknown


@router.get("/admin/audit")
def audit_log(request: Request, _: allow("admin.audit.read"), session: SessionDep, account: Text = "",
              kind: Annotated[str, Query(max_length=40)] = "", date_from: DateFrom = None, date_to: DateTo = None,
              address: Text = "", offset: Offset = 0) -> Response:
    """Account events newest first; sign-in failures per client address beside them."""
    where, unknown = _filter(session, account, kind, date_from, date_to, address)
    page = audit_events(session, where, limit=PAGE_SIZE, offset=offset) if unknown is None else None
    locale = page_locale(request)
    query = {"account": account, "kind": kind, "from": date_from.isoformat() if date_from else "",
             "to": date_to.isoformat() if date_to else "", "address": address}
    return render_page(
        request, "admin/audit.html", page=page, unknown=unknown, filters=query, offset=offset, page_size=PAGE_SIZE,
        kinds=AUDIT_KINDS, details=entry_details, when=lambda at: local_time(at, locale),
        failures=sign_in_failures_by_address(session, where), filtered=any(query.values()),
        query_string=urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "offset"]))


@router.get("/admin/audit.csv")
def audit_csv(request: Request, _: allow("admin.audit.read"), session: SessionDep, account: Text = "",
              kind: Annotated[str, Query(max_length=40)] = "", date_from: DateFrom = None, date_to: DateTo = None,
              address: Text = "") -> Response:
    """The filtered log as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese)."""
    where, unknown = _filter(session, account, kind, date_from, date_to, address)
    entries = [] if unknown else audit_events(session, where, limit=CSV_LIMIT).entries
    gettext = translations(page_locale(request)).gettext
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["event_id", "occurred_at", "account", "kind", "kind_label", "actor", "actor_role",
                     "client_address", "details", "stream", "seq"])
    for entry in entries:
        event: Any = entry.event
        writer.writerow([_cell(x) for x in (event.event_id, event.occurred_at.isoformat(), entry.account.username if entry.account else "",
                         event.biz_step, gettext(entry.kind_label), entry.actor.username if entry.actor else "",
                         event.actor_role, entry.address, "; ".join(entry_details(entry)), event.stream, event.seq)])
    return Response("\ufeff" + buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="audit-log.csv"',
                             "Cache-Control": "no-store"})
